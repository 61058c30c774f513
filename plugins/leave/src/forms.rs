//! The `/leave` form, and reading what was submitted into a span of time.

use courtyard_sdk::{Field, Form};
use serde::{Deserialize, Serialize};

use crate::amount::Base;
use crate::calendar::{DayHalf, Half};
use crate::date::{self, Date};
use crate::policy::{LeaveType, find_type};
use crate::request::{RequestError, Span};
use crate::store::Config;
use crate::who::Who;

/// The form's id: its submissions arrive in `action` under this id.
pub const FORM_ID: &str = "leave";

/// What the form submits (hidden fields arrive absent or null).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Submitted {
    pub leave_type: String,
    #[serde(default)]
    pub from_date: Option<Date>,
    #[serde(default)]
    pub from_half: Option<Half>,
    #[serde(default)]
    pub to_date: Option<Date>,
    #[serde(default)]
    pub to_half: Option<Half>,
    #[serde(default)]
    pub date: Option<Date>,
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub end_time: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub delegate: Option<String>,
    #[serde(default)]
    pub certificate: Option<String>,
}

/// What `/leave <from> [to] [type]` fills in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Prefill {
    pub leave_type: Option<String>,
    pub from: Option<Date>,
    pub to: Option<Date>,
}

const TIME_PATTERN: &str = r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$|^24:00$";

fn ids<'a>(types: impl Iterator<Item = &'a LeaveType>) -> Vec<String> {
    types.map(|t| t.id.clone()).collect()
}

/// The request form, in the person's language, with the organization's leave types.
pub fn leave_form(who: &Who, config: &Config, prefill: &Prefill) -> Form {
    let types = &config.types;
    let day_types = ids(types.iter().filter(|t| t.base() == Base::HalfDays));
    let half_types = ids(types
        .iter()
        .filter(|t| t.base() == Base::HalfDays && t.allows_half_days()));
    let hour_types = ids(types.iter().filter(|t| t.base() == Base::Minutes));
    let document_types = ids(types
        .iter()
        .filter(|t| t.attachment_required_over.is_some()));
    let chosen = prefill
        .leave_type
        .clone()
        .filter(|id| find_type(types, id).is_some())
        .or_else(|| find_type(types, "annual").map(|t| t.id.clone()))
        .or_else(|| types.first().map(|t| t.id.clone()))
        .unwrap_or_default();

    let mut form = Form::new(FORM_ID, who.tr("Request leave", "请假"));
    let mut kind = Field::select("leave_type", who.tr("Leave type", "假期类型")).required();
    for t in types {
        kind = kind.option(&t.id, t.name.get(&who.locale));
    }
    if !chosen.is_empty() {
        kind = kind.default(chosen);
    }
    form = form.field(kind);

    let halves = |name: &str, label: &str, default: &str| {
        Field::select(name, label)
            .option("am", who.tr("Morning", "上午"))
            .option("pm", who.tr("Afternoon", "下午"))
            .default(default)
            .required()
            .visible_when("leave_type", half_types.clone())
    };
    if !day_types.is_empty() {
        let mut from = Field::date("from_date", who.tr("From", "开始日期"))
            .required()
            .visible_when("leave_type", day_types.clone());
        if let Some(d) = prefill.from {
            from = from.default(d.to_string());
        }
        form = form.field(from);
        if !half_types.is_empty() {
            form = form.field(halves(
                "from_half",
                who.tr("Starting in the", "开始于"),
                "am",
            ));
        }
        let mut to = Field::date("to_date", who.tr("To", "结束日期"))
            .required()
            .visible_when("leave_type", day_types.clone());
        if let Some(d) = prefill.to.or(prefill.from) {
            to = to.default(d.to_string());
        }
        form = form.field(to);
        if !half_types.is_empty() {
            form = form.field(halves(
                "to_half",
                who.tr("Ending after the", "结束于"),
                "pm",
            ));
        }
    }
    if !hour_types.is_empty() {
        let schedule = &config.schedule;
        let mut day = Field::date("date", who.tr("Date", "日期"))
            .required()
            .visible_when("leave_type", hour_types.clone());
        if let Some(d) = prefill.from {
            day = day.default(d.to_string());
        }
        let time = |name: &str, label: &str, default: u32| {
            Field::text(name, label)
                .required()
                .pattern(
                    TIME_PATTERN,
                    who.tr("A time like 09:30", "请填写时间，如 09:30"),
                )
                .placeholder("09:30")
                .default(date::format_time(default))
                .visible_when("leave_type", hour_types.clone())
        };
        form = form
            .field(day)
            .field(time(
                "start_time",
                who.tr("From (time)", "开始时间"),
                schedule.morning.0,
            ))
            .field(time(
                "end_time",
                who.tr("To (time)", "结束时间"),
                schedule.afternoon.1,
            ));
    }
    form = form
        .field(
            Field::textarea("reason", who.tr("Reason", "事由"))
                .max(500)
                .placeholder(who.tr("Optional", "选填")),
        )
        .field(
            Field::person("delegate", who.tr("Delegate while away", "请假期间代理人")).help(
                who.tr(
                    "Approves in your place while you are away (optional)",
                    "你请假期间代你审批（选填）",
                ),
            ),
        );
    if !document_types.is_empty() {
        // A text field until the host stores files: `file` fields are refused on submit
        // ("file attachments are not available on this server yet"), so the person names
        // the certificate (issuer, date, number) and HR checks the paper.
        form = form.field(
            Field::text("certificate", who.tr("Certificate reference", "证明材料编号"))
                .max(200)
                .help(who.tr(
                    "e.g. hospital, date and number of the medical certificate; file uploads come later",
                    "如开具医院、日期和编号；上传文件功能稍后提供",
                ))
                .visible_when("leave_type", document_types),
        );
    }
    form.submit_label(who.tr("Submit", "提交"))
}

/// A submission's problem with a field, in the person's language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: &'static str,
    pub message: String,
}

/// The field a request's refusal is about.
pub fn field_of(e: &RequestError, hours: bool) -> &'static str {
    match e {
        RequestError::UnknownLeaveType { .. }
        | RequestError::HoursNotAllowed { .. }
        | RequestError::Misconfigured(_)
        | RequestError::InvalidSchedule(_) => "leave_type",
        RequestError::WrongOrder { .. } | RequestError::InvalidTime { .. } if hours => "end_time",
        RequestError::WrongOrder { .. } | RequestError::OverLimit { .. } => "to_date",
        RequestError::InvalidTime { .. } => "end_time",
        RequestError::HalfDayNotAllowed { .. } => "from_half",
        RequestError::Empty
        | RequestError::TooLittleNotice { .. }
        | RequestError::Overlaps { .. } => {
            if hours {
                "date"
            } else {
                "from_date"
            }
        }
        RequestError::AttachmentRequired { .. } => "certificate",
    }
}

/// The span a submission asks for, in the unit of its type.
pub fn span_of(who: &Who, s: &Submitted, t: &LeaveType) -> Result<Span, FieldProblem> {
    let missing = |field: &'static str| FieldProblem {
        field,
        message: who.tr("Please fill this in", "请填写此项").to_owned(),
    };
    if t.base() == Base::Minutes {
        let date = s.date.ok_or_else(|| missing("date"))?;
        let time = |field: &'static str, text: &Option<String>| {
            let text = text.as_deref().unwrap_or("").trim();
            if text.is_empty() {
                return Err(missing(field));
            }
            date::parse_time(text).ok_or_else(|| FieldProblem {
                field,
                message: who
                    .tr(
                        format!("“{text}” is not a time like 09:30"),
                        format!("“{text}”不是有效的时间，如 09:30"),
                    )
                    .to_owned(),
            })
        };
        let start = time("start_time", &s.start_time)?;
        let end = time("end_time", &s.end_time)?;
        return Ok(Span::hours(date, start, end));
    }
    let from = s.from_date.ok_or_else(|| missing("from_date"))?;
    let to = s.to_date.ok_or_else(|| missing("to_date"))?;
    Ok(Span::days(
        DayHalf::new(from, s.from_half.unwrap_or(Half::Am)),
        DayHalf::new(to, s.to_half.unwrap_or(Half::Pm)),
    ))
}

/// Finds a leave type by id or by its English or Chinese name, ignoring case.
pub fn type_by_word<'a>(types: &'a [LeaveType], word: &str) -> Option<&'a LeaveType> {
    let word = word.trim();
    find_type(types, word).or_else(|| {
        types.iter().find(|t| {
            t.id.eq_ignore_ascii_case(word)
                || t.name.en.eq_ignore_ascii_case(word)
                || t.name.zh == word
                || t.name
                    .en
                    .split_whitespace()
                    .next()
                    .is_some_and(|first| first.eq_ignore_ascii_case(word))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::d;
    use crate::policy::default_leave_types;

    fn who() -> Who {
        Who {
            person: Some(("p1".into(), "Ann".into())),
            group_id: Some("g1".into()),
            locale: "en".into(),
            ..Who::default()
        }
    }

    #[test]
    fn leave_types_are_found_by_id_or_name() {
        let types = default_leave_types();
        assert_eq!(type_by_word(&types, "sick").unwrap().id, "sick");
        assert_eq!(type_by_word(&types, "Annual").unwrap().id, "annual");
        assert_eq!(type_by_word(&types, "年假").unwrap().id, "annual");
        assert_eq!(type_by_word(&types, "Sick leave").unwrap().id, "sick");
        assert!(type_by_word(&types, "sabbatical").is_none());
    }

    #[test]
    fn submissions_become_spans() {
        let types = default_leave_types();
        let annual = find_type(&types, "annual").unwrap();
        let s = Submitted {
            leave_type: "annual".into(),
            from_date: Some(d("2026-12-04")),
            from_half: Some(Half::Pm),
            to_date: Some(d("2026-12-07")),
            ..Submitted::default()
        };
        assert_eq!(
            span_of(&who(), &s, annual),
            Ok(Span::days(
                DayHalf::pm(d("2026-12-04")),
                DayHalf::pm(d("2026-12-07"))
            ))
        );
        let comp = find_type(&types, "compensatory").unwrap();
        let s = Submitted {
            leave_type: "compensatory".into(),
            date: Some(d("2026-12-04")),
            start_time: Some("14:00".into()),
            end_time: Some("16:30".into()),
            ..Submitted::default()
        };
        assert_eq!(
            span_of(&who(), &s, comp),
            Ok(Span::hours(d("2026-12-04"), 840, 990))
        );
        let bad = Submitted {
            end_time: Some("4pm".into()),
            ..s
        };
        let problem = span_of(&who(), &bad, comp).unwrap_err();
        assert_eq!(problem.field, "end_time");
        assert_eq!(problem.message, "“4pm” is not a time like 09:30");
    }

    #[test]
    fn the_submitted_values_read_back() {
        let values = serde_json::json!({
            "leave_type": "annual", "from_date": "2026-12-04", "from_half": "pm",
            "to_date": "2026-12-07", "to_half": "pm", "reason": null, "delegate": null
        });
        let s: Submitted = serde_json::from_value(values).unwrap();
        assert_eq!(s.from_half, Some(Half::Pm));
        assert_eq!(s.reason, None);
        assert_eq!(s.date, None);
    }
}
