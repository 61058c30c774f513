//! The time plugins see. Production reads the system clock; a test harness moves it forward
//! to make hours-long plugin timeouts (reminders, escalations) happen in milliseconds. Only
//! what plugins observe follows it: `clock.now-ms` and when their timers come due.

use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Debug, Default)]
pub struct PluginClock {
    offset_ms: AtomicI64,
}

impl PluginClock {
    /// Milliseconds since the Unix epoch, as plugins see it.
    pub fn now_ms(&self) -> i64 {
        crate::store::now_millis() + self.offset_ms.load(Ordering::Relaxed)
    }

    /// Moves plugin time forward (never back: timers already fired stay fired).
    pub fn advance(&self, by: std::time::Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX / 4);
        self.offset_ms.fetch_add(ms.max(0), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_plugin_time_forward_only() {
        let clock = PluginClock::default();
        let before = clock.now_ms();
        clock.advance(std::time::Duration::from_secs(3600));
        let after = clock.now_ms();
        assert!(after - before >= 3_600_000, "{before} → {after}");
        assert!(after - before < 3_660_000, "{before} → {after}");
    }
}
