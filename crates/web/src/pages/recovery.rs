//! 「パスワードを忘れた方」: asking for a reset link by mail, and setting a new
//! password through it (then signed in, every other session ended). The answer to a
//! request is the same whether or not the address has an account; a link that no
//! longer works gets a page saying why, with the way to a new one.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use store::StoreError;
use store::accounts::PASSWORD_MIN_CHARS;
use store::recovery::{self, RESET_MINUTES, RESETS_PER_EMAIL_PER_HOUR, ResetRequest};
use store::tokens::Unusable;

use crate::auth::Viewer;
use crate::form::FormData;
use crate::view::{Layout, tokyo_time};
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/password/forgot", get(forgot_page).post(request_link))
        .route(
            "/password/reset/{token}",
            get(reset_page).post(reset_password),
        )
}

#[derive(Template, WebTemplate)]
#[template(path = "recovery/forgot.html")]
struct ForgotPage {
    layout: Layout,
    email: String,
    error: Option<String>,
    minutes: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "recovery/sent.html")]
struct SentPage {
    layout: Layout,
    email: String,
    minutes: i64,
    per_hour: u64,
}

#[derive(Template, WebTemplate)]
#[template(path = "recovery/reset.html")]
struct ResetPage {
    layout: Layout,
    token: String,
    email: String,
    expires: String,
    min_chars: usize,
    errors: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "recovery/link_problem.html")]
struct LinkProblemPage {
    layout: Layout,
    message: String,
    /// Where to get a working link, and the button's words.
    again: Option<(&'static str, &'static str)>,
}

/// What a mailed link was for, to explain why it no longer works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkKind {
    Reset,
    Invitation,
}

/// The page for a mailed link that no longer works: 404 for one that never
/// existed, 410 for one used, expired or revoked; never cached.
pub(crate) fn link_problem(kind: LinkKind, unusable: Unusable) -> Response {
    let (title, message) = match (kind, unusable) {
        (LinkKind::Reset, Unusable::Unknown) => (
            "このリンクは使えません",
            "このパスワード再設定のリンクは正しくありません。メールのリンクが途中で切れていないか確認してください。解決しない場合は、再設定のメールをもう一度お申し込みください。".to_owned(),
        ),
        (LinkKind::Reset, Unusable::Used | Unusable::Revoked) => (
            "このリンクは使用済みです",
            "このパスワード再設定のリンクは既に使われています（リンクは1回だけ使えます）。パスワードがわからない場合は、再設定のメールをもう一度お申し込みください。".to_owned(),
        ),
        (LinkKind::Reset, Unusable::Expired) => (
            "このリンクは有効期限が切れています",
            format!(
                "このパスワード再設定のリンクは有効期限（送信から{RESET_MINUTES}分）が過ぎています。お手数ですが、再設定のメールをもう一度お申し込みください。"
            ),
        ),
        (LinkKind::Invitation, Unusable::Unknown) => (
            "この招待のリンクは使えません",
            "この招待のリンクは正しくありません。メールのリンクが途中で切れていないか確認してください。解決しない場合は、招待した方にお問い合わせください。".to_owned(),
        ),
        (LinkKind::Invitation, Unusable::Used) => (
            "この招待は使用済みです",
            "この招待は既に使われ、アカウントは登録済みです。ログイン画面からログインしてください。パスワードを忘れた場合は「パスワードを忘れた方」から再設定できます。".to_owned(),
        ),
        (LinkKind::Invitation, Unusable::Expired) => (
            "この招待は有効期限が切れています",
            format!(
                "この招待は有効期限（{}日間）が過ぎています。招待した方に、招待の送り直しを依頼してください。",
                store::invitations::INVITATION_DAYS
            ),
        ),
        (LinkKind::Invitation, Unusable::Revoked) => (
            "この招待は取り消されました",
            "この招待は、招待した方によって取り消されました。ご不明な点は招待した方にお問い合わせください。".to_owned(),
        ),
    };
    let again = match (kind, unusable) {
        (LinkKind::Reset, _) => Some(("/password/forgot", "再設定のメールをもう一度申し込む")),
        (LinkKind::Invitation, Unusable::Used) => {
            Some(("/password/forgot", "パスワードを忘れた方"))
        }
        (LinkKind::Invitation, _) => None,
    };
    let status = if unusable == Unusable::Unknown {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::GONE
    };
    let page = LinkProblemPage {
        layout: Layout::new(title),
        message,
        again,
    };
    no_store((status, page).into_response())
}

/// Pages with a token in their address or a password form are never cached.
pub(crate) fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn forgot_page(mut viewer: Viewer) -> Result<ForgotPage, WebError> {
    viewer.ensure_csrf().await?;
    Ok(ForgotPage {
        layout: Layout::for_viewer("パスワードを忘れた方", &viewer),
        email: String::new(),
        error: None,
        minutes: RESET_MINUTES,
    })
}

async fn request_link(
    State(state): State<AppState>,
    viewer: Viewer,
    client: crate::client::ClientAddress,
    form: FormData,
) -> Result<Response, WebError> {
    let email = form.get("email").to_owned();
    let refill = |status: StatusCode, error: String| {
        let page = ForgotPage {
            layout: Layout::for_viewer("パスワードを忘れた方", &viewer),
            email: email.clone(),
            error: Some(error),
            minutes: RESET_MINUTES,
        };
        (status, page).into_response()
    };
    match recovery::request_reset(&state.store, &email, &client.text()).await {
        Ok(ResetRequest::Accepted) => {
            let page = SentPage {
                layout: Layout::for_viewer("メールをご確認ください", &viewer),
                email: email.trim().to_owned(),
                minutes: RESET_MINUTES,
                per_hour: RESETS_PER_EMAIL_PER_HOUR,
            };
            Ok(no_store(page.into_response()))
        }
        Ok(ResetRequest::TooMany {
            retry_after_seconds,
        }) => {
            let minutes = (retry_after_seconds.max(1) + 59) / 60;
            let mut response = refill(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "この端末からの再設定のお申し込みが続いたため、しばらく受け付けられません。{minutes}分ほど待ってから再度お試しください。"
                ),
            );
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_seconds.max(1)),
            );
            Ok(response)
        }
        Err(StoreError::Invalid(errors)) => Ok(refill(
            StatusCode::UNPROCESSABLE_ENTITY,
            errors
                .into_iter()
                .map(|e| e.reason)
                .collect::<Vec<_>>()
                .join(" "),
        )),
        Err(error) => Err(error.into()),
    }
}

async fn reset_page(
    State(state): State<AppState>,
    mut viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    match recovery::reset_target(&state.store, &token).await? {
        Ok(target) => {
            viewer.ensure_csrf().await?;
            let page = ResetPage {
                layout: Layout::for_viewer("新しいパスワードの設定", &viewer),
                token,
                email: target.email,
                expires: tokyo_time(target.expires_at),
                min_chars: PASSWORD_MIN_CHARS,
                errors: Vec::new(),
            };
            Ok(no_store(page.into_response()))
        }
        Err(unusable) => Ok(link_problem(LinkKind::Reset, unusable)),
    }
}

async fn reset_password(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    match recovery::reset_password(&state.store, &token, form.get("new_password")).await {
        Ok(Ok(user)) => {
            // A new password is not the second step: an enrolled account still
            // gives its code.
            let target = match viewer.begin_sign_in(&state, &user).await? {
                "/initiatives?done=signed-in" => "/initiatives?done=reset",
                other => other,
            };
            Ok(no_store(Redirect::to(target).into_response()))
        }
        Ok(Err(unusable)) => Ok(link_problem(LinkKind::Reset, unusable)),
        Err(StoreError::Invalid(errors)) => {
            let target = match recovery::reset_target(&state.store, &token).await? {
                Ok(target) => target,
                Err(unusable) => return Ok(link_problem(LinkKind::Reset, unusable)),
            };
            let page = ResetPage {
                layout: Layout::for_viewer("新しいパスワードの設定", &viewer),
                token,
                email: target.email,
                expires: tokyo_time(target.expires_at),
                min_chars: PASSWORD_MIN_CHARS,
                errors: errors.into_iter().map(|e| e.reason).collect(),
            };
            Ok(no_store(
                (StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
            ))
        }
        Err(error) => Err(error.into()),
    }
}
