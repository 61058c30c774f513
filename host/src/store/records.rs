//! Plugin records (contract 0.2.0 `records`): JSON documents per organization, plugin and
//! collection, versioned for compare-and-set writes, with typed links to people, groups and
//! messages that can be searched newest update first.
//!
//! A record's links carry its `updated_at`, so a search by target pages on the links' index
//! alone. Pages are keyset pages on `(updated_at, id)`, newest first.

use super::writer::{WriteTx, on_tx};
use super::{Pools, Result, on_db};

/// One link of a record: `rel` names the relation; `target_kind` is `person`, `group` or
/// `message`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkRow {
    pub rel: String,
    pub target_kind: String,
    pub target_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RecordRow {
    pub org_id: String,
    pub plugin_id: String,
    pub collection: String,
    pub id: String,
    pub data: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// Sorted by (rel, target_kind, target_id).
    #[sqlx(skip)]
    pub links: Vec<LinkRow>,
}

/// Where a page ended: the last record's `(updated_at, id)`. The next page starts after it.
pub type Cursor = (i64, String);

/// A write lost a compare-and-set race.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The stored version, or `None` when there is no such record.
    pub current_version: Option<i64>,
}

const COLUMNS: &str = "org_id, plugin_id, collection, id, data, version, created_at, updated_at";
const R_COLUMNS: &str =
    "r.org_id, r.plugin_id, r.collection, r.id, r.data, r.version, r.created_at, r.updated_at";

/// Records whose links are loaded with one query (bind-parameter limits stay far away).
const LINK_CHUNK: usize = 500;
/// Links inserted per statement.
const INSERT_CHUNK: usize = 100;

/// Stands for "no cursor": `(updated_at, id) < (i64::MAX, '')` holds for every stored row.
fn after(cursor: Option<Cursor>) -> (i64, String) {
    cursor.unwrap_or((i64::MAX, String::new()))
}

/// Splits a page fetched with one extra row into the page and the next cursor.
fn page(mut rows: Vec<RecordRow>, limit: i64) -> (Vec<RecordRow>, Option<Cursor>) {
    let limit = usize::try_from(limit).unwrap_or(0);
    if rows.len() > limit {
        rows.truncate(limit);
        let last = rows.last().map(|r| (r.updated_at, r.id.clone()));
        (rows, last)
    } else {
        (rows, None)
    }
}

/// Fills in the links of records of one collection, one query per [`LINK_CHUNK`] records.
async fn attach_links(
    pools: &Pools,
    org: &str,
    plugin: &str,
    collection: &str,
    rows: &mut [RecordRow],
) -> Result<()> {
    for chunk in rows.chunks_mut(LINK_CHUNK) {
        let placeholders = (0..chunk.len())
            .map(|i| format!("${}", i + 4))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT record_id, rel, target_kind, target_id FROM plugin_record_links \
             WHERE org_id = $1 AND plugin_id = $2 AND collection = $3 AND record_id IN ({placeholders}) \
             ORDER BY record_id, rel, target_kind, target_id"
        );
        let links: Vec<(String, String, String, String)> = on_db!(pools, p => {
            let mut q = sqlx::query_as(&sql).bind(org).bind(plugin).bind(collection);
            for r in chunk.iter() {
                q = q.bind(r.id.as_str());
            }
            q.fetch_all(p).await
        })?;
        for (record_id, rel, target_kind, target_id) in links {
            if let Some(r) = chunk.iter_mut().find(|r| r.id == record_id) {
                r.links.push(LinkRow {
                    rel,
                    target_kind,
                    target_id,
                });
            }
        }
    }
    Ok(())
}

/// One record with its links.
pub async fn get(
    pools: &Pools,
    org: &str,
    plugin: &str,
    collection: &str,
    id: &str,
) -> Result<Option<RecordRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM plugin_records WHERE org_id = $1 AND plugin_id = $2 AND collection = $3 AND id = $4"
    );
    let found: Option<RecordRow> = on_db!(pools, p => sqlx::query_as(&sql)
        .bind(org).bind(plugin).bind(collection).bind(id).fetch_optional(p).await)?;
    let Some(row) = found else {
        return Ok(None);
    };
    let mut rows = [row];
    attach_links(pools, org, plugin, collection, &mut rows).await?;
    let [row] = rows;
    Ok(Some(row))
}

/// Creates (`expected_version` 0: only if absent) or replaces (only if the stored version
/// is `expected_version`) a record and its links; returns the new version,
/// `expected_version + 1`. The check and the write are one conditional statement, so of
/// two racing writers (even on two hosts sharing PostgreSQL) exactly one wins.
#[allow(clippy::too_many_arguments)]
pub async fn put(
    tx: &mut WriteTx,
    org: &str,
    plugin: &str,
    collection: &str,
    id: &str,
    data: &str,
    links: &[LinkRow],
    expected_version: i64,
    now: i64,
) -> Result<Result<i64, Conflict>> {
    const CREATE: &str = "INSERT INTO plugin_records (org_id, plugin_id, collection, id, data, version, created_at, updated_at) \
        VALUES ($1, $2, $3, $4, $5, 1, $6, $6) ON CONFLICT (org_id, plugin_id, collection, id) DO NOTHING";
    const REPLACE: &str = "UPDATE plugin_records SET data = $5, version = $6, updated_at = $7 \
        WHERE org_id = $1 AND plugin_id = $2 AND collection = $3 AND id = $4 AND version = $8";
    const VERSION: &str = "SELECT version FROM plugin_records WHERE org_id = $1 AND plugin_id = $2 AND collection = $3 AND id = $4";
    const UNLINK: &str = "DELETE FROM plugin_record_links WHERE org_id = $1 AND plugin_id = $2 AND collection = $3 AND record_id = $4";

    let written = if expected_version == 0 {
        on_tx!(tx, c => sqlx::query(CREATE)
            .bind(org).bind(plugin).bind(collection).bind(id).bind(data).bind(now)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?
    } else {
        on_tx!(tx, c => sqlx::query(REPLACE)
            .bind(org).bind(plugin).bind(collection).bind(id).bind(data)
            .bind(expected_version + 1).bind(now).bind(expected_version)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?
    };
    if written == 0 {
        let current_version: Option<i64> = on_tx!(tx, c => sqlx::query_scalar(VERSION)
            .bind(org).bind(plugin).bind(collection).bind(id).fetch_optional(&mut *c).await)?;
        return Ok(Err(Conflict { current_version }));
    }

    on_tx!(tx, c => sqlx::query(UNLINK).bind(org).bind(plugin).bind(collection).bind(id)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    for chunk in links.chunks(INSERT_CHUNK) {
        // Eight parameters per link; a link listed twice is stored once.
        let values = (0..chunk.len())
            .map(|i| {
                let b = i * 8;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO plugin_record_links (org_id, plugin_id, collection, record_id, rel, target_kind, target_id, updated_at) \
             VALUES {values} ON CONFLICT DO NOTHING"
        );
        on_tx!(tx, c => {
            let mut q = sqlx::query(&sql);
            for l in chunk {
                q = q.bind(org).bind(plugin).bind(collection).bind(id)
                    .bind(l.rel.as_str()).bind(l.target_kind.as_str()).bind(l.target_id.as_str()).bind(now);
            }
            q.execute(&mut *c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(Ok(expected_version + 1))
}

/// Deletes a record and its links; false when there was none.
pub async fn delete(
    tx: &mut WriteTx,
    org: &str,
    plugin: &str,
    collection: &str,
    id: &str,
) -> Result<bool> {
    const UNLINK: &str = "DELETE FROM plugin_record_links WHERE org_id = $1 AND plugin_id = $2 AND collection = $3 AND record_id = $4";
    const DELETE: &str = "DELETE FROM plugin_records WHERE org_id = $1 AND plugin_id = $2 AND collection = $3 AND id = $4";
    on_tx!(tx, c => sqlx::query(UNLINK).bind(org).bind(plugin).bind(collection).bind(id)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    let n = on_tx!(tx, c => sqlx::query(DELETE).bind(org).bind(plugin).bind(collection).bind(id)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// Records of a collection linked to a target, by `rel` or (with `None`) by any relation
/// (each record once), newest update first, after `cursor`. Returns the page and the cursor
/// of the next one (`None` on the last page).
#[allow(clippy::too_many_arguments)]
pub async fn find(
    pools: &Pools,
    org: &str,
    plugin: &str,
    collection: &str,
    rel: Option<&str>,
    target_kind: &str,
    target_id: &str,
    cursor: Option<Cursor>,
    limit: i64,
) -> Result<(Vec<RecordRow>, Option<Cursor>)> {
    let (after_at, after_id) = after(cursor);
    let join = "FROM plugin_record_links l JOIN plugin_records r ON r.org_id = l.org_id \
        AND r.plugin_id = l.plugin_id AND r.collection = l.collection AND r.id = l.record_id \
        WHERE l.org_id = $1 AND l.plugin_id = $2 AND l.collection = $3 AND l.target_kind = $4 AND l.target_id = $5";
    let rows: Vec<RecordRow> = match rel {
        // (rel, target) is part of the links' key: each record matches at most once.
        Some(rel) => {
            let sql = format!(
                "SELECT {R_COLUMNS} {join} AND l.rel = $6 AND (l.updated_at, l.record_id) < ($7, $8) \
                 ORDER BY l.updated_at DESC, l.record_id DESC LIMIT $9"
            );
            on_db!(pools, p => sqlx::query_as(&sql)
                .bind(org).bind(plugin).bind(collection).bind(target_kind).bind(target_id)
                .bind(rel).bind(after_at).bind(after_id.as_str()).bind(limit.saturating_add(1))
                .fetch_all(p).await)?
        }
        // A record linked to the target by several relations matches once per relation.
        None => {
            let sql = format!(
                "SELECT DISTINCT {R_COLUMNS} {join} AND (l.updated_at, l.record_id) < ($6, $7) \
                 ORDER BY r.updated_at DESC, r.id DESC LIMIT $8"
            );
            on_db!(pools, p => sqlx::query_as(&sql)
                .bind(org).bind(plugin).bind(collection).bind(target_kind).bind(target_id)
                .bind(after_at).bind(after_id.as_str()).bind(limit.saturating_add(1))
                .fetch_all(p).await)?
        }
    };
    let (mut rows, next) = page(rows, limit);
    attach_links(pools, org, plugin, collection, &mut rows).await?;
    Ok((rows, next))
}

/// All records of a collection, newest update first, after `cursor`.
pub async fn list(
    pools: &Pools,
    org: &str,
    plugin: &str,
    collection: &str,
    cursor: Option<Cursor>,
    limit: i64,
) -> Result<(Vec<RecordRow>, Option<Cursor>)> {
    let (after_at, after_id) = after(cursor);
    let sql = format!(
        "SELECT {COLUMNS} FROM plugin_records WHERE org_id = $1 AND plugin_id = $2 AND collection = $3 \
         AND (updated_at, id) < ($4, $5) ORDER BY updated_at DESC, id DESC LIMIT $6"
    );
    let rows: Vec<RecordRow> = on_db!(pools, p => sqlx::query_as(&sql)
        .bind(org).bind(plugin).bind(collection).bind(after_at).bind(after_id.as_str())
        .bind(limit.saturating_add(1))
        .fetch_all(p).await)?;
    let (mut rows, next) = page(rows, limit);
    attach_links(pools, org, plugin, collection, &mut rows).await?;
    Ok((rows, next))
}

/// Counts a plugin's records in one organization and the bytes they take (UTF-8 bytes of
/// collection, id and data of each record, plus rel and target id of each link).
const USAGE: &str = "SELECT \
    (SELECT COUNT(*) FROM plugin_records WHERE org_id = $1 AND plugin_id = $2), \
    (SELECT COALESCE(SUM(OCTET_LENGTH(collection) + OCTET_LENGTH(id) + OCTET_LENGTH(data)), 0) \
        FROM plugin_records WHERE org_id = $1 AND plugin_id = $2) \
    + (SELECT COALESCE(SUM(OCTET_LENGTH(rel) + OCTET_LENGTH(target_id)), 0) \
        FROM plugin_record_links WHERE org_id = $1 AND plugin_id = $2)";

/// `(records, bytes)` a plugin stores in one organization, inside the write (for quotas).
pub async fn usage(tx: &mut WriteTx, org: &str, plugin: &str) -> Result<(i64, i64)> {
    Ok(on_tx!(tx, c => sqlx::query_as(USAGE).bind(org).bind(plugin).fetch_one(&mut *c).await)?)
}

/// `(records, bytes)` a plugin stores in one organization, from a read pool (for display).
pub async fn usage_of(pools: &Pools, org: &str, plugin: &str) -> Result<(i64, i64)> {
    Ok(on_db!(pools, p => sqlx::query_as(USAGE).bind(org).bind(plugin).fetch_one(p).await)?)
}

/// Removes every record and link of a plugin in one organization (uninstall).
pub async fn delete_all(tx: &mut WriteTx, org: &str, plugin: &str) -> Result<()> {
    const STEPS: [&str; 2] = [
        "DELETE FROM plugin_record_links WHERE org_id = $1 AND plugin_id = $2",
        "DELETE FROM plugin_records WHERE org_id = $1 AND plugin_id = $2",
    ];
    for sql in STEPS {
        on_tx!(tx, c => sqlx::query(sql).bind(org).bind(plugin).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// A fresh database per test on either backend, shared by the store's tests.
#[cfg(test)]
pub(crate) mod test_db {
    use std::path::PathBuf;

    use crate::store::writer::{BoxFuture, WriteTx, Writer};
    use crate::store::{Pools, Result, Store};

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(crate) enum Backend {
        Sqlite,
        Postgres,
    }

    /// Generates `sqlite` and `postgres` tests from `async fn name(backend: Backend)`.
    /// PostgreSQL comes from `COURTYARD_TEST_DATABASE_URL` (default
    /// `postgres://postgres@127.0.0.1:5432/test`); `COURTYARD_TEST_SKIP_POSTGRES=1` opts out.
    macro_rules! both_backends {
        ($($name:ident),+ $(,)?) => {$(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    super::$name($crate::store::records::test_db::Backend::Sqlite).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    if $crate::store::records::test_db::skip_postgres() {
                        return;
                    }
                    super::$name($crate::store::records::test_db::Backend::Postgres).await;
                }
            }
        )+};
    }
    pub(crate) use both_backends;

    pub(crate) fn skip_postgres() -> bool {
        let skip = std::env::var("COURTYARD_TEST_SKIP_POSTGRES").is_ok_and(|v| v == "1");
        if skip {
            eprintln!(
                "COURTYARD_TEST_SKIP_POSTGRES=1: skipping the PostgreSQL variant (opted out)"
            );
        }
        skip
    }

    enum Location {
        Sqlite(PathBuf),
        Postgres { admin_url: String, db: String },
    }

    /// A migrated database with a writer; removed on drop.
    pub(crate) struct TestDb {
        pub store: Store,
        pub writer: Writer,
        location: Location,
    }

    fn unique() -> String {
        courtyard_domain::MessageId::generate()
            .as_str()
            .replace('-', "")
    }

    impl TestDb {
        pub async fn open(backend: Backend) -> TestDb {
            let location = match backend {
                Backend::Sqlite => Location::Sqlite(
                    std::env::temp_dir().join(format!("courtyard-store-test-{}", unique())),
                ),
                Backend::Postgres => {
                    let admin_url = std::env::var("COURTYARD_TEST_DATABASE_URL")
                        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
                    let db = format!("cy_store_test_{}", unique());
                    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url)
                        .await
                        .unwrap_or_else(|e| panic!("PostgreSQL at {admin_url} is required for this test ({e}); set COURTYARD_TEST_SKIP_POSTGRES=1 to opt out"));
                    sqlx::query(&format!("CREATE DATABASE {db}"))
                        .execute(&mut conn)
                        .await
                        .expect("create test database");
                    Location::Postgres { admin_url, db }
                }
            };
            let store = Self::store_at(&location).await;
            let writer = Writer::start(store.write.clone(), Box::new(|_| {}));
            TestDb {
                store,
                writer,
                location,
            }
        }

        async fn store_at(location: &Location) -> Store {
            match location {
                Location::Sqlite(dir) => Store::open(None, dir).await,
                Location::Postgres { admin_url, db } => {
                    let base = admin_url
                        .rsplit_once('/')
                        .map(|(b, _)| b)
                        .unwrap_or(admin_url);
                    let url = format!("{base}/{db}");
                    Store::open(Some(&url), &std::env::temp_dir()).await
                }
            }
            .expect("open store")
        }

        /// Another host process on the same database: its own pools and its own writer.
        /// Only meaningful on PostgreSQL (SQLite deployments have one host).
        pub async fn another_node(&self) -> (Store, Writer) {
            let store = Self::store_at(&self.location).await;
            let writer = Writer::start(store.write.clone(), Box::new(|_| {}));
            (store, writer)
        }

        pub fn pools(&self) -> &Pools {
            &self.store.read
        }

        /// Runs `f` in the writer and unwraps its result.
        pub async fn write<T, F>(&self, f: F) -> T
        where
            T: Send + 'static,
            F: for<'a> FnOnce(&'a mut WriteTx) -> BoxFuture<'a, Result<T>> + Send + 'static,
        {
            self.writer.write(f).await.expect("write")
        }
    }

    impl Drop for TestDb {
        fn drop(&mut self) {
            match &self.location {
                Location::Sqlite(dir) => {
                    let _ = std::fs::remove_dir_all(dir);
                }
                Location::Postgres { admin_url, db } => {
                    let (admin_url, db) = (admin_url.clone(), db.clone());
                    // Drop is synchronous; a private runtime on its own thread cleans up.
                    let _ = std::thread::spawn(move || {
                        let rt = tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                            .ok()?;
                        rt.block_on(async {
                            let mut conn =
                                <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url)
                                    .await
                                    .ok()?;
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                                .execute(&mut conn)
                                .await
                                .ok()
                        })
                    })
                    .join();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_db::{Backend, TestDb, both_backends};
    use super::*;

    const ORG: &str = "org-1";
    const PLUGIN: &str = "approvals";

    fn link(rel: &str, kind: &str, id: &str) -> LinkRow {
        LinkRow {
            rel: rel.into(),
            target_kind: kind.into(),
            target_id: id.into(),
        }
    }

    async fn put_as(
        db: &TestDb,
        (org, plugin, collection, id): (&str, &str, &str, &str),
        data: &str,
        links: Vec<LinkRow>,
        expected: i64,
        now: i64,
    ) -> Result<i64, Conflict> {
        let (org, plugin, collection, id, data) = (
            org.to_owned(),
            plugin.to_owned(),
            collection.to_owned(),
            id.to_owned(),
            data.to_owned(),
        );
        db.write(move |tx| {
            Box::pin(async move {
                put(
                    tx,
                    &org,
                    &plugin,
                    &collection,
                    &id,
                    &data,
                    &links,
                    expected,
                    now,
                )
                .await
            })
        })
        .await
    }

    async fn put_one(
        db: &TestDb,
        id: &str,
        links: Vec<LinkRow>,
        expected: i64,
        now: i64,
    ) -> Result<i64, Conflict> {
        put_as(
            db,
            (ORG, PLUGIN, "requests", id),
            r#"{"n":1}"#,
            links,
            expected,
            now,
        )
        .await
    }

    async fn create_update_delete(backend: Backend) {
        let db = TestDb::open(backend).await;
        let pools = db.pools();
        assert_eq!(
            get(pools, ORG, PLUGIN, "requests", "r1").await.unwrap(),
            None
        );

        let alice = link("submitter", "person", "alice");
        assert_eq!(put_one(&db, "r1", vec![alice.clone()], 0, 100).await, Ok(1));
        let r = get(pools, ORG, PLUGIN, "requests", "r1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (r.version, r.created_at, r.updated_at, r.data.as_str()),
            (1, 100, 100, r#"{"n":1}"#)
        );
        assert_eq!(r.links, vec![alice.clone()]);

        // Creating again, or writing at a stale or future version, is a conflict.
        let stored = Err(Conflict {
            current_version: Some(1),
        });
        assert_eq!(put_one(&db, "r1", vec![], 0, 110).await, stored);
        assert_eq!(put_one(&db, "r1", vec![], 2, 110).await, stored);
        assert_eq!(
            put_one(&db, "absent", vec![], 1, 110).await,
            Err(Conflict {
                current_version: None
            })
        );
        assert_eq!(
            get(pools, ORG, PLUGIN, "requests", "absent").await.unwrap(),
            None
        );

        let updated = put_as(
            &db,
            (ORG, PLUGIN, "requests", "r1"),
            r#"{"n":2}"#,
            vec![alice],
            1,
            200,
        )
        .await;
        assert_eq!(updated, Ok(2));
        let r = get(pools, ORG, PLUGIN, "requests", "r1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (r.version, r.created_at, r.updated_at, r.data.as_str()),
            (2, 100, 200, r#"{"n":2}"#)
        );

        // Other organizations, plugins and collections do not see it.
        assert_eq!(
            get(pools, "org-2", PLUGIN, "requests", "r1").await.unwrap(),
            None
        );
        assert_eq!(
            get(pools, ORG, "other", "requests", "r1").await.unwrap(),
            None
        );
        assert_eq!(get(pools, ORG, PLUGIN, "leaves", "r1").await.unwrap(), None);

        let deleted = db
            .write(|tx| Box::pin(async move { delete(tx, ORG, PLUGIN, "requests", "r1").await }))
            .await;
        assert!(deleted);
        assert_eq!(
            get(pools, ORG, PLUGIN, "requests", "r1").await.unwrap(),
            None
        );
        let (found, _) = find(
            pools, ORG, PLUGIN, "requests", None, "person", "alice", None, 10,
        )
        .await
        .unwrap();
        assert!(found.is_empty(), "links go with the record");
        let again = db
            .write(|tx| Box::pin(async move { delete(tx, ORG, PLUGIN, "requests", "r1").await }))
            .await;
        assert!(!again);
        // A deleted record can be created afresh.
        assert_eq!(put_one(&db, "r1", vec![], 0, 300).await, Ok(1));
    }

    /// Racing writers at the same expected version: exactly one wins, on one host and (on
    /// PostgreSQL) across hosts sharing the database.
    async fn concurrent_puts_conflict(backend: Backend) {
        let db = std::sync::Arc::new(TestDb::open(backend).await);
        let mut writers = vec![db.writer.clone()];
        let mut nodes = Vec::new();
        if backend == Backend::Postgres {
            for _ in 0..3 {
                let (store, writer) = db.another_node().await;
                writers.push(writer);
                nodes.push(store);
            }
        }
        for (expected, id) in [(0, "race"), (1, "race"), (2, "race")] {
            let mut tasks = Vec::new();
            for i in 0..12 {
                let writer = writers[i % writers.len()].clone();
                tasks.push(tokio::spawn(async move {
                    writer
                        .write(move |tx| {
                            Box::pin(async move {
                                let data = format!(r#"{{"writer":{i}}}"#);
                                let links = [link("owner", "person", &format!("p{i}"))];
                                put(
                                    tx,
                                    ORG,
                                    PLUGIN,
                                    "requests",
                                    id,
                                    &data,
                                    &links,
                                    expected,
                                    1000 + expected,
                                )
                                .await
                            })
                        })
                        .await
                        .expect("write")
                }));
            }
            let mut wins = Vec::new();
            for (i, t) in tasks.into_iter().enumerate() {
                match t.await.unwrap() {
                    Ok(v) => wins.push((i, v)),
                    Err(c) => assert_eq!(c.current_version, Some(expected + 1)),
                }
            }
            assert_eq!(wins.len(), 1, "exactly one writer wins: {wins:?}");
            let (winner, version) = wins[0];
            assert_eq!(version, expected + 1);
            let r = get(db.pools(), ORG, PLUGIN, "requests", id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(r.version, expected + 1);
            assert_eq!(r.data, format!(r#"{{"writer":{winner}}}"#));
            assert_eq!(
                r.links,
                vec![link("owner", "person", &format!("p{winner}"))]
            );
        }
        for node in nodes {
            node.close().await;
        }
    }

    async fn links_are_replaced(backend: Backend) {
        let db = TestDb::open(backend).await;
        let pools = db.pools();
        let a = link("approver", "person", "ann");
        let b = link("submitter", "person", "bob");
        let c = link("channel", "group", "g1");
        // A duplicate link is stored once.
        let first = vec![b.clone(), a.clone(), a.clone()];
        assert_eq!(put_one(&db, "r1", first, 0, 100).await, Ok(1));
        let r = get(pools, ORG, PLUGIN, "requests", "r1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.links, vec![a.clone(), b.clone()]);

        assert_eq!(
            put_one(&db, "r1", vec![c.clone(), b.clone()], 1, 200).await,
            Ok(2)
        );
        let r = get(pools, ORG, PLUGIN, "requests", "r1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.links, vec![c.clone(), b.clone()]);

        let by = |rel: Option<&'static str>, kind: &'static str, id: &'static str| async move {
            find(pools, ORG, PLUGIN, "requests", rel, kind, id, None, 10)
                .await
                .unwrap()
                .0
                .into_iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        };
        assert!(by(Some("approver"), "person", "ann").await.is_empty());
        assert!(by(None, "person", "ann").await.is_empty());
        assert_eq!(by(Some("submitter"), "person", "bob").await, ["r1"]);
        assert_eq!(by(Some("channel"), "group", "g1").await, ["r1"]);
        assert!(by(Some("channel"), "person", "g1").await.is_empty());
        assert!(by(Some("approver"), "person", "bob").await.is_empty());

        // The links carry the record's update time.
        const AT: &str =
            "SELECT DISTINCT updated_at FROM plugin_record_links WHERE record_id = 'r1'";
        let at: Vec<i64> = on_db!(pools, p => sqlx::query_scalar(AT).fetch_all(p).await).unwrap();
        assert_eq!(at, [200]);

        assert_eq!(put_one(&db, "r1", vec![], 2, 300).await, Ok(3));
        let r = get(pools, ORG, PLUGIN, "requests", "r1")
            .await
            .unwrap()
            .unwrap();
        assert!(r.links.is_empty());
        assert!(by(None, "person", "bob").await.is_empty());
    }

    async fn keyset_paging(backend: Backend) {
        let db = TestDb::open(backend).await;
        let pools = db.pools();
        // 25 records; updated_at repeats so ties are broken by id.
        for i in 0..25 {
            let id = format!("r{i:02}");
            let mut links = vec![link("watcher", "person", "ann")];
            if i % 2 == 0 {
                links.push(link("submitter", "person", "ann"));
            }
            assert_eq!(put_one(&db, &id, links, 0, 1000 + i / 3).await, Ok(1));
        }
        // Another collection, plugin and org are not listed.
        put_as(&db, (ORG, PLUGIN, "other", "x"), "{}", vec![], 0, 5000)
            .await
            .unwrap();
        put_as(&db, (ORG, "p2", "requests", "y"), "{}", vec![], 0, 5000)
            .await
            .unwrap();
        put_as(
            &db,
            ("org-2", PLUGIN, "requests", "z"),
            "{}",
            vec![],
            0,
            5000,
        )
        .await
        .unwrap();
        let mut expected: Vec<(i64, String)> = (0..25)
            .map(|i| (1000 + i / 3, format!("r{i:02}")))
            .collect();
        expected.sort_by(|a, b| b.cmp(a));

        let mut seen = Vec::new();
        let mut cursor = None;
        let mut pages = 0;
        loop {
            let (rows, next) = list(pools, ORG, PLUGIN, "requests", cursor, 10)
                .await
                .unwrap();
            pages += 1;
            assert!(rows.len() <= 10);
            seen.extend(rows.iter().map(|r| (r.updated_at, r.id.clone())));
            assert!(rows.iter().all(|r| !r.links.is_empty()), "links loaded");
            match next {
                Some(c) => {
                    assert_eq!(Some(&c), seen.last());
                    cursor = Some(c);
                }
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(seen, expected);

        // An exact page leaves no dangling cursor.
        let (rows, next) = list(pools, ORG, PLUGIN, "requests", None, 25)
            .await
            .unwrap();
        assert_eq!((rows.len(), next), (25, None));

        // find without rel lists each record once, even when linked by two relations.
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let (rows, next) = find(
                pools, ORG, PLUGIN, "requests", None, "person", "ann", cursor, 7,
            )
            .await
            .unwrap();
            seen.extend(rows.iter().map(|r| (r.updated_at, r.id.clone())));
            match next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, expected);

        // find by rel pages over the matching records only.
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let (rows, next) = find(
                pools,
                ORG,
                PLUGIN,
                "requests",
                Some("submitter"),
                "person",
                "ann",
                cursor,
                4,
            )
            .await
            .unwrap();
            assert!(rows.iter().all(|r| r.links.len() == 2));
            seen.extend(rows.iter().map(|r| (r.updated_at, r.id.clone())));
            match next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let even: Vec<_> = expected
            .iter()
            .filter(|(_, id)| id[1..].parse::<i64>().unwrap() % 2 == 0)
            .cloned()
            .collect();
        assert_eq!(seen, even);

        // An update moves a record to the front.
        assert_eq!(
            put_one(&db, "r00", vec![link("watcher", "person", "ann")], 1, 2000).await,
            Ok(2)
        );
        let (rows, _) = list(pools, ORG, PLUGIN, "requests", None, 1).await.unwrap();
        assert_eq!(rows[0].id, "r00");
        let (rows, _) = find(
            pools, ORG, PLUGIN, "requests", None, "person", "ann", None, 1,
        )
        .await
        .unwrap();
        assert_eq!(rows[0].id, "r00");
    }

    async fn usage_and_delete_all(backend: Backend) {
        let db = TestDb::open(backend).await;
        let pools = db.pools();
        assert_eq!(usage_of(pools, ORG, PLUGIN).await.unwrap(), (0, 0));
        // "requests" (8) + "r1" (2) + data (8: 你好 is six bytes) + "rel" (3) + "ann" (3)
        put_as(
            &db,
            (ORG, PLUGIN, "requests", "r1"),
            "\"你好\"",
            vec![link("rel", "person", "ann")],
            0,
            1,
        )
        .await
        .unwrap();
        put_as(&db, (ORG, PLUGIN, "c", "r2"), "{}", vec![], 0, 1)
            .await
            .unwrap();
        put_as(&db, (ORG, "other", "c", "r3"), "{}", vec![], 0, 1)
            .await
            .unwrap();
        let expected = (2, 8 + 2 + 8 + 3 + 3 + 1 + 2 + 2);
        assert_eq!(usage_of(pools, ORG, PLUGIN).await.unwrap(), expected);
        let in_tx = db
            .write(|tx| Box::pin(async move { usage(tx, ORG, PLUGIN).await }))
            .await;
        assert_eq!(in_tx, expected);

        db.write(|tx| Box::pin(async move { delete_all(tx, ORG, PLUGIN).await }))
            .await;
        assert_eq!(usage_of(pools, ORG, PLUGIN).await.unwrap(), (0, 0));
        const LINKS: &str = "SELECT COUNT(*) FROM plugin_record_links WHERE org_id = 'org-1' AND plugin_id = 'approvals'";
        let links: i64 = on_db!(pools, p => sqlx::query_scalar(LINKS).fetch_one(p).await).unwrap();
        assert_eq!(links, 0);
        assert_eq!(usage_of(pools, ORG, "other").await.unwrap(), (1, 1 + 2 + 2));
    }

    both_backends!(
        create_update_delete,
        concurrent_puts_conflict,
        links_are_replaced,
        keyset_paging,
        usage_and_delete_all,
    );
}
