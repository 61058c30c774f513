//! Leave types (unit, pay, limits, documents, notice), the built-in set for a new
//! organization, and the yearly allocation rules that write a person's grants for a year into
//! the ledger: allocation by seniority or a fixed amount, monthly accrual, carry-over with
//! expiry.

use serde::{Deserialize, Serialize};

use crate::amount::{Amount, Base, Unit};
use crate::date::{self, Date};
use crate::ledger::{Entry, EntryKind, Ledger, LedgerError};

/// A text in English and Chinese.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct I18n {
    pub en: String,
    #[serde(alias = "zh-CN")]
    pub zh: String,
}

impl I18n {
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> I18n {
        I18n {
            en: en.into(),
            zh: zh.into(),
        }
    }

    /// The text in `locale` ("zh…" for Chinese, English otherwise).
    pub fn get(&self, locale: &str) -> &str {
        if locale.starts_with("zh") {
            &self.zh
        } else {
            &self.en
        }
    }
}

/// A kind of leave an organization offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaveType {
    /// A slug: `annual`, `sick`, `home-visit`.
    pub id: String,
    pub name: I18n,
    pub unit: Unit,
    pub paid: bool,
    /// Requests must be covered by the balance (otherwise the ledger only counts what is taken).
    pub balance_limited: bool,
    /// Weekends and holidays inside a request count too (calendar days, e.g. maternity leave).
    pub counts_holidays: bool,
    /// A document is required when a request is longer than this (zero: always).
    #[serde(default)]
    pub attachment_required_over: Option<Amount>,
    #[serde(default)]
    pub max_per_request: Option<Amount>,
    /// Calendar days between today and the first day of leave.
    #[serde(default)]
    pub min_notice_days: Option<u32>,
    /// For `Day` types: whether a request may start or end at noon (always true for
    /// `HalfDay` and `Hour` types).
    pub allow_half_day: bool,
    /// How the balance is granted each year; `None` when leave is granted by hand (e.g. on
    /// marriage) or the type is not balance-limited.
    #[serde(default)]
    pub allocation: Option<AllocationPolicy>,
}

/// How a balance-limited type is granted each year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocationPolicy {
    /// Granted on 1 January (or the hiring date), usable through 31 December.
    #[serde(default)]
    pub rule: Option<AllocationRule>,
    /// Credited on the last day of each month, usable through 31 December.
    #[serde(default)]
    pub accrual: Option<Accrual>,
    /// What of last year's unused grants survives into the new year, and until when.
    #[serde(default)]
    pub carry_over: Option<CarryOver>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AllocationRule {
    /// `(min_years, days)`: the most days whose `min_years` the person has completed; prorated
    /// by calendar days when a tier is reached during the year or the person is hired during
    /// it, rounded down to whole days (China's 企业职工带薪年休假实施办法).
    AnnualBySeniority { tiers: Vec<(u32, u32)> },
    /// The same amount every year, prorated by the days employed in the hiring year.
    Fixed { amount: Amount },
}

impl AllocationRule {
    /// China's statutory annual leave: 5 days after 1 year, 10 after 10, 15 after 20.
    pub fn statutory_annual() -> AllocationRule {
        AllocationRule::AnnualBySeniority {
            tiers: vec![(1, 5), (10, 10), (20, 15)],
        }
    }
}

/// A monthly credit, at most `cap` in a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accrual {
    pub per_month: Amount,
    #[serde(default)]
    pub cap: Option<Amount>,
}

/// At most `max` of last year's unused grants, usable through `expires_month_day`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarryOver {
    pub max: Amount,
    pub expires_month_day: (u8, u8),
}

/// A person as the allocation rules see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Employee {
    pub person_id: String,
    /// Where seniority counts from (earlier than `hired` when earlier work counts, as China's
    /// 累计工作年限 does).
    pub seniority_from: Date,
    pub hired: Date,
}

impl Employee {
    /// Someone whose seniority starts the day they were hired.
    pub fn hired(person_id: impl Into<String>, hired: Date) -> Employee {
        Employee {
            person_id: person_id.into(),
            seniority_from: hired,
            hired,
        }
    }
}

/// Which setting a [`PolicyError`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    AttachmentRequiredOver,
    MaxPerRequest,
    Allocation,
    Accrual,
    AccrualCap,
    CarryOverMax,
}

impl Setting {
    fn en(self) -> &'static str {
        match self {
            Setting::AttachmentRequiredOver => "the attachment threshold",
            Setting::MaxPerRequest => "the most per request",
            Setting::Allocation => "the yearly allocation",
            Setting::Accrual => "the monthly accrual",
            Setting::AccrualCap => "the accrual cap",
            Setting::CarryOverMax => "the carry-over limit",
        }
    }

    fn zh(self) -> &'static str {
        match self {
            Setting::AttachmentRequiredOver => "需要附件的时长",
            Setting::MaxPerRequest => "单次申请上限",
            Setting::Allocation => "年度额度",
            Setting::Accrual => "每月累积额度",
            Setting::AccrualCap => "累积上限",
            Setting::CarryOverMax => "结转上限",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyError {
    /// Not a slug of lowercase letters, digits, `-` and `_` starting with a letter.
    InvalidId {
        id: String,
    },
    MissingName {
        id: String,
    },
    /// A setting in another unit than the type's.
    UnitMismatch {
        setting: Setting,
        expected: Base,
        found: Base,
    },
    /// A setting that must be more than zero (or, for thresholds, not negative).
    NotPositive {
        setting: Setting,
    },
    /// Seniority tiers out of order, repeated, or on a type counted in hours.
    InvalidTiers,
    InvalidMonthDay {
        month: u8,
        day: u8,
    },
    InvalidYear {
        year: i32,
    },
    Ledger(LedgerError),
}

impl From<LedgerError> for PolicyError {
    fn from(e: LedgerError) -> PolicyError {
        PolicyError::Ledger(e)
    }
}

fn unit_names(base: Base) -> (&'static str, &'static str) {
    match base {
        Base::HalfDays => ("days", "天"),
        Base::Minutes => ("hours", "小时"),
    }
}

impl PolicyError {
    pub fn en(&self) -> String {
        match self {
            PolicyError::InvalidId { id } => format!(
                "“{id}” is not a leave type id: use lowercase letters, digits, - and _, starting with a letter"
            ),
            PolicyError::MissingName { id } => {
                format!("Leave type {id} needs a name in English and Chinese")
            }
            PolicyError::UnitMismatch {
                setting,
                expected,
                found,
            } => format!(
                "{} must be in {} like the leave type, not in {}",
                capitalized(setting.en()),
                unit_names(*expected).0,
                unit_names(*found).0
            ),
            PolicyError::NotPositive { setting } => {
                format!("{} must be more than zero", capitalized(setting.en()))
            }
            PolicyError::InvalidTiers => {
                "Seniority tiers must count days, with years and days both increasing".into()
            }
            PolicyError::InvalidMonthDay { month, day } => {
                format!("{month}/{day} is not a day of the year")
            }
            PolicyError::InvalidYear { year } => {
                format!("{year} is not a year the calendar covers")
            }
            PolicyError::Ledger(e) => e.en(),
        }
    }

    pub fn zh(&self) -> String {
        match self {
            PolicyError::InvalidId { id } => {
                format!("“{id}”不是有效的假期类型标识：请用小写字母、数字、- 和 _，并以字母开头")
            }
            PolicyError::MissingName { id } => format!("假期类型 {id} 需要中英文名称"),
            PolicyError::UnitMismatch {
                setting,
                expected,
                found,
            } => format!(
                "{}须与假期类型一样按{}计，不能按{}计",
                setting.zh(),
                unit_names(*expected).1,
                unit_names(*found).1
            ),
            PolicyError::NotPositive { setting } => format!("{}必须大于零", setting.zh()),
            PolicyError::InvalidTiers => "工龄档位须按天计，年限和天数都须递增".into(),
            PolicyError::InvalidMonthDay { month, day } => {
                format!("{month} 月 {day} 日不是有效日期")
            }
            PolicyError::InvalidYear { year } => format!("{year} 年超出日历范围"),
            PolicyError::Ledger(e) => e.zh(),
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

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} / {}", self.en(), self.zh())
    }
}

impl std::error::Error for PolicyError {}

fn is_slug(id: &str) -> bool {
    let mut bytes = id.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && id.len() <= 40
}

impl LeaveType {
    pub fn base(&self) -> Base {
        self.unit.base()
    }

    pub fn allows_half_days(&self) -> bool {
        self.unit != Unit::Day || self.allow_half_day
    }

    fn check(&self, setting: Setting, amount: Amount, zero_ok: bool) -> Result<(), PolicyError> {
        if amount.unit != self.base() {
            return Err(PolicyError::UnitMismatch {
                setting,
                expected: self.base(),
                found: amount.unit,
            });
        }
        if amount.is_negative() || (amount.is_zero() && !zero_ok) {
            return Err(PolicyError::NotPositive { setting });
        }
        Ok(())
    }

    /// Refuses a type whose settings contradict each other (units, tiers, dates).
    pub fn validate(&self) -> Result<(), PolicyError> {
        if !is_slug(&self.id) {
            return Err(PolicyError::InvalidId {
                id: self.id.clone(),
            });
        }
        if self.name.en.trim().is_empty() || self.name.zh.trim().is_empty() {
            return Err(PolicyError::MissingName {
                id: self.id.clone(),
            });
        }
        if let Some(a) = self.attachment_required_over {
            self.check(Setting::AttachmentRequiredOver, a, true)?;
        }
        if let Some(a) = self.max_per_request {
            self.check(Setting::MaxPerRequest, a, false)?;
        }
        let Some(policy) = &self.allocation else {
            return Ok(());
        };
        match &policy.rule {
            Some(AllocationRule::AnnualBySeniority { tiers }) => {
                let increasing = tiers.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1);
                if self.base() != Base::HalfDays || !increasing {
                    return Err(PolicyError::InvalidTiers);
                }
            }
            Some(AllocationRule::Fixed { amount }) => {
                self.check(Setting::Allocation, *amount, false)?
            }
            None => {}
        }
        if let Some(accrual) = &policy.accrual {
            self.check(Setting::Accrual, accrual.per_month, false)?;
            if let Some(cap) = accrual.cap {
                self.check(Setting::AccrualCap, cap, false)?;
            }
        }
        if let Some(carry) = &policy.carry_over {
            self.check(Setting::CarryOverMax, carry.max, true)?;
            let (month, day) = carry.expires_month_day;
            // A leap year, so that 29 February is accepted (it becomes the 28th otherwise).
            if Date::new(2028, month, day).is_none() {
                return Err(PolicyError::InvalidMonthDay { month, day });
            }
        }
        Ok(())
    }
}

/// The type with `id`, if the organization has it.
pub fn find_type<'a>(types: &'a [LeaveType], id: &str) -> Option<&'a LeaveType> {
    types.iter().find(|t| t.id == id)
}

struct Defaults {
    id: &'static str,
    en: &'static str,
    zh: &'static str,
    unit: Unit,
    paid: bool,
    balance_limited: bool,
}

impl Defaults {
    fn build(self) -> LeaveType {
        LeaveType {
            id: self.id.into(),
            name: I18n::new(self.en, self.zh),
            unit: self.unit,
            paid: self.paid,
            balance_limited: self.balance_limited,
            counts_holidays: false,
            attachment_required_over: None,
            max_per_request: None,
            min_notice_days: None,
            allow_half_day: false,
            allocation: None,
        }
    }
}

/// The leave types a new organization starts with (China's common set), to edit as it likes.
pub fn default_leave_types() -> Vec<LeaveType> {
    let day = |id, en, zh, paid, balance_limited| {
        Defaults {
            id,
            en,
            zh,
            unit: Unit::Day,
            paid,
            balance_limited,
        }
        .build()
    };
    vec![
        LeaveType {
            allow_half_day: true,
            allocation: Some(AllocationPolicy {
                rule: Some(AllocationRule::statutory_annual()),
                accrual: None,
                carry_over: Some(CarryOver {
                    max: Amount::days(5),
                    expires_month_day: (3, 31),
                }),
            }),
            ..day("annual", "Annual leave", "年假", true, true)
        },
        LeaveType {
            allow_half_day: true,
            attachment_required_over: Some(Amount::days(2)),
            ..day("sick", "Sick leave", "病假", true, false)
        },
        LeaveType {
            allow_half_day: true,
            ..day("personal", "Personal leave", "事假", false, false)
        },
        // Granted by HR when the marriage is registered (`Ledger::earn`), certificate required.
        LeaveType {
            attachment_required_over: Some(Amount::days(0)),
            ..day("marriage", "Marriage leave", "婚假", true, true)
        },
        LeaveType {
            counts_holidays: true,
            attachment_required_over: Some(Amount::days(0)),
            ..day("maternity", "Maternity leave", "产假", true, false)
        },
        day("paternity", "Paternity leave", "陪产假", true, false),
        LeaveType {
            max_per_request: Some(Amount::days(3)),
            ..day("bereavement", "Bereavement leave", "丧假", true, false)
        },
        // Earned by approved overtime (`Ledger::earn`), taken by the hour or by the day.
        Defaults {
            id: "compensatory",
            en: "Compensatory time off",
            zh: "调休",
            unit: Unit::Hour,
            paid: true,
            balance_limited: true,
        }
        .build(),
    ]
}

fn tier_days(tiers: &[(u32, u32)], years: u32) -> i64 {
    tiers
        .iter()
        .filter(|(min, _)| *min <= years)
        .map(|(_, days)| i64::from(*days))
        .max()
        .unwrap_or(0)
}

fn year_bounds(year: i32) -> Result<(Date, Date), PolicyError> {
    date::year_start(year)
        .zip(date::year_end(year))
        .ok_or(PolicyError::InvalidYear { year })
}

/// Whole days of annual leave for `year` under seniority `tiers` (see
/// [`AllocationRule::AnnualBySeniority`]).
pub fn annual_entitlement(
    tiers: &[(u32, u32)],
    employee: &Employee,
    year: i32,
) -> Result<i64, PolicyError> {
    let (first, last) = year_bounds(year)?;
    let year_days = first.days_until(last) + 1;
    let from = first.max(employee.hired);
    if from > last {
        return Ok(0);
    }
    // Segments of the year between the hiring date and each seniority anniversary.
    let mut cuts: Vec<Date> = (0..=(year - employee.seniority_from.year()))
        .filter_map(|n| date::anniversary(employee.seniority_from, n))
        .filter(|&a| a > from && a <= last)
        .collect();
    cuts.insert(0, from);
    cuts.push(last.add_days(1));
    let weighted: i64 = cuts
        .windows(2)
        .map(|w| {
            let years = date::completed_years(employee.seniority_from, w[0]);
            tier_days(tiers, years) * w[0].days_until(w[1])
        })
        .sum();
    Ok(weighted / year_days)
}

/// The ledger entries `year` brings for `employee` and `leave_type`: expiries not yet written
/// down (up to 1 January), last year's carry-over (what expired on 1 January, up to the limit,
/// usable through the carry-over date), the year's allocation, and its monthly accruals. Every
/// entry has a deterministic id and entries already in `existing` are left out, so running it
/// again adds nothing.
pub fn year_entries(
    leave_type: &LeaveType,
    employee: &Employee,
    year: i32,
    existing: &[Entry],
    at_ms: i64,
) -> Result<Vec<Entry>, PolicyError> {
    leave_type.validate()?;
    let (first, last) = year_bounds(year)?;
    let ledger = Ledger::new(&employee.person_id, leave_type, existing)?;
    let base = leave_type.base();
    let person = &employee.person_id;
    let id = |what: &str, when: String| format!("{what}:{person}:{}:{when}", leave_type.id);
    let entry = |id: String, kind, amount, effective| {
        Entry::new(id, person, &leave_type.id, kind, amount, effective, at_ms)
    };

    let mut out = ledger.pending_expiries(first, at_ms);
    let Some(policy) = &leave_type.allocation else {
        return Ok(out);
    };
    if employee.hired > last {
        return Ok(out);
    }

    if let Some(carry) = &policy.carry_over {
        let unused = ledger.expired_on(first);
        let amount = unused
            .try_min(carry.max)
            .map_err(|_| PolicyError::UnitMismatch {
                setting: Setting::CarryOverMax,
                expected: base,
                found: carry.max.unit,
            })?;
        let until =
            date::month_day(year, carry.expires_month_day).ok_or(PolicyError::InvalidMonthDay {
                month: carry.expires_month_day.0,
                day: carry.expires_month_day.1,
            })?;
        if amount.is_positive() {
            out.push(
                entry(
                    id("carry_over", year.to_string()),
                    EntryKind::CarryOver,
                    amount,
                    first,
                )
                .expires(until)
                .reason(format!("from {} / 自 {} 年结转", year - 1, year - 1)),
            );
        }
    }

    let start = first.max(employee.hired);
    let employed_days = start.days_until(last) + 1;
    let year_days = first.days_until(last) + 1;
    let allocation = match &policy.rule {
        Some(AllocationRule::AnnualBySeniority { tiers }) => {
            Amount::days(annual_entitlement(tiers, employee, year)?)
        }
        Some(AllocationRule::Fixed { amount }) => {
            Amount::new(amount.unit, amount.value * employed_days / year_days)
        }
        None => Amount::zero(base),
    };
    if allocation.is_positive() {
        out.push(
            entry(
                id("allocation", year.to_string()),
                EntryKind::Allocation,
                allocation,
                start,
            )
            .expires(last)
            .reason(format!("{year} allocation / {year} 年度额度")),
        );
    }

    if let Some(accrual) = &policy.accrual {
        let cap = accrual.cap.map_or(i64::MAX, |c| c.value);
        let mut credited = 0;
        for month in 1..=12u8 {
            let Some(end) = date::month_end(year, month) else {
                continue;
            };
            let value = accrual.per_month.value.min(cap - credited);
            if end < employee.hired || value <= 0 {
                continue;
            }
            credited += value;
            out.push(
                entry(
                    id("accrual", format!("{year}-{month:02}")),
                    EntryKind::Accrual,
                    Amount::new(base, value),
                    end,
                )
                .expires(last)
                .reason(format!(
                    "{year}-{month:02} accrual / {year} 年 {month} 月累积"
                )),
            );
        }
    }

    out.retain(|e| !existing.iter().any(|x| x.id == e.id));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::d;

    fn annual() -> LeaveType {
        find_type(&default_leave_types(), "annual").unwrap().clone()
    }

    fn entitlement(seniority_from: &str, hired: &str, year: i32) -> i64 {
        let employee = Employee {
            person_id: "p".into(),
            seniority_from: d(seniority_from),
            hired: d(hired),
        };
        let tiers = [(1, 5), (10, 10), (20, 15)];
        annual_entitlement(&tiers, &employee, year).unwrap()
    }

    #[test]
    fn statutory_seniority_tiers_at_their_boundaries() {
        // Less than a year all through 2026: nothing.
        assert_eq!(entitlement("2026-01-01", "2026-01-01", 2026), 0);
        assert_eq!(entitlement("2025-06-01", "2025-06-01", 2025), 0);
        // One year reached on 1 January: the full 5 days; a day later: prorated, rounded down.
        assert_eq!(entitlement("2025-01-01", "2025-01-01", 2026), 5);
        assert_eq!(entitlement("2025-01-02", "2025-01-02", 2026), 4);
        assert_eq!(entitlement("2025-07-01", "2025-07-01", 2026), 2);
        // Ten years.
        assert_eq!(entitlement("2016-01-01", "2016-01-01", 2026), 10);
        assert_eq!(entitlement("2016-01-02", "2016-01-02", 2026), 9);
        assert_eq!(entitlement("2016-12-31", "2016-12-31", 2026), 5);
        assert_eq!(entitlement("2017-01-01", "2017-01-01", 2026), 5);
        // Twenty years, reached on 2 July: 10 × 182 + 15 × 183 days out of 365.
        assert_eq!(entitlement("2006-01-01", "2006-01-01", 2026), 15);
        assert_eq!(entitlement("2006-07-02", "2006-07-02", 2026), 12);
        // Hired on 1 July with 12 years of earlier work: 10 days × 184/365.
        assert_eq!(entitlement("2014-01-01", "2026-07-01", 2026), 5);
        // Hired next year.
        assert_eq!(entitlement("2014-01-01", "2027-01-04", 2026), 0);
    }

    #[test]
    fn the_default_types_are_valid_and_bilingual() {
        let types = default_leave_types();
        let ids: Vec<&str> = types.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "annual",
                "sick",
                "personal",
                "marriage",
                "maternity",
                "paternity",
                "bereavement",
                "compensatory"
            ]
        );
        for t in &types {
            assert_eq!(t.validate(), Ok(()), "{}", t.id);
        }
        let names: Vec<&str> = types.iter().map(|t| t.name.get("zh-CN")).collect();
        assert_eq!(
            names,
            [
                "年假",
                "病假",
                "事假",
                "婚假",
                "产假",
                "陪产假",
                "丧假",
                "调休"
            ]
        );
        let sick = find_type(&types, "sick").unwrap();
        assert_eq!(sick.attachment_required_over, Some(Amount::days(2)));
        assert!(!sick.balance_limited && sick.paid);
        assert!(!find_type(&types, "personal").unwrap().paid);
        assert!(find_type(&types, "maternity").unwrap().counts_holidays);
        let comp = find_type(&types, "compensatory").unwrap();
        assert_eq!(
            (comp.unit, comp.base(), comp.balance_limited),
            (Unit::Hour, Base::Minutes, true)
        );
        assert!(comp.allows_half_days());
        assert!(!find_type(&types, "marriage").unwrap().allows_half_days());
        assert!(find_type(&types, "unknown").is_none());
    }

    #[test]
    fn leave_types_round_trip_as_json() {
        let t = annual();
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(json["unit"], "day");
        assert_eq!(json["allocation"]["rule"]["kind"], "annual_by_seniority");
        assert_eq!(
            json["allocation"]["rule"]["tiers"],
            serde_json::json!([[1, 5], [10, 10], [20, 15]])
        );
        assert_eq!(
            json["allocation"]["carry_over"]["expires_month_day"],
            serde_json::json!([3, 31])
        );
        assert_eq!(serde_json::from_value::<LeaveType>(json).unwrap(), t);
        let minimal: LeaveType = serde_json::from_value(serde_json::json!({
            "id": "home-visit", "name": {"en": "Home visit", "zh-CN": "探亲假"}, "unit": "half_day",
            "paid": true, "balance_limited": false, "counts_holidays": false, "allow_half_day": false
        }))
        .unwrap();
        assert_eq!(minimal.name.zh, "探亲假");
        assert_eq!(minimal.max_per_request, None);
        assert!(minimal.allows_half_days());
    }

    #[test]
    fn contradictory_types_are_refused() {
        let base = annual();
        let with = |f: &dyn Fn(&mut LeaveType)| {
            let mut t = base.clone();
            f(&mut t);
            t.validate().unwrap_err()
        };
        assert_eq!(
            with(&|t| t.id = "Annual".into()),
            PolicyError::InvalidId {
                id: "Annual".into()
            }
        );
        assert_eq!(
            with(&|t| t.id = "1st".into()),
            PolicyError::InvalidId { id: "1st".into() }
        );
        assert_eq!(
            with(&|t| t.name.zh = " ".into()),
            PolicyError::MissingName {
                id: "annual".into()
            }
        );
        let err = with(&|t| t.max_per_request = Some(Amount::hours(8)));
        assert_eq!(
            err,
            PolicyError::UnitMismatch {
                setting: Setting::MaxPerRequest,
                expected: Base::HalfDays,
                found: Base::Minutes
            }
        );
        assert_eq!(
            err.en(),
            "The most per request must be in days like the leave type, not in hours"
        );
        assert_eq!(err.zh(), "单次申请上限须与假期类型一样按天计，不能按小时计");
        assert_eq!(
            with(&|t| t.max_per_request = Some(Amount::days(0))),
            PolicyError::NotPositive {
                setting: Setting::MaxPerRequest
            }
        );
        assert_eq!(
            with(&|t| t.allocation.as_mut().unwrap().rule =
                Some(AllocationRule::AnnualBySeniority {
                    tiers: vec![(10, 10), (1, 5)]
                })),
            PolicyError::InvalidTiers
        );
        assert_eq!(
            with(&|t| t
                .allocation
                .as_mut()
                .unwrap()
                .carry_over
                .as_mut()
                .unwrap()
                .expires_month_day = (2, 30)),
            PolicyError::InvalidMonthDay { month: 2, day: 30 }
        );
        assert_eq!(
            with(&|t| t.allocation.as_mut().unwrap().accrual = Some(Accrual {
                per_month: Amount::days(1),
                cap: Some(Amount::hours(1))
            })),
            PolicyError::UnitMismatch {
                setting: Setting::AccrualCap,
                expected: Base::HalfDays,
                found: Base::Minutes
            }
        );
        assert_eq!(with(&|t| t.unit = Unit::Hour), PolicyError::InvalidTiers);
        assert_eq!(
            PolicyError::InvalidTiers.message("zh"),
            "工龄档位须按天计，年限和天数都须递增"
        );
    }

    #[test]
    fn a_year_brings_allocation_carry_over_and_expiry_once() {
        let t = LeaveType {
            allocation: Some(AllocationPolicy {
                rule: Some(AllocationRule::statutory_annual()),
                accrual: None,
                carry_over: Some(CarryOver {
                    max: Amount::days(3),
                    expires_month_day: (3, 31),
                }),
            }),
            ..annual()
        };
        let ann = Employee::hired("ann", d("2020-03-01"));
        let mut entries = year_entries(&t, &ann, 2025, &[], 1).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].id, "allocation:ann:annual:2025");
        assert_eq!(entries[0].amount, Amount::days(5));
        assert_eq!(entries[0].effective, d("2025-01-01"));
        assert_eq!(entries[0].expires, Some(d("2025-12-31")));
        assert_eq!(year_entries(&t, &ann, 2025, &entries, 2).unwrap(), vec![]);

        // One day taken in 2025: 4 unused, of which 3 carry over until 31 March.
        entries.push(
            Entry::new(
                "taken:r1",
                "ann",
                "annual",
                EntryKind::Taken,
                Amount::days(1),
                d("2025-08-04"),
                3,
            )
            .request("r1"),
        );
        let new = year_entries(&t, &ann, 2026, &entries, 4).unwrap();
        let lines: Vec<(&str, EntryKind, Amount, Date, Option<Date>)> = new
            .iter()
            .map(|e| (e.id.as_str(), e.kind, e.amount, e.effective, e.expires))
            .collect();
        assert_eq!(
            lines,
            vec![
                (
                    "expiry:ann:annual:2026-01-01",
                    EntryKind::Expiry,
                    Amount::days(4),
                    d("2026-01-01"),
                    None
                ),
                (
                    "carry_over:ann:annual:2026",
                    EntryKind::CarryOver,
                    Amount::days(3),
                    d("2026-01-01"),
                    Some(d("2026-03-31"))
                ),
                (
                    "allocation:ann:annual:2026",
                    EntryKind::Allocation,
                    Amount::days(5),
                    d("2026-01-01"),
                    Some(d("2026-12-31"))
                ),
            ]
        );
        assert_eq!(new[1].reason.as_deref(), Some("from 2025 / 自 2025 年结转"));
        entries.extend(new);
        assert_eq!(year_entries(&t, &ann, 2026, &entries, 5).unwrap(), vec![]);

        let ledger = Ledger::new("ann", &t, &entries).unwrap();
        let jan = ledger.balance_as_of(d("2026-01-01"));
        assert_eq!(
            (jan.granted, jan.taken, jan.expired, jan.available),
            (
                Amount::days(13),
                Amount::days(1),
                Amount::days(4),
                Amount::days(8)
            )
        );
        assert_eq!(
            ledger.balance_as_of(d("2026-04-01")).available,
            Amount::days(5)
        );

        // 2027: the unused carry-over (lost on 1 April) and the 5 unused days of 2026 are
        // written down; 3 of those 5 carry over, the limit.
        let new = year_entries(&t, &ann, 2027, &entries, 6).unwrap();
        let lines: Vec<(&str, Amount)> = new.iter().map(|e| (e.id.as_str(), e.amount)).collect();
        assert_eq!(
            lines,
            vec![
                ("expiry:ann:annual:2026-04-01", Amount::days(3)),
                ("expiry:ann:annual:2027-01-01", Amount::days(5)),
                ("carry_over:ann:annual:2027", Amount::days(3)),
                ("allocation:ann:annual:2027", Amount::days(5)),
            ]
        );
    }

    #[test]
    fn fixed_allocations_and_accruals_follow_the_hiring_date() {
        let t = LeaveType {
            allocation: Some(AllocationPolicy {
                rule: Some(AllocationRule::Fixed {
                    amount: Amount::days(12),
                }),
                accrual: Some(Accrual {
                    per_month: Amount::days(1),
                    cap: Some(Amount::half_days(7)),
                }),
                carry_over: None,
            }),
            ..annual()
        };
        let bo = Employee::hired("bo", d("2026-04-01"));
        let new = year_entries(&t, &bo, 2026, &[], 1).unwrap();
        let lines: Vec<(&str, Amount, Date)> = new
            .iter()
            .map(|e| (e.id.as_str(), e.amount, e.effective))
            .collect();
        assert_eq!(
            lines,
            vec![
                // 12 days × 275/365 = 9.04 days: 18 half-days.
                (
                    "allocation:bo:annual:2026",
                    Amount::days(9),
                    d("2026-04-01")
                ),
                (
                    "accrual:bo:annual:2026-04",
                    Amount::days(1),
                    d("2026-04-30")
                ),
                (
                    "accrual:bo:annual:2026-05",
                    Amount::days(1),
                    d("2026-05-31")
                ),
                (
                    "accrual:bo:annual:2026-06",
                    Amount::days(1),
                    d("2026-06-30")
                ),
                (
                    "accrual:bo:annual:2026-07",
                    Amount::half_days(1),
                    d("2026-07-31")
                ),
            ]
        );
        assert!(new.iter().all(|e| e.expires == Some(d("2026-12-31"))));
        // Without carry-over the year's leave is simply lost on 1 January.
        let mut entries = new;
        let next = year_entries(&t, &bo, 2027, &entries, 2).unwrap();
        assert_eq!(next[0].id, "expiry:bo:annual:2027-01-01");
        assert_eq!(next[0].amount, Amount::half_days(25));
        assert_eq!(next[1].id, "allocation:bo:annual:2027");
        assert_eq!(next[1].amount, Amount::days(12));
        assert_eq!(next.len(), 2 + 4);
        entries.extend(next);
        assert_eq!(year_entries(&t, &bo, 2027, &entries, 3).unwrap(), vec![]);
        // Nobody hired yet gets nothing; a type without rules only writes expiries down.
        assert_eq!(
            year_entries(&t, &Employee::hired("cy", d("2028-01-01")), 2027, &[], 4).unwrap(),
            vec![]
        );
        let sick = find_type(&default_leave_types(), "sick").unwrap().clone();
        assert_eq!(year_entries(&sick, &bo, 2027, &[], 4).unwrap(), vec![]);
        assert_eq!(
            year_entries(&t, &bo, 0, &[], 4).unwrap_err(),
            PolicyError::InvalidYear { year: 0 }
        );
    }

    #[test]
    fn monthly_accrual_in_hours() {
        let t = LeaveType {
            allocation: Some(AllocationPolicy {
                rule: None,
                accrual: Some(Accrual {
                    per_month: Amount::hours(4),
                    cap: None,
                }),
                carry_over: None,
            }),
            ..find_type(&default_leave_types(), "compensatory")
                .unwrap()
                .clone()
        };
        let new = year_entries(&t, &Employee::hired("cy", d("2025-01-01")), 2026, &[], 1).unwrap();
        assert_eq!(new.len(), 12);
        assert!(
            new.iter()
                .all(|e| e.amount == Amount::minutes(240) && e.kind == EntryKind::Accrual)
        );
        assert_eq!(new[1].effective, d("2026-02-28"));
    }
}
