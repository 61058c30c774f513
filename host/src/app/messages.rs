//! Messages: posting (idempotent on the client's transaction id), threads, edits, deletes,
//! reactions, pins, read receipts, anonymous feed posts and burn-after-read.

use std::collections::HashMap;
use std::time::Duration;

use courtyard_domain::limits::{
    BURN_AFTER_SECS, DEFAULT_PAGE, MAX_PAGE, MAX_REACTION_BYTES, MAX_READ_RECEIPT_GROUP,
    MAX_TXN_ID_BYTES,
};
use courtyard_domain::markup::{self, MarkupError};
use courtyard_domain::model::MessageKind;
use courtyard_domain::{GroupId, GroupKind, MessageId, OrgId, PersonId};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Auth;
use super::groups::Seen;
use super::search;
use super::views::{MessageView, PersonRef, PinView, ReactionView, ReceiptsView};
use super::{App, AppError, OrNotFound, Result, parse_id};
use crate::crypto;
use crate::store::events::{self, EventDraft};
use crate::store::messages::{self, MessageRow};
use crate::store::writer::WriteTx;
use crate::store::{StoreError, files, groups, notifications, now_millis, orgs, people};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostMessage {
    /// Text with Courtyard markup: `<@person-id>`, `@all`, links, `` `code` ``, fenced blocks.
    pub body: String,
    /// The client's own id for this post (1-128 bytes). A retry with the same id returns the
    /// original message instead of posting twice.
    pub client_txn_id: String,
    /// Reply in the thread of this message (a comment, for feed posts).
    pub thread_root_id: Option<String>,
    /// `chat` (default) or `post` (a feed post).
    pub kind: Option<String>,
    /// Feed posts only, where the organization allows: no one can learn the author.
    #[serde(default)]
    pub anonymous: bool,
    /// Direct messages only: delete for everyone this many seconds after the recipient
    /// first reads it.
    pub burn_after_secs: Option<i64>,
    /// Files to attach (ids from `POST /api/v1/files`, up to 10, each one the poster may
    /// read). Everyone who may read the message may then download them.
    #[serde(default)]
    pub attachments: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditMessage {
    pub body: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    /// Everything up to and including this message counts as read.
    pub message_id: String,
}

/// A posted message, and whether this call created it (false for a retried transaction).
pub struct Posted {
    pub message: MessageView,
    pub created: bool,
}

fn markup_error(e: MarkupError) -> AppError {
    let code = match e {
        MarkupError::Empty => "empty_message",
        MarkupError::TooLong { .. } => "message_too_long",
        MarkupError::ControlCharacter => "invalid_characters",
    };
    AppError::invalid(code, e.to_string())
}

fn check_reaction(emoji: &str) -> Result<String> {
    let ok = !emoji.is_empty()
        && emoji.len() <= MAX_REACTION_BYTES
        && !emoji.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(emoji.to_owned())
    } else {
        Err(AppError::invalid(
            "invalid_reaction",
            "a reaction is one emoji or a short code without spaces",
        ))
    }
}

/// Renders rows for the API: authors' names, reactions and parsed segments.
pub(crate) struct Renderer {
    names: HashMap<String, String>,
    reactions: HashMap<String, Vec<(String, String)>>,
}

impl Renderer {
    pub(crate) async fn load(app: &App, rows: &[MessageRow]) -> Result<Self> {
        let mut author_ids: Vec<String> = rows
            .iter()
            .filter(|r| !r.anonymous)
            .filter_map(|r| r.author_id.clone())
            .collect();
        author_ids.sort();
        author_ids.dedup();
        let names = people::names(&app.store.read, &author_ids)
            .await?
            .into_iter()
            .collect();
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut reactions: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for (mid, emoji, pid) in messages::reactions(&app.store.read, &ids).await? {
            reactions.entry(mid).or_default().push((emoji, pid));
        }
        Ok(Self { names, reactions })
    }

    /// For messages without an author (posted by plugins) and no reactions yet.
    pub(crate) fn plain() -> Self {
        Self {
            names: HashMap::new(),
            reactions: HashMap::new(),
        }
    }

    fn single(author: Option<(&str, &str)>, reactions: Vec<(String, String, String)>) -> Self {
        let mut r = Self {
            names: HashMap::new(),
            reactions: HashMap::new(),
        };
        if let Some((id, name)) = author {
            r.names.insert(id.to_owned(), name.to_owned());
        }
        for (mid, emoji, pid) in reactions {
            r.reactions.entry(mid).or_default().push((emoji, pid));
        }
        r
    }

    pub(crate) fn view(&self, row: MessageRow) -> MessageView {
        let deleted = row.deleted_at.is_some();
        // Anonymous posts never name their author; a deleted message no longer does.
        let author = if row.anonymous || deleted {
            None
        } else {
            row.author_id.as_ref().map(|id| PersonRef {
                id: id.clone(),
                display_name: self.names.get(id).cloned().unwrap_or_default(),
            })
        };
        let segments = if deleted {
            serde_json::json!([])
        } else {
            markup::parse(&row.body)
                .map(|p| serde_json::to_value(p.segments).unwrap_or_default())
                .unwrap_or_else(|_| serde_json::json!([{"type": "text", "text": row.body}]))
        };
        let mut grouped: Vec<ReactionView> = Vec::new();
        for (emoji, pid) in self.reactions.get(&row.id).into_iter().flatten() {
            match grouped.iter_mut().find(|g| &g.emoji == emoji) {
                Some(g) => {
                    g.count += 1;
                    g.person_ids.push(pid.clone());
                }
                None => grouped.push(ReactionView {
                    emoji: emoji.clone(),
                    count: 1,
                    person_ids: vec![pid.clone()],
                }),
            }
        }
        let audience = row.audience_ids();
        MessageView {
            id: row.id,
            seq: row.seq,
            group_id: row.group_id,
            kind: row.kind,
            author,
            anonymous: row.anonymous,
            thread_root_id: row.thread_root_id,
            body: row.body,
            segments,
            mentions: serde_json::from_str(&row.mentions).unwrap_or_default(),
            mentions_all: row.mentions_all,
            reply_count: row.reply_count,
            reactions: grouped,
            burn_after_secs: row.burn_after_secs,
            burn_at: row.burn_at,
            pinned: row
                .pinned_by
                .zip(row.pinned_at)
                .map(|(by, at)| PinView { by, at }),
            created_at: row.created_at,
            edited_at: row.edited_at,
            deleted,
            card: row
                .card
                .as_deref()
                .filter(|_| !deleted)
                .and_then(|c| serde_json::from_str(c).ok()),
            plugin_id: row.plugin_id,
            audience,
            attachments: row
                .attachments
                .as_deref()
                .filter(|_| !deleted)
                .and_then(|a| serde_json::from_str(a).ok())
                .unwrap_or_default(),
            bot: row
                .bot
                .as_deref()
                .and_then(|b| serde_json::from_str(b).ok()),
        }
    }
}

fn message_event(group: &Seen, kind: &'static str, data: serde_json::Value) -> EventDraft {
    EventDraft {
        org_id: group.org.clone(),
        group_id: Some(group.id.clone()),
        person_id: None,
        kind,
        data,
        membership: None,
        audience: None,
    }
}

impl App {
    /// A message and its group, if the actor may read that group.
    pub(crate) async fn readable_message(
        &self,
        auth: &Auth,
        raw_id: &str,
    ) -> Result<(MessageRow, Seen)> {
        let id = parse_id("message", raw_id, MessageId::parse)?;
        let row = messages::get(&self.store.read, &id)
            .await
            .or_not_found("message")?;
        let seen = self
            .seen_group(auth, &row.group_id)
            .await
            .map_err(|_| AppError::NotFound("message"))?;
        if !seen.rights.read || !row.visible_to(auth.actor.person_id.as_str()) {
            return Err(AppError::NotFound("message"));
        }
        Ok((row, seen))
    }

    fn is_author(&self, auth: &Auth, row: &MessageRow) -> bool {
        if row.anonymous {
            let proof = crypto::keyed_digest(
                &self.secret,
                &["author", auth.actor.person_id.as_str(), &row.id],
            );
            row.author_proof
                .as_deref()
                .is_some_and(|p| crypto::constant_time_eq(p, &proof))
        } else {
            row.author_id.as_deref() == Some(auth.actor.person_id.as_str())
        }
    }

    pub async fn post_message(
        &self,
        auth: &Auth,
        group_id: &str,
        input: PostMessage,
    ) -> Result<Posted> {
        let group = self.seen_group(auth, group_id).await?;
        if !group.rights.read {
            return Err(AppError::NotFound("group"));
        }
        if !group.rights.post {
            return Err(AppError::Forbidden("you cannot post in this group"));
        }
        if input.client_txn_id.is_empty() || input.client_txn_id.len() > MAX_TXN_ID_BYTES {
            return Err(AppError::invalid(
                "invalid_txn_id",
                format!("client_txn_id must be 1 to {MAX_TXN_ID_BYTES} bytes"),
            ));
        }
        markup::parse(&input.body).map_err(markup_error)?;
        let attachments = self.attachments_for(auth, &input.attachments).await?;
        let me = auth.actor.person_id.as_str();
        let txn_key = crypto::keyed_digest(
            &self.secret,
            &["txn", me, group.id.as_str(), &input.client_txn_id],
        );
        // A retry of a transaction that committed gets the original, without running hooks
        // again (the writer still guards against concurrent retries).
        if let Some(existing) = messages::by_txn_read(&self.store.read, &txn_key).await? {
            let r = Renderer::load(self, std::slice::from_ref(&existing)).await?;
            return Ok(Posted {
                message: r.view(existing),
                created: false,
            });
        }
        // Only new messages count: a retry of one already stored was answered above.
        self.post_rate.take(me).map_err(AppError::SlowDown)?;
        // Plugins enabled here may inspect (and rewrite or refuse) the message first.
        let body = self
            .before_message(auth, &group.id, &group.org, input.body.clone())
            .await?;
        let parsed = markup::parse(&body).map_err(markup_error)?;
        let kind = match input.kind.as_deref() {
            None => MessageKind::Chat,
            Some(k) => MessageKind::parse(k)
                .ok_or_else(|| AppError::invalid("invalid_kind", "kind must be chat or post"))?,
        };
        if input.anonymous {
            if kind != MessageKind::Post || input.thread_root_id.is_some() {
                return Err(AppError::invalid(
                    "anonymous_not_allowed",
                    "only feed posts can be anonymous",
                ));
            }
            let org = orgs::get(&self.store.read, &group.org).await?;
            if !org.anonymous_posts_enabled {
                return Err(AppError::Forbidden(
                    "this organization does not allow anonymous posts",
                ));
            }
        }
        if let Some(secs) = input.burn_after_secs {
            if group.kind != GroupKind::Direct {
                return Err(AppError::invalid(
                    "burn_not_allowed",
                    "burn-after-read is for direct messages",
                ));
            }
            if !BURN_AFTER_SECS.contains(&secs) {
                return Err(AppError::invalid(
                    "invalid_burn",
                    "burn_after_secs must be 1 to 604800",
                ));
            }
        }
        let thread_root = match &input.thread_root_id {
            Some(raw) => {
                let root_id = parse_id("thread", raw, MessageId::parse)?;
                let root = messages::get(&self.store.read, &root_id)
                    .await
                    .or_not_found("thread")?;
                if root.group_id != group.id.as_str()
                    || root.thread_root_id.is_some()
                    || !root.visible_to(me)
                {
                    return Err(AppError::NotFound("thread"));
                }
                if root.deleted_at.is_some() {
                    return Err(AppError::invalid(
                        "thread_deleted",
                        "the message you reply to was deleted",
                    ));
                }
                Some(root)
            }
            None => None,
        };
        // A reply is seen by exactly those who see its thread.
        let audience = thread_root.as_ref().and_then(|r| r.audience.clone());
        let thread_root = thread_root.map(|r| r.id);
        let id = MessageId::generate().into_string();
        let author_proof = input
            .anonymous
            .then(|| crypto::keyed_digest(&self.secret, &["author", me, &id]));
        let row = MessageRow {
            author_id: (!input.anonymous).then(|| me.to_owned()),
            author_proof,
            kind: kind.as_str().to_owned(),
            anonymous: input.anonymous,
            thread_root_id: thread_root,
            mentions: serde_json::to_string(&parsed.mentions).unwrap_or_else(|_| "[]".into()),
            mentions_all: parsed.mentions_all,
            burn_after_secs: input.burn_after_secs,
            audience,
            attachments: (!attachments.is_empty())
                .then(|| serde_json::to_string(&attachments).unwrap_or_else(|_| "[]".into())),
            ..MessageRow::draft(id, group.id.as_str().to_owned(), body, txn_key)
        };
        // The body was parsed above: index its segments rather than parse it again.
        let terms = if row.burn_after_secs.is_some() {
            String::new()
        } else {
            let names: Vec<&str> = attachments.iter().map(|a| a.name.as_str()).collect();
            search::terms_of(&parsed.segments, &names)
        };
        let attached: Vec<String> = attachments.into_iter().map(|a| a.id).collect();
        let author = (!row.anonymous).then_some((me, auth.person.display_name.as_str()));
        // Rendered here rather than in the writer, which every post waits for; the writer
        // only fills in the position and time.
        let mut data = serde_json::to_value(Renderer::single(author, Vec::new()).view(row.clone()))
            .unwrap_or_default();
        let org = group.org.clone();
        let gid = group.id.clone();
        // Direct messages and mentions may need telling someone who is away.
        let direct = group.kind == GroupKind::Direct;
        let notify = direct || !parsed.mentions.is_empty();
        let (stored, created) = self
            .writer
            .write(move |tx| {
                Box::pin(async move {
                    let mut row = row;
                    row.seq = tx.next_seq().await?;
                    row.created_at = tx.now();
                    if let Some(existing) = messages::insert_once(tx, &row, &terms).await? {
                        return Ok((existing, false));
                    }
                    files::attach(tx, &row.id, &attached).await?;
                    if notify {
                        notifications::enqueue(tx, &row, direct).await?;
                    }
                    data["seq"] = row.seq.into();
                    data["created_at"] = row.created_at.into();
                    let draft = EventDraft {
                        org_id: org,
                        group_id: Some(gid),
                        person_id: None,
                        kind: "message.created",
                        data,
                        membership: None,
                        audience: row.audience.clone(),
                    };
                    tx.emit_at(row.seq, draft).await?;
                    Ok((row, true))
                })
            })
            .await?;
        let message = if created {
            Renderer::single(Some((me, &auth.person.display_name)), Vec::new()).view(stored)
        } else {
            let r = Renderer::load(self, std::slice::from_ref(&stored)).await?;
            r.view(stored)
        };
        if created && notify {
            self.push_message(
                message.id.clone(),
                push_note(&group, &auth.person.display_name, &message, &parsed),
            );
        }
        if created {
            self.metrics.message_posted();
            let actor = (!message.anonymous).then_some(auth);
            let data = serde_json::to_value(&message).unwrap_or_default();
            self.dispatch_event(actor, &group.org, &group.id, "message.created", data);
        }
        Ok(Posted { message, created })
    }

    pub async fn get_message(&self, auth: &Auth, id: &str) -> Result<MessageView> {
        let (row, _) = self.readable_message(auth, id).await?;
        let r = Renderer::load(self, std::slice::from_ref(&row)).await?;
        Ok(r.view(row))
    }

    /// Top-level messages, newest first; page back with `before` (a `seq`). `kind` narrows
    /// to chat lines or feed posts.
    pub async fn history(
        &self,
        auth: &Auth,
        group_id: &str,
        kind: Option<&str>,
        before: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Vec<MessageView>> {
        let kind = match kind {
            None => None,
            Some(k) => Some(
                MessageKind::parse(k)
                    .ok_or_else(|| AppError::invalid("invalid_kind", "kind must be chat or post"))?
                    .as_str(),
            ),
        };
        let group = self.seen_group(auth, group_id).await?;
        if !group.rights.read {
            return Err(AppError::NotFound("group"));
        }
        let limit = limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
        let me = &auth.actor.person_id;
        let rows = messages::history(&self.store.read, &group.id, me, kind, before, limit).await?;
        let r = Renderer::load(self, &rows).await?;
        Ok(rows.into_iter().map(|m| r.view(m)).collect())
    }

    /// Replies in a thread, oldest first; page forward with `after` (a `seq`).
    pub async fn thread(
        &self,
        auth: &Auth,
        root_id: &str,
        after: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Vec<MessageView>> {
        let (root, _) = self.readable_message(auth, root_id).await?;
        let limit = limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
        let rows = messages::thread(
            &self.store.read,
            &MessageId::from_trusted(root.id),
            after.unwrap_or(0),
            limit,
        )
        .await?;
        let r = Renderer::load(self, &rows).await?;
        Ok(rows.into_iter().map(|m| r.view(m)).collect())
    }

    pub async fn edit_message(
        &self,
        auth: &Auth,
        id: &str,
        input: EditMessage,
    ) -> Result<MessageView> {
        let (row, group) = self.readable_message(auth, id).await?;
        if row.anonymous || !self.is_author(auth, &row) {
            return Err(AppError::Forbidden("you can edit only your own messages"));
        }
        if row.deleted_at.is_some() {
            return Err(AppError::invalid(
                "message_deleted",
                "the message was deleted",
            ));
        }
        if !group.rights.post {
            return Err(AppError::Forbidden("you cannot post in this group"));
        }
        let parsed = markup::parse(&input.body).map_err(markup_error)?;
        let mentions = serde_json::to_string(&parsed.mentions).unwrap_or_else(|_| "[]".into());
        let (org, gid) = (group.org.clone(), group.id.clone());
        let terms = search::terms_for(
            &input.body,
            row.attachments.as_deref(),
            row.burn_after_secs.is_some(),
        );
        let view = self
            .rewrite(row.id.clone(), group, "message.updated", move |tx, id| {
                Box::pin(async move {
                    let all = parsed.mentions_all;
                    messages::update_body(tx, &id, &input.body, &mentions, all, &terms).await
                })
            })
            .await?;
        let data = serde_json::to_value(&view).unwrap_or_default();
        self.dispatch_event(Some(auth), &org, &gid, "message.edited", data);
        Ok(view)
    }

    /// Deletes for everyone: the author, or a manager of the group.
    pub async fn delete_message(&self, auth: &Auth, id: &str) -> Result<()> {
        let (row, group) = self.readable_message(auth, id).await?;
        if !(self.is_author(auth, &row) || group.rights.manage) {
            return Err(AppError::Forbidden("you can delete only your own messages"));
        }
        if row.deleted_at.is_some() {
            return Ok(());
        }
        let (org, gid) = (group.org.clone(), group.id.clone());
        self.rewrite(row.id.clone(), group, "message.deleted", |tx, id| {
            Box::pin(async move { erase_everywhere(tx, &id).await })
        })
        .await?;
        let data = serde_json::json!({"id": row.id, "group_id": gid.as_str()});
        self.dispatch_event(Some(auth), &org, &gid, "message.deleted", data);
        Ok(())
    }

    pub async fn set_pin(&self, auth: &Auth, id: &str, pinned: bool) -> Result<MessageView> {
        let (row, group) = self.readable_message(auth, id).await?;
        if !group.rights.post {
            return Err(AppError::Forbidden("you cannot pin in this group"));
        }
        if row.deleted_at.is_some() || row.thread_root_id.is_some() {
            return Err(AppError::invalid(
                "cannot_pin",
                "only live top-level messages can be pinned",
            ));
        }
        let by = pinned.then(|| auth.actor.person_id.clone());
        let kind = if pinned {
            "message.pinned"
        } else {
            "message.unpinned"
        };
        self.rewrite(row.id.clone(), group, kind, move |tx, id| {
            Box::pin(async move { messages::set_pinned(tx, &id, by.as_ref()).await })
        })
        .await
    }

    pub async fn pins(&self, auth: &Auth, group_id: &str) -> Result<Vec<MessageView>> {
        let group = self.seen_group(auth, group_id).await?;
        if !group.rights.read {
            return Err(AppError::NotFound("group"));
        }
        let rows = messages::pinned(&self.store.read, &group.id, &auth.actor.person_id).await?;
        let r = Renderer::load(self, &rows).await?;
        Ok(rows.into_iter().map(|m| r.view(m)).collect())
    }

    pub async fn react(
        &self,
        auth: &Auth,
        id: &str,
        emoji: &str,
        add: bool,
    ) -> Result<MessageView> {
        let (row, group) = self.readable_message(auth, id).await?;
        if !group.rights.post {
            return Err(AppError::Forbidden("you cannot react in this group"));
        }
        if row.deleted_at.is_some() {
            return Err(AppError::invalid(
                "message_deleted",
                "the message was deleted",
            ));
        }
        let emoji = check_reaction(emoji)?;
        let me = auth.actor.person_id.clone();
        let kind = if add {
            "reaction.added"
        } else {
            "reaction.removed"
        };
        let (org, gid) = (group.org.clone(), group.id.clone());
        let mut event = serde_json::json!({
            "message_id": row.id, "group_id": gid.as_str(),
            "person_id": auth.actor.person_id.as_str(), "emoji": emoji,
        });
        if let Some(audience) = row.audience_ids() {
            // Restricted: only the plugin whose card this is hears of it (see dispatch_event).
            event["audience"] = serde_json::json!(audience);
            event["plugin_id"] = serde_json::json!(row.plugin_id);
            event["thread_root_id"] = serde_json::json!(row.thread_root_id);
        }
        let view = self
            .rewrite(row.id.clone(), group, kind, move |tx, id| {
                Box::pin(async move {
                    if add {
                        messages::add_reaction(tx, &id, &me, &emoji).await?;
                    } else {
                        messages::remove_reaction(tx, &id, &me, &emoji).await?;
                    }
                    Ok(())
                })
            })
            .await?;
        self.dispatch_event(Some(auth), &org, &gid, kind, event);
        Ok(view)
    }

    /// Applies a change to one message and tells the group with the message's new state.
    async fn rewrite<F>(
        &self,
        id: String,
        group: Seen,
        kind: &'static str,
        change: F,
    ) -> Result<MessageView>
    where
        F: for<'a> FnOnce(
                &'a mut WriteTx,
                String,
            )
                -> crate::store::writer::BoxFuture<'a, Result<(), StoreError>>
            + Send
            + 'static,
    {
        let pre = messages::get(&self.store.read, &MessageId::from_trusted(id.clone())).await?;
        let author_name = match pre.author_id.as_deref().filter(|_| !pre.anonymous) {
            Some(a) => people::names(&self.store.read, &[a.to_owned()])
                .await?
                .into_iter()
                .next(),
            None => None,
        };
        let mut event_group = message_event(&group, kind, serde_json::Value::Null);
        event_group.audience = pre.audience.clone();
        let view = self
            .writer
            .write(move |tx| {
                Box::pin(async move {
                    change(tx, id.clone()).await?;
                    let row = messages::get_in(tx, &id).await?;
                    let reactions = messages::reactions_in(tx, &id).await?;
                    let renderer = Renderer::single(
                        author_name.as_ref().map(|(a, n)| (a.as_str(), n.as_str())),
                        reactions,
                    );
                    let view = renderer.view(row);
                    let mut draft = event_group;
                    draft.data = serde_json::to_value(&view).unwrap_or_default();
                    tx.emit(draft).await?;
                    Ok(view)
                })
            })
            .await?;
        Ok(view)
    }

    /// Marks a group read up to a message. Starts burn-after-read clocks and tells the group
    /// (where receipts are on and the group is small enough).
    pub async fn mark_read(&self, auth: &Auth, group_id: &str, input: MarkRead) -> Result<()> {
        let group = self.seen_group(auth, group_id).await?;
        if group.row.my_role.is_none() {
            return Err(AppError::NotFound("group"));
        }
        let mid = parse_id("message", &input.message_id, MessageId::parse)?;
        let msg = messages::get(&self.store.read, &mid)
            .await
            .or_not_found("message")?;
        if msg.group_id != group.id.as_str() || !msg.visible_to(auth.actor.person_id.as_str()) {
            return Err(AppError::NotFound("message"));
        }
        let org = orgs::get(&self.store.read, &group.org).await?;
        let announce =
            org.read_receipts_enabled && group.row.member_count as usize <= MAX_READ_RECEIPT_GROUP;
        let me = auth.actor.person_id.clone();
        let (gid, org_id) = (group.id.clone(), group.org.clone());
        self.writer
            .write(move |tx| {
                Box::pin(async move {
                    let Some(_) = groups::advance_read(tx, &gid, &me, msg.seq).await? else {
                        return Ok(());
                    };
                    for (id, at) in messages::arm_burns(tx, &gid, &me, msg.seq).await? {
                        tx.emit(EventDraft {
                            org_id: org_id.clone(),
                            group_id: Some(gid.clone()),
                            person_id: None,
                            kind: "message.burn_scheduled",
                            data: serde_json::json!({"id": id, "burn_at": at}),
                            membership: None,
                            audience: None,
                        })
                        .await?;
                    }
                    if announce {
                        tx.emit(EventDraft {
                            org_id,
                            group_id: Some(gid.clone()),
                            person_id: None,
                            kind: "receipt.updated",
                            data: serde_json::json!({"group_id": gid.as_str(), "person_id": me.as_str(), "seq": msg.seq}),
                            membership: None,
                            audience: None,
                        })
                        .await?;
                    }
                    Ok(())
                })
            })
            .await?;
        Ok(())
    }

    /// Who has and has not read a message (groups up to the documented size).
    pub async fn receipts(&self, auth: &Auth, id: &str) -> Result<ReceiptsView> {
        let (row, group) = self.readable_message(auth, id).await?;
        let org = orgs::get(&self.store.read, &group.org).await?;
        if !org.read_receipts_enabled {
            return Err(AppError::Forbidden(
                "read receipts are turned off in this organization",
            ));
        }
        if group.row.member_count as usize > MAX_READ_RECEIPT_GROUP {
            return Err(AppError::invalid(
                "group_too_large",
                format!("read receipts are kept for groups up to {MAX_READ_RECEIPT_GROUP} members"),
            ));
        }
        let members = groups::members(&self.store.read, &group.id).await?;
        let (mut read, mut unread) = (Vec::new(), Vec::new());
        for m in members {
            if row.author_id.as_deref() == Some(m.person_id.as_str()) {
                continue;
            }
            let r = PersonRef {
                id: m.person_id,
                display_name: m.display_name,
            };
            if m.read_seq >= row.seq {
                read.push(r)
            } else {
                unread.push(r)
            }
        }
        Ok(ReceiptsView {
            message_id: row.id,
            read,
            unread,
        })
    }
}

/// Erases a message for everyone: the message itself, and the copies of it that earlier
/// events in the log carry, which now hold its tombstone. Catch-up must not bring back text
/// that was deleted or burnt.
pub(crate) async fn erase_everywhere(tx: &mut WriteTx, id: &str) -> Result<(), StoreError> {
    messages::erase(tx, id).await?;
    let row = messages::get_in(tx, id).await?;
    let (group, seq) = (row.group_id.clone(), row.seq);
    let tombstone = Renderer::single(None, Vec::new()).view(row);
    let payload = serde_json::to_value(&tombstone)
        .unwrap_or_default()
        .to_string();
    events::scrub_message(tx, &group, seq, id, &payload).await?;
    Ok(())
}

/// Deletes burn-after-read messages when their time comes.
pub(crate) async fn burn_sweeper(app: App) {
    loop {
        let now = now_millis();
        match messages::due_burns(&app.store.read, now, 200).await {
            Ok(due) => {
                for row in due {
                    if let Err(e) = burn(&app, row).await {
                        tracing::warn!(error = %e, "burning a message failed");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "looking for messages to burn failed"),
        }
        let next = messages::next_burn(&app.store.read).await.ok().flatten();
        let wait = next
            .map(|at| (at - now_millis()).clamp(20, 1000))
            .unwrap_or(1000);
        tokio::time::sleep(Duration::from_millis(wait as u64)).await;
    }
}

async fn burn(app: &App, row: MessageRow) -> Result<()> {
    let group = groups::get(
        &app.store.read,
        &GroupId::from_trusted(row.group_id.clone()),
        &PersonId::from_trusted(""),
    )
    .await?;
    let org = OrgId::from_trusted(group.group.org_id);
    let gid = GroupId::from_trusted(row.group_id.clone());
    app.writer
        .write(move |tx| {
            Box::pin(async move {
                let current = messages::get_in(tx, &row.id).await?;
                if current.deleted_at.is_some() {
                    return Ok(());
                }
                erase_everywhere(tx, &row.id).await?;
                tx.emit(EventDraft {
                    org_id: org,
                    group_id: Some(gid),
                    person_id: None,
                    kind: "message.deleted",
                    data: serde_json::json!({"id": row.id, "group_id": row.group_id, "deleted": true, "burned": true}),
                    membership: None,
                    audience: None,
                })
                .await?;
                Ok(())
            })
        })
        .await?;
    Ok(())
}

/// What a browser shows for a direct message or a mention: who and where, the text (a
/// burn-after-read message's only inside the app).
fn push_note(
    group: &super::groups::Seen,
    author: &str,
    message: &MessageView,
    parsed: &markup::Parsed,
) -> super::push::PushNote {
    let author = if message.anonymous {
        "匿名 · Anonymous"
    } else {
        author
    };
    let title = if group.kind == GroupKind::Direct {
        author.to_owned()
    } else {
        format!("{author} · {}", group.row.group.name)
    };
    let body = if message.burn_after_secs.is_some() {
        "🔥 阅后即焚消息 · A message that disappears after reading".to_owned()
    } else {
        let text = markup::plain_text(&parsed.segments);
        let mut short: String = text.chars().take(200).collect();
        if text.chars().count() > 200 {
            short.push('…');
        }
        short
    };
    let url = match &message.thread_root_id {
        Some(root) => format!("/g/{}/t/{root}", group.id.as_str()),
        None => format!("/g/{}", group.id.as_str()),
    };
    super::push::PushNote {
        title,
        body,
        url,
        tag: group.id.as_str().to_owned(),
        mentions: parsed
            .mentions
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect(),
    }
}
