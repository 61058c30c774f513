//! Application services: each public function is one use case (sign in, post a message,
//! add a member). They validate input with the domain, ask the policy, read from storage
//! and hand writes to the writer. Handlers stay thin; this layer knows no HTTP.

pub mod analytics;
pub mod audit;
pub mod auth;
pub mod export;
pub mod files;
pub mod groups;
pub mod messages;
pub mod notify;
pub mod orgs;
pub mod people;
pub mod plugins;
pub mod post_rate;
pub mod push;
pub mod realtime;
pub mod retention;
pub mod search;
pub mod sso;
pub mod views;
pub mod webhooks;

use std::sync::Arc;

use courtyard_domain::policy::Actor;
use tokio::sync::Semaphore;

use crate::config::Config;
use crate::hub::Hub;
use crate::store::writer::Writer;
use crate::store::{Store, StoreError};

/// Shared state of a running host. Cloning is cheap.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

pub struct Inner {
    pub config: Config,
    pub store: Store,
    pub writer: Writer,
    pub hub: Arc<Hub>,
    /// Keys HMACs that must not reveal their input (anonymous authorship, idempotency).
    pub secret: Vec<u8>,
    /// Bounds concurrent argon2 work so a login flood cannot exhaust memory or CPU.
    pub password_work: Semaphore,
    pub login_limiter: auth::LoginLimiter,
    /// How fast each person may post.
    pub post_rate: post_rate::PostRate,
    /// Where uploaded files' bytes live, and the upload limits.
    pub files: files::FileStore,
    pub plugins: plugins::Plugins,
    /// What plugins see as now; a test harness moves it forward.
    pub plugin_clock: crate::clock::PluginClock,
    /// One-time token for first-run setup, present while no platform admin exists.
    pub setup_token: parking_lot::Mutex<Option<String>>,
    /// What `GET /metrics` reports.
    pub metrics: crate::metrics::Metrics,
    /// Organization exports running at once (one).
    pub export_slots: Arc<Semaphore>,
    /// Outgoing webhooks per group (briefly cached) and the delivery worker's wake-up.
    pub hook_cache: webhooks::HookCache,
    /// Sends email digests, when an SMTP server is configured.
    pub mailer: Option<notify::Mailer>,
    /// Signs Web Push messages (the cluster's one key pair).
    pub vapid: push::Vapid,
    /// The other nodes, when this host is one node of a cluster.
    pub cluster: Option<Arc<crate::cluster::Cluster>>,
}

/// Whole seconds to wait, rounded up and at least one (what `Retry-After` can say).
pub fn retry_after_secs(wait: std::time::Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

impl std::ops::Deref for App {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl App {
    pub async fn start(config: Config) -> anyhow::Result<Self> {
        use anyhow::Context;
        let config = config.absolute()?;
        let store = Store::open(config.database_url.as_deref(), &config.data_dir)
            .await
            .context("opening the database")?;
        let secret = store
            .meta_get_or_insert("server_secret", &crate::crypto::new_secret())
            .await
            .context("reading the server secret")?;
        let secret = hex::decode(secret).context("server secret is not hex")?;
        let hub = Arc::new(Hub::new());
        let publisher = hub.clone();
        let mut cluster = None;
        let publish: crate::store::writer::Publish = match &config.nats_url {
            None => Box::new(move |events| publisher.publish(&events)),
            Some(url) => {
                if !matches!(store.read, crate::store::Db::Postgres(_)) {
                    anyhow::bail!(
                        "nats_url needs a PostgreSQL database_url: a cluster shares one database"
                    );
                }
                // Read before this node writes anything: where its live delivery starts.
                let head = crate::store::events::head(&store.read).await?;
                let node = courtyard_domain::MessageId::generate().into_string();
                let link = Arc::new(
                    crate::cluster::start(
                        url,
                        &config.nats_subject,
                        node,
                        store.read.clone(),
                        publisher,
                        head,
                    )
                    .await?,
                );
                cluster = Some(link.clone());
                Box::new(move |events| {
                    let _ = link.events.send(crate::cluster::Input::Local(events));
                })
            }
        };
        let writer = Writer::start(store.write.clone(), publish);
        let setup_token = if crate::store::people::any_platform_admin(&store.read).await? {
            None
        } else {
            Some(crate::crypto::new_token("setup_"))
        };
        let login_limiter = auth::LoginLimiter::new(&config);
        let post_rate = post_rate::PostRate::new(&config);
        let vapid = push::Vapid::load(&store).await?;
        let mailer = config
            .smtp
            .as_ref()
            .map(notify::Mailer::new)
            .transpose()
            .context("configuring the SMTP server")?;
        let files = files::FileStore::open(&config)
            .await
            .context("opening the file store")?;
        let mut plugins = plugins::Plugins::new(&config).context("starting the plugin runtime")?;
        if let Some(dir) = &config.bundled_plugins_dir {
            let bundled = plugins::Plugins::bundled_from(dir)?;
            let rows: Vec<_> = bundled.iter().map(|(row, _)| row.clone()).collect();
            writer
                .write(move |tx| {
                    Box::pin(async move {
                        for (row, wasm) in &bundled {
                            crate::store::plugins::put_package(tx, row, wasm, None).await?;
                        }
                        Ok(())
                    })
                })
                .await
                .context("registering bundled plugins")?;
            tracing::info!(count = rows.len(), dir = %dir.display(), "bundled plugins available");
            plugins.set_bundled(rows);
        }
        let app = App {
            inner: Arc::new(Inner {
                config,
                store,
                writer,
                hub,
                secret,
                password_work: Semaphore::new(4),
                login_limiter,
                post_rate,
                files,
                plugins,
                setup_token: parking_lot::Mutex::new(setup_token),
                metrics: crate::metrics::Metrics::default(),
                export_slots: Arc::new(Semaphore::new(1)),
                hook_cache: Default::default(),
                plugin_clock: Default::default(),
                mailer,
                vapid,
                cluster,
            }),
        };
        if let Some(cluster) = &app.cluster {
            let signals = cluster
                .signals()
                .await
                .context("listening to the cluster's signals")?;
            tokio::spawn(follow_cluster(app.clone(), signals));
        }
        tokio::spawn(messages::burn_sweeper(app.clone()));
        tokio::spawn(search::backfill(app.clone()));
        tokio::spawn(retention::retention_job(app.clone()));
        tokio::spawn(webhooks::delivery_worker(app.clone()));
        tokio::spawn(notify::digest_job(app.clone()));
        tokio::spawn(realtime::event_pruner(app.clone()));
        tokio::spawn(plugins::jobs::timer_loop(app.clone()));
        Ok(app)
    }
}

/// Applies what other nodes signal to this node's in-memory state.
async fn follow_cluster(
    app: App,
    mut signals: tokio::sync::mpsc::UnboundedReceiver<crate::cluster::Signal>,
) {
    use crate::cluster::Signal;
    while let Some(signal) = signals.recv().await {
        match signal {
            Signal::SessionsEnded {
                person,
                session,
                keep,
            } => app.hub.end_sessions(
                &courtyard_domain::PersonId::from_trusted(person),
                session.as_deref(),
                keep.as_deref(),
            ),
            Signal::PluginsChanged => app.forget_ready_plugins(),
            Signal::WebhooksChanged { group } => app.forget_hooks(&group),
        }
    }
}

impl App {
    /// Tells the other nodes of the cluster, if there are any.
    pub(crate) fn tell_cluster(&self, signal: crate::cluster::Signal) {
        if let Some(cluster) = &self.cluster {
            cluster.signal(signal);
        }
    }

    /// Closes a person's live connections on every node: all of them, those of `session`,
    /// or all but `keep`.
    pub(crate) fn end_sessions(
        &self,
        person: &courtyard_domain::PersonId,
        session: Option<&str>,
        keep: Option<&str>,
    ) {
        self.hub.end_sessions(person, session, keep);
        self.tell_cluster(crate::cluster::Signal::SessionsEnded {
            person: person.as_str().to_owned(),
            session: session.map(str::to_owned),
            keep: keep.map(str::to_owned),
        });
    }
}

/// Everything a use case can refuse with. The HTTP layer maps each to a status and a
/// stable `code`; internal details are logged, never sent.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("sign-in required")]
    Unauthenticated,
    #[error("{0}")]
    RateLimited(&'static str),
    /// Posting faster than `posts_per_minute`; the client may retry after this long.
    #[error("you are posting too fast; try again in {} s", retry_after_secs(*.0))]
    SlowDown(std::time::Duration),
    #[error("{0}")]
    Gone(&'static str),
    /// A plugin crashed, timed out or is suspended; the host is fine.
    #[error("{0}")]
    PluginFailed(String),
    /// A form submission failed validation; one entry per field.
    #[error("some fields need attention")]
    InvalidForm(serde_json::Value),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
    /// A refusal worded in English and Chinese (zh-CN).
    #[error("{en}")]
    Said {
        refusal: Refusal,
        code: &'static str,
        en: String,
        zh: String,
    },
}

/// What kind of refusal an [`AppError::Said`] is; the HTTP layer picks the status from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The request itself is unusable (an empty upload, a broken body).
    BadRequest,
    NotFound,
    Forbidden,
    /// Well-formed but not acceptable (like [`AppError::Invalid`]).
    Invalid,
    /// Larger than a limit or a quota allows.
    TooLarge,
    /// Content of a kind the host does not accept.
    UnsupportedType,
    /// The server is doing this already; try again later.
    Busy,
    /// It clashes with something that exists (a name or domain someone else has).
    Conflict,
    /// The caller's credentials (a token, a signature) do not hold.
    Unauthorized,
    /// Something the host depends on (the database, a plugin catalog) cannot be reached
    /// now; the answer carries `Retry-After`.
    Unavailable,
}

impl AppError {
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Invalid {
            code,
            message: message.into(),
        }
    }

    /// The database is out of reach for a moment: 503 with `Retry-After`.
    pub fn database_unavailable() -> Self {
        AppError::said(
            Refusal::Unavailable,
            "unavailable",
            "the database is unavailable for a moment; try again",
            "数据库暂时不可用，请稍后重试",
        )
    }

    /// A refusal people read in English and Chinese.
    pub fn said(
        refusal: Refusal,
        code: &'static str,
        en: impl Into<String>,
        zh: impl Into<String>,
    ) -> Self {
        AppError::Said {
            refusal,
            code,
            en: en.into(),
            zh: zh.into(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound("resource"),
            StoreError::Conflict(what) => AppError::Conflict(what.to_owned()),
            e if e.is_unavailable() => {
                if e.is_outage() {
                    crate::store::note_outage();
                }
                tracing::warn!(error = %e, "the database is unavailable; answering 503");
                AppError::database_unavailable()
            }
            other => AppError::Internal(other.into()),
        }
    }
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Turns "not found in storage" into the caller's own not-found wording.
pub(crate) trait OrNotFound<T> {
    fn or_not_found(self, what: &'static str) -> Result<T>;
}

impl<T> OrNotFound<T> for Result<T, StoreError> {
    fn or_not_found(self, what: &'static str) -> Result<T> {
        self.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound(what),
            other => other.into(),
        })
    }
}

/// Checks a required short text field.
pub(crate) fn check_name(field: &'static str, value: &str, max: usize) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(AppError::invalid(
            "invalid_field",
            format!("{field} must not be empty"),
        ));
    }
    check_text(field, trimmed, max)
}

/// Checks an optional free-text field: length and no control characters.
pub(crate) fn check_text(field: &'static str, value: &str, max: usize) -> Result<String> {
    if value.chars().count() > max {
        return Err(AppError::invalid(
            "invalid_field",
            format!("{field} is longer than {max} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(AppError::invalid(
            "invalid_field",
            format!("{field} contains control characters"),
        ));
    }
    Ok(value.to_owned())
}

/// Resolves an id from the wire, reporting a malformed one as not found.
impl App {
    /// Runs `job` if this node can take the cluster-wide lease called `name` (for `ttl`,
    /// which must outlast the job), then lets go; `None` when another node holds it. On one
    /// node the lease is always free, so this costs one small write.
    pub(crate) async fn with_lease<T>(
        &self,
        name: &'static str,
        ttl: std::time::Duration,
        job: impl std::future::Future<Output = T>,
    ) -> Result<Option<T>> {
        use crate::store::leases;
        let node = self.plugins.node.clone();
        let now = crate::store::now_millis();
        let until = now + ttl.as_millis() as i64;
        let holder = node.clone();
        let taken = self
            .writer
            .write(move |tx| {
                Box::pin(async move { leases::acquire(tx, name, &holder, now, until).await })
            })
            .await?;
        if !taken {
            return Ok(None);
        }
        let out = job.await;
        self.writer
            .write(move |tx| Box::pin(async move { leases::release(tx, name, &node).await }))
            .await?;
        Ok(Some(out))
    }
}

pub(crate) fn parse_id<T>(
    what: &'static str,
    raw: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T> {
    parse(raw).ok_or(AppError::NotFound(what))
}

pub(crate) fn actor_of(person: &crate::store::people::PersonRow) -> Actor {
    Actor {
        person_id: courtyard_domain::PersonId::from_trusted(person.id.clone()),
        org_id: courtyard_domain::OrgId::from_trusted(person.org_id.clone()),
        role: courtyard_domain::Role::parse(&person.role).unwrap_or(courtyard_domain::Role::Guest),
    }
}
