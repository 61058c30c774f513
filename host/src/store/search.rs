//! The full-text index of messages and the search over it. The terms come segmented from
//! `courtyard_domain::message_search`; SQLite keeps them in an FTS5 table keyed by the
//! message's `seq` (its rowid), PostgreSQL in a GIN-indexed `tsvector` built from them
//! verbatim. A search narrows by the index first, then applies the same reading rule as
//! history: the group is one of the searcher's, the message is not deleted, and the
//! searcher is in its audience.

use courtyard_domain::message_search::Query;
use courtyard_domain::{GroupId, PersonId};

use super::messages::{MessageRow, audience_pattern};
use super::writer::{WriteTx, chunk_sizes, on_tx, values_list};
use super::{Db, Pools, Result, on_db};

/// Indexes a message's terms (nothing when there are none), when its batch commits.
pub async fn index(tx: &mut WriteTx, seq: i64, terms: &str) -> Result<()> {
    if !terms.is_empty() {
        tx.index_later(seq, terms);
    }
    Ok(())
}

/// Writes held-back terms (see `WriteTx::flush`), many per statement.
pub(crate) async fn index_many(tx: &mut WriteTx, rows: &[(i64, String)]) -> Result<()> {
    let mut rest = rows;
    for size in chunk_sizes(rows.len()) {
        let (chunk, after) = rest.split_at(size);
        rest = after;
        match tx.conn_mut() {
            Db::Sqlite(c) => {
                let values = values_list(size, 2, |n| format!("(${n}, ${})", n + 1));
                let sql = format!("INSERT INTO message_search (rowid, terms) VALUES {values}");
                let mut q = sqlx::query(&sql);
                for (seq, terms) in chunk {
                    q = q.bind(seq).bind(terms);
                }
                q.execute(&mut *c).await?;
            }
            Db::Postgres(c) => {
                let values = values_list(size, 2, |n| {
                    format!(
                        "(${n}, array_to_tsvector(string_to_array(${}, ' ')))",
                        n + 1
                    )
                });
                let sql = format!(
                    "INSERT INTO message_search (seq, terms) VALUES {values} \
                     ON CONFLICT (seq) DO UPDATE SET terms = EXCLUDED.terms"
                );
                let mut q = sqlx::query(&sql);
                for (seq, terms) in chunk {
                    q = q.bind(seq).bind(terms);
                }
                q.execute(&mut *c).await?;
            }
        }
    }
    Ok(())
}

/// Removes a message from the index (if it is there).
pub async fn unindex(tx: &mut WriteTx, seq: i64) -> Result<()> {
    // The message's terms may still be held back in this batch.
    tx.flush().await?;
    const SQLITE: &str = "DELETE FROM message_search WHERE rowid = $1";
    const POSTGRES: &str = "DELETE FROM message_search WHERE seq = $1";
    match tx.conn_mut() {
        Db::Sqlite(c) => sqlx::query(SQLITE)
            .bind(seq)
            .execute(&mut *c)
            .await?
            .rows_affected(),
        Db::Postgres(c) => sqlx::query(POSTGRES)
            .bind(seq)
            .execute(&mut *c)
            .await?
            .rows_affected(),
    };
    Ok(())
}

/// Replaces a message's terms.
pub async fn reindex(tx: &mut WriteTx, seq: i64, terms: &str) -> Result<()> {
    unindex(tx, seq).await?;
    index(tx, seq, terms).await
}

/// What narrows a search besides the words.
#[derive(Debug, Clone, Copy)]
pub struct Filter<'a> {
    /// Only the groups this person belongs to, and messages they are in the audience of.
    pub reader: &'a PersonId,
    pub group: Option<&'a GroupId>,
    /// Messages this person wrote under their name (anonymous posts never match).
    pub author: Option<&'a PersonId>,
    /// Created at or after (ms).
    pub since: Option<i64>,
    /// Created before (ms).
    pub until: Option<i64>,
    /// Older than this position, for the next page.
    pub before_seq: Option<i64>,
    pub limit: i64,
}

/// Matching messages the reader may read, newest first.
pub async fn search(pools: &Pools, query: &Query, f: Filter<'_>) -> Result<Vec<MessageRow>> {
    let columns = super::messages::columns_of("m");
    // The reading rule, the same as history's; the burn filter keeps messages that will
    // vanish out of results even if an older index holds them.
    let rule = "m.group_id IN (SELECT group_id FROM group_members WHERE person_id = $2) \
        AND m.deleted_at IS NULL AND m.burn_after_secs IS NULL \
        AND (m.audience IS NULL OR m.audience LIKE $3) \
        AND ($4 IS NULL OR m.group_id = $4) \
        AND ($5 IS NULL OR (m.author_id = $5 AND m.anonymous = FALSE)) \
        AND ($6 IS NULL OR m.created_at >= $6) AND ($7 IS NULL OR m.created_at < $7)";
    let pattern = audience_pattern(f.reader);
    Ok(match pools {
        Db::Sqlite(p) => {
            // FTS5 walks a word's matches by rowid (= seq), newest first, so the page
            // stops at the newest readable matches however common the word is.
            let sql = format!(
                "SELECT {columns} FROM message_search s JOIN messages m ON m.seq = s.rowid \
                 WHERE message_search MATCH $1 AND {rule} AND s.rowid < $8 \
                 ORDER BY s.rowid DESC LIMIT $9"
            );
            sqlx::query_as(&sql)
                .bind(query.fts5())
                .bind(f.reader.as_str())
                .bind(&pattern)
                .bind(f.group.map(GroupId::as_str))
                .bind(f.author.map(PersonId::as_str))
                .bind(f.since)
                .bind(f.until)
                .bind(f.before_seq.unwrap_or(i64::MAX))
                .bind(f.limit)
                .fetch_all(p)
                .await?
        }
        Db::Postgres(p) => {
            // A GIN index yields every match unordered, so "newest 20 of a word in most
            // messages" would fetch and sort them all (hundreds of ms at 200,000). Ranges
            // of positions, newest first and widening, keep that to the newest few
            // thousand, while a rare word still ends up searched over everything.
            let sql = format!(
                "SELECT {columns} FROM message_search s JOIN messages m ON m.seq = s.seq \
                 WHERE s.terms @@ $1::tsquery AND {rule} AND s.seq < $8 AND s.seq >= $10 \
                 ORDER BY s.seq DESC LIMIT $9"
            );
            const TOP: &str = "SELECT COALESCE(MAX(seq), 0) + 1 FROM message_search";
            let mut upper = match f.before_seq {
                Some(b) => b,
                None => sqlx::query_scalar::<_, i64>(TOP).fetch_one(p).await?,
            };
            let tsquery = query.tsquery();
            let mut width: i64 = 4096;
            let mut found: Vec<MessageRow> = Vec::new();
            while upper > 0 && (found.len() as i64) < f.limit {
                let lower = upper.saturating_sub(width).max(0);
                let rows: Vec<MessageRow> = sqlx::query_as(&sql)
                    .bind(&tsquery)
                    .bind(f.reader.as_str())
                    .bind(&pattern)
                    .bind(f.group.map(GroupId::as_str))
                    .bind(f.author.map(PersonId::as_str))
                    .bind(f.since)
                    .bind(f.until)
                    .bind(upper)
                    .bind(f.limit - found.len() as i64)
                    .bind(lower)
                    .fetch_all(p)
                    .await?;
                found.extend(rows);
                upper = lower;
                width = width.saturating_mul(8);
            }
            found
        }
    })
}

/// A message written before the index existed, to be indexed by the backfill job.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Unindexed {
    pub seq: i64,
    pub body: String,
    pub attachments: Option<String>,
}

/// The newest messages at or below `upto` that the index should hold.
pub async fn unindexed(pools: &Pools, upto: i64, limit: i64) -> Result<Vec<Unindexed>> {
    const SQL: &str = "SELECT seq, body, attachments FROM messages WHERE seq <= $1 \
        AND deleted_at IS NULL AND burn_after_secs IS NULL ORDER BY seq DESC LIMIT $2";
    Ok(on_db!(pools, p => sqlx::query_as(SQL).bind(upto).bind(limit).fetch_all(p).await)?)
}

/// Whether the message at `seq` still reads as it did when `body` was taken from it (an
/// edit or deletion since then has already indexed it anew).
pub async fn unchanged(tx: &mut WriteTx, seq: i64, body: &str) -> Result<bool> {
    const SQL: &str = "SELECT body FROM messages WHERE seq = $1 AND deleted_at IS NULL";
    let now: Option<String> =
        on_tx!(tx, c => sqlx::query_scalar(SQL).bind(seq).fetch_optional(&mut *c).await)?;
    Ok(now.as_deref() == Some(body))
}

/// Records how far down the backfill still has to go; `None` when it is done.
pub async fn set_backfill_upto(tx: &mut WriteTx, upto: Option<i64>) -> Result<()> {
    const SET: &str = "UPDATE meta SET value = $1 WHERE key = 'search_backfill_upto'";
    const DONE: &str = "DELETE FROM meta WHERE key = 'search_backfill_upto'";
    match upto {
        Some(seq) => {
            let value = seq.to_string();
            on_tx!(tx, c => sqlx::query(SET).bind(&value).execute(&mut *c).await.map(|r| r.rows_affected()))?
        }
        None => {
            on_tx!(tx, c => sqlx::query(DONE).execute(&mut *c).await.map(|r| r.rows_affected()))?
        }
    };
    Ok(())
}
