//! Time as this domain sees it: instants are `i64` milliseconds since the Unix epoch (UTC);
//! a local date or time is an instant plus the organization's UTC offset in minutes. Civil
//! dates on `std` only (Howard Hinnant's algorithms).

use std::fmt;

use super::lang::Lang;

pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// A day of the proleptic Gregorian calendar, years 1 to 9999 when parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// The date, when the day exists.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
            .then_some(Date { year, month, day })
    }

    /// Exactly `YYYY-MM-DD`, a real day of the years 1 to 9999 (what the host submits).
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            b[r].iter().try_fold(0u32, |acc, &d| {
                d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
            })
        };
        let year = i32::try_from(num(0..4)?).ok().filter(|&y| y >= 1)?;
        Date::new(
            year,
            u8::try_from(num(5..7)?).ok()?,
            u8::try_from(num(8..10)?).ok()?,
        )
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days(self) -> i64 {
        let (y, m, d) = (
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` days after 1970-01-01.
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: year as i32,
            month,
            day,
        }
    }

    /// `YYYYMMDD`.
    pub fn compact(self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

pub fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// The instant shifted to local wall-clock time.
fn local_ms(ms: i64, offset_minutes: i32) -> i64 {
    ms.saturating_add(i64::from(offset_minutes) * MINUTE_MS)
}

/// The local date of an instant.
pub fn local_date(ms: i64, offset_minutes: i32) -> Date {
    Date::from_days(local_ms(ms, offset_minutes).div_euclid(DAY_MS))
}

/// The first instant of a local date.
pub fn start_of_local_day(date: Date, offset_minutes: i32) -> i64 {
    date.days() * DAY_MS - i64::from(offset_minutes) * MINUTE_MS
}

/// `YYYY-MM-DD HH:MM`, local.
pub fn format_local(ms: i64, offset_minutes: i32) -> String {
    let local = local_ms(ms, offset_minutes);
    let date = Date::from_days(local.div_euclid(DAY_MS));
    let minutes = local.rem_euclid(DAY_MS) / MINUTE_MS;
    format!("{date} {:02}:{:02}", minutes / 60, minutes % 60)
}

/// `UTC+08:00`, `UTC-05:30`, `UTC`.
pub fn offset_label(offset_minutes: i32) -> String {
    if offset_minutes == 0 {
        return "UTC".into();
    }
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let m = offset_minutes.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
}

/// A moment as people read it: `2026-11-30 18:00 (UTC+08:00)`, `2026年11月30日 18:00（UTC+08:00）`.
pub fn describe(ms: i64, offset_minutes: i32, lang: Lang) -> String {
    let local = local_ms(ms, offset_minutes);
    let d = Date::from_days(local.div_euclid(DAY_MS));
    let minutes = local.rem_euclid(DAY_MS) / MINUTE_MS;
    let clock = format!("{:02}:{:02}", minutes / 60, minutes % 60);
    let zone = offset_label(offset_minutes);
    match lang {
        Lang::En => format!("{d} {clock} ({zone})"),
        Lang::Zh => format!("{}年{}月{}日 {clock}（{zone}）", d.year, d.month, d.day),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_round_trip() {
        assert_eq!(Date::new(1970, 1, 1).unwrap().days(), 0);
        assert_eq!(Date::new(2000, 3, 1).unwrap().days(), 11_017);
        for days in [-800_000, -1, 0, 59, 60, 11_016, 20_000, 2_900_000] {
            assert_eq!(Date::from_days(days).days(), days);
        }
        assert_eq!(Date::parse("2024-02-29").unwrap().to_string(), "2024-02-29");
        assert_eq!(Date::parse("2023-02-29"), None);
        assert_eq!(Date::parse("0000-01-01"), None);
        assert_eq!(Date::parse("2024-1-01"), None);
        assert_eq!(Date::parse("２０２４-01-01"), None);
        assert_eq!(Date::parse("2026-11-30").unwrap().compact(), "20261130");
    }

    #[test]
    fn local_times() {
        // 2026-11-30T16:30:00Z
        let ms = Date::new(2026, 11, 30).unwrap().days() * DAY_MS + 16 * HOUR_MS + 30 * MINUTE_MS;
        assert_eq!(format_local(ms, 0), "2026-11-30 16:30");
        assert_eq!(format_local(ms, 480), "2026-12-01 00:30");
        assert_eq!(local_date(ms, 480).to_string(), "2026-12-01");
        assert_eq!(local_date(ms, -600).to_string(), "2026-11-30");
        assert_eq!(describe(ms, 480, Lang::En), "2026-12-01 00:30 (UTC+08:00)");
        assert_eq!(
            describe(ms, 480, Lang::Zh),
            "2026年12月1日 00:30（UTC+08:00）"
        );
        assert_eq!(offset_label(-330), "UTC-05:30");
        assert_eq!(offset_label(0), "UTC");
        let day = Date::new(2026, 12, 1).unwrap();
        assert_eq!(
            format_local(start_of_local_day(day, 480), 480),
            "2026-12-01 00:00"
        );
        assert_eq!(format_local(-1, 0), "1969-12-31 23:59");
    }
}
