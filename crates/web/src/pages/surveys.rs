//! Surveys (調査): the owning organisation's staff send a survey to companies of the
//! directory (by city, industry, size) or of an uploaded list (imported into the
//! directory first) — each establishment mailed its answer link through the outbox,
//! or, if staff choose, only the links for their own mail merge — track who opened,
//! saved and submitted, and remind those who have not answered (by mail again, or
//! by downloading the unanswered companies with their links). Companies answer through their link at
//! `/s/{token}` without signing in, with autosave (a 一時保存 button, and the
//! forms' `static/forms.js` saving in the background). Results per question as SVG bar
//! charts with tables, a cross-tabulation by city, industry or size, CSV/XLSX of the
//! aggregate tables (staff and secretariat) and of the raw answers (the owning
//! organisation's staff only).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Multipart, Path, Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::Invalid;
use domain::Role;
use domain::directory::{JSIC, SizeBand};
use domain::forms::aggregate::{CrossRow, QuestionSummary};
use domain::forms::{Answer, FormDefinition, PeriodState, QuestionKind, RawAnswers};
use domain::time::japan_day;
use serde::Deserialize;
use store::StoreError;
use store::forms::{self, Form, GroupBy, ResponseStatus};
use store::import::RejectedRow;
use store::organisations;
use store::survey_mail::{Mailed, Notify};
use store::surveys::{self, Counts, Invitation, InvitationStatus, Recipients};

use crate::auth::Viewer;
use crate::export::{CsvRequest, ExportFormat, Table};
use crate::form::FormData;
use crate::view::Layout;
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/forms/{key}/survey", get(tracking))
        .route("/forms/{key}/survey/send", post(send))
        .route("/forms/{key}/survey/upload", post(upload))
        .route("/forms/{key}/survey/remind", post(remind))
        .route("/forms/{key}/survey/unanswered.csv", get(unanswered_csv))
        .route("/forms/{key}/survey/unanswered.xlsx", get(unanswered_xlsx))
        .route("/forms/{key}/results", get(results))
        .route("/forms/{key}/results.csv", get(results_csv))
        .route("/forms/{key}/results.xlsx", get(results_xlsx))
        .route("/forms/{key}/responses.csv", get(responses_csv))
        .route("/forms/{key}/responses.xlsx", get(responses_xlsx))
        .route("/s/{token}", get(link_page).post(link_answer))
        .route("/s/{token}/draft", post(link_autosave))
}

// ---------------------------------------------------------------- tracking

/// One row of the tracking list as shown.
struct RowView {
    company_key: String,
    company_name: String,
    city: String,
    status: InvitationStatus,
    link: String,
    opened: String,
    reminders: u32,
    /// An invented demonstration company (marked 「デモ」).
    demo: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "surveys/tracking.html")]
struct TrackingPage {
    layout: Layout,
    form: Form,
    counts: Counts,
    rate: String,
    rate_percent: u32,
    last_reminded: String,
    /// The status shown (empty: all).
    status: String,
    /// (code, label, count)
    statuses: Vec<(String, String, u64)>,
    rows: Vec<RowView>,
    matching: u64,
    page: usize,
    pages: usize,
    cities: Vec<(String, String)>,
    industries: Vec<(String, String)>,
    sizes: Vec<(String, String)>,
    recipients: RecipientsInput,
    errors: Vec<String>,
    /// What the last upload did: (imported, rejected rows shown, rejected total).
    upload: Option<UploadReport>,
    /// What the last send or reminder round mailed.
    mailed: Option<Mailed>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct RecipientsInput {
    #[serde(default)]
    pub(crate) city: String,
    #[serde(default)]
    pub(crate) industry: String,
    #[serde(default)]
    pub(crate) size: String,
}

struct UploadReport {
    file_name: String,
    inserted: u64,
    updated: u64,
    invited: u64,
    already: u64,
    mail: Mailed,
    rejected: Vec<RejectedRow>,
    rejected_total: u64,
    /// Said when only the first refused rows are listed.
    rejected_note: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct TrackingQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: Option<usize>,
    #[serde(default)]
    done: Option<String>,
    /// What the round mailed: queued, without an address, unsubscribed.
    #[serde(default)]
    mailed: Option<u64>,
    #[serde(default)]
    no_address: Option<u64>,
    #[serde(default)]
    unsubscribed: Option<u64>,
}

/// Whether the staff asked for mail (the checkbox, ticked by default).
fn notify_of(form: &FormData) -> Notify {
    if form.get("mail") == "1" {
        Notify::Mail
    } else {
        Notify::LinksOnly
    }
}

/// Where a send or reminder round goes next: the tracking page saying what it did.
fn done_url(key: &str, done: &str, mail: Mailed) -> String {
    format!(
        "/forms/{key}/survey?done={done}&mailed={}&no_address={}&unsubscribed={}",
        mail.queued, mail.no_address, mail.unsubscribed
    )
}

fn jst(at: chrono::DateTime<chrono::Utc>) -> String {
    // Japan has no daylight saving: UTC+9 all year.
    domain::time::in_japan(at)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn notice(code: Option<&str>, counts: &Counts) -> Option<String> {
    match code? {
        "sent" => Some("配布しました。各社の回答リンクは下の一覧と書き出しにあります。".into()),
        "reminded" => Some(format!(
            "督促を記録しました（第{}回）。",
            counts.reminder_rounds
        )),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
async fn tracking_page(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    key: &str,
    query: &TrackingQuery,
    recipients: RecipientsInput,
    errors: Vec<String>,
    upload: Option<UploadReport>,
) -> Result<TrackingPage, WebError> {
    let actor = viewer.actor()?;
    let form = forms::get(&state.store, key).await?;
    let status = InvitationStatus::parse(&query.status);
    let tracking =
        surveys::tracking(&state.store, &actor, key, status, query.page.unwrap_or(1)).await?;
    let directory = organisations::directory(&state.store).await?;
    let base = state.origin(headers);
    let counts = tracking.counts.clone();
    let rate = counts.response_rate();
    let mailed = query.mailed.map(|queued| Mailed {
        queued,
        no_address: query.no_address.unwrap_or(0),
        unsubscribed: query.unsubscribed.unwrap_or(0),
    });
    Ok(TrackingPage {
        mailed,
        layout: Layout::for_viewer(format!("{}（配布と回答状況）", form.title), viewer)
            .with_notice(notice(query.done.as_deref(), &counts)),
        statuses: InvitationStatus::ALL
            .iter()
            .map(|s| (s.code().to_owned(), s.label().to_owned(), counts.of(*s)))
            .collect(),
        rows: tracking
            .rows
            .iter()
            .map(|i| RowView {
                company_key: i.company_key.clone(),
                company_name: i.company_name.clone(),
                city: i.city.clone(),
                status: i.status,
                link: format!("{base}/s/{}", i.token),
                opened: i.opened_at.map(jst).unwrap_or_default(),
                reminders: i.reminders,
                demo: i.demo,
            })
            .collect(),
        rate: format!("{rate:.1}"),
        // A percentage between 0 and 100.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        rate_percent: rate.round().clamp(0.0, 100.0) as u32,
        last_reminded: counts.last_reminded.map(jst).unwrap_or_default(),
        counts,
        status: status.map(|s| s.code().to_owned()).unwrap_or_default(),
        matching: tracking.matching,
        page: tracking.page,
        pages: tracking.pages,
        cities: directory
            .cities
            .iter()
            .map(|c| (c.key.clone(), c.name.clone()))
            .collect(),
        industries: JSIC
            .iter()
            .map(|(code, label)| ((*code).to_owned(), format!("{code} {label}")))
            .collect(),
        sizes: SizeBand::ALL
            .iter()
            .map(|s| (s.code().to_owned(), s.label().to_owned()))
            .collect(),
        recipients,
        errors,
        upload,
        form,
    })
}

async fn tracking(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(key): Path<String>,
    Query(query): Query<TrackingQuery>,
) -> Result<TrackingPage, WebError> {
    let actor = viewer.actor()?;
    // The own city preselected: the usual audience of a city's survey.
    let form = forms::get(&state.store, &key).await?;
    let city = form
        .owner
        .city
        .as_ref()
        .filter(|_| actor.organisation_id == Some(form.owner.id))
        .map(|c| c.key.clone())
        .unwrap_or_default();
    tracking_page(
        &state,
        &viewer,
        &headers,
        &key,
        &query,
        RecipientsInput {
            city,
            ..RecipientsInput::default()
        },
        Vec::new(),
        None,
    )
    .await
}

fn recipients_of(input: &RecipientsInput) -> Result<Recipients, Vec<String>> {
    recipients_checked(input).map_err(|errors| {
        errors
            .iter()
            .map(|e| {
                let label = if e.field == "size" {
                    "規模"
                } else {
                    "業種"
                };
                format!("{label}：{}", e.reason)
            })
            .collect()
    })
}

/// The recipients typed (city, JSIC major group, size band), checked: the one rule
/// of the page's send and `POST /api/v1/forms/{key}/survey/send`.
pub(crate) fn recipients_checked(input: &RecipientsInput) -> Result<Recipients, Vec<Invalid>> {
    let mut errors = Vec::new();
    let size = match input.size.as_str() {
        "" => None,
        code => {
            let band = SizeBand::parse(code);
            if band.is_none() {
                errors.push(Invalid::new("size", "一覧から選んでください。"));
            }
            band
        }
    };
    let industry = match input.industry.trim() {
        "" => None,
        text => match domain::directory::parse_jsic(text) {
            Ok(code) => code.map(str::to_owned),
            Err(wrong) => {
                errors.push(Invalid::new("industry", wrong.reason));
                None
            }
        },
    };
    if errors.is_empty() {
        Ok(Recipients {
            city: Some(input.city.trim().to_owned()).filter(|c| !c.is_empty()),
            industry,
            size,
        })
    } else {
        Err(errors)
    }
}

async fn send(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let input = RecipientsInput {
        city: form.get("city").to_owned(),
        industry: form.get("industry").to_owned(),
        size: form.get("size").to_owned(),
    };
    let notify = notify_of(&form);
    let outcome = match recipients_of(&input) {
        Ok(recipients) => {
            match surveys::send_to_directory_with(&state.store, &actor, &key, &recipients, notify)
                .await
            {
                Ok(sent) => {
                    return Ok(Redirect::to(&done_url(&key, "sent", sent.mail)).into_response());
                }
                Err(error) => super::form_errors(error, |_| "配布先")?,
            }
        }
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
    };
    let page = tracking_page(
        &state,
        &viewer,
        &headers,
        &key,
        &TrackingQuery::default(),
        input,
        outcome.1,
        None,
    )
    .await?;
    Ok((outcome.0, page).into_response())
}

/// What an uploaded company list did.
pub(crate) struct Uploaded {
    pub(crate) inserted: u64,
    pub(crate) updated: u64,
    pub(crate) invited: u64,
    pub(crate) already: u64,
    pub(crate) mail: Mailed,
    /// The rows refused, with line and reason (all of them), and how many.
    pub(crate) rejected: Vec<RejectedRow>,
    pub(crate) rejected_total: u64,
}

/// Imports a company list (CSV or XLSX, as the company import reads it) into the
/// directory, then sends the survey to every company of the list: the one rule of
/// the page's upload and `POST /api/v1/forms/{key}/survey/upload`. `Ok(Err(lines))`
/// is a refusal in Japanese (nothing imported, nothing sent); `Err` an error that
/// is not the user's to fix (or the survey refused to the actor).
pub(crate) async fn upload_list(
    state: &AppState,
    actor: &domain::Actor,
    key: &str,
    bytes: &[u8],
    notify: Notify,
) -> Result<Result<Uploaded, Vec<String>>, WebError> {
    let mut errors = Vec::new();
    // The survey is checked first, so that a refused survey imports nothing.
    surveys::counts(&state.store, actor, key).await?;
    let directory = organisations::directory(&state.store).await?;
    let year = {
        use chrono::Datelike;
        domain::time::japan_today().year()
    };
    // The reader is not Send: read the whole list before writing.
    let prepared = import::list::from_bytes(bytes, import::list::ListFormat::Auto)
        .map(|reader| store::import::prepare_list(reader, &directory, year));
    match prepared {
        Err(error) => errors.push(format!("ファイルを読めません: {error}")),
        Ok((_, rejected)) if rejected.fatal.is_some() => {
            super::company_import::refuse_broken(&mut errors, &rejected);
        }
        Ok((rows, rejected)) if rows.is_empty() => {
            errors.push("取り込める行がありませんでした。".to_owned());
            errors.extend(
                rejected
                    .rows
                    .iter()
                    .take(20)
                    .map(|r| format!("{}行目：{}", r.line, r.reason)),
            );
            if rejected.total > 20 {
                errors.push(format!(
                    "取り込めなかった行は全部で{}件です（先頭の20件だけを載せています）。",
                    rejected.total
                ));
            }
        }
        Ok((rows, rejected)) => {
            match store::import::upsert_list_keys(&state.store, actor, &rows).await {
                Ok((stats, keys)) => {
                    match surveys::send_with(&state.store, actor, key, &keys, notify).await {
                        Ok(sent) => {
                            return Ok(Ok(Uploaded {
                                inserted: stats.inserted,
                                updated: stats.updated,
                                invited: sent.invited,
                                already: sent.already,
                                mail: sent.mail,
                                rejected_total: rejected.total,
                                rejected: rejected.rows,
                            }));
                        }
                        Err(error) => errors.extend(super::form_errors(error, |_| "配布")?.1),
                    }
                }
                Err(StoreError::Forbidden { reason }) => {
                    errors.push(reason);
                    errors.push(
                        "取り込みも配布も行いませんでした（ファイル全体が取り消されています）。"
                            .into(),
                    );
                }
                Err(other) => return Err(other.into()),
            }
        }
    }
    Ok(Err(errors))
}

/// Upload of a company list: imported into the directory (as the company import
/// does), then the survey is sent to every company of the list.
async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(key): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    // Who may send the survey is decided before the body is read, as the API's twin
    // does: someone who may not is told so, not that the form was malformed.
    surveys::counts(&state.store, &actor, &key).await?;
    let mut multipart = multipart.map_err(|_| {
        WebError::BadRequest(
            "企業の一覧ファイル（CSVまたはXLSX）を選んで、画面のフォームから送ってください。"
                .to_owned(),
        )
    })?;
    let mut bytes = Vec::new();
    let mut file_name = String::new();
    let mut errors = Vec::new();
    let mut notify = Notify::LinksOnly;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("mail") {
            if field.text().await.is_ok_and(|v| v == "1") {
                notify = Notify::Mail;
            }
        } else if field.name() == Some("file") {
            file_name = field.file_name().unwrap_or("").to_owned();
            match field.bytes().await {
                Ok(b) => bytes = b.to_vec(),
                Err(_) => errors.push("ファイルを受け取れませんでした（2MBまで）。".to_owned()),
            }
        }
    }
    if bytes.is_empty() && errors.is_empty() {
        errors.push("企業の一覧ファイル（CSVまたはXLSX）を選んでください。".to_owned());
    }
    let mut report = None;
    if errors.is_empty() {
        match upload_list(&state, &actor, &key, &bytes, notify).await? {
            Ok(uploaded) => {
                report = Some(UploadReport {
                    file_name: file_name.clone(),
                    inserted: uploaded.inserted,
                    updated: uploaded.updated,
                    invited: uploaded.invited,
                    already: uploaded.already,
                    mail: uploaded.mail,
                    rejected_total: uploaded.rejected_total,
                    rejected_note: (uploaded.rejected_total > 100).then(|| {
                        format!(
                            "取り込めなかった行は全部で{}件です。ここには先頭の100件だけを載せています。",
                            uploaded.rejected_total
                        )
                    }),
                    rejected: uploaded.rejected.into_iter().take(100).collect(),
                });
            }
            Err(refusals) => errors.extend(refusals),
        }
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut query = TrackingQuery::default();
    if let Some(report) = &report {
        query.done = Some("sent".into());
        query.mailed = Some(report.mail.queued);
        query.no_address = Some(report.mail.no_address);
        query.unsubscribed = Some(report.mail.unsubscribed);
    }
    let page = tracking_page(
        &state,
        &viewer,
        &headers,
        &key,
        &query,
        RecipientsInput::default(),
        errors,
        report,
    )
    .await?;
    Ok((status, page).into_response())
}

async fn remind(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    match surveys::remind_with(&state.store, &actor, &key, notify_of(&form)).await {
        Ok(reminded) => {
            Ok(Redirect::to(&done_url(&key, "reminded", reminded.mail)).into_response())
        }
        Err(error) => {
            let (status, errors) = super::form_errors(error, |_| "督促")?;
            let page = tracking_page(
                &state,
                &viewer,
                &headers,
                &key,
                &TrackingQuery::default(),
                RecipientsInput::default(),
                errors,
                None,
            )
            .await?;
            Ok((status, page).into_response())
        }
    }
}

fn unanswered_table(invitations: &[Invitation], base: &str) -> Table {
    let mut table = Table::new(&[
        "企業キー",
        "企業名",
        "市区",
        "担当者",
        "メールアドレス",
        "回答リンク",
        "状況",
        "督促回数",
        "デモ",
    ])
    .codes(&["企業キー"])
    .numbers(&["督促回数"]);
    for i in invitations {
        table.rows.push(vec![
            i.company_key.clone(),
            i.company_name.clone(),
            i.city.clone(),
            i.contact_name.clone(),
            i.contact_email.clone(),
            format!("{base}/s/{}", i.token),
            i.status.label().to_owned(),
            i.reminders.to_string(),
            crate::export::demo_cell(i.demo),
        ]);
    }
    table
}

async fn unanswered_export(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    key: &str,
    format: ExportFormat,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let list = surveys::unanswered(&state.store, &actor, key).await?;
    unanswered_table(&list, &state.origin(headers)).download(
        format,
        &format!("survey-{key}-unanswered"),
        "未回答",
    )
}

async fn unanswered_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(key): Path<String>,
    csv: CsvRequest,
) -> Result<Response, WebError> {
    unanswered_export(&state, &viewer, &headers, &key, ExportFormat::Csv(csv)).await
}

async fn unanswered_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    unanswered_export(&state, &viewer, &headers, &key, ExportFormat::Xlsx).await
}

// ---------------------------------------------------------------- results

/// One question's result as shown: the chart and the table beside it.
struct QuestionView {
    id: String,
    label: String,
    answered: u32,
    /// (label, count, share "42.5%")
    rows: Vec<(String, u32, String)>,
    mean: Option<String>,
    chart: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "surveys/results.html")]
struct ResultsPage {
    layout: Layout,
    form: Form,
    submitted: u64,
    /// How many of the submitted answers are invented demonstration companies'.
    demo: u64,
    questions: Vec<QuestionView>,
    /// Choice and scale questions that can be cross-tabulated (id, label).
    choices: Vec<(String, String)>,
    question: String,
    by: String,
    groups: Vec<(String, String)>,
    cross: Option<CrossView>,
    is_owner_staff: bool,
}

struct CrossView {
    question: String,
    by_label: String,
    columns: Vec<String>,
    /// (group, respondents, counts)
    rows: Vec<(String, u32, Vec<u32>)>,
    chart: String,
}

#[derive(Debug, Default, Deserialize)]
struct ResultsQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    by: String,
}

fn share(count: u32, of: u32) -> String {
    if of == 0 {
        "0.0%".into()
    } else {
        format!("{:.1}%", f64::from(count) * 100.0 / f64::from(of))
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Colours of stacked segments: distinguishable, white text readable on each.
const SEGMENT_COLOURS: [&str; 6] = [
    "#1d5fa8", "#2a7a3b", "#9a4a06", "#6b3fa0", "#a1271f", "#35606b",
];

/// A horizontal bar per option with its count and share; `<title>`/`<desc>` name
/// it, and the table beside it carries the same numbers.
fn bar_chart(id: &str, summary: &QuestionSummary) -> String {
    let max = summary
        .tallies
        .iter()
        .map(|t| t.count)
        .max()
        .unwrap_or(0)
        .max(1);
    let (label_width, bar_width, row_height, top) = (200.0, 330.0, 26.0, 6.0);
    #[allow(clippy::cast_precision_loss)]
    let height = top + row_height * summary.tallies.len() as f64 + 6.0;
    let described: Vec<String> = summary
        .tallies
        .iter()
        .map(|t| format!("{} {}件", t.label_or_value(), t.count))
        .collect();
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 640 {height}\" width=\"100%\" role=\"img\" aria-labelledby=\"chart-{id}-title chart-{id}-desc\" class=\"chart\">\
<title id=\"chart-{id}-title\">{}の回答数</title><desc id=\"chart-{id}-desc\">{}</desc>",
        xml_escape(&summary.label),
        xml_escape(&described.join("、"))
    );
    for (i, tally) in summary.tallies.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let y = top + i as f64 * row_height;
        let width = bar_width * f64::from(tally.count) / f64::from(max);
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" font-size=\"13\" text-anchor=\"end\" fill=\"#222\">{}</text>\
<rect x=\"{label_width}\" y=\"{y}\" width=\"{width:.1}\" height=\"20\" fill=\"#1d5fa8\"/>\
<text x=\"{:.1}\" y=\"{}\" font-size=\"12\" fill=\"#222\">{}件（{}）</text>",
            label_width - 8.0,
            y + 15.0,
            xml_escape(&tally.label_or_value()),
            label_width + width + 6.0,
            y + 15.0,
            tally.count,
            share(tally.count, summary.answered)
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// A stacked horizontal bar per group: the share of each option among the group's
/// answers, with a legend.
fn stacked_chart(question: &str, rows: &[CrossRow]) -> String {
    let columns: Vec<String> = rows
        .first()
        .map(|r| {
            r.summary
                .tallies
                .iter()
                .map(|t| t.label_or_value())
                .collect()
        })
        .unwrap_or_default();
    let (label_width, bar_width, row_height) = (200.0, 400.0, 26.0);
    // The legend wraps onto as many lines as the options need.
    let mut legend = String::new();
    let (mut x, mut y) = (0.0, 4.0);
    for (i, column) in columns.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let advance = 30.0 + column.chars().count() as f64 * 12.0;
        if x > 0.0 && x + advance > 640.0 {
            x = 0.0;
            y += 18.0;
        }
        legend.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{y}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{}\" font-size=\"12\" fill=\"#222\">{}</text>",
            SEGMENT_COLOURS[i % SEGMENT_COLOURS.len()],
            x + 16.0,
            y + 11.0,
            xml_escape(column)
        ));
        x += advance;
    }
    let top = y + 26.0;
    #[allow(clippy::cast_precision_loss)]
    let height = top + row_height * rows.len() as f64 + 8.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 640 {height}\" width=\"100%\" role=\"img\" aria-labelledby=\"cross-title\" class=\"chart\">\
<title id=\"cross-title\">{}の集団別の内訳（割合）。数値は下の表にあります。</title>{legend}",
        xml_escape(question)
    );
    for (r, row) in rows.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let y = top + r as f64 * row_height;
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" font-size=\"13\" text-anchor=\"end\" fill=\"#222\">{}</text>",
            label_width - 8.0,
            y + 15.0,
            xml_escape(&row.group)
        ));
        let total: u32 = row.summary.tallies.iter().map(|t| t.count).sum();
        let mut x = label_width;
        for (i, tally) in row.summary.tallies.iter().enumerate() {
            if tally.count == 0 || total == 0 {
                continue;
            }
            let width = bar_width * f64::from(tally.count) / f64::from(total);
            svg.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{width:.1}\" height=\"20\" fill=\"{}\"><title>{}：{}件</title></rect>",
                SEGMENT_COLOURS[i % SEGMENT_COLOURS.len()],
                xml_escape(&format!("{} {}", row.group, tally.label_or_value())),
                tally.count
            ));
            if width >= 22.0 {
                svg.push_str(&format!(
                    "<text x=\"{:.1}\" y=\"{}\" font-size=\"12\" fill=\"#fff\" text-anchor=\"middle\">{}</text>",
                    x + width / 2.0,
                    y + 14.5,
                    tally.count
                ));
            }
            x += width;
        }
    }
    svg.push_str("</svg>");
    svg
}

trait TallyLabel {
    fn label_or_value(&self) -> String;
}

impl TallyLabel for domain::forms::aggregate::Tally {
    /// Scale points may have no label: show the point.
    fn label_or_value(&self) -> String {
        if self.label.is_empty() {
            self.value.clone()
        } else if self.value.parse::<u8>().is_ok() && !self.label.starts_with(&self.value) {
            // A scale point: 「5 良い」.
            format!("{} {}", self.value, self.label)
        } else {
            self.label.clone()
        }
    }
}

fn question_view(index: usize, summary: &QuestionSummary) -> QuestionView {
    QuestionView {
        id: summary.id.clone(),
        label: summary.label.clone(),
        answered: summary.answered,
        rows: summary
            .tallies
            .iter()
            .map(|t| {
                (
                    t.label_or_value(),
                    t.count,
                    share(t.count, summary.answered),
                )
            })
            .collect(),
        mean: summary.mean.map(|m| format!("{m:.2}")),
        chart: if summary.tallies.is_empty() {
            String::new()
        } else {
            bar_chart(&format!("q{index}"), summary)
        },
    }
}

fn choice_questions(definition: &FormDefinition) -> Vec<(String, String)> {
    definition
        .questions()
        .filter(|q| {
            matches!(
                q.kind,
                QuestionKind::SingleChoice { .. }
                    | QuestionKind::MultipleChoice { .. }
                    | QuestionKind::Scale { .. }
            )
        })
        .map(|q| (q.id.clone(), q.label.clone()))
        .collect()
}

async fn results(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    Query(query): Query<ResultsQuery>,
) -> Result<ResultsPage, WebError> {
    let actor = viewer.actor()?;
    let (form, summary, submitted) = surveys::results(&state.store, &actor, &key).await?;
    let demo = surveys::invented_answers(&state.store, &actor, &key).await?;
    let choices = choice_questions(&form.latest.definition);
    let question = if choices.iter().any(|(id, _)| *id == query.q) {
        query.q.clone()
    } else {
        choices
            .first()
            .map(|(id, _)| id.clone())
            .unwrap_or_default()
    };
    let by = GroupBy::parse(&query.by).unwrap_or(GroupBy::Industry);
    let cross = if question.is_empty() {
        None
    } else {
        let rows = surveys::cross_tab(&state.store, &actor, &key, &question, by).await?;
        let label = choices
            .iter()
            .find(|(id, _)| *id == question)
            .map(|(_, l)| l.clone())
            .unwrap_or_default();
        Some(CrossView {
            chart: stacked_chart(&label, &rows),
            question: label,
            by_label: by.label().to_owned(),
            columns: rows
                .first()
                .map(|r| {
                    r.summary
                        .tallies
                        .iter()
                        .map(|t| t.label_or_value())
                        .collect()
                })
                .unwrap_or_default(),
            rows: rows
                .iter()
                .map(|r| {
                    (
                        r.group.clone(),
                        r.respondents,
                        r.summary.tallies.iter().map(|t| t.count).collect(),
                    )
                })
                .collect(),
        })
    };
    Ok(ResultsPage {
        layout: Layout::for_viewer(format!("{}（集計結果）", form.title), &viewer),
        is_owner_staff: actor.role == Role::Staff && actor.organisation_id == Some(form.owner.id),
        submitted,
        demo,
        questions: summary
            .iter()
            .enumerate()
            .map(|(i, s)| question_view(i, s))
            .collect(),
        choices,
        question,
        by: by.code().to_owned(),
        groups: GroupBy::ALL
            .iter()
            .map(|g| (g.code().to_owned(), g.label().to_owned()))
            .collect(),
        cross,
        form,
    })
}

/// The aggregate tables as one list: question, option, count, share, mean; then
/// the cross-tabulation asked for, if any.
async fn results_table(
    state: &AppState,
    viewer: &Viewer,
    key: &str,
    query: Option<&str>,
) -> Result<Table, WebError> {
    let actor = viewer.actor()?;
    let (form, summary, _) = surveys::results(&state.store, &actor, key).await?;
    let mut table = Table::new(&["質問", "選択肢・区分", "回答数", "割合", "平均"])
        .numbers(&["回答数", "平均"]);
    for s in &summary {
        table.rows.push(vec![
            s.label.clone(),
            "（回答者数）".into(),
            s.answered.to_string(),
            String::new(),
            s.mean.map(|m| format!("{m:.2}")).unwrap_or_default(),
        ]);
        for t in &s.tallies {
            table.rows.push(vec![
                s.label.clone(),
                t.label_or_value(),
                t.count.to_string(),
                share(t.count, s.answered),
                String::new(),
            ]);
        }
    }
    let pairs = super::query_pairs(query);
    let question = pairs.get("q");
    if let (Some(by), false) = (GroupBy::parse(pairs.get("by")), question.is_empty()) {
        let rows = surveys::cross_tab(&state.store, &actor, key, question, by).await?;
        let label = form
            .latest
            .definition
            .question(question)
            .map(|q| q.label.clone())
            .unwrap_or_default();
        for row in rows {
            for t in &row.summary.tallies {
                table.rows.push(vec![
                    format!("{label}（{}別：{}）", by.label(), row.group),
                    t.label_or_value(),
                    t.count.to_string(),
                    share(t.count, row.summary.answered),
                    String::new(),
                ]);
            }
        }
    }
    Ok(table)
}

async fn results_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    csv: CsvRequest,
) -> Result<Response, WebError> {
    results_table(&state, &viewer, &key, query.as_deref())
        .await?
        .download(
            ExportFormat::Csv(csv),
            &format!("form-{key}-results"),
            "集計",
        )
}

async fn results_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    results_table(&state, &viewer, &key, query.as_deref())
        .await?
        .download(ExportFormat::Xlsx, &format!("form-{key}-results"), "集計")
}

/// One answer as a cell.
fn answer_text(question: &domain::forms::Question, answer: &Answer) -> String {
    let option = |value: &str| {
        question
            .kind
            .options()
            .iter()
            .find(|o| o.value == value)
            .map_or_else(|| value.to_owned(), |o| o.label.clone())
    };
    match answer {
        Answer::Text(text) => text.clone(),
        Answer::Number(n) => {
            if n.fract() == 0.0 && n.abs() < 1e15 {
                format!("{n:.0}")
            } else {
                n.to_string()
            }
        }
        Answer::Choice(value) => option(value),
        Answer::Choices(values) => values
            .iter()
            .map(|v| option(v))
            .collect::<Vec<_>>()
            .join("、"),
        Answer::Scale(point) => point.to_string(),
        Answer::Date(date) => date.to_string(),
        Answer::File(meta) => meta.name.clone(),
        Answer::Table(_) => String::new(),
    }
}

/// The raw answers: one row per submitted response, one column per question (per
/// cell for tables). Only the owning organisation's staff (the store refuses others).
async fn responses_table(state: &AppState, viewer: &Viewer, key: &str) -> Result<Table, WebError> {
    let actor = viewer.actor()?;
    let all = forms::responses(&state.store, &actor, key).await?;
    let form = forms::get(&state.store, key).await?;
    let definition = &form.latest.definition;
    let mut headers = vec![
        "企業キー".to_owned(),
        "企業名".to_owned(),
        "版".to_owned(),
        "提出日時".to_owned(),
    ];
    for q in definition.questions() {
        match &q.kind {
            QuestionKind::Table { columns, rows } => {
                for row in rows {
                    for column in columns {
                        headers.push(format!("{}（{row}・{column}）", q.label));
                    }
                }
            }
            _ => headers.push(q.label.clone()),
        }
    }
    headers.push("デモ".to_owned());
    let mut table = Table::from_headers(headers)
        .codes(&["企業キー"])
        .numbers(&["版"])
        .datetimes(&["提出日時"]);
    for response in all.iter().filter(|r| r.status == ResponseStatus::Submitted) {
        let Some(answers) = &response.answers else {
            continue;
        };
        let mut row = vec![
            response.company_key.clone(),
            response.company_name.clone(),
            response.version.to_string(),
            response.submitted_at.map(jst).unwrap_or_default(),
        ];
        for q in definition.questions() {
            match (&q.kind, answers.get(&q.id)) {
                (QuestionKind::Table { columns, rows }, answer) => {
                    let cells = match answer {
                        Some(Answer::Table(cells)) => cells.clone(),
                        _ => Vec::new(),
                    };
                    for r in 0..rows.len() {
                        for c in 0..columns.len() {
                            row.push(
                                cells
                                    .get(r)
                                    .and_then(|cols| cols.get(c))
                                    .cloned()
                                    .unwrap_or_default(),
                            );
                        }
                    }
                }
                (_, Some(answer)) => row.push(answer_text(q, answer)),
                (_, None) => row.push(String::new()),
            }
        }
        row.push(crate::export::demo_cell(response.demo));
        table.rows.push(row);
    }
    Ok(table)
}

async fn responses_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    csv: CsvRequest,
) -> Result<Response, WebError> {
    responses_table(&state, &viewer, &key).await?.download(
        ExportFormat::Csv(csv),
        &format!("form-{key}-responses"),
        "回答",
    )
}

async fn responses_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    responses_table(&state, &viewer, &key).await?.download(
        ExportFormat::Xlsx,
        &format!("form-{key}-responses"),
        "回答",
    )
}

// ---------------------------------------------------------------- answering by link

#[derive(Template, WebTemplate)]
#[template(path = "surveys/answer.html")]
struct LinkPage {
    layout: Layout,
    token: String,
    form: Form,
    company_name: String,
    questions: String,
    /// A submitted response read back.
    answers: String,
    errors: Vec<String>,
    status: &'static str,
    submitted: bool,
    open: bool,
    period: String,
    saved_at: String,
}

/// The page of an answer link: the questions with what was typed, or the
/// submitted answers read back.
fn link_page_for(
    viewer: &Viewer,
    token: String,
    link: surveys::Link,
    raw: &RawAnswers,
    errors: &[Invalid],
    notice: Option<String>,
) -> LinkPage {
    let form = link.form;
    let definition = &form.latest.definition;
    let belongs = |field: &str, id: &str| field == id || field.starts_with(&format!("{id}["));
    let mut summary: Vec<String> = errors
        .iter()
        .filter(|e| !definition.questions().any(|q| belongs(&e.field, &q.id)))
        .map(|e| e.reason.clone())
        .collect();
    for error in errors {
        if let Some(q) = definition
            .questions()
            .find(|q| belongs(&error.field, &q.id))
        {
            summary.push(format!("{}：{}", q.label, error.reason));
        }
    }
    let response = link.response.as_ref();
    let submitted = response.is_some_and(|r| r.status == ResponseStatus::Submitted);
    LinkPage {
        layout: Layout::for_viewer(format!("{}（回答）", form.title), viewer).with_notice(notice),
        questions: super::forms::questions_html(definition, raw, errors),
        answers: response
            .filter(|_| submitted)
            .map(|r| super::forms::answers_html(definition, &r.raw))
            .unwrap_or_default(),
        errors: summary,
        status: response.map_or("未回答", |r| r.status.label()),
        submitted,
        open: form.period.state_on(japan_day(chrono::Utc::now())) == PeriodState::Open,
        period: form.period.label(),
        saved_at: response
            .map(|r| crate::view::tokyo_time(r.updated_at))
            .unwrap_or_default(),
        company_name: link.company_name,
        token,
        form,
    }
}

/// An unknown link: a Japanese 404 that says what to do.
fn unknown_link() -> WebError {
    WebError::NotFound(
        "この回答リンクは見つかりません。お送りしたメールのリンクをもう一度お確かめいただくか、調査を行っている団体にお問い合わせください。".into(),
    )
}

async fn open_link(state: &AppState, token: &str) -> Result<surveys::Link, WebError> {
    match surveys::open(&state.store, token).await {
        Ok(link) => on_answered_version(state, link).await,
        Err(StoreError::NotFound { .. }) => Err(unknown_link()),
        Err(other) => Err(other.into()),
    }
}

/// The link's form as the version its company answers (see `answered_version`).
async fn on_answered_version(
    state: &AppState,
    mut link: surveys::Link,
) -> Result<surveys::Link, WebError> {
    link.form = super::forms::answered_version(state, link.form, link.response.as_ref()).await?;
    Ok(link)
}

async fn link_page(
    State(state): State<AppState>,
    mut viewer: Viewer,
    Path(token): Path<String>,
    Query(query): Query<TrackingQuery>,
) -> Result<Response, WebError> {
    // Staff looking at a link from the tracking list do not count as the company.
    let staff = viewer.acting_user().is_some_and(|u| u.role.keeps_records());
    let link = match surveys::open_as(&state.store, &token, !staff).await {
        Ok(link) => on_answered_version(&state, link).await?,
        Err(StoreError::NotFound { .. }) => return Err(unknown_link()),
        Err(other) => return Err(other.into()),
    };
    // The page offers a form to an anonymous visitor: it needs a session token.
    viewer.ensure_csrf().await?;
    let raw = link
        .response
        .as_ref()
        .map(|r| r.raw.clone())
        .unwrap_or_default();
    let notice = match query.done.as_deref() {
        Some("saved") => {
            Some("一時保存しました。このリンクからいつでも続きを入力できます。".to_owned())
        }
        Some("submitted") => {
            Some("ご回答ありがとうございました。提出を受け付けました。".to_owned())
        }
        _ => None,
    };
    let mut response = link_page_for(&viewer, token, link, &raw, &[], notice).into_response();
    // The link is the respondent's key: keep it out of caches and referrers.
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}

async fn link_answer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    body: super::forms::AnswerBody,
) -> Result<Response, WebError> {
    let link = open_link(&state, &token).await?;
    let (raw, file_errors) = super::forms::read_answers(
        &state,
        None,
        &link.form,
        &link.company_key,
        link.response.as_ref().map(|r| &r.raw),
        &body,
    )
    .await?;
    let submit = body
        .fields
        .iter()
        .any(|(name, value)| name == "intent" && value == "submit");
    let result = if submit && file_errors.is_empty() {
        surveys::submit(&state.store, &token, &raw).await
    } else {
        surveys::save_draft(&state.store, &token, &raw).await
    };
    let (status, errors) = match result {
        Ok(_) if file_errors.is_empty() => {
            let done = if submit { "submitted" } else { "saved" };
            return Ok(Redirect::to(&format!("/s/{token}?done={done}")).into_response());
        }
        Ok(_) => (StatusCode::UNPROCESSABLE_ENTITY, file_errors),
        Err(StoreError::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Err(StoreError::Conflict(message)) => {
            (StatusCode::CONFLICT, vec![Invalid::new("form", message)])
        }
        Err(StoreError::NotFound { .. }) => return Err(unknown_link()),
        Err(other) => return Err(other.into()),
    };
    // Re-read what is stored (a second submission shows the submitted answers),
    // and refill the questions with what was typed now.
    let mut link = open_link(&state, &token).await?;
    if status == StatusCode::CONFLICT {
        // Show the refusal with the typed text, not the read-back.
        if let Some(r) = link.response.as_mut() {
            r.status = ResponseStatus::Draft;
        }
    }
    let page = link_page_for(&viewer, token, link, &raw, &errors, None);
    Ok((status, page).into_response())
}

/// Autosave from `forms.js`: keeps what was typed as the draft; answers with the
/// time in JSON.
async fn link_autosave(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: super::forms::AnswerBody,
) -> Result<Response, WebError> {
    let link = open_link(&state, &token).await?;
    let raw = link.form.latest.definition.raw_from_fields(&body.fields);
    match surveys::save_draft(&state.store, &token, &raw).await {
        Ok(saved) => Ok(axum::Json(serde_json::json!({
            "saved_at": crate::view::tokyo_time(saved.updated_at),
        }))
        .into_response()),
        Err(StoreError::Conflict(message)) => Ok((
            StatusCode::CONFLICT,
            axum::Json(serde_json::json!({"error": message})),
        )
            .into_response()),
        Err(StoreError::NotFound { .. }) => Err(unknown_link()),
        Err(other) => Err(other.into()),
    }
}
