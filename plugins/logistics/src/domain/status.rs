//! The normalised vocabulary of a shipment — [`Status`], exception [`Reason`]s, the
//! [`TimeKind`] of an event's time and the [`Source`] it came from — and the status
//! machine: which status may follow which.
//!
//! # Progress, exceptions and the end
//!
//! Statuses come in three kinds:
//!
//! - **progress**: `created → accepted → picked_up → in_transit / arrived /
//!   out_for_delivery`, the shipment moving along its stops;
//! - **exceptions**: `delayed`, `on_hold`, `failed_delivery` — the shipment is paused where
//!   it was;
//! - **terminal**: `delivered`, `returned`, `cancelled` — nothing follows them.
//!
//! The machine therefore stands on two facts: the current status, and its **base**, the
//! last progress status reached (for a progress status, the status itself). An exception
//! remembers where the shipment was: when it ends, the shipment goes on from its base.
//!
//! # The table
//!
//! From a progress status (`·` = refused; `↺` = the same status again, e.g. a position
//! update or arriving at the next stop):
//!
//! | from \ to        | acc | pick | trans | arr | ofd | dly | hold | fail | dlv | ret | cnl |
//! |------------------|-----|------|-------|-----|-----|-----|------|------|-----|-----|-----|
//! | created          | ✓   | ·    | ·     | ·   | ·   | ·   | ✓    | ·    | ·   | ·   | ✓   |
//! | accepted         | ·   | ✓    | ·     | ✓   | ·   | ✓   | ✓    | ·    | ·   | ·   | ✓   |
//! | picked_up        | ·   | ↺    | ✓     | ✓   | ✓   | ✓   | ✓    | ✓    | ✓   | ✓   | ·   |
//! | in_transit       | ·   | ·    | ↺     | ✓   | ✓   | ✓   | ✓    | ✓    | ✓   | ✓   | ·   |
//! | arrived          | ·   | ✓    | ✓     | ↺   | ✓   | ✓   | ✓    | ✓    | ✓   | ✓   | ·   |
//! | out_for_delivery | ·   | ·    | ·     | ✓   | ↺   | ✓   | ✓    | ✓    | ✓   | ✓   | ·   |
//! | delivered, returned, cancelled | · | · | · | · | · | · | · | · | · | · | · |
//!
//! `created` is never a target except to resume after a hold (below). Multi-stop:
//! `accepted → arrived` is reaching the pickup stop; `arrived → in_transit` leaves an
//! intermediate stop; `arrived → picked_up` loads at a further pickup stop; `arrived →
//! arrived` reaches the next stop without a departure event in between.
//!
//! From an exception (`delayed`, `on_hold`, `failed_delivery`) with base `b`:
//! - the same exception again (a new reason or note);
//! - `b` itself: the exception is over, the shipment resumes;
//! - any status the row of `b` allows (so `delayed` with base `in_transit` may go to
//!   `delivered`, `on_hold`, `returned`…; `on_hold` with base `accepted` may be
//!   `cancelled`);
//! - from `failed_delivery` also `in_transit`, `arrived` and `out_for_delivery` (back to
//!   the depot, a new attempt).
//!
//! `delayed`, `on_hold`, `failed_delivery` and `returned` need a [`Reason`].
//! [`check`] says why a move is refused, in words for people.

use serde::{Deserialize, Serialize};

use super::lang::Lang;

/// Where a shipment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Created,
    Accepted,
    PickedUp,
    InTransit,
    OutForDelivery,
    Delayed,
    Arrived,
    Delivered,
    FailedDelivery,
    OnHold,
    Returned,
    Cancelled,
}

use Status::*;

impl Status {
    pub const ALL: [Status; 12] = [
        Created,
        Accepted,
        PickedUp,
        InTransit,
        OutForDelivery,
        Delayed,
        Arrived,
        Delivered,
        FailedDelivery,
        OnHold,
        Returned,
        Cancelled,
    ];

    /// The snake_case code, as in JSON.
    pub fn code(self) -> &'static str {
        match self {
            Created => "created",
            Accepted => "accepted",
            PickedUp => "picked_up",
            InTransit => "in_transit",
            OutForDelivery => "out_for_delivery",
            Delayed => "delayed",
            Arrived => "arrived",
            Delivered => "delivered",
            FailedDelivery => "failed_delivery",
            OnHold => "on_hold",
            Returned => "returned",
            Cancelled => "cancelled",
        }
    }

    /// The status with this code (exact, snake_case).
    pub fn parse(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        let (en, zh) = match self {
            Created => ("Created", "已创建"),
            Accepted => ("Accepted", "已接单"),
            PickedUp => ("Picked up", "已提货"),
            InTransit => ("In transit", "运输中"),
            OutForDelivery => ("Out for delivery", "派送中"),
            Delayed => ("Delayed", "延误"),
            Arrived => ("Arrived", "已到达"),
            Delivered => ("Delivered", "已签收"),
            FailedDelivery => ("Failed delivery", "派送失败"),
            OnHold => ("On hold", "暂扣"),
            Returned => ("Returned", "已退回"),
            Cancelled => ("Cancelled", "已取消"),
        };
        lang.pick(en, zh)
    }

    /// How the shipment is, for "The shipment is …" / "运单…".
    fn state(self, lang: Lang) -> &'static str {
        let (en, zh) = match self {
            Created => ("new", "刚创建"),
            Accepted => ("accepted by the carrier", "已被承运商接单"),
            PickedUp => ("picked up", "已提货"),
            InTransit => ("in transit", "正在运输中"),
            OutForDelivery => ("out for delivery", "正在派送"),
            Delayed => ("delayed", "已延误"),
            Arrived => ("at a stop", "已到达站点"),
            Delivered => ("delivered", "已签收"),
            FailedDelivery => ("waiting after a failed delivery", "派送失败"),
            OnHold => ("on hold", "被暂扣"),
            Returned => ("returned", "已退回"),
            Cancelled => ("cancelled", "已取消"),
        };
        lang.pick(en, zh)
    }

    /// Nothing follows: delivered, returned, cancelled.
    pub fn is_terminal(self) -> bool {
        matches!(self, Delivered | Returned | Cancelled)
    }

    /// A pause in the shipment's progress: delayed, on hold, failed delivery.
    pub fn is_exception(self) -> bool {
        matches!(self, Delayed | OnHold | FailedDelivery)
    }

    /// Neither an exception nor terminal: a status an exception can resume to.
    pub fn is_progress(self) -> bool {
        !self.is_exception() && !self.is_terminal()
    }

    /// An event with this status must say why.
    pub fn needs_reason(self) -> bool {
        matches!(self, Delayed | OnHold | FailedDelivery | Returned)
    }

    /// How far along a progress or terminal status is; `None` for exceptions.
    fn rank(self) -> Option<u8> {
        match self {
            Created => Some(0),
            Accepted => Some(1),
            PickedUp => Some(2),
            InTransit | Arrived => Some(3),
            OutForDelivery => Some(4),
            Delivered | Returned | Cancelled => Some(5),
            Delayed | OnHold | FailedDelivery => None,
        }
    }

    /// Whether the goods are (or were) on the way: the base is picked up or further.
    fn moving(self) -> bool {
        self.rank().is_some_and(|r| r >= 2)
    }
}

/// The row of the table for a progress (or terminal) status.
fn row(from: Status) -> &'static [Status] {
    match from {
        Created => &[Accepted, OnHold, Cancelled],
        Accepted => &[PickedUp, Arrived, Delayed, OnHold, Cancelled],
        PickedUp => &[
            PickedUp,
            InTransit,
            Arrived,
            OutForDelivery,
            Delayed,
            OnHold,
            FailedDelivery,
            Delivered,
            Returned,
        ],
        InTransit => &[
            InTransit,
            Arrived,
            OutForDelivery,
            Delayed,
            OnHold,
            FailedDelivery,
            Delivered,
            Returned,
        ],
        Arrived => &[
            PickedUp,
            InTransit,
            Arrived,
            OutForDelivery,
            Delayed,
            OnHold,
            FailedDelivery,
            Delivered,
            Returned,
        ],
        OutForDelivery => &[
            Arrived,
            OutForDelivery,
            Delayed,
            OnHold,
            FailedDelivery,
            Delivered,
            Returned,
        ],
        Delayed | OnHold | FailedDelivery | Delivered | Returned | Cancelled => &[],
    }
}

/// Whether a shipment in `from`, whose last progress status is `base`, may move to `to`.
/// For a progress status `base` is ignored (it is `from` itself).
pub fn can_move(from: Status, base: Status, to: Status) -> bool {
    if !from.is_exception() {
        return row(from).contains(&to);
    }
    if to == from || (to == base && base.is_progress()) || row(base).contains(&to) {
        return true;
    }
    from == FailedDelivery && base.moving() && matches!(to, InTransit | Arrived | OutForDelivery)
}

/// Every status the shipment may move to, in [`Status::ALL`] order.
pub fn targets(from: Status, base: Status) -> Vec<Status> {
    Status::ALL
        .into_iter()
        .filter(|to| can_move(from, base, *to))
        .collect()
}

/// Why a move is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// Delivered, returned or cancelled: nothing follows.
    Closed,
    /// `created` only starts a shipment.
    CreatedIsFirst,
    AlreadyAccepted,
    NotAccepted,
    NotPickedUp,
    /// Goods on the way cannot be cancelled, only returned.
    CannotCancelPickedUp,
    /// Back to an earlier stage.
    Backwards,
    /// Not in the table for another reason.
    NotDirect,
}

/// A refused move and why; [`Refusal::message`] explains it to people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub from: Status,
    pub base: Status,
    pub to: Status,
    pub why: Why,
}

/// Whether `from` (with base `base`) may move to `to`, and if not, why.
pub fn check(from: Status, base: Status, to: Status) -> Result<(), Refusal> {
    if can_move(from, base, to) {
        return Ok(());
    }
    let base = if from.is_exception() { base } else { from };
    let rank = base.rank().unwrap_or(0);
    let why = if from.is_terminal() {
        Why::Closed
    } else if to == Created {
        Why::CreatedIsFirst
    } else if to == Accepted && rank >= 1 {
        Why::AlreadyAccepted
    } else if rank == 0 && to != Cancelled {
        Why::NotAccepted
    } else if rank == 1
        && matches!(
            to,
            InTransit | OutForDelivery | FailedDelivery | Delivered | Returned
        )
    {
        Why::NotPickedUp
    } else if to == Cancelled && rank >= 2 {
        Why::CannotCancelPickedUp
    } else if to.rank().is_some_and(|r| r < rank) {
        Why::Backwards
    } else {
        Why::NotDirect
    };
    Err(Refusal {
        from,
        base,
        to,
        why,
    })
}

impl Refusal {
    pub fn message(&self, lang: Lang) -> String {
        let (to_en, to_zh) = (self.to.label(Lang::En), self.to.label(Lang::Zh));
        let zh = lang.is_zh();
        match self.why {
            Why::Closed if self.to.is_terminal() => {
                if zh {
                    format!(
                        "运单{}，不能再标记为“{to_zh}”。",
                        self.from.state(lang)
                    )
                } else {
                    format!(
                        "The shipment is already {}; it cannot be marked “{to_en}” as well.",
                        self.from.state(lang)
                    )
                }
            }
            Why::Closed => {
                if zh {
                    format!(
                        "运单{}，已经结束，不能再改回“{to_zh}”。",
                        self.from.state(lang)
                    )
                } else {
                    format!(
                        "The shipment is {}: a closed shipment cannot go back to “{to_en}”.",
                        self.from.state(lang)
                    )
                }
            }
            Why::CreatedIsFirst => lang
                .pick(
                    "“Created” only starts a shipment; it cannot be set later.",
                    "“已创建”只是运单的初始状态，之后不能再设置。",
                )
                .into(),
            Why::AlreadyAccepted => lang
                .pick(
                    "The carrier has already accepted this shipment.",
                    "承运商已经接单。",
                )
                .into(),
            Why::NotAccepted => {
                if zh {
                    format!("承运商尚未接单，运单不能变为“{to_zh}”。")
                } else {
                    format!(
                        "The carrier has not accepted the shipment yet, so it cannot be “{to_en}”."
                    )
                }
            }
            Why::NotPickedUp if self.to == Returned => lang
                .pick(
                    "The goods have not been picked up yet: cancel the shipment instead of returning it.",
                    "货物尚未提货，无需退回，请取消运单。",
                )
                .into(),
            Why::NotPickedUp => {
                if zh {
                    format!("货物尚未提货，运单不能变为“{to_zh}”。")
                } else {
                    format!("The goods have not been picked up yet, so the shipment cannot be “{to_en}”.")
                }
            }
            Why::CannotCancelPickedUp => lang
                .pick(
                    "The goods have already been picked up: record a return instead of cancelling.",
                    "货物已经提货，不能取消，请登记退回。",
                )
                .into(),
            Why::Backwards => {
                if zh {
                    format!("运单{}，不能退回到“{to_zh}”。", self.base.state(lang))
                } else {
                    format!(
                        "The shipment is {}: it cannot go back to “{to_en}”.",
                        self.base.state(lang)
                    )
                }
            }
            Why::NotDirect => {
                if zh {
                    format!(
                        "运单状态不能从“{}”直接变为“{to_zh}”。",
                        self.from.label(lang)
                    )
                } else {
                    format!(
                        "A shipment cannot go from “{}” to “{to_en}” directly.",
                        self.from.label(lang)
                    )
                }
            }
        }
    }
}

/// Why an exception happened (EDI 214 style reason codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Weather,
    Breakdown,
    Accident,
    Traffic,
    ConsigneeClosed,
    AddressProblem,
    MissingDocuments,
    CustomsHold,
    Capacity,
    Other,
}

impl Reason {
    pub const ALL: [Reason; 10] = [
        Reason::Weather,
        Reason::Breakdown,
        Reason::Accident,
        Reason::Traffic,
        Reason::ConsigneeClosed,
        Reason::AddressProblem,
        Reason::MissingDocuments,
        Reason::CustomsHold,
        Reason::Capacity,
        Reason::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Reason::Weather => "weather",
            Reason::Breakdown => "breakdown",
            Reason::Accident => "accident",
            Reason::Traffic => "traffic",
            Reason::ConsigneeClosed => "consignee_closed",
            Reason::AddressProblem => "address_problem",
            Reason::MissingDocuments => "missing_documents",
            Reason::CustomsHold => "customs_hold",
            Reason::Capacity => "capacity",
            Reason::Other => "other",
        }
    }

    pub fn parse(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        let (en, zh) = match self {
            Reason::Weather => ("Weather", "天气原因"),
            Reason::Breakdown => ("Vehicle breakdown", "车辆故障"),
            Reason::Accident => ("Accident", "交通事故"),
            Reason::Traffic => ("Traffic", "交通拥堵"),
            Reason::ConsigneeClosed => ("Consignee closed", "收货方未营业"),
            Reason::AddressProblem => ("Address problem", "地址问题"),
            Reason::MissingDocuments => ("Missing documents", "单据缺失"),
            Reason::CustomsHold => ("Customs hold", "海关扣留"),
            Reason::Capacity => ("No capacity", "运力不足"),
            Reason::Other => ("Other", "其他"),
        };
        lang.pick(en, zh)
    }
}

/// Whether an event's time is a plan, a forecast or what happened (DCSA's classifier).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum TimeKind {
    Planned,
    Estimated,
    #[default]
    Actual,
}

impl TimeKind {
    pub const ALL: [TimeKind; 3] = [TimeKind::Planned, TimeKind::Estimated, TimeKind::Actual];

    pub fn code(self) -> &'static str {
        match self {
            TimeKind::Planned => "planned",
            TimeKind::Estimated => "estimated",
            TimeKind::Actual => "actual",
        }
    }

    pub fn parse(code: &str) -> Option<TimeKind> {
        TimeKind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            TimeKind::Planned => lang.pick("Planned", "计划"),
            TimeKind::Estimated => lang.pick("Estimated", "预计"),
            TimeKind::Actual => lang.pick("Actual", "实际"),
        }
    }
}

/// Where an event came from.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Driver,
    Dispatcher,
    PartnerApi,
    #[default]
    Manual,
}

impl Source {
    pub const ALL: [Source; 4] = [
        Source::Driver,
        Source::Dispatcher,
        Source::PartnerApi,
        Source::Manual,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Source::Driver => "driver",
            Source::Dispatcher => "dispatcher",
            Source::PartnerApi => "partner_api",
            Source::Manual => "manual",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Source::Driver => lang.pick("Driver", "司机"),
            Source::Dispatcher => lang.pick("Dispatcher", "调度"),
            Source::PartnerApi => lang.pick("Partner system", "合作方系统"),
            Source::Manual => lang.pick("Manual entry", "手工录入"),
        }
    }
}

#[cfg(test)]
mod tests;
