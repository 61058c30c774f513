//! One-shot timers (capability `timers`). When one comes due the host calls
//! [`crate::Plugin::timer`] once in the whole deployment, in the group of the call that set
//! it, with no acting person. Recurring work belongs in the manifest's `[[schedules]]`.
//!
//! ```ignore
//! // Remind the approver tomorrow at this time unless they act first.
//! let reminder = Reminder { request: id.clone(), approver: approver.id.clone() };
//! timers::after(&format!("remind-{id}"), 24 * 3600 * 1000, &reminder)?;
//! // …and when they act:
//! timers::cancel(&format!("remind-{id}"))?;
//!
//! fn timer(ctx: &Context, timer: &Timer) -> Result<()> {
//!     let reminder: Reminder = timer.payload_as()?;
//!     messages::send_card(&reminder.approver, reminder_card(ctx, &reminder)?)?;
//!     Ok(())
//! }
//! ```

use serde::Serialize;

use crate::Result;
use crate::bindings::courtyard::plugin::timers as raw;

/// Sets the timer `key` to come due at `due_ms` (milliseconds since the Unix epoch) with
/// `payload` as JSON (read it back with [`crate::Timer::payload_as`]); replaces an earlier
/// timer with the same key. Returns the timer's id.
pub fn set<P: Serialize + ?Sized>(key: &str, due_ms: i64, payload: &P) -> Result<String> {
    let payload = serde_json::to_string(payload)?;
    Ok(raw::set(key, due_ms, &payload)?)
}

/// Sets the timer `key` to come due `delay_ms` from now.
pub fn after<P: Serialize + ?Sized>(key: &str, delay_ms: i64, payload: &P) -> Result<String> {
    set(
        key,
        crate::clock::now_ms().saturating_add(delay_ms),
        payload,
    )
}

/// Cancels the timer `key`; whether there was one.
pub fn cancel(key: &str) -> Result<bool> {
    Ok(raw::cancel(key)?)
}
