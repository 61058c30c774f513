//! `/api/v1/files`: uploads (the raw bytes, or one `file` part of a multipart form),
//! downloads served so that no file can run in the host's origin, pictures' thumbnails,
//! sharing and deletion.

use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::files::{FileView, ShareFile, detect};
use crate::app::{App, AppError, Refusal};
use crate::http::error::ErrorBody;
use crate::http::extract::{Authed, Body as JsonBody, Path, Q};

/// What every download carries: the browser must take the declared type as it is and must
/// not let the document do anything (no script, no plugins, no same-origin access).
const SANDBOX: &str = "sandbox; default-src 'none'; style-src 'unsafe-inline'";

pub fn router() -> OpenApiRouter<App> {
    // Uploads are read as a stream against the configured limit, not the API's small
    // request limit.
    let uploads = OpenApiRouter::new()
        .routes(routes!(upload))
        .layer(DefaultBodyLimit::disable());
    OpenApiRouter::new()
        .merge(uploads)
        .routes(routes!(download, delete_file))
        .routes(routes!(file_info))
        .routes(routes!(thumbnail))
        .routes(routes!(share))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct UploadQuery {
    /// The original file name, shown to people (cleaned: no path, no control characters,
    /// at most 200 characters). For multipart uploads the part's file name is used when
    /// this is absent.
    name: Option<String>,
}

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
struct UploadForm {
    /// The file: the only part read.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
}

/// Uploads a file into the caller's organization. The body is the file itself (any
/// content type), or a `multipart/form-data` form with one part named `file`. The type is
/// detected from the content, never from the name; programs, scripts and HTML or SVG
/// documents are refused.
#[utoipa::path(post, path = "/api/v1/files", tag = "files", params(UploadQuery),
    request_body(description = "The file's bytes, or a form with one `file` part",
        content(("application/octet-stream"), (UploadForm = "multipart/form-data"))),
    responses(
        (status = 201, body = FileView),
        (status = 400, description = "Empty or interrupted upload, or a form without a `file` part", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 413, description = "Larger than the upload limit (`file_too_large`), or over the organization's quota (`quota_exceeded`)", body = ErrorBody),
        (status = 415, description = "A program, a script, or an HTML or SVG document", body = ErrorBody)))]
async fn upload(
    State(app): State<App>,
    Authed(auth): Authed,
    Q(query): Q<UploadQuery>,
    request: Request,
) -> Result<Response, AppError> {
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    let file = if is_form {
        let mut form = Multipart::from_request(request, &app)
            .await
            .map_err(|_| no_file_part())?;
        let field = form
            .next_field()
            .await
            .map_err(|_| no_file_part())?
            .filter(|f| f.name() == Some("file"))
            .ok_or_else(no_file_part)?;
        let name = query
            .name
            .or_else(|| field.file_name().map(str::to_owned))
            .unwrap_or_default();
        app.upload_file(&auth, &name, None, field).await?
    } else {
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let name = query.name.unwrap_or_default();
        let body = request.into_body().into_data_stream();
        app.upload_file(&auth, &name, declared, body).await?
    };
    Ok((StatusCode::CREATED, Json(file)).into_response())
}

/// What every served file or thumbnail carries: its validator, how long it may be
/// cached, and the headers that keep it from running in the host's origin.
fn served_headers(etag: &str, cache_control: &'static str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, header_value(etag));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(SANDBOX),
    );
    headers
}

fn no_file_part() -> AppError {
    AppError::said(
        Refusal::BadRequest,
        "invalid_body",
        "a multipart upload must start with one part named `file`",
        "多部分上传的第一部分必须名为 `file`",
    )
}

/// Downloads a file: its uploader and the people it was shared with; anyone else is told
/// it does not exist. Pictures, PDFs and plain text are shown in place, everything else is
/// downloaded; every answer is sandboxed and must not be sniffed. The `ETag` is the
/// content's SHA-256, so `If-None-Match` answers 304.
#[utoipa::path(get, path = "/api/v1/files/{file_id}", tag = "files", params(("file_id" = String, Path)),
    responses(
        (status = 200, description = "The file's bytes, with its detected type",
            content_type = "*/*",
            headers(
                ("Content-Disposition" = String, description = "`inline` or `attachment`, with `filename` and (for non-ASCII names) `filename*`"),
                ("ETag" = String, description = "The quoted SHA-256 of the content"),
                ("Content-Security-Policy" = String, description = "A sandbox"),
                ("X-Content-Type-Options" = String, description = "`nosniff`"))),
        (status = 304, description = "Unchanged (`If-None-Match`)"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn download(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
    request_headers: HeaderMap,
) -> Result<Response, AppError> {
    let download = app.file_download(&auth, &id).await?;
    let file = &download.file;
    let etag = format!("\"{}\"", file.sha256);
    let mut headers = served_headers(&etag, "private, no-cache");
    if unchanged(&request_headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    let bytes = app.file_bytes(&download).await?;
    let content_type = if file.content_type == detect::TEXT_PLAIN {
        "text/plain; charset=utf-8"
    } else {
        file.content_type.as_str()
    };
    headers.insert(header::CONTENT_TYPE, header_value(content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(file.size.max(0)));
    headers.insert(
        header::CONTENT_DISPOSITION,
        header_value(&detect::content_disposition(
            &file.name,
            detect::shown_inline(&file.content_type),
        )),
    );
    Ok((headers, Body::from_stream(bytes)).into_response())
}

/// Whether `If-None-Match` names `etag` (or `*`).
fn unchanged(request_headers: &HeaderMap, etag: &str) -> bool {
    request_headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

/// A picture's thumbnail, at most 320×320 pixels, upright: the same rules as downloading
/// it. JPEG, PNG, GIF and WebP pictures have one (a JPEG, or a PNG when the picture has
/// transparency), made on the first request and kept; other files, and pictures that cannot
/// be decoded within the limits, answer 422 `no_thumbnail`. The `ETag` is the content's
/// SHA-256 with `-thumb`, so `If-None-Match` answers 304.
#[utoipa::path(get, path = "/api/v1/files/{file_id}/thumbnail", tag = "files", params(("file_id" = String, Path)),
    responses(
        (status = 200, description = "The thumbnail",
            content(("image/jpeg"), ("image/png")),
            headers(
                ("ETag" = String, description = "The quoted SHA-256 of the file, then `-thumb`"),
                ("Cache-Control" = String, description = "`private, max-age=86400`"),
                ("Content-Security-Policy" = String, description = "A sandbox"),
                ("X-Content-Type-Options" = String, description = "`nosniff`"))),
        (status = 304, description = "Unchanged (`If-None-Match`)"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "Not a JPEG, PNG, GIF or WebP picture, or one that cannot be decoded within the limits (`no_thumbnail`)", body = ErrorBody)))]
async fn thumbnail(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
    request_headers: HeaderMap,
) -> Result<Response, AppError> {
    let of = app.file_thumbnail(&auth, &id).await?;
    let etag = format!("\"{}-thumb\"", of.file.sha256);
    // A file's content never changes under its id, nor does its thumbnail.
    let mut headers = served_headers(&etag, "private, max-age=86400");
    if unchanged(&request_headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    let thumb = app.thumbnail_bytes(&of).await?;
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(thumb.content_type),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline"),
    );
    Ok((headers, thumb.bytes).into_response())
}

/// Header values built from stored text, which is free of control characters; anything
/// else degrades to a safe default rather than failing the download.
fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"))
}

/// A file's details: the same rules as downloading it.
#[utoipa::path(get, path = "/api/v1/files/{file_id}/info", tag = "files", params(("file_id" = String, Path)),
    responses((status = 200, body = FileView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn file_info(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
) -> Result<Json<FileView>, AppError> {
    Ok(Json(app.file_info(&auth, &id).await?))
}

/// Shares a file with people the uploader can see (uploader only); they may then download
/// it. Sharing twice is harmless.
#[utoipa::path(post, path = "/api/v1/files/{file_id}/grants", tag = "files", params(("file_id" = String, Path)),
    request_body = ShareFile,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn share(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ShareFile>,
) -> Result<StatusCode, AppError> {
    app.share_file(&auth, &id, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a file, its grants and its bytes: its uploader, or an admin of its organization.
#[utoipa::path(delete, path = "/api/v1/files/{file_id}", tag = "files", params(("file_id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn delete_file(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    app.delete_file(&auth, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
