//! Request extractors: who is calling (bearer token or session cookie with CSRF check), and
//! JSON bodies, path parameters and queries whose rejections are JSON errors like every other.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::response::Response;
use serde::de::DeserializeOwned;

use super::error::error_response;
use crate::app::auth::Auth;
use crate::app::{App, AppError};
use crate::crypto;

pub const SESSION_COOKIE: &str = "courtyard_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The authenticated caller. Cookie-authenticated unsafe requests must carry the CSRF
/// token; bearer tokens are not sent by browsers on their own, so they need none.
pub struct Authed(pub Auth);

pub fn bearer_token(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

pub fn cookie_token(parts: &Parts) -> Option<&str> {
    cookie(&parts.headers, SESSION_COOKIE)
}

/// A cookie's value by name.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl FromRequestParts<App> for Authed {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, AppError> {
        let locale = crate::app::auth::locale_from_accept_language(
            parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        );
        let ip = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        if let Some(token) = bearer_token(parts) {
            let mut auth = app.authenticate(token).await?;
            auth.locale = locale.into();
            auth.ip = ip;
            return Ok(Authed(auth));
        }
        let token = cookie_token(parts).ok_or(AppError::Unauthenticated)?;
        let mut auth = app.authenticate(token).await?;
        auth.locale = locale.into();
        auth.ip = ip;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !crypto::constant_time_eq(sent, &app.csrf_token_for(&auth.token_hash)) {
                return Err(AppError::Forbidden("missing or wrong X-CSRF-Token header"));
            }
        }
        Ok(Authed(auth))
    }
}

/// A JSON body; malformed, mistyped or oversized bodies get JSON errors.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Body(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> Response {
    let status = r.status();
    let code = match &r {
        JsonRejection::JsonDataError(_) => "invalid_body",
        JsonRejection::JsonSyntaxError(_) => "invalid_json",
        JsonRejection::MissingJsonContentType(_) => "unsupported_media_type",
        _ if status == StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        _ => "invalid_body",
    };
    error_response(status, code, r.body_text())
}

/// Query parameters with JSON errors.
pub struct Q<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Q<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Q(v)),
            Err(r) => Err(query_rejection(r)),
        }
    }
}

fn query_rejection(r: QueryRejection) -> Response {
    error_response(StatusCode::BAD_REQUEST, "invalid_query", r.body_text())
}

/// Path parameters with JSON errors. A segment that cannot be a parameter at all (invalid
/// UTF-8 once percent-decoded) names nothing: 404, like every other malformed id.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(r) => Err(path_rejection(r)),
        }
    }
}

fn path_rejection(r: PathRejection) -> Response {
    match &r {
        PathRejection::FailedToDeserializePathParams(_) => {
            error_response(StatusCode::NOT_FOUND, "not_found", r.body_text())
        }
        // A route without the parameters its handler expects: a bug, reported as such.
        _ => error_response(r.status(), "internal", "internal error"),
    }
}
