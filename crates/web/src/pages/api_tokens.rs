//! `/account/tokens`: the organisation's API tokens for machines and its own
//! systems — issued (shown once), listed with their last use, revoked. The rules
//! live in `store::api_tokens`; `auth::bearer` admits the tokens.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use store::StoreError;
use store::api_tokens::{self, Scope};

use super::recovery::no_store;
use crate::auth::Viewer;
use crate::form::FormData;
use crate::view::{Layout, tokyo_time};
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/tokens", get(tokens_page).post(create))
        .route("/account/tokens/{id}/revoke", post(revoke))
}

/// One row of the list.
struct Row {
    id: i64,
    name: String,
    scope: String,
    created: String,
    last_used: String,
    revoked: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "account/tokens.html")]
struct TokensPage {
    layout: Layout,
    organisation: String,
    tokens: Vec<Row>,
    machines: Vec<(i64, String)>,
    /// The token just issued: its name and the token itself, shown this once.
    issued: Option<(String, String)>,
    input: (String, String),
    errors: Vec<String>,
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    issued: Option<(String, String)>,
    input: (String, String),
    errors: Vec<String>,
) -> Result<TokensPage, WebError> {
    let actor = viewer.actor()?;
    let tokens = api_tokens::list(&state.store, &actor).await?;
    let machines = api_tokens::machines_of(&state.store, &actor).await?;
    Ok(TokensPage {
        layout: Layout::for_viewer("APIトークン", viewer),
        organisation: viewer.user()?.organisation_name.clone(),
        tokens: tokens
            .into_iter()
            .map(|t| Row {
                id: t.id,
                name: t.name,
                scope: match t.scope {
                    Scope::Machine { name, .. } => format!("設備「{name}」の進捗・停止の報告のみ"),
                    Scope::Organisation => "団体のAPI（読み書き）".to_owned(),
                },
                created: format!("{}（{}）", tokyo_time(t.created_at), t.created_by),
                last_used: t.last_used_at.map_or("未使用".to_owned(), tokyo_time),
                revoked: t.revoked_at.map(tokyo_time),
            })
            .collect(),
        machines,
        issued,
        input,
        errors,
    })
}

async fn tokens_page(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<TokensPage, WebError> {
    let done = super::query_pairs(query.as_deref()).get("done").to_owned();
    let mut page = page(&state, &viewer, None, Default::default(), Vec::new()).await?;
    if done == "revoked" {
        page.layout = page
            .layout
            .with_notice(Some("APIトークンを取り消しました。".into()));
    }
    Ok(page)
}

/// Issues a token; the page shows it once (and is not cached).
async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let name = form.get("name").to_owned();
    let machine_text = form.get("machine").trim().to_owned();
    let machine = match machine_text.as_str() {
        "" | "organisation" => None,
        id => match id.parse() {
            Ok(id) => Some(id),
            Err(_) => {
                let errors = vec!["設備の指定が読み取れません。一覧から選んでください。".into()];
                let page = page(&state, &viewer, None, (name, machine_text), errors).await?;
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
            }
        },
    };
    match api_tokens::create(&state.store, &actor, &name, machine).await {
        Ok((token, raw)) => {
            let page = page(
                &state,
                &viewer,
                Some((token.name, raw)),
                Default::default(),
                Vec::new(),
            )
            .await?;
            Ok(no_store(page.into_response()))
        }
        Err(StoreError::Invalid(errors)) => {
            let errors = errors.into_iter().map(|e| e.reason).collect();
            let page = page(&state, &viewer, None, (name, machine_text), errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(error) => Err(error.into()),
    }
}

async fn revoke(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let id: i64 = id
        .parse()
        .map_err(|_| WebError::NotFound("APIトークン".into()))?;
    api_tokens::revoke(&state.store, &actor, id).await?;
    Ok(Redirect::to("/account/tokens?done=revoked").into_response())
}
