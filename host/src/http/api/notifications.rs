//! `/api/v1/me/notifications`: how a person wants to hear about what they missed.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::notify::{NotificationSettings, NotificationSettingsView};
use crate::app::push::{PushEndpoint, PushSubscription};
use crate::app::{App, AppError};
use crate::http::error::ErrorBody;
use crate::http::extract::{Authed, Body};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(subscribe, unsubscribe))
}

/// Subscribes this browser to Web Push (the body is `PushSubscription.toJSON()`, made
/// with `push_public_key` from `GET /api/v1/me/notifications`). Direct messages and
/// mentions are then pushed to it, outside quiet hours. The endpoint must be a public
/// HTTPS push service (422 `invalid_subscription`); the newest 20 browsers are kept.
#[utoipa::path(post, path = "/api/v1/me/push-subscriptions", tag = "auth",
    request_body = PushSubscription,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn subscribe(
    State(app): State<App>,
    Authed(auth): Authed,
    Body(input): Body<PushSubscription>,
) -> Result<StatusCode, AppError> {
    app.subscribe_push(&auth, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stops pushing to a browser of the caller's.
#[utoipa::path(delete, path = "/api/v1/me/push-subscriptions", tag = "auth",
    request_body = PushEndpoint,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unsubscribe(
    State(app): State<App>,
    Authed(auth): Authed,
    Body(input): Body<PushEndpoint>,
) -> Result<StatusCode, AppError> {
    app.unsubscribe_push(&auth, &input.endpoint).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's notification settings: email digests of unread direct messages and
/// mentions (on unless turned off) and quiet hours in the organization's time zone.
#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "auth",
    responses((status = 200, body = NotificationSettingsView), (status = 401, body = ErrorBody)))]
async fn get_settings(
    State(app): State<App>,
    Authed(auth): Authed,
) -> Result<Json<NotificationSettingsView>, AppError> {
    Ok(Json(app.notification_settings(&auth).await?))
}

/// Replaces the caller's notification settings. Quiet hours are `HH:MM` times; an end
/// before the start runs past midnight (422 `invalid_quiet_hours` otherwise).
#[utoipa::path(put, path = "/api/v1/me/notifications", tag = "auth",
    request_body = NotificationSettings,
    responses((status = 200, body = NotificationSettingsView), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn put_settings(
    State(app): State<App>,
    Authed(auth): Authed,
    Body(input): Body<NotificationSettings>,
) -> Result<Json<NotificationSettingsView>, AppError> {
    Ok(Json(app.set_notification_settings(&auth, input).await?))
}
