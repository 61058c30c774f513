//! Error messages people read, in English and Chinese, using the field's own label.

use super::FieldKind;
use super::values::{Problem, Spec};

/// A problem's stable code and its message in both languages.
pub(super) fn describe(problem: &Problem, spec: &Spec) -> (&'static str, String, String) {
    let l = spec.label;
    let kind = spec.kind;
    match problem {
        Problem::Required if kind == FieldKind::Checkbox => (
            "required",
            format!("{l} must be checked"),
            format!("请勾选“{l}”"),
        ),
        Problem::Required => (
            "required",
            format!("{l} is required"),
            format!("{l}不能为空"),
        ),
        Problem::Type => {
            let (en, zh) = malformed(l, kind);
            ("type", en, zh)
        }
        Problem::Chars if kind == FieldKind::Text => (
            "type",
            format!("{l} must be a single line without control characters"),
            format!("{l}只能是单行文字，且不能包含控制字符"),
        ),
        Problem::Chars => (
            "type",
            format!("{l} contains characters that are not allowed"),
            format!("{l}包含不允许的字符"),
        ),
        Problem::TooShort(min) => {
            let n = at_least(*min);
            (
                "too_short",
                format!(
                    "{l} must be at least {n} {}",
                    plural(n, "character", "characters")
                ),
                format!("{l}至少需要 {n} 个字符"),
            )
        }
        Problem::TooLong(max) => {
            let n = at_most(*max);
            (
                "too_long",
                format!(
                    "{l} must be at most {n} {}",
                    plural(n, "character", "characters")
                ),
                format!("{l}不能超过 {n} 个字符"),
            )
        }
        Problem::Pattern => match spec.pattern_message {
            Some(m) if !m.trim().is_empty() => ("pattern", m.to_string(), m.to_string()),
            _ => (
                "pattern",
                format!("{l} is not in the expected format"),
                format!("{l}的格式不正确"),
            ),
        },
        Problem::TooSmall(min) => (
            "too_small",
            format!("{l} must be at least {}", bound(*min, kind)),
            format!("{l}不能小于 {}", bound(*min, kind)),
        ),
        Problem::TooLarge(max) => (
            "too_large",
            format!("{l} must be at most {}", bound(*max, kind)),
            format!("{l}不能大于 {}", bound(*max, kind)),
        ),
        Problem::Precision => (
            "type",
            format!("{l} can have at most two decimal places"),
            format!("{l}最多保留两位小数"),
        ),
        Problem::Huge => (
            "too_large",
            format!("{l} is too large"),
            format!("{l}的数值过大"),
        ),
        Problem::Date if kind == FieldKind::Datetime => (
            "date",
            format!("{l} must be a valid date and time (YYYY-MM-DDTHH:MM)"),
            format!("{l}必须是有效的日期和时间（YYYY-MM-DDTHH:MM）"),
        ),
        Problem::Date => (
            "date",
            format!("{l} must be a valid date (YYYY-MM-DD)"),
            format!("{l}必须是有效的日期（YYYY-MM-DD）"),
        ),
        Problem::Incomplete => (
            "date",
            format!("{l} needs both a start and an end date"),
            format!("{l}需要填写开始日期和结束日期"),
        ),
        Problem::DateOrder => (
            "date_order",
            format!("The end of {l} cannot be before its start"),
            format!("{l}的结束日期不能早于开始日期"),
        ),
        Problem::DaysTooFew(min) => {
            let n = at_least(*min);
            (
                "too_small",
                format!("{l} must span at least {n} {}", plural(n, "day", "days")),
                format!("{l}至少为 {n} 天"),
            )
        }
        Problem::DaysTooMany(max) => {
            let n = at_most(*max);
            (
                "too_large",
                format!("{l} can span at most {n} {}", plural(n, "day", "days")),
                format!("{l}最多为 {n} 天"),
            )
        }
        Problem::NotAnOption => (
            "option",
            format!("{l}: choose from the listed options"),
            format!("{l}：请从列表中选择"),
        ),
        Problem::Duplicate => (
            "type",
            format!("{l} lists the same choice more than once"),
            format!("{l}中有重复的选择"),
        ),
        Problem::TooFew(min) => {
            let n = at_least(*min);
            let (one, many, zh) = things(kind);
            (
                "too_small",
                format!("{l} needs at least {n} {}", plural(n, one, many)),
                format!("{l}至少需要 {n} {zh}"),
            )
        }
        Problem::TooMany(max) => {
            let n = at_most(*max);
            let (one, many, zh) = things(kind);
            (
                "too_many",
                format!("{l} can have at most {n} {}", plural(n, one, many)),
                format!("{l}最多 {n} {zh}"),
            )
        }
    }
}

/// The message for a value of the wrong shape, saying what is expected.
fn malformed(l: &str, kind: FieldKind) -> (String, String) {
    let (en, zh) = match kind {
        FieldKind::Text | FieldKind::Textarea => ("must be text", "必须是文字"),
        FieldKind::Number => ("must be a number", "必须是数字"),
        FieldKind::Money => ("must be an amount such as 12.50", "必须是金额，例如 12.50"),
        FieldKind::Date | FieldKind::DateRange | FieldKind::Datetime => {
            ("must be a valid date", "必须是有效的日期")
        }
        FieldKind::Select | FieldKind::MultiSelect => {
            ("must be chosen from the listed options", "必须从列表中选择")
        }
        FieldKind::Person | FieldKind::People => {
            ("must name people in the directory", "必须选择人员")
        }
        FieldKind::Group => ("must be a group", "必须选择群组"),
        FieldKind::Department => ("must be a department", "必须选择部门"),
        FieldKind::File => ("must be an uploaded file", "必须是已上传的文件"),
        FieldKind::Checkbox => ("must be checked or unchecked", "只能勾选或不勾选"),
        FieldKind::Table => ("must be a list of rows", "必须是若干行"),
        FieldKind::Formula => (
            "is calculated and cannot be filled in",
            "由公式自动计算，不能填写",
        ),
    };
    (format!("{l} {en}"), format!("{l}{zh}"))
}

/// Nouns for what a count bound counts, with the Chinese measure word.
fn things(kind: FieldKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        FieldKind::People => ("person", "people", "人"),
        FieldKind::Table => ("row", "rows", "行"),
        _ => ("choice", "choices", "项"),
    }
}

fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// A lower bound on a whole count: at least 1.5 means at least 2.
fn at_least(min: f64) -> u64 {
    min.ceil().max(0.0) as u64
}

fn at_most(max: f64) -> u64 {
    max.floor().max(0.0) as u64
}

/// A number or money bound as people write it: `100000`, `0.5`, money as `12.50`.
fn bound(b: f64, kind: FieldKind) -> String {
    if kind == FieldKind::Money && b.fract() != 0.0 {
        format!("{b:.2}")
    } else {
        b.to_string()
    }
}
