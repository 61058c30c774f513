//! The body partners' systems push to report status events, its strict parsing, and the
//! mapping from a partner's raw status codes to normalised statuses.
//!
//! ```json
//! {"event_id": "evt-000123", "waybill": "WB20261130-0001",
//!  "status": "delayed", "raw_code": "SD", "reason": "weather",
//!  "time": "2026-11-30T16:05:00+08:00", "time_kind": "actual",
//!  "place": "G2 Jinghu Expressway, km 512", "lat": 34.2, "lon": 117.1, "stop": 2,
//!  "note": "Snow, road closed", "eta": "2026-12-01T10:00:00+08:00"}
//! ```
//!
//! - `event_id` (required): 1–64 of `A–Z a–z 0–9 _ . : -`, unique per partner; the caller
//!   keeps the outcome under [`idempotency_key`] and answers a repeat with it.
//! - `waybill` (required).
//! - `status` and/or `raw_code`: the normalised status, or the partner's own code mapped by
//!   [`CodeMap`] (`status` wins when both are given; `raw_code` is kept beside it). Both may
//!   be left out when `eta` is given: an ETA update alone.
//! - `time` (required with a status): RFC 3339 with an offset, or integer milliseconds since
//!   the epoch. `time_kind`: `actual` (default), `estimated` or `planned`.
//! - `reason`: a reason code; required for delayed, on_hold, failed_delivery and returned,
//!   and for an `eta` later than the current one.
//! - `place`, `lat` + `lon`, `note`, `stop` (the stop's number, 1 for the first).
//! - `eta`: a new ETA, RFC 3339 or milliseconds.
//!
//! Unknown fields are refused (a misspelt `timestamp` would otherwise be lost silently);
//! `null` counts as absent. Every error names the field.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::access::Viewer;
use super::error::ShipmentError;
use super::lang::Lang;
use super::shipment::{self, Change, NewEta, NewEvent, Shipment};
use super::status::{Reason, Source, Status, TimeKind};
use super::time::{self, Rfc3339Error};
use super::validate::{self, Field, Problem};
use super::waybill::{self, WaybillError};

/// Bodies larger than this are refused before parsing.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

const FIELDS: [&str; 13] = [
    "event_id",
    "waybill",
    "status",
    "raw_code",
    "reason",
    "time",
    "time_kind",
    "place",
    "lat",
    "lon",
    "note",
    "eta",
    "stop",
];

/// The default raw codes: X12 EDI 214 shipment status codes.
pub const DEFAULT_CODES: &[(&str, Status)] = &[
    ("XB", Status::Accepted),       // shipment acknowledged
    ("X3", Status::Arrived),        // arrived at pickup location
    ("AM", Status::PickedUp),       // loaded on truck
    ("AF", Status::PickedUp),       // carrier departed pickup location with shipment
    ("X6", Status::InTransit),      // en route to delivery location
    ("P1", Status::InTransit),      // departed terminal location
    ("X4", Status::Arrived),        // arrived at terminal location
    ("X1", Status::Arrived),        // arrived at delivery location
    ("AJ", Status::OutForDelivery), // tendered for delivery
    ("OO", Status::OutForDelivery), // out for delivery (common extension)
    ("D1", Status::Delivered),      // completed unloading at delivery location
    ("SD", Status::Delayed),        // shipment delayed
    ("AH", Status::FailedDelivery), // attempted delivery
    ("A7", Status::FailedDelivery), // refused by consignee
    ("A3", Status::Returned),       // shipment returned to shipper
    ("SH", Status::OnHold),         // shipment held
    ("CA", Status::Cancelled),      // shipment cancelled
];

/// A partner's raw codes: its own overrides first, then [`DEFAULT_CODES`]. Codes compare
/// trimmed and case-insensitively.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CodeMap {
    overrides: BTreeMap<String, Status>,
}

impl CodeMap {
    pub fn new<K: AsRef<str>>(overrides: impl IntoIterator<Item = (K, Status)>) -> CodeMap {
        CodeMap {
            overrides: overrides
                .into_iter()
                .map(|(k, v)| (normal_code(k.as_ref()), v))
                .collect(),
        }
    }

    pub fn map(&self, raw: &str) -> Option<Status> {
        let code = normal_code(raw);
        self.overrides.get(&code).copied().or_else(|| {
            DEFAULT_CODES
                .iter()
                .find(|(c, _)| *c == code)
                .map(|(_, s)| *s)
        })
    }
}

fn normal_code(code: &str) -> String {
    code.trim().to_uppercase()
}

/// The key the caller stores a push's outcome under: unique per partner and event ID.
pub fn idempotency_key(partner_id: &str, event_id: &str) -> String {
    // The length prefix keeps `a:b` + `c` apart from `a` + `b:c`.
    format!("{}:{partner_id}:{event_id}", partner_id.len())
}

/// A push, parsed and checked.
#[derive(Clone, Debug, PartialEq)]
pub struct PartnerEvent {
    pub event_id: String,
    pub waybill: String,
    /// `None`: an ETA update alone.
    pub status: Option<Status>,
    pub raw_code: Option<String>,
    pub reason: Option<Reason>,
    pub time_kind: TimeKind,
    pub at_ms: Option<i64>,
    pub place: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// 0-based index into the shipment's stops.
    pub stop: Option<usize>,
    pub note: Option<String>,
    pub eta_ms: Option<i64>,
}

/// What is wrong with one field of a push.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldProblem {
    Missing,
    /// A JSON value of the wrong kind (`expected`: `string`, `number`, `integer`…).
    WrongType {
        expected: &'static str,
    },
    Invalid(Problem),
    UnknownStatus(String),
    UnknownRawCode(String),
    UnknownReason(String),
    UnknownTimeKind(String),
    Time(Rfc3339Error),
    /// A time outside 2000–2099.
    ImplausibleTime,
    Waybill(WaybillError),
}

/// Why a push is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartnerError {
    TooLarge {
        max: usize,
    },
    NotUtf8,
    /// Not JSON at all; `detail` is the parser's own words.
    NotJson {
        detail: String,
    },
    NotAnObject,
    UnknownField {
        name: String,
    },
    /// Neither `status`, `raw_code` nor `eta`.
    NothingToRecord,
    Field {
        field: &'static str,
        problem: FieldProblem,
    },
}

impl PartnerError {
    /// A stable code for the HTTP answer.
    pub fn code(&self) -> &'static str {
        match self {
            PartnerError::TooLarge { .. } => "too_large",
            PartnerError::NotUtf8 | PartnerError::NotJson { .. } | PartnerError::NotAnObject => {
                "bad_json"
            }
            PartnerError::UnknownField { .. } => "unknown_field",
            PartnerError::NothingToRecord => "nothing_to_record",
            PartnerError::Field { .. } => "invalid_field",
        }
    }

    /// The field at fault, if one is.
    pub fn field(&self) -> Option<&str> {
        match self {
            PartnerError::UnknownField { name } => Some(name),
            PartnerError::Field { field, .. } => Some(field),
            _ => None,
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        let zh = lang.is_zh();
        match self {
            PartnerError::TooLarge { max } if zh => format!("请求内容超过 {max} 字节。"),
            PartnerError::TooLarge { max } => format!("The body is larger than {max} bytes."),
            PartnerError::NotUtf8 => lang
                .pick("The body is not UTF-8 text.", "请求内容不是 UTF-8 文本。")
                .into(),
            PartnerError::NotJson { detail } if zh => format!("请求内容不是有效的 JSON：{detail}"),
            PartnerError::NotJson { detail } => format!("The body is not valid JSON: {detail}"),
            PartnerError::NotAnObject => lang
                .pick(
                    "The body must be a JSON object.",
                    "请求内容必须是 JSON 对象。",
                )
                .into(),
            PartnerError::UnknownField { name } if zh => {
                format!("未知字段“{name}”。可用字段：{}。", FIELDS.join("、"))
            }
            PartnerError::UnknownField { name } => format!(
                "Unknown field “{name}”. Known fields: {}.",
                FIELDS.join(", ")
            ),
            PartnerError::NothingToRecord => lang
                .pick(
                    "Give a “status” or “raw_code” (or at least an “eta”).",
                    "请提供“status”或“raw_code”（或至少提供“eta”）。",
                )
                .into(),
            PartnerError::Field { field, problem } => {
                let what = problem.message(lang);
                if zh {
                    format!("字段“{field}”：{what}")
                } else {
                    format!("Field “{field}”: {what}")
                }
            }
        }
    }
}

impl FieldProblem {
    pub fn message(&self, lang: Lang) -> String {
        let zh = lang.is_zh();
        match self {
            FieldProblem::Missing => lang.pick("is required.", "必填。").into(),
            FieldProblem::WrongType { expected } if zh => format!("应为 {expected}。"),
            FieldProblem::WrongType { expected } => format!("must be a JSON {expected}."),
            FieldProblem::Invalid(p) => format!("{}{}", p.message(lang), lang.pick(".", "。")),
            FieldProblem::UnknownStatus(s) if zh => {
                format!("未知状态“{s}”。可用状态：{}。", codes_list(&status_codes()))
            }
            FieldProblem::UnknownStatus(s) => format!(
                "unknown status “{s}”. Known: {}.",
                codes_list(&status_codes())
            ),
            FieldProblem::UnknownRawCode(c) if zh => {
                format!("无法识别的状态代码“{c}”，请改用“status”。")
            }
            FieldProblem::UnknownRawCode(c) => {
                format!("the code “{c}” is not mapped for this partner; send “status” instead.")
            }
            FieldProblem::UnknownReason(r) if zh => {
                format!("未知原因“{r}”。可用原因：{}。", codes_list(&reason_codes()))
            }
            FieldProblem::UnknownReason(r) => format!(
                "unknown reason “{r}”. Known: {}.",
                codes_list(&reason_codes())
            ),
            FieldProblem::UnknownTimeKind(k) if zh => {
                format!("未知时间类型“{k}”，应为 planned、estimated 或 actual。")
            }
            FieldProblem::UnknownTimeKind(k) => {
                format!("unknown time kind “{k}”; use planned, estimated or actual.")
            }
            FieldProblem::Time(e) => format!("{}{}", e.message(lang), lang.pick(".", "。")),
            FieldProblem::ImplausibleTime => lang
                .pick(
                    "is not a time between 2000 and 2099.",
                    "不是 2000 至 2099 年之间的时间。",
                )
                .into(),
            FieldProblem::Waybill(e) => format!("{}{}", e.message(lang), lang.pick(".", "。")),
        }
    }
}

fn status_codes() -> Vec<&'static str> {
    Status::ALL.iter().map(|s| s.code()).collect()
}

fn reason_codes() -> Vec<&'static str> {
    Reason::ALL.iter().map(|r| r.code()).collect()
}

fn codes_list(codes: &[&str]) -> String {
    codes.join(", ")
}

fn bad(field: &'static str, problem: FieldProblem) -> PartnerError {
    PartnerError::Field { field, problem }
}

/// The body's fields, `null` dropped.
struct Body(Map<String, Value>);

impl Body {
    fn get(&self, field: &'static str) -> Option<&Value> {
        self.0.get(field).filter(|v| !v.is_null())
    }

    fn string(&self, field: &'static str) -> Result<Option<&str>, PartnerError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(bad(field, FieldProblem::WrongType { expected: "string" })),
        }
    }

    fn required(&self, field: &'static str) -> Result<&str, PartnerError> {
        self.string(field)?.ok_or(bad(field, FieldProblem::Missing))
    }

    fn number(&self, field: &'static str) -> Result<Option<f64>, PartnerError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(_) => Err(bad(field, FieldProblem::WrongType { expected: "number" })),
        }
    }

    /// Text checked like the shipment's own: trimmed, no control characters, bounded.
    fn text(
        &self,
        field: &'static str,
        max: usize,
        multiline: bool,
    ) -> Result<Option<String>, PartnerError> {
        let check = if multiline {
            validate::opt_text
        } else {
            validate::opt_line
        };
        check(Field::Note, self.string(field)?, max)
            .map_err(|e| bad(field, FieldProblem::Invalid(e.problem)))
    }

    /// RFC 3339 text or integer milliseconds, in 2000–2099.
    fn time(&self, field: &'static str) -> Result<Option<i64>, PartnerError> {
        let ms = match self.get(field) {
            None => return Ok(None),
            Some(Value::String(s)) => {
                time::parse_rfc3339(s).map_err(|e| bad(field, FieldProblem::Time(e)))?
            }
            Some(Value::Number(n)) => n.as_i64().ok_or(bad(
                field,
                FieldProblem::WrongType {
                    expected: "integer (milliseconds) or RFC 3339 string",
                },
            ))?,
            Some(_) => {
                return Err(bad(
                    field,
                    FieldProblem::WrongType {
                        expected: "RFC 3339 string or integer (milliseconds)",
                    },
                ));
            }
        };
        if time::plausible(ms) {
            Ok(Some(ms))
        } else {
            Err(bad(field, FieldProblem::ImplausibleTime))
        }
    }
}

/// [`parse`] for raw bytes: refuses bodies that are too large or not UTF-8.
pub fn parse_bytes(body: &[u8], codes: &CodeMap) -> Result<PartnerEvent, PartnerError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(PartnerError::TooLarge {
            max: MAX_BODY_BYTES,
        });
    }
    let text = std::str::from_utf8(body).map_err(|_| PartnerError::NotUtf8)?;
    parse(text, codes)
}

/// Parses and checks a push body. Checks that need the shipment (the status machine, the
/// stop's existence, the partner's right to it) happen in [`apply`].
pub fn parse(body: &str, codes: &CodeMap) -> Result<PartnerEvent, PartnerError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(PartnerError::TooLarge {
            max: MAX_BODY_BYTES,
        });
    }
    let value: Value = serde_json::from_str(body).map_err(|e| PartnerError::NotJson {
        detail: e.to_string(),
    })?;
    let Value::Object(map) = value else {
        return Err(PartnerError::NotAnObject);
    };
    if let Some(name) = map.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(PartnerError::UnknownField { name: name.clone() });
    }
    let b = Body(map);

    let event_id = b.required("event_id")?;
    if !validate::id_like(event_id) {
        return Err(bad("event_id", FieldProblem::Invalid(Problem::BadId)));
    }
    let waybill = waybill::validate(b.required("waybill")?)
        .map_err(|e| bad("waybill", FieldProblem::Waybill(e)))?;

    let raw_code = b.text("raw_code", shipment::MAX_RAW_CODE, false)?;
    let status = match b.string("status")? {
        Some(code) => Some(
            Status::parse(code.trim())
                .ok_or_else(|| bad("status", FieldProblem::UnknownStatus(code.to_string())))?,
        ),
        None => match &raw_code {
            Some(raw) => Some(
                codes
                    .map(raw)
                    .ok_or_else(|| bad("raw_code", FieldProblem::UnknownRawCode(raw.clone())))?,
            ),
            None => None,
        },
    };
    let reason = b
        .string("reason")?
        .map(|r| {
            Reason::parse(r.trim())
                .ok_or_else(|| bad("reason", FieldProblem::UnknownReason(r.to_string())))
        })
        .transpose()?;
    let time_kind = b
        .string("time_kind")?
        .map(|k| {
            TimeKind::parse(k.trim())
                .ok_or_else(|| bad("time_kind", FieldProblem::UnknownTimeKind(k.to_string())))
        })
        .transpose()?
        .unwrap_or_default();
    let at_ms = b.time("time")?;
    let eta_ms = b.time("eta")?;
    if status.is_none() && eta_ms.is_none() {
        return Err(PartnerError::NothingToRecord);
    }
    if status.is_some() && at_ms.is_none() {
        return Err(bad("time", FieldProblem::Missing));
    }
    if let Some(s) = status
        && s.needs_reason()
        && reason.is_none()
    {
        return Err(bad("reason", FieldProblem::Missing));
    }
    let place = b.text("place", shipment::MAX_TEXT, false)?;
    let (lat, lon) = (b.number("lat")?, b.number("lon")?);
    validate::coordinates(lat, lon).map_err(|e| {
        let field = if e.field == Field::Latitude {
            "lat"
        } else {
            "lon"
        };
        let problem = match e.problem {
            Problem::PairIncomplete(_) => FieldProblem::Missing,
            p => FieldProblem::Invalid(p),
        };
        bad(field, problem)
    })?;
    let note = b.text("note", shipment::MAX_NOTE, true)?;
    let stop = match b.get("stop") {
        None => None,
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => {
            let max = shipment::MAX_STOPS as i64;
            match n.as_i64() {
                Some(k) if (1..=max).contains(&k) => Some(k as usize - 1),
                _ => {
                    let range = Problem::OutOfRange { min: 1, max };
                    return Err(bad("stop", FieldProblem::Invalid(range)));
                }
            }
        }
        Some(_) => {
            return Err(bad(
                "stop",
                FieldProblem::WrongType {
                    expected: "integer",
                },
            ));
        }
    };
    Ok(PartnerEvent {
        event_id: event_id.to_string(),
        waybill,
        status,
        raw_code,
        reason,
        time_kind,
        at_ms,
        place,
        lat,
        lon,
        stop,
        note,
        eta_ms,
    })
}

impl PartnerEvent {
    /// The status event to record, if the push reports one.
    pub fn to_new_event(&self) -> Option<NewEvent> {
        Some(NewEvent {
            status: self.status?,
            raw_code: self.raw_code.clone(),
            reason: self.reason,
            time_kind: self.time_kind,
            at_ms: self.at_ms?,
            place: self.place.clone(),
            lat: self.lat,
            lon: self.lon,
            stop: self.stop,
            source: Source::PartnerApi,
            note: self.note.clone(),
            attachments: Vec::new(),
            external_id: Some(self.event_id.clone()),
        })
    }

    /// The ETA update to make, if the push gives one; the event's reason and note explain it.
    pub fn to_new_eta(&self) -> Option<NewEta> {
        Some(NewEta {
            eta_ms: self.eta_ms?,
            reason: self.reason,
            note: self.note.clone(),
            source: Source::PartnerApi,
        })
    }
}

/// Applies a push to the shipment its waybill names, as `partner` (a
/// [`Viewer::partner_system`]): the status event, then the ETA — both or neither. An ETA
/// for a shipment that is (or just became) closed is ignored. A shipment the partner's
/// organization is no party to reads as not found.
pub fn apply(
    s: &mut Shipment,
    partner: &Viewer,
    ev: &PartnerEvent,
    now_ms: i64,
) -> Result<Vec<Change>, ShipmentError> {
    if !s.waybill.eq_ignore_ascii_case(&ev.waybill) {
        return Err(ShipmentError::NotFound);
    }
    let mut draft = s.clone();
    let mut changes = Vec::new();
    if let Some(event) = ev.to_new_event() {
        changes.push(draft.record(partner, event, now_ms)?);
    }
    if let Some(eta) = ev.to_new_eta()
        && !draft.is_closed()
    {
        let change = draft.update_eta(partner, &eta, now_ms)?;
        if change != Change::Unchanged {
            changes.push(change);
        }
    }
    *s = draft;
    Ok(changes)
}

#[cfg(test)]
mod tests;
