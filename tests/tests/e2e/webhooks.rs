//! Webhooks over the real server: an incoming hook posts as a bot (token, signatures,
//! idempotency, bad input), an outgoing hook delivers signed events to a real HTTP
//! receiver, retries a failure, logs deliveries, and is disabled after failing for good.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{Backend, Client, TestServer};
use axum::http::{HeaderMap, StatusCode};
use courtyard_host::on_tx;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

fn sign(secret: &str, ts: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{ts}.").as_bytes());
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// What a receiver got: (headers, body).
type Received = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A real HTTP receiver; answers with the statuses in `fail` first, then 200.
async fn receiver(fail: Arc<Mutex<Vec<u16>>>) -> (String, Received) {
    let got: Received = Arc::default();
    let (store, fail2) = (got.clone(), fail.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let (store, fail) = (store.clone(), fail2.clone());
            async move {
                store.lock().unwrap().push((headers, body));
                let status = fail.lock().unwrap().pop().unwrap_or(200);
                StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

async fn raw_post(
    client: &Client,
    path: &str,
    body: &str,
    headers: &[(&str, String)],
) -> (u16, Value) {
    let mut req = client
        .http
        .post(format!("{}{path}", client.base))
        .header("content-type", "application/json")
        .body(body.to_owned());
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Makes a hook's pending deliveries due now (as if the backoff had passed), optionally
/// as on their last attempt, and wakes the worker.
async fn hurry(server: &TestServer, hook: &str, last_attempt: bool, failures: i64) {
    let hook = hook.to_owned();
    server
        .app
        .writer
        .write(move |tx| {
            Box::pin(async move {
                let attempts = if last_attempt { 5 } else { 0 };
                const D: &str = "UPDATE webhook_deliveries SET next_attempt_at = 0, \
                    attempts = CASE WHEN $2 > attempts THEN $2 ELSE attempts END \
                    WHERE webhook_id = $1 AND status = 'pending'";
                const H: &str = "UPDATE webhooks SET failures = $2 WHERE id = $1";
                on_tx!(tx, c => sqlx::query(D).bind(&hook).bind(attempts)
                    .execute(&mut *c).await.map(|r| r.rows_affected()))?;
                on_tx!(tx, c => sqlx::query(H).bind(&hook).bind(failures)
                    .execute(&mut *c).await.map(|r| r.rows_affected()))?;
                Ok(())
            })
        })
        .await
        .unwrap();
    server.app.hook_cache.wake.notify_one();
}

async fn incoming_and_outgoing_hooks(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.webhooks_allow_private = true).await;
    let org = server.org("Hook Co").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;
    let (bob_id, bob) = server.person(&org, "Bob", "member").await;
    let (status, g) = alice
        .post("/api/v1/groups", json!({"kind": "team", "name": "CI"}))
        .await;
    assert_eq!(status, 201);
    let gid = g["id"].as_str().unwrap().to_owned();
    alice
        .post(
            &format!("/api/v1/groups/{gid}/members"),
            json!({"person_id": bob_id}),
        )
        .await;
    let hooks = format!("/api/v1/groups/{gid}/webhooks");

    // Only the group's managers add hooks; bad input is refused.
    let (status, _) = bob
        .post(&hooks, json!({"kind": "incoming", "name": "CI"}))
        .await;
    assert_eq!(status, 403);
    for bad in [
        json!({"kind": "sideways", "name": "x"}),
        json!({"kind": "incoming", "name": ""}),
        json!({"kind": "outgoing", "name": "x"}),
        json!({"kind": "outgoing", "name": "x", "url": "ftp://example.com/"}),
        json!({"kind": "outgoing", "name": "x", "url": "http://user:pw@example.com/"}),
        json!({"kind": "outgoing", "name": "x", "url": "https://example.com/", "events": ["nope"]}),
    ] {
        let (status, body) = alice.post(&hooks, bad.clone()).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }

    // Incoming: the secret path posts as a bot.
    let (status, hook) = alice
        .post(&hooks, json!({"kind": "incoming", "name": "CI Bot"}))
        .await;
    assert_eq!(status, 201, "{hook}");
    let path = hook["incoming_path"].as_str().unwrap().to_owned();
    let secret = hook["signing_secret"].as_str().unwrap().to_owned();
    let anon = server.client();
    let (status, m) = raw_post(&anon, &path, r#"{"text": "Build #42 passed ✅"}"#, &[]).await;
    assert_eq!(status, 201, "{m}");
    assert_eq!(m["bot"]["name"], "CI Bot");
    assert_eq!(m["author"], Value::Null);
    let (_, history) = bob.get(&format!("/api/v1/groups/{gid}/messages")).await;
    assert_eq!(history[0]["body"], "Build #42 passed ✅");
    assert_eq!(history[0]["bot"]["id"], hook["id"]);
    let (_, listed) = alice.get(&hooks).await;
    assert!(
        listed[0].get("signing_secret").is_none(),
        "secrets are shown once: {listed}"
    );
    assert!(listed[0].get("incoming_path").is_none());

    let wrong = format!("{}x", path);
    let (status, _) = raw_post(&anon, &wrong, r#"{"text": "x"}"#, &[]).await;
    assert_eq!(status, 404);
    let (status, _) = raw_post(&anon, "/api/v1/hooks/nope/nope", r#"{"text": "x"}"#, &[]).await;
    assert_eq!(status, 404);
    let (status, body) = raw_post(&anon, &path, "not json", &[]).await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = raw_post(&anon, &path, r#"{"text": ""}"#, &[]).await;
    assert_eq!(status, 422);

    // Signatures: checked when sent; forged and stale ones refused.
    let body = r#"{"text": "signed"}"#;
    let ts = now_secs();
    let good = [
        ("x-courtyard-timestamp", ts.to_string()),
        ("x-courtyard-signature", sign(&secret, ts, body.as_bytes())),
    ];
    let (status, _) = raw_post(&anon, &path, body, &good).await;
    assert_eq!(status, 201);
    let forged = [
        ("x-courtyard-timestamp", ts.to_string()),
        ("x-courtyard-signature", sign("guess", ts, body.as_bytes())),
    ];
    let (status, body_) = raw_post(&anon, &path, body, &forged).await;
    assert_eq!(
        (status, body_["code"].clone()),
        (401, json!("bad_signature"))
    );
    let old = ts - 600;
    let stale = [
        ("x-courtyard-timestamp", old.to_string()),
        ("x-courtyard-signature", sign(&secret, old, body.as_bytes())),
    ];
    let (status, body_) = raw_post(&anon, &path, body, &stale).await;
    assert_eq!(
        (status, body_["code"].clone()),
        (401, json!("signature_expired"))
    );
    let (_, strict) = alice
        .post(
            &hooks,
            json!({"kind": "incoming", "name": "Strict", "require_signature": true}),
        )
        .await;
    let strict_path = strict["incoming_path"].as_str().unwrap();
    let (status, body_) = raw_post(&anon, strict_path, body, &[]).await;
    assert_eq!(
        (status, body_["code"].clone()),
        (401, json!("signature_required"))
    );
    // A retry with the same idempotency key posts nothing new.
    let key = [("idempotency-key", "build-43".to_owned())];
    let (_, a) = raw_post(&anon, &path, r#"{"text": "Build #43"}"#, &key).await;
    let (_, b) = raw_post(&anon, &path, r#"{"text": "Build #43"}"#, &key).await;
    assert_eq!(a["id"], b["id"]);

    // Outgoing: signed deliveries to a real receiver.
    let fail = Arc::new(Mutex::new(Vec::new()));
    let (url, got) = receiver(fail.clone()).await;
    let (status, out) = alice
        .post(&hooks, json!({"kind": "outgoing", "name": "Mirror", "url": url, "events": ["message.created", "message.edited"]}))
        .await;
    assert_eq!(status, 201, "{out}");
    let out_id = out["id"].as_str().unwrap().to_owned();
    let out_secret = out["signing_secret"].as_str().unwrap().to_owned();
    let said = alice.say(&gid, "hello hooks").await;
    until("the delivery", || async { !got.lock().unwrap().is_empty() }).await;
    let (headers, payload) = got.lock().unwrap()[0].clone();
    let ts: i64 = headers["x-courtyard-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        headers["x-courtyard-signature"].to_str().unwrap(),
        sign(&out_secret, ts, payload.as_bytes())
    );
    assert_eq!(headers["x-courtyard-event"], "message.created");
    let payload: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(payload["data"]["id"], said["id"]);
    assert_eq!(payload["data"]["body"], "hello hooks");
    assert_eq!(payload["group_id"], gid.as_str());
    // Bot messages and events nobody subscribed to are not delivered.
    raw_post(&anon, &path, r#"{"text": "from the bot"}"#, &[]).await;
    alice
        .put(&format!(
            "/api/v1/messages/{}/reactions/👍",
            said["id"].as_str().unwrap()
        ))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(got.lock().unwrap().len(), 1);

    // A failure is retried, and the log shows both attempts.
    fail.lock().unwrap().push(500);
    alice.say(&gid, "second").await;
    let log = format!("/api/v1/webhooks/{out_id}/deliveries");
    let alice2 = alice.clone();
    until("a failed first attempt", || {
        let (alice, log) = (alice2.clone(), log.clone());
        async move {
            let (_, d) = alice.get(&log).await;
            d[0]["attempts"] == 1 && d[0]["status"] == "pending"
        }
    })
    .await;
    let (_, d) = alice.get(&log).await;
    assert_eq!(d[0]["last_status_code"], 500, "{d}");
    hurry(&server, &out_id, false, 0).await;
    until("the retry", || {
        let (alice, log) = (alice2.clone(), log.clone());
        async move { alice.get(&log).await.1[0]["status"] == "delivered" }
    })
    .await;
    let (_, d) = alice.get(&log).await;
    assert_eq!(d[0]["attempts"], 2, "{d}");

    // Failing for good, again and again, disables the hook and says why.
    fail.lock().unwrap().push(503);
    alice.say(&gid, "third").await;
    until("a failed attempt", || {
        let (alice, log) = (alice2.clone(), log.clone());
        async move { alice.get(&log).await.1[0]["attempts"] == 1 }
    })
    .await;
    fail.lock().unwrap().push(503);
    hurry(&server, &out_id, true, 9).await;
    until("the hook disabled", || {
        let (alice, hooks) = (alice2.clone(), hooks.clone());
        let out_id = out_id.clone();
        async move {
            let (_, list) = alice.get(&hooks).await;
            list.as_array()
                .unwrap()
                .iter()
                .any(|h| h["id"] == out_id.as_str() && h["enabled"] == false)
        }
    })
    .await;
    let (_, list) = alice.get(&hooks).await;
    let disabled = list
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == out_id.as_str())
        .unwrap()
        .clone();
    assert!(
        disabled["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("503"),
        "{disabled}"
    );
    let (_, d) = alice.get(&log).await;
    assert_eq!(d[0]["status"], "failed");
    let (_, audit) = server
        .admin
        .get(&format!("/api/v1/orgs/{org}/audit?action=webhook."))
        .await;
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "webhook.disabled"),
        "{audit}"
    );
    // Switched on again by a manager; deleted.
    let (status, again) = alice
        .patch(
            &format!("/api/v1/webhooks/{out_id}"),
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (again["enabled"].clone(), again["failures"].clone()),
        (json!(true), json!(0))
    );
    let (status, _) = bob.delete(&format!("/api/v1/webhooks/{out_id}")).await;
    assert_eq!(status, 403);
    let (status, _) = alice.delete(&format!("/api/v1/webhooks/{out_id}")).await;
    assert_eq!(status, 204);
    let (status, _) = alice.get(&log).await;
    assert_eq!(status, 404);
}

/// By default an outgoing hook cannot point at this machine or a private network.
async fn private_targets_are_refused_by_default(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Careful Co").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;
    let (_, g) = alice
        .post("/api/v1/groups", json!({"kind": "team", "name": "T"}))
        .await;
    let hooks = format!("/api/v1/groups/{}/webhooks", g["id"].as_str().unwrap());
    for url in [
        "http://127.0.0.1:9/x",
        "http://localhost/x",
        "http://169.254.169.254/latest",
        "http://10.0.0.1/",
        "http://[::1]/",
    ] {
        let (status, body) = alice
            .post(&hooks, json!({"kind": "outgoing", "name": "x", "url": url}))
            .await;
        assert_eq!(status, 422, "{url}: {body}");
        assert_eq!(body["code"], "invalid_url");
    }
}

both_backends!(incoming_and_outgoing_hooks);
both_backends!(private_targets_are_refused_by_default);
