//! Webhooks and their delivery log.

use super::writer::{WriteTx, on_tx};
use super::{Pools, Result, StoreError, on_db};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookRow {
    pub id: String,
    pub org_id: String,
    pub group_id: String,
    pub kind: String,
    pub name: String,
    pub token_digest: String,
    pub signing_secret: String,
    pub require_signature: bool,
    pub url: Option<String>,
    pub events: String,
    pub enabled: bool,
    pub failures: i64,
    pub disabled_reason: Option<String>,
    pub created_by: String,
    pub created_at: i64,
}

const COLUMNS: &str = "id, org_id, group_id, kind, name, token_digest, signing_secret, \
    require_signature, url, events, enabled, failures, disabled_reason, created_by, created_at";

pub async fn insert(tx: &mut WriteTx, w: &WebhookRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO webhooks ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13, $14, $15)"
    );
    on_tx!(tx, c => sqlx::query(&sql)
        .bind(&w.id).bind(&w.org_id).bind(&w.group_id).bind(&w.kind).bind(&w.name)
        .bind(&w.token_digest).bind(&w.signing_secret).bind(w.require_signature).bind(&w.url)
        .bind(&w.events).bind(w.enabled).bind(w.failures).bind(&w.disabled_reason)
        .bind(&w.created_by).bind(w.created_at)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get(pools: &Pools, id: &str) -> Result<WebhookRow> {
    let sql = format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1");
    on_db!(pools, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

pub async fn of_group(pools: &Pools, group: &str) -> Result<Vec<WebhookRow>> {
    let sql = format!("SELECT {COLUMNS} FROM webhooks WHERE group_id = $1 ORDER BY created_at");
    Ok(on_db!(pools, p => sqlx::query_as(&sql).bind(group).fetch_all(p).await)?)
}

/// Enabled outgoing hooks of a group.
pub async fn outgoing(pools: &Pools, group: &str) -> Result<Vec<WebhookRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM webhooks WHERE group_id = $1 AND kind = 'outgoing' AND enabled"
    );
    Ok(on_db!(pools, p => sqlx::query_as(&sql).bind(group).fetch_all(p).await)?)
}

pub async fn set_enabled(tx: &mut WriteTx, id: &str, enabled: bool) -> Result<()> {
    const SQL: &str = "UPDATE webhooks SET enabled = $2, failures = 0, \
        disabled_reason = NULL WHERE id = $1";
    on_tx!(tx, c => sqlx::query(SQL).bind(id).bind(enabled).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Removes a hook and its delivery log.
pub async fn delete(tx: &mut WriteTx, id: &str) -> Result<()> {
    for sql in [
        "DELETE FROM webhook_deliveries WHERE webhook_id = $1",
        "DELETE FROM webhooks WHERE id = $1",
    ] {
        on_tx!(tx, c => sqlx::query(sql).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: String,
    pub webhook_id: String,
    pub event_kind: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

const DELIVERY_COLUMNS: &str = "id, webhook_id, event_kind, payload, status, attempts, \
    next_attempt_at, last_status_code, last_error, created_at, finished_at";

pub async fn enqueue(tx: &mut WriteTx, d: &DeliveryRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO webhook_deliveries ({DELIVERY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, \
         $7, $8, $9, $10, $11)"
    );
    on_tx!(tx, c => sqlx::query(&sql)
        .bind(&d.id).bind(&d.webhook_id).bind(&d.event_kind).bind(&d.payload).bind(&d.status)
        .bind(d.attempts).bind(d.next_attempt_at).bind(d.last_status_code).bind(&d.last_error)
        .bind(d.created_at).bind(d.finished_at)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Pending deliveries whose time has come, oldest first.
pub async fn due(pools: &Pools, now: i64, limit: i64) -> Result<Vec<DeliveryRow>> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE status = 'pending' \
         AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2"
    );
    Ok(on_db!(pools, p => sqlx::query_as(&sql).bind(now).bind(limit).fetch_all(p).await)?)
}

/// The earliest pending attempt, so the worker can sleep until then.
pub async fn next_due(pools: &Pools) -> Result<Option<i64>> {
    const SQL: &str =
        "SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending'";
    Ok(on_db!(pools, p => sqlx::query_scalar(SQL).fetch_one(p).await)?)
}

/// Records an attempt's outcome: `next` is when to try again (`None`: done, `delivered`
/// says how).
pub async fn record_attempt(
    tx: &mut WriteTx,
    id: &str,
    status: &str,
    code: Option<i64>,
    error: Option<&str>,
    next: Option<i64>,
) -> Result<()> {
    const SQL: &str = "UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, \
        last_status_code = $3, last_error = $4, next_attempt_at = $5, \
        finished_at = CASE WHEN $2 = 'pending' THEN NULL ELSE $6 END WHERE id = $1";
    let now = tx.now();
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(id).bind(status).bind(code).bind(error).bind(next).bind(now)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Counts a failed or successful delivery against the hook: success resets the count; at
/// `limit` failures in a row the hook is disabled with `reason`. Returns whether it was
/// disabled now.
pub async fn count_outcome(
    tx: &mut WriteTx,
    hook: &str,
    failed: bool,
    limit: i64,
    reason: &str,
) -> Result<bool> {
    if !failed {
        const OK: &str = "UPDATE webhooks SET failures = 0 WHERE id = $1";
        on_tx!(tx, c => sqlx::query(OK).bind(hook).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        return Ok(false);
    }
    const FAIL: &str = "UPDATE webhooks SET failures = failures + 1 WHERE id = $1";
    on_tx!(tx, c => sqlx::query(FAIL).bind(hook).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    const DISABLE: &str = "UPDATE webhooks SET enabled = FALSE, disabled_reason = $3 \
        WHERE id = $1 AND enabled AND failures >= $2";
    let n = on_tx!(tx, c => sqlx::query(DISABLE).bind(hook).bind(limit).bind(reason)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// A hook's deliveries, newest first, before `before` (ms).
pub async fn deliveries(
    pools: &Pools,
    hook: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<DeliveryRow>> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 \
         AND created_at < $2 ORDER BY created_at DESC, id DESC LIMIT $3"
    );
    Ok(on_db!(pools, p => sqlx::query_as(&sql)
        .bind(hook).bind(before.unwrap_or(i64::MAX)).bind(limit).fetch_all(p).await)?)
}
