//! Plugin timers (contract 0.2.0 `timers`) and the manifest's scheduled jobs, in one table.
//!
//! A timer is keyed per organization and plugin by `(kind, key)`: `kind` is `timer` for the
//! ones a plugin sets (key chosen by the plugin) and `schedule` for scheduled jobs (key = the
//! job's name). Host nodes take due rows with [`claim_due`], which leases them to one node;
//! the node then [`complete`]s or [`fail`]s each one. A lease that runs out (the node died)
//! lets another node claim the row again. Replacing a timer gives it a new id, so a node
//! finishing the old one touches nothing.

use super::writer::{WriteTx, on_tx};
use super::{Db, Pools, Result, on_db};

pub const KIND_TIMER: &str = "timer";
pub const KIND_SCHEDULE: &str = "schedule";

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct TimerRow {
    pub id: String,
    pub org_id: String,
    pub plugin_id: String,
    /// The group of the call that set it; `None` for organization-wide.
    pub group_id: Option<String>,
    /// [`KIND_TIMER`] or [`KIND_SCHEDULE`].
    pub kind: String,
    pub key: String,
    pub payload: String,
    pub due_at: i64,
    /// Failed runs since the last success (or since it was set).
    pub attempts: i64,
}

const COLUMNS: &str = "id, org_id, plugin_id, group_id, kind, key, payload, due_at, attempts";

/// Sets a timer, replacing the one with the same (org, plugin, kind, key): the replacement
/// takes `row.id`, due time, payload and group, with no attempts and no claim. `row.attempts`
/// is ignored. Returns the id.
pub async fn set(tx: &mut WriteTx, row: &TimerRow) -> Result<String> {
    const SQL: &str = "INSERT INTO plugin_timers (id, org_id, plugin_id, group_id, kind, key, payload, due_at, \
        attempts, last_error, claimed_by, claimed_until, created_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, NULL, NULL, NULL, $9) \
        ON CONFLICT (org_id, plugin_id, kind, key) DO UPDATE SET id = excluded.id, \
        group_id = excluded.group_id, payload = excluded.payload, due_at = excluded.due_at, \
        attempts = 0, last_error = NULL, claimed_by = NULL, claimed_until = NULL, \
        created_at = excluded.created_at";
    let now = tx.now();
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(&row.id).bind(&row.org_id).bind(&row.plugin_id).bind(&row.group_id)
        .bind(&row.kind).bind(&row.key).bind(&row.payload).bind(row.due_at).bind(now)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(row.id.clone())
}

/// Removes a timer by key; false when there was none.
pub async fn cancel(
    tx: &mut WriteTx,
    org: &str,
    plugin: &str,
    kind: &str,
    key: &str,
) -> Result<bool> {
    const SQL: &str =
        "DELETE FROM plugin_timers WHERE org_id = $1 AND plugin_id = $2 AND kind = $3 AND key = $4";
    let n = on_tx!(tx, c => sqlx::query(SQL).bind(org).bind(plugin).bind(kind).bind(key)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// How many timers (kind `timer`; scheduled jobs are the manifest's, not counted) a plugin
/// has pending in one organization, for the quota.
pub async fn count(tx: &mut WriteTx, org: &str, plugin: &str) -> Result<i64> {
    const SQL: &str = "SELECT COUNT(*) FROM plugin_timers WHERE org_id = $1 AND plugin_id = $2 AND kind = 'timer'";
    Ok(on_tx!(tx, c => sqlx::query_scalar(SQL).bind(org).bind(plugin).fetch_one(&mut *c).await)?)
}

/// Claims up to `limit` rows due at `now` that nobody holds (no claim, or a lease that ran
/// out before `now`) for `node` until `now + lease_ms`, earliest due first.
pub async fn claim_due(
    tx: &mut WriteTx,
    node: &str,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<TimerRow>> {
    // The two backends differ on purpose. On PostgreSQL several host processes claim from
    // one table at once: `FOR UPDATE SKIP LOCKED` locks the chosen rows, so a concurrent
    // claimer skips them instead of picking the same ones (and a row claimed by a
    // transaction that committed meanwhile is re-checked against the WHERE clause and
    // dropped). SQLite has no row locks and no SKIP LOCKED; it needs none, since one
    // process with one write connection runs every claim in turn.
    const SQLITE: &str = "UPDATE plugin_timers SET claimed_by = $1, claimed_until = $2 \
        WHERE id IN (SELECT id FROM plugin_timers WHERE due_at <= $3 \
        AND (claimed_until IS NULL OR claimed_until < $3) ORDER BY due_at, id LIMIT $4) \
        RETURNING id, org_id, plugin_id, group_id, kind, key, payload, due_at, attempts";
    const POSTGRES: &str = "UPDATE plugin_timers SET claimed_by = $1, claimed_until = $2 \
        WHERE id IN (SELECT id FROM plugin_timers WHERE due_at <= $3 \
        AND (claimed_until IS NULL OR claimed_until < $3) ORDER BY due_at, id LIMIT $4 \
        FOR UPDATE SKIP LOCKED) \
        RETURNING id, org_id, plugin_id, group_id, kind, key, payload, due_at, attempts";
    let until = now.saturating_add(lease_ms);
    let mut rows: Vec<TimerRow> = match tx.conn_mut() {
        Db::Sqlite(c) => {
            sqlx::query_as(SQLITE)
                .bind(node)
                .bind(until)
                .bind(now)
                .bind(limit)
                .fetch_all(&mut *c)
                .await?
        }
        Db::Postgres(c) => {
            sqlx::query_as(POSTGRES)
                .bind(node)
                .bind(until)
                .bind(now)
                .bind(limit)
                .fetch_all(&mut *c)
                .await?
        }
    };
    // RETURNING promises no order.
    rows.sort_by(|a, b| (a.due_at, &a.id).cmp(&(b.due_at, &b.id)));
    Ok(rows)
}

/// Finishes a run, only if `node` still holds the claim. With `next_due` (a scheduled job)
/// the row stays, due then, with no claim, attempts or error; without, it is deleted.
/// False when the claim was lost (lease ran out and another node took it) or the timer was
/// replaced or cancelled meanwhile.
pub async fn complete(
    tx: &mut WriteTx,
    id: &str,
    node: &str,
    next_due: Option<i64>,
) -> Result<bool> {
    const NEXT: &str = "UPDATE plugin_timers SET due_at = $3, claimed_by = NULL, claimed_until = NULL, \
        attempts = 0, last_error = NULL WHERE id = $1 AND claimed_by = $2";
    const DONE: &str = "DELETE FROM plugin_timers WHERE id = $1 AND claimed_by = $2";
    let n = match next_due {
        Some(due) => on_tx!(tx, c => sqlx::query(NEXT).bind(id).bind(node).bind(due)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?,
        None => on_tx!(tx, c => sqlx::query(DONE).bind(id).bind(node)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?,
    };
    Ok(n > 0)
}

/// Records a failed run, only if `node` still holds the claim: with `retry_at` the row
/// counts the attempt, keeps `error` and is due again then, unclaimed; without, it is
/// deleted (given up). A scheduled job should retry at its next occurrence at the latest.
pub async fn fail(
    tx: &mut WriteTx,
    id: &str,
    node: &str,
    retry_at: Option<i64>,
    error: &str,
) -> Result<bool> {
    const RETRY: &str = "UPDATE plugin_timers SET attempts = attempts + 1, last_error = $3, due_at = $4, \
        claimed_by = NULL, claimed_until = NULL WHERE id = $1 AND claimed_by = $2";
    const GIVE_UP: &str = "DELETE FROM plugin_timers WHERE id = $1 AND claimed_by = $2";
    let n = match retry_at {
        Some(at) => on_tx!(tx, c => sqlx::query(RETRY).bind(id).bind(node).bind(error).bind(at)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?,
        None => on_tx!(tx, c => sqlx::query(GIVE_UP).bind(id).bind(node)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?,
    };
    Ok(n > 0)
}

/// Makes a plugin's scheduled jobs in one organization match `schedules` (name, first due
/// time): a missing job is added, due at its first due time; a listed one keeps its due time
/// (and claim), taking the group given; a job no longer listed is removed.
pub async fn sync_schedules(
    tx: &mut WriteTx,
    org: &str,
    plugin: &str,
    group: Option<&str>,
    schedules: &[(String, i64)],
) -> Result<()> {
    const ENSURE: &str = "INSERT INTO plugin_timers (id, org_id, plugin_id, group_id, kind, key, payload, due_at, \
        attempts, created_at) VALUES ($1, $2, $3, $4, 'schedule', $5, '', $6, 0, $7) \
        ON CONFLICT (org_id, plugin_id, kind, key) DO UPDATE SET group_id = excluded.group_id";
    const NAMES: &str =
        "SELECT key FROM plugin_timers WHERE org_id = $1 AND plugin_id = $2 AND kind = 'schedule'";
    const REMOVE: &str = "DELETE FROM plugin_timers WHERE org_id = $1 AND plugin_id = $2 AND kind = 'schedule' AND key = $3";
    let now = tx.now();
    for (name, first_due) in schedules {
        // A UUIDv7, like every id; only used when the row is new.
        let id = courtyard_domain::MessageId::generate().into_string();
        on_tx!(tx, c => sqlx::query(ENSURE)
            .bind(&id).bind(org).bind(plugin).bind(group).bind(name).bind(*first_due).bind(now)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    }
    let stored: Vec<String> =
        on_tx!(tx, c => sqlx::query_scalar(NAMES).bind(org).bind(plugin).fetch_all(&mut *c).await)?;
    for name in stored {
        if !schedules.iter().any(|(n, _)| *n == name) {
            on_tx!(tx, c => sqlx::query(REMOVE).bind(org).bind(plugin).bind(&name)
                .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        }
    }
    Ok(())
}

/// Removes every timer and scheduled job of a plugin in one organization (uninstall).
pub async fn delete_all(tx: &mut WriteTx, org: &str, plugin: &str) -> Result<()> {
    const SQL: &str = "DELETE FROM plugin_timers WHERE org_id = $1 AND plugin_id = $2";
    on_tx!(tx, c => sqlx::query(SQL).bind(org).bind(plugin).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A plugin's timers and scheduled jobs in one organization, earliest due first.
pub async fn list(pools: &Pools, org: &str, plugin: &str) -> Result<Vec<TimerRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM plugin_timers WHERE org_id = $1 AND plugin_id = $2 ORDER BY due_at, id"
    );
    Ok(on_db!(pools, p => sqlx::query_as(&sql).bind(org).bind(plugin).fetch_all(p).await)?)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::super::records::test_db::{Backend, TestDb, both_backends};
    use super::*;

    const ORG: &str = "org-1";
    const PLUGIN: &str = "reminders";

    fn timer(id: &str, key: &str, due_at: i64) -> TimerRow {
        TimerRow {
            id: id.into(),
            org_id: ORG.into(),
            plugin_id: PLUGIN.into(),
            group_id: Some("g1".into()),
            kind: KIND_TIMER.into(),
            key: key.into(),
            payload: format!("payload of {id}"),
            due_at,
            attempts: 0,
        }
    }

    async fn set_row(db: &TestDb, row: TimerRow) -> String {
        db.write(move |tx| Box::pin(async move { set(tx, &row).await }))
            .await
    }

    async fn claim(db: &TestDb, node: &str, now: i64, lease: i64, limit: i64) -> Vec<TimerRow> {
        let node = node.to_owned();
        db.write(move |tx| Box::pin(async move { claim_due(tx, &node, now, lease, limit).await }))
            .await
    }

    async fn finish(db: &TestDb, id: &str, node: &str, next: Option<i64>) -> bool {
        let (id, node) = (id.to_owned(), node.to_owned());
        db.write(move |tx| Box::pin(async move { complete(tx, &id, &node, next).await }))
            .await
    }

    async fn failed(db: &TestDb, id: &str, node: &str, retry: Option<i64>, error: &str) -> bool {
        let (id, node, error) = (id.to_owned(), node.to_owned(), error.to_owned());
        db.write(move |tx| Box::pin(async move { fail(tx, &id, &node, retry, &error).await }))
            .await
    }

    /// (claimed_by, claimed_until, last_error) of a row, which `TimerRow` leaves out.
    async fn state(db: &TestDb, id: &str) -> Option<(Option<String>, Option<i64>, Option<String>)> {
        const SQL: &str =
            "SELECT claimed_by, claimed_until, last_error FROM plugin_timers WHERE id = $1";
        on_db!(db.pools(), p => sqlx::query_as(SQL).bind(id).fetch_optional(p).await).unwrap()
    }

    async fn set_replace_cancel(backend: Backend) {
        let db = TestDb::open(backend).await;
        assert_eq!(set_row(&db, timer("t1", "remind", 500)).await, "t1");
        set_row(&db, timer("t2", "other", 900)).await;
        // The same key under another plugin or kind is a different timer.
        set_row(
            &db,
            TimerRow {
                plugin_id: "p2".into(),
                ..timer("t3", "remind", 500)
            },
        )
        .await;
        let count_of = |plugin: &'static str| {
            db.write(move |tx| Box::pin(async move { count(tx, ORG, plugin).await }))
        };
        assert_eq!(count_of(PLUGIN).await, 2);

        // A claimed, failed timer replaced by key: new id, due time, payload and group; no
        // attempts, no claim, no error.
        assert_eq!(claim(&db, "node-a", 600, 1000, 10).await.len(), 2);
        assert!(failed(&db, "t1", "node-a", Some(700), "boom").await);
        assert_eq!(claim(&db, "node-a", 700, 1000, 10).await[0].id, "t1");
        let replaced = TimerRow {
            group_id: None,
            payload: "new".into(),
            ..timer("t9", "remind", 800)
        };
        assert_eq!(set_row(&db, replaced.clone()).await, "t9");
        let rows = list(db.pools(), ORG, PLUGIN).await.unwrap();
        assert_eq!(rows, vec![replaced, timer("t2", "other", 900)]);
        assert_eq!(state(&db, "t9").await, Some((None, None, None)));
        assert_eq!(state(&db, "t1").await, None);
        // The node running the old timer can no longer finish it.
        assert!(!finish(&db, "t1", "node-a", None).await);
        assert_eq!(count_of(PLUGIN).await, 2);

        let cancel_key = |key: &'static str| {
            db.write(move |tx| {
                Box::pin(async move { cancel(tx, ORG, PLUGIN, KIND_TIMER, key).await })
            })
        };
        assert!(cancel_key("remind").await);
        assert!(!cancel_key("remind").await);
        assert_eq!(count_of(PLUGIN).await, 1);
        assert_eq!(count_of("p2").await, 1);

        db.write(|tx| Box::pin(async move { delete_all(tx, ORG, PLUGIN).await }))
            .await;
        assert!(list(db.pools(), ORG, PLUGIN).await.unwrap().is_empty());
        assert_eq!(list(db.pools(), ORG, "p2").await.unwrap().len(), 1);
    }

    async fn claims_and_leases(backend: Backend) {
        let db = TestDb::open(backend).await;
        set_row(&db, timer("t-late", "c", 300)).await;
        set_row(&db, timer("t-b", "b", 200)).await;
        set_row(&db, timer("t-a", "a", 100)).await;

        // Nothing is due before its time; then earliest first, up to the limit.
        assert!(claim(&db, "node-a", 99, 1000, 10).await.is_empty());
        let got = claim(&db, "node-a", 250, 1000, 1).await;
        assert_eq!(got, vec![timer("t-a", "a", 100)]);
        let got = claim(&db, "node-a", 250, 1000, 10).await;
        assert_eq!(got, vec![timer("t-b", "b", 200)]);
        assert_eq!(
            state(&db, "t-a").await,
            Some((Some("node-a".into()), Some(1250), None))
        );

        // Held rows are not handed out again, to anyone, while the lease lasts.
        assert!(claim(&db, "node-b", 250, 1000, 10).await.is_empty());
        let got = claim(&db, "node-b", 1250, 1000, 10).await;
        assert_eq!(
            got,
            vec![timer("t-late", "c", 300)],
            "a lease ending now still holds"
        );

        // After the lease runs out another node takes the row; the first can't finish it.
        let got = claim(&db, "node-b", 1251, 1000, 10).await;
        let ids: Vec<_> = got.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["t-a", "t-b"]);
        assert!(!finish(&db, "t-a", "node-a", None).await);
        assert!(!failed(&db, "t-b", "node-a", Some(5000), "late").await);
        assert!(finish(&db, "t-a", "node-b", None).await);
        assert_eq!(state(&db, "t-a").await, None);
        assert!(!finish(&db, "t-a", "node-b", None).await);
    }

    async fn complete_and_fail(backend: Backend) {
        let db = TestDb::open(backend).await;
        let schedule = TimerRow {
            kind: KIND_SCHEDULE.into(),
            ..timer("s1", "daily", 100)
        };
        set_row(&db, schedule.clone()).await;
        set_row(&db, timer("t1", "once", 100)).await;
        set_row(&db, timer("t2", "flaky", 100)).await;
        assert_eq!(claim(&db, "n", 100, 50, 10).await.len(), 3);

        // A schedule completes into its next occurrence.
        assert!(finish(&db, "s1", "n", Some(86_400_100)).await);
        // A one-shot timer completes away.
        assert!(finish(&db, "t1", "n", None).await);
        assert_eq!(state(&db, "t1").await, None);

        // A failure counts, keeps the error, and comes due again unclaimed.
        assert!(failed(&db, "t2", "n", Some(1000), "first").await);
        assert_eq!(
            state(&db, "t2").await,
            Some((None, None, Some("first".into())))
        );
        assert!(claim(&db, "m", 999, 50, 10).await.is_empty());
        let got = claim(&db, "m", 1000, 50, 10).await;
        assert_eq!(
            got,
            vec![TimerRow {
                due_at: 1000,
                attempts: 1,
                ..timer("t2", "flaky", 100)
            }]
        );
        assert!(!failed(&db, "t2", "n", Some(2000), "not mine").await);
        assert!(failed(&db, "t2", "m", Some(2000), "second").await);
        assert_eq!(claim(&db, "m", 2000, 50, 10).await[0].attempts, 2);
        // Giving up deletes it.
        assert!(failed(&db, "t2", "m", None, "third").await);
        assert_eq!(state(&db, "t2").await, None);

        // The schedule failed once, then succeeded: attempts and error are cleared.
        let got = claim(&db, "n", 86_400_100, 50, 10).await;
        assert_eq!(got.len(), 1);
        assert!(failed(&db, "s1", "n", Some(86_400_200), "oops").await);
        assert_eq!(claim(&db, "n", 86_400_200, 50, 10).await[0].attempts, 1);
        assert!(finish(&db, "s1", "n", Some(172_800_100)).await);
        let rows = list(db.pools(), ORG, PLUGIN).await.unwrap();
        assert_eq!(
            rows,
            vec![TimerRow {
                due_at: 172_800_100,
                ..schedule
            }]
        );
        assert_eq!(state(&db, "s1").await, Some((None, None, None)));
    }

    async fn schedules_sync(backend: Backend) {
        let db = TestDb::open(backend).await;
        let sync = |plugin: &'static str, group: Option<&'static str>, list: &[(&str, i64)]| {
            let list: Vec<(String, i64)> = list.iter().map(|(n, d)| (n.to_string(), *d)).collect();
            db.write(move |tx| {
                Box::pin(async move { sync_schedules(tx, ORG, plugin, group, &list).await })
            })
        };
        // A plugin timer that happens to share a job's name is not a schedule.
        set_row(&db, timer("t1", "digest", 50)).await;
        sync(PLUGIN, None, &[("digest", 100), ("cleanup", 200)]).await;
        sync("p2", Some("g2"), &[("digest", 100)]).await;
        let keys = |rows: &[TimerRow]| {
            rows.iter()
                .map(|r| (r.kind.clone(), r.key.clone(), r.due_at, r.group_id.clone()))
                .collect::<Vec<_>>()
        };
        let rows = list(db.pools(), ORG, PLUGIN).await.unwrap();
        assert_eq!(
            keys(&rows),
            [
                ("timer".into(), "digest".into(), 50, Some("g1".into())),
                ("schedule".into(), "digest".into(), 100, None),
                ("schedule".into(), "cleanup".into(), 200, None),
            ]
        );
        assert!(rows.iter().all(|r| r.attempts == 0));
        assert_eq!(
            db.write(|tx| Box::pin(async move { count(tx, ORG, PLUGIN).await }))
                .await,
            1,
            "scheduled jobs are not counted against the timer quota"
        );

        // Syncing again keeps existing due times (and claims), adds new jobs, drops old ones.
        // (Claims span every plugin: p2's job is due too.)
        let claimed = claim(&db, "n", 150, 1000, 10).await;
        assert_eq!(claimed.len(), 3);
        let digest_id = rows[1].id.clone();
        sync(PLUGIN, Some("g9"), &[("digest", 9999), ("weekly", 300)]).await;
        let rows = list(db.pools(), ORG, PLUGIN).await.unwrap();
        assert_eq!(
            keys(&rows),
            [
                ("timer".into(), "digest".into(), 50, Some("g1".into())),
                ("schedule".into(), "digest".into(), 100, Some("g9".into())),
                ("schedule".into(), "weekly".into(), 300, Some("g9".into())),
            ]
        );
        assert_eq!(rows[1].id, digest_id);
        assert_eq!(
            state(&db, &digest_id).await.unwrap().0.as_deref(),
            Some("n")
        );

        // An empty list removes every job; other plugins keep theirs.
        sync(PLUGIN, None, &[]).await;
        let rows = list(db.pools(), ORG, PLUGIN).await.unwrap();
        assert_eq!(keys(&rows).len(), 1);
        assert_eq!(rows[0].kind, "timer");
        assert_eq!(list(db.pools(), ORG, "p2").await.unwrap().len(), 1);
    }

    /// Many claimers at once, on PostgreSQL from several host processes: every due row goes
    /// to exactly one of them.
    async fn concurrent_claims_are_disjoint(backend: Backend) {
        const TIMERS: usize = 300;
        let db = TestDb::open(backend).await;
        let rows: Vec<TimerRow> = (0..TIMERS)
            .map(|i| timer(&format!("t{i:04}"), &format!("k{i}"), (i % 7) as i64))
            .collect();
        db.write(move |tx| {
            Box::pin(async move {
                for row in &rows {
                    set(tx, row).await?;
                }
                Ok(())
            })
        })
        .await;

        let mut writers = vec![db.writer.clone()];
        let mut nodes = Vec::new();
        if backend == Backend::Postgres {
            for _ in 0..4 {
                let (store, writer) = db.another_node().await;
                writers.push(writer);
                nodes.push(store);
            }
        }
        let mut tasks = Vec::new();
        for claimer in 0..20 {
            let writer = writers[claimer % writers.len()].clone();
            tasks.push(tokio::spawn(async move {
                let node = format!("node-{claimer}");
                let mut mine = Vec::new();
                loop {
                    let node = node.clone();
                    let got = writer
                        .write(move |tx| {
                            Box::pin(async move { claim_due(tx, &node, 100, 60_000, 7).await })
                        })
                        .await
                        .expect("claim");
                    if got.is_empty() {
                        break;
                    }
                    mine.extend(got.into_iter().map(|r| r.id));
                    tokio::task::yield_now().await;
                }
                (node, mine)
            }));
        }
        let mut all = HashSet::new();
        let mut by_node = Vec::new();
        for t in tasks {
            let (node, mine) = t.await.unwrap();
            for id in &mine {
                assert!(all.insert(id.clone()), "{id} was handed out twice");
            }
            by_node.push((node, mine));
        }
        assert_eq!(all.len(), TIMERS, "every due row is claimed");
        // Storage agrees with what each claimer was told.
        for (node, mine) in by_node {
            for id in mine {
                assert_eq!(state(&db, &id).await.unwrap().0, Some(node.clone()));
            }
        }
        for node in nodes {
            node.close().await;
        }
    }

    both_backends!(
        set_replace_cancel,
        claims_and_leases,
        complete_and_fail,
        schedules_sync,
        concurrent_claims_are_disjoint,
    );
}
