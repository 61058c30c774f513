//! Reads for an organization's data export: every table the export covers, in keyset
//! pages so an export of any size runs in bounded memory.

use courtyard_domain::OrgId;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use super::files::FileRow;
use super::groups::GroupRow;
use super::messages::MessageRow;
use super::people::PersonRow;
use super::records::RecordRow;
use super::{Pools, Result, on_db};

/// Rows per page.
pub const PAGE: i64 = 1000;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub key: String,
    pub group_id: String,
    pub person_id: String,
    pub role: String,
    pub joined_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KvRow {
    pub key_path: String,
    pub plugin_id: String,
    pub scope: String,
    pub key: String,
    pub value: Vec<u8>,
    pub expires_at: Option<i64>,
    pub updated_at: i64,
}

/// One page of `sql`, which takes the organization as `$1`, the last key seen as `$2`
/// (rows strictly after it, in key order) and the page size as `$3`.
async fn page<T>(pools: &Pools, sql: &str, org: &OrgId, after: &str) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
{
    Ok(on_db!(pools, p => sqlx::query_as::<_, T>(sql)
        .bind(org.as_str()).bind(after).bind(PAGE).fetch_all(p).await)?)
}

pub async fn people(pools: &Pools, org: &OrgId, after: &str) -> Result<Vec<PersonRow>> {
    const SQL: &str = "SELECT id, org_id, email, display_name, title, department_id, phone, \
        avatar_url, company, role, status, search_text, created_at, updated_at FROM people \
        WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3";
    page(pools, SQL, org, after).await
}

pub async fn groups(pools: &Pools, org: &OrgId, after: &str) -> Result<Vec<GroupRow>> {
    const SQL: &str = "SELECT id, org_id, kind, name, description, parent_id, head_id, \
        direct_key, archived, created_by, created_at FROM groups \
        WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3";
    page(pools, SQL, org, after).await
}

/// Memberships of the organization's groups (people of partner organizations included).
pub async fn members(pools: &Pools, org: &OrgId, after: &str) -> Result<Vec<MemberRow>> {
    const SQL: &str = "SELECT m.group_id || '/' || m.person_id AS key, m.group_id, m.person_id, \
        m.role, m.joined_at FROM group_members m JOIN groups g ON g.id = m.group_id \
        WHERE g.org_id = $1 AND m.group_id || '/' || m.person_id > $2 \
        ORDER BY m.group_id || '/' || m.person_id LIMIT $3";
    page(pools, SQL, org, after).await
}

/// Messages of the organization's groups, in the order they were posted.
pub async fn messages(pools: &Pools, org: &OrgId, after_seq: i64) -> Result<Vec<MessageRow>> {
    let columns = super::messages::columns_of("m");
    let sql = format!(
        "SELECT {columns} FROM messages m JOIN groups g ON g.id = m.group_id \
         WHERE g.org_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3"
    );
    Ok(on_db!(pools, p => sqlx::query_as(&sql)
        .bind(org.as_str()).bind(after_seq).bind(PAGE).fetch_all(p).await)?)
}

pub async fn files(pools: &Pools, org: &OrgId, after: &str) -> Result<Vec<FileRow>> {
    const SQL: &str = "SELECT id, org_id, uploaded_by, name, content_type, size, sha256, \
        created_at FROM files WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3";
    page(pools, SQL, org, after).await
}

/// Plugin records, ordered by plugin, collection and id (`after` joins them with `/`).
pub async fn records(pools: &Pools, org: &OrgId, after: &str) -> Result<Vec<RecordRow>> {
    const SQL: &str = "SELECT org_id, plugin_id, collection, id, data, version, created_at, \
        updated_at FROM plugin_records WHERE org_id = $1 \
        AND plugin_id || '/' || collection || '/' || id > $2 \
        ORDER BY plugin_id || '/' || collection || '/' || id LIMIT $3";
    page(pools, SQL, org, after).await
}

/// Plugin key-value entries, ordered by plugin, scope and key; sealed keys (`sealed/…`,
/// see the SDK's `storage` module) never leave.
pub async fn kv(pools: &Pools, org: &OrgId, after: &str) -> Result<Vec<KvRow>> {
    const SQL: &str = "SELECT plugin_id || '/' || scope || '/' || key AS key_path, plugin_id, \
        scope, key, value, expires_at, updated_at FROM plugin_kv WHERE org_id = $1 \
        AND key NOT LIKE 'sealed/%' \
        AND plugin_id || '/' || scope || '/' || key > $2 \
        ORDER BY plugin_id || '/' || scope || '/' || key LIMIT $3";
    page(pools, SQL, org, after).await
}
