//! Running the engine against storage: read, act, write at the version read (a conflict
//! means someone acted at the same moment: read again and act again, so two approvers of an
//! or-sign step produce one outcome), then do what the engine asked for.

use courtyard_sdk::prelude::*;
use courtyard_sdk::{interop, log, messages, timers};
use serde_json::json;

use crate::cards::{both, request_card};
use crate::directory::HostDirectory;
use crate::engine::{self, Action, Effect};
use crate::model::{PersonRef, Request, TaskState};
use crate::store::{self, Stored};

const RETRIES: usize = 8;

/// Applies `action` by `actor` to request `id`; returns the stored request after it.
pub fn act(id: &str, actor: &PersonRef, action: Action) -> Result<Stored> {
    for _ in 0..RETRIES {
        let mut record = store::load(id)?;
        let dir = HostDirectory::load(&record.request.submitter.id)?;
        let effects = engine::act(
            &mut record.value.request,
            actor,
            action.clone(),
            &dir,
            clock::now_ms(),
        )
        .map_err(|e| Error::user(e.to_string()))?;
        match store::save(&mut record) {
            Err(e) if e.is_conflict() => continue,
            Err(e) => return Err(e),
            Ok(()) => return apply(id, effects),
        }
    }
    Err(Error::user(both(
        "Too many people acted on this request at once; try again",
        "同时操作的人太多，请重试",
    )))
}

/// Saves a new request and does what submitting it asks for.
pub fn start(stored: Stored, effects: Vec<Effect>) -> Result<Stored> {
    let id = stored.request.id.clone();
    store::create(stored)?;
    apply(&id, effects)
}

/// Does what the engine asked for, then records where the cards went.
fn apply(id: &str, effects: Vec<Effect>) -> Result<Stored> {
    let current = store::load(id)?;
    let mut stored = current.value.clone();
    let mut sent = Vec::new();
    for effect in effects {
        match effect {
            Effect::NotifyApprovers { people } => {
                for person in people {
                    let card = request_card(&stored, &person.id);
                    match messages::send_card(&person.id, card) {
                        Ok(message) => sent.push((person.id.clone(), message)),
                        Err(e) => log::warn(&format!("card to approver {} failed: {e}", person.id)),
                    }
                }
            }
            Effect::NotifyCc { people, groups } => {
                for person in people {
                    if let Err(e) = messages::send_card(&person.id, cc_card(&stored)) {
                        log::warn(&format!("cc card to {} failed: {e}", person.id));
                    }
                }
                for group in groups {
                    if let Err(e) = messages::post_card(&group, cc_card(&stored)) {
                        log::warn(&format!("cc notice in group {group} failed: {e}"));
                    }
                }
            }
            Effect::Remind { people } => {
                for person in people {
                    let card = request_card(&stored, &person.id).text(both(
                        "Reminder: this request is waiting for you.",
                        "提醒：该审批正在等待你处理。",
                    ));
                    match messages::send_card(&person.id, card) {
                        Ok(message) => sent.push((person.id.clone(), message)),
                        Err(e) => log::warn(&format!("reminder to {} failed: {e}", person.id)),
                    }
                }
            }
            Effect::UpdateCards => refresh_cards(&stored),
            Effect::Completed { status } => {
                if let Some(origin) = &stored.request.origin {
                    let outcome = outcome(&stored.request, status);
                    if let Err(e) = interop::call::<_, serde_json::Value>(
                        &origin.plugin,
                        "approval_decided",
                        &outcome,
                    ) {
                        log::error(&format!(
                            "telling `{}` that {} is {status:?} failed: {e}",
                            origin.plugin, stored.request.serial
                        ));
                    }
                }
            }
            Effect::SetTimer {
                key,
                due_ms,
                payload,
            } => {
                if let Err(e) = timers::set(&key, due_ms, &payload) {
                    log::warn(&format!("timer {key} failed: {e}"));
                }
            }
            Effect::CancelTimer { key } => {
                let _ = timers::cancel(&key);
            }
        }
    }
    if sent.is_empty() {
        return Ok(stored);
    }
    let updated = store::REQUESTS.update(id, |s| {
        for (person, message) in &sent {
            s.cards.approvers.insert(person.clone(), message.clone());
        }
        Ok(())
    })?;
    stored = updated.value;
    Ok(stored)
}

/// Sends what an interrupted call may have left unsent (the server stopped between storing
/// the request and sending its cards): the submitter's card in the group it was submitted
/// in, and a card to each approver the current step waits for who has none. Returns the
/// request as stored after.
pub fn repair(id: &str) -> Result<Stored> {
    let stored = store::load(id)?.value;
    let request = &stored.request;
    let group_card = match (&stored.cards.group, &stored.cards.submitter) {
        (Some(group), None) => {
            match messages::post_card(group, request_card(&stored, &request.submitter.id)) {
                Ok(message) => Some(message),
                Err(e) => {
                    log::warn(&format!("card in group {group} failed: {e}"));
                    None
                }
            }
        }
        _ => None,
    };
    let mut sent = Vec::new();
    if let Some(step) = request.current_step() {
        for task in &step.tasks {
            let person = &task.approver.id;
            if task.state == TaskState::Pending && !stored.cards.approvers.contains_key(person) {
                match messages::send_card(person, request_card(&stored, person)) {
                    Ok(message) => sent.push((person.clone(), message)),
                    Err(e) => log::warn(&format!("card to approver {person} failed: {e}")),
                }
            }
        }
    }
    if group_card.is_none() && sent.is_empty() {
        return Ok(stored);
    }
    let updated = store::REQUESTS.update(id, |s| {
        if let Some(message) = &group_card {
            s.cards.submitter.get_or_insert_with(|| message.clone());
        }
        for (person, message) in &sent {
            s.cards
                .approvers
                .entry(person.clone())
                .or_insert_with(|| message.clone());
        }
        Ok(())
    })?;
    Ok(updated.value)
}

/// Brings every card of the request up to date (buttons, status, timeline).
pub fn refresh_cards(stored: &Stored) {
    if let Some(message) = &stored.cards.submitter {
        let _ = messages::update_card(message, request_card(stored, &stored.request.submitter.id));
    }
    for (person, message) in &stored.cards.approvers {
        let _ = messages::update_card(message, request_card(stored, person));
    }
}

fn cc_card(stored: &Stored) -> Card {
    request_card(stored, "").text(both("You are copied on this request.", "此审批抄送给你。"))
}

/// What the plugin that started a request is told when it is decided.
pub fn outcome(request: &Request, status: crate::model::Status) -> serde_json::Value {
    let last = request.timeline.iter().rev().find(|e| e.actor.is_some());
    json!({
        "request_id": request.id,
        "serial": request.serial,
        "reference": request.origin.as_ref().map(|o| o.reference.clone()),
        "template_id": request.template.id,
        "status": status,
        "by": last.and_then(|e| e.actor.clone()),
        "comment": last.and_then(|e| e.comment.clone()),
    })
}
