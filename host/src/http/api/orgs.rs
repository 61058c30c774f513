//! `/api/v1/orgs`: organizations, their people, departments and partner invitations.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::orgs::{CreateOrg, UpdateOrg};
use crate::app::people::{CreatePerson, OrgPeopleQuery};
use crate::app::views::{DepartmentNode, GroupView, OrgView, PartnerView, PersonView};
use crate::app::{App, AppError};
use crate::http::error::ErrorBody;
use crate::http::extract::{Authed, Body, Path, Q};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_orgs, create_org))
        .routes(routes!(get_org, update_org))
        .routes(routes!(list_people, create_person))
        .routes(routes!(list_groups))
        .routes(routes!(departments))
        .routes(routes!(invitations))
        .routes(routes!(accept_invitation))
        .routes(routes!(decline_invitation))
}

/// Organizations the caller can see (all, for platform admins).
#[utoipa::path(get, path = "/api/v1/orgs", tag = "orgs", responses((status = 200, body = Vec<OrgView>)))]
async fn list_orgs(
    State(app): State<App>,
    Authed(auth): Authed,
) -> Result<Json<Vec<OrgView>>, AppError> {
    Ok(Json(app.list_orgs(&auth).await?))
}

/// Creates an organization (platform admins).
#[utoipa::path(post, path = "/api/v1/orgs", tag = "orgs", request_body = CreateOrg,
    responses((status = 201, body = OrgView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_org(
    State(app): State<App>,
    Authed(auth): Authed,
    Body(req): Body<CreateOrg>,
) -> Result<Response, AppError> {
    Ok((StatusCode::CREATED, Json(app.create_org(&auth, req).await?)).into_response())
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}", tag = "orgs", params(("org_id" = String, Path)),
    responses((status = 200, body = OrgView), (status = 404, body = ErrorBody)))]
async fn get_org(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(org_id): Path<String>,
) -> Result<Json<OrgView>, AppError> {
    Ok(Json(app.get_org(&auth, &org_id).await?))
}

/// Changes an organization's name and settings (its admins).
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}", tag = "orgs", params(("org_id" = String, Path)), request_body = UpdateOrg,
    responses((status = 200, body = OrgView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn update_org(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(org_id): Path<String>,
    Body(req): Body<UpdateOrg>,
) -> Result<Json<OrgView>, AppError> {
    Ok(Json(app.update_org(&auth, &org_id, req).await?))
}

/// An organization's people for its admins: everyone, disabled and invited included, by
/// name; `q` filters by name, pinyin, initials or email, `status` by status.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/people", tag = "people", params(("org_id" = String, Path), OrgPeopleQuery),
    responses((status = 200, body = Vec<PersonView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_people(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(org_id): Path<String>,
    Q(q): Q<OrgPeopleQuery>,
) -> Result<Json<Vec<PersonView>>, AppError> {
    Ok(Json(app.org_people(&auth, &org_id, q).await?))
}

/// Every group of an organization except direct conversations, for its admins.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/groups", tag = "groups", params(("org_id" = String, Path)),
    responses((status = 200, body = Vec<GroupView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_groups(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(org_id): Path<String>,
) -> Result<Json<Vec<GroupView>>, AppError> {
    Ok(Json(app.org_groups(&auth, &org_id).await?))
}

/// Adds a person to an organization (its admins).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/people", tag = "people", params(("org_id" = String, Path)), request_body = CreatePerson,
    responses((status = 201, body = PersonView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_person(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(org_id): Path<String>,
    Body(req): Body<CreatePerson>,
) -> Result<Response, AppError> {
    Ok((
        StatusCode::CREATED,
        Json(app.create_person(&auth, &org_id, req).await?),
    )
        .into_response())
}

/// The department tree of an organization.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/departments", tag = "groups", params(("org_id" = String, Path)),
    responses((status = 200, body = Vec<DepartmentNode>), (status = 404, body = ErrorBody)))]
async fn departments(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(org_id): Path<String>,
) -> Result<Json<Vec<DepartmentNode>>, AppError> {
    Ok(Json(app.department_tree(&auth, &org_id).await?))
}

/// Shared groups this organization was invited into (its admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/partner-invitations", tag = "groups", params(("org_id" = String, Path)),
    responses((status = 200, body = Vec<PartnerView>), (status = 404, body = ErrorBody)))]
async fn invitations(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(org_id): Path<String>,
) -> Result<Json<Vec<PartnerView>>, AppError> {
    Ok(Json(app.partner_invitations(&auth, &org_id).await?))
}

/// Accepts an invitation into a shared group.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/partner-invitations/{group_id}/accept", tag = "groups",
    params(("org_id" = String, Path), ("group_id" = String, Path)),
    responses((status = 200, body = PartnerView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn accept_invitation(
    State(app): State<App>,
    Authed(auth): Authed,
    Path((org_id, group_id)): Path<(String, String)>,
) -> Result<Json<PartnerView>, AppError> {
    Ok(Json(
        app.decide_partner(&auth, &org_id, &group_id, true).await?,
    ))
}

/// Declines an invitation into a shared group.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/partner-invitations/{group_id}/decline", tag = "groups",
    params(("org_id" = String, Path), ("group_id" = String, Path)),
    responses((status = 200, body = PartnerView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn decline_invitation(
    State(app): State<App>,
    Authed(auth): Authed,
    Path((org_id, group_id)): Path<(String, String)>,
) -> Result<Json<PartnerView>, AppError> {
    Ok(Json(
        app.decide_partner(&auth, &org_id, &group_id, false).await?,
    ))
}
