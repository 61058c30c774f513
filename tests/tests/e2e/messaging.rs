//! Messages end to end: posting, history paging, threads, idempotent retries, edits and
//! deletes, reactions, pins, read receipts, anonymous feed posts, burn-after-read and markup.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::common::{Backend, Client, TestServer};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// Helpers

fn id_of(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

fn ids(list: &[Value]) -> Vec<String> {
    list.iter().map(id_of).collect()
}

fn txn() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Creates a group of `kind` owned by `owner` with the given members; returns its id.
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

/// Opens (or finds) the direct conversation of `client` with `other`.
async fn direct(client: &Client, other: &str) -> String {
    let (status, g) = client
        .post("/api/v1/direct", json!({"person_ids": [other]}))
        .await;
    assert_eq!(status, 200, "{g}");
    assert_eq!(g["kind"], "direct", "{g}");
    id_of(&g)
}

async fn post(client: &Client, group: &str, body: Value) -> (u16, Value) {
    client
        .post(&format!("/api/v1/groups/{group}/messages"), body)
        .await
}

/// Posts and expects 201; returns the message.
async fn posted(client: &Client, group: &str, body: Value) -> Value {
    let (status, m) = post(client, group, body).await;
    assert_eq!(status, 201, "{m}");
    m
}

async fn reply(client: &Client, group: &str, root: &str, text: &str) -> (u16, Value) {
    post(
        client,
        group,
        json!({"body": text, "client_txn_id": txn(), "thread_root_id": root}),
    )
    .await
}

async fn history(client: &Client, group: &str, query: &str) -> Vec<Value> {
    let (status, page) = client
        .get(&format!("/api/v1/groups/{group}/messages{query}"))
        .await;
    assert_eq!(status, 200, "{page}");
    page.as_array().expect("a list").clone()
}

async fn message(client: &Client, id: &str) -> Value {
    let (status, m) = client.get(&format!("/api/v1/messages/{id}")).await;
    assert_eq!(status, 200, "{m}");
    m
}

async fn receipts(client: &Client, id: &str) -> (u16, Value) {
    client.get(&format!("/api/v1/messages/{id}/receipts")).await
}

async fn mark_read(client: &Client, group: &str, message: &str) -> u16 {
    let (status, body) = client
        .post(
            &format!("/api/v1/groups/{group}/read"),
            json!({"message_id": message}),
        )
        .await;
    if status == 204 {
        assert!(body.is_null(), "204 with a body: {body}");
    }
    status
}

/// The person ids of a receipts list (`read` or `unread`), sorted.
fn people_in(receipts: &Value, which: &str) -> Vec<String> {
    let mut v: Vec<String> = receipts[which]
        .as_array()
        .unwrap_or_else(|| panic!("no {which} in {receipts}"))
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

fn assert_error(status: u16, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["code"], want_code, "{body}");
}

/// Polls `check` every 50 ms for up to 5 s until it yields a value.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The same signed-in person, talking to a restarted server.
fn reconnect(client: &Client, server: &TestServer) -> Client {
    Client {
        base: server.base.clone(),
        http: reqwest::Client::new(),
        token: client.token.clone(),
    }
}

/// A request whose answer is kept as the exact text the server sent.
async fn raw(
    client: &Client,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, String) {
    let mut req = client
        .http
        .request(method, format!("{}{}", client.base, path))
        .bearer_auth(client.token.as_deref().expect("signed in"));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    (res.status().as_u16(), res.text().await.expect("body"))
}

/// Asserts that none of `secrets` occurs in `text`.
fn assert_hides(what: &str, text: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!text.contains(s), "{what} reveals {s:?}: {text}");
    }
}

/// An organization with three members; `owner` owns a team holding the other two.
struct Crew {
    server: TestServer,
    org: String,
    owner_id: String,
    owner: Client,
    alice_id: String,
    alice: Client,
    bob_id: String,
    bob: Client,
    team: String,
}

async fn crew(backend: Backend) -> Crew {
    let server = TestServer::start(backend).await;
    let org = server.org("Harbour Works").await;
    let (owner_id, owner) = server.person(&org, "Olivia Owner", "member").await;
    let (alice_id, alice) = server.person(&org, "Alice Archer", "member").await;
    let (bob_id, bob) = server.person(&org, "Bob Baker", "member").await;
    let team = team(&owner, "Dock crew", &[&alice_id, &bob_id]).await;
    Crew {
        server,
        org,
        owner_id,
        owner,
        alice_id,
        alice,
        bob_id,
        bob,
        team,
    }
}

// ---------------------------------------------------------------------------------------
// Posting and history

async fn posting_returns_the_message(backend: Backend) {
    let c = crew(backend).await;
    let body = format!("Hi <@{}> and @all, see https://example.com/x", c.bob_id);
    let (status, m) = post(
        &c.alice,
        &c.team,
        json!({"body": body, "client_txn_id": txn()}),
    )
    .await;
    assert_eq!(status, 201, "{m}");
    assert_eq!(m["group_id"], c.team.as_str());
    assert_eq!(m["kind"], "chat");
    assert_eq!(m["body"], body.as_str());
    assert_eq!(
        m["author"],
        json!({"id": c.alice_id, "display_name": "Alice Archer"})
    );
    assert_eq!(m["anonymous"], false);
    assert_eq!(m["deleted"], false);
    assert_eq!(m["reply_count"], 0);
    assert_eq!(m["thread_root_id"], Value::Null);
    assert_eq!(m["edited_at"], Value::Null);
    assert_eq!(m["reactions"], json!([]));
    assert!(m["seq"].as_i64().unwrap() > 0, "{m}");
    assert!(m["created_at"].as_i64().unwrap() > 0, "{m}");
    assert_eq!(m["mentions"], json!([c.bob_id]));
    assert_eq!(m["mentions_all"], true);
    assert_eq!(
        m["segments"],
        json!([
            {"type": "text", "text": "Hi "},
            {"type": "mention", "person_id": c.bob_id},
            {"type": "text", "text": " and "},
            {"type": "mention_all"},
            {"type": "text", "text": ", see "},
            {"type": "link", "url": "https://example.com/x", "text": null},
        ])
    );
    // Reading it back gives the same message, to the author and to another member.
    assert_eq!(message(&c.alice, &id_of(&m)).await, m);
    assert_eq!(message(&c.bob, &id_of(&m)).await, m);
    // A later message has a later position.
    let later = c.bob.say(&c.team, "second").await;
    assert!(later["seq"].as_i64() > m["seq"].as_i64());
    // Someone outside the group can neither read nor post.
    let (_, outsider) = c.server.person(&c.org, "Oscar Outside", "member").await;
    let (status, e) = outsider
        .get(&format!("/api/v1/messages/{}", id_of(&m)))
        .await;
    assert_error(status, &e, 404, "not_found");
    let (status, e) = post(
        &outsider,
        &c.team,
        json!({"body": "let me in", "client_txn_id": txn()}),
    )
    .await;
    assert_error(status, &e, 404, "not_found");
}

async fn history_pages_newest_first(backend: Backend) {
    let c = crew(backend).await;
    let mut posted_ids = Vec::new();
    for i in 0..7 {
        let who = if i % 2 == 0 { &c.alice } else { &c.bob };
        posted_ids.push(id_of(&who.say(&c.team, &format!("line {i}")).await));
    }
    // A thread reply is not a top-level message.
    let (status, r) = reply(&c.bob, &c.team, &posted_ids[3], "in a thread").await;
    assert_eq!(status, 201, "{r}");

    let mut seen: Vec<Value> = Vec::new();
    let mut query = "?limit=3".to_owned();
    let mut pages = Vec::new();
    loop {
        let page = history(&c.alice, &c.team, &query).await;
        pages.push(page.len());
        let Some(last) = page.last() else { break };
        query = format!("?limit=3&before={}", last["seq"]);
        seen.extend(page.iter().cloned());
    }
    assert_eq!(pages, vec![3, 3, 1, 0]);
    let mut newest_first = posted_ids.clone();
    newest_first.reverse();
    assert_eq!(ids(&seen), newest_first, "every message once, newest first");
    let seqs: Vec<i64> = seen.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "{seqs:?}");
    assert_eq!(seen[3]["reply_count"], 1);

    // The default page holds them all; `kind=chat` too, `kind=post` none.
    assert_eq!(ids(&history(&c.bob, &c.team, "").await), newest_first);
    assert_eq!(
        ids(&history(&c.bob, &c.team, "?kind=chat").await),
        newest_first
    );
    assert!(history(&c.bob, &c.team, "?kind=post").await.is_empty());
    let (status, e) = c
        .bob
        .get(&format!("/api/v1/groups/{}/messages?kind=memo", c.team))
        .await;
    assert_error(status, &e, 422, "invalid_kind");
}

async fn threads(backend: Backend) {
    let c = crew(backend).await;
    let root = c.alice.say(&c.team, "Which crane is free?").await;
    let root_id = id_of(&root);
    let (status, r1) = reply(&c.bob, &c.team, &root_id, "Crane 2").await;
    assert_eq!(status, 201, "{r1}");
    assert_eq!(r1["thread_root_id"], root_id.as_str());
    assert_eq!(r1["author"]["id"], c.bob_id.as_str());
    let (status, r2) = reply(&c.alice, &c.team, &root_id, "Thanks").await;
    assert_eq!(status, 201, "{r2}");

    assert_eq!(message(&c.bob, &root_id).await["reply_count"], 2);
    let (status, replies) = c
        .bob
        .get(&format!("/api/v1/messages/{root_id}/replies"))
        .await;
    assert_eq!(status, 200, "{replies}");
    let replies = replies.as_array().unwrap();
    assert_eq!(ids(replies), vec![id_of(&r1), id_of(&r2)], "oldest first");
    let (_, after) = c
        .bob
        .get(&format!(
            "/api/v1/messages/{root_id}/replies?after={}",
            r1["seq"]
        ))
        .await;
    assert_eq!(ids(after.as_array().unwrap()), vec![id_of(&r2)]);

    // Threads are one level deep.
    let (status, e) = reply(&c.alice, &c.team, &id_of(&r1), "nested").await;
    assert_error(status, &e, 404, "not_found");
    // A message of another group is no thread root here, and vice versa.
    let other = team(&c.alice, "Elsewhere", &[]).await;
    let foreign = c.alice.say(&other, "over here").await;
    let (status, e) = reply(&c.alice, &c.team, &id_of(&foreign), "cross").await;
    assert_error(status, &e, 404, "not_found");
    let (status, e) = reply(&c.alice, &other, &root_id, "cross").await;
    assert_error(status, &e, 404, "not_found");
    let (status, e) = reply(&c.alice, &c.team, "not-an-id", "junk").await;
    assert_error(status, &e, 404, "not_found");
    assert_eq!(message(&c.bob, &root_id).await["reply_count"], 2);

    // Replies stay out of history; the root carries the count.
    let top = history(&c.bob, &c.team, "").await;
    assert_eq!(ids(&top), vec![root_id.clone()]);
    assert_eq!(top[0]["reply_count"], 2);
}

// ---------------------------------------------------------------------------------------
// Idempotency

async fn retry_returns_the_original(backend: Backend) {
    let c = crew(backend).await;
    let t = txn();
    let (status, first) = post(
        &c.alice,
        &c.team,
        json!({"body": "once", "client_txn_id": t}),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = post(
        &c.alice,
        &c.team,
        json!({"body": "once", "client_txn_id": t}),
    )
    .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again, first, "the retry answers with the original message");
    assert_eq!(
        ids(&history(&c.bob, &c.team, "").await),
        vec![id_of(&first)]
    );
}

async fn concurrent_retries_post_once(backend: Backend) {
    let c = crew(backend).await;
    let t = txn();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (alice, team, t) = (c.alice.clone(), c.team.clone(), t.clone());
        set.spawn(async move {
            post(&alice, &team, json!({"body": "storm", "client_txn_id": t})).await
        });
    }
    let answers = set.join_all().await;
    let created = answers.iter().filter(|(s, _)| *s == 201).count();
    let retried = answers.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!((created, retried), (1, 19), "{answers:?}");
    let first = &answers[0].1;
    assert!(
        answers
            .iter()
            .all(|(_, m)| m["id"] == first["id"] && m["seq"] == first["seq"]),
        "{answers:?}"
    );
    assert_eq!(ids(&history(&c.bob, &c.team, "").await), vec![id_of(first)]);
}

async fn retry_after_restart(backend: Backend) {
    let c = crew(backend).await;
    let t = txn();
    let first = posted(
        &c.alice,
        &c.team,
        json!({"body": "before restart", "client_txn_id": t}),
    )
    .await;
    let server = c.server.restart().await;
    let alice = reconnect(&c.alice, &server);
    let (status, again) = post(
        &alice,
        &c.team,
        json!({"body": "before restart", "client_txn_id": t}),
    )
    .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again, first);
    assert_eq!(
        ids(&history(&alice, &c.team, "").await),
        vec![id_of(&first)]
    );
}

async fn transaction_ids_are_per_person_and_group(backend: Backend) {
    let c = crew(backend).await;
    let t = txn();
    let a = posted(
        &c.alice,
        &c.team,
        json!({"body": "mine", "client_txn_id": t}),
    )
    .await;
    let b = posted(
        &c.bob,
        &c.team,
        json!({"body": "mine too", "client_txn_id": t}),
    )
    .await;
    assert_ne!(a["id"], b["id"]);
    assert_eq!(b["author"]["id"], c.bob_id.as_str());
    let other = team(&c.alice, "Side room", &[]).await;
    let elsewhere = posted(
        &c.alice,
        &other,
        json!({"body": "there", "client_txn_id": t}),
    )
    .await;
    assert_ne!(elsewhere["id"], a["id"]);
    assert_eq!(elsewhere["group_id"], other.as_str());
    assert_eq!(history(&c.owner, &c.team, "").await.len(), 2);
    // A transaction id must be 1 to 128 bytes.
    for bad in [String::new(), "x".repeat(129)] {
        let (status, e) = post(
            &c.alice,
            &c.team,
            json!({"body": "x", "client_txn_id": bad}),
        )
        .await;
        assert_error(status, &e, 422, "invalid_txn_id");
    }
}

// ---------------------------------------------------------------------------------------
// Edits and deletes

async fn edit_and_delete(backend: Backend) {
    let c = crew(backend).await;
    let m = c.alice.say(&c.team, "draft").await;
    let mid = id_of(&m);
    let (status, edited) = c
        .alice
        .patch(
            &format!("/api/v1/messages/{mid}"),
            json!({"body": format!("final <@{}>", c.bob_id)}),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["id"], mid.as_str());
    assert_eq!(edited["seq"], m["seq"], "an edit keeps the position");
    assert_eq!(edited["body"], format!("final <@{}>", c.bob_id));
    assert_eq!(edited["mentions"], json!([c.bob_id]));
    assert!(edited["edited_at"].as_i64().is_some(), "{edited}");
    assert_eq!(edited["author"]["id"], c.alice_id.as_str());
    assert_eq!(message(&c.bob, &mid).await, edited);

    // Others may neither edit nor delete it.
    let (status, e) = c
        .bob
        .patch(
            &format!("/api/v1/messages/{mid}"),
            json!({"body": "hijack"}),
        )
        .await;
    assert_error(status, &e, 403, "forbidden");
    let (status, e) = c.bob.delete(&format!("/api/v1/messages/{mid}")).await;
    assert_error(status, &e, 403, "forbidden");
    let (status, e) = c
        .alice
        .patch(&format!("/api/v1/messages/{mid}"), json!({"body": "  "}))
        .await;
    assert_error(status, &e, 422, "empty_message");
    assert_eq!(message(&c.bob, &mid).await["body"], edited["body"]);

    // The author deletes: a tombstone keeps its place in history.
    let (status, _) = c.alice.delete(&format!("/api/v1/messages/{mid}")).await;
    assert_eq!(status, 204);
    let gone = message(&c.bob, &mid).await;
    assert_eq!(gone["deleted"], true, "{gone}");
    assert_eq!(gone["body"], "");
    assert_eq!(gone["segments"], json!([]));
    assert_eq!(gone["mentions"], json!([]));
    assert_eq!(
        gone["author"],
        Value::Null,
        "a tombstone names no author: {gone}"
    );
    assert_eq!(gone["seq"], m["seq"]);
    let top = history(&c.bob, &c.team, "").await;
    assert_eq!(ids(&top), vec![mid.clone()]);
    assert_eq!(top[0]["deleted"], true);
    // Deleting again changes nothing; editing a deleted message is refused.
    let (status, _) = c.alice.delete(&format!("/api/v1/messages/{mid}")).await;
    assert_eq!(status, 204);
    let (status, e) = c
        .alice
        .patch(
            &format!("/api/v1/messages/{mid}"),
            json!({"body": "revive"}),
        )
        .await;
    assert_error(status, &e, 422, "message_deleted");
    let (status, e) = reply(&c.bob, &c.team, &mid, "too late").await;
    assert_error(status, &e, 422, "thread_deleted");
    let (status, e) = c
        .bob
        .put(&format!("/api/v1/messages/{mid}/reactions/like"))
        .await;
    assert_error(status, &e, 422, "message_deleted");

    // The group's owner removes someone else's message.
    let b = c.bob.say(&c.team, "off topic").await;
    let (status, _) = c
        .owner
        .delete(&format!("/api/v1/messages/{}", id_of(&b)))
        .await;
    assert_eq!(status, 204);
    let gone = message(&c.alice, &id_of(&b)).await;
    assert_eq!(gone["deleted"], true);
    assert_eq!(gone["body"], "");
    // ...but an owner cannot put words in someone's mouth.
    let a = c.alice.say(&c.team, "mine").await;
    let (status, e) = c
        .owner
        .patch(
            &format!("/api/v1/messages/{}", id_of(&a)),
            json!({"body": "edited by owner"}),
        )
        .await;
    assert_error(status, &e, 403, "forbidden");
}

// ---------------------------------------------------------------------------------------
// Reactions and pins

async fn reactions(backend: Backend) {
    let c = crew(backend).await;
    let mid = id_of(&c.alice.say(&c.team, "ship it?").await);
    let path = |emoji: &str| format!("/api/v1/messages/{mid}/reactions/{emoji}");

    let (status, m) = c.alice.put(&path("like")).await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(
        m["reactions"],
        json!([{"emoji": "like", "count": 1, "person_ids": [c.alice_id]}])
    );
    let (status, m) = c.bob.put(&path("like")).await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(m["reactions"][0]["count"], 2);
    assert_eq!(
        sorted_ids(&m["reactions"][0]["person_ids"]),
        sorted(&[&c.alice_id, &c.bob_id])
    );
    // Adding the same reaction again changes nothing.
    let (status, again) = c.bob.put(&path("like")).await;
    assert_eq!(status, 200);
    assert_eq!(again["reactions"], m["reactions"]);
    // A Unicode emoji (percent-encoded in the path) is its own reaction.
    let (status, m) = c.bob.put(&path("%F0%9F%91%8D")).await;
    assert_eq!(status, 200, "{m}");
    let thumbs = m["reactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["emoji"] == "👍")
        .unwrap_or_else(|| panic!("no 👍 in {m}"));
    assert_eq!(thumbs["count"], 1);
    assert_eq!(thumbs["person_ids"], json!([c.bob_id]));

    // Removing takes only the caller's own reaction.
    let (status, m) = c.alice.delete(&path("like")).await;
    assert_eq!(status, 200, "{m}");
    let like = &m["reactions"].as_array().unwrap()[0];
    assert_eq!(like["emoji"], "like");
    assert_eq!(like["count"], 1);
    assert_eq!(like["person_ids"], json!([c.bob_id]));
    let (status, _) = c.alice.delete(&path("like")).await;
    assert_eq!(status, 200, "removing what is not there is harmless");
    let now = message(&c.owner, &mid).await;
    assert_eq!(now["reactions"], m["reactions"]);
    assert_eq!(
        history(&c.owner, &c.team, "").await[0]["reactions"],
        m["reactions"]
    );

    // Invalid reactions.
    let long = "x".repeat(65);
    for bad in ["thumbs%20up", "%20", long.as_str(), "a%09b"] {
        let (status, e) = c.alice.put(&path(bad)).await;
        assert_error(status, &e, 422, "invalid_reaction");
    }
    let (status, _) = c.alice.put(&path(&"x".repeat(64))).await;
    assert_eq!(status, 200, "64 bytes is the limit");
    // Outsiders cannot react.
    let (_, outsider) = c.server.person(&c.org, "Oscar Outside", "member").await;
    let (status, e) = outsider.put(&path("like")).await;
    assert_error(status, &e, 404, "not_found");
}

fn sorted_ids(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

async fn pins(backend: Backend) {
    let c = crew(backend).await;
    let first = id_of(&c.alice.say(&c.team, "Gate code 4711").await);
    let second = id_of(&c.bob.say(&c.team, "Fire drill Friday").await);
    let pins_path = format!("/api/v1/groups/{}/pins", c.team);

    let (status, m) = c.bob.put(&format!("/api/v1/messages/{first}/pin")).await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(m["pinned"]["by"], c.bob_id.as_str());
    assert!(m["pinned"]["at"].as_i64().is_some(), "{m}");
    let (status, m) = c.alice.put(&format!("/api/v1/messages/{second}/pin")).await;
    assert_eq!(status, 200, "{m}");
    let (status, list) = c.owner.get(&pins_path).await;
    assert_eq!(status, 200, "{list}");
    let mut pinned = ids(list.as_array().unwrap());
    pinned.sort();
    assert_eq!(pinned, sorted(&[&first, &second]));

    let (status, m) = c
        .alice
        .delete(&format!("/api/v1/messages/{first}/pin"))
        .await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(m["pinned"], Value::Null);
    let (_, list) = c.owner.get(&pins_path).await;
    assert_eq!(ids(list.as_array().unwrap()), vec![second.clone()]);
    assert_eq!(message(&c.bob, &first).await["pinned"], Value::Null);

    // Replies cannot be pinned; a deleted message leaves the pins.
    let (_, r) = reply(&c.alice, &c.team, &first, "noted").await;
    let (status, e) = c
        .alice
        .put(&format!("/api/v1/messages/{}/pin", id_of(&r)))
        .await;
    assert_error(status, &e, 422, "cannot_pin");
    let (status, _) = c.bob.delete(&format!("/api/v1/messages/{second}")).await;
    assert_eq!(status, 204);
    let (_, list) = c.owner.get(&pins_path).await;
    assert_eq!(list, json!([]));
    let (status, e) = c.alice.put(&format!("/api/v1/messages/{second}/pin")).await;
    assert_error(status, &e, 422, "cannot_pin");
    let (_, outsider) = c.server.person(&c.org, "Oscar Outside", "member").await;
    let (status, e) = outsider.get(&pins_path).await;
    assert_error(status, &e, 404, "not_found");
}

// ---------------------------------------------------------------------------------------
// Read receipts

async fn read_receipts(backend: Backend) {
    let c = crew(backend).await;
    let m1 = id_of(&c.alice.say(&c.team, "one").await);
    let m2 = id_of(&c.alice.say(&c.team, "two").await);
    let m3 = id_of(&c.alice.say(&c.team, "three").await);

    // Nobody has read anything; the author is not listed.
    let (status, r) = receipts(&c.bob, &m2).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["message_id"], m2.as_str());
    assert_eq!(people_in(&r, "read"), Vec::<String>::new());
    assert_eq!(people_in(&r, "unread"), sorted(&[&c.owner_id, &c.bob_id]));

    // Bob reads up to m2: m1 and m2 are read, m3 is not.
    assert_eq!(mark_read(&c.bob, &c.team, &m2).await, 204);
    for (m, read) in [(&m1, true), (&m2, true), (&m3, false)] {
        let (_, r) = receipts(&c.alice, m).await;
        assert_eq!(people_in(&r, "read").contains(&c.bob_id), read, "{m}: {r}");
        assert_eq!(
            people_in(&r, "unread").contains(&c.bob_id),
            !read,
            "{m}: {r}"
        );
    }
    // Reading an older message does not move the position back.
    assert_eq!(mark_read(&c.bob, &c.team, &m1).await, 204);
    let (_, r) = receipts(&c.alice, &m2).await;
    assert_eq!(people_in(&r, "read"), vec![c.bob_id.clone()], "{r}");
    // The owner reads everything.
    assert_eq!(mark_read(&c.owner, &c.team, &m3).await, 204);
    let (_, r) = receipts(&c.alice, &m3).await;
    assert_eq!(people_in(&r, "read"), vec![c.owner_id.clone()]);
    assert_eq!(people_in(&r, "unread"), vec![c.bob_id.clone()]);

    // Marking read needs membership and a message of that group.
    let other = team(&c.alice, "Side room", &[]).await;
    let foreign = id_of(&c.alice.say(&other, "elsewhere").await);
    let (status, e) = c
        .alice
        .post(
            &format!("/api/v1/groups/{}/read", c.team),
            json!({"message_id": foreign}),
        )
        .await;
    assert_error(status, &e, 404, "not_found");
    let (status, e) = c
        .bob
        .post(
            &format!("/api/v1/groups/{other}/read"),
            json!({"message_id": foreign}),
        )
        .await;
    assert_error(status, &e, 404, "not_found");

    // An org admin turns receipts off: members can no longer look them up.
    let (_, org_admin) = c.server.person(&c.org, "Ada Admin", "org_admin").await;
    let (status, e) = c
        .alice
        .patch(
            &format!("/api/v1/orgs/{}", c.org),
            json!({"read_receipts_enabled": false}),
        )
        .await;
    assert_error(status, &e, 403, "forbidden");
    let (status, org) = org_admin
        .patch(
            &format!("/api/v1/orgs/{}", c.org),
            json!({"read_receipts_enabled": false}),
        )
        .await;
    assert_eq!(status, 200, "{org}");
    assert_eq!(org["read_receipts_enabled"], false);
    let (status, e) = receipts(&c.alice, &m1).await;
    assert_error(status, &e, 403, "forbidden");
    // Reading still works (it drives unread counts), but nobody is told who read what.
    let mut ws = c.alice.websocket(None).await;
    assert_eq!(mark_read(&c.bob, &c.team, &m3).await, 204);
    let sentinel = c.alice.say(&c.team, "anyone there?").await;
    let next = ws.next_json().await;
    assert_eq!(next["type"], "message.created", "no receipt event: {next}");
    assert_eq!(next["data"]["id"], sentinel["id"]);

    // The platform admin turns them back on; Bob's later read counted.
    let (status, org) = c
        .server
        .admin
        .patch(
            &format!("/api/v1/orgs/{}", c.org),
            json!({"read_receipts_enabled": true}),
        )
        .await;
    assert_eq!(status, 200, "{org}");
    assert_eq!(org["read_receipts_enabled"], true);
    let (status, r) = receipts(&c.alice, &m3).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(people_in(&r, "read"), sorted(&[&c.owner_id, &c.bob_id]));
}

// ---------------------------------------------------------------------------------------
// Anonymous feed posts

async fn anonymous_feed_posts(backend: Backend) {
    let c = crew(backend).await;
    let (status, org) = c
        .server
        .admin
        .patch(
            &format!("/api/v1/orgs/{}", c.org),
            json!({"anonymous_posts_enabled": true}),
        )
        .await;
    assert_eq!(status, 200, "{org}");
    assert_eq!(org["anonymous_posts_enabled"], true);
    let secrets = [c.alice_id.as_str(), "Alice Archer"];

    let before = c.owner.say(&c.team, "Suggestions welcome").await;
    let since = before["seq"].as_i64().unwrap();
    let mut ws = c.bob.websocket(None).await;

    let t = txn();
    let request = json!({"body": "Please fix the canteen coffee", "client_txn_id": t, "kind": "post", "anonymous": true});
    let (status, text) = raw(
        &c.alice,
        reqwest::Method::POST,
        &format!("/api/v1/groups/{}/messages", c.team),
        Some(request.clone()),
    )
    .await;
    assert_eq!(status, 201, "{text}");
    assert_hides("the POST answer", &text, &secrets);
    let p: Value = serde_json::from_str(&text).unwrap();
    let pid = id_of(&p);
    assert_eq!(p["author"], Value::Null);
    assert_eq!(p["anonymous"], true);
    assert_eq!(p["kind"], "post");

    let frames = frames_until(&mut ws, "message.created").await;
    assert_eq!(frames.len(), 1, "{frames:?}");
    assert_hides("the live event", &frames[0], &secrets);
    let event: Value = serde_json::from_str(&frames[0]).unwrap();
    assert_eq!(event["data"]["id"], pid.as_str());
    assert_eq!(event["data"]["author"], Value::Null);

    // A retry by the author answers with the same anonymous post.
    let (status, text) = raw(
        &c.alice,
        reqwest::Method::POST,
        &format!("/api/v1/groups/{}/messages", c.team),
        Some(request),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert_hides("the retry answer", &text, &secrets);

    // Comments and likes on the post work as usual.
    let (status, comment) = reply(&c.bob, &c.team, &pid, "+1, the coffee is awful").await;
    assert_eq!(status, 201, "{comment}");
    assert_eq!(comment["author"]["id"], c.bob_id.as_str());
    let (status, liked) = c
        .owner
        .put(&format!("/api/v1/messages/{pid}/reactions/like"))
        .await;
    assert_eq!(status, 200, "{liked}");
    assert_eq!(liked["reactions"][0]["count"], 1);
    let (status, text) = raw(
        &c.bob,
        reqwest::Method::GET,
        &format!("/api/v1/messages/{pid}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_hides("GET /messages/{id}", &text, &secrets);
    let got: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(got["reply_count"], 1);
    assert_eq!(got["author"], Value::Null);
    for path in [
        format!("/api/v1/groups/{}/messages", c.team),
        format!("/api/v1/groups/{}/messages?kind=post", c.team),
        format!("/api/v1/groups/{}/pins", c.team),
    ] {
        let (status, text) = raw(&c.bob, reqwest::Method::GET, &path, None).await;
        assert_eq!(status, 200, "{path}: {text}");
        assert_hides(&path, &text, &secrets);
    }
    let feed = history(&c.bob, &c.team, "?kind=post").await;
    assert_eq!(ids(&feed), vec![pid.clone()]);

    // The author cannot edit it (that would tie them to it), another member cannot delete
    // it, the author can.
    let (status, e) = c.bob.delete(&format!("/api/v1/messages/{pid}")).await;
    assert_error(status, &e, 403, "forbidden");
    let (status, _) = c.alice.delete(&format!("/api/v1/messages/{pid}")).await;
    assert_eq!(status, 204);
    assert_eq!(message(&c.bob, &pid).await["deleted"], true);
    // Every live event since the post (comment, like, delete) keeps the secret too.
    for frame in frames_until(&mut ws, "message.deleted").await {
        assert_hides("a live event", &frame, &secrets);
    }

    // The whole catch-up log, as other members see it, never names the author.
    for (who, client) in [("bob", &c.bob), ("owner", &c.owner)] {
        let (status, text) = raw(
            client,
            reqwest::Method::GET,
            &format!("/api/v1/events?since={since}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{text}");
        assert_hides(&format!("{who}'s catch-up"), &text, &secrets);
        let page: Value = serde_json::from_str(&text).unwrap();
        let created: Vec<&Value> = page["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "message.created" && e["data"]["id"] == pid.as_str())
            .collect();
        assert_eq!(created.len(), 1, "{page}");
    }

    // Anonymous chat lines, anonymous comments, and anonymity where the org disallows it.
    let (status, e) = post(
        &c.alice,
        &c.team,
        json!({"body": "psst", "client_txn_id": txn(), "kind": "chat", "anonymous": true}),
    )
    .await;
    assert_error(status, &e, 422, "anonymous_not_allowed");
    let (status, e) = post(
        &c.alice,
        &c.team,
        json!({"body": "psst", "client_txn_id": txn(), "anonymous": true}),
    )
    .await;
    assert_error(status, &e, 422, "anonymous_not_allowed");
    let root = id_of(&c.owner.say(&c.team, "root").await);
    let (status, e) = post(&c.alice, &c.team, json!({"body": "psst", "client_txn_id": txn(), "kind": "post", "anonymous": true, "thread_root_id": root})).await;
    assert_error(status, &e, 422, "anonymous_not_allowed");
    let (status, _) = c
        .server
        .admin
        .patch(
            &format!("/api/v1/orgs/{}", c.org),
            json!({"anonymous_posts_enabled": false}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, e) = post(
        &c.alice,
        &c.team,
        json!({"body": "psst", "client_txn_id": txn(), "kind": "post", "anonymous": true}),
    )
    .await;
    assert_error(status, &e, 403, "forbidden");
}

/// The raw text of every frame up to and including the next one of type `kind`.
async fn frames_until(ws: &mut crate::common::Ws, kind: &str) -> Vec<String> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let mut frames = Vec::new();
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.stream.next())
            .await
            .unwrap_or_else(|_| panic!("a {kind} frame within 10 s"))
            .expect("stream open")
            .expect("frame");
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(t.as_str()).expect("JSON frame");
            frames.push(t.as_str().to_owned());
            if v["type"] == kind {
                return frames;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Burn after read

async fn burn_after_read(backend: Backend) {
    let c = crew(backend).await;
    let dm = direct(&c.alice, &c.bob_id).await;
    assert_eq!(
        direct(&c.bob, &c.alice_id).await,
        dm,
        "one conversation per pair"
    );
    let mut ws = c.alice.websocket(None).await;

    let m = posted(
        &c.alice,
        &dm,
        json!({"body": "the vault code is 0000", "client_txn_id": txn(), "burn_after_secs": 1}),
    )
    .await;
    let mid = id_of(&m);
    assert_eq!(m["burn_after_secs"], 1);
    assert_eq!(m["burn_at"], Value::Null);

    // The sender's own read starts no clock.
    assert_eq!(mark_read(&c.alice, &dm, &mid).await, 204);
    let still = message(&c.bob, &mid).await;
    assert_eq!(still["burn_at"], Value::Null, "{still}");
    assert_eq!(still["deleted"], false);
    assert_eq!(still["body"], "the vault code is 0000");

    // The recipient reads: the clock starts and the message burns for everyone.
    assert_eq!(mark_read(&c.bob, &dm, &mid).await, 204);
    let armed = message(&c.bob, &mid).await;
    let burn_at = armed["burn_at"]
        .as_i64()
        .unwrap_or_else(|| panic!("{armed}"));
    assert!(
        burn_at >= armed["created_at"].as_i64().unwrap() + 1000,
        "{armed}"
    );
    let gone = eventually("the message to burn", || {
        let alice = c.alice.clone();
        let mid = mid.clone();
        async move {
            let m = message(&alice, &mid).await;
            (m["deleted"] == true).then_some(m)
        }
    })
    .await;
    assert_eq!(gone["body"], "");
    assert_eq!(gone["segments"], json!([]));
    let for_bob = message(&c.bob, &mid).await;
    assert_eq!(for_bob["deleted"], true);
    assert_eq!(for_bob["body"], "");
    let top = history(&c.bob, &dm, "").await;
    assert_eq!(ids(&top), vec![mid.clone()]);
    assert_eq!(top[0]["body"], "");
    let event = ws.until("message.deleted").await;
    assert_eq!(event["data"]["id"], mid.as_str(), "{event}");
    assert_eq!(event["group_id"], dm.as_str());
    // Burnt means burnt: the event log no longer carries the text either.
    for client in [&c.alice, &c.bob] {
        let log = event_log(client, m["seq"].as_i64().unwrap() - 1).await;
        assert!(
            !log.contains("vault code"),
            "the catch-up log still holds the text: {log}"
        );
        assert!(log.contains(&mid), "{log}");
    }

    // Only direct conversations burn, and only for 1 s to a week.
    let (status, e) = post(
        &c.alice,
        &c.team,
        json!({"body": "x", "client_txn_id": txn(), "burn_after_secs": 1}),
    )
    .await;
    assert_error(status, &e, 422, "burn_not_allowed");
    for bad in [0, -5, 7 * 24 * 3600 + 1] {
        let (status, e) = post(
            &c.alice,
            &dm,
            json!({"body": "x", "client_txn_id": txn(), "burn_after_secs": bad}),
        )
        .await;
        assert_error(status, &e, 422, "invalid_burn");
    }
}

/// The raw catch-up log after `since`, as `client` may read it.
async fn event_log(client: &Client, since: i64) -> String {
    let (status, text) = raw(
        client,
        reqwest::Method::GET,
        &format!("/api/v1/events?since={since}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{text}");
    text
}

async fn deleted_text_leaves_the_event_log(backend: Backend) {
    let c = crew(backend).await;
    let m = c.alice.say(&c.team, "salary list: Bob 1000").await;
    let mid = id_of(&m);
    let since = m["seq"].as_i64().unwrap() - 1;
    let (status, _) = c
        .alice
        .patch(
            &format!("/api/v1/messages/{mid}"),
            json!({"body": "salary list v2: Bob 1200"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = c
        .bob
        .put(&format!("/api/v1/messages/{mid}/reactions/eyes"))
        .await;
    assert_eq!(status, 200);
    let (status, _) = c.owner.put(&format!("/api/v1/messages/{mid}/pin")).await;
    assert_eq!(status, 200);
    let kept = c.bob.say(&c.team, "salary talk is off topic").await;
    assert!(event_log(&c.bob, since).await.contains("Bob 1200"));

    let (status, _) = c.alice.delete(&format!("/api/v1/messages/{mid}")).await;
    assert_eq!(status, 204);
    for client in [&c.alice, &c.bob, &c.owner] {
        let log = event_log(client, since).await;
        assert!(
            !log.contains("salary list"),
            "deleted text is still in the log: {log}"
        );
        // The positions stay: catching up still tells the whole story, ending in a tombstone.
        let page: Value = serde_json::from_str(&log).unwrap();
        let kinds: Vec<&str> = page["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "message.created",
                "message.updated",
                "reaction.added",
                "message.pinned",
                "message.created",
                "message.deleted"
            ],
            "{log}"
        );
        let created = &page["events"][0];
        assert_eq!(created["data"]["id"], mid.as_str());
        assert_eq!(created["data"]["deleted"], true, "{created}");
        assert_eq!(created["seq"], m["seq"]);
        // Other messages are untouched.
        assert_eq!(page["events"][4]["data"]["body"], kept["body"]);
    }
}

// ---------------------------------------------------------------------------------------
// Markup, mentions and size limits

async fn markup_and_limits(backend: Backend) {
    let c = crew(backend).await;
    let body = format!(
        "<b>x</b> <script>alert(1)</script> <@{}> <@not-a-uuid> mail@all @all",
        c.alice_id
    );
    let m = posted(
        &c.bob,
        &c.team,
        json!({"body": body, "client_txn_id": txn()}),
    )
    .await;
    assert_eq!(m["body"], body.as_str());
    assert_eq!(m["mentions"], json!([c.alice_id]));
    assert_eq!(m["mentions_all"], true);
    assert_eq!(
        m["segments"],
        json!([
            {"type": "text", "text": "<b>x</b> <script>alert(1)</script> "},
            {"type": "mention", "person_id": c.alice_id},
            {"type": "text", "text": " <@not-a-uuid> mail@all "},
            {"type": "mention_all"},
        ])
    );
    let plain = posted(
        &c.bob,
        &c.team,
        json!({"body": "@allison and mail@all.example", "client_txn_id": txn()}),
    )
    .await;
    assert_eq!(plain["mentions"], json!([]));
    assert_eq!(plain["mentions_all"], false);

    // 16 KiB of UTF-8 is the limit, counted in bytes.
    let at_limit = "é".repeat(8 * 1024);
    let m = posted(
        &c.bob,
        &c.team,
        json!({"body": at_limit, "client_txn_id": txn()}),
    )
    .await;
    assert_eq!(m["body"].as_str().unwrap().len(), 16 * 1024);
    for over in ["é".repeat(8 * 1024) + "x", "a".repeat(16 * 1024 + 1)] {
        let (status, e) = post(
            &c.bob,
            &c.team,
            json!({"body": over, "client_txn_id": txn()}),
        )
        .await;
        assert_error(status, &e, 422, "message_too_long");
    }
    for empty in ["", "   ", "\n\t", "\u{200B}"] {
        let (status, e) = post(
            &c.bob,
            &c.team,
            json!({"body": empty, "client_txn_id": txn()}),
        )
        .await;
        assert_error(status, &e, 422, "empty_message");
    }
    let (status, e) = post(
        &c.bob,
        &c.team,
        json!({"body": "evil\u{202E}gnp.exe", "client_txn_id": txn()}),
    )
    .await;
    assert_error(status, &e, 422, "invalid_characters");
    // None of the refused bodies was stored.
    assert_eq!(history(&c.alice, &c.team, "").await.len(), 3);
}

both_backends!(
    posting_returns_the_message,
    history_pages_newest_first,
    threads,
    retry_returns_the_original,
    concurrent_retries_post_once,
    retry_after_restart,
    transaction_ids_are_per_person_and_group,
    edit_and_delete,
    reactions,
    pins,
    read_receipts,
    anonymous_feed_posts,
    burn_after_read,
    deleted_text_leaves_the_event_log,
    markup_and_limits,
);

// ---------------------------------------------------------------------------------------
// Abuse control: how fast one person may post

/// Past the burst, a person's posts are refused with 429 and `Retry-After` until the
/// bucket refills; retries of stored posts and other people are not held back, and
/// nothing refused is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posting_too_fast_is_refused_and_stores_nothing() {
    let server = TestServer::start_with(Backend::Sqlite, |c| {
        c.posts_per_minute = 60;
        c.post_burst = 5;
    })
    .await;
    let org = server.org("Flood Co").await;
    let (_, spammer) = server.person(&org, "Sam Spammer", "member").await;
    let (other_id, other) = server.person(&org, "Olga Other", "member").await;
    let group = team(&spammer, "Busy", &[&other_id]).await;
    let mut first = None;
    for i in 0..5 {
        let t = txn();
        let (status, m) = post(
            &spammer,
            &group,
            json!({"body": format!("burst {i}"), "client_txn_id": t}),
        )
        .await;
        assert_eq!(status, 201, "post {i} of the burst: {m}");
        first.get_or_insert((t, m));
    }
    let res = spammer
        .http
        .post(format!("{}/api/v1/groups/{group}/messages", spammer.base))
        .bearer_auth(spammer.token.as_deref().unwrap())
        .json(&json!({"body": "one too many", "client_txn_id": txn()}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(retry_after, 1, "one post a second refills within a second");
    let e: Value = res.json().await.unwrap();
    assert_eq!(e["code"], "rate_limited", "{e}");
    assert!(e["message"].as_str().unwrap().contains("too fast"), "{e}");
    assert!(e["message_zh"].as_str().unwrap().contains("太快"), "{e}");

    // A retry of a stored post is answered, not counted.
    let (t, m) = first.unwrap();
    let (status, again) = post(
        &spammer,
        &group,
        json!({"body": "burst 0", "client_txn_id": t}),
    )
    .await;
    assert_eq!((status, &again), (200, &m));
    // Someone else in the same group posts freely.
    let (status, _) = post(
        &other,
        &group,
        json!({"body": "hi", "client_txn_id": txn()}),
    )
    .await;
    assert_eq!(status, 201);
    // The refused post was not stored.
    let bodies: Vec<String> = history(&other, &group, "")
        .await
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(bodies.len(), 6, "{bodies:?}");
    assert!(!bodies.iter().any(|b| b == "one too many"));

    // The bucket refills at the sustained rate.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, m) = post(
        &spammer,
        &group,
        json!({"body": "later", "client_txn_id": txn()}),
    )
    .await;
    assert_eq!(status, 201, "{m}");
}
