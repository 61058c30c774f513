//! Webhooks: managing a group's hooks (`/api/v1/groups/{group_id}/webhooks`,
//! `/api/v1/webhooks/{id}`), their delivery log, and the incoming endpoint
//! `/api/v1/hooks/{id}/{token}` that other systems post to (no session: the URL's token,
//! and optionally a signature, are the credentials).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::views::MessageView;
use crate::app::webhooks::{
    CreateWebhook, DeliveryView, IncomingMessage, Signed, UpdateWebhook, WebhookView,
};
use crate::app::{App, AppError};
use crate::http::error::ErrorBody;
use crate::http::extract::{Authed, Body, Path, Q};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create_webhook, list_webhooks))
        .routes(routes!(update_webhook, delete_webhook))
        .routes(routes!(deliveries))
        .routes(routes!(incoming))
}

/// Adds an incoming or outgoing webhook to a group (its owners and admins). The answer
/// carries the incoming path with its token and the signing secret — the only time they
/// are shown.
#[utoipa::path(post, path = "/api/v1/groups/{group_id}/webhooks", tag = "webhooks",
    params(("group_id" = String, Path)), request_body = CreateWebhook,
    responses((status = 201, body = WebhookView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_webhook(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(group): Path<String>,
    Body(req): Body<CreateWebhook>,
) -> Result<Response, AppError> {
    let view = app.create_webhook(&auth, &group, req).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// The group's webhooks (without their secrets).
#[utoipa::path(get, path = "/api/v1/groups/{group_id}/webhooks", tag = "webhooks",
    params(("group_id" = String, Path)),
    responses((status = 200, body = Vec<WebhookView>), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn list_webhooks(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(group): Path<String>,
) -> Result<Json<Vec<WebhookView>>, AppError> {
    Ok(Json(app.list_webhooks(&auth, &group).await?))
}

/// Switches a webhook off, or on again (clearing its failure count).
#[utoipa::path(patch, path = "/api/v1/webhooks/{webhook_id}", tag = "webhooks",
    params(("webhook_id" = String, Path)), request_body = UpdateWebhook,
    responses((status = 200, body = WebhookView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn update_webhook(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
    Body(req): Body<UpdateWebhook>,
) -> Result<Json<WebhookView>, AppError> {
    Ok(Json(app.update_webhook(&auth, &id, req).await?))
}

#[utoipa::path(delete, path = "/api/v1/webhooks/{webhook_id}", tag = "webhooks",
    params(("webhook_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_webhook(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    app.delete_webhook(&auth, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Older than this `created_at` (ms), for the next page.
    pub before: Option<i64>,
    /// 1 to 200; default 50.
    pub limit: Option<i64>,
}

/// An outgoing webhook's deliveries, newest first: status, attempts, the receiver's last
/// answer or error.
#[utoipa::path(get, path = "/api/v1/webhooks/{webhook_id}/deliveries", tag = "webhooks",
    params(("webhook_id" = String, Path), DeliveriesQuery),
    responses((status = 200, body = Vec<DeliveryView>), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn deliveries(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
    Q(q): Q<DeliveriesQuery>,
) -> Result<Json<Vec<DeliveryView>>, AppError> {
    Ok(Json(
        app.webhook_deliveries(&auth, &id, q.before, q.limit)
            .await?,
    ))
}

/// Posts into the webhook's group as the webhook. Optional headers: `X-Courtyard-Timestamp`
/// and `X-Courtyard-Signature: sha256=<hex HMAC-SHA256 of "{timestamp}.{body}">` (required
/// when the hook says so; more than five minutes off is refused), `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/hooks/{webhook_id}/{token}", tag = "webhooks",
    params(("webhook_id" = String, Path), ("token" = String, Path)), request_body = IncomingMessage,
    security(),
    responses((status = 201, body = MessageView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn incoming(
    State(app): State<App>,
    Path((id, token)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let signed = Signed {
        timestamp: header("x-courtyard-timestamp"),
        signature: header("x-courtyard-signature"),
        idempotency_key: header("idempotency-key"),
    };
    let message = app.receive_webhook(&id, &token, signed, &body).await?;
    Ok((StatusCode::CREATED, Json(message)).into_response())
}
