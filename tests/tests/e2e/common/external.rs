//! Real third-party servers the tests talk to, run as child processes on free ports: an
//! S3-compatible store (moto), an OpenID Connect provider (npm `oidc-provider`) and an SMTP
//! sink (aiosmtpd). `cargo xtask test` installs them into `target/test-tools` (Python
//! packages in a virtual environment) and `tests/oidc-provider/node_modules` first.
//!
//! A test that needs one fails when it is missing, unless `COURTYARD_TEST_SKIP_EXTERNAL=1`
//! opts out, which is announced on stderr — never a silent skip.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::target_dir;

/// Whether the person running the tests opted out of the third-party servers.
pub fn skip_external(what: &str) -> bool {
    let skip = std::env::var("COURTYARD_TEST_SKIP_EXTERNAL").is_ok_and(|v| v == "1");
    if skip {
        eprintln!("COURTYARD_TEST_SKIP_EXTERNAL=1: skipping the test against {what} (opted out)");
    }
    skip
}

/// The directory `cargo xtask test` installs the tools into.
pub fn tools_dir() -> PathBuf {
    std::env::var("COURTYARD_TEST_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| target_dir().join("test-tools"))
}

fn tool(relative: &str) -> PathBuf {
    let path = tools_dir().join(relative);
    assert!(
        path.exists(),
        "{} is missing: `cargo xtask test` installs the test tools (or run `cargo xtask \
         test-tools`); set COURTYARD_TEST_SKIP_EXTERNAL=1 to opt out",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

async fn wait_listening(port: u16, what: &str) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not start listening on port {port}");
}

/// A moto S3 server; killed when dropped.
pub struct S3Server {
    _child: Child,
    pub endpoint: String,
}

impl S3Server {
    pub async fn start() -> S3Server {
        let port = free_port();
        let child = Command::new(tool("venv/bin/moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("moto_server starts");
        wait_listening(port, "moto_server").await;
        S3Server {
            _child: child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Creates a bucket (moto takes any credentials).
    pub async fn bucket(&self, name: &str) -> String {
        let res = reqwest::Client::new()
            .put(format!("{}/{name}", self.endpoint))
            .send()
            .await
            .expect("create bucket");
        assert!(res.status().is_success(), "create bucket: {}", res.status());
        name.to_owned()
    }

    /// The keys in a bucket (moto answers unsigned listing requests).
    pub async fn keys(&self, bucket: &str) -> Vec<String> {
        let xml = reqwest::Client::new()
            .get(format!("{}/{bucket}?list-type=2", self.endpoint))
            .send()
            .await
            .expect("list bucket")
            .text()
            .await
            .expect("listing");
        xml.split("<Key>")
            .skip(1)
            .filter_map(|s| s.split_once("</Key>").map(|(k, _)| k.to_owned()))
            .collect()
    }

    /// The configuration section that points a host at `bucket`.
    pub fn config(&self, bucket: &str) -> courtyard_host::config::S3Config {
        courtyard_host::config::S3Config {
            bucket: bucket.to_owned(),
            endpoint: Some(self.endpoint.clone()),
            region: Some("us-east-1".into()),
            access_key_id: Some("courtyard-test".into()),
            secret_access_key: Some("courtyard-test-secret".into()),
            virtual_hosted_style: false,
        }
    }
}

/// The test OpenID Connect provider in `tests/oidc-provider`; killed when dropped.
pub struct OidcProvider {
    _child: Child,
    pub issuer: String,
}

impl OidcProvider {
    /// Starts a provider with one confidential client and the given accounts
    /// (`[{sub, email, email_verified, name}]`).
    pub async fn start(
        client_id: &str,
        client_secret: &str,
        redirect_uri: &str,
        accounts: serde_json::Value,
    ) -> OidcProvider {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("oidc-provider");
        assert!(
            dir.join("node_modules/oidc-provider").exists(),
            "{}/node_modules is missing: `cargo xtask test` runs `npm ci` there (or run `cargo \
             xtask test-tools`); set COURTYARD_TEST_SKIP_EXTERNAL=1 to opt out",
            dir.display()
        );
        let clients = serde_json::json!([{
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uris": [redirect_uri],
        }]);
        let mut child = Command::new("node")
            .arg("server.mjs")
            .current_dir(&dir)
            .env("PORT", "0")
            .env("CLIENTS", clients.to_string())
            .env("ACCOUNTS", accounts.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs the OIDC provider");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let issuer = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(line) = lines.next_line().await.expect("provider output") {
                if let Some(url) = line.strip_prefix("LISTENING ") {
                    return url.trim().to_owned();
                }
            }
            panic!("the OIDC provider exited before listening");
        })
        .await
        .expect("the OIDC provider starts within 20 s");
        OidcProvider {
            _child: child,
            issuer,
        }
    }
}

/// An aiosmtpd SMTP server that keeps every message in a maildir; killed when dropped.
pub struct SmtpSink {
    _child: Child,
    pub port: u16,
    pub maildir: PathBuf,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let port = free_port();
        let maildir = std::env::temp_dir().join(format!("courtyard-mail-{}", uuid::Uuid::new_v4()));
        let child = Command::new(tool("venv/bin/python"))
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("aiosmtpd starts");
        wait_listening(port, "aiosmtpd").await;
        SmtpSink {
            _child: child,
            port,
            maildir,
        }
    }

    /// Every message received so far, as raw RFC 5322 text.
    pub fn messages(&self) -> Vec<String> {
        let mut found = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.maildir.join(sub)) {
                for entry in entries.flatten() {
                    if let Ok(text) = std::fs::read_to_string(entry.path()) {
                        found.push(text);
                    }
                }
            }
        }
        found
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}
