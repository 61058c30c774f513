//! Web Push end to end: a browser's subscription (keys made here, as a browser would),
//! a stand-in push service on a real socket, and every message checked the way a push
//! service and the browser would — the VAPID signature against the host's public key,
//! the RFC 8291 encryption by decrypting it with the browser's private key — plus who
//! gets pushed (direct messages and mentions, outside quiet hours), gone subscriptions
//! removed, and bad or private endpoints refused — on SQLite and PostgreSQL.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use web_push_native::jwt_simple::prelude::*;
use web_push_native::p256;
use web_push_native::p256::elliptic_curve::sec1::ToEncodedPoint;

use crate::common::{Backend, Client, TestServer};

/// One message as the push service got it: the subscription's id, headers, body.
type Received = (String, HeaderMap, Vec<u8>);

#[derive(Clone, Default)]
struct PushService {
    received: Arc<Mutex<Vec<Received>>>,
    gone: Arc<Mutex<Vec<String>>>,
}

async fn receive(
    State(service): State<PushService>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    if service.gone.lock().unwrap().contains(&id) {
        return StatusCode::GONE;
    }
    service
        .received
        .lock()
        .unwrap()
        .push((id, headers, body.to_vec()));
    StatusCode::CREATED
}

async fn start_push_service() -> (PushService, String) {
    let service = PushService::default();
    let app = axum::Router::new()
        .route("/push/{id}", axum::routing::post(receive))
        .with_state(service.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (service, base)
}

/// A browser's side of a subscription: its key pair and authentication secret.
struct Browser {
    secret: p256::SecretKey,
    auth: [u8; 16],
}

impl Browser {
    fn new(seed: &str) -> Browser {
        let digest = Sha256::digest(format!("{seed}{}", uuid::Uuid::new_v4()));
        let secret = p256::SecretKey::from_slice(&digest).expect("a scalar");
        let mut auth = [0u8; 16];
        auth.copy_from_slice(&Sha256::digest(seed)[..16]);
        Browser { secret, auth }
    }

    fn subscription(&self, endpoint: &str) -> Value {
        let public = self.secret.public_key().to_encoded_point(false);
        json!({
            "endpoint": endpoint,
            "expirationTime": null,
            "keys": {"p256dh": B64.encode(public.as_bytes()), "auth": B64.encode(self.auth)},
        })
    }

    fn open(&self, body: &[u8]) -> Value {
        let auth = web_push_native::Auth::clone_from_slice(&self.auth);
        let plain = web_push_native::decrypt(body.to_vec(), &self.secret, &auth)
            .expect("the browser can decrypt the message");
        serde_json::from_slice(&plain).expect("JSON")
    }
}

/// Waits until the service has received `n` messages in all; returns them.
async fn wait_for(service: &PushService, n: usize) -> Vec<Received> {
    for _ in 0..200 {
        let got = service.received.lock().unwrap().clone();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "expected {n} pushes, got {}",
        service.received.lock().unwrap().len()
    );
}

async fn say(client: &Client, group: &str, body: &str) {
    client.say(group, body).await;
}

async fn web_push(backend: Backend) {
    let (service, service_base) = start_push_service().await;
    let server = TestServer::start_with(backend, |c| c.push_allow_private = true).await;
    let org = server.org("Push Co").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;
    let (bob_id, bob) = server.person(&org, "Bob", "member").await;
    let browser = Browser::new("bob-laptop");
    let endpoint = format!("{service_base}/push/bob-laptop");

    let (status, body) = bob
        .post(
            "/api/v1/me/push-subscriptions",
            browser.subscription(&endpoint),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    // Subscribing again (the browser re-subscribes on every start) keeps one.
    let (status, _) = bob
        .post(
            "/api/v1/me/push-subscriptions",
            browser.subscription(&endpoint),
        )
        .await;
    assert_eq!(status, 204);
    let (_, settings) = bob.get("/api/v1/me/notifications").await;
    assert_eq!(settings["push_subscriptions"], 1);
    let vapid_public = settings["push_public_key"].as_str().unwrap().to_owned();
    assert_eq!(
        B64.decode(&vapid_public).unwrap().len(),
        65,
        "an uncompressed P-256 point"
    );

    // A direct message is pushed: signed by the host, readable only by Bob's browser.
    let (_, dm) = alice
        .post("/api/v1/direct", json!({"person_ids": [bob_id]}))
        .await;
    let dm = dm["id"].as_str().unwrap().to_owned();
    say(&alice, &dm, "Can you approve PO-7781 today?").await;
    let got = wait_for(&service, 1).await;
    let (id, headers, body) = &got[0];
    assert_eq!(id, "bob-laptop");
    assert_eq!(headers["content-encoding"], "aes128gcm");
    assert_eq!(headers["ttl"], "86400");
    let authorization = headers["authorization"].to_str().unwrap();
    let (token, key) = authorization
        .strip_prefix("vapid t=")
        .and_then(|rest| rest.split_once(", k="))
        .expect("vapid t=…, k=…");
    assert_eq!(key, vapid_public);
    let verifier = ES256PublicKey::from_bytes(&B64.decode(key).unwrap()).unwrap();
    let claims = verifier
        .verify_token::<NoCustomClaims>(token, None)
        .expect("the VAPID token verifies with the host's key");
    let audience = format!("{:?}", claims.audiences);
    assert!(audience.contains(&service_base), "{audience}");
    assert!(claims.subject.is_some(), "a contact");
    assert!(
        !String::from_utf8_lossy(body).contains("PO-7781"),
        "encrypted"
    );
    let note = browser.open(body);
    assert_eq!(note["title"], "Alice");
    assert_eq!(note["body"], "Can you approve PO-7781 today?");
    assert_eq!(note["url"], format!("/g/{dm}"));
    assert_eq!(note["tag"], dm);

    // In a team: only mentions are pushed, with names instead of ids.
    let (_, team) = alice
        .post(
            "/api/v1/groups",
            json!({"kind": "team", "name": "Ops", "member_ids": [bob_id]}),
        )
        .await;
    let team = team["id"].as_str().unwrap().to_owned();
    say(&alice, &team, "lunch is ready").await;
    say(
        &alice,
        &team,
        &format!("<@{bob_id}> the truck is at gate 3"),
    )
    .await;
    let got = wait_for(&service, 2).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        service.received.lock().unwrap().len(),
        2,
        "one push, for the mention"
    );
    let note = browser.open(&got[1].2);
    assert_eq!(note["title"], "Alice · Ops");
    assert_eq!(note["body"], "@Bob the truck is at gate 3");

    // Quiet hours hold pushes too.
    let clock = crate::notifications::clock_from_now;
    let (status, _) = bob
        .put_json(
            "/api/v1/me/notifications",
            json!({"email_digest": true, "quiet_hours": {"start": clock(-30), "end": clock(30)}}),
        )
        .await;
    assert_eq!(status, 200);
    say(&alice, &dm, "quiet please").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        service.received.lock().unwrap().len(),
        2,
        "nothing in quiet hours"
    );
    let (status, _) = bob
        .put_json(
            "/api/v1/me/notifications",
            json!({"email_digest": true, "quiet_hours": null}),
        )
        .await;
    assert_eq!(status, 200);

    // A push service saying the subscription is gone: it is removed.
    service.gone.lock().unwrap().push("bob-laptop".into());
    say(&alice, &dm, "still there?").await;
    let mut left = 1;
    for _ in 0..200 {
        left = bob.get("/api/v1/me/notifications").await.1["push_subscriptions"]
            .as_i64()
            .unwrap();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(left, 0, "a gone subscription is removed");

    // Unsubscribing; someone else cannot remove Bob's.
    let phone = Browser::new("bob-phone");
    let phone_endpoint = format!("{service_base}/push/bob-phone");
    let (status, _) = bob
        .post(
            "/api/v1/me/push-subscriptions",
            phone.subscription(&phone_endpoint),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = alice
        .request(
            reqwest::Method::DELETE,
            "/api/v1/me/push-subscriptions",
            Some(json!({"endpoint": phone_endpoint})),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = bob
        .request(
            reqwest::Method::DELETE,
            "/api/v1/me/push-subscriptions",
            Some(json!({"endpoint": phone_endpoint})),
        )
        .await;
    assert_eq!(status, 204);

    // Bad subscriptions are refused with a clear error.
    let good = phone.subscription(&phone_endpoint);
    let mut bad_key = good.clone();
    bad_key["keys"]["p256dh"] = json!("bm90IGEga2V5");
    let mut bad_auth = good.clone();
    bad_auth["keys"]["auth"] = json!(B64.encode([1u8; 8]));
    let mut bad_scheme = good.clone();
    bad_scheme["endpoint"] = json!("ftp://push.example.com/x");
    for body in [bad_key, bad_auth, bad_scheme] {
        let (status, err) = bob.post("/api/v1/me/push-subscriptions", body).await;
        assert_eq!(status, 422, "{err}");
        assert_eq!(err["code"], "invalid_subscription");
        assert!(err["message_zh"].is_string());
    }
    let (status, _) = bob
        .post(
            "/api/v1/me/push-subscriptions",
            json!({"endpoint": phone_endpoint}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        server
            .client()
            .post("/api/v1/me/push-subscriptions", good)
            .await
            .0,
        401
    );

    // By default a push endpoint must be a public address.
    let strict = TestServer::start(backend).await;
    let org = strict.org("Strict Co").await;
    let (_, carol) = strict.person(&org, "Carol", "member").await;
    for endpoint in [
        "https://127.0.0.1/push/x".to_owned(),
        "https://10.1.2.3/push/x".to_owned(),
        format!("{service_base}/push/x"),
    ] {
        let (status, err) = carol
            .post(
                "/api/v1/me/push-subscriptions",
                phone.subscription(&endpoint),
            )
            .await;
        assert_eq!(
            (status, err["code"].as_str()),
            (422, Some("invalid_subscription")),
            "{endpoint}: {err}"
        );
    }
}

crate::both_backends!(web_push);

/// Figures for `docs/benchmarks.md`: one message mentioning `PEOPLE` people, each with a
/// subscribed browser; time from the post's answer until every push arrived. Run with
/// `cargo test -p courtyard-tests --test e2e push::push_figures -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn push_figures() {
    const PEOPLE: usize = 50;
    let (service, service_base) = start_push_service().await;
    let server = TestServer::start_with(Backend::Sqlite, |c| c.push_allow_private = true).await;
    let org = server.org("Figures Co").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;
    let mut people = Vec::new();
    for i in 0..PEOPLE {
        let (id, client) = server.person(&org, &format!("P{i}"), "member").await;
        let browser = Browser::new(&format!("p{i}"));
        let (status, _) = client
            .post(
                "/api/v1/me/push-subscriptions",
                browser.subscription(&format!("{service_base}/push/p{i}")),
            )
            .await;
        assert_eq!(status, 204);
        people.push(id);
    }
    let (_, team) = alice
        .post(
            "/api/v1/groups",
            json!({"kind": "team", "name": "All", "member_ids": people}),
        )
        .await;
    let team = team["id"].as_str().unwrap().to_owned();
    let body: String = people.iter().map(|p| format!("<@{p}> ")).collect();
    let started = std::time::Instant::now();
    say(&alice, &team, &format!("{body}stand-up in five")).await;
    let posted = started.elapsed();
    wait_for(&service, PEOPLE).await;
    let all = started.elapsed();
    println!(
        "push fan-out: post answered in {:.1} ms; {PEOPLE} encrypted, signed pushes delivered \
         {:.1} ms after the post ({:.2} ms per push)",
        posted.as_secs_f64() * 1000.0,
        all.as_secs_f64() * 1000.0,
        all.as_secs_f64() * 1000.0 / PEOPLE as f64
    );
}
