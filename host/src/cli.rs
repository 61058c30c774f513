//! The `courtyard` command line: `serve`, `admin bootstrap`, `openapi`, and `plugin …` for
//! plugin authors and publishers.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::app::App;
use crate::config::{Config, Overrides};

#[derive(Debug, Parser)]
#[command(
    name = "courtyard",
    version,
    about = "Courtyard: self-hosted enterprise collaboration"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Administration tasks.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Print the OpenAPI document.
    Openapi,
    /// Plugin authoring and management.
    #[command(subcommand)]
    Plugin(PluginCommand),
}

/// Where a running server is and who is asking.
#[derive(Debug, Args)]
pub struct RemoteArgs {
    /// The server's base URL.
    #[arg(
        long,
        env = "COURTYARD_SERVER",
        default_value = "http://127.0.0.1:8080"
    )]
    pub server: String,
    /// An admin's token (a personal access token from `POST /api/v1/me/tokens`).
    #[arg(long, env = "COURTYARD_TOKEN", hide_env_values = true)]
    pub token: String,
}

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Create a plugin crate from the template.
    New {
        /// The plugin id (lowercase letters, digits, dashes).
        id: String,
        /// Directory to create [default: ./ID].
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Build a plugin crate for wasm32-wasip2 and write a package file (.cyplugin) with its
    /// descriptions (description.en.md, description.zh-CN.md), icon.png and screenshots/.
    Pack {
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Output file [default: ID-VERSION.cyplugin].
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Create a publisher key (ed25519) and print its public half, which deployments list
    /// in `trusted_publishers`.
    Keygen {
        /// Where to write the secret key [default: publisher.key].
        #[arg(long, short, default_value = "publisher.key")]
        out: PathBuf,
    },
    /// Sign a package file in place.
    Sign {
        package: PathBuf,
        /// The publisher's secret key (from `keygen`).
        #[arg(long)]
        key: PathBuf,
        /// The name to sign as (shown to admins).
        #[arg(long)]
        publisher: String,
    },
    /// Check a package file: its contents, and who signed it.
    Verify {
        package: PathBuf,
        /// Keys to treat as trusted (`ed25519:…`), as a deployment's `trusted_publishers`.
        #[arg(long = "trust")]
        trusted: Vec<String>,
    },
    /// Maintain a catalog directory (index.json plus package files) for any web server.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Install (or upgrade) a plugin in an organization from a package file or crate directory.
    Install {
        /// A .cyplugin file or a plugin crate directory.
        package: PathBuf,
        #[arg(long)]
        org: String,
        /// Install even if the package is unsigned or signed by a publisher the server does
        /// not trust (a crate directory is always unsigned).
        #[arg(long)]
        allow_untrusted: bool,
        /// Capabilities to grant (all that the plugin asks for when omitted).
        #[arg(long = "grant")]
        grants: Vec<String>,
        /// Hosts the plugin may reach with `http` (all that it lists when omitted).
        #[arg(long = "http-host")]
        http_hosts: Vec<String>,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// List the plugins installed in an organization.
    List {
        #[arg(long)]
        org: String,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Enable a plugin in a group.
    Enable {
        plugin: String,
        #[arg(long)]
        group: String,
        /// Settings as JSON.
        #[arg(long, default_value = "{}")]
        settings: String,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Disable a plugin in a group.
    Disable {
        plugin: String,
        #[arg(long)]
        group: String,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Watch a plugin crate; on every change rebuild it and reinstall it into a local server
    /// (and enable it in a group once).
    Dev {
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[arg(long)]
        org: String,
        #[arg(long)]
        group: Option<String>,
        #[command(flatten)]
        remote: RemoteArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Add a (signed) package to a catalog directory, creating it if needed.
    Add {
        /// The catalog directory.
        dir: PathBuf,
        /// The package file.
        package: PathBuf,
        /// The catalog's name, shown to admins.
        #[arg(long)]
        name: Option<String>,
        /// Accept an unsigned package.
        #[arg(long)]
        allow_unsigned: bool,
    },
}

#[derive(Debug, Args)]
pub struct StorageArgs {
    /// Data directory (SQLite database, configuration file).
    #[arg(long, env = "COURTYARD_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// `postgres://…` to use PostgreSQL instead of SQLite.
    #[arg(long, env = "COURTYARD_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Configuration file (default: DATA_DIR/courtyard.toml if present).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "COURTYARD_LISTEN")]
    pub listen: Option<SocketAddr>,
    #[command(flatten)]
    pub storage: StorageArgs,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create the first platform admin; reads the password from standard input. Refuses if
    /// a platform admin exists.
    Bootstrap {
        #[arg(long)]
        email: String,
        /// Display name [default: the part of the email before @].
        #[arg(long)]
        name: Option<String>,
        /// The admin's home organization.
        #[arg(long, default_value = "Courtyard")]
        org_name: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

impl StorageArgs {
    fn load(&self, listen: Option<SocketAddr>) -> anyhow::Result<Config> {
        let overrides = Overrides {
            listen,
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
        };
        Config::load(self.config.as_deref(), &overrides)
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Admin(AdminCommand::Bootstrap {
            email,
            name,
            org_name,
            storage,
        }) => {
            let config = storage.load(None)?;
            crate::telemetry::init(config.log_format);
            let mut password = String::new();
            std::io::stdin()
                .take(4096)
                .read_to_string(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            let name =
                name.unwrap_or_else(|| email.split('@').next().unwrap_or("admin").to_owned());
            let app = App::start(config).await?;
            let person = app
                .bootstrap_admin(&email, password, &name, &org_name)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("created platform admin {} ({})", person.email, person.id);
            app.store.close().await;
            Ok(())
        }
        Command::Plugin(cmd) => plugin(cmd).await,
        Command::Openapi => {
            use std::io::Write;
            let (_, doc) = crate::http::api();
            // A closed pipe (`| head`) is not an error worth reporting.
            let _ = writeln!(std::io::stdout(), "{}", doc.to_pretty_json()?);
            Ok(())
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = args.storage.load(args.listen)?;
    crate::telemetry::init(config.log_format);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let app = App::start(config.clone()).await?;
    tracing::info!(
        listen = %listener.local_addr()?,
        database = app.store.backend_name(),
        data_dir = %config.data_dir.display(),
        "courtyard is serving"
    );
    if let Some(token) = app.setup_token.lock().clone() {
        tracing::warn!(
            "no platform admin yet: finish setup with `courtyard admin bootstrap` or POST /api/v1/setup with setup_token {token}"
        );
        eprintln!("\n  First-run setup token: {token}\n");
    }
    crate::http::serve(app, listener, shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

/// A signed-in client of a running server.
struct Remote {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Remote {
    fn new(args: &RemoteArgs) -> Self {
        Self {
            base: args.server.trim_end_matches('/').to_owned(),
            token: args.token.clone(),
            http: reqwest::Client::new(),
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> anyhow::Result<serde_json::Value> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.answer(req).await
    }

    /// POSTs raw bytes (a package file).
    async fn upload(&self, path: &str, bytes: Vec<u8>) -> anyhow::Result<serde_json::Value> {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(bytes);
        self.answer(req).await
    }

    async fn answer(&self, req: reqwest::RequestBuilder) -> anyhow::Result<serde_json::Value> {
        let res = req
            .send()
            .await
            .with_context(|| format!("reaching {}", self.base))?;
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        let value: serde_json::Value = if text.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
        };
        if !status.is_success() {
            anyhow::bail!(
                "{status}: {} ({})",
                value["message"].as_str().unwrap_or("request failed"),
                value["code"].as_str().unwrap_or("?")
            );
        }
        Ok(value)
    }
}

/// What `install` sends: a package file (staged, then installed by its digest), or a
/// manifest and component (a crate directory, or an old JSON package).
enum ToInstall {
    File(Vec<u8>),
    Parts(crate::plugin_tools::PackageFile),
}

fn package_from(path: &std::path::Path) -> anyhow::Result<ToInstall> {
    if path.is_dir() {
        return Ok(ToInstall::Parts(crate::plugin_tools::pack(path)?));
    }
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if bytes.starts_with(b"PK") {
        return Ok(ToInstall::File(bytes));
    }
    serde_json::from_slice(&bytes)
        .map(ToInstall::Parts)
        .with_context(|| format!("{} is not a plugin package", path.display()))
}

async fn install_package(
    remote: &Remote,
    org: &str,
    package: &ToInstall,
    grants: &[String],
    http_hosts: &[String],
    allow_untrusted: bool,
) -> anyhow::Result<serde_json::Value> {
    let mut body = match package {
        ToInstall::Parts(parts) => serde_json::json!({
            "package": {"manifest": parts.manifest, "wasm_base64": parts.wasm_base64}
        }),
        ToInstall::File(bytes) => {
            let staged = remote
                .upload(
                    &format!("/api/v1/orgs/{org}/plugin-packages"),
                    bytes.clone(),
                )
                .await?;
            let trust = &staged["trust"];
            println!(
                "staged {} {}: {}{}",
                staged["package"]["id"].as_str().unwrap_or("?"),
                staged["package"]["version"].as_str().unwrap_or("?"),
                trust["status"].as_str().unwrap_or("?"),
                trust["publisher"]
                    .as_str()
                    .map(|p| format!(" ({p})"))
                    .unwrap_or_default()
            );
            serde_json::json!({"package_sha256": staged["package"]["sha256"]})
        }
    };
    body["allow_untrusted"] = serde_json::json!(allow_untrusted);
    if !grants.is_empty() {
        body["grants"] = serde_json::json!(grants);
    }
    if !http_hosts.is_empty() {
        body["http_hosts"] = serde_json::json!(http_hosts);
    }
    remote
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/orgs/{org}/plugins"),
            Some(body),
        )
        .await
}

/// The newest modification time under a plugin crate's sources.
fn newest_change(dir: &std::path::Path) -> std::time::SystemTime {
    fn walk(path: &std::path::Path, newest: &mut std::time::SystemTime) {
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        if meta.is_dir() {
            if path
                .file_name()
                .is_some_and(|n| n == "target" || n == ".git")
            {
                return;
            }
            for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
                walk(&entry.path(), newest);
            }
        } else if let Ok(m) = meta.modified() {
            *newest = (*newest).max(m);
        }
    }
    let mut newest = std::time::UNIX_EPOCH;
    walk(dir, &mut newest);
    newest
}

async fn plugin(cmd: PluginCommand) -> anyhow::Result<()> {
    match cmd {
        PluginCommand::New { id, dir } => {
            let dir = dir.unwrap_or_else(|| PathBuf::from(&id));
            crate::plugin_tools::scaffold(&dir, &id)?;
            println!(
                "created {} — try: cd {} && cargo test",
                dir.display(),
                dir.display()
            );
            Ok(())
        }
        PluginCommand::Pack { dir, out } => {
            let (wasm, manifest_text) = crate::plugin_tools::build_plugin(&dir)?;
            let component =
                std::fs::read(&wasm).with_context(|| format!("reading {}", wasm.display()))?;
            let manifest = courtyard_runtime::manifest::Manifest::parse(&manifest_text)?;
            let package = crate::publish::package_from_dir(&dir, manifest_text, component)?;
            let out = out.unwrap_or_else(|| {
                PathBuf::from(format!("{}-{}.cyplugin", manifest.id, manifest.version))
            });
            std::fs::write(&out, package.write())?;
            println!(
                "packed {} {} into {} (unsigned: `courtyard plugin sign {} --key … --publisher …`)",
                manifest.id,
                manifest.version,
                out.display(),
                out.display()
            );
            Ok(())
        }
        PluginCommand::Keygen { out } => {
            let public = crate::publish::keygen(&out)?;
            println!(
                "secret key written to {} — keep it safe and private",
                out.display()
            );
            println!("public key (for trusted_publishers): {public}");
            Ok(())
        }
        PluginCommand::Sign {
            package,
            key,
            publisher,
        } => {
            let public = crate::publish::sign(&package, &key, &publisher)?;
            println!("signed {} as {publisher} ({public})", package.display());
            Ok(())
        }
        PluginCommand::Verify { package, trusted } => {
            let (contents, signer) = crate::publish::read(&package)?;
            let manifest = courtyard_runtime::manifest::Manifest::parse(&contents.manifest)?;
            println!(
                "{} {} (contract {}), capabilities: {}",
                manifest.id,
                manifest.version,
                manifest.wit,
                manifest.capabilities.join(", ")
            );
            match signer {
                crate::package::Signer::Unsigned => {
                    println!("unsigned");
                    anyhow::ensure!(trusted.is_empty(), "not signed by a trusted key");
                }
                crate::package::Signer::Signed { publisher, key } => {
                    let known = trusted.iter().any(|t| {
                        crate::package::parse_key(t).ok() == crate::package::parse_key(&key).ok()
                    });
                    println!(
                        "signed as {publisher} with {key}: signature valid, key {}",
                        if known {
                            "trusted"
                        } else {
                            "not among --trust"
                        }
                    );
                    anyhow::ensure!(trusted.is_empty() || known, "not signed by a trusted key");
                }
            }
            Ok(())
        }
        PluginCommand::Catalog(CatalogCommand::Add {
            dir,
            package,
            name,
            allow_unsigned,
        }) => {
            let entry =
                crate::publish::catalog_add(&dir, &package, name.as_deref(), allow_unsigned)?;
            println!(
                "{} {} listed in {} as {}",
                entry.id,
                entry.version,
                dir.join("index.json").display(),
                entry.file
            );
            Ok(())
        }
        PluginCommand::Install {
            package,
            org,
            allow_untrusted,
            grants,
            http_hosts,
            remote,
        } => {
            let package = package_from(&package)?;
            let installed = install_package(
                &Remote::new(&remote),
                &org,
                &package,
                &grants,
                &http_hosts,
                allow_untrusted,
            )
            .await?;
            println!(
                "installed {} {} (grants: {})",
                installed["package"]["id"], installed["package"]["version"], installed["grants"]
            );
            Ok(())
        }
        PluginCommand::List { org, remote } => {
            let list = Remote::new(&remote)
                .call(
                    reqwest::Method::GET,
                    &format!("/api/v1/orgs/{org}/plugins"),
                    None,
                )
                .await?;
            for p in list.as_array().into_iter().flatten() {
                println!(
                    "{}\t{}\t{}\tgrants: {}",
                    p["package"]["id"].as_str().unwrap_or(""),
                    p["package"]["version"].as_str().unwrap_or(""),
                    p["package"]["name"]["en"].as_str().unwrap_or(""),
                    p["grants"]
                );
            }
            Ok(())
        }
        PluginCommand::Enable {
            plugin,
            group,
            settings,
            remote,
        } => {
            let settings: serde_json::Value =
                serde_json::from_str(&settings).context("--settings must be JSON")?;
            Remote::new(&remote)
                .call(
                    reqwest::Method::PUT,
                    &format!("/api/v1/groups/{group}/plugins/{plugin}"),
                    Some(serde_json::json!({"settings": settings})),
                )
                .await?;
            println!("enabled {plugin} in {group}");
            Ok(())
        }
        PluginCommand::Disable {
            plugin,
            group,
            remote,
        } => {
            Remote::new(&remote)
                .call(
                    reqwest::Method::DELETE,
                    &format!("/api/v1/groups/{group}/plugins/{plugin}"),
                    None,
                )
                .await?;
            println!("disabled {plugin} in {group}");
            Ok(())
        }
        PluginCommand::Dev {
            dir,
            org,
            group,
            remote,
        } => {
            let remote = Remote::new(&remote);
            let mut seen = std::time::UNIX_EPOCH;
            let mut enabled = false;
            loop {
                let newest = newest_change(&dir);
                if newest > seen {
                    seen = newest;
                    match package_from(&dir) {
                        Ok(package) => {
                            // A local development build is unsigned by nature.
                            match install_package(&remote, &org, &package, &[], &[], true).await {
                                Ok(installed) => {
                                    let id = installed["package"]["id"]
                                        .as_str()
                                        .unwrap_or_default()
                                        .to_owned();
                                    println!("reloaded {id} {}", installed["package"]["version"]);
                                    if let (Some(g), false) = (&group, enabled) {
                                        remote
                                            .call(
                                                reqwest::Method::PUT,
                                                &format!("/api/v1/groups/{g}/plugins/{id}"),
                                                Some(serde_json::json!({})),
                                            )
                                            .await?;
                                        enabled = true;
                                        println!("enabled {id} in {g}");
                                    }
                                }
                                Err(e) => eprintln!("install failed: {e:#}"),
                            }
                        }
                        Err(e) => eprintln!("build failed: {e:#}"),
                    }
                }
                tokio::time::sleep(std::time::Duration::from_millis(700)).await;
            }
        }
    }
}
