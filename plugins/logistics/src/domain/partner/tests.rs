use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::domain::testkit::*;
use crate::domain::time::format_rfc3339;

type Edit = Box<dyn FnOnce(&mut Map<String, Value>)>;

fn codes() -> CodeMap {
    CodeMap::default()
}

fn body(v: Value) -> String {
    v.to_string()
}

fn minimal() -> Value {
    json!({"event_id": "evt-1", "waybill": "WB20261130-0001", "status": "picked_up", "time": T0 + HOUR})
}

/// Parses `minimal()` with `edit` applied and expects a refusal naming `field`.
fn refused_field(edit: impl FnOnce(&mut Map<String, Value>)) -> (String, FieldProblem) {
    let mut v = minimal();
    edit(v.as_object_mut().unwrap());
    match parse(&body(v), &codes()) {
        Err(PartnerError::Field { field, problem }) => (field.to_string(), problem),
        other => panic!("expected a field error, got {other:?}"),
    }
}

fn set(key: &'static str, value: Value) -> impl FnOnce(&mut Map<String, Value>) {
    move |m| {
        m.insert(key.into(), value);
    }
}

fn remove(key: &'static str) -> impl FnOnce(&mut Map<String, Value>) {
    move |m| {
        m.remove(key);
    }
}

#[test]
fn a_full_push() {
    let text = r#"{"event_id": "evt-000123", "waybill": "wb20261130-0001",
        "status": "delayed", "raw_code": "SD", "reason": "weather",
        "time": "2026-11-30T16:05:00+08:00", "time_kind": "actual",
        "place": "G2 Jinghu Expressway, km 512", "lat": 34.2, "lon": 117.1, "stop": 2,
        "note": "Snow,\nroad closed", "eta": "2026-12-01T10:00:00+08:00"}"#;
    let ev = parse(text, &codes()).unwrap();
    assert_eq!(
        ev,
        PartnerEvent {
            event_id: "evt-000123".into(),
            waybill: "WB20261130-0001".into(),
            status: Some(Status::Delayed),
            raw_code: Some("SD".into()),
            reason: Some(Reason::Weather),
            time_kind: TimeKind::Actual,
            at_ms: Some(T0 + 5 * MIN),
            place: Some("G2 Jinghu Expressway, km 512".into()),
            lat: Some(34.2),
            lon: Some(117.1),
            stop: Some(1),
            note: Some("Snow,\nroad closed".into()),
            eta_ms: Some(T0 + 18 * HOUR),
        }
    );
    let new = ev.to_new_event().unwrap();
    assert_eq!(new.source, Source::PartnerApi);
    assert_eq!(new.external_id.as_deref(), Some("evt-000123"));
    assert_eq!(new.stop, Some(1));
    let eta = ev.to_new_eta().unwrap();
    assert_eq!(
        (eta.eta_ms, eta.reason),
        (T0 + 18 * HOUR, Some(Reason::Weather))
    );
}

#[test]
fn a_minimal_push_and_defaults() {
    let ev = parse(&body(minimal()), &codes()).unwrap();
    assert_eq!(ev.status, Some(Status::PickedUp));
    assert_eq!(ev.time_kind, TimeKind::Actual);
    assert_eq!(ev.at_ms, Some(T0 + HOUR));
    assert_eq!(
        (ev.raw_code, ev.reason, ev.place, ev.note, ev.eta_ms),
        (None, None, None, None, None)
    );
    // null is absent.
    let mut v = minimal();
    v["place"] = Value::Null;
    v["reason"] = Value::Null;
    v["lat"] = Value::Null;
    assert!(parse(&body(v), &codes()).is_ok());
    // An ETA alone.
    let ev = parse(
        &body(json!({"event_id": "e2", "waybill": "WB1", "eta": format_rfc3339(T0, 480)})),
        &codes(),
    )
    .unwrap();
    assert_eq!((ev.status, ev.eta_ms), (None, Some(T0)));
    assert!(ev.to_new_event().is_none());
}

#[test]
fn raw_codes_map_through_defaults_and_overrides() {
    let push = |raw: &str, map: &CodeMap| {
        let v = json!({"event_id": "e", "waybill": "WB1", "raw_code": raw, "time": T0, "reason": "other"});
        parse(&body(v), map)
    };
    let defaults = codes();
    let cases = [
        ("AF", Status::PickedUp),
        ("x1", Status::Arrived),
        (" D1 ", Status::Delivered),
        ("SD", Status::Delayed),
        ("X6", Status::InTransit),
        ("A7", Status::FailedDelivery),
        ("CA", Status::Cancelled),
    ];
    for (raw, want) in cases {
        let ev = push(raw, &defaults).unwrap();
        assert_eq!(ev.status, Some(want), "{raw}");
        assert_eq!(ev.raw_code.as_deref(), Some(raw.trim()));
    }
    assert_eq!(
        push("ZZ", &defaults),
        Err(PartnerError::Field {
            field: "raw_code",
            problem: FieldProblem::UnknownRawCode("ZZ".into())
        })
    );
    // A partner whose "D1" means departed, plus a code of its own.
    let map = CodeMap::new([("d1", Status::InTransit), ("HOLD-CUSTOMS", Status::OnHold)]);
    assert_eq!(push("D1", &map).unwrap().status, Some(Status::InTransit));
    assert_eq!(
        push("hold-customs", &map).unwrap().status,
        Some(Status::OnHold)
    );
    assert_eq!(push("AF", &map).unwrap().status, Some(Status::PickedUp));
    assert_eq!(map.map("ZZ"), None);
    // An explicit status wins over the raw code.
    let v = json!({"event_id": "e", "waybill": "WB1", "status": "arrived", "raw_code": "D1", "time": T0});
    let ev = parse(&body(v), &defaults).unwrap();
    assert_eq!(
        (ev.status, ev.raw_code.as_deref()),
        (Some(Status::Arrived), Some("D1"))
    );
    // Every default maps to a real status, codes are unique.
    let mut seen = std::collections::BTreeSet::new();
    for (code, _) in DEFAULT_CODES {
        assert!(seen.insert(*code), "{code} twice");
        assert_eq!(*code, code.to_uppercase());
    }
}

#[test]
fn every_bad_field_is_named() {
    use FieldProblem as P;
    let s = |x: &str| x.to_string();
    let string = P::WrongType { expected: "string" };
    let cases: Vec<(Edit, String, FieldProblem)> = vec![
        (Box::new(remove("event_id")), s("event_id"), P::Missing),
        (
            Box::new(set("event_id", json!(""))),
            s("event_id"),
            P::Invalid(Problem::BadId),
        ),
        (
            Box::new(set("event_id", json!("a b"))),
            s("event_id"),
            P::Invalid(Problem::BadId),
        ),
        (
            Box::new(set("event_id", json!("事件1"))),
            s("event_id"),
            P::Invalid(Problem::BadId),
        ),
        (
            Box::new(set("event_id", json!("x".repeat(65)))),
            s("event_id"),
            P::Invalid(Problem::BadId),
        ),
        (
            Box::new(set("event_id", json!(12))),
            s("event_id"),
            string.clone(),
        ),
        (Box::new(remove("waybill")), s("waybill"), P::Missing),
        (
            Box::new(set("waybill", json!("WB/1"))),
            s("waybill"),
            P::Waybill(WaybillError::BadChar { c: '/' }),
        ),
        (
            Box::new(set("waybill", json!(["WB1"]))),
            s("waybill"),
            string.clone(),
        ),
        (
            Box::new(set("status", json!("lost"))),
            s("status"),
            P::UnknownStatus(s("lost")),
        ),
        (
            Box::new(set("status", json!("Delivered"))),
            s("status"),
            P::UnknownStatus(s("Delivered")),
        ),
        (
            Box::new(set("status", json!(true))),
            s("status"),
            string.clone(),
        ),
        (
            Box::new(set("reason", json!("aliens"))),
            s("reason"),
            P::UnknownReason(s("aliens")),
        ),
        (
            Box::new(set("status", json!("delayed"))),
            s("reason"),
            P::Missing,
        ),
        (
            Box::new(set("status", json!("returned"))),
            s("reason"),
            P::Missing,
        ),
        (Box::new(remove("time")), s("time"), P::Missing),
        (
            Box::new(set("time", json!("2026-11-30 08:00"))),
            s("time"),
            P::Time(Rfc3339Error::Syntax),
        ),
        (
            Box::new(set("time", json!("2026-11-30T08:00:00"))),
            s("time"),
            P::Time(Rfc3339Error::MissingOffset),
        ),
        (
            Box::new(set("time", json!("2026-02-30T08:00:00Z"))),
            s("time"),
            P::Time(Rfc3339Error::Date),
        ),
        (
            Box::new(set("time", json!("1999-12-31T23:59:59Z"))),
            s("time"),
            P::ImplausibleTime,
        ),
        (
            Box::new(set("time", json!(12))),
            s("time"),
            P::ImplausibleTime,
        ),
        (
            Box::new(set("time", json!(1.5e12))),
            s("time"),
            P::WrongType {
                expected: "integer (milliseconds) or RFC 3339 string",
            },
        ),
        (
            Box::new(set("time", json!({"ms": 1}))),
            s("time"),
            P::WrongType {
                expected: "RFC 3339 string or integer (milliseconds)",
            },
        ),
        (
            Box::new(set("time_kind", json!("maybe"))),
            s("time_kind"),
            P::UnknownTimeKind(s("maybe")),
        ),
        (
            Box::new(set("place", json!("p".repeat(201)))),
            s("place"),
            P::Invalid(Problem::TooLong { max: 200 }),
        ),
        (
            Box::new(set("place", json!("a\u{0}b"))),
            s("place"),
            P::Invalid(Problem::ControlChars),
        ),
        (
            Box::new(set("raw_code", json!("R".repeat(33)))),
            s("raw_code"),
            P::Invalid(Problem::TooLong { max: 32 }),
        ),
        (
            Box::new(set("note", json!("n".repeat(1001)))),
            s("note"),
            P::Invalid(Problem::TooLong { max: 1000 }),
        ),
        (Box::new(set("lat", json!(30.0))), s("lon"), P::Missing),
        (Box::new(set("lon", json!(120.0))), s("lat"), P::Missing),
        (
            Box::new(|m: &mut Map<String, Value>| {
                m.insert("lat".into(), json!(95.0));
                m.insert("lon".into(), json!(120.0));
            }),
            s("lat"),
            P::Invalid(Problem::OutOfRange { min: -90, max: 90 }),
        ),
        (
            Box::new(|m: &mut Map<String, Value>| {
                m.insert("lat".into(), json!(30.0));
                m.insert("lon".into(), json!(-181));
            }),
            s("lon"),
            P::Invalid(Problem::OutOfRange {
                min: -180,
                max: 180,
            }),
        ),
        (
            Box::new(set("lat", json!("30.1"))),
            s("lat"),
            P::WrongType { expected: "number" },
        ),
        (
            Box::new(set("stop", json!(0))),
            s("stop"),
            P::Invalid(Problem::OutOfRange { min: 1, max: 20 }),
        ),
        (
            Box::new(set("stop", json!(21))),
            s("stop"),
            P::Invalid(Problem::OutOfRange { min: 1, max: 20 }),
        ),
        (
            Box::new(set("stop", json!(-1))),
            s("stop"),
            P::Invalid(Problem::OutOfRange { min: 1, max: 20 }),
        ),
        (
            Box::new(set("stop", json!(u64::MAX))),
            s("stop"),
            P::Invalid(Problem::OutOfRange { min: 1, max: 20 }),
        ),
        (
            Box::new(set("stop", json!(1.5))),
            s("stop"),
            P::WrongType {
                expected: "integer",
            },
        ),
        (
            Box::new(set("stop", json!("2"))),
            s("stop"),
            P::WrongType {
                expected: "integer",
            },
        ),
        (
            Box::new(set("eta", json!("tomorrow"))),
            s("eta"),
            P::Time(Rfc3339Error::Syntax),
        ),
    ];
    for (edit, field, problem) in cases {
        assert_eq!(refused_field(edit), (field, problem));
    }
}

#[test]
fn whole_body_errors() {
    let c = codes();
    assert!(matches!(parse("", &c), Err(PartnerError::NotJson { .. })));
    assert!(matches!(
        parse("{\"event_id\": ", &c),
        Err(PartnerError::NotJson { .. })
    ));
    assert_eq!(parse("[1, 2]", &c), Err(PartnerError::NotAnObject));
    assert_eq!(parse("\"hi\"", &c), Err(PartnerError::NotAnObject));
    let mut v = minimal();
    v["timestamp"] = json!(1);
    let e = parse(&body(v), &c).unwrap_err();
    assert_eq!(
        e,
        PartnerError::UnknownField {
            name: "timestamp".into()
        }
    );
    assert_eq!(e.field(), Some("timestamp"));
    assert!(
        e.message(Lang::En)
            .starts_with("Unknown field “timestamp”. Known fields: event_id, waybill,")
    );
    let v = json!({"event_id": "e", "waybill": "WB1", "time": T0});
    assert_eq!(parse(&body(v), &c), Err(PartnerError::NothingToRecord));
    let huge = format!("{{\"note\": \"{}\"}}", "x".repeat(MAX_BODY_BYTES));
    assert_eq!(
        parse(&huge, &c),
        Err(PartnerError::TooLarge {
            max: MAX_BODY_BYTES
        })
    );
    assert_eq!(
        parse_bytes(huge.as_bytes(), &c),
        Err(PartnerError::TooLarge {
            max: MAX_BODY_BYTES
        })
    );
    assert_eq!(
        parse_bytes(b"{\"a\": \"\xff\"}", &c),
        Err(PartnerError::NotUtf8)
    );
    assert!(parse_bytes(body(minimal()).as_bytes(), &c).is_ok());
    let deep = "[".repeat(10_000);
    assert!(matches!(
        parse(&deep, &c),
        Err(PartnerError::NotJson { .. })
    ));
}

#[test]
fn messages_name_the_field_in_both_languages() {
    let e = PartnerError::Field {
        field: "time",
        problem: FieldProblem::Time(Rfc3339Error::MissingOffset),
    };
    assert_eq!(
        e.message(Lang::En),
        "Field “time”: the time needs a UTC offset (Z or ±HH:MM)."
    );
    assert_eq!(
        e.message(Lang::Zh),
        "字段“time”：时间缺少时区偏移（Z 或 ±HH:MM）。"
    );
    assert_eq!(e.code(), "invalid_field");
    let e = PartnerError::Field {
        field: "event_id",
        problem: FieldProblem::Missing,
    };
    assert_eq!(e.message(Lang::En), "Field “event_id”: is required.");
    let all = [
        PartnerError::TooLarge { max: 10 },
        PartnerError::NotUtf8,
        PartnerError::NotJson {
            detail: "EOF".into(),
        },
        PartnerError::NotAnObject,
        PartnerError::UnknownField { name: "x".into() },
        PartnerError::NothingToRecord,
        e,
    ];
    for e in all {
        assert_ne!(e.message(Lang::En), e.message(Lang::Zh));
    }
    for p in [
        FieldProblem::WrongType { expected: "string" },
        FieldProblem::UnknownStatus("x".into()),
        FieldProblem::UnknownRawCode("x".into()),
        FieldProblem::UnknownReason("x".into()),
        FieldProblem::UnknownTimeKind("x".into()),
        FieldProblem::ImplausibleTime,
        FieldProblem::Waybill(WaybillError::Empty),
        FieldProblem::Invalid(Problem::BadId),
    ] {
        assert_ne!(p.message(Lang::En), p.message(Lang::Zh));
    }
}

#[test]
fn idempotency_keys_do_not_collide() {
    assert_eq!(idempotency_key("swift", "evt-1"), "5:swift:evt-1");
    assert_ne!(idempotency_key("a:b", "c"), idempotency_key("a", "b:c"));
    assert_ne!(idempotency_key("p1", "e"), idempotency_key("p2", "e"));
}

fn tms() -> Viewer {
    Viewer::partner_system("tms", CARRIER, "Swift TMS")
}

fn push(v: Value) -> PartnerEvent {
    parse(&body(v), &codes()).unwrap()
}

#[test]
fn the_carrier_system_pushes_to_its_shipment() {
    let mut s = assigned();
    let ev = push(
        json!({"event_id": "evt-9", "waybill": "wb20261130-0001", "raw_code": "AF",
        "time": format_rfc3339(T0 + HOUR, 480), "eta": T0 + 29 * HOUR}),
    );
    let changes = apply(&mut s, &tms(), &ev, T0 + HOUR).unwrap();
    assert_eq!(
        changes,
        [
            Change::Status {
                status: Status::PickedUp,
                previous: Status::Accepted,
                applied: true
            },
            Change::Eta {
                eta_ms: T0 + 29 * HOUR,
                previous_ms: None,
                later: false
            }
        ]
    );
    let e = s.events.last().unwrap();
    assert_eq!(e.source, Source::PartnerApi);
    assert_eq!(e.raw_code.as_deref(), Some("AF"));
    assert_eq!(e.external_id.as_deref(), Some("evt-9"));
    assert_eq!(e.by.id, "partner:tms");
    assert_eq!(s.eta_history[0].source, Source::PartnerApi);
}

#[test]
fn a_partner_cannot_push_for_someone_elses_shipment() {
    let mut s = assigned();
    let before = s.clone();
    let ev = push(
        json!({"event_id": "e", "waybill": "WB20261130-0001", "status": "picked_up", "time": T0 + HOUR}),
    );
    let other = Viewer::partner_system("tms2", CARRIER2, "Other TMS");
    assert_eq!(
        apply(&mut s, &other, &ev, T0 + HOUR),
        Err(ShipmentError::NotFound)
    );
    // The dealer's system may only confirm delivery.
    let dealer = Viewer::partner_system("erp", DEALER, "Dealer ERP");
    assert_eq!(
        apply(&mut s, &dealer, &ev, T0 + HOUR),
        Err(ShipmentError::Forbidden(
            crate::domain::access::Action::RecordStatus(Status::PickedUp)
        ))
    );
    // A waybill that is not this shipment's.
    let ev = push(
        json!({"event_id": "e", "waybill": "WB-OTHER", "status": "picked_up", "time": T0 + HOUR}),
    );
    assert_eq!(
        apply(&mut s, &tms(), &ev, T0 + HOUR),
        Err(ShipmentError::NotFound)
    );
    assert_eq!(s, before);
}

#[test]
fn a_push_is_applied_whole_or_not_at_all() {
    let mut s = on_the_road();
    let before = s.clone();
    // The event is fine, the later ETA lacks a reason: nothing is recorded.
    let ev = push(
        json!({"event_id": "e", "waybill": "WB20261130-0001", "status": "arrived",
        "time": T0 + 3 * HOUR, "eta": T0 + 40 * HOUR}),
    );
    assert_eq!(
        apply(&mut s, &tms(), &ev, T0 + 3 * HOUR),
        Err(ShipmentError::EtaReasonRequired)
    );
    assert_eq!(s, before);
    // An illegal transition refuses the ETA too.
    let ev = push(
        json!({"event_id": "e", "waybill": "WB20261130-0001", "status": "accepted",
        "time": T0 + 3 * HOUR, "eta": T0 + 20 * HOUR}),
    );
    assert!(matches!(
        apply(&mut s, &tms(), &ev, T0 + 3 * HOUR),
        Err(ShipmentError::Transition(_))
    ));
    assert_eq!(s, before);
    // Delivered with an ETA: the ETA is moot and ignored.
    let ev = push(
        json!({"event_id": "e", "waybill": "WB20261130-0001", "status": "delivered",
        "time": T0 + 3 * HOUR, "eta": T0 + 40 * HOUR}),
    );
    let changes = apply(&mut s, &tms(), &ev, T0 + 3 * HOUR).unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(s.eta_ms, None);
    // The same ETA again is no change.
    let mut s = on_the_road();
    let ev = push(json!({"event_id": "e", "waybill": "WB20261130-0001", "eta": T0 + 20 * HOUR}));
    assert_eq!(apply(&mut s, &tms(), &ev, T0 + 3 * HOUR).unwrap().len(), 1);
    assert_eq!(apply(&mut s, &tms(), &ev, T0 + 3 * HOUR).unwrap(), []);
}

#[test]
fn a_push_for_an_unknown_stop_is_refused() {
    let mut s = on_the_road();
    let ev = push(
        json!({"event_id": "e", "waybill": "WB20261130-0001", "status": "arrived",
        "time": T0 + 3 * HOUR, "stop": 5}),
    );
    assert_eq!(
        apply(&mut s, &tms(), &ev, T0 + 3 * HOUR),
        Err(ShipmentError::UnknownStop { stop: 4, stops: 2 })
    );
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        "\\PC{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("\\PC{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn field_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        json_value(),
        Just(json!(T0)),
        Just(json!("2026-11-30T08:00:00Z")),
        prop::sample::select(vec![
            "delayed",
            "picked_up",
            "weather",
            "actual",
            "AF",
            "WB1",
            "e1"
        ])
        .prop_map(|s| json!(s)),
        (-5i64..30).prop_map(|n| json!(n)),
    ]
}

proptest! {
    #[test]
    fn parse_never_panics_on_text(s in "\\PC{0,200}") {
        let _ = parse(&s, &codes());
        let _ = parse_bytes(s.as_bytes(), &codes());
    }

    #[test]
    fn parse_never_panics_on_json(v in json_value()) {
        let _ = parse(&v.to_string(), &codes());
    }

    /// Bodies with the real field names and random values: parsing never panics, and what
    /// it accepts applies to a shipment without panicking either.
    #[test]
    fn parse_and_apply_never_panic(fields in prop::collection::btree_map(
        prop::sample::select(FIELDS.to_vec()), field_value(), 0..13)
    ) {
        let v = Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
        if let Ok(ev) = parse(&v.to_string(), &codes()) {
            prop_assert!(validate::id_like(&ev.event_id));
            prop_assert!(ev.status.is_some() || ev.eta_ms.is_some());
            let mut s = on_the_road();
            let before = s.clone();
            if apply(&mut s, &tms(), &ev, T0 + 3 * HOUR).is_err() {
                prop_assert_eq!(s, before);
            }
        }
    }
}
