//! Files: uploads streamed into the object store, downloads, sharing and deletion.
//!
//! The bytes live behind the `object_store` crate (a local directory by default, see
//! [`FileStore`]) under `<org_id>/<file_id>`: the server chooses every storage key, and the
//! name a person gave is only ever shown. What the host knows about a file is a row in
//! `files` (`store/files.rs`); who may read it is the policy's (`can_read_file`): its
//! uploader and the people it was shared with, nobody else. Files nobody may read answer
//! *not found*.
//!
//! An upload is checked as it streams: its type is decided from its first bytes before
//! anything is stored ([`detect`]), its size is counted against the limit chunk by chunk,
//! and the organization's quota is checked when the row is written. The object is written
//! first and the row second, and the object is removed again if the row cannot be written:
//! a file is either complete (object and row) or absent.
//!
//! Pictures (JPEG, PNG, GIF, WebP) have thumbnails ([`thumbnail`]), made on the first
//! request, a few at a time on blocking threads, and kept beside the original under
//! `<org_id>/<file_id>.thumb`; deleting the file removes both.

pub mod detect;
mod s3;
pub mod thumbnail;

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use courtyard_domain::policy::{self, FileFacts};
use courtyard_domain::{FileId, OrgId, PersonId};
use courtyard_runtime::api::{FileInfo, HostError, HostResult, Scope};
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use utoipa::ToSchema;

use super::auth::Auth;
use super::views::AttachmentView;
use super::{App, AppError, Refusal, Result};
use crate::config::Config;
use crate::store::files::{self, FileRow, OverQuota};

/// Parts of a multipart upload to the object store (S3's smallest part but the last).
const PART_BYTES: usize = 5 << 20;
/// Files one message may carry.
const MAX_ATTACHMENTS: usize = 10;
/// People one request may share a file with.
pub(crate) const MAX_SHARE: usize = 100;
/// Thumbnails made at the same time on one host: each holds an original and its decoded
/// pixels (at most [`thumbnail::MAX_ALLOC`]) and a CPU while it works.
const THUMBNAILS_AT_ONCE: usize = 2;

/// Where files' bytes are kept, and the limits on what is accepted.
pub struct FileStore {
    objects: Arc<dyn ObjectStore>,
    pub max_upload_bytes: u64,
    pub org_quota_bytes: u64,
    /// Permits to make a thumbnail, held until the work is done.
    thumbnails: Arc<Semaphore>,
}

impl FileStore {
    /// Opens the store the configuration names: an S3-compatible bucket (`[files.s3]`), or
    /// the local directory `files.dir` (default `files` in the data directory), where
    /// writes are fsynced before an upload is answered, like database commits.
    pub async fn open(config: &Config) -> anyhow::Result<Self> {
        use anyhow::Context;
        let objects: Arc<dyn ObjectStore> = match &config.files.s3 {
            Some(s3) => s3::open(s3).await?,
            None => {
                let dir = config.files.local_dir(&config.data_dir);
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("creating the file directory {}", dir.display()))?;
                let local = LocalFileSystem::new_with_prefix(&dir)?
                    .with_fsync(true)
                    .with_automatic_cleanup(true);
                Arc::new(local)
            }
        };
        Ok(Self {
            objects,
            max_upload_bytes: config.files.max_upload_bytes,
            org_quota_bytes: config.files.org_quota_bytes,
            thumbnails: Arc::new(Semaphore::new(THUMBNAILS_AT_ONCE)),
        })
    }

    fn key(org: &str, id: &str) -> ObjectPath {
        ObjectPath::from_iter([org, id])
    }

    /// Where a file's thumbnail is kept, once made: beside the file.
    fn thumb_key(org: &str, id: &str) -> ObjectPath {
        ObjectPath::from_iter([org, &format!("{id}.thumb")])
    }

    /// Removes an object; a missing one is already removed. Failures are logged: the row is
    /// gone by then, so the object is unreachable either way.
    async fn remove(&self, key: &ObjectPath) {
        match self.objects.delete(key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => tracing::error!(error = %e, %key, "could not remove a file's object"),
        }
    }
}

/// A file as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FileView {
    pub id: String,
    /// The cleaned display name: no path, no control characters, at most 200 characters.
    pub name: String,
    /// Detected from the content: a known format, `text/plain` or
    /// `application/octet-stream`.
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// Lowercase hex SHA-256 of the content (also the download's `ETag`).
    pub sha256: String,
    pub created_at: i64,
}

impl From<FileRow> for FileView {
    fn from(r: FileRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            content_type: r.content_type,
            size: r.size,
            sha256: r.sha256,
            created_at: r.created_at,
        }
    }
}

/// People to share a file with.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareFile {
    /// Person ids; each must be someone the uploader can see.
    pub people: Vec<String>,
}

/// A file someone may download: what it is, and where its bytes are.
pub struct Download {
    pub file: FileView,
    key: ObjectPath,
}

/// A picture someone may see the thumbnail of; the thumbnail comes from
/// [`App::thumbnail_bytes`].
pub struct ThumbnailOf {
    pub file: FileView,
    key: ObjectPath,
    thumb_key: ObjectPath,
}

/// An encoded thumbnail.
pub struct ThumbnailBytes {
    pub bytes: Bytes,
    /// `image/jpeg` or `image/png`.
    pub content_type: &'static str,
}

fn no_thumbnail() -> AppError {
    AppError::said(
        Refusal::Invalid,
        "no_thumbnail",
        "this file has no thumbnail: only JPEG, PNG, GIF and WebP pictures that can be decoded have one",
        "此文件没有缩略图：只有可以解码的 JPEG、PNG、GIF 和 WebP 图片才有",
    )
}

fn not_found() -> AppError {
    AppError::said(
        Refusal::NotFound,
        "not_found",
        "file not found",
        "文件不存在",
    )
}

/// A size as people read it: `20 MiB`, `64 KiB`, or bytes when it is not a round number.
fn size_text(bytes: u64) -> String {
    for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{} {unit}", bytes >> shift);
        }
    }
    format!("{bytes} bytes")
}

fn too_large(limit: u64) -> AppError {
    AppError::said(
        Refusal::TooLarge,
        "file_too_large",
        format!("files are limited to {}", size_text(limit)),
        format!("文件不能超过 {}", size_text(limit)),
    )
}

fn over_quota(quota: u64) -> AppError {
    AppError::said(
        Refusal::TooLarge,
        "quota_exceeded",
        format!(
            "your organization's files would exceed its quota of {}; delete some first",
            size_text(quota)
        ),
        format!(
            "所在组织的文件将超出 {} 的配额，请先删除一些文件",
            size_text(quota)
        ),
    )
}

fn interrupted(e: impl std::fmt::Display) -> AppError {
    tracing::debug!(error = %e, "upload body failed");
    AppError::said(
        Refusal::BadRequest,
        "upload_interrupted",
        "the upload did not arrive in full; send it again",
        "文件没有完整上传，请重新上传",
    )
}

fn refused(r: detect::Refused) -> AppError {
    let (en, zh) = match r {
        detect::Refused::Executable(kind) => (
            format!("programs cannot be shared as files (this is a {kind} executable); put it in an archive if you must"),
            format!("不能上传可执行程序（这是 {kind} 可执行文件）；如确需发送，请先压缩打包"),
        ),
        detect::Refused::Script => (
            "scripts with an interpreter line (#!) cannot be shared as files; put it in an archive if you must".to_owned(),
            "不能上传带有解释器声明（#!）的脚本；如确需发送，请先压缩打包".to_owned(),
        ),
        detect::Refused::ActiveDocument => (
            "HTML and SVG documents cannot be shared as files, as they could run scripts in a browser; put them in an archive".to_owned(),
            "不能上传 HTML 或 SVG 文档，它们可能在浏览器中执行脚本；请先压缩打包".to_owned(),
        ),
    };
    AppError::said(Refusal::UnsupportedType, "unsupported_file_type", en, zh)
}

fn internal(e: impl Into<anyhow::Error>) -> AppError {
    AppError::Internal(e.into())
}

/// An upload being read: its size against the limit, its digest, whether it is text.
struct Reading {
    size: u64,
    limit: u64,
    digest: Sha256,
    text: detect::TextCheck,
}

impl Reading {
    fn take(&mut self, chunk: &[u8]) -> Result<()> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(too_large(self.limit));
        }
        self.digest.update(chunk);
        self.text.feed(chunk);
        Ok(())
    }
}

impl App {
    /// Stores an upload in the caller's organization. `declared_size` (a `Content-Length`)
    /// lets an oversized upload be refused before it is read; the limit holds either way.
    pub async fn upload_file<S, E>(
        &self,
        auth: &Auth,
        name: &str,
        declared_size: Option<u64>,
        mut body: S,
    ) -> Result<FileView>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin + Send,
        E: std::fmt::Display,
    {
        let limit = self.files.max_upload_bytes;
        let quota = self.files.org_quota_bytes;
        let org = auth.actor.org_id.as_str().to_owned();
        if declared_size.is_some_and(|n| n > limit) {
            return Err(too_large(limit));
        }
        // Refuse early when the organization is full; the write checks again.
        let used = files::usage(&self.store.read, &org).await?.max(0) as u64;
        if used.saturating_add(declared_size.unwrap_or(1).max(1)) > quota {
            return Err(over_quota(quota));
        }

        let mut reading = Reading {
            size: 0,
            limit,
            digest: Sha256::new(),
            text: detect::TextCheck::default(),
        };
        // The head decides the type: read it before storing anything.
        let mut head = BytesMut::new();
        let mut ended = false;
        while head.len() < detect::HEAD_BYTES {
            match body.next().await {
                Some(Ok(chunk)) => {
                    reading.take(&chunk)?;
                    head.extend_from_slice(&chunk);
                }
                Some(Err(e)) => return Err(interrupted(e)),
                None => {
                    ended = true;
                    break;
                }
            }
        }
        if head.is_empty() {
            return Err(AppError::said(
                Refusal::BadRequest,
                "empty_file",
                "the file is empty",
                "文件是空的",
            ));
        }
        let verdict = detect::classify(&head, ended).map_err(refused)?;

        let id = FileId::generate().into_string();
        let key = FileStore::key(&org, &id);
        let upload = self
            .files
            .objects
            .put_multipart(&key)
            .await
            .map_err(internal)?;
        let mut object = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        object.put(head.freeze());
        // A stream that ended is not polled again.
        while let Some(next) = if ended { None } else { body.next().await } {
            let chunk = match next {
                Ok(chunk) => chunk,
                Err(e) => {
                    let _ = object.abort().await;
                    return Err(interrupted(e));
                }
            };
            if let Err(e) = reading.take(&chunk) {
                let _ = object.abort().await;
                return Err(e);
            }
            object.put(chunk);
            if let Err(e) = object.wait_for_capacity(2).await {
                let _ = object.abort().await;
                return Err(internal(e));
            }
        }

        let row = FileRow {
            id,
            org_id: org,
            uploaded_by: auth.person.id.clone(),
            name: detect::clean_name(name),
            content_type: detect::settle(verdict, &reading.text).to_owned(),
            size: reading.size as i64,
            sha256: hex::encode(reading.digest.finalize()),
            created_at: 0,
        };
        // From here the work runs to its end even if the client goes away, so an object is
        // never left without its row.
        let app = self.clone();
        tokio::spawn(async move { app.commit_upload(object, key, row, quota).await })
            .await
            .map_err(internal)?
    }

    async fn commit_upload(
        &self,
        object: WriteMultipart,
        key: ObjectPath,
        row: FileRow,
        quota: u64,
    ) -> Result<FileView> {
        // A failed completion aborts the upload itself.
        object.finish().await.map_err(internal)?;
        let written = self
            .writer
            .write(move |tx| {
                Box::pin(async move {
                    let row = FileRow {
                        created_at: tx.now(),
                        ..row
                    };
                    let quota = i64::try_from(quota).unwrap_or(i64::MAX);
                    Ok(files::insert_within_quota(tx, &row, quota)
                        .await?
                        .map(|()| row))
                })
            })
            .await;
        match written {
            Ok(Ok(row)) => Ok(row.into()),
            Ok(Err(OverQuota { .. })) => {
                self.files.remove(&key).await;
                Err(over_quota(quota))
            }
            Err(e) => {
                self.files.remove(&key).await;
                Err(e.into())
            }
        }
    }

    /// The files a post will carry: each one the poster may read, at most ten, each once.
    pub(crate) async fn attachments_for(
        &self,
        auth: &Auth,
        ids: &[String],
    ) -> Result<Vec<AttachmentView>> {
        if ids.len() > MAX_ATTACHMENTS {
            return Err(AppError::invalid(
                "too_many_attachments",
                format!("a message carries at most {MAX_ATTACHMENTS} files"),
            ));
        }
        let mut out: Vec<AttachmentView> = Vec::with_capacity(ids.len());
        for id in ids {
            let row = self.readable_file(auth, id).await.map_err(|_| {
                AppError::invalid("unknown_file", format!("no file {id} that you may attach"))
            })?;
            if !out.iter().any(|a| a.id == row.id) {
                out.push(AttachmentView {
                    id: row.id,
                    name: row.name,
                    content_type: row.content_type,
                    size: row.size,
                });
            }
        }
        Ok(out)
    }

    /// Whether the caller may read a message that carries the file (the messages' own
    /// policy: group, audience, not deleted).
    async fn carried_to(&self, auth: &Auth, file: &str) -> Result<bool> {
        for message in files::carried_by(&self.store.read, file).await? {
            if let Ok((m, _)) = self.readable_message(auth, &message).await
                && m.deleted_at.is_none()
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// A file the caller may read, or not found.
    pub(crate) async fn readable_file(&self, auth: &Auth, raw_id: &str) -> Result<FileRow> {
        let id = FileId::parse(raw_id).ok_or_else(not_found)?;
        let row = match files::get(&self.store.read, id.as_str()).await {
            Ok(row) => row,
            Err(crate::store::StoreError::NotFound) => return Err(not_found()),
            Err(e) => return Err(e.into()),
        };
        let (org, uploader) = (
            OrgId::from_trusted(row.org_id.clone()),
            PersonId::from_trusted(row.uploaded_by.clone()),
        );
        let granted = uploader != auth.actor.person_id
            && files::is_granted(&self.store.read, &row.id, auth.actor.person_id.as_str()).await?;
        let facts = FileFacts {
            org_id: &org,
            uploaded_by: &uploader,
            granted,
        };
        if policy::can_read_file(&auth.actor, &facts) || self.carried_to(auth, &row.id).await? {
            Ok(row)
        } else {
            Err(not_found())
        }
    }

    pub async fn file_info(&self, auth: &Auth, id: &str) -> Result<FileView> {
        Ok(self.readable_file(auth, id).await?.into())
    }

    /// A file the caller may download; its bytes come from [`App::file_bytes`].
    pub async fn file_download(&self, auth: &Auth, id: &str) -> Result<Download> {
        let row = self.readable_file(auth, id).await?;
        Ok(Download {
            key: FileStore::key(&row.org_id, &row.id),
            file: row.into(),
        })
    }

    pub async fn file_bytes(
        &self,
        download: &Download,
    ) -> Result<BoxStream<'static, std::io::Result<Bytes>>> {
        match self.files.objects.get(&download.key).await {
            Ok(got) => Ok(got
                .into_stream()
                .map(|r| r.map_err(std::io::Error::other))
                .boxed()),
            Err(object_store::Error::NotFound { .. }) => {
                tracing::error!(file = %download.file.id, "a file's object is missing");
                Err(not_found())
            }
            Err(e) => Err(internal(e)),
        }
    }

    /// A picture the caller may see the thumbnail of: the same rules as downloading it, and
    /// only JPEG, PNG, GIF and WebP pictures have one.
    pub async fn file_thumbnail(&self, auth: &Auth, id: &str) -> Result<ThumbnailOf> {
        let row = self.readable_file(auth, id).await?;
        if thumbnail::format_of(&row.content_type).is_none() {
            return Err(no_thumbnail());
        }
        Ok(ThumbnailOf {
            key: FileStore::key(&row.org_id, &row.id),
            thumb_key: FileStore::thumb_key(&row.org_id, &row.id),
            file: row.into(),
        })
    }

    /// A picture's thumbnail: the one kept, or made now (and kept) on the first request.
    /// A picture that cannot be decoded within the limits has none, and nothing is kept,
    /// so it costs one bounded attempt per request.
    pub async fn thumbnail_bytes(&self, of: &ThumbnailOf) -> Result<ThumbnailBytes> {
        if let Some(kept) = self.kept_thumbnail(of).await? {
            return Ok(kept);
        }
        // The permit travels with the work: a client that hangs up does not free it
        // before the blocking thread is done.
        let permit = self
            .files
            .thumbnails
            .clone()
            .acquire_owned()
            .await
            .map_err(internal)?;
        // Another request may have made it while this one waited.
        if let Some(kept) = self.kept_thumbnail(of).await? {
            return Ok(kept);
        }
        let original = match self.files.objects.get(&of.key).await {
            Ok(got) => got.bytes().await.map_err(internal)?,
            Err(object_store::Error::NotFound { .. }) => {
                tracing::error!(file = %of.file.id, "a file's object is missing");
                return Err(not_found());
            }
            Err(e) => return Err(internal(e)),
        };
        let content_type = of.file.content_type.clone();
        let rendered = tokio::task::spawn_blocking(move || {
            let rendered = thumbnail::render(&original, &content_type);
            drop(permit);
            rendered
        })
        .await
        .map_err(internal)?;
        let made = match rendered {
            Ok(made) => made,
            Err(why) => {
                tracing::info!(file = %of.file.id, reason = %why, "no thumbnail for a picture");
                return Err(no_thumbnail());
            }
        };
        let bytes = Bytes::from(made.bytes);
        self.files
            .objects
            .put(&of.thumb_key, bytes.clone().into())
            .await
            .map_err(internal)?;
        // A deletion that ran meanwhile removed the row before looking for a thumbnail to
        // remove; this one would then be left behind.
        if matches!(
            files::get(&self.store.read, &of.file.id).await,
            Err(crate::store::StoreError::NotFound)
        ) {
            self.files.remove(&of.thumb_key).await;
            return Err(not_found());
        }
        Ok(ThumbnailBytes {
            bytes,
            content_type: made.content_type,
        })
    }

    async fn kept_thumbnail(&self, of: &ThumbnailOf) -> Result<Option<ThumbnailBytes>> {
        let bytes = match self.files.objects.get(&of.thumb_key).await {
            Ok(got) => got.bytes().await.map_err(internal)?,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(internal(e)),
        };
        // Made by this module: a PNG or a JPEG. Anything else is made again.
        Ok(
            thumbnail::content_type_of(&bytes).map(|content_type| ThumbnailBytes {
                bytes,
                content_type,
            }),
        )
    }

    /// Shares a file with people the uploader can see. Only the uploader shares.
    pub async fn share_file(&self, auth: &Auth, id: &str, input: ShareFile) -> Result<()> {
        let row = self.readable_file(auth, id).await?;
        if row.uploaded_by != auth.actor.person_id.as_str() {
            return Err(AppError::said(
                Refusal::Forbidden,
                "forbidden",
                "only the person who uploaded a file can share it",
                "只有上传者可以共享此文件",
            ));
        }
        if input.people.len() > MAX_SHARE {
            return Err(AppError::said(
                Refusal::Invalid,
                "invalid_field",
                format!("a file can be shared with at most {MAX_SHARE} people at a time"),
                format!("每次最多可以共享给 {MAX_SHARE} 人"),
            ));
        }
        let mut people = Vec::with_capacity(input.people.len());
        for person in &input.people {
            let seen = self.visible_person(auth, person).await.map_err(|_| {
                AppError::said(
                    Refusal::Invalid,
                    "invalid_reference",
                    format!("no person `{person}` that you can see"),
                    format!("找不到你可见的人员“{person}”"),
                )
            })?;
            people.push(seen.id);
        }
        self.grant_file(row.id, people).await
    }

    async fn grant_file(&self, id: String, people: Vec<String>) -> Result<()> {
        self.writer
            .write(move |tx| Box::pin(async move { files::grant(tx, &id, &people).await }))
            .await
            .map_err(|e| match e {
                crate::store::StoreError::NotFound => not_found(),
                other => other.into(),
            })
    }

    /// Deletes a file: its uploader, or an admin of its organization. The row (with its
    /// grants) goes first, then the object and its thumbnail, so a failure in between
    /// leaves an unreachable object, never a row without its bytes.
    pub async fn delete_file(&self, auth: &Auth, raw_id: &str) -> Result<()> {
        let id = FileId::parse(raw_id).ok_or_else(not_found)?;
        let row = match files::get(&self.store.read, id.as_str()).await {
            Ok(row) => row,
            Err(crate::store::StoreError::NotFound) => return Err(not_found()),
            Err(e) => return Err(e.into()),
        };
        let (org, uploader) = (
            OrgId::from_trusted(row.org_id.clone()),
            PersonId::from_trusted(row.uploaded_by.clone()),
        );
        let granted =
            files::is_granted(&self.store.read, &row.id, auth.actor.person_id.as_str()).await?;
        let facts = FileFacts {
            org_id: &org,
            uploaded_by: &uploader,
            granted,
        };
        if !policy::can_delete_file(&auth.actor, &facts) {
            if policy::can_read_file(&auth.actor, &facts) {
                return Err(AppError::said(
                    Refusal::Forbidden,
                    "forbidden",
                    "only the person who uploaded a file, or an admin, can delete it",
                    "只有上传者或管理员可以删除此文件",
                ));
            }
            return Err(not_found());
        }
        let file = row.id.clone();
        let removed = self
            .writer
            .write(move |tx| Box::pin(async move { files::delete(tx, &file).await }))
            .await?;
        if !removed {
            return Err(not_found());
        }
        self.files
            .remove(&FileStore::key(&row.org_id, &row.id))
            .await;
        self.files
            .remove(&FileStore::thumb_key(&row.org_id, &row.id))
            .await;
        Ok(())
    }

    /// Whether a form submission may name a file: it is in the form's organization and the
    /// submitter uploaded it or was given it.
    pub(crate) async fn file_usable_in(&self, auth: &Auth, org: &str, id: &str) -> Result<bool> {
        match self.readable_file(auth, id).await {
            // A partner's person attaches their own upload in a group of `org`.
            Ok(row) => Ok(row.org_id == org || row.uploaded_by == auth.actor.person_id.as_str()),
            Err(AppError::Said {
                refusal: Refusal::NotFound,
                ..
            }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// A file of the plugin's organization, for `files.get`.
    pub(crate) async fn plugin_file(&self, scope: &Scope, id: &str) -> HostResult<FileInfo> {
        let id = FileId::parse(id).ok_or(HostError::NotFound)?;
        let row = files::get(&self.store.read, id.as_str()).await?;
        // A partner's people upload into their own organization, then attach the file in
        // one of our shared groups (a driver's proof of delivery): the plugin may use files
        // of its organization and of anyone who belongs to one of its groups. Ids are
        // unguessable; a plugin learns one only when someone submits it.
        if row.org_id != scope.org_id
            && !crate::store::people::in_org_group(
                &self.store.read,
                &row.uploaded_by,
                &scope.org_id,
            )
            .await?
        {
            return Err(HostError::NotFound);
        }
        Ok(FileInfo {
            id: row.id,
            name: row.name,
            content_type: row.content_type,
            size: row.size.max(0) as u64,
            uploaded_by: row.uploaded_by,
            created_ms: row.created_at,
        })
    }

    /// Shares a file of the plugin's organization with people (already checked to be
    /// visible in the plugin's scope, at most [`MAX_SHARE`]), for `files.share`.
    pub(crate) async fn plugin_file_share(
        &self,
        scope: &Scope,
        id: &str,
        people: Vec<String>,
    ) -> HostResult<()> {
        let row = self.plugin_file(scope, id).await?;
        self.grant_file(row.id, people).await.map_err(|e| match e {
            AppError::Said {
                refusal: Refusal::NotFound,
                ..
            } => HostError::NotFound,
            other => HostError::Unavailable(other.to_string()),
        })
    }
}
