//! The printed (PDF) versions of pages, each with the same authorisation and the
//! same errors as the page it comes from: a registry entry's certificate, the
//! diagnostic's A4 report and a company's fair schedule. (The annual report's PDF
//! is with the report, `pages::reports`.)

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use store::diagnostics;
use store::fairs;

use super::query_pairs;
use crate::auth::Viewer;
use crate::pdf;
use crate::view::tokyo_time;
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/registry/{slug}/certificate.pdf", get(certificate))
        .route("/forms/{key}/result.pdf", get(diagnosis))
        .route(
            "/fairs/{key}/companies/{company}/schedule.pdf",
            get(fair_schedule),
        )
}

/// Public, like `/registry/{slug}`.
async fn certificate(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let entry = store::applications::registry_entry(&state.store, &slug).await?;
    let data = pdf::certificate(&entry);
    let bytes = pdf::typeset(move || print::certificate(&data)).await?;
    Ok(pdf::response(bytes, &ascii_name("certificate", &slug)))
}

/// The company and the organisation that runs the diagnostic, like
/// `/forms/{key}/result`.
async fn diagnosis(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let query = query_pairs(query.as_deref());
    let (form, response, diagnosis) =
        diagnostics::result(&state.store, &actor, &key, query.get("company")).await?;
    let data = print::DiagnosisReport {
        form: form.title.clone(),
        company: response.company_name.clone(),
        submitted: response.submitted_at.map(tokyo_time).unwrap_or_default(),
        total: diagnosis.as_ref().map(|d| print::DiagnosisTotal {
            percent: d.total.percent,
            band: d.total.band_label.clone(),
            advice: d.total.advice.clone(),
        }),
        areas: diagnosis
            .as_ref()
            .map(|d| {
                d.areas
                    .iter()
                    .map(|a| print::DiagnosisArea {
                        label: a.label.clone(),
                        percent: a.percent,
                        points: a.points,
                        max: a.max,
                        band: a.band_label.clone(),
                        advice: a.advice.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        issuer: form.owner.name.clone(),
        generated: pdf::generated_now(),
    };
    let bytes = pdf::typeset(move || print::diagnosis(&data)).await?;
    Ok(pdf::response(
        bytes,
        &ascii_name(&format!("diagnosis-{key}"), &response.company_key),
    ))
}

/// The company itself and the fair's organisers, like
/// `/fairs/{key}/companies/{company}`.
async fn fair_schedule(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, company)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let fair = fairs::get(&state.store, &key).await?;
    let participant = super::fairs::own_participant(&fair, &actor, &company)?;
    let meetings = super::fairs::personal_meetings(&fair, participant.id);
    let lines = super::fairs::slot_lines(&fair, participant, &meetings)
        .into_iter()
        .map(|line| print::ScheduleLine {
            slot: line.slot,
            with: line.with,
            table: line.table,
            absent: line.absent,
        })
        .collect();
    let data = print::FairSchedule {
        fair: fair.name.clone(),
        date: domain::events::date_label(fair.date),
        company: participant.company_name.clone(),
        meetings: meetings.len(),
        lines,
        generated: pdf::generated_now(),
    };
    let bytes = pdf::typeset(move || print::fair_schedule(&data)).await?;
    Ok(pdf::response(
        bytes,
        &ascii_name(&format!("schedule-{key}"), &participant.company_key),
    ))
}

/// A download name of ASCII letters, digits and hyphens (keys are such already;
/// anything else is dropped rather than put in a header).
fn ascii_name(prefix: &str, key: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    };
    format!("{}-{}.pdf", clean(prefix), clean(key))
}
