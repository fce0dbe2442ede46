//! Signing in and out, and changing one's password.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use store::StoreError;
use store::accounts;

use crate::auth::{DeviceCookie, Viewer, device_cookie, device_token};
use crate::client::ClientAddress;
use crate::form::FormData;
use crate::view::Layout;
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route(
            "/account/password",
            get(password_page).post(change_password),
        )
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    error: Option<String>,
}

async fn login_page(mut viewer: Viewer) -> Result<LoginPage, WebError> {
    viewer.ensure_csrf().await?;
    Ok(LoginPage {
        layout: Layout::for_viewer("ログイン", &viewer),
        email: String::new(),
        error: None,
    })
}

async fn login(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientAddress,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, WebError> {
    let email = form.get("email").to_owned();
    let device = device_token(&headers);
    match accounts::login_with_device(
        &state.store,
        &email,
        form.get("password"),
        &client.text(),
        device.as_deref(),
    )
    .await
    {
        Ok(login) => {
            let target = viewer.begin_sign_in(&state, &login.user).await?;
            let mut response = Redirect::to(target).into_response();
            if let Some(cookie) = device_cookie(&login.device_token, state.secure_cookies) {
                response.extensions_mut().insert(DeviceCookie(cookie));
            }
            Ok(response)
        }
        Err(error @ (StoreError::BadCredentials | StoreError::RateLimited { .. })) => {
            let error = WebError::from(error);
            let (status, message) = error.status_and_message();
            let page = LoginPage {
                layout: Layout::for_viewer("ログイン", &viewer),
                email,
                error: Some(message),
            };
            let mut response = (status, page).into_response();
            error.add_retry_after(&mut response);
            Ok(response)
        }
        Err(error) => Err(error.into()),
    }
}

async fn logout(viewer: Viewer) -> Result<Redirect, WebError> {
    viewer.sign_out().await?;
    Ok(Redirect::to("/?done=signed-out"))
}

#[derive(Template, WebTemplate)]
#[template(path = "password.html")]
struct PasswordPage {
    layout: Layout,
    must_change: bool,
    errors: Vec<String>,
}

async fn password_page(viewer: Viewer) -> Result<PasswordPage, WebError> {
    let user = viewer.user()?;
    Ok(PasswordPage {
        must_change: user.must_change_password,
        layout: Layout::for_viewer("パスワードの変更", &viewer),
        errors: Vec::new(),
    })
}

async fn change_password(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.user()?.actor();
    match accounts::change_password(
        &state.store,
        &actor,
        form.get("current_password"),
        form.get("new_password"),
    )
    .await
    {
        Ok(generation) => {
            viewer.keep_after_password_change(generation).await?;
            let target = if viewer.must_enrol_two_step {
                "/account/two-step"
            } else {
                "/initiatives?done=password"
            };
            Ok(Redirect::to(target).into_response())
        }
        Err(StoreError::Invalid(errors)) => {
            let page = PasswordPage {
                layout: Layout::for_viewer("パスワードの変更", &viewer),
                must_change: viewer.user()?.must_change_password,
                errors: errors.into_iter().map(|e| e.reason).collect(),
            };
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(error) => Err(error.into()),
    }
}
