//! Tasks (任务): tasks created from a command, a form or a message's thread, with
//! assignees, a due time, a priority, a checklist and comments; a card per task in its
//! group, redrawn in place on every change; reminders before the due time and when
//! overdue, each once per due time; a board, a list and "my tasks" across groups.
//!
//! `domain` is plain Rust (the task and its rules, the quick syntax, reminders, merging
//! concurrent form edits, views); `store` keeps it in records; `ops` runs operations
//! against the host and carries out what follows a change; `cards` and `forms` draw;
//! `flows` answers `/task`, buttons and forms; `pages`, `routes` and `events` answer pages,
//! the HTTP API and messages in threads.

pub mod cards;
pub mod domain;
pub mod events;
pub mod flows;
pub mod forms;
pub mod ops;
pub mod pages;
pub mod routes;
pub mod store;

use courtyard_sdk::prelude::*;
use courtyard_sdk::{Request, Response};

use crate::ops::Who;

pub struct Tasks;

impl Plugin for Tasks {
    fn command(ctx: &Context, name: &str, args: &Args) -> Result<Reply> {
        match name {
            "task" => flows::command(ctx, args),
            other => Err(Error::user(format!(
                "Unknown command /{other} / 未知命令 /{other}"
            ))),
        }
    }

    fn action(ctx: &Context, action: &Action) -> Result<ActionReply> {
        flows::action(ctx, action)
    }

    fn event(ctx: &Context, event: &Event) {
        events::event(ctx, event)
    }

    fn page(ctx: &Context, page: &str, query: &Query) -> Result<Page> {
        let who = Who::of(ctx)?;
        store::remember_lang(&who.person.id, who.lang);
        match page {
            "board" => pages::board(&who, query),
            "list" => pages::list(&who, query),
            "mine" => pages::mine(&who),
            "task" => pages::task(&who, query),
            other => Err(Error::not_found(who.tr(
                format!("There is no page `{other}`"),
                format!("没有页面 `{other}`"),
            ))),
        }
    }

    fn http(ctx: &Context, request: &Request) -> Response {
        routes::route(ctx, request)
    }

    /// `remind.{task}` and `overdue.{task}`: see `domain::schedule`.
    fn timer(_ctx: &Context, timer: &Timer) -> Result<()> {
        ops::fire(timer)
    }

    /// Enabling the plugin in a group records who did it (a manager of the group's tasks)
    /// and the group's settings, which calls from elsewhere (a direct conversation, a
    /// timer) then read.
    fn lifecycle(ctx: &Context, stage: Lifecycle) -> Result<()> {
        if stage == Lifecycle::Enabled
            && let Some(group) = &ctx.group_id
        {
            let settings = store::Settings::of(ctx);
            if let Err(e) = store::record_enabled(group, ctx.actor_id(), settings) {
                log::warn(&format!("could not record the group's settings: {e}"));
            }
        }
        Ok(())
    }
}

courtyard_sdk::plugin!(Tasks);
