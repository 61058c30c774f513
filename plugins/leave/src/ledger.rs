//! The balance ledger: signed entries (allocation, accrual, carry-over, taken, reserved,
//! released, expiry, adjustment) for one person and leave type, from which every balance is a
//! sum that can be explained line by line.
//!
//! Signs: an entry's `amount` counts in the direction its kind names — a grant grants, `Taken`
//! takes, `Reserved` holds, `Released` frees a hold, `Expiry` removes; a negative amount undoes
//! (a negative `Taken` gives leave back). `Adjustment` is signed as it changes the balance.
//! [`Entry::effect`] is the signed change to the available balance.
//!
//! Expiry is first in, first out by expiry date: leave taken on a day consumes, among the grants
//! effective by then, the one that expires first. Grants with an `expires` date can be used
//! through that day; what is left of them is lost the next day. The ledger computes those
//! losses from the entries; [`Ledger::pending_expiries`] writes them down as `Expiry` entries
//! (effective the day after), and once a day's expiry is written down, that written figure is
//! the one that counts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::amount::{Amount, Base};
use crate::date::Date;
use crate::policy::LeaveType;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Allocation,
    Accrual,
    CarryOver,
    Taken,
    Reserved,
    Released,
    Expiry,
    Adjustment,
}

impl EntryKind {
    /// Allocation, accrual and carry-over: the kinds that grant leave.
    pub fn is_grant(self) -> bool {
        matches!(
            self,
            EntryKind::Allocation | EntryKind::Accrual | EntryKind::CarryOver
        )
    }

    /// Taken, reserved and released: the kinds a request writes.
    pub fn is_booking(self) -> bool {
        matches!(
            self,
            EntryKind::Taken | EntryKind::Reserved | EntryKind::Released
        )
    }

    pub fn en(self) -> &'static str {
        match self {
            EntryKind::Allocation => "Allocation",
            EntryKind::Accrual => "Accrual",
            EntryKind::CarryOver => "Carried over",
            EntryKind::Taken => "Taken",
            EntryKind::Reserved => "Reserved",
            EntryKind::Released => "Released",
            EntryKind::Expiry => "Expired",
            EntryKind::Adjustment => "Adjustment",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            EntryKind::Allocation => "发放",
            EntryKind::Accrual => "累积",
            EntryKind::CarryOver => "结转",
            EntryKind::Taken => "已休",
            EntryKind::Reserved => "预占",
            EntryKind::Released => "释放",
            EntryKind::Expiry => "过期",
            EntryKind::Adjustment => "调整",
        }
    }

    /// Order within a day: expiries first (they happen at the end of the day before), then
    /// grants, adjustments, and bookings.
    fn phase(self) -> u8 {
        match self {
            EntryKind::Expiry => 0,
            EntryKind::Allocation | EntryKind::Accrual | EntryKind::CarryOver => 1,
            EntryKind::Adjustment => 2,
            EntryKind::Taken | EntryKind::Reserved | EntryKind::Released => 3,
        }
    }
}

/// One signed line of the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Deterministic for entries the core writes (`taken:<request>`, `allocation:<person>:<type>:<year>`…),
    /// so a retried write is recognised.
    pub id: String,
    pub person_id: String,
    pub leave_type: String,
    pub kind: EntryKind,
    pub amount: Amount,
    /// The day it counts from: the first day of leave for bookings.
    pub effective: Date,
    /// The last day a grant can be used.
    #[serde(default)]
    pub expires: Option<Date>,
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    /// Who made an adjustment (person id).
    #[serde(default)]
    pub by: Option<String>,
    pub at_ms: i64,
}

impl Entry {
    /// An entry with no expiry, request, reason or author.
    pub fn new(
        id: impl Into<String>,
        person_id: impl Into<String>,
        leave_type: impl Into<String>,
        kind: EntryKind,
        amount: Amount,
        effective: Date,
        at_ms: i64,
    ) -> Entry {
        Entry {
            id: id.into(),
            person_id: person_id.into(),
            leave_type: leave_type.into(),
            kind,
            amount,
            effective,
            expires: None,
            request_id: None,
            reason: None,
            by: None,
            at_ms,
        }
    }

    pub fn expires(mut self, date: Date) -> Entry {
        self.expires = Some(date);
        self
    }

    pub fn request(mut self, request_id: impl Into<String>) -> Entry {
        self.request_id = Some(request_id.into());
        self
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Entry {
        self.reason = Some(reason.into());
        self
    }

    pub fn by(mut self, person_id: impl Into<String>) -> Entry {
        self.by = Some(person_id.into());
        self
    }

    /// The signed change this entry makes to the available balance.
    pub fn effect(&self) -> Amount {
        match self.kind {
            EntryKind::Allocation
            | EntryKind::Accrual
            | EntryKind::CarryOver
            | EntryKind::Released
            | EntryKind::Adjustment => self.amount,
            EntryKind::Taken | EntryKind::Reserved | EntryKind::Expiry => -self.amount,
        }
    }

    fn order_key(&self) -> (Date, u8, i64, &str) {
        (self.effective, self.kind.phase(), self.at_ms, &self.id)
    }
}

/// A balance and where it comes from: `available = granted + adjusted − taken − reserved −
/// expired`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    /// Allocations, accruals and carry-overs effective by the date.
    pub granted: Amount,
    /// HR adjustments effective by the date (signed).
    pub adjusted: Amount,
    /// Leave taken (approved), whatever its dates, net of leave given back.
    pub taken: Amount,
    /// Held by requests awaiting a decision, whatever their dates.
    pub reserved: Amount,
    /// Lost by the date because it was not used before it expired.
    pub expired: Amount,
    pub available: Amount,
}

impl Balance {
    /// "6 days available (granted 8 days, adjusted 0 days, taken 2 days, …)".
    pub fn en(&self) -> String {
        format!(
            "{} available (granted {}, adjusted {}, taken {}, reserved {}, expired {})",
            self.available.en(),
            self.granted.en(),
            self.adjusted.en(),
            self.taken.en(),
            self.reserved.en(),
            self.expired.en()
        )
    }

    pub fn zh(&self) -> String {
        format!(
            "可用 {}（发放 {}，调整 {}，已休 {}，预占 {}，过期 {}）",
            self.available.zh(),
            self.granted.zh(),
            self.adjusted.zh(),
            self.taken.zh(),
            self.reserved.zh(),
            self.expired.zh()
        )
    }
}

/// Leave that will be lost unless used by `last_day`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expiring {
    pub last_day: Date,
    pub amount: Amount,
}

/// A line of the history: the entry, its effect and the balance after it. `pending` marks an
/// expiry the ledger computed but nobody has written down yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryRow {
    pub entry: Entry,
    pub effect: Amount,
    pub balance: Amount,
    pub pending: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LedgerError {
    InsufficientBalance {
        available: Amount,
        requested: Amount,
    },
    /// An amount or an entry in another base than the leave type's.
    UnitMismatch {
        expected: Base,
        found: Base,
    },
    /// An entry that expires before it takes effect.
    InvalidEntry {
        id: String,
    },
    /// A reservation, adjustment or grant of nothing (or, for reservations, less).
    NotPositive {
        amount: Amount,
    },
    ReasonRequired,
    /// The request holds no reservation to consume: never submitted, or already released.
    NotReserved {
        request_id: String,
    },
    /// Nothing was taken for the request, so there is nothing to give back.
    NotTaken {
        request_id: String,
    },
}

fn base_name(base: Base) -> (&'static str, &'static str) {
    match base {
        Base::HalfDays => ("days", "天"),
        Base::Minutes => ("hours", "小时"),
    }
}

impl LedgerError {
    pub fn en(&self) -> String {
        match self {
            LedgerError::InsufficientBalance {
                available,
                requested,
            } => format!(
                "Not enough leave: {} available, {} requested",
                available.en(),
                requested.en()
            ),
            LedgerError::UnitMismatch { expected, found } => format!(
                "This leave type is counted in {}, not in {}",
                base_name(*expected).0,
                base_name(*found).0
            ),
            LedgerError::InvalidEntry { id } => {
                format!("Ledger entry {id} expires before it takes effect")
            }
            LedgerError::NotPositive { amount } => {
                format!("The amount must be more than zero (got {})", amount.en())
            }
            LedgerError::ReasonRequired => "An adjustment needs a reason".into(),
            LedgerError::NotReserved { request_id } => format!(
                "Request {request_id} holds no reserved balance (never submitted, or already rejected or withdrawn)"
            ),
            LedgerError::NotTaken { request_id } => {
                format!("Request {request_id} was never approved, so there is nothing to give back")
            }
        }
    }

    pub fn zh(&self) -> String {
        match self {
            LedgerError::InsufficientBalance {
                available,
                requested,
            } => format!(
                "假期余额不足：可用 {}，申请 {}",
                available.zh(),
                requested.zh()
            ),
            LedgerError::UnitMismatch { expected, found } => format!(
                "该假期按{}计算，不能按{}计算",
                base_name(*expected).1,
                base_name(*found).1
            ),
            LedgerError::InvalidEntry { id } => format!("假期记录 {id} 的过期日早于生效日"),
            LedgerError::NotPositive { amount } => {
                format!("数量必须大于零（当前为 {}）", amount.zh())
            }
            LedgerError::ReasonRequired => "调整假期余额必须填写原因".into(),
            LedgerError::NotReserved { request_id } => {
                format!("申请 {request_id} 没有预占的余额（未提交，或已被驳回、撤回）")
            }
            LedgerError::NotTaken { request_id } => {
                format!("申请 {request_id} 未获批准，没有可退回的假期")
            }
        }
    }

    /// The message in `locale` ("zh…" for Chinese, English otherwise).
    pub fn message(&self, locale: &str) -> String {
        if locale.starts_with("zh") {
            self.zh()
        } else {
            self.en()
        }
    }
}

impl std::fmt::Display for LedgerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} / {}", self.en(), self.zh())
    }
}

impl std::error::Error for LedgerError {}

/// A day's expiry: what was left of the grants whose last day was the day before.
#[derive(Clone, Copy, Debug)]
struct ExpiryEvent {
    /// The first day the leave is gone (the day after `expires`).
    date: Date,
    amount: i64,
    /// Written down as `Expiry` entries rather than computed.
    recorded: bool,
}

struct Lot {
    expires: Option<Date>,
    effective: Date,
    seq: usize,
    remaining: i64,
}

#[derive(Default)]
struct Day {
    lots: Vec<Lot>,
    /// (at_ms, key, amount) consumed that day.
    uses: Vec<(i64, String, i64)>,
    recorded_expiry: Option<i64>,
}

/// The entries of one person for one leave type, and what follows from them.
#[derive(Clone, Debug)]
pub struct Ledger<'a> {
    person_id: &'a str,
    leave_type: &'a LeaveType,
    entries: Vec<&'a Entry>,
    expiries: Vec<ExpiryEvent>,
}

impl<'a> Ledger<'a> {
    /// The ledger of `person_id` for `leave_type`; entries of other people and types are
    /// ignored. Refuses entries in another unit, or that expire before they take effect.
    pub fn new(
        person_id: &'a str,
        leave_type: &'a LeaveType,
        entries: &'a [Entry],
    ) -> Result<Ledger<'a>, LedgerError> {
        let mut mine: Vec<&Entry> = entries
            .iter()
            .filter(|e| e.person_id == person_id && e.leave_type == leave_type.id)
            .collect();
        for e in &mine {
            if e.amount.unit != leave_type.base() {
                return Err(LedgerError::UnitMismatch {
                    expected: leave_type.base(),
                    found: e.amount.unit,
                });
            }
            if e.expires.is_some_and(|x| x < e.effective) {
                return Err(LedgerError::InvalidEntry { id: e.id.clone() });
            }
        }
        mine.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        let expiries = simulate(&mine);
        Ok(Ledger {
            person_id,
            leave_type,
            entries: mine,
            expiries,
        })
    }

    /// This person's entries for this type, in order (effective date, then kind, time, id).
    pub fn entries(&self) -> &[&'a Entry] {
        &self.entries
    }

    pub fn base(&self) -> Base {
        self.leave_type.base()
    }

    fn amount(&self, value: i64) -> Amount {
        Amount::new(self.base(), value)
    }

    fn sum(&self, keep: impl Fn(&Entry) -> bool) -> i64 {
        self.entries
            .iter()
            .filter(|e| keep(e))
            .map(|e| e.amount.value)
            .sum()
    }

    /// The balance on `date`: grants and adjustments effective by then and expiries that have
    /// happened by then; every booking, whatever its dates (booked leave is spoken for).
    pub fn balance_as_of(&self, date: Date) -> Balance {
        let granted = self.sum(|e| e.kind.is_grant() && e.effective <= date);
        let adjusted = self.sum(|e| e.kind == EntryKind::Adjustment && e.effective <= date);
        let taken = self.sum(|e| e.kind == EntryKind::Taken);
        let reserved = self.sum(|e| e.kind == EntryKind::Reserved)
            - self.sum(|e| e.kind == EntryKind::Released);
        let expired = self.sum(|e| e.kind == EntryKind::Expiry && e.effective <= date)
            + self
                .expiries
                .iter()
                .filter(|x| !x.recorded && x.date <= date)
                .map(|x| x.amount)
                .sum::<i64>();
        Balance {
            granted: self.amount(granted),
            adjusted: self.amount(adjusted),
            taken: self.amount(taken),
            reserved: self.amount(reserved),
            expired: self.amount(expired),
            available: self.amount(granted + adjusted - taken - reserved - expired),
        }
    }

    /// The lowest available balance from `start` on: what a new request starting then may
    /// still take without leaving a later day overdrawn (e.g. by grants expiring meanwhile).
    fn lowest_available_from(&self, start: Date) -> i64 {
        let later = self
            .entries
            .iter()
            .map(|e| e.effective)
            .chain(self.expiries.iter().map(|x| x.date))
            .filter(|&d| d > start);
        std::iter::once(start)
            .chain(later)
            .map(|d| self.balance_as_of(d).available.value)
            .min()
            .unwrap_or(0)
    }

    /// Leave still unused on `date` (given what is already booked) that will expire later, by
    /// last day of use.
    pub fn expiring_after(&self, date: Date) -> Vec<Expiring> {
        self.expiries
            .iter()
            .filter(|x| !x.recorded && x.date > date && x.amount > 0)
            .map(|x| Expiring {
                last_day: x.date.add_days(-1),
                amount: self.amount(x.amount),
            })
            .collect()
    }

    /// What expires on `date` (the day after the grants' last day), written down or computed.
    pub fn expired_on(&self, date: Date) -> Amount {
        let value = self
            .expiries
            .iter()
            .filter(|x| x.date == date)
            .map(|x| x.amount)
            .sum();
        self.amount(value)
    }

    fn expiry_entry(&self, event: &ExpiryEvent, at_ms: i64) -> Entry {
        Entry::new(
            format!(
                "expiry:{}:{}:{}",
                self.person_id, self.leave_type.id, event.date
            ),
            self.person_id,
            &self.leave_type.id,
            EntryKind::Expiry,
            self.amount(event.amount),
            event.date,
            at_ms,
        )
        .reason(format!(
            "unused after {last} / {last} 前未使用",
            last = event.date.add_days(-1)
        ))
    }

    /// Expiry entries to write down for losses computed on or before `through` and not yet
    /// written (one entry per day, id `expiry:<person>:<type>:<date>`).
    pub fn pending_expiries(&self, through: Date, at_ms: i64) -> Vec<Entry> {
        self.expiries
            .iter()
            .filter(|x| !x.recorded && x.date <= through)
            .map(|x| self.expiry_entry(x, at_ms))
            .collect()
    }

    /// Entries in order with the balance after each: grants, adjustments and expiries up to
    /// `as_of` (including computed, unwritten expiries), and every booking. The last balance
    /// is `balance_as_of(as_of).available`.
    pub fn history(&self, as_of: Date) -> Vec<HistoryRow> {
        let mut rows: Vec<(Entry, bool)> = self
            .entries
            .iter()
            .filter(|e| e.kind.is_booking() || e.effective <= as_of)
            .map(|e| ((*e).clone(), false))
            .chain(
                self.expiries
                    .iter()
                    .filter(|x| !x.recorded && x.date <= as_of)
                    .map(|x| (self.expiry_entry(x, 0), true)),
            )
            .collect();
        rows.sort_by(|(a, _), (b, _)| a.order_key().cmp(&b.order_key()));
        let mut balance = 0;
        rows.into_iter()
            .map(|(entry, pending)| {
                let effect = entry.effect();
                balance += effect.value;
                HistoryRow {
                    entry,
                    effect,
                    balance: self.amount(balance),
                    pending,
                }
            })
            .collect()
    }

    fn of_request(&self, request_id: &str) -> impl Iterator<Item = &&'a Entry> {
        self.entries
            .iter()
            .filter(move |e| e.request_id.as_deref() == Some(request_id))
    }

    /// Balance a request still holds: reserved minus released.
    pub fn held(&self, request_id: &str) -> Amount {
        let value = self
            .of_request(request_id)
            .map(|e| match e.kind {
                EntryKind::Reserved => e.amount.value,
                EntryKind::Released => -e.amount.value,
                _ => 0,
            })
            .sum();
        self.amount(value)
    }

    /// Leave a request has taken, net of what was given back.
    pub fn taken_by(&self, request_id: &str) -> Amount {
        let value = self
            .of_request(request_id)
            .filter(|e| e.kind == EntryKind::Taken)
            .map(|e| e.amount.value)
            .sum();
        self.amount(value)
    }

    fn check_unit(&self, amount: Amount) -> Result<(), LedgerError> {
        if amount.unit == self.base() {
            Ok(())
        } else {
            Err(LedgerError::UnitMismatch {
                expected: self.base(),
                found: amount.unit,
            })
        }
    }

    fn booking(
        &self,
        kind: EntryKind,
        request_id: &str,
        amount: Amount,
        effective: Date,
        at_ms: i64,
    ) -> Entry {
        let prefix = match kind {
            EntryKind::Reserved => "reserved",
            EntryKind::Released => "released",
            EntryKind::Taken if amount.is_negative() => "restored",
            _ => "taken",
        };
        Entry::new(
            format!("{prefix}:{request_id}"),
            self.person_id,
            &self.leave_type.id,
            kind,
            amount,
            effective,
            at_ms,
        )
        .request(request_id)
    }

    /// On submit: hold `amount` for a request whose leave starts on `start`. Refused when the
    /// type is balance-limited and the balance from `start` on cannot cover it. Nothing to add
    /// (an empty list) when the request already has entries.
    pub fn reserve(
        &self,
        request_id: &str,
        start: Date,
        amount: Amount,
        at_ms: i64,
    ) -> Result<Vec<Entry>, LedgerError> {
        self.check_unit(amount)?;
        if !amount.is_positive() {
            return Err(LedgerError::NotPositive { amount });
        }
        if self.of_request(request_id).next().is_some() {
            return Ok(Vec::new());
        }
        let entry = self.booking(EntryKind::Reserved, request_id, amount, start, at_ms);
        if self.leave_type.balance_limited {
            let mut with: Vec<Entry> = self.entries.iter().map(|e| (*e).clone()).collect();
            with.push(entry.clone());
            let after = Ledger::new(self.person_id, self.leave_type, &with)?;
            let lowest = after.lowest_available_from(start);
            if lowest < 0 {
                return Err(LedgerError::InsufficientBalance {
                    available: self.amount((amount.value + lowest).max(0)),
                    requested: amount,
                });
            }
        }
        Ok(vec![entry])
    }

    /// On approval: release the reservation and record the leave as taken, both effective on
    /// the reservation's date. Nothing to add when already consumed.
    pub fn consume(&self, request_id: &str, at_ms: i64) -> Result<Vec<Entry>, LedgerError> {
        if self
            .of_request(request_id)
            .any(|e| e.kind == EntryKind::Taken)
        {
            return Ok(Vec::new());
        }
        let held = self.held(request_id);
        let reserved = self
            .of_request(request_id)
            .find(|e| e.kind == EntryKind::Reserved);
        match reserved {
            Some(r) if held.is_positive() => Ok(vec![
                self.booking(EntryKind::Released, request_id, held, r.effective, at_ms),
                self.booking(EntryKind::Taken, request_id, held, r.effective, at_ms),
            ]),
            _ => Err(LedgerError::NotReserved {
                request_id: request_id.into(),
            }),
        }
    }

    /// On rejection or withdrawal: free what the request holds. Nothing to add when it holds
    /// nothing (already released, consumed, or never reserved).
    pub fn release(&self, request_id: &str, at_ms: i64) -> Result<Vec<Entry>, LedgerError> {
        let held = self.held(request_id);
        match self
            .of_request(request_id)
            .find(|e| e.kind == EntryKind::Reserved)
        {
            Some(r) if held.is_positive() => Ok(vec![self.booking(
                EntryKind::Released,
                request_id,
                held,
                r.effective,
                at_ms,
            )]),
            _ => Ok(Vec::new()),
        }
    }

    /// On cancellation of approved leave: give back what was taken, as a negative `Taken` on
    /// the leave's date (so it is as if the leave had not been taken). Nothing to add when it
    /// was already given back.
    pub fn restore(&self, request_id: &str, at_ms: i64) -> Result<Vec<Entry>, LedgerError> {
        let Some(taken) = self
            .of_request(request_id)
            .find(|e| e.kind == EntryKind::Taken)
        else {
            return Err(LedgerError::NotTaken {
                request_id: request_id.into(),
            });
        };
        let net = self.taken_by(request_id);
        if !net.is_positive() {
            return Ok(Vec::new());
        }
        Ok(vec![self.booking(
            EntryKind::Taken,
            request_id,
            -net,
            taken.effective,
            at_ms,
        )])
    }

    /// An HR adjustment (signed), with a reason and its author; `key` identifies it so a retry
    /// adds nothing (entry id `adjustment:<key>`).
    pub fn adjust(
        &self,
        key: &str,
        amount: Amount,
        effective: Date,
        reason: &str,
        by: &str,
        at_ms: i64,
    ) -> Result<Vec<Entry>, LedgerError> {
        self.check_unit(amount)?;
        if reason.trim().is_empty() {
            return Err(LedgerError::ReasonRequired);
        }
        if amount.is_zero() {
            return Err(LedgerError::NotPositive { amount });
        }
        let id = format!("adjustment:{key}");
        if self.entries.iter().any(|e| e.id == id) {
            return Ok(Vec::new());
        }
        Ok(vec![
            Entry::new(
                id,
                self.person_id,
                &self.leave_type.id,
                EntryKind::Adjustment,
                amount,
                effective,
                at_ms,
            )
            .reason(reason.trim())
            .by(by),
        ])
    }

    /// Leave earned outside the yearly rules (e.g. compensatory time for approved overtime), as
    /// an `Accrual` usable through `expires`; `key` makes it idempotent (`accrual:<key>`).
    pub fn earn(
        &self,
        key: &str,
        amount: Amount,
        effective: Date,
        expires: Option<Date>,
        reason: &str,
        at_ms: i64,
    ) -> Result<Vec<Entry>, LedgerError> {
        self.check_unit(amount)?;
        if !amount.is_positive() {
            return Err(LedgerError::NotPositive { amount });
        }
        if expires.is_some_and(|x| x < effective) {
            return Err(LedgerError::InvalidEntry {
                id: format!("accrual:{key}"),
            });
        }
        let id = format!("accrual:{key}");
        if self.entries.iter().any(|e| e.id == id) {
            return Ok(Vec::new());
        }
        let mut entry = Entry::new(
            id,
            self.person_id,
            &self.leave_type.id,
            EntryKind::Accrual,
            amount,
            effective,
            at_ms,
        )
        .reason(reason);
        entry.expires = expires;
        Ok(vec![entry])
    }
}

/// Walk the entries day by day: grants become lots; what is taken (net per request) consumes
/// the live lot that expires first; on the day after a lot's last day, what is left of it
/// expires — unless that day's expiry was written down, which then counts instead.
fn simulate(entries: &[&Entry]) -> Vec<ExpiryEvent> {
    let mut days: BTreeMap<Date, Day> = BTreeMap::new();
    let mut bookings: BTreeMap<String, (Date, i64, i64)> = BTreeMap::new();
    for (seq, e) in entries.iter().enumerate() {
        let value = e.amount.value;
        match e.kind {
            EntryKind::Expiry => {
                *days
                    .entry(e.effective)
                    .or_default()
                    .recorded_expiry
                    .get_or_insert(0) += value;
            }
            EntryKind::Taken | EntryKind::Reserved | EntryKind::Released => {
                let key = e
                    .request_id
                    .clone()
                    .unwrap_or_else(|| format!("entry:{}", e.id));
                let sign = if e.kind == EntryKind::Released { -1 } else { 1 };
                let b = bookings.entry(key).or_insert((e.effective, e.at_ms, 0));
                b.0 = b.0.min(e.effective);
                b.1 = b.1.min(e.at_ms);
                b.2 += sign * value;
            }
            _ if value > 0 => {
                if let Some(x) = e.expires {
                    days.entry(x.add_days(1)).or_default();
                }
                days.entry(e.effective).or_default().lots.push(Lot {
                    expires: e.expires,
                    effective: e.effective,
                    seq,
                    remaining: value,
                });
            }
            _ => days.entry(e.effective).or_default().uses.push((
                e.at_ms,
                format!("entry:{}", e.id),
                -value,
            )),
        }
    }
    for (key, (date, at_ms, net)) in bookings {
        let day = days.entry(date).or_default();
        if net >= 0 {
            day.uses.push((at_ms, key, net));
        } else {
            // More given back than taken: treat the excess as a grant that never expires.
            day.lots.push(Lot {
                expires: None,
                effective: date,
                seq: usize::MAX,
                remaining: -net,
            });
        }
    }

    let mut live: Vec<Lot> = Vec::new();
    let mut debt = 0i64;
    let mut events = Vec::new();
    for (date, mut day) in days {
        let (gone, kept): (Vec<Lot>, Vec<Lot>) = live
            .into_iter()
            .partition(|l| l.expires.is_some_and(|x| x < date));
        live = kept;
        let left: i64 = gone.iter().map(|l| l.remaining).sum();
        match day.recorded_expiry {
            Some(amount) => events.push(ExpiryEvent {
                date,
                amount,
                recorded: true,
            }),
            None if left > 0 => events.push(ExpiryEvent {
                date,
                amount: left,
                recorded: false,
            }),
            None => {}
        }
        for mut lot in day.lots {
            let paid = debt.min(lot.remaining);
            debt -= paid;
            lot.remaining -= paid;
            live.push(lot);
        }
        live.sort_by_key(|l| (l.expires.is_none(), l.expires, l.effective, l.seq));
        day.uses.sort();
        for (_, _, mut need) in day.uses {
            for lot in live.iter_mut() {
                let used = need.min(lot.remaining);
                lot.remaining -= used;
                need -= used;
                if need == 0 {
                    break;
                }
            }
            debt += need;
        }
        live.retain(|l| l.remaining > 0);
    }
    // A lot's expiry day was added to `days`, so every lot that expires has been seen to.
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::d;
    use crate::policy::default_leave_types;

    fn annual() -> LeaveType {
        default_leave_types()
            .into_iter()
            .find(|t| t.id == "annual")
            .unwrap()
    }

    fn grant(kind: EntryKind, id: &str, days: i64, effective: &str, expires: &str) -> Entry {
        Entry::new(
            id,
            "ann",
            "annual",
            kind,
            Amount::days(days),
            d(effective),
            0,
        )
        .expires(d(expires))
    }

    /// 2026: 3 days carried over from 2025 until 31 March, 5 days for the year.
    fn opening() -> Vec<Entry> {
        vec![
            grant(
                EntryKind::CarryOver,
                "carry-2026",
                3,
                "2026-01-01",
                "2026-03-31",
            ),
            grant(
                EntryKind::Allocation,
                "alloc-2026",
                5,
                "2026-01-01",
                "2026-12-31",
            ),
        ]
    }

    fn apply(entries: &mut Vec<Entry>, new: Result<Vec<Entry>, LedgerError>) -> usize {
        let new = new.unwrap();
        let n = new.len();
        entries.extend(new);
        n
    }

    fn book(entries: &mut Vec<Entry>, t: &LeaveType, request: &str, start: &str, days: i64) {
        let ledger = Ledger::new("ann", t, entries).unwrap();
        let new = ledger.reserve(request, d(start), Amount::days(days), 1);
        apply(entries, new);
        let ledger = Ledger::new("ann", t, entries).unwrap();
        let new = ledger.consume(request, 2);
        apply(entries, new);
    }

    fn available(t: &LeaveType, entries: &[Entry], on: &str) -> Amount {
        Ledger::new("ann", t, entries)
            .unwrap()
            .balance_as_of(d(on))
            .available
    }

    #[test]
    fn leave_taken_before_the_carry_over_expires_uses_it_first() {
        let t = annual();
        let mut entries = opening();
        book(&mut entries, &t, "feb", "2026-02-10", 2);
        let ledger = Ledger::new("ann", &t, &entries).unwrap();
        assert_eq!(
            ledger.balance_as_of(d("2026-03-31")),
            Balance {
                granted: Amount::days(8),
                adjusted: Amount::days(0),
                taken: Amount::days(2),
                reserved: Amount::days(0),
                expired: Amount::days(0),
                available: Amount::days(6),
            }
        );
        let march = ledger.balance_as_of(d("2026-03-31"));
        assert_eq!(
            march.en(),
            "6 days available (granted 8 days, adjusted 0 days, taken 2 days, reserved 0 days, expired 0 days)"
        );
        assert_eq!(
            march.zh(),
            "可用 6 天（发放 8 天，调整 0 天，已休 2 天，预占 0 天，过期 0 天）"
        );
        // The 2 days came out of the carry-over: 1 day of it is lost on 1 April, the year's
        // 5 days are intact.
        let april = ledger.balance_as_of(d("2026-04-01"));
        assert_eq!(april.expired, Amount::days(1));
        assert_eq!(april.available, Amount::days(5));
        assert_eq!(
            ledger.expiring_after(d("2026-02-11")),
            vec![
                Expiring {
                    last_day: d("2026-03-31"),
                    amount: Amount::days(1)
                },
                Expiring {
                    last_day: d("2026-12-31"),
                    amount: Amount::days(5)
                }
            ]
        );
    }

    #[test]
    fn leave_taken_after_the_carry_over_expired_uses_the_year() {
        let t = annual();
        let mut entries = opening();
        book(&mut entries, &t, "may", "2026-05-04", 2);
        let ledger = Ledger::new("ann", &t, &entries).unwrap();
        // Before April the carry-over is still there to use.
        assert_eq!(
            ledger.balance_as_of(d("2026-03-31")).available,
            Amount::days(6)
        );
        let may = ledger.balance_as_of(d("2026-05-04"));
        assert_eq!(may.expired, Amount::days(3));
        assert_eq!(may.available, Amount::days(3));
        assert_eq!(
            ledger.balance_as_of(d("2027-01-01")).expired,
            Amount::days(6)
        );
        assert_eq!(
            ledger.balance_as_of(d("2027-01-01")).available,
            Amount::days(0)
        );
    }

    #[test]
    fn the_earliest_expiring_grant_goes_first_whatever_the_order_of_entries() {
        let t = annual();
        let mut entries = opening();
        entries.reverse();
        entries.push(grant(
            EntryKind::Accrual,
            "bonus",
            1,
            "2026-01-01",
            "2026-02-28",
        ));
        book(&mut entries, &t, "jan", "2026-01-20", 2);
        let ledger = Ledger::new("ann", &t, &entries).unwrap();
        // 1 day from the bonus (ends in February), 1 from the carry-over (ends in March).
        assert_eq!(
            ledger.balance_as_of(d("2026-03-01")).expired,
            Amount::days(0)
        );
        assert_eq!(
            ledger.balance_as_of(d("2026-04-01")).expired,
            Amount::days(2)
        );
        assert_eq!(
            ledger.balance_as_of(d("2026-04-01")).available,
            Amount::days(5)
        );
    }

    #[test]
    fn reserve_consume_release_restore_are_idempotent() {
        let t = annual();
        let mut entries = opening();
        let at = |entries: &Vec<Entry>| {
            Ledger::new("ann", &t, entries)
                .unwrap()
                .balance_as_of(d("2026-01-15"))
        };

        let ledger = Ledger::new("ann", &t, &entries).unwrap();
        let reserved = ledger
            .reserve("r1", d("2026-06-01"), Amount::days(2), 10)
            .unwrap();
        assert_eq!(reserved.len(), 1);
        assert_eq!(reserved[0].id, "reserved:r1");
        assert_eq!(reserved[0].kind, EntryKind::Reserved);
        assert_eq!(reserved[0].effective, d("2026-06-01"));
        entries.extend(reserved);
        assert_eq!(at(&entries).reserved, Amount::days(2));
        assert_eq!(at(&entries).available, Amount::days(6));
        let ledger = Ledger::new("ann", &t, &entries).unwrap();
        assert_eq!(
            ledger.reserve("r1", d("2026-06-01"), Amount::days(2), 11),
            Ok(vec![])
        );
        assert_eq!(ledger.held("r1"), Amount::days(2));

        let consumed = ledger.consume("r1", 20).unwrap();
        assert_eq!(
            consumed
                .iter()
                .map(|e| (e.id.as_str(), e.kind, e.amount))
                .collect::<Vec<_>>(),
            vec![
                ("released:r1", EntryKind::Released, Amount::days(2)),
                ("taken:r1", EntryKind::Taken, Amount::days(2))
            ]
        );
        entries.extend(consumed);
        let b = at(&entries);
        assert_eq!(
            (b.reserved, b.taken, b.available),
            (Amount::days(0), Amount::days(2), Amount::days(6))
        );
        let ledger = Ledger::new("ann", &t, &entries).unwrap();
        assert_eq!(ledger.consume("r1", 21), Ok(vec![]));
        assert_eq!(ledger.release("r1", 21), Ok(vec![]));

        let restored = ledger.restore("r1", 30).unwrap();
        assert_eq!(restored.len(), 1);
        assert_eq!(restored[0].id, "restored:r1");
        assert_eq!(restored[0].kind, EntryKind::Taken);
        assert_eq!(restored[0].amount, Amount::days(-2));
        assert_eq!(restored[0].effective, d("2026-06-01"));
        entries.extend(restored);
        let b = at(&entries);
        assert_eq!((b.taken, b.available), (Amount::days(0), Amount::days(8)));
        let ledger = Ledger::new("ann", &t, &entries).unwrap();
        assert_eq!(ledger.restore("r1", 31), Ok(vec![]));
        assert_eq!(ledger.taken_by("r1"), Amount::days(0));

        // A second request is rejected: its hold is freed once.
        let new = ledger.reserve("r2", d("2026-07-01"), Amount::half_days(3), 40);
        assert_eq!(apply(&mut entries, new), 1);
        let ledger = Ledger::new("ann", &t, &entries).unwrap();
        let released = ledger.release("r2", 41).unwrap();
        assert_eq!(released.len(), 1);
        assert_eq!(released[0].amount, Amount::half_days(3));
        entries.extend(released);
        let ledger = Ledger::new("ann", &t, &entries).unwrap();
        assert_eq!(ledger.release("r2", 42), Ok(vec![]));
        assert_eq!(ledger.held("r2"), Amount::days(0));
        assert_eq!(
            ledger.consume("r2", 43),
            Err(LedgerError::NotReserved {
                request_id: "r2".into()
            })
        );
        assert_eq!(
            ledger.reserve("r2", d("2026-07-01"), Amount::days(1), 44),
            Ok(vec![])
        );
        assert_eq!(
            ledger.restore("r2", 45),
            Err(LedgerError::NotTaken {
                request_id: "r2".into()
            })
        );
        assert_eq!(
            ledger.consume("never", 46),
            Err(LedgerError::NotReserved {
                request_id: "never".into()
            })
        );
        assert_eq!(ledger.release("never", 46), Ok(vec![]));
        assert_eq!(at(&entries).available, Amount::days(8));
    }

    #[test]
    fn insufficient_balance_is_refused_with_what_is_available() {
        let t = annual();
        let entries = opening();
        let ledger = Ledger::new("ann", &t, &entries).unwrap();
        assert_eq!(
            ledger.reserve("big", d("2026-02-02"), Amount::days(9), 1),
            Err(LedgerError::InsufficientBalance {
                available: Amount::days(8),
                requested: Amount::days(9)
            })
        );
        assert_eq!(
            ledger
                .reserve("ok", d("2026-02-02"), Amount::days(8), 1)
                .unwrap()
                .len(),
            1
        );
        // In April the carry-over is gone.
        assert_eq!(
            ledger.reserve("april", d("2026-04-06"), Amount::days(6), 1),
            Err(LedgerError::InsufficientBalance {
                available: Amount::days(5),
                requested: Amount::days(6)
            })
        );
        let err = ledger
            .reserve("april", d("2026-04-06"), Amount::half_days(11), 1)
            .unwrap_err();
        assert_eq!(
            err.en(),
            "Not enough leave: 5 days available, 5.5 days requested"
        );
        assert_eq!(err.zh(), "假期余额不足：可用 5 天，申请 5.5 天");
        assert_eq!(err.message("zh-CN"), err.zh());
        // Booking 5 days in June first leaves only the carry-over for a March request.
        let mut entries = entries;
        book(&mut entries, &t, "june", "2026-06-01", 5);
        let ledger = Ledger::new("ann", &t, &entries).unwrap();
        assert_eq!(
            ledger.reserve("march", d("2026-03-02"), Amount::days(4), 1),
            Err(LedgerError::InsufficientBalance {
                available: Amount::days(3),
                requested: Amount::days(4)
            })
        );
        assert_eq!(
            ledger
                .reserve("march", d("2026-03-02"), Amount::days(3), 1)
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            ledger.reserve("april", d("2026-04-01"), Amount::half_days(1), 1),
            Err(LedgerError::InsufficientBalance {
                available: Amount::days(0),
                requested: Amount::half_days(1)
            })
        );
    }

    #[test]
    fn unlimited_types_never_refuse() {
        let sick = default_leave_types()
            .into_iter()
            .find(|t| t.id == "sick")
            .unwrap();
        let ledger = Ledger::new("ann", &sick, &[]).unwrap();
        let new = ledger
            .reserve("flu", d("2026-02-02"), Amount::days(3), 1)
            .unwrap();
        assert_eq!(new.len(), 1);
        assert_eq!(new[0].leave_type, "sick");
    }

    #[test]
    fn adjustments_need_a_reason_and_count_signed() {
        let t = annual();
        let mut entries = opening();
        let ledger = Ledger::new("ann", &t, &entries).unwrap();
        assert_eq!(
            ledger.adjust("a1", Amount::days(1), d("2026-03-01"), "  ", "hr", 1),
            Err(LedgerError::ReasonRequired)
        );
        assert_eq!(LedgerError::ReasonRequired.zh(), "调整假期余额必须填写原因");
        assert_eq!(
            ledger.adjust("a1", Amount::days(0), d("2026-03-01"), "why", "hr", 1),
            Err(LedgerError::NotPositive {
                amount: Amount::days(0)
            })
        );
        let new = ledger
            .adjust(
                "a1",
                Amount::half_days(-3),
                d("2026-03-01"),
                "correction",
                "hr",
                1,
            )
            .unwrap();
        assert_eq!(new[0].id, "adjustment:a1");
        assert_eq!(new[0].by.as_deref(), Some("hr"));
        assert_eq!(new[0].reason.as_deref(), Some("correction"));
        entries.extend(new);
        let ledger = Ledger::new("ann", &t, &entries).unwrap();
        assert_eq!(
            ledger.adjust(
                "a1",
                Amount::half_days(-3),
                d("2026-03-01"),
                "correction",
                "hr",
                2
            ),
            Ok(vec![])
        );
        let b = ledger.balance_as_of(d("2026-03-01"));
        assert_eq!(
            (b.adjusted, b.available),
            (Amount::half_days(-3), Amount::half_days(13))
        );
        assert_eq!(
            ledger.balance_as_of(d("2026-02-28")).adjusted,
            Amount::days(0)
        );
        // The deduction came out of the carry-over, which expires first: 1.5 days of it are lost.
        assert_eq!(
            ledger.balance_as_of(d("2026-04-01")).expired,
            Amount::half_days(3)
        );
    }

    #[test]
    fn mixing_units_is_refused() {
        let t = annual();
        let mut entries = opening();
        let ledger = Ledger::new("ann", &t, &entries).unwrap();
        let mismatch = LedgerError::UnitMismatch {
            expected: Base::HalfDays,
            found: Base::Minutes,
        };
        assert_eq!(
            ledger.reserve("r", d("2026-02-02"), Amount::hours(4), 1),
            Err(mismatch.clone())
        );
        assert_eq!(
            ledger.adjust("a", Amount::hours(4), d("2026-02-02"), "x", "hr", 1),
            Err(mismatch.clone())
        );
        assert_eq!(
            mismatch.en(),
            "This leave type is counted in days, not in hours"
        );
        entries.push(Entry::new(
            "odd",
            "ann",
            "annual",
            EntryKind::Accrual,
            Amount::hours(3),
            d("2026-02-02"),
            0,
        ));
        assert_eq!(Ledger::new("ann", &t, &entries).unwrap_err(), mismatch);
        // Entries of other people or types are not this ledger's business.
        entries.last_mut().unwrap().person_id = "bob".into();
        assert_eq!(Ledger::new("ann", &t, &entries).unwrap().entries().len(), 2);
    }

    #[test]
    fn computed_expiries_are_written_down_once_and_then_count_as_written() {
        let t = annual();
        let mut entries = opening();
        book(&mut entries, &t, "feb", "2026-02-10", 1);
        let ledger = Ledger::new("ann", &t, &entries).unwrap();
        assert_eq!(ledger.pending_expiries(d("2026-03-31"), 5), vec![]);
        let pending = ledger.pending_expiries(d("2026-04-01"), 5);
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].id, "expiry:ann:annual:2026-04-01");
        assert_eq!(pending[0].amount, Amount::days(2));
        assert_eq!(pending[0].effective, d("2026-04-01"));
        assert_eq!(
            pending[0].reason.as_deref(),
            Some("unused after 2026-03-31 / 2026-03-31 前未使用")
        );
        let before = ledger.balance_as_of(d("2026-04-01"));
        entries.extend(pending);
        let ledger = Ledger::new("ann", &t, &entries).unwrap();
        assert_eq!(ledger.pending_expiries(d("2026-04-01"), 6), vec![]);
        assert_eq!(ledger.balance_as_of(d("2026-04-01")), before);
        assert_eq!(before.available, Amount::days(5));
        // A carry-over day given back after the expiry was written down stays available.
        let new = ledger.restore("feb", 7);
        apply(&mut entries, new);
        assert_eq!(available(&t, &entries, "2026-04-01"), Amount::days(6));
    }

    #[test]
    fn history_shows_the_running_balance() {
        let t = annual();
        let mut entries = opening();
        book(&mut entries, &t, "feb", "2026-02-10", 2);
        let ledger = Ledger::new("ann", &t, &entries).unwrap();
        let rows = ledger.history(d("2026-06-30"));
        let lines: Vec<(&str, EntryKind, i64, i64, bool)> = rows
            .iter()
            .map(|r| {
                (
                    r.entry.id.as_str(),
                    r.entry.kind,
                    r.effect.value,
                    r.balance.value,
                    r.pending,
                )
            })
            .collect();
        assert_eq!(
            lines,
            vec![
                ("alloc-2026", EntryKind::Allocation, 10, 10, false),
                ("carry-2026", EntryKind::CarryOver, 6, 16, false),
                ("reserved:feb", EntryKind::Reserved, -4, 12, false),
                ("released:feb", EntryKind::Released, 4, 16, false),
                ("taken:feb", EntryKind::Taken, -4, 12, false),
                (
                    "expiry:ann:annual:2026-04-01",
                    EntryKind::Expiry,
                    -2,
                    10,
                    true
                ),
            ]
        );
        assert_eq!(
            rows.last().unwrap().balance,
            ledger.balance_as_of(d("2026-06-30")).available
        );
        assert_eq!(ledger.history(d("2026-03-31")).len(), 5);
    }

    #[test]
    fn an_overdraft_is_repaid_by_the_next_grant() {
        let t = annual();
        let mut entries = vec![grant(
            EntryKind::Allocation,
            "alloc-2026",
            1,
            "2026-01-01",
            "2026-12-31",
        )];
        entries.push(
            Entry::new(
                "taken:x",
                "ann",
                "annual",
                EntryKind::Taken,
                Amount::days(2),
                d("2026-01-05"),
                0,
            )
            .request("x"),
        );
        entries.push(grant(
            EntryKind::Accrual,
            "acc",
            3,
            "2026-02-01",
            "2026-06-30",
        ));
        let ledger = Ledger::new("ann", &t, &entries).unwrap();
        let july = ledger.balance_as_of(d("2026-07-01"));
        assert_eq!(
            (july.expired, july.available),
            (Amount::days(2), Amount::days(0))
        );
    }

    #[test]
    fn entries_round_trip_and_bad_entries_are_refused() {
        let e = grant(EntryKind::CarryOver, "c", 3, "2026-01-01", "2026-03-31");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["kind"], "carry_over");
        assert_eq!(json["expires"], "2026-03-31");
        assert_eq!(serde_json::from_value::<Entry>(json).unwrap(), e);
        let t = annual();
        let bad = [grant(
            EntryKind::Allocation,
            "bad",
            1,
            "2026-05-01",
            "2026-03-31",
        )];
        assert_eq!(
            Ledger::new("ann", &t, &bad).unwrap_err(),
            LedgerError::InvalidEntry { id: "bad".into() }
        );
    }

    #[test]
    fn compensatory_time_is_earned_in_hours() {
        let comp = default_leave_types()
            .into_iter()
            .find(|t| t.id == "compensatory")
            .unwrap();
        let mut entries = Vec::new();
        let ledger = Ledger::new("ann", &comp, &entries).unwrap();
        let new = ledger.earn(
            "ot-1",
            Amount::minutes(150),
            d("2026-03-07"),
            Some(d("2026-06-30")),
            "overtime on Saturday 7 March",
            1,
        );
        assert_eq!(apply(&mut entries, new), 1);
        assert_eq!(entries[0].id, "accrual:ot-1");
        assert_eq!(entries[0].expires, Some(d("2026-06-30")));
        let ledger = Ledger::new("ann", &comp, &entries).unwrap();
        assert_eq!(
            ledger.earn(
                "ot-1",
                Amount::minutes(150),
                d("2026-03-07"),
                None,
                "again",
                2
            ),
            Ok(vec![])
        );
        assert_eq!(
            ledger.earn(
                "ot-2",
                Amount::days(1),
                d("2026-03-07"),
                None,
                "wrong unit",
                2
            ),
            Err(LedgerError::UnitMismatch {
                expected: Base::Minutes,
                found: Base::HalfDays
            })
        );
        assert_eq!(
            ledger.balance_as_of(d("2026-03-09")).available.to_string(),
            "2 h 30 min / 2 小时 30 分"
        );
        assert_eq!(
            ledger.balance_as_of(d("2026-07-01")).available,
            Amount::minutes(0)
        );
    }
}
