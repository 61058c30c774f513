//! The event log: every change a person may be told about, numbered by a position (`seq`)
//! that only grows. Live delivery and reconnect catch-up both read from here, so they agree.

use std::sync::Arc;

use courtyard_domain::{GroupId, OrgId, PersonId};
use serde_json::Value;

use super::writer::{WriteTx, chunk_sizes, on_tx, values_list};
use super::{Pools, Result, on_db};

/// An event about to be written.
#[derive(Clone, Debug)]
pub struct EventDraft {
    pub org_id: OrgId,
    /// The group whose members receive it, if any.
    pub group_id: Option<GroupId>,
    /// A single person who receives it (personal events), if any.
    pub person_id: Option<PersonId>,
    pub kind: &'static str,
    pub data: Value,
    /// Set on membership events so live delivery can update who hears a group.
    pub membership: Option<Membership>,
    /// Restricts a group event to these people (the audience of the message it is about,
    /// as the message stores it: a JSON array of person ids).
    pub audience: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub person_id: PersonId,
    pub joined: bool,
}

/// A committed event, encoded once for every subscriber.
#[derive(Clone, Debug)]
pub struct Event {
    pub seq: i64,
    pub group_id: Option<GroupId>,
    pub person_id: Option<PersonId>,
    pub membership: Option<Membership>,
    /// Only these people receive the event, when set.
    pub audience: Option<Arc<[PersonId]>>,
    /// The wire frame, shared by every connection that receives it.
    pub frame: Arc<str>,
}

pub(crate) fn frame(seq: i64, kind: &str, group_id: Option<&str>, at: i64, data: &str) -> Arc<str> {
    // Built by hand around the stored JSON text so the payload is never parsed and
    // re-encoded on the way out.
    let group = match group_id {
        Some(g) => format!("\"{g}\""),
        None => "null".to_owned(),
    };
    format!(r#"{{"seq":{seq},"type":"{kind}","group_id":{group},"at":{at},"data":{data}}}"#).into()
}

/// An event as the log stores it, waiting for the batch's end (see `WriteTx::flush`).
pub(crate) struct LogRow {
    seq: i64,
    org_id: String,
    group_id: Option<String>,
    person_id: Option<String>,
    kind: &'static str,
    payload: String,
    created_at: i64,
    audience: Option<String>,
}

impl LogRow {
    pub(crate) fn payload(&self) -> &str {
        &self.payload
    }

    pub(crate) fn of(seq: i64, draft: &EventDraft, payload: String, at: i64) -> Self {
        LogRow {
            seq,
            org_id: draft.org_id.as_str().to_owned(),
            group_id: draft.group_id.as_ref().map(|g| g.as_str().to_owned()),
            person_id: draft.person_id.as_ref().map(|p| p.as_str().to_owned()),
            kind: draft.kind,
            payload,
            created_at: at,
            audience: draft.audience.clone(),
        }
    }
}

/// Appends events to the log, many per statement.
pub(crate) async fn insert_many(tx: &mut WriteTx, rows: &[LogRow]) -> Result<()> {
    let mut rest = rows;
    for size in chunk_sizes(rows.len()) {
        let (chunk, after) = rest.split_at(size);
        rest = after;
        let values = values_list(size, 8, |n| {
            let row: Vec<String> = (n..n + 8).map(|i| format!("${i}")).collect();
            format!("({})", row.join(", "))
        });
        let sql = format!(
            "INSERT INTO events \
             (seq, org_id, group_id, person_id, kind, payload, created_at, audience) \
             VALUES {values}"
        );
        on_tx!(tx, c => {
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = q.bind(e.seq).bind(&e.org_id).bind(&e.group_id).bind(&e.person_id)
                    .bind(e.kind).bind(&e.payload).bind(e.created_at).bind(&e.audience);
            }
            q.execute(&mut *c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// The event as subscribers receive it, once its position is known.
pub(crate) fn committed(seq: i64, draft: EventDraft, data: &str, now: i64) -> Event {
    let frame = frame(
        seq,
        draft.kind,
        draft.group_id.as_ref().map(|g| g.as_str()),
        now,
        data,
    );
    let audience = draft.audience.as_deref().map(|list| {
        super::messages::audience_ids(list)
            .into_iter()
            .map(PersonId::from_trusted)
            .collect()
    });
    Event {
        seq,
        group_id: draft.group_id,
        person_id: draft.person_id,
        membership: draft.membership,
        audience,
        frame,
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    seq: i64,
    kind: String,
    group_id: Option<String>,
    payload: String,
    created_at: i64,
}

/// What a reconnecting client missed: events after `since` that reach `person` (through a
/// group they are a member of now, or addressed to them), oldest first.
pub async fn since(
    pools: &Pools,
    person: &PersonId,
    since: i64,
    limit: i64,
) -> Result<Vec<(i64, Arc<str>)>> {
    const SQL: &str = "SELECT seq, kind, group_id, payload, created_at FROM events \
        WHERE seq > $1 AND (person_id = $2 OR group_id IN \
            (SELECT group_id FROM group_members WHERE person_id = $2)) \
        AND (audience IS NULL OR audience LIKE $4) \
        ORDER BY seq LIMIT $3";
    let pattern = super::messages::audience_pattern(person);
    let rows: Vec<EventRow> = on_db!(pools, p => sqlx::query_as(SQL)
        .bind(since).bind(person.as_str()).bind(limit).bind(&pattern).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let f = frame(
                r.seq,
                &r.kind,
                r.group_id.as_deref(),
                r.created_at,
                &r.payload,
            );
            (r.seq, f)
        })
        .collect())
}

/// Events with positions in `(after, upto]`, oldest first, at most `limit`, as live
/// delivery needs them: how another host process learns what its peers committed.
pub async fn range(pools: &Pools, after: i64, upto: i64, limit: i64) -> Result<Vec<Event>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        seq: i64,
        kind: String,
        group_id: Option<String>,
        person_id: Option<String>,
        payload: String,
        created_at: i64,
        audience: Option<String>,
    }
    const SQL: &str = "SELECT seq, kind, group_id, person_id, payload, created_at, audience \
        FROM events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3";
    let rows: Vec<Row> = on_db!(pools, p => sqlx::query_as(SQL)
        .bind(after).bind(upto).bind(limit).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let frame = frame(
                r.seq,
                &r.kind,
                r.group_id.as_deref(),
                r.created_at,
                &r.payload,
            );
            let person_id = r.person_id.map(PersonId::from_trusted);
            // Membership events are the only ones that change who hears a group; their
            // kind and person say which way.
            let membership = match (r.kind.as_str(), &person_id) {
                ("member.joined", Some(p)) => Some(Membership {
                    person_id: p.clone(),
                    joined: true,
                }),
                ("member.left", Some(p)) => Some(Membership {
                    person_id: p.clone(),
                    joined: false,
                }),
                _ => None,
            };
            let audience = r.audience.as_deref().map(|list| {
                super::messages::audience_ids(list)
                    .into_iter()
                    .map(PersonId::from_trusted)
                    .collect()
            });
            Event {
                seq: r.seq,
                group_id: r.group_id.map(GroupId::from_trusted),
                person_id,
                membership,
                audience,
                frame,
            }
        })
        .collect())
}

/// The newest position written so far (0 for an empty log).
pub async fn head(pools: &Pools) -> Result<i64> {
    const SQL: &str = "SELECT COALESCE(MAX(seq), 0) FROM events";
    Ok(on_db!(pools, p => sqlx::query_scalar::<_, i64>(SQL).fetch_one(p).await)?)
}

/// The oldest position still kept; a client behind it must refetch instead of catching up.
pub async fn floor(pools: &Pools) -> Result<i64> {
    const SQL: &str = "SELECT COALESCE(MIN(seq), 0) FROM events";
    Ok(on_db!(pools, p => sqlx::query_scalar::<_, i64>(SQL).fetch_one(p).await)?)
}

/// Deletes up to `limit` events older than `before` (epoch ms), always keeping the newest
/// event so the log's head stays known. Returns how many were deleted.
pub async fn prune(tx: &mut WriteTx, before: i64, limit: i64) -> Result<u64> {
    tx.flush().await?;
    const SQL: &str = "DELETE FROM events WHERE seq IN (SELECT seq FROM events \
        WHERE created_at < $1 AND seq < (SELECT MAX(seq) FROM events) ORDER BY seq LIMIT $2)";
    Ok(on_tx!(tx, c => sqlx::query(SQL)
        .bind(before).bind(limit).execute(&mut *c).await.map(|r| r.rows_affected()))?)
}

/// Replaces the data of the logged events that carry a message's state (its creation,
/// edits, pins and reactions) with `payload`, the message's tombstone, so text erased from
/// the message cannot be read back through catch-up. Positions and kinds stay as they were.
pub async fn scrub_message(
    tx: &mut WriteTx,
    group_id: &str,
    from_seq: i64,
    message_id: &str,
    payload: &str,
) -> Result<u64> {
    tx.flush().await?;
    // The LIKE narrows the scan (payloads are compact JSON); the exact test is on the parsed
    // payload, whose top-level `id` must be the message's.
    const FIND: &str = "SELECT seq, payload FROM events WHERE group_id = $1 AND seq >= $2 \
        AND kind IN ('message.created', 'message.updated', 'message.pinned', \
        'message.unpinned', 'reaction.added', 'reaction.removed') AND payload LIKE $3";
    const SET: &str = "UPDATE events SET payload = $2 WHERE seq = $1";
    let pattern = format!("%\"id\":\"{message_id}\"%");
    let found: Vec<(i64, String)> = on_tx!(tx, c => sqlx::query_as(FIND)
        .bind(group_id).bind(from_seq).bind(&pattern).fetch_all(&mut *c).await)?;
    let mut scrubbed = 0;
    for (seq, data) in found {
        let carries = serde_json::from_str::<Value>(&data)
            .is_ok_and(|v| v.get("id").and_then(Value::as_str) == Some(message_id));
        if carries {
            scrubbed += on_tx!(tx, c => sqlx::query(SET)
                .bind(seq).bind(payload).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        }
    }
    Ok(scrubbed)
}
