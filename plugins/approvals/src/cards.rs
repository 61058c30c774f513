//! How a request looks: the submitter's card in the group, each approver's card in their
//! direct conversation with the plugin, and the route preview. Cards are read by people of
//! either language, so their labels carry both.

use courtyard_sdk::prelude::*;
use serde_json::Value;

use crate::model::{EventKind, FieldAccess, I18n, Request, Status, Step, TaskState, Template};
use crate::store::Stored;

/// "English / 中文".
pub fn both(en: &str, zh: &str) -> String {
    format!("{en} / {zh}")
}

fn both_i18n(t: &I18n) -> String {
    if t.en == t.zh {
        t.en.clone()
    } else {
        both(&t.en, &t.zh)
    }
}

fn tone(status: Status) -> Tone {
    match status {
        Status::Pending => Tone::Info,
        Status::Returned => Tone::Warning,
        Status::Approved => Tone::Success,
        Status::Rejected | Status::Revoked => Tone::Danger,
        Status::Withdrawn => Tone::Neutral,
    }
}

/// A form value as text: money and numbers as written, lists joined, tables counted.
pub fn show_value(template: &Template, field: &str, value: &Value) -> String {
    let kind = crate::model::field_kind(&template.form, field).unwrap_or("text");
    match (kind, value) {
        (_, Value::String(s)) => s.clone(),
        (_, Value::Number(n)) => n.to_string(),
        (_, Value::Bool(b)) => (if *b { "✓" } else { "✗" }).to_owned(),
        ("date_range", Value::Object(o)) => format!(
            "{} – {}",
            o.get("start").and_then(Value::as_str).unwrap_or(""),
            o.get("end").and_then(Value::as_str).unwrap_or("")
        ),
        ("table", Value::Array(rows)) => both(
            &format!("{} rows", rows.len()),
            &format!("{} 行", rows.len()),
        ),
        (_, Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect::<Vec<_>>()
            .join(", "),
        (_, Value::Null) => String::new(),
        (_, other) => other.to_string(),
    }
}

/// The form's fields in order with what was filled in, skipping what `viewer` may not see.
fn summary(request: &Request, viewer: &str) -> Vec<(String, String)> {
    let hidden = |field: &str| {
        viewer != request.submitter.id
            && request.steps.iter().any(|s| {
                s.tasks.iter().any(|t| t.belongs_to(viewer))
                    && s.access(field) == FieldAccess::Hidden
            })
    };
    let fields = request.template.form["fields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    fields
        .iter()
        .filter_map(|f| {
            let name = f["name"].as_str()?;
            let value = request.values.get(name)?;
            if hidden(name) || value.is_null() {
                return None;
            }
            let label = f["label"].as_str().unwrap_or(name).to_owned();
            let text = show_value(&request.template, name, value);
            (!text.is_empty()).then_some((label, text))
        })
        .collect()
}

fn step_line(step: &Step) -> String {
    let people: Vec<String> = step
        .tasks
        .iter()
        .map(|t| {
            let mark = match &t.state {
                TaskState::Approved | TaskState::AutoPassed { .. } => "✓",
                TaskState::Rejected => "✗",
                TaskState::Pending => "…",
                TaskState::Returned => "↩",
                TaskState::Transferred { .. } => "→",
                TaskState::Skipped { .. } | TaskState::Cancelled => "–",
                TaskState::Waiting => "",
            };
            format!("{}{mark}", t.approver.name)
        })
        .collect();
    format!(
        "{} ({}): {}",
        both_i18n(&step.name),
        both(step.mode.describe("en"), step.mode.describe("zh-CN")),
        people.join(", ")
    )
}

fn event_title(kind: &EventKind) -> String {
    let (en, zh) = match kind {
        EventKind::Submitted => ("Submitted", "提交"),
        EventKind::Approved { .. } => ("Approved", "同意"),
        EventKind::Rejected { .. } => ("Rejected", "拒绝"),
        EventKind::Returned { .. } => ("Returned", "退回"),
        EventKind::Resubmitted => ("Resubmitted", "重新提交"),
        EventKind::Withdrawn => ("Withdrawn", "撤回"),
        EventKind::Transferred { .. } => ("Transferred", "转交"),
        EventKind::AddSigned { .. } => ("Approver added", "加签"),
        EventKind::Urged => ("Urged", "催办"),
        EventKind::Commented => ("Comment", "评论"),
        EventKind::AutoPassed { .. } => ("Passed automatically", "自动通过"),
        EventKind::Reminded { .. } => ("Reminder sent", "已提醒"),
        EventKind::Escalated { .. } => ("Escalated", "已升级"),
        EventKind::TimedOut { .. } => ("Timed out", "超时处理"),
        EventKind::Revoked => ("Revoked", "撤销"),
        EventKind::Completed { .. } => ("Completed", "完成"),
        EventKind::Edited { .. } => ("Edited", "修改"),
        #[allow(unreachable_patterns)]
        _ => ("Updated", "更新"),
    };
    both(en, zh)
}

/// The card everyone sees a request by; `viewer` decides hidden fields and buttons.
pub fn request_card(stored: &Stored, viewer: &str) -> Card {
    let request = &stored.request;
    let mut card = Card::new(format!(
        "{} · {}",
        both_i18n(&request.template.name),
        request.submitter.name
    ))
    .badge(
        both(
            request.status.describe("en"),
            request.status.describe("zh-CN"),
        ),
        tone(request.status),
    )
    .field(both("Number", "编号"), request.serial.clone())
    .person(request.submitter.id.clone(), request.submitter.name.clone());
    for (label, value) in summary(request, viewer) {
        card = card.field(label, value);
    }
    for step in &request.steps {
        card = card.text(step_line(step));
    }
    let entries: Vec<TimelineEntry> = request
        .timeline
        .iter()
        .rev()
        .take(20)
        .rev()
        .map(|e| {
            let mut entry = TimelineEntry::new(e.at_ms, event_title(&e.kind));
            let who = e.actor.as_ref().map(|a| a.name.clone()).unwrap_or_default();
            let detail = match &e.comment {
                Some(c) if !c.is_empty() => format!("{who}: {c}"),
                _ => who,
            };
            if !detail.is_empty() {
                entry = entry.detail(detail);
            }
            entry
        })
        .collect();
    card = card.timeline(entries);
    for button in buttons(request, viewer) {
        card = card.button(button);
    }
    card
}

/// What `viewer` may do on the request now.
fn buttons(request: &Request, viewer: &str) -> Vec<Button> {
    let id = request.id.clone();
    let mut out = Vec::new();
    let my_turn = request.status == Status::Pending
        && request.current_step().is_some_and(|s| {
            s.tasks
                .iter()
                .any(|t| t.state == TaskState::Pending && t.belongs_to(viewer))
        });
    if my_turn {
        // The step rides along: a press meant for a step that has moved on is refused
        // instead of deciding the next one (the same person may approve both).
        let at = format!("{id}@{}", request.current);
        out.push(
            Button::new("approve", both("Approve", "同意"))
                .primary()
                .value(&at),
        );
        out.push(
            Button::new("reject", both("Reject", "拒绝"))
                .danger()
                .value(&at),
        );
        out.push(Button::new("return", both("Return", "退回")).value(&at));
        out.push(Button::new("transfer", both("Transfer", "转交")).value(&at));
        out.push(Button::new("add_sign", both("Add approver", "加签")).value(&at));
    }
    if viewer == request.submitter.id {
        match request.status {
            Status::Pending => {
                out.push(Button::new("urge", both("Urge", "催办")).value(&id));
                if request.template.settings.allow_withdraw {
                    out.push(
                        Button::new("withdraw", both("Withdraw", "撤回"))
                            .value(&id)
                            .confirm(both("Withdraw this request?", "确定撤回该申请？")),
                    );
                }
            }
            Status::Returned => {
                out.push(
                    Button::new("resubmit", both("Edit and resubmit", "修改后重新提交"))
                        .primary()
                        .value(&id),
                );
            }
            Status::Approved if request.template.settings.revoke_window_hours > 0 => {
                out.push(
                    Button::new("revoke", both("Revoke", "撤销"))
                        .danger()
                        .value(&id)
                        .confirm(both(
                            "Revoke this approved request?",
                            "确定撤销已通过的申请？",
                        )),
                );
            }
            Status::Rejected | Status::Withdrawn => {
                out.push(Button::new("copy", both("Submit again", "再次提交")).value(&id));
            }
            _ => {}
        }
    }
    out.push(Button::new("comment", both("Comment", "评论")).value(&id));
    out
}

/// The route a request would take, step by step, with why each approver was chosen.
pub fn route_fields(steps: &[Step], locale: &str) -> Vec<(String, String)> {
    steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let people: Vec<String> = step
                .tasks
                .iter()
                .map(|t| {
                    let why: Vec<String> = t.reasons.iter().map(|r| r.describe(locale)).collect();
                    let passed = match &t.state {
                        TaskState::AutoPassed { why } | TaskState::Skipped { why } => {
                            format!(" [{}]", why.describe(locale))
                        }
                        _ => String::new(),
                    };
                    format!("{} ({}){passed}", t.approver.name, why.join("; "))
                })
                .collect();
            (
                format!(
                    "{}. {} · {}",
                    i + 1,
                    step.name.get(locale),
                    step.mode.describe(locale)
                ),
                people.join("; "),
            )
        })
        .collect()
}
