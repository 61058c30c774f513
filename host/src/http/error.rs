//! The one place errors become HTTP responses: a status, a stable `code` and a human
//! `message` (with `message_zh` where the host words it in Chinese too). Internal details
//! are logged with the request, never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::{AppError, Refusal};

/// Every error the API returns.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable: `not_found`, `invalid_json`, `unauthenticated`, …
    pub code: String,
    /// For people; wording may change.
    pub message: String,
    /// The same message in Chinese (zh-CN), where the host words it in both languages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_zh: Option<String>,
    /// For `invalid_form`: what is wrong with each field, in English and Chinese.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub fields: Option<serde_json::Value>,
}

pub fn error_response(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = ErrorBody {
        code: code.to_owned(),
        message: message.into(),
        message_zh: None,
        fields: None,
    };
    (status, Json(body)).into_response()
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Invalid { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, *code),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            AppError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            AppError::SlowDown(wait) => {
                let secs = crate::app::retry_after_secs(*wait);
                let body = ErrorBody {
                    code: "rate_limited".into(),
                    message: self.to_string(),
                    message_zh: Some(format!("发消息太快了，请 {secs} 秒后再试")),
                    fields: None,
                };
                let retry_after = [(axum::http::header::RETRY_AFTER, secs.to_string())];
                return (StatusCode::TOO_MANY_REQUESTS, retry_after, Json(body)).into_response();
            }
            AppError::Gone(_) => (StatusCode::GONE, "too_old"),
            AppError::PluginFailed(_) => (StatusCode::BAD_GATEWAY, "plugin_failed"),
            AppError::InvalidForm(fields) => {
                let body = ErrorBody {
                    code: "invalid_form".into(),
                    message: self.to_string(),
                    message_zh: None,
                    fields: Some(fields.clone()),
                };
                return (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
            }
            AppError::Said {
                refusal,
                code,
                en,
                zh,
            } => {
                let status = match refusal {
                    Refusal::BadRequest => StatusCode::BAD_REQUEST,
                    Refusal::NotFound => StatusCode::NOT_FOUND,
                    Refusal::Forbidden => StatusCode::FORBIDDEN,
                    Refusal::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
                    Refusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                    Refusal::UnsupportedType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    Refusal::Busy | Refusal::Conflict => StatusCode::CONFLICT,
                    Refusal::Unauthorized => StatusCode::UNAUTHORIZED,
                    Refusal::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                };
                let body = ErrorBody {
                    code: (*code).to_owned(),
                    message: en.clone(),
                    message_zh: Some(zh.clone()),
                    fields: None,
                };
                if *refusal == Refusal::Unavailable {
                    let retry_after = [(axum::http::header::RETRY_AFTER, "1")];
                    return (status, retry_after, Json(body)).into_response();
                }
                return (status, Json(body)).into_response();
            }
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let message = match &self {
            AppError::Unauthenticated => {
                "sign-in required: the email, password or token is not valid".to_owned()
            }
            other => other.to_string(),
        };
        error_response(status, code, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

    fn status_of(e: StoreError) -> (StatusCode, Option<String>) {
        let response = AppError::from(e).into_response();
        let retry_after = response
            .headers()
            .get(axum::http::header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap().to_owned());
        (response.status(), retry_after)
    }

    #[test]
    fn a_database_out_of_reach_is_503_with_retry_after() {
        let broken = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed");
        for e in [
            sqlx::Error::Io(broken),
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
        ] {
            assert_eq!(
                status_of(StoreError::Database(e)),
                (StatusCode::SERVICE_UNAVAILABLE, Some("1".to_owned()))
            );
        }
        assert_eq!(
            status_of(StoreError::WriterGone).0,
            StatusCode::SERVICE_UNAVAILABLE
        );
        // Every write of a batch whose commit lost the connection.
        let lost = StoreError::Database(sqlx::Error::PoolClosed);
        assert_eq!(
            status_of(StoreError::BatchFailed(std::sync::Arc::new(lost))).0,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[test]
    fn other_database_errors_stay_internal() {
        assert_eq!(
            status_of(StoreError::Database(sqlx::Error::RowNotFound)),
            (StatusCode::INTERNAL_SERVER_ERROR, None)
        );
        assert_eq!(
            status_of(StoreError::Database(sqlx::Error::Protocol("bad".into()))).0,
            StatusCode::INTERNAL_SERVER_ERROR
        );
        let wrong = StoreError::Database(sqlx::Error::RowNotFound);
        assert_eq!(
            status_of(StoreError::BatchFailed(std::sync::Arc::new(wrong))).0,
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
