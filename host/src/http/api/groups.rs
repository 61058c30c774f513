//! `/api/v1/groups` and `/api/v1/direct`: groups, members and partners.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::groups::{AddMember, CreateGroup, UpdateGroup};
use crate::app::views::{GroupView, MemberView, PartnerView};
use crate::app::{App, AppError};
use crate::http::error::ErrorBody;
use crate::http::extract::{Authed, Body, Path};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_groups, create_group))
        .routes(routes!(get_group, update_group))
        .routes(routes!(list_members, add_member))
        .routes(routes!(remove_member))
        .routes(routes!(join))
        .routes(routes!(leave))
        .routes(routes!(open_direct))
        .routes(routes!(list_partners, invite_partner))
}

/// The caller's groups, plus discoverable groups of their organization.
#[utoipa::path(get, path = "/api/v1/groups", tag = "groups", responses((status = 200, body = Vec<GroupView>)))]
async fn list_groups(
    State(app): State<App>,
    Authed(auth): Authed,
) -> Result<Json<Vec<GroupView>>, AppError> {
    Ok(Json(app.list_groups(&auth).await?))
}

/// Creates a department, team, interest group, announcement channel or shared group.
#[utoipa::path(post, path = "/api/v1/groups", tag = "groups", request_body = CreateGroup,
    responses((status = 201, body = GroupView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such organization (`org_id`), parent or head"),
        (status = 422, body = ErrorBody)))]
async fn create_group(
    State(app): State<App>,
    Authed(auth): Authed,
    Body(req): Body<CreateGroup>,
) -> Result<Response, AppError> {
    Ok((
        StatusCode::CREATED,
        Json(app.create_group(&auth, req).await?),
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/groups/{group_id}", tag = "groups", params(("group_id" = String, Path)),
    responses((status = 200, body = GroupView), (status = 404, body = ErrorBody)))]
async fn get_group(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
) -> Result<Json<GroupView>, AppError> {
    Ok(Json(app.get_group(&auth, &id).await?))
}

/// Renames, describes, archives or (departments) moves a group.
#[utoipa::path(patch, path = "/api/v1/groups/{group_id}", tag = "groups", params(("group_id" = String, Path)), request_body = UpdateGroup,
    responses((status = 200, body = GroupView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn update_group(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
    Body(req): Body<UpdateGroup>,
) -> Result<Json<GroupView>, AppError> {
    Ok(Json(app.update_group(&auth, &id, req).await?))
}

#[utoipa::path(get, path = "/api/v1/groups/{group_id}/members", tag = "groups", params(("group_id" = String, Path)),
    responses((status = 200, body = Vec<MemberView>), (status = 404, body = ErrorBody)))]
async fn list_members(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
) -> Result<Json<Vec<MemberView>>, AppError> {
    Ok(Json(app.list_members(&auth, &id).await?))
}

/// Adds a member (group managers; partner admins for their own people).
#[utoipa::path(post, path = "/api/v1/groups/{group_id}/members", tag = "groups", params(("group_id" = String, Path)), request_body = AddMember,
    responses((status = 200, body = MemberView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn add_member(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
    Body(req): Body<AddMember>,
) -> Result<Json<MemberView>, AppError> {
    Ok(Json(app.add_member(&auth, &id, req).await?))
}

/// Removes a member (group managers), or leaves (oneself).
#[utoipa::path(delete, path = "/api/v1/groups/{group_id}/members/{person_id}", tag = "groups",
    params(("group_id" = String, Path), ("person_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn remove_member(
    State(app): State<App>,
    Authed(auth): Authed,
    Path((id, person)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    app.remove_member(&auth, &id, &person).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Joins an open group (interest groups, announcement channels).
#[utoipa::path(post, path = "/api/v1/groups/{group_id}/join", tag = "groups", params(("group_id" = String, Path)),
    responses((status = 200, body = MemberView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "A member already")))]
async fn join(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
) -> Result<Json<MemberView>, AppError> {
    Ok(Json(app.join_group(&auth, &id).await?))
}

/// Leaves a group.
#[utoipa::path(post, path = "/api/v1/groups/{group_id}/leave", tag = "groups", params(("group_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn leave(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let me = auth.actor.person_id.as_str().to_owned();
    app.remove_member(&auth, &id, &me).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenDirect {
    /// The other people (1 for a 1:1 conversation, up to 19 for an ad-hoc group).
    #[schema(min_items = 1, max_items = 19)]
    pub person_ids: Vec<String>,
}

/// Opens the direct conversation with these people, or returns the existing one.
#[utoipa::path(post, path = "/api/v1/direct", tag = "groups", request_body = OpenDirect,
    responses((status = 200, body = GroupView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn open_direct(
    State(app): State<App>,
    Authed(auth): Authed,
    Body(req): Body<OpenDirect>,
) -> Result<Json<GroupView>, AppError> {
    Ok(Json(app.open_direct(&auth, &req.person_ids).await?))
}

#[utoipa::path(get, path = "/api/v1/groups/{group_id}/partners", tag = "groups", params(("group_id" = String, Path)),
    responses((status = 200, body = Vec<PartnerView>), (status = 404, body = ErrorBody)))]
async fn list_partners(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
) -> Result<Json<Vec<PartnerView>>, AppError> {
    Ok(Json(app.list_partners(&auth, &id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitePartner {
    pub org_id: String,
}

/// Invites another organization into a shared group; it joins once its admins accept.
#[utoipa::path(post, path = "/api/v1/groups/{group_id}/partners", tag = "groups", params(("group_id" = String, Path)), request_body = InvitePartner,
    responses((status = 201, body = PartnerView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn invite_partner(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
    Body(req): Body<InvitePartner>,
) -> Result<Response, AppError> {
    Ok((
        StatusCode::CREATED,
        Json(app.invite_partner(&auth, &id, &req.org_id).await?),
    )
        .into_response())
}
