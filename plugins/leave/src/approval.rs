//! The seam with the approvals plugin, the one approval engine: leave starts approvals
//! (`start`), withdraws them (`withdraw`), hands an approved leaver's tasks to their delegate
//! (`delegate`), and is told each outcome (`approval_decided`), which moves the balance:
//! approved → consumed, rejected or withdrawn → released, cancellation approved or approval
//! revoked → restored. Every outcome can arrive twice; handling it again changes nothing.

use courtyard_sdk::records::Versioned;
use courtyard_sdk::{Error, ErrorKind, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::books::{self, ledger_error};
use crate::cards;
use crate::ledger::{Entry, Ledger, LedgerError};
use crate::request::Status;
use crate::store::{
    ApprovalRef, CancelStatus, Cancellation, Host, LeaveRequest, Named, REQUESTS, StepKind,
};
use crate::text::{both, span_from, span_short, span_to};
use crate::who::Who;

/// The approvals plugin's id.
pub const APPROVALS: &str = "approvals";
/// The approval templates leave uses (they live in the approvals plugin).
pub const TEMPLATE: &str = "leave";
pub const CANCEL_TEMPLATE: &str = "leave_cancel";
/// The operation approvals calls back.
pub const DECIDED: &str = "approval_decided";

/// What `start` answers.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Started {
    pub request_id: String,
    #[serde(default)]
    pub serial: String,
    #[serde(default = "pending")]
    pub status: String,
}

fn pending() -> String {
    "pending".into()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Approved,
    Rejected,
    Withdrawn,
    Revoked,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct By {
    pub id: String,
    #[serde(default)]
    pub name: String,
}

/// The input of `approval_decided`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decided {
    /// The approvals plugin's request.
    pub request_id: String,
    /// The leave request.
    pub reference: String,
    pub template_id: String,
    pub status: Outcome,
    #[serde(default)]
    pub by: Option<By>,
    #[serde(default)]
    pub comment: Option<String>,
}

/// The `values` of the `leave` template (and, with `cancels`, of `leave_cancel`).
pub fn template_values(r: &LeaveRequest, cancels: Option<&str>) -> Value {
    let t = r.type_name();
    let mut values = json!({
        "leave_type": both(&t.en, &t.zh),
        "leave_type_id": r.leave_type.id,
        "from": span_from(&r.span),
        "to": span_to(&r.span),
        "days": r.days,
        "amount": r.amount.to_string(),
        "reason": r.reason,
        "delegate_id": r.delegate.as_ref().map(|d| d.id.as_str()).unwrap_or(""),
    });
    if let Some(original) = cancels {
        values["cancels"] = json!(original);
    }
    values
}

/// The input of `start` for a leave request (or, with `cancels`, its cancellation).
pub fn start_input(r: &Versioned<LeaveRequest>, cancels: Option<&str>) -> Value {
    let t = r.type_name();
    let (en, zh) = (span_short(&r.span, false), span_short(&r.span, true));
    let title = match cancels {
        None => json!({
            "en": format!("Leave: {}, {}, {en}", r.person_name, t.en),
            "zh": format!("请假：{}，{}，{zh}", r.person_name, t.zh),
        }),
        Some(_) => json!({
            "en": format!("Cancel leave: {}, {}, {en}", r.person_name, t.en),
            "zh": format!("销假：{}，{}，{zh}", r.person_name, t.zh),
        }),
    };
    json!({
        "template_id": if cancels.is_some() { CANCEL_TEMPLATE } else { TEMPLATE },
        "values": template_values(r, cancels),
        "reference": r.id,
        "title": title,
    })
}

/// Why an approval could not start (or be withdrawn), for the person.
pub fn approvals_failed(who: &Who, e: &Error) -> Error {
    let why = match e.kind {
        ErrorKind::NotFound | ErrorKind::Denied => who
            .tr(
                "the approvals plugin is not installed here or does not take leave requests",
                "本组织未安装审批插件，或审批插件不受理请假",
            )
            .to_owned(),
        _ => e.message.clone(),
    };
    who.error(
        format!("The approval could not start: {why}"),
        format!("无法发起审批：{why}"),
    )
}

/// Handles `approval_decided`.
pub fn decided(h: &dyn Host, caller: &str, input: Value) -> Result<Value> {
    if caller != APPROVALS {
        return Err(Error::new(
            ErrorKind::Denied,
            format!("only the approvals plugin reports decisions, not `{caller}`"),
        ));
    }
    let d: Decided = serde_json::from_value(input).map_err(|e| {
        Error::new(
            ErrorKind::Data,
            format!(
                "`{DECIDED}` takes {{request_id, reference, template_id, status, by, comment}}: {e}"
            ),
        )
    })?;
    let r = apply(h, &d)?;
    Ok(json!({"reference": r.id, "status": crate::text::status_code(r.status)}))
}

/// Applies an outcome to the leave request it names; the request afterwards.
pub fn apply(h: &dyn Host, d: &Decided) -> Result<Versioned<LeaveRequest>> {
    let r = REQUESTS
        .get(h, &d.reference)?
        .ok_or_else(|| Error::not_found(format!("there is no leave request `{}`", d.reference)))?;
    let cancel = match d.template_id.as_str() {
        TEMPLATE => false,
        CANCEL_TEMPLATE => true,
        other => {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("leave has no approval template `{other}`"),
            ));
        }
    };
    let known = if cancel {
        r.cancellation.as_ref().and_then(|c| c.approval.as_ref())
    } else {
        r.approval.as_ref()
    };
    if known.is_some_and(|a| a.request_id != d.request_id) {
        return Err(Error::new(
            ErrorKind::Invalid,
            format!(
                "approval {} is not the one leave request {} waits for",
                d.request_id, r.id
            ),
        ));
    }
    let by = d.by.as_ref().map(|b| Named {
        id: b.id.clone(),
        name: b.name.clone(),
    });
    let step = Step {
        approval: &d.request_id,
        by,
        comment: d.comment.clone(),
    };
    match (cancel, d.status) {
        (false, Outcome::Approved) => approve(h, r, step),
        (false, Outcome::Rejected) => close(h, r, step, Status::Rejected, StepKind::Rejected),
        (false, Outcome::Withdrawn) => close(h, r, step, Status::Withdrawn, StepKind::Withdrawn),
        (false, Outcome::Revoked) => revoke(h, r, step),
        (true, Outcome::Approved) => cancel_approved(h, r, step),
        (true, Outcome::Rejected) => cancel_closed(h, r, step, CancelStatus::Rejected),
        (true, Outcome::Withdrawn | Outcome::Revoked) => {
            cancel_closed(h, r, step, CancelStatus::Withdrawn)
        }
    }
}

/// Who decided, why, and under which approval.
struct Step<'a> {
    approval: &'a str,
    by: Option<Named>,
    comment: Option<String>,
}

fn refresh_card(h: &dyn Host, r: &Versioned<LeaveRequest>) {
    if let Some(card) = &r.card_id
        && let Err(e) = h.update_card(card, cards::request_card(r))
    {
        h.warn(&format!(
            "the card of leave request {} was not updated: {e}",
            r.id
        ));
    }
}

fn approve(
    h: &dyn Host,
    r: Versioned<LeaveRequest>,
    step: Step,
) -> Result<Versioned<LeaveRequest>> {
    if !matches!(r.status, Status::Pending | Status::Approved) {
        // Withdrawn, rejected or cancelled here first: a late outcome changes nothing.
        return Ok(r);
    }
    let now = h.now_ms();
    let id = r.id.clone();
    books::commit::<(), Error>(h, &r.person_id, &r.person_name, true, |b| {
        let ledger = b
            .ledger(&r.leave_type)
            .map_err(|e| ledger_error(&e, "en"))?;
        let new = ledger
            .consume(&id, now)
            .map_err(|e| ledger_error(&e, "en"))?;
        for hold in b.account.holds.iter_mut().filter(|x| x.id == id) {
            hold.status = Status::Approved;
        }
        Ok((new, ()))
    })?;
    let mut r = REQUESTS.update(h, &id, |r| {
        if r.status == Status::Pending {
            r.status = Status::Approved;
            r.decided_ms = Some(now);
            r.step(
                now,
                StepKind::Approved,
                step.by.clone(),
                step.comment.clone(),
            );
        }
        if r.approval.is_none() {
            r.approval = Some(ApprovalRef {
                request_id: step.approval.to_owned(),
                serial: String::new(),
            });
        }
        Ok(())
    })?;
    refresh_card(h, &r);
    if r.notice_id.is_none() {
        match h.post_card(&r.group_id, cards::notice_card(&r)) {
            Ok(notice) => {
                r = REQUESTS.update(h, &id, |r| {
                    r.notice_id = Some(notice.clone());
                    Ok(())
                })?;
            }
            Err(e) => h.warn(&format!("the leave notice of {id} was not posted: {e}")),
        }
    }
    if let Some(delegate) = r.delegate.clone().filter(|_| !r.delegated) {
        let input = json!({"request_id": step.approval, "delegate_id": delegate.id});
        match h.call(APPROVALS, "delegate", &input) {
            Ok(_) => {
                r = REQUESTS.update(h, &id, |r| {
                    r.delegated = true;
                    Ok(())
                })?;
            }
            Err(e) => h.warn(&format!(
                "{}'s approvals were not delegated to {} for leave {id}: {e}",
                r.person_name, delegate.name
            )),
        }
    }
    Ok(r)
}

/// Moves the request's days in its person's ledger (`release` or `restore`) and drops its
/// hold, in one versioned write of their books.
fn settle(
    h: &dyn Host,
    r: &Versioned<LeaveRequest>,
    mut entries: impl FnMut(&Ledger<'_>) -> std::result::Result<Vec<Entry>, LedgerError>,
) -> Result<()> {
    books::commit::<(), Error>(h, &r.person_id, &r.person_name, true, |b| {
        let ledger = b
            .ledger(&r.leave_type)
            .map_err(|e| ledger_error(&e, "en"))?;
        let new = entries(&ledger).map_err(|e| ledger_error(&e, "en"))?;
        b.account.holds.retain(|x| x.id != r.id);
        Ok((new, ()))
    })
}

fn close(
    h: &dyn Host,
    r: Versioned<LeaveRequest>,
    step: Step,
    status: Status,
    kind: StepKind,
) -> Result<Versioned<LeaveRequest>> {
    if r.status != Status::Pending {
        return Ok(r);
    }
    let now = h.now_ms();
    let id = r.id.clone();
    settle(h, &r, |ledger| ledger.release(&id, now))?;
    let r = REQUESTS.update(h, &id, |r| {
        if r.status == Status::Pending {
            r.status = status;
            r.decided_ms = Some(now);
            r.step(now, kind, step.by.clone(), step.comment.clone());
        }
        Ok(())
    })?;
    refresh_card(h, &r);
    Ok(r)
}

/// Gives back what an approved request took and ends it as cancelled.
fn restore(
    h: &dyn Host,
    r: &Versioned<LeaveRequest>,
    step: &Step,
    kind: StepKind,
    cancel: Option<CancelStatus>,
) -> Result<Versioned<LeaveRequest>> {
    let now = h.now_ms();
    let id = r.id.clone();
    settle(h, r, |ledger| ledger.restore(&id, now))?;
    let r = REQUESTS.update(h, &id, |r| {
        if r.status == Status::Approved {
            r.status = Status::Cancelled;
            r.step(now, kind, step.by.clone(), step.comment.clone());
        }
        if let (Some(status), Some(c)) = (cancel, r.cancellation.as_mut()) {
            c.status = status;
        }
        Ok(())
    })?;
    refresh_card(h, &r);
    if let Some(notice) = &r.notice_id
        && let Err(e) = h.update_card(notice, cards::cancelled_notice_card(&r))
    {
        h.warn(&format!("the leave notice of {id} was not updated: {e}"));
    }
    Ok(r)
}

fn revoke(h: &dyn Host, r: Versioned<LeaveRequest>, step: Step) -> Result<Versioned<LeaveRequest>> {
    match r.status {
        Status::Approved => restore(h, &r, &step, StepKind::Revoked, None),
        Status::Pending => close(h, r, step, Status::Rejected, StepKind::Revoked),
        _ => Ok(r),
    }
}

fn cancel_approved(
    h: &dyn Host,
    r: Versioned<LeaveRequest>,
    step: Step,
) -> Result<Versioned<LeaveRequest>> {
    if r.status != Status::Approved {
        return Ok(r);
    }
    restore(
        h,
        &r,
        &step,
        StepKind::CancelApproved,
        Some(CancelStatus::Approved),
    )
}

fn cancel_closed(
    h: &dyn Host,
    r: Versioned<LeaveRequest>,
    step: Step,
    status: CancelStatus,
) -> Result<Versioned<LeaveRequest>> {
    if !r.cancelling() {
        return Ok(r);
    }
    let now = h.now_ms();
    let kind = match status {
        CancelStatus::Rejected => StepKind::CancelRejected,
        _ => StepKind::CancelWithdrawn,
    };
    let r = REQUESTS.update(h, &r.id, |r| {
        if let Some(c) = r
            .cancellation
            .as_mut()
            .filter(|c| c.status == CancelStatus::Pending)
        {
            c.status = status;
            r.step(now, kind, step.by.clone(), step.comment.clone());
        }
        Ok(())
    })?;
    refresh_card(h, &r);
    Ok(r)
}

fn submitter_only(who: &Who, r: &LeaveRequest) -> Result<()> {
    if who.id() == Some(r.person_id.as_str()) {
        Ok(())
    } else {
        Err(who.error(
            format!("Only {} can do this", r.person_name),
            format!("只有{}本人可以操作", r.person_name),
        ))
    }
}

fn load_request(h: &dyn Host, who: &Who, id: &str) -> Result<Versioned<LeaveRequest>> {
    REQUESTS.get(h, id)?.ok_or_else(|| {
        who.error(
            format!("There is no leave request {id}"),
            format!("没有请假申请 {id}"),
        )
    })
}

/// The submitter withdraws a request that is still waiting.
pub fn withdraw(h: &dyn Host, who: &Who, id: &str) -> Result<Versioned<LeaveRequest>> {
    let r = load_request(h, who, id)?;
    submitter_only(who, &r)?;
    if r.status != Status::Pending {
        let (en, zh) = crate::text::status(r.status);
        return Err(who.error(
            format!("This request is no longer waiting for approval ({en})"),
            format!("该申请已不在审批中（{zh}）"),
        ));
    }
    let approval = r
        .approval
        .as_ref()
        .map(|a| a.request_id.clone())
        .unwrap_or_default();
    if !approval.is_empty() {
        h.call(APPROVALS, "withdraw", &json!({"request_id": approval}))
            .map_err(|e| {
                who.error(
                    format!("The request could not be withdrawn: {}", e.message),
                    format!("无法撤回：{}", e.message),
                )
            })?;
    }
    let (me, name) = who.person()?;
    let step = Step {
        approval: &approval,
        by: Some(Named {
            id: me.to_owned(),
            name: name.to_owned(),
        }),
        comment: None,
    };
    close(h, r, step, Status::Withdrawn, StepKind::Withdrawn)
}

/// The submitter asks to cancel approved leave (销假): a `leave_cancel` approval, which
/// restores the balance once approved.
pub fn cancel(h: &dyn Host, who: &Who, id: &str) -> Result<Versioned<LeaveRequest>> {
    let r = load_request(h, who, id)?;
    submitter_only(who, &r)?;
    if r.status != Status::Approved {
        let (en, zh) = crate::text::status(r.status);
        return Err(who.error(
            format!("Only approved leave can be cancelled; this request is {en}"),
            format!("只有已批准的请假可以销假，该申请{zh}"),
        ));
    }
    if r.cancelling() {
        return Err(who.error(
            "A cancellation of this leave is already waiting for approval",
            "该请假的销假申请已在审批中",
        ));
    }
    let original = r
        .approval
        .as_ref()
        .map(|a| a.request_id.clone())
        .unwrap_or_default();
    let (me, name) = who.person()?;
    let by = Named {
        id: me.to_owned(),
        name: name.to_owned(),
    };
    let now = h.now_ms();
    // Pending before `start`, so that a decision arriving during `start` finds it.
    let previous = r.cancellation.clone();
    let r = REQUESTS.update(h, id, |r| {
        r.cancellation = Some(Cancellation {
            approval: None,
            status: CancelStatus::Pending,
            at_ms: now,
        });
        r.history.push(crate::store::Step {
            at_ms: now,
            kind: StepKind::CancelRequested,
            by: Some(by.clone()),
            comment: None,
        });
        Ok(())
    })?;
    let answer = match h.call(APPROVALS, "start", &start_input(&r, Some(&original))) {
        Ok(answer) => answer,
        Err(e) => {
            REQUESTS.update(h, id, |r| {
                r.cancellation = previous.clone();
                if let Some(i) = r
                    .history
                    .iter()
                    .rposition(|s| s.kind == StepKind::CancelRequested && s.at_ms == now)
                {
                    r.history.remove(i);
                }
                Ok(())
            })?;
            return Err(approvals_failed(who, &e));
        }
    };
    let started: Started = serde_json::from_value(answer).map_err(|e| {
        Error::new(
            ErrorKind::Data,
            format!("the answer of `{APPROVALS}` to `start` does not fit: {e}"),
        )
    })?;
    let r = REQUESTS.update(h, id, |r| {
        if let Some(c) = r.cancellation.as_mut()
            && c.approval.is_none()
        {
            c.approval = Some(ApprovalRef {
                request_id: started.request_id.clone(),
                serial: started.serial.clone(),
            });
        }
        Ok(())
    })?;
    refresh_card(h, &r);
    let outcome = match started.status.as_str() {
        "approved" => Outcome::Approved,
        "rejected" => Outcome::Rejected,
        _ => return Ok(r),
    };
    apply(
        h,
        &Decided {
            request_id: started.request_id,
            reference: r.id.clone(),
            template_id: CANCEL_TEMPLATE.into(),
            status: outcome,
            by: None,
            comment: None,
        },
    )
}
