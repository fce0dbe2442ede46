//! Staff import companies into the directory from a file: their own list (CSV in
//! UTF-8 or Shift_JIS, or XLSX) or the NTA corporate-number file. The page reports
//! what was added and updated and the refused rows with their reasons (the first
//! ones; all are counted); large NTA files go through `renkei import nta` on the
//! server instead (uploads stop at 2MB). A file the readers refuse whole (unreadable,
//! or over `import::Budget::UPLOAD`: a decompression bomb) gets a 422 with the
//! reason in Japanese.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use store::StoreError;
use store::import::{ImportStats, RefusedRows, RejectedRow};
use store::organisations;

use crate::auth::Viewer;
use crate::view::Layout;
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new().route("/companies/import", get(form).post(upload))
}

/// Rows of the report shown on the page (the rest are counted).
const REPORT_ROWS: usize = 300;

#[derive(Template, WebTemplate)]
#[template(path = "companies/import.html")]
struct ImportPage {
    layout: Layout,
    kind: String,
    all_cities: bool,
    result: Option<ImportStats>,
    rejected: Vec<RejectedRow>,
    rejected_total: u64,
    /// Said when only the first refused rows are listed.
    rejected_note: Option<String>,
    unknown_headers: Vec<String>,
    errors: Vec<String>,
    file_name: String,
    headers: String,
}

fn page(viewer: &Viewer) -> Result<ImportPage, WebError> {
    let actor = viewer.actor()?;
    if !actor.role.keeps_records() {
        return Err(StoreError::forbidden("企業の取り込みは団体の職員のみができます。").into());
    }
    Ok(ImportPage {
        layout: Layout::for_viewer("企業を一覧ファイルから取り込む", viewer),
        kind: "list".into(),
        all_cities: false,
        result: None,
        rejected: Vec::new(),
        rejected_total: 0,
        rejected_note: None,
        unknown_headers: Vec::new(),
        errors: Vec::new(),
        file_name: String::new(),
        headers: import::list::TEMPLATE_HEADERS.join(","),
    })
}

/// A file whose reading stopped part way (broken, or over the upload budget while it
/// streamed) is refused whole: nothing of it is written, and the page says why.
pub(super) fn refuse_broken(errors: &mut Vec<String>, rejected: &RefusedRows) {
    if let Some(fatal) = &rejected.fatal {
        errors.push(format!(
            "ファイルを最後まで読めませんでした。{}",
            fatal.reason
        ));
        errors.push("取り込みは行いませんでした（ファイル全体が取り消されています）。".into());
    }
}

async fn form(viewer: Viewer) -> Result<ImportPage, WebError> {
    page(&viewer)
}

async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let mut page = page(&viewer)?;
    let mut bytes = Vec::new();
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name().unwrap_or("") {
            "kind" => page.kind = field.text().await.unwrap_or_default(),
            "all_cities" => page.all_cities = field.text().await.is_ok_and(|v| v == "1"),
            "file" => {
                page.file_name = field.file_name().unwrap_or("").to_owned();
                match field.bytes().await {
                    Ok(b) => bytes = b.to_vec(),
                    Err(_) => page.errors.push(
                        "ファイルを受け取れませんでした（2MBまで）。大きな法人番号データはサーバーで renkei import nta を使ってください。".into(),
                    ),
                }
            }
            _ => {}
        }
    }
    if bytes.is_empty() && page.errors.is_empty() {
        page.errors
            .push("取り込むファイルを選んでください。".into());
    }
    if !page.errors.is_empty() {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let directory = organisations::directory(&state.store).await?;
    let outcome = if page.kind == "nta" {
        if !actor.is_secretariat() {
            return Err(StoreError::forbidden(
                "法人番号データの取り込みは協議会事務局のみができます。",
            )
            .into());
        }
        // An upload is small (`import::Budget::UPLOAD` bounds what it unpacks to): read
        // it whole, then write.
        let mut rejected = RefusedRows::default();
        let read = import::nta::Reader::from_bytes(&bytes, None).map(|mut reader| {
            store::import::read_nta_chunk(&mut reader, usize::MAX, &mut rejected)
        });
        match read {
            Ok(_) if rejected.fatal.is_some() => {
                refuse_broken(&mut page.errors, &rejected);
                None
            }
            Ok((companies, _, _)) => {
                let mut stats = ImportStats::default();
                for batch in companies.chunks(store::import::NTA_BATCH) {
                    stats.add(
                        &store::import::upsert_nta(&state.store, batch, page.all_cities).await?,
                    );
                }
                Some((stats, rejected))
            }
            Err(error) => {
                page.errors.push(format!("ファイルを読めません: {error}"));
                None
            }
        }
    } else {
        let year = {
            use chrono::Datelike;
            domain::time::japan_today().year()
        };
        // The reader is not Send: read the whole list before writing.
        let prepared =
            import::list::from_bytes(&bytes, import::list::ListFormat::Auto).map(|reader| {
                let unknown = reader.unknown_headers().to_vec();
                (
                    unknown,
                    store::import::prepare_list(reader, &directory, year),
                )
            });
        match prepared {
            Ok((_, (_, rejected))) if rejected.fatal.is_some() => {
                refuse_broken(&mut page.errors, &rejected);
                None
            }
            Ok((unknown, (rows, rejected))) => {
                page.unknown_headers = unknown;
                match store::import::upsert_list(&state.store, &actor, &rows).await {
                    Ok(stats) => Some((stats, rejected)),
                    Err(StoreError::Forbidden { reason }) => {
                        page.errors.push(reason);
                        page.errors.push(
                            "取り込みは行いませんでした（ファイル全体が取り消されています）。"
                                .into(),
                        );
                        None
                    }
                    Err(other) => return Err(other.into()),
                }
            }
            Err(error) => {
                page.errors.push(format!("ファイルを読めません: {error}"));
                None
            }
        }
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    if let Some((stats, rejected)) = outcome {
        page.result = Some(stats);
        page.rejected_total = rejected.total;
        page.rejected = rejected.rows.into_iter().take(REPORT_ROWS).collect();
        if page.rejected_total > page.rejected.len() as u64 {
            page.rejected_note = Some(format!(
                "取り込めなかった行は全部で{}件です。ここには先頭の{}件だけを載せています。",
                page.rejected_total,
                page.rejected.len()
            ));
        }
    }
    Ok((status, page).into_response())
}
