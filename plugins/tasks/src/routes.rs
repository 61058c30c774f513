//! The HTTP API under `/api/v1/plugins/tasks/` (signed in; `?group_id=` puts a call in a
//! group). Errors are `{code, message}` in the caller's language.
//!
//! - `GET tasks` — with `?group_id=`: the group's tasks, filtered and sorted like the list
//!   page (`status`, `assignee`, `due`, `priority`, `sort`, `order`); without: the caller's
//!   tasks in every group.
//! - `POST tasks?group_id=` — create: `{title, description?, assignees?: [id], due?:
//!   "2026-12-01T17:00" | "tomorrow" | epoch ms, priority?: "p0".."p3", checklist?: [text]}`.
//! - `GET tasks/{id}` — a task and its comments.
//! - `PATCH tasks/{id}` — `{version, title?, description?, assignees?, due? (null clears),
//!   priority?, status?}`, applied only at `version`: 409 `conflict` with the current task
//!   when someone changed it first.
//! - `POST tasks/{id}/comments` — `{text}`.
//! - `POST tasks/{id}/checklist` — `{add?: [text], check?: [item], uncheck?: [item],
//!   remove?: [item]}`.
//! - `DELETE tasks/{id}`.

use courtyard_sdk::prelude::*;
use courtyard_sdk::{Request, Response};
use serde::{Deserialize, Deserializer, Serialize};

use crate::domain::parse::parse_due;
use crate::domain::view::View;
use crate::domain::{Change, Edit, NewTask, Priority, Refusal, Status, Task};
use crate::flows;
use crate::ops::{self, Via, Who};
use crate::pages;
use crate::store::{self, TASKS};

#[derive(Serialize)]
struct PersonView {
    id: String,
    name: String,
}

#[derive(Serialize)]
struct ItemView {
    id: u32,
    text: String,
    done: bool,
}

#[derive(Serialize)]
struct CommentView {
    author: PersonView,
    at_ms: i64,
    text: String,
}

/// A task on the wire.
#[derive(Serialize)]
struct TaskView {
    id: String,
    number: u64,
    group_id: String,
    title: String,
    description: String,
    status: &'static str,
    priority: &'static str,
    assignees: Vec<PersonView>,
    creator: PersonView,
    created_ms: i64,
    due_ms: Option<i64>,
    /// The due time in the organization's zone, `2026-12-01 18:00`.
    due: Option<String>,
    overdue: bool,
    checklist: Vec<ItemView>,
    comments: u32,
    source_message_id: Option<String>,
    card_message_id: Option<String>,
    version: u64,
    updated_ms: i64,
}

fn person(p: &crate::domain::PersonRef) -> PersonView {
    PersonView {
        id: p.id.clone(),
        name: p.name.clone(),
    }
}

fn task_view(t: &Versioned<Task>, now: i64) -> TaskView {
    TaskView {
        id: t.id.clone(),
        number: t.number,
        group_id: t.group_id.clone(),
        title: t.title.clone(),
        description: t.description.clone(),
        status: t.status.key(),
        priority: t.priority.key(),
        assignees: t.assignees.iter().map(person).collect(),
        creator: person(&t.creator),
        created_ms: t.created_ms,
        due_ms: t.due_ms,
        due: t.due_ms.map(time::format_datetime),
        overdue: t.is_overdue(now),
        checklist: t
            .checklist
            .iter()
            .map(|i| ItemView {
                id: i.id,
                text: i.text.clone(),
                done: i.done,
            })
            .collect(),
        comments: t.comments,
        source_message_id: t.source_message.clone(),
        card_message_id: t.card_message.clone(),
        version: t.version,
        updated_ms: t.updated_ms,
    }
}

/// An error as the host's API shapes them.
fn failure(e: &Error) -> Response {
    let (status, code) = match e.kind {
        ErrorKind::NotFound => (404, "not_found"),
        ErrorKind::Denied => (403, "forbidden"),
        ErrorKind::Conflict => (409, "conflict"),
        ErrorKind::User | ErrorKind::Data | ErrorKind::Invalid => (422, "invalid"),
        ErrorKind::Quota => (429, "quota"),
        _ => (503, "unavailable"),
    };
    Response::error(status, code, e.message.clone())
}

pub fn route(ctx: &Context, request: &Request) -> Response {
    let Ok(who) = Who::of(ctx) else {
        return Response::unauthorized();
    };
    let segments: Vec<&str> = request.path.split('/').collect();
    let result = match (request.method.as_str(), segments.as_slice()) {
        ("GET", ["tasks"]) => list(&who, request),
        ("POST", ["tasks"]) => create(&who, request),
        ("GET", ["tasks", id]) => one(&who, id),
        ("PATCH", ["tasks", id]) => patch(&who, id, request),
        ("DELETE", ["tasks", id]) => ops::delete(&who, id).map(|_| Response::no_content()),
        ("POST", ["tasks", id, "comments"]) => comment(&who, id, request),
        ("POST", ["tasks", id, "checklist"]) => checklist(&who, id, request),
        _ => return Response::error(404, "not_found", who.tr("No such route", "没有这个接口")),
    };
    result.unwrap_or_else(|e| failure(&e))
}

fn body<T: for<'de> Deserialize<'de>>(who: &Who, request: &Request) -> Result<T> {
    request.parse_json().map_err(|e| {
        Error::user(who.tr(
            format!("The body is not what this route takes: {}", e.message),
            format!("请求内容不符合要求：{}", e.message),
        ))
    })
}

fn list(who: &Who, request: &Request) -> Result<Response> {
    let now = clock::now_ms();
    let tasks: Vec<TaskView> = match &who.group_id {
        Some(group) => {
            let all = store::group_tasks(group)?;
            let filters = View::parse(request.query.iter());
            let values: Vec<Task> = all.iter().map(|r| r.value.clone()).collect();
            let by_number: std::collections::HashMap<u64, &Versioned<Task>> =
                all.iter().map(|r| (r.number, r)).collect();
            filters
                .apply(&values, &who.person.id, &pages::clock())
                .into_iter()
                .filter_map(|t| by_number.get(&t.number))
                .map(|r| task_view(r, now))
                .collect()
        }
        None => ops::tasks_of(who, "assignee")?
            .iter()
            .map(|l| task_view(&l.task, now))
            .collect(),
    };
    Ok(Response::json(&serde_json::json!({ "tasks": tasks })))
}

/// A due time as the API takes it: epoch milliseconds, `2026-12-01T17:00`, or the quick
/// syntax (`tomorrow`, `fri 17:00`, `+2h`, `none`).
fn due_value(who: &Who, group: &str, value: &serde_json::Value) -> Result<Option<i64>> {
    match value {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Number(n) => Ok(n.as_i64().map(|ms| ms / 60_000 * 60_000)),
        serde_json::Value::String(s) => match time::parse_datetime(s) {
            Ok(ms) => Ok(Some(ms)),
            Err(_) => {
                let spec = parse_due(s).map_err(|r| who.refuse(r))?;
                flows::due_ms(who, &who.settings_of(group), &spec, s)
            }
        },
        _ => Err(who.refuse(Refusal::BadDue(value.to_string()))),
    }
}

fn priority(who: &Who, text: Option<&str>) -> Result<Option<Priority>> {
    text.map(|p| {
        Priority::parse(p).ok_or_else(|| {
            Error::user(who.tr(
                format!("“{p}” is not a priority (p0 to p3)"),
                format!("“{p}”不是有效的优先级（p0 到 p3）"),
            ))
        })
    })
    .transpose()
}

#[derive(Deserialize)]
struct CreateBody {
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    assignees: Vec<String>,
    #[serde(default)]
    due: serde_json::Value,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    checklist: Vec<String>,
}

fn create(who: &Who, request: &Request) -> Result<Response> {
    let group = who.group_id.clone().ok_or_else(|| {
        Error::user(who.tr("Add ?group_id= to create a task", "创建任务需要 ?group_id="))
    })?;
    let b: CreateBody = body(who, request)?;
    let new = NewTask {
        title: b.title,
        description: b.description,
        assignees: ops::resolve_people(who, &group, &b.assignees)?,
        due_ms: due_value(who, &group, &b.due)?,
        priority: priority(who, b.priority.as_deref())?.unwrap_or_default(),
        checklist: b.checklist.into_iter().map(|t| (t, false)).collect(),
        source_message: None,
    };
    let task = ops::create(who, &group, new)?;
    Ok(
        Response::json(&serde_json::json!({ "task": task_view(&task, clock::now_ms()) }))
            .with_status(201),
    )
}

fn one(who: &Who, id: &str) -> Result<Response> {
    let (task, _) = ops::load_visible(who, id)?;
    let comments: Vec<CommentView> = store::comments(id)
        .list_all(store::MAX_COMMENTS)?
        .into_iter()
        .rev()
        .map(|c| CommentView {
            author: person(&c.author),
            at_ms: c.at_ms,
            text: c.text.clone(),
        })
        .collect();
    Ok(Response::json(&serde_json::json!({
        "task": task_view(&task, clock::now_ms()),
        "comments": comments,
    })))
}

/// `Some(None)` for an explicit `null`, `None` when the field is missing.
fn present<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

#[derive(Deserialize)]
struct PatchBody {
    version: u64,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    assignees: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    due: Option<serde_json::Value>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

fn patch(who: &Who, id: &str, request: &Request) -> Result<Response> {
    let b: PatchBody = body(who, request)?;
    let (current, _) = ops::load_visible(who, id)?;
    let group = current.group_id.clone();
    let mut changes = Vec::new();
    let edit = Edit {
        title: b.title,
        description: b.description,
        assignees: match &b.assignees {
            Some(ids) => Some(ops::resolve_people(who, &group, ids)?),
            None => None,
        },
        due_ms: match &b.due {
            Some(v) => Some(due_value(who, &group, v)?),
            None => None,
        },
        priority: priority(who, b.priority.as_deref())?,
    };
    if !edit.is_empty() {
        changes.push(Change::Edit(edit));
    }
    if let Some(s) = &b.status {
        let status = Status::parse(s).ok_or_else(|| {
            Error::user(who.tr(
                format!("“{s}” is not a status (todo, in_progress, blocked, done)"),
                format!("“{s}”不是有效的状态（todo、in_progress、blocked、done）"),
            ))
        })?;
        changes.push(Change::Status(status));
    }
    match ops::change_all(who, id, &changes, Via::default(), Some(b.version)) {
        Ok(done) => Ok(Response::json(&serde_json::json!({
            "task": task_view(&done.task, clock::now_ms())
        }))),
        Err(e) if e.is_conflict() => {
            let now = TASKS.get(id)?;
            Ok(Response::json(&serde_json::json!({
                "code": "conflict",
                "message": e.message,
                "task": now.map(|t| task_view(&t, clock::now_ms())),
            }))
            .with_status(409))
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct CommentBody {
    text: String,
}

fn comment(who: &Who, id: &str, request: &Request) -> Result<Response> {
    let b: CommentBody = body(who, request)?;
    let done = ops::change(who, id, &Change::Comment(b.text), Via::default())?;
    Ok(
        Response::json(&serde_json::json!({ "task": task_view(&done.task, clock::now_ms()) }))
            .with_status(201),
    )
}

#[derive(Deserialize)]
struct ChecklistBody {
    #[serde(default)]
    add: Vec<String>,
    #[serde(default)]
    check: Vec<u32>,
    #[serde(default)]
    uncheck: Vec<u32>,
    #[serde(default)]
    remove: Vec<u32>,
}

fn checklist(who: &Who, id: &str, request: &Request) -> Result<Response> {
    let b: ChecklistBody = body(who, request)?;
    let set = b
        .check
        .iter()
        .map(|i| (*i, true))
        .chain(b.uncheck.iter().map(|i| (*i, false)))
        .collect();
    let change = Change::Checklist {
        set,
        add: b.add,
        remove: b.remove,
    };
    let done = ops::change(who, id, &change, Via::default())?;
    Ok(Response::json(
        &serde_json::json!({ "task": task_view(&done.task, clock::now_ms()) }),
    ))
}
