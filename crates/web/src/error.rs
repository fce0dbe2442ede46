//! The web layer's one error type. Pages get a Japanese explanation with a way on;
//! the API gets problem+json (see `api::ApiError`). Unexpected errors are logged
//! with their detail and shown to nobody.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use store::StoreError;

use crate::view::Layout;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("ログインが必要です。")]
    SignInRequired,
    #[error("初回パスワードを変更してから操作してください。")]
    PasswordChangeRequired,
    #[error("二段階認証を設定してから操作してください。")]
    TwoStepEnrolmentRequired,
    /// The name of what was not found (「申請」), or a whole sentence saying so and
    /// what to do (see `store::error::not_found_text`).
    #[error("{}", store::error::not_found_text(.0))]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("internal: {0}")]
    Internal(String),
    /// A body over `layers::MAX_BODY_BYTES`, found while reading it.
    #[error("{}", crate::layers::TOO_LARGE_MESSAGE)]
    TooLarge,
}

impl WebError {
    pub fn session(error: tower_sessions::session::Error) -> Self {
        WebError::Internal(format!("session: {error}"))
    }

    pub fn sessions(error: impl std::fmt::Display) -> Self {
        WebError::Internal(format!("session store: {error}"))
    }

    /// Seconds until a refused login may be tried again, for `Retry-After`.
    pub fn retry_after_seconds(&self) -> Option<i64> {
        match self {
            WebError::Store(StoreError::RateLimited {
                retry_after_seconds,
            }) => Some(*retry_after_seconds),
            _ => None,
        }
    }

    /// Adds `Retry-After` (seconds) to the answer of a refused login, page or API.
    pub fn add_retry_after(&self, response: &mut Response) {
        if let Some(seconds) = self.retry_after_seconds() {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(seconds.max(1)),
            );
        }
    }

    /// The status and the Japanese message the person sees.
    pub fn status_and_message(&self) -> (StatusCode, String) {
        match self {
            WebError::Store(error) => match error {
                StoreError::NotFound { .. } => (StatusCode::NOT_FOUND, error.to_string()),
                StoreError::Forbidden { .. } => (StatusCode::FORBIDDEN, error.to_string()),
                StoreError::Invalid(errors) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    errors
                        .iter()
                        .map(|e| e.reason.clone())
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                StoreError::Conflict(_) => (StatusCode::CONFLICT, error.to_string()),
                StoreError::RateLimited { .. } => {
                    (StatusCode::TOO_MANY_REQUESTS, error.to_string())
                }
                StoreError::BadCredentials => (StatusCode::UNAUTHORIZED, error.to_string()),
                StoreError::Config(_) | StoreError::Database(_) => internal(self),
            },
            WebError::SignInRequired => (StatusCode::UNAUTHORIZED, self.to_string()),
            WebError::PasswordChangeRequired => (StatusCode::FORBIDDEN, self.to_string()),
            WebError::TwoStepEnrolmentRequired => (StatusCode::FORBIDDEN, self.to_string()),
            WebError::NotFound(_) => (StatusCode::NOT_FOUND, self.to_string()),
            WebError::BadRequest(_) => (StatusCode::BAD_REQUEST, self.to_string()),
            WebError::Internal(_) => internal(self),
            WebError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, self.to_string()),
        }
    }
}

fn internal(error: &WebError) -> (StatusCode, String) {
    tracing::error!(%error, "request failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "システム内部で問題が発生しました。時間をおいて再度お試しください。問題が続く場合は協議会事務局へご連絡ください。".into(),
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    message: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if matches!(self, WebError::SignInRequired) {
            return Redirect::to("/login").into_response();
        }
        if matches!(self, WebError::PasswordChangeRequired) {
            return Redirect::to("/account/password").into_response();
        }
        if matches!(self, WebError::TwoStepEnrolmentRequired) {
            return Redirect::to("/account/two-step").into_response();
        }
        let (status, message) = self.status_and_message();
        let mut response = error_page(status, message);
        self.add_retry_after(&mut response);
        response
    }
}

/// The Japanese error page with `status`, titled by what the status means to a
/// person, saying `message`: for `WebError`s and for the refusals of the layers
/// (over a budget, a panic) alike.
pub(crate) fn error_page(status: StatusCode, message: String) -> Response {
    let title = match status {
        StatusCode::NOT_FOUND => "ページが見つかりません",
        StatusCode::FORBIDDEN => "この操作は許可されていません",
        StatusCode::TOO_MANY_REQUESTS => "しばらくお待ちください",
        StatusCode::SERVICE_UNAVAILABLE => "ただいま混み合っています",
        StatusCode::INTERNAL_SERVER_ERROR => "エラーが発生しました",
        _ => "リクエストを処理できませんでした",
    };
    let page = ErrorPage {
        layout: Layout::new(title),
        status: status.as_u16(),
        message,
    };
    let mut response = page.into_response();
    *response.status_mut() = status;
    response
}
