//! Host nodes on one PostgreSQL database with NATS between them (the machine's, at
//! `COURTYARD_TEST_NATS_URL`, default `nats://127.0.0.1:4222`): people connected to
//! either node receive what is posted on either, in position order, each event once;
//! membership changes made on one node route live delivery on the other; a client whose
//! node goes away resumes on another with `?since=` and misses nothing — also with three
//! `courtyard` processes, one killed with SIGKILL under load. Sign-outs and sign-in
//! throttling hold across nodes.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::common::process::NodeProcess;
use crate::common::{Backend, Client, Node, TestServer, Ws, skip_postgres};

fn nats_url() -> String {
    std::env::var("COURTYARD_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

fn skip_nats() -> bool {
    let skip = std::env::var("COURTYARD_TEST_SKIP_NATS").is_ok_and(|v| v == "1");
    if skip {
        eprintln!("COURTYARD_TEST_SKIP_NATS=1: skipping the cluster test (opted out)");
    }
    skip
}

/// Two nodes on a fresh PostgreSQL database, on a NATS subject of their own.
async fn two_nodes() -> (TestServer, Node) {
    let nats = nats_url();
    let subject = format!("cy-test-{}", uuid::Uuid::new_v4().simple());
    let a = TestServer::start_with(Backend::Postgres, move |c| {
        c.nats_url = Some(nats.clone());
        c.nats_subject = subject.clone();
    })
    .await;
    let b = a.another_node().await;
    (a, b)
}

/// A new organization with Alice and Bob, and a team of both (Alice created it); returns
/// their clients (on `server`) and the team's id.
async fn alice_and_bob_in_a_team(server: &TestServer) -> (Client, Client, String) {
    let org = server.org("Cluster Co").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;
    let (bob_id, bob) = server.person(&org, "Bob", "member").await;
    let (status, group) = alice
        .post(
            "/api/v1/groups",
            json!({"kind": "team", "name": "Ops", "member_ids": [bob_id]}),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    (alice, bob, group["id"].as_str().unwrap().to_owned())
}

/// Message frames (`message.created`) until `n` arrived; their positions and bodies.
async fn messages(ws: &mut Ws, n: usize) -> Vec<(i64, String)> {
    let mut got = Vec::new();
    while got.len() < n {
        let frame = ws.next_json().await;
        assert_ne!(frame["type"], "closed", "{frame}");
        if frame["type"] == "message.created" {
            got.push((
                frame["seq"].as_i64().unwrap(),
                frame["data"]["body"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            ));
        }
    }
    got
}

fn strictly_increasing(seqs: &[(i64, String)]) -> bool {
    seqs.windows(2).all(|w| w[0].0 < w[1].0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_deliver_everything_in_order() {
    if skip_postgres() || skip_nats() {
        return;
    }
    let (a, b) = two_nodes().await;
    let org = a.org("Cluster Co").await;
    let (_, alice_a) = a.person(&org, "Alice", "member").await;
    let (bob_id, bob_a) = a.person(&org, "Bob", "member").await;
    // The same people, through node B.
    let alice_b = b.client(alice_a.token.clone());
    let bob_b = b.client(bob_a.token.clone());

    // Bob listens on B; Alice creates a group on A with him in it: the membership event
    // from A must teach B's hub to route the group to Bob.
    let mut bob_ws = bob_b.websocket(None).await;
    let (status, group) = alice_a
        .post(
            "/api/v1/groups",
            json!({"kind": "team", "name": "Ops", "member_ids": [bob_id]}),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let group = group["id"].as_str().unwrap().to_owned();
    let joined = bob_ws.until("member.joined").await;
    assert_eq!(joined["group_id"], group);

    // Alice listens on A. Both post on both nodes at once.
    let mut alice_ws = alice_a.websocket(None).await;
    const EACH: usize = 40;
    let post = |client: Client, tag: &'static str, group: String| async move {
        for i in 0..EACH {
            client.say(&group, &format!("{tag} {i}")).await;
        }
    };
    tokio::join!(
        post(alice_a.clone(), "alice-via-a", group.clone()),
        post(bob_b.clone(), "bob-via-b", group.clone()),
        post(alice_b.clone(), "alice-via-b", group.clone()),
    );
    let total = 3 * EACH;
    let on_b = messages(&mut bob_ws, total).await;
    let on_a = messages(&mut alice_ws, total).await;
    for (node, got) in [("B", &on_b), ("A", &on_a)] {
        assert!(
            strictly_increasing(got),
            "node {node} delivered out of order"
        );
        let bodies: HashSet<&str> = got.iter().map(|(_, b)| b.as_str()).collect();
        assert_eq!(bodies.len(), total, "node {node}: every message once");
    }
    assert_eq!(on_a, on_b, "both nodes deliver the same sequence");
    let after = bob_ws
        .quiet_for(std::time::Duration::from_millis(300))
        .await;
    assert!(
        after.is_none_or(|f: Value| f["type"] != "message.created"),
        "no duplicates after the last"
    );

    // Node B goes away; Bob reconnects to A with the last position he saw and misses
    // nothing posted meanwhile.
    let last = on_b.last().unwrap().0;
    bob_ws.close().await;
    b.stop().await;
    for i in 0..5 {
        alice_a.say(&group, &format!("while B was down {i}")).await;
    }
    let mut bob_again = bob_a.websocket(Some(last)).await;
    let caught_up = messages(&mut bob_again, 5).await;
    assert!(strictly_increasing(&caught_up));
    assert!(caught_up[0].0 > last);
    assert_eq!(caught_up[4].1, "while B was down 4");
}

/// A sign-out on one node closes the person's connection on another at once (code 4001,
/// well before the 30 s heartbeat would notice), through the cluster's control signals;
/// the other sessions' connections stay open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_on_one_node_closes_connections_on_all() {
    if skip_postgres() || skip_nats() {
        return;
    }
    let (a, b) = two_nodes().await;
    let (alice, bob_a, group) = alice_and_bob_in_a_team(&a).await;
    let bob_phone = Client::login(&a.base, &email_of(&bob_a).await, crate::common::PASSWORD).await;
    let mut on_b = b.client(bob_a.token.clone()).websocket(None).await;
    let mut phone_on_b = b.client(bob_phone.token.clone()).websocket(None).await;
    // Both connections are live before the sign-out.
    alice.say(&group, "before").await;
    messages(&mut on_b, 1).await;
    messages(&mut phone_on_b, 1).await;

    let started = std::time::Instant::now();
    let (status, _) = bob_a.post("/api/v1/auth/logout", json!({})).await;
    assert_eq!(status, 204);
    let closed = tokio::time::timeout(std::time::Duration::from_secs(5), on_b.until("closed"))
        .await
        .expect("closed long before the heartbeat");
    assert!(
        closed["frame"].as_str().unwrap().contains("4001"),
        "{closed}"
    );
    eprintln!(
        "sign-out on A → connection on B closed in {:?}",
        started.elapsed()
    );
    alice.say(&group, "after").await;
    assert_eq!(messages(&mut phone_on_b, 1).await[0].1, "after");
}

/// The email address `client` signed in with.
async fn email_of(client: &Client) -> String {
    let (status, me) = client.get("/api/v1/me").await;
    assert_eq!(status, 200, "{me}");
    me["email"].as_str().unwrap().to_owned()
}

/// A plugin enabled (and then disabled) on one node works (and stops) on another at once:
/// the other node had just cached the group's plugins, and the cluster's signal clears
/// that cache well before it would expire (2 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_changes_apply_on_every_node() {
    if skip_postgres() || skip_nats() {
        return;
    }
    let nats = nats_url();
    let subject = format!("cy-test-{}", uuid::Uuid::new_v4().simple());
    let bundled = crate::plugins::built("bundled-plugins");
    let a = TestServer::start_with(Backend::Postgres, move |c| {
        c.nats_url = Some(nats.clone());
        c.nats_subject = subject.clone();
        c.bundled_plugins_dir = Some(bundled.clone());
    })
    .await;
    let b = a.another_node().await;
    let org = a.org("Dice Co").await;
    let (_, admin) = a.person(&org, "Admin", "org_admin").await;
    let (status, group) = admin
        .post("/api/v1/groups", json!({"kind": "team", "name": "Games"}))
        .await;
    assert_eq!(status, 201);
    let group = group["id"].as_str().unwrap().to_owned();
    let admin_b = b.client(admin.token.clone());
    // B reads (and caches) the group's plugins: none yet.
    let (status, err) = crate::common::command(&admin_b, &group, "/roll").await;
    assert_eq!(
        (status, err["code"].as_str()),
        (422, Some("unknown_command"))
    );

    let (status, inst) = admin
        .post(
            &format!("/api/v1/orgs/{org}/plugins"),
            json!({"plugin_id": "dice"}),
        )
        .await;
    assert_eq!(status, 201, "{inst}");
    let enable = format!("/api/v1/groups/{group}/plugins/dice");
    let (status, _) = admin
        .request(reqwest::Method::PUT, &enable, Some(json!({})))
        .await;
    assert_eq!(status, 200);
    let answered_within = |client: Client, want: u16| {
        let group = group.clone();
        async move {
            let started = std::time::Instant::now();
            while started.elapsed() < std::time::Duration::from_millis(1500) {
                if crate::common::command(&client, &group, "/roll").await.0 == want {
                    return Some(started.elapsed());
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            None
        }
    };
    let took = answered_within(admin_b.clone(), 200)
        .await
        .expect("enabled on A, B runs the command before its cache would expire");
    eprintln!("enabled on A → command works on B after {took:?}");
    let (status, _) = admin.delete(&enable).await;
    assert_eq!(status, 204);
    let took = answered_within(admin_b.clone(), 422)
        .await
        .expect("disabled on A, B stops before its cache would expire");
    eprintln!("disabled on A → command refused on B after {took:?}");
}

/// Failed sign-ins count on every node: the limit is the cluster's, not each node's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_throttling_is_shared_by_the_nodes() {
    if skip_postgres() || skip_nats() {
        return;
    }
    let nats = nats_url();
    let subject = format!("cy-test-{}", uuid::Uuid::new_v4().simple());
    let a = TestServer::start_with(Backend::Postgres, move |c| {
        c.nats_url = Some(nats.clone());
        c.nats_subject = subject.clone();
        c.login_failures_per_account = 3;
    })
    .await;
    let b = a.another_node().await;
    let org = a.org("Throttle Co").await;
    let (_, carol) = a.person(&org, "Carol", "member").await;
    let email = email_of(&carol).await;
    let attempt = |base: String, password: &'static str| {
        let email = email.clone();
        async move {
            reqwest::Client::new()
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({"email": email, "password": password}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(attempt(a.base.clone(), "wrong one").await, 401);
    assert_eq!(attempt(b.base.clone(), "wrong two").await, 401);
    assert_eq!(attempt(a.base.clone(), "wrong three").await, 401);
    // Three failures across two nodes: the right password is refused on either.
    assert_eq!(attempt(b.base.clone(), crate::common::PASSWORD).await, 429);
    assert_eq!(attempt(a.base.clone(), crate::common::PASSWORD).await, 429);
}

/// Figures for `docs/benchmarks.md`: a message posted on node A, received over WebSocket
/// by someone connected to node B — the NATS doorbell and the log read included. Run with
/// `cargo test -p courtyard-tests --test e2e cluster::cross_node_figures -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn cross_node_figures() {
    const N: usize = 200;
    let (a, b) = two_nodes().await;
    let (alice, bob_a, group) = alice_and_bob_in_a_team(&a).await;
    let mut bob_ws = b.client(bob_a.token.clone()).websocket(None).await;
    let mut latencies = Vec::with_capacity(N);
    for i in 0..N {
        let started = std::time::Instant::now();
        alice.say(&group, &format!("ping {i}")).await;
        messages(&mut bob_ws, 1).await;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((N as f64 - 1.0) * q) as usize];
    println!(
        "post on A → delivered on B ({N} messages, one at a time): p50 {:.2} ms, p95 {:.2} ms, \
         p99 {:.2} ms, max {:.2} ms",
        at(0.5),
        at(0.95),
        at(0.99),
        latencies[N - 1]
    );
}

/// Posts `body` with a fixed transaction id through `first`, and on any failure through
/// `fallback` with the same id — what a client does when its node dies mid-request.
async fn post_with_retry(first: &Client, fallback: &Client, group: &str, body: &str) -> bool {
    let txn = uuid::Uuid::new_v4().to_string();
    let payload = json!({"body": body, "client_txn_id": txn});
    let path = format!("/api/v1/groups/{group}/messages");
    let res = first
        .http
        .post(format!("{}{path}", first.base))
        .bearer_auth(first.token.clone().unwrap())
        .json(&payload)
        .timeout(std::time::Duration::from_secs(5))
        .send()
        .await;
    if res.is_ok_and(|r| r.status().as_u16() == 201 || r.status().as_u16() == 200) {
        return false;
    }
    let (status, answer) = fallback.post(&path, payload).await;
    assert!(status == 201 || status == 200, "retry: {status} {answer}");
    true
}

/// Reads what a connection still delivers until its node is gone (the socket ends).
async fn drain_until_closed(ws: &mut Ws, seen: &mut Vec<(i64, String)>) {
    use futures_util::StreamExt;
    loop {
        let next = tokio::time::timeout(std::time::Duration::from_secs(10), ws.stream.next())
            .await
            .expect("the dead node's connection ends");
        let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) = next else {
            if matches!(next, Some(Ok(_))) {
                continue;
            }
            return;
        };
        let frame: Value = serde_json::from_str(text.as_str()).unwrap();
        if frame["type"] == "message.created" {
            seen.push((
                frame["seq"].as_i64().unwrap(),
                frame["data"]["body"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            ));
        }
    }
}

fn assert_everything_once_in_order(who: &str, seen: &[(i64, String)], total: usize) {
    assert!(strictly_increasing(seen), "{who}: in order, each once");
    let bodies: HashSet<&str> = seen.iter().map(|(_, b)| b.as_str()).collect();
    assert_eq!(
        bodies.len(),
        total,
        "{who}: every acknowledged message, once"
    );
    assert_eq!(seen.len(), total, "{who}: nothing twice");
}

/// Three `courtyard serve` processes on their own ports, one PostgreSQL database and NATS;
/// Alice, Bob and Carol each connected to a different node, all posting at once. Node 2
/// (Bob's) is killed with SIGKILL mid-stream: Bob's poster retries on node 3 with the same
/// transaction id and nothing doubles; his client resumes on node 3 with `?since=` and
/// misses nothing; Alice and Carol, on the surviving nodes, receive every acknowledged
/// message once and in order. Node 2 restarts on its port and rejoins: it delivers what
/// the others post and what it posts reaches them.
///
/// (The test's own in-process server creates the database and the people; it takes no
/// part in the chat.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_under_load_loses_nothing() {
    if skip_postgres() || skip_nats() {
        return;
    }
    let (setup, in_process) = two_nodes().await;
    drop(in_process);
    let n1 = NodeProcess::start(&setup).await;
    let n2 = NodeProcess::start(&setup).await;
    let n3 = NodeProcess::start(&setup).await;

    let org = setup.org("Cluster Co").await;
    let (_, alice) = setup.person(&org, "Alice", "member").await;
    let (bob_id, bob) = setup.person(&org, "Bob", "member").await;
    let (carol_id, carol) = setup.person(&org, "Carol", "member").await;
    let alice = n1.client(alice.token);
    let bob_on_2 = n2.client(bob.token.clone());
    let bob_on_3 = n3.client(bob.token.clone());
    let carol = n3.client(carol.token);
    let (status, group) = alice
        .post(
            "/api/v1/groups",
            json!({"kind": "team", "name": "Ops", "member_ids": [bob_id, carol_id]}),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let group = group["id"].as_str().unwrap().to_owned();

    let mut alice_ws = alice.websocket(None).await;
    let mut bob_ws = bob_on_2.websocket(None).await;
    let mut carol_ws = carol.websocket(None).await;
    const EACH: usize = 50;
    const TOTAL: usize = 3 * EACH;
    let poster = |me: Client, fallback: Client, tag: &'static str, group: String| {
        tokio::spawn(async move {
            let mut retried = 0;
            for i in 0..EACH {
                if post_with_retry(&me, &fallback, &group, &format!("{tag} {i}")).await {
                    retried += 1;
                }
            }
            retried
        })
    };
    let posting = [
        poster(alice.clone(), alice.clone(), "alice", group.clone()),
        poster(bob_on_2.clone(), bob_on_3.clone(), "bob", group.clone()),
        poster(carol.clone(), carol.clone(), "carol", group.clone()),
    ];
    // Kill node 2 while the load runs, after Bob has seen some of it.
    let mut bob_seen = messages(&mut bob_ws, 20).await;
    let (port_2, dir_2) = n2.kill().await;
    let mut retried = 0;
    for p in posting {
        retried += p
            .await
            .expect("every post acknowledged, or retried on node 3");
    }
    eprintln!("Bob's posts retried on node 3 after node 2 died: {retried} of {EACH}");

    drain_until_closed(&mut bob_ws, &mut bob_seen).await;
    let last = bob_seen.last().unwrap().0;
    let mut resumed = bob_on_3.websocket(Some(last)).await;
    let rest = messages(&mut resumed, TOTAL - bob_seen.len()).await;
    bob_seen.extend(rest);
    assert_everything_once_in_order("Bob (resumed on node 3)", &bob_seen, TOTAL);
    let alice_seen = messages(&mut alice_ws, TOTAL).await;
    let carol_seen = messages(&mut carol_ws, TOTAL).await;
    assert_everything_once_in_order("Alice (node 1)", &alice_seen, TOTAL);
    assert_everything_once_in_order("Carol (node 3)", &carol_seen, TOTAL);
    assert_eq!(
        alice_seen, carol_seen,
        "both nodes deliver the same sequence"
    );
    assert_eq!(alice_seen, bob_seen, "Bob's resumed sequence is everyone's");
    let (_, history) = alice
        .get(&format!("/api/v1/groups/{group}/messages?limit=200"))
        .await;
    let stored = history["messages"]
        .as_array()
        .or(history.as_array())
        .map_or(0, Vec::len);
    assert_eq!(stored, TOTAL, "nothing doubled by the retries");

    // Node 2 comes back on its port and rejoins both ways.
    let n2 = NodeProcess::spawn(&setup, port_2, &dir_2).await;
    let bob_back = n2.client(bob.token.clone());
    let mut back = bob_back.websocket(None).await;
    alice.say(&group, "welcome back").await;
    assert_eq!(messages(&mut back, 1).await[0].1, "welcome back");
    bob_back.say(&group, "glad to be back").await;
    let from_2 = messages(&mut carol_ws, 2).await;
    assert_eq!(from_2[1].1, "glad to be back");
}
