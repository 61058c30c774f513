//! Files: what the host knows about each uploaded object, and who it was shared with. The
//! bytes themselves live in the object store (`app/files.rs`); nothing here touches them.

use super::writer::{WriteTx, on_tx};
use super::{Db, Pools, Result, StoreError, on_db};

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct FileRow {
    pub id: String,
    pub org_id: String,
    pub uploaded_by: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: i64,
}

const COLUMNS: &str = "id, org_id, uploaded_by, name, content_type, size, sha256, created_at";

/// Why [`insert_within_quota`] kept a file out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverQuota {
    /// Bytes the organization keeps already.
    pub used: i64,
}

pub async fn get(pools: &Pools, id: &str) -> Result<FileRow> {
    let sql = format!("SELECT {COLUMNS} FROM files WHERE id = $1");
    on_db!(pools, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

/// Bytes of files an organization keeps.
pub async fn usage(pools: &Pools, org: &str) -> Result<i64> {
    const SQL: &str = "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files WHERE org_id = $1";
    Ok(on_db!(pools, p => sqlx::query_scalar(SQL).bind(org).fetch_one(p).await)?)
}

/// Whether the file was shared with the person.
pub async fn is_granted(pools: &Pools, file: &str, person: &str) -> Result<bool> {
    const SQL: &str =
        "SELECT EXISTS (SELECT 1 FROM file_grants WHERE file_id = $1 AND person_id = $2)";
    Ok(on_db!(pools, p => sqlx::query_scalar(SQL).bind(file).bind(person).fetch_one(p).await)?)
}

/// Records a file unless the organization would then keep more than `quota` bytes. The
/// organization's row is locked first on PostgreSQL, so nodes of a cluster that upload into
/// one organization at once cannot both squeeze under the quota (SQLite has one writer).
pub async fn insert_within_quota(
    tx: &mut WriteTx,
    row: &FileRow,
    quota: i64,
) -> Result<Result<(), OverQuota>> {
    const LOCK: &str = "SELECT id FROM organizations WHERE id = $1 FOR UPDATE";
    const USAGE: &str =
        "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files WHERE org_id = $1";
    if let Db::Postgres(c) = tx.conn_mut() {
        sqlx::query(LOCK)
            .bind(&row.org_id)
            .fetch_optional(&mut *c)
            .await?;
    }
    let used: i64 =
        on_tx!(tx, c => sqlx::query_scalar(USAGE).bind(&row.org_id).fetch_one(&mut *c).await)?;
    if used.saturating_add(row.size) > quota {
        return Ok(Err(OverQuota { used }));
    }
    let sql = format!("INSERT INTO files ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
    on_tx!(tx, c => sqlx::query(&sql)
        .bind(&row.id).bind(&row.org_id).bind(&row.uploaded_by).bind(&row.name)
        .bind(&row.content_type).bind(row.size).bind(&row.sha256).bind(row.created_at)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(Ok(()))
}

/// The file as seen inside a write (for checks that must not race the write).
pub async fn get_in(tx: &mut WriteTx, id: &str) -> Result<FileRow> {
    let sql = format!("SELECT {COLUMNS} FROM files WHERE id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(&mut *c).await)?
        .ok_or(StoreError::NotFound)
}

/// Shares a file with people; sharing twice is harmless. Fails with `NotFound` when the
/// file is gone.
pub async fn grant(tx: &mut WriteTx, file: &str, people: &[String]) -> Result<()> {
    const SQL: &str = "INSERT INTO file_grants (file_id, person_id, granted_at) \
                       VALUES ($1, $2, $3) ON CONFLICT (file_id, person_id) DO NOTHING";
    get_in(tx, file).await?;
    let now = tx.now();
    for person in people {
        on_tx!(tx, c => sqlx::query(SQL).bind(file).bind(person).bind(now)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// The people a file was shared with, in the order they were added.
pub async fn grantees(pools: &Pools, file: &str) -> Result<Vec<String>> {
    const SQL: &str =
        "SELECT person_id FROM file_grants WHERE file_id = $1 ORDER BY granted_at, person_id";
    Ok(on_db!(pools, p => sqlx::query_scalar(SQL).bind(file).fetch_all(p).await)?)
}

/// Removes a file's row and its grants; false when there was none.
/// Records that `message` carries these files.
pub async fn attach(tx: &mut WriteTx, message: &str, files: &[String]) -> Result<()> {
    const SQL: &str = "INSERT INTO message_files (file_id, message_id) VALUES ($1, $2) \
        ON CONFLICT DO NOTHING";
    for file in files {
        on_tx!(tx, c => sqlx::query(SQL).bind(file).bind(message).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// The messages that carry a file (a few at most: each attaching is one post).
pub async fn carried_by(pools: &Pools, file: &str) -> Result<Vec<String>> {
    const SQL: &str = "SELECT message_id FROM message_files WHERE file_id = $1 LIMIT 100";
    Ok(on_db!(pools, p => sqlx::query_scalar(SQL).bind(file).fetch_all(p).await)?)
}

pub async fn delete(tx: &mut WriteTx, id: &str) -> Result<bool> {
    const CARRIED: &str = "DELETE FROM message_files WHERE file_id = $1";
    on_tx!(tx, c => sqlx::query(CARRIED).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    const GRANTS: &str = "DELETE FROM file_grants WHERE file_id = $1";
    const FILE: &str = "DELETE FROM files WHERE id = $1";
    on_tx!(tx, c => sqlx::query(GRANTS).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    let gone = on_tx!(tx, c => sqlx::query(FILE).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(gone > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::records::test_db::{Backend, TestDb, both_backends};

    const ORG: &str = "org-1";
    const OTHER_ORG: &str = "org-2";

    /// Organizations and people the files' foreign keys point at.
    async fn seed(db: &TestDb) {
        db.write(|tx| {
            Box::pin(async move {
                for (org, slug) in [(ORG, "one"), (OTHER_ORG, "two")] {
                    on_tx!(tx, c => sqlx::query(
                        "INSERT INTO organizations (id, name, slug, created_at) \
                         VALUES ($1, $2, $3, 0)")
                        .bind(org).bind(slug).bind(slug).execute(&mut *c).await.map(|r| r.rows_affected()))?;
                }
                for (id, org) in [("alice", ORG), ("bob", ORG), ("carol", OTHER_ORG)] {
                    on_tx!(tx, c => sqlx::query(
                        "INSERT INTO people (id, org_id, email, display_name, role, status, \
                         search_text, created_at, updated_at) \
                         VALUES ($1, $2, $3, $1, 'member', 'active', $1, 0, 0)")
                        .bind(id).bind(org).bind(format!("{id}@example.com"))
                        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
                }
                Ok(())
            })
        })
        .await;
    }

    fn file(id: &str, org: &str, by: &str, size: i64) -> FileRow {
        FileRow {
            id: id.into(),
            org_id: org.into(),
            uploaded_by: by.into(),
            name: format!("{id}.bin"),
            content_type: "application/octet-stream".into(),
            size,
            sha256: "00".repeat(32),
            created_at: 1,
        }
    }

    async fn put(db: &TestDb, row: FileRow, quota: i64) -> Result<(), OverQuota> {
        db.write(move |tx| Box::pin(async move { insert_within_quota(tx, &row, quota).await }))
            .await
    }

    async fn quota_grants_delete(backend: Backend) {
        let db = TestDb::open(backend).await;
        seed(&db).await;
        assert_eq!(usage(db.pools(), ORG).await.unwrap(), 0);
        assert_eq!(put(&db, file("f1", ORG, "alice", 60), 100).await, Ok(()));
        // Exactly at the quota is allowed; one byte over is not, and nothing is written.
        assert_eq!(put(&db, file("f2", ORG, "bob", 40), 100).await, Ok(()));
        assert_eq!(
            put(&db, file("f3", ORG, "bob", 1), 100).await,
            Err(OverQuota { used: 100 })
        );
        assert!(matches!(
            get(db.pools(), "f3").await,
            Err(StoreError::NotFound)
        ));
        // Quotas are per organization.
        assert_eq!(
            put(&db, file("f4", OTHER_ORG, "carol", 100), 100).await,
            Ok(())
        );
        assert_eq!(usage(db.pools(), ORG).await.unwrap(), 100);
        assert_eq!(
            get(db.pools(), "f1").await.unwrap(),
            file("f1", ORG, "alice", 60)
        );

        // Grants: idempotent, and refused for a file that does not exist.
        assert!(!is_granted(db.pools(), "f1", "bob").await.unwrap());
        let share = |id: &'static str, people: &[&str]| {
            let people: Vec<String> = people.iter().map(|p| p.to_string()).collect();
            db.writer
                .write(move |tx| Box::pin(async move { grant(tx, id, &people).await }))
        };
        share("f1", &["bob", "carol"]).await.unwrap();
        share("f1", &["bob"]).await.unwrap();
        assert!(is_granted(db.pools(), "f1", "bob").await.unwrap());
        assert!(!is_granted(db.pools(), "f2", "bob").await.unwrap());
        assert_eq!(grantees(db.pools(), "f1").await.unwrap().len(), 2);
        assert!(matches!(
            share("nope", &["bob"]).await,
            Err(StoreError::NotFound)
        ));

        // Deleting takes the grants along and frees the quota.
        let del =
            |id: &'static str| db.write(move |tx| Box::pin(async move { delete(tx, id).await }));
        assert!(del("f1").await);
        assert!(!del("f1").await);
        assert!(!is_granted(db.pools(), "f1", "bob").await.unwrap());
        assert!(grantees(db.pools(), "f1").await.unwrap().is_empty());
        assert_eq!(usage(db.pools(), ORG).await.unwrap(), 40);
        assert_eq!(put(&db, file("f5", ORG, "alice", 60), 100).await, Ok(()));
    }

    both_backends!(quota_grants_delete);
}
