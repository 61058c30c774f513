//! How fast one person may post: a token bucket per person (`posts_per_minute` sustained,
//! `post_burst` at once), so one account — a leaked token, a runaway script — cannot flood
//! a 10,000-member group or the write path for everyone else.
//!
//! The buckets live in this node's memory, not in the database: a check costs a hash
//! lookup, where a shared counter would cost a round trip on every post. Behind a
//! load balancer without sticky sessions, a person may therefore reach up to N times the
//! rate over N nodes; that still bounds a flood, which is what this is for.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::Config;

/// Every this many checks, buckets that have filled up again are dropped (a full bucket
/// behaves exactly like no bucket), so memory follows the people posting right now.
const FORGET_EVERY: u64 = 4096;

pub struct PostRate {
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    checks: std::sync::atomic::AtomicU64,
}

impl PostRate {
    pub fn new(config: &Config) -> Self {
        let limiter = NonZeroU32::new(config.posts_per_minute).map(|per_minute| {
            let burst = NonZeroU32::new(config.post_burst).unwrap_or(NonZeroU32::MIN);
            RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst))
        });
        Self {
            limiter,
            checks: Default::default(),
        }
    }

    /// Takes one post from the person's bucket, or says how long until the next one fits.
    pub fn take(&self, person_id: &str) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        let checks = self
            .checks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if checks % FORGET_EVERY == FORGET_EVERY - 1 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        limiter
            .check_key(&person_id.to_owned())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(per_minute: u32, burst: u32) -> PostRate {
        let config = Config {
            posts_per_minute: per_minute,
            post_burst: burst,
            ..Config::default()
        };
        PostRate::new(&config)
    }

    #[test]
    fn a_burst_passes_then_the_sustained_rate_applies() {
        let rate = rate(60, 5);
        for _ in 0..5 {
            rate.take("alice").unwrap();
        }
        let wait = rate.take("alice").unwrap_err();
        // One post a second sustained: the next one fits within a second.
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        // Someone else is not held back by Alice.
        rate.take("bob").unwrap();
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let rate = rate(0, 5);
        for _ in 0..10_000 {
            rate.take("alice").unwrap();
        }
    }

    #[test]
    fn forgotten_buckets_start_full() {
        let rate = rate(60, 2);
        for i in 0..FORGET_EVERY * 2 {
            let _ = rate.take(&format!("p{i}"));
        }
        rate.take("alice").unwrap();
        rate.take("alice").unwrap();
        assert!(rate.take("alice").is_err());
    }
}
