//! Sign-in sessions and personal access tokens, stored by the SHA-256 of the token so a
//! database leak reveals no usable credential.

use courtyard_domain::PersonId;

use super::people::PersonRow;
use super::writer::{WriteTx, on_tx};
use super::{Pools, Result, on_db};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub token_hash: String,
    pub person_id: String,
    pub kind: String,
    pub name: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: i64,
}

const COLUMNS: &str = "id, token_hash, person_id, kind, name, created_at, expires_at, last_used_at";

/// Who a live session belongs to.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SessionOwner {
    pub session_id: String,
    pub session_kind: String,
    #[sqlx(flatten)]
    pub person: PersonRow,
}

/// The session's person for a token hash, if the session exists and has not expired.
pub async fn lookup(pools: &Pools, token_hash: &str, now: i64) -> Result<Option<SessionOwner>> {
    const SQL: &str = "SELECT s.id AS session_id, s.kind AS session_kind, p.id, p.org_id, \
        p.email, p.display_name, p.title, p.department_id, p.phone, p.avatar_url, p.company, \
        p.role, p.status, p.search_text, p.created_at, p.updated_at \
        FROM sessions s JOIN people p ON p.id = s.person_id \
        WHERE s.token_hash = $1 AND (s.expires_at IS NULL OR s.expires_at > $2)";
    Ok(on_db!(pools, p => sqlx::query_as(SQL).bind(token_hash).bind(now).fetch_optional(p).await)?)
}

pub async fn insert(tx: &mut WriteTx, s: &SessionRow) -> Result<()> {
    let sql = format!("INSERT INTO sessions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
    on_tx!(tx, c => sqlx::query(&sql)
        .bind(&s.id).bind(&s.token_hash).bind(&s.person_id).bind(&s.kind).bind(&s.name)
        .bind(s.created_at).bind(s.expires_at).bind(s.last_used_at)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete_by_hash(tx: &mut WriteTx, token_hash: &str) -> Result<()> {
    const SQL: &str = "DELETE FROM sessions WHERE token_hash = $1";
    on_tx!(tx, c => sqlx::query(SQL).bind(token_hash).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete_token(tx: &mut WriteTx, person: &PersonId, id: &str) -> Result<bool> {
    const SQL: &str = "DELETE FROM sessions WHERE person_id = $1 AND id = $2 AND kind = 'token'";
    let done = on_tx!(tx, c => sqlx::query(SQL).bind(person.as_str()).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(done > 0)
}

/// Ends every session and token of a person, except the one whose hash is `keep`.
pub async fn delete_all_for(tx: &mut WriteTx, person: &PersonId, keep: Option<&str>) -> Result<()> {
    const SQL: &str =
        "DELETE FROM sessions WHERE person_id = $1 AND ($2 IS NULL OR token_hash <> $2)";
    on_tx!(tx, c => sqlx::query(SQL).bind(person.as_str()).bind(keep).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn list_tokens(pools: &Pools, person: &PersonId) -> Result<Vec<SessionRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM sessions WHERE person_id = $1 AND kind = 'token' ORDER BY created_at"
    );
    Ok(on_db!(pools, p => sqlx::query_as(&sql).bind(person.as_str()).fetch_all(p).await)?)
}
