//! Time as this domain sees it: instants are `i64` milliseconds since the Unix epoch (UTC),
//! and local dates and times come from an instant plus the organization's UTC offset in
//! minutes. Civil-date arithmetic, local formatting, and a strict RFC 3339 parser and
//! formatter, all on `std` only.

use std::fmt;

use super::lang::Lang;

pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// The earliest instant a shipment time may be: 2000-01-01T00:00:00Z.
pub const MIN_MS: i64 = 946_684_800_000;
/// The instant every shipment time must be before: 2100-01-01T00:00:00Z.
pub const MAX_MS: i64 = 4_102_444_800_000;

/// UTC offsets go at most this far from UTC, in minutes (RFC 3339 allows up to ±23:59).
pub const MAX_OFFSET_MINUTES: i32 = 23 * 60 + 59;

/// Whether `ms` lies in the years 2000–2099, the only times a shipment can have.
pub fn plausible(ms: i64) -> bool {
    (MIN_MS..MAX_MS).contains(&ms)
}

/// A day of the proleptic Gregorian calendar.
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

    /// Days since 1970-01-01 (negative before).
    pub fn days(self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }

    /// The date `days` days after 1970-01-01.
    pub fn from_days(days: i64) -> Date {
        let (year, month, day) = civil_from_days(days);
        Date { year, month, day }
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

/// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let (m, d) = (i64::from(month), i64::from(day));
    let y = i64::from(year) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year as i32, month, day)
}

/// The instant shifted into local time: milliseconds since 1970-01-01 00:00 local.
fn local_ms(ms: i64, offset_minutes: i32) -> i64 {
    ms.saturating_add(i64::from(offset_minutes) * MINUTE_MS)
}

/// The local date of an instant.
pub fn local_date(ms: i64, offset_minutes: i32) -> Date {
    Date::from_days(local_ms(ms, offset_minutes).div_euclid(DAY_MS))
}

/// `YYYY-MM-DD HH:MM` in local time (what exports and cards show).
pub fn format_local(ms: i64, offset_minutes: i32) -> String {
    let local = local_ms(ms, offset_minutes);
    let date = Date::from_days(local.div_euclid(DAY_MS));
    let minutes = local.rem_euclid(DAY_MS) / MINUTE_MS;
    format!("{date} {:02}:{:02}", minutes / 60, minutes % 60)
}

/// RFC 3339 in local time with its offset: `2026-11-30T08:05:00+08:00`, `…Z` for UTC,
/// with milliseconds only when there are some.
pub fn format_rfc3339(ms: i64, offset_minutes: i32) -> String {
    let local = local_ms(ms, offset_minutes);
    let date = Date::from_days(local.div_euclid(DAY_MS));
    let in_day = local.rem_euclid(DAY_MS);
    let (h, m, s, milli) = (
        in_day / HOUR_MS,
        in_day / MINUTE_MS % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    let mut out = format!("{date}T{h:02}:{m:02}:{s:02}");
    if milli != 0 {
        out.push_str(&format!(".{milli:03}"));
    }
    if offset_minutes == 0 {
        out.push('Z');
    } else {
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        let abs = offset_minutes.unsigned_abs();
        out.push_str(&format!("{sign}{:02}:{:02}", abs / 60, abs % 60));
    }
    out
}

/// Why a text is not an RFC 3339 date-time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rfc3339Error {
    /// Not shaped like `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`.
    Syntax,
    /// No `Z` or `±HH:MM` at the end: a local time without offset is ambiguous.
    MissingOffset,
    /// A month or day that does not exist (`2026-02-30`).
    Date,
    /// An hour, minute or second out of range.
    Time,
    /// An offset hour or minute out of range.
    Offset,
}

impl Rfc3339Error {
    pub fn message(self, lang: Lang) -> &'static str {
        match self {
            Rfc3339Error::Syntax => lang.pick(
                "not an RFC 3339 date-time such as 2026-11-30T08:00:00+08:00",
                "不是 RFC 3339 格式的时间（例如 2026-11-30T08:00:00+08:00）",
            ),
            Rfc3339Error::MissingOffset => lang.pick(
                "the time needs a UTC offset (Z or ±HH:MM)",
                "时间缺少时区偏移（Z 或 ±HH:MM）",
            ),
            Rfc3339Error::Date => lang.pick("no such date", "日期不存在"),
            Rfc3339Error::Time => {
                lang.pick("hour, minute or second out of range", "时、分或秒超出范围")
            }
            Rfc3339Error::Offset => lang.pick("UTC offset out of range", "时区偏移超出范围"),
        }
    }
}

/// Reads exactly `n` ASCII digits at `at`.
fn digits(bytes: &[u8], at: usize, n: usize) -> Option<u32> {
    let slice = bytes.get(at..at + n)?;
    slice.iter().try_fold(0u32, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// Parses an RFC 3339 `date-time` (section 5.6) into milliseconds since the epoch.
///
/// Strict: four-digit year, two-digit fields, a `T` (or `t`) between date and time, and an
/// offset (`Z`, `z` or `±HH:MM`). A fraction of a second may have 1 to 9 digits and is
/// truncated to milliseconds. `-00:00` ("offset unknown") reads as UTC. A leap second
/// (`:60`) reads as the first instant of the next minute. Surrounding spaces are refused.
pub fn parse_rfc3339(text: &str) -> Result<i64, Rfc3339Error> {
    let b = text.as_bytes();
    let sep = |at: usize, c: &[u8]| b.get(at).is_some_and(|x| c.contains(x));
    let year = digits(b, 0, 4).ok_or(Rfc3339Error::Syntax)?;
    let month = digits(b, 5, 2).ok_or(Rfc3339Error::Syntax)?;
    let day = digits(b, 8, 2).ok_or(Rfc3339Error::Syntax)?;
    if !sep(4, b"-") || !sep(7, b"-") || !sep(10, b"Tt") {
        return Err(Rfc3339Error::Syntax);
    }
    let hour = digits(b, 11, 2).ok_or(Rfc3339Error::Syntax)?;
    let minute = digits(b, 14, 2).ok_or(Rfc3339Error::Syntax)?;
    let second = digits(b, 17, 2).ok_or(Rfc3339Error::Syntax)?;
    if !sep(13, b":") || !sep(16, b":") {
        return Err(Rfc3339Error::Syntax);
    }
    let mut at = 19;
    let mut millis = 0u32;
    if sep(at, b".") {
        let start = at + 1;
        let n = b[start..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return Err(Rfc3339Error::Syntax);
        }
        for (i, c) in b[start..start + n].iter().take(3).enumerate() {
            millis += u32::from(c - b'0') * 10u32.pow(2 - i as u32);
        }
        at = start + n;
    }
    let offset_minutes: i64 = match b.get(at) {
        None => return Err(Rfc3339Error::MissingOffset),
        Some(b'Z' | b'z') if b.len() == at + 1 => 0,
        Some(sign @ (b'+' | b'-')) if b.len() == at + 6 => {
            let oh = digits(b, at + 1, 2).ok_or(Rfc3339Error::Syntax)?;
            let om = digits(b, at + 4, 2).ok_or(Rfc3339Error::Syntax)?;
            if !sep(at + 3, b":") {
                return Err(Rfc3339Error::Syntax);
            }
            if oh > 23 || om > 59 {
                return Err(Rfc3339Error::Offset);
            }
            let total = i64::from(oh * 60 + om);
            if *sign == b'-' { -total } else { total }
        }
        _ => return Err(Rfc3339Error::Syntax),
    };
    let date = Date::new(year as i32, month as u8, day as u8).ok_or(Rfc3339Error::Date)?;
    if hour > 23 || minute > 59 || second > 60 {
        return Err(Rfc3339Error::Time);
    }
    let local = date.days() * DAY_MS
        + i64::from(hour) * HOUR_MS
        + i64::from(minute) * MINUTE_MS
        + i64::from(second) * 1000
        + i64::from(millis);
    Ok(local - offset_minutes * MINUTE_MS)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const T: i64 = 1_796_025_600_000; // 2026-11-30T08:00:00Z

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(Date::from_days(0), Date::new(1970, 1, 1).unwrap());
        assert_eq!(Date::new(2000, 3, 1).unwrap().days(), 11_017);
        assert_eq!(Date::from_days(-1), Date::new(1969, 12, 31).unwrap());
        for days in [-800_000, -1, 0, 59, 60, 11_016, 20_000, 47_482, 2_000_000] {
            assert_eq!(Date::from_days(days).days(), days);
        }
        assert_eq!(
            Date::new(2024, 2, 29).map(Date::compact).as_deref(),
            Some("20240229")
        );
        assert!(Date::new(2026, 2, 29).is_none());
        assert!(Date::new(1900, 2, 29).is_none());
        assert!(Date::new(2000, 2, 29).is_some());
        assert!(Date::new(2026, 13, 1).is_none());
        assert!(Date::new(2026, 4, 31).is_none());
        assert!(Date::new(2026, 4, 0).is_none());
    }

    #[test]
    fn local_formatting_uses_the_offset() {
        assert_eq!(format_local(T, 0), "2026-11-30 08:00");
        assert_eq!(format_local(T, 480), "2026-11-30 16:00");
        assert_eq!(format_local(T, -600), "2026-11-29 22:00");
        assert_eq!(format_local(T + 59_999, 0), "2026-11-30 08:00");
        assert_eq!(format_local(-1, 0), "1969-12-31 23:59");
        assert_eq!(local_date(T + 16 * HOUR_MS, 480).to_string(), "2026-12-01");
        assert_eq!(local_date(T + 15 * HOUR_MS, 0).to_string(), "2026-11-30");
        assert_eq!(local_date(T + 16 * HOUR_MS, 0).to_string(), "2026-12-01");
    }

    #[test]
    fn rfc3339_formatting() {
        assert_eq!(format_rfc3339(T, 0), "2026-11-30T08:00:00Z");
        assert_eq!(format_rfc3339(T + 5, 480), "2026-11-30T16:00:00.005+08:00");
        assert_eq!(format_rfc3339(T, -330), "2026-11-30T02:30:00-05:30");
    }

    #[test]
    fn rfc3339_accepts_what_the_rfc_allows() {
        let ok = |s: &str| parse_rfc3339(s).unwrap_or_else(|e| panic!("{s}: {e:?}"));
        assert_eq!(ok("2026-11-30T08:00:00Z"), T);
        assert_eq!(ok("2026-11-30t08:00:00z"), T);
        assert_eq!(ok("2026-11-30T16:00:00+08:00"), T);
        assert_eq!(ok("2026-11-30T02:30:00-05:30"), T);
        assert_eq!(ok("2026-11-30T08:00:00-00:00"), T);
        assert_eq!(ok("2026-11-30T08:00:00.1Z"), T + 100);
        assert_eq!(ok("2026-11-30T08:00:00.12Z"), T + 120);
        assert_eq!(ok("2026-11-30T08:00:00.123456789Z"), T + 123);
        assert_eq!(ok("2026-11-30T07:59:60Z"), T);
        assert_eq!(ok("2024-02-29T00:00:00Z"), 1_709_164_800_000);
        assert_eq!(ok("1970-01-01T00:00:00Z"), 0);
        assert_eq!(ok("1970-01-01T08:00:00+08:00"), 0);
        assert_eq!(ok("0000-01-01T00:00:00Z"), -62_167_219_200_000);
    }

    #[test]
    fn rfc3339_refuses_everything_else() {
        use Rfc3339Error::*;
        let cases: &[(&str, Rfc3339Error)] = &[
            ("", Syntax),
            ("2026-11-30", Syntax),
            ("2026-11-30T08:00:00", MissingOffset),
            ("2026-11-30T08:00:00.5", MissingOffset),
            ("2026-11-30 08:00:00Z", Syntax),
            ("2026-11-30T08:00Z", Syntax),
            ("2026-11-30T8:00:00Z", Syntax),
            ("26-11-30T08:00:00Z", Syntax),
            ("2026/11/30T08:00:00Z", Syntax),
            ("2026-11-30T08:00:00.Z", Syntax),
            ("2026-11-30T08:00:00.1234567890Z", Syntax),
            ("2026-11-30T08:00:00+0800", Syntax),
            ("2026-11-30T08:00:00+08", Syntax),
            ("2026-11-30T08:00:00+08:00 ", Syntax),
            (" 2026-11-30T08:00:00Z", Syntax),
            ("2026-11-30T08:00:00ZZ", Syntax),
            ("2026-11-30T08:00:00UTC", Syntax),
            ("+2026-11-30T08:00:00Z", Syntax),
            ("2026-11-30T08:00:00+24:00", Offset),
            ("2026-11-30T08:00:00+08:60", Offset),
            ("2026-02-30T08:00:00Z", Date),
            ("2026-13-01T08:00:00Z", Date),
            ("2026-00-01T08:00:00Z", Date),
            ("2026-11-00T08:00:00Z", Date),
            ("2026-11-30T24:00:00Z", Time),
            ("2026-11-30T08:60:00Z", Time),
            ("2026-11-30T08:00:61Z", Time),
            ("２026-11-30T08:00:00Z", Syntax),
        ];
        for (text, want) in cases {
            assert_eq!(parse_rfc3339(text), Err(*want), "{text}");
        }
        for e in [Syntax, MissingOffset, Date, Time, Offset] {
            assert_ne!(e.message(Lang::En), e.message(Lang::Zh));
        }
    }

    #[test]
    fn plausible_times() {
        assert!(plausible(MIN_MS) && plausible(T) && plausible(MAX_MS - 1));
        assert!(!plausible(MIN_MS - 1) && !plausible(MAX_MS) && !plausible(0));
    }

    proptest! {
        #[test]
        fn rfc3339_parser_never_panics(s in "\\PC{0,40}") {
            let _ = parse_rfc3339(&s);
        }

        #[test]
        fn rfc3339_near_misses_never_panic(s in "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,12})?(Z|[+-][0-9]{2}:?[0-9]{2})?") {
            let _ = parse_rfc3339(&s);
        }

        #[test]
        fn format_then_parse_is_identity(ms in MIN_MS..MAX_MS, offset in -MAX_OFFSET_MINUTES..=MAX_OFFSET_MINUTES) {
            prop_assert_eq!(parse_rfc3339(&format_rfc3339(ms, offset)), Ok(ms));
        }

        #[test]
        fn days_round_trip(days in -1_000_000i64..1_000_000) {
            let d = Date::from_days(days);
            prop_assert_eq!(d.days(), days);
            prop_assert!(Date::new(d.year, d.month, d.day).is_some());
        }
    }
}
