//! `/api/v1/search/messages`: full-text search over the messages the caller may read.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::search::{SearchInput, SearchPage};
use crate::app::{App, AppError};
use crate::http::error::ErrorBody;
use crate::http::extract::{Authed, Q};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(search_messages))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words to find (up to 200 characters). Chinese is segmented into words, so `报销`
    /// finds `差旅报销单已提交`; every word must occur; the last one also matches as a
    /// prefix unless the query ends in a space. Quotes and operators are ordinary text.
    #[param(pattern = r"\S")]
    pub q: String,
    /// Only in this group.
    pub group_id: Option<String>,
    /// Only messages this person posted under their name.
    pub author_id: Option<String>,
    /// Posted at or after (ms since the epoch).
    pub since: Option<i64>,
    /// Posted before (ms since the epoch).
    pub until: Option<i64>,
    /// Next page: the `next_before` of the previous one.
    pub before: Option<i64>,
    /// 1 to 50; default 20.
    pub limit: Option<i64>,
}

/// Messages the caller may read that contain every word of `q`, newest first, each with a
/// snippet whose matched words are marked.
#[utoipa::path(get, path = "/api/v1/search/messages", tag = "messages", params(SearchQuery),
    responses((status = 200, body = SearchPage), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn search_messages(
    State(app): State<App>,
    Authed(auth): Authed,
    Q(q): Q<SearchQuery>,
) -> Result<Json<SearchPage>, AppError> {
    let input = SearchInput {
        q: q.q,
        group_id: q.group_id,
        author_id: q.author_id,
        since: q.since,
        until: q.until,
        before: q.before,
        limit: q.limit,
    };
    Ok(Json(app.search_messages(&auth, input).await?))
}
