//! Compliance: an organization's data export (`/api/v1/orgs/{org_id}/export`) and legal
//! holds (`/api/v1/groups/{group_id}/legal-hold`, `/api/v1/orgs/{org_id}/legal-holds`). An
//! organization's retention period is one of its settings (`PATCH /api/v1/orgs/{org_id}`).

use axum::Json;
use axum::body::Body as ResponseBody;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::retention::{LegalHoldView, PlaceHold};
use crate::app::{App, AppError};
use crate::http::error::ErrorBody;
use crate::http::extract::{Authed, Body, Path};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(place_hold, release_hold))
        .routes(routes!(list_holds))
        .routes(routes!(export_org))
}

/// The organization's data as a ZIP of JSON Lines files (people, groups, memberships,
/// messages with reactions, the files index, plugin data) plus `manifest.json`; the format
/// is in `docs/export.md`. Streamed as it is written; one export at a time per server
/// (409 `export_running` otherwise). Organization admins only; audited.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/export", tag = "orgs",
    params(("org_id" = String, Path)),
    responses((status = 200, content_type = "application/zip", description = "The archive",
            headers(("Content-Disposition" = String, description = "attachment with the archive's name"))),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn export_org(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(org): Path<String>,
) -> Result<Response, AppError> {
    let archive = app.export_org(&auth, &org).await?;
    let stream = futures_util::stream::unfold(archive.chunks, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let disposition = crate::app::files::detect::content_disposition(&archive.file_name, false);
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/zip"),
        ),
        (
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    Ok((headers, ResponseBody::from_stream(stream)).into_response())
}

/// Places a legal hold on a group (or replaces its reason): its messages are kept whatever
/// the organization's retention. Organization admins only.
#[utoipa::path(put, path = "/api/v1/groups/{group_id}/legal-hold", tag = "groups",
    params(("group_id" = String, Path)), request_body = PlaceHold,
    responses((status = 200, body = LegalHoldView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn place_hold(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
    Body(req): Body<PlaceHold>,
) -> Result<Json<LegalHoldView>, AppError> {
    Ok(Json(app.place_legal_hold(&auth, &id, req).await?))
}

/// Releases a group's legal hold; retention applies to it again.
#[utoipa::path(delete, path = "/api/v1/groups/{group_id}/legal-hold", tag = "groups",
    params(("group_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn release_hold(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    app.release_legal_hold(&auth, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organization's legal holds, newest first (its admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/legal-holds", tag = "orgs",
    params(("org_id" = String, Path)),
    responses((status = 200, body = Vec<LegalHoldView>), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn list_holds(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(org): Path<String>,
) -> Result<Json<Vec<LegalHoldView>>, AppError> {
    Ok(Json(app.legal_holds(&auth, &org).await?))
}
