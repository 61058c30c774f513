//! Usage figures for an organization's admins: who was active, how much was said where, and
//! what plugins did. Read-only aggregates over messages, sessions, plugin records, plugin
//! enablements and the audit log. Days are UTC days, numbered from the Unix epoch
//! (`created_at / 86400000`), which is integer division on both SQLite and PostgreSQL.

use super::{Pools, Result, on_db};

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// One person active on one day (days since the epoch).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ActiveDay {
    pub person_id: String,
    pub day: i64,
}

/// The days on or after `from_day` on which people of `org` were active: they wrote a
/// message (anywhere; anonymous posts carry no author and do not count), signed in or
/// created a token, or used a session or token. Each (person, day) once.
pub async fn active_days(pools: &Pools, org: &str, from_day: i64) -> Result<Vec<ActiveDay>> {
    const SQL: &str = "SELECT person_id, day FROM ( \
        SELECT m.author_id AS person_id, m.created_at / 86400000 AS day FROM messages m \
          JOIN people p ON p.id = m.author_id WHERE p.org_id = $1 AND m.created_at >= $2 \
        UNION SELECT s.person_id AS person_id, s.created_at / 86400000 AS day FROM sessions s \
          JOIN people p ON p.id = s.person_id WHERE p.org_id = $1 AND s.created_at >= $2 \
        UNION SELECT s.person_id AS person_id, s.last_used_at / 86400000 AS day FROM sessions s \
          JOIN people p ON p.id = s.person_id WHERE p.org_id = $1 AND s.last_used_at >= $2 \
        ) active ORDER BY day, person_id";
    let from = from_day * DAY_MS;
    Ok(on_db!(pools, p => sqlx::query_as(SQL).bind(org).bind(from).fetch_all(p).await)?)
}

/// Messages written in one group on one day.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct GroupDay {
    pub group_id: String,
    pub name: String,
    pub kind: String,
    pub day: i64,
    pub messages: i64,
    /// Of those, the ones a plugin posted.
    pub plugin_messages: i64,
}

/// Messages (top-level, replies, deleted ones included) in the groups of `org` on or after
/// `from_day`, per group and day.
pub async fn messages_by_group_day(
    pools: &Pools,
    org: &str,
    from_day: i64,
) -> Result<Vec<GroupDay>> {
    const SQL: &str = "SELECT g.id AS group_id, g.name AS name, g.kind AS kind, \
        m.created_at / 86400000 AS day, COUNT(*) AS messages, \
        COALESCE(SUM(CASE WHEN m.plugin_id IS NULL THEN 0 ELSE 1 END), 0) AS plugin_messages \
        FROM messages m JOIN groups g ON g.id = m.group_id \
        WHERE g.org_id = $1 AND m.created_at >= $2 \
        GROUP BY g.id, g.name, g.kind, m.created_at / 86400000 \
        ORDER BY 4, 1";
    let from = from_day * DAY_MS;
    Ok(on_db!(pools, p => sqlx::query_as(SQL).bind(org).bind(from).fetch_all(p).await)?)
}

/// One figure about one plugin in an organization.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PluginFigure {
    pub plugin_id: String,
    /// `installed` (1 when installed), `messages` (posted in the window), `records`
    /// (created in the window), `groups` (enabled in now) or `admin_actions` (audit entries
    /// about it in the window).
    pub metric: String,
    pub value: i64,
}

pub async fn plugin_figures(pools: &Pools, org: &str, from_day: i64) -> Result<Vec<PluginFigure>> {
    const SQL: &str = "\
        SELECT plugin_id, 'installed' AS metric, COUNT(*) AS value FROM plugin_installs \
          WHERE org_id = $1 GROUP BY plugin_id \
        UNION ALL SELECT m.plugin_id AS plugin_id, 'messages' AS metric, COUNT(*) AS value \
          FROM messages m JOIN groups g ON g.id = m.group_id \
          WHERE g.org_id = $1 AND m.plugin_id IS NOT NULL AND m.created_at >= $2 \
          GROUP BY m.plugin_id \
        UNION ALL SELECT plugin_id, 'records' AS metric, COUNT(*) AS value FROM plugin_records \
          WHERE org_id = $1 AND created_at >= $2 GROUP BY plugin_id \
        UNION ALL SELECT plugin_id, 'groups' AS metric, COUNT(*) AS value FROM plugin_enablements \
          WHERE org_id = $1 GROUP BY plugin_id \
        UNION ALL SELECT target AS plugin_id, 'admin_actions' AS metric, COUNT(*) AS value \
          FROM audit_log WHERE org_id = $1 AND at >= $2 AND action LIKE 'plugin.%' \
          GROUP BY target";
    let from = from_day * DAY_MS;
    Ok(on_db!(pools, p => sqlx::query_as(SQL).bind(org).bind(from).fetch_all(p).await)?)
}

/// People of the organization who may sign in (status `active`).
pub async fn active_accounts(pools: &Pools, org: &str) -> Result<i64> {
    const SQL: &str = "SELECT COUNT(*) FROM people WHERE org_id = $1 AND status = 'active'";
    Ok(on_db!(pools, p => sqlx::query_scalar(SQL).bind(org).fetch_one(p).await)?)
}
