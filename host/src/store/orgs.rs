//! Organizations: the tenant boundary.

use courtyard_domain::OrgId;

use super::writer::{WriteTx, on_tx};
use super::{Pools, Result, StoreError, on_db};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub read_receipts_enabled: bool,
    pub anonymous_posts_enabled: bool,
    pub created_at: i64,
    /// IANA name; schedules and plugin clocks run in it.
    pub time_zone: String,
    /// Messages older than this many days are deleted; `None` keeps them.
    pub message_retention_days: Option<i64>,
}

const COLUMNS: &str = "id, name, slug, read_receipts_enabled, anonymous_posts_enabled, \
    created_at, time_zone, message_retention_days";

pub async fn get(pools: &Pools, id: &OrgId) -> Result<OrgRow> {
    let sql = format!("SELECT {COLUMNS} FROM organizations WHERE id = $1");
    on_db!(pools, p => sqlx::query_as(&sql).bind(id.as_str()).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

pub async fn list(pools: &Pools, only: Option<&OrgId>) -> Result<Vec<OrgRow>> {
    let sql =
        format!("SELECT {COLUMNS} FROM organizations WHERE ($1 IS NULL OR id = $1) ORDER BY name");
    let only = only.map(|o| o.as_str().to_owned());
    Ok(on_db!(pools, p => sqlx::query_as(&sql).bind(&only).fetch_all(p).await)?)
}

pub async fn insert(tx: &mut WriteTx, org: &OrgRow) -> Result<()> {
    let sql =
        format!("INSERT INTO organizations ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
    on_tx!(tx, c => sqlx::query(&sql)
        .bind(&org.id).bind(&org.name).bind(&org.slug)
        .bind(org.read_receipts_enabled).bind(org.anonymous_posts_enabled).bind(org.created_at).bind(&org.time_zone)
        .bind(org.message_retention_days)
        .execute(&mut *c).await.map(|r| r.rows_affected()))
    .map_err(|e| StoreError::from(e).unique_as("an organization with this slug exists"))?;
    Ok(())
}

pub async fn update(tx: &mut WriteTx, org: &OrgRow) -> Result<()> {
    const SQL: &str = "UPDATE organizations SET name = $2, read_receipts_enabled = $3, \
        anonymous_posts_enabled = $4, time_zone = $5, message_retention_days = $6 WHERE id = $1";
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(&org.id).bind(&org.name).bind(org.read_receipts_enabled)
        .bind(org.anonymous_posts_enabled).bind(&org.time_zone).bind(org.message_retention_days)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}
