//! Notifications for people who are away: their settings and the queue of messages that
//! may need telling them about.

use super::messages::MessageRow;
use super::writer::{WriteTx, on_tx};
use super::{Pools, Result, on_db};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SettingsRow {
    pub person_id: String,
    pub email_digest: bool,
    pub quiet_start: Option<i64>,
    pub quiet_end: Option<i64>,
    pub updated_at: i64,
}

pub async fn settings(pools: &Pools, person: &str) -> Result<Option<SettingsRow>> {
    const SQL: &str = "SELECT person_id, email_digest, quiet_start, quiet_end, updated_at \
        FROM notification_settings WHERE person_id = $1";
    Ok(on_db!(pools, p => sqlx::query_as(SQL).bind(person).fetch_optional(p).await)?)
}

pub async fn put_settings(tx: &mut WriteTx, row: &SettingsRow) -> Result<()> {
    const SQL: &str = "INSERT INTO notification_settings \
        (person_id, email_digest, quiet_start, quiet_end, updated_at) VALUES ($1, $2, $3, $4, $5) \
        ON CONFLICT (person_id) DO UPDATE SET email_digest = excluded.email_digest, \
        quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end, \
        updated_at = excluded.updated_at";
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(&row.person_id).bind(row.email_digest).bind(row.quiet_start).bind(row.quiet_end)
        .bind(row.updated_at)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Queues a new message for the members it concerns: everyone else in a direct
/// conversation, or the people it mentions — only members who may see it (its audience).
pub async fn enqueue(tx: &mut WriteTx, message: &MessageRow, direct: bool) -> Result<()> {
    const SQL: &str = "INSERT INTO notification_queue (person_id, message_id, created_at) \
        SELECT gm.person_id, $1, $2 FROM group_members gm \
        WHERE gm.group_id = $3 AND ($4 IS NULL OR gm.person_id <> $4) \
        AND ($5 OR $6 LIKE '%\"' || gm.person_id || '\"%') \
        AND ($7 IS NULL OR $7 LIKE '%\"' || gm.person_id || '\"%') \
        ON CONFLICT DO NOTHING";
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(&message.id).bind(message.created_at).bind(&message.group_id)
        .bind(&message.author_id).bind(direct).bind(&message.mentions).bind(&message.audience)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// People with queued messages from before `until`.
pub async fn due_people(pools: &Pools, until: i64, limit: i64) -> Result<Vec<String>> {
    const SQL: &str = "SELECT person_id FROM notification_queue WHERE created_at <= $1 \
        GROUP BY person_id ORDER BY MIN(created_at) LIMIT $2";
    Ok(on_db!(pools, p => sqlx::query_scalar(SQL).bind(until).bind(limit).fetch_all(p).await)?)
}

/// A queued message the person still has not read.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PendingRow {
    pub message_id: String,
    pub group_id: String,
    pub group_name: String,
    pub group_kind: String,
    pub author_name: Option<String>,
    pub bot: Option<String>,
    pub body: String,
    pub burn_after_secs: Option<i64>,
    pub thread_root_id: Option<String>,
    pub created_at: i64,
}

/// The person's queued messages from before `until` that are still there and unread,
/// oldest first.
pub async fn pending(
    pools: &Pools,
    person: &str,
    until: i64,
    limit: i64,
) -> Result<Vec<PendingRow>> {
    const SQL: &str = "SELECT m.id AS message_id, m.group_id, g.name AS group_name, \
        g.kind AS group_kind, CASE WHEN m.anonymous THEN NULL ELSE p.display_name END \
        AS author_name, m.bot, m.body, m.burn_after_secs, m.thread_root_id, m.created_at \
        FROM notification_queue q \
        JOIN messages m ON m.id = q.message_id \
        JOIN groups g ON g.id = m.group_id \
        JOIN group_members gm ON gm.group_id = m.group_id AND gm.person_id = q.person_id \
        LEFT JOIN people p ON p.id = m.author_id \
        WHERE q.person_id = $1 AND q.created_at <= $2 AND m.deleted_at IS NULL \
        AND m.seq > gm.read_seq ORDER BY m.created_at LIMIT $3";
    Ok(
        on_db!(pools, p => sqlx::query_as(SQL).bind(person).bind(until).bind(limit).fetch_all(p).await)?,
    )
}

/// Forgets a person's queued messages from before `until` (told, read, or not wanted).
pub async fn clear(tx: &mut WriteTx, person: &str, until: i64) -> Result<u64> {
    const SQL: &str = "DELETE FROM notification_queue WHERE person_id = $1 AND created_at <= $2";
    Ok(
        on_tx!(tx, c => sqlx::query(SQL).bind(person).bind(until).execute(&mut *c).await.map(|r| r.rows_affected()))?,
    )
}

/// Forgets everything queued before `before` (a person in quiet hours for days, or a mail
/// server down for days, does not get a stale pile later).
pub async fn prune(tx: &mut WriteTx, before: i64) -> Result<u64> {
    const SQL: &str = "DELETE FROM notification_queue WHERE created_at < $1";
    Ok(
        on_tx!(tx, c => sqlx::query(SQL).bind(before).execute(&mut *c).await.map(|r| r.rows_affected()))?,
    )
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PushSubscriptionRow {
    pub endpoint: String,
    pub person_id: String,
    pub p256dh: String,
    pub auth: String,
    pub created_at: i64,
}

/// Saves a browser's subscription for `person` (a browser signed in as someone else
/// before now belongs to `person`), keeping at most `keep` per person, newest first.
pub async fn subscribe(tx: &mut WriteTx, row: &PushSubscriptionRow, keep: i64) -> Result<()> {
    const UPSERT: &str = "INSERT INTO push_subscriptions \
        (endpoint, person_id, p256dh, auth, created_at) VALUES ($1, $2, $3, $4, $5) \
        ON CONFLICT (endpoint) DO UPDATE SET person_id = excluded.person_id, \
        p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at";
    on_tx!(tx, c => sqlx::query(UPSERT)
        .bind(&row.endpoint).bind(&row.person_id).bind(&row.p256dh).bind(&row.auth)
        .bind(row.created_at)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    const TRIM: &str = "DELETE FROM push_subscriptions WHERE person_id = $1 AND endpoint NOT IN \
        (SELECT endpoint FROM push_subscriptions WHERE person_id = $1 \
         ORDER BY created_at DESC, endpoint LIMIT $2)";
    on_tx!(tx, c => sqlx::query(TRIM).bind(&row.person_id).bind(keep)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Removes a subscription; `person` limits it to theirs (`None`: whoever's, when the push
/// service said it is gone).
pub async fn unsubscribe(tx: &mut WriteTx, endpoint: &str, person: Option<&str>) -> Result<bool> {
    const SQL: &str =
        "DELETE FROM push_subscriptions WHERE endpoint = $1 AND ($2 IS NULL OR person_id = $2)";
    let n = on_tx!(tx, c => sqlx::query(SQL).bind(endpoint).bind(person)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

pub async fn subscription_count(pools: &Pools, person: &str) -> Result<i64> {
    const SQL: &str = "SELECT COUNT(*) FROM push_subscriptions WHERE person_id = $1";
    Ok(on_db!(pools, p => sqlx::query_scalar(SQL).bind(person).fetch_one(p).await)?)
}

/// The subscriptions of everyone a message was queued for.
pub async fn subscriptions_for_message(
    pools: &Pools,
    message_id: &str,
) -> Result<Vec<PushSubscriptionRow>> {
    const SQL: &str = "SELECT s.endpoint, s.person_id, s.p256dh, s.auth, s.created_at \
        FROM notification_queue q JOIN push_subscriptions s ON s.person_id = q.person_id \
        WHERE q.message_id = $1";
    Ok(on_db!(pools, p => sqlx::query_as(SQL).bind(message_id).fetch_all(p).await)?)
}
