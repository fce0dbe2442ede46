//! Accounts people make themselves: 企業の利用登録 by 法人番号 and 個人の利用登録, the
//! mailed confirmation link, the staff's list of requests and profiles waiting for
//! a decision (`/admin/signups`, with CSV/XLSX), and an individual's own profile
//! (`/me/profile`). Every rule lives in `store::signup`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::directory::PersonKind;
use store::StoreError;
use store::organisations;
use store::signup::{
    self, CompanySignup, Confirmed, IndividualSignup, KnownCompany, ProfileInput, Review,
    SignupFilter, SignupKind, SignupRequest, SignupStatus,
};

use super::companies::{CapabilityChoices, capability_choices};
use super::{form_errors, query_pairs};
use crate::auth::Viewer;
use crate::export::{CsvRequest, ExportFormat, Table};
use crate::form::FormData;
use crate::view::{Layout, tokyo_time};
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/signup", get(choose))
        .route("/signup/company", get(company_page).post(company_request))
        .route(
            "/signup/individual",
            get(individual_page).post(individual_request),
        )
        .route("/signup/sent", get(sent))
        .route("/signup/confirm/{token}", get(confirm_page).post(confirm))
        .route("/admin/signups", get(list))
        .route("/admin/signups.csv", get(list_csv))
        .route("/admin/signups.xlsx", get(list_xlsx))
        .route("/admin/signups/{id}", get(show))
        .route("/admin/signups/{id}/approve", post(approve))
        .route("/admin/signups/{id}/refuse", post(refuse))
        .route("/admin/profiles/{key}/approve", post(approve_profile))
        .route("/admin/profiles/{key}/refuse", post(refuse_profile))
        .route("/me/profile", get(profile_page).post(save_profile))
}

/// The labels of the sign-up forms' fields, for the error summary.
fn label(field: &str) -> &'static str {
    match field {
        "corporate_number" => "法人番号",
        "name" => "氏名",
        "email" => "メールアドレス",
        "password" => "パスワード",
        "password_confirm" => "パスワード（確認）",
        "kind" => "区分",
        "city" => "登録する市区",
        "kana" => "フリガナ",
        "affiliation" => "所属",
        "profile" => "紹介",
        "phone" => "電話",
        "capabilities" => "得意分野",
        "reason" => "理由",
        _ => "入力",
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "signup/choose.html")]
struct ChoosePage {
    layout: Layout,
}

async fn choose(viewer: Viewer) -> ChoosePage {
    ChoosePage {
        layout: Layout::for_viewer("利用登録", &viewer),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "signup/company.html")]
struct CompanyPage {
    layout: Layout,
    corporate_number: String,
    name: String,
    email: String,
    company: Option<KnownCompany>,
    errors: Vec<String>,
}

/// Step 1 (a 法人番号 in the query: the company it names is shown) and step 2.
async fn company_page(
    State(state): State<AppState>,
    mut viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    viewer.ensure_csrf().await?;
    let query = query_pairs(raw.as_deref());
    let number = query.get("corporate_number").to_owned();
    let (status, company, errors) = if number.trim().is_empty() {
        (StatusCode::OK, None, Vec::new())
    } else {
        match signup::company_by_number(&state.store, &number).await {
            Ok(company) => (StatusCode::OK, Some(company), Vec::new()),
            Err(error) => {
                let (status, errors) = form_errors(error, label)?;
                (status, None, errors)
            }
        }
    };
    let page = CompanyPage {
        layout: Layout::for_viewer("企業の利用登録", &viewer),
        corporate_number: number,
        name: String::new(),
        email: String::new(),
        company,
        errors,
    };
    Ok((status, page).into_response())
}

async fn company_request(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let input = CompanySignup {
        corporate_number: form.get("corporate_number").to_owned(),
        name: form.get("name").to_owned(),
        email: form.get("email").to_owned(),
        password: form.get("password").to_owned(),
        password_confirm: form.get("password_confirm").to_owned(),
    };
    match signup::request_company(&state.store, &input).await {
        Ok(()) => Ok(Redirect::to("/signup/sent").into_response()),
        Err(error) => {
            let (status, errors) = form_errors(error, label)?;
            // The company stays shown when only the person's fields were wrong.
            let company = signup::company_by_number(&state.store, &input.corporate_number)
                .await
                .ok();
            let page = CompanyPage {
                layout: Layout::for_viewer("企業の利用登録", &viewer),
                corporate_number: input.corporate_number,
                name: input.name,
                email: input.email,
                company,
                errors,
            };
            Ok((status, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "signup/individual.html")]
struct IndividualPage {
    layout: Layout,
    input: IndividualSignup,
    kinds: Vec<(&'static str, &'static str)>,
    cities: Vec<(String, String)>,
    errors: Vec<String>,
}

async fn individual_form(
    state: &AppState,
    viewer: &Viewer,
    input: IndividualSignup,
    errors: Vec<String>,
) -> Result<IndividualPage, WebError> {
    let directory = organisations::directory(&state.store).await?;
    Ok(IndividualPage {
        layout: Layout::for_viewer("個人の利用登録", viewer),
        input,
        kinds: PersonKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        cities: directory
            .cities
            .iter()
            .map(|c| (c.key.clone(), c.name.clone()))
            .collect(),
        errors,
    })
}

async fn individual_page(
    State(state): State<AppState>,
    mut viewer: Viewer,
) -> Result<IndividualPage, WebError> {
    viewer.ensure_csrf().await?;
    individual_form(&state, &viewer, IndividualSignup::default(), Vec::new()).await
}

async fn individual_request(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let input = IndividualSignup {
        kind: form.get("kind").to_owned(),
        name: form.get("name").to_owned(),
        email: form.get("email").to_owned(),
        password: form.get("password").to_owned(),
        password_confirm: form.get("password_confirm").to_owned(),
        city: form.get("city").to_owned(),
    };
    match signup::request_individual(&state.store, &input).await {
        Ok(()) => Ok(Redirect::to("/signup/sent").into_response()),
        Err(error) => {
            let (status, errors) = form_errors(error, label)?;
            let input = IndividualSignup {
                password: String::new(),
                password_confirm: String::new(),
                ..input
            };
            let page = individual_form(&state, &viewer, input, errors).await?;
            Ok((status, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "signup/sent.html")]
struct SentPage {
    layout: Layout,
    hours: i64,
}

async fn sent(viewer: Viewer) -> SentPage {
    SentPage {
        layout: Layout::for_viewer("確認メールを送信しました", &viewer),
        hours: signup::CONFIRM_HOURS,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "signup/confirm.html")]
struct ConfirmPage {
    layout: Layout,
    token: String,
    live: bool,
    /// After the POST: what happened, or why not.
    done: Option<String>,
    failed: Option<String>,
    may_sign_in: bool,
}

async fn confirm_page(
    State(state): State<AppState>,
    mut viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    viewer.ensure_csrf().await?;
    let live = signup::token_is_live(&state.store, &token).await?;
    let page = ConfirmPage {
        layout: Layout::for_viewer("メールアドレスの確認", &viewer),
        token: if live { token } else { String::new() },
        live,
        done: None,
        failed: (!live).then(|| {
            "この確認リンクは使用済みか、有効期限が切れているか、正しくありません。".to_owned()
        }),
        may_sign_in: false,
    };
    let status = if live {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    Ok((status, page).into_response())
}

async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let (status, done, failed, may_sign_in) = match signup::confirm(&state.store, &token).await {
        Ok(Confirmed::Company { company, keeper }) => (
            StatusCode::OK,
            Some(format!(
                "メールアドレスを確認しました。{company}の企業会員としての申請を、{keeper}の担当者が審査します。結果はメールでお知らせします。"
            )),
            None,
            false,
        ),
        Ok(Confirmed::Individual { keeper }) => (
            StatusCode::OK,
            Some(format!(
                "メールアドレスを確認し、アカウントを作成しました。登録したメールアドレスとパスワードでログインできます（プロフィールの公開は{keeper}の担当者が確認します）。"
            )),
            None,
            true,
        ),
        Err(StoreError::Conflict(message)) => (StatusCode::CONFLICT, None, Some(message), false),
        Err(StoreError::NotFound { .. }) => (
            StatusCode::NOT_FOUND,
            None,
            Some("この確認リンクは使用済みか、正しくありません。".to_owned()),
            false,
        ),
        Err(other) => return Err(other.into()),
    };
    let page = ConfirmPage {
        layout: Layout::for_viewer("メールアドレスの確認", &viewer),
        token: String::new(),
        live: false,
        done,
        failed,
        may_sign_in,
    };
    Ok((status, page).into_response())
}

// ---- Staff: the requests and profiles waiting for a decision -------------------

struct RequestRow {
    id: i64,
    kind: &'static str,
    status: &'static str,
    status_code: &'static str,
    name: String,
    email: String,
    company: String,
    corporate_number: String,
    organisation: String,
    created: String,
    decided: String,
    reason: String,
}

fn request_row(r: &SignupRequest) -> RequestRow {
    RequestRow {
        id: r.id,
        kind: r.kind.label(),
        status: r.status.label(),
        status_code: r.status.code(),
        name: r.name.clone(),
        email: r.email.clone(),
        company: match (&r.company, r.person_kind) {
            (Some(c), _) => c.name.clone(),
            (None, Some(kind)) => kind.label().to_owned(),
            (None, None) => String::new(),
        },
        corporate_number: r
            .company
            .as_ref()
            .map(|c| c.corporate_number.clone())
            .unwrap_or_default(),
        organisation: r.organisation.name.clone(),
        created: tokyo_time(r.created_at),
        decided: r.decided_at.map(tokyo_time).unwrap_or_default(),
        reason: r.reason.clone(),
    }
}

struct ProfileRow {
    key: String,
    kind: &'static str,
    name: String,
    affiliation: String,
    profile: String,
    organisation: String,
    updated: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "signup/list.html")]
struct ListPage {
    layout: Layout,
    requests: Vec<RequestRow>,
    waiting: usize,
    profiles: Vec<ProfileRow>,
    statuses: Vec<(&'static str, &'static str)>,
    status: String,
}

fn filter_of(raw: Option<&str>) -> (SignupFilter, String) {
    let status = SignupStatus::parse(query_pairs(raw).get("status"));
    (
        SignupFilter { status },
        status.map(|s| s.code()).unwrap_or_default().to_owned(),
    )
}

fn done_notice(raw: Option<&str>) -> Option<String> {
    let text = match query_pairs(raw).get("done") {
        "approved" => "承認し、申請者にメールでお知らせしました。",
        "refused" => "不承認とし、理由を申請者にメールでお知らせしました。",
        "published" => "プロフィールを公開し、本人にメールでお知らせしました。",
        "withheld" => "プロフィールを公開しないこととし、理由を本人にメールでお知らせしました。",
        _ => return None,
    };
    Some(text.to_owned())
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<ListPage, WebError> {
    let actor = viewer.actor()?;
    let (filter, status) = filter_of(raw.as_deref());
    let requests = signup::list(&state.store, &actor, &filter).await?;
    let profiles = signup::waiting_profiles(&state.store, &actor).await?;
    Ok(ListPage {
        layout: Layout::for_viewer("利用登録の申請", &viewer)
            .with_notice(done_notice(raw.as_deref())),
        waiting: requests
            .iter()
            .filter(|r| r.status == SignupStatus::Pending)
            .count(),
        requests: requests.iter().map(request_row).collect(),
        profiles: profiles
            .into_iter()
            .map(|p| ProfileRow {
                key: p.key,
                kind: p.kind.label(),
                name: p.name,
                affiliation: p.affiliation,
                profile: p.profile,
                organisation: p.keeper.name,
                updated: tokyo_time(p.updated_at),
            })
            .collect(),
        statuses: [
            SignupStatus::Pending,
            SignupStatus::Approved,
            SignupStatus::Refused,
            SignupStatus::Unconfirmed,
            SignupStatus::Expired,
        ]
        .iter()
        .map(|s| (s.code(), s.label()))
        .collect(),
        status,
    })
}

async fn table(state: &AppState, viewer: &Viewer, raw: Option<&str>) -> Result<Table, WebError> {
    let actor = viewer.actor()?;
    let (filter, _) = filter_of(raw);
    let mut table = Table::new(&[
        "番号",
        "区分",
        "状態",
        "氏名",
        "メールアドレス",
        "企業名・区分",
        "法人番号",
        "担当団体",
        "申請日時",
        "決定日時",
        "不承認の理由",
    ])
    .codes(&["番号", "法人番号"])
    .datetimes(&["申請日時", "決定日時"]);
    for r in signup::list(&state.store, &actor, &filter).await? {
        let row = request_row(&r);
        table.rows.push(vec![
            row.id.to_string(),
            row.kind.to_owned(),
            row.status.to_owned(),
            row.name,
            row.email,
            row.company,
            row.corporate_number,
            row.organisation,
            row.created,
            row.decided,
            row.reason,
        ]);
    }
    Ok(table)
}

async fn list_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
    csv: CsvRequest,
) -> Result<Response, WebError> {
    table(&state, &viewer, raw.as_deref()).await?.download(
        ExportFormat::Csv(csv),
        "signups",
        "利用登録の申請",
    )
}

async fn list_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    table(&state, &viewer, raw.as_deref()).await?.download(
        ExportFormat::Xlsx,
        "signups",
        "利用登録の申請",
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "signup/show.html")]
struct ShowPage {
    layout: Layout,
    request: RequestRow,
    company_key: String,
    address: String,
    pending: bool,
    is_company: bool,
    reason: String,
    errors: Vec<String>,
}

fn id_of(id: &str) -> Result<i64, WebError> {
    id.parse()
        .map_err(|_| WebError::from(StoreError::not_found("利用登録の申請")))
}

fn show_page(
    viewer: &Viewer,
    request: &SignupRequest,
    reason: String,
    errors: Vec<String>,
) -> ShowPage {
    ShowPage {
        layout: Layout::for_viewer("利用登録の申請", viewer),
        company_key: request
            .company
            .as_ref()
            .map(|c| c.key.clone())
            .unwrap_or_default(),
        address: request
            .company
            .as_ref()
            .map(|c| c.address.clone())
            .unwrap_or_default(),
        pending: request.status == SignupStatus::Pending,
        is_company: request.kind == SignupKind::Company,
        request: request_row(request),
        reason,
        errors,
    }
}

async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<ShowPage, WebError> {
    let actor = viewer.actor()?;
    let request = signup::get(&state.store, &actor, id_of(&id)?).await?;
    Ok(show_page(&viewer, &request, String::new(), Vec::new()))
}

async fn approve(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let id = id_of(&id)?;
    match signup::approve(&state.store, &actor, id).await {
        Ok(()) => Ok(Redirect::to("/admin/signups?done=approved").into_response()),
        Err(error) => {
            let (status, errors) = form_errors(error, label)?;
            let request = signup::get(&state.store, &actor, id).await?;
            Ok((status, show_page(&viewer, &request, String::new(), errors)).into_response())
        }
    }
}

async fn refuse(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let id = id_of(&id)?;
    let reason = form.get("reason").to_owned();
    match signup::refuse(&state.store, &actor, id, &reason).await {
        Ok(()) => Ok(Redirect::to("/admin/signups?done=refused").into_response()),
        Err(error) => {
            let (status, errors) = form_errors(error, label)?;
            let request = signup::get(&state.store, &actor, id).await?;
            Ok((status, show_page(&viewer, &request, reason, errors)).into_response())
        }
    }
}

async fn approve_profile(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    signup::decide_profile(&state.store, &actor, &key, true, "").await?;
    Ok(Redirect::to("/admin/signups?done=published").into_response())
}

async fn refuse_profile(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    signup::decide_profile(&state.store, &actor, &key, false, form.get("reason")).await?;
    Ok(Redirect::to("/admin/signups?done=withheld").into_response())
}

// ---- An individual's own profile ------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "signup/profile.html")]
struct ProfilePage {
    layout: Layout,
    /// The key of the public page, once the profile is published.
    key: Option<String>,
    keeper: String,
    review: &'static str,
    review_note: String,
    kind: String,
    name: String,
    kana: String,
    affiliation: String,
    profile: String,
    phone: String,
    wants_public: bool,
    kinds: Vec<(&'static str, &'static str)>,
    groups: Vec<CapabilityChoices>,
    errors: Vec<String>,
}

fn kinds() -> Vec<(&'static str, &'static str)> {
    PersonKind::ALL
        .iter()
        .map(|k| (k.code(), k.label()))
        .collect()
}

async fn profile_page(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<ProfilePage, WebError> {
    let actor = viewer.actor()?;
    let own = signup::own_profile(&state.store, &actor).await?;
    let notice =
        (query_pairs(raw.as_deref()).get("done") == "saved").then(|| "保存しました。".to_owned());
    Ok(ProfilePage {
        layout: Layout::for_viewer("わたしのプロフィール", &viewer).with_notice(notice),
        key: own.key.filter(|_| own.review == Review::Approved),
        keeper: own.keeper.name,
        review: own.review.label(),
        review_note: own.review_note,
        wants_public: matches!(own.review, Review::Pending | Review::Approved),
        kind: own.input.kind,
        name: own.input.name,
        kana: own.input.kana,
        affiliation: own.input.affiliation,
        profile: own.input.profile,
        phone: own.input.phone,
        kinds: kinds(),
        groups: capability_choices(&own.input.capabilities),
        errors: Vec::new(),
    })
}

async fn save_profile(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let input = ProfileInput {
        kind: form.get("kind").to_owned(),
        name: form.get("name").to_owned(),
        kana: form.get("kana").to_owned(),
        affiliation: form.get("affiliation").to_owned(),
        profile: form.get("profile").to_owned(),
        capabilities: form.all("capabilities"),
        phone: form.get("phone").to_owned(),
        wants_public: form.get("wants_public") == "1",
    };
    match signup::save_profile(&state.store, &actor, &input).await {
        Ok(_) => Ok(Redirect::to("/me/profile?done=saved").into_response()),
        Err(error) => {
            let (status, errors) = form_errors(error, label)?;
            let own = signup::own_profile(&state.store, &actor).await?;
            let page = ProfilePage {
                layout: Layout::for_viewer("わたしのプロフィール", &viewer),
                key: own.key.filter(|_| own.review == Review::Approved),
                keeper: own.keeper.name,
                review: own.review.label(),
                review_note: own.review_note,
                wants_public: input.wants_public,
                groups: capability_choices(&input.capabilities),
                kind: input.kind,
                name: input.name,
                kana: input.kana,
                affiliation: input.affiliation,
                profile: input.profile,
                phone: input.phone,
                kinds: kinds(),
                errors,
            };
            Ok((status, page).into_response())
        }
    }
}
