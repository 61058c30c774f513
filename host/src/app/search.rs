//! Message search: the words of a query over the messages a person may read, newest first,
//! with filters by group, author and time and a highlighted snippet per result.
//!
//! Text is segmented by `courtyard_domain::message_search` (jieba, so 报销 finds
//! 差旅报销单已提交); `store::search` holds the index on either database. What a result
//! may contain is decided by the same reading rule as history — membership, audience, not
//! deleted — and burn-after-read messages are never indexed at all.

use std::collections::HashMap;
use std::time::Duration;

use courtyard_domain::PersonId;
use courtyard_domain::markup::{self, Segment};
use courtyard_domain::message_search::{self, Query, QueryError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Auth;
use super::messages::Renderer;
use super::views::MessageView;
use super::{App, AppError, Refusal, Result, parse_id};
use crate::store::search::{self as index, Filter};
use crate::store::{groups, people};

/// Results per page: at most this many, 20 unless asked.
pub const MAX_RESULTS: i64 = 50;
const DEFAULT_RESULTS: i64 = 20;
/// Messages indexed per step of the start-up backfill.
const BACKFILL_BATCH: i64 = 500;

/// The index terms of a stored message: its words (mentions left out: they are ids) and
/// the names of the files it carries (`attachments`, as stored). Burn-after-read messages
/// get none, so they are never found.
pub(crate) fn terms_for(body: &str, attachments: Option<&str>, burn: bool) -> String {
    if burn {
        return String::new();
    }
    #[derive(Deserialize)]
    struct Attached {
        name: String,
    }
    let files: Vec<Attached> = attachments
        .and_then(|a| serde_json::from_str(a).ok())
        .unwrap_or_default();
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    match markup::parse(body) {
        Ok(parsed) => terms_of(&parsed.segments, &names),
        Err(_) => terms_of(
            &[Segment::Text {
                text: body.to_owned(),
            }],
            &names,
        ),
    }
}

/// The index terms of an already parsed message body and the names of its files.
pub(crate) fn terms_of(segments: &[Segment], file_names: &[&str]) -> String {
    let mut text = words_of(segments, &HashMap::new());
    for name in file_names {
        text.push('\n');
        text.push_str(name);
    }
    message_search::index_terms(&text)
}

/// The text people read in a message: mentions as `@name` when the name is known (and
/// left out otherwise), links as their text, code verbatim.
fn words_of(segments: &[Segment], names: &HashMap<String, String>) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Text { text } => out.push_str(text),
            Segment::Mention { person_id } => {
                if let Some(name) = names.get(person_id.as_str()) {
                    out.push('@');
                    out.push_str(name);
                }
            }
            Segment::MentionAll => out.push_str("@all"),
            Segment::Link { url, text } => out.push_str(text.as_deref().unwrap_or(url)),
            Segment::Code { code } | Segment::CodeBlock { code, .. } => out.push_str(code),
        }
    }
    out
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct SearchInput {
    pub q: String,
    pub group_id: Option<String>,
    pub author_id: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchPage {
    /// Newest first.
    pub hits: Vec<SearchHit>,
    /// Pass as `before` for the next page; absent on the last page.
    pub next_before: Option<i64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchHit {
    pub message: MessageView,
    pub group_name: String,
    /// The group's kind (`department`, `team`, `direct`, …).
    pub group_kind: String,
    /// The part of the message around its first match; matched words have `hit`.
    pub snippet: Vec<SnippetPart>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SnippetPart {
    pub text: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hit: bool,
}

fn query_error(e: QueryError) -> AppError {
    let zh = match &e {
        QueryError::Empty => "请输入要搜索的内容".to_owned(),
        QueryError::TooLong { max } => format!("搜索内容不能超过 {max} 个字符"),
        QueryError::NoWords => "搜索内容里没有可以查找的词".to_owned(),
        QueryError::TooManyWords { max } => format!("搜索内容不能超过 {max} 个词"),
    };
    AppError::said(Refusal::BadRequest, "invalid_query", e.to_string(), zh)
}

impl App {
    pub async fn search_messages(&self, auth: &Auth, input: SearchInput) -> Result<SearchPage> {
        let query = Query::parse(&input.q).map_err(query_error)?;
        if let (Some(since), Some(until)) = (input.since, input.until)
            && since >= until
        {
            return Err(AppError::said(
                Refusal::BadRequest,
                "invalid_range",
                "since must be earlier than until",
                "开始时间必须早于结束时间",
            ));
        }
        let group = match &input.group_id {
            Some(raw) => {
                let seen = self.seen_group(auth, raw).await?;
                if !seen.rights.read {
                    return Err(AppError::NotFound("group"));
                }
                Some(seen.id)
            }
            None => None,
        };
        // An id that names nobody simply matches nothing: whether a person exists is not
        // this endpoint's to say.
        let author = match &input.author_id {
            Some(raw) => Some(parse_id("person", raw, PersonId::parse)?),
            None => None,
        };
        let limit = input.limit.unwrap_or(DEFAULT_RESULTS).clamp(1, MAX_RESULTS);
        let rows = index::search(
            &self.store.read,
            &query,
            Filter {
                reader: &auth.actor.person_id,
                group: group.as_ref(),
                author: author.as_ref(),
                since: input.since,
                until: input.until,
                before_seq: input.before,
                limit,
            },
        )
        .await?;
        let next_before = (rows.len() as i64 == limit)
            .then(|| rows.last().map(|r| r.seq))
            .flatten();

        let mut group_ids: Vec<String> = rows.iter().map(|r| r.group_id.clone()).collect();
        group_ids.sort();
        group_ids.dedup();
        let labels: HashMap<String, (String, String)> =
            groups::labels(&self.store.read, &group_ids)
                .await?
                .into_iter()
                .map(|(id, name, kind)| (id, (name, kind)))
                .collect();
        let parsed: Vec<Vec<Segment>> = rows
            .iter()
            .map(|r| {
                markup::parse(&r.body)
                    .map(|p| p.segments)
                    .unwrap_or_default()
            })
            .collect();
        let mut mentioned: Vec<String> = parsed
            .iter()
            .flatten()
            .filter_map(|s| match s {
                Segment::Mention { person_id } => Some(person_id.as_str().to_owned()),
                _ => None,
            })
            .collect();
        mentioned.sort();
        mentioned.dedup();
        let names: HashMap<String, String> = people::names(&self.store.read, &mentioned)
            .await?
            .into_iter()
            .collect();
        let renderer = Renderer::load(self, &rows).await?;
        let hits = rows
            .into_iter()
            .zip(parsed)
            .map(|(row, segments)| {
                let snippet = message_search::snippet(&words_of(&segments, &names), &query)
                    .into_iter()
                    .map(|p| SnippetPart {
                        text: p.text,
                        hit: p.hit,
                    })
                    .collect();
                let (group_name, group_kind) =
                    labels.get(&row.group_id).cloned().unwrap_or_default();
                SearchHit {
                    message: renderer.view(row),
                    group_name,
                    group_kind,
                    snippet,
                }
            })
            .collect();
        Ok(SearchPage { hits, next_before })
    }
}

/// Indexes the messages written before the index existed, newest first, in small steps
/// through the writer, so search works on old history soon after an upgrade and posting
/// never waits long behind it. Progress is kept in `meta`, so a restart resumes.
pub(crate) async fn backfill(app: App) {
    // Loading the dictionary takes a moment of CPU: not on a runtime worker, and not in
    // the way of the first post or search.
    let _ = tokio::task::spawn_blocking(message_search::warm_up).await;
    loop {
        let upto = match app.store.meta_get("search_backfill_upto").await {
            Ok(Some(v)) => v.parse::<i64>().unwrap_or(0),
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "search backfill: reading progress failed");
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
        };
        match backfill_step(&app, upto).await {
            Ok(true) => tokio::task::yield_now().await,
            Ok(false) => {
                tracing::info!("search backfill: every earlier message is indexed");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "search backfill step failed; retrying");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
}

/// Indexes one batch below `upto`; false when there was nothing left.
async fn backfill_step(app: &App, upto: i64) -> Result<bool> {
    let batch = index::unindexed(&app.store.read, upto, BACKFILL_BATCH).await?;
    let more = batch.len() as i64 == BACKFILL_BATCH;
    let next = batch.last().map(|m| m.seq - 1).filter(|_| more);
    let work: Vec<(i64, String, String)> = batch
        .into_iter()
        .map(|m| {
            let terms = terms_for(&m.body, m.attachments.as_deref(), false);
            (m.seq, m.body, terms)
        })
        .collect();
    app.writer
        .write(move |tx| {
            Box::pin(async move {
                for (seq, body, terms) in &work {
                    if index::unchanged(tx, *seq, body).await? {
                        index::reindex(tx, *seq, terms).await?;
                    }
                }
                index::set_backfill_upto(tx, next).await
            })
        })
        .await?;
    Ok(next.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_leave_out_mention_ids_and_take_file_names() {
        let body =
            "请 <@0190f5d2-8a4b-7c3d-9e1f-123456789abc> 审批 [预算表](https://example.com/b)";
        let files =
            r#"[{"id":"x","name":"差旅报销单.pdf","content_type":"application/pdf","size":1}]"#;
        let terms = terms_for(body, Some(files), false);
        let words: Vec<&str> = terms.split(' ').collect();
        assert!(words.contains(&"审批"));
        assert!(words.contains(&"预算"));
        assert!(words.contains(&"报销"));
        assert!(words.contains(&"pdf"));
        assert!(!terms.contains("0190f5d2"), "{terms}");
        assert!(!terms.contains("example"), "link text is what people read");
        assert_eq!(terms_for("秘密", None, true), "");
    }
}
