//! `/api/v1/orgs/{org_id}/analytics`: usage figures for an organization's admins.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::analytics::AnalyticsView;
use crate::app::{App, AppError};
use crate::http::error::ErrorBody;
use crate::http::extract::{Authed, Path, Q};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(org_analytics))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnalyticsQuery {
    /// How many UTC days, ending today: 1 to 366; default 30.
    #[param(minimum = 1, maximum = 366)]
    pub days: Option<i64>,
}

/// Daily and 30-day active people, messages per day and per group, and plugin usage over
/// the last `days` UTC days (organization admins; platform admins for any organization).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/analytics", tag = "orgs",
    params(("org_id" = String, Path), AnalyticsQuery),
    responses((status = 200, body = AnalyticsView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn org_analytics(
    State(app): State<App>,
    Authed(auth): Authed,
    Path(org): Path<String>,
    Q(q): Q<AnalyticsQuery>,
) -> Result<Json<AnalyticsView>, AppError> {
    Ok(Json(app.org_analytics(&auth, &org, q.days).await?))
}
