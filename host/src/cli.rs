//! The `courtyard` command line: `serve`, `admin bootstrap`, `openapi`.

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
