//! When scheduled jobs come due: a fixed period or a cron expression in the organization's
//! time zone. The host stores only the next due time; this module computes it.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;

use crate::manifest::Schedule;

/// The shortest period a schedule may have; timers exist for anything more precise.
pub const MIN_PERIOD: Duration = Duration::from_secs(60);

#[derive(Clone, Debug)]
pub enum Cadence {
    Every(Duration),
    Cron(Box<croner::Cron>),
}

/// Parses `30s`, `15m`, `2h`, `1d`.
pub fn parse_period(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("`{text}` needs a unit: s, m, h or d"))?;
    let (n, unit) = text.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{text}` does not start with a number"))?;
    let secs = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        "d" => n.saturating_mul(86_400),
        _ => return Err(format!("`{text}`: the unit must be s, m, h or d")),
    };
    Ok(Duration::from_secs(secs))
}

impl Cadence {
    pub fn from_manifest(s: &Schedule) -> Result<Self, String> {
        match (&s.every, &s.cron) {
            (Some(every), None) => {
                let period = parse_period(every)?;
                if period < MIN_PERIOD || period > Duration::from_secs(366 * 86_400) {
                    return Err("`every` must be between 1 minute and 366 days".into());
                }
                Ok(Cadence::Every(period))
            }
            (None, Some(cron)) => {
                if cron.len() > 100 || cron.split_whitespace().count() != 5 {
                    return Err(
                        "`cron` needs five fields: minute hour day-of-month month day-of-week"
                            .into(),
                    );
                }
                croner::Cron::new(cron)
                    .parse()
                    .map(|c| Cadence::Cron(Box::new(c)))
                    .map_err(|e| format!("`cron` is not valid: {e}"))
            }
            _ => Err("give exactly one of `every` or `cron`".into()),
        }
    }

    /// The first due time strictly after `after_ms`, in milliseconds since the epoch.
    pub fn next_after(&self, after_ms: i64, tz: Tz) -> Option<i64> {
        match self {
            Cadence::Every(period) => after_ms.checked_add(period.as_millis() as i64),
            Cadence::Cron(cron) => {
                let after = Utc
                    .timestamp_millis_opt(after_ms)
                    .single()?
                    .with_timezone(&tz);
                cron.find_next_occurrence(&after, false)
                    .ok()
                    .map(|t| t.timestamp_millis())
            }
        }
    }
}

/// An organization's time zone by IANA name (`Asia/Shanghai`, `UTC`).
pub fn time_zone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>()
        .map_err(|_| format!("`{name}` is not a known time zone (e.g. Asia/Shanghai, UTC)"))
}

/// An organization's time zone, or UTC when the stored name is not known (it was
/// validated when set; a later tz database could in theory drop it).
pub fn time_zone_or_utc(name: &str) -> Tz {
    time_zone(name).unwrap_or(chrono_tz::UTC)
}

/// The offset from UTC in minutes of `tz` at `at_ms`.
pub fn utc_offset_minutes(tz: Tz, at_ms: i64) -> i32 {
    use chrono::Offset;
    Utc.timestamp_millis_opt(at_ms)
        .single()
        .map(|t| t.with_timezone(&tz).offset().fix().local_minus_utc() / 60)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(every: Option<&str>, cron: Option<&str>) -> Schedule {
        Schedule {
            name: "job".into(),
            every: every.map(Into::into),
            cron: cron.map(Into::into),
        }
    }

    #[test]
    fn periods_parse_and_are_bounded() {
        assert_eq!(parse_period("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_period("2d").unwrap(), Duration::from_secs(172_800));
        assert!(parse_period("15").is_err());
        assert!(parse_period("m").is_err());
        assert!(parse_period("5w").is_err());
        assert!(Cadence::from_manifest(&schedule(Some("30s"), None)).is_err());
        assert!(Cadence::from_manifest(&schedule(Some("1m"), None)).is_ok());
        assert!(Cadence::from_manifest(&schedule(None, None)).is_err());
        assert!(Cadence::from_manifest(&schedule(Some("1h"), Some("* * * * *"))).is_err());
    }

    #[test]
    fn cron_runs_in_the_organization_time_zone() {
        let c = Cadence::from_manifest(&schedule(None, Some("0 9 * * 1-5"))).unwrap();
        // Friday 2026-11-20 02:00 UTC = 10:00 in Shanghai; next 09:00 on a weekday there is
        // Monday 2026-11-23 09:00 +08:00 = 01:00 UTC.
        let friday = Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).unwrap();
        let next = c
            .next_after(
                friday.timestamp_millis(),
                time_zone("Asia/Shanghai").unwrap(),
            )
            .unwrap();
        assert_eq!(
            next,
            Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0)
                .unwrap()
                .timestamp_millis()
        );
        assert!(Cadence::from_manifest(&schedule(None, Some("61 * * * *"))).is_err());
        assert!(Cadence::from_manifest(&schedule(None, Some("* * * *"))).is_err());
    }

    #[test]
    fn offsets_follow_daylight_saving() {
        let berlin = time_zone("Europe/Berlin").unwrap();
        let winter = Utc.with_ymd_and_hms(2026, 1, 10, 0, 0, 0).unwrap();
        let summer = Utc.with_ymd_and_hms(2026, 7, 10, 0, 0, 0).unwrap();
        assert_eq!(utc_offset_minutes(berlin, winter.timestamp_millis()), 60);
        assert_eq!(utc_offset_minutes(berlin, summer.timestamp_millis()), 120);
        assert!(time_zone("Mars/Olympus").is_err());
    }
}
