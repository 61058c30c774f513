//! The single writer: every event-producing mutation runs here, in batches that share one
//! transaction (group commit). One writer per host process means event positions are
//! assigned in commit order, so the hub can publish them in order with no gaps.
//!
//! Each job runs inside its own savepoint, so one failing job rolls back alone while the
//! rest of the batch commits. A job's caller is answered only after the commit is durable.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use sqlx::{PgConnection, Postgres, Sqlite, SqliteConnection, Transaction};
use tokio::sync::{mpsc, oneshot};

use super::events::{self, Event, EventDraft};
use super::{Db, Pools, Result, StoreError, now_millis};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The most jobs committed together. Larger batches amortise the fsync further but delay
/// the first caller in the batch; 512 keeps a batch's commit well under a few milliseconds.
const MAX_BATCH: usize = 512;

/// The PostgreSQL advisory lock every write transaction holds (see `run_batch`).
const POSITION_LOCK: i64 = 0x436f_7572_7479_6172; // "Courtyar"

/// An open write transaction, handed to each job.
pub struct WriteTx {
    conn: Db<Transaction<'static, Sqlite>, Transaction<'static, Postgres>>,
    emitted: Vec<Event>,
    now: i64,
}

/// Runs `$body` with `$c` bound to the backend's connection inside a [`WriteTx`]. Use
/// `&mut *$c` as the executor of each query.
#[macro_export]
#[doc(hidden)]
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx.conn_mut() {
            $crate::store::Db::Sqlite($c) => $body,
            $crate::store::Db::Postgres($c) => $body,
        }
    };
}
pub use on_tx;

impl WriteTx {
    #[doc(hidden)]
    pub fn conn_mut(&mut self) -> Db<&mut SqliteConnection, &mut PgConnection> {
        match &mut self.conn {
            Db::Sqlite(t) => Db::Sqlite(&mut **t),
            Db::Postgres(t) => Db::Postgres(&mut **t),
        }
    }

    /// The batch's timestamp, so all rows written together agree on "now".
    pub fn now(&self) -> i64 {
        self.now
    }

    /// Appends an event to the log; it is published to live subscribers after commit.
    pub async fn emit(&mut self, draft: EventDraft) -> Result<i64> {
        let seq = self.next_seq().await?;
        self.emit_at(seq, draft).await
    }

    /// Reserves the position the next event will take, for rows that record it (a message's
    /// `seq` is the position of its creation event). Pass it to [`WriteTx::emit_at`].
    pub async fn next_seq(&mut self) -> Result<i64> {
        const SQLITE: &str =
            "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) + 1";
        const POSTGRES: &str = "SELECT nextval(pg_get_serial_sequence('events', 'seq'))";
        Ok(match self.conn_mut() {
            Db::Sqlite(c) => sqlx::query_scalar(SQLITE).fetch_one(&mut *c).await?,
            Db::Postgres(c) => sqlx::query_scalar(POSTGRES).fetch_one(&mut *c).await?,
        })
    }

    pub async fn emit_at(&mut self, seq: i64, draft: EventDraft) -> Result<i64> {
        let now = self.now;
        let data = draft.data.to_string();
        on_tx!(self, c => sqlx::query(events::INSERT)
            .bind(seq)
            .bind(draft.org_id.as_str())
            .bind(draft.group_id.as_ref().map(|g| g.as_str()))
            .bind(draft.person_id.as_ref().map(|p| p.as_str()))
            .bind(draft.kind)
            .bind(&data)
            .bind(now)
            .bind(draft.audience.as_deref())
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        self.emitted.push(events::committed(seq, draft, &data, now));
        Ok(seq)
    }

    async fn savepoint(&mut self, sql: &'static str) -> Result<()> {
        on_tx!(self, c => sqlx::query(sql).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }
}

/// A job reports whether its writes should be kept, and how to answer its caller.
type Job = Box<dyn for<'a> FnOnce(&'a mut WriteTx) -> BoxFuture<'a, (bool, Completion)> + Send>;
/// What a job leaves behind: a function told whether its batch committed.
type Completion = Box<dyn FnOnce(Result<(), Arc<StoreError>>) + Send>;

/// Handle to the writer task. Cloning is cheap.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

/// Receives committed events in position order.
pub type Publish = Box<dyn Fn(Vec<Event>) + Send + Sync>;

impl Writer {
    pub fn start(pools: Pools, publish: Publish) -> Self {
        let (jobs, rx) = mpsc::channel::<Job>(4096);
        tokio::spawn(run(pools, rx, publish));
        Self { jobs }
    }

    /// Runs `f` in the next batch and returns its result once the batch has committed.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a mut WriteTx) -> BoxFuture<'a, Result<T>> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<Result<T>>();
        let job: Job = Box::new(move |tx: &mut WriteTx| {
            Box::pin(async move {
                let outcome = f(tx).await;
                let keep = outcome.is_ok();
                let completion: Completion = Box::new(move |committed| {
                    let result = match (committed, outcome) {
                        (Ok(()), outcome) => outcome,
                        (Err(e), _) => Err(StoreError::BatchFailed(e)),
                    };
                    let _ = reply.send(result);
                });
                (keep, completion)
            })
        });
        self.jobs
            .send(job)
            .await
            .map_err(|_| StoreError::WriterGone)?;
        // A dropped reply means the batch never ran (the transaction could not begin).
        answer.await.map_err(|_| StoreError::WriterGone)?
    }
}

async fn run(pools: Pools, mut rx: mpsc::Receiver<Job>, publish: Publish) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (committed, events, completions) = run_batch(&pools, std::mem::take(&mut batch)).await;
        if committed.is_ok() && !events.is_empty() {
            publish(events);
        }
        for done in completions {
            done(committed.clone());
        }
    }
}

async fn run_batch(
    pools: &Pools,
    jobs: Vec<Job>,
) -> (Result<(), Arc<StoreError>>, Vec<Event>, Vec<Completion>) {
    let begun = match pools {
        Db::Sqlite(p) => p.begin().await.map(Db::Sqlite),
        Db::Postgres(p) => p.begin().await.map(Db::Postgres),
    };
    let mut conn = match begun {
        Ok(conn) => conn,
        Err(e) => {
            tracing::error!(error = %e, "writer could not begin a transaction");
            return fail_all(jobs, StoreError::Database(e)).await;
        }
    };
    // Several host processes may write one PostgreSQL database. Taking one lock for the
    // whole transaction makes positions follow commit order across all of them: a batch
    // draws its positions only after every earlier batch has committed or rolled back,
    // so once a position is visible, every smaller one is final (there, or never). Live
    // delivery across nodes and catch-up rely on that (`crate::cluster`).
    if let Db::Postgres(t) = &mut conn
        && let Err(e) = sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(POSITION_LOCK)
            .execute(&mut **t)
            .await
    {
        tracing::error!(error = %e, "writer could not take the position lock");
        return fail_all(jobs, StoreError::Database(e)).await;
    }
    let mut tx = WriteTx {
        conn,
        emitted: Vec::new(),
        now: now_millis(),
    };
    let mut completions = Vec::with_capacity(jobs.len());
    // A lost connection fails every savepoint of the batch the same way: said once.
    let mut savepoint_failed = false;
    for job in jobs {
        let mark = tx.emitted.len();
        if let Err(e) = tx.savepoint("SAVEPOINT job").await
            && !std::mem::replace(&mut savepoint_failed, true)
        {
            tracing::error!(error = %e, "writer could not open a savepoint");
        }
        let (ok_flag, completion) = job(&mut tx).await;
        let end = if ok_flag {
            "RELEASE SAVEPOINT job"
        } else {
            "ROLLBACK TO SAVEPOINT job"
        };
        if !ok_flag {
            tx.emitted.truncate(mark);
        }
        if let Err(e) = tx.savepoint(end).await
            && !std::mem::replace(&mut savepoint_failed, true)
        {
            tracing::error!(error = %e, "writer could not close a savepoint");
        }
        completions.push(completion);
    }
    let WriteTx { conn, emitted, .. } = tx;
    let committed = match conn {
        Db::Sqlite(t) => t.commit().await,
        Db::Postgres(t) => t.commit().await,
    };
    match committed {
        Ok(()) => (Ok(()), emitted, completions),
        Err(e) => {
            tracing::error!(error = %e, "batch commit failed");
            (
                Err(Arc::new(StoreError::Database(e))),
                Vec::new(),
                completions,
            )
        }
    }
}

async fn fail_all(
    jobs: Vec<Job>,
    err: StoreError,
) -> (Result<(), Arc<StoreError>>, Vec<Event>, Vec<Completion>) {
    // Dropping the jobs drops their reply channels: each caller gets `WriterGone`.
    drop(jobs);
    (Err(Arc::new(err)), Vec::new(), Vec::new())
}
