//! Figures over a list of shipments: on-time rate and delay by carrier and by lane, counts
//! by status, open exceptions, and how ETAs were revised and why. Deterministic: the same
//! shipments, in any order, give the same report.
//!
//! - A shipment counts for on-time figures once delivered (it has an actual delivery
//!   time). It is **on time** when delivered at most `grace_minutes` after its planned
//!   delivery.
//! - Its **delay** is how late it was against the planned delivery (not the ETA), in
//!   started minutes; early counts as 0. Average and p90 (nearest rank) are over
//!   delivered shipments, on-time ones included.
//! - A **lane** is origin → destination, each trimmed, inner spaces collapsed and in lower
//!   case, so `Shanghai ` and `shanghai` are one lane.

use std::collections::BTreeMap;

use serde::Serialize;

use super::shipment::{OrgRef, Shipment};
use super::status::{Reason, Status};
use super::time::MINUTE_MS;

/// On-time delivery figures for a group of shipments.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Performance {
    /// Carrier organization ID, lane key, or empty for all shipments.
    pub key: String,
    /// Carrier name or lane (`shanghai → beijing`).
    pub label: String,
    /// Shipments in the group (any status).
    pub shipments: usize,
    pub delivered: usize,
    pub on_time: usize,
    /// `on_time / delivered`, when something was delivered.
    pub on_time_rate: Option<f64>,
    pub avg_delay_minutes: Option<f64>,
    pub p90_delay_minutes: Option<i64>,
    pub max_delay_minutes: Option<i64>,
}

/// A shipment currently delayed, on hold or after a failed delivery.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OpenException {
    pub shipment_id: String,
    pub waybill: String,
    pub status: Status,
    pub reason: Option<Reason>,
    pub since_ms: i64,
    pub carrier: Option<OrgRef>,
    pub eta_ms: i64,
}

/// How ETAs were revised.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EtaStats {
    pub revisions: usize,
    /// Shipments with at least one revision.
    pub shipments_revised: usize,
    /// Revisions per shipment, over all shipments.
    pub avg_per_shipment: Option<f64>,
    pub max_per_shipment: usize,
    /// Revisions that moved the ETA later / earlier than the one before (or the plan).
    pub later: usize,
    pub earlier: usize,
    /// Reasons given for later ETAs, most common first.
    pub delay_reasons: Vec<(Reason, usize)>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub grace_minutes: i64,
    pub overall: Performance,
    pub by_carrier: Vec<Performance>,
    pub by_lane: Vec<Performance>,
    /// Every status with its count, in [`Status::ALL`] order.
    pub by_status: Vec<(Status, usize)>,
    /// Oldest first.
    pub open_exceptions: Vec<OpenException>,
    pub eta: EtaStats,
    /// Reasons of exception events (delayed, on hold, failed delivery, returned) that moved
    /// the status, most common first.
    pub exception_reasons: Vec<(Reason, usize)>,
}

/// A place as lanes compare it: trimmed, inner whitespace collapsed to one space, lower case.
pub fn normalise_place(place: &str) -> String {
    place
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// `origin → destination`, normalised.
pub fn lane_key(origin: &str, destination: &str) -> String {
    format!(
        "{} → {}",
        normalise_place(origin),
        normalise_place(destination)
    )
}

/// How late the delivery was, in started minutes (0 when on or before the plan); `None`
/// until delivered.
pub fn delay_minutes(s: &Shipment) -> Option<i64> {
    let late = s.actual_delivery_ms?.saturating_sub(s.planned_delivery_ms);
    Some(if late <= 0 {
        0
    } else {
        late.saturating_add(MINUTE_MS - 1) / MINUTE_MS
    })
}

/// Whether the delivery was on time; `None` until delivered.
pub fn on_time(s: &Shipment, grace_minutes: i64) -> Option<bool> {
    let grace = grace_minutes.max(0).saturating_mul(MINUTE_MS);
    Some(s.actual_delivery_ms? <= s.planned_delivery_ms.saturating_add(grace))
}

fn performance(key: String, label: String, group: &[&Shipment], grace: i64) -> Performance {
    let mut delays: Vec<i64> = group.iter().filter_map(|s| delay_minutes(s)).collect();
    delays.sort_unstable();
    let delivered = delays.len();
    let on_time = group
        .iter()
        .filter(|s| on_time(s, grace) == Some(true))
        .count();
    let (rate, avg, p90, max) = if delivered == 0 {
        (None, None, None, None)
    } else {
        let n = delivered as f64;
        let sum: i64 = delays.iter().sum();
        // Nearest rank: the smallest delay with at least 90 % of deliveries at or below it.
        let rank = (delivered * 9).div_ceil(10).max(1);
        (
            Some(on_time as f64 / n),
            Some(sum as f64 / n),
            Some(delays[rank - 1]),
            delays.last().copied(),
        )
    };
    Performance {
        key,
        label,
        shipments: group.len(),
        delivered,
        on_time,
        on_time_rate: rate,
        avg_delay_minutes: avg,
        p90_delay_minutes: p90,
        max_delay_minutes: max,
    }
}

/// Counts, most common first, then in code order.
fn ranked(counts: BTreeMap<Reason, usize>) -> Vec<(Reason, usize)> {
    let mut out: Vec<(Reason, usize)> = counts.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

pub fn analyse(shipments: &[Shipment], grace_minutes: i64) -> Report {
    // A fixed order, whatever order the caller's list is in.
    let mut all: Vec<&Shipment> = shipments.iter().collect();
    all.sort_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));

    let overall = performance(String::new(), String::new(), &all, grace_minutes);

    let mut carriers: BTreeMap<&str, (&str, Vec<&Shipment>)> = BTreeMap::new();
    let mut lanes: BTreeMap<String, Vec<&Shipment>> = BTreeMap::new();
    for s in &all {
        if let Some(c) = &s.carrier {
            // The name of the newest shipment wins, should a carrier have been renamed.
            let entry = carriers.entry(&c.org_id).or_insert((&c.name, Vec::new()));
            entry.0 = &c.name;
            entry.1.push(s);
        }
        lanes
            .entry(lane_key(&s.origin, &s.destination))
            .or_default()
            .push(s);
    }
    let mut by_carrier: Vec<Performance> = carriers
        .into_iter()
        .map(|(id, (name, group))| {
            performance(id.to_string(), name.to_string(), &group, grace_minutes)
        })
        .collect();
    by_carrier.sort_by(|a, b| (&a.label, &a.key).cmp(&(&b.label, &b.key)));
    let by_lane: Vec<Performance> = lanes
        .into_iter()
        .map(|(lane, group)| performance(lane.clone(), lane, &group, grace_minutes))
        .collect();

    let by_status = Status::ALL
        .into_iter()
        .map(|st| (st, all.iter().filter(|s| s.status == st).count()))
        .collect();

    let mut open_exceptions: Vec<OpenException> = all
        .iter()
        .filter(|s| s.status.is_exception())
        .map(|s| OpenException {
            shipment_id: s.id.clone(),
            waybill: s.waybill.clone(),
            status: s.status,
            reason: s.current_reason(),
            since_ms: s.status_since_ms,
            carrier: s.carrier.clone(),
            eta_ms: s.effective_eta(),
        })
        .collect();
    open_exceptions.sort_by(|a, b| (a.since_ms, &a.waybill).cmp(&(b.since_ms, &b.waybill)));

    let mut eta = EtaStats {
        revisions: 0,
        shipments_revised: 0,
        avg_per_shipment: None,
        max_per_shipment: 0,
        later: 0,
        earlier: 0,
        delay_reasons: Vec::new(),
    };
    let mut delay_reasons: BTreeMap<Reason, usize> = BTreeMap::new();
    let mut exception_reasons: BTreeMap<Reason, usize> = BTreeMap::new();
    for s in &all {
        let n = s.eta_history.len();
        eta.revisions += n;
        eta.shipments_revised += usize::from(n > 0);
        eta.max_per_shipment = eta.max_per_shipment.max(n);
        for r in &s.eta_history {
            let before = r.previous_ms.unwrap_or(s.planned_delivery_ms);
            if r.eta_ms > before {
                eta.later += 1;
                if let Some(reason) = r.reason {
                    *delay_reasons.entry(reason).or_default() += 1;
                }
            } else if r.eta_ms < before {
                eta.earlier += 1;
            }
        }
        for e in &s.events {
            if e.applied
                && (e.status.is_exception() || e.status == Status::Returned)
                && let Some(reason) = e.reason
            {
                *exception_reasons.entry(reason).or_default() += 1;
            }
        }
    }
    if !all.is_empty() {
        eta.avg_per_shipment = Some(eta.revisions as f64 / all.len() as f64);
    }
    eta.delay_reasons = ranked(delay_reasons);

    Report {
        grace_minutes,
        overall,
        by_carrier,
        by_lane,
        by_status,
        open_exceptions,
        eta,
        exception_reasons: ranked(exception_reasons),
    }
}

#[cfg(test)]
mod tests;
