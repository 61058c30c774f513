//! Storage: the one module that speaks SQL. The same SQL text runs on SQLite and PostgreSQL
//! (portable types: TEXT ids, BIGINT epoch-millisecond times, BOOLEAN flags; `$n`
//! placeholders, which both drivers accept); [`on_db!`] expands a body once per backend so
//! every query is compiled against both drivers with no runtime translation.
//!
//! Reads go straight to a pool. Every write that others must hear about goes through the
//! [`writer::Writer`], which batches transactions (group commit) and assigns event positions.

pub mod analytics;
pub mod events;
pub mod export;
pub mod files;
pub mod groups;
pub mod leases;
pub mod messages;
pub mod notifications;
pub mod orgs;
pub mod people;
pub mod plugins;
pub mod records;
pub mod retention;
pub mod search;
pub mod sessions;
pub mod sso;
pub mod throttle;
pub mod timers;
pub mod webhooks;
pub mod writer;

use std::path::Path;
use std::str::FromStr;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

/// Dispatches one body over whichever backend is in use. `$c` is bound to the pool (for
/// reads) or the connection (for [`writer::WriteTx`]); the body is type-checked per driver.
#[macro_export]
#[doc(hidden)]
macro_rules! on_db {
    ($target:expr, $c:ident => $body:expr) => {
        match $target {
            $crate::store::Db::Sqlite($c) => $body,
            $crate::store::Db::Postgres($c) => $body,
        }
    };
}
pub use on_db;

/// A backend-tagged value: pools for reading, connections inside the writer.
#[derive(Clone, Debug)]
pub enum Db<S, P> {
    Sqlite(S),
    Postgres(P),
}

pub type Pools = Db<SqlitePool, PgPool>;

/// When this process last found the database out of reach: milliseconds after
/// [`OUTAGE_CLOCK`]'s origin, plus one (0: never). A plugin that fails after one of its
/// host calls met the outage failed because of the host, and is answered as such.
static LAST_OUTAGE_MS: AtomicU64 = AtomicU64::new(0);
static OUTAGE_CLOCK: LazyLock<Instant> = LazyLock::new(Instant::now);

/// Records that the database was just found out of reach.
pub fn note_outage() {
    let now = OUTAGE_CLOCK.elapsed().as_millis() as u64;
    LAST_OUTAGE_MS.store(now + 1, Ordering::Relaxed);
}

/// Whether the database was found out of reach at or after `since`.
pub fn outage_since(since: Instant) -> bool {
    let last = LAST_OUTAGE_MS.load(Ordering::Relaxed);
    let since = since.saturating_duration_since(*OUTAGE_CLOCK).as_millis() as u64;
    last > since
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("the write could not be carried out (writer unavailable)")]
    WriterGone,
    /// The write ran, but the batch it was part of did not commit; every write of the batch
    /// shares the cause.
    #[error("the batch did not commit: {0}")]
    BatchFailed(std::sync::Arc<StoreError>),
}

impl StoreError {
    /// The database cannot be reached right now — the connection broke, the server is
    /// restarting or recovering, the pool waited in vain — as opposed to a query that is
    /// wrong or refused. Nothing was committed by the failed statement; asking again later
    /// is the right answer.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(e) => match e {
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed => true,
                sqlx::Error::Database(db) => db.code().is_some_and(|c| {
                    // SQLSTATE class 08: connection exception; 57P01–57P03: the server
                    // is shutting down, crashed, or cannot accept connections yet.
                    c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03")
                }),
                _ => false,
            },
            StoreError::WriterGone => true,
            StoreError::BatchFailed(cause) => cause.is_unavailable(),
            _ => false,
        }
    }

    /// Unavailable because the database itself was out of reach (not because this
    /// process's writer is shutting down): what [`note_outage`] records.
    pub fn is_outage(&self) -> bool {
        self.is_unavailable() && !matches!(self, StoreError::WriterGone)
    }

    /// Maps a unique-constraint violation to a domain conflict; other errors pass through.
    pub fn unique_as(self, what: &'static str) -> Self {
        match &self {
            StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                StoreError::Conflict(what)
            }
            _ => self,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// `$1, $2, …, $n`: the placeholders of an `IN (…)` list of `n` values.
pub(crate) fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Opened storage: a read pool and the pool the writer draws its connection from.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) read: Pools,
    pub(crate) write: Pools,
}

impl Store {
    /// Opens (creating if needed) and migrates the database. `database_url` selects
    /// PostgreSQL; otherwise SQLite lives at `data_dir/courtyard.db`.
    pub async fn open(database_url: Option<&str>, data_dir: &Path) -> Result<Self> {
        match database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Self::open_postgres(url).await
            }
            Some(url) if url.starts_with("sqlite:") => {
                let opts = SqliteConnectOptions::from_str(url)?;
                Self::open_sqlite(opts).await
            }
            Some(_) => Err(StoreError::Database(sqlx::Error::Configuration(
                "database URL must start with postgres://, postgresql:// or sqlite:".into(),
            ))),
            None => {
                std::fs::create_dir_all(data_dir).map_err(|e| {
                    StoreError::Database(sqlx::Error::Io(std::io::Error::new(
                        e.kind(),
                        format!("creating data directory {}: {e}", data_dir.display()),
                    )))
                })?;
                let opts = SqliteConnectOptions::new().filename(data_dir.join("courtyard.db"));
                Self::open_sqlite(opts).await
            }
        }
    }

    async fn open_sqlite(opts: SqliteConnectOptions) -> Result<Self> {
        // WAL lets readers run beside the single writer; synchronous=FULL makes every
        // acknowledged commit survive power loss. Group commit recovers the throughput.
        let opts = opts
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-16000");
        // A pool pings a connection before lending it by default: for a local file that
        // is a wasted round trip to the connection's thread on every query.
        let write = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(1)
            .connect_with(opts.clone())
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&write).await?;
        let read = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(8)
            .connect_with(opts.read_only(true))
            .await?;
        Ok(Self {
            read: Db::Sqlite(read),
            write: Db::Sqlite(write),
        })
    }

    async fn open_postgres(url: &str) -> Result<Self> {
        let opts = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(Self {
            read: Db::Postgres(pool.clone()),
            write: Db::Postgres(pool),
        })
    }

    pub fn backend_name(&self) -> &'static str {
        match self.read {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Cheap liveness probe for `/healthz`.
    pub async fn ping(&self) -> Result<()> {
        on_db!(&self.read, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Reads a value from the `meta` table.
    pub async fn meta_get(&self, key: &str) -> Result<Option<String>> {
        const SQL: &str = "SELECT value FROM meta WHERE key = $1";
        Ok(on_db!(&self.write, p => sqlx::query_scalar(SQL).bind(key).fetch_optional(p).await)?)
    }

    /// Inserts a meta value unless one exists, and returns whichever value is stored. Used for
    /// secrets that every host node must share.
    pub async fn meta_get_or_insert(&self, key: &str, value: &str) -> Result<String> {
        const INSERT: &str =
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";
        on_db!(&self.write, p => sqlx::query(INSERT).bind(key).bind(value).execute(p).await.map(|_| ()))?;
        self.meta_get(key).await?.ok_or(StoreError::NotFound)
    }

    pub async fn close(&self) {
        on_db!(&self.read, p => p.close().await);
        on_db!(&self.write, p => p.close().await);
    }
}

/// Milliseconds since the Unix epoch: the one time representation in storage.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod outage_tests {
    use super::*;

    #[test]
    fn an_outage_counts_for_calls_that_began_before_it_only() {
        let before = Instant::now();
        note_outage();
        assert!(outage_since(before));
        assert!(!outage_since(Instant::now() + Duration::from_secs(3600)));
        assert!(StoreError::Database(sqlx::Error::PoolTimedOut).is_outage());
        assert!(!StoreError::WriterGone.is_outage());
        assert!(StoreError::WriterGone.is_unavailable());
    }
}
