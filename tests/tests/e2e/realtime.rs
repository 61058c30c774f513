//! Real-time delivery end to end: live events over the WebSocket, membership changes,
//! reconnect catch-up and its HTTP twin, isolation between groups, authentication of the
//! stream, and ordering under concurrent posting.

use std::collections::HashSet;

use futures_util::SinkExt;

use crate::common::{Backend, Client, TestServer, Ws};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite;

// ---------------------------------------------------------------------------------------
// Helpers

fn id_of(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

fn seq_of(v: &Value) -> i64 {
    v["seq"].as_i64().unwrap_or_else(|| panic!("no seq in {v}"))
}

async fn group(owner: &Client, kind: &str, name: &str, members: &[&str]) -> String {
    let (status, g) = owner
        .post(
            "/api/v1/groups",
            json!({"kind": kind, "name": name, "member_ids": members}),
        )
        .await;
    assert_eq!(status, 201, "{g}");
    id_of(&g)
}

async fn team(owner: &Client, name: &str, members: &[&str]) -> String {
    group(owner, "team", name, members).await
}

/// The next `n` frames.
async fn frames(ws: &mut Ws, n: usize) -> Vec<Value> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(ws.next_json().await);
    }
    out
}

fn kinds(frames: &[Value]) -> Vec<&str> {
    frames.iter().map(|f| f["type"].as_str().unwrap()).collect()
}

/// (type, data.id) of each frame, for comparing with what was done.
fn type_and_id(frames: &[Value]) -> Vec<(String, String)> {
    frames
        .iter()
        .map(|f| {
            (
                f["type"].as_str().unwrap().to_owned(),
                f["data"]["id"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn assert_increasing(frames: &[Value]) {
    let seqs: Vec<i64> = frames.iter().map(seq_of).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "positions must strictly increase: {seqs:?}"
    );
}

/// Asserts the next frame is the creation of `message`.
async fn expect_created(ws: &mut Ws, message: &Value) -> Value {
    let f = ws.next_json().await;
    assert_eq!(f["type"], "message.created", "{f}");
    assert_eq!(f["data"]["id"], message["id"], "{f}");
    assert_eq!(seq_of(&f), seq_of(message), "{f}");
    f
}

/// Every event after `since` through `GET /api/v1/events`, following pages of `limit`.
async fn events_since(client: &Client, since: i64, limit: Option<u32>) -> Vec<Value> {
    let mut all = Vec::new();
    let mut position = since;
    loop {
        let limit = limit.map(|l| format!("&limit={l}")).unwrap_or_default();
        let (status, page) = client
            .get(&format!("/api/v1/events?since={position}{limit}"))
            .await;
        assert_eq!(status, 200, "{page}");
        let events = page["events"].as_array().unwrap();
        all.extend(events.iter().cloned());
        let next = page["next_since"].as_i64().unwrap();
        if let Some(last) = events.last() {
            assert_eq!(next, seq_of(last), "{page}");
        } else {
            assert_eq!(next, position, "{page}");
        }
        if page["more"] != true {
            return all;
        }
        assert!(!events.is_empty(), "more without events: {page}");
        position = next;
    }
}

/// Tries to open the stream; the server must refuse with an HTTP error, not upgrade.
async fn refused_websocket(base: &str, token: Option<&str>, query: &str) -> (u16, Value) {
    let url = format!("{}/api/v1/ws{query}", base.replacen("http", "ws", 1));
    let mut req = tungstenite::client::IntoClientRequest::into_client_request(url).unwrap();
    if let Some(t) = token {
        req.headers_mut()
            .insert("authorization", format!("Bearer {t}").parse().unwrap());
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok(_) => panic!("the WebSocket was accepted"),
        Err(tungstenite::Error::Http(res)) => {
            let status = res.status().as_u16();
            let body = res
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null);
            (status, body)
        }
        Err(e) => panic!("expected an HTTP refusal, got {e}"),
    }
}

// ---------------------------------------------------------------------------------------
// Live events in a group

async fn group_events_reach_every_member(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Relay").await;
    let (alice_id, alice) = server.person(&org, "Alice", "member").await;
    let (bob_id, bob) = server.person(&org, "Bob", "member").await;
    let team = team(&alice, "Signals", &[&bob_id]).await;
    let mut wa = alice.websocket(None).await;
    let mut wb = bob.websocket(None).await;

    let m1 = alice.say(&team, "ping").await;
    let m2 = bob.say(&team, "pong").await;
    let (status, _) = bob
        .patch(
            &format!("/api/v1/messages/{}", id_of(&m2)),
            json!({"body": "pong!"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = alice
        .put(&format!("/api/v1/messages/{}/reactions/like", id_of(&m2)))
        .await;
    assert_eq!(status, 200);
    let (status, _) = bob
        .post(
            &format!("/api/v1/groups/{team}/read"),
            json!({"message_id": id_of(&m1)}),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = alice
        .put(&format!("/api/v1/messages/{}/pin", id_of(&m1)))
        .await;
    assert_eq!(status, 200);
    let (status, _) = alice
        .delete(&format!("/api/v1/messages/{}", id_of(&m1)))
        .await;
    assert_eq!(status, 204);

    let expected = [
        "message.created",
        "message.created",
        "message.updated",
        "reaction.added",
        "receipt.updated",
        "message.pinned",
        "message.deleted",
    ];
    let got_a = frames(&mut wa, expected.len()).await;
    let got_b = frames(&mut wb, expected.len()).await;
    assert_eq!(kinds(&got_a), expected, "{got_a:?}");
    assert_eq!(got_a, got_b, "both members see the same stream");
    assert_increasing(&got_a);
    for f in &got_a {
        assert_eq!(f["group_id"], team.as_str(), "{f}");
        assert!(f["at"].as_i64().is_some(), "{f}");
    }
    assert_eq!(got_a[0]["data"]["id"], m1["id"]);
    assert_eq!(seq_of(&got_a[0]), seq_of(&m1));
    assert_eq!(got_a[0]["data"]["author"]["id"], alice_id.as_str());
    assert_eq!(got_a[0]["data"]["body"], "ping");
    assert_eq!(got_a[1]["data"]["id"], m2["id"]);
    assert_eq!(got_a[2]["data"]["body"], "pong!");
    assert_eq!(
        got_a[3]["data"]["reactions"],
        json!([{"emoji": "like", "count": 1, "person_ids": [alice_id]}])
    );
    assert_eq!(
        got_a[4]["data"],
        json!({"group_id": team, "person_id": bob_id, "seq": seq_of(&m1)})
    );
    assert_eq!(got_a[5]["data"]["pinned"]["by"], alice_id.as_str());
    assert_eq!(got_a[6]["data"]["id"], m1["id"]);
    assert_eq!(got_a[6]["data"]["deleted"], true);
    assert_eq!(got_a[6]["data"]["body"], "");

    // Reading the same message again is no news; the next frame is the next message.
    let (status, _) = bob
        .post(
            &format!("/api/v1/groups/{team}/read"),
            json!({"message_id": id_of(&m1)}),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = bob
        .post(
            &format!("/api/v1/groups/{team}/read"),
            json!({"message_id": id_of(&m2)}),
        )
        .await;
    assert_eq!(status, 204);
    let receipt = wa.next_json().await;
    assert_eq!(receipt["type"], "receipt.updated", "{receipt}");
    assert_eq!(receipt["data"]["seq"], seq_of(&m2));
    assert!(seq_of(&receipt) > seq_of(&got_a[6]));
    assert_eq!(wb.next_json().await, receipt);

    // A second device of the same person hears the same; closing one leaves the other.
    let mut wb_phone = bob.websocket(None).await;
    let m3 = alice.say(&team, "to both devices").await;
    let on_phone = expect_created(&mut wb_phone, &m3).await;
    assert_eq!(expect_created(&mut wb, &m3).await, on_phone);
    assert_eq!(expect_created(&mut wa, &m3).await, on_phone);
    wb_phone.close().await;
    let m4 = alice.say(&team, "to the desk only").await;
    let desk = expect_created(&mut wb, &m4).await;
    assert_eq!(expect_created(&mut wa, &m4).await, desk);

    // The HTTP catch-up tells the same story, frame for frame, except that the earlier
    // events of the deleted message now carry its tombstone instead of its text.
    let since = seq_of(&got_a[0]) - 1;
    let tombstone = got_a[6]["data"].clone();
    let mut logged = got_a.clone();
    for f in logged.iter_mut().filter(|f| f["data"]["id"] == m1["id"]) {
        f["data"] = tombstone.clone();
    }
    logged.extend([receipt, on_phone, desk]);
    assert_eq!(events_since(&alice, since, None).await, logged);
    assert_eq!(events_since(&bob, since, Some(3)).await, logged);
}

async fn membership_changes_follow_live(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Relay").await;
    let (_alice_id, alice) = server.person(&org, "Alice", "member").await;
    let (carol_id, carol) = server.person(&org, "Carol", "member").await;
    let lobby = team(&alice, "Lobby", &[&carol_id]).await;
    let team = team(&alice, "Inner circle", &[]).await;
    let mut wc = carol.websocket(None).await;
    let mut wa = alice.websocket(None).await;

    // Not a member yet: the team's message passes Carol by.
    let m0 = alice.say(&team, "before Carol").await;
    let s0 = alice.say(&lobby, "lobby 0").await;
    expect_created(&mut wc, &s0).await;

    // Added: Carol hears her own arrival, then the team's messages.
    let (status, _) = alice
        .post(
            &format!("/api/v1/groups/{team}/members"),
            json!({"person_id": carol_id}),
        )
        .await;
    assert_eq!(status, 200);
    let joined = wc.next_json().await;
    assert_eq!(joined["type"], "member.joined", "{joined}");
    assert_eq!(joined["group_id"], team.as_str());
    assert_eq!(joined["data"]["person_id"], carol_id.as_str());
    assert_eq!(joined["data"]["display_name"], "Carol");
    let m1 = alice.say(&team, "welcome Carol").await;
    expect_created(&mut wc, &m1).await;
    let (status, _) = carol
        .put(&format!("/api/v1/messages/{}/reactions/wave", id_of(&m1)))
        .await;
    assert_eq!(status, 200);
    let reacted = wc.next_json().await;
    assert_eq!(reacted["type"], "reaction.added", "{reacted}");

    // Leaves: Carol hears her leaving, and nothing of the team after it.
    let (status, _) = carol
        .post(&format!("/api/v1/groups/{team}/leave"), json!({}))
        .await;
    assert_eq!(status, 204);
    let left = wc.next_json().await;
    assert_eq!(left["type"], "member.left", "{left}");
    assert_eq!(left["group_id"], team.as_str());
    assert_eq!(left["data"]["person_id"], carol_id.as_str());
    let m2 = alice.say(&team, "after Carol").await;
    let s1 = alice.say(&lobby, "lobby 1").await;
    expect_created(&mut wc, &s1).await;

    // Alice, a member throughout, saw all of it in order.
    let seen = frames(&mut wa, 8).await;
    assert_eq!(
        type_and_id(&seen),
        vec![
            ("message.created".to_owned(), id_of(&m0)),
            ("message.created".to_owned(), id_of(&s0)),
            ("member.joined".to_owned(), String::new()),
            ("message.created".to_owned(), id_of(&m1)),
            ("reaction.added".to_owned(), id_of(&m1)),
            ("member.left".to_owned(), String::new()),
            ("message.created".to_owned(), id_of(&m2)),
            ("message.created".to_owned(), id_of(&s1)),
        ]
    );
    assert_increasing(&seen);
    assert_eq!(seen[2], joined);
    assert_eq!(seen[5], left);

    // Removal by a manager works the same way.
    let (status, _) = alice
        .post(
            &format!("/api/v1/groups/{team}/members"),
            json!({"person_id": carol_id}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(wc.next_json().await["type"], "member.joined");
    let (status, _) = alice
        .delete(&format!("/api/v1/groups/{team}/members/{carol_id}"))
        .await;
    assert_eq!(status, 204);
    let removed = wc.next_json().await;
    assert_eq!(removed["type"], "member.left", "{removed}");
    assert_eq!(removed["data"]["person_id"], carol_id.as_str());
    alice.say(&team, "Carol is gone again").await;
    let s2 = alice.say(&lobby, "lobby 2").await;
    expect_created(&mut wc, &s2).await;
    let (status, _) = carol.get(&format!("/api/v1/groups/{team}/messages")).await;
    assert_eq!(status, 404);
}

// ---------------------------------------------------------------------------------------
// Reconnecting

async fn reconnect_catches_up_exactly(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Relay").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;
    let (bob_id, bob) = server.person(&org, "Bob", "member").await;
    let shared = team(&alice, "Shared", &[&bob_id]).await;
    let private = team(&alice, "Private", &[]).await;

    let mut wb = bob.websocket(None).await;
    let m0 = alice.say(&shared, "before the tunnel").await;
    let last = seq_of(&expect_created(&mut wb, &m0).await);
    wb.close().await;

    // While Bob is away: messages in his group and in one he is not in, and an edit.
    let mut expected = Vec::new();
    let mut visible = Vec::new();
    for i in 0..9 {
        if i % 3 == 2 {
            alice.say(&private, &format!("private {i}")).await;
        } else {
            let m = alice.say(&shared, &format!("shared {i}")).await;
            expected.push(("message.created".to_owned(), id_of(&m)));
            visible.push(m);
        }
    }
    let (status, _) = alice
        .patch(
            &format!("/api/v1/messages/{}", id_of(&visible[0])),
            json!({"body": "shared 0 (edited)"}),
        )
        .await;
    assert_eq!(status, 200);
    expected.push(("message.updated".to_owned(), id_of(&visible[0])));
    alice.say(&private, "private tail").await;

    // Back: exactly the missed events of his groups, in order, then live ones.
    let mut wb = bob.websocket(Some(last)).await;
    let missed = frames(&mut wb, expected.len()).await;
    assert_eq!(type_and_id(&missed), expected);
    assert_increasing(&missed);
    assert!(seq_of(&missed[0]) > last);
    for (f, m) in missed.iter().zip(&visible) {
        assert_eq!(
            seq_of(f),
            seq_of(m),
            "a message's seq is its event's position"
        );
    }
    let live = alice.say(&shared, "back online").await;
    let live_frame = expect_created(&mut wb, &live).await;

    // The HTTP catch-up gives the same sequence, whole or in small pages.
    let mut all = missed.clone();
    all.push(live_frame.clone());
    assert_eq!(events_since(&bob, last, None).await, all);
    assert_eq!(events_since(&bob, last, Some(2)).await, all);
    assert_eq!(
        events_since(&bob, seq_of(&live_frame), None).await,
        Vec::<Value>::new()
    );

    // Resuming from the newest position replays nothing.
    wb.close().await;
    let mut wb = bob.websocket(Some(seq_of(&live_frame))).await;
    let next = alice.say(&shared, "no replays").await;
    let next_frame = expect_created(&mut wb, &next).await;

    // Resuming from the middle replays only what came after it, then goes live.
    let mut wb2 = bob.websocket(Some(seq_of(&missed[3]))).await;
    let mut want: Vec<Value> = missed[4..].to_vec();
    want.push(live_frame);
    want.push(next_frame);
    assert_eq!(frames(&mut wb2, want.len()).await, want);
    let last_one = alice.say(&shared, "everyone hears this once").await;
    let heard = expect_created(&mut wb2, &last_one).await;
    expect_created(&mut wb, &last_one).await;

    // A client's ping is answered with the position it has reached.
    wb2.stream
        .send(tungstenite::Message::text(r#"{"type":"ping"}"#))
        .await
        .unwrap();
    assert_eq!(
        wb2.next_json().await,
        json!({"type": "pong", "head": seq_of(&heard)})
    );
    wb.close().await;
    wb2.close().await;

    // Removed while away: catching up tells Bob he left, and shows nothing of the group.
    let before_removal = seq_of(&heard);
    alice.say(&shared, "said while Bob is away").await;
    let (status, _) = alice
        .delete(&format!("/api/v1/groups/{shared}/members/{bob_id}"))
        .await;
    assert_eq!(status, 204);
    alice.say(&shared, "said after Bob left").await;
    let mut wb = bob.websocket(Some(before_removal)).await;
    let left = wb.next_json().await;
    assert_eq!(left["type"], "member.left", "{left}");
    assert_eq!(left["data"]["person_id"], bob_id.as_str());
    assert_eq!(events_since(&bob, before_removal, None).await, vec![left]);
}

// ---------------------------------------------------------------------------------------
// Isolation

async fn no_events_from_other_groups(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Relay").await;
    let other_org = server.org("Rival").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;
    let (bob_id, bob) = server.person(&org, "Bob", "member").await;
    let (carol_id, _carol) = server.person(&org, "Carol", "member").await;
    let (_, dave) = server.person(&other_org, "Dave", "member").await;
    let (erin_id, _erin) = server.person(&other_org, "Erin", "member").await;
    let home = team(&alice, "Home", &[&bob_id]).await;
    let private = team(&alice, "Private", &[&carol_id]).await;
    let club = group(&alice, "interest", "Chess club", &[]).await;
    let rival = team(&dave, "Rival team", &[&erin_id]).await;

    let mut wb = bob.websocket(None).await;
    let start = alice.say(&home, "start").await;
    let since = seq_of(&expect_created(&mut wb, &start).await);

    // Everything Bob must not hear: another org's team, a team and a club he is not in,
    // membership changes there, a direct conversation of others, reactions and receipts.
    let r = dave.say(&rival, "rival news").await;
    let (status, _) = dave
        .put(&format!("/api/v1/messages/{}/reactions/like", id_of(&r)))
        .await;
    assert_eq!(status, 200);
    let p = alice.say(&private, "private news").await;
    let (status, _) = alice
        .post(
            &format!("/api/v1/groups/{private}/read"),
            json!({"message_id": id_of(&p)}),
        )
        .await;
    assert_eq!(status, 204);
    alice.say(&club, "club news").await;
    let (status, _) = alice
        .delete(&format!("/api/v1/groups/{private}/members/{carol_id}"))
        .await;
    assert_eq!(status, 204);
    team(&alice, "Another private one", &[&carol_id]).await;
    let (status, dm) = alice
        .post("/api/v1/direct", json!({"person_ids": [carol_id]}))
        .await;
    assert_eq!(status, 200, "{dm}");
    alice.say(&id_of(&dm), "just between us").await;
    let (status, dm) = dave
        .post("/api/v1/direct", json!({"person_ids": [erin_id]}))
        .await;
    assert_eq!(status, 200, "{dm}");
    dave.say(&id_of(&dm), "rival whispers").await;

    // The next thing Bob hears is the next message of his own group; catch-up agrees.
    let sentinel = alice.say(&home, "sentinel").await;
    let f = expect_created(&mut wb, &sentinel).await;
    assert_eq!(events_since(&bob, since, None).await, vec![f]);
    // A member of both hears both (the filter is membership, not the organization).
    let alice_saw = events_since(&alice, since, None).await;
    assert!(
        alice_saw.iter().any(|e| e["data"]["id"] == p["id"]),
        "{alice_saw:?}"
    );
    assert!(
        !alice_saw.iter().any(|e| e["data"]["id"] == r["id"]),
        "{alice_saw:?}"
    );

    // Bob can read none of those groups over REST either.
    for g in [&private, &club, &rival] {
        let (status, _) = bob.get(&format!("/api/v1/groups/{g}/messages")).await;
        assert_eq!(status, 404, "{g}");
    }
}

// ---------------------------------------------------------------------------------------
// Authentication of the stream

async fn stream_requires_a_live_session(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Relay").await;
    let (_, bob) = server.person(&org, "Bob", "member").await;
    let (carol_id, carol) = server.person(&org, "Carol", "member").await;

    for token in [None, Some("nonsense"), Some("cys_0000000000000000")] {
        let (status, body) = refused_websocket(&server.base, token, "").await;
        assert_eq!(status, 401, "{token:?}: {body}");
        assert_eq!(body["code"], "unauthenticated", "{body}");
    }
    let (status, body) = server.client().get("/api/v1/events?since=0").await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = refused_websocket(&server.base, bob.token.as_deref(), "?since=-1").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "invalid_position");

    // Signed out while connected: that token opens nothing any more.
    let ws = bob.websocket(None).await;
    let (status, _) = bob.post("/api/v1/auth/logout", json!({})).await;
    assert_eq!(status, 204);
    let (status, body) = refused_websocket(&server.base, bob.token.as_deref(), "").await;
    assert_eq!(status, 401, "{body}");
    let (status, _) = bob.get("/api/v1/events?since=0").await;
    assert_eq!(status, 401);
    drop(ws);

    // Disabled while connected: the same.
    let _ws = carol.websocket(None).await;
    let (status, p) = server
        .admin
        .patch(
            &format!("/api/v1/people/{carol_id}"),
            json!({"status": "disabled"}),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["status"], "disabled");
    let (status, body) = refused_websocket(&server.base, carol.token.as_deref(), "").await;
    assert_eq!(status, 401, "{body}");
    let (status, _) = carol.get("/api/v1/events?since=0").await;
    assert_eq!(status, 401);
}

// ---------------------------------------------------------------------------------------
// Ordering under load

async fn concurrent_posting_is_ordered(backend: Backend) {
    const CLIENTS: usize = 8;
    const POSTS: usize = 25;
    let server = TestServer::start(backend).await;
    let org = server.org("Relay").await;
    let (_, listener) = server.person(&org, "Listener", "member").await;
    let mut posters = Vec::new();
    for i in 0..CLIENTS {
        posters.push(server.person(&org, &format!("Poster {i}"), "member").await);
    }
    let member_ids: Vec<&str> = posters.iter().map(|(id, _)| id.as_str()).collect();
    let room = team(&listener, "Busy room", &member_ids).await;
    let mut ws = listener.websocket(None).await;

    let mut tasks = tokio::task::JoinSet::new();
    for (i, (_, client)) in posters.iter().enumerate() {
        let (client, room) = (client.clone(), room.clone());
        tasks.spawn(async move {
            let mut mine = Vec::with_capacity(POSTS);
            for n in 0..POSTS {
                mine.push(client.say(&room, &format!("poster {i} line {n}")).await);
            }
            mine
        });
    }
    let per_client = tasks.join_all().await;
    for mine in &per_client {
        let seqs: Vec<i64> = mine.iter().map(seq_of).collect();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "one client's posts keep their order: {seqs:?}"
        );
    }
    let acknowledged: HashSet<String> = per_client.iter().flatten().map(id_of).collect();
    assert_eq!(acknowledged.len(), CLIENTS * POSTS);

    // History holds every acknowledged message once, newest first.
    let (status, page) = listener
        .get(&format!("/api/v1/groups/{room}/messages?limit=200"))
        .await;
    assert_eq!(status, 200, "{page}");
    let page = page.as_array().unwrap();
    assert_eq!(page.len(), CLIENTS * POSTS);
    let in_history: HashSet<String> = page.iter().map(id_of).collect();
    assert_eq!(in_history, acknowledged);
    let mut oldest_first: Vec<Value> = page.clone();
    oldest_first.reverse();
    assert_increasing(&oldest_first);

    // The listener heard every one, in position order, each once.
    let heard = frames(&mut ws, CLIENTS * POSTS).await;
    assert!(
        heard.iter().all(|f| f["type"] == "message.created"),
        "{heard:?}"
    );
    assert_increasing(&heard);
    let heard_ids: Vec<String> = heard.iter().map(|f| id_of(&f["data"])).collect();
    let oldest_ids: Vec<String> = oldest_first.iter().map(id_of).collect();
    assert_eq!(heard_ids, oldest_ids, "live order is history order");
}

/// Signing out, revoking a token, or being disabled closes open streams at once (code 4001),
/// and only the streams of the sessions that ended.
async fn ended_sessions_close_their_streams(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Close Co").await;
    let (alice_id, alice) = server.person(&org, "Alice", "member").await;
    let (_, token) = alice
        .post("/api/v1/me/tokens", json!({"name": "bot"}))
        .await;
    let bot = Client {
        token: Some(token["token"].as_str().unwrap().to_owned()),
        ..alice.clone()
    };
    let mut browser = alice.websocket(None).await;
    let mut script = bot.websocket(None).await;

    let (status, _) = bot
        .delete(&format!(
            "/api/v1/me/tokens/{}",
            token["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 204);
    let closed = script.next_json().await;
    assert_eq!(closed["type"], "closed");
    assert!(
        closed["frame"].as_str().unwrap().contains("4001"),
        "{closed}"
    );

    // The browser session is untouched by the token's revocation …
    let (_, g) = alice
        .post(
            "/api/v1/groups",
            json!({"kind": "team", "name": "Still here"}),
        )
        .await;
    let joined = browser.until("member.joined").await;
    assert_eq!(joined["data"]["group_id"], g["id"]);

    // … and ends when an admin disables Alice.
    let (status, _) = server
        .admin
        .patch(
            &format!("/api/v1/people/{alice_id}"),
            json!({"status": "disabled"}),
        )
        .await;
    assert_eq!(status, 200);
    let closed = browser.next_json().await;
    assert_eq!(closed["type"], "closed", "{closed}");
    assert!(
        closed["frame"].as_str().unwrap().contains("4001"),
        "{closed}"
    );
}

both_backends!(
    ended_sessions_close_their_streams,
    group_events_reach_every_member,
    membership_changes_follow_live,
    reconnect_catches_up_exactly,
    no_events_from_other_groups,
    stream_requires_a_live_session,
    concurrent_posting_is_ordered,
);
