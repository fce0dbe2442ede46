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
/// A sign-in halfway: the password was right, the two-step code is still to come.
/// The session holds this instead of [`USER_KEY`], so it grants nothing but the code
/// form (`pages::two_step`).
const PENDING_USER_KEY: &str = "two_step_user_id";
const PENDING_GENERATION_KEY: &str = "two_step_generation";
/// When the password was given (Unix seconds).
const PENDING_AT_KEY: &str = "two_step_since";
/// The secret being enrolled, until the person confirms it with a code.
const ENROLMENT_SECRET_KEY: &str = "two_step_secret";
/// How long the code form waits after the password.
pub const PENDING_MINUTES: i64 = 10;
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
    /// The signed-in user must enrol in two-step sign-in before anything else.
    pub must_enrol_two_step: bool,
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
        if self.must_enrol_two_step {
            return Err(WebError::TwoStepEnrolmentRequired);
        }
        Ok(user.actor())
    }

    /// The signed-in user when they may act: not while a one-time password awaits
    /// its change, nor while two-step enrolment is required of them (the same check
    /// as [`Viewer::actor`]). Pages deciding what to show — private parts,
    /// members-only events, edit links — ask this, so that such a viewer sees what an
    /// anonymous visitor sees until the account is ready.
    pub fn acting_user(&self) -> Option<&User> {
        self.user
            .as_ref()
            .filter(|u| !u.must_change_password && !self.must_enrol_two_step)
    }

    /// [`Viewer::acting_user`] as the store's actor.
    pub fn acting(&self) -> Option<domain::Actor> {
        self.acting_user().map(User::actor)
    }

    /// After the right password: signs `user` in, or, if they enrolled in two-step
    /// sign-in, leaves the session halfway (signed in as nobody) until the code.
    /// Returns where to go next.
    pub async fn begin_sign_in(
        &self,
        state: &AppState,
        user: &User,
    ) -> Result<&'static str, WebError> {
        if !user.two_step_enrolled {
            self.sign_in(user).await?;
            return Ok(after_sign_in(state, user));
        }
        self.session.cycle_id().await.map_err(WebError::session)?;
        let _ = self.session.remove_value(USER_KEY).await;
        self.session
            .insert(PENDING_USER_KEY, user.id)
            .await
            .map_err(WebError::session)?;
        self.session
            .insert(PENDING_GENERATION_KEY, user.session_generation)
            .await
            .map_err(WebError::session)?;
        self.session
            .insert(PENDING_AT_KEY, chrono::Utc::now().timestamp())
            .await
            .map_err(WebError::session)?;
        Ok("/login/two-step")
    }

    /// The account whose password was given in this session within
    /// [`PENDING_MINUTES`] and whose code is awaited (and whose password did not
    /// change meanwhile).
    pub async fn pending_two_step(&self, state: &AppState) -> Result<Option<User>, WebError> {
        let get = |key: &'static str| async move {
            self.session
                .get::<i64>(key)
                .await
                .map_err(WebError::session)
        };
        let (Some(id), Some(generation), Some(since)) = (
            get(PENDING_USER_KEY).await?,
            get(PENDING_GENERATION_KEY).await?,
            get(PENDING_AT_KEY).await?,
        ) else {
            return Ok(None);
        };
        if chrono::Utc::now().timestamp() - since > PENDING_MINUTES * 60 {
            return Ok(None);
        }
        Ok(accounts::user_by_id(&state.store, id)
            .await?
            .filter(|user| user.session_generation == generation))
    }

    /// The code was right: the halfway session becomes a signed-in one.
    pub async fn finish_two_step(
        &self,
        state: &AppState,
        user: &User,
    ) -> Result<&'static str, WebError> {
        for key in [PENDING_USER_KEY, PENDING_GENERATION_KEY, PENDING_AT_KEY] {
            let _ = self.session.remove_value(key).await;
        }
        self.sign_in(user).await?;
        Ok(after_sign_in(state, user))
    }

    /// The secret offered on the enrolment page, the same until it is confirmed
    /// (reloading the page shows the same QR code).
    pub async fn enrolment_secret(&self) -> Result<String, WebError> {
        if let Some(secret) = self
            .session
            .get::<String>(ENROLMENT_SECRET_KEY)
            .await
            .map_err(WebError::session)?
        {
            return Ok(secret);
        }
        let secret = store::two_step::new_secret();
        self.session
            .insert(ENROLMENT_SECRET_KEY, &secret)
            .await
            .map_err(WebError::session)?;
        Ok(secret)
    }

    /// The enrolment is done (or abandoned): the session forgets the secret.
    pub async fn forget_enrolment_secret(&self) -> Result<(), WebError> {
        self.session
            .remove_value(ENROLMENT_SECRET_KEY)
            .await
            .map(|_| ())
            .map_err(WebError::session)
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
        // An API token: its creator, as staff of the token's organisation, and
        // nothing of the session (there is no cookie; nothing is written to it).
        if let Some(TokenCaller(caller)) = parts.extensions.get::<TokenCaller>() {
            let user = accounts::user_by_id(&state.store, caller.actor.user_id)
                .await?
                .map(|mut user| {
                    user.must_change_password = false;
                    user
                });
            return Ok(Viewer {
                user,
                csrf: String::new(),
                session,
                unread_notices: 0,
                must_enrol_two_step: false,
            });
        }
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
        let must_enrol_two_step = user
            .as_ref()
            .is_some_and(|u| u.must_enrol_two_step(state.two_step_for_secretariat));
        Ok(Viewer {
            user,
            csrf,
            session,
            unread_notices,
            must_enrol_two_step,
        })
    }
}

/// Where a sign-in leads: the password change a one-time password demands, the
/// enrolment in two-step sign-in when it is required, or the initiatives.
fn after_sign_in(state: &AppState, user: &User) -> &'static str {
    if user.must_change_password {
        "/account/password"
    } else if user.must_enrol_two_step(state.two_step_for_secretariat) {
        "/account/two-step"
    } else {
        "/initiatives?done=signed-in"
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

/// The caller of a request that came with a valid API token (`Authorization:
/// Bearer`), put there by [`bearer`] for [`Viewer`] and the CSRF guard.
#[derive(Debug, Clone)]
pub struct TokenCaller(pub store::api_tokens::Caller);

/// The two routes a machine token may call, each with its machine in the path.
const MACHINE_OUTAGES: &str = "/api/v1/network/machines/{id}/outages";
const OPERATION_EVENTS: &str = "/api/v1/network/operations/{id}/events";

/// The `{id}` of `/api/v1/network/<kind>/{id}/…`.
fn network_id(path: &str) -> Option<i64> {
    path.split('/').nth(5).and_then(|id| id.parse().ok())
}

/// Admits requests with `Authorization: Bearer <API token>`: an unknown, revoked or
/// malformed token is answered 401, a token outside `/api/` or (for a machine token)
/// outside its machine's two reports 403; a change is written to the audit log
/// with the token's name. Requests without the header pass untouched.
pub async fn bearer(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let Some(value) = request.headers().get(header::AUTHORIZATION) else {
        return next.run(request).await;
    };
    let unauthorised = |detail: &str| {
        let mut response =
            crate::api::problem(StatusCode::UNAUTHORIZED, "APIトークンが無効です", detail);
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"renkei\", error=\"invalid_token\""),
        );
        response
    };
    let Some(raw) = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::to_owned)
    else {
        return unauthorised("Authorization ヘッダーは「Bearer renkei_…」の形で送ってください。");
    };
    let caller = match store::api_tokens::authenticate(&state.store, &raw).await {
        Ok(Some(caller)) => caller,
        Ok(None) => {
            return unauthorised(
                "このAPIトークンは無効です（取り消された、発行した職員が異動した、または誤り）。団体の職員に新しいトークンの発行を依頼してください。",
            );
        }
        Err(error) => return WebError::from(error).into_response(),
    };
    let path = request.uri().path().to_owned();
    let forbidden = |detail: &str| {
        crate::api::problem(StatusCode::FORBIDDEN, "APIトークンの範囲外です", detail)
    };
    if !path.starts_with("/api/") {
        return forbidden(
            "APIトークンは /api/v1 の呼び出しにだけ使えます。画面はログインして使ってください。",
        );
    }
    if let Some(machine) = caller.machine_id {
        let matched = request
            .extensions()
            .get::<MatchedPath>()
            .map(|m| m.as_str().to_owned())
            .unwrap_or_default();
        let allowed = request.method() == Method::POST
            && match matched.as_str() {
                MACHINE_OUTAGES => network_id(&path) == Some(machine),
                OPERATION_EVENTS => match network_id(&path) {
                    Some(operation) => {
                        match store::api_tokens::machine_of_operation(&state.store, operation).await
                        {
                            Ok(planned) => planned == Some(machine),
                            Err(error) => return WebError::from(error).into_response(),
                        }
                    }
                    None => false,
                },
                _ => false,
            };
        if !allowed {
            return forbidden(
                "設備トークンで報告できるのは、その設備の工程の進捗と設備の停止だけです。",
            );
        }
    }
    if !is_safe(request.method())
        && let Err(error) =
            store::api_tokens::record_use(&state.store, &caller, request.method().as_str(), &path)
                .await
    {
        return WebError::from(error).into_response();
    }
    request.extensions_mut().insert(TokenCaller(caller));
    next.run(request).await
}

/// Refuses state-changing requests whose CSRF token does not match the session's.
/// A request with an API token carries no cookie to forge and needs none.
pub async fn csrf_guard(
    State(api): State<Arc<crate::api::Operations>>,
    request: Request,
    next: Next,
) -> Response {
    if is_safe(request.method()) || request.extensions().get::<TokenCaller>().is_some() {
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
