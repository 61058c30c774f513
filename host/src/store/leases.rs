//! Leases on cluster-wide jobs: one holder at a time, until it lets go or its lease runs
//! out (a node that died holds nothing for long). Plugin timers lease row by row instead
//! (`timers::claim_due`); these are for jobs that run as a whole.

use super::Result;
use super::writer::{WriteTx, on_tx};

/// Takes (or renews) the lease on `job` for `holder` until `until`, unless someone else
/// holds an unexpired one at `now`. Whether `holder` has it now.
pub async fn acquire(
    tx: &mut WriteTx,
    job: &str,
    holder: &str,
    now: i64,
    until: i64,
) -> Result<bool> {
    // One statement, so two nodes asking at once cannot both win: the row's lock orders
    // them, and the second sees the first's unexpired lease.
    const SQL: &str = "INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
        ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
        WHERE job_leases.holder = excluded.holder OR job_leases.expires_at < $4";
    let taken = on_tx!(tx, c => sqlx::query(SQL).bind(job).bind(holder).bind(until).bind(now)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(taken == 1)
}

/// Lets go of a lease `holder` has.
pub async fn release(tx: &mut WriteTx, job: &str, holder: &str) -> Result<()> {
    const SQL: &str = "DELETE FROM job_leases WHERE name = $1 AND holder = $2";
    on_tx!(tx, c => sqlx::query(SQL).bind(job).bind(holder)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}
