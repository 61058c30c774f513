//! Two `courtyard serve` nodes behind a real nginx configured from the shipped example,
//! `deploy/nginx/courtyard.conf` (see docs/reverse-proxy.md): sign-in, posting, a
//! WebSocket and an upload larger than nginx's default body limit all go through it; when
//! a node is killed, reads fail over, a post the client retries with its `client_txn_id` is
//! stored once, and a WebSocket resumes through nginx with `?since=`. The nodes trust
//! nginx's `X-Forwarded-For`, so sign-in throttling counts each client, not the proxy, and a
//! forged header does not get a client out of it.
//!
//! Needs PostgreSQL, NATS and nginx (`cargo xtask test-tools` installs Debian's).
//! `COURTYARD_TEST_SKIP_EXTERNAL=1` skips it, loudly.

use std::collections::HashSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::process::{NodeProcess, free_port};
use crate::common::{Backend, Client, PASSWORD, TestServer, Ws, skip_postgres};

/// The address nginx connects to the nodes from (`proxy_bind`): the one address the nodes
/// trust to tell them who the client is.
const NGINX_ADDR: &str = "127.0.0.2";
const CLIENT_X: [u8; 4] = [127, 0, 0, 3];
const CLIENT_Y: [u8; 4] = [127, 0, 0, 4];

fn skip_external() -> bool {
    let skip = std::env::var("COURTYARD_TEST_SKIP_EXTERNAL").is_ok_and(|v| v == "1");
    if skip {
        eprintln!("COURTYARD_TEST_SKIP_EXTERNAL=1: skipping the reverse-proxy test (opted out)");
    }
    skip
}

fn skip_nats() -> bool {
    let skip = std::env::var("COURTYARD_TEST_SKIP_NATS").is_ok_and(|v| v == "1");
    if skip {
        eprintln!("COURTYARD_TEST_SKIP_NATS=1: skipping the reverse-proxy test (opted out)");
    }
    skip
}

fn nats_url() -> String {
    std::env::var("COURTYARD_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

/// nginx from Debian's package (`/usr/sbin`), or wherever PATH has one.
fn nginx_bin() -> PathBuf {
    let sbin = PathBuf::from("/usr/sbin/nginx");
    if sbin.is_file() {
        return sbin;
    }
    std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("nginx"))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| {
            panic!(
                "nginx is not installed (not /usr/sbin/nginx, not on PATH): `cargo xtask \
                 test-tools` installs it (Debian's nginx-light); COURTYARD_TEST_SKIP_EXTERNAL=1 \
                 skips this test"
            )
        })
}

/// Replaces the lines from `## begin: NAME` to `## end: NAME` (both included) with `with`.
fn replace_section(conf: &str, name: &str, with: &str) -> String {
    let begin = format!("## begin: {name}");
    let end = format!("## end: {name}");
    let lines: Vec<&str> = conf.lines().collect();
    let at = |marker: &str| {
        let found: Vec<usize> = (0..lines.len())
            .filter(|&i| lines[i].trim() == marker)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "deploy/nginx/courtyard.conf must have exactly one `{marker}` line"
        );
        found[0]
    };
    let (from, to) = (at(&begin), at(&end));
    assert!(from < to, "`{begin}` comes before `{end}`");
    let mut out: Vec<String> = lines[..from].iter().map(|l| l.to_string()).collect();
    out.push(with.to_owned());
    out.extend(lines[to + 1..].iter().map(|l| l.to_string()));
    out.join("\n") + "\n"
}

/// An upstream `server` line for a node on `port`. A failed node is left out for 2 s (the
/// example says 10 s), so the test can see nginx try a dead node again without waiting long.
fn node(port: u16) -> String {
    format!("127.0.0.1:{port} max_fails=1 fail_timeout=2s")
}

/// The shipped example with `servers` as its nodes and a plain-HTTP listen on `port`.
fn config_from_example(servers: &[String], port: u16) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/nginx/courtyard.conf");
    let example = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let nodes: String = servers
        .iter()
        .map(|s| format!("    server {s};\n"))
        .collect();
    let conf = replace_section(&example, "nodes", nodes.trim_end());
    let conf = replace_section(&conf, "redirect", "");
    replace_section(&conf, "listen", &format!("    listen 127.0.0.1:{port};"))
}

/// nginx as a child process (not a daemon) with its own prefix directory for the pid file,
/// logs and temporary files; stopped when dropped.
struct Nginx {
    child: std::process::Child,
    dir: PathBuf,
    base: String,
}

impl Nginx {
    /// nginx from the example, with `servers` (see [`node`]) as the upstream.
    async fn start(servers: &[String]) -> Nginx {
        let bin = nginx_bin();
        let dir = std::env::temp_dir().join(format!("courtyard-nginx-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("nginx prefix directory");
        let port = free_port();
        std::fs::write(
            dir.join("courtyard.conf"),
            config_from_example(servers, port),
        )
        .unwrap();
        // What /etc/nginx/nginx.conf does on a real machine; nginx creates the temporary
        // directories itself (owned by its worker's user when started as root).
        let d = dir.display();
        let main = format!(
            "worker_processes 1;\n\
             pid {d}/nginx.pid;\n\
             error_log {d}/error.log warn;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n\
             \x20   access_log {d}/access.log;\n\
             \x20   client_body_temp_path {d}/client_body;\n\
             \x20   proxy_temp_path {d}/proxy;\n\
             \x20   fastcgi_temp_path {d}/fastcgi;\n\
             \x20   uwsgi_temp_path {d}/uwsgi;\n\
             \x20   scgi_temp_path {d}/scgi;\n\
             \x20   # The nodes trust X-Forwarded-For from this address only (COURTYARD_TRUSTED_PROXIES).\n\
             \x20   proxy_bind {NGINX_ADDR};\n\
             \x20   include {d}/courtyard.conf;\n\
             }}\n"
        );
        std::fs::write(dir.join("nginx.conf"), main).unwrap();
        let mut child = std::process::Command::new(&bin)
            .arg("-p")
            .arg(&dir)
            .arg("-e")
            .arg(dir.join("error.log"))
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .args(["-g", "daemon off;"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..200 {
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "nginx exited with {status}:\n{}",
                    std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
                );
            }
            if reqwest::get(format!("{base}/healthz"))
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Nginx { child, dir, base };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("nginx on {base} did not answer /healthz");
    }

    /// A client going through nginx, from `from` (any 127.0.0.0/8 address) or 127.0.0.1.
    fn client(&self, from: Option<[u8; 4]>, token: Option<String>) -> Client {
        let mut http = reqwest::Client::builder();
        if let Some(ip) = from {
            http = http.local_address(IpAddr::from(ip));
        }
        Client {
            base: self.base.clone(),
            http: http.build().expect("HTTP client"),
            token,
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM: the master stops its workers and waits for them. (SIGKILL would leave
        // the workers running, orphaned, on the port.)
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let stopped = (0..100).any(|_| {
            let done = matches!(self.child.try_wait(), Ok(Some(_)));
            if !done {
                std::thread::sleep(Duration::from_millis(50));
            }
            done
        });
        if !stopped {
            eprintln!("nginx did not stop on SIGTERM within 5 s; killing its master");
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            eprintln!(
                "nginx's error log ({}):\n{}",
                self.dir.display(),
                std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
            );
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A directory removed when dropped (also when the test fails).
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A node that dies mid-request, every time: it reads a request's head, notes its method
/// and path, and hangs up without answering.
struct DyingNode {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl DyingNode {
    async fn start() -> DyingNode {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let line = String::from_utf8_lossy(&head);
                let mut words = line.split_whitespace();
                let request = format!(
                    "{} {}",
                    words.next().unwrap_or_default(),
                    words.next().unwrap_or_default()
                );
                // Noted before the hang-up, so before nginx can answer the client.
                log.lock().unwrap().push(request);
                drop(socket);
            }
        });
        DyingNode { port, seen, task }
    }

    fn count(&self, method: &str) -> usize {
        let prefix = format!("{method} ");
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.starts_with(&prefix))
            .count()
    }
}

impl Drop for DyingNode {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Creates a person with a known email (as the platform admin, on the test's own server).
async fn person(setup: &TestServer, org: &str, name: &str) -> (String, String) {
    let email = format!("{}@proxy.example.com", uuid::Uuid::new_v4().simple());
    let (status, p) = setup
        .admin
        .post(
            &format!("/api/v1/orgs/{org}/people"),
            json!({"email": email, "display_name": name, "password": PASSWORD, "role": "member"}),
        )
        .await;
    assert_eq!(status, 201, "{p}");
    (p["id"].as_str().unwrap().to_owned(), email)
}

/// Signs in through `via`; the status and the body.
async fn sign_in(via: &Client, email: &str, password: &str, forged: Option<&str>) -> (u16, Value) {
    let mut req = via
        .http
        .post(format!("{}/api/v1/auth/login", via.base))
        .json(&json!({"email": email, "password": password}));
    if let Some(f) = forged {
        req = req.header("x-forwarded-for", f);
    }
    let res = req.send().await.expect("sign-in request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Pseudo-random bytes (nothing a type sniffer recognizes).
fn noise(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x2545_F491;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8 | 0x80
        })
        .collect()
}

/// Posts with a fixed transaction id; on a failure (nginx answers 502 when the node it had
/// sent the post to died: it does not pass a POST on) posts once more with the same id.
/// Returns the stored message and whether it took the retry.
async fn post_retried_once(c: &Client, group: &str, body: &str) -> (Value, bool) {
    let path = format!("/api/v1/groups/{group}/messages");
    let payload = json!({"body": body, "client_txn_id": uuid::Uuid::new_v4().to_string()});
    let first = c
        .http
        .post(format!("{}{path}", c.base))
        .bearer_auth(c.token.as_deref().unwrap())
        .json(&payload)
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    let why = match first {
        Ok(res) if matches!(res.status().as_u16(), 200 | 201) => {
            return (res.json().await.expect("message"), false);
        }
        Ok(res) => format!("{}", res.status()),
        Err(e) => format!("{e}"),
    };
    eprintln!("post {body:?} through nginx failed ({why}); the client retries it once");
    let (status, message) = c.post(&path, payload).await;
    assert!(matches!(status, 200 | 201), "retry: {status} {message}");
    (message, true)
}

/// `message.created` frames of `group` until `n` arrived or the connection ended; their
/// positions and bodies, and whether it ended.
async fn messages_or_end(ws: &mut Ws, group: &str, n: usize) -> (Vec<(i64, String)>, bool) {
    let mut got = Vec::new();
    while got.len() < n {
        let frame = next_json_or_end(ws).await;
        let Some(frame) = frame else {
            return (got, true);
        };
        if frame["type"] == "message.created" && frame["group_id"] == group {
            got.push((
                frame["seq"].as_i64().unwrap(),
                frame["data"]["body"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            ));
        }
    }
    (got, false)
}

/// The next JSON frame, or `None` once the connection is closed or cut.
async fn next_json_or_end(ws: &mut Ws) -> Option<Value> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let next = tokio::time::timeout(Duration::from_secs(15), ws.stream.next())
            .await
            .expect("a frame or the end of the connection within 15 s");
        match next {
            Some(Ok(Message::Text(t))) => {
                return Some(serde_json::from_str(t.as_str()).expect("JSON frame"));
            }
            Some(Ok(Message::Close(_)) | Err(_)) | None => return None,
            Some(Ok(_)) => continue,
        }
    }
}

/// Opens `/api/v1/ws` through nginx as a browser page at `origin` would, signed in by the
/// session cookie; the handshake's status (101 when accepted).
async fn browser_websocket(nginx: &Nginx, token: &str, origin: &str) -> u16 {
    use tokio_tungstenite::tungstenite;
    let url = format!("{}/api/v1/ws", nginx.base.replacen("http", "ws", 1));
    let mut req = tungstenite::client::IntoClientRequest::into_client_request(url).unwrap();
    let headers = req.headers_mut();
    headers.insert("origin", origin.parse().unwrap());
    headers.insert(
        "cookie",
        format!("courtyard_session={token}").parse().unwrap(),
    );
    match tokio_tungstenite::connect_async(req).await {
        Ok((mut stream, response)) => {
            use futures_util::SinkExt;
            let _ = stream.send(tungstenite::Message::Close(None)).await;
            response.status().as_u16()
        }
        Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("websocket handshake through nginx: {e}"),
    }
}

fn history_bodies(history: &Value) -> Vec<String> {
    history["messages"]
        .as_array()
        .or(history.as_array())
        .expect("a message list")
        .iter()
        .map(|m| m["body"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_behind_nginx() {
    if skip_external() || skip_postgres() || skip_nats() {
        return;
    }
    nginx_bin();
    let nats = nats_url();
    let subject = format!("cy-test-{}", uuid::Uuid::new_v4().simple());
    let setup = TestServer::start_with(Backend::Postgres, move |c| {
        c.nats_url = Some(nats.clone());
        c.nats_subject = subject.clone();
    })
    .await;
    // Both nodes keep files in one directory, as a cluster must (or one S3 bucket).
    let files =
        TempDir(std::env::temp_dir().join(format!("courtyard-files-{}", uuid::Uuid::new_v4())));
    let files_dir = files.0.display().to_string();
    let trusted = format!("[\"{NGINX_ADDR}/32\"]");
    let env = [
        ("COURTYARD_TRUSTED_PROXIES", trusted.as_str()),
        ("COURTYARD_LOGIN_FAILURES_PER_IP", "3"),
        ("COURTYARD_LOGIN_FAILURES_PER_ACCOUNT", "1000"),
        ("COURTYARD_FILES__DIR", files_dir.as_str()),
    ];
    let n1 = NodeProcess::start_with_env(&setup, &env).await;
    let n2 = NodeProcess::start_with_env(&setup, &env).await;
    let nginx = Nginx::start(&[node(n1.port), node(n2.port)]).await;
    eprintln!(
        "nginx on {} in front of nodes on ports {} and {}",
        nginx.base, n1.port, n2.port
    );

    // Health, on both nodes in turn.
    let anon = nginx.client(None, None);
    for _ in 0..4 {
        let (status, _) = anon.get("/healthz").await;
        assert_eq!(status, 200);
    }
    // The metrics stay private: nginx refuses them, though the nodes would answer a
    // request from this machine.
    let (status, _) = anon.get("/metrics").await;
    assert_eq!(status, 403, "nginx denies /metrics");

    // Sign in and chat through nginx.
    let org = setup.org("Proxy Co").await;
    let (_, alice_email) = person(&setup, &org, "Alice").await;
    let (bob_id, bob_email) = person(&setup, &org, "Bob").await;
    let (_, carol_email) = person(&setup, &org, "Carol").await;
    let alice = Client::login(&nginx.base, &alice_email, PASSWORD).await;
    let bob = Client::login(&nginx.base, &bob_email, PASSWORD).await;
    let (status, group) = alice
        .post(
            "/api/v1/groups",
            json!({"kind": "team", "name": "Ops", "member_ids": [bob_id]}),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let group = group["id"].as_str().unwrap().to_owned();

    // Two WebSockets through nginx, opened one after the other: round robin puts them on
    // different nodes.
    let mut bob_ws = [bob.websocket(None).await, bob.websocket(None).await];
    alice.say(&group, "hello through nginx").await;
    // Posted straight to node 2, around nginx: delivered on both connections all the same.
    n2.client(alice.token.clone())
        .say(&group, "hello around nginx")
        .await;
    for ws in &mut bob_ws {
        let (got, ended) = messages_or_end(ws, &group, 2).await;
        assert!(!ended);
        let bodies: Vec<&str> = got.iter().map(|(_, b)| b.as_str()).collect();
        assert_eq!(bodies, ["hello through nginx", "hello around nginx"]);
    }
    let (status, history) = bob.get(&format!("/api/v1/groups/{group}/messages")).await;
    assert_eq!(status, 200, "{history}");
    assert_eq!(history_bodies(&history).len(), 2, "{history}");

    // A browser's WebSocket (session cookie, `Origin` of the page) through nginx on a
    // port of its own: the node sees the `Host` the browser sent, so the origin check
    // passes; another site's page is refused.
    let page = nginx.base.clone();
    assert_eq!(
        browser_websocket(&nginx, bob.token.as_deref().unwrap(), &page).await,
        101
    );
    assert_eq!(
        browser_websocket(
            &nginx,
            bob.token.as_deref().unwrap(),
            "https://elsewhere.example"
        )
        .await,
        403
    );

    // An upload over nginx's default 1 MiB body limit (the example allows 25 MiB), read
    // back through nginx from whichever node.
    let big = noise(3 << 20);
    let res = alice
        .http
        .post(format!("{}/api/v1/files", nginx.base))
        .query(&[("name", "big.bin")])
        .header("content-type", "application/octet-stream")
        .bearer_auth(alice.token.as_deref().unwrap())
        .body(big.clone())
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), 201, "upload of 3 MiB through nginx");
    let file: Value = res.json().await.unwrap();
    assert_eq!(file["size"], big.len());
    for _ in 0..2 {
        let res = alice
            .http
            .get(format!(
                "{}/api/v1/files/{}",
                nginx.base,
                file["id"].as_str().unwrap()
            ))
            .bearer_auth(alice.token.as_deref().unwrap())
            .send()
            .await
            .expect("download");
        assert_eq!(res.status(), 200);
        assert_eq!(res.bytes().await.unwrap().len(), big.len());
    }

    // Sign-in throttling per client address, through nginx. Round robin spreads X's
    // attempts over both nodes; the counts are shared in the database, so all of them
    // count.
    let x = nginx.client(Some(CLIENT_X), None);
    let y = nginx.client(Some(CLIENT_Y), None);
    for email in [&alice_email, &bob_email, &carol_email] {
        let (status, body) = sign_in(&x, email, "not the password", None).await;
        assert_eq!(status, 401, "{body}");
    }
    let (status, body) = sign_in(&x, &alice_email, PASSWORD, None).await;
    assert_eq!(status, 429, "X's fourth try is refused: {body}");
    assert_eq!(body["code"], "rate_limited", "{body}");
    // Y, another address behind the same nginx, is not X.
    let (status, body) = sign_in(&y, &alice_email, PASSWORD, None).await;
    assert_eq!(status, 200, "Y signs in: {body}");
    // X claiming to be someone else is still X: the nodes read the address nginx appended.
    let (status, body) = sign_in(&x, &alice_email, PASSWORD, Some("203.0.113.9")).await;
    assert_eq!(
        status, 429,
        "a forged X-Forwarded-For does not help: {body}"
    );
    assert_eq!(body["code"], "rate_limited", "{body}");
    // Nor does sending it to the node directly: it trusts the header from nginx only.
    let direct = Client {
        base: n2.base.clone(),
        ..nginx.client(Some(CLIENT_X), None)
    };
    let (status, body) = sign_in(&direct, &alice_email, PASSWORD, Some("203.0.113.9")).await;
    assert_eq!(status, 429, "{body}");

    // A node that dies after a request reached it, seen through a second nginx from the
    // same example with that node and node 2 (it is never left out, so nginx keeps
    // picking it): a GET it swallowed is passed on to node 2 and answered; a POST is not
    // (node 2 never sees it: the first node might have stored it), the client gets 502 and
    // posts again with the same transaction id, and that post is the one stored.
    let dying = DyingNode::start().await;
    let nginx_2 = Nginx::start(&[
        format!("127.0.0.1:{} max_fails=0", dying.port),
        node(n2.port),
    ])
    .await;
    let alice_2 = Client {
        base: nginx_2.base.clone(),
        ..alice.clone()
    };
    for _ in 0..20 {
        let (status, _) = alice_2.get("/api/v1/me").await;
        assert_eq!(status, 200, "a GET is passed on to the next node");
        if dying.count("GET") >= 2 {
            break;
        }
    }
    assert!(dying.count("GET") >= 2, "nginx sent GETs to the dying node");
    let path = format!("/api/v1/groups/{group}/messages");
    let mut cut_off = None;
    for i in 0..20 {
        let before = dying.count("POST");
        let payload = json!({"body": format!("via nginx 2, {i}"), "client_txn_id": uuid::Uuid::new_v4().to_string()});
        let (status, answer) = alice_2.post(&path, payload.clone()).await;
        if dying.count("POST") == before {
            assert_eq!(status, 201, "{answer}");
            continue;
        }
        assert_eq!(status, 502, "nginx does not pass a sent POST on: {answer}");
        let (status, stored) = alice_2.post(&path, payload).await;
        assert_eq!(
            status, 201,
            "the client's retry is the first to store it: {stored}"
        );
        cut_off = Some(stored["body"].as_str().unwrap().to_owned());
        break;
    }
    let cut_off = cut_off.expect("nginx sent a POST to the dying node");
    drop(nginx_2);
    drop(dying);
    let (status, history) = bob
        .get(&format!("/api/v1/groups/{group}/messages?limit=100"))
        .await;
    assert_eq!(status, 200, "{history}");
    let before_kill = history_bodies(&history);
    assert_eq!(
        before_kill.iter().filter(|b| **b == cut_off).count(),
        1,
        "the retried post is stored once"
    );
    // Bob's connections got the posts through nginx 2 as well; skip past them.
    for ws in &mut bob_ws {
        let want = before_kill.len() - 2;
        let (_, ended) = messages_or_end(ws, &group, want).await;
        assert!(!ended);
    }

    // Node 1 dies (SIGKILL) while Alice posts through nginx.
    const POSTS: usize = 30;
    let poster = {
        let alice = alice.clone();
        let group = group.clone();
        tokio::spawn(async move {
            let mut stored = Vec::new();
            let mut retried = 0;
            for i in 0..POSTS {
                let (message, again) =
                    post_retried_once(&alice, &group, &format!("load {i}")).await;
                stored.push(message["id"].as_str().unwrap().to_owned());
                retried += usize::from(again);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (stored, retried)
        })
    };
    let mut seen: [Vec<(i64, String)>; 2] = [Vec::new(), Vec::new()];
    let (first, _) = messages_or_end(&mut bob_ws[0], &group, 5).await;
    seen[0].extend(first);
    let (_, n1_dir) = n1.kill().await;
    let _ = std::fs::remove_dir_all(n1_dir);
    let (stored, retried) = poster.await.expect("every post stored");
    eprintln!("posts retried by the client after node 1 died: {retried} of {POSTS}");
    let unique: HashSet<&String> = stored.iter().collect();
    assert_eq!(unique.len(), POSTS, "one message per post");

    // Reads fail over. Once its `fail_timeout` has passed nginx tries the dead node again
    // (connection refused) and passes the request on: every one is answered.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    for _ in 0..6 {
        assert_eq!(anon.get("/healthz").await.0, 200);
        let (status, history) = bob
            .get(&format!("/api/v1/groups/{group}/messages?limit=100"))
            .await;
        assert_eq!(status, 200, "{history}");
    }
    // A client that lost the answer posts again with the same transaction id: the same
    // message, stored once.
    let txn = uuid::Uuid::new_v4().to_string();
    let path = format!("/api/v1/groups/{group}/messages");
    let payload = json!({"body": "said once", "client_txn_id": txn});
    let (status, said) = alice.post(&path, payload.clone()).await;
    assert_eq!(status, 201, "{said}");
    let (status, again) = alice.post(&path, payload).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["id"], said["id"]);
    let (status, history) = bob
        .get(&format!("/api/v1/groups/{group}/messages?limit=100"))
        .await;
    assert_eq!(status, 200, "{history}");
    let bodies = history_bodies(&history);
    assert_eq!(
        bodies.len(),
        before_kill.len() + POSTS + 1,
        "nothing doubled: {bodies:?}"
    );
    for i in 0..POSTS {
        let body = format!("load {i}");
        assert_eq!(bodies.iter().filter(|b| **b == body).count(), 1, "{body}");
    }

    // Of Bob's two connections, the one on node 1 ended; the other got everything.
    let total = POSTS + 1;
    let mut ended = [false, false];
    for (i, ws) in bob_ws.iter_mut().enumerate() {
        let want = total - seen[i].len();
        let (got, end) = messages_or_end(ws, &group, want).await;
        seen[i].extend(got);
        ended[i] = end;
    }
    assert_eq!(
        ended.iter().filter(|e| **e).count(),
        1,
        "exactly the connection on the killed node ended: {ended:?}"
    );
    let (cut, live) = if ended[0] { (0, 1) } else { (1, 0) };
    assert_eq!(seen[live].len(), total);
    // The cut one reconnects through nginx (to node 2 now) from where it stopped.
    let last = seen[cut].last().map(|(seq, _)| *seq).expect("saw some");
    let mut resumed = bob.websocket(Some(last)).await;
    let want = total - seen[cut].len();
    let (rest, end) = messages_or_end(&mut resumed, &group, want).await;
    assert!(!end);
    assert!(rest.first().is_none_or(|(seq, _)| *seq > last));
    seen[cut].extend(rest);
    assert_eq!(
        seen[cut], seen[live],
        "the resumed connection caught up: the same messages, in the same order"
    );

    drop(nginx);
    drop(n2);
    drop(files);
}
