//! HR exports as CSV: UTF-8 with a byte-order mark, so Excel opens Chinese text correctly.

use courtyard_sdk::Result;

use crate::amount::{Amount, Base};
use crate::books;
use crate::date::Date;
use crate::store::{EMPLOYEES, Host, MAX_LIST, REQUESTS, amount_number, load_config};
use crate::text::{number, span_from, span_to, status_code};
use crate::who::Who;

/// What Excel needs to read UTF-8.
pub const BOM: &str = "\u{feff}";

/// A cell: quoted when it holds a separator, a quote or a line break.
fn cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// Free text typed by people: a leading `=`, `+`, `-` or `@` would make a spreadsheet run it
/// as a formula, so it gets a leading apostrophe.
fn text_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        cell(&format!("'{text}"))
    } else {
        cell(text)
    }
}

fn line(cells: &[String]) -> String {
    let mut out = cells.join(",");
    out.push_str("\r\n");
    out
}

fn unit_word(who: &Who, unit: Base) -> &'static str {
    match unit {
        Base::HalfDays => who.tr("days", "天"),
        Base::Minutes => who.tr("hours", "小时"),
    }
}

fn amount_cell(a: Amount) -> String {
    number(amount_number(a))
}

/// One row per request, oldest first; `from`/`to` keep the requests that touch those days.
pub fn requests_csv(
    h: &dyn Host,
    who: &Who,
    from: Option<Date>,
    to: Option<Date>,
) -> Result<String> {
    let mut requests = REQUESTS.list(h, MAX_LIST)?;
    requests.retain(|r| {
        from.is_none_or(|f| r.span.last_day() >= f) && to.is_none_or(|t| r.span.first_day() <= t)
    });
    requests.sort_by(|a, b| (a.submitted_ms, &a.id).cmp(&(b.submitted_ms, &b.id)));
    let header: Vec<String> = [
        who.tr("Request", "申请编号"),
        who.tr("Approval", "审批单号"),
        who.tr("Person ID", "员工 ID"),
        who.tr("Person", "员工"),
        who.tr("Leave type ID", "假期类型 ID"),
        who.tr("Leave type", "假期类型"),
        who.tr("From", "开始"),
        who.tr("To", "结束"),
        who.tr("Amount", "时长"),
        who.tr("Unit", "单位"),
        who.tr("Days", "折合天数"),
        who.tr("Status", "状态"),
        who.tr("Reason", "事由"),
        who.tr("Delegate", "代理人"),
        who.tr("Submitted", "提交日期"),
        who.tr("Decided", "审批日期"),
    ]
    .iter()
    .map(|s| cell(s))
    .collect();
    let mut out = String::from(BOM);
    out.push_str(&line(&header));
    for r in &requests {
        let mut status = status_code(r.status).to_owned();
        if r.cancelling() {
            status.push_str("+cancelling");
        }
        out.push_str(&line(&[
            cell(&r.id),
            cell(r.approval.as_ref().map(|a| a.serial.as_str()).unwrap_or("")),
            cell(&r.person_id),
            text_cell(&r.person_name),
            cell(&r.leave_type.id),
            text_cell(r.leave_type.name.get(&who.locale)),
            cell(&span_from(&r.span)),
            cell(&span_to(&r.span)),
            amount_cell(r.amount),
            cell(unit_word(who, r.amount.unit)),
            number(r.days),
            cell(&status),
            text_cell(&r.reason),
            text_cell(r.delegate.as_ref().map(|d| d.name.as_str()).unwrap_or("")),
            h.date_of(r.submitted_ms).to_string(),
            r.decided_ms
                .map(|ms| h.date_of(ms).to_string())
                .unwrap_or_default(),
        ]));
    }
    Ok(out)
}

/// One row per employee and leave type: the balance on `as_of` and where it comes from.
pub fn balances_csv(h: &dyn Host, who: &Who, as_of: Date) -> Result<String> {
    let types = load_config(h)?.value.types;
    let mut accounts = EMPLOYEES.list(h, MAX_LIST)?;
    accounts.sort_by(|a, b| (&a.name, &a.person_id).cmp(&(&b.name, &b.person_id)));
    let header: Vec<String> = [
        who.tr("Person ID", "员工 ID"),
        who.tr("Person", "员工"),
        who.tr("Leave type ID", "假期类型 ID"),
        who.tr("Leave type", "假期类型"),
        who.tr("Unit", "单位"),
        who.tr("Granted", "发放"),
        who.tr("Adjusted", "调整"),
        who.tr("Taken", "已休"),
        who.tr("Reserved", "预占"),
        who.tr("Expired", "过期"),
        who.tr("Available", "可用"),
        who.tr("As of", "截至"),
    ]
    .iter()
    .map(|s| cell(s))
    .collect();
    let mut out = String::from(BOM);
    out.push_str(&line(&header));
    for account in accounts {
        let b = books::load(h, &account.person_id, &account.name)?;
        for t in &types {
            let Ok(ledger) = b.ledger(t) else {
                continue;
            };
            let bal = ledger.balance_as_of(as_of);
            out.push_str(&line(&[
                cell(&account.person_id),
                text_cell(&account.name),
                cell(&t.id),
                text_cell(t.name.get(&who.locale)),
                cell(unit_word(who, t.base())),
                amount_cell(bal.granted),
                amount_cell(bal.adjusted),
                amount_cell(bal.taken),
                amount_cell(bal.reserved),
                amount_cell(bal.expired),
                amount_cell(bal.available),
                as_of.to_string(),
            ]));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(text_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(text_cell("-1"), "'-1");
        assert_eq!(text_cell("年假"), "年假");
        assert_eq!(line(&["a".into(), "b".into()]), "a,b\r\n");
    }
}
