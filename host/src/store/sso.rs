//! Single sign-on: organizations' identity providers, their email domains, linked provider
//! accounts and sign-ins in progress.

use super::writer::{WriteTx, on_tx};
use super::{Pools, Result, StoreError, on_db, placeholders};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SsoConfigRow {
    pub org_id: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub auto_provision: bool,
    pub sso_only: bool,
    pub updated_by: String,
    pub updated_at: i64,
}

const COLUMNS: &str =
    "org_id, issuer, client_id, client_secret, auto_provision, sso_only, updated_by, updated_at";

pub async fn config(pools: &Pools, org: &str) -> Result<Option<SsoConfigRow>> {
    let sql = format!("SELECT {COLUMNS} FROM sso_configs WHERE org_id = $1");
    Ok(on_db!(pools, p => sqlx::query_as(&sql).bind(org).fetch_optional(p).await)?)
}

pub async fn domains(pools: &Pools, org: &str) -> Result<Vec<String>> {
    const SQL: &str = "SELECT domain FROM sso_domains WHERE org_id = $1 ORDER BY domain";
    Ok(on_db!(pools, p => sqlx::query_scalar(SQL).bind(org).fetch_all(p).await)?)
}

/// The organization that claims an email domain (domains exist only with a provider:
/// `put` writes them with it, `remove` deletes them with it).
pub async fn domain_owner(pools: &Pools, domain: &str) -> Result<Option<String>> {
    const SQL: &str = "SELECT org_id FROM sso_domains WHERE domain = $1";
    Ok(on_db!(pools, p => sqlx::query_scalar(SQL).bind(domain).fetch_optional(p).await)?)
}

/// Whether password sign-in is closed for an organization's people.
pub async fn sso_only(pools: &Pools, org: &str) -> Result<bool> {
    const SQL: &str = "SELECT EXISTS (SELECT 1 FROM sso_configs WHERE org_id = $1 AND sso_only)";
    Ok(on_db!(pools, p => sqlx::query_scalar(SQL).bind(org).fetch_one(p).await)?)
}

/// Sets an organization's provider and domains (replacing what was there). A domain
/// another organization claims is a conflict.
pub async fn put(tx: &mut WriteTx, row: &SsoConfigRow, domains: &[String]) -> Result<()> {
    let upsert = format!(
        "INSERT INTO sso_configs ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (org_id) DO UPDATE SET issuer = excluded.issuer, \
         client_id = excluded.client_id, client_secret = excluded.client_secret, \
         auto_provision = excluded.auto_provision, sso_only = excluded.sso_only, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at"
    );
    on_tx!(tx, c => sqlx::query(&upsert)
        .bind(&row.org_id).bind(&row.issuer).bind(&row.client_id).bind(&row.client_secret)
        .bind(row.auto_provision).bind(row.sso_only).bind(&row.updated_by).bind(row.updated_at)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    const CLEAR: &str = "DELETE FROM sso_domains WHERE org_id = $1";
    on_tx!(tx, c => sqlx::query(CLEAR).bind(&row.org_id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    for domain in domains {
        const ADD: &str = "INSERT INTO sso_domains (domain, org_id) VALUES ($1, $2)";
        on_tx!(tx, c => sqlx::query(ADD).bind(domain).bind(&row.org_id)
            .execute(&mut *c).await.map(|r| r.rows_affected()))
        .map_err(|e| {
            StoreError::from(e).unique_as("an email domain is already used by another organization")
        })?;
    }
    Ok(())
}

/// Removes an organization's provider; linked accounts stay, for when it comes back.
pub async fn remove(tx: &mut WriteTx, org: &str) -> Result<bool> {
    const DOMAINS: &str = "DELETE FROM sso_domains WHERE org_id = $1";
    on_tx!(tx, c => sqlx::query(DOMAINS).bind(org).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    const CONFIG: &str = "DELETE FROM sso_configs WHERE org_id = $1";
    let removed = on_tx!(tx, c => sqlx::query(CONFIG).bind(org).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(removed > 0)
}

/// The person a provider account was linked to.
pub async fn linked_person(pools: &Pools, issuer: &str, subject: &str) -> Result<Option<String>> {
    const SQL: &str = "SELECT person_id FROM sso_identities WHERE issuer = $1 AND subject = $2";
    Ok(
        on_db!(pools, p => sqlx::query_scalar(SQL).bind(issuer).bind(subject).fetch_optional(p).await)?,
    )
}

pub async fn link(
    tx: &mut WriteTx,
    issuer: &str,
    subject: &str,
    person: &str,
    now: i64,
) -> Result<()> {
    const SQL: &str = "INSERT INTO sso_identities (issuer, subject, person_id, created_at) \
        VALUES ($1, $2, $3, $4) ON CONFLICT (issuer, subject) DO NOTHING";
    on_tx!(tx, c => sqlx::query(SQL).bind(issuer).bind(subject).bind(person).bind(now)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LoginRow {
    pub state_digest: String,
    pub org_id: String,
    pub verifier: String,
    pub nonce: String,
    pub return_to: String,
    pub created_at: i64,
}

const LOGIN_COLUMNS: &str = "state_digest, org_id, verifier, nonce, return_to, created_at";

/// Records a sign-in in progress, dropping those that expired before `expired_before`.
pub async fn begin_login(tx: &mut WriteTx, row: &LoginRow, expired_before: i64) -> Result<()> {
    const PRUNE: &str = "DELETE FROM sso_logins WHERE created_at < $1";
    on_tx!(tx, c => sqlx::query(PRUNE).bind(expired_before).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    let sql = format!(
        "INSERT INTO sso_logins ({LOGIN_COLUMNS}) VALUES ({})",
        placeholders(6)
    );
    on_tx!(tx, c => sqlx::query(&sql)
        .bind(&row.state_digest).bind(&row.org_id).bind(&row.verifier).bind(&row.nonce)
        .bind(&row.return_to).bind(row.created_at)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Takes a sign-in in progress: it is answered at most once.
pub async fn take_login(tx: &mut WriteTx, state_digest: &str) -> Result<Option<LoginRow>> {
    let sql = format!("DELETE FROM sso_logins WHERE state_digest = $1 RETURNING {LOGIN_COLUMNS}");
    Ok(on_tx!(tx, c => sqlx::query_as(&sql).bind(state_digest).fetch_optional(&mut *c).await)?)
}
