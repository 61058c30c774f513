//! Leave (请假): leave types and allocation rules, the working calendar, a balance ledger of
//! signed entries and request validation — the pure domain core (`amount`, `date`,
//! `calendar`, `policy`, `ledger`, `request`) — and the plugin on top of it:
//!
//! - `/leave` answers a form (`forms`); submitting it checks the request, reserves the
//!   balance, stores the request and starts its approval in the approvals plugin
//!   (`submit`, `approval`), and posts its card in the group (`cards`);
//! - the approvals plugin reports each outcome through the `approval_decided` operation
//!   (`approval`), which consumes, releases or restores the balance;
//! - `/leave balance` and the `balances` page show balances and their history; the
//!   `calendar` page shows who in the group is away (`pages`);
//! - HR's routes: calendar, leave types, employees, adjustments, allocation and CSV exports
//!   (`routes`, `hr`, `export`); a yearly schedule allocates and writes expiries down.
//!
//! Everything that touches the host goes through `store::Host`, so the flows run natively
//! in unit tests against an in-memory host.

pub mod amount;
pub mod approval;
pub mod books;
pub mod calendar;
pub mod cards;
pub mod date;
pub mod export;
pub mod forms;
pub mod hr;
pub mod ledger;
pub mod pages;
pub mod policy;
pub mod request;
pub mod routes;
pub mod store;
pub mod submit;
pub mod text;
pub mod who;

#[cfg(test)]
mod flows;
#[cfg(test)]
mod testkit;

use courtyard_sdk::prelude::*;

use crate::forms::{FieldProblem, Prefill, Submitted};
use crate::store::{Host, LeaveRequest, Live, load_config};
use crate::submit::Refused;
use crate::who::Who;

pub struct Leave;

/// The schedule that allocates the new year and writes expired leave down.
pub const YEARLY: &str = "yearly";

/// What `/leave` answers: the form (pre-filled from `<from> [to] [type]`), or balances.
pub fn leave_command(h: &dyn Host, who: &Who, args: &Args) -> Result<Reply> {
    let first = args.get(0).unwrap_or("").trim();
    if ["balance", "balances", "余额"]
        .iter()
        .any(|w| first.eq_ignore_ascii_case(w))
    {
        return Ok(Reply::ephemeral(pages::balance_text(h, who)?));
    }
    if ["help", "帮助", "?"]
        .iter()
        .any(|w| first.eq_ignore_ascii_case(w))
    {
        return Ok(Reply::ephemeral(who.tr(
            "/leave — request leave (a form)\n/leave 2026-12-01 2026-12-03 annual — the form, filled in\n/leave balance — your balances\nPages: Balances, Team calendar",
            "/leave — 请假（打开表单）\n/leave 2026-12-01 2026-12-03 年假 — 预先填好的表单\n/leave balance — 查看假期余额\n页面：假期余额、团队日历",
        )));
    }
    who.person()?;
    if who.guest {
        return Err(who.error(
            "Guests cannot request leave in this organization",
            "访客不能在本组织请假",
        ));
    }
    let config = load_config(h)?.value;
    let mut prefill = Prefill::default();
    for word in args.iter().map(str::trim).filter(|w| !w.is_empty()) {
        let looks_like_date = word.starts_with(|c: char| c.is_ascii_digit());
        if looks_like_date {
            let date: date::Date = word.parse().map_err(|_| pages::not_a_date(who, word))?;
            if prefill.from.is_none() {
                prefill.from = Some(date);
            } else if prefill.to.is_none() {
                prefill.to = Some(date);
            } else {
                return Err(who.error(
                    "Give at most two dates: /leave 2026-12-01 2026-12-03 [type]",
                    "最多两个日期：/leave 2026-12-01 2026-12-03 [假期类型]",
                ));
            }
        } else {
            let Some(t) = forms::type_by_word(&config.types, word) else {
                let e = request::RequestError::UnknownLeaveType { id: word.into() };
                return Err(Error::user(e.message(&who.locale)));
            };
            prefill.leave_type = Some(t.id.clone());
        }
    }
    if let (Some(from), Some(to)) = (prefill.from, prefill.to)
        && to < from
    {
        let span = request::Span::days(calendar::DayHalf::am(from), calendar::DayHalf::pm(to));
        return Err(Error::user(
            request::RequestError::WrongOrder { span }.message(&who.locale),
        ));
    }
    Ok(Reply::form(forms::leave_form(who, &config, &prefill)))
}

/// What the submitter sees after submitting.
pub fn submitted_text(who: &Who, r: &LeaveRequest) -> String {
    let zh = who.zh();
    let t = r.type_name().get(&who.locale);
    let span = text::span_short(&r.span, zh);
    let amount = r.amount.text(&who.locale);
    let serial = r
        .approval
        .as_ref()
        .map(|a| a.serial.as_str())
        .filter(|s| !s.is_empty())
        .map(|s| format!(" ({s})"))
        .unwrap_or_default();
    match r.status {
        request::Status::Approved => who.tr(
            format!("Approved: {t}, {span}, {amount}{serial}."),
            format!("已批准：{t}，{span}，{amount}{serial}。"),
        ),
        request::Status::Rejected => who.tr(
            format!("Rejected: {t}, {span}{serial}."),
            format!("已驳回：{t}，{span}{serial}。"),
        ),
        _ => who.tr(
            format!("Sent for approval{serial}: {t}, {span}, {amount}. The balance is reserved until it is decided."),
            format!("已提交审批{serial}：{t}，{span}，{amount}。审批结束前相应余额已预占。"),
        ),
    }
}

/// The form again, filled in, with what was wrong next to the field.
fn form_again(
    h: &dyn Host,
    who: &Who,
    submitted: &Submitted,
    problem: &FieldProblem,
) -> Result<Form> {
    let config = load_config(h)?.value;
    Ok(forms::leave_form(who, &config, &Prefill::default())
        .fill(submitted)
        .help_for(problem.field, &problem.message))
}

/// A button press or the form's submission.
pub fn act(h: &dyn Host, who: &Who, action: &Action) -> Result<ActionReply> {
    match action.action_id.as_str() {
        forms::FORM_ID => {
            let submitted: Submitted = action.form_as()?;
            match submit::submit(h, who, &submitted) {
                Ok(r) => Ok(ActionReply::ephemeral(submitted_text(who, &r))),
                Err(Refused::Field(problem)) => {
                    Ok(ActionReply::form(form_again(h, who, &submitted, &problem)?))
                }
                Err(Refused::Other(e)) => Err(e),
            }
        }
        cards::WITHDRAW => approval::withdraw(h, who, &action.value)
            .map(|r| ActionReply::update(cards::request_card(&r))),
        cards::CANCEL => approval::cancel(h, who, &action.value)
            .map(|r| ActionReply::update(cards::request_card(&r))),
        _ => Ok(ActionReply::None),
    }
}

impl Plugin for Leave {
    fn command(ctx: &Context, command: &str, args: &Args) -> Result<Reply> {
        let who = Who::of(ctx);
        match command {
            "leave" => leave_command(&Live, &who, args),
            other => Err(who.error(
                format!("Unknown command /{other}"),
                format!("未知命令 /{other}"),
            )),
        }
    }

    fn action(ctx: &Context, action: &Action) -> Result<ActionReply> {
        act(&Live, &Who::of(ctx), action)
    }

    fn page(ctx: &Context, page: &str, query: &Query) -> Result<Page> {
        let who = Who::of(ctx);
        match page {
            "balances" => pages::balances_page(&Live, &who, query),
            "calendar" => pages::calendar_page(&Live, &who, query),
            other => Err(Error::not_found(who.tr(
                format!("There is no page `{other}`"),
                format!("没有页面 `{other}`"),
            ))),
        }
    }

    fn http(ctx: &Context, request: &http::Request) -> http::Response {
        routes::handle(&Live, &Who::of(ctx), request)
    }

    fn timer(_ctx: &Context, timer: &Timer) -> Result<()> {
        if timer.name == YEARLY {
            let today = Live.today();
            let done = hr::allocate(&Live, today.year(), Some(today))?;
            log::info(&format!(
                "yearly allocation {}: {} employees, {} entries added, {} without a hiring date, {} problems",
                done.year,
                done.employees,
                done.entries_added,
                done.without_hiring_date.len(),
                done.problems.len()
            ));
            for p in &done.problems {
                log::warn(p);
            }
        }
        Ok(())
    }

    fn call(
        _ctx: &Context,
        caller: &str,
        operation: &str,
        input: serde_json::Value,
    ) -> Result<serde_json::Value> {
        match operation {
            approval::DECIDED => approval::decided(&Live, caller, input),
            other => Err(Error::not_found(format!("unknown operation `{other}`"))),
        }
    }
}

courtyard_sdk::plugin!(Leave);
