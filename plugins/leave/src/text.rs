//! Words and dates as people read them, in English and Chinese.

use crate::calendar::{DayHalf, Half};
use crate::date::{self, Date, Weekday};
use crate::request::{Span, Status};

/// "English / 中文", for what a whole group reads (cards posted in groups).
pub fn both(en: impl AsRef<str>, zh: impl AsRef<str>) -> String {
    let (en, zh) = (en.as_ref(), zh.as_ref());
    if en == zh {
        en.to_owned()
    } else {
        format!("{en} / {zh}")
    }
}

/// Picks the English or the Chinese text.
pub fn pick<T>(zh: bool, en: T, zh_text: T) -> T {
    if zh { zh_text } else { en }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn month_en(d: Date) -> &'static str {
    MONTHS[usize::from(d.month().clamp(1, 12) - 1)]
}

/// "Mon", "周一".
pub fn weekday(d: Date, zh: bool) -> &'static str {
    let (en, zh_name) = match Weekday::of(d) {
        Weekday::Mon => ("Mon", "周一"),
        Weekday::Tue => ("Tue", "周二"),
        Weekday::Wed => ("Wed", "周三"),
        Weekday::Thu => ("Thu", "周四"),
        Weekday::Fri => ("Fri", "周五"),
        Weekday::Sat => ("Sat", "周六"),
        Weekday::Sun => ("Sun", "周日"),
    };
    pick(zh, en, zh_name)
}

/// A short, readable span: "Dec 4–5", "Dec 4 PM – Dec 7 AM", "Dec 4 14:00–16:00";
/// "12月4日至5日", "12月4日下午至12月7日上午", "12月4日 14:00–16:00".
pub fn span_short(span: &Span, zh: bool) -> String {
    match *span {
        Span::Hours { date, start, end } => {
            let day = if zh {
                format!("{}月{}日", date.month(), date.day())
            } else {
                format!("{} {}", month_en(date), date.day())
            };
            format!(
                "{day} {}–{}",
                date::format_time(start),
                date::format_time(end)
            )
        }
        Span::Days { from, to } => {
            if zh {
                days_zh(from, to)
            } else {
                days_en(from, to)
            }
        }
    }
}

fn days_en(from: DayHalf, to: DayHalf) -> String {
    let (a, b) = (from.date, to.date);
    let start_half = if from.half == Half::Pm { " PM" } else { "" };
    let end_half = if to.half == Half::Am { " AM" } else { "" };
    if a == b {
        let half = match (from.half, to.half) {
            (Half::Am, Half::Am) => " AM",
            (Half::Pm, Half::Pm) => " PM",
            _ => "",
        };
        return format!("{} {}{half}", month_en(a), a.day());
    }
    let same_month = a.year() == b.year() && a.month() == b.month();
    if same_month && start_half.is_empty() && end_half.is_empty() {
        return format!("{} {}–{}", month_en(a), a.day(), b.day());
    }
    let year = if a.year() != b.year() {
        format!(" {}", a.year())
    } else {
        String::new()
    };
    format!(
        "{} {}{year}{start_half} – {} {}{end_half}",
        month_en(a),
        a.day(),
        month_en(b),
        b.day()
    )
}

fn days_zh(from: DayHalf, to: DayHalf) -> String {
    let (a, b) = (from.date, to.date);
    let half = |h: Half| if h == Half::Am { "上午" } else { "下午" };
    if a == b {
        let part = match (from.half, to.half) {
            (Half::Am, Half::Am) => "上午",
            (Half::Pm, Half::Pm) => "下午",
            _ => "",
        };
        return format!("{}月{}日{part}", a.month(), a.day());
    }
    let start = format!(
        "{}{}月{}日{}",
        if a.year() != b.year() {
            format!("{}年", a.year())
        } else {
            String::new()
        },
        a.month(),
        a.day(),
        if from.half == Half::Pm {
            half(Half::Pm)
        } else {
            ""
        }
    );
    let end_half = if to.half == Half::Am {
        half(Half::Am)
    } else {
        ""
    };
    let same_month = a.year() == b.year() && a.month() == b.month();
    if same_month && from.half == Half::Am && end_half.is_empty() {
        format!("{start}至{}日", b.day())
    } else {
        format!("{start}至{}月{}日{end_half}", b.month(), b.day())
    }
}

/// "2026-12-04 PM" / "2026-12-04 14:00": the start of a span as the approvals form takes it.
pub fn span_from(span: &Span) -> String {
    match *span {
        Span::Days { from, .. } => format!("{} {}", from.date, half_word(from.half)),
        Span::Hours { date, start, .. } => format!("{date} {}", date::format_time(start)),
    }
}

/// The end of a span as the approvals form takes it.
pub fn span_to(span: &Span) -> String {
    match *span {
        Span::Days { to, .. } => format!("{} {}", to.date, half_word(to.half)),
        Span::Hours { date, end, .. } => format!("{date} {}", date::format_time(end)),
    }
}

fn half_word(h: Half) -> &'static str {
    if h == Half::Am { "AM" } else { "PM" }
}

/// A request status: (English, Chinese).
pub fn status(status: Status) -> (&'static str, &'static str) {
    match status {
        Status::Draft => ("Draft", "草稿"),
        Status::Pending => ("Waiting for approval", "待审批"),
        Status::Approved => ("Approved", "已批准"),
        Status::Rejected => ("Rejected", "已驳回"),
        Status::Withdrawn => ("Withdrawn", "已撤回"),
        Status::Cancelled => ("Cancelled", "已销假"),
    }
}

/// A status word for CSV and JSON: `pending`, `approved`…
pub fn status_code(status: Status) -> &'static str {
    match status {
        Status::Draft => "draft",
        Status::Pending => "pending",
        Status::Approved => "approved",
        Status::Rejected => "rejected",
        Status::Withdrawn => "withdrawn",
        Status::Cancelled => "cancelled",
    }
}

/// At most `max` characters, with an ellipsis when cut (cards bound what a cell holds).
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A decimal number without trailing zeros: 1.5, 2, 0.25.
pub fn number(x: f64) -> String {
    let text = format!("{:.2}", x);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::d;

    #[test]
    fn spans_read_naturally() {
        let full = Span::days(DayHalf::am(d("2026-12-04")), DayHalf::pm(d("2026-12-05")));
        assert_eq!(span_short(&full, false), "Dec 4–5");
        assert_eq!(span_short(&full, true), "12月4日至5日");
        let halves = Span::days(DayHalf::pm(d("2026-11-30")), DayHalf::am(d("2026-12-02")));
        assert_eq!(span_short(&halves, false), "Nov 30 PM – Dec 2 AM");
        assert_eq!(span_short(&halves, true), "11月30日下午至12月2日上午");
        let one = Span::days(DayHalf::pm(d("2026-12-04")), DayHalf::pm(d("2026-12-04")));
        assert_eq!(span_short(&one, false), "Dec 4 PM");
        assert_eq!(span_short(&one, true), "12月4日下午");
        let new_year = Span::days(DayHalf::am(d("2026-12-31")), DayHalf::pm(d("2027-01-04")));
        assert_eq!(span_short(&new_year, false), "Dec 31 2026 – Jan 4");
        assert_eq!(span_short(&new_year, true), "2026年12月31日至1月4日");
        let hours = Span::hours(d("2026-12-04"), 14 * 60, 16 * 60);
        assert_eq!(span_short(&hours, false), "Dec 4 14:00–16:00");
        assert_eq!(span_short(&hours, true), "12月4日 14:00–16:00");
        assert_eq!(span_from(&halves), "2026-11-30 PM");
        assert_eq!(span_to(&halves), "2026-12-02 AM");
        assert_eq!(span_from(&hours), "2026-12-04 14:00");
        assert_eq!(span_to(&hours), "2026-12-04 16:00");
    }

    #[test]
    fn numbers_and_words() {
        assert_eq!(number(1.5), "1.5");
        assert_eq!(number(2.0), "2");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(-0.0), "0");
        assert_eq!(both("Type", "类型"), "Type / 类型");
        assert_eq!(both("AP-1", "AP-1"), "AP-1");
        assert_eq!(weekday(d("2026-12-04"), false), "Fri");
        assert_eq!(weekday(d("2026-12-04"), true), "周五");
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("请假", 4), "请假");
    }
}
