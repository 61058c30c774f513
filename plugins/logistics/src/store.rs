//! What the plugin keeps, in records:
//! - `shipments` — one per shipment (id = the shipment id), the domain [`Shipment`] with
//!   the group it belongs to and its card there; linked `group` → that group and `driver`
//!   → the driver;
//! - `waybills` — one per waybill number (id = the number, upper case): the shipment id,
//!   so numbers stay unique and `/shipment WB…` finds its shipment;
//! - `counters` — per-day sequence numbers for generated waybills;
//! - `partners` — one per partner organization with API access (id = the org id): the
//!   SHA-256 of its token;
//! - `pushes` — one per partner event id received (idempotency).

use courtyard_sdk::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::Shipment;

/// How often a read-change-write reruns after losing a race.
pub const RETRIES: usize = 8;
/// The most shipments a list, page, export or analysis reads.
pub const MAX_SCAN: usize = 5000;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Stored {
    pub shipment: Shipment,
    /// Where the shipment's card is (the group it was created in).
    #[serde(default)]
    pub group_id: Option<String>,
    #[serde(default)]
    pub card_id: Option<String>,
    /// Who sees the card now (kept to tell when it must change).
    #[serde(default)]
    pub audience: Vec<String>,
    /// The language the card is drawn in: its creator's (`en` or `zh-CN`).
    #[serde(default)]
    pub lang: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WaybillEntry {
    pub shipment_id: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Counter {
    pub next: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Partner {
    pub org_id: String,
    pub name: String,
    /// Hex SHA-256 of the token; the token itself is shown once.
    pub token_sha256: String,
    pub created_by: String,
    pub created_ms: i64,
    /// The partner's own status codes, beside the default (EDI 214-like) ones.
    #[serde(default)]
    pub codes: std::collections::BTreeMap<String, crate::domain::Status>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Push {
    pub shipment_id: String,
    pub at_ms: i64,
}

pub fn shipments() -> Collection<Stored> {
    Collection::named("shipments")
}

pub fn waybills() -> Collection<WaybillEntry> {
    Collection::named("waybills")
}

pub fn counters() -> Collection<Counter> {
    Collection::named("counters")
}

pub fn partners() -> Collection<Partner> {
    Collection::named("partners")
}

pub fn pushes() -> Collection<Push> {
    Collection::named("pushes")
}

pub fn links(stored: &Stored) -> Vec<Link> {
    let mut links = Vec::new();
    if let Some(g) = &stored.group_id {
        links.push(Link::group("group", g.clone()));
    }
    if let Some(d) = &stored.shipment.driver {
        links.push(Link::person("driver", d.id.clone()));
    }
    links
}

/// The shipment a waybill number names.
pub fn by_waybill(waybill: &str) -> Result<Option<Versioned<Stored>>> {
    let Some(entry) = waybills().get(&waybill.trim().to_ascii_uppercase())? else {
        return Ok(None);
    };
    shipments().get(&entry.value.shipment_id)
}

/// Every shipment (up to [`MAX_SCAN`]), newest change first.
pub fn all() -> Result<Vec<Versioned<Stored>>> {
    shipments().list_all(MAX_SCAN)
}

/// The shipments `viewer` may see (up to [`MAX_SCAN`] read), newest change first, that
/// match `status` and `q` (a waybill or reference fragment) when given.
pub fn visible(
    viewer: &crate::domain::Viewer,
    status: Option<&str>,
    q: Option<&str>,
) -> Result<Vec<crate::domain::Shipment>> {
    let q = q.map(str::to_lowercase);
    let contains = |text: &str, q: &str| text.to_lowercase().contains(q);
    Ok(all()?
        .into_iter()
        .map(|r| r.value.shipment)
        .filter(|s| crate::domain::access::can_see(viewer, s))
        .filter(|s| status.is_none_or(|st| s.status.code() == st))
        .filter(|s| {
            q.as_deref().is_none_or(|q| {
                contains(&s.waybill, q) || s.reference.as_deref().is_some_and(|r| contains(r, q))
            })
        })
        .collect())
}

/// The next number of today's sequence.
pub fn next_sequence(day: &str) -> Result<u32> {
    for _ in 0..RETRIES {
        match counters().get(day)? {
            None => match counters().create(day, Counter { next: 2 }, Vec::new()) {
                Ok(_) => return Ok(1),
                Err(e) if e.is_conflict() => continue,
                Err(e) => return Err(e),
            },
            Some(mut c) => {
                let n = c.value.next.max(1);
                c.value.next = n + 1;
                match counters().save(&mut c) {
                    Ok(()) => return Ok(n),
                    Err(e) if e.is_conflict() => continue,
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Err(Error::new(
        ErrorKind::Conflict,
        "busy, try again / 繁忙，请重试",
    ))
}
