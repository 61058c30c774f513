//! The single writer: every event-producing mutation runs here, in batches that share one
//! transaction (group commit). One writer per host process means event positions are
//! assigned in commit order, so the hub can publish them in order with no gaps.
//!
//! Each job runs inside its own savepoint, so one failing job rolls back alone while the
//! rest of the batch commits. A job's caller is answered only after the commit is durable.

use std::collections::VecDeque;
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
    /// SQLite only: the position the next event takes, once read in this batch. This
    /// process is the database's only writer, so the batch can count positions itself
    /// instead of asking the database before every event.
    next_position: Option<i64>,
    /// PostgreSQL only: positions drawn from the sequence for this batch and not used yet,
    /// smallest first. They are drawn many at once, a round trip per batch rather than per
    /// event; the ones left unused are gaps, which PostgreSQL's sequences allow anyway.
    reserved: VecDeque<i64>,
    /// Jobs of the batch not run yet, this one included: how many positions to draw.
    jobs_left: usize,
    /// Rows only ever appended, written for all the batch's jobs together just before the
    /// commit (see [`WriteTx::flush`]).
    pending: Pending,
}

/// Appended rows held back to the end of the batch: one multi-row statement for many jobs
/// costs one round trip to the database instead of one per job. A job that reads these
/// tables in the transaction calls [`WriteTx::flush`] first.
#[derive(Default)]
struct Pending {
    events: Vec<events::LogRow>,
    /// Search terms by message position (see `store::search`).
    terms: Vec<(i64, String)>,
    /// How many of each are in the database already (flushed by a job that read them).
    events_written: usize,
    terms_written: usize,
}

/// Where a job started, to undo what it did if it fails.
#[derive(Clone, Copy)]
struct Mark {
    emitted: usize,
    events: usize,
    terms: usize,
    events_written: usize,
    terms_written: usize,
    next_position: Option<i64>,
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
        const POSTGRES: &str =
            "SELECT nextval(pg_get_serial_sequence('events', 'seq')) FROM generate_series(1, $1)";
        if let Some(next) = self
            .next_position
            .or_else(|| self.reserved.front().copied())
        {
            return Ok(next);
        }
        let draw = i64::try_from(self.jobs_left.max(1)).unwrap_or(1);
        match self.conn_mut() {
            Db::Sqlite(c) => {
                let next = sqlx::query_scalar(SQLITE).fetch_one(&mut *c).await?;
                self.next_position = Some(next);
                Ok(next)
            }
            Db::Postgres(c) => {
                let mut drawn: Vec<i64> = sqlx::query_scalar(POSTGRES)
                    .bind(draw)
                    .fetch_all(&mut *c)
                    .await?;
                drawn.sort_unstable();
                self.reserved.extend(drawn);
                self.reserved.front().copied().ok_or(StoreError::NotFound)
            }
        }
    }

    pub async fn emit_at(&mut self, seq: i64, draft: EventDraft) -> Result<i64> {
        let now = self.now;
        let data = draft.data.to_string();
        match self.conn {
            Db::Sqlite(_) => self.next_position = Some(seq + 1),
            Db::Postgres(_) => {
                if self.reserved.front() == Some(&seq) {
                    self.reserved.pop_front();
                }
            }
        }
        // The log row keeps the payload; the live event's frame is built around it.
        let row = events::LogRow::of(seq, &draft, data, now);
        self.emitted
            .push(events::committed(seq, draft, row.payload(), now));
        self.pending.events.push(row);
        Ok(seq)
    }

    /// Holds a message's search terms back to the end of the batch (see [`Pending`]).
    pub(crate) fn index_later(&mut self, seq: i64, terms: &str) {
        self.pending.terms.push((seq, terms.to_owned()));
    }

    /// Writes the rows held back so far. The batch does it before committing; a job does
    /// it before it reads or changes the event log or the search index.
    pub async fn flush(&mut self) -> Result<()> {
        let log = std::mem::take(&mut self.pending.events);
        let terms = std::mem::take(&mut self.pending.terms);
        let written = async {
            events::insert_many(self, &log[self.pending.events_written..]).await?;
            super::search::index_many(self, &terms[self.pending.terms_written..]).await
        }
        .await;
        if written.is_ok() {
            self.pending.events_written = log.len();
            self.pending.terms_written = terms.len();
        }
        self.pending.events = log;
        self.pending.terms = terms;
        written
    }

    fn mark(&self) -> Mark {
        Mark {
            emitted: self.emitted.len(),
            events: self.pending.events.len(),
            terms: self.pending.terms.len(),
            events_written: self.pending.events_written,
            terms_written: self.pending.terms_written,
            next_position: self.next_position,
        }
    }

    /// Forgets what a failed job did once its savepoint is rolled back: its events, its
    /// held-back rows, its positions, and the writing of earlier jobs' rows if it flushed
    /// them (the rollback undid that too, so they are held back again).
    fn undo_to(&mut self, mark: Mark) {
        self.emitted.truncate(mark.emitted);
        self.pending.events.truncate(mark.events);
        self.pending.terms.truncate(mark.terms);
        self.pending.events_written = mark.events_written;
        self.pending.terms_written = mark.terms_written;
        self.next_position = mark.next_position;
    }

    /// Runs savepoint statements: several, `;`-separated, in one round trip (a query
    /// without arguments goes as one simple query).
    async fn savepoint(&mut self, sql: &'static str) -> Result<()> {
        use sqlx::Executor as _;
        on_tx!(self, c => c.execute(sql).await.map(|r| r.rows_affected()))?;
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
        next_position: None,
        reserved: VecDeque::new(),
        jobs_left: jobs.len(),
        pending: Pending::default(),
    };
    let mut completions = Vec::with_capacity(jobs.len());
    // A lost connection fails every savepoint of the batch the same way: said once.
    let mut savepoint_failed = false;
    // Each job runs in its own savepoint. Closing one job's savepoint and opening the
    // next one's go to the database together: a round trip per job instead of two.
    let mut closing: Option<Close> = None;
    for job in jobs {
        let mark = tx.mark();
        if let Err(e) = tx.savepoint(savepoint_sql(closing)).await
            && !std::mem::replace(&mut savepoint_failed, true)
        {
            tracing::error!(error = %e, "writer could not open a savepoint");
        }
        let (ok_flag, completion) = job(&mut tx).await;
        tx.jobs_left -= 1;
        closing = Some(if ok_flag { Close::Keep } else { Close::Undo });
        if !ok_flag {
            // What the job wrote is undone, positions included: the next job reuses them.
            tx.undo_to(mark);
        }
        completions.push(completion);
    }
    // The commit releases a kept savepoint by itself.
    if let Some(Close::Undo) = closing
        && let Err(e) = tx.savepoint("ROLLBACK TO SAVEPOINT job").await
        && !savepoint_failed
    {
        tracing::error!(error = %e, "writer could not close a savepoint");
    }
    if let Err(e) = tx.flush().await {
        tracing::error!(error = %e, "writer could not write the batch's events");
        // Dropping the transaction rolls it back.
        return (Err(Arc::new(e)), Vec::new(), completions);
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

/// Statement sizes for writing `n` rows: powers of two, largest first (30 rows are 16 + 8
/// + 4 + 2). Few statements per batch, and few distinct SQL texts, each prepared once.
pub(crate) fn chunk_sizes(mut n: usize) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        let size = 1usize << n.checked_ilog2()?.min(MAX_CHUNK_LOG2);
        n -= size;
        Some(size)
    })
}

/// Rows per statement at most: 2^8, well inside SQLite's 32,766 parameters at 8 columns.
const MAX_CHUNK_LOG2: u32 = 8;

/// `rows` parenthesised groups of `width` numbered placeholders, each group written by
/// `row` from its first number: `values_list(2, 2, …)` gives `($1, $2), ($3, $4)`.
pub(crate) fn values_list(rows: usize, width: usize, row: impl Fn(usize) -> String) -> String {
    (0..rows)
        .map(|r| row(r * width + 1))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How a job's savepoint ends.
#[derive(Clone, Copy)]
enum Close {
    Keep,
    Undo,
}

/// The statements that close the last job's savepoint (if any) and open the next one's.
fn savepoint_sql(close: Option<Close>) -> &'static str {
    match close {
        None => "SAVEPOINT job",
        Some(Close::Keep) => "RELEASE SAVEPOINT job; SAVEPOINT job",
        Some(Close::Undo) => "ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job; SAVEPOINT job",
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use courtyard_domain::OrgId;

    use super::*;
    use crate::store::records::test_db::{Backend, TestDb, both_backends};

    fn draft(kind: &'static str) -> EventDraft {
        EventDraft {
            org_id: OrgId::from_trusted("org-1".to_owned()),
            group_id: None,
            person_id: None,
            kind,
            data: serde_json::json!({}),
            membership: None,
            audience: None,
        }
    }

    /// Writes `kind` into the log and, if `fail`, reads the log (so what earlier jobs held
    /// back is written inside this job's savepoint) and fails.
    fn job(
        writer: &Writer,
        kind: &'static str,
        fail: bool,
    ) -> impl Future<Output = Result<i64>> + use<> {
        let writer = writer.clone();
        async move {
            writer
                .write(move |tx| {
                    Box::pin(async move {
                        let seq = tx.emit(draft(kind)).await?;
                        if fail {
                            events::prune(tx, 0, 1).await?;
                            return Err(StoreError::NotFound);
                        }
                        Ok(seq)
                    })
                })
                .await
        }
    }

    async fn log(db: &TestDb) -> Vec<(i64, String)> {
        const SQL: &str = "SELECT seq, kind FROM events ORDER BY seq";
        on_db_rows(db.pools(), SQL).await
    }

    async fn on_db_rows(pools: &Pools, sql: &str) -> Vec<(i64, String)> {
        crate::store::on_db!(pools, p => sqlx::query_as(sql).fetch_all(p).await).expect("read")
    }

    async fn a_failed_job_undoes_only_itself(backend: Backend) {
        let db = TestDb::open(backend).await;
        // The first batch holds the writer while the next jobs queue, so they share one.
        let slow = db.writer.clone();
        let first = tokio::spawn(async move {
            slow.write(|tx| {
                Box::pin(async move {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    tx.emit(draft("first")).await
                })
            })
            .await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (kept, failed, after) = tokio::join!(
            job(&db.writer, "kept", false),
            job(&db.writer, "failed", true),
            job(&db.writer, "after", false),
        );
        let first = first.await.expect("join").expect("first");
        let (kept, after) = (kept.expect("kept"), after.expect("after"));
        assert!(matches!(failed, Err(StoreError::NotFound)), "{failed:?}");
        let kinds: Vec<(i64, String)> = log(&db).await;
        let names: Vec<&str> = kinds.iter().map(|(_, k)| k.as_str()).collect();
        assert_eq!(names, ["first", "kept", "after"]);
        assert_eq!(kinds[0].0, first);
        assert_eq!(kinds[1].0, kept);
        assert_eq!(kinds[2].0, after);
        if backend == Backend::Sqlite {
            // The failed job's position went back to the next job: no gap.
            assert_eq!(after, kept + 1);
        }
    }

    async fn many_jobs_in_one_batch_are_all_written(backend: Backend) {
        let db = TestDb::open(backend).await;
        // 300 events: several statement sizes (256 + 32 + 8 + 4).
        let jobs: Vec<_> = (0..300).map(|_| job(&db.writer, "many", false)).collect();
        let mut seqs: Vec<i64> = futures_util::future::join_all(jobs)
            .await
            .into_iter()
            .map(|r| r.expect("write"))
            .collect();
        seqs.sort_unstable();
        let logged: Vec<i64> = log(&db).await.into_iter().map(|(s, _)| s).collect();
        assert_eq!(logged, seqs);
    }

    #[test]
    fn chunk_sizes_are_powers_of_two_largest_first() {
        assert_eq!(chunk_sizes(0).collect::<Vec<_>>(), Vec::<usize>::new());
        assert_eq!(chunk_sizes(30).collect::<Vec<_>>(), [16, 8, 4, 2]);
        assert_eq!(chunk_sizes(600).collect::<Vec<_>>(), [256, 256, 64, 16, 8]);
        assert_eq!(
            values_list(2, 2, |n| format!("(${n}, ${})", n + 1)),
            "($1, $2), ($3, $4)"
        );
    }

    both_backends!(
        a_failed_job_undoes_only_itself,
        many_jobs_in_one_batch_are_all_written
    );
}
