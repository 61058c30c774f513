//! `/api/v1/groups/{id}/messages` and `/api/v1/messages`: posting and reading messages.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::messages::{EditMessage, MarkRead, PostMessage};
use crate::app::views::{MessageView, ReceiptsView};
use crate::app::{App, AppError};
use crate::http::error::ErrorBody;
use crate::http::extract::{Authed, Body, Path, Q};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(history, post_message))
        .routes(routes!(get_message, edit_message, delete_message))
        .routes(routes!(thread))
        .routes(routes!(add_reaction, remove_reaction))
        .routes(routes!(pin, unpin))
        .routes(routes!(pins))
        .routes(routes!(mark_read))
        .routes(routes!(receipts))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// `chat` or `post` (the group's feed); both when omitted.
    #[param(pattern = "^(chat|post)$")]
    pub kind: Option<String>,
    /// Only messages with a smaller `seq` (page backwards).
    pub before: Option<i64>,
    /// 1 to 200; default 50.
    pub limit: Option<i64>,
}

/// Top-level messages of a group, newest first.
#[utoipa::path(get, path = "/api/v1/groups/{group_id}/messages", tag = "messages", params(("group_id" = String, Path), HistoryQuery),
    responses((status = 200, body = Vec<MessageView>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn history(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
    Q(q): Q<HistoryQuery>,
) -> Result<Json<Vec<MessageView>>, AppError> {
    Ok(Json(
        app.history(&auth, &id, q.kind.as_deref(), q.before, q.limit)
            .await?,
    ))
}

/// Posts a message, reply, feed post or comment. Retrying with the same `client_txn_id`
/// returns the original (200) instead of posting again (201). A person posting faster than
/// the host's `posts_per_minute` (after a burst of `post_burst`) gets 429 with `Retry-After`.
#[utoipa::path(post, path = "/api/v1/groups/{group_id}/messages", tag = "messages", params(("group_id" = String, Path)), request_body = PostMessage,
    responses((status = 201, body = MessageView), (status = 200, body = MessageView, description = "retry of a posted transaction"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "posting too fast; `Retry-After` says when to try again",
            headers(("Retry-After" = u64, description = "seconds until the next post fits")))))]
async fn post_message(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
    Body(req): Body<PostMessage>,
) -> Result<Response, AppError> {
    let posted = app.post_message(&auth, &id, req).await?;
    let status = if posted.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(posted.message)).into_response())
}

#[utoipa::path(get, path = "/api/v1/messages/{message_id}", tag = "messages", params(("message_id" = String, Path)),
    responses((status = 200, body = MessageView), (status = 404, body = ErrorBody)))]
async fn get_message(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
) -> Result<Json<MessageView>, AppError> {
    Ok(Json(app.get_message(&auth, &id).await?))
}

/// Edits one's own message.
#[utoipa::path(patch, path = "/api/v1/messages/{message_id}", tag = "messages", params(("message_id" = String, Path)), request_body = EditMessage,
    responses((status = 200, body = MessageView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn edit_message(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
    Body(req): Body<EditMessage>,
) -> Result<Json<MessageView>, AppError> {
    Ok(Json(app.edit_message(&auth, &id, req).await?))
}

/// Deletes a message for everyone (its author, or a group manager).
#[utoipa::path(delete, path = "/api/v1/messages/{message_id}", tag = "messages", params(("message_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_message(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    app.delete_message(&auth, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ThreadQuery {
    /// Only replies with a larger `seq` (page forwards).
    pub after: Option<i64>,
    /// 1 to 200; default 50.
    pub limit: Option<i64>,
}

/// Replies in a thread (comments on a feed post), oldest first.
#[utoipa::path(get, path = "/api/v1/messages/{message_id}/replies", tag = "messages", params(("message_id" = String, Path), ThreadQuery),
    responses((status = 200, body = Vec<MessageView>), (status = 404, body = ErrorBody)))]
async fn thread(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
    Q(q): Q<ThreadQuery>,
) -> Result<Json<Vec<MessageView>>, AppError> {
    Ok(Json(app.thread(&auth, &id, q.after, q.limit).await?))
}

/// Adds the caller's reaction (a like, on feed posts).
#[utoipa::path(put, path = "/api/v1/messages/{message_id}/reactions/{emoji}", tag = "messages",
    params(("message_id" = String, Path), ("emoji" = String, Path)),
    responses((status = 200, body = MessageView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_reaction(
    State(app): State<App>,
    Authed(auth): Authed,
    Path((id, emoji)): Path<(String, String)>,
) -> Result<Json<MessageView>, AppError> {
    Ok(Json(app.react(&auth, &id, &emoji, true).await?))
}

/// Removes the caller's reaction.
#[utoipa::path(delete, path = "/api/v1/messages/{message_id}/reactions/{emoji}", tag = "messages",
    params(("message_id" = String, Path), ("emoji" = String, Path)),
    responses((status = 200, body = MessageView), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "The message was deleted (`message_deleted`)")))]
async fn remove_reaction(
    State(app): State<App>,
    Authed(auth): Authed,
    Path((id, emoji)): Path<(String, String)>,
) -> Result<Json<MessageView>, AppError> {
    Ok(Json(app.react(&auth, &id, &emoji, false).await?))
}

/// Pins a message to its group.
#[utoipa::path(put, path = "/api/v1/messages/{message_id}/pin", tag = "messages", params(("message_id" = String, Path)),
    responses((status = 200, body = MessageView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn pin(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
) -> Result<Json<MessageView>, AppError> {
    Ok(Json(app.set_pin(&auth, &id, true).await?))
}

/// Unpins a message.
#[utoipa::path(delete, path = "/api/v1/messages/{message_id}/pin", tag = "messages", params(("message_id" = String, Path)),
    responses((status = 200, body = MessageView), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "Not a live top-level message (`cannot_pin`)")))]
async fn unpin(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
) -> Result<Json<MessageView>, AppError> {
    Ok(Json(app.set_pin(&auth, &id, false).await?))
}

/// Pinned messages of a group.
#[utoipa::path(get, path = "/api/v1/groups/{group_id}/pins", tag = "messages", params(("group_id" = String, Path)),
    responses((status = 200, body = Vec<MessageView>), (status = 404, body = ErrorBody)))]
async fn pins(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
) -> Result<Json<Vec<MessageView>>, AppError> {
    Ok(Json(app.pins(&auth, &id).await?))
}

/// Marks the group read up to a message (starts burn-after-read clocks).
#[utoipa::path(post, path = "/api/v1/groups/{group_id}/read", tag = "messages", params(("group_id" = String, Path)), request_body = MarkRead,
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn mark_read(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
    Body(req): Body<MarkRead>,
) -> Result<StatusCode, AppError> {
    app.mark_read(&auth, &id, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who has and has not read a message (groups up to 500 members, where receipts are on).
#[utoipa::path(get, path = "/api/v1/messages/{message_id}/receipts", tag = "messages", params(("message_id" = String, Path)),
    responses((status = 200, body = ReceiptsView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn receipts(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
) -> Result<Json<ReceiptsView>, AppError> {
    Ok(Json(app.receipts(&auth, &id).await?))
}
