//! Civil dates (the SDK's [`Date`], plain Rust that runs natively too), weekdays, anniversaries
//! and times of day in minutes.

use serde::{Deserialize, Serialize};

pub use courtyard_sdk::time::Date;

/// A day of the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    pub fn of(date: Date) -> Weekday {
        // `Date::weekday` is 1 (Monday) to 7 (Sunday).
        Weekday::ALL[usize::from(date.weekday() - 1)]
    }
}

/// `month`/`day` in `year`, with 29 February becoming the 28th in common years.
pub fn month_day(year: i32, (month, day): (u8, u8)) -> Option<Date> {
    Date::new(year, month, day).or_else(|| {
        (month == 2 && day == 29)
            .then(|| Date::new(year, 2, 28))
            .flatten()
    })
}

/// 1 January of `year`.
pub fn year_start(year: i32) -> Option<Date> {
    Date::new(year, 1, 1)
}

/// 31 December of `year`.
pub fn year_end(year: i32) -> Option<Date> {
    Date::new(year, 12, 31)
}

/// The last day of `month` in `year`.
pub fn month_end(year: i32, month: u8) -> Option<Date> {
    let next = if month == 12 {
        Date::new(year + 1, 1, 1)
    } else {
        Date::new(year, month + 1, 1)
    };
    Date::new(year, month, 1).and(next).map(|d| d.add_days(-1))
}

/// The `years`-th anniversary of `date` (29 February falls on the 28th in common years).
pub fn anniversary(date: Date, years: i32) -> Option<Date> {
    month_day(date.year() + years, (date.month(), date.day()))
}

/// Whole years from `start` to `on` (0 before the first anniversary, and before `start`).
pub fn completed_years(start: Date, on: Date) -> u32 {
    if on < start {
        return 0;
    }
    let mut years = on.year() - start.year();
    if anniversary(start, years).is_none_or(|a| a > on) {
        years -= 1;
    }
    years.max(0) as u32
}

/// Minutes since midnight from `HH:MM` (`24:00` is the end of the day).
pub fn parse_time(text: &str) -> Option<u32> {
    let (h, m) = text.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    let minutes = h * 60 + m;
    (m < 60 && minutes <= 24 * 60).then_some(minutes)
}

/// `HH:MM` for minutes since midnight.
pub fn format_time(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A date from `YYYY-MM-DD`, for tests and fixtures.
#[cfg(test)]
pub(crate) fn d(text: &str) -> Date {
    text.parse().expect("a valid date")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays() {
        assert_eq!(Weekday::of(d("2026-01-02")), Weekday::Fri);
        assert_eq!(Weekday::of(d("2026-01-03")), Weekday::Sat);
        assert_eq!(Weekday::of(d("2026-01-04")), Weekday::Sun);
        assert_eq!(Weekday::of(d("2026-01-05")), Weekday::Mon);
        assert_eq!(serde_json::to_value(Weekday::Sat).unwrap(), "sat");
    }

    #[test]
    fn month_days_and_ends() {
        assert_eq!(month_day(2026, (3, 31)), Some(d("2026-03-31")));
        assert_eq!(month_day(2027, (2, 29)), Some(d("2027-02-28")));
        assert_eq!(month_day(2028, (2, 29)), Some(d("2028-02-29")));
        assert_eq!(month_day(2026, (4, 31)), None);
        assert_eq!(month_day(2026, (13, 1)), None);
        assert_eq!(month_end(2026, 2), Some(d("2026-02-28")));
        assert_eq!(month_end(2028, 2), Some(d("2028-02-29")));
        assert_eq!(month_end(2026, 12), Some(d("2026-12-31")));
        assert_eq!(month_end(2026, 0), None);
        assert_eq!(year_start(2026), Some(d("2026-01-01")));
        assert_eq!(year_end(2026), Some(d("2026-12-31")));
    }

    #[test]
    fn seniority_in_completed_years() {
        let start = d("2016-03-15");
        assert_eq!(completed_years(start, d("2016-01-01")), 0);
        assert_eq!(completed_years(start, d("2017-03-14")), 0);
        assert_eq!(completed_years(start, d("2017-03-15")), 1);
        assert_eq!(completed_years(start, d("2026-03-14")), 9);
        assert_eq!(completed_years(start, d("2026-03-15")), 10);
        let leap = d("2024-02-29");
        assert_eq!(completed_years(leap, d("2025-02-27")), 0);
        assert_eq!(completed_years(leap, d("2025-02-28")), 1);
        assert_eq!(anniversary(leap, 4), Some(d("2028-02-29")));
    }

    #[test]
    fn times_of_day() {
        assert_eq!(parse_time("09:00"), Some(540));
        assert_eq!(parse_time("9:30"), Some(570));
        assert_eq!(parse_time("24:00"), Some(1440));
        assert_eq!(parse_time("24:01"), None);
        assert_eq!(parse_time("12:60"), None);
        assert_eq!(parse_time("noon"), None);
        assert_eq!(parse_time("+1:00"), None);
        assert_eq!(format_time(810), "13:30");
    }
}
