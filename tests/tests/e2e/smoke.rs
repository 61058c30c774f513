//! A first walk through the core: organizations, people, groups, messages and the stream.

use crate::common::{Backend, TestServer};
use serde_json::json;

async fn walk_through(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    let (alice_id, alice) = server.person(&org, "张三", "member").await;
    let (_bob_id, bob) = server.person(&org, "Bob Li", "member").await;
    let (status, team) = alice
        .post("/api/v1/groups", json!({"kind": "team", "name": "Ops"}))
        .await;
    assert_eq!(status, 201, "{team}");
    let team_id = team["id"].as_str().unwrap();
    let (status, _) = alice
        .post(
            &format!("/api/v1/groups/{team_id}/members"),
            json!({"person_id": _bob_id}),
        )
        .await;
    assert_eq!(status, 200);
    let mut ws = bob.websocket(None).await;
    let m = alice.say(team_id, "hello <@x> @all").await;
    let event = ws.until("message.created").await;
    assert_eq!(event["data"]["id"], m["id"]);
    assert_eq!(event["data"]["author"]["id"], alice_id.as_str());
    let (status, found) = bob.get("/api/v1/people?q=zs").await;
    assert_eq!(status, 200);
    assert_eq!(found[0]["display_name"], "张三", "{found}");
}

both_backends!(walk_through);
