//! People: the directory, credentials and roles.

use courtyard_domain::policy::DirectoryScope;
use courtyard_domain::search::{KEY_SEPARATOR, LikePatterns};
use courtyard_domain::{OrgId, PersonId};

use super::writer::{WriteTx, on_tx};
use super::{Pools, Result, StoreError, on_db};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PersonRow {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub display_name: String,
    pub title: String,
    pub department_id: Option<String>,
    pub phone: String,
    pub avatar_url: String,
    pub company: String,
    pub role: String,
    pub status: String,
    pub search_text: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, org_id, email, display_name, title, department_id, phone, avatar_url, \
                       company, role, status, search_text, created_at, updated_at";

pub async fn get(pools: &Pools, id: &PersonId) -> Result<PersonRow> {
    let sql = format!("SELECT {COLUMNS} FROM people WHERE id = $1");
    on_db!(pools, p => sqlx::query_as(&sql).bind(id.as_str()).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

/// An organization's people, any status, by name (the admin console's list).
pub async fn of_org(
    pools: &Pools,
    org: &OrgId,
    contains: Option<&str>,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<PersonRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM people WHERE org_id = $1 \
         AND ($2 IS NULL OR search_text LIKE $2 ESCAPE '\\') AND ($3 IS NULL OR status = $3) \
         ORDER BY display_name, id LIMIT $4 OFFSET $5"
    );
    Ok(on_db!(pools, p => sqlx::query_as(&sql)
        .bind(org.as_str()).bind(contains).bind(status).bind(limit).bind(offset)
        .fetch_all(p).await)?)
}

/// A person with their password hash, for sign-in only.
/// Active people of an organization holding a role, by name.
pub async fn with_role(pools: &Pools, org: &str, role: &str, limit: i64) -> Result<Vec<PersonRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM people WHERE org_id = $1 AND role = $2 AND status = 'active' \
         ORDER BY display_name, id LIMIT $3"
    );
    Ok(
        on_db!(pools, p => sqlx::query_as(&sql).bind(org).bind(role).bind(limit).fetch_all(p).await)?,
    )
}

pub async fn credentials(
    pools: &Pools,
    email: &str,
) -> Result<Option<(PersonRow, Option<String>)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        person: PersonRow,
        password_hash: Option<String>,
    }
    let sql = format!("SELECT {COLUMNS}, password_hash FROM people WHERE email = $1");
    let row: Option<Row> =
        on_db!(pools, p => sqlx::query_as(&sql).bind(email).fetch_optional(p).await)?;
    Ok(row.map(|r| (r.person, r.password_hash)))
}

pub async fn any_platform_admin(pools: &Pools) -> Result<bool> {
    const SQL: &str = "SELECT EXISTS (SELECT 1 FROM people WHERE role = 'platform_admin')";
    Ok(on_db!(pools, p => sqlx::query_scalar(SQL).fetch_one(p).await)?)
}

pub async fn any_platform_admin_in(tx: &mut WriteTx) -> Result<bool> {
    const SQL: &str = "SELECT EXISTS (SELECT 1 FROM people WHERE role = 'platform_admin')";
    Ok(on_tx!(tx, c => sqlx::query_scalar(SQL).fetch_one(&mut *c).await)?)
}

/// Whether two people are members of at least one common group.
pub async fn share_group(pools: &Pools, a: &PersonId, b: &PersonId) -> Result<bool> {
    const SQL: &str = "SELECT EXISTS (SELECT 1 FROM group_members m1 \
        JOIN group_members m2 ON m1.group_id = m2.group_id \
        WHERE m1.person_id = $1 AND m2.person_id = $2)";
    Ok(on_db!(pools, p => sqlx::query_scalar(SQL)
        .bind(a.as_str()).bind(b.as_str()).fetch_one(p).await)?)
}

/// Whether `person` belongs to a group of `org` (a partner's people in its shared groups).
pub async fn in_org_group(pools: &Pools, person: &str, org: &str) -> Result<bool> {
    const SQL: &str = "SELECT EXISTS (SELECT 1 FROM group_members m \
        JOIN groups g ON g.id = m.group_id WHERE m.person_id = $1 AND g.org_id = $2)";
    Ok(on_db!(pools, p => sqlx::query_scalar(SQL)
        .bind(person).bind(org).fetch_one(p).await)?)
}

pub async fn search_ranked(
    pools: &Pools,
    scope: DirectoryScope,
    viewer: &PersonId,
    viewer_org: &OrgId,
    patterns: Option<&LikePatterns>,
    limit: i64,
) -> Result<Vec<PersonRow>> {
    let contains = patterns.map(|p| p.contains.as_str());
    search_in(pools, scope, viewer, viewer_org, contains, patterns, limit).await
}

async fn search_in(
    pools: &Pools,
    scope: DirectoryScope,
    viewer: &PersonId,
    viewer_org: &OrgId,
    pattern: Option<&str>,
    tiers: Option<&LikePatterns>,
    limit: i64,
) -> Result<Vec<PersonRow>> {
    let shared = "id IN (SELECT m2.person_id FROM group_members m1 \
        JOIN group_members m2 ON m1.group_id = m2.group_id WHERE m1.person_id = $2)";
    let scope_sql = match scope {
        DirectoryScope::Everyone => "($1 = $1 AND $2 = $2)".to_owned(),
        DirectoryScope::HomeOrgAndSharedGroups => format!("(org_id = $1 OR {shared})"),
        DirectoryScope::SharedGroupsOnly => format!("($1 = $1 AND ({shared} OR id = $2))"),
    };
    // Without tiers every CASE test is against NULL, and the order is alphabetical.
    let sql = format!(
        "SELECT {COLUMNS} FROM people WHERE {scope_sql} AND status = 'active' \
         AND ($3 IS NULL OR search_text LIKE $3 ESCAPE '\\') \
         ORDER BY CASE \
           WHEN ($5 || search_text || $5) LIKE $6 ESCAPE '\\' THEN 0 \
           WHEN ($5 || search_text) LIKE $7 ESCAPE '\\' OR search_text LIKE $8 ESCAPE '\\' THEN 1 \
           ELSE 2 END, display_name, id LIMIT $4"
    );
    let (exact_key, key_prefix, word_prefix) = match tiers {
        Some(t) => (
            Some(t.exact_key.as_str()),
            Some(t.key_prefix.as_str()),
            Some(t.word_prefix.as_str()),
        ),
        None => (None, None, None),
    };
    let separator = KEY_SEPARATOR.to_string();
    Ok(on_db!(pools, p => sqlx::query_as(&sql)
        .bind(viewer_org.as_str()).bind(viewer.as_str()).bind(pattern).bind(limit)
        .bind(&separator).bind(exact_key).bind(key_prefix).bind(word_prefix)
        .fetch_all(p).await)?)
}

pub async fn insert(
    tx: &mut WriteTx,
    person: &PersonRow,
    password_hash: Option<&str>,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO people ({COLUMNS}, password_hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    );
    on_tx!(tx, c => sqlx::query(&sql)
        .bind(&person.id).bind(&person.org_id).bind(&person.email).bind(&person.display_name)
        .bind(&person.title).bind(&person.department_id).bind(&person.phone)
        .bind(&person.avatar_url).bind(&person.company).bind(&person.role).bind(&person.status)
        .bind(&person.search_text).bind(person.created_at).bind(person.updated_at)
        .bind(password_hash)
        .execute(&mut *c).await.map(|r| r.rows_affected()))
    .map_err(|e| StoreError::from(e).unique_as("a person with this email exists"))?;
    Ok(())
}

pub async fn update(tx: &mut WriteTx, person: &PersonRow) -> Result<()> {
    const SQL: &str = "UPDATE people SET display_name = $2, title = $3, department_id = $4, \
        phone = $5, avatar_url = $6, company = $7, role = $8, status = $9, search_text = $10, \
        updated_at = $11 WHERE id = $1";
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(&person.id).bind(&person.display_name).bind(&person.title)
        .bind(&person.department_id).bind(&person.phone).bind(&person.avatar_url)
        .bind(&person.company).bind(&person.role).bind(&person.status)
        .bind(&person.search_text).bind(person.updated_at)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Recomputes the search keys of everyone in a department after it was renamed.
pub async fn reindex_department(tx: &mut WriteTx, department_id: &str, name: &str) -> Result<()> {
    let select = format!("SELECT {COLUMNS} FROM people WHERE department_id = $1");
    const UPDATE: &str = "UPDATE people SET search_text = $2 WHERE id = $1";
    let rows: Vec<PersonRow> = on_tx!(tx, c => sqlx::query_as(&select)
        .bind(department_id).fetch_all(&mut *c).await)?;
    for p in rows {
        let text = courtyard_domain::search::index_text(&p.display_name, &p.title, name, &p.email);
        on_tx!(tx, c => sqlx::query(UPDATE).bind(&p.id).bind(&text)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

pub async fn set_password(tx: &mut WriteTx, id: &PersonId, hash: &str) -> Result<()> {
    const SQL: &str = "UPDATE people SET password_hash = $2 WHERE id = $1";
    on_tx!(tx, c => sqlx::query(SQL).bind(id.as_str()).bind(hash).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Display names for a set of people, for rendering authors and receipts.
pub async fn names(pools: &Pools, ids: &[String]) -> Result<Vec<(String, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, display_name FROM people WHERE id IN ({})",
        super::placeholders(ids.len())
    );
    on_db!(pools, p => {
        let mut q = sqlx::query_as::<_, (String, String)>(&sql);
        for id in ids {
            q = q.bind(id);
        }
        Ok(q.fetch_all(p).await?)
    })
}
