//! Where requests live: one record each (the engine's `Request` plus where its cards are),
//! linked to everyone it concerns so "pending for me", "submitted by me", "CC'd to me" and
//! "processed by me" are single lookups by relation.

use std::collections::BTreeMap;

use courtyard_sdk::prelude::*;
use courtyard_sdk::{storage, time};
use serde::{Deserialize, Serialize};

use crate::model::{Request, TaskState};

/// A request and the messages that show it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Stored {
    pub request: Request,
    #[serde(default)]
    pub cards: Cards,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Cards {
    /// The group it was submitted in (none when another plugin started it).
    pub group: Option<String>,
    /// The submitter's card in that group.
    pub submitter: Option<String>,
    /// Each approver's card in their direct conversation with the plugin.
    #[serde(default)]
    pub approvers: BTreeMap<String, String>,
}

/// A filled-in form waiting for the submitter to confirm its route.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Draft {
    pub template_id: String,
    pub submitter: String,
    pub group: Option<String>,
    pub values: serde_json::Value,
    pub resubmit_of: Option<String>,
    pub created_ms: i64,
}

pub const REQUESTS: Collection<Stored> = Collection::new("requests");
pub const DRAFTS: Collection<Draft> = Collection::new("drafts");

/// The manifest schedule that clears previews nobody confirmed.
pub const SWEEP_DRAFTS: &str = "sweep_drafts";
/// How long a preview can still be confirmed: long enough to leave one open over a weekend.
pub const DRAFT_TTL_MS: i64 = 7 * 24 * 3600 * 1000;
/// Previews one sweep deletes at most, and how many it looks at, so a run stays well inside
/// the call deadline; the next hourly run takes the rest.
pub const SWEEP_BUDGET: usize = 200;
pub const SWEEP_SCAN: usize = 5_000;

/// Deletes previews older than [`DRAFT_TTL_MS`]; returns how many.
///
/// The collection lists newest first, so the old ones come last: the sweep reads past the
/// young ones (few: a confirmed preview is deleted at once) to reach them.
pub fn sweep_drafts(now_ms: i64) -> Result<usize> {
    let cutoff = now_ms - DRAFT_TTL_MS;
    let (mut deleted, mut scanned) = (0, 0);
    let mut cursor: Option<String> = None;
    loop {
        let batch = DRAFTS.list(cursor.as_deref(), 100)?;
        for draft in &batch.items {
            scanned += 1;
            if draft.value.created_ms < cutoff && DRAFTS.delete(&draft.id)? {
                deleted += 1;
            }
        }
        if deleted >= SWEEP_BUDGET || scanned >= SWEEP_SCAN {
            return Ok(deleted);
        }
        match batch.next {
            Some(next) => cursor = Some(next),
            None => return Ok(deleted),
        }
    }
}

/// The relations a request is found by.
pub mod rel {
    pub const SUBMITTER: &str = "submitter";
    pub const PENDING: &str = "pending";
    pub const PROCESSED: &str = "processed";
    pub const CC: &str = "cc";
}

/// The links a request should have now: who submitted it, who must act, who acted, who is
/// copied.
pub fn links_of(request: &Request) -> Vec<Link> {
    let mut links = vec![Link::person(rel::SUBMITTER, &request.submitter.id)];
    let mut add = |rel: &str, id: &str| {
        let link = Link::person(rel, id);
        if !id.is_empty() && !links.contains(&link) {
            links.push(link);
        }
    };
    for step in &request.steps {
        for task in &step.tasks {
            match &task.state {
                TaskState::Pending if !request.is_closed() => add(rel::PENDING, &task.approver.id),
                TaskState::Approved
                | TaskState::Rejected
                | TaskState::Returned
                | TaskState::Transferred { .. } => add(rel::PROCESSED, &task.approver.id),
                _ => {}
            }
        }
    }
    for person in &request.cc {
        add(rel::CC, &person.id);
    }
    links
}

/// Saves a new request.
pub fn create(stored: Stored) -> Result<Versioned<Stored>> {
    let links = links_of(&stored.request);
    let id = stored.request.id.clone();
    REQUESTS.create(&id, stored, links)
}

/// Loads a request, or a clear "no such request".
pub fn load(id: &str) -> Result<Versioned<Stored>> {
    REQUESTS
        .get(id)?
        .ok_or_else(|| Error::not_found(format!("no approval request {id} / 没有这个审批单")))
}

/// Writes a changed request at the version it was read at (a conflict means someone acted
/// first: the caller reads again and retries).
pub fn save(record: &mut Versioned<Stored>) -> Result<()> {
    let links = links_of(&record.request);
    record.links = links;
    REQUESTS.save(record)
}

/// The next serial number of the day, e.g. `AP-20261130-0007`, unique in the organization.
pub fn next_serial() -> Result<String> {
    let today = time::Date::today();
    let day = format!("{:04}{:02}{:02}", today.year(), today.month(), today.day());
    let n = storage::update_json(&format!("serial:{day}"), false, |n: &mut u64| {
        *n += 1;
        Ok(())
    })?;
    Ok(format!("AP-{day}-{n:04}"))
}
