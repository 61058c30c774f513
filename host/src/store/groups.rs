//! Groups of every kind, their members and their partner organizations.

use courtyard_domain::{GroupId, OrgId, PersonId};

use super::writer::{WriteTx, on_tx};
use super::{Pools, Result, StoreError, on_db};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct GroupRow {
    pub id: String,
    pub org_id: String,
    pub kind: String,
    pub name: String,
    pub description: String,
    pub parent_id: Option<String>,
    pub head_id: Option<String>,
    pub direct_key: Option<String>,
    pub archived: bool,
    pub created_by: String,
    pub created_at: i64,
}

const COLUMNS: &str = "id, org_id, kind, name, description, parent_id, head_id, direct_key, \
                       archived, created_by, created_at";

/// A group as one person sees it: with their membership role, if any.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct GroupWithRole {
    #[sqlx(flatten)]
    pub group: GroupRow,
    pub my_role: Option<String>,
    pub member_count: i64,
}

const WITH_ROLE: &str = "SELECT g.id, g.org_id, g.kind, g.name, g.description, g.parent_id, \
    g.head_id, g.direct_key, g.archived, g.created_by, g.created_at, \
    (SELECT m.role FROM group_members m WHERE m.group_id = g.id AND m.person_id = $1) AS my_role, \
    (SELECT COUNT(*) FROM group_members c WHERE c.group_id = g.id) AS member_count \
    FROM groups g";

pub async fn get(pools: &Pools, id: &GroupId, viewer: &PersonId) -> Result<GroupWithRole> {
    let sql = format!("{WITH_ROLE} WHERE g.id = $2");
    on_db!(pools, p => sqlx::query_as(&sql)
        .bind(viewer.as_str()).bind(id.as_str()).fetch_optional(p).await)?
    .ok_or(StoreError::NotFound)
}

/// A group by id, as stored (no viewer: for callers acting for no person, like webhooks).
pub async fn row(pools: &Pools, id: &GroupId) -> Result<GroupRow> {
    let sql = format!("SELECT {COLUMNS} FROM groups WHERE id = $1");
    on_db!(pools, p => sqlx::query_as(&sql).bind(id.as_str()).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

/// Groups the person belongs to, plus (for staff) the discoverable groups of their
/// organization; policy decides what is finally shown.
pub async fn list_visible_candidates(
    pools: &Pools,
    viewer: &PersonId,
    org: &OrgId,
    include_discoverable: bool,
) -> Result<Vec<GroupWithRole>> {
    let sql = format!(
        "{WITH_ROLE} WHERE g.id IN (SELECT group_id FROM group_members WHERE person_id = $1) \
         OR ($3 AND g.org_id = $2 AND g.kind IN ('department', 'interest', 'announcement')) \
         ORDER BY g.kind, g.name, g.id"
    );
    Ok(on_db!(pools, p => sqlx::query_as(&sql)
        .bind(viewer.as_str()).bind(org.as_str()).bind(include_discoverable)
        .fetch_all(p).await)?)
}

/// Every department of an organization (the tree is assembled by the caller).
pub async fn departments(pools: &Pools, org: &OrgId) -> Result<Vec<GroupRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM groups WHERE org_id = $1 AND kind = 'department' ORDER BY name, id"
    );
    Ok(on_db!(pools, p => sqlx::query_as(&sql).bind(org.as_str()).fetch_all(p).await)?)
}

pub async fn find_direct(pools: &Pools, key: &str) -> Result<Option<GroupRow>> {
    let sql = format!("SELECT {COLUMNS} FROM groups WHERE direct_key = $1");
    Ok(on_db!(pools, p => sqlx::query_as(&sql).bind(key).fetch_optional(p).await)?)
}

pub async fn membership(
    pools: &Pools,
    group: &GroupId,
    person: &PersonId,
) -> Result<Option<String>> {
    const SQL: &str = "SELECT role FROM group_members WHERE group_id = $1 AND person_id = $2";
    Ok(on_db!(pools, p => sqlx::query_scalar(SQL)
        .bind(group.as_str()).bind(person.as_str()).fetch_optional(p).await)?)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MemberRow {
    pub person_id: String,
    pub role: String,
    pub joined_at: i64,
    pub read_seq: i64,
    pub display_name: String,
    pub org_id: String,
    pub person_role: String,
}

pub async fn members(pools: &Pools, group: &GroupId) -> Result<Vec<MemberRow>> {
    const SQL: &str = "SELECT m.person_id, m.role, m.joined_at, m.read_seq, p.display_name, \
        p.org_id, p.role AS person_role \
        FROM group_members m JOIN people p ON p.id = m.person_id \
        WHERE m.group_id = $1 ORDER BY p.display_name, p.id";
    Ok(on_db!(pools, p => sqlx::query_as(SQL).bind(group.as_str()).fetch_all(p).await)?)
}

pub async fn member_count(pools: &Pools, group: &GroupId) -> Result<i64> {
    const SQL: &str = "SELECT COUNT(*) FROM group_members WHERE group_id = $1";
    Ok(on_db!(pools, p => sqlx::query_scalar(SQL).bind(group.as_str()).fetch_one(p).await)?)
}

pub async fn membership_in(
    tx: &mut WriteTx,
    group: &GroupId,
    person: &PersonId,
) -> Result<Option<String>> {
    const SQL: &str = "SELECT role FROM group_members WHERE group_id = $1 AND person_id = $2";
    Ok(on_tx!(tx, c => sqlx::query_scalar(SQL)
        .bind(group.as_str()).bind(person.as_str()).fetch_optional(&mut *c).await)?)
}

pub async fn member_count_in(tx: &mut WriteTx, group: &GroupId) -> Result<i64> {
    const SQL: &str = "SELECT COUNT(*) FROM group_members WHERE group_id = $1";
    Ok(on_tx!(tx, c => sqlx::query_scalar(SQL).bind(group.as_str()).fetch_one(&mut *c).await)?)
}

/// The ids of every group a person belongs to (for live delivery).
pub async fn group_ids_of(pools: &Pools, person: &PersonId) -> Result<Vec<String>> {
    const SQL: &str = "SELECT group_id FROM group_members WHERE person_id = $1";
    Ok(on_db!(pools, p => sqlx::query_scalar(SQL).bind(person.as_str()).fetch_all(p).await)?)
}

/// What a member has not read yet in one group: top-level messages after their read
/// position, not their own, not deleted, that they are in the audience of.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UnreadRow {
    pub group_id: String,
    pub unread: i64,
    /// Of those, the ones that mention the member (or everyone).
    pub mentions: i64,
}

/// Unread counts for every group `person` is a member of. Each count looks at the newest
/// [`UNREAD_WINDOW`] unread messages at most, so a group never read costs the same as one
/// read yesterday (clients show "99+" long before that).
pub async fn unread_counts(pools: &Pools, person: &PersonId) -> Result<Vec<UnreadRow>> {
    let unread = "FROM messages m WHERE m.group_id = gm.group_id AND m.thread_root_id IS NULL \
        AND m.seq > gm.read_seq AND m.deleted_at IS NULL \
        AND (m.author_id IS NULL OR m.author_id <> $1) \
        AND (m.audience IS NULL OR m.audience LIKE $2) ORDER BY m.seq DESC LIMIT $3";
    let sql = format!(
        "SELECT gm.group_id AS group_id, \
         (SELECT COUNT(*) FROM (SELECT 1 AS one {unread}) u) AS unread, \
         (SELECT COUNT(*) FROM (SELECT m.mentions_all, m.mentions {unread}) u \
          WHERE u.mentions_all OR u.mentions LIKE $2) AS mentions \
         FROM group_members gm WHERE gm.person_id = $1"
    );
    let pattern = super::messages::audience_pattern(person);
    Ok(on_db!(pools, p => sqlx::query_as(&sql)
        .bind(person.as_str()).bind(&pattern).bind(UNREAD_WINDOW).fetch_all(p).await)?)
}

/// How far back unread counts look (see [`unread_counts`]).
pub const UNREAD_WINDOW: i64 = 500;

pub async fn insert(tx: &mut WriteTx, g: &GroupRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO groups ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    );
    on_tx!(tx, c => sqlx::query(&sql)
        .bind(&g.id).bind(&g.org_id).bind(&g.kind).bind(&g.name).bind(&g.description)
        .bind(&g.parent_id).bind(&g.head_id).bind(&g.direct_key).bind(g.archived)
        .bind(&g.created_by).bind(g.created_at)
        .execute(&mut *c).await.map(|r| r.rows_affected()))
    .map_err(|e| StoreError::from(e).unique_as("this conversation exists already"))?;
    Ok(())
}

pub async fn update(tx: &mut WriteTx, g: &GroupRow) -> Result<()> {
    const SQL: &str = "UPDATE groups SET name = $2, description = $3, parent_id = $4, \
                       head_id = $5, archived = $6 WHERE id = $1";
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(&g.id).bind(&g.name).bind(&g.description).bind(&g.parent_id).bind(&g.head_id)
        .bind(g.archived)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Adds a member; returns false if they were one already.
pub async fn add_member(
    tx: &mut WriteTx,
    group: &GroupId,
    person: &PersonId,
    role: &str,
) -> Result<bool> {
    const SQL: &str = "INSERT INTO group_members (group_id, person_id, role, joined_at) \
                       VALUES ($1, $2, $3, $4) ON CONFLICT (group_id, person_id) DO NOTHING";
    let now = tx.now();
    let done = on_tx!(tx, c => sqlx::query(SQL)
        .bind(group.as_str()).bind(person.as_str()).bind(role).bind(now)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(done > 0)
}

pub async fn set_member_role(
    tx: &mut WriteTx,
    group: &GroupId,
    person: &PersonId,
    role: &str,
) -> Result<bool> {
    const SQL: &str = "UPDATE group_members SET role = $3 WHERE group_id = $1 AND person_id = $2";
    let done = on_tx!(tx, c => sqlx::query(SQL)
        .bind(group.as_str()).bind(person.as_str()).bind(role)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(done > 0)
}

/// Removes a member; returns false if they were not one.
pub async fn remove_member(tx: &mut WriteTx, group: &GroupId, person: &PersonId) -> Result<bool> {
    const SQL: &str = "DELETE FROM group_members WHERE group_id = $1 AND person_id = $2";
    let done = on_tx!(tx, c => sqlx::query(SQL)
        .bind(group.as_str()).bind(person.as_str()).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(done > 0)
}

/// Owners left in a group (a group must keep at least one).
pub async fn owner_count(tx: &mut WriteTx, group: &GroupId) -> Result<i64> {
    const SQL: &str = "SELECT COUNT(*) FROM group_members WHERE group_id = $1 AND role = 'owner'";
    Ok(on_tx!(tx, c => sqlx::query_scalar(SQL).bind(group.as_str()).fetch_one(&mut *c).await)?)
}

/// Moves a person's read position forward (never back). Returns the previous position if
/// it moved.
pub async fn advance_read(
    tx: &mut WriteTx,
    group: &GroupId,
    person: &PersonId,
    seq: i64,
) -> Result<Option<i64>> {
    const READ: &str = "SELECT read_seq FROM group_members WHERE group_id = $1 AND person_id = $2";
    const SQL: &str = "UPDATE group_members SET read_seq = $3 \
                       WHERE group_id = $1 AND person_id = $2 AND read_seq < $3";
    let before: Option<i64> = on_tx!(tx, c => sqlx::query_scalar(READ)
        .bind(group.as_str()).bind(person.as_str()).fetch_optional(&mut *c).await)?;
    let Some(before) = before else {
        return Err(StoreError::NotFound);
    };
    if before >= seq {
        return Ok(None);
    }
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(group.as_str()).bind(person.as_str()).bind(seq).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(Some(before))
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PartnerRow {
    pub group_id: String,
    pub org_id: String,
    pub status: String,
    pub invited_by: String,
    pub decided_by: Option<String>,
    pub updated_at: i64,
}

pub async fn partners(pools: &Pools, group: &GroupId) -> Result<Vec<PartnerRow>> {
    const SQL: &str = "SELECT group_id, org_id, status, invited_by, decided_by, updated_at \
                       FROM group_partners WHERE group_id = $1 ORDER BY updated_at";
    Ok(on_db!(pools, p => sqlx::query_as(SQL).bind(group.as_str()).fetch_all(p).await)?)
}

/// Shared groups an organization has been invited into (any status).
/// An invitation of an organization into another's shared group, with the names an admin
/// deciding on it needs.
#[derive(sqlx::FromRow)]
pub struct InvitationRow {
    #[sqlx(flatten)]
    pub partner: PartnerRow,
    pub group_name: String,
    pub host_org_id: String,
    pub host_org_name: String,
}

pub async fn partner_invitations(pools: &Pools, org: &OrgId) -> Result<Vec<InvitationRow>> {
    const SQL: &str = "SELECT gp.group_id, gp.org_id, gp.status, gp.invited_by, gp.decided_by, \
        gp.updated_at, g.name AS group_name, g.org_id AS host_org_id, o.name AS host_org_name \
        FROM group_partners gp JOIN groups g ON g.id = gp.group_id \
        JOIN organizations o ON o.id = g.org_id \
        WHERE gp.org_id = $1 ORDER BY gp.updated_at DESC";
    Ok(on_db!(pools, p => sqlx::query_as(SQL).bind(org.as_str()).fetch_all(p).await)?)
}

/// Every group of an organization but direct conversations, for its admins.
pub async fn of_org(pools: &Pools, viewer: &PersonId, org: &OrgId) -> Result<Vec<GroupWithRole>> {
    let sql = format!(
        "{WITH_ROLE} WHERE g.org_id = $2 AND g.kind <> 'direct' ORDER BY g.kind, g.name, g.id"
    );
    Ok(on_db!(pools, p => sqlx::query_as(&sql)
        .bind(viewer.as_str()).bind(org.as_str()).fetch_all(p).await)?)
}

pub async fn upsert_partner(tx: &mut WriteTx, row: &PartnerRow) -> Result<()> {
    const SQL: &str = "INSERT INTO group_partners (group_id, org_id, status, invited_by, decided_by, updated_at) \
        VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (group_id, org_id) DO UPDATE SET \
        status = excluded.status, invited_by = excluded.invited_by, \
        decided_by = excluded.decided_by, updated_at = excluded.updated_at";
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(&row.group_id).bind(&row.org_id).bind(&row.status).bind(&row.invited_by)
        .bind(&row.decided_by).bind(row.updated_at)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// (id, name, kind) of the given groups.
pub async fn labels(pools: &Pools, ids: &[String]) -> Result<Vec<(String, String, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, name, kind FROM groups WHERE id IN ({})",
        super::placeholders(ids.len())
    );
    on_db!(pools, p => {
        let mut q = sqlx::query_as::<_, (String, String, String)>(&sql);
        for id in ids {
            q = q.bind(id);
        }
        Ok(q.fetch_all(p).await?)
    })
}
