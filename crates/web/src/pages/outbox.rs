//! `/admin/outbox`: the mail the platform sends, as the secretariat (all of it) and
//! each organisation's staff (their own programmes' mail) see it — status, tries,
//! the last error, and a button to send a message again; with CSV/XLSX downloads.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use store::outbox::{self, MailMessage, MailStatus, OUTBOX_PAGE_SIZE, OutboxFilter};

use super::query_pairs;
use crate::auth::Viewer;
use crate::export::{CsvRequest, ExportFormat, Table, japan_time};
use crate::view::{Layout, tokyo_time};
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/outbox", get(outbox_page))
        .route("/admin/outbox.csv", get(outbox_csv))
        .route("/admin/outbox.xlsx", get(outbox_xlsx))
        .route("/admin/outbox/{id}/resend", post(resend))
}

struct OutboxRow {
    id: i64,
    created: String,
    sender: String,
    recipient: String,
    subject: String,
    status: &'static str,
    status_code: &'static str,
    tries: i32,
    last_error: String,
    sent: String,
    has_ics: bool,
    may_resend: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/outbox.html")]
struct OutboxPage {
    layout: Layout,
    messages: Vec<OutboxRow>,
    statuses: Vec<(&'static str, &'static str)>,
    status: String,
    total: u64,
    resent: bool,
    prev_page: Option<u64>,
    next_page: Option<u64>,
}

fn filter_of(raw: Option<&str>) -> (OutboxFilter, String) {
    let query = query_pairs(raw);
    let status = MailStatus::parse(query.get("status"));
    (
        OutboxFilter {
            status,
            page: query.get("page").parse().unwrap_or(0),
        },
        status.map(|s| s.code()).unwrap_or_default().to_owned(),
    )
}

fn recipient(message: &MailMessage) -> String {
    if message.recipient_name.is_empty() {
        message.recipient_email.clone()
    } else {
        format!("{} <{}>", message.recipient_name, message.recipient_email)
    }
}

async fn outbox_page(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<OutboxPage, WebError> {
    let actor = viewer.actor()?;
    let (filter, status) = filter_of(raw.as_deref());
    let (messages, total) = outbox::list(&state.store, &actor, &filter).await?;
    let page = filter.page;
    Ok(OutboxPage {
        layout: Layout::for_viewer("送信メール", &viewer),
        messages: messages
            .into_iter()
            .map(|m| OutboxRow {
                id: m.id,
                created: tokyo_time(m.created_at),
                sender: m.sender_name.clone(),
                recipient: recipient(&m),
                subject: m.subject.clone(),
                status: m.status.label(),
                status_code: m.status.code(),
                tries: m.tries,
                last_error: m.last_error.clone(),
                sent: m.sent_at.map(tokyo_time).unwrap_or_default(),
                has_ics: m.has_ics,
                may_resend: matches!(m.status, MailStatus::Sent | MailStatus::Failed),
            })
            .collect(),
        statuses: MailStatus::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        status,
        total,
        resent: query_pairs(raw.as_deref()).get("done") == "resent",
        prev_page: page.checked_sub(1),
        next_page: ((page + 1) * OUTBOX_PAGE_SIZE < total).then_some(page + 1),
    })
}

async fn resend(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let id: i64 = id
        .parse()
        .map_err(|_| WebError::from(store::StoreError::not_found("送信メール")))?;
    outbox::resend(&state.store, &actor, id).await?;
    Ok(Redirect::to("/admin/outbox?done=resent").into_response())
}

async fn outbox_table(
    state: &AppState,
    viewer: &Viewer,
    raw: Option<&str>,
) -> Result<Table, WebError> {
    let actor = viewer.actor()?;
    let (mut filter, _) = filter_of(raw);
    let mut table = Table::new(&[
        "番号",
        "Message-ID",
        "作成日時",
        "差出人",
        "宛先",
        "件名",
        "状態",
        "試行回数",
        "最後のエラー",
        "送信日時",
    ])
    .codes(&["番号"])
    .numbers(&["試行回数"])
    .datetimes(&["作成日時", "送信日時"]);
    filter.page = 0;
    loop {
        let (messages, total) = outbox::list(&state.store, &actor, &filter).await?;
        for m in messages {
            table.rows.push(vec![
                m.id.to_string(),
                m.message_id.clone(),
                japan_time(m.created_at),
                m.sender_name.clone(),
                recipient(&m),
                m.subject,
                m.status.label().to_owned(),
                m.tries.to_string(),
                m.last_error,
                m.sent_at.map(japan_time).unwrap_or_default(),
            ]);
        }
        filter.page += 1;
        if filter.page * OUTBOX_PAGE_SIZE >= total {
            break;
        }
    }
    Ok(table)
}

async fn outbox_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
    csv: CsvRequest,
) -> Result<Response, WebError> {
    outbox_table(&state, &viewer, raw.as_deref())
        .await?
        .download(ExportFormat::Csv(csv), "outbox", "送信メール")
}

async fn outbox_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    outbox_table(&state, &viewer, raw.as_deref())
        .await?
        .download(ExportFormat::Xlsx, "outbox", "送信メール")
}
