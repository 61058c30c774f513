//! The web client: the built assets of `host/web` (Vite's `dist/`), embedded in release
//! builds and read from disk in debug builds (rust-embed), served at every path outside
//! `/api`. Paths the client routes itself (`/g/…`, `/admin/…`) get `index.html`.

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

use super::error::error_response;

#[derive(Embed)]
#[folder = "web/dist"]
#[allow_missing = true]
struct Assets;

/// What a page of the client may load: only its own scripts and styles, images from
/// itself (uploads included), data: and blob: URLs for previews, and the API on the
/// same origin (WebSocket included). No frames, no plugins, no inline script.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; \
    connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; \
    form-action 'self'";

/// Serves a client asset, or the client's `index.html` for a path it routes itself.
pub async fn serve(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    if path.starts_with("/api/")
        || path == "/api"
        || (method != Method::GET && method != Method::HEAD)
    {
        return error_response(StatusCode::NOT_FOUND, "not_found", "no such endpoint");
    }
    let wanted = path.trim_start_matches('/');
    if let Some(asset) = (!wanted.is_empty()).then(|| Assets::get(wanted)).flatten() {
        return asset_response(wanted, asset, &headers);
    }
    // A file that is not there (a stale hashed asset, a typo) is a 404; anything else is a
    // route of the client.
    if wanted
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
    {
        return error_response(StatusCode::NOT_FOUND, "not_found", "no such file");
    }
    match Assets::get("index.html") {
        Some(index) => asset_response("index.html", index, &headers),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "The web client is not built. `cargo xtask run` builds it (npm in host/web).\n\
             网页客户端尚未构建。`cargo xtask run` 会构建它（host/web 中的 npm）。\n",
        )
            .into_response(),
    }
}

fn asset_response(path: &str, asset: rust_embed::EmbeddedFile, headers: &HeaderMap) -> Response {
    let etag = format!("\"{}\"", hex::encode(&asset.metadata.sha256_hash()[..16]));
    // Vite names everything under assets/ by its content hash: cache it for good. The
    // entry page must be asked for again so a new build is picked up.
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|sent| sent.as_bytes() == etag.as_bytes())
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mime = asset.metadata.mimetype().to_owned();
        let mut r = asset.data.into_owned().into_response();
        if let Ok(v) = HeaderValue::from_str(&mime) {
            r.headers_mut().insert(header::CONTENT_TYPE, v);
        }
        r
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if path.ends_with(".html") {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}
