//! Submitting a leave request: check it, reserve the balance, store it, start its approval
//! and post its card. A request that fails a check stores nothing; one whose approval cannot
//! start is taken back entirely.

use courtyard_sdk::records::Versioned;
use courtyard_sdk::{Error, ErrorKind};
use serde_json::Value;

use crate::amount::Base;
use crate::approval::{self, APPROVALS, Decided, Outcome, Started};
use crate::books;
use crate::cards;
use crate::forms::{self, FieldProblem, Submitted};
use crate::ledger::LedgerError;
use crate::policy::find_type;
use crate::request::{self, ExistingRequest, NewRequest, RequestError, Status};
use crate::store::{self, ApprovalRef, Host, LeaveRequest, Named, REQUESTS, StepKind, load_config};
use crate::who::Who;

/// Why a submission was refused.
#[derive(Debug)]
pub enum Refused {
    /// Something the person can fix in the form.
    Field(FieldProblem),
    Other(Error),
}

impl From<Error> for Refused {
    fn from(e: Error) -> Refused {
        Refused::Other(e)
    }
}

impl From<FieldProblem> for Refused {
    fn from(p: FieldProblem) -> Refused {
        Refused::Field(p)
    }
}

fn field(field: &'static str, message: String) -> Refused {
    Refused::Field(FieldProblem { field, message })
}

/// Holds on time older than this many days are dropped from the account (they only matter
/// for overlap with requests that far in the past).
const HOLD_DAYS: i64 = 400;

/// Submits the `/leave` form as `who` in their group; the stored request.
pub fn submit(
    h: &dyn Host,
    who: &Who,
    form: &Submitted,
) -> Result<Versioned<LeaveRequest>, Refused> {
    let (me, my_name) = who.person()?;
    if who.guest {
        return Err(who
            .error(
                "Guests cannot request leave in this organization",
                "访客不能在本组织请假",
            )
            .into());
    }
    let group = who.group()?.to_owned();
    let config = load_config(h)?.value;
    let Some(leave_type) = find_type(&config.types, &form.leave_type).cloned() else {
        let e = RequestError::UnknownLeaveType {
            id: form.leave_type.clone(),
        };
        return Err(field("leave_type", e.message(&who.locale)));
    };
    let span = forms::span_of(who, form, &leave_type)?;
    let delegate = match form.delegate.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(id) if id == me => {
            return Err(field(
                "delegate",
                who.tr("You cannot be your own delegate", "代理人不能是你自己")
                    .into(),
            ));
        }
        Some(id) => match h.person_name(id)? {
            Some(name) => Some(Named {
                id: id.to_owned(),
                name,
            }),
            None => {
                return Err(field(
                    "delegate",
                    who.tr("There is no such person", "找不到这个人").into(),
                ));
            }
        },
    };
    let certificate = form
        .certificate
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    let new = NewRequest {
        leave_type: leave_type.id.clone(),
        span,
        has_attachment: certificate.is_some(),
    };
    let id = h.new_id();
    let (today, now) = (h.today(), h.now_ms());
    let hours = leave_type.base() == Base::Minutes;

    // Check and reserve, taking turns with anything else changing this person's balance.
    let (measured, schedule) = books::commit::<_, Refused>(h, me, my_name, false, |b| {
        let schedule = b.account.schedule.unwrap_or(config.schedule);
        let measured = request::validate(
            &new,
            &config.types,
            &config.calendar,
            &schedule,
            &b.account.holds,
            today,
        )
        .map_err(|e| field(forms::field_of(&e, hours), e.message(&who.locale)))?;
        let ledger = b
            .ledger(&leave_type)
            .map_err(|e| books::ledger_error(&e, &who.locale))?;
        let entries = ledger
            .reserve(&id, measured.first_day, measured.amount, now)
            .map_err(|e| match e {
                LedgerError::InsufficientBalance { .. } => field(
                    if hours { "date" } else { "to_date" },
                    e.message(&who.locale),
                ),
                other => Refused::Other(books::ledger_error(&other, &who.locale)),
            })?;
        b.account
            .holds
            .retain(|x| x.span.last_day().days_until(today) <= HOLD_DAYS);
        b.account.holds.push(ExistingRequest {
            id: id.clone(),
            leave_type: leave_type.id.clone(),
            span,
            status: Status::Pending,
        });
        Ok((entries, (measured, schedule)))
    })?;

    let mut record = Versioned::new(
        &id,
        LeaveRequest {
            person_id: me.to_owned(),
            person_name: my_name.to_owned(),
            group_id: group.clone(),
            leave_type: leave_type.clone(),
            span,
            amount: measured.amount,
            days: store::amount_days(measured.amount, &schedule),
            reason: form.reason.as_deref().unwrap_or("").trim().to_owned(),
            delegate,
            certificate,
            status: Status::Pending,
            approval: None,
            cancellation: None,
            card_id: None,
            notice_id: None,
            delegated: false,
            history: Vec::new(),
            submitted_ms: now,
            decided_ms: None,
        },
    );
    record.step(
        now,
        StepKind::Submitted,
        Some(Named {
            id: me.to_owned(),
            name: my_name.to_owned(),
        }),
        None,
    );
    record.links = store::request_links(&record);
    if let Err(e) = REQUESTS.save(h, &mut record) {
        books::rollback(h, me, my_name, &id)?;
        return Err(e.into());
    }

    let answer = h.call(APPROVALS, "start", &approval::start_input(&record, None));
    let started = match answer.and_then(|v| parse_started(&v)) {
        Ok(started) => started,
        Err(e) => {
            // Change nothing: no reservation, no request.
            books::rollback(h, me, my_name, &id)?;
            REQUESTS.delete(h, &id)?;
            return Err(approval::approvals_failed(who, &e).into());
        }
    };
    books::flush(h, me)?;
    REQUESTS.update(h, &id, |r| {
        let a = r.approval.get_or_insert_with(|| ApprovalRef {
            request_id: started.request_id.clone(),
            serial: String::new(),
        });
        if a.serial.is_empty() {
            a.serial = started.serial.clone();
        }
        Ok(())
    })?;
    let outcome = match started.status.as_str() {
        "approved" => Some(Outcome::Approved),
        "rejected" => Some(Outcome::Rejected),
        _ => None,
    };
    if let Some(status) = outcome {
        approval::apply(
            h,
            &Decided {
                request_id: started.request_id.clone(),
                reference: id.clone(),
                template_id: approval::TEMPLATE.into(),
                status,
                by: None,
                comment: None,
            },
        )?;
    }
    let record = REQUESTS
        .get(h, &id)?
        .ok_or_else(|| Error::not_found(format!("leave request {id} vanished")))?;
    match h.post_card(&group, cards::request_card(&record)) {
        Ok(card) => Ok(REQUESTS.update(h, &id, |r| {
            r.card_id = Some(card.clone());
            Ok(())
        })?),
        Err(e) => {
            h.warn(&format!(
                "the card of leave request {id} was not posted: {e}"
            ));
            Ok(record)
        }
    }
}

fn parse_started(v: &Value) -> courtyard_sdk::Result<Started> {
    serde_json::from_value(v.clone()).map_err(|e| {
        Error::new(
            ErrorKind::Data,
            format!("the answer of `{APPROVALS}` to `start` does not fit: {e}"),
        )
    })
}
