//! Tasks and people for the domain's tests.

use super::{Actor, Lang, NewTask, PersonRef, Task};

pub fn person(id: &str) -> PersonRef {
    PersonRef::new(id, id.to_uppercase())
}

/// Task #1 of group `g`, created by `creator` at 0, with nothing else.
pub fn task() -> Task {
    Task::new(
        1,
        "g",
        person("creator"),
        Lang::En,
        0,
        NewTask {
            title: "Send the quote".into(),
            ..NewTask::default()
        },
    )
    .unwrap()
}

/// A plain member of the group.
pub fn member(id: &str) -> Actor {
    Actor {
        person: person(id),
        member: true,
        admin: false,
        manager: false,
        members_may_update: false,
    }
}
