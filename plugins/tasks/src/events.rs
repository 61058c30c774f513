//! Messages as a source of tasks and comments.
//!
//! The contract has no "message action" a plugin could add to a message's menu, and a
//! command does not know which message it was typed under: clients send `/…` typed in a
//! thread as an ordinary reply. So the plugin listens to `message.created`:
//!
//! - a reply in any message's thread that starts with `/task` makes a task from that
//!   message (the rest is the quick syntax); the task links to the message (`source`) and
//!   the plugin answers in the thread;
//! - any other reply in the thread of a task's card becomes a comment on the task.

use courtyard_sdk::prelude::*;
use serde::Deserialize;

use crate::domain::parse::{Command, parse_command, parse_quick};
use crate::domain::task::MAX_COMMENT;
use crate::domain::{Change, Comment};
use crate::flows;
use crate::ops::{self, Via, Who};
use crate::store;

/// The parts of a `message.created` event this plugin reads.
#[derive(Debug, Deserialize)]
struct Posted {
    id: String,
    group_id: String,
    #[serde(default)]
    thread_root_id: Option<String>,
    #[serde(default)]
    body: String,
    #[serde(default)]
    plugin_id: Option<String>,
    #[serde(default)]
    deleted: bool,
    #[serde(default)]
    anonymous: bool,
}

/// The text after `/task` if the body is that command.
fn task_command(body: &str) -> Option<&str> {
    let rest = body.trim_start().strip_prefix("/task")?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace)).then_some(rest.trim())
}

pub fn event(ctx: &Context, event: &Event) {
    if event.kind != "message.created" {
        return;
    }
    let Ok(posted) = Posted::deserialize(&event.data) else {
        return;
    };
    // The plugin's own messages, anonymous posts (no one to act as) and top-level messages
    // are not for it.
    if posted.plugin_id.is_some() || posted.deleted || posted.anonymous || ctx.actor.is_none() {
        return;
    }
    let Some(root) = posted.thread_root_id.clone() else {
        return;
    };
    let Ok(who) = Who::of(ctx) else {
        return;
    };
    match task_command(&posted.body) {
        Some(rest) => from_thread(&who, &posted, &root, rest),
        None => comment_from_thread(&who, &posted, &root),
    }
}

fn say(root: &str, text: &str) {
    if let Err(e) = messages::reply(root, text, None) {
        log::warn(&format!("could not answer in a thread: {e}"));
    }
}

/// `/task …` in a message's thread: a task made from that message.
fn from_thread(who: &Who, posted: &Posted, root: &str, rest: &str) {
    let made = match parse_command(rest) {
        Command::Create(text) => parse_quick(&text)
            .map_err(|r| who.refuse(r))
            .and_then(|q| flows::resolve_quick(who, &posted.group_id, q, Some(root.to_owned())))
            .and_then(|new| ops::create(who, &posted.group_id, new)),
        _ => Err(Error::user(who.tr(
            "In a thread, write /task and a title (with @people, due:… and p0–p3 if you like) to make a task from this message",
            "在话题中写 /task 加标题（可带 @负责人、due:截止时间、p0–p3），即可由这条消息创建任务",
        ))),
    };
    match made {
        Ok(task) => say(
            root,
            &who.tr(
                format!(
                    "📌 {} — the task's card is in the group",
                    flows::created_text(who, &task)
                ),
                format!("📌 {}，任务卡片已发到群里", flows::created_text(who, &task)),
            ),
        ),
        Err(e) => say(root, &format!("⚠️ {}", e.message)),
    }
}

/// A reply in the thread of a task's card: a comment on the task, once per message.
fn comment_from_thread(who: &Who, posted: &Posted, root: &str) {
    let Ok(Some(task)) = store::task_of_card(root) else {
        return;
    };
    if task.group_id != posted.group_id {
        return;
    }
    let text: String = posted.body.trim().chars().take(MAX_COMMENT).collect();
    if text.is_empty() {
        return;
    }
    let comment = Comment {
        author: who.person.clone(),
        at_ms: clock::now_ms(),
        text: text.clone(),
    };
    // The message id as the comment's id: a second delivery of the event finds it.
    match store::comments(&task.id).create(&posted.id, comment, Vec::new()) {
        Ok(_) => {}
        Err(e) if e.is_conflict() => return,
        Err(e) => {
            log::warn(&format!("could not keep a comment on {}: {e}", task.id));
            return;
        }
    }
    if let Err(e) = ops::change(
        who,
        &task.id,
        &Change::Comment(text),
        Via { from_thread: true },
    ) {
        log::warn(&format!(
            "a reply to {} did not become a comment: {e}",
            task.id
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::task_command;

    #[test]
    fn only_task_commands() {
        assert_eq!(task_command("/task Fix it"), Some("Fix it"));
        assert_eq!(task_command("  /task\nline"), Some("line"));
        assert_eq!(task_command("/task"), Some(""));
        assert_eq!(task_command("/tasks"), None);
        assert_eq!(task_command("see /task"), None);
    }
}
