//! Messages, thread replies, feed posts, reactions and pins.

use std::sync::LazyLock;

use courtyard_domain::{GroupId, MessageId, PersonId};

use super::writer::{WriteTx, on_tx};
use super::{Pools, Result, StoreError, on_db};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MessageRow {
    pub id: String,
    pub seq: i64,
    pub group_id: String,
    pub kind: String,
    pub author_id: Option<String>,
    pub author_proof: Option<String>,
    pub anonymous: bool,
    pub thread_root_id: Option<String>,
    pub body: String,
    pub mentions: String,
    pub mentions_all: bool,
    pub txn_key: String,
    pub reply_count: i64,
    pub burn_after_secs: Option<i64>,
    pub burn_at: Option<i64>,
    pub pinned_by: Option<String>,
    pub pinned_at: Option<i64>,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub deleted_at: Option<i64>,
    /// Set on messages a plugin posted (they have no author).
    pub plugin_id: Option<String>,
    /// A plugin card in its JSON form.
    pub card: Option<String>,
    /// Who may see the message, its thread and its events, as a JSON array of person ids;
    /// `None` is everyone who can read the group. See [`audience_pattern`].
    pub audience: Option<String>,
    /// Files the message carries, as a JSON array of `{id, name, content_type, size}`.
    pub attachments: Option<String>,
    /// Set on messages an incoming webhook posted: `{"id", "name"}` (JSON).
    pub bot: Option<String>,
}

impl MessageRow {
    /// A chat message with nothing but what every message needs; callers set the rest
    /// (`..MessageRow::draft(…)`), the writer its `seq` and `created_at`.
    pub fn draft(id: String, group_id: String, body: String, txn_key: String) -> Self {
        MessageRow {
            id,
            seq: 0,
            group_id,
            kind: "chat".to_owned(),
            author_id: None,
            author_proof: None,
            anonymous: false,
            thread_root_id: None,
            body,
            mentions: "[]".to_owned(),
            mentions_all: false,
            txn_key,
            reply_count: 0,
            burn_after_secs: None,
            burn_at: None,
            pinned_by: None,
            pinned_at: None,
            created_at: 0,
            edited_at: None,
            deleted_at: None,
            plugin_id: None,
            card: None,
            audience: None,
            attachments: None,
            bot: None,
        }
    }

    /// The people the message is restricted to, if it is.
    pub fn audience_ids(&self) -> Option<Vec<String>> {
        self.audience.as_deref().map(audience_ids)
    }

    /// Whether `person` is in the message's audience (always, when it has none).
    pub fn visible_to(&self, person: &str) -> bool {
        self.audience_ids()
            .is_none_or(|ids| ids.iter().any(|id| id == person))
    }
}

/// The person ids of an audience column (a JSON array); none if it is unreadable, so a
/// damaged audience hides the message rather than showing it to everyone.
pub fn audience_ids(stored: &str) -> Vec<String> {
    serde_json::from_str(stored).unwrap_or_default()
}

/// The `LIKE` pattern that finds `person` in an audience column: ids are UUIDs, which hold
/// neither `%` nor `_`, and the quotes make the match exact.
pub fn audience_pattern(person: &PersonId) -> String {
    format!("%\"{}\"%", person.as_str())
}

/// The SQL condition that a row's `audience` admits the person whose pattern is `$n`.
fn admits(n: u8) -> String {
    format!("(audience IS NULL OR audience LIKE ${n})")
}

const COLUMNS: &str = "id, seq, group_id, kind, author_id, author_proof, anonymous, \
    thread_root_id, body, mentions, mentions_all, txn_key, reply_count, burn_after_secs, \
    burn_at, pinned_by, pinned_at, created_at, edited_at, deleted_at, plugin_id, card, audience, \
    attachments, bot";

/// The message columns qualified by a table alias (`m.id, m.seq, …`), for joins.
pub(crate) fn columns_of(alias: &str) -> String {
    COLUMNS
        .split(", ")
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn get(pools: &Pools, id: &MessageId) -> Result<MessageRow> {
    let sql = format!("SELECT {COLUMNS} FROM messages WHERE id = $1");
    on_db!(pools, p => sqlx::query_as(&sql).bind(id.as_str()).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
}

/// Reads a message inside the writer's transaction (sees the batch's own writes).
pub async fn get_in(tx: &mut WriteTx, id: &str) -> Result<MessageRow> {
    let sql = format!("SELECT {COLUMNS} FROM messages WHERE id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(&mut *c).await)?
        .ok_or(StoreError::NotFound)
}

async fn by_txn(tx: &mut WriteTx, txn_key: &str) -> Result<Option<MessageRow>> {
    let sql = format!("SELECT {COLUMNS} FROM messages WHERE txn_key = $1");
    Ok(on_tx!(tx, c => sqlx::query_as(&sql).bind(txn_key).fetch_optional(&mut *c).await)?)
}

/// The message a client transaction created, if it committed.
pub async fn by_txn_read(pools: &Pools, txn_key: &str) -> Result<Option<MessageRow>> {
    let sql = format!("SELECT {COLUMNS} FROM messages WHERE txn_key = $1");
    Ok(on_db!(pools, p => sqlx::query_as(&sql).bind(txn_key).fetch_optional(p).await)?)
}

/// Top-level messages of a group (no thread replies), newest first, before `before_seq`,
/// optionally of one kind (`post` for the group's feed).
/// Only messages `viewer` is in the audience of.
pub async fn history(
    pools: &Pools,
    group: &GroupId,
    viewer: &PersonId,
    kind: Option<&str>,
    before_seq: Option<i64>,
    limit: i64,
) -> Result<Vec<MessageRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM messages WHERE group_id = $1 AND thread_root_id IS NULL \
         AND seq < $2 AND ($4 IS NULL OR kind = $4) AND {} ORDER BY seq DESC LIMIT $3",
        admits(5)
    );
    let before = before_seq.unwrap_or(i64::MAX);
    let pattern = audience_pattern(viewer);
    Ok(on_db!(pools, p => sqlx::query_as(&sql)
        .bind(group.as_str()).bind(before).bind(limit).bind(kind).bind(&pattern)
        .fetch_all(p).await)?)
}

/// Replies in a thread, oldest first, after `after_seq`.
pub async fn thread(
    pools: &Pools,
    root: &MessageId,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<MessageRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM messages WHERE thread_root_id = $1 AND seq > $2 \
         ORDER BY seq LIMIT $3"
    );
    Ok(on_db!(pools, p => sqlx::query_as(&sql)
        .bind(root.as_str()).bind(after_seq).bind(limit).fetch_all(p).await)?)
}

pub async fn pinned(pools: &Pools, group: &GroupId, viewer: &PersonId) -> Result<Vec<MessageRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM messages WHERE group_id = $1 AND pinned_at IS NOT NULL \
         AND deleted_at IS NULL AND {} ORDER BY pinned_at DESC LIMIT 100",
        admits(2)
    );
    let pattern = audience_pattern(viewer);
    Ok(
        on_db!(pools, p => sqlx::query_as(&sql).bind(group.as_str()).bind(&pattern)
        .fetch_all(p).await)?,
    )
}

/// Inserts a message and its search terms (see [`super::search`]; empty for none).
pub async fn insert(tx: &mut WriteTx, m: &MessageRow, terms: &str) -> Result<()> {
    static SQL: LazyLock<String> = LazyLock::new(|| insert_sql(""));
    insert_with(tx, &SQL, m, terms).await.map(|_| ())
}

/// Inserts a message unless one with its `txn_key` is stored already, i.e. its client's
/// transaction committed before: then nothing is written and that message is returned.
pub async fn insert_once(
    tx: &mut WriteTx,
    m: &MessageRow,
    terms: &str,
) -> Result<Option<MessageRow>> {
    static SQL: LazyLock<String> =
        LazyLock::new(|| insert_sql(" ON CONFLICT (txn_key) DO NOTHING"));
    if insert_with(tx, &SQL, m, terms).await? {
        return Ok(None);
    }
    by_txn(tx, &m.txn_key)
        .await?
        .ok_or(StoreError::NotFound)
        .map(Some)
}

fn insert_sql(on_conflict: &str) -> String {
    format!(
        "INSERT INTO messages ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25){on_conflict}"
    )
}

/// Runs one of the insert statements above; false when it inserted nothing.
async fn insert_with(tx: &mut WriteTx, sql: &str, m: &MessageRow, terms: &str) -> Result<bool> {
    let inserted = on_tx!(tx, c => sqlx::query(sql)
        .bind(&m.id).bind(m.seq).bind(&m.group_id).bind(&m.kind).bind(&m.author_id)
        .bind(&m.author_proof).bind(m.anonymous).bind(&m.thread_root_id).bind(&m.body)
        .bind(&m.mentions).bind(m.mentions_all).bind(&m.txn_key).bind(m.reply_count)
        .bind(m.burn_after_secs).bind(m.burn_at).bind(&m.pinned_by).bind(m.pinned_at)
        .bind(m.created_at).bind(m.edited_at).bind(m.deleted_at).bind(&m.plugin_id).bind(&m.card)
        .bind(&m.audience).bind(&m.attachments).bind(&m.bot)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    if inserted == 0 {
        return Ok(false);
    }
    if let Some(root) = &m.thread_root_id {
        const BUMP: &str = "UPDATE messages SET reply_count = reply_count + 1 WHERE id = $1";
        on_tx!(tx, c => sqlx::query(BUMP).bind(root).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    }
    super::search::index(tx, m.seq, terms).await?;
    Ok(true)
}

/// Replaces a message's text and its search terms.
pub async fn update_body(
    tx: &mut WriteTx,
    id: &str,
    body: &str,
    mentions: &str,
    mentions_all: bool,
    terms: &str,
) -> Result<()> {
    const SQL: &str = "UPDATE messages SET body = $2, mentions = $3, mentions_all = $4, \
                       edited_at = $5 WHERE id = $1";
    let now = tx.now();
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(id).bind(body).bind(mentions).bind(mentions_all).bind(now)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    let seq = get_in(tx, id).await?.seq;
    super::search::reindex(tx, seq, terms).await
}

/// Replaces a plugin card.
/// Gives a thread root and its replies a new audience.
pub async fn set_audience(tx: &mut WriteTx, root: &str, audience: &str) -> Result<()> {
    const SQL: &str = "UPDATE messages SET audience = $2 WHERE id = $1 OR thread_root_id = $1";
    on_tx!(tx, c => sqlx::query(SQL).bind(root).bind(audience)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn set_card(tx: &mut WriteTx, id: &str, card: &str) -> Result<()> {
    const SQL: &str = "UPDATE messages SET card = $2, edited_at = $3 WHERE id = $1";
    let now = tx.now();
    on_tx!(tx, c => sqlx::query(SQL).bind(id).bind(card).bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Deletes for everyone: the body, reactions and search terms are erased; a tombstone keeps
/// the position.
pub async fn erase(tx: &mut WriteTx, id: &str) -> Result<()> {
    const SQL: &str = "UPDATE messages SET body = '', mentions = '[]', mentions_all = $3, \
        deleted_at = $2, pinned_by = NULL, pinned_at = NULL WHERE id = $1";
    const REACTIONS: &str = "DELETE FROM reactions WHERE message_id = $1";
    let now = tx.now();
    on_tx!(tx, c => sqlx::query(SQL).bind(id).bind(now).bind(false).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    on_tx!(tx, c => sqlx::query(REACTIONS).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    let seq = get_in(tx, id).await?.seq;
    super::search::unindex(tx, seq).await
}

pub async fn set_pinned(tx: &mut WriteTx, id: &str, by: Option<&PersonId>) -> Result<()> {
    const SQL: &str = "UPDATE messages SET pinned_by = $2, pinned_at = $3 WHERE id = $1";
    let at = by.map(|_| tx.now());
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(id).bind(by.map(|p| p.as_str())).bind(at).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Returns whether the reaction was new.
pub async fn add_reaction(
    tx: &mut WriteTx,
    message: &str,
    person: &PersonId,
    emoji: &str,
) -> Result<bool> {
    const SQL: &str = "INSERT INTO reactions (message_id, person_id, emoji, created_at) \
        VALUES ($1, $2, $3, $4) ON CONFLICT (message_id, emoji, person_id) DO NOTHING";
    let now = tx.now();
    let done = on_tx!(tx, c => sqlx::query(SQL)
        .bind(message).bind(person.as_str()).bind(emoji).bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(done > 0)
}

/// Returns whether a reaction was removed.
pub async fn remove_reaction(
    tx: &mut WriteTx,
    message: &str,
    person: &PersonId,
    emoji: &str,
) -> Result<bool> {
    const SQL: &str =
        "DELETE FROM reactions WHERE message_id = $1 AND person_id = $2 AND emoji = $3";
    let done = on_tx!(tx, c => sqlx::query(SQL)
        .bind(message).bind(person.as_str()).bind(emoji).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(done > 0)
}

/// (message id, emoji, person id) for the given messages, in reaction order.
pub async fn reactions(pools: &Pools, ids: &[String]) -> Result<Vec<(String, String, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT message_id, emoji, person_id FROM reactions WHERE message_id IN ({}) \
         ORDER BY created_at, person_id",
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

pub async fn reactions_in(tx: &mut WriteTx, id: &str) -> Result<Vec<(String, String, String)>> {
    const SQL: &str = "SELECT message_id, emoji, person_id FROM reactions WHERE message_id = $1 \
                       ORDER BY created_at, person_id";
    Ok(on_tx!(tx, c => sqlx::query_as(SQL).bind(id).fetch_all(&mut *c).await)?)
}

/// Starts the burn clock of burn-after-read messages that `reader` has now read for the
/// first time (messages by others, up to `upto_seq`). Returns the ids armed.
pub async fn arm_burns(
    tx: &mut WriteTx,
    group: &GroupId,
    reader: &PersonId,
    upto_seq: i64,
) -> Result<Vec<(String, i64)>> {
    const FIND: &str = "SELECT id, burn_after_secs FROM messages WHERE group_id = $1 \
        AND seq <= $2 AND burn_after_secs IS NOT NULL AND burn_at IS NULL \
        AND deleted_at IS NULL AND (author_id IS NULL OR author_id <> $3)";
    const ARM: &str = "UPDATE messages SET burn_at = $2 WHERE id = $1";
    let found: Vec<(String, i64)> = on_tx!(tx, c => sqlx::query_as(FIND)
        .bind(group.as_str()).bind(upto_seq).bind(reader.as_str())
        .fetch_all(&mut *c).await)?;
    let now = tx.now();
    let mut armed = Vec::with_capacity(found.len());
    for (id, secs) in found {
        let at = now + secs * 1000;
        on_tx!(tx, c => sqlx::query(ARM).bind(&id).bind(at).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        armed.push((id, at));
    }
    Ok(armed)
}

/// Burn-after-read messages whose time has come.
pub async fn due_burns(pools: &Pools, now: i64, limit: i64) -> Result<Vec<MessageRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM messages WHERE burn_at IS NOT NULL AND burn_at <= $1 \
         AND deleted_at IS NULL ORDER BY burn_at LIMIT $2"
    );
    Ok(on_db!(pools, p => sqlx::query_as(&sql).bind(now).bind(limit).fetch_all(p).await)?)
}

/// The earliest pending burn, so the sweeper can sleep until then.
pub async fn next_burn(pools: &Pools) -> Result<Option<i64>> {
    const SQL: &str =
        "SELECT MIN(burn_at) FROM messages WHERE burn_at IS NOT NULL AND deleted_at IS NULL";
    Ok(on_db!(pools, p => sqlx::query_scalar(SQL).fetch_one(p).await)?)
}
