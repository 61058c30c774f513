//! Host nodes run as their own `courtyard serve` processes (the binary the workspace build
//! made), on a [`TestServer`]'s PostgreSQL database and NATS subject: real processes on
//! their own ports, killed with SIGKILL when a test says so or when dropped.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Client, TestServer, target_dir};

/// A free port on the loopback interface (bound, read, released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The `courtyard` binary of this workspace's debug build.
pub fn courtyard_bin() -> PathBuf {
    let bin = target_dir().join("debug/courtyard");
    assert!(
        bin.is_file(),
        "{} is missing: `cargo build -p courtyard-host --bin courtyard` (the workspace test build makes it)",
        bin.display()
    );
    bin
}

pub struct NodeProcess {
    child: tokio::process::Child,
    pub port: u16,
    pub base: String,
    data_dir: PathBuf,
}

impl NodeProcess {
    /// Starts a node of `cluster`'s cluster (same database, same NATS subject) on `port`,
    /// with its own data directory; returns once it answers `/healthz`.
    pub async fn spawn(cluster: &TestServer, port: u16, data_dir: &Path) -> NodeProcess {
        Self::spawn_with_env(cluster, port, data_dir, &[]).await
    }

    /// [`NodeProcess::spawn`] with further `COURTYARD_*` environment variables (settings
    /// the test's own server does not share, such as `COURTYARD_TRUSTED_PROXIES`).
    pub async fn spawn_with_env(
        cluster: &TestServer,
        port: u16,
        data_dir: &Path,
        env: &[(&str, &str)],
    ) -> NodeProcess {
        let config = &cluster.app.config;
        let mut command = tokio::process::Command::new(courtyard_bin());
        command
            .arg("serve")
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args([
                "--database-url",
                config
                    .database_url
                    .as_deref()
                    .expect("a cluster runs on PostgreSQL"),
            ])
            .arg("--data-dir")
            .arg(data_dir)
            .env("COURTYARD_NATS_SUBJECT", &config.nats_subject)
            .env(
                "COURTYARD_PLUGIN_CACHE_DIR",
                std::env::temp_dir().join("courtyard-test-plugin-cache"),
            )
            .env("RUST_LOG", "warn")
            .env(
                "COURTYARD_POSTS_PER_MINUTE",
                config.posts_per_minute.to_string(),
            )
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        if let Some(nats) = &config.nats_url {
            command.env("COURTYARD_NATS_URL", nats);
        }
        command.envs(env.iter().copied());
        let child = command.spawn().expect("the courtyard binary starts");
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..400 {
            if reqwest::get(format!("{base}/healthz"))
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return NodeProcess {
                    child,
                    port,
                    base,
                    data_dir: data_dir.to_owned(),
                };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the node on port {port} did not become healthy");
    }

    /// Starts a node on a free port with a fresh data directory.
    pub async fn start(cluster: &TestServer) -> NodeProcess {
        let dir = std::env::temp_dir().join(format!("courtyard-node-{}", uuid::Uuid::new_v4()));
        Self::spawn(cluster, free_port(), &dir).await
    }

    /// [`NodeProcess::start`] with further environment variables (see
    /// [`NodeProcess::spawn_with_env`]).
    pub async fn start_with_env(cluster: &TestServer, env: &[(&str, &str)]) -> NodeProcess {
        let dir = std::env::temp_dir().join(format!("courtyard-node-{}", uuid::Uuid::new_v4()));
        Self::spawn_with_env(cluster, free_port(), &dir, env).await
    }

    /// A client of this node signed in with `token` (sessions live in the database).
    pub fn client(&self, token: Option<String>) -> Client {
        Client {
            base: self.base.clone(),
            http: reqwest::Client::new(),
            token,
        }
    }

    /// `kill -9`: no graceful shutdown, connections cut mid-stream. Returns what it takes
    /// to start the node again on the same port and data directory.
    pub async fn kill(mut self) -> (u16, PathBuf) {
        self.child.start_kill().expect("SIGKILL");
        let _ = self.child.wait().await;
        (self.port, std::mem::take(&mut self.data_dir))
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        if !self.data_dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
    }
}
