//! `/api/v1/auth`, `/api/v1/setup` and `/api/v1/me`: signing in and out, tokens, profile.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::views::{CurrentSessionView, PersonView, SessionView, TokenView};
use crate::app::{App, AppError};
use crate::http::error::ErrorBody;
use crate::http::extract::{Authed, Body, Path, SESSION_COOKIE};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(setup_status, setup))
        .routes(routes!(me))
        .routes(routes!(current_session))
        .routes(routes!(change_password))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Signs in. Returns a bearer token and sets an HttpOnly session cookie for browsers.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = SessionView), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn login(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Body(req): Body<LoginRequest>,
) -> Result<Response, AppError> {
    let session = app
        .login(&req.email, &req.password, Some(peer.ip()))
        .await?;
    let max_age = app.config.session_ttl_hours * 3600;
    let secure = if app.config.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
        session.token
    );
    Ok(([(header::SET_COOKIE, cookie)], Json(session)).into_response())
}

/// Ends the current session (or revokes the token used).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = ErrorBody)))]
async fn logout(State(app): State<App>, Authed(auth): Authed) -> Result<Response, AppError> {
    app.logout(&auth).await?;
    let cookie = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    /// The one-time token the server printed at its first start.
    pub setup_token: String,
    pub email: String,
    #[schema(min_length = 10)]
    pub password: String,
    pub display_name: String,
    /// The platform admin's home organization.
    pub org_name: String,
}

/// First-run setup: creates the platform admin with the printed one-time token.
#[utoipa::path(post, path = "/api/v1/setup", tag = "auth", request_body = SetupRequest,
    responses((status = 201, body = PersonView), (status = 403, body = ErrorBody)))]
async fn setup(
    State(app): State<App>,
    Body(req): Body<SetupRequest>,
) -> Result<Response, AppError> {
    let person = app
        .setup(
            &req.setup_token,
            &req.email,
            &req.password,
            &req.display_name,
            &req.org_name,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(person)).into_response())
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct SetupStatus {
    /// True until the first platform admin exists (the web client then shows first-run
    /// setup, which asks for the token the server printed).
    pub needed: bool,
}

/// Whether first-run setup is still open.
#[utoipa::path(get, path = "/api/v1/setup", tag = "auth", security(),
    responses((status = 200, body = SetupStatus)))]
async fn setup_status(State(app): State<App>) -> Result<Json<SetupStatus>, AppError> {
    Ok(Json(SetupStatus {
        needed: app.setup_pending().await?,
    }))
}

/// The current session: the person and the CSRF token a cookie-authenticated browser
/// sends on unsafe requests. A web client calls it after a reload.
#[utoipa::path(get, path = "/api/v1/auth/session", tag = "auth",
    responses((status = 200, body = CurrentSessionView), (status = 401, body = ErrorBody)))]
async fn current_session(State(app): State<App>, Authed(auth): Authed) -> Json<CurrentSessionView> {
    Json(app.current_session(&auth))
}

/// The signed-in person.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = PersonView), (status = 401, body = ErrorBody)))]
async fn me(Authed(auth): Authed) -> Json<PersonView> {
    Json(auth.person.into())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    #[schema(min_length = 10)]
    pub new_password: String,
}

/// Changes the caller's password and ends their other sessions.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = ChangePassword,
    responses((status = 204), (status = 422, body = ErrorBody)))]
async fn change_password(
    State(app): State<App>,
    Authed(auth): Authed,
    Body(req): Body<ChangePassword>,
) -> Result<StatusCode, AppError> {
    app.change_password(&auth, &req.current_password, &req.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    pub name: String,
    /// Days until it expires; never when omitted.
    pub expires_in_days: Option<i64>,
}

/// The caller's personal access tokens (for scripts and bots).
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "auth",
    responses((status = 200, body = Vec<TokenView>)))]
async fn list_tokens(
    State(app): State<App>,
    Authed(auth): Authed,
) -> Result<Json<Vec<TokenView>>, AppError> {
    Ok(Json(app.list_tokens(&auth).await?))
}

/// Creates a personal access token; the token text is shown only in this response.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "auth", request_body = CreateToken,
    responses((status = 201, body = TokenView), (status = 422, body = ErrorBody)))]
async fn create_token(
    State(app): State<App>,
    Authed(auth): Authed,
    Body(req): Body<CreateToken>,
) -> Result<Response, AppError> {
    let token = app
        .create_token(&auth, &req.name, req.expires_in_days)
        .await?;
    Ok((StatusCode::CREATED, Json(token)).into_response())
}

/// Revokes a personal access token.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "auth",
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
async fn revoke_token(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    app.revoke_token(&auth, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
