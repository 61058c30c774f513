//! HR's side of the ledger: the yearly allocation (by the `allocate` route and the yearly
//! schedule), the expiry write-down, and manual adjustments.

use courtyard_sdk::{Error, Result};
use serde::Serialize;

use crate::amount::{Amount, Base};
use crate::books;
use crate::date::Date;
use crate::ledger::{Balance, Entry};
use crate::policy::{self, LeaveType};
use crate::store::{EMPLOYEES, Host, MAX_LIST, load_config};
use crate::who::Who;

/// What an allocation run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Allocated {
    pub year: i32,
    /// Employees looked at.
    pub employees: usize,
    /// Ledger entries written (none when the year was already allocated).
    pub entries_added: usize,
    /// People HR has not given a hiring date: nothing to allocate to them.
    pub without_hiring_date: Vec<String>,
    /// Leave types or people that could not be handled, and why.
    pub problems: Vec<String>,
}

/// Runs the allocation rules of every leave type for `year` for every employee (allocation,
/// accrual, carry-over, and the expiries due by 1 January), and with `expiries_through` also
/// writes down what expired by that day. Idempotent: entries have deterministic ids.
pub fn allocate(h: &dyn Host, year: i32, expiries_through: Option<Date>) -> Result<Allocated> {
    let types = load_config(h)?.value.types;
    let now = h.now_ms();
    let mut out = Allocated {
        year,
        ..Allocated::default()
    };
    let allocating = types.iter().any(|t| t.allocation.is_some());
    for account in EMPLOYEES.list(h, MAX_LIST)? {
        out.employees += 1;
        let employee = account.employee();
        if employee.is_none() && allocating {
            out.without_hiring_date.push(account.person_id.clone());
        }
        let result = books::commit::<_, Error>(h, &account.person_id, &account.name, true, |b| {
            let mut new: Vec<Entry> = Vec::new();
            let mut problems = Vec::new();
            for t in &types {
                let ledger = match b.ledger(t) {
                    Ok(l) => l,
                    Err(e) => {
                        problems.push(format!("{} / {}: {}", b.person_id(), t.id, e));
                        continue;
                    }
                };
                if let Some(employee) = &employee {
                    match policy::year_entries(t, employee, year, &b.entries, now) {
                        Ok(entries) => new.extend(entries),
                        Err(e) => problems.push(format!("{} / {}: {}", b.person_id(), t.id, e)),
                    }
                }
                if let Some(through) = expiries_through {
                    new.extend(ledger.pending_expiries(through, now));
                }
            }
            let mut seen = std::collections::BTreeSet::new();
            new.retain(|e| !b.entries.iter().any(|x| x.id == e.id) && seen.insert(e.id.clone()));
            let count = new.len();
            Ok((new, (count, problems)))
        });
        match result {
            Ok((count, problems)) => {
                out.entries_added += count;
                out.problems.extend(problems);
            }
            Err(e) => out
                .problems
                .push(format!("{}: {}", account.person_id, e.message)),
        }
    }
    Ok(out)
}

/// An amount of `t`'s unit from a number of days (in steps of half a day) or hours (to the
/// minute).
pub fn amount_of(who: &Who, t: &LeaveType, number: f64) -> Result<Amount> {
    if !number.is_finite() || number.abs() > 10_000.0 {
        return Err(who.error(
            format!("{number} is not an amount of leave"),
            format!("{number} 不是有效的假期数量"),
        ));
    }
    let (per, en, zh) = match t.base() {
        Base::HalfDays => (2.0, "days in steps of half a day", "天，以半天为单位"),
        Base::Minutes => (60.0, "hours to the minute", "小时，精确到分钟"),
    };
    let scaled = number * per;
    if (scaled - scaled.round()).abs() > 1e-6 {
        return Err(who.error(
            format!("{} is counted in {en}; {number} does not fit", t.name.en),
            format!("{}按{zh}计，{number} 不符合", t.name.zh),
        ));
    }
    Ok(Amount::new(t.base(), scaled.round() as i64))
}

/// An HR adjustment: signed, with a reason, audited (the entry keeps who made it). `key`
/// makes a retried request add nothing. The entry and the balance afterwards.
#[allow(clippy::too_many_arguments)]
pub fn adjust(
    h: &dyn Host,
    who: &Who,
    person_id: &str,
    person_name: &str,
    t: &LeaveType,
    amount: Amount,
    effective: Date,
    reason: &str,
    key: &str,
) -> Result<(Entry, Balance)> {
    let (me, _) = who.person()?;
    let now = h.now_ms();
    let key = format!("{person_id}:{key}");
    books::commit::<_, Error>(h, person_id, person_name, true, |b| {
        let ledger = b
            .ledger(t)
            .map_err(|e| books::ledger_error(&e, &who.locale))?;
        let new = ledger
            .adjust(&key, amount, effective, reason, me, now)
            .map_err(|e| books::ledger_error(&e, &who.locale))?;
        Ok((new, ()))
    })?;
    let b = books::load(h, person_id, person_name)?;
    let id = format!("adjustment:{key}");
    let entry = b
        .entries
        .iter()
        .find(|e| e.id == id)
        .cloned()
        .ok_or_else(|| Error::not_found(format!("ledger entry {id} not found")))?;
    let balance = b
        .ledger(t)
        .map_err(|e| books::ledger_error(&e, &who.locale))?
        .balance_as_of(effective.max(h.today()));
    Ok((entry, balance))
}
