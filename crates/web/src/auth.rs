//! Sessions, the signed-in user and CSRF protection.
//!
//! Sessions live in the database (tower-sessions with its sqlx stores), so any
//! number of server processes can share them. Every session carries a CSRF token;
//! every state-changing request must echo it — forms in a hidden `csrf_token`
//! field, the JSON API in an `X-CSRF-Token` header — or it is refused before any
//! handler runs.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use async_trait::async_trait;
use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use store::Store;
use store::accounts::{self, User};
use tower_sessions::Session;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use crate::{AppState, WebError};

const USER_KEY: &str = "user_id";
/// The user's session generation when this session signed in (absent: 0).
const GENERATION_KEY: &str = "generation";
const CSRF_KEY: &str = "csrf";
/// The form field and the header that carry the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The session store of whichever database the platform runs on.
#[derive(Debug, Clone)]
pub enum DbSessionStore {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl DbSessionStore {
    /// Creates the store on the platform's own connection pool and its table.
    pub async fn for_store(store: &Store) -> Result<DbSessionStore, WebError> {
        let connection = store.connection();
        let sessions = match store.backend() {
            store::Backend::Sqlite => {
                let s = SqliteStore::new(connection.get_sqlite_connection_pool().clone());
                s.migrate().await.map_err(WebError::sessions)?;
                DbSessionStore::Sqlite(s)
            }
            store::Backend::Postgres => {
                let s = PostgresStore::new(connection.get_postgres_connection_pool().clone());
                s.migrate().await.map_err(WebError::sessions)?;
                DbSessionStore::Postgres(s)
            }
        };
        Ok(sessions)
    }
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            DbSessionStore::Sqlite(s) => s.create(record).await,
            DbSessionStore::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            DbSessionStore::Sqlite(s) => s.save(record).await,
            DbSessionStore::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            DbSessionStore::Sqlite(s) => s.load(id).await,
            DbSessionStore::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            DbSessionStore::Sqlite(s) => s.delete(id).await,
            DbSessionStore::Postgres(s) => s.delete(id).await,
        }
    }
}

/// The device cookie: a random token per browser, set at every successful login and
/// kept for [`accounts::DEVICE_DAYS`], so that the login limit knows the browsers an
/// account signed in from (OWASP Authentication Cheat Sheet, "device cookies").
pub const DEVICE_COOKIE: &str = "renkei_device";

/// The token of the request's device cookie, if it sent one.
pub fn device_token(headers: &header::HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(tower_sessions::cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == DEVICE_COOKIE)
        .map(|cookie| cookie.value().to_owned())
}

/// A device cookie to set, carried from the login handler to [`set_device_cookie`].
#[derive(Debug, Clone)]
pub struct DeviceCookie(pub header::HeaderValue);

/// Sets the device cookie a login asked for. It runs outside the session layer, so
/// the session cookie stays the first `Set-Cookie` of the answer and the device
/// cookie follows it.
pub async fn set_device_cookie(mut response: Response) -> Response {
    if let Some(DeviceCookie(value)) = response.extensions_mut().remove::<DeviceCookie>() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The `Set-Cookie` value that keeps `token` in the browser. Only the login form
/// reads it, so it goes nowhere but to this site and never to scripts.
pub fn device_cookie(token: &str, secure: bool) -> Option<header::HeaderValue> {
    use tower_sessions::cookie::{Cookie, SameSite, time::Duration};
    let cookie = Cookie::build((DEVICE_COOKIE, token.to_owned()))
        .path("/login")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .max_age(Duration::days(accounts::DEVICE_DAYS))
        .build();
    header::HeaderValue::from_str(&cookie.to_string()).ok()
}

fn new_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The session's CSRF token, created on first use.
pub async fn csrf_token(session: &Session) -> Result<String, WebError> {
    if let Some(token) = session
        .get::<String>(CSRF_KEY)
        .await
        .map_err(WebError::session)?
    {
        return Ok(token);
    }
    let token = new_token();
    session
        .insert(CSRF_KEY, &token)
        .await
        .map_err(WebError::session)?;
    Ok(token)
}

/// Who is looking at the page: the signed-in user, if any, and the CSRF token for
/// the forms on it.
pub struct Viewer {
    pub user: Option<User>,
    pub csrf: String,
    pub session: Session,
    /// The signed-in user's unread お知らせ (the header's count).
    pub unread_notices: u64,
}

impl Viewer {
    /// The signed-in user, or the sign-in page.
    pub fn user(&self) -> Result<&User, WebError> {
        self.user.as_ref().ok_or(WebError::SignInRequired)
    }

    /// The signed-in user as the store's actor. A user still holding a one-time
    /// password must change it before doing anything else.
    pub fn actor(&self) -> Result<domain::Actor, WebError> {
        let user = self.user()?;
        if user.must_change_password {
            return Err(WebError::PasswordChangeRequired);
        }
        Ok(user.actor())
    }

    /// Signs `user` in: a new session id (no fixation) and a new CSRF token.
    pub async fn sign_in(&self, user: &User) -> Result<(), WebError> {
        self.session.cycle_id().await.map_err(WebError::session)?;
        self.session
            .insert(USER_KEY, user.id)
            .await
            .map_err(WebError::session)?;
        self.session
            .insert(GENERATION_KEY, user.session_generation)
            .await
            .map_err(WebError::session)?;
        self.session
            .insert(CSRF_KEY, new_token())
            .await
            .map_err(WebError::session)?;
        Ok(())
    }

    /// After the user changed the password: this session stays signed in (with a
    /// new id) at the new generation, while every other session of the user is over.
    pub async fn keep_after_password_change(&self, generation: i64) -> Result<(), WebError> {
        self.session.cycle_id().await.map_err(WebError::session)?;
        self.session
            .insert(GENERATION_KEY, generation)
            .await
            .map_err(WebError::session)
    }

    /// Makes sure the session has a CSRF token, for a page with a form for anonymous
    /// visitors (the login form).
    pub async fn ensure_csrf(&mut self) -> Result<(), WebError> {
        if self.csrf.is_empty() {
            self.csrf = csrf_token(&self.session).await?;
        }
        Ok(())
    }

    pub async fn sign_out(&self) -> Result<(), WebError> {
        self.session.flush().await.map_err(WebError::session)
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, reason)| {
                WebError::Internal(format!("session layer missing: {reason}"))
            })?;
        let mut user = match session
            .get::<i64>(USER_KEY)
            .await
            .map_err(WebError::session)?
        {
            Some(id) => accounts::user_by_id(&state.store, id).await?,
            None => None,
        };
        if let Some(signed_in) = &user {
            let generation = session
                .get::<i64>(GENERATION_KEY)
                .await
                .map_err(WebError::session)?
                .unwrap_or(0);
            // The password changed since this session signed in (elsewhere): the
            // session is over, in whichever process serves it.
            if generation != signed_in.session_generation {
                session.flush().await.map_err(WebError::session)?;
                user = None;
            }
        }
        // Anonymous visitors get a session (a database row) only when a page offers
        // them a form; reading public pages writes nothing.
        let csrf = if user.is_some() {
            csrf_token(&session).await?
        } else {
            session
                .get::<String>(CSRF_KEY)
                .await
                .map_err(WebError::session)?
                .unwrap_or_default()
        };
        let unread_notices = match &user {
            Some(signed_in) => store::notices::unread_of(&state.store, signed_in.id).await?,
            None => 0,
        };
        Ok(Viewer {
            user,
            csrf,
            session,
            unread_notices,
        })
    }
}

/// The page shown when a form arrives without a valid token: what was typed is
/// shown and can be sent again with a fresh token, so nothing is lost.
#[derive(Template, WebTemplate)]
#[template(path = "csrf_failed.html")]
struct CsrfFailedPage {
    layout: crate::view::Layout,
    action: String,
    fields: Vec<(String, String)>,
}

/// The one route a state-changing request reaches without a CSRF token: the
/// one-click unsubscribe of RFC 8058, which mail providers POST without a session
/// (`pages::unsubscribe`). Its unguessable token is the authority.
pub const ONE_CLICK_UNSUBSCRIBE: &str = "/unsubscribe/{token}";

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Refuses state-changing requests whose CSRF token does not match the session's.
pub async fn csrf_guard(
    State(api): State<Arc<crate::api::Operations>>,
    request: Request,
    next: Next,
) -> Response {
    if is_safe(request.method()) {
        return next.run(request).await;
    }
    if request.method() == Method::POST
        && request
            .extensions()
            .get::<MatchedPath>()
            .is_some_and(|matched| matched.as_str() == ONE_CLICK_UNSUBSCRIBE)
    {
        return next.run(request).await;
    }
    if let Some(matched) = request.extensions().get::<MatchedPath>()
        && matched.as_str().starts_with("/api/")
        && !api.declares(request.method().as_str(), matched.as_str())
    {
        // Not an operation of the API: the router answers 405 with `Allow`.
        return next.run(request).await;
    }
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return WebError::Internal("session layer missing".into()).into_response();
    };
    let expected = match session.get::<String>(CSRF_KEY).await {
        Ok(token) => token,
        Err(error) => return WebError::session(error).into_response(),
    };
    let matches = |given: &str| {
        expected
            .as_deref()
            .is_some_and(|token| constant_time_eq(token, given))
    };

    if request.uri().path().starts_with("/api/") {
        let given = request
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if matches(given) {
            return next.run(request).await;
        }
        return crate::api::problem(
            StatusCode::FORBIDDEN,
            "CSRFトークンがありません",
            "変更を伴うAPI呼び出しには、GET /api/v1/session で得た csrf_token を X-CSRF-Token ヘッダーで送ってください。",
        );
    }

    // File uploads (multipart) carry the token in the form's action URL, so that
    // the guard need not buffer and parse the upload.
    let multipart = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if multipart {
        let query = request.uri().query().unwrap_or("");
        let given = form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == CSRF_FIELD)
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default();
        if matches(&given) {
            return next.run(request).await;
        }
        return WebError::BadRequest(
            "送信の確認ができませんでした。ページを読み込み直してから、もう一度ファイルを選んで送信してください。".into(),
        )
        .into_response();
    }

    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, 2 * 1024 * 1024).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                "送信内容が大きすぎます（2MBまで）。",
            )
                .into_response();
        }
    };
    let fields: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
    let given = fields
        .iter()
        .find(|(name, _)| name == CSRF_FIELD)
        .map(|(_, value)| value.as_str())
        .unwrap_or("");
    if matches(given) {
        return next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
    }
    tracing::info!(path = %parts.uri.path(), "form refused: CSRF token missing or stale");
    let token = match csrf_token(&session).await {
        Ok(token) => token,
        Err(error) => return error.into_response(),
    };
    let mut layout = crate::view::Layout::new("送信を確認してください");
    layout.csrf = token;
    let page = CsrfFailedPage {
        layout,
        action: parts.uri.path().to_owned(),
        // Passwords are never echoed back into a page.
        fields: fields
            .into_iter()
            .filter(|(name, _)| name != CSRF_FIELD && !name.contains("password"))
            .collect(),
    };
    let mut response = page.into_response();
    *response.status_mut() = StatusCode::FORBIDDEN;
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_compare_only_when_equal() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(constant_time_eq(&a, &a.clone()));
        assert!(!constant_time_eq(&a, &b));
        assert!(!constant_time_eq(&a, ""));
    }
}
