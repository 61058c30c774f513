//! Counters of failed sign-ins (per account, per client address), shared by every node.

use super::writer::{WriteTx, on_tx};
use super::{Pools, Result, on_db};

/// The failure counts of `keys` whose window began at or after `window_from`.
pub async fn failures(
    pools: &Pools,
    keys: &[String],
    window_from: i64,
) -> Result<Vec<(String, i64)>> {
    const SQL: &str = "SELECT key, failures FROM login_failures \
        WHERE key IN ($1, $2) AND window_start >= $3";
    let first = keys.first().cloned().unwrap_or_default();
    let second = keys.get(1).cloned().unwrap_or_else(|| first.clone());
    Ok(
        on_db!(pools, p => sqlx::query_as(SQL).bind(&first).bind(&second).bind(window_from)
        .fetch_all(p).await)?,
    )
}

/// Counts one failure for `key` at `now`; a count whose window began before
/// `window_from` starts over.
pub async fn record(tx: &mut WriteTx, key: &str, now: i64, window_from: i64) -> Result<()> {
    const SQL: &str = "INSERT INTO login_failures (key, failures, window_start) VALUES ($1, 1, $2) \
        ON CONFLICT (key) DO UPDATE SET \
        failures = CASE WHEN login_failures.window_start < $3 THEN 1 \
            ELSE login_failures.failures + 1 END, \
        window_start = CASE WHEN login_failures.window_start < $3 THEN excluded.window_start \
            ELSE login_failures.window_start END";
    on_tx!(tx, c => sqlx::query(SQL).bind(key).bind(now).bind(window_from)
        .execute(&mut *c).await.map(|_| ()))?;
    Ok(())
}

/// Forgets `key`'s failures (a successful sign-in clears its account's count).
pub async fn clear(tx: &mut WriteTx, key: &str) -> Result<()> {
    on_tx!(tx, c => sqlx::query("DELETE FROM login_failures WHERE key = $1").bind(key)
        .execute(&mut *c).await.map(|_| ()))?;
    Ok(())
}

/// Drops counts whose window ended: they no longer throttle anyone.
pub async fn prune(tx: &mut WriteTx, window_from: i64) -> Result<u64> {
    Ok(
        on_tx!(tx, c => sqlx::query("DELETE FROM login_failures WHERE window_start < $1")
        .bind(window_from).execute(&mut *c).await.map(|r| r.rows_affected()))?,
    )
}
