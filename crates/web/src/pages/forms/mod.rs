//! The forms engine's pages: the list of forms, a new form, a form's overview, the
//! builder (`builder.rs`) and its preview, the answer page where a company (or the
//! staff who look after it) fills in a form with autosave, uploaded files, and a
//! diagnostic's result (`diagnostics.rs`). Surveys sent by link, calls with review and
//! the registry build on these pages in their own modules.

mod builder;
mod diagnostics;
mod privacy;
mod render;

pub use render::{answers_html, questions_html};

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::forms::{FormPurpose, PeriodState, QuestionKind, RawAnswer, RawAnswers};
use domain::time::japan_day;
use domain::{Actor, Invalid, Role};
use store::StoreError;
use store::forms::{self, Form, ResponseStatus};

use super::query_pairs;
use crate::auth::Viewer;
use crate::form::FormData;
use crate::view::Layout;
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/forms", get(list))
        .route("/forms/{key}", get(overview))
        .route("/forms/{key}/answer", get(answer_page).post(answer))
        .route("/forms/{key}/draft", post(autosave))
        .route("/forms/files/{id}", get(download))
        .merge(builder::router())
        .merge(diagnostics::router())
        .merge(privacy::router())
}

/// The company whose answers the page is about: `?company=`, or else the member's
/// own (read only then: autosave comes here every few seconds, and a staff member's
/// list of companies is not needed to name the one in the address).
async fn company_of(
    state: &AppState,
    query: &FormData,
    actor: &Actor,
) -> Result<Option<String>, WebError> {
    let asked = query.get("company");
    if !asked.is_empty() {
        return Ok(Some(asked.to_owned()));
    }
    if actor.company_id.is_none() {
        return Ok(None);
    }
    let own = forms::answerable(&state.store, actor, 1).await?;
    Ok(own.into_iter().next().map(|(key, _)| key))
}

/// An answer form as posted: its fields, and the files chosen for file questions
/// (multipart, when the form has any; its CSRF token is then in the action URL).
pub(crate) struct AnswerBody {
    pub fields: Vec<(String, String)>,
    pub files: Vec<Upload>,
}

pub(crate) struct Upload {
    pub question: String,
    pub name: String,
    pub bytes: Vec<u8>,
}

impl<S: Send + Sync> FromRequest<S> for AnswerBody {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let unreadable = || WebError::BadRequest("送信内容を読み取れませんでした。".into());
        let is_multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !is_multipart {
            let bytes = Bytes::from_request(request, state)
                .await
                .map_err(|_| unreadable())?;
            return Ok(AnswerBody {
                fields: form_urlencoded::parse(&bytes).into_owned().collect(),
                files: Vec::new(),
            });
        }
        let mut multipart = Multipart::from_request(request, state)
            .await
            .map_err(|_| unreadable())?;
        let mut body = AnswerBody {
            fields: Vec::new(),
            files: Vec::new(),
        };
        while let Some(field) = multipart.next_field().await.map_err(|_| unreadable())? {
            let name = field.name().unwrap_or("").to_owned();
            match field.file_name().map(str::to_owned) {
                Some(file_name) => {
                    let bytes = field.bytes().await.map_err(|_| unreadable())?;
                    if !file_name.is_empty() {
                        body.files.push(Upload {
                            question: name,
                            name: file_name,
                            bytes: bytes.to_vec(),
                        });
                    }
                }
                None => {
                    let value = field.text().await.map_err(|_| unreadable())?;
                    body.fields.push((name, value));
                }
            }
        }
        Ok(body)
    }
}

/// Reads an answer body into raw answers: the typed fields, files kept from the
/// earlier draft for file questions not chosen again, and new files stored (a file
/// refused for its type, content or size is reported under its question, and the
/// earlier file, if any, is kept). Without an `actor` (an anonymous link) files are
/// refused.
pub(crate) async fn read_answers(
    state: &AppState,
    actor: Option<&Actor>,
    form: &Form,
    company_key: &str,
    previous: Option<&RawAnswers>,
    body: &AnswerBody,
) -> Result<(RawAnswers, Vec<Invalid>), WebError> {
    let definition = &form.latest.definition;
    let mut raw = definition.raw_from_fields(&body.fields);
    let mut errors = Vec::new();
    for question in definition.questions() {
        if !matches!(question.kind, QuestionKind::File { .. }) {
            continue;
        }
        if let Some(RawAnswer::File(kept)) = previous.and_then(|p| p.get(&question.id)) {
            raw.set(&question.id, RawAnswer::File(kept.clone()));
        }
        let Some(upload) = body.files.iter().find(|u| u.question == question.id) else {
            continue;
        };
        let Some(actor) = actor else {
            errors.push(Invalid::new(
                &question.id,
                "ファイルはログインしてから提出してください。",
            ));
            continue;
        };
        match forms::store_file(
            &state.store,
            actor,
            &form.key,
            company_key,
            &question.id,
            &upload.name,
            &upload.bytes,
        )
        .await
        {
            Ok(meta) => raw.set(&question.id, RawAnswer::File(meta)),
            Err(StoreError::Invalid(refused)) => errors.extend(refused),
            Err(other) => return Err(other.into()),
        }
    }
    Ok((raw, errors))
}

fn field_of(body: &AnswerBody, name: &str) -> String {
    body.fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

#[derive(Template, WebTemplate)]
#[template(path = "forms/list.html")]
struct ListPage {
    layout: Layout,
    /// (key, title, purpose, owner, period, state, version, drafts, submitted)
    rows: Vec<FormRow>,
    may_create: bool,
}

struct FormRow {
    key: String,
    title: String,
    purpose: &'static str,
    owner: String,
    period: String,
    state: &'static str,
    version: u32,
}

fn state_label(state: PeriodState) -> &'static str {
    match state {
        PeriodState::NotYetOpen => "受付前",
        PeriodState::Open => "受付中",
        PeriodState::Closed => "締切済み",
    }
}

async fn list(State(state): State<AppState>, viewer: Viewer) -> Result<ListPage, WebError> {
    let actor = viewer.actor()?;
    let today = japan_day(chrono::Utc::now());
    let rows = forms::list(&state.store)
        .await?
        .into_iter()
        .map(|form| FormRow {
            state: state_label(form.period.state_on(today)),
            period: form.period.label(),
            key: form.key,
            title: form.title,
            purpose: form.purpose.label(),
            owner: form.owner.name,
            version: form.latest.number,
        })
        .collect();
    Ok(ListPage {
        layout: Layout::for_viewer("フォーム（調査・診断・申請）", &viewer),
        rows,
        may_create: actor.role.keeps_records(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "forms/overview.html")]
struct OverviewPage {
    layout: Layout,
    form: Form,
    state: &'static str,
    eligibility: Vec<String>,
    may_edit: bool,
    drafts: u64,
    submitted: u64,
    answerable: Vec<(String, String)>,
    is_diagnostic: bool,
}

/// The eligibility rules in words, for pages.
pub(crate) fn eligibility_lines(form: &Form) -> Vec<String> {
    use domain::forms::EligibilityRule;
    form.eligibility
        .rules
        .iter()
        .map(|rule| match rule {
            EligibilityRule::FoundedYearsBefore { years } => match form.award_year {
                Some(year) => format!(
                    "創業{years}年以上（{}年以前の創業。{year}年の表彰）",
                    year - years
                ),
                None => format!("創業{years}年以上"),
            },
            EligibilityRule::CityIn { cities } => format!(
                "所在地：{}",
                cities
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join("・")
            ),
            EligibilityRule::SizeIn { sizes } => format!(
                "規模：{}",
                sizes
                    .iter()
                    .map(|s| domain::directory::SizeBand::parse(s)
                        .map_or(s.as_str(), |b| b.label()))
                    .collect::<Vec<_>>()
                    .join("・")
            ),
        })
        .collect()
}

async fn overview(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<OverviewPage, WebError> {
    let actor = viewer.actor()?;
    let form = forms::get(&state.store, &key).await?;
    let (drafts, submitted) = forms::counts(&state.store, &key).await?;
    let notice = match query_pairs(query.as_deref()).get("done") {
        "submitted" => Some("提出しました。ありがとうございました。".to_owned()),
        "created" => Some("フォームを作成しました。質問を追加してください。".to_owned()),
        "deleted" => Some("回答を削除しました（監査ログに記録されました）。".to_owned()),
        other => crate::view::notice(Some(other)),
    };
    Ok(OverviewPage {
        layout: Layout::for_viewer(form.title.clone(), &viewer).with_notice(notice),
        state: state_label(form.period.state_on(japan_day(chrono::Utc::now()))),
        eligibility: eligibility_lines(&form),
        may_edit: actor.may_edit_catalogue_of(form.owner.id),
        is_diagnostic: form.purpose == FormPurpose::Diagnostic,
        answerable: forms::answerable(&state.store, &actor, 1000).await?,
        drafts,
        submitted,
        form,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "forms/answer.html")]
struct AnswerPage {
    layout: Layout,
    form: Form,
    company_key: String,
    company_name: String,
    questions: String,
    /// A submitted response read back.
    answers: String,
    errors: Vec<String>,
    status: &'static str,
    submitted: bool,
    /// The form's owner reading a response: may delete it on request.
    may_delete: bool,
    has_files: bool,
    state: &'static str,
    saved_at: String,
}

impl AnswerPage {
    fn action(&self) -> String {
        let mut action = format!(
            "/forms/{}/answer?company={}",
            self.form.key, self.company_key
        );
        if self.has_files {
            action.push_str("&csrf_token=");
            action.push_str(&self.layout.csrf);
        }
        action
    }
}

async fn answer_context(
    state: &AppState,
    viewer: &Viewer,
    key: &str,
    query: Option<&str>,
) -> Result<(Actor, Form, String, Option<forms::Response>), WebError> {
    let actor = viewer.actor()?;
    let form = forms::get(&state.store, key).await?;
    let company = company_of(state, &query_pairs(query), &actor)
        .await?
        .ok_or_else(|| {
            WebError::BadRequest(
                "回答する企業を選んでください（フォームの概要ページから）。".into(),
            )
        })?;
    let response = match forms::response(&state.store, &actor, key, &company).await {
        Ok(response) => Some(response),
        Err(StoreError::NotFound { .. }) => None,
        Err(other) => return Err(other.into()),
    };
    let form = answered_version(state, form, response.as_ref()).await?;
    Ok((actor, form, company, response))
}

/// The form with, as its `latest`, the version this company answers: a response
/// stays on the version it was begun on (and is checked against it on submission),
/// so its page asks and reads back those questions, not a later version's.
pub(crate) async fn answered_version(
    state: &AppState,
    mut form: Form,
    response: Option<&forms::Response>,
) -> Result<Form, WebError> {
    if let Some(response) = response
        && response.version != form.latest.number
        && response.version > 0
    {
        form.latest = forms::version(&state.store, &form.key, response.version).await?;
    }
    Ok(form)
}

fn render_answer(
    viewer: &Viewer,
    form: Form,
    (company_key, company_name): (String, String),
    response: Option<&forms::Response>,
    raw: &RawAnswers,
    errors: &[Invalid],
    notice: Option<String>,
) -> AnswerPage {
    let question_ids: Vec<&str> = form
        .latest
        .definition
        .questions()
        .map(|q| q.id.as_str())
        .collect();
    let general: Vec<String> = errors
        .iter()
        .filter(|e| {
            !question_ids
                .iter()
                .any(|id| e.field == *id || e.field.starts_with(&format!("{id}[")))
        })
        .map(|e| e.reason.clone())
        .collect();
    let mut summary: Vec<String> = general;
    for error in errors {
        if let Some(q) = form
            .latest
            .definition
            .questions()
            .find(|q| error.field == q.id || error.field.starts_with(&format!("{}[", q.id)))
        {
            summary.push(format!("{}：{}", q.label, error.reason));
        }
    }
    let has_files = form
        .latest
        .definition
        .questions()
        .any(|q| matches!(q.kind, QuestionKind::File { .. }));
    AnswerPage {
        layout: Layout::for_viewer(format!("{}（回答）", form.title), viewer).with_notice(notice),
        questions: questions_html(&form.latest.definition, raw, errors),
        answers: response
            .filter(|r| r.status == ResponseStatus::Submitted)
            .map(|r| answers_html(&form.latest.definition, &r.raw))
            .unwrap_or_default(),
        errors: summary,
        status: response.map_or("未回答", |r| r.status.label()),
        submitted: response.is_some_and(|r| r.status == ResponseStatus::Submitted),
        may_delete: response.is_some()
            && viewer
                .acting_user()
                .is_some_and(|u| u.role == Role::Staff && u.organisation_id == Some(form.owner.id)),
        has_files,
        state: state_label(form.period.state_on(japan_day(chrono::Utc::now()))),
        saved_at: response
            .map(|r| crate::view::tokyo_time(r.updated_at))
            .unwrap_or_default(),
        company_key,
        company_name,
        form,
    }
}

async fn answer_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<AnswerPage, WebError> {
    let (actor, form, company, response) =
        answer_context(&state, &viewer, &key, query.as_deref()).await?;
    let name = company_name(&state, &actor, &company).await?;
    let raw = response.as_ref().map(|r| r.raw.clone()).unwrap_or_default();
    let notice = match query_pairs(query.as_deref()).get("done") {
        "saved" => Some("一時保存しました。続きはいつでも入力できます。".to_owned()),
        _ => None,
    };
    Ok(render_answer(
        &viewer,
        form,
        (company, name),
        response.as_ref(),
        &raw,
        &[],
        notice,
    ))
}

async fn company_name(state: &AppState, actor: &Actor, key: &str) -> Result<String, WebError> {
    Ok(store::companies::get(&state.store, Some(actor), key)
        .await?
        .name)
}

async fn answer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    body: AnswerBody,
) -> Result<Response, WebError> {
    let (actor, form, company, response) =
        answer_context(&state, &viewer, &key, query.as_deref()).await?;
    let name = company_name(&state, &actor, &company).await?;
    let (raw, file_errors) = read_answers(
        &state,
        Some(&actor),
        &form,
        &company,
        response.as_ref().map(|r| &r.raw),
        &body,
    )
    .await?;
    let submit = field_of(&body, "intent") == "submit";
    let result = if submit && file_errors.is_empty() {
        forms::submit(&state.store, &actor, &key, &company, &raw).await
    } else {
        forms::save_draft(&state.store, &actor, &key, &company, &raw).await
    };
    match result {
        Ok(_) if !file_errors.is_empty() => {
            let response = forms::response(&state.store, &actor, &key, &company)
                .await
                .ok();
            let page = render_answer(
                &viewer,
                form,
                (company, name),
                response.as_ref(),
                &raw,
                &file_errors,
                None,
            );
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Ok(_) if submit => {
            let target = match form.purpose {
                FormPurpose::Diagnostic => {
                    format!("/forms/{key}/result?company={company}&done=submitted")
                }
                // An application is followed on the applicant's own list.
                FormPurpose::Application => "/applications?done=submitted".to_owned(),
                FormPurpose::Survey => format!("/forms/{key}?done=submitted"),
            };
            Ok(Redirect::to(&target).into_response())
        }
        Ok(_) => Ok(
            Redirect::to(&format!("/forms/{key}/answer?company={company}&done=saved"))
                .into_response(),
        ),
        Err(error) => {
            let (status, errors) = match error {
                StoreError::Invalid(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
                StoreError::Conflict(message) => {
                    (StatusCode::CONFLICT, vec![Invalid::new("form", message)])
                }
                StoreError::Forbidden { reason } => {
                    (StatusCode::FORBIDDEN, vec![Invalid::new("form", reason)])
                }
                other => return Err(other.into()),
            };
            let response = forms::response(&state.store, &actor, &key, &company)
                .await
                .ok();
            let page = render_answer(
                &viewer,
                form,
                (company, name),
                response.as_ref(),
                &raw,
                &errors,
                None,
            );
            Ok((status, page).into_response())
        }
    }
}

/// Autosave from the answer page's script: keeps what was typed as the draft and
/// answers with the time in JSON (no page).
async fn autosave(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    body: AnswerBody,
) -> Result<Response, WebError> {
    let (actor, form, company, response) =
        answer_context(&state, &viewer, &key, query.as_deref()).await?;
    let mut raw = form.latest.definition.raw_from_fields(&body.fields);
    // Files are not sent by autosave: keep the ones already uploaded.
    for question in form.latest.definition.questions() {
        if let Some(kept @ RawAnswer::File(_)) =
            response.as_ref().and_then(|r| r.raw.get(&question.id))
        {
            raw.set(&question.id, kept.clone());
        }
    }
    match forms::save_draft(&state.store, &actor, &key, &company, &raw).await {
        Ok(saved) => Ok(axum::Json(serde_json::json!({
            "saved_at": crate::view::tokyo_time(saved.updated_at),
        }))
        .into_response()),
        Err(StoreError::Conflict(message)) => Ok((
            StatusCode::CONFLICT,
            axum::Json(serde_json::json!({"error": message})),
        )
            .into_response()),
        Err(other) => Err(other.into()),
    }
}

async fn download(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let id: i64 = id
        .parse()
        .map_err(|_| WebError::NotFound("ファイル".into()))?;
    let (file, bytes) = forms::file(&state.store, &actor, id).await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&file.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    let encoded: String = form_urlencoded::byte_serialize(file.name.as_bytes()).collect();
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"file\"; filename*=UTF-8''{encoded}"
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}
