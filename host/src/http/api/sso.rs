//! Single sign-on with OpenID Connect: signing in (`/api/v1/auth/sso/…`, browser
//! navigations answered with redirects) and an organization's provider settings
//! (`/api/v1/orgs/{org_id}/sso`, its admins).

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::sso::{PutSsoConfig, SsoConfigView, SsoDiscovery};
use crate::app::{App, AppError};
use crate::http::error::ErrorBody;
use crate::http::extract::{Authed, Body, Path, Q, SESSION_COOKIE, cookie};

/// Carries a sign-in's `state` from its start to its callback, in the browser that began
/// it (a login forged elsewhere cannot be finished here).
const STATE_COOKIE: &str = "courtyard_sso";
const STATE_COOKIE_PATH: &str = "/api/v1/auth/sso";

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(discover))
        .routes(routes!(start))
        .routes(routes!(callback))
        .routes(routes!(get_config, put_config, delete_config))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DiscoverRequest {
    email: String,
}

/// Which organization's identity provider signs in someone with this email address (by
/// its domain). 404 `sso_not_configured` when none does: sign in with a password.
#[utoipa::path(post, path = "/api/v1/auth/sso/discover", tag = "auth", request_body = DiscoverRequest,
    responses((status = 200, body = SsoDiscovery), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn discover(
    State(app): State<App>,
    Body(req): Body<DiscoverRequest>,
) -> Result<Json<SsoDiscovery>, AppError> {
    Ok(Json(app.discover_sso(&req.email).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct StartQuery {
    /// A path on this host to open after signing in (default `/`).
    return_to: Option<String>,
}

/// Starts signing in at the organization's identity provider: redirects the browser there
/// (authorization code flow with PKCE) and sets a short-lived cookie binding the sign-in
/// to this browser. When it cannot start, a browser (`Accept: text/html`) is sent to
/// `/login?sso_error=<code>`; other clients get the JSON error.
#[utoipa::path(get, path = "/api/v1/auth/sso/{org_id}/start", tag = "auth",
    params(("org_id" = String, Path), StartQuery),
    responses((status = 303, description = "To the identity provider",
            headers(("Location" = String), ("Set-Cookie" = String))),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn start(
    State(app): State<App>,
    headers: HeaderMap,
    Path(org): Path<String>,
    Q(query): Q<StartQuery>,
) -> Result<Response, AppError> {
    let started = match app.start_sso(&org, query.return_to.as_deref()).await {
        Ok(started) => started,
        Err(e) if wants_html(&headers) => return Ok(back_to_sign_in(&e)),
        Err(e) => return Err(e),
    };
    let cookie = format!(
        "{STATE_COOKIE}={}; Path={STATE_COOKIE_PATH}; HttpOnly; SameSite=Lax; Max-Age=600{}",
        started.state,
        secure(&app)
    );
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, started.redirect_to),
            (header::SET_COOKIE, cookie),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    /// Set by the provider when it refused the sign-in.
    error: Option<String>,
    #[allow(dead_code)]
    error_description: Option<String>,
    /// The provider's issuer (RFC 9207); the ID token's issuer is what is checked.
    #[allow(dead_code)]
    iss: Option<String>,
    #[allow(dead_code)]
    session_state: Option<String>,
}

/// Where the identity provider sends the browser back. On success: a session cookie and a
/// redirect to where the person was going. On failure: a browser (`Accept: text/html`) is
/// sent to `/login?sso_error=<code>`, any other client gets the JSON error.
#[utoipa::path(get, path = "/api/v1/auth/sso/callback", tag = "auth", params(CallbackQuery),
    responses((status = 303, description = "Signed in, or (browsers) back to the sign-in page with the error's code",
            headers(("Location" = String), ("Set-Cookie" = String))),
        (status = 400, description = "Unknown, expired, reused or foreign `state` (`sso_state_mismatch`)", body = ErrorBody),
        (status = 401, description = "The provider refused, or its answer did not verify (`sso_failed`)", body = ErrorBody),
        (status = 403, description = "No account (`sso_no_account`), no verified email (`sso_email_unverified`), disabled", body = ErrorBody)))]
async fn callback(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Q(query): Q<CallbackQuery>,
) -> Response {
    let finished = app
        .finish_sso(
            query.state.as_deref().unwrap_or(""),
            cookie(&headers, STATE_COOKIE),
            query.code.as_deref(),
            query.error.as_deref(),
            Some(peer.ip()),
        )
        .await;
    let clear_state = format!("{STATE_COOKIE}=; Path={STATE_COOKIE_PATH}; HttpOnly; Max-Age=0");
    match finished {
        Ok(signed_in) => {
            let max_age = app.config.session_ttl_hours * 3600;
            let session = format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
                signed_in.session.token,
                secure(&app)
            );
            let mut response = (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, signed_in.return_to)],
            )
                .into_response();
            let set = response.headers_mut();
            for c in [session, clear_state] {
                if let Ok(v) = c.parse() {
                    set.append(header::SET_COOKIE, v);
                }
            }
            response
        }
        Err(e) => {
            let mut response = if wants_html(&headers) {
                back_to_sign_in(&e)
            } else {
                e.into_response()
            };
            if let Ok(v) = clear_state.parse() {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
            response
        }
    }
}

/// Whether the request is a browser's navigation (an error becomes a page, not JSON).
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// Sends a browser back to the sign-in page, which shows the error's code in its language.
fn back_to_sign_in(e: &AppError) -> Response {
    let code = match e {
        AppError::Said { code, .. } => *code,
        _ => "sso_failed",
    };
    if let AppError::Internal(inner) = e {
        tracing::error!(error = ?inner, "single sign-on failed");
    }
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, format!("/login?sso_error={code}"))],
    )
        .into_response()
}

fn secure(app: &App) -> &'static str {
    if app.config.cookie_secure {
        "; Secure"
    } else {
        ""
    }
}

/// The organization's identity provider settings (the client secret is never shown).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/sso", tag = "orgs",
    params(("org_id" = String, Path)),
    responses((status = 200, body = SsoConfigView), (status = 403, body = ErrorBody),
        (status = 404, description = "No such organization, or no provider (`sso_not_configured`)", body = ErrorBody)))]
async fn get_config(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(org): Path<String>,
) -> Result<Json<SsoConfigView>, AppError> {
    Ok(Json(app.get_sso(&auth, &org).await?))
}

/// Sets the organization's identity provider (OpenID Connect). The issuer's discovery
/// document is fetched first: a provider that cannot be reached is refused (422
/// `sso_discovery_failed`), a domain another organization claims is a conflict (409).
/// Register `redirect_uri` from the answer at the provider. Organization admins; audited.
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/sso", tag = "orgs",
    params(("org_id" = String, Path)), request_body = PutSsoConfig,
    responses((status = 200, body = SsoConfigView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_config(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(org): Path<String>,
    Body(input): Body<PutSsoConfig>,
) -> Result<Json<SsoConfigView>, AppError> {
    Ok(Json(app.put_sso(&auth, &org, input).await?))
}

/// Removes the organization's identity provider (password sign-in opens again; links
/// between accounts and the provider are kept). Organization admins; audited.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/sso", tag = "orgs",
    params(("org_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_config(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(org): Path<String>,
) -> Result<StatusCode, AppError> {
    app.delete_sso(&auth, &org).await?;
    Ok(StatusCode::NO_CONTENT)
}
