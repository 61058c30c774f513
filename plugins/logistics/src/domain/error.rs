//! Why an operation on a shipment was refused, with a message for people in English and
//! Chinese. Nothing here leaks whether a shipment the person may not see exists:
//! [`ShipmentError::NotFound`] reads the same either way.

use std::fmt;

use super::access::Action;
use super::lang::Lang;
use super::status::{Refusal, Status};
use super::validate::Invalid;

/// What a shipment holds a limited number of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    Events,
    EtaRevisions,
    Documents,
}

/// Why an operation was refused. Show [`ShipmentError::message`] to the person.
#[derive(Clone, Debug, PartialEq)]
pub enum ShipmentError {
    /// A field of the input is wrong.
    Invalid(Invalid),
    /// No such shipment — or one the person may not see.
    NotFound,
    /// The person sees the shipment but may not do this.
    Forbidden(Action),
    /// The status machine refuses the move.
    Transition(Refusal),
    /// Delayed, on hold, failed delivery and returned need a reason.
    ReasonRequired(Status),
    /// Delivered, returned or cancelled: no more forecasts, ETAs or assignments.
    Closed(Status),
    /// Accepting or declining a shipment not offered to any carrier.
    NotPublished,
    /// Publishing or declining after a carrier accepted.
    AlreadyAccepted,
    /// Assigning a vehicle before a carrier accepted.
    NotAccepted,
    /// An actual time ahead of the clock.
    FutureTime,
    /// The ETA moves later: say why.
    EtaReasonRequired,
    /// The ETA is already past and the shipment is not delivered: say why.
    EtaInPast,
    DocumentTooLarge {
        size: u64,
        max: u64,
    },
    DocumentType {
        content_type: String,
    },
    /// A stop index past the last stop (`stop` is 0-based).
    UnknownStop {
        stop: usize,
        stops: usize,
    },
    Full {
        what: Limit,
        max: usize,
    },
}

impl From<Invalid> for ShipmentError {
    fn from(e: Invalid) -> Self {
        ShipmentError::Invalid(e)
    }
}

/// Bytes as people read them: `20 MB`, `512 KB`, `300 bytes`.
fn bytes(n: u64, lang: Lang) -> String {
    const MB: u64 = 1024 * 1024;
    if n >= MB && n.is_multiple_of(MB) {
        format!("{} MB", n / MB)
    } else if n >= MB {
        format!("{:.1} MB", n as f64 / MB as f64)
    } else if n >= 1024 {
        format!("{} KB", n.div_ceil(1024))
    } else {
        format!("{n} {}", lang.pick("bytes", "字节"))
    }
}

impl ShipmentError {
    pub fn en(&self) -> String {
        self.message(Lang::En)
    }

    pub fn zh(&self) -> String {
        self.message(Lang::Zh)
    }

    /// A stable code for API clients (`invalid`, `not_found`, `transition`…).
    pub fn code(&self) -> &'static str {
        match self {
            ShipmentError::Invalid(_) => "invalid",
            ShipmentError::NotFound => "not_found",
            ShipmentError::Forbidden(_) => "forbidden",
            ShipmentError::Transition(_) => "illegal_transition",
            ShipmentError::ReasonRequired(_) => "reason_required",
            ShipmentError::Closed(_) => "closed",
            ShipmentError::NotPublished => "not_published",
            ShipmentError::AlreadyAccepted => "already_accepted",
            ShipmentError::NotAccepted => "not_accepted",
            ShipmentError::FutureTime => "future_time",
            ShipmentError::EtaReasonRequired => "eta_reason_required",
            ShipmentError::EtaInPast => "eta_in_past",
            ShipmentError::DocumentTooLarge { .. } => "document_too_large",
            ShipmentError::DocumentType { .. } => "document_type",
            ShipmentError::UnknownStop { .. } => "unknown_stop",
            ShipmentError::Full { .. } => "full",
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        let zh = lang.is_zh();
        let t = |en: &str, zh_text: &str| lang.pick(en, zh_text).to_string();
        match self {
            ShipmentError::Invalid(e) => e.message(lang),
            ShipmentError::NotFound => t("No such shipment.", "找不到该运单。"),
            ShipmentError::Forbidden(action) if zh => {
                format!("你不能对该运单执行此操作：{}。", action.label(lang))
            }
            ShipmentError::Forbidden(action) => {
                format!(
                    "You may not do this on this shipment: {}.",
                    action.label(lang)
                )
            }
            ShipmentError::Transition(r) => r.message(lang),
            ShipmentError::ReasonRequired(status) if zh => {
                format!("状态“{}”需要填写原因。", status.label(lang))
            }
            ShipmentError::ReasonRequired(status) => {
                format!("“{}” needs a reason.", status.label(lang))
            }
            ShipmentError::Closed(status) if zh => {
                format!("运单已结束（{}），不能再修改。", status.label(lang))
            }
            ShipmentError::Closed(status) => {
                format!(
                    "The shipment is closed ({}); it can no longer change.",
                    status.label(lang)
                )
            }
            ShipmentError::NotPublished => t(
                "The shipment has not been offered to a carrier.",
                "该运单尚未发布给承运商。",
            ),
            ShipmentError::AlreadyAccepted => t(
                "A carrier has already accepted this shipment.",
                "承运商已经接单。",
            ),
            ShipmentError::NotAccepted => t(
                "No carrier has accepted this shipment yet.",
                "尚无承运商接单。",
            ),
            ShipmentError::FutureTime => t(
                "An actual time cannot be in the future.",
                "实际发生时间不能晚于当前时间。",
            ),
            ShipmentError::EtaReasonRequired => t(
                "The new ETA is later: please give a reason for the delay.",
                "新的预计到达时间推迟了，请填写延误原因。",
            ),
            ShipmentError::EtaInPast => t(
                "The new ETA is already past and the shipment is not delivered: please give a reason.",
                "预计到达时间已过而运单尚未签收，请填写原因。",
            ),
            ShipmentError::DocumentTooLarge { size, max } if zh => format!(
                "文件过大（{}），最大 {}。",
                bytes(*size, lang),
                bytes(*max, lang)
            ),
            ShipmentError::DocumentTooLarge { size, max } => format!(
                "The file is too large ({}); the limit is {}.",
                bytes(*size, lang),
                bytes(*max, lang)
            ),
            ShipmentError::DocumentType { content_type } if zh => {
                format!("不允许上传此类文件（{content_type}）。")
            }
            ShipmentError::DocumentType { content_type } => {
                format!("Files of this type ({content_type}) cannot be attached.")
            }
            ShipmentError::UnknownStop { stop, stops } if zh => {
                format!("没有第 {} 站：该运单共有 {stops} 站。", stop + 1)
            }
            ShipmentError::UnknownStop { stop, stops } => {
                format!(
                    "There is no stop {}: the shipment has {stops} stops.",
                    stop + 1
                )
            }
            ShipmentError::Full { what, max } => {
                let (en, zh_text) = match what {
                    Limit::Events => ("status events", "状态记录"),
                    Limit::EtaRevisions => ("ETA revisions", "预计到达时间修改记录"),
                    Limit::Documents => ("documents", "单据"),
                };
                if zh {
                    format!("该运单的{zh_text}已达上限（{max}）。")
                } else {
                    format!("The shipment already has the maximum of {max} {en}.")
                }
            }
        }
    }
}

impl fmt::Display for ShipmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en())
    }
}

impl std::error::Error for ShipmentError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::status::{self, Why};
    use crate::domain::validate::{Field, Problem};

    #[test]
    fn every_error_has_two_distinct_messages() {
        let all = [
            ShipmentError::Invalid(Invalid::new(Field::Origin, Problem::Required)),
            ShipmentError::NotFound,
            ShipmentError::Forbidden(Action::Publish),
            ShipmentError::Transition(
                status::check(Status::Delivered, Status::Delivered, Status::InTransit).unwrap_err(),
            ),
            ShipmentError::ReasonRequired(Status::Delayed),
            ShipmentError::Closed(Status::Delivered),
            ShipmentError::NotPublished,
            ShipmentError::AlreadyAccepted,
            ShipmentError::NotAccepted,
            ShipmentError::FutureTime,
            ShipmentError::EtaReasonRequired,
            ShipmentError::EtaInPast,
            ShipmentError::DocumentTooLarge {
                size: 25 * 1024 * 1024 + 1,
                max: 20 * 1024 * 1024,
            },
            ShipmentError::DocumentType {
                content_type: "text/html".into(),
            },
            ShipmentError::UnknownStop { stop: 3, stops: 2 },
            ShipmentError::Full {
                what: Limit::Events,
                max: 1000,
            },
        ];
        let mut codes = std::collections::BTreeSet::new();
        for e in &all {
            assert!(!e.en().is_empty() && !e.zh().is_empty());
            assert_ne!(e.en(), e.zh(), "{e:?}");
            assert_eq!(e.to_string(), e.en());
            codes.insert(e.code());
        }
        assert_eq!(codes.len(), all.len());
        assert_eq!(
            all[12].en(),
            "The file is too large (25.0 MB); the limit is 20 MB."
        );
        assert_eq!(all[12].zh(), "文件过大（25.0 MB），最大 20 MB。");
        assert_eq!(
            all[14].en(),
            "There is no stop 4: the shipment has 2 stops."
        );
        let ShipmentError::Transition(r) = &all[3] else {
            unreachable!()
        };
        assert_eq!(r.why, Why::Closed);
        assert_eq!(bytes(300, Lang::Zh), "300 字节");
        assert_eq!(bytes(1500, Lang::En), "2 KB");
    }
}
