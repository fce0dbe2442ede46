//! The weekly digest of events (週刊イベント情報): anyone subscribes at `/digest`
//! with the cities and pillars they want, and confirms by the mailed link
//! (`/digest/confirm/{token}`: a page with a button, since mail scanners open
//! links). Changing the choice is subscribing again; stopping is the one-click link
//! in every digest (`pages::unsubscribe`).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::Pillar;
use serde::Deserialize;
use store::digest;

use crate::auth::Viewer;
use crate::form::FormData;
use crate::view::Layout;
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/digest", get(page).post(subscribe))
        .route("/digest/confirm/{token}", get(confirmation).post(confirm))
}

#[derive(Template, WebTemplate)]
#[template(path = "mail/digest.html")]
struct DigestPage {
    layout: Layout,
    email: String,
    /// (key, name, chosen)
    cities: Vec<(String, String, bool)>,
    /// (number, name, chosen)
    pillars: Vec<(String, String, bool)>,
    errors: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct DigestQuery {
    #[serde(default)]
    done: Option<String>,
}

fn field_label(field: &str) -> &'static str {
    match field {
        "email" => "メールアドレス",
        "cities" => "市区",
        "pillars" => "分野",
        _ => "入力",
    }
}

async fn digest_page(
    state: &AppState,
    viewer: &Viewer,
    email: String,
    cities: &[String],
    pillars: &[String],
    errors: Vec<String>,
) -> Result<DigestPage, WebError> {
    let directory = store::organisations::directory(&state.store).await?;
    Ok(DigestPage {
        layout: Layout::for_viewer("週刊イベント情報のメール配信", viewer),
        email,
        cities: directory
            .cities
            .iter()
            .map(|c| (c.key.clone(), c.name.clone(), cities.contains(&c.key)))
            .collect(),
        pillars: Pillar::ALL
            .iter()
            .map(|p| {
                let number = p.number().to_string();
                let chosen = pillars.contains(&number);
                (number, p.name().to_owned(), chosen)
            })
            .collect(),
        errors,
    })
}

async fn page(
    State(state): State<AppState>,
    mut viewer: Viewer,
    Query(query): Query<DigestQuery>,
) -> Result<DigestPage, WebError> {
    viewer.ensure_csrf().await?;
    let mut page = digest_page(&state, &viewer, String::new(), &[], &[], Vec::new()).await?;
    if query.done.as_deref() == Some("requested") {
        page.layout.notice = Some(
            "確認メールをお送りしました。メールのリンクを開き「登録を確定する」を押すと配信が始まります（24時間以内）。"
                .into(),
        );
    }
    Ok(page)
}

async fn subscribe(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let email = form.get("email").to_owned();
    let cities = form.all("city");
    let pillars = form.all("pillar");
    let result = match digest::parse_request(&state.store, &email, &cities, &pillars).await {
        Ok((address, choice)) => digest::subscribe(&state.store, &address, &choice).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/digest?done=requested").into_response()),
        Err(error) => {
            let (status, errors) = super::form_errors(error, field_label)?;
            let page = digest_page(&state, &viewer, email, &cities, &pillars, errors).await?;
            Ok((status, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "mail/digest_confirm.html")]
struct ConfirmPage {
    layout: Layout,
    token: String,
    pending: digest::Pending,
    done: bool,
}

async fn confirmation(
    State(state): State<AppState>,
    mut viewer: Viewer,
    Path(token): Path<String>,
) -> Result<ConfirmPage, WebError> {
    viewer.ensure_csrf().await?;
    let pending = digest::pending(&state.store, &token).await?;
    Ok(ConfirmPage {
        layout: Layout::for_viewer("配信登録の確定", &viewer),
        token,
        pending,
        done: false,
    })
}

async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let pending = digest::confirm(&state.store, &token).await?;
    Ok((
        StatusCode::OK,
        ConfirmPage {
            layout: Layout::for_viewer("配信登録を確定しました", &viewer),
            token,
            pending,
            done: true,
        },
    )
        .into_response())
}
