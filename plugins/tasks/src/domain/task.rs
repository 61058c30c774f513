//! A task: what it is, who may do what to it, and how each change applies.
//!
//! Every change goes through [`Task::apply`], which checks the actor's right, validates,
//! changes the task and records what happened. It is a pure function of the task, so a
//! change rerun on a fresher copy after losing a race (see `ops`) gives the same result as
//! if it had come second.

use serde::{Deserialize, Serialize};

use super::{Lang, Refusal};

pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 4000;
pub const MAX_ASSIGNEES: usize = 20;
pub const MAX_ITEMS: usize = 50;
pub const MAX_ITEM_TEXT: usize = 200;
pub const MAX_COMMENT: usize = 2000;
/// Comments kept on the task itself, for its card (all of them live in their own records).
pub const RECENT_COMMENTS: usize = 3;
/// Activity entries kept on the task, newest last.
pub const MAX_ACTIVITY: usize = 30;

/// A person as a task names them: their id and the name they had then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRef {
    pub id: String,
    pub name: String,
}

impl PersonRef {
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        PersonRef {
            id: id.into(),
            name: name.into(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Todo,
    InProgress,
    Blocked,
    Done,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Todo,
        Status::InProgress,
        Status::Blocked,
        Status::Done,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Status::Todo => "todo",
            Status::InProgress => "in_progress",
            Status::Blocked => "blocked",
            Status::Done => "done",
        }
    }

    /// The key, or a common word for it in either language.
    pub fn parse(text: &str) -> Option<Status> {
        let t = text.trim().to_lowercase();
        Some(match t.as_str() {
            "todo" | "to_do" | "open" | "待办" | "未开始" => Status::Todo,
            "in_progress" | "doing" | "started" | "进行中" => Status::InProgress,
            "blocked" | "受阻" | "阻塞" => Status::Blocked,
            "done" | "completed" | "closed" | "已完成" | "完成" => Status::Done,
            _ => return None,
        })
    }

    pub fn label(self, lang: Lang) -> String {
        match self {
            Status::Todo => lang.tr("To do", "待办"),
            Status::InProgress => lang.tr("In progress", "进行中"),
            Status::Blocked => lang.tr("Blocked", "受阻"),
            Status::Done => lang.tr("Done", "已完成"),
        }
    }

    pub fn is_open(self) -> bool {
        self != Status::Done
    }
}

/// P0 (urgent) to P3 (low); P2 unless said otherwise.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    P0,
    P1,
    #[default]
    P2,
    P3,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::P0, Priority::P1, Priority::P2, Priority::P3];

    pub fn key(self) -> &'static str {
        match self {
            Priority::P0 => "p0",
            Priority::P1 => "p1",
            Priority::P2 => "p2",
            Priority::P3 => "p3",
        }
    }

    /// `p0`–`p3`, or the word in either language.
    pub fn parse(text: &str) -> Option<Priority> {
        let t = text.trim().to_lowercase();
        Some(match t.as_str() {
            "p0" | "urgent" | "紧急" => Priority::P0,
            "p1" | "high" | "高" => Priority::P1,
            "p2" | "normal" | "medium" | "中" | "普通" => Priority::P2,
            "p3" | "low" | "低" => Priority::P3,
            _ => return None,
        })
    }

    pub fn label(self, lang: Lang) -> String {
        match self {
            Priority::P0 => lang.tr("P0 · Urgent", "P0 · 紧急"),
            Priority::P1 => lang.tr("P1 · High", "P1 · 高"),
            Priority::P2 => lang.tr("P2 · Normal", "P2 · 普通"),
            Priority::P3 => lang.tr("P3 · Low", "P3 · 低"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    /// Numbered from 1 in the order added; never reused within a task.
    pub id: u32,
    pub text: String,
    pub done: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub author: PersonRef,
    pub at_ms: i64,
    pub text: String,
}

/// What happened to a task, for its timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Happened {
    Created,
    Status { from: Status, to: Status },
    Assigned { names: Vec<String> },
    Unassigned { names: Vec<String> },
    Due { due_ms: Option<i64> },
    Priority { to: Priority },
    Renamed,
    Described,
    Checklist { done: usize, total: usize },
    Commented,
    Reminded,
    Overdue,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub at_ms: i64,
    /// The name of who did it; none for the plugin's own reminders.
    pub by: Option<String>,
    pub what: Happened,
}

/// A task as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// Per group, from 1: `#12`.
    pub number: u64,
    pub group_id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub status: Status,
    #[serde(default)]
    pub priority: Priority,
    #[serde(default)]
    pub assignees: Vec<PersonRef>,
    pub creator: PersonRef,
    pub created_ms: i64,
    /// When it is due, to the minute.
    #[serde(default)]
    pub due_ms: Option<i64>,
    #[serde(default)]
    pub checklist: Vec<ChecklistItem>,
    /// The id the next checklist item gets.
    #[serde(default = "one")]
    pub next_item: u32,
    /// How many comments it has (they are stored apart).
    #[serde(default)]
    pub comments: u32,
    #[serde(default)]
    pub recent_comments: Vec<Comment>,
    #[serde(default)]
    pub activity: Vec<Activity>,
    /// The message it was made from (a `/task` reply in that message's thread).
    #[serde(default)]
    pub source_message: Option<String>,
    /// Its card in the group.
    #[serde(default)]
    pub card_message: Option<String>,
    /// The language its group card is drawn in: its creator's.
    #[serde(default)]
    pub lang: Lang,
    /// The due time the early reminder went out for: once per due time.
    #[serde(default)]
    pub reminded_for: Option<i64>,
    /// The due time the overdue notice went out for: once per due time.
    #[serde(default)]
    pub overdue_for: Option<i64>,
    #[serde(default)]
    pub completed_ms: Option<i64>,
}

fn one() -> u32 {
    1
}

/// What a new task is made of (already resolved: people are members, the due time an
/// instant).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewTask {
    pub title: String,
    pub description: String,
    pub assignees: Vec<PersonRef>,
    pub due_ms: Option<i64>,
    pub priority: Priority,
    /// Item texts, and whether each is done already.
    pub checklist: Vec<(String, bool)>,
    pub source_message: Option<String>,
}

/// Who is acting on a task, and what they are in its group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub person: PersonRef,
    /// A member of the task's group.
    pub member: bool,
    /// An organization admin.
    pub admin: bool,
    /// A manager of the task's group (see `store::GroupConfig`).
    pub manager: bool,
    /// The group's `members_may_update` setting.
    pub members_may_update: bool,
}

/// What an actor may want to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Right {
    /// See it (cards, pages, the API).
    View,
    /// Change its status and checklist.
    Update,
    /// Change its title, description, assignees, due time and priority.
    Edit,
    Comment,
    /// Make oneself the assignee of an unassigned task.
    Take,
    Delete,
}

/// A change someone asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Status(Status),
    Take,
    Edit(Edit),
    /// Check or uncheck one item.
    Check {
        item: u32,
        done: bool,
    },
    /// Several checklist changes at once (the checklist form).
    Checklist {
        set: Vec<(u32, bool)>,
        add: Vec<String>,
        remove: Vec<u32>,
    },
    Comment(String),
}

impl Change {
    pub fn right(&self) -> Right {
        match self {
            Change::Status(_) | Change::Check { .. } | Change::Checklist { .. } => Right::Update,
            Change::Take => Right::Take,
            Change::Edit(_) => Right::Edit,
            Change::Comment(_) => Right::Comment,
        }
    }
}

/// Fields to change; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Edit {
    pub title: Option<String>,
    pub description: Option<String>,
    pub assignees: Option<Vec<PersonRef>>,
    /// `Some(None)` clears the due time.
    pub due_ms: Option<Option<i64>>,
    pub priority: Option<Priority>,
}

impl Edit {
    pub fn is_empty(&self) -> bool {
        self == &Edit::default()
    }
}

/// What a change did, for the effects that follow it (cards, timers, notices).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Whether the task changed at all (pressing "Done" twice changes it once).
    pub changed: bool,
    /// People who became assignees.
    pub added: Vec<PersonRef>,
    /// Whether the due time changed or the task opened or closed: reminders move.
    pub schedule: bool,
    /// Whether this change completed the task.
    pub completed: bool,
    /// The comment it added.
    pub comment: Option<Comment>,
}

/// A title: one line, trimmed, 1 to [`MAX_TITLE`] characters.
pub fn clean_title(text: &str) -> Result<String, Refusal> {
    let title = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match title.chars().count() {
        0 => Err(Refusal::NoTitle),
        n if n > MAX_TITLE => Err(Refusal::TitleTooLong),
        _ => Ok(title),
    }
}

pub fn clean_description(text: &str) -> Result<String, Refusal> {
    let text = text.trim();
    if text.chars().count() > MAX_DESCRIPTION {
        return Err(Refusal::DescriptionTooLong);
    }
    Ok(text.to_owned())
}

fn clean_item(text: &str) -> Result<Option<String>, Refusal> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > MAX_ITEM_TEXT {
        return Err(Refusal::ItemTooLong);
    }
    Ok((!text.is_empty()).then_some(text))
}

/// People without repeats, in the order first named, at most [`MAX_ASSIGNEES`].
fn distinct(people: Vec<PersonRef>) -> Result<Vec<PersonRef>, Refusal> {
    let mut out: Vec<PersonRef> = Vec::new();
    for p in people {
        if !out.iter().any(|q| q.id == p.id) {
            out.push(p);
        }
    }
    if out.len() > MAX_ASSIGNEES {
        return Err(Refusal::TooManyAssignees);
    }
    Ok(out)
}

impl Task {
    /// A new task, to do, created by `creator` now.
    pub fn new(
        number: u64,
        group_id: impl Into<String>,
        creator: PersonRef,
        lang: Lang,
        now: i64,
        new: NewTask,
    ) -> Result<Task, Refusal> {
        let mut task = Task {
            number,
            group_id: group_id.into(),
            title: clean_title(&new.title)?,
            description: clean_description(&new.description)?,
            status: Status::Todo,
            priority: new.priority,
            assignees: distinct(new.assignees)?,
            creator: creator.clone(),
            created_ms: now,
            due_ms: new.due_ms,
            checklist: Vec::new(),
            next_item: 1,
            comments: 0,
            recent_comments: Vec::new(),
            activity: Vec::new(),
            source_message: new.source_message,
            card_message: None,
            lang,
            reminded_for: None,
            overdue_for: None,
            completed_ms: None,
        };
        for (text, done) in new.checklist {
            if let Some(text) = clean_item(&text)? {
                task.push_item(text, done)?;
            }
        }
        task.log(now, Some(&creator.name), Happened::Created);
        Ok(task)
    }

    fn push_item(&mut self, text: String, done: bool) -> Result<(), Refusal> {
        if self.checklist.len() >= MAX_ITEMS {
            return Err(Refusal::TooManyItems);
        }
        self.checklist.push(ChecklistItem {
            id: self.next_item,
            text,
            done,
        });
        self.next_item += 1;
        Ok(())
    }

    /// `#12`.
    pub fn tag(&self) -> String {
        format!("#{}", self.number)
    }

    pub fn is_assignee(&self, person: &str) -> bool {
        self.assignees.iter().any(|p| p.id == person)
    }

    /// Its creator or one of its assignees.
    pub fn involves(&self, person: &str) -> bool {
        self.creator.id == person || self.is_assignee(person)
    }

    /// Items done, and items in all.
    pub fn progress(&self) -> (usize, usize) {
        (
            self.checklist.iter().filter(|i| i.done).count(),
            self.checklist.len(),
        )
    }

    /// Open and past its due time.
    pub fn is_overdue(&self, now: i64) -> bool {
        self.status.is_open() && self.due_ms.is_some_and(|d| d <= now)
    }

    /// Who hears about it when no one in particular acted: its assignees, or its creator
    /// when it has none.
    pub fn audience(&self) -> Vec<PersonRef> {
        if self.assignees.is_empty() {
            vec![self.creator.clone()]
        } else {
            self.assignees.clone()
        }
    }

    /// Whether `actor` may do `right` to this task.
    ///
    /// - everything needs membership of the task's group (or being an organization admin);
    /// - status and checklist: the task's assignees and creator, the group's managers,
    ///   organization admins — and every member when the group's `members_may_update`
    ///   setting says so;
    /// - title, description, assignees, due time, priority: assignees, creator, managers,
    ///   admins;
    /// - comments: every member;
    /// - taking an unassigned open task: every member;
    /// - deleting: the creator, managers and admins.
    pub fn may(&self, actor: &Actor, right: Right) -> bool {
        if !(actor.member || actor.admin) {
            return false;
        }
        let involved = self.involves(&actor.person.id);
        let leads = actor.manager || actor.admin;
        match right {
            Right::View | Right::Comment => true,
            Right::Update => involved || leads || actor.members_may_update,
            Right::Edit => involved || leads,
            Right::Take => actor.member,
            Right::Delete => self.creator.id == actor.person.id || leads,
        }
    }

    fn log(&mut self, at_ms: i64, by: Option<&str>, what: Happened) {
        self.activity.push(Activity {
            at_ms,
            by: by.map(str::to_owned),
            what,
        });
        if self.activity.len() > MAX_ACTIVITY {
            let extra = self.activity.len() - MAX_ACTIVITY;
            self.activity.drain(..extra);
        }
    }

    /// Applies a change by `actor` at `now`.
    pub fn apply(&mut self, actor: &Actor, change: &Change, now: i64) -> Result<Outcome, Refusal> {
        if !self.may(actor, change.right()) {
            return Err(Refusal::NotAllowed);
        }
        let by = Some(actor.person.name.as_str());
        let mut out = Outcome::default();
        match change {
            Change::Status(to) => {
                let from = self.status;
                if from == *to {
                    return Ok(out);
                }
                self.status = *to;
                self.completed_ms = (*to == Status::Done).then_some(now);
                self.log(now, by, Happened::Status { from, to: *to });
                out.schedule = from.is_open() != to.is_open();
                out.completed = *to == Status::Done;
            }
            Change::Take => {
                if self.is_assignee(&actor.person.id) {
                    return Ok(out);
                }
                if !self.status.is_open() {
                    return Err(Refusal::TaskDone);
                }
                if !self.assignees.is_empty() {
                    return Err(Refusal::AlreadyAssigned);
                }
                self.assignees.push(actor.person.clone());
                self.log(
                    now,
                    by,
                    Happened::Assigned {
                        names: vec![actor.person.name.clone()],
                    },
                );
                out.added.push(actor.person.clone());
            }
            Change::Edit(edit) => {
                if !self.edit(edit, by, now, &mut out)? {
                    return Ok(out);
                }
            }
            Change::Check { item, done } => {
                let it = self
                    .checklist
                    .iter_mut()
                    .find(|i| i.id == *item)
                    .ok_or(Refusal::NoSuchItem(*item))?;
                if it.done == *done {
                    return Ok(out);
                }
                it.done = *done;
                self.log_checklist(now, by);
            }
            Change::Checklist { set, add, remove } => {
                let before = self.checklist.clone();
                for (item, done) in set {
                    if let Some(it) = self.checklist.iter_mut().find(|i| i.id == *item) {
                        it.done = *done;
                    }
                }
                self.checklist.retain(|i| !remove.contains(&i.id));
                for text in add {
                    if let Some(text) = clean_item(text)? {
                        self.push_item(text, false)?;
                    }
                }
                if self.checklist == before {
                    return Ok(out);
                }
                self.log_checklist(now, by);
            }
            Change::Comment(text) => {
                let text = text.trim();
                if text.is_empty() {
                    return Err(Refusal::EmptyComment);
                }
                if text.chars().count() > MAX_COMMENT {
                    return Err(Refusal::CommentTooLong);
                }
                let comment = Comment {
                    author: actor.person.clone(),
                    at_ms: now,
                    text: text.to_owned(),
                };
                self.comments += 1;
                self.recent_comments.push(comment.clone());
                if self.recent_comments.len() > RECENT_COMMENTS {
                    self.recent_comments.remove(0);
                }
                self.log(now, by, Happened::Commented);
                out.comment = Some(comment);
            }
        }
        out.changed = true;
        Ok(out)
    }

    fn log_checklist(&mut self, now: i64, by: Option<&str>) {
        let (done, total) = self.progress();
        self.log(now, by, Happened::Checklist { done, total });
    }

    /// Applies the fields of `edit` that differ; whether any did.
    fn edit(
        &mut self,
        edit: &Edit,
        by: Option<&str>,
        now: i64,
        out: &mut Outcome,
    ) -> Result<bool, Refusal> {
        // Validate everything before changing anything.
        let title = edit.title.as_deref().map(clean_title).transpose()?;
        let description = edit
            .description
            .as_deref()
            .map(clean_description)
            .transpose()?;
        let assignees = edit.assignees.clone().map(distinct).transpose()?;
        let mut changed = false;
        if let Some(title) = title.filter(|t| *t != self.title) {
            self.title = title;
            self.log(now, by, Happened::Renamed);
            changed = true;
        }
        if let Some(description) = description.filter(|d| *d != self.description) {
            self.description = description;
            self.log(now, by, Happened::Described);
            changed = true;
        }
        if let Some(assignees) = assignees.filter(|a| *a != self.assignees) {
            let added: Vec<PersonRef> = assignees
                .iter()
                .filter(|p| !self.is_assignee(&p.id))
                .cloned()
                .collect();
            let removed: Vec<String> = self
                .assignees
                .iter()
                .filter(|p| !assignees.iter().any(|q| q.id == p.id))
                .map(|p| p.name.clone())
                .collect();
            if !added.is_empty() {
                let names = added.iter().map(|p| p.name.clone()).collect();
                self.log(now, by, Happened::Assigned { names });
            }
            if !removed.is_empty() {
                self.log(now, by, Happened::Unassigned { names: removed });
            }
            self.assignees = assignees;
            out.added = added;
            changed = true;
        }
        if let Some(due) = edit.due_ms.filter(|d| *d != self.due_ms) {
            self.due_ms = due;
            self.log(now, by, Happened::Due { due_ms: due });
            out.schedule = true;
            changed = true;
        }
        if let Some(priority) = edit.priority.filter(|p| *p != self.priority) {
            self.priority = priority;
            self.log(now, by, Happened::Priority { to: priority });
            changed = true;
        }
        Ok(changed)
    }

    /// Records that the plugin reminded people or told them the task is overdue.
    pub fn log_notice(&mut self, now: i64, what: Happened) {
        self.log(now, None, what);
    }
}

#[cfg(test)]
mod tests;
