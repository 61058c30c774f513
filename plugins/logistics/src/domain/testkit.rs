//! The cast and helpers of the domain tests: a manufacturer (the plugin's organization and
//! shipper), a carrier and a second carrier, a dealer and a second dealer, and a driver from
//! a subcontractor.

use super::access::Viewer;
use super::error::ShipmentError;
use super::shipment::{Change, GoodsLine, NewEvent, NewShipment, OrgRef, PersonRef, Shipment};
use super::status::{Reason, Status};
use super::time::{HOUR_MS, MINUTE_MS};

/// 2026-11-30T08:00:00Z, 16:00 in Shanghai.
pub const T0: i64 = 1_796_025_600_000;
pub const MIN: i64 = MINUTE_MS;
pub const HOUR: i64 = HOUR_MS;

pub const MAKER: &str = "org-maker";
pub const CARRIER: &str = "org-carrier";
pub const CARRIER2: &str = "org-carrier2";
pub const DEALER: &str = "org-dealer";
pub const DEALER2: &str = "org-dealer2";
pub const SUBCONTRACTOR: &str = "org-sub";

fn name(id: &str) -> String {
    let mut n = id.to_string();
    if let Some(first) = n.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    n
}

/// Staff of the manufacturer.
pub fn staff(id: &str) -> Viewer {
    Viewer {
        person_id: id.into(),
        name: name(id),
        org_id: MAKER.into(),
        staff: true,
        org_admin: false,
        system: false,
    }
}

/// Someone of a partner organization (a guest in the manufacturer's groups).
pub fn guest(id: &str, org: &str) -> Viewer {
    Viewer {
        person_id: id.into(),
        name: name(id),
        org_id: org.into(),
        staff: false,
        org_admin: false,
        system: false,
    }
}

pub fn alice() -> Viewer {
    staff("alice")
}

/// The carrier's dispatcher.
pub fn lina() -> Viewer {
    guest("lina", CARRIER)
}

/// The dealer.
pub fn dan() -> Viewer {
    guest("dan", DEALER)
}

/// The driver, from a subcontractor.
pub fn dave() -> Viewer {
    guest("dave", SUBCONTRACTOR)
}

pub fn carrier() -> OrgRef {
    OrgRef::new(CARRIER, "Swift Freight 迅达物流")
}

pub fn line(description: &str, quantity: f64, unit: &str, weight_kg: f64) -> GoodsLine {
    GoodsLine {
        description: description.into(),
        quantity,
        unit: unit.into(),
        weight_kg,
    }
}

pub fn new_shipment() -> NewShipment {
    NewShipment {
        reference: Some("PO-2026-0042".into()),
        origin: "Suzhou plant 苏州工厂".into(),
        destination: "Beijing dealer 北京经销商".into(),
        planned_pickup_ms: T0 + HOUR,
        planned_delivery_ms: T0 + 30 * HOUR,
        goods: vec![
            line("Pump housing 泵壳", 40.0, "pcs", 800.0),
            line("Spare parts", 2.5, "pallet", 310.5),
        ],
        shipper: OrgRef::new(MAKER, "Acme Pumps 艾克美泵业"),
        consignee: OrgRef::new(DEALER, "North Dealer 北方经销"),
        stops: vec![],
    }
}

/// A new shipment, created by Alice at `T0`.
pub fn created() -> Shipment {
    Shipment::create(
        "s1",
        MAKER,
        "WB20261130-0001",
        &new_shipment(),
        &alice(),
        T0,
    )
    .expect("created")
}

/// Offered to the carrier.
pub fn published() -> Shipment {
    let mut s = created();
    ok(s.publish(&alice(), &carrier(), T0 + MIN));
    s
}

/// Accepted by Lina, Dave assigned on truck 沪A·12345.
pub fn assigned() -> Shipment {
    let mut s = published();
    ok(s.accept(&lina(), T0 + 2 * MIN));
    ok(s.assign(
        &lina(),
        "沪A·12345",
        Some(&PersonRef::new("dave", "Dave")),
        T0 + 3 * MIN,
    ));
    s
}

/// Picked up at `T0 + 1h` and on the road at `T0 + 2h`; the clock is at `T0 + 3h`.
pub fn on_the_road() -> Shipment {
    let mut s = assigned();
    ok(s.record(&dave(), at(Status::PickedUp, T0 + HOUR), T0 + HOUR));
    ok(s.record(&dave(), at(Status::InTransit, T0 + 2 * HOUR), T0 + 2 * HOUR));
    s
}

pub fn at(status: Status, at_ms: i64) -> NewEvent {
    NewEvent::actual(status, at_ms)
}

pub fn with_reason(status: Status, at_ms: i64, reason: Reason) -> NewEvent {
    NewEvent {
        reason: Some(reason),
        ..NewEvent::actual(status, at_ms)
    }
}

pub fn ok(r: Result<Change, ShipmentError>) -> Change {
    r.unwrap_or_else(|e| panic!("refused: {}", e.en()))
}

/// Runs `f` and expects a refusal that leaves the shipment exactly as it was.
pub fn refused(
    s: &mut Shipment,
    f: impl FnOnce(&mut Shipment) -> Result<Change, ShipmentError>,
) -> ShipmentError {
    let before = s.clone();
    let e = f(s).expect_err("should be refused");
    assert_eq!(*s, before, "a refused operation changed the shipment");
    assert!(!e.en().is_empty() && !e.zh().is_empty());
    e
}
