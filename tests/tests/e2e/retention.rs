//! The event log is trimmed to its retention; a client behind the trimmed part is told to
//! refetch (HTTP 410 `too_old`, WebSocket `resync_required`) instead of getting a gap.

use crate::common::{Backend, TestServer};
use courtyard_host::store::{events, now_millis};
use serde_json::json;

async fn positions_behind_the_log_must_resync(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Retention Co").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;
    let (status, group) = alice
        .post("/api/v1/groups", json!({"kind": "team", "name": "T"}))
        .await;
    assert_eq!(status, 201);
    let gid = group["id"].as_str().unwrap();
    let first = alice.say(gid, "one").await["seq"].as_i64().unwrap();
    for i in 0..4 {
        alice.say(gid, &format!("more {i}")).await;
    }
    let last = alice.say(gid, "last").await["seq"].as_i64().unwrap();

    // Within the log: catch-up works from the first message.
    let (status, page) = alice.get(&format!("/api/v1/events?since={first}")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["events"].as_array().unwrap().len(), 5);

    // Trim everything but the newest event, as the retention job does for old events.
    let cutoff = now_millis() + 1;
    let deleted = server
        .app
        .writer
        .write(move |tx| Box::pin(async move { events::prune(tx, cutoff, 10_000).await }))
        .await
        .unwrap();
    assert!(deleted >= 5, "deleted {deleted}");

    let (status, body) = alice.get(&format!("/api/v1/events?since={first}")).await;
    assert_eq!(status, 410, "{body}");
    assert_eq!(body["code"], "too_old");
    let mut ws = alice.websocket(Some(first)).await;
    let resync = ws.next_json().await;
    assert_eq!(resync["type"], "resync_required", "{resync}");
    assert_eq!(resync["head"], last);

    // From the head on, nothing is missed.
    let fresh = alice.say(gid, "after the trim").await;
    let event = ws.until("message.created").await;
    assert_eq!(event["data"]["id"], fresh["id"]);
    let (status, page) = alice.get(&format!("/api/v1/events?since={last}")).await;
    assert_eq!(status, 200);
    assert_eq!(page["events"][0]["data"]["id"], fresh["id"]);
}

both_backends!(positions_behind_the_log_must_resync);
