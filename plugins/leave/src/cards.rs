//! Cards posted in groups: a request's card (with its buttons) and the "on leave" notice.
//! A group's members read them in different languages, so they carry both.

use courtyard_sdk::card::TimelineEntry;
use courtyard_sdk::records::Versioned;
use courtyard_sdk::{Button, Card, Tone};

use crate::request::Status;
use crate::store::{CancelStatus, LeaveRequest};
use crate::text::{both, span_short};

/// Button action ids.
pub const WITHDRAW: &str = "withdraw";
pub const CANCEL: &str = "cancel";

fn status_badge(r: &LeaveRequest) -> (String, Tone) {
    if r.status == Status::Approved && r.cancelling() {
        return (
            both("Approved · cancelling", "已批准 · 销假审批中"),
            Tone::Warning,
        );
    }
    let (en, zh) = crate::text::status(r.status);
    let tone = match r.status {
        Status::Pending => Tone::Warning,
        Status::Approved => Tone::Success,
        Status::Rejected => Tone::Danger,
        Status::Draft | Status::Withdrawn | Status::Cancelled => Tone::Neutral,
    };
    (both(en, zh), tone)
}

/// The request's card in its group: type, dates, amount, status, and what the submitter
/// may still do (withdraw while it waits, cancel once approved).
pub fn request_card(r: &Versioned<LeaveRequest>) -> Card {
    let name = &r.person_name;
    let t = r.type_name();
    let (badge, tone) = status_badge(r);
    let mut card = Card::new(both(
        format!("Leave request · {name}"),
        format!("请假申请 · {name}"),
    ))
    .person(&r.person_id, name)
    .field(both("Type", "类型"), both(&t.en, &t.zh))
    .field(
        both("Dates", "日期"),
        both(span_short(&r.span, false), span_short(&r.span, true)),
    )
    .field(both("Amount", "时长"), r.amount.to_string());
    if !r.reason.is_empty() {
        card = card.field(both("Reason", "事由"), &r.reason);
    }
    if let Some(d) = &r.delegate {
        card = card.field(both("Delegate", "代理人"), &d.name);
    }
    if let Some(c) = &r.certificate {
        card = card.field(both("Certificate", "证明材料"), c);
    }
    if let Some(a) = r.approval.as_ref().filter(|a| !a.serial.is_empty()) {
        card = card.field(both("Approval", "审批单"), &a.serial);
    }
    card = card.badge(badge, tone);
    if r.history.is_empty() {
        return with_buttons(card, r);
    }
    card = card.timeline(r.history.iter().map(|s| {
        let mut detail = s.by.as_ref().map(|b| b.name.clone()).unwrap_or_default();
        if let Some(c) = s.comment.as_deref().filter(|c| !c.is_empty()) {
            if !detail.is_empty() {
                detail.push_str(": ");
            }
            detail.push_str(c);
        }
        let tone = match s.kind {
            crate::store::StepKind::Approved | crate::store::StepKind::CancelApproved => {
                Tone::Success
            }
            crate::store::StepKind::Rejected | crate::store::StepKind::Revoked => Tone::Danger,
            _ => Tone::Info,
        };
        TimelineEntry::new(s.at_ms, both(s.kind.en(), s.kind.zh()))
            .detail(detail)
            .tone(tone)
    }));
    with_buttons(card, r)
}

fn with_buttons(card: Card, r: &Versioned<LeaveRequest>) -> Card {
    match r.status {
        Status::Pending => card.button(
            Button::new(WITHDRAW, both("Withdraw", "撤回"))
                .value(&r.id)
                .confirm(both("Withdraw this request?", "确定撤回这条请假申请？")),
        ),
        Status::Approved
            if !r.cancellation.as_ref().is_some_and(|c| {
                matches!(c.status, CancelStatus::Pending | CancelStatus::Approved)
            }) =>
        {
            card.button(
                Button::new(CANCEL, both("Cancel leave", "销假"))
                    .danger()
                    .value(&r.id)
                    .confirm(both(
                        "Cancel this leave? The cancellation goes to approval.",
                        "确定销假？销假需要审批。",
                    )),
            )
        }
        _ => card,
    }
}

/// The notice posted to the group when leave is approved: "Alice is on leave Dec 4–5".
pub fn notice_card(r: &LeaveRequest) -> Card {
    let name = &r.person_name;
    let t = r.type_name();
    let mut card = Card::new(both(
        format!("🌴 {name} is on leave {}", span_short(&r.span, false)),
        format!("🌴 {name} {}请假", span_short(&r.span, true)),
    ))
    .person(&r.person_id, name)
    .field(both("Type", "类型"), both(&t.en, &t.zh))
    .field(both("Amount", "时长"), r.amount.to_string());
    if let Some(d) = &r.delegate {
        card = card.field(both("Delegate", "代理人"), &d.name);
    }
    card.badge(both("Approved", "已批准"), Tone::Success)
}

/// The notice once the leave is cancelled (or its approval revoked).
pub fn cancelled_notice_card(r: &LeaveRequest) -> Card {
    let name = &r.person_name;
    Card::new(both(
        format!("{name}'s leave {} is cancelled", span_short(&r.span, false)),
        format!("{name} {}的请假已取消", span_short(&r.span, true)),
    ))
    .person(&r.person_id, name)
    .badge(both("Cancelled", "已销假"), Tone::Neutral)
}
