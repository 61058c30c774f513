//! Two host nodes on one PostgreSQL database with NATS between them (the machine's, at
//! `COURTYARD_TEST_NATS_URL`, default `nats://127.0.0.1:4222`): people connected to
//! either node receive what is posted on either, in position order, each event once;
//! membership changes made on one node route live delivery on the other; a client whose
//! node goes away resumes on the other with `?since=` and misses nothing.

use std::collections::HashSet;

use serde_json::{Value, json};

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

/// Figures for `docs/benchmarks.md`: a message posted on node A, received over WebSocket
/// by someone connected to node B — the NATS doorbell and the log read included. Run with
/// `cargo test -p courtyard-tests --test e2e cluster::cross_node_figures -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn cross_node_figures() {
    const N: usize = 200;
    let (a, b) = two_nodes().await;
    let org = a.org("Figures Co").await;
    let (_, alice) = a.person(&org, "Alice", "member").await;
    let (bob_id, bob_a) = a.person(&org, "Bob", "member").await;
    let (_, group) = alice
        .post(
            "/api/v1/groups",
            json!({"kind": "team", "name": "Ops", "member_ids": [bob_id]}),
        )
        .await;
    let group = group["id"].as_str().unwrap().to_owned();
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
