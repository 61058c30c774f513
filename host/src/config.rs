//! Server configuration: built-in defaults, then `courtyard.toml` (in the data directory or
//! at `--config`), then `COURTYARD_*` environment variables, then command-line flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server binds.
    pub listen: SocketAddr,
    /// The address people reach this host at (`https://chat.example.com`), used where the
    /// host must name itself to others: single sign-on's redirect URI. Default:
    /// `http://` + `listen`.
    pub public_url: Option<String>,
    /// Where the SQLite database, uploaded files and the plugin cache live (by default).
    pub data_dir: PathBuf,
    /// `postgres://…` selects PostgreSQL; unset means SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// `nats://host:4222`: run as one node of a cluster of hosts sharing the PostgreSQL
    /// database, told of each other's commits over NATS. Unset: a single host.
    pub nats_url: Option<String>,
    /// The NATS subject prefix of this cluster (several clusters may share a NATS).
    pub nats_subject: String,
    /// How long a browser or API sign-in lasts, in hours.
    pub session_ttl_hours: i64,
    /// Mark the session cookie `Secure` (set when served over HTTPS).
    pub cookie_secure: bool,
    /// `text` or `json` log lines.
    pub log_format: LogFormat,
    /// Failed sign-ins per account within the window before further attempts are refused.
    pub login_failures_per_account: u32,
    /// Failed sign-ins per client address within the window.
    pub login_failures_per_ip: u32,
    /// The rate-limit window, in seconds.
    pub login_window_secs: u64,
    /// Messages one person may post per minute, sustained (on each node); 0: no limit.
    pub posts_per_minute: u32,
    /// Messages one person may post at once before `posts_per_minute` applies.
    pub post_burst: u32,
    /// Publishers whose signed plugin packages install without a warning. A package signed
    /// by another key, or not signed, installs only when an organization admin explicitly
    /// allows it.
    pub trusted_publishers: Vec<TrustedPublisher>,
    /// Plugin catalogs admins browse and install from: base URLs (`https://…/`) or local
    /// directories, each holding `index.json` and the package files it lists.
    pub plugin_catalogs: Vec<String>,
    /// Reverse proxies (addresses or networks, `10.0.0.0/8`) whose `X-Forwarded-For` is
    /// believed: a request from one of them is taken to come from the rightmost address
    /// in that header that is not itself a trusted proxy. Empty (the default): the TCP
    /// peer is the client, and the header is ignored.
    pub trusted_proxies: Vec<ProxyNet>,
    /// Seconds a graceful shutdown waits for in-flight requests.
    pub shutdown_grace_secs: u64,
    /// A bearer token for `GET /metrics`; without one, only this machine (loopback) may
    /// read the metrics.
    pub metrics_token: Option<String>,
    /// How long the event log keeps events for reconnect catch-up, in hours. A client
    /// offline for longer is told to refetch.
    pub event_retention_hours: i64,
    /// Seconds between runs of the message-retention job (organizations with a
    /// `message_retention_days`); 0 turns the job off.
    pub retention_interval_secs: u64,
    /// Let outgoing webhooks reach this machine and private networks (off: such targets
    /// are refused, checked after DNS resolution).
    pub webhooks_allow_private: bool,
    /// Let Web Push reach push services on this machine and private networks (off:
    /// browsers' push endpoints must be public HTTPS addresses, checked after DNS).
    pub push_allow_private: bool,
    /// A directory of bundled plugin packages (`<id>/courtyard.toml` + `<id>/plugin.wasm`)
    /// offered to every organization.
    pub bundled_plugins_dir: Option<PathBuf>,
    /// Where compiled plugin code is cached between starts (default: `plugin-cache` in
    /// `data_dir`). Nodes and test hosts may share one: entries are keyed by the code and
    /// the compiler's settings.
    pub plugin_cache_dir: Option<PathBuf>,
    /// Memory a plugin instance may use, in MiB.
    pub plugin_memory_mib: usize,
    /// Wall-clock budget of a plugin command, action or event call, in milliseconds.
    pub plugin_call_deadline_ms: u64,
    /// How often this node looks for due plugin timers and scheduled jobs, in milliseconds.
    pub plugin_timer_poll_ms: u64,
    /// Records one plugin may keep in one organization.
    pub plugin_records_max: i64,
    /// Bytes of records one plugin may keep in one organization, in MiB.
    pub plugin_records_mib: i64,
    /// Pending timers one plugin may have in one organization.
    pub plugin_timers_max: i64,
    /// Uploaded files: where they are kept and how much is accepted.
    #[serde(default)]
    pub files: FilesConfig,
    /// The mail server that sends people digests of what they missed; unset: no email.
    pub smtp: Option<SmtpConfig>,
}

/// The `[smtp]` section.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    /// Default: 465 for `tls`, 587 for `starttls`, 25 for `none`.
    pub port: Option<u16>,
    /// `starttls` (default), `tls` (implicit TLS), or `none` (plain: only for a relay on
    /// this machine or a test sink).
    #[serde(default)]
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender, e.g. `Courtyard <courtyard@example.com>`.
    pub from: String,
    /// How long a mention or direct message stays unread before it is emailed, in minutes
    /// (default 10).
    #[serde(default = "default_digest_delay")]
    pub digest_delay_minutes: u64,
    /// How often the digest job looks for people to email, in seconds (default 60).
    #[serde(default = "default_digest_interval")]
    pub digest_interval_secs: u64,
}

fn default_digest_delay() -> u64 {
    10
}

fn default_digest_interval() -> u64 {
    60
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    #[default]
    Starttls,
    Tls,
    None,
}

/// The `[files]` section. Files are stored through the `object_store` crate: in a local
/// directory, or (with an `[files.s3]` section) in an S3-compatible bucket.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FilesConfig {
    /// The directory files are kept in (default: `files` in `data_dir`). Every node of a
    /// cluster must see the same directory.
    pub dir: Option<PathBuf>,
    /// Largest upload, in bytes (default 20 MiB).
    pub max_upload_bytes: u64,
    /// Bytes of files one organization may keep (default 10 GiB).
    pub org_quota_bytes: u64,
    /// Keep files in an S3-compatible bucket instead of `dir` (what a cluster of hosts
    /// needs: every node reads the same bucket).
    pub s3: Option<S3Config>,
}

/// The `[files.s3]` section. Credentials and region not given here are taken from the
/// usual `AWS_*` environment variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_REGION`, …).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// The bucket; it must exist.
    pub bucket: String,
    /// An S3-compatible service's URL (e.g. `http://127.0.0.1:9000` for MinIO); unset
    /// means Amazon S3. Plain `http://` is accepted only when written here.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// `https://bucket.endpoint/key` instead of `https://endpoint/bucket/key`.
    #[serde(default)]
    pub virtual_hosted_style: bool,
}

impl Default for FilesConfig {
    fn default() -> Self {
        Self {
            dir: None,
            max_upload_bytes: 20 << 20,
            org_quota_bytes: 10 << 30,
            s3: None,
        }
    }
}

impl FilesConfig {
    /// Where files live on disk for the local store.
    pub fn local_dir(&self, data_dir: &Path) -> PathBuf {
        self.dir.clone().unwrap_or_else(|| data_dir.join("files"))
    }
}

/// A plugin publisher this deployment trusts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedPublisher {
    /// Shown to admins as the package's publisher.
    pub name: String,
    /// `ed25519:` + the publisher's public key in base64 (`courtyard plugin keygen`).
    pub key: String,
}

/// A trusted proxy's address or network: `192.0.2.10`, `10.0.0.0/8`, `fd00::/8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProxyNet(pub ipnet::IpNet);

impl std::str::FromStr for ProxyNet {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        s.parse::<ipnet::IpNet>()
            .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
            .map(ProxyNet)
            .map_err(|_| format!("`{s}` is not an IP address or network"))
    }
}

impl Serialize for ProxyNet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ProxyNet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl ProxyNet {
    pub fn contains(nets: &[ProxyNet], ip: std::net::IpAddr) -> bool {
        let ip = ip.to_canonical();
        nets.iter().any(|n| n.0.contains(&ip))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".parse().expect("valid address"),
            public_url: None,
            data_dir: PathBuf::from("./data"),
            database_url: None,
            nats_url: None,
            nats_subject: "courtyard".into(),
            session_ttl_hours: 24 * 14,
            cookie_secure: false,
            log_format: LogFormat::Text,
            login_failures_per_account: 10,
            login_failures_per_ip: 100,
            login_window_secs: 15 * 60,
            posts_per_minute: 120,
            post_burst: 30,
            trusted_proxies: Vec::new(),
            trusted_publishers: Vec::new(),
            plugin_catalogs: Vec::new(),
            shutdown_grace_secs: 20,
            metrics_token: None,
            event_retention_hours: 24 * 30,
            retention_interval_secs: 3600,
            webhooks_allow_private: false,
            push_allow_private: false,
            bundled_plugins_dir: None,
            plugin_cache_dir: None,
            plugin_memory_mib: 64,
            plugin_call_deadline_ms: 2000,
            plugin_timer_poll_ms: 1000,
            plugin_records_max: 100_000,
            plugin_records_mib: 100,
            plugin_timers_max: 10_000,
            files: FilesConfig::default(),
            smtp: None,
        }
    }
}

/// Values given on the command line; only those present override the rest.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

impl Config {
    pub fn load(config_file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Self> {
        let data_dir = overrides
            .data_dir
            .clone()
            .unwrap_or_else(|| Config::default().data_dir);
        let file = config_file
            .map(Path::to_path_buf)
            .unwrap_or_else(|| data_dir.join("courtyard.toml"));
        if config_file.is_some() && !file.exists() {
            anyhow::bail!("config file {} does not exist", file.display());
        }
        let config: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(&file))
            // `COURTYARD_FILES__S3__BUCKET` sets `files.s3.bucket`.
            .merge(Env::prefixed("COURTYARD_").ignore(&["config"]).split("__"))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        for publisher in &config.trusted_publishers {
            crate::package::parse_key(&publisher.key).map_err(|e| {
                anyhow::anyhow!(
                    "invalid configuration: trusted_publishers `{}`: {e}",
                    publisher.name
                )
            })?;
        }
        config.absolute()
    }

    /// Where people reach this host, without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }

    /// Resolves relative directories against the working directory once, at start: the
    /// compile cache and the file store need absolute paths, and a later change of
    /// directory must not move the data.
    pub fn absolute(mut self) -> anyhow::Result<Self> {
        self.data_dir = std::path::absolute(&self.data_dir)?;
        if let Some(dir) = &self.plugin_cache_dir {
            self.plugin_cache_dir = Some(std::path::absolute(dir)?);
        }
        if let Some(dir) = &self.files.dir {
            self.files.dir = Some(std::path::absolute(dir)?);
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_file_and_defaults() {
        let dir = std::env::temp_dir().join(format!("cy-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("courtyard.toml"),
            "session_ttl_hours = 5\nlisten = \"127.0.0.1:9000\"\n",
        )
        .unwrap();
        let overrides = Overrides {
            data_dir: Some(dir.clone()),
            listen: Some("127.0.0.1:9100".parse().unwrap()),
            ..Overrides::default()
        };
        let config = Config::load(None, &overrides).unwrap();
        assert_eq!(config.session_ttl_hours, 5);
        assert_eq!(config.listen.port(), 9100);
        assert_eq!(config.files.max_upload_bytes, 20 << 20);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn trusted_proxies_take_addresses_and_networks() {
        let nets: Vec<ProxyNet> =
            serde_json::from_str(r#"["10.0.0.0/8", "192.0.2.7", "::1"]"#).unwrap();
        assert!(ProxyNet::contains(&nets, "10.1.2.3".parse().unwrap()));
        assert!(ProxyNet::contains(&nets, "192.0.2.7".parse().unwrap()));
        assert!(!ProxyNet::contains(&nets, "192.0.2.8".parse().unwrap()));
        // An IPv4 peer on an IPv6 socket is still the IPv4 address.
        assert!(ProxyNet::contains(
            &nets,
            "::ffff:10.0.0.1".parse().unwrap()
        ));
        assert!(serde_json::from_str::<Vec<ProxyNet>>(r#"["proxy.local"]"#).is_err());
    }

    #[test]
    // `Jail`'s closure must return figment's (large) error type.
    #[allow(clippy::result_large_err)]
    fn trusted_proxies_come_from_the_environment_as_a_list() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("COURTYARD_TRUSTED_PROXIES", "[127.0.0.2/32, 10.0.0.0/8]");
            let config: Config = Figment::from(Serialized::defaults(Config::default()))
                .merge(Env::prefixed("COURTYARD_").split("__"))
                .extract()?;
            assert_eq!(config.trusted_proxies.len(), 2);
            Ok(())
        });
    }

    #[test]
    fn relative_directories_become_absolute() {
        let config = Config {
            data_dir: "data".into(),
            plugin_cache_dir: Some("cache".into()),
            ..Config::default()
        }
        .absolute()
        .unwrap();
        assert!(config.data_dir.is_absolute());
        assert!(config.data_dir.ends_with("data"));
        assert!(config.plugin_cache_dir.unwrap().is_absolute());
    }

    #[test]
    fn files_section_is_read() {
        let dir = std::env::temp_dir().join(format!("cy-config-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("courtyard.toml"),
            "[files]\ndir = \"/srv/files\"\nmax_upload_bytes = 1024\n",
        )
        .unwrap();
        let overrides = Overrides {
            data_dir: Some(dir.clone()),
            ..Overrides::default()
        };
        let config = Config::load(None, &overrides).unwrap();
        assert_eq!(config.files.dir.as_deref(), Some(Path::new("/srv/files")));
        assert_eq!(config.files.max_upload_bytes, 1024);
        assert_eq!(
            config.files.org_quota_bytes,
            10 << 30,
            "unset keys keep defaults"
        );
        std::fs::write(dir.join("courtyard.toml"), "[files]\nmax_upload = 1\n").unwrap();
        assert!(Config::load(None, &overrides).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let dir = std::env::temp_dir().join(format!("cy-config-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("courtyard.toml"), "lisen = \"x\"\n").unwrap();
        let overrides = Overrides {
            data_dir: Some(dir.clone()),
            ..Overrides::default()
        };
        assert!(Config::load(None, &overrides).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
