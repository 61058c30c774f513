use proptest::prelude::*;

use super::*;
use crate::domain::status::Why;
use crate::domain::testkit::*;

type Edit<'a> = Box<dyn FnOnce(&mut NewShipment) + 'a>;

fn invalid(e: ShipmentError) -> (Field, Problem) {
    match e {
        ShipmentError::Invalid(Invalid { field, problem }) => (field, problem),
        other => panic!("expected a field error, got {other:?}"),
    }
}

fn create_with(edit: impl FnOnce(&mut NewShipment)) -> Result<Shipment, ShipmentError> {
    let mut new = new_shipment();
    edit(&mut new);
    Shipment::create("s1", MAKER, "WB20261130-0001", &new, &alice(), T0)
}

fn create_err(edit: impl FnOnce(&mut NewShipment)) -> (Field, Problem) {
    invalid(create_with(edit).expect_err("should be refused"))
}

fn stop(kind: StopKind, place: &str) -> NewStop {
    NewStop {
        kind,
        place: place.into(),
        window_from_ms: None,
        window_to_ms: None,
        planned_arrival_ms: None,
    }
}

fn statuses(s: &Shipment) -> Vec<(Status, bool)> {
    s.events.iter().map(|e| (e.status, e.applied)).collect()
}

// ---------------------------------------------------------------------------------------
// Creating

#[test]
fn create_makes_a_planned_shipment_with_its_first_event() {
    let s = Shipment::create(
        " s1 ",
        MAKER,
        " wb20261130-0001 ",
        &new_shipment(),
        &alice(),
        T0,
    )
    .unwrap();
    assert_eq!(s.id, "s1");
    assert_eq!(s.org_id, MAKER);
    assert_eq!(s.waybill, "WB20261130-0001");
    assert_eq!(s.reference.as_deref(), Some("PO-2026-0042"));
    assert_eq!(s.status, Status::Created);
    assert_eq!(s.status_since_ms, T0);
    assert_eq!(s.carrier, None);
    assert_eq!(s.goods.len(), 2);
    assert_eq!(s.total_weight_kg(), 1110.5);
    assert_eq!(s.created_by, PersonRef::new("alice", "Alice"));
    assert_eq!((s.created_ms, s.updated_ms, s.version), (T0, T0, 1));
    assert_eq!(statuses(&s), [(Status::Created, true)]);
    assert_eq!(s.events[0].id, 1);
    assert_eq!(s.events[0].by.id, "alice");
    // Without stops, the route is origin → destination at the planned times.
    assert_eq!(s.stops.len(), 2);
    assert_eq!(s.stops[0].kind, StopKind::Pickup);
    assert_eq!(s.stops[0].place, "Suzhou plant 苏州工厂");
    assert_eq!(s.stops[0].planned_arrival_ms, Some(T0 + HOUR));
    assert_eq!(s.stops[1].kind, StopKind::Delivery);
    assert_eq!(s.stops[1].planned_arrival_ms, Some(T0 + 30 * HOUR));
    assert_eq!(s.effective_eta(), T0 + 30 * HOUR);
    assert_eq!(
        s.next_statuses(),
        [Status::Accepted, Status::OnHold, Status::Cancelled]
    );
}

#[test]
fn create_keeps_given_stops_and_trims_text() {
    let s = create_with(|n| {
        n.origin = "  Suzhou ".into();
        n.reference = Some("   ".into());
        n.stops = vec![
            NewStop {
                window_from_ms: Some(T0 + HOUR),
                window_to_ms: Some(T0 + 2 * HOUR),
                ..stop(StopKind::Pickup, "Suzhou")
            },
            stop(StopKind::Pickup, "Wuxi supplier"),
            stop(StopKind::Via, "Jinan hub"),
            NewStop {
                planned_arrival_ms: Some(T0 + 30 * HOUR),
                ..stop(StopKind::Delivery, "Beijing")
            },
        ];
    })
    .unwrap();
    assert_eq!(s.origin, "Suzhou");
    assert_eq!(s.reference, None);
    assert_eq!(s.stops.len(), 4);
    assert_eq!(s.stops[0].window_to_ms, Some(T0 + 2 * HOUR));
    assert_eq!(s.stops[2].kind, StopKind::Via);
    assert_eq!(s.stops[3].planned_arrival_ms, Some(T0 + 30 * HOUR));
}

#[test]
fn create_refuses_every_bad_field() {
    use Field as F;
    use Problem as P;
    let long = |n: usize| "x".repeat(n);
    let lines = |n: usize| vec![line("Bolt", 1.0, "pcs", 1.0); n];
    let stops = |n: usize| {
        let mut v = vec![stop(StopKind::Pickup, "A")];
        v.extend((2..n).map(|_| stop(StopKind::Via, "B")));
        v.push(stop(StopKind::Delivery, "C"));
        v
    };
    let cases: Vec<(Edit, Field, Problem)> = vec![
        (
            Box::new(|n| n.reference = Some(long(65))),
            F::Reference,
            P::TooLong { max: 64 },
        ),
        (Box::new(|n| n.origin = " ".into()), F::Origin, P::Required),
        (
            Box::new(|n| n.origin = long(201)),
            F::Origin,
            P::TooLong { max: 200 },
        ),
        (
            Box::new(|n| n.destination = "Bei\njing".into()),
            F::Destination,
            P::ControlChars,
        ),
        (
            Box::new(|n| n.planned_pickup_ms = 0),
            F::PlannedPickup,
            P::ImplausibleTime,
        ),
        (
            Box::new(|n| n.planned_delivery_ms = i64::MAX),
            F::PlannedDelivery,
            P::ImplausibleTime,
        ),
        (
            Box::new(|n| n.planned_delivery_ms = n.planned_pickup_ms - 1),
            F::PlannedDelivery,
            P::Before(F::PlannedPickup),
        ),
        (
            Box::new(|n| n.goods = vec![]),
            F::Goods,
            P::TooFew { min: 1 },
        ),
        (
            Box::new(move |n| n.goods = lines(201)),
            F::Goods,
            P::TooMany { max: 200 },
        ),
        (
            Box::new(|n| n.goods[1].description = "".into()),
            F::GoodsDescription(1),
            P::Required,
        ),
        (
            Box::new(|n| n.goods[0].quantity = 0.0),
            F::GoodsQuantity(0),
            P::NotPositive,
        ),
        (
            Box::new(|n| n.goods[0].quantity = -3.0),
            F::GoodsQuantity(0),
            P::NotPositive,
        ),
        (
            Box::new(|n| n.goods[0].quantity = f64::NAN),
            F::GoodsQuantity(0),
            P::NotPositive,
        ),
        (
            Box::new(|n| n.goods[0].quantity = 2e9),
            F::GoodsQuantity(0),
            P::TooLarge { max: MAX_QUANTITY },
        ),
        (
            Box::new(|n| n.goods[1].unit = long(17)),
            F::GoodsUnit(1),
            P::TooLong { max: 16 },
        ),
        (
            Box::new(|n| n.goods[1].weight_kg = 0.0),
            F::GoodsWeight(1),
            P::NotPositive,
        ),
        (
            Box::new(|n| n.goods[1].weight_kg = 1_000_001.0),
            F::GoodsWeight(1),
            P::TooLarge { max: MAX_WEIGHT_KG },
        ),
        (
            Box::new(|n| n.shipper.org_id = "".into()),
            F::ShipperId,
            P::Required,
        ),
        (
            Box::new(|n| n.shipper.name = "\u{7}".into()),
            F::ShipperName,
            P::ControlChars,
        ),
        (
            Box::new(|n| n.consignee.org_id = long(129)),
            F::ConsigneeId,
            P::TooLong { max: 128 },
        ),
        (
            Box::new(|n| n.consignee.name = "".into()),
            F::ConsigneeName,
            P::Required,
        ),
        (
            Box::new(|n| n.stops = vec![stop(StopKind::Pickup, "A")]),
            F::Stops,
            P::TooFew { min: 2 },
        ),
        (
            Box::new(move |n| n.stops = stops(21)),
            F::Stops,
            P::TooMany { max: 20 },
        ),
        (
            Box::new(|n| n.stops = vec![stop(StopKind::Via, "A"), stop(StopKind::Delivery, "B")]),
            F::Stops,
            P::StopOrder,
        ),
        (
            Box::new(|n| n.stops = vec![stop(StopKind::Pickup, "A"), stop(StopKind::Via, "B")]),
            F::Stops,
            P::StopOrder,
        ),
        (
            Box::new(|n| {
                n.stops = vec![stop(StopKind::Pickup, "A"), stop(StopKind::Delivery, " ")]
            }),
            F::StopPlace(1),
            P::Required,
        ),
        (
            Box::new(|n| {
                n.stops = vec![
                    NewStop {
                        window_from_ms: Some(T0 + HOUR),
                        window_to_ms: Some(T0),
                        ..stop(StopKind::Pickup, "A")
                    },
                    stop(StopKind::Delivery, "B"),
                ]
            }),
            F::StopWindowEnd(0),
            P::EndBeforeStart,
        ),
        (
            Box::new(|n| {
                n.stops = vec![
                    NewStop {
                        window_from_ms: Some(-5),
                        ..stop(StopKind::Pickup, "A")
                    },
                    stop(StopKind::Delivery, "B"),
                ]
            }),
            F::StopWindowStart(0),
            P::ImplausibleTime,
        ),
        (
            Box::new(|n| {
                n.stops = vec![
                    stop(StopKind::Pickup, "A"),
                    NewStop {
                        planned_arrival_ms: Some(1),
                        ..stop(StopKind::Delivery, "B")
                    },
                ]
            }),
            F::StopPlanned(1),
            P::ImplausibleTime,
        ),
    ];
    for (edit, field, problem) in cases {
        assert_eq!(create_err(edit), (field, problem));
    }
    // The ID and the waybill.
    let new = new_shipment();
    let e = Shipment::create("", MAKER, "WB1", &new, &alice(), T0).unwrap_err();
    assert_eq!(invalid(e), (F::Id, P::Required));
    let e = Shipment::create("s1", MAKER, "WB 1", &new, &alice(), T0).unwrap_err();
    assert_eq!(
        invalid(e),
        (
            F::Waybill,
            P::Waybill(waybill::WaybillError::BadChar { c: ' ' })
        )
    );
    let e = Shipment::create("s1", MAKER, "", &new, &alice(), T0).unwrap_err();
    assert_eq!(e.en(), "Waybill number is required");
    assert_eq!(e.zh(), "运单号不能为空");
}

#[test]
fn only_staff_of_the_organization_create_shipments() {
    let new = new_shipment();
    for who in [
        guest("gina", MAKER),
        lina(),
        dan(),
        Viewer::partner_system("p1", MAKER, "ERP"),
        Viewer {
            org_id: "org-other".into(),
            ..alice()
        },
    ] {
        let e = Shipment::create("s1", MAKER, "WB1", &new, &who, T0).unwrap_err();
        assert_eq!(e, ShipmentError::Forbidden(Action::Create), "{who:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Publishing, accepting, declining, assigning

#[test]
fn publish_offers_the_shipment_to_a_carrier() {
    let mut s = created();
    let change = ok(s.publish(&alice(), &carrier(), T0 + MIN));
    assert_eq!(change, Change::Published { carrier: carrier() });
    assert_eq!(s.carrier, Some(carrier()));
    assert_eq!(s.published_ms, Some(T0 + MIN));
    assert_eq!(s.version, 2);
    assert_eq!(s.updated_ms, T0 + MIN);
    assert_eq!(
        s.activity,
        [Activity {
            at_ms: T0 + MIN,
            by: alice().person(),
            kind: ActivityKind::Published { carrier: carrier() }
        }]
    );
    // Offered to another carrier before anyone accepted: the first loses sight of it.
    let other = OrgRef::new(CARRIER2, "Other Freight");
    ok(s.publish(&alice(), &other, T0 + 2 * MIN));
    assert!(!access::can_see(&lina(), &s));
    assert!(access::can_see(&guest("kai", CARRIER2), &s));
}

#[test]
fn publish_is_for_the_shipper_and_only_before_acceptance() {
    let mut s = created();
    assert_eq!(
        refused(&mut s, |s| s.publish(&dan(), &carrier(), T0)),
        ShipmentError::Forbidden(Action::Publish)
    );
    assert_eq!(
        refused(&mut s, |s| s.publish(&lina(), &carrier(), T0)),
        ShipmentError::NotFound
    );
    let e = refused(&mut s, |s| s.publish(&alice(), &OrgRef::new(" ", "X"), T0));
    assert_eq!(invalid(e), (Field::CarrierId, Problem::Required));
    let e = refused(&mut s, |s| s.publish(&alice(), &OrgRef::new("c", ""), T0));
    assert_eq!(invalid(e), (Field::CarrierName, Problem::Required));
    let mut s = assigned();
    assert_eq!(
        refused(&mut s, |s| s.publish(&alice(), &carrier(), T0)),
        ShipmentError::AlreadyAccepted
    );
}

#[test]
fn the_carrier_accepts_and_becomes_dispatcher() {
    let mut s = published();
    let change = ok(s.accept(&lina(), T0 + 2 * MIN));
    assert_eq!(
        change,
        Change::Status {
            status: Status::Accepted,
            previous: Status::Created,
            applied: true
        }
    );
    assert_eq!(s.status, Status::Accepted);
    assert_eq!(s.dispatcher, Some(PersonRef::new("lina", "Lina")));
    let e = s.events.last().unwrap();
    assert_eq!(
        (e.id, e.source, e.at_ms),
        (2, Source::Dispatcher, T0 + 2 * MIN)
    );
    // Twice: already accepted.
    let e = refused(&mut s, |s| s.accept(&lina(), T0 + 3 * MIN));
    assert!(matches!(e, ShipmentError::Transition(r) if r.why == Why::AlreadyAccepted));
}

#[test]
fn accepting_needs_an_offer_and_the_carrier() {
    let mut s = created();
    assert_eq!(
        refused(&mut s, |s| s.accept(&lina(), T0)),
        ShipmentError::NotFound
    );
    assert_eq!(
        refused(&mut s, |s| s.accept(&alice(), T0)),
        ShipmentError::NotPublished
    );
    let mut s = published();
    assert_eq!(
        refused(&mut s, |s| s.accept(&dan(), T0)),
        ShipmentError::Forbidden(Action::RecordStatus(Status::Accepted))
    );
    assert_eq!(
        refused(&mut s, |s| s.accept(&guest("kai", CARRIER2), T0)),
        ShipmentError::NotFound
    );
    // The carrier's system may accept; no person becomes dispatcher.
    let system = Viewer::partner_system("tms", CARRIER, "Swift TMS");
    ok(s.accept(&system, T0 + 2 * MIN));
    assert_eq!(s.dispatcher, None);
    assert_eq!(s.events.last().unwrap().source, Source::PartnerApi);
}

#[test]
fn the_carrier_declines_and_loses_sight() {
    let mut s = published();
    let change = ok(s.decline(&lina(), Some(" No trucks on Monday "), T0 + 2 * MIN));
    assert_eq!(change, Change::Declined { carrier: carrier() });
    assert_eq!((s.carrier.as_ref(), s.published_ms), (None, None));
    assert_eq!(
        s.activity.last().unwrap().kind,
        ActivityKind::Declined {
            carrier: carrier(),
            note: Some("No trucks on Monday".into())
        }
    );
    assert!(!access::can_see(&lina(), &s));
    assert_eq!(s.status, Status::Created);
    assert_eq!(
        refused(&mut s, |s| s.decline(&alice(), None, T0)),
        ShipmentError::NotPublished
    );
    let mut s = assigned();
    assert_eq!(
        refused(&mut s, |s| s.decline(&lina(), None, T0)),
        ShipmentError::AlreadyAccepted
    );
    let mut s = published();
    assert_eq!(
        refused(&mut s, |s| s.decline(&dan(), None, T0)),
        ShipmentError::Forbidden(Action::Decline)
    );
}

#[test]
fn assigning_vehicle_and_driver() {
    let mut s = published();
    assert_eq!(
        refused(&mut s, |s| s.assign(&lina(), "沪A·12345", None, T0)),
        ShipmentError::NotAccepted
    );
    ok(s.accept(&lina(), T0 + 2 * MIN));
    assert_eq!(
        refused(&mut s, |s| s.assign(&dan(), "沪A·12345", None, T0)),
        ShipmentError::Forbidden(Action::Assign)
    );
    let e = refused(&mut s, |s| s.assign(&lina(), " ", None, T0));
    assert_eq!(invalid(e), (Field::Vehicle, Problem::Required));
    let e = refused(&mut s, |s| s.assign(&lina(), &"A".repeat(21), None, T0));
    assert_eq!(invalid(e), (Field::Vehicle, Problem::TooLong { max: 20 }));
    let e = refused(&mut s, |s| {
        s.assign(&lina(), "X1", Some(&PersonRef::new("", "Dave")), T0)
    });
    assert_eq!(invalid(e), (Field::DriverId, Problem::Required));

    let dave_ref = PersonRef::new("dave", "Dave");
    let change = ok(s.assign(&lina(), " 沪A·12345 ", Some(&dave_ref), T0 + 3 * MIN));
    assert_eq!(
        change,
        Change::Assigned {
            driver_changed: true
        }
    );
    assert_eq!(s.vehicle.as_deref(), Some("沪A·12345"));
    assert_eq!(s.driver, Some(dave_ref.clone()));
    assert!(access::can_see(&dave(), &s));
    // The same again changes nothing, not even the version.
    let version = s.version;
    assert_eq!(
        ok(s.assign(&lina(), "沪A·12345", Some(&dave_ref), T0 + 4 * MIN)),
        Change::Unchanged
    );
    assert_eq!(s.version, version);
    // A new truck, same driver.
    let change = ok(s.assign(&alice(), "沪B·99999", Some(&dave_ref), T0 + 5 * MIN));
    assert_eq!(
        change,
        Change::Assigned {
            driver_changed: false
        }
    );
    // No driver any more: Dave no longer sees it.
    ok(s.assign(&lina(), "沪B·99999", None, T0 + 6 * MIN));
    assert!(!access::can_see(&dave(), &s));
    assert_eq!(s.activity.len(), 4);
}

#[test]
fn nothing_is_assigned_on_a_closed_shipment() {
    let mut s = on_the_road();
    ok(s.record(&dave(), at(Status::Delivered, T0 + 3 * HOUR), T0 + 3 * HOUR));
    assert_eq!(
        refused(&mut s, |s| s.assign(&lina(), "X", None, T0 + 4 * HOUR)),
        ShipmentError::Closed(Status::Delivered)
    );
}

// ---------------------------------------------------------------------------------------
// Status events

#[test]
fn a_simple_trip_from_pickup_to_delivery() {
    let mut s = assigned();
    let now = T0 + 5 * HOUR;
    let mut ev = at(Status::PickedUp, T0 + HOUR);
    ev.stop = Some(0);
    ev.place = Some("Suzhou dock 3".into());
    ev.lat = Some(31.3);
    ev.lon = Some(120.6);
    ev.source = Source::Driver;
    ev.attachments = vec!["f-photo-1".into()];
    ok(s.record(&dave(), ev, now));
    assert_eq!(s.actual_pickup_ms, Some(T0 + HOUR));
    assert_eq!(s.stops[0].actual_arrival_ms, Some(T0 + HOUR));
    let mut ev = at(Status::InTransit, T0 + 2 * HOUR);
    ev.stop = Some(0);
    ok(s.record(&dave(), ev, now));
    assert_eq!(s.stops[0].departed_ms, Some(T0 + 2 * HOUR));
    ok(s.record(&dave(), at(Status::OutForDelivery, T0 + 3 * HOUR), now));
    let mut ev = at(Status::Delivered, T0 + 4 * HOUR);
    ev.stop = Some(1);
    let change = ok(s.record(&dave(), ev, now));
    assert_eq!(
        change,
        Change::Status {
            status: Status::Delivered,
            previous: Status::OutForDelivery,
            applied: true
        }
    );
    assert_eq!(s.status, Status::Delivered);
    assert_eq!(s.status_since_ms, T0 + 4 * HOUR);
    assert_eq!(s.actual_delivery_ms, Some(T0 + 4 * HOUR));
    assert_eq!(s.stops[1].actual_arrival_ms, Some(T0 + 4 * HOUR));
    assert!(s.is_closed() && s.next_statuses().is_empty());
    let e = &s.events[2];
    assert_eq!(e.id, 3);
    assert_eq!(e.place.as_deref(), Some("Suzhou dock 3"));
    assert_eq!((e.lat, e.lon), (Some(31.3), Some(120.6)));
    assert_eq!(e.source, Source::Driver);
    assert_eq!(e.attachments, ["f-photo-1"]);
    assert_eq!(e.recorded_ms, now);
    assert_eq!(
        s.events.iter().map(|e| e.id).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6]
    );
    // A delivered shipment cannot go back in transit.
    let e = refused(&mut s, |s| {
        s.record(&dave(), at(Status::InTransit, now), now)
    });
    assert_eq!(
        e.en(),
        "The shipment is delivered: a closed shipment cannot go back to “In transit”."
    );
    assert_eq!(e.zh(), "运单已签收，已经结束，不能再改回“运输中”。");
}

#[test]
fn multi_stop_route_updates_each_stop() {
    let mut s = create_with(|n| {
        n.stops = vec![
            stop(StopKind::Pickup, "Suzhou"),
            stop(StopKind::Pickup, "Wuxi supplier"),
            stop(StopKind::Via, "Jinan hub"),
            stop(StopKind::Delivery, "Beijing"),
        ]
    })
    .unwrap();
    ok(s.publish(&alice(), &carrier(), T0));
    ok(s.accept(&lina(), T0));
    let now = T0 + 20 * HOUR;
    let steps = [
        (Status::Arrived, 0, 1),
        (Status::PickedUp, 0, 2),
        (Status::InTransit, 0, 3),
        (Status::Arrived, 1, 4),
        (Status::PickedUp, 1, 5),
        (Status::InTransit, 1, 6),
        (Status::Arrived, 2, 7),
        (Status::InTransit, 2, 8),
        (Status::Arrived, 3, 9),
        (Status::Delivered, 3, 10),
    ];
    for (status, stop, hour) in steps {
        let mut ev = at(status, T0 + hour * HOUR);
        ev.stop = Some(stop);
        ok(s.record(&lina(), ev, now));
    }
    let times: Vec<(Option<i64>, Option<i64>)> = s
        .stops
        .iter()
        .map(|st| {
            (
                st.actual_arrival_ms.map(|t| (t - T0) / HOUR),
                st.departed_ms.map(|t| (t - T0) / HOUR),
            )
        })
        .collect();
    assert_eq!(
        times,
        [
            (Some(1), Some(3)),
            (Some(4), Some(6)),
            (Some(7), Some(8)),
            (Some(9), None)
        ]
    );
    // The first pickup is the shipment's pickup.
    assert_eq!(s.actual_pickup_ms, Some(T0 + 2 * HOUR));
    assert_eq!(s.actual_delivery_ms, Some(T0 + 10 * HOUR));
}

#[test]
fn exceptions_need_a_reason_and_resume_where_the_shipment_was() {
    let mut s = on_the_road();
    let now = T0 + 3 * HOUR;
    for status in [
        Status::Delayed,
        Status::OnHold,
        Status::FailedDelivery,
        Status::Returned,
    ] {
        assert_eq!(
            refused(&mut s, |s| s.record(&dave(), at(status, now), now)),
            ShipmentError::ReasonRequired(status)
        );
    }
    ok(s.record(
        &dave(),
        with_reason(Status::Delayed, now, Reason::Weather),
        now,
    ));
    assert_eq!(s.status, Status::Delayed);
    assert_eq!(s.current_reason(), Some(Reason::Weather));
    assert_eq!(s.resume_status(), Some(Status::InTransit));
    assert_eq!(s.base_status(), Status::InTransit);
    assert!(s.next_statuses().contains(&Status::Delivered));
    assert!(!s.next_statuses().contains(&Status::PickedUp));
    // Picked up again? No: it was already in transit.
    let e = refused(&mut s, |s| {
        s.record(&dave(), at(Status::PickedUp, now), now)
    });
    assert!(matches!(e, ShipmentError::Transition(r) if r.why == Why::Backwards));
    // A second delay with another reason, then the road opens.
    ok(s.record(
        &dave(),
        with_reason(Status::Delayed, now + MIN, Reason::Traffic),
        now + MIN,
    ));
    ok(s.record(&dave(), at(Status::InTransit, now + 2 * MIN), now + 2 * MIN));
    assert_eq!(s.status, Status::InTransit);
    assert_eq!(s.resume_status(), None);
    assert_eq!(s.current_reason(), None);
}

#[test]
fn a_hold_before_acceptance_resumes_to_created() {
    let mut s = published();
    ok(s.record(
        &alice(),
        with_reason(Status::OnHold, T0 + MIN, Reason::MissingDocuments),
        T0 + MIN,
    ));
    assert_eq!(s.resume_status(), Some(Status::Created));
    ok(s.record(&alice(), at(Status::Created, T0 + 2 * MIN), T0 + 2 * MIN));
    assert_eq!(s.status, Status::Created);
    ok(s.accept(&lina(), T0 + 3 * MIN));
    assert_eq!(s.status, Status::Accepted);
}

#[test]
fn cancelling_is_for_the_shipper_and_only_before_pickup() {
    let mut s = assigned();
    assert_eq!(
        refused(&mut s, |s| s.cancel(&lina(), None, None, T0 + HOUR)),
        ShipmentError::Forbidden(Action::RecordStatus(Status::Cancelled))
    );
    let mut picked = on_the_road();
    let e = refused(&mut picked, |s| {
        s.cancel(&alice(), None, None, T0 + 3 * HOUR)
    });
    assert!(matches!(e, ShipmentError::Transition(r) if r.why == Why::CannotCancelPickedUp));
    assert_eq!(
        e.en(),
        "The goods have already been picked up: record a return instead of cancelling."
    );
    let change = ok(s.cancel(
        &alice(),
        Some(Reason::Capacity),
        Some("Order withdrawn"),
        T0 + HOUR,
    ));
    assert_eq!(
        change,
        Change::Status {
            status: Status::Cancelled,
            previous: Status::Accepted,
            applied: true
        }
    );
    let e = s.events.last().unwrap();
    assert_eq!(
        (e.reason, e.note.as_deref()),
        (Some(Reason::Capacity), Some("Order withdrawn"))
    );
    assert!(s.is_closed());
}

#[test]
fn a_return_after_pickup() {
    let mut s = on_the_road();
    let now = T0 + 3 * HOUR;
    ok(s.record(
        &dave(),
        with_reason(Status::FailedDelivery, now, Reason::ConsigneeClosed),
        now,
    ));
    ok(s.record(
        &dave(),
        with_reason(Status::Returned, now + MIN, Reason::ConsigneeClosed),
        now + MIN,
    ));
    assert_eq!(s.status, Status::Returned);
    assert_eq!(s.actual_delivery_ms, None);
}

#[test]
fn who_may_record_which_status() {
    let mut s = on_the_road();
    let now = T0 + 3 * HOUR;
    // The dealer: only delivered and failed delivery.
    assert_eq!(
        refused(&mut s, |s| s.record(&dan(), at(Status::Arrived, now), now)),
        ShipmentError::Forbidden(Action::RecordStatus(Status::Arrived))
    );
    // Other partners in the same group: the shipment does not exist for them.
    for other in [
        guest("kai", CARRIER2),
        guest("dora", DEALER2),
        guest("gina", MAKER),
    ] {
        assert_eq!(
            refused(&mut s, |s| s.record(&other, at(Status::Arrived, now), now)),
            ShipmentError::NotFound
        );
    }
    ok(s.record(&alice(), at(Status::Arrived, now), now));
    ok(s.record(&lina(), at(Status::Arrived, now), now));
    ok(s.record(&dave(), at(Status::Arrived, now), now));
    ok(s.record(
        &dan(),
        with_reason(Status::FailedDelivery, now, Reason::AddressProblem),
        now,
    ));
    ok(s.record(&dan(), at(Status::Delivered, now + MIN), now + MIN));
    assert_eq!(s.status, Status::Delivered);
}

#[test]
fn status_events_refuse_bad_fields_and_change_nothing() {
    let mut s = on_the_road();
    let now = T0 + 3 * HOUR;
    let check = |s: &mut Shipment, edit: &dyn Fn(&mut NewEvent)| {
        let mut ev = at(Status::Arrived, now);
        edit(&mut ev);
        refused(s, |s| s.record(&dave(), ev, now))
    };
    let field = |e: ShipmentError| invalid(e);
    assert_eq!(
        check(&mut s, &|e| e.at_ms = now + FUTURE_TOLERANCE_MS + 1),
        ShipmentError::FutureTime
    );
    assert_eq!(
        field(check(&mut s, &|e| e.at_ms = 12)),
        (Field::Time, Problem::ImplausibleTime)
    );
    assert_eq!(
        check(&mut s, &|e| e.stop = Some(2)),
        ShipmentError::UnknownStop { stop: 2, stops: 2 }
    );
    assert_eq!(
        field(check(&mut s, &|e| e.raw_code = Some("X".repeat(33)))),
        (Field::RawCode, Problem::TooLong { max: 32 })
    );
    assert_eq!(
        field(check(&mut s, &|e| e.place = Some("a\tb".into()))),
        (Field::Place, Problem::ControlChars)
    );
    assert_eq!(
        field(check(&mut s, &|e| e.note = Some("字".repeat(1001)))),
        (Field::Note, Problem::TooLong { max: 1000 })
    );
    assert_eq!(
        field(check(&mut s, &|e| e.lat = Some(31.0))),
        (Field::Longitude, Problem::PairIncomplete(Field::Latitude))
    );
    assert_eq!(
        field(check(&mut s, &|e| {
            e.lat = Some(91.0);
            e.lon = Some(0.0);
        })),
        (Field::Latitude, Problem::OutOfRange { min: -90, max: 90 })
    );
    assert_eq!(
        field(check(&mut s, &|e| {
            e.lat = Some(0.0);
            e.lon = Some(-180.5);
        })),
        (
            Field::Longitude,
            Problem::OutOfRange {
                min: -180,
                max: 180
            }
        )
    );
    assert_eq!(
        field(check(&mut s, &|e| e.attachments = vec!["f".into(); 21])),
        (Field::Attachments, Problem::TooMany { max: 20 })
    );
    assert_eq!(
        field(check(&mut s, &|e| e.attachments = vec!["f1".into(), "f1".into()])),
        (Field::Attachment(1), Problem::Duplicate)
    );
    assert_eq!(
        field(check(&mut s, &|e| e.attachments = vec!["".into()])),
        (Field::Attachment(0), Problem::Required)
    );
    assert_eq!(
        field(check(&mut s, &|e| e.external_id = Some("bad id".into()))),
        (Field::EventId, Problem::BadId)
    );
    // Within the tolerance, a time slightly ahead is fine; a note may span lines.
    let mut ev = at(Status::Arrived, now + FUTURE_TOLERANCE_MS);
    ev.note = Some("Gate 2\nunloading".into());
    ok(s.record(&dave(), ev, now));
}

#[test]
fn sources_are_who_reports_not_what_they_claim() {
    let mut s = on_the_road();
    let now = T0 + 3 * HOUR;
    let mut ev = at(Status::Arrived, now);
    ev.source = Source::PartnerApi;
    ok(s.record(&dave(), ev, now));
    assert_eq!(s.events.last().unwrap().source, Source::Manual);
    let mut ev = at(Status::Arrived, now);
    ev.source = Source::Driver;
    ok(s.record(&Viewer::partner_system("tms", CARRIER, "TMS"), ev, now));
    let e = s.events.last().unwrap();
    assert_eq!(e.source, Source::PartnerApi);
    assert_eq!(e.by, PersonRef::new("partner:tms", "TMS"));
}

#[test]
fn late_partner_events_are_kept_but_do_not_move_the_status() {
    let mut s = on_the_road(); // picked up T0+1h, in transit T0+2h
    let now = T0 + 5 * HOUR;
    ok(s.record(&dave(), at(Status::Arrived, T0 + 4 * HOUR), now));
    // The partner's "picked up at the pickup stop at 00:30" arrives now.
    let mut late = at(Status::Arrived, T0 + 30 * MIN);
    late.stop = Some(0);
    late.raw_code = Some("X3".into());
    let change = ok(s.record(&lina(), late, now));
    assert_eq!(
        change,
        Change::Status {
            status: Status::Arrived,
            previous: Status::Arrived,
            applied: false
        }
    );
    assert_eq!(s.status, Status::Arrived);
    assert_eq!(s.status_since_ms, T0 + 4 * HOUR);
    // It fills in the stop's arrival, which nobody had reported.
    assert_eq!(s.stops[0].actual_arrival_ms, Some(T0 + 30 * MIN));
    // Even a status that would be illegal now is kept when it is older: history, not a move.
    ok(s.record(&lina(), at(Status::PickedUp, T0 + 45 * MIN), now));
    assert_eq!(s.status, Status::Arrived);
    assert_eq!(s.actual_pickup_ms, Some(T0 + HOUR));
    // A late "delivered" does not deliver.
    ok(s.record(&lina(), at(Status::Delivered, T0 + 3 * HOUR), now));
    assert_eq!((s.status, s.actual_delivery_ms), (Status::Arrived, None));
    // The same time as the latest milestone is in order.
    ok(s.record(&lina(), at(Status::OutForDelivery, T0 + 4 * HOUR), now));
    assert_eq!(s.status, Status::OutForDelivery);
    assert_eq!(
        statuses(&s)[4..],
        [
            (Status::Arrived, true),
            (Status::Arrived, false),
            (Status::PickedUp, false),
            (Status::Delivered, false),
            (Status::OutForDelivery, true)
        ]
    );
    ok(s.record(&lina(), at(Status::Delivered, T0 + 5 * HOUR), now));
    // After delivery, an older event is still history; a newer one is refused.
    ok(s.record(&lina(), at(Status::InTransit, T0 + 2 * HOUR + MIN), now));
    assert_eq!(s.status, Status::Delivered);
    let e = refused(&mut s, |s| {
        s.record(&lina(), at(Status::InTransit, now), now)
    });
    assert!(matches!(e, ShipmentError::Transition(r) if r.why == Why::Closed));
}

#[test]
fn administrative_events_are_never_late() {
    // Accepted at 10:00 in the system; the truck really left at 09:30: still applied.
    let mut s = published();
    ok(s.accept(&lina(), T0 + 2 * HOUR));
    ok(s.record(&lina(), at(Status::PickedUp, T0 + 90 * MIN), T0 + 2 * HOUR));
    assert_eq!(s.status, Status::PickedUp);
    assert_eq!(s.status_since_ms, T0 + 90 * MIN);
}

#[test]
fn forecasts_update_stops_not_the_status() {
    let mut s = on_the_road();
    let now = T0 + 3 * HOUR;
    let mut ev = at(Status::Arrived, T0 + 28 * HOUR);
    ev.time_kind = TimeKind::Estimated;
    ev.stop = Some(1);
    let change = ok(s.record(&lina(), ev, now));
    assert_eq!(
        change,
        Change::Status {
            status: Status::Arrived,
            previous: Status::InTransit,
            applied: false
        }
    );
    assert_eq!(s.status, Status::InTransit);
    assert_eq!(s.stops[1].estimated_arrival_ms, Some(T0 + 28 * HOUR));
    let mut ev = at(Status::Delivered, T0 + 31 * HOUR);
    ev.time_kind = TimeKind::Planned;
    ev.stop = Some(1);
    ok(s.record(&lina(), ev, now));
    assert_eq!(s.stops[1].planned_arrival_ms, Some(T0 + 31 * HOUR));
    assert_eq!(s.actual_delivery_ms, None);
    // Not on a closed shipment.
    ok(s.record(&dave(), at(Status::Delivered, now), now));
    let mut ev = at(Status::Arrived, T0 + 28 * HOUR);
    ev.time_kind = TimeKind::Estimated;
    assert_eq!(
        refused(&mut s, |s| s.record(&lina(), ev, now)),
        ShipmentError::Closed(Status::Delivered)
    );
}

#[test]
fn the_history_has_a_limit() {
    let mut s = on_the_road();
    let now = T0 + 3 * HOUR;
    while s.events.len() < MAX_EVENTS {
        ok(s.record(&dave(), at(Status::InTransit, now), now));
    }
    assert_eq!(
        refused(&mut s, |s| s.record(
            &dave(),
            at(Status::InTransit, now),
            now
        )),
        ShipmentError::Full {
            what: crate::domain::error::Limit::Events,
            max: MAX_EVENTS
        }
    );
}

// ---------------------------------------------------------------------------------------
// ETA

fn eta(eta_ms: i64, reason: Option<Reason>) -> NewEta {
    NewEta {
        eta_ms,
        reason,
        note: None,
        source: Source::Driver,
    }
}

#[test]
fn eta_revisions_keep_the_whole_history() {
    let mut s = on_the_road();
    let planned = s.planned_delivery_ms;
    let now = T0 + 3 * HOUR;
    // Earlier than the plan: no reason needed.
    let change = ok(s.update_eta(&dave(), &eta(planned - HOUR, None), now));
    assert_eq!(
        change,
        Change::Eta {
            eta_ms: planned - HOUR,
            previous_ms: None,
            later: false
        }
    );
    // Later: a reason is needed.
    assert_eq!(
        refused(&mut s, |s| s.update_eta(&dave(), &eta(planned, None), now)),
        ShipmentError::EtaReasonRequired
    );
    let mut later = eta(planned + 2 * HOUR, Some(Reason::Breakdown));
    later.note = Some("Tyre".into());
    ok(s.update_eta(&lina(), &later, now + MIN));
    // The same again: nothing recorded.
    let version = s.version;
    assert_eq!(
        ok(s.update_eta(&lina(), &later, now + 2 * MIN)),
        Change::Unchanged
    );
    assert_eq!(s.version, version);
    ok(s.update_eta(&alice(), &eta(planned + HOUR, None), now + 3 * MIN));
    assert_eq!(s.eta_ms, Some(planned + HOUR));
    assert_eq!(s.effective_eta(), planned + HOUR);
    let history: Vec<(i64, Option<i64>, Option<Reason>, &str)> = s
        .eta_history
        .iter()
        .map(|r| (r.eta_ms, r.previous_ms, r.reason, r.by.id.as_str()))
        .collect();
    assert_eq!(
        history,
        [
            (planned - HOUR, None, None, "dave"),
            (
                planned + 2 * HOUR,
                Some(planned - HOUR),
                Some(Reason::Breakdown),
                "lina"
            ),
            (planned + HOUR, Some(planned + 2 * HOUR), None, "alice"),
        ]
    );
    assert_eq!(s.eta_history[1].note.as_deref(), Some("Tyre"));
    assert_eq!(s.eta_history[1].at_ms, now + MIN);
    assert_eq!(s.eta_history[0].source, Source::Driver);
}

#[test]
fn an_eta_in_the_past_needs_a_reason() {
    let mut s = on_the_road();
    let now = T0 + 3 * HOUR;
    assert_eq!(
        refused(&mut s, |s| s.update_eta(
            &dave(),
            &eta(now - MIN, None),
            now
        )),
        ShipmentError::EtaInPast
    );
    ok(s.update_eta(&dave(), &eta(now - MIN, Some(Reason::Other)), now));
}

#[test]
fn eta_is_for_driver_carrier_and_staff_on_open_shipments() {
    let mut s = on_the_road();
    let now = T0 + 3 * HOUR;
    let soon = eta(now + HOUR, None);
    assert_eq!(
        refused(&mut s, |s| s.update_eta(&dan(), &soon, now)),
        ShipmentError::Forbidden(Action::UpdateEta)
    );
    assert_eq!(
        refused(&mut s, |s| s.update_eta(
            &guest("kai", CARRIER2),
            &soon,
            now
        )),
        ShipmentError::NotFound
    );
    let e = refused(&mut s, |s| s.update_eta(&dave(), &eta(-1, None), now));
    assert_eq!(invalid(e), (Field::Eta, Problem::ImplausibleTime));
    ok(s.record(&dave(), at(Status::Delivered, now), now));
    assert_eq!(
        refused(&mut s, |s| s.update_eta(&dave(), &soon, now)),
        ShipmentError::Closed(Status::Delivered)
    );
}

// ---------------------------------------------------------------------------------------
// Documents

fn pod(file_id: &str) -> NewDocument {
    NewDocument {
        kind: DocumentKind::ProofOfDelivery,
        file_id: file_id.into(),
        name: "签收单.jpg".into(),
        content_type: "Image/JPEG; charset=binary".into(),
        size: 2_000_000,
    }
}

#[test]
fn any_party_attaches_documents_even_after_delivery() {
    let mut s = on_the_road();
    let policy = DocumentPolicy::default();
    let now = T0 + 3 * HOUR;
    ok(s.record(&dave(), at(Status::Delivered, now), now));
    let change = ok(s.attach(&dan(), &pod("f1"), &policy, now));
    assert_eq!(
        change,
        Change::Document {
            kind: DocumentKind::ProofOfDelivery
        }
    );
    let d = &s.documents[0];
    assert_eq!(d.content_type, "image/jpeg");
    assert_eq!(d.uploaded_by, dan().person());
    assert_eq!(d.name, "签收单.jpg");
    for (i, who) in [alice(), lina(), dave()].iter().enumerate() {
        ok(s.attach(who, &pod(&format!("f{}", i + 2)), &policy, now));
    }
    assert_eq!(s.documents.len(), 4);
    assert_eq!(
        refused(&mut s, |s| s.attach(
            &guest("dora", DEALER2),
            &pod("f9"),
            &policy,
            now
        )),
        ShipmentError::NotFound
    );
}

#[test]
fn documents_refuse_bad_files() {
    let mut s = on_the_road();
    let policy = DocumentPolicy::default();
    let now = T0 + 3 * HOUR;
    let try_doc = |s: &mut Shipment, edit: &dyn Fn(&mut NewDocument)| {
        let mut d = pod("f1");
        edit(&mut d);
        refused(s, |s| s.attach(&dave(), &d, &policy, now))
    };
    assert_eq!(
        try_doc(&mut s, &|d| d.size = 20 * 1024 * 1024 + 1),
        ShipmentError::DocumentTooLarge {
            size: 20 * 1024 * 1024 + 1,
            max: 20 * 1024 * 1024
        }
    );
    for bad in [
        "text/html",
        "image/svg+xml",
        "application/x-msdownload",
        "application/zip",
    ] {
        assert_eq!(
            try_doc(&mut s, &|d| d.content_type = bad.into()),
            ShipmentError::DocumentType {
                content_type: bad.into()
            }
        );
    }
    assert_eq!(
        invalid(try_doc(&mut s, &|d| d.content_type = " ".into())),
        (Field::ContentType, Problem::Required)
    );
    assert_eq!(
        invalid(try_doc(&mut s, &|d| d.size = 0)),
        (Field::Size, Problem::NotPositive)
    );
    assert_eq!(
        invalid(try_doc(&mut s, &|d| d.name = "../etc/passwd".into())),
        (Field::FileName, Problem::ControlChars)
    );
    assert_eq!(
        invalid(try_doc(&mut s, &|d| d.name = "".into())),
        (Field::FileName, Problem::Required)
    );
    assert_eq!(
        invalid(try_doc(&mut s, &|d| d.file_id = "".into())),
        (Field::FileId, Problem::Required)
    );
    ok(s.attach(&dave(), &pod("f1"), &policy, now));
    assert_eq!(
        invalid(try_doc(&mut s, &|_| {})),
        (Field::FileId, Problem::Duplicate)
    );
    for i in 2..=MAX_DOCUMENTS {
        ok(s.attach(&dave(), &pod(&format!("f{i}")), &policy, now));
    }
    assert_eq!(
        try_doc(&mut s, &|d| d.file_id = "f-last".into()),
        ShipmentError::Full {
            what: crate::domain::error::Limit::Documents,
            max: MAX_DOCUMENTS
        }
    );
    let small = DocumentPolicy {
        max_bytes: 10,
        allowed_types: vec!["application/pdf".into()],
    };
    let mut d = pod("g");
    d.content_type = "application/pdf".into();
    d.size = 11;
    let mut fresh = on_the_road();
    let e = refused(&mut fresh, |s| s.attach(&dave(), &d, &small, now));
    assert_eq!(
        e.en(),
        "The file is too large (11 bytes); the limit is 10 bytes."
    );
}

// ---------------------------------------------------------------------------------------
// Storage

#[test]
fn the_document_round_trips_through_json() {
    let mut s = on_the_road();
    let now = T0 + 3 * HOUR;
    ok(s.record(
        &dave(),
        with_reason(Status::Delayed, now, Reason::Weather),
        now,
    ));
    ok(s.update_eta(&dave(), &eta(now + 30 * HOUR, Some(Reason::Weather)), now));
    ok(s.attach(&dave(), &pod("f1"), &DocumentPolicy::default(), now));
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["status"], "delayed");
    assert_eq!(json["events"][4]["reason"], "weather");
    assert_eq!(json["events"][4]["time_kind"], "actual");
    assert_eq!(json["activity"][0]["kind"], "published");
    assert_eq!(json["documents"][0]["kind"], "proof_of_delivery");
    assert_eq!(json["stops"][0]["kind"], "pickup");
    let back: Shipment = serde_json::from_value(json).unwrap();
    assert_eq!(back, s);
    let change = serde_json::to_value(Change::Assigned {
        driver_changed: true,
    })
    .unwrap();
    assert_eq!(
        change,
        serde_json::json!({"change": "assigned", "driver_changed": true})
    );
}

// ---------------------------------------------------------------------------------------
// Properties

#[derive(Clone, Debug)]
enum Op {
    Record {
        who: usize,
        status: usize,
        kind: usize,
        offset_min: i64,
        reason: Option<usize>,
        stop: Option<usize>,
    },
    Eta {
        who: usize,
        offset_min: i64,
        reason: Option<usize>,
    },
    Cancel {
        who: usize,
    },
    Advance {
        minutes: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..6usize, 0..12usize, 0..3usize, -600i64..600, prop::option::of(0..10usize), prop::option::of(0..3usize))
            .prop_map(|(who, status, kind, offset_min, reason, stop)| Op::Record { who, status, kind, offset_min, reason, stop }),
        1 => (0..6usize, -600i64..3000, prop::option::of(0..10usize))
            .prop_map(|(who, offset_min, reason)| Op::Eta { who, offset_min, reason }),
        1 => (0..6usize).prop_map(|who| Op::Cancel { who }),
        1 => (0i64..300).prop_map(|minutes| Op::Advance { minutes }),
    ]
}

fn cast(i: usize) -> Viewer {
    [
        alice(),
        lina(),
        dan(),
        dave(),
        guest("kai", CARRIER2),
        guest("dora", DEALER2),
    ][i]
        .clone()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever happens: no panic; a refusal changes nothing; a closed shipment stays
    /// closed in the same status; the status is always the last applied event's; event IDs
    /// count up; outsiders never change anything.
    #[test]
    fn random_operations_keep_the_shipment_consistent(ops in prop::collection::vec(op(), 1..60)) {
        let mut s = assigned();
        let mut now = T0 + HOUR;
        for op in ops {
            let before = s.clone();
            let (who, result) = match op {
                Op::Record { who, status, kind, offset_min, reason, stop } => {
                    let mut ev = at(Status::ALL[status], now + offset_min * MIN);
                    ev.time_kind = TimeKind::ALL[kind];
                    ev.reason = reason.map(|r| Reason::ALL[r]);
                    ev.stop = stop;
                    (who, s.record(&cast(who), ev, now))
                }
                Op::Eta { who, offset_min, reason } => {
                    let e = eta(now + offset_min * MIN, reason.map(|r| Reason::ALL[r]));
                    (who, s.update_eta(&cast(who), &e, now))
                }
                Op::Cancel { who } => (who, s.cancel(&cast(who), None, None, now)),
                Op::Advance { minutes } => {
                    now += minutes * MIN;
                    continue;
                }
            };
            match result {
                Err(_) | Ok(Change::Unchanged) => prop_assert_eq!(&s, &before),
                Ok(_) => {
                    prop_assert!(who < 4, "an outsider changed the shipment");
                    prop_assert_eq!(s.version, before.version + 1);
                }
            }
            if before.status.is_terminal() {
                prop_assert_eq!(s.status, before.status);
            }
            prop_assert_eq!(Some(s.status), s.current_event().map(|e| e.status));
            prop_assert!(s.events.windows(2).all(|w| w[1].id == w[0].id + 1));
            prop_assert!(s.events.iter().all(|e| !e.applied || e.time_kind == TimeKind::Actual));
            prop_assert!(s.stops.iter().all(|st| st.actual_arrival_ms.is_none_or(|t| t <= now + FUTURE_TOLERANCE_MS)));
        }
    }
}
