//! Message retention and legal holds: which messages have outlived their organization's
//! retention period, and removing them with everything that carries their content.

use courtyard_domain::{GroupId, OrgId};

use super::writer::{WriteTx, on_tx};
use super::{Pools, Result, on_db};

/// Organizations with a retention period: (id, days).
pub async fn policies(pools: &Pools) -> Result<Vec<(String, i64)>> {
    const SQL: &str = "SELECT id, message_retention_days FROM organizations \
        WHERE message_retention_days IS NOT NULL ORDER BY id";
    let rows: Vec<(String, Option<i64>)> =
        on_db!(pools, p => sqlx::query_as(SQL).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, days)| days.map(|d| (id, d)))
        .collect())
}

/// A message older than the cutoff, in a group without a legal hold.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Expired {
    pub id: String,
    pub seq: i64,
    pub thread_root_id: Option<String>,
    pub deleted: bool,
    /// A thread root whose thread goes on past the cutoff: it stays as a tombstone so the
    /// newer replies keep their thread.
    pub has_newer_replies: bool,
}

/// The next messages of `org` created before `cutoff`, oldest first, after `after_seq`.
pub async fn expired(
    pools: &Pools,
    org: &OrgId,
    cutoff: i64,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<Expired>> {
    const SQL: &str = "SELECT m.id, m.seq, m.thread_root_id, \
        (m.deleted_at IS NOT NULL) AS deleted, \
        EXISTS (SELECT 1 FROM messages r WHERE r.thread_root_id = m.id AND r.created_at >= $2) \
            AS has_newer_replies \
        FROM messages m JOIN groups g ON g.id = m.group_id \
        WHERE g.org_id = $1 AND m.created_at < $2 AND m.seq > $3 \
        AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.group_id = m.group_id) \
        ORDER BY m.seq LIMIT $4";
    Ok(on_db!(pools, p => sqlx::query_as(SQL)
        .bind(org.as_str()).bind(cutoff).bind(after_seq).bind(limit).fetch_all(p).await)?)
}

/// Removes messages for good: their reactions, file links, search terms and rows. Thread
/// roots that remain have their reply counts recounted.
pub async fn remove(tx: &mut WriteTx, doomed: &[Expired]) -> Result<()> {
    if doomed.is_empty() {
        return Ok(());
    }
    for m in doomed {
        super::search::unindex(tx, m.seq).await?;
    }
    let ids: Vec<&str> = doomed.iter().map(|m| m.id.as_str()).collect();
    let list = super::placeholders(ids.len());
    for table in ["reactions", "message_files"] {
        let sql = format!("DELETE FROM {table} WHERE message_id IN ({list})");
        bind_all(tx, &sql, &ids).await?;
    }
    let sql = format!("DELETE FROM messages WHERE id IN ({list})");
    bind_all(tx, &sql, &ids).await?;
    let mut roots: Vec<&str> = doomed
        .iter()
        .filter_map(|m| m.thread_root_id.as_deref())
        .collect();
    roots.sort_unstable();
    roots.dedup();
    if !roots.is_empty() {
        let sql = format!(
            "UPDATE messages SET reply_count = (SELECT COUNT(*) FROM messages r \
             WHERE r.thread_root_id = messages.id) WHERE id IN ({})",
            super::placeholders(roots.len())
        );
        bind_all(tx, &sql, &roots).await?;
    }
    Ok(())
}

async fn bind_all(tx: &mut WriteTx, sql: &str, values: &[&str]) -> Result<u64> {
    Ok(on_tx!(tx, c => {
        let mut q = sqlx::query(sql);
        for v in values {
            q = q.bind(*v);
        }
        q.execute(&mut *c).await.map(|r| r.rows_affected())
    })?)
}

/// Deletes the logged events of `org`'s groups from before `cutoff` (except groups under
/// legal hold): they carry the content of the messages retention removed.
pub async fn prune_events(tx: &mut WriteTx, org: &OrgId, cutoff: i64, limit: i64) -> Result<u64> {
    tx.flush().await?;
    const SQL: &str = "DELETE FROM events WHERE seq IN (SELECT seq FROM events \
        WHERE org_id = $1 AND group_id IS NOT NULL AND created_at < $2 \
        AND group_id NOT IN (SELECT group_id FROM legal_holds) \
        AND seq < (SELECT MAX(seq) FROM events) ORDER BY seq LIMIT $3)";
    Ok(on_tx!(tx, c => sqlx::query(SQL)
        .bind(org.as_str()).bind(cutoff).bind(limit).execute(&mut *c).await.map(|r| r.rows_affected()))?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HoldRow {
    pub group_id: String,
    pub org_id: String,
    pub placed_by: String,
    pub placed_at: i64,
    pub reason: String,
}

pub async fn place_hold(tx: &mut WriteTx, hold: &HoldRow) -> Result<()> {
    const SQL: &str = "INSERT INTO legal_holds (group_id, org_id, placed_by, placed_at, reason) \
        VALUES ($1, $2, $3, $4, $5) ON CONFLICT (group_id) DO UPDATE SET \
        placed_by = EXCLUDED.placed_by, placed_at = EXCLUDED.placed_at, reason = EXCLUDED.reason";
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(&hold.group_id).bind(&hold.org_id).bind(&hold.placed_by).bind(hold.placed_at)
        .bind(&hold.reason).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Returns whether there was a hold to release.
pub async fn release_hold(tx: &mut WriteTx, group: &GroupId) -> Result<bool> {
    const SQL: &str = "DELETE FROM legal_holds WHERE group_id = $1";
    let n = on_tx!(tx, c => sqlx::query(SQL).bind(group.as_str()).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

pub async fn holds(pools: &Pools, org: &OrgId) -> Result<Vec<HoldRow>> {
    const SQL: &str = "SELECT group_id, org_id, placed_by, placed_at, reason FROM legal_holds \
        WHERE org_id = $1 ORDER BY placed_at DESC";
    Ok(on_db!(pools, p => sqlx::query_as(SQL).bind(org.as_str()).fetch_all(p).await)?)
}
