//! `/api/v1/people`: the directory.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::people::UpdatePerson;
use crate::app::views::PersonView;
use crate::app::{App, AppError};
use crate::http::error::ErrorBody;
use crate::http::extract::{Authed, Body, Path, Q};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(get_person, update_person))
        .routes(routes!(reset_password))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Any part of a name, its pinyin (`zhangsan`) or initials (`zs`), a title, a
    /// department or an email. Omit to list.
    pub q: Option<String>,
    /// 1 to 200; default 20.
    pub limit: Option<i64>,
}

/// Searches the people the caller may see (guests: only people in their groups).
#[utoipa::path(get, path = "/api/v1/people", tag = "people", params(SearchQuery),
    responses((status = 200, body = Vec<PersonView>), (status = 422, body = ErrorBody)))]
async fn search(
    State(app): State<App>,
    Authed(auth): Authed,
    Q(q): Q<SearchQuery>,
) -> Result<Json<Vec<PersonView>>, AppError> {
    Ok(Json(
        app.search_people(&auth, q.q.as_deref(), q.limit).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/people/{person_id}", tag = "people", params(("person_id" = String, Path)),
    responses((status = 200, body = PersonView), (status = 404, body = ErrorBody)))]
async fn get_person(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
) -> Result<Json<PersonView>, AppError> {
    Ok(Json(app.get_person(&auth, &id).await?))
}

/// Changes a profile (one's own) or, for admins, department, role and status.
#[utoipa::path(patch, path = "/api/v1/people/{person_id}", tag = "people", params(("person_id" = String, Path)), request_body = UpdatePerson,
    responses((status = 200, body = PersonView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn update_person(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
    Body(req): Body<UpdatePerson>,
) -> Result<Json<PersonView>, AppError> {
    Ok(Json(app.update_person(&auth, &id, req).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    #[schema(min_length = 10)]
    pub password: String,
}

/// Sets a new password for someone else (admins); their sessions end. One's own password
/// changes with `POST /api/v1/me/password`, which asks for the current one.
#[utoipa::path(post, path = "/api/v1/people/{person_id}/password", tag = "people", params(("person_id" = String, Path)), request_body = ResetPassword,
    responses((status = 204), (status = 403, body = ErrorBody, description = "Not an admin of this person, or the caller's own account"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody, description = "A password too short or too long")))]
async fn reset_password(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
    Body(req): Body<ResetPassword>,
) -> Result<StatusCode, AppError> {
    app.reset_password(&auth, &id, &req.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
