use super::*;
use crate::domain::shipment::{NewEta, OrgRef};
use crate::domain::status::Source;
use crate::domain::testkit::*;

/// Waybill, status, reason, since, carrier.
type OpenRow<'a> = (&'a str, Status, Option<Reason>, i64, Option<&'a str>);

/// Planned delivery of every shipment in the data set.
const P: i64 = T0 + 30 * HOUR;

fn carrier_a() -> OrgRef {
    OrgRef::new("org-a", "Alpha Freight")
}

fn carrier_b() -> OrgRef {
    OrgRef::new("org-b", "Beta Logistics 贝塔物流")
}

/// A shipment on the road (picked up `T0+1h`), then relabelled for the data set.
fn trip(id: &str, carrier: Option<OrgRef>, origin: &str, destination: &str) -> Shipment {
    let mut s = on_the_road();
    s.id = id.into();
    s.waybill = format!("WB-{id}");
    s.created_ms = T0 + id[1..].parse::<i64>().unwrap();
    s.carrier = carrier;
    s.origin = origin.into();
    s.destination = destination.into();
    assert_eq!(s.planned_delivery_ms, P);
    s
}

fn delivered(mut s: Shipment, at_ms: i64) -> Shipment {
    ok(s.record(&dave(), at(Status::Delivered, at_ms), at_ms));
    s
}

fn revise(s: &mut Shipment, eta_ms: i64, reason: Option<Reason>) {
    let eta = NewEta {
        eta_ms,
        reason,
        note: None,
        source: Source::Driver,
    };
    ok(s.update_eta(&dave(), &eta, T0 + 3 * HOUR));
}

/// The hand-computed data set (grace 15 minutes):
///
/// | id | carrier | lane              | delivered      | delay | on time |
/// |----|---------|-------------------|----------------|-------|---------|
/// | s1 | A       | suzhou → beijing  | P − 10 min     | 0     | yes     |
/// | s2 | A       | suzhou → beijing  | P + 20 min     | 20    | no      |
/// | s3 | A       | suzhou → beijing  | P + 10 min     | 10    | yes     |
/// | s4 | B       | suzhou → shanghai | P + 90 min 1 s | 91    | no      |
/// | s5 | B       | suzhou → shanghai | delayed (weather) since T0+4h |
/// | s6 | —       | suzhou → beijing  | in transit     |       |         |
/// | s7 | B       | suzhou → shanghai | on hold (customs) since T0+3h |
///
/// ETA revisions: s2 later (weather), later (traffic); s4 later (weather); s5 earlier.
fn data() -> Vec<Shipment> {
    let mut s2 = trip("s2", Some(carrier_a()), " suzhou ", "BEIJING");
    revise(&mut s2, P + 10 * MIN, Some(Reason::Weather));
    revise(&mut s2, P + 20 * MIN, Some(Reason::Traffic));
    let mut s4 = trip("s4", Some(carrier_b()), "Suzhou", "Shanghai");
    revise(&mut s4, P + HOUR, Some(Reason::Weather));
    let mut s5 = trip("s5", Some(carrier_b()), "Suzhou", "Shanghai");
    revise(&mut s5, P - HOUR, None);
    ok(s5.record(
        &dave(),
        with_reason(Status::Delayed, T0 + 4 * HOUR, Reason::Weather),
        T0 + 4 * HOUR,
    ));
    let mut s7 = trip("s7", Some(carrier_b()), "Suzhou", "Shanghai");
    ok(s7.record(
        &dave(),
        with_reason(Status::OnHold, T0 + 3 * HOUR, Reason::CustomsHold),
        T0 + 3 * HOUR,
    ));
    vec![
        delivered(
            trip("s1", Some(carrier_a()), "Suzhou", "Beijing"),
            P - 10 * MIN,
        ),
        delivered(s2, P + 20 * MIN),
        delivered(
            trip("s3", Some(carrier_a()), "Suzhou", "Beijing"),
            P + 10 * MIN,
        ),
        delivered(s4, P + 90 * MIN + 1000),
        s5,
        trip("s6", None, "Suzhou", "Beijing  "),
        s7,
    ]
}

#[test]
fn places_and_lanes_are_normalised() {
    assert_eq!(
        normalise_place("  Suzhou   Industrial\tPark "),
        "suzhou industrial park"
    );
    assert_eq!(normalise_place("北京 朝阳"), "北京 朝阳");
    assert_eq!(lane_key(" Suzhou", "BEIJING "), "suzhou → beijing");
}

#[test]
fn delay_and_on_time_of_one_shipment() {
    let s = delivered(trip("s1", None, "A", "B"), P + 30 * 1000);
    assert_eq!(delay_minutes(&s), Some(1)); // 30 seconds late is a started minute
    assert_eq!(on_time(&s, 0), Some(false));
    assert_eq!(on_time(&s, 1), Some(true));
    let s = delivered(trip("s1", None, "A", "B"), P);
    assert_eq!((delay_minutes(&s), on_time(&s, 0)), (Some(0), Some(true)));
    let s = trip("s1", None, "A", "B");
    assert_eq!((delay_minutes(&s), on_time(&s, 15)), (None, None));
}

#[test]
fn the_hand_computed_report() {
    let r = analyse(&data(), 15);
    assert_eq!(r.grace_minutes, 15);
    assert_eq!(
        r.overall,
        Performance {
            key: String::new(),
            label: String::new(),
            shipments: 7,
            delivered: 4,
            on_time: 2,
            on_time_rate: Some(0.5),
            // (0 + 20 + 10 + 91) / 4
            avg_delay_minutes: Some(30.25),
            // nearest rank ⌈0.9 × 4⌉ = 4th of [0, 10, 20, 91]
            p90_delay_minutes: Some(91),
            max_delay_minutes: Some(91),
        }
    );
    assert_eq!(
        r.by_carrier,
        [
            Performance {
                key: "org-a".into(),
                label: "Alpha Freight".into(),
                shipments: 3,
                delivered: 3,
                on_time: 2,
                on_time_rate: Some(2.0 / 3.0),
                avg_delay_minutes: Some(10.0),
                // ⌈0.9 × 3⌉ = 3rd of [0, 10, 20]
                p90_delay_minutes: Some(20),
                max_delay_minutes: Some(20),
            },
            Performance {
                key: "org-b".into(),
                label: "Beta Logistics 贝塔物流".into(),
                shipments: 3,
                delivered: 1,
                on_time: 0,
                on_time_rate: Some(0.0),
                avg_delay_minutes: Some(91.0),
                p90_delay_minutes: Some(91),
                max_delay_minutes: Some(91),
            },
        ]
    );
    let lanes: Vec<(&str, usize, usize, usize, Option<f64>)> = r
        .by_lane
        .iter()
        .map(|p| {
            (
                p.label.as_str(),
                p.shipments,
                p.delivered,
                p.on_time,
                p.avg_delay_minutes,
            )
        })
        .collect();
    assert_eq!(
        lanes,
        [
            ("suzhou → beijing", 4, 3, 2, Some(10.0)),
            ("suzhou → shanghai", 3, 1, 0, Some(91.0)),
        ]
    );
    let counts: Vec<(Status, usize)> = r
        .by_status
        .iter()
        .copied()
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(
        counts,
        [
            (Status::InTransit, 1),
            (Status::Delayed, 1),
            (Status::Delivered, 4),
            (Status::OnHold, 1)
        ]
    );
    assert_eq!(r.by_status.len(), Status::ALL.len());
    let open: Vec<OpenRow> = r
        .open_exceptions
        .iter()
        .map(|e| {
            (
                e.waybill.as_str(),
                e.status,
                e.reason,
                e.since_ms,
                e.carrier.as_ref().map(|c| c.org_id.as_str()),
            )
        })
        .collect();
    assert_eq!(
        open,
        [
            (
                "WB-s7",
                Status::OnHold,
                Some(Reason::CustomsHold),
                T0 + 3 * HOUR,
                Some("org-b")
            ),
            (
                "WB-s5",
                Status::Delayed,
                Some(Reason::Weather),
                T0 + 4 * HOUR,
                Some("org-b")
            ),
        ]
    );
    assert_eq!(r.open_exceptions[1].eta_ms, P - HOUR);
    assert_eq!(
        r.eta,
        EtaStats {
            revisions: 4,
            shipments_revised: 3,
            avg_per_shipment: Some(4.0 / 7.0),
            max_per_shipment: 2,
            later: 3,
            earlier: 1,
            delay_reasons: vec![(Reason::Weather, 2), (Reason::Traffic, 1)],
        }
    );
    // Weather and customs hold once each: ties in code order.
    assert_eq!(
        r.exception_reasons,
        [(Reason::Weather, 1), (Reason::CustomsHold, 1)]
    );
}

#[test]
fn the_report_does_not_depend_on_input_order() {
    let mut shipments = data();
    let a = analyse(&shipments, 15);
    shipments.reverse();
    shipments.swap(1, 4);
    assert_eq!(analyse(&shipments, 15), a);
}

#[test]
fn grace_changes_who_is_on_time() {
    let r = analyse(&data(), 0);
    assert_eq!(r.overall.on_time, 1);
    let r = analyse(&data(), 25);
    assert_eq!(r.overall.on_time, 3);
    let r = analyse(&data(), -5);
    assert_eq!(r.overall.on_time, 1, "negative grace counts as none");
}

#[test]
fn nothing_to_analyse() {
    let r = analyse(&[], 15);
    assert_eq!(r.overall.delivered, 0);
    assert_eq!(r.overall.on_time_rate, None);
    assert_eq!(r.overall.avg_delay_minutes, None);
    assert_eq!(r.overall.p90_delay_minutes, None);
    assert!(r.by_carrier.is_empty() && r.by_lane.is_empty() && r.open_exceptions.is_empty());
    assert_eq!(r.eta.avg_per_shipment, None);
    assert!(r.by_status.iter().all(|(_, n)| *n == 0));
}

#[test]
fn p90_uses_the_nearest_rank() {
    // Ten deliveries late by 1..=10 minutes: the 9th is the p90.
    let list: Vec<Shipment> = (1..=10)
        .map(|i| {
            delivered(
                trip(&format!("s{i}"), Some(carrier_a()), "A", "B"),
                P + i * MIN,
            )
        })
        .collect();
    let r = analyse(&list, 0);
    assert_eq!(r.overall.p90_delay_minutes, Some(9));
    assert_eq!(r.overall.avg_delay_minutes, Some(5.5));
    assert_eq!(r.overall.max_delay_minutes, Some(10));
    // Eleven: ⌈9.9⌉ = 10th.
    let mut list = list;
    list.push(delivered(
        trip("s11", Some(carrier_a()), "A", "B"),
        P + 11 * MIN,
    ));
    assert_eq!(analyse(&list, 0).overall.p90_delay_minutes, Some(10));
}

#[test]
fn a_renamed_carrier_shows_its_newest_name() {
    let mut old = trip("s1", Some(OrgRef::new("org-a", "Alpha")), "A", "B");
    old.created_ms = T0;
    let mut new = trip("s2", Some(OrgRef::new("org-a", "Alpha Freight")), "A", "B");
    new.created_ms = T0 + 1;
    let r = analyse(&[new, old], 15);
    assert_eq!(r.by_carrier.len(), 1);
    assert_eq!(r.by_carrier[0].label, "Alpha Freight");
    assert_eq!(r.by_carrier[0].shipments, 2);
}
