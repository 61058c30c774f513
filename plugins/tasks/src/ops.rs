//! Every operation on tasks, against the host: who is acting, creating a task, changing one
//! (versioned writes, rerun on a fresher copy when someone wrote first), and what follows a
//! change — the card in the group redrawn, reminders moved, people told.

use courtyard_sdk::prelude::*;

use crate::cards;
use crate::domain::schedule::{self, Notice, Payload};
use crate::domain::{Actor, Change, Lang, NewTask, Outcome, PersonRef, Refusal, Right, Task};
use crate::store::{self, Settings, TASKS};

/// How often a change is tried again after losing a race.
const RETRIES: usize = 10;

/// The person acting, and where.
#[derive(Clone, Debug)]
pub struct Who {
    pub person: PersonRef,
    pub lang: Lang,
    /// An administrator of the plugin's organization (not a guest, not a partner's person).
    pub admin: bool,
    /// The group of the call: where a command ran, a card or page was, or `?group_id=`.
    pub group_id: Option<String>,
    /// The settings of the call's group.
    pub settings: Settings,
}

impl Who {
    pub fn of(ctx: &Context) -> Result<Who> {
        let actor = ctx.person()?;
        Ok(Who {
            person: PersonRef::new(&actor.id, &actor.display_name),
            lang: Lang::from_locale(ctx.locale()),
            admin: ctx.is_admin() && !ctx.is_partner(),
            group_id: ctx.group_id.clone(),
            settings: Settings::of(ctx),
        })
    }

    pub fn tr(&self, en: impl Into<String>, zh: impl Into<String>) -> String {
        self.lang.tr(en, zh)
    }

    /// A domain refusal as an error shown to this person (`Denied` when they may not).
    pub fn refuse(&self, r: Refusal) -> Error {
        match r {
            Refusal::NotAllowed => Error::new(ErrorKind::Denied, r.text(self.lang)),
            r => Error::user(r.text(self.lang)),
        }
    }

    pub fn group(&self) -> Result<&str> {
        self.group_id
            .as_deref()
            .ok_or_else(|| Error::user(self.tr("This works inside a group only", "只能在群里使用")))
    }

    /// The settings of `group`: the call's own when it is that group, else what the plugin
    /// recorded when it was enabled there.
    pub fn settings_of(&self, group: &str) -> Settings {
        if self.group_id.as_deref() == Some(group) {
            self.settings.clone()
        } else {
            store::group_config(group)
                .map(|c| c.settings)
                .unwrap_or_default()
        }
    }

    /// The person as the domain sees them for a task of `group`.
    pub fn actor(&self, group: &str) -> Actor {
        let member = groups::is_member(group, &self.person.id).unwrap_or(false);
        let config = store::group_config(group).unwrap_or_default();
        Actor {
            person: self.person.clone(),
            member,
            admin: self.admin,
            manager: config.managers.contains(&self.person.id),
            members_may_update: self.settings_of(group).members_may_update,
        }
    }

    /// "Not found" in this person's language.
    pub fn no_task(&self, what: &str) -> Error {
        Error::not_found(self.tr(
            format!("There is no task {what} (it may have been deleted)"),
            format!("没有任务 {what}（可能已被删除）"),
        ))
    }
}

/// Reads a task the person may see.
pub fn load_visible(who: &Who, id: &str) -> Result<(Versioned<Task>, Actor)> {
    let task = TASKS.get(id)?.ok_or_else(|| who.no_task(id))?;
    let actor = who.actor(&task.group_id);
    if !task.may(&actor, Right::View) {
        // Not "forbidden": whether a task exists is itself for its group only.
        return Err(who.no_task(id));
    }
    Ok((task, actor))
}

/// The members of a group as people tasks can name.
pub fn members(group: &str) -> Result<Vec<PersonRef>> {
    Ok(groups::members(group)?
        .into_iter()
        .map(|p| PersonRef::new(p.id, p.display_name))
        .collect())
}

/// People by id, each a member of `group` (refused otherwise), with their names.
pub fn resolve_people(who: &Who, group: &str, ids: &[String]) -> Result<Vec<PersonRef>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let members = members(group)?;
    ids.iter()
        .map(|id| {
            members
                .iter()
                .find(|m| m.id == *id)
                .cloned()
                .ok_or_else(|| {
                    let name = people::get(id)
                        .map(|p| p.display_name)
                        .unwrap_or_else(|_| id.clone());
                    who.refuse(Refusal::NotMember(name))
                })
        })
        .collect()
}

/// Creates a task in `group`: its number, its card, its reminders, and a notice to each
/// assignee other than its creator.
pub fn create(who: &Who, group: &str, new: NewTask) -> Result<Versioned<Task>> {
    let now = clock::now_ms();
    let mut number = store::next_number(group)?;
    // A number whose record exists (counters are never reset, but be safe) is skipped.
    for _ in 0..5 {
        if TASKS.get(&store::task_id(group, number))?.is_none() {
            break;
        }
        number = store::next_number(group)?;
    }
    let mut task = Task::new(number, group, who.person.clone(), who.lang, now, new)
        .map_err(|r| who.refuse(r))?;
    let id = store::task_id(group, number);
    // The card first: its buttons need only the id, and the record then names its card
    // from its first version on.
    task.card_message = Some(messages::post_card(
        group,
        cards::task_card(&id, &task, now),
    )?);
    let links = store::links(&task);
    let record = TASKS.create(&id, task, links)?;
    let settings = who.settings_of(group);
    apply_schedule(who.group_id.as_deref(), &id, &record, &settings);
    let outcome = Outcome {
        changed: true,
        added: record.assignees.clone(),
        ..Outcome::default()
    };
    notify(who, &id, &record, &outcome);
    Ok(record)
}

/// What a change left: the task as written, and what the change did.
pub struct Changed {
    pub task: Versioned<Task>,
    pub outcome: Outcome,
}

/// How a change came about, for what follows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Via {
    /// A comment taken from the card's thread: not echoed back into it.
    pub from_thread: bool,
}

/// Applies `change` to task `id` as `who`: read, apply, write at the version read; if
/// someone wrote first, read again and apply again, so both changes are kept. Nothing is
/// written when the change changes nothing (pressing "Done" twice).
pub fn change(who: &Who, id: &str, change: &Change, via: Via) -> Result<Changed> {
    change_all(who, id, std::slice::from_ref(change), via, None)
}

/// Applies several changes in one write. With `expected`, the write happens only at that
/// version: a task changed since is a [`ErrorKind::Conflict`] error instead of a retry (the
/// API's optimistic concurrency, where the client decides what to do).
pub fn change_all(
    who: &Who,
    id: &str,
    changes: &[Change],
    via: Via,
    expected: Option<u64>,
) -> Result<Changed> {
    let mut actor: Option<Actor> = None;
    for _ in 0..RETRIES {
        let mut record = TASKS.get(id)?.ok_or_else(|| who.no_task(id))?;
        let actor = actor.get_or_insert_with(|| who.actor(&record.group_id));
        if !record.may(actor, Right::View) {
            return Err(who.no_task(id));
        }
        if expected.is_some_and(|v| v != record.version) {
            return Err(conflict(who, record.version));
        }
        let now = clock::now_ms();
        let mut outcome = Outcome::default();
        for change in changes {
            let one = record
                .value
                .apply(actor, change, now)
                .map_err(|r| who.refuse(r))?;
            merge(&mut outcome, one);
        }
        if !outcome.changed {
            return Ok(Changed {
                task: record,
                outcome,
            });
        }
        record.links = store::links(&record.value);
        match TASKS.save(&mut record) {
            Ok(()) => {
                after_change(who, id, &record, &outcome, via);
                return Ok(Changed {
                    task: record,
                    outcome,
                });
            }
            Err(e) if e.is_conflict() && expected.is_some() => {
                let now = TASKS.get(id)?.map(|r| r.version).unwrap_or_default();
                return Err(conflict(who, now));
            }
            Err(e) if e.is_conflict() => {
                log::debug(&format!(
                    "{id}: someone wrote first; applying the change again"
                ));
                continue;
            }
            Err(e) => return Err(e),
        }
    }
    Err(Error::user(who.tr(
        "Too many people are changing this task right now; try again",
        "太多人同时在修改这个任务，请稍后再试",
    )))
}

fn conflict(who: &Who, version: u64) -> Error {
    Error::new(
        ErrorKind::Conflict,
        who.tr(
            format!("Someone changed this task first (it is now at version {version}); read it again and retry"),
            format!("有人先修改了这个任务（当前版本 {version}），请重新读取后再试"),
        ),
    )
}

fn merge(into: &mut Outcome, one: Outcome) {
    into.changed |= one.changed;
    into.schedule |= one.schedule;
    into.completed |= one.completed;
    for p in one.added {
        if !into.added.iter().any(|q| q.id == p.id) {
            into.added.push(p);
        }
    }
    if one.comment.is_some() {
        into.comment = one.comment;
    }
}

fn after_change(who: &Who, id: &str, task: &Versioned<Task>, outcome: &Outcome, via: Via) {
    sync_card(id);
    if outcome.schedule {
        apply_schedule(
            who.group_id.as_deref(),
            id,
            task,
            &who.settings_of(&task.group_id),
        );
    }
    notify(who, id, task, outcome);
    if let (Some(comment), Some(card), false) =
        (&outcome.comment, &task.card_message, via.from_thread)
    {
        let text = format!("💬 {}: {}", comment.author.name, comment.text);
        if let Err(e) = messages::reply(card, &text, None) {
            log::warn(&format!(
                "could not post a comment in the thread of {id}: {e}"
            ));
        }
    }
    if let Some(comment) = &outcome.comment
        && !via.from_thread
        && let Err(e) = store::comments(id).insert(comment.clone(), Vec::new())
    {
        log::warn(&format!("could not keep a comment of {id}: {e}"));
    }
}

/// Tells people what a change means for them: new assignees get the task in their direct
/// conversation with the plugin; the creator hears when someone else completes it.
fn notify(who: &Who, id: &str, task: &Task, outcome: &Outcome) {
    let now = clock::now_ms();
    for person in outcome.added.iter().filter(|p| p.id != who.person.id) {
        let lang = store::lang_of(&person.id).unwrap_or(task.lang);
        let card = cards::notice_card(
            id,
            task,
            cards::Notice::Assigned(&who.person.name),
            lang,
            now,
        );
        if let Err(e) = messages::send_card(&person.id, card) {
            log::warn(&format!("could not tell {} about {id}: {e}", person.id));
        }
    }
    if outcome.completed && task.creator.id != who.person.id {
        let lang = store::lang_of(&task.creator.id).unwrap_or(task.lang);
        let card = cards::notice_card(
            id,
            task,
            cards::Notice::Completed(&who.person.name),
            lang,
            now,
        );
        if let Err(e) = messages::send_card(&task.creator.id, card) {
            log::warn(&format!("could not tell the creator of {id}: {e}"));
        }
    }
}

/// Redraws the task's card from the stored task. Two changes at once may redraw in either
/// order, so after drawing it reads the task again and draws once more if it moved on:
/// the card ends up showing the last write. Each extra round needs another write in
/// between, so the rounds are bounded by the writes racing this one; the cap is generous
/// because a caller that gave up early while others still wrote could leave its stale
/// drawing last (seen with ten changes at once on a loaded machine and a cap of 4).
pub fn sync_card(id: &str) {
    const MAX_ROUNDS: usize = 64;
    for _ in 0..MAX_ROUNDS {
        let Ok(Some(record)) = TASKS.get(id) else {
            return;
        };
        let Some(message) = record.card_message.clone() else {
            return;
        };
        let card = cards::task_card(id, &record, clock::now_ms());
        if let Err(e) = messages::update_card(&message, card) {
            log::warn(&format!("could not update the card of {id}: {e}"));
            return;
        }
        match TASKS.get(id) {
            Ok(Some(again)) if again.version != record.version => continue,
            _ => return,
        }
    }
    log::warn(&format!(
        "the card of {id} kept changing while it was redrawn; it may lag until the next change"
    ));
}

/// Sets or cancels the task's two reminder timers to match its due time and status. The
/// keys are stable, so setting one again replaces it.
///
/// A timer remembers the group of the call that set it, and the host drops a timer whose
/// group no longer has the plugin enabled — including a person's direct conversation with
/// the plugin, where it never is. So timers are only set from calls in the task's own group
/// or in no group (the API without `?group_id=`); elsewhere they are only cancelled, and
/// the buttons that could move a due time are not offered there.
pub fn apply_schedule(call_group: Option<&str>, id: &str, task: &Task, settings: &Settings) {
    let plan = schedule::plan(task, &settings.policy(), clock::now_ms());
    let may_set = call_group.is_none_or(|g| g == task.group_id);
    for notice in Notice::ALL {
        let key = notice.key(id);
        let result = match (plan.at(notice), task.due_ms) {
            (Some(at), Some(due_ms)) if may_set => timers::set(
                &key,
                at,
                &Payload {
                    task: id.to_owned(),
                    due_ms,
                },
            )
            .map(|_| ()),
            (Some(_), _) => {
                log::warn(&format!(
                    "not setting `{key}` from outside the task's group; it fires from the last change made there"
                ));
                Ok(())
            }
            (None, _) => timers::cancel(&key).map(|_| ()),
        };
        if let Err(e) = result {
            log::warn(&format!("could not schedule `{key}`: {e}"));
        }
    }
}

/// A reminder timer came due: claim it on the task (a versioned write naming the due time
/// it was for), then tell the task's people (the overdue notice only where the group wants
/// it) and redraw the card. A second delivery, a timer for a due time
/// since changed, or one for a finished task finds nothing to do.
pub fn fire(timer: &Timer) -> Result<()> {
    let Some((notice, id)) = Notice::from_key(&timer.name) else {
        log::warn(&format!("an unknown timer `{}` came due", timer.name));
        return Ok(());
    };
    let payload: Payload = timer.payload_as()?;
    let now = clock::now_ms();
    let mut claimed = None;
    for _ in 0..RETRIES {
        let Some(mut record) = TASKS.get(id)? else {
            return Ok(());
        };
        if !schedule::should_send(&record, notice, &payload) {
            log::info(&format!("`{}`: nothing to send for {id}", timer.name));
            return Ok(());
        }
        schedule::mark_sent(&mut record.value, notice, &payload, now);
        match TASKS.save(&mut record) {
            Ok(()) => {
                claimed = Some(record);
                break;
            }
            Err(e) if e.is_conflict() => continue,
            Err(e) => return Err(e),
        }
    }
    let Some(task) = claimed else {
        return Err(Error::from(courtyard_sdk::HostError::Conflict));
    };
    let which = match notice {
        Notice::Remind => cards::Notice::DueSoon,
        Notice::Overdue => cards::Notice::Overdue,
    };
    let policy = store::group_config(&task.group_id)
        .map(|c| c.settings)
        .unwrap_or_default()
        .policy();
    let audience = if schedule::should_notify(notice, &policy) {
        task.audience()
    } else {
        Vec::new()
    };
    for person in audience {
        let lang = store::lang_of(&person.id).unwrap_or(task.lang);
        let card = cards::notice_card(id, &task, which, lang, now);
        if let Err(e) = messages::send_card(&person.id, card) {
            log::warn(&format!("could not remind {} of {id}: {e}", person.id));
        }
    }
    sync_card(id);
    Ok(())
}

/// Deletes a task (its creator, the group's managers, organization admins): its record,
/// comments and reminders go; its card says it was deleted.
pub fn delete(who: &Who, id: &str) -> Result<Task> {
    let (record, actor) = load_visible(who, id)?;
    if !record.may(&actor, Right::Delete) {
        return Err(who.refuse(Refusal::NotAllowed));
    }
    TASKS.delete(id)?;
    for notice in Notice::ALL {
        let _ = timers::cancel(&notice.key(id));
    }
    let comments = store::comments(id);
    match comments.list_all(store::MAX_COMMENTS * 5) {
        Ok(all) => {
            for c in all {
                let _ = comments.delete(&c.id);
            }
        }
        Err(e) => log::warn(&format!("could not delete the comments of {id}: {e}")),
    }
    if let Some(message) = &record.card_message {
        let card = cards::deleted_card(&record, &who.person.name);
        if let Err(e) = messages::update_card(message, card) {
            log::warn(&format!("could not mark the card of {id} deleted: {e}"));
        }
    }
    Ok(record.value)
}

/// A task found across groups, with its group's name.
pub struct Listed {
    pub task: Versioned<Task>,
    pub group_name: String,
}

/// The tasks linked to the acting person by `rel` (`assignee` or `creator`), in every group
/// of the organization where the plugin is enabled and they are still a member.
pub fn tasks_of(who: &Who, rel: &str) -> Result<Vec<Listed>> {
    let found = TASKS.find_all(rel, &Target::person(&who.person.id), store::MAX_TASKS)?;
    let mut seen: std::collections::HashMap<String, Option<String>> = Default::default();
    let mut out = Vec::new();
    for task in found {
        let name = seen.entry(task.group_id.clone()).or_insert_with(|| {
            groups::is_member(&task.group_id, &who.person.id)
                .unwrap_or(false)
                .then(|| {
                    groups::get(&task.group_id)
                        .map(|g| g.name)
                        .unwrap_or_default()
                })
        });
        if let Some(name) = name {
            let group_name = name.clone();
            out.push(Listed { task, group_name });
        }
    }
    Ok(out)
}
