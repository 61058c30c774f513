//! The tasks domain, in plain Rust without host calls: tasks and who may change them
//! (`task`), the quick command syntax and due times (`parse`), when reminders fire
//! (`schedule`), merging a form's changes into a task someone else changed meanwhile
//! (`merge`), and the filters and orders of views (`view`).

pub mod lang;
pub mod merge;
pub mod parse;
pub mod refusal;
pub mod schedule;
pub mod task;
#[cfg(test)]
pub mod testkit;
pub mod view;

pub use lang::Lang;
pub use refusal::Refusal;
pub use task::{
    Activity, Actor, Change, ChecklistItem, Comment, Edit, Happened, NewTask, Outcome, PersonRef,
    Priority, Right, Status, Task,
};
