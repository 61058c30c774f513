//! Dates and times in the organization's time zone, as forms submit them: [`Date`]
//! (`YYYY-MM-DD`), [`DateRange`] (`{"start", "end"}`), and `YYYY-MM-DDTHH:MM` local times.
//!
//! ```ignore
//! #[derive(Deserialize)]
//! struct Leave { dates: time::DateRange }
//! let leave: Leave = action.form_as()?;
//! if leave.dates.start < time::Date::today() { return Err(Error::user("that is in the past")); }
//! let days = leave.dates.workdays();
//! ```

use serde::{Deserialize, Serialize};

use crate::{Error, ErrorKind, Result, clock};

const DAY_MS: i64 = 86_400_000;

/// Milliseconds since the Unix epoch, from the host's clock.
pub fn now_ms() -> i64 {
    clock::now_ms()
}

/// The organization's offset from UTC at `at_ms`, in milliseconds.
fn offset_ms(at_ms: i64) -> i64 {
    i64::from(clock::utc_offset_minutes(at_ms)) * 60_000
}

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// A date, if it exists.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        ((1..=9999).contains(&year) && day >= 1 && day <= days_in_month(year, month))
            .then_some(Date { year, month, day })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn day(self) -> u8 {
        self.day
    }

    /// Today in the organization's time zone.
    pub fn today() -> Date {
        Date::of_ms(now_ms())
    }

    /// The date, in the organization's time zone, of an instant.
    pub fn of_ms(at_ms: i64) -> Date {
        Date::from_days((at_ms + offset_ms(at_ms)).div_euclid(DAY_MS))
    }

    /// The date `days` days after 1970-01-01.
    pub fn from_days(days: i64) -> Date {
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Days since 1970-01-01.
    pub fn days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(self.month);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn add_days(self, days: i64) -> Date {
        Date::from_days(self.days() + days)
    }

    /// Days from `self` to `other` (negative when `other` is earlier).
    pub fn days_until(self, other: Date) -> i64 {
        other.days() - self.days()
    }

    /// 1 (Monday) to 7 (Sunday).
    pub fn weekday(self) -> u8 {
        // 1970-01-01 was a Thursday.
        ((self.days() + 3).rem_euclid(7) + 1) as u8
    }

    pub fn is_weekend(self) -> bool {
        self.weekday() >= 6
    }

    /// The instant the date begins in the organization's time zone (ms since the epoch).
    pub fn start_ms(self) -> i64 {
        local_to_utc(self.days() * DAY_MS)
    }

    pub fn parse(text: &str) -> Result<Date> {
        text.parse()
    }
}

/// Local wall-clock milliseconds to an instant, using the offset in force at that instant.
fn local_to_utc(local_ms: i64) -> i64 {
    let guess = local_ms - offset_ms(local_ms);
    local_ms - offset_ms(guess)
}

fn data_error(message: String) -> Error {
    Error::new(ErrorKind::Data, message)
}

impl std::str::FromStr for Date {
    type Err = Error;

    fn from_str(s: &str) -> Result<Date> {
        let bad = || data_error(format!("“{s}” is not a date like 2026-12-01"));
        let b = s.trim().as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Result<u32> {
            let part = &s.trim()[r];
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        Date::new(y as i32, m as u8, d as u8).ok_or_else(bad)
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Start and end dates, both included, as a `date-range` field submits them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DateRange {
    pub start: Date,
    pub end: Date,
}

impl DateRange {
    /// A range, if `start` is not after `end`.
    pub fn new(start: Date, end: Date) -> Option<DateRange> {
        (start <= end).then_some(DateRange { start, end })
    }

    /// Calendar days, both ends included.
    pub fn days(&self) -> i64 {
        self.start.days_until(self.end) + 1
    }

    /// Monday-to-Friday days, both ends included (public holidays are up to you).
    pub fn workdays(&self) -> i64 {
        self.iter().filter(|d| !d.is_weekend()).count() as i64
    }

    pub fn contains(&self, date: Date) -> bool {
        self.start <= date && date <= self.end
    }

    pub fn overlaps(&self, other: &DateRange) -> bool {
        self.start <= other.end && other.start <= self.end
    }

    /// Every date of the range, in order.
    pub fn iter(&self) -> impl Iterator<Item = Date> + use<> {
        let (start, end) = (self.start.days(), self.end.days());
        (start..=end).map(Date::from_days)
    }
}

impl std::fmt::Display for DateRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{} – {}", self.start, self.end)
        }
    }
}

/// An instant as `YYYY-MM-DD HH:MM` in the organization's time zone.
pub fn format_datetime(at_ms: i64) -> String {
    let local = at_ms + offset_ms(at_ms);
    let minutes = local.rem_euclid(DAY_MS) / 60_000;
    format!(
        "{} {:02}:{:02}",
        Date::from_days(local.div_euclid(DAY_MS)),
        minutes / 60,
        minutes % 60
    )
}

/// A `datetime` field's value (`YYYY-MM-DDTHH:MM`, organization time) as an instant.
pub fn parse_datetime(text: &str) -> Result<i64> {
    let bad = || data_error(format!("“{text}” is not a time like 2026-12-01T09:30"));
    let (date, time) = text.trim().split_once(['T', ' ']).ok_or_else(bad)?;
    let date: Date = date.parse().map_err(|_| bad())?;
    let (h, m) = time.split_once(':').ok_or_else(bad)?;
    let m = m.get(..2).unwrap_or(m);
    let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return Err(bad());
    }
    Ok(local_to_utc(date.days() * DAY_MS + (h * 60 + m) * 60_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_count() {
        for days in [-800_000, -1, 0, 1, 59, 365, 11_016, 20_000, 2_000_000] {
            assert_eq!(Date::from_days(days).days(), days);
        }
        let d: Date = "2024-02-29".parse().unwrap();
        assert_eq!(d.add_days(1).to_string(), "2024-03-01");
        assert!("2023-02-29".parse::<Date>().is_err());
        assert!("2023-2-28".parse::<Date>().is_err());
        assert_eq!(Date::from_days(0).weekday(), 4);
        let r: DateRange =
            serde_json::from_value(serde_json::json!({"start": "2026-11-27", "end": "2026-12-01"}))
                .unwrap();
        assert_eq!(r.days(), 5);
        assert_eq!(r.workdays(), 3);
        assert_eq!(r.to_string(), "2026-11-27 – 2026-12-01");
    }
}
