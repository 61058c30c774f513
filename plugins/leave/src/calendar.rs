//! The working calendar (weekends, public holidays, make-up workdays 调休上班) and a person's
//! work schedule: which half-days and minutes a request actually takes.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use serde::{Deserialize, Serialize};

use crate::amount::{Amount, Base};
use crate::date::{Date, Weekday};

/// Morning or afternoon.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Half {
    Am,
    Pm,
}

/// A half-day: as a start, "from the morning/afternoon of"; as an end, "until noon/the end of".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DayHalf {
    pub date: Date,
    pub half: Half,
}

impl DayHalf {
    pub fn new(date: Date, half: Half) -> DayHalf {
        DayHalf { date, half }
    }

    pub fn am(date: Date) -> DayHalf {
        DayHalf::new(date, Half::Am)
    }

    pub fn pm(date: Date) -> DayHalf {
        DayHalf::new(date, Half::Pm)
    }

    /// Half-days since 1970-01-01 AM.
    pub fn slot(self) -> i64 {
        self.date.days() * 2 + i64::from(self.half == Half::Pm)
    }

    pub fn from_slot(slot: i64) -> DayHalf {
        let half = if slot.rem_euclid(2) == 0 {
            Half::Am
        } else {
            Half::Pm
        };
        DayHalf::new(Date::from_days(slot.div_euclid(2)), half)
    }
}

impl From<(Date, Half)> for DayHalf {
    fn from((date, half): (Date, Half)) -> DayHalf {
        DayHalf::new(date, half)
    }
}

/// What kind of day a date is, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayKind<'a> {
    Working,
    Weekend,
    Holiday(&'a str),
    /// A weekend day worked in exchange for a holiday (调休上班).
    MakeupWorkday(&'a str),
}

impl DayKind<'_> {
    pub fn is_working(self) -> bool {
        matches!(self, DayKind::Working | DayKind::MakeupWorkday(_))
    }
}

fn default_weekend() -> BTreeSet<Weekday> {
    BTreeSet::from([Weekday::Sat, Weekday::Sun])
}

/// An organization's working calendar. A date listed both as a holiday and as a make-up
/// workday is a holiday; [`Calendar::add_holiday`] and [`Calendar::add_makeup_workday`] keep
/// the two lists apart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    #[serde(default = "default_weekend")]
    pub weekend: BTreeSet<Weekday>,
    #[serde(default)]
    pub holidays: BTreeMap<Date, String>,
    #[serde(default)]
    pub makeup_workdays: BTreeMap<Date, String>,
}

impl Default for Calendar {
    fn default() -> Calendar {
        Calendar {
            weekend: default_weekend(),
            holidays: BTreeMap::new(),
            makeup_workdays: BTreeMap::new(),
        }
    }
}

impl Calendar {
    pub fn add_holiday(&mut self, date: Date, name: impl Into<String>) {
        self.makeup_workdays.remove(&date);
        self.holidays.insert(date, name.into());
    }

    pub fn add_makeup_workday(&mut self, date: Date, name: impl Into<String>) {
        self.holidays.remove(&date);
        self.makeup_workdays.insert(date, name.into());
    }

    pub fn day_kind(&self, date: Date) -> DayKind<'_> {
        if let Some(name) = self.holidays.get(&date) {
            DayKind::Holiday(name)
        } else if let Some(name) = self.makeup_workdays.get(&date) {
            DayKind::MakeupWorkday(name)
        } else if self.weekend.contains(&Weekday::of(date)) {
            DayKind::Weekend
        } else {
            DayKind::Working
        }
    }

    pub fn is_working_day(&self, date: Date) -> bool {
        self.day_kind(date).is_working()
    }

    /// Working days from `from` to `to`, both included (0 when `to` is before `from`).
    pub fn working_days_between(&self, from: Date, to: Date) -> i64 {
        dates(from, to).filter(|&d| self.is_working_day(d)).count() as i64
    }

    /// The first working day after `date`; `None` only when no day ever is one (every weekday
    /// is weekend and no make-up workday follows).
    pub fn next_working_day(&self, date: Date) -> Option<Date> {
        if self.weekend.len() == Weekday::ALL.len() {
            return self
                .makeup_workdays
                .range((Bound::Excluded(date), Bound::Unbounded))
                .map(|(&d, _)| d)
                .find(|&d| self.is_working_day(d));
        }
        // Every week has a weekday that is not weekend; only a holiday can take it, so a week
        // more than there are holidays always holds a working day.
        let limit = 7 * (self.holidays.len() as i64 + 2);
        (1..=limit)
            .map(|n| date.add_days(n))
            .find(|&d| self.is_working_day(d))
    }

    /// Half-days from `from` to `to`, both included, that fall on working days — or on any day
    /// when `counts_holidays` (e.g. maternity leave counts calendar days). 0 when `to` is
    /// before `from`.
    pub fn count_half_days(&self, from: DayHalf, to: DayHalf, counts_holidays: bool) -> i64 {
        dates(from.date, to.date)
            .filter(|&d| counts_holidays || self.is_working_day(d))
            .map(|d| {
                let skipped_morning = d == from.date && from.half == Half::Pm;
                let skipped_afternoon = d == to.date && to.half == Half::Am;
                2 - i64::from(skipped_morning) - i64::from(skipped_afternoon)
            })
            .sum::<i64>()
            .max(0)
    }

    /// Minutes from `start` to `end` (minutes of the day) on `date` that fall inside the
    /// schedule's working periods, if `date` is a working day (or `counts_holidays`).
    pub fn count_minutes(
        &self,
        date: Date,
        start: u32,
        end: u32,
        schedule: &WorkSchedule,
        counts_holidays: bool,
    ) -> i64 {
        if counts_holidays || self.is_working_day(date) {
            schedule.working_minutes(start, end)
        } else {
            0
        }
    }
}

fn dates(from: Date, to: Date) -> impl Iterator<Item = Date> {
    (from.days()..=to.days()).map(Date::from_days)
}

/// A person's working hours: what a day is worth in hours, and the morning and afternoon
/// periods (minutes of the day; the gap between them is the lunch break).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkSchedule {
    pub hours_per_day: u32,
    pub morning: (u32, u32),
    pub afternoon: (u32, u32),
}

impl Default for WorkSchedule {
    /// 8 hours: 09:00–12:00 and 13:00–18:00.
    fn default() -> WorkSchedule {
        WorkSchedule {
            hours_per_day: 8,
            morning: (9 * 60, 12 * 60),
            afternoon: (13 * 60, 18 * 60),
        }
    }
}

/// A schedule that cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScheduleError;

impl ScheduleError {
    pub fn en(&self) -> String {
        "a work schedule needs 1 to 24 hours a day and a morning that ends before the afternoon starts, within the day".into()
    }

    pub fn zh(&self) -> String {
        "工作时间须为每天 1 到 24 小时，上午须在下午之前结束，且都在当天之内".into()
    }
}

impl std::fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} / {}", self.en(), self.zh())
    }
}

impl std::error::Error for ScheduleError {}

/// An explicit conversion: the converted amount and what was too small to convert (in the
/// original base), so nothing is lost silently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Converted {
    pub amount: Amount,
    pub remainder: Amount,
}

impl WorkSchedule {
    pub fn validate(&self) -> Result<(), ScheduleError> {
        let (m0, m1) = self.morning;
        let (a0, a1) = self.afternoon;
        let ordered = m0 < m1 && m1 <= a0 && a0 < a1 && a1 <= 24 * 60;
        if ordered && (1..=24).contains(&self.hours_per_day) {
            Ok(())
        } else {
            Err(ScheduleError)
        }
    }

    /// Where the morning ends: the boundary between an AM and a PM half-day.
    pub fn noon(&self) -> u32 {
        self.morning.1
    }

    /// Minutes a half-day is worth.
    pub fn minutes_per_half_day(&self) -> i64 {
        i64::from(self.hours_per_day) * 30
    }

    /// Minutes between `start` and `end` inside the morning or the afternoon.
    pub fn working_minutes(&self, start: u32, end: u32) -> i64 {
        let overlap = |(p0, p1): (u32, u32)| i64::from(end.min(p1)) - i64::from(start.max(p0));
        overlap(self.morning).max(0) + overlap(self.afternoon).max(0)
    }

    /// `amount` in `to`: half-days become `hours_per_day × 30` minutes each; minutes become
    /// whole half-days, the rest left in `remainder` (e.g. 5 h on an 8-hour day is 1 half-day
    /// and 1 h over).
    pub fn convert(&self, amount: Amount, to: Base) -> Converted {
        let per = self.minutes_per_half_day();
        match (amount.unit, to) {
            (from, to) if from == to => Converted {
                amount,
                remainder: Amount::zero(from),
            },
            (Base::HalfDays, _) => Converted {
                amount: Amount::minutes(amount.value * per),
                remainder: Amount::half_days(0),
            },
            (Base::Minutes, _) => {
                match (amount.value.checked_div(per), amount.value.checked_rem(per)) {
                    (Some(half_days), Some(rest)) => Converted {
                        amount: Amount::half_days(half_days),
                        remainder: Amount::minutes(rest),
                    },
                    _ => Converted {
                        amount: Amount::half_days(0),
                        remainder: amount,
                    },
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::date::d;

    fn span(cal: &Calendar, from: DayHalf, to: DayHalf) -> i64 {
        cal.count_half_days(from, to, false)
    }

    /// China's 2026 Spring Festival: 15–23 Feb off, Sat 14 and Sat 28 Feb worked.
    fn spring_festival() -> Calendar {
        let mut cal = Calendar::default();
        for day in 15..=23 {
            cal.add_holiday(Date::new(2026, 2, day).unwrap(), "春节 Spring Festival");
        }
        cal.add_makeup_workday(d("2026-02-14"), "春节调休");
        cal.add_makeup_workday(d("2026-02-28"), "春节调休");
        cal
    }

    #[test]
    fn friday_to_monday_is_two_days() {
        let cal = Calendar::default();
        let (fri, mon) = (d("2026-01-09"), d("2026-01-12"));
        assert_eq!(span(&cal, DayHalf::am(fri), DayHalf::pm(mon)), 4);
        assert_eq!(cal.working_days_between(fri, mon), 2);
    }

    #[test]
    fn a_week_with_a_public_holiday() {
        let mut cal = Calendar::default();
        // Labour Day 2025 fell on a Thursday.
        cal.add_holiday(d("2025-05-01"), "劳动节 Labour Day");
        let (mon, fri) = (d("2025-04-28"), d("2025-05-02"));
        assert_eq!(span(&cal, DayHalf::am(mon), DayHalf::pm(fri)), 8);
        assert_eq!(cal.working_days_between(mon, fri), 4);
        assert_eq!(
            cal.day_kind(d("2025-05-01")),
            DayKind::Holiday("劳动节 Labour Day")
        );
    }

    #[test]
    fn a_makeup_saturday_is_counted() {
        let cal = spring_festival();
        let sat = d("2026-02-14");
        assert!(cal.is_working_day(sat));
        assert_eq!(cal.day_kind(sat), DayKind::MakeupWorkday("春节调休"));
        // Thu 12 Feb to Sun 15 Feb: Thu, Fri, and the make-up Saturday.
        assert_eq!(
            span(
                &cal,
                DayHalf::am(d("2026-02-12")),
                DayHalf::pm(d("2026-02-15"))
            ),
            6
        );
        // The festival week itself is empty.
        assert_eq!(
            span(
                &cal,
                DayHalf::am(d("2026-02-15")),
                DayHalf::pm(d("2026-02-23"))
            ),
            0
        );
        assert_eq!(
            cal.working_days_between(d("2026-02-09"), d("2026-02-28")),
            11
        );
    }

    #[test]
    fn holidays_win_over_makeup_days_and_adding_one_removes_the_other() {
        let mut cal = Calendar::default();
        let sat = d("2026-02-14");
        cal.add_makeup_workday(sat, "调休");
        cal.add_holiday(sat, "holiday");
        assert!(cal.makeup_workdays.is_empty());
        assert!(!cal.is_working_day(sat));
        cal.makeup_workdays.insert(sat, "both".into());
        assert_eq!(cal.day_kind(sat), DayKind::Holiday("holiday"));
    }

    #[test]
    fn half_day_starts_and_ends() {
        let cal = Calendar::default();
        let (mon, tue) = (d("2026-01-05"), d("2026-01-06"));
        assert_eq!(span(&cal, DayHalf::pm(mon), DayHalf::am(tue)), 2);
        assert_eq!(span(&cal, DayHalf::am(mon), DayHalf::am(mon)), 1);
        assert_eq!(span(&cal, DayHalf::pm(mon), DayHalf::pm(mon)), 1);
        assert_eq!(span(&cal, DayHalf::pm(mon), DayHalf::am(mon)), 0);
        assert_eq!(span(&cal, DayHalf::pm(mon), DayHalf::pm(tue)), 3);
        // Friday afternoon to Monday morning: one day, the weekend between is free.
        assert_eq!(
            span(
                &cal,
                DayHalf::pm(d("2026-01-09")),
                DayHalf::am(d("2026-01-12"))
            ),
            2
        );
    }

    #[test]
    fn maternity_counts_calendar_days() {
        let cal = spring_festival();
        let (from, to) = (DayHalf::am(d("2026-02-10")), DayHalf::pm(d("2026-02-24")));
        assert_eq!(cal.count_half_days(from, to, true), 30);
        assert_eq!(cal.count_half_days(from, to, false), 12);
    }

    #[test]
    fn hours_across_lunch() {
        let cal = Calendar::default();
        let schedule = WorkSchedule::default();
        let mon = d("2026-01-05");
        // 11:00–14:30 with lunch 12:00–13:00: 1 h + 1 h 30.
        assert_eq!(cal.count_minutes(mon, 660, 870, &schedule, false), 150);
        assert_eq!(cal.count_minutes(mon, 720, 780, &schedule, false), 0);
        assert_eq!(cal.count_minutes(mon, 0, 1440, &schedule, false), 480);
        assert_eq!(cal.count_minutes(mon, 1000, 1200, &schedule, false), 80);
        assert_eq!(cal.count_minutes(mon, 870, 660, &schedule, false), 0);
        let sat = d("2026-01-10");
        assert_eq!(cal.count_minutes(sat, 660, 870, &schedule, false), 0);
        assert_eq!(cal.count_minutes(sat, 660, 870, &schedule, true), 150);
    }

    #[test]
    fn next_working_day_skips_weekends_and_holidays() {
        let cal = spring_festival();
        assert_eq!(cal.next_working_day(d("2026-02-13")), Some(d("2026-02-14")));
        assert_eq!(cal.next_working_day(d("2026-02-14")), Some(d("2026-02-24")));
        assert_eq!(cal.next_working_day(d("2026-01-09")), Some(d("2026-01-12")));
        let mut always_off = Calendar {
            weekend: Weekday::ALL.into_iter().collect(),
            ..Calendar::default()
        };
        assert_eq!(always_off.next_working_day(d("2026-01-09")), None);
        always_off.add_makeup_workday(d("2026-03-01"), "one day");
        assert_eq!(
            always_off.next_working_day(d("2026-01-09")),
            Some(d("2026-03-01"))
        );
        assert_eq!(always_off.next_working_day(d("2026-03-01")), None);
    }

    #[test]
    fn schedules_convert_explicitly() {
        let s = WorkSchedule::default();
        assert_eq!(s.validate(), Ok(()));
        assert_eq!(s.noon(), 720);
        assert_eq!(
            s.convert(Amount::half_days(3), Base::Minutes),
            Converted {
                amount: Amount::minutes(720),
                remainder: Amount::half_days(0)
            }
        );
        assert_eq!(
            s.convert(Amount::hours(5), Base::HalfDays),
            Converted {
                amount: Amount::half_days(1),
                remainder: Amount::hours(1)
            }
        );
        assert_eq!(
            s.convert(Amount::hours(5), Base::Minutes).amount,
            Amount::hours(5)
        );
        let broken = WorkSchedule {
            morning: (720, 540),
            ..s
        };
        assert_eq!(broken.validate(), Err(ScheduleError));
        let zero = WorkSchedule {
            hours_per_day: 0,
            ..s
        };
        assert_eq!(zero.validate(), Err(ScheduleError));
        assert_eq!(
            zero.convert(Amount::hours(5), Base::HalfDays).remainder,
            Amount::hours(5)
        );
    }

    #[test]
    fn calendars_round_trip_as_json() {
        let cal = spring_festival();
        let json = serde_json::to_value(&cal).unwrap();
        assert_eq!(json["weekend"], serde_json::json!(["sat", "sun"]));
        assert_eq!(json["makeup_workdays"]["2026-02-14"], "春节调休");
        let back: Calendar = serde_json::from_value(json).unwrap();
        assert_eq!(back, cal);
        let empty: Calendar = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, Calendar::default());
    }

    /// A calendar with random holidays and make-up days in 2026, and a random weekend.
    fn calendars() -> impl Strategy<Value = Calendar> {
        (
            proptest::collection::btree_set(0usize..7, 0..3),
            proptest::collection::vec(0i64..365, 0..40),
            proptest::collection::vec(0i64..365, 0..10),
        )
            .prop_map(|(weekend, holidays, makeups)| {
                let start = d("2026-01-01");
                let mut cal = Calendar {
                    weekend: weekend.into_iter().map(|i| Weekday::ALL[i]).collect(),
                    ..Calendar::default()
                };
                for h in holidays {
                    cal.add_holiday(start.add_days(h), "holiday");
                }
                for m in makeups {
                    cal.add_makeup_workday(start.add_days(m), "makeup");
                }
                cal
            })
    }

    fn slot_in_2026(n: i64) -> DayHalf {
        DayHalf::from_slot(DayHalf::am(d("2026-01-01")).slot() + n)
    }

    proptest! {
        #[test]
        fn splitting_a_range_keeps_the_total(
            cal in calendars(),
            a in 0i64..730,
            len in 0i64..200,
            cut in 0i64..200,
            counts_holidays in any::<bool>(),
        ) {
            let (from, to) = (slot_in_2026(a), slot_in_2026(a + len));
            let cut = slot_in_2026(a + cut % (len + 1));
            let whole = cal.count_half_days(from, to, counts_holidays);
            let left = cal.count_half_days(from, cut, counts_holidays);
            let right = cal.count_half_days(DayHalf::from_slot(cut.slot() + 1), to, counts_holidays);
            prop_assert_eq!(left + right, whole);
        }

        #[test]
        fn splitting_at_a_working_day_keeps_the_total(
            cal in calendars(),
            a in 0i64..365,
            days in 0i64..60,
            pick in 0i64..60,
        ) {
            let (from, to) = (d("2026-01-01").add_days(a), d("2026-01-01").add_days(a + days));
            let cut = from.add_days(pick % (days + 1));
            prop_assume!(cal.is_working_day(cut));
            let whole = cal.count_half_days(DayHalf::am(from), DayHalf::pm(to), false);
            let left = cal.count_half_days(DayHalf::am(from), DayHalf::pm(cut), false);
            let right = cal.count_half_days(DayHalf::am(cut.add_days(1)), DayHalf::pm(to), false);
            prop_assert_eq!(left + right, whole);
            prop_assert_eq!(
                cal.working_days_between(from, cut) + cal.working_days_between(cut.add_days(1), to),
                cal.working_days_between(from, to)
            );
        }

        #[test]
        fn only_non_working_days_count_zero(
            cal in calendars(),
            a in 0i64..365,
            days in 0i64..30,
        ) {
            let mut cal = cal;
            let from = d("2026-01-01").add_days(a);
            let to = from.add_days(days);
            for n in 0..=days {
                cal.add_holiday(from.add_days(n), "closed");
            }
            prop_assert_eq!(cal.count_half_days(DayHalf::am(from), DayHalf::pm(to), false), 0);
            prop_assert_eq!(cal.working_days_between(from, to), 0);
            prop_assert!(cal.next_working_day(to).is_some_and(|n| n > to && cal.is_working_day(n)));
        }

        #[test]
        fn the_count_never_exceeds_the_span(
            cal in calendars(),
            a in 0i64..730,
            len in -4i64..200,
        ) {
            let (from, to) = (slot_in_2026(a), slot_in_2026(a + len));
            let span = (len + 1).max(0);
            let working = cal.count_half_days(from, to, false);
            prop_assert!((0..=span).contains(&working));
            prop_assert_eq!(cal.count_half_days(from, to, true), span);
        }
    }
}
