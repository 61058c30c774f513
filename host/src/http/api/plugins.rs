//! Plugins over HTTP: the catalog, installs per organization, enablement per group, slash
//! commands, card buttons, forms, pages, plugin routes, plugin logs and the audit log.

use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::audit::{AuditEntry, AuditSearch};
use crate::app::plugins::surfaces::{
    MAX_ROUTE_BODY, PageView, RunPageAction, SubmitCardForm, SubmitIssuedForm,
    safe_response_headers,
};
use crate::app::plugins::{
    CommandView, EnablePlugin, EnablementView, InstallPlugin, InstallView, LogLine,
    MAX_PACKAGE_BYTES, PackageView, PluginReply, RunAction, RunCommand, TimerView, UpdateInstall,
};
use crate::app::{App, AppError};
use crate::http::error::ErrorBody;
use crate::http::extract::{Authed, Body, Path, Q};

pub fn router() -> OpenApiRouter<App> {
    // Uploaded components are larger than any other request; only this route takes them.
    let uploads = OpenApiRouter::new()
        .routes(routes!(list_installed, install))
        .layer(DefaultBodyLimit::max(MAX_PACKAGE_BYTES * 4 / 3 + 64 * 1024));
    OpenApiRouter::new()
        .routes(routes!(catalog))
        .merge(uploads)
        .routes(routes!(update_install, uninstall))
        .routes(routes!(plugin_logs))
        .routes(routes!(plugin_timers))
        .routes(routes!(audit_log))
        .routes(routes!(group_plugins))
        .routes(routes!(enable, disable))
        .routes(routes!(list_commands, run_command))
        .routes(routes!(run_action))
        .routes(routes!(submit_card_form))
        .routes(routes!(submit_issued_form))
        .routes(routes!(plugin_page))
        .routes(routes!(run_page_action))
}

/// Plugins' own routes. They are declared in each plugin's manifest, so they are described
/// in the README rather than in the OpenAPI document.
pub fn plugin_routes() -> axum::Router<App> {
    axum::Router::new()
        .route(
            "/api/v1/plugins/{plugin_id}/public/{org_id}/{*path}",
            axum::routing::any(public_route),
        )
        .route(
            "/api/v1/plugins/{plugin_id}/{*path}",
            axum::routing::any(session_route),
        )
        .layer(DefaultBodyLimit::max(MAX_ROUTE_BODY))
}

fn route_request(
    method: &axum::http::Method,
    uri: &axum::http::Uri,
    headers: &axum::http::HeaderMap,
    path: String,
    body: axum::body::Bytes,
) -> courtyard_runtime::api::HttpRequest {
    courtyard_runtime::api::HttpRequest {
        method: method.as_str().to_owned(),
        url: path,
        query: uri.query().unwrap_or_default().to_owned(),
        headers: headers
            .iter()
            .take(50)
            .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect(),
        body: body.to_vec(),
        timeout_ms: 0,
    }
}

fn route_response(r: courtyard_runtime::api::HttpResponse) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut response = (status, r.body).into_response();
    let headers = response.headers_mut();
    headers.clear();
    for (name, value) in safe_response_headers(&r.headers) {
        if let (Ok(n), Ok(v)) = (
            axum::http::HeaderName::from_bytes(name.as_bytes()),
            axum::http::HeaderValue::from_str(&value),
        ) {
            headers.append(n, v);
        }
    }
    response
}

async fn session_route(
    State(app): State<App>,
    Authed(auth): Authed,
    axum::extract::Path((plugin, path)): axum::extract::Path<(String, String)>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let request = route_request(&method, &uri, &headers, path, body);
    let response = app
        .plugin_route(Some(&auth), None, &plugin, request)
        .await?;
    Ok(route_response(response))
}

async fn public_route(
    State(app): State<App>,
    axum::extract::Path((plugin, org, path)): axum::extract::Path<(String, String, String)>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let request = route_request(&method, &uri, &headers, path, body);
    let response = app.plugin_route(None, Some(&org), &plugin, request).await?;
    Ok(route_response(response))
}

/// A plugin's pending timers and scheduled jobs (organization admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/plugins/{plugin_id}/timers", tag = "plugins",
    params(("org_id" = String, Path), ("plugin_id" = String, Path)),
    responses((status = 200, body = Vec<TimerView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn plugin_timers(
    State(app): State<App>,
    Authed(auth): Authed,
    Path((org, plugin)): Path<(String, String)>,
) -> Result<Json<Vec<TimerView>>, AppError> {
    Ok(Json(app.plugin_timers(&auth, &org, &plugin).await?))
}

/// Submits a form on a plugin card. The host validates the values against the form first:
/// 422 `invalid_form` lists each field's problem in English and Chinese.
#[utoipa::path(post, path = "/api/v1/messages/{message_id}/form", tag = "plugins", params(("message_id" = String, Path)), request_body = SubmitCardForm,
    responses((status = 200, body = PluginReply), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn submit_card_form(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(message): Path<String>,
    Body(req): Body<SubmitCardForm>,
) -> Result<Json<PluginReply>, AppError> {
    Ok(Json(app.submit_card_form(&auth, &message, req).await?))
}

/// Submits a form a command, a button or a page handed out, with its token.
#[utoipa::path(post, path = "/api/v1/forms", tag = "plugins", request_body = SubmitIssuedForm,
    responses((status = 200, body = PluginReply), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn submit_issued_form(
    State(app): State<App>,
    Authed(auth): Authed,
    Body(req): Body<SubmitIssuedForm>,
) -> Result<Json<PluginReply>, AppError> {
    Ok(Json(app.submit_issued_form(&auth, req).await?))
}

/// A plugin page (declared in its manifest), rendered for the caller.
#[utoipa::path(get, path = "/api/v1/groups/{group_id}/plugins/{plugin_id}/pages/{page}", tag = "plugins",
    params(("group_id" = String, Path), ("plugin_id" = String, Path), ("page" = String, Path)),
    responses((status = 200, body = PageView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn plugin_page(
    State(app): State<App>,
    Authed(auth): Authed,
    Path((group, plugin, page)): Path<(String, String, String)>,
    uri: axum::http::Uri,
) -> Result<Json<PageView>, AppError> {
    let query = uri.query().unwrap_or_default();
    Ok(Json(
        app.plugin_page(&auth, &group, &plugin, &page, query)
            .await?,
    ))
}

/// Presses a button on a plugin page.
#[utoipa::path(post, path = "/api/v1/groups/{group_id}/plugins/{plugin_id}/actions", tag = "plugins",
    params(("group_id" = String, Path), ("plugin_id" = String, Path)), request_body = RunPageAction,
    responses((status = 200, body = PluginReply), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn run_page_action(
    State(app): State<App>,
    Authed(auth): Authed,
    Path((group, plugin)): Path<(String, String)>,
    Body(req): Body<RunPageAction>,
) -> Result<Json<PluginReply>, AppError> {
    Ok(Json(
        app.run_page_action(&auth, &group, &plugin, req).await?,
    ))
}

/// Plugins bundled with this host, available to install.
#[utoipa::path(get, path = "/api/v1/plugins/catalog", tag = "plugins", responses((status = 200, body = Vec<PackageView>)))]
async fn catalog(State(app): State<App>, Authed(auth): Authed) -> Json<Vec<PackageView>> {
    Json(app.plugin_catalog(&auth))
}

/// Plugins installed in an organization.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/plugins", tag = "plugins", params(("org_id" = String, Path)),
    responses((status = 200, body = Vec<InstallView>), (status = 404, body = ErrorBody)))]
async fn list_installed(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(org): Path<String>,
) -> Result<Json<Vec<InstallView>>, AppError> {
    Ok(Json(app.installed_plugins(&auth, &org).await?))
}

/// Installs (or upgrades) a plugin: a bundled one by id, or an uploaded package. The
/// component is verified against its manifest first.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/plugins", tag = "plugins", params(("org_id" = String, Path)), request_body = InstallPlugin,
    responses((status = 201, body = InstallView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn install(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(org): Path<String>,
    Body(req): Body<InstallPlugin>,
) -> Result<Response, AppError> {
    Ok((
        StatusCode::CREATED,
        Json(app.install_plugin(&auth, &org, req).await?),
    )
        .into_response())
}

/// Changes the capabilities granted to an installed plugin.
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/plugins/{plugin_id}", tag = "plugins",
    params(("org_id" = String, Path), ("plugin_id" = String, Path)), request_body = UpdateInstall,
    responses((status = 200, body = InstallView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_install(
    State(app): State<App>,
    Authed(auth): Authed,
    Path((org, plugin)): Path<(String, String)>,
    Body(req): Body<UpdateInstall>,
) -> Result<Json<InstallView>, AppError> {
    Ok(Json(app.update_install(&auth, &org, &plugin, req).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConfirmQuery {
    /// Must be true: uninstalling deletes the plugin's data.
    #[serde(default)]
    pub confirm: bool,
}

/// Uninstalls a plugin and deletes its data (requires `?confirm=true`).
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/plugins/{plugin_id}", tag = "plugins",
    params(("org_id" = String, Path), ("plugin_id" = String, Path), ConfirmQuery),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn uninstall(
    State(app): State<App>,
    Authed(auth): Authed,
    Path((org, plugin)): Path<(String, String)>,
    Q(q): Q<ConfirmQuery>,
) -> Result<StatusCode, AppError> {
    app.uninstall_plugin(&auth, &org, &plugin, q.confirm)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The plugin's recent log lines (organization admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/plugins/{plugin_id}/logs", tag = "plugins",
    params(("org_id" = String, Path), ("plugin_id" = String, Path)),
    responses((status = 200, body = Vec<LogLine>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn plugin_logs(
    State(app): State<App>,
    Authed(auth): Authed,
    Path((org, plugin)): Path<(String, String)>,
) -> Result<Json<Vec<LogLine>>, AppError> {
    Ok(Json(app.plugin_logs(&auth, &org, &plugin)?))
}

/// The organization's audit log, newest first (organization admins), filtered by action
/// prefix, actor and time; page with `until` = the oldest `at` seen.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/audit", tag = "orgs", params(("org_id" = String, Path), AuditSearch),
    responses((status = 200, body = Vec<AuditEntry>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn audit_log(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(org): Path<String>,
    Q(q): Q<AuditSearch>,
) -> Result<Json<Vec<AuditEntry>>, AppError> {
    Ok(Json(app.audit_entries(&auth, &org, q).await?))
}

/// Plugins enabled in a group, with their health.
#[utoipa::path(get, path = "/api/v1/groups/{group_id}/plugins", tag = "plugins", params(("group_id" = String, Path)),
    responses((status = 200, body = Vec<EnablementView>), (status = 404, body = ErrorBody)))]
async fn group_plugins(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(group): Path<String>,
) -> Result<Json<Vec<EnablementView>>, AppError> {
    Ok(Json(app.group_plugins(&auth, &group).await?))
}

/// Enables an installed plugin in a group (or changes its settings there).
#[utoipa::path(put, path = "/api/v1/groups/{group_id}/plugins/{plugin_id}", tag = "plugins",
    params(("group_id" = String, Path), ("plugin_id" = String, Path)), request_body = EnablePlugin,
    responses((status = 200, body = EnablementView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn enable(
    State(app): State<App>,
    Authed(auth): Authed,
    Path((group, plugin)): Path<(String, String)>,
    Body(req): Body<EnablePlugin>,
) -> Result<Json<EnablementView>, AppError> {
    Ok(Json(app.enable_plugin(&auth, &group, &plugin, req).await?))
}

/// Disables a plugin in a group.
#[utoipa::path(delete, path = "/api/v1/groups/{group_id}/plugins/{plugin_id}", tag = "plugins",
    params(("group_id" = String, Path), ("plugin_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn disable(
    State(app): State<App>,
    Authed(auth): Authed,
    Path((group, plugin)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    app.disable_plugin(&auth, &group, &plugin).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Slash commands available in a group (for autocomplete).
#[utoipa::path(get, path = "/api/v1/groups/{group_id}/commands", tag = "plugins", params(("group_id" = String, Path)),
    responses((status = 200, body = Vec<CommandView>), (status = 404, body = ErrorBody)))]
async fn list_commands(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(group): Path<String>,
) -> Result<Json<Vec<CommandView>>, AppError> {
    Ok(Json(app.group_commands(&auth, &group).await?))
}

/// Runs a slash command. 502 `plugin_failed` when the plugin crashed, timed out or is
/// suspended; the host and everyone else are unaffected.
#[utoipa::path(post, path = "/api/v1/groups/{group_id}/commands", tag = "plugins", params(("group_id" = String, Path)), request_body = RunCommand,
    responses((status = 200, body = PluginReply), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn run_command(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(group): Path<String>,
    Body(req): Body<RunCommand>,
) -> Result<Json<PluginReply>, AppError> {
    Ok(Json(app.run_command(&auth, &group, req).await?))
}

/// Presses a button on a plugin card.
#[utoipa::path(post, path = "/api/v1/messages/{message_id}/actions", tag = "plugins", params(("message_id" = String, Path)), request_body = RunAction,
    responses((status = 200, body = PluginReply), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn run_action(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(message): Path<String>,
    Body(req): Body<RunAction>,
) -> Result<Json<PluginReply>, AppError> {
    Ok(Json(app.run_action(&auth, &message, req).await?))
}
