//! Calls (募集), applications with review and the public registry:
//! the public call page (description, period, eligibility in words, 申請する → the
//! forms engine's answer page), the call's settings for its staff, the staff queue
//! with status filter, scores and CSV/XLSX, one application with its answers,
//! documents, reviews, history and the review and decision forms, the viewer's own
//! applications (their お知らせ are in `pages::notices`), and the registry of approved certifications
//! and awards with its entry pages.
//!
//! Who may see and do what is decided by `store::applications`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::applications::{ApplicationStatus, CallInput, CallKind, MAX_SCORE, RegistryKind, yen};
use domain::forms::PeriodState;
use domain::forms::eligibility::EligibilityRule;
use domain::time::japan_day;
use store::applications::{self, Application, ApplicationSummary, Call, RegistryFilter};
use store::organisations;

use super::query_pairs;
use crate::auth::Viewer;
use crate::export::{CsvRequest, ExportFormat, Table};
use crate::form::FormData;
use crate::view::{Layout, tokyo_time};
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/calls", get(calls))
        .route("/calls/{key}", get(call_page))
        .route(
            "/calls/{key}/settings",
            get(settings_page).post(save_settings),
        )
        .route("/calls/{key}/applications", get(queue))
        .route("/calls/{key}/applications.csv", get(queue_csv))
        .route("/calls/{key}/applications.xlsx", get(queue_xlsx))
        .route("/applications", get(mine))
        .route("/applications/{id}", get(application_page))
        .route("/applications/{id}/review", post(review))
        .route("/applications/{id}/step", post(step))
        .route("/registry", get(registry))
        .route("/registry/{slug}", get(registry_entry))
}

fn label(field: &str) -> &'static str {
    match field {
        "kind" => "募集の種類",
        "registry_kind" => "掲載区分",
        "category_question" => "区分の質問",
        "title_question" => "名称の質問",
        "summary_question" => "概要の質問",
        "amount_limit" => "上限額",
        "reviewers" => "審査員",
        "score" => "評点",
        "comment" => "コメント",
        "amount" => "交付額",
        "action" => "操作",
        _ => "入力",
    }
}

/// The rules of a call in words, for applicants.
pub(crate) fn eligibility_words(call: &Call) -> Vec<String> {
    call.form
        .eligibility
        .rules
        .iter()
        .map(|rule| match rule {
            EligibilityRule::FoundedYearsBefore { years } => match call.form.award_year {
                Some(year) => format!(
                    "{}年以前に創業した企業（{year}年時点で創業{years}年以上）",
                    year.saturating_sub(*years)
                ),
                None => format!("創業{years}年以上の企業"),
            },
            EligibilityRule::CityIn { cities } => {
                let names: Vec<&str> = cities.iter().map(|c| c.name.as_str()).collect();
                format!("{}に所在する企業", names.join("・"))
            }
            EligibilityRule::SizeIn { sizes } => {
                let labels: Vec<&str> = sizes
                    .iter()
                    .filter_map(|s| domain::directory::SizeBand::parse(s))
                    .map(|s| s.label())
                    .collect();
                format!("企業規模が{}の企業", labels.join("・"))
            }
        })
        .collect()
}

pub(crate) fn state_label(call: &Call) -> &'static str {
    match call.form.period.state_on(japan_day(chrono::Utc::now())) {
        PeriodState::NotYetOpen => "受付開始前",
        PeriodState::Open => "受付中",
        PeriodState::Closed => "受付終了",
    }
}

pub(crate) fn kind_label(call: &Call) -> &'static str {
    call.kind().map_or("申請", CallKind::label)
}

fn parse_id(id: &str) -> Result<i64, WebError> {
    id.parse().map_err(|_| WebError::NotFound("申請".into()))
}

/// A summary's cells as lists and exports show them.
struct Row {
    id: i64,
    call_title: String,
    company: String,
    status: &'static str,
    status_code: &'static str,
    submitted: String,
    reviews: usize,
    average: String,
    amount: String,
}

fn row(a: &ApplicationSummary) -> Row {
    Row {
        id: a.id,
        call_title: a.form_title.clone(),
        company: a.company_name.clone(),
        status: a.status.label(),
        status_code: a.status.code(),
        submitted: a.submitted_at.map(tokyo_time).unwrap_or_default(),
        reviews: a.reviews,
        average: a.average.map(|v| format!("{v:.1}")).unwrap_or_default(),
        amount: a
            .amount
            .map(|v| format!("{}円", yen(v)))
            .unwrap_or_default(),
    }
}

// ---------------------------------------------------------------- calls

#[derive(Template, WebTemplate)]
#[template(path = "applications/calls.html")]
struct CallsPage {
    layout: Layout,
    /// (key, title, owner, kind, period, state)
    rows: Vec<(String, String, String, &'static str, String, &'static str)>,
}

async fn calls(State(state): State<AppState>, viewer: Viewer) -> Result<CallsPage, WebError> {
    let all = applications::calls(&state.store).await?;
    Ok(CallsPage {
        layout: Layout::for_viewer("募集（認定・表彰・補助金）", &viewer),
        rows: all
            .iter()
            .map(|c| {
                (
                    c.form.key.clone(),
                    c.form.title.clone(),
                    c.form.owner.name.clone(),
                    kind_label(c),
                    c.form.period.label(),
                    state_label(c),
                )
            })
            .collect(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "applications/call.html")]
struct CallPage {
    layout: Layout,
    call: Call,
    kind: &'static str,
    state: &'static str,
    rules: Vec<String>,
    /// Where 申請する leads.
    apply_href: String,
    signed_in: bool,
    is_staff_of_owner: bool,
    /// A subsidy's limit per application, 「50,000円」.
    limit: String,
    /// Approved entries of this call in the registry: (slug, title, company).
    winners: Vec<(String, String, String)>,
}

async fn call_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<CallPage, WebError> {
    let call = applications::call(&state.store, &key).await?;
    let actor = viewer.acting();
    let apply_href = match &actor {
        Some(actor) if actor.company_id.is_some() => {
            let own = store::forms::answerable(&state.store, actor, 1).await?;
            match own.first() {
                Some((company, _)) => {
                    format!("/forms/{}/answer?company={}", call.form.key, company)
                }
                None => format!("/forms/{}/answer", call.form.key),
            }
        }
        _ => format!("/forms/{}/answer", call.form.key),
    };
    let winners = applications::registry(&state.store, &RegistryFilter::default())
        .await?
        .into_iter()
        .filter(|e| e.call_key == call.form.key)
        .map(|e| (e.slug, e.title, e.company_name))
        .collect();
    Ok(CallPage {
        layout: Layout::for_viewer(call.form.title.clone(), &viewer),
        kind: kind_label(&call),
        state: state_label(&call),
        rules: eligibility_words(&call),
        apply_href,
        signed_in: actor.is_some(),
        is_staff_of_owner: actor.as_ref().is_some_and(|a| {
            a.role == domain::Role::Staff && a.organisation_id == Some(call.form.owner.id)
        }),
        winners,
        limit: call
            .settings
            .as_ref()
            .and_then(|s| s.amount_limit)
            .map(|v| format!("{}円", yen(v)))
            .unwrap_or_default(),
        call,
    })
}

// ---------------------------------------------------------------- settings

#[derive(Template, WebTemplate)]
#[template(path = "applications/settings.html")]
struct SettingsPage {
    layout: Layout,
    call: Call,
    input: CallInput,
    /// (id, label) of every question, for the question selects.
    questions: Vec<(String, String)>,
    errors: Vec<String>,
}

fn questions_of(call: &Call) -> Vec<(String, String)> {
    call.form
        .latest
        .definition
        .questions()
        .map(|q| (q.id.clone(), q.label.clone()))
        .collect()
}

/// A call's settings as its settings form shows them (the reviewers one address a
/// line), for those who may change them: the settings name the reviewers (their
/// e-mail addresses), so nobody else sees them. The page and
/// `GET /api/v1/calls/{key}/settings` read them here.
pub(crate) async fn settings_of(
    state: &AppState,
    actor: &domain::Actor,
    key: &str,
) -> Result<(Call, CallInput), WebError> {
    let call = applications::call(&state.store, key).await?;
    if !actor.may_edit_catalogue_of(call.form.owner.id) {
        return Err(store::StoreError::forbidden(format!(
            "「{}」の設定は{}の職員のみ閲覧できます。",
            call.form.title, call.form.owner.name
        ))
        .into());
    }
    let mut input = call
        .settings
        .as_ref()
        .map(|s| s.input())
        .unwrap_or_else(|| CallInput {
            kind: "award".into(),
            ..Default::default()
        });
    input.reviewers = call
        .reviewers
        .iter()
        .map(|r| r.email.clone())
        .collect::<Vec<_>>()
        .join("\n");
    Ok((call, input))
}

async fn settings_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<SettingsPage, WebError> {
    let actor = viewer.actor()?;
    let (call, input) = settings_of(&state, &actor, &key).await?;
    Ok(SettingsPage {
        layout: Layout::for_viewer(format!("募集の設定：{}", call.form.title), &viewer),
        questions: questions_of(&call),
        input,
        errors: Vec::new(),
        call,
    })
}

async fn save_settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let input = CallInput {
        kind: form.get("kind").to_owned(),
        registry_kind: form.get("registry_kind").to_owned(),
        category_question: form.get("category_question").to_owned(),
        title_question: form.get("title_question").to_owned(),
        summary_question: form.get("summary_question").to_owned(),
        amount_limit: form.get("amount_limit").to_owned(),
        reviewers: form.get("reviewers").to_owned(),
    };
    match applications::save_call(&state.store, &actor, &key, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/calls/{key}?done=saved")).into_response()),
        Err(error) => {
            let call = applications::call(&state.store, &key).await?;
            super::refill(error, label, |errors| {
                Ok(SettingsPage {
                    layout: Layout::for_viewer(format!("募集の設定：{}", call.form.title), &viewer),
                    questions: questions_of(&call),
                    input,
                    errors,
                    call,
                })
            })
        }
    }
}

// ---------------------------------------------------------------- the staff queue

#[derive(Template, WebTemplate)]
#[template(path = "applications/queue.html")]
struct QueuePage {
    layout: Layout,
    call: Call,
    rows: Vec<Row>,
    status: String,
    statuses: Vec<(&'static str, &'static str)>,
    query: String,
}

fn status_filter(query: Option<&str>) -> Option<ApplicationStatus> {
    ApplicationStatus::parse(query_pairs(query).get("status"))
}

async fn queue(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<QueuePage, WebError> {
    let actor = viewer.actor()?;
    let call = applications::call(&state.store, &key).await?;
    let status = status_filter(query.as_deref());
    let list = applications::for_call(&state.store, &actor, &key, status).await?;
    Ok(QueuePage {
        layout: Layout::for_viewer(format!("申請一覧：{}", call.form.title), &viewer),
        rows: list.iter().map(row).collect(),
        status: status.map(|s| s.code().to_owned()).unwrap_or_default(),
        statuses: ApplicationStatus::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        query: status
            .map(|s| format!("?status={}", s.code()))
            .unwrap_or_default(),
        call,
    })
}

async fn queue_table(
    state: &AppState,
    viewer: &Viewer,
    key: &str,
    query: Option<&str>,
) -> Result<Table, WebError> {
    let actor = viewer.actor()?;
    let list = applications::for_call(&state.store, &actor, key, status_filter(query)).await?;
    let mut table = Table::new(&[
        "申請番号",
        "企業",
        "状態",
        "提出日時",
        "評価数",
        "平均評点",
        "交付額（円）",
    ])
    .codes(&["申請番号"])
    .datetimes(&["提出日時"])
    .numbers(&["評価数", "平均評点", "交付額（円）"]);
    for a in &list {
        table.rows.push(vec![
            a.id.to_string(),
            a.company_name.clone(),
            a.status.label().to_owned(),
            a.submitted_at.map(tokyo_time).unwrap_or_default(),
            a.reviews.to_string(),
            a.average.map(|v| format!("{v:.1}")).unwrap_or_default(),
            a.amount.map(|v| v.to_string()).unwrap_or_default(),
        ]);
    }
    Ok(table)
}

async fn queue_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    csv: CsvRequest,
) -> Result<Response, WebError> {
    queue_table(&state, &viewer, &key, query.as_deref())
        .await?
        .download(
            ExportFormat::Csv(csv),
            &format!("{key}-applications"),
            "申請一覧",
        )
}

async fn queue_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    queue_table(&state, &viewer, &key, query.as_deref())
        .await?
        .download(
            ExportFormat::Xlsx,
            &format!("{key}-applications"),
            "申請一覧",
        )
}

// ---------------------------------------------------------------- one application

#[derive(Template, WebTemplate)]
#[template(path = "applications/application.html")]
struct ApplicationPage {
    layout: Layout,
    a: Application,
    row: Row,
    answers: String,
    /// (from, to, who, comment, when)
    history: Vec<(String, &'static str, String, String, String)>,
    /// (who, score, comment, when)
    reviews: Vec<(String, u8, String, String)>,
    kind: &'static str,
    is_subsidy: bool,
    limit: String,
    decided_at: String,
    /// The review form's values.
    score: String,
    comment: String,
    /// The step form's values.
    step_comment: String,
    amount: String,
    review_errors: Vec<String>,
    step_errors: Vec<String>,
    max_score: u8,
    /// Whether the response may be changed and resubmitted by the company.
    may_resubmit: bool,
}

struct Typed {
    score: Option<String>,
    comment: Option<String>,
    step_comment: String,
    amount: String,
}

async fn render_application(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    typed: Typed,
    review_errors: Vec<String>,
    step_errors: Vec<String>,
) -> Result<ApplicationPage, WebError> {
    let actor = viewer.actor()?;
    let a = applications::get(&state.store, &actor, id).await?;
    let own = a.review_of(actor.user_id);
    let score = typed
        .score
        .unwrap_or_else(|| own.map(|r| r.score.to_string()).unwrap_or_default());
    let comment = typed
        .comment
        .unwrap_or_else(|| own.map(|r| r.comment.clone()).unwrap_or_default());
    let history = a
        .history
        .iter()
        .map(|t| {
            (
                t.from.map(|s| s.label().to_owned()).unwrap_or_default(),
                t.to.label(),
                t.email.clone(),
                t.comment.clone(),
                tokyo_time(t.at),
            )
        })
        .collect();
    let reviews = a
        .reviews
        .iter()
        .map(|r| {
            (
                r.email.clone(),
                r.score,
                r.comment.clone(),
                tokyo_time(r.updated_at),
            )
        })
        .collect();
    let settings = a.call.settings.as_ref();
    Ok(ApplicationPage {
        layout: Layout::for_viewer(
            format!(
                "申請：{}（{}）",
                a.summary.form_title, a.summary.company_name
            ),
            viewer,
        ),
        row: row(&a.summary),
        answers: super::forms::answers_html(&a.definition, &a.raw),
        history,
        reviews,
        kind: kind_label(&a.call),
        is_subsidy: a.call.kind() == Some(CallKind::Subsidy),
        limit: settings
            .and_then(|s| s.amount_limit)
            .map(|v| format!("{}円", yen(v)))
            .unwrap_or_default(),
        decided_at: a.decided_at.map(tokyo_time).unwrap_or_default(),
        score,
        comment,
        step_comment: typed.step_comment,
        amount: typed.amount,
        review_errors,
        step_errors,
        max_score: MAX_SCORE,
        may_resubmit: a.summary.status == ApplicationStatus::Returned
            && actor.company_id == Some(a.company_id),
        a,
    })
}

async fn application_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<ApplicationPage, WebError> {
    let id = parse_id(&id)?;
    let done = query_pairs(query.as_deref()).get("done").to_owned();
    let mut page = render_application(
        &state,
        &viewer,
        id,
        Typed {
            score: None,
            comment: None,
            step_comment: String::new(),
            amount: String::new(),
        },
        Vec::new(),
        Vec::new(),
    )
    .await?;
    page.layout.notice = match done.as_str() {
        "reviewed" => Some("評価を保存しました。".into()),
        "stepped" => Some(format!("申請を「{}」にしました。", page.row.status)),
        _ => None,
    };
    Ok(page)
}

async fn review(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let id = parse_id(&id)?;
    let (score, comment) = (form.get("score").to_owned(), form.get("comment").to_owned());
    match applications::review(&state.store, &actor, id, &score, &comment).await {
        Ok(_) => Ok(Redirect::to(&format!("/applications/{id}?done=reviewed")).into_response()),
        Err(error) => {
            let (status, errors) = super::form_errors(error, label)?;
            let page = render_application(
                &state,
                &viewer,
                id,
                Typed {
                    score: Some(score),
                    comment: Some(comment),
                    step_comment: String::new(),
                    amount: String::new(),
                },
                errors,
                Vec::new(),
            )
            .await?;
            Ok((status, page).into_response())
        }
    }
}

async fn step(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let id = parse_id(&id)?;
    let (action, comment, amount) = (
        form.get("action").to_owned(),
        form.get("step_comment").to_owned(),
        form.get("amount").to_owned(),
    );
    match applications::act(&state.store, &actor, id, &action, &comment, &amount).await {
        Ok(_) => Ok(Redirect::to(&format!("/applications/{id}?done=stepped")).into_response()),
        Err(error) => {
            let (status, errors) = super::form_errors(error, label)?;
            let page = render_application(
                &state,
                &viewer,
                id,
                Typed {
                    score: None,
                    comment: None,
                    step_comment: comment,
                    amount,
                },
                Vec::new(),
                errors,
            )
            .await?;
            Ok((status, page).into_response())
        }
    }
}

// ---------------------------------------------------------------- mine

#[derive(Template, WebTemplate)]
#[template(path = "applications/mine.html")]
struct MinePage {
    layout: Layout,
    rows: Vec<Row>,
    is_company: bool,
}

async fn mine(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<MinePage, WebError> {
    let actor = viewer.actor()?;
    let list = applications::mine(&state.store, &actor).await?;
    let submitted = query_pairs(query.as_deref()).get("done") == "submitted";
    Ok(MinePage {
        layout: Layout::for_viewer(
            if actor.company_id.is_some() {
                "自社の申請"
            } else {
                "申請の一覧"
            },
            &viewer,
        )
        .with_notice(submitted.then(|| {
            "申請を提出しました。審査の状況はこの一覧とお知らせで確認できます。".to_owned()
        })),
        rows: list.iter().map(row).collect(),
        is_company: actor.company_id.is_some(),
    })
}

// ---------------------------------------------------------------- the registry

#[derive(Template, WebTemplate)]
#[template(path = "applications/registry.html")]
struct RegistryPage {
    layout: Layout,
    entries: Vec<applications::RegistryEntry>,
    kinds: Vec<(&'static str, &'static str)>,
    kind: String,
    /// (key, name)
    cities: Vec<(String, String)>,
    city: String,
}

fn registry_filter(query: Option<&str>) -> RegistryFilter {
    let pairs = query_pairs(query);
    RegistryFilter {
        kind: RegistryKind::parse(pairs.get("kind")),
        city: Some(pairs.get("city").trim().to_owned()).filter(|c| !c.is_empty()),
    }
}

async fn registry(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<RegistryPage, WebError> {
    let filter = registry_filter(query.as_deref());
    let entries = applications::registry(&state.store, &filter).await?;
    let directory = organisations::directory(&state.store).await?;
    Ok(RegistryPage {
        layout: Layout::for_viewer("認定・表彰の公開名簿", &viewer),
        entries,
        kinds: RegistryKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        kind: filter.kind.map(|k| k.code().to_owned()).unwrap_or_default(),
        cities: directory
            .cities
            .iter()
            .map(|c| (c.key.clone(), c.name.clone()))
            .collect(),
        city: filter.city.unwrap_or_default(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "applications/registry_entry.html")]
struct RegistryEntryPage {
    layout: Layout,
    e: applications::RegistryEntry,
    approved_on: String,
}

async fn registry_entry(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<RegistryEntryPage, WebError> {
    let e = applications::registry_entry(&state.store, &slug).await?;
    Ok(RegistryEntryPage {
        layout: Layout::for_viewer(format!("{}（{}）", e.title, e.category), &viewer),
        approved_on: japan_day(e.approved_at)
            .format("%Y年%-m月%-d日")
            .to_string(),
        e,
    })
}
