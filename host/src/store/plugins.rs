//! Plugin packages, installs, per-group enablement (with circuit-breaker state), plugin
//! key-value storage and the audit log.

use super::writer::{WriteTx, on_tx};
use super::{Pools, Result, StoreError, on_db};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PackageRow {
    pub sha256: String,
    pub plugin_id: String,
    pub version: String,
    pub manifest: String,
    pub created_at: i64,
    /// The key that signed its package file (verified when it arrived), if any.
    pub signer_key: Option<String>,
    /// The publisher name that signature claims.
    pub signer_name: Option<String>,
    /// `bundled`, `upload`, or the catalog it came from.
    pub source: String,
    /// The organization that uploaded it (only it may install it); none for bundled and
    /// catalog packages.
    pub org_id: Option<String>,
}

pub async fn package_wasm(pools: &Pools, sha: &str) -> Result<Vec<u8>> {
    const SQL: &str = "SELECT wasm FROM plugin_packages WHERE sha256 = $1";
    on_db!(pools, p => sqlx::query_scalar(SQL).bind(sha).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

pub async fn package(pools: &Pools, sha: &str) -> Result<PackageRow> {
    const SQL: &str = "SELECT sha256, plugin_id, version, manifest, created_at, signer_key, \
        signer_name, source, org_id FROM plugin_packages WHERE sha256 = $1";
    on_db!(pools, p => sqlx::query_as(SQL).bind(sha).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

/// Records that `org`'s admin uploaded the package (it may then install it).
pub async fn grant_package(tx: &mut WriteTx, sha: &str, org: &str) -> Result<()> {
    const SQL: &str = "INSERT INTO plugin_package_orgs (sha256, org_id) VALUES ($1, $2) \
        ON CONFLICT (sha256, org_id) DO NOTHING";
    on_tx!(tx, c => sqlx::query(SQL).bind(sha).bind(org)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Whether `org` may use the stored package: it uploaded it, or has it installed.
pub async fn package_usable_by(pools: &Pools, sha: &str, org: &str) -> Result<bool> {
    const SQL: &str = "SELECT EXISTS (SELECT 1 FROM plugin_package_orgs WHERE sha256 = $1 AND org_id = $2) \
        OR EXISTS (SELECT 1 FROM plugin_installs WHERE package_sha = $1 AND org_id = $2)";
    Ok(on_db!(pools, p => sqlx::query_scalar(SQL).bind(sha).bind(org).fetch_one(p).await)?)
}

/// A package's file (`.cyplugin`), when it came as one.
pub async fn package_file(pools: &Pools, sha: &str) -> Result<Option<Vec<u8>>> {
    const SQL: &str = "SELECT package_file FROM plugin_packages WHERE sha256 = $1";
    on_db!(pools, p => sqlx::query_scalar(SQL).bind(sha).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

/// Stores a package unless the same bytes are stored already (a row never changes: its
/// id is the SHA-256 of what arrived).
pub async fn put_package(
    tx: &mut WriteTx,
    row: &PackageRow,
    wasm: &[u8],
    file: Option<&[u8]>,
) -> Result<()> {
    const SQL: &str = "INSERT INTO plugin_packages (sha256, plugin_id, version, manifest, wasm, \
        created_at, package_file, signer_key, signer_name, source, org_id) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (sha256) DO NOTHING";
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(&row.sha256).bind(&row.plugin_id).bind(&row.version).bind(&row.manifest).bind(wasm)
        .bind(row.created_at).bind(file).bind(&row.signer_key).bind(&row.signer_name).bind(&row.source)
        .bind(&row.org_id)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct InstallRow {
    pub org_id: String,
    pub plugin_id: String,
    pub package_sha: String,
    pub grants: String,
    pub installed_by: String,
    pub installed_at: i64,
    pub updated_at: i64,
}

const INSTALL_COLUMNS: &str =
    "org_id, plugin_id, package_sha, grants, installed_by, installed_at, updated_at";

pub async fn installs(pools: &Pools, org: &str) -> Result<Vec<InstallRow>> {
    let sql = format!(
        "SELECT {INSTALL_COLUMNS} FROM plugin_installs WHERE org_id = $1 ORDER BY plugin_id"
    );
    Ok(on_db!(pools, p => sqlx::query_as(&sql).bind(org).fetch_all(p).await)?)
}

pub async fn install(pools: &Pools, org: &str, plugin: &str) -> Result<InstallRow> {
    let sql = format!(
        "SELECT {INSTALL_COLUMNS} FROM plugin_installs WHERE org_id = $1 AND plugin_id = $2"
    );
    on_db!(pools, p => sqlx::query_as(&sql).bind(org).bind(plugin).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

pub async fn upsert_install(tx: &mut WriteTx, row: &InstallRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO plugin_installs ({INSTALL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (org_id, plugin_id) DO UPDATE SET package_sha = excluded.package_sha, \
         grants = excluded.grants, updated_at = excluded.updated_at"
    );
    on_tx!(tx, c => sqlx::query(&sql)
        .bind(&row.org_id).bind(&row.plugin_id).bind(&row.package_sha).bind(&row.grants)
        .bind(&row.installed_by).bind(row.installed_at).bind(row.updated_at)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Removes an install with its enablements and data.
pub async fn uninstall(tx: &mut WriteTx, org: &str, plugin: &str) -> Result<bool> {
    const STEPS: [&str; 3] = [
        "DELETE FROM plugin_enablements WHERE org_id = $1 AND plugin_id = $2",
        "DELETE FROM plugin_kv WHERE org_id = $1 AND plugin_id = $2",
        "DELETE FROM plugin_installs WHERE org_id = $1 AND plugin_id = $2",
    ];
    let mut last = 0;
    for sql in STEPS {
        last = on_tx!(tx, c => sqlx::query(sql).bind(org).bind(plugin).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    }
    Ok(last > 0)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct EnablementRow {
    pub group_id: String,
    pub plugin_id: String,
    pub org_id: String,
    pub settings: String,
    pub hook_fail_open: bool,
    pub hook_deadline_ms: i64,
    pub enabled_by: String,
    pub enabled_at: i64,
    pub failures: i64,
    pub trips: i64,
    pub disabled_reason: Option<String>,
    pub disabled_until: Option<i64>,
}

const ENABLEMENT_COLUMNS: &str = "group_id, plugin_id, org_id, settings, hook_fail_open, hook_deadline_ms, \
    enabled_by, enabled_at, failures, trips, disabled_reason, disabled_until";

pub async fn enablements_in_group(pools: &Pools, group: &str) -> Result<Vec<EnablementRow>> {
    let sql = format!(
        "SELECT {ENABLEMENT_COLUMNS} FROM plugin_enablements WHERE group_id = $1 ORDER BY plugin_id"
    );
    Ok(on_db!(pools, p => sqlx::query_as(&sql).bind(group).fetch_all(p).await)?)
}

pub async fn enablements_of(pools: &Pools, org: &str, plugin: &str) -> Result<Vec<EnablementRow>> {
    let sql = format!(
        "SELECT {ENABLEMENT_COLUMNS} FROM plugin_enablements WHERE org_id = $1 AND plugin_id = $2 ORDER BY group_id"
    );
    Ok(on_db!(pools, p => sqlx::query_as(&sql).bind(org).bind(plugin).fetch_all(p).await)?)
}

pub async fn upsert_enablement(tx: &mut WriteTx, row: &EnablementRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO plugin_enablements ({ENABLEMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (group_id, plugin_id) DO UPDATE SET settings = excluded.settings, \
         hook_fail_open = excluded.hook_fail_open, hook_deadline_ms = excluded.hook_deadline_ms, \
         failures = 0, disabled_reason = NULL, disabled_until = NULL"
    );
    on_tx!(tx, c => sqlx::query(&sql)
        .bind(&row.group_id).bind(&row.plugin_id).bind(&row.org_id).bind(&row.settings)
        .bind(row.hook_fail_open).bind(row.hook_deadline_ms).bind(&row.enabled_by).bind(row.enabled_at)
        .bind(row.failures).bind(row.trips).bind(&row.disabled_reason).bind(row.disabled_until)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete_enablement(tx: &mut WriteTx, group: &str, plugin: &str) -> Result<bool> {
    const SQL: &str = "DELETE FROM plugin_enablements WHERE group_id = $1 AND plugin_id = $2";
    let n = on_tx!(tx, c => sqlx::query(SQL).bind(group).bind(plugin).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// Records the outcome of a call for the circuit breaker. On failure, once `threshold`
/// consecutive failures are reached the plugin is suspended in the group until `until`.
pub async fn record_health(
    tx: &mut WriteTx,
    group: &str,
    plugin: &str,
    failed: Option<(&str, i64, i64)>,
) -> Result<Option<EnablementRow>> {
    match failed {
        None => {
            const OK: &str = "UPDATE plugin_enablements SET failures = 0 WHERE group_id = $1 AND plugin_id = $2 AND failures > 0";
            on_tx!(tx, c => sqlx::query(OK).bind(group).bind(plugin).execute(&mut *c).await.map(|r| r.rows_affected()))?;
            Ok(None)
        }
        Some((reason, threshold, until)) => {
            const FAIL: &str = "UPDATE plugin_enablements SET failures = failures + 1 WHERE group_id = $1 AND plugin_id = $2";
            const TRIP: &str = "UPDATE plugin_enablements SET trips = trips + 1, failures = 0, disabled_reason = $3, \
                disabled_until = $4 WHERE group_id = $1 AND plugin_id = $2 AND failures >= $5";
            on_tx!(tx, c => sqlx::query(FAIL).bind(group).bind(plugin).execute(&mut *c).await.map(|r| r.rows_affected()))?;
            let tripped = on_tx!(tx, c => sqlx::query(TRIP).bind(group).bind(plugin).bind(reason).bind(until).bind(threshold)
                .execute(&mut *c).await.map(|r| r.rows_affected()))?;
            if tripped == 0 {
                return Ok(None);
            }
            let sql = format!(
                "SELECT {ENABLEMENT_COLUMNS} FROM plugin_enablements WHERE group_id = $1 AND plugin_id = $2"
            );
            Ok(
                on_tx!(tx, c => sqlx::query_as(&sql).bind(group).bind(plugin).fetch_optional(&mut *c).await)?,
            )
        }
    }
}

/// Where a plugin's key lives: its organization, the plugin, and the group (or "" for the
/// organization-wide space).
#[derive(Clone, Copy, Debug)]
pub struct KvSpace<'a> {
    pub org: &'a str,
    pub plugin: &'a str,
    pub scope: &'a str,
}

fn live(now: i64) -> (&'static str, i64) {
    ("(expires_at IS NULL OR expires_at > $5)", now)
}

pub async fn kv_get(
    pools: &Pools,
    space: &KvSpace<'_>,
    key: &str,
    now: i64,
) -> Result<Option<Vec<u8>>> {
    let (cond, now) = live(now);
    let sql = format!(
        "SELECT value FROM plugin_kv WHERE org_id = $1 AND plugin_id = $2 AND scope = $3 AND key = $4 AND {cond}"
    );
    Ok(
        on_db!(pools, p => sqlx::query_scalar(&sql).bind(space.org).bind(space.plugin).bind(space.scope).bind(key).bind(now).fetch_optional(p).await)?,
    )
}

pub async fn kv_get_in(
    tx: &mut WriteTx,
    space: &KvSpace<'_>,
    key: &str,
) -> Result<Option<Vec<u8>>> {
    let (cond, now) = live(tx.now());
    let sql = format!(
        "SELECT value FROM plugin_kv WHERE org_id = $1 AND plugin_id = $2 AND scope = $3 AND key = $4 AND {cond}"
    );
    Ok(
        on_tx!(tx, c => sqlx::query_scalar(&sql).bind(space.org).bind(space.plugin).bind(space.scope).bind(key).bind(now).fetch_optional(&mut *c).await)?,
    )
}

pub async fn kv_set(
    tx: &mut WriteTx,
    space: &KvSpace<'_>,
    key: &str,
    value: &[u8],
    expires_at: Option<i64>,
) -> Result<()> {
    const SQL: &str = "INSERT INTO plugin_kv (org_id, plugin_id, scope, key, value, expires_at, updated_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (org_id, plugin_id, scope, key) DO UPDATE SET \
        value = excluded.value, expires_at = excluded.expires_at, updated_at = excluded.updated_at";
    let now = tx.now();
    on_tx!(tx, c => sqlx::query(SQL).bind(space.org).bind(space.plugin).bind(space.scope).bind(key).bind(value).bind(expires_at).bind(now)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn kv_delete(tx: &mut WriteTx, space: &KvSpace<'_>, key: &str) -> Result<bool> {
    const SQL: &str =
        "DELETE FROM plugin_kv WHERE org_id = $1 AND plugin_id = $2 AND scope = $3 AND key = $4";
    let n = on_tx!(tx, c => sqlx::query(SQL).bind(space.org).bind(space.plugin).bind(space.scope).bind(key)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// Bytes a plugin stores in one organization (for the quota).
pub async fn kv_usage(tx: &mut WriteTx, org: &str, plugin: &str) -> Result<i64> {
    const SQL: &str = "SELECT COALESCE(SUM(LENGTH(value) + LENGTH(key)), 0) FROM plugin_kv WHERE org_id = $1 AND plugin_id = $2";
    Ok(
        on_tx!(tx, c => sqlx::query_scalar::<_, i64>(SQL).bind(org).bind(plugin).fetch_one(&mut *c).await)?,
    )
}

pub async fn kv_scan(
    pools: &Pools,
    space: &KvSpace<'_>,
    prefix: &str,
    after: &str,
    limit: i64,
    now: i64,
) -> Result<Vec<(String, Vec<u8>)>> {
    const SQL: &str = "SELECT key, value FROM plugin_kv WHERE org_id = $1 AND plugin_id = $2 AND scope = $3 \
        AND key > $4 AND substr(key, 1, $5) = $6 AND (expires_at IS NULL OR expires_at > $7) ORDER BY key LIMIT $8";
    let prefix_len = prefix.chars().count() as i64;
    Ok(
        on_db!(pools, p => sqlx::query_as::<_, (String, Vec<u8>)>(SQL)
        .bind(space.org).bind(space.plugin).bind(space.scope).bind(after).bind(prefix_len).bind(prefix).bind(now).bind(limit)
        .fetch_all(p).await)?,
    )
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuditRow {
    pub id: String,
    pub org_id: Option<String>,
    pub actor_id: Option<String>,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub at: i64,
    /// The client's address, for actions that came with a request.
    pub ip: Option<String>,
}

pub async fn audit(tx: &mut WriteTx, row: &AuditRow) -> Result<()> {
    const SQL: &str = "INSERT INTO audit_log (id, org_id, actor_id, action, target, detail, at, ip) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    on_tx!(tx, c => sqlx::query(SQL).bind(&row.id).bind(&row.org_id).bind(&row.actor_id).bind(&row.action)
        .bind(&row.target).bind(&row.detail).bind(row.at).bind(&row.ip).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Which entries of an organization's audit log to read, newest first.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// `LIKE` pattern over the action (the caller escapes and appends `%`).
    pub action_like: Option<String>,
    pub actor: Option<String>,
    /// From this time (ms, inclusive) …
    pub since: Option<i64>,
    /// … to this one (ms, exclusive): also the cursor for the next page.
    pub until: Option<i64>,
    pub limit: i64,
}

pub async fn audit_log(pools: &Pools, org: &str, f: &AuditFilter) -> Result<Vec<AuditRow>> {
    const SQL: &str = "SELECT id, org_id, actor_id, action, target, detail, at, ip FROM audit_log \
        WHERE org_id = $1 AND ($2 IS NULL OR action LIKE $2 ESCAPE '\\') \
        AND ($3 IS NULL OR actor_id = $3) AND ($4 IS NULL OR at >= $4) AND ($5 IS NULL OR at < $5) \
        ORDER BY at DESC, id DESC LIMIT $6";
    Ok(
        on_db!(pools, p => sqlx::query_as(SQL).bind(org).bind(&f.action_like).bind(&f.actor)
        .bind(f.since).bind(f.until).bind(f.limit).fetch_all(p).await)?,
    )
}
