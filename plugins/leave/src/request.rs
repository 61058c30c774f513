//! Validating and measuring a leave request against its type, the working calendar, the
//! person's work schedule and their other requests; every refusal has an English and a
//! Chinese message.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::amount::{Amount, Base};
use crate::calendar::{Calendar, DayHalf, Half, ScheduleError, WorkSchedule};
use crate::date::{self, Date};
use crate::policy::{self, I18n, LeaveType, PolicyError};

const DAY_MINUTES: u32 = 24 * 60;

/// When a request is for: half-days from `from` to `to` (both included), or a stretch of one
/// day in minutes of the day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Span {
    Days { from: DayHalf, to: DayHalf },
    Hours { date: Date, start: u32, end: u32 },
}

impl Span {
    pub fn days(from: impl Into<DayHalf>, to: impl Into<DayHalf>) -> Span {
        Span::Days {
            from: from.into(),
            to: to.into(),
        }
    }

    pub fn hours(date: Date, start: u32, end: u32) -> Span {
        Span::Hours { date, start, end }
    }

    pub fn first_day(&self) -> Date {
        match self {
            Span::Days { from, .. } => from.date,
            Span::Hours { date, .. } => *date,
        }
    }

    pub fn last_day(&self) -> Date {
        match self {
            Span::Days { to, .. } => to.date,
            Span::Hours { date, .. } => *date,
        }
    }

    /// Minutes since 1970-01-01 00:00, end excluded; half-days split at the schedule's noon.
    fn interval(&self, noon: u32) -> (i64, i64) {
        let at =
            |date: Date, minutes: u32| date.days() * i64::from(DAY_MINUTES) + i64::from(minutes);
        match *self {
            Span::Days { from, to } => {
                let start = if from.half == Half::Am { 0 } else { noon };
                let end = if to.half == Half::Am {
                    noon
                } else {
                    DAY_MINUTES
                };
                (at(from.date, start), at(to.date, end))
            }
            Span::Hours { date, start, end } => (at(date, start), at(date, end)),
        }
    }

    /// Whether the two share any time: a morning and an afternoon of the same day do not.
    pub fn overlaps(&self, other: &Span, schedule: &WorkSchedule) -> bool {
        let (a0, a1) = self.interval(schedule.noon());
        let (b0, b1) = other.interval(schedule.noon());
        a0 < b1 && b0 < a1
    }

    /// "2026-01-05 PM – 2026-01-06 AM", "2026-01-05 09:00–11:00".
    pub fn en(&self) -> String {
        self.text("AM", "PM", " – ")
    }

    /// "2026-01-05 下午 至 2026-01-06 上午", "2026-01-05 09:00–11:00".
    pub fn zh(&self) -> String {
        self.text("上午", "下午", " 至 ")
    }

    fn text(&self, am: &str, pm: &str, to_word: &str) -> String {
        let half = |h: Half| if h == Half::Am { am } else { pm };
        match self {
            Span::Days { from, to } => format!(
                "{} {}{to_word}{} {}",
                from.date,
                half(from.half),
                to.date,
                half(to.half)
            ),
            Span::Hours { date, start, end } => format!(
                "{date} {}–{}",
                date::format_time(*start),
                date::format_time(*end)
            ),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Pending,
    Approved,
    Rejected,
    Withdrawn,
    Cancelled,
}

impl Status {
    /// Pending and approved requests hold their time: a new one may not overlap them.
    pub fn holds_time(self) -> bool {
        matches!(self, Status::Pending | Status::Approved)
    }
}

/// One of the person's requests, as far as overlap is concerned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExistingRequest {
    pub id: String,
    pub leave_type: String,
    pub span: Span,
    pub status: Status,
}

/// What the person asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRequest {
    pub leave_type: String,
    pub span: Span,
    #[serde(default)]
    pub has_attachment: bool,
}

/// How much a valid request takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measured {
    /// In the type's base: half-days, or minutes for hour types.
    pub amount: Amount,
    /// For an hour type requested by the day: the half-days, before conversion by the schedule.
    pub converted_from: Option<Amount>,
    /// Days the request takes time from (a half-day counts as a day here).
    pub working_days: i64,
    /// Days from the first to the last, both included.
    pub calendar_days: i64,
    pub first_day: Date,
    pub last_day: Date,
    /// Whether the type wants a supporting document for this request.
    pub attachment_required: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestError {
    UnknownLeaveType {
        id: String,
    },
    /// The end comes before the start.
    WrongOrder {
        span: Span,
    },
    /// A time past 24:00.
    InvalidTime {
        minutes: u32,
    },
    /// An hour-by-hour request for a type taken in days.
    HoursNotAllowed {
        leave_type: I18n,
    },
    /// A request starting or ending at noon for a type taken in whole days.
    HalfDayNotAllowed {
        leave_type: I18n,
    },
    /// Only non-working time: nothing to take.
    Empty,
    OverLimit {
        max: Amount,
        requested: Amount,
    },
    /// `given_days` before the first day of leave (negative: already begun).
    TooLittleNotice {
        required_days: u32,
        given_days: i64,
    },
    AttachmentRequired {
        over: Amount,
    },
    /// Shares time with another pending or approved request of the person.
    Overlaps {
        request_id: String,
        span: Span,
    },
    /// The leave type's own settings contradict each other.
    Misconfigured(PolicyError),
    /// The person's work schedule cannot be used to measure time.
    InvalidSchedule(ScheduleError),
}

impl RequestError {
    pub fn en(&self) -> String {
        match self {
            RequestError::UnknownLeaveType { id } => format!("There is no leave type “{id}”"),
            RequestError::WrongOrder { span } => {
                format!("The leave ends before it starts ({})", span.en())
            }
            RequestError::InvalidTime { minutes } => {
                format!("{} is not a time of day", date::format_time(*minutes))
            }
            RequestError::HoursNotAllowed { leave_type } => {
                format!("{} is taken in days, not by the hour", leave_type.en)
            }
            RequestError::HalfDayNotAllowed { leave_type } => format!(
                "{} is taken in whole days: start in the morning and end in the afternoon",
                leave_type.en
            ),
            RequestError::Empty => {
                "Those dates are all non-working time: there is no leave to take".into()
            }
            RequestError::OverLimit { max, requested } => format!(
                "At most {} per request; this one is {}",
                max.en(),
                requested.en()
            ),
            RequestError::TooLittleNotice {
                required_days,
                given_days,
            } if *given_days < 0 => {
                format!("Ask at least {required_days} days ahead; this leave has already begun")
            }
            RequestError::TooLittleNotice {
                required_days,
                given_days,
            } => {
                format!("Ask at least {required_days} days ahead; this is {given_days} days ahead")
            }
            RequestError::AttachmentRequired { over } if over.is_zero() => {
                "Attach a supporting document: this leave type requires one".into()
            }
            RequestError::AttachmentRequired { over } => format!(
                "Attach a supporting document: required for more than {}",
                over.en()
            ),
            RequestError::Overlaps { request_id, span } => {
                format!("This overlaps your request {request_id} ({})", span.en())
            }
            RequestError::Misconfigured(e) => {
                format!("This leave type is set up wrongly: {}", e.en())
            }
            RequestError::InvalidSchedule(e) => {
                format!("Your work schedule is set up wrongly: {}", e.en())
            }
        }
    }

    pub fn zh(&self) -> String {
        match self {
            RequestError::UnknownLeaveType { id } => format!("没有“{id}”这种假期类型"),
            RequestError::WrongOrder { span } => {
                format!("结束时间早于开始时间（{}）", span.zh())
            }
            RequestError::InvalidTime { minutes } => {
                format!("{} 不是有效的时间", date::format_time(*minutes))
            }
            RequestError::HoursNotAllowed { leave_type } => {
                format!("{}须按天申请，不能按小时申请", leave_type.zh)
            }
            RequestError::HalfDayNotAllowed { leave_type } => {
                format!("{}须按整天申请：从上午开始，到下午结束", leave_type.zh)
            }
            RequestError::Empty => "所选时间都不是工作时间，无需请假".into(),
            RequestError::OverLimit { max, requested } => {
                format!("单次最多可请 {}，本次为 {}", max.zh(), requested.zh())
            }
            RequestError::TooLittleNotice {
                required_days,
                given_days,
            } if *given_days < 0 => format!("须至少提前 {required_days} 天申请，本次假期已经开始"),
            RequestError::TooLittleNotice {
                required_days,
                given_days,
            } => format!("须至少提前 {required_days} 天申请，本次只提前 {given_days} 天"),
            RequestError::AttachmentRequired { over } if over.is_zero() => {
                "请上传证明材料：该假期必须提供".into()
            }
            RequestError::AttachmentRequired { over } => {
                format!("请上传证明材料：超过 {}须提供", over.zh())
            }
            RequestError::Overlaps { request_id, span } => {
                format!("与你的申请 {request_id}（{}）时间重叠", span.zh())
            }
            RequestError::Misconfigured(e) => format!("该假期类型设置有误：{}", e.zh()),
            RequestError::InvalidSchedule(e) => format!("你的工作时间设置有误：{}", e.zh()),
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

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} / {}", self.en(), self.zh())
    }
}

impl std::error::Error for RequestError {}

/// Checks `request` and measures it. `existing` are the person's other requests (any status;
/// only pending and approved ones count for overlap); `today` is for the notice period.
pub fn validate(
    request: &NewRequest,
    types: &[LeaveType],
    calendar: &Calendar,
    schedule: &WorkSchedule,
    existing: &[ExistingRequest],
    today: Date,
) -> Result<Measured, RequestError> {
    let leave_type = policy::find_type(types, &request.leave_type).ok_or_else(|| {
        RequestError::UnknownLeaveType {
            id: request.leave_type.clone(),
        }
    })?;
    leave_type.validate().map_err(RequestError::Misconfigured)?;
    schedule.validate().map_err(RequestError::InvalidSchedule)?;
    let span = request.span;
    let counts_holidays = leave_type.counts_holidays;

    let (amount, converted_from, working_days) = match span {
        Span::Days { from, to } => {
            if to < from {
                return Err(RequestError::WrongOrder { span });
            }
            if !leave_type.allows_half_days() && (from.half == Half::Pm || to.half == Half::Am) {
                return Err(RequestError::HalfDayNotAllowed {
                    leave_type: leave_type.name.clone(),
                });
            }
            let half_days = Amount::half_days(calendar.count_half_days(from, to, counts_holidays));
            let days = (from.date.days()..=to.date.days())
                .map(Date::from_days)
                .filter(|&d| counts_holidays || calendar.is_working_day(d))
                .count() as i64;
            match leave_type.base() {
                Base::HalfDays => (half_days, None, days),
                Base::Minutes => (
                    schedule.convert(half_days, Base::Minutes).amount,
                    Some(half_days),
                    days,
                ),
            }
        }
        Span::Hours { date, start, end } => {
            if leave_type.base() != Base::Minutes {
                return Err(RequestError::HoursNotAllowed {
                    leave_type: leave_type.name.clone(),
                });
            }
            if let Some(&minutes) = [start, end].iter().find(|&&m| m > DAY_MINUTES) {
                return Err(RequestError::InvalidTime { minutes });
            }
            if end <= start {
                return Err(RequestError::WrongOrder { span });
            }
            let minutes = calendar.count_minutes(date, start, end, schedule, counts_holidays);
            (Amount::minutes(minutes), None, i64::from(minutes > 0))
        }
    };

    if amount.is_zero() {
        return Err(RequestError::Empty);
    }
    if let Some(max) = leave_type.max_per_request
        && amount.try_cmp(max) == Ok(Ordering::Greater)
    {
        return Err(RequestError::OverLimit {
            max,
            requested: amount,
        });
    }
    let (first_day, last_day) = (span.first_day(), span.last_day());
    if let Some(required_days) = leave_type.min_notice_days {
        let given_days = today.days_until(first_day);
        if given_days < i64::from(required_days) {
            return Err(RequestError::TooLittleNotice {
                required_days,
                given_days,
            });
        }
    }
    let attachment_required = leave_type
        .attachment_required_over
        .is_some_and(|over| amount.try_cmp(over) == Ok(Ordering::Greater));
    if attachment_required && !request.has_attachment {
        return Err(RequestError::AttachmentRequired {
            over: leave_type.attachment_required_over.unwrap_or(amount),
        });
    }
    if let Some(other) = existing
        .iter()
        .find(|e| e.status.holds_time() && e.span.overlaps(&span, schedule))
    {
        return Err(RequestError::Overlaps {
            request_id: other.id.clone(),
            span: other.span,
        });
    }
    Ok(Measured {
        amount,
        converted_from,
        working_days,
        calendar_days: first_day.days_until(last_day) + 1,
        first_day,
        last_day,
        attachment_required,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amount::Unit;
    use crate::date::d;
    use crate::policy::default_leave_types;

    struct World {
        types: Vec<LeaveType>,
        calendar: Calendar,
        schedule: WorkSchedule,
        existing: Vec<ExistingRequest>,
        today: Date,
    }

    impl World {
        fn new() -> World {
            let mut calendar = Calendar::default();
            calendar.add_holiday(d("2026-01-01"), "元旦 New Year's Day");
            World {
                types: default_leave_types(),
                calendar,
                schedule: WorkSchedule::default(),
                existing: Vec::new(),
                today: d("2025-12-15"),
            }
        }

        fn check(
            &self,
            leave_type: &str,
            span: Span,
            has_attachment: bool,
        ) -> Result<Measured, RequestError> {
            let request = NewRequest {
                leave_type: leave_type.into(),
                span,
                has_attachment,
            };
            validate(
                &request,
                &self.types,
                &self.calendar,
                &self.schedule,
                &self.existing,
                self.today,
            )
        }

        fn amount(&self, leave_type: &str, span: Span) -> Amount {
            self.check(leave_type, span, true).unwrap().amount
        }

        fn refusal(&self, leave_type: &str, span: Span) -> RequestError {
            self.check(leave_type, span, false).unwrap_err()
        }

        fn set(&mut self, id: &str, f: impl Fn(&mut LeaveType)) {
            f(self.types.iter_mut().find(|t| t.id == id).unwrap());
        }
    }

    fn days(from: &str, from_half: Half, to: &str, to_half: Half) -> Span {
        Span::days((d(from), from_half), (d(to), to_half))
    }

    #[test]
    fn friday_to_monday_is_two_days() {
        let w = World::new();
        let m = w
            .check(
                "annual",
                days("2026-01-09", Half::Am, "2026-01-12", Half::Pm),
                false,
            )
            .unwrap();
        assert_eq!(
            m,
            Measured {
                amount: Amount::days(2),
                converted_from: None,
                working_days: 2,
                calendar_days: 4,
                first_day: d("2026-01-09"),
                last_day: d("2026-01-12"),
                attachment_required: false,
            }
        );
    }

    #[test]
    fn a_week_with_new_years_day_is_four_days() {
        let w = World::new();
        let m = w
            .check(
                "annual",
                days("2025-12-29", Half::Am, "2026-01-02", Half::Pm),
                false,
            )
            .unwrap();
        assert_eq!(
            (m.amount, m.working_days, m.calendar_days),
            (Amount::days(4), 4, 5)
        );
    }

    #[test]
    fn a_makeup_saturday_is_counted() {
        let mut w = World::new();
        w.calendar.add_makeup_workday(d("2026-01-03"), "元旦调休");
        let m = w
            .check(
                "annual",
                days("2026-01-02", Half::Am, "2026-01-05", Half::Pm),
                false,
            )
            .unwrap();
        assert_eq!((m.amount, m.working_days), (Amount::days(3), 3));
    }

    #[test]
    fn half_day_starts_and_ends() {
        let w = World::new();
        let m = w
            .check(
                "annual",
                days("2026-01-05", Half::Pm, "2026-01-06", Half::Am),
                false,
            )
            .unwrap();
        assert_eq!((m.amount, m.working_days), (Amount::days(1), 2));
        assert_eq!(
            w.amount(
                "annual",
                days("2026-01-05", Half::Am, "2026-01-05", Half::Am)
            ),
            Amount::half_days(1)
        );
        assert_eq!(
            w.amount(
                "annual",
                days("2026-01-05", Half::Pm, "2026-01-07", Half::Pm)
            ),
            Amount::half_days(5)
        );
    }

    #[test]
    fn maternity_counts_calendar_days() {
        let w = World::new();
        let span = days("2025-12-29", Half::Am, "2026-01-11", Half::Pm);
        let m = w.check("maternity", span, true).unwrap();
        assert_eq!(
            (m.amount, m.working_days, m.calendar_days),
            (Amount::days(14), 14, 14)
        );
        assert_eq!(w.amount("personal", span), Amount::days(9));
    }

    #[test]
    fn hours_across_lunch_and_days_converted_to_hours() {
        let w = World::new();
        let m = w
            .check(
                "compensatory",
                Span::hours(d("2026-01-05"), 11 * 60, 14 * 60 + 30),
                false,
            )
            .unwrap();
        assert_eq!(
            (m.amount, m.working_days, m.converted_from),
            (Amount::minutes(150), 1, None)
        );
        assert_eq!(m.amount.to_string(), "2 h 30 min / 2 小时 30 分");
        // Compensatory time off taken by the day: a day is 8 hours of the schedule.
        let m = w
            .check(
                "compensatory",
                days("2026-01-05", Half::Am, "2026-01-06", Half::Am),
                false,
            )
            .unwrap();
        assert_eq!(m.converted_from, Some(Amount::half_days(3)));
        assert_eq!(m.amount, Amount::hours(12));
    }

    #[test]
    fn dates_or_times_in_the_wrong_order() {
        let w = World::new();
        let span = days("2026-01-06", Half::Am, "2026-01-05", Half::Pm);
        let err = w.refusal("annual", span);
        assert_eq!(err, RequestError::WrongOrder { span });
        assert_eq!(
            err.en(),
            "The leave ends before it starts (2026-01-06 AM – 2026-01-05 PM)"
        );
        assert_eq!(
            err.zh(),
            "结束时间早于开始时间（2026-01-06 上午 至 2026-01-05 下午）"
        );
        let same_day = days("2026-01-05", Half::Pm, "2026-01-05", Half::Am);
        assert_eq!(
            w.refusal("annual", same_day),
            RequestError::WrongOrder { span: same_day }
        );
        let hours = Span::hours(d("2026-01-05"), 600, 600);
        assert_eq!(
            w.refusal("compensatory", hours),
            RequestError::WrongOrder { span: hours }
        );
        assert_eq!(
            w.refusal("compensatory", hours).zh(),
            "结束时间早于开始时间（2026-01-05 10:00–10:00）"
        );
    }

    #[test]
    fn times_past_midnight_are_refused() {
        let w = World::new();
        let err = w.refusal("compensatory", Span::hours(d("2026-01-05"), 600, 1500));
        assert_eq!(err, RequestError::InvalidTime { minutes: 1500 });
        assert_eq!(err.en(), "25:00 is not a time of day");
        assert_eq!(err.zh(), "25:00 不是有效的时间");
    }

    #[test]
    fn zero_length_requests_are_refused() {
        let w = World::new();
        let weekend = days("2026-01-10", Half::Am, "2026-01-11", Half::Pm);
        let err = w.refusal("annual", weekend);
        assert_eq!(err, RequestError::Empty);
        assert_eq!(
            err.en(),
            "Those dates are all non-working time: there is no leave to take"
        );
        assert_eq!(err.zh(), "所选时间都不是工作时间，无需请假");
        assert_eq!(
            w.refusal(
                "annual",
                days("2026-01-01", Half::Am, "2026-01-01", Half::Pm)
            ),
            RequestError::Empty
        );
        assert_eq!(
            w.refusal("compensatory", Span::hours(d("2026-01-05"), 720, 780)),
            RequestError::Empty
        );
        assert_eq!(
            w.refusal("compensatory", Span::hours(d("2026-01-10"), 600, 660)),
            RequestError::Empty
        );
        // Calendar days count for maternity leave, even over a weekend.
        assert_eq!(w.amount("maternity", weekend), Amount::days(2));
    }

    #[test]
    fn over_the_limit_per_request() {
        let w = World::new();
        let err = w.refusal(
            "bereavement",
            days("2026-01-05", Half::Am, "2026-01-08", Half::Pm),
        );
        assert_eq!(
            err,
            RequestError::OverLimit {
                max: Amount::days(3),
                requested: Amount::days(4)
            }
        );
        assert_eq!(err.en(), "At most 3 days per request; this one is 4 days");
        assert_eq!(err.zh(), "单次最多可请 3 天，本次为 4 天");
        // Three working days across a weekend are within the limit.
        assert_eq!(
            w.amount(
                "bereavement",
                days("2026-01-08", Half::Am, "2026-01-12", Half::Pm)
            ),
            Amount::days(3)
        );
    }

    #[test]
    fn too_little_notice() {
        let mut w = World::new();
        w.set("annual", |t| t.min_notice_days = Some(3));
        let err = w.refusal(
            "annual",
            days("2025-12-17", Half::Am, "2025-12-17", Half::Pm),
        );
        assert_eq!(
            err,
            RequestError::TooLittleNotice {
                required_days: 3,
                given_days: 2
            }
        );
        assert_eq!(err.en(), "Ask at least 3 days ahead; this is 2 days ahead");
        assert_eq!(err.zh(), "须至少提前 3 天申请，本次只提前 2 天");
        let late = w.refusal(
            "annual",
            days("2025-12-12", Half::Am, "2025-12-12", Half::Pm),
        );
        assert_eq!(
            late,
            RequestError::TooLittleNotice {
                required_days: 3,
                given_days: -3
            }
        );
        assert_eq!(
            late.en(),
            "Ask at least 3 days ahead; this leave has already begun"
        );
        assert_eq!(late.zh(), "须至少提前 3 天申请，本次假期已经开始");
        assert_eq!(
            w.amount(
                "annual",
                days("2025-12-18", Half::Am, "2025-12-18", Half::Pm)
            ),
            Amount::days(1)
        );
        // Without a notice period, leave can be recorded afterwards (sick leave).
        assert_eq!(
            w.amount("sick", days("2025-12-12", Half::Am, "2025-12-12", Half::Pm)),
            Amount::days(1)
        );
    }

    #[test]
    fn half_days_on_a_whole_day_type() {
        let w = World::new();
        let err = w.refusal(
            "marriage",
            days("2026-01-05", Half::Pm, "2026-01-07", Half::Pm),
        );
        let name = I18n::new("Marriage leave", "婚假");
        assert_eq!(
            err,
            RequestError::HalfDayNotAllowed {
                leave_type: name.clone()
            }
        );
        assert_eq!(
            err.en(),
            "Marriage leave is taken in whole days: start in the morning and end in the afternoon"
        );
        assert_eq!(err.zh(), "婚假须按整天申请：从上午开始，到下午结束");
        assert_eq!(
            w.refusal(
                "marriage",
                days("2026-01-05", Half::Am, "2026-01-07", Half::Am)
            ),
            RequestError::HalfDayNotAllowed { leave_type: name }
        );
        assert_eq!(
            w.check(
                "marriage",
                days("2026-01-05", Half::Am, "2026-01-07", Half::Pm),
                true
            )
            .unwrap()
            .amount,
            Amount::days(3)
        );
    }

    #[test]
    fn hours_on_a_day_type() {
        let w = World::new();
        let err = w.refusal("annual", Span::hours(d("2026-01-05"), 540, 600));
        assert_eq!(
            err,
            RequestError::HoursNotAllowed {
                leave_type: I18n::new("Annual leave", "年假")
            }
        );
        assert_eq!(err.en(), "Annual leave is taken in days, not by the hour");
        assert_eq!(err.zh(), "年假须按天申请，不能按小时申请");
    }

    #[test]
    fn overlapping_requests_are_refused_half_day_aware() {
        let mut w = World::new();
        let monday_am = days("2026-01-05", Half::Am, "2026-01-05", Half::Am);
        w.existing = vec![
            ExistingRequest {
                id: "r-am".into(),
                leave_type: "annual".into(),
                span: monday_am,
                status: Status::Approved,
            },
            ExistingRequest {
                id: "r-gone".into(),
                leave_type: "sick".into(),
                span: days("2026-01-06", Half::Am, "2026-01-09", Half::Pm),
                status: Status::Withdrawn,
            },
            ExistingRequest {
                id: "r-hours".into(),
                leave_type: "compensatory".into(),
                span: Span::hours(d("2026-01-12"), 14 * 60, 16 * 60),
                status: Status::Pending,
            },
        ];
        // The afternoon of the same Monday is free; so are the withdrawn days.
        assert_eq!(
            w.amount(
                "annual",
                days("2026-01-05", Half::Pm, "2026-01-09", Half::Pm)
            ),
            Amount::half_days(9)
        );
        let err = w.refusal("sick", days("2026-01-02", Half::Am, "2026-01-05", Half::Am));
        assert_eq!(
            err,
            RequestError::Overlaps {
                request_id: "r-am".into(),
                span: monday_am
            }
        );
        assert_eq!(
            err.en(),
            "This overlaps your request r-am (2026-01-05 AM – 2026-01-05 AM)"
        );
        assert_eq!(
            err.zh(),
            "与你的申请 r-am（2026-01-05 上午 至 2026-01-05 上午）时间重叠"
        );
        // An hour request against a half-day, and half-days against hours.
        assert_eq!(
            w.refusal(
                "compensatory",
                Span::hours(d("2026-01-05"), 11 * 60, 12 * 60 + 30)
            ),
            RequestError::Overlaps {
                request_id: "r-am".into(),
                span: monday_am
            }
        );
        assert_eq!(
            w.amount(
                "compensatory",
                Span::hours(d("2026-01-05"), 13 * 60, 15 * 60)
            ),
            Amount::hours(2)
        );
        assert_eq!(
            w.amount(
                "annual",
                days("2026-01-12", Half::Am, "2026-01-12", Half::Am)
            ),
            Amount::half_days(1)
        );
        assert!(matches!(
            w.refusal("annual", days("2026-01-12", Half::Pm, "2026-01-12", Half::Pm)),
            RequestError::Overlaps { request_id, .. } if request_id == "r-hours"
        ));
        assert!(
            !Status::Rejected.holds_time()
                && !Status::Cancelled.holds_time()
                && !Status::Draft.holds_time()
        );
    }

    #[test]
    fn unknown_leave_type() {
        let w = World::new();
        let err = w.refusal(
            "sabbatical",
            days("2026-01-05", Half::Am, "2026-01-05", Half::Pm),
        );
        assert_eq!(
            err,
            RequestError::UnknownLeaveType {
                id: "sabbatical".into()
            }
        );
        assert_eq!(err.en(), "There is no leave type “sabbatical”");
        assert_eq!(err.zh(), "没有“sabbatical”这种假期类型");
        assert_eq!(err.message("zh-CN"), err.zh());
        assert_eq!(err.message("en-US"), err.en());
    }

    #[test]
    fn attachment_required_but_missing() {
        let w = World::new();
        let three_days = days("2026-01-05", Half::Am, "2026-01-07", Half::Pm);
        let err = w.refusal("sick", three_days);
        assert_eq!(
            err,
            RequestError::AttachmentRequired {
                over: Amount::days(2)
            }
        );
        assert_eq!(
            err.en(),
            "Attach a supporting document: required for more than 2 days"
        );
        assert_eq!(err.zh(), "请上传证明材料：超过 2 天须提供");
        let m = w.check("sick", three_days, true).unwrap();
        assert!(m.attachment_required);
        let two_days = w
            .check(
                "sick",
                days("2026-01-05", Half::Am, "2026-01-06", Half::Pm),
                false,
            )
            .unwrap();
        assert_eq!(
            (two_days.amount, two_days.attachment_required),
            (Amount::days(2), false)
        );
        let always = w.refusal("marriage", three_days);
        assert_eq!(
            always,
            RequestError::AttachmentRequired {
                over: Amount::days(0)
            }
        );
        assert_eq!(
            always.en(),
            "Attach a supporting document: this leave type requires one"
        );
        assert_eq!(always.zh(), "请上传证明材料：该假期必须提供");
    }

    #[test]
    fn a_misconfigured_type_is_reported() {
        let mut w = World::new();
        w.set("annual", |t| t.max_per_request = Some(Amount::hours(3)));
        let err = w.refusal(
            "annual",
            days("2026-01-05", Half::Am, "2026-01-05", Half::Pm),
        );
        assert!(matches!(
            err,
            RequestError::Misconfigured(PolicyError::UnitMismatch { .. })
        ));
        assert_eq!(
            err.en(),
            "This leave type is set up wrongly: The most per request must be in days like the leave type, not in hours"
        );
        assert_eq!(
            err.zh(),
            "该假期类型设置有误：单次申请上限须与假期类型一样按天计，不能按小时计"
        );
        w.set("annual", |t| {
            t.max_per_request = None;
            t.unit = Unit::HalfDay;
            t.allocation = None;
        });
        assert_eq!(
            w.amount(
                "annual",
                days("2026-01-05", Half::Pm, "2026-01-05", Half::Pm)
            ),
            Amount::half_days(1)
        );
    }

    #[test]
    fn an_unusable_schedule_is_reported() {
        let mut w = World::new();
        w.schedule.afternoon = (11 * 60, 18 * 60);
        let err = w.refusal("compensatory", Span::hours(d("2026-01-05"), 540, 600));
        assert_eq!(err, RequestError::InvalidSchedule(ScheduleError));
        assert_eq!(
            err.en(),
            "Your work schedule is set up wrongly: a work schedule needs 1 to 24 hours a day and a morning that ends before the afternoon starts, within the day"
        );
        assert_eq!(
            err.zh(),
            "你的工作时间设置有误：工作时间须为每天 1 到 24 小时，上午须在下午之前结束，且都在当天之内"
        );
    }

    #[test]
    fn spans_round_trip_as_json() {
        let span = days("2026-01-05", Half::Pm, "2026-01-06", Half::Am);
        let json = serde_json::to_value(span).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "days", "from": {"date": "2026-01-05", "half": "pm"}, "to": {"date": "2026-01-06", "half": "am"}})
        );
        assert_eq!(serde_json::from_value::<Span>(json).unwrap(), span);
        let hours = Span::hours(d("2026-01-05"), 540, 600);
        assert_eq!(serde_json::to_value(hours).unwrap()["kind"], "hours");
        assert_eq!(hours.en(), "2026-01-05 09:00–10:00");
    }
}
