//! The shared test harness: a real Courtyard server on a real socket (SQLite in a temporary
//! directory, or a fresh PostgreSQL database), and a small JSON client.
//!
//! PostgreSQL tests use `COURTYARD_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`) to create one database per test. They fail
//! when PostgreSQL is unreachable, unless `COURTYARD_TEST_SKIP_POSTGRES=1` opts out, which
//! is announced on stderr.

#![allow(dead_code)]

pub mod external;
pub mod process;

use std::path::PathBuf;
use std::time::Duration;

use courtyard_host::{App, Config};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const PASSWORD: &str = "correct horse battery";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one test per backend from `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::common::skip_postgres() {
                    return;
                }
                super::$name($crate::common::Backend::Postgres).await;
            }
        }
    )+};
}

pub fn skip_postgres() -> bool {
    let skip = std::env::var("COURTYARD_TEST_SKIP_POSTGRES").is_ok_and(|v| v == "1");
    if skip {
        eprintln!("COURTYARD_TEST_SKIP_POSTGRES=1: skipping the PostgreSQL variant (opted out)");
    }
    skip
}

fn postgres_admin_url() -> String {
    std::env::var("COURTYARD_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Where a test server keeps its data; removed when the server is dropped.
enum Storage {
    Sqlite(PathBuf),
    Postgres { admin_url: String, db: String },
}

type Configure = std::sync::Arc<dyn Fn(&mut Config) + Send + Sync>;

pub struct TestServer {
    pub app: App,
    pub base: String,
    pub addr: std::net::SocketAddr,
    pub backend: Backend,
    storage: Storage,
    configure: Configure,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    pub admin: Client,
}

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        Self::start_with(backend, |_| {}).await
    }

    /// Starts a server whose configuration `configure` adjusts (kept across restarts).
    pub async fn start_with(
        backend: Backend,
        configure: impl Fn(&mut Config) + Send + Sync + 'static,
    ) -> TestServer {
        let configure: Configure = std::sync::Arc::new(configure);
        let storage = match backend {
            Backend::Sqlite => {
                let dir =
                    std::env::temp_dir().join(format!("courtyard-test-{}", uuid::Uuid::new_v4()));
                Storage::Sqlite(dir)
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                let db = format!("cy_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL at {admin_url} is required for this test ({e}); set COURTYARD_TEST_SKIP_POSTGRES=1 to opt out"));
                sqlx::query(&format!("CREATE DATABASE {db}"))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                Storage::Postgres { admin_url, db }
            }
        };
        Self::start_on(backend, storage, true, configure).await
    }

    async fn start_on(
        backend: Backend,
        storage: Storage,
        bootstrap: bool,
        configure: Configure,
    ) -> TestServer {
        let mut config = Config::default();
        match &storage {
            Storage::Sqlite(dir) => config.data_dir = dir.clone(),
            Storage::Postgres { admin_url, db } => {
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b)
                    .unwrap_or(admin_url);
                config.database_url = Some(format!("{base}/{db}"));
                config.data_dir = std::env::temp_dir().join(format!("courtyard-test-{db}"));
            }
        }
        config.shutdown_grace_secs = 1;
        // Tests post far faster than people; the limit has tests of its own that turn it on.
        config.posts_per_minute = 0;
        // Every test server on the machine shares compiled plugins instead of compiling the
        // same components again.
        config.plugin_cache_dir = Some(std::env::temp_dir().join("courtyard-test-plugin-cache"));
        configure(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        config.listen = addr;
        let app = App::start(config).await.expect("server starts");
        if bootstrap {
            app.bootstrap_admin(ADMIN_EMAIL, PASSWORD, "Platform Admin", "Courtyard HQ")
                .await
                .expect("bootstrap admin");
        }
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = app.clone();
        let task = tokio::spawn(async move {
            courtyard_host::http::serve(serving, listener, async move {
                let _ = stopped.await;
            })
            .await
            .expect("server runs");
        });
        let base = format!("http://{addr}");
        let admin = Client::login(&base, ADMIN_EMAIL, PASSWORD).await;
        TestServer {
            app,
            base,
            addr,
            backend,
            storage,
            configure,
            stop: Some(stop),
            task: Some(task),
            admin,
        }
    }

    /// Stops the server (finishing requests) and starts a new one on the same data.
    pub async fn restart(mut self) -> TestServer {
        self.shutdown().await;
        let storage = std::mem::replace(&mut self.storage, Storage::Sqlite(PathBuf::new()));
        let backend = self.backend;
        let configure = self.configure.clone();
        drop(self);
        Self::start_on(backend, storage, false, configure).await
    }

    async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
        self.app.store.close().await;
    }

    /// Starts another host process's worth of server (its own `App`, writer, hub and
    /// socket) on this server's database and configuration: a second node of a cluster.
    pub async fn another_node(&self) -> Node {
        let mut config = self.app.config.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        config.listen = listener.local_addr().expect("address");
        let app = App::start(config).await.expect("the second node starts");
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = app.clone();
        let task = tokio::spawn(async move {
            courtyard_host::http::serve(serving, listener, async move {
                let _ = stopped.await;
            })
            .await
            .expect("server runs");
        });
        Node {
            base: format!("http://{}", app.config.listen),
            app,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Runs one SQL statement against the server's database behind its back: for tests
    /// that play an attacker or a fault the API cannot produce.
    pub async fn tamper(&self, sql: &str) {
        use sqlx::Connection;
        let config = &self.app.config;
        match &config.database_url {
            Some(url) => {
                let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
                sqlx::query(sql).execute(&mut conn).await.expect("tamper");
            }
            None => {
                let path = config.data_dir.join("courtyard.db");
                let mut conn =
                    sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                        .await
                        .expect("connect");
                sqlx::query(sql).execute(&mut conn).await.expect("tamper");
            }
        }
    }

    pub fn client(&self) -> Client {
        Client {
            base: self.base.clone(),
            http: reqwest::Client::new(),
            token: None,
        }
    }

    /// Creates an organization as the platform admin; returns its id.
    pub async fn org(&self, name: &str) -> String {
        let (status, org) = self.admin.post("/api/v1/orgs", json!({"name": name})).await;
        assert_eq!(status, 201, "{org}");
        org["id"].as_str().unwrap().to_owned()
    }

    /// Creates a person in an org as the platform admin and signs them in.
    pub async fn person(&self, org: &str, name: &str, role: &str) -> (String, Client) {
        let email = format!(
            "{}@{}.example.com",
            uuid::Uuid::new_v4().simple(),
            &org[..8]
        );
        let (status, p) = self
            .admin
            .post(
                &format!("/api/v1/orgs/{org}/people"),
                json!({"email": email, "display_name": name, "password": PASSWORD, "role": role}),
            )
            .await;
        assert_eq!(status, 201, "{p}");
        let client = Client::login(&self.base, &email, PASSWORD).await;
        (p["id"].as_str().unwrap().to_owned(), client)
    }
}

/// A further node of a test cluster (see [`TestServer::another_node`]).
pub struct Node {
    pub app: App,
    pub base: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Node {
    /// A client of this node signed in with `token` (sessions live in the database, so a
    /// token from any node works on every node).
    pub fn client(&self, token: Option<String>) -> Client {
        Client {
            base: self.base.clone(),
            http: reqwest::Client::new(),
            token,
        }
    }

    /// Stops serving (in-flight requests finish) — a node leaving the cluster.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match std::mem::replace(&mut self.storage, Storage::Sqlite(PathBuf::new())) {
            Storage::Sqlite(dir) => {
                if !dir.as_os_str().is_empty() {
                    let _ = std::fs::remove_dir_all(dir);
                }
            }
            Storage::Postgres { admin_url, db } => {
                // Uploaded files live in the data directory, whatever the database.
                let _ = std::fs::remove_dir_all(
                    std::env::temp_dir().join(format!("courtyard-test-{db}")),
                );
                // Drop is synchronous; a private runtime on its own thread does the cleanup.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .ok()?;
                    rt.block_on(async {
                        let mut conn =
                            <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url)
                                .await
                                .ok()?;
                        sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                            .execute(&mut conn)
                            .await
                            .ok()
                    })
                })
                .join();
            }
        }
    }
}

/// A JSON client for one signed-in person (or nobody).
#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub token: Option<String>,
}

impl Client {
    pub async fn login(base: &str, email: &str, password: &str) -> Client {
        let http = reqwest::Client::new();
        let res = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("login request");
        assert_eq!(res.status(), 200, "login of {email} failed");
        let body: Value = res.json().await.expect("login body");
        Client {
            base: base.to_owned(),
            http,
            token: Some(body["token"].as_str().unwrap().to_owned()),
        }
    }

    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.request(reqwest::Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.request(reqwest::Method::POST, path, Some(body)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.request(reqwest::Method::PATCH, path, Some(body)).await
    }
    pub async fn put(&self, path: &str) -> (u16, Value) {
        self.request(reqwest::Method::PUT, path, None).await
    }
    pub async fn put_json(&self, path: &str, body: Value) -> (u16, Value) {
        self.request(reqwest::Method::PUT, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.request(reqwest::Method::DELETE, path, None).await
    }

    /// Posts a chat message with a fresh transaction id; returns the message.
    pub async fn say(&self, group: &str, body: &str) -> Value {
        let (status, m) = self
            .post(
                &format!("/api/v1/groups/{group}/messages"),
                json!({"body": body, "client_txn_id": uuid::Uuid::new_v4().to_string()}),
            )
            .await;
        assert_eq!(status, 201, "{m}");
        m
    }

    /// Opens the event stream, optionally resuming after `since`.
    pub async fn websocket(&self, since: Option<i64>) -> Ws {
        let url = format!(
            "{}/api/v1/ws{}",
            self.base.replacen("http", "ws", 1),
            since.map(|s| format!("?since={s}")).unwrap_or_default()
        );
        let mut req = tungstenite::client::IntoClientRequest::into_client_request(url).unwrap();
        req.headers_mut().insert(
            "authorization",
            format!("Bearer {}", self.token.as_deref().unwrap_or(""))
                .parse()
                .unwrap(),
        );
        let (stream, _) = tokio_tungstenite::connect_async(req)
            .await
            .expect("websocket connects");
        let mut ws = Ws { stream };
        let hello = ws.next_json().await;
        assert_eq!(hello["type"], "hello", "{hello}");
        ws
    }
}

pub struct Ws {
    pub stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Ws {
    /// The next JSON frame, failing the test after 10 s.
    pub async fn next_json(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(10), self.stream.next())
                .await
                .expect("a websocket frame within 10 s")
                .expect("stream open")
                .expect("frame");
            match msg {
                tungstenite::Message::Text(t) => {
                    return serde_json::from_str(t.as_str()).expect("JSON frame");
                }
                tungstenite::Message::Close(c) => {
                    return json!({"type": "closed", "frame": format!("{c:?}")});
                }
                _ => continue,
            }
        }
    }

    /// Frames until one of type `kind` arrives; returns it.
    pub async fn until(&mut self, kind: &str) -> Value {
        loop {
            let v = self.next_json().await;
            if v["type"] == kind {
                return v;
            }
        }
    }

    /// Whether any frame arrives within `wait`.
    pub async fn quiet_for(&mut self, wait: Duration) -> Option<Value> {
        match tokio::time::timeout(wait, self.stream.next()).await {
            Err(_) => None,
            Ok(Some(Ok(tungstenite::Message::Text(t)))) => {
                Some(serde_json::from_str(t.as_str()).unwrap())
            }
            Ok(other) => Some(json!({"type": "other", "frame": format!("{other:?}")})),
        }
    }

    pub async fn close(mut self) {
        let _ = self.stream.send(tungstenite::Message::Close(None)).await;
    }
}

/// Where cargo puts build output (plugins are built into it before the tests run).
pub fn target_dir() -> PathBuf {
    std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// Runs a slash command in a group.
pub async fn command(client: &Client, group: &str, text: &str) -> (u16, Value) {
    client
        .post(
            &format!("/api/v1/groups/{group}/commands"),
            json!({"text": text}),
        )
        .await
}
