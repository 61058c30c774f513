//! Amounts of leave in one base unit — half-days or minutes — whose arithmetic refuses to mix
//! the two: converting hours to days is always explicit (see `calendar::WorkSchedule`).

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The unit a leave type is requested in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Whole days (half days only when the type allows them).
    Day,
    /// Half days.
    HalfDay,
    /// Hours and minutes.
    Hour,
}

impl Unit {
    /// The base amounts of this unit are counted in.
    pub fn base(self) -> Base {
        match self {
            Unit::Day | Unit::HalfDay => Base::HalfDays,
            Unit::Hour => Base::Minutes,
        }
    }
}

/// What an [`Amount`]'s integer counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Base {
    /// Half-days: one day is 2.
    HalfDays,
    /// Minutes: one hour is 60.
    Minutes,
}

impl Base {
    fn en(self) -> &'static str {
        match self {
            Base::HalfDays => "days",
            Base::Minutes => "hours",
        }
    }

    fn zh(self) -> &'static str {
        match self {
            Base::HalfDays => "天",
            Base::Minutes => "小时",
        }
    }
}

/// Two amounts in different bases met in one operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnitMismatch {
    pub left: Base,
    pub right: Base,
}

impl UnitMismatch {
    pub fn en(&self) -> String {
        format!(
            "cannot combine {} with {} without a work schedule",
            self.left.en(),
            self.right.en()
        )
    }

    pub fn zh(&self) -> String {
        format!(
            "未按工作时间换算，不能把{}和{}混在一起计算",
            self.left.zh(),
            self.right.zh()
        )
    }
}

impl fmt::Display for UnitMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.en(), self.zh())
    }
}

impl std::error::Error for UnitMismatch {}

/// A signed amount of leave: half-days or minutes, never a mix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Amount {
    pub unit: Base,
    pub value: i64,
}

impl Amount {
    pub fn new(unit: Base, value: i64) -> Amount {
        Amount { unit, value }
    }

    pub fn zero(unit: Base) -> Amount {
        Amount { unit, value: 0 }
    }

    pub fn half_days(value: i64) -> Amount {
        Amount::new(Base::HalfDays, value)
    }

    /// Whole days, counted as half-days.
    pub fn days(days: i64) -> Amount {
        Amount::half_days(days * 2)
    }

    pub fn minutes(value: i64) -> Amount {
        Amount::new(Base::Minutes, value)
    }

    /// Whole hours, counted as minutes.
    pub fn hours(hours: i64) -> Amount {
        Amount::minutes(hours * 60)
    }

    pub fn is_zero(self) -> bool {
        self.value == 0
    }

    pub fn is_positive(self) -> bool {
        self.value > 0
    }

    pub fn is_negative(self) -> bool {
        self.value < 0
    }

    fn same_base(self, other: Amount) -> Result<(), UnitMismatch> {
        if self.unit == other.unit {
            Ok(())
        } else {
            Err(UnitMismatch {
                left: self.unit,
                right: other.unit,
            })
        }
    }

    pub fn try_add(self, other: Amount) -> Result<Amount, UnitMismatch> {
        self.same_base(other)?;
        Ok(Amount::new(self.unit, self.value + other.value))
    }

    pub fn try_sub(self, other: Amount) -> Result<Amount, UnitMismatch> {
        self.same_base(other)?;
        Ok(Amount::new(self.unit, self.value - other.value))
    }

    pub fn try_cmp(self, other: Amount) -> Result<Ordering, UnitMismatch> {
        self.same_base(other)?;
        Ok(self.value.cmp(&other.value))
    }

    pub fn try_min(self, other: Amount) -> Result<Amount, UnitMismatch> {
        self.same_base(other)?;
        Ok(Amount::new(self.unit, self.value.min(other.value)))
    }

    /// The sum of `amounts`, all in `unit` (zero when there are none).
    pub fn try_sum(
        unit: Base,
        amounts: impl IntoIterator<Item = Amount>,
    ) -> Result<Amount, UnitMismatch> {
        amounts
            .into_iter()
            .try_fold(Amount::zero(unit), Amount::try_add)
    }

    /// "1.5 days", "3 h 30 min".
    pub fn en(self) -> String {
        match self.unit {
            Base::HalfDays => {
                let days = half_days_text(self.value);
                if self.value.abs() == 2 {
                    format!("{days} day")
                } else {
                    format!("{days} days")
                }
            }
            Base::Minutes => minutes_text(self.value, "h", "min", "min"),
        }
    }

    /// "1.5 天", "3 小时 30 分".
    pub fn zh(self) -> String {
        match self.unit {
            Base::HalfDays => format!("{} 天", half_days_text(self.value)),
            Base::Minutes => minutes_text(self.value, "小时", "分", "分钟"),
        }
    }

    /// The text in `locale` ("zh…" for Chinese, English otherwise).
    pub fn text(self, locale: &str) -> String {
        if locale.starts_with("zh") {
            self.zh()
        } else {
            self.en()
        }
    }
}

fn half_days_text(half_days: i64) -> String {
    let sign = if half_days < 0 { "-" } else { "" };
    let abs = half_days.unsigned_abs();
    let half = if abs % 2 == 1 { ".5" } else { "" };
    format!("{sign}{}{half}", abs / 2)
}

/// `3 h 30 min`; `minutes_alone` is the word for minutes without hours ("30 分钟").
fn minutes_text(minutes: i64, hours_word: &str, minutes_word: &str, minutes_alone: &str) -> String {
    let sign = if minutes < 0 { "-" } else { "" };
    let abs = minutes.unsigned_abs();
    let (h, m) = (abs / 60, abs % 60);
    match (h, m) {
        (0, m) => format!("{sign}{m} {minutes_alone}"),
        (h, 0) => format!("{sign}{h} {hours_word}"),
        (h, m) => format!("{sign}{h} {hours_word} {m} {minutes_word}"),
    }
}

impl std::ops::Neg for Amount {
    type Output = Amount;

    fn neg(self) -> Amount {
        Amount::new(self.unit, -self.value)
    }
}

/// Both languages: "1.5 days / 1.5 天".
impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.en(), self.zh())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_hours_are_shown_in_both_languages() {
        assert_eq!(Amount::half_days(3).to_string(), "1.5 days / 1.5 天");
        assert_eq!(Amount::days(1).to_string(), "1 day / 1 天");
        assert_eq!(Amount::days(0).to_string(), "0 days / 0 天");
        assert_eq!(Amount::half_days(-5).en(), "-2.5 days");
        assert_eq!(
            Amount::minutes(210).to_string(),
            "3 h 30 min / 3 小时 30 分"
        );
        assert_eq!(Amount::hours(2).to_string(), "2 h / 2 小时");
        assert_eq!(Amount::minutes(45).to_string(), "45 min / 45 分钟");
        assert_eq!(Amount::minutes(-90).zh(), "-1 小时 30 分");
        assert_eq!(Amount::days(2).text("zh-CN"), "2 天");
        assert_eq!(Amount::days(2).text("en"), "2 days");
    }

    #[test]
    fn mixing_units_is_refused() {
        let mismatch = UnitMismatch {
            left: Base::HalfDays,
            right: Base::Minutes,
        };
        assert_eq!(Amount::days(1).try_add(Amount::hours(8)), Err(mismatch));
        assert_eq!(Amount::days(1).try_sub(Amount::hours(8)), Err(mismatch));
        assert_eq!(Amount::days(1).try_cmp(Amount::hours(8)), Err(mismatch));
        assert_eq!(Amount::days(1).try_min(Amount::hours(8)), Err(mismatch));
        assert_eq!(
            Amount::try_sum(Base::HalfDays, [Amount::days(1), Amount::minutes(30)]),
            Err(mismatch)
        );
        assert_eq!(
            mismatch.to_string(),
            "cannot combine days with hours without a work schedule / 未按工作时间换算，不能把天和小时混在一起计算"
        );
    }

    #[test]
    fn same_unit_arithmetic() {
        assert_eq!(
            Amount::days(2).try_add(Amount::half_days(1)),
            Ok(Amount::half_days(5))
        );
        assert_eq!(
            Amount::hours(1).try_sub(Amount::minutes(90)),
            Ok(Amount::minutes(-30))
        );
        assert_eq!(
            Amount::days(1).try_cmp(Amount::half_days(1)),
            Ok(Ordering::Greater)
        );
        assert_eq!(
            Amount::try_sum(Base::Minutes, [Amount::hours(1), Amount::minutes(5)]),
            Ok(Amount::minutes(65))
        );
        assert_eq!(Amount::try_sum(Base::Minutes, []), Ok(Amount::minutes(0)));
        assert_eq!(-Amount::days(1), Amount::half_days(-2));
        assert_eq!(Unit::HalfDay.base(), Base::HalfDays);
        assert_eq!(Unit::Hour.base(), Base::Minutes);
    }

    #[test]
    fn amounts_serialize_with_their_base() {
        let json = serde_json::to_value(Amount::half_days(3)).unwrap();
        assert_eq!(json, serde_json::json!({"unit": "half_days", "value": 3}));
        let back: Amount = serde_json::from_value(json).unwrap();
        assert_eq!(back, Amount::half_days(3));
    }
}
