//! The HTTP layer: the only code that knows axum. It assembles the router, the OpenAPI
//! document (generated from the handlers' annotations), limits, logging and shutdown.

pub mod api;
mod client_addr;
pub mod error;
pub mod extract;
mod web;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use courtyard_domain::limits::MAX_REQUEST_BYTES;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::app::App;
use error::error_response;

#[derive(OpenApi)]
#[openapi(
    info(title = "Courtyard API", description = "People, groups and messages of a Courtyard host. \
        Errors are JSON `{code, message}`. Authenticate with `Authorization: Bearer <token>` \
        (from sign-in or a personal access token) or the session cookie plus `X-CSRF-Token`."),
    modifiers(&Security),
    security(("bearer" = []), ("cookie" = [])),
    tags(
        (name = "auth", description = "Signing in, sessions and tokens"),
        (name = "orgs", description = "Organizations"),
        (name = "people", description = "The people directory"),
        (name = "groups", description = "Departments, teams, shared groups and direct messages"),
        (name = "messages", description = "Messages, threads, feed posts, reactions and receipts"),
        (name = "realtime", description = "The event stream"),
        (name = "files", description = "Uploaded files: upload, download, sharing, deletion"),
        (name = "plugins", description = "Plugins: catalog, installs, enablement, commands, card actions"),
        (name = "webhooks", description = "Incoming and outgoing webhooks and their delivery log"),
        (name = "system", description = "Health and the API document"),
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(extract::SESSION_COOKIE))),
        );
    }
}

/// Documents the refusals every operation can give before its handler runs, from the
/// extractors in [`extract`] and the body limit: 401 without a valid sign-in, 403 for a
/// cookie-signed unsafe request without its CSRF token, 404 for a malformed path id, 400 for
/// an unreadable query, and 400/413/415/422 for an unreadable, oversized, unlabelled or
/// mistyped JSON body. An operation's own wording of a status is kept.
struct ExtractorErrors;

impl Modify for ExtractorErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        let paths = openapi.paths.paths.values_mut();
        for item in paths {
            let operations = [
                (&mut item.get, true),
                (&mut item.head, true),
                (&mut item.options, true),
                (&mut item.put, false),
                (&mut item.post, false),
                (&mut item.delete, false),
                (&mut item.patch, false),
                (&mut item.trace, true),
            ];
            for (op, safe) in operations {
                let Some(op) = op.as_mut() else { continue };
                let public = op.security.as_ref().is_some_and(|s| s.is_empty());
                let params = op.parameters.as_deref().unwrap_or_default();
                let has_path = params.iter().any(|p| p.parameter_in == ParameterIn::Path);
                let has_query = params.iter().any(|p| p.parameter_in == ParameterIn::Query);
                let json_body = op
                    .request_body
                    .as_ref()
                    .is_some_and(|b| b.content.contains_key("application/json"));
                let mut add = |status: &str, description: &str| {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| error_doc(description));
                };
                add(
                    "503",
                    "The database is out of reach for a moment (`unavailable`); try again after `Retry-After` seconds",
                );
                if !public {
                    add(
                        "401",
                        "Not signed in, or the token is not valid (`unauthenticated`)",
                    );
                    if !safe {
                        add(
                            "403",
                            "Signed in with the session cookie but without the `X-CSRF-Token` header",
                        );
                    }
                }
                if has_path {
                    add("404", "Nothing by this id, or nothing the caller may see");
                }
                if has_query {
                    add("400", "Unreadable query parameters (`invalid_query`)");
                }
                if json_body {
                    add("400", "The body is not JSON (`invalid_json`)");
                    add(
                        "413",
                        "The body is larger than the request limit (`payload_too_large`)",
                    );
                    add(
                        "415",
                        "The body is not labelled `application/json` (`unsupported_media_type`)",
                    );
                    add(
                        "422",
                        "JSON of the wrong shape (`invalid_body`) or invalid values",
                    );
                }
            }
        }
    }
}

fn error_doc(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    utoipa::openapi::ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            utoipa::openapi::ContentBuilder::new()
                .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

/// The whole API with its OpenAPI document.
pub fn api() -> (Router<App>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(api::auth::router())
        .merge(api::orgs::router())
        .merge(api::people::router())
        .merge(api::groups::router())
        .merge(api::messages::router())
        .merge(api::events::router())
        .merge(api::files::router())
        .merge(api::plugins::router())
        .merge(api::plugin_packages::router())
        .merge(api::analytics::router())
        .merge(api::search::router())
        .merge(api::compliance::router())
        .merge(api::webhooks::router())
        .merge(api::sso::router())
        .merge(api::notifications::router())
        .routes(utoipa_axum::routes!(healthz))
        .split_for_parts();
    // After the routes: their operations only exist in the document from here on.
    ExtractorErrors.modify(&mut doc);
    (router, doc)
}

pub fn router(app: App) -> Router {
    let (api, doc) = api();
    let doc_json = doc
        .to_pretty_json()
        .expect("the OpenAPI document serializes");
    api.merge(api::plugins::plugin_routes())
        .route("/metrics", get(metrics))
        .route(
            "/api/openapi.json",
            get(move || async move { ([("content-type", "application/json")], doc_json) }),
        )
        .fallback(web::serve)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(app.clone(), track))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            client_addr::resolve,
        ))
        .with_state(app)
}

#[derive(serde::Serialize, utoipa::ToSchema)]
struct Health {
    /// `ok`
    status: &'static str,
    /// `sqlite` or `postgres`
    database: &'static str,
}

/// Liveness and readiness: the database answers.
#[utoipa::path(get, path = "/healthz", tag = "system", security(),
    responses((status = 200, body = Health), (status = 503, body = error::ErrorBody)))]
async fn healthz(State(app): State<App>) -> Response {
    match app.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(Health {
                status: "ok",
                database: app.store.backend_name(),
            }),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database does not answer",
            )
        }
    }
}

/// Times every request for the metrics, labelled by its route's pattern.
async fn track(
    State(app): State<App>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let started = std::time::Instant::now();
    let method = request.method().as_str().to_owned();
    let route = match request.extensions().get::<axum::extract::MatchedPath>() {
        Some(p) => p.as_str().to_owned(),
        None if request.uri().path().starts_with("/api") => "unmatched".to_owned(),
        // The web client's files and routes.
        None => "web".to_owned(),
    };
    let response = next.run(request).await;
    app.metrics.request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// Prometheus metrics, for this machine or whoever holds `metrics_token`.
async fn metrics(
    State(app): State<App>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
) -> Response {
    let allowed = match &app.config.metrics_token {
        Some(token) => headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|sent| crate::crypto::constant_time_eq(sent, token)),
        None => peer.ip().is_loopback(),
    };
    if !allowed {
        return error_response(
            StatusCode::FORBIDDEN,
            "forbidden",
            "metrics are for this machine, or need the metrics token",
        );
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.render(),
    )
        .into_response()
}

async fn method_not_allowed() -> Response {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed on this endpoint",
    )
}

/// Serves until `shutdown` resolves, then finishes in-flight requests (up to the grace
/// period) before returning.
pub async fn serve(
    app: App,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let grace = Duration::from_secs(app.config.shutdown_grace_secs);
    let service = router(app.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    // Small WebSocket frames must leave at once: with Nagle's algorithm a frame waits for the
    // client's (delayed, up to 40 ms) acknowledgement of the previous one.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let server = axum::serve(listener, service).with_graceful_shutdown(async move {
        shutdown.await;
        let _ = stop_tx.send(());
    });
    let mut server = std::pin::pin!(server.into_future());
    tokio::select! {
        result = &mut server => result?,
        _ = async { let _ = stop_rx.await; tokio::time::sleep(grace).await } => {
            tracing::warn!("shutdown grace period over; closing remaining connections");
        }
    }
    app.store.close().await;
    Ok(())
}
