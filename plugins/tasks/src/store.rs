//! What the plugin keeps.
//!
//! Records (versioned; every write names the version it read):
//! - `tasks` — one per task, id `{group}.{number}`, linked `group` → its group, `creator`
//!   and `assignee` → people, `card` → its card in the group, `source` → the message it was
//!   made from;
//! - `comments.{task}` — a task's comments, one record each (a comment taken from a reply in
//!   the card's thread has that message's id, so a second delivery of the event adds
//!   nothing);
//! - `counters` — the next task number of each group (id = the group);
//! - `groups` — each group's managers and settings, written when the plugin is enabled
//!   there (id = the group).
//!
//! Key-value storage (organization-wide): `lang.{person}` (the language a person last used,
//! for reminders that reach them when no one is acting) and `view.{group}.{person}` (the
//! filters a person saved for the list and board pages).

use courtyard_sdk::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::parse::parse_time_of_day;
use crate::domain::schedule::Policy;
use crate::domain::{Comment, Lang, Task};

pub const TASKS: Collection<Task> = Collection::new("tasks");
pub const COUNTERS: Collection<Counter> = Collection::new("counters");
pub const GROUPS: Collection<GroupConfig> = Collection::new("groups");

/// The most tasks a page, view or list reads.
pub const MAX_TASKS: usize = 1000;
/// The most comments the task page shows.
pub const MAX_COMMENTS: usize = 200;

/// The comments of one task.
pub fn comments(task_id: &str) -> Collection<Comment> {
    Collection::named(format!("comments.{task_id}"))
}

/// A task's id: its group and number.
pub fn task_id(group_id: &str, number: u64) -> String {
    format!("{group_id}.{number}")
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Counter {
    pub next: u64,
}

/// A group's settings, as the host validated them against the manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    #[serde(default = "default_lead")]
    pub remind_before_minutes: f64,
    #[serde(default = "yes")]
    pub overdue_reminder: bool,
    #[serde(default = "default_time")]
    pub default_due_time: String,
    #[serde(default)]
    pub members_may_update: bool,
}

fn default_lead() -> f64 {
    60.0
}

fn yes() -> bool {
    true
}

fn default_time() -> String {
    "18:00".into()
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            remind_before_minutes: default_lead(),
            overdue_reminder: true,
            default_due_time: default_time(),
            members_may_update: false,
        }
    }
}

impl Settings {
    /// The settings of a call, or the defaults where they do not read.
    pub fn of(ctx: &Context) -> Settings {
        ctx.settings().unwrap_or_default()
    }

    pub fn policy(&self) -> Policy {
        let minutes = self.remind_before_minutes.clamp(0.0, 60.0 * 24.0 * 30.0);
        Policy {
            lead_ms: (minutes * 60_000.0) as i64,
            overdue: self.overdue_reminder,
        }
    }

    /// The time of day a bare date is due at, minutes after midnight (18:00 if unreadable).
    pub fn default_minutes(&self) -> u32 {
        parse_time_of_day(&self.default_due_time).unwrap_or(18 * 60)
    }
}

/// What the plugin knows of a group beyond its membership.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GroupConfig {
    /// People who enabled the plugin in the group: the host lets only the group's owners
    /// and admins (or organization admins) do that, so they manage its tasks.
    #[serde(default)]
    pub managers: Vec<String>,
    #[serde(default)]
    pub settings: Settings,
}

/// A group's configuration (defaults if the plugin never heard of it).
pub fn group_config(group_id: &str) -> Result<GroupConfig> {
    Ok(GROUPS.get(group_id)?.map(|r| r.value).unwrap_or_default())
}

/// Remembers who enabled the plugin in a group, and its settings there.
pub fn record_enabled(group_id: &str, person: Option<&str>, settings: Settings) -> Result<()> {
    for _ in 0..10 {
        let mut record = match GROUPS.get(group_id)? {
            Some(r) => r,
            None => Versioned::new(group_id, GroupConfig::default())
                .with_link(Link::group("group", group_id)),
        };
        if let Some(p) = person
            && !record.managers.iter().any(|m| m == p)
        {
            record.managers.push(p.to_owned());
        }
        record.settings = settings.clone();
        match GROUPS.save(&mut record) {
            Err(e) if e.is_conflict() => continue,
            other => return other,
        }
    }
    Err(Error::from(courtyard_sdk::HostError::Conflict))
}

/// The next task number of a group: a versioned counter, so two tasks created at the same
/// moment get different numbers.
pub fn next_number(group_id: &str) -> Result<u64> {
    for _ in 0..20 {
        match COUNTERS.get(group_id)? {
            None => match COUNTERS.create(group_id, Counter { next: 2 }, Vec::new()) {
                Ok(_) => return Ok(1),
                Err(e) if e.is_conflict() => continue,
                Err(e) => return Err(e),
            },
            Some(mut record) => {
                let n = record.next.max(1);
                record.next = n + 1;
                match COUNTERS.save(&mut record) {
                    Ok(()) => return Ok(n),
                    Err(e) if e.is_conflict() => continue,
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Err(Error::from(courtyard_sdk::HostError::Conflict))
}

/// The links a task's record carries (the host allows 50; a task has at most 20
/// assignees).
pub fn links(task: &Task) -> Vec<Link> {
    let mut links = vec![
        Link::group("group", &task.group_id),
        Link::person("creator", &task.creator.id),
    ];
    links.extend(
        task.assignees
            .iter()
            .map(|p| Link::person("assignee", &p.id)),
    );
    if let Some(m) = &task.card_message {
        links.push(Link::message("card", m));
    }
    if let Some(m) = &task.source_message {
        links.push(Link::message("source", m));
    }
    links
}

/// The tasks of a group, newest change first.
pub fn group_tasks(group_id: &str) -> Result<Vec<Versioned<Task>>> {
    TASKS.find_all("group", &Target::group(group_id), MAX_TASKS)
}

/// The task whose card is `message_id`, if any.
pub fn task_of_card(message_id: &str) -> Result<Option<Versioned<Task>>> {
    Ok(TASKS
        .find("card", &Target::message(message_id), None, 1)?
        .items
        .into_iter()
        .next())
}

fn lang_key(person: &str) -> String {
    format!("lang.{person}")
}

/// The language a person last used here.
pub fn lang_of(person: &str) -> Option<Lang> {
    storage::get_json(&lang_key(person), false).ok().flatten()
}

/// Remembers a person's language when it changed (reminders reach them with no one acting,
/// so with no language of the call to go by).
pub fn remember_lang(person: &str, lang: Lang) {
    if lang_of(person) != Some(lang)
        && let Err(e) = storage::set_json(&lang_key(person), &lang, false, None)
    {
        log::warn(&format!("could not remember a language: {e}"));
    }
}

fn view_key(group: &str, person: &str) -> String {
    format!("view.{group}.{person}")
}

/// The query string a person saved for a group's views.
pub fn saved_view(group: &str, person: &str) -> Option<String> {
    storage::get_json(&view_key(group, person), false)
        .ok()
        .flatten()
}

pub fn save_view(group: &str, person: &str, query: &str) -> Result<()> {
    if query.is_empty() {
        storage::delete(&view_key(group, person), false)?;
        return Ok(());
    }
    storage::set_json(&view_key(group, person), &query, false, None)
}
