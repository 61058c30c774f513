//! The seed scenario through a real in-process host: a manufacturer, its carrier, a second
//! carrier, a dealer, a supplier and a driver share one group; each party sees only its own
//! shipments — in the group's history, the API, pages and exports — and every bad input is
//! refused with nothing changed.

use courtyard_sdk::testing::{Harness, HttpRequest, TestGroup, TestOrg, TestPerson};
use serde_json::{Value, json};

const PLUGIN: &str = "logistics";

struct World {
    h: Harness,
    lina: TestPerson,
    swift: TestOrg,
    dispatcher: TestPerson,
    driver: TestPerson,
    other: TestPerson,
    other_org: TestOrg,
    dealer: TestPerson,
    dealer_org: TestOrg,
    supplier: TestPerson,
    group: TestGroup,
}

async fn world() -> World {
    let h = Harness::start(env!("CARGO_MANIFEST_DIR")).await.unwrap();
    let lina = h.person("Lina (logistics)").await.unwrap();
    let swift = h.partner_org("Swift Freight").await.unwrap();
    let dispatcher = h.partner_person(&swift, "Wang (dispatcher)").await.unwrap();
    let driver = h.partner_person(&swift, "Zhao (driver)").await.unwrap();
    let other_org = h.partner_org("Other Haulage").await.unwrap();
    let other = h
        .partner_person(&other_org, "Qian (other carrier)")
        .await
        .unwrap();
    let dealer_org = h.partner_org("East Dealer").await.unwrap();
    let dealer = h.partner_person(&dealer_org, "Sun (dealer)").await.unwrap();
    let supplier_org = h.partner_org("Steel Supplier").await.unwrap();
    let supplier = h
        .partner_person(&supplier_org, "Li (supplier)")
        .await
        .unwrap();
    let group = h
        .shared_group(
            &h.admin(),
            "Supply chain",
            &[&lina],
            &[
                (&swift, &[&dispatcher]),
                (&other_org, &[&other]),
                (&dealer_org, &[&dealer]),
                (&supplier_org, &[&supplier]),
            ],
            json!({}),
        )
        .await
        .unwrap();
    World {
        h,
        lina,
        swift,
        dispatcher,
        driver,
        other,
        other_org,
        dealer,
        dealer_org,
        supplier,
        group,
    }
}

impl World {
    async fn call(&self, who: &TestPerson, method: &str, path: &str, body: Value) -> (u16, Value) {
        let sep = if path.contains('?') { '&' } else { '?' };
        let path = format!("{path}{sep}group_id={}", self.group.id);
        let body = (!body.is_null()).then_some(body);
        match self.h.http(who, PLUGIN, method, &path, body).await {
            Ok(r) => (
                r.status,
                serde_json::from_slice(&r.body)
                    .unwrap_or_else(|_| json!(String::from_utf8_lossy(&r.body))),
            ),
            Err(e) => (404, json!({"host_error": e.to_string()})),
        }
    }

    async fn push(&self, token: &str, body: Value) -> (u16, Value) {
        let r = self
            .h
            .app
            .plugin_route(
                None,
                Some(&self.h.org_id),
                PLUGIN,
                HttpRequest {
                    method: "POST".into(),
                    url: "events".into(),
                    query: String::new(),
                    headers: vec![
                        ("x-partner-token".into(), token.to_owned()),
                        ("content-type".into(), "application/json".into()),
                    ],
                    body: body.to_string().into_bytes(),
                    timeout_ms: 0,
                },
            )
            .await
            .unwrap();
        (
            r.status,
            serde_json::from_slice(&r.body).unwrap_or(Value::Null),
        )
    }

    /// The shipment cards `who` sees in the group.
    async fn cards_seen(&self, who: &TestPerson) -> Vec<String> {
        self.h
            .messages(who, &self.group)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|m| {
                m.card
                    .map(|c| c["title"].as_str().unwrap_or_default().to_owned())
            })
            .collect()
    }
}

fn hours(n: i64) -> i64 {
    n * 3_600_000
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn new_shipment(w: &World, carrier: Option<&TestOrg>) -> Value {
    json!({
        "group_id": w.group.id,
        "reference": "PO-2026-118",
        "origin": "Suzhou plant",
        "destination": "Hangzhou dealer",
        "planned_pickup_ms": now() + hours(2),
        "planned_delivery_ms": now() + hours(8),
        "goods": [
            {"description": "Gearbox", "quantity": 12, "unit": "pcs", "weight_kg": 480},
            {"description": "Spare parts", "quantity": 3, "unit": "箱", "weight_kg": 45.5}
        ],
        "consignee_org_id": w.dealer_org.id,
        "carrier_org_id": carrier.map(|c| c.id.clone()),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_party_sees_only_its_own_shipments_from_plan_to_delivery() {
    let w = world().await;

    // The shipper publishes a planned shipment to Swift Freight.
    let (status, created) = w
        .call(
            &w.lina,
            "POST",
            "shipments",
            new_shipment(&w, Some(&w.swift)),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["shipment"]["id"].as_str().unwrap().to_owned();
    let waybill = created["shipment"]["waybill"].as_str().unwrap().to_owned();
    assert!(waybill.starts_with("WB"), "{waybill}");

    // Its card is in the shared group for the shipper, the carrier and the dealer only.
    for party in [&w.lina, &w.dispatcher, &w.dealer] {
        assert!(
            w.cards_seen(party)
                .await
                .iter()
                .any(|t| t.contains(&waybill)),
            "{} should see it",
            party.name
        );
    }
    for outsider in [&w.other, &w.supplier] {
        assert!(
            w.cards_seen(outsider).await.is_empty(),
            "{} sees a card",
            outsider.name
        );
        let (status, list) = w.call(outsider, "GET", "shipments", Value::Null).await;
        assert_eq!(status, 200, "{list}");
        assert_eq!(list["shipments"], json!([]), "{} lists it", outsider.name);
        let (status, _) = w
            .call(outsider, "GET", &format!("shipments/{id}"), Value::Null)
            .await;
        assert_eq!(status, 404);
        let (status, _) = w
            .call(
                outsider,
                "POST",
                &format!("shipments/{id}/accept"),
                json!({}),
            )
            .await;
        assert_eq!(status, 404, "{} could act on it", outsider.name);
    }

    // The dealer cannot accept; the carrier's dispatcher accepts and assigns truck and driver.
    let (status, _) = w
        .call(
            &w.dealer,
            "POST",
            &format!("shipments/{id}/accept"),
            json!({}),
        )
        .await;
    assert_eq!(status, 400);
    let (status, body) = w
        .call(
            &w.dispatcher,
            "POST",
            &format!("shipments/{id}/accept"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["shipment"]["status"], "accepted");
    // The driver joins the group (added by their company's admin) and is assigned.
    w.h.app
        .add_member(
            w.swift.admin.auth(),
            &w.group.id,
            courtyard_host::app::groups::AddMember {
                person_id: w.driver.id.clone(),
                role: None,
            },
        )
        .await
        .unwrap();
    let (status, body) = w
        .call(
            &w.dispatcher,
            "POST",
            &format!("shipments/{id}/assign"),
            json!({"vehicle": "沪A·12345", "driver_id": w.driver.id}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        w.cards_seen(&w.driver)
            .await
            .iter()
            .any(|t| t.contains(&waybill))
    );

    // The driver photographs the delivery note; everyone who sees the shipment may open
    // it, nobody else. Someone else's file cannot be attached.
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend_from_slice(&[0u8; 64]);
    let photo = w.h.upload(&w.driver, "送货单.png", png).await.unwrap();
    assert_eq!(photo.content_type, "image/png");
    let (status, body) = w
        .call(
            &w.dealer,
            "POST",
            &format!("shipments/{id}/documents"),
            json!({"kind": "delivery_note", "file_id": photo.id}),
        )
        .await;
    assert_eq!(status, 400, "not the dealer's upload: {body}");
    let (status, body) = w
        .call(
            &w.driver,
            "POST",
            &format!("shipments/{id}/documents"),
            json!({"kind": "delivery_note", "file_id": photo.id}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["shipment"]["documents"][0]["name"], "送货单.png");
    for party in [&w.lina, &w.dispatcher, &w.dealer] {
        assert!(
            w.h.file(party, &photo.id).await.is_ok(),
            "{} cannot open the document",
            party.name
        );
    }
    for outsider in [&w.other, &w.supplier] {
        assert!(
            w.h.file(outsider, &photo.id).await.is_err(),
            "{} opens the document",
            outsider.name
        );
    }
    // An archive is a file the host keeps, but not a transport document.
    let mut zip = b"PK\x03\x04".to_vec();
    zip.extend_from_slice(&[0u8; 60]);
    let archive = w.h.upload(&w.driver, "docs.zip", zip).await.unwrap();
    let (status, body) = w
        .call(
            &w.driver,
            "POST",
            &format!("shipments/{id}/documents"),
            json!({"kind": "other", "file_id": archive.id}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (_, detail) = w
        .call(&w.driver, "GET", &format!("shipments/{id}"), Value::Null)
        .await;
    assert_eq!(detail["shipment"]["documents"].as_array().unwrap().len(), 1);
    // A page of HTML is no transport document.
    assert!(
        w.h.upload(
            &w.driver,
            "pod.html",
            "<html><script>alert(1)</script></html>"
        )
        .await
        .is_err()
    );

    // The driver reports pickup, then the road: an illegal jump and a late ETA without a
    // reason are refused and change nothing.
    let at = now() - 60_000;
    let (status, body) = w
        .call(
            &w.driver,
            "POST",
            &format!("shipments/{id}/events"),
            json!({"status": "picked_up", "at_ms": at, "place": "Suzhou plant"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = w
        .call(
            &w.driver,
            "POST",
            &format!("shipments/{id}/events"),
            json!({"status": "created", "at_ms": now()}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = w
        .call(
            &w.driver,
            "POST",
            &format!("shipments/{id}/eta"),
            json!({"eta_ms": now() + hours(11)}),
        )
        .await;
    assert_eq!(status, 400, "a later ETA needs a reason: {body}");
    let (status, body) = w
        .call(
            &w.driver,
            "POST",
            &format!("shipments/{id}/eta"),
            json!({"eta_ms": now() - hours(1), "note": "oops"}),
        )
        .await;
    assert_eq!(status, 400, "an ETA in the past needs a reason: {body}");
    let (status, body) = w
        .call(
            &w.driver,
            "POST",
            &format!("shipments/{id}/eta"),
            json!({"eta_ms": now() + hours(11), "reason": "traffic", "note": "G60 jam"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let history = body["shipment"]["eta_history"].as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["reason"], "traffic");
    assert_eq!(history[0]["by"]["id"], json!(w.driver.id));

    // The dealer hears about the delay in the shipment's thread; the other carrier does not
    // see the thread at all.
    let (_, detail) = w
        .call(&w.dealer, "GET", &format!("shipments/{id}"), Value::Null)
        .await;
    let card_id = detail["card_id"].as_str().unwrap().to_owned();
    let dealer_auth = w.dealer.auth();
    let replies =
        w.h.app
            .thread(dealer_auth, &card_id, None, None)
            .await
            .unwrap();
    assert!(replies.iter().any(|m| {
        m.card
            .as_ref()
            .is_some_and(|c| c["title"].as_str().unwrap_or("").contains(&waybill))
    }));
    assert!(
        w.h.app
            .thread(w.other.auth(), &card_id, None, None)
            .await
            .is_err()
    );

    // Swift's system pushes delivery with its token: once, and again (idempotent).
    let admin = w.h.admin();
    let (status, token) = w
        .call(
            &admin,
            "POST",
            &format!("partners/{}/token", w.swift.id),
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{token}");
    let token = token["token"].as_str().unwrap().to_owned();
    let (status, other_token) = w
        .call(
            &admin,
            "POST",
            &format!("partners/{}/token", w.other_org.id),
            json!({}),
        )
        .await;
    assert_eq!(status, 201);
    let other_token = other_token["token"].as_str().unwrap().to_owned();
    let push = json!({"event_id": "swift-1", "waybill": waybill, "raw_code": "D1", "time": "2026-01-01T00:00:00+08:00"});
    // A partner's event older than the last milestone is kept in the history but does not
    // move the status (partners deliver out of order).
    let (status, body) = w.push(&token, push.clone()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["shipment_status"], "picked_up");
    let push = json!({"event_id": "swift-2", "waybill": waybill, "raw_code": "D1", "time": now() - 1000, "place": "Hangzhou dealer"});
    let (status, body) = w.push(&token, push.clone()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["shipment_status"], "delivered");
    let (status, body) = w.push(&token, push).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "duplicate");
    // A partner's own codes map to the normalised vocabulary once an admin says how.
    let (status, body) = w
        .call(
            &admin,
            "PUT",
            &format!("partners/{}/codes", w.swift.id),
            json!({"codes": {"ZZ9": "nonsense"}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = w
        .call(
            &admin,
            "PUT",
            &format!("partners/{}/codes", w.swift.id),
            json!({"codes": {"ZZ9": "on_hold"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = w
        .call(
            &w.dispatcher,
            "PUT",
            &format!("partners/{}/codes", w.swift.id),
            json!({"codes": {}}),
        )
        .await;
    assert_eq!(status, 403, "partners do not edit their own mapping");
    // Another carrier's system cannot touch it; a bad token is refused.
    let (status, _) = w
        .push(&other_token, json!({"event_id": "x-1", "waybill": waybill, "status": "returned", "reason": "other", "time": now()}))
        .await;
    assert_eq!(status, 404);
    let (status, _) = w
        .push(
            "nope",
            json!({"event_id": "x-2", "waybill": waybill, "status": "returned"}),
        )
        .await;
    assert_eq!(status, 401);

    // Delivered is final.
    let (status, _) = w
        .call(
            &w.driver,
            "POST",
            &format!("shipments/{id}/events"),
            json!({"status": "in_transit", "at_ms": now()}),
        )
        .await;
    assert_eq!(status, 400);

    // Analysis and exports: staff only for analysis; exports list only what one may see.
    let (status, report) = w.call(&w.lina, "GET", "analysis", Value::Null).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["overall"]["delivered"], 1);
    let (status, _) = w.call(&w.dispatcher, "GET", "analysis", Value::Null).await;
    assert_eq!(status, 403);
    let csv =
        w.h.http(
            &w.lina,
            PLUGIN,
            "GET",
            &format!("export/shipments.csv?group_id={}", w.group.id),
            None,
        )
        .await
        .unwrap();
    assert!(csv.body.starts_with("\u{feff}".as_bytes()));
    assert!(String::from_utf8_lossy(&csv.body).contains(&waybill));
    let csv =
        w.h.http(
            &w.other,
            PLUGIN,
            "GET",
            &format!("export/events.csv?group_id={}", w.group.id),
            None,
        )
        .await
        .unwrap();
    assert!(!String::from_utf8_lossy(&csv.body).contains(&waybill));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_shippers_staff_create_shipments_and_bad_input_is_refused() {
    let w = world().await;
    let (status, _) = w
        .call(
            &w.dispatcher,
            "POST",
            "shipments",
            new_shipment(&w, Some(&w.swift)),
        )
        .await;
    assert_eq!(status, 400);
    let mut bad = new_shipment(&w, None);
    bad["goods"] = json!([]);
    let (status, body) = w.call(&w.lina, "POST", "shipments", bad).await;
    assert_eq!(status, 400, "{body}");
    let mut bad = new_shipment(&w, None);
    bad["consignee_org_id"] = json!("00000000-0000-0000-0000-000000000000");
    let (status, _) = w.call(&w.lina, "POST", "shipments", bad).await;
    assert_eq!(status, 400);
    let (status, list) = w.call(&w.lina, "GET", "shipments", Value::Null).await;
    assert_eq!(status, 200);
    assert_eq!(list["shipments"], json!([]), "nothing was half-written");

    // Plan → capacity: a shipment without a carrier is the shipper's alone; published to
    // Swift, Swift sees it; Swift declines and no longer sees it; published to the other
    // carrier, that one does.
    let (status, created) = w
        .call(&w.lina, "POST", "shipments", new_shipment(&w, None))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["shipment"]["id"].as_str().unwrap().to_owned();
    let waybill = created["shipment"]["waybill"].as_str().unwrap().to_owned();
    let sees = |cards: Vec<String>| cards.iter().any(|t| t.contains(&waybill));
    assert!(!sees(w.cards_seen(&w.dispatcher).await));
    let publish = |org: &TestOrg| json!({"carrier_org_id": org.id});
    let (status, _) = w
        .call(
            &w.dispatcher,
            "POST",
            &format!("shipments/{id}/publish"),
            publish(&w.swift),
        )
        .await;
    assert_eq!(status, 404, "a carrier cannot publish to itself");
    let (status, body) = w
        .call(
            &w.lina,
            "POST",
            &format!("shipments/{id}/publish"),
            publish(&w.swift),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(sees(w.cards_seen(&w.dispatcher).await));
    assert!(!sees(w.cards_seen(&w.other).await));
    let (status, body) = w
        .call(
            &w.dispatcher,
            "POST",
            &format!("shipments/{id}/decline"),
            json!({"note": "no trucks on Monday"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        !sees(w.cards_seen(&w.dispatcher).await),
        "a carrier that declined no longer sees it"
    );
    let (status, _) = w
        .call(
            &w.lina,
            "POST",
            &format!("shipments/{id}/publish"),
            publish(&w.other_org),
        )
        .await;
    assert_eq!(status, 200);
    assert!(sees(w.cards_seen(&w.other).await));
    let (status, _) = w
        .call(
            &w.dispatcher,
            "GET",
            &format!("shipments/{id}"),
            Value::Null,
        )
        .await;
    assert_eq!(status, 404);

    // The slash command answers the creation form to staff, refuses partners.
    let reply = w.h.command(&w.lina, &w.group, "/shipment").await.unwrap();
    assert!(reply.form.is_some());
    assert!(
        w.h.command(&w.dispatcher, &w.group, "/shipment")
            .await
            .is_err()
    );
}

fn local(ms: i64) -> String {
    // The harness organization keeps UTC.
    let secs = ms / 1000;
    let days = secs.div_euclid(86_400);
    let (h, m) = (
        (secs.rem_euclid(86_400)) / 3600,
        (secs.rem_euclid(3600)) / 60,
    );
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_card_and_its_forms_carry_a_shipment_from_chat() {
    let w = world().await;
    let reply = w.h.command(&w.lina, &w.group, "/shipment").await.unwrap();
    let form = reply.form.expect("the creation form");
    let reply =
        w.h.submit(
            &w.lina,
            &form,
            json!({
                "reference": "PO-77",
                "origin": "Suzhou",
                "destination": "Ningbo",
                "planned_pickup": local(now() + hours(1)),
                "planned_delivery": local(now() + hours(6)),
                "consignee": w.dealer_org.id,
                "carrier": w.swift.id,
                "goods": [{"description": "Motor", "quantity": 4, "unit": "pcs", "weight_kg": 120}],
                "stops": [
                    {"kind": "pickup", "place": "Suzhou", "window_from": local(now() + hours(1)), "window_to": local(now() + hours(2))},
                    {"kind": "via", "place": "Jiaxing depot"},
                    {"kind": "delivery", "place": "Ningbo", "window_to": local(now() + hours(7))},
                ],
            }),
        )
        .await
        .unwrap();
    assert!(reply.ephemeral.unwrap().contains("WB"));
    let card =
        w.h.messages(&w.dispatcher, &w.group)
            .await
            .unwrap()
            .into_iter()
            .find(|m| m.card.is_some())
            .expect("the carrier sees the card");
    assert!(
        card.audience
            .as_ref()
            .is_some_and(|a| a.contains(&w.dispatcher.id) && !a.contains(&w.other.id))
    );
    let value = card.card.as_ref().unwrap()["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|b| {
            b["buttons"]
                .as_array()
                .and_then(|bs| bs.first())
                .map(|b| b["value"].as_str().unwrap().to_owned())
        })
        .expect("buttons carry the shipment id");

    // Someone outside the audience cannot press its buttons.
    assert!(
        w.h.press(&w.other, &card.id, "accept", &value)
            .await
            .is_err()
    );
    // The carrier accepts from the card; the card shows it.
    w.h.press(&w.dispatcher, &card.id, "accept", &value)
        .await
        .unwrap();
    let shown = w.h.messages(&w.lina, &w.group).await.unwrap();
    let shown = shown.iter().find(|m| m.id == card.id).unwrap();
    assert!(
        shown
            .card
            .as_ref()
            .unwrap()
            .to_string()
            .contains("Accepted"),
        "{:?}",
        shown.card
    );

    // Status and ETA through the card's forms.
    let status_form =
        w.h.press(&w.dispatcher, &card.id, "status", &value)
            .await
            .unwrap()
            .form
            .unwrap();
    w.h.submit(
        &w.dispatcher,
        &status_form,
        json!({"status": "picked_up", "at": local(now() - 60_000), "place": "Suzhou"}),
    )
    .await
    .unwrap();
    // A multi-stop route: arriving at the depot, then on again.
    for step in [
        json!({"status": "arrived", "stop": "1", "at": local(now() - 30_000), "place": "Jiaxing depot"}),
        json!({"status": "in_transit", "at": local(now())}),
    ] {
        let form =
            w.h.press(&w.dispatcher, &card.id, "status", &value)
                .await
                .unwrap()
                .form
                .unwrap();
        w.h.submit(&w.dispatcher, &form, step).await.unwrap();
    }
    let (_, detail) = w
        .call(
            &w.dispatcher,
            "GET",
            &format!("shipments/{value}"),
            Value::Null,
        )
        .await;
    let stops = detail["shipment"]["stops"].as_array().unwrap();
    assert_eq!(stops.len(), 3);
    assert!(stops[1]["actual_arrival_ms"].is_i64(), "{detail}");
    assert!(stops[2]["window_to_ms"].is_i64());
    assert_eq!(detail["shipment"]["status"], "in_transit");

    let eta_form =
        w.h.press(&w.dispatcher, &card.id, "eta", &value)
            .await
            .unwrap()
            .form
            .unwrap();
    let refused =
        w.h.submit(
            &w.dispatcher,
            &eta_form,
            json!({"eta": local(now() + hours(9))}),
        )
        .await;
    assert!(refused.is_err(), "a later ETA needs a reason");
    let eta_form =
        w.h.press(&w.dispatcher, &card.id, "eta", &value)
            .await
            .unwrap()
            .form
            .unwrap();
    w.h.submit(
        &w.dispatcher,
        &eta_form,
        json!({"eta": local(now() + hours(9)), "reason": "weather", "note": "fog"}),
    )
    .await
    .unwrap();
    // The dealer is told in the card's thread.
    let thread =
        w.h.app
            .thread(w.dealer.auth(), &card.id, None, None)
            .await
            .unwrap();
    let notice = thread.last().expect("a notice in the thread");
    assert!(
        notice
            .card
            .as_ref()
            .unwrap()
            .to_string()
            .contains("Weather"),
        "{:?}",
        notice.card
    );
    assert!(
        notice.audience == card.audience,
        "the thread keeps the card's audience"
    );
    // Nobody cancels goods on the road: the shipment is returned instead, with a reason.
    assert!(
        w.h.press(&w.dealer, &card.id, "cancel", &value)
            .await
            .is_err()
    );
    let refused =
        w.h.press(&w.lina, &card.id, "cancel", &value)
            .await
            .unwrap_err();
    assert!(refused.to_string().contains("no such button"), "{refused}");
    let status_form =
        w.h.press(&w.lina, &card.id, "status", &value)
            .await
            .unwrap()
            .form
            .unwrap();
    assert!(
        w.h.submit(
            &w.lina,
            &status_form,
            json!({"status": "returned", "at": local(now())})
        )
        .await
        .is_err(),
        "a return needs a reason"
    );
    let status_form =
        w.h.press(&w.lina, &card.id, "status", &value)
            .await
            .unwrap()
            .form
            .unwrap();
    w.h.submit(
        &w.lina,
        &status_form,
        json!({"status": "returned", "reason": "address_problem", "at": local(now())}),
    )
    .await
    .unwrap();
    let (_, detail) = w
        .call(&w.lina, "GET", &format!("shipments/{value}"), Value::Null)
        .await;
    assert_eq!(detail["shipment"]["status"], "returned");
    assert_eq!(
        detail["shipment"]["events"].as_array().unwrap().len(),
        6,
        "{detail}"
    );
}
