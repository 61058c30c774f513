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

/// A node run as its own `courtyard serve` process (the binary the workspace build made),
/// killed with SIGKILL when dropped.
struct NodeProcess {
    child: tokio::process::Child,
    base: String,
}

impl NodeProcess {
    async fn spawn(a: &TestServer, port: u16, data_dir: &std::path::Path) -> NodeProcess {
        let bin = crate::common::target_dir().join("debug/courtyard");
        assert!(
            bin.is_file(),
            "{} is missing: `cargo build -p courtyard-host --bin courtyard` (the workspace test build makes it)",
            bin.display()
        );
        let config = &a.app.config;
        let child = tokio::process::Command::new(bin)
            .arg("serve")
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--database-url", config.database_url.as_deref().unwrap()])
            .arg("--data-dir")
            .arg(data_dir)
            .env("COURTYARD_NATS_URL", config.nats_url.as_deref().unwrap())
            .env("COURTYARD_NATS_SUBJECT", &config.nats_subject)
            .env(
                "COURTYARD_PLUGIN_CACHE_DIR",
                std::env::temp_dir().join("courtyard-test-plugin-cache"),
            )
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the courtyard binary starts");
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..200 {
            if reqwest::get(format!("{base}/healthz"))
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return NodeProcess { child, base };
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the node on port {port} did not become healthy");
    }

    fn client(&self, token: Option<String>) -> Client {
        Client {
            base: self.base.clone(),
            http: reqwest::Client::new(),
            token,
        }
    }

    /// `kill -9`: no graceful shutdown, connections cut mid-stream.
    async fn kill(mut self) {
        self.child.start_kill().expect("SIGKILL");
        let _ = self.child.wait().await;
    }
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

/// Three nodes — this test process and two `courtyard` processes — under load; one process
/// is killed with SIGKILL mid-stream. Every acknowledged message reaches everyone once,
/// in order: the killed node's client resumes on another node with `?since=`; a poster
/// whose node died retries elsewhere with the same transaction id and nothing doubles.
/// The killed node restarts and serves again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_under_load_loses_nothing() {
    if skip_postgres() || skip_nats() {
        return;
    }
    let (a, in_process) = two_nodes().await;
    drop(in_process);
    let dirs: Vec<_> = (0..2)
        .map(|i| std::env::temp_dir().join(format!("courtyard-node-{i}-{}", uuid::Uuid::new_v4())))
        .collect();
    let free_port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port()
    };
    let (port_b, port_c) = (free_port(), free_port());
    let b = NodeProcess::spawn(&a, port_b, &dirs[0]).await;
    let c = NodeProcess::spawn(&a, port_c, &dirs[1]).await;

    let (alice, bob, group) = alice_and_bob_in_a_team(&a).await;
    let alice_b = b.client(alice.token.clone());
    let alice_c = c.client(alice.token.clone());
    let bob_b = b.client(bob.token.clone());
    let bob_c = c.client(bob.token.clone());

    // Bob listens on B, the node that will die.
    let mut bob_ws = bob_b.websocket(None).await;
    const EACH: usize = 60;
    let posting = {
        let (alice, alice_b, alice_c, group) = (
            alice.clone(),
            alice_b.clone(),
            alice_c.clone(),
            group.clone(),
        );
        tokio::spawn(async move {
            let via_a = async {
                for i in 0..EACH {
                    alice.say(&group, &format!("a {i}")).await;
                }
            };
            let via_b = async {
                let mut retried = 0;
                for i in 0..EACH {
                    if post_with_retry(&alice_b, &alice_c, &group, &format!("b {i}")).await {
                        retried += 1;
                    }
                }
                retried
            };
            tokio::join!(via_a, via_b).1
        })
    };
    // Kill B while the load runs, after Bob has seen some of it.
    let mut seen = messages(&mut bob_ws, 20).await;
    b.kill().await;
    let retried = posting
        .await
        .expect("every post acknowledged, on B or after a retry on C");
    eprintln!("posts retried on C after B died: {retried} of {EACH}");
    // Bob's connection is gone (whatever B sent before dying still counts); he resumes on
    // C after the last position he saw.
    loop {
        use futures_util::StreamExt;
        let next = tokio::time::timeout(std::time::Duration::from_secs(10), bob_ws.stream.next())
            .await
            .expect("the dead node's connection ends");
        let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) = next else {
            if matches!(next, Some(Ok(_))) {
                continue;
            }
            break;
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
    let last = seen.last().unwrap().0;
    let mut resumed = bob_c.websocket(Some(last)).await;
    let rest = messages(&mut resumed, 2 * EACH - seen.len()).await;
    seen.extend(rest);
    assert!(strictly_increasing(&seen), "in order, each once");
    let bodies: HashSet<&str> = seen.iter().map(|(_, b)| b.as_str()).collect();
    assert_eq!(bodies.len(), 2 * EACH, "every acknowledged message, once");
    let (_, history) = alice
        .get(&format!("/api/v1/groups/{group}/messages?limit=200"))
        .await;
    let stored = history["messages"]
        .as_array()
        .or(history.as_array())
        .map_or(0, Vec::len);
    assert_eq!(stored, 2 * EACH, "nothing doubled by the retries");

    // B comes back on its port and delivers again.
    let b = NodeProcess::spawn(&a, port_b, &dirs[0]).await;
    let mut back = b.client(bob.token.clone()).websocket(None).await;
    alice.say(&group, "welcome back").await;
    assert_eq!(messages(&mut back, 1).await[0].1, "welcome back");
    drop(b);
    drop(c);
    for dir in dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
}
