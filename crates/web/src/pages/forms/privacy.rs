//! Personal data on request: a company's answers exported as JSON (its members; the
//! staff of a form's owner for their forms), a response deleted on the respondent's
//! request after a confirmation page that asks for the reason, and a form's retention
//! period (answers older than it are deleted by `renkei privacy purge`).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use store::forms::Form;
use store::privacy;

use crate::auth::Viewer;
use crate::form::FormData;
use crate::pages::query_pairs;
use crate::view::Layout;
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/forms/export", get(export))
        .route("/forms/{key}/delete-response", get(confirm).post(delete))
        .route("/forms/{key}/retention", post(retention))
}

/// `/forms/export?company=KEY`: the company's answers as JSON.
async fn export(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let query = query_pairs(query.as_deref());
    let company = query.get("company");
    let data = privacy::export_company(&state.store, &actor, company).await?;
    crate::export::json_download(&data, &format!("{company}-answers"))
}

#[derive(Template, WebTemplate)]
#[template(path = "forms/delete.html")]
struct ConfirmPage {
    layout: Layout,
    form: Form,
    company_key: String,
    company_name: String,
    reason: String,
    errors: Vec<String>,
}

async fn confirm_page(
    state: &AppState,
    viewer: &Viewer,
    key: &str,
    company: &str,
    reason: String,
    errors: Vec<String>,
) -> Result<ConfirmPage, WebError> {
    let actor = viewer.actor()?;
    let form = store::forms::get(&state.store, key).await?;
    // Only those who may read the response reach the confirmation.
    let response = store::forms::response(&state.store, &actor, key, company).await?;
    Ok(ConfirmPage {
        layout: Layout::for_viewer("回答の削除（依頼への対応）", viewer),
        form,
        company_key: response.company_key,
        company_name: response.company_name,
        reason,
        errors,
    })
}

async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<ConfirmPage, WebError> {
    let query = query_pairs(query.as_deref());
    confirm_page(
        &state,
        &viewer,
        &key,
        query.get("company"),
        String::new(),
        Vec::new(),
    )
    .await
}

async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let query = query_pairs(query.as_deref());
    let company = query.get("company").to_owned();
    match privacy::delete_response(&state.store, &actor, &key, &company, form.get("reason")).await {
        Ok(()) => Ok(Redirect::to(&format!("/forms/{key}?done=deleted")).into_response()),
        Err(error) => {
            let (status, lines) = crate::pages::form_errors(error, |_| "削除")?;
            let page = confirm_page(
                &state,
                &viewer,
                &key,
                &company,
                form.get("reason").to_owned(),
                lines,
            )
            .await?;
            Ok((status, page).into_response())
        }
    }
}

async fn retention(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let text = domain::text::narrow_ascii(form.get("retention_days").trim());
    let days = if text.is_empty() {
        None
    } else {
        Some(text.parse::<i32>().map_err(|_| {
            WebError::BadRequest("保存期間は日数（整数）で入力してください。".into())
        })?)
    };
    match privacy::set_retention(&state.store, &actor, &key, days).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/forms/{key}/edit?done=saved#settings")).into_response())
        }
        Err(store::StoreError::Invalid(errors)) => Err(WebError::BadRequest(
            errors
                .into_iter()
                .map(|e| e.reason)
                .collect::<Vec<_>>()
                .join(" "),
        )),
        Err(other) => Err(other.into()),
    }
}
