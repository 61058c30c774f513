//! Plugin packages over HTTP: staging a signed `.cyplugin` file (uploaded, or fetched from
//! a configured catalog), looking at it before installing — capabilities, publisher,
//! descriptions, icon, screenshots — and browsing the catalogs. Installing a staged package
//! is `POST /api/v1/orgs/{org_id}/plugins` with its `package_sha256`.

use axum::Json;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::plugins::distribution::{CatalogItemView, StageFromCatalog, StagedPackageView};
use crate::app::{App, AppError, Refusal};
use crate::http::error::ErrorBody;
use crate::http::extract::{Authed, Body, Path};
use crate::package::MAX_PACKAGE_BYTES;

pub fn router() -> OpenApiRouter<App> {
    let uploads = OpenApiRouter::new()
        .routes(routes!(stage_package))
        .layer(DefaultBodyLimit::max(MAX_PACKAGE_BYTES + 64 * 1024));
    OpenApiRouter::new()
        .merge(uploads)
        .routes(routes!(stage_from_catalog))
        .routes(routes!(staged_package))
        .routes(routes!(package_icon))
        .routes(routes!(package_screenshot))
        .routes(routes!(catalog))
}

/// Stages a plugin package file (`.cyplugin`, the raw bytes as the body): checks its
/// signature and contents and stores it, without installing it. Org admins.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/plugin-packages", tag = "plugins",
    params(("org_id" = String, Path)),
    request_body(description = "The .cyplugin file", content(("application/octet-stream"))),
    responses((status = 201, body = StagedPackageView),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, description = "Larger than a package may be (`package_too_large`)", body = ErrorBody),
        (status = 422, description = "Not a package (`invalid_package`), a broken signature (`bad_signature`), a contract this host does not run (`incompatible_contract`), an invalid manifest (`invalid_manifest`)", body = ErrorBody)))]
async fn stage_package(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(org): Path<String>,
    request: Request,
) -> Result<Response, AppError> {
    let bytes = axum::body::to_bytes(request.into_body(), MAX_PACKAGE_BYTES)
        .await
        .map_err(|_| {
            AppError::said(
                Refusal::TooLarge,
                "package_too_large",
                format!("a package is at most {} MiB", MAX_PACKAGE_BYTES >> 20),
                format!("插件包最大 {} MiB", MAX_PACKAGE_BYTES >> 20),
            )
        })?;
    let staged = app.stage_package(&auth, &org, &bytes).await?;
    Ok((StatusCode::CREATED, Json(staged)).into_response())
}

/// Downloads a package from a configured catalog, checks it against the catalog's index
/// and its own signature, and stages it. Org admins.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/plugin-packages/from-catalog", tag = "plugins",
    params(("org_id" = String, Path)), request_body = StageFromCatalog,
    responses((status = 201, body = StagedPackageView),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "`incompatible_contract`, `catalog_mismatch`, `bad_signature`, `invalid_package`", body = ErrorBody),
        (status = 503, description = "The catalog cannot be reached (`catalog_unavailable`)", body = ErrorBody)))]
async fn stage_from_catalog(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(org): Path<String>,
    Body(req): Body<StageFromCatalog>,
) -> Result<Response, AppError> {
    let staged = app.stage_from_catalog(&auth, &org, req).await?;
    Ok((StatusCode::CREATED, Json(staged)).into_response())
}

/// A staged or installed package, as an admin sees it before installing.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/plugin-packages/{sha256}", tag = "plugins",
    params(("org_id" = String, Path), ("sha256" = String, Path)),
    responses((status = 200, body = StagedPackageView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn staged_package(
    State(app): State<App>,
    Authed(auth): Authed,
    Path((org, sha)): Path<(String, String)>,
) -> Result<Json<StagedPackageView>, AppError> {
    Ok(Json(app.staged_package(&auth, &org, &sha).await?))
}

/// A package's icon (PNG).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/plugin-packages/{sha256}/icon", tag = "plugins",
    params(("org_id" = String, Path), ("sha256" = String, Path)),
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 404, body = ErrorBody)))]
async fn package_icon(
    State(app): State<App>,
    Authed(auth): Authed,
    Path((org, sha)): Path<(String, String)>,
) -> Result<Response, AppError> {
    Ok(png(app.package_image(&auth, &org, &sha, None).await?))
}

/// A package's screenshot `n` (from 1; PNG).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/plugin-packages/{sha256}/screenshots/{n}", tag = "plugins",
    params(("org_id" = String, Path), ("sha256" = String, Path), ("n" = u32, Path)),
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 404, body = ErrorBody)))]
async fn package_screenshot(
    State(app): State<App>,
    Authed(auth): Authed,
    Path((org, sha, n)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let n: usize = n.parse().map_err(|_| AppError::NotFound("image"))?;
    Ok(png(app.package_image(&auth, &org, &sha, Some(n)).await?))
}

fn png(bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            // A package never changes under its sha256.
            (header::CACHE_CONTROL, "private, max-age=86400, immutable"),
        ],
        bytes,
    )
        .into_response()
}

/// What the configured plugin catalogs offer, each version with its contract
/// compatibility, claimed publisher and whether it would upgrade what is installed. Org
/// admins.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/plugin-catalog", tag = "plugins",
    params(("org_id" = String, Path)),
    responses((status = 200, body = Vec<CatalogItemView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn catalog(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(org): Path<String>,
) -> Result<Json<Vec<CatalogItemView>>, AppError> {
    Ok(Json(app.plugin_catalogs(&auth, &org).await?))
}
