//! Questions about a request that cards and lists ask: whose turn it is, who may see what.

use serde_json::Value;

use crate::model::{EventKind, FieldAccess, PersonRef, Request, Step, TaskState};

/// Approvers whose turn it is.
pub fn pending_approvers(req: &Request) -> Vec<PersonRef> {
    req.current_step()
        .map(|s| {
            s.tasks
                .iter()
                .filter(|t| t.state == TaskState::Pending)
                .map(|t| t.approver.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Everyone who decided something on the request (approved, rejected, returned,
/// transferred, added approvers), from the timeline, in order of first action.
pub fn processed_by(req: &Request) -> Vec<PersonRef> {
    let mut out: Vec<PersonRef> = Vec::new();
    for e in &req.timeline {
        let decided = matches!(
            e.kind,
            EventKind::Approved { .. }
                | EventKind::Rejected { .. }
                | EventKind::Returned { .. }
                | EventKind::Transferred { .. }
                | EventKind::AddSigned { .. }
        );
        if let Some(a) = e.actor.as_ref().filter(|_| decided)
            && !out.iter().any(|p| p.id == a.id)
        {
            out.push(a.clone());
        }
    }
    out
}

/// Whether it is this person's turn (as approver, or as the person a delegate stands in
/// for).
pub fn can_act(req: &Request, person_id: &str) -> bool {
    req.current_step().is_some_and(|s| {
        s.tasks
            .iter()
            .any(|t| t.state == TaskState::Pending && t.belongs_to(person_id))
    })
}

/// The submitter, anyone with a task (now or before a resubmit), and everyone copied.
pub fn is_participant(req: &Request, person_id: &str) -> bool {
    req.submitter.id == person_id
        || req.cc.iter().any(|p| p.id == person_id)
        || req
            .steps
            .iter()
            .flat_map(|s| &s.tasks)
            .any(|t| t.belongs_to(person_id))
        || req
            .timeline
            .iter()
            .any(|e| e.actor.as_ref().is_some_and(|a| a.id == person_id))
}

/// The fields this person may change when approving now.
pub fn editable_fields(req: &Request, person_id: &str) -> Vec<String> {
    match req.current_step() {
        Some(s) if can_act(req, person_id) => s
            .fields
            .iter()
            .filter(|(_, a)| **a == FieldAccess::Edit)
            .map(|(f, _)| f.clone())
            .collect(),
        _ => Vec::new(),
    }
}

/// The form values this viewer may see. The submitter sees everything; an approver sees a
/// field unless it is hidden at every step they have a task in; anyone else (people copied)
/// sees a field unless some step hides it.
pub fn visible_values(req: &Request, viewer_id: &str) -> Value {
    let Value::Object(values) = &req.values else {
        return req.values.clone();
    };
    if viewer_id == req.submitter.id {
        return req.values.clone();
    }
    let mine: Vec<&Step> = req
        .steps
        .iter()
        .filter(|s| s.tasks.iter().any(|t| t.belongs_to(viewer_id)))
        .collect();
    let visible = |field: &str| {
        if mine.is_empty() {
            req.steps
                .iter()
                .all(|s| s.access(field) != FieldAccess::Hidden)
        } else {
            mine.iter().any(|s| s.access(field) != FieldAccess::Hidden)
        }
    };
    Value::Object(
        values
            .iter()
            .filter(|(k, _)| visible(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}
