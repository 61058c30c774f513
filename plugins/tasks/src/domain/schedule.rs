//! When a task's reminders are due, and whether one that came due should still go out.
//!
//! Each task has at most two timers, under stable keys: the early reminder
//! (`remind.{task}`) and the overdue notice (`overdue.{task}`). Setting a key again replaces
//! its timer, so moving the due time moves the reminders instead of adding some; finishing
//! the task cancels them. A timer carries the due time it was set for, and the task records
//! the due time each notice went out for, so a notice goes out once per due time even when a
//! timer is delivered twice or a stale one slips through.

use serde::{Deserialize, Serialize};

use super::Task;

/// The two notices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// Before the due time.
    Remind,
    /// At the due time, if still open.
    Overdue,
}

impl Notice {
    pub const ALL: [Notice; 2] = [Notice::Remind, Notice::Overdue];

    /// The timer key of this notice for a task.
    pub fn key(self, task_id: &str) -> String {
        match self {
            Notice::Remind => format!("remind.{task_id}"),
            Notice::Overdue => format!("overdue.{task_id}"),
        }
    }

    /// The notice and task a timer key names.
    pub fn from_key(key: &str) -> Option<(Notice, &str)> {
        if let Some(id) = key.strip_prefix("remind.") {
            Some((Notice::Remind, id))
        } else {
            key.strip_prefix("overdue.").map(|id| (Notice::Overdue, id))
        }
    }
}

/// The group's reminder settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// How long before the due time the early reminder goes out; 0: none.
    pub lead_ms: i64,
    /// Whether the overdue notice goes out.
    pub overdue: bool,
}

/// What a timer carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    pub task: String,
    /// The due time the timer was set for.
    pub due_ms: i64,
}

/// When each notice should fire; `None`: no timer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub remind_at: Option<i64>,
    pub overdue_at: Option<i64>,
}

impl Plan {
    pub fn at(&self, notice: Notice) -> Option<i64> {
        match notice {
            Notice::Remind => self.remind_at,
            Notice::Overdue => self.overdue_at,
        }
    }
}

/// The timers a task needs now. Nothing for a finished task or one without a due time; no
/// early reminder once its time has passed (the person just saw the task) or once it went
/// out for this due time; no overdue timer for a due time already past or already handled.
/// The overdue timer runs even where overdue notices are off: it redraws the card, which
/// then says the task is overdue (see [`Policy::overdue`] at [`should_notify`]).
pub fn plan(task: &Task, policy: &Policy, now: i64) -> Plan {
    let Some(due) = task.due_ms.filter(|_| task.status.is_open()) else {
        return Plan::default();
    };
    let remind_at = (policy.lead_ms > 0 && task.reminded_for != Some(due))
        .then(|| due - policy.lead_ms)
        .filter(|at| *at > now);
    let overdue_at = (task.overdue_for != Some(due) && due > now).then_some(due);
    Plan {
        remind_at,
        overdue_at,
    }
}

/// Whether a notice whose timer came due with `payload` should go out: the task is open,
/// still due when the timer said, and not yet told for that due time.
pub fn should_send(task: &Task, notice: Notice, payload: &Payload) -> bool {
    let already = match notice {
        Notice::Remind => task.reminded_for,
        Notice::Overdue => task.overdue_for,
    };
    task.status.is_open() && task.due_ms == Some(payload.due_ms) && already != Some(payload.due_ms)
}

/// Whether people hear of a notice that should go out: the early reminder always (it has
/// no timer where it is off), the overdue one where the group wants it.
pub fn should_notify(notice: Notice, policy: &Policy) -> bool {
    notice == Notice::Remind || policy.overdue
}

/// Records that a notice went out for the due time in `payload` (the claim is written
/// before anything is sent, so a second delivery finds it and stays quiet).
pub fn mark_sent(task: &mut Task, notice: Notice, payload: &Payload, now: i64) {
    match notice {
        Notice::Remind => {
            task.reminded_for = Some(payload.due_ms);
            task.log_notice(now, super::Happened::Reminded);
        }
        Notice::Overdue => {
            task.overdue_for = Some(payload.due_ms);
            task.log_notice(now, super::Happened::Overdue);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Status;
    use crate::domain::testkit::task;

    const H: i64 = 3_600_000;

    fn policy() -> Policy {
        Policy {
            lead_ms: H,
            overdue: true,
        }
    }

    #[test]
    fn keys_round_trip() {
        assert_eq!(Notice::Remind.key("g.1"), "remind.g.1");
        assert_eq!(
            Notice::from_key("overdue.g.12"),
            Some((Notice::Overdue, "g.12"))
        );
        assert_eq!(Notice::from_key("remind.x"), Some((Notice::Remind, "x")));
        assert_eq!(Notice::from_key("sweep"), None);
    }

    #[test]
    fn plans_both_notices_before_due() {
        let mut t = task();
        t.due_ms = Some(10 * H);
        let p = plan(&t, &policy(), 0);
        assert_eq!(p.remind_at, Some(9 * H));
        assert_eq!(p.overdue_at, Some(10 * H));
        // Inside the lead: only the overdue notice.
        let p = plan(&t, &policy(), 9 * H + 1);
        assert_eq!(
            p,
            Plan {
                remind_at: None,
                overdue_at: Some(10 * H)
            }
        );
        // Past due: nothing.
        assert_eq!(plan(&t, &policy(), 10 * H), Plan::default());
    }

    #[test]
    fn nothing_for_done_or_undated_and_overdue_notices_switched_off() {
        let mut t = task();
        assert_eq!(plan(&t, &policy(), 0), Plan::default());
        t.due_ms = Some(10 * H);
        t.status = Status::Done;
        assert_eq!(plan(&t, &policy(), 0), Plan::default());
        t.status = Status::Blocked;
        let off = Policy {
            lead_ms: 0,
            overdue: false,
        };
        // The overdue timer still runs, to redraw the card; nobody is told.
        assert_eq!(
            plan(&t, &off, 0),
            Plan {
                remind_at: None,
                overdue_at: Some(10 * H)
            }
        );
        assert!(!should_notify(Notice::Overdue, &off));
        assert!(should_notify(Notice::Remind, &off));
        assert!(should_notify(Notice::Overdue, &policy()));
    }

    #[test]
    fn once_per_due_time() {
        let mut t = task();
        t.due_ms = Some(10 * H);
        let payload = Payload {
            task: "g.1".into(),
            due_ms: 10 * H,
        };
        assert!(should_send(&t, Notice::Remind, &payload));
        mark_sent(&mut t, Notice::Remind, &payload, 9 * H);
        assert!(
            !should_send(&t, Notice::Remind, &payload),
            "a second delivery stays quiet"
        );
        // Reopening with the same due time does not plan the reminder again.
        assert_eq!(plan(&t, &policy(), 0).remind_at, None);
        // A new due time gets its own reminder.
        t.due_ms = Some(20 * H);
        assert_eq!(plan(&t, &policy(), 0).remind_at, Some(19 * H));
        // A timer set for the old due time is stale.
        assert!(!should_send(&t, Notice::Overdue, &payload));
        let fresh = Payload {
            task: "g.1".into(),
            due_ms: 20 * H,
        };
        assert!(should_send(&t, Notice::Overdue, &fresh));
        mark_sent(&mut t, Notice::Overdue, &fresh, 20 * H);
        assert!(!should_send(&t, Notice::Overdue, &fresh));
        t.status = Status::Done;
        t.overdue_for = None;
        assert!(
            !should_send(&t, Notice::Overdue, &fresh),
            "done tasks are never reminded"
        );
    }
}
