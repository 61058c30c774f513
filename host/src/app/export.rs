//! An organization's data export: one ZIP archive of JSON Lines files — people, groups,
//! memberships, messages with their reactions, the files index and plugin data — with a
//! `manifest.json` that names the format version and counts every file's lines. The
//! format is documented in `docs/export.md`.
//!
//! The archive is written while it is downloaded: a blocking task reads the database in
//! keyset pages and feeds a streaming ZIP writer whose output goes to the response through
//! a bounded channel, so memory stays flat whatever the organization's size and a client
//! that hangs up stops the work. One export runs at a time per host.

use std::collections::BTreeMap;
use std::io::{self, Write};

use base64::Engine;
use bytes::Bytes;
use courtyard_domain::OrgId;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use zip::write::SimpleFileOptions;

use super::auth::Auth;
use super::{App, AppError, OrNotFound, Result};
use crate::store::export::{self as rows, PAGE};
use crate::store::{messages, now_millis, orgs};

/// The archive format's version, in `manifest.json`.
pub const FORMAT_VERSION: u32 = 1;

/// A started export: the name to save it under and its bytes as they are produced.
pub struct ExportArchive {
    pub file_name: String,
    pub chunks: mpsc::Receiver<io::Result<Bytes>>,
}

impl App {
    pub async fn export_org(&self, auth: &Auth, org_id: &str) -> Result<ExportArchive> {
        let org = self.administered_org(auth, org_id)?;
        let row = orgs::get(&self.store.read, &org)
            .await
            .or_not_found("organization")?;
        let permit = self.export_slots.clone().try_acquire_owned().map_err(|_| {
            AppError::said(
                super::Refusal::Busy,
                "export_running",
                "an export is already running on this server; try again when it has finished",
                "服务器正在进行另一项导出，请在其完成后重试",
            )
        })?;
        let date = chrono::Utc::now().format("%Y%m%d-%H%M%S");
        let file_name = format!("courtyard-export-{}-{date}.zip", row.slug);
        self.audited(
            auth,
            org.as_str(),
            "org.exported",
            org.as_str(),
            json!({"file": file_name}),
        )
        .await;
        let (tx, chunks) = mpsc::channel(8);
        let app = self.clone();
        let by = auth.actor.person_id.as_str().to_owned();
        let org_view = serde_json::to_value(super::views::OrgView::from(row)).unwrap_or_default();
        let handle = Handle::current();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let out = ChannelWriter {
                tx: tx.clone(),
                buf: Vec::new(),
            };
            if let Err(e) = write_archive(&app, &handle, &org, org_view, &by, out) {
                tracing::warn!(org = org.as_str(), error = %e, "organization export stopped");
                let _ = tx.blocking_send(Err(e));
            }
        });
        Ok(ExportArchive { file_name, chunks })
    }
}

/// Sends what the ZIP writer produces to the response in chunks of about 64 KiB. A
/// response that is gone makes writes fail, which ends the export.
struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the download was cancelled"))
    }
}

fn to_io(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

fn write_archive(
    app: &App,
    rt: &Handle,
    org: &OrgId,
    org_view: Value,
    exported_by: &str,
    out: ChannelWriter,
) -> io::Result<()> {
    let mut zip = zip::ZipWriter::new_stream(out);
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
    let pools = &app.store.read;

    zip.start_file("organization.json", options)
        .map_err(to_io)?;
    serde_json::to_writer_pretty(&mut zip, &org_view)?;

    // Each file: pages of rows by key, one JSON object per line.
    macro_rules! jsonl {
        ($name:literal, $start:expr, $fetch:expr, $key:expr, $line:expr) => {{
            zip.start_file($name, options).map_err(to_io)?;
            let mut after = $start;
            let mut n = 0u64;
            loop {
                let page = rt.block_on($fetch(after.clone())).map_err(to_io)?;
                let full = page.len() as i64 == PAGE;
                for row in &page {
                    serde_json::to_writer(&mut zip, &$line(row))?;
                    zip.write_all(b"\n")?;
                    n += 1;
                }
                match page.last() {
                    Some(last) if full => after = $key(last),
                    _ => break,
                }
            }
            counts.insert($name, n);
        }};
    }

    jsonl!(
        "people.jsonl",
        String::new(),
        |a: String| async move { rows::people(pools, org, &a).await },
        |r: &crate::store::people::PersonRow| r.id.clone(),
        |r: &crate::store::people::PersonRow| json!({
            "id": r.id, "email": r.email, "display_name": r.display_name, "title": r.title,
            "department_id": r.department_id, "phone": r.phone, "company": r.company,
            "role": r.role, "status": r.status, "created_at": r.created_at,
            "updated_at": r.updated_at,
        })
    );
    jsonl!(
        "groups.jsonl",
        String::new(),
        |a: String| async move { rows::groups(pools, org, &a).await },
        |r: &crate::store::groups::GroupRow| r.id.clone(),
        |r: &crate::store::groups::GroupRow| json!({
            "id": r.id, "kind": r.kind, "name": r.name, "description": r.description,
            "parent_id": r.parent_id, "head_id": r.head_id, "archived": r.archived,
            "created_by": r.created_by, "created_at": r.created_at,
        })
    );
    jsonl!(
        "members.jsonl",
        String::new(),
        |a: String| async move { rows::members(pools, org, &a).await },
        |r: &rows::MemberRow| r.key.clone(),
        |r: &rows::MemberRow| json!({
            "group_id": r.group_id, "person_id": r.person_id, "role": r.role,
            "joined_at": r.joined_at,
        })
    );
    // Messages carry their reactions; anonymous posts carry no author of any kind.
    zip.start_file("messages.jsonl", options).map_err(to_io)?;
    let mut after = 0i64;
    let mut n = 0u64;
    loop {
        let page = rt
            .block_on(rows::messages(pools, org, after))
            .map_err(to_io)?;
        let ids: Vec<String> = page.iter().map(|m| m.id.clone()).collect();
        let mut reactions: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
        for (mid, emoji, pid) in rt
            .block_on(messages::reactions(pools, &ids))
            .map_err(to_io)?
        {
            reactions
                .entry(mid)
                .or_default()
                .entry(emoji)
                .or_default()
                .push(pid);
        }
        for m in &page {
            let parse = |s: Option<&str>| s.and_then(|v| serde_json::from_str::<Value>(v).ok());
            let line = json!({
                "id": m.id, "seq": m.seq, "group_id": m.group_id, "kind": m.kind,
                "author_id": if m.anonymous { None } else { m.author_id.clone() },
                "anonymous": m.anonymous, "plugin_id": m.plugin_id,
                "thread_root_id": m.thread_root_id, "body": m.body,
                "mentions": parse(Some(&m.mentions)), "mentions_all": m.mentions_all,
                "card": parse(m.card.as_deref()), "audience": parse(m.audience.as_deref()),
                "attachments": parse(m.attachments.as_deref()),
                "reactions": reactions.remove(&m.id).unwrap_or_default(),
                "burn_after_secs": m.burn_after_secs,
                "created_at": m.created_at, "edited_at": m.edited_at,
                "deleted_at": m.deleted_at,
            });
            serde_json::to_writer(&mut zip, &line)?;
            zip.write_all(b"\n")?;
            n += 1;
        }
        match page.last() {
            Some(last) if page.len() as i64 == PAGE => after = last.seq,
            _ => break,
        }
    }
    counts.insert("messages.jsonl", n);
    jsonl!(
        "files.jsonl",
        String::new(),
        |a: String| async move { rows::files(pools, org, &a).await },
        |r: &crate::store::files::FileRow| r.id.clone(),
        |r: &crate::store::files::FileRow| json!({
            "id": r.id, "uploaded_by": r.uploaded_by, "name": r.name,
            "content_type": r.content_type, "size": r.size, "sha256": r.sha256,
            "created_at": r.created_at,
        })
    );
    jsonl!(
        "plugin_records.jsonl",
        String::new(),
        |a: String| async move { rows::records(pools, org, &a).await },
        |r: &crate::store::records::RecordRow| format!("{}/{}/{}", r.plugin_id, r.collection, r.id),
        |r: &crate::store::records::RecordRow| json!({
            "plugin_id": r.plugin_id, "collection": r.collection, "id": r.id,
            "data": serde_json::from_str::<Value>(&r.data).unwrap_or(Value::String(r.data.clone())),
            "version": r.version, "created_at": r.created_at, "updated_at": r.updated_at,
        })
    );
    jsonl!(
        "plugin_kv.jsonl",
        String::new(),
        |a: String| async move { rows::kv(pools, org, &a).await },
        |r: &rows::KvRow| r.key_path.clone(),
        |r: &rows::KvRow| {
            // Values are bytes; text stays readable, anything else is base64.
            let value = match std::str::from_utf8(&r.value) {
                Ok(text) => json!({"value": text}),
                Err(_) => {
                    json!({"value_base64": base64::engine::general_purpose::STANDARD.encode(&r.value)})
                }
            };
            let mut line = json!({
                "plugin_id": r.plugin_id, "scope": r.scope, "key": r.key,
                "expires_at": r.expires_at, "updated_at": r.updated_at,
            });
            if let (Some(l), Some(v)) = (line.as_object_mut(), value.as_object()) {
                l.extend(v.clone());
            }
            line
        }
    );

    let manifest = Manifest {
        format: "courtyard-export",
        version: FORMAT_VERSION,
        org_id: org.as_str(),
        exported_at: now_millis(),
        exported_by,
        files: counts,
    };
    zip.start_file("manifest.json", options).map_err(to_io)?;
    serde_json::to_writer_pretty(&mut zip, &manifest)?;
    let mut out = zip.finish().map_err(to_io)?.into_inner();
    out.flush()
}

#[derive(Serialize)]
struct Manifest<'a> {
    format: &'static str,
    version: u32,
    org_id: &'a str,
    exported_at: i64,
    exported_by: &'a str,
    /// Lines in each JSON Lines file.
    files: BTreeMap<&'static str, u64>,
}
