//! Matching fairs (商談会): the list and the staff's form for a new fair, one fair
//! with its participants, meeting requests (request, accept, decline), reminders
//! of unanswered requests and the deadline pass that expires them, the scheduler
//! run and locks; each participant's own schedule as a page and `.ics`; the table
//! plan per slot, the wall grid and the schedule as CSV/XLSX for staff; after the
//! fair, each meeting's outcome, which opens or moves on a negotiation (商談).
//!
//! Fairs are for signed-in users. What each may see and do is decided by the store's
//! `Fair` (staff of the owning organisation, members of a participating company).

use std::time::Duration;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::fairs::{
    FairDraft, FairInput, FairRole, MeetingOutcome, RequestPriority, RequestStatus,
    parse_availability,
};
use icalendar::{Calendar, Component, EventLike};
use store::fairs::{self, Fair, MeetingRequest};
use store::organisations;

use super::query_pairs;
use crate::auth::Viewer;
use crate::export::{CsvRequest, ExportFormat, Table};
use crate::form::FormData;
use crate::view::{self, Layout};
use crate::{AppState, WebError};
use domain::time::japan_today;

/// How long a scheduling run from the page may take.
const SCHEDULE_BUDGET: Duration = Duration::from_secs(2);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/fairs", get(list).post(create))
        .route("/fairs/{key}", get(detail))
        .route("/fairs/{key}/edit", get(edit_form).post(update))
        .route("/fairs/{key}/participants", post(save_participant))
        .route("/fairs/{key}/requests", post(request_meeting))
        .route("/fairs/{key}/requests/{id}/answer", post(answer))
        .route("/fairs/{key}/requests/{id}/lock", post(lock))
        .route("/fairs/{key}/schedule", post(run_schedule))
        .route("/fairs/{key}/expire", post(expire))
        .route(
            "/fairs/{key}/requests/{id}/outcome",
            get(outcome_form).post(outcome),
        )
        .route("/fairs/{key}/plan", get(plan))
        .route("/fairs/{key}/wall", get(wall))
        .route("/fairs/{key}/schedule.csv", get(schedule_csv))
        .route("/fairs/{key}/schedule.xlsx", get(schedule_xlsx))
        .route("/fairs/{key}/reminders.csv", get(reminders_csv))
        .route("/fairs/{key}/companies/{company}", get(personal))
}

fn label(field: &str) -> &'static str {
    match field {
        "name" => "商談会名",
        "date" => "開催日",
        "start_time" => "開始時刻",
        "slot_count" => "枠の数",
        "slot_minutes" => "1枠の長さ",
        "table_count" => "テーブル数",
        "request_deadline" => "申込締切",
        "request_cap" => "申込の上限",
        "event" => "イベント",
        "organisation" => "主催団体",
        "company" => "企業",
        "role" => "区分",
        "available" => "参加できる枠",
        "from" => "申し込む企業",
        "to" => "相手の企業",
        "priority" => "希望度",
        "outcome" => "面談の結果",
        "on_date" => "記録日",
        "note" => "メモ",
        "amount" => "金額",
        _ => "入力",
    }
}

// ---------------------------------------------------------------- list and form

#[derive(Template, WebTemplate)]
#[template(path = "fairs/list.html")]
struct ListPage {
    layout: Layout,
    /// (key, name, date, owner, participants, requests)
    rows: Vec<(String, String, String, String, usize, usize)>,
    /// Organisations the viewer may create fairs for (key, name).
    organisations: Vec<(String, String)>,
    form: FairInput,
    organisation: String,
    errors: Vec<String>,
}

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    form: FairInput,
    organisation: String,
    errors: Vec<String>,
) -> Result<ListPage, WebError> {
    let actor = viewer.actor()?;
    let all = fairs::list(&state.store).await?;
    let directory = organisations::directory(&state.store).await?;
    Ok(ListPage {
        layout: Layout::for_viewer("商談会", viewer),
        rows: all
            .iter()
            .map(|f| {
                (
                    f.key.clone(),
                    f.name.clone(),
                    f.date.to_string(),
                    f.owner.name.clone(),
                    f.participants.len(),
                    f.requests.len(),
                )
            })
            .collect(),
        organisations: directory
            .organisations
            .iter()
            .filter(|o| actor.may_edit_events_of(o.id))
            .map(|o| (o.key.clone(), o.name.clone()))
            .collect(),
        form,
        organisation,
        errors,
    })
}

async fn list(State(state): State<AppState>, viewer: Viewer) -> Result<ListPage, WebError> {
    let form = FairInput {
        start_time: "13:00".into(),
        slot_count: "20".into(),
        slot_minutes: "15".into(),
        table_count: "10".into(),
        request_cap: "10".into(),
        ..Default::default()
    };
    list_page(&state, &viewer, form, String::new(), Vec::new()).await
}

fn fair_input(form: &FormData) -> FairInput {
    FairInput {
        name: form.get("name").to_owned(),
        date: form.get("date").to_owned(),
        start_time: form.get("start_time").to_owned(),
        slot_count: form.get("slot_count").to_owned(),
        slot_minutes: form.get("slot_minutes").to_owned(),
        table_count: form.get("table_count").to_owned(),
        request_deadline: form.get("request_deadline").to_owned(),
        request_cap: form.get("request_cap").to_owned(),
        event: form.get("event").to_owned(),
    }
}

async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let input = fair_input(&form);
    let organisation = form.get("organisation").to_owned();
    let result = async {
        let draft = FairDraft::parse(&input)?;
        fairs::create(&state.store, &actor, &organisation, &draft).await
    }
    .await;
    match result {
        Ok(fair) => Ok(Redirect::to(&format!("/fairs/{}?done=created", fair.key)).into_response()),
        Err(error) => {
            let (status, errors) = super::form_errors(error, label)?;
            let page = list_page(&state, &viewer, input, organisation, errors).await?;
            Ok((status, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "fairs/edit.html")]
struct EditPage {
    layout: Layout,
    key: String,
    form: FairInput,
    errors: Vec<String>,
}

async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<EditPage, WebError> {
    let actor = viewer.actor()?;
    let fair = fairs::get(&state.store, &key).await?;
    if !fair.editable_by(Some(&actor)) {
        return Err(
            store::StoreError::forbidden("この商談会は主催団体の職員のみが変更できます。").into(),
        );
    }
    Ok(EditPage {
        layout: Layout::for_viewer(format!("{}の設定", fair.name), &viewer),
        form: FairInput {
            name: fair.name.clone(),
            date: fair.date.to_string(),
            start_time: fair.start_time.format("%H:%M").to_string(),
            slot_count: fair.slot_count.to_string(),
            slot_minutes: fair.slot_minutes.to_string(),
            table_count: fair.table_count.to_string(),
            request_deadline: fair.request_deadline.to_string(),
            request_cap: fair.request_cap.to_string(),
            event: fair.event.map(|e| e.0).unwrap_or_default(),
        },
        key,
        errors: Vec::new(),
    })
}

async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let input = fair_input(&form);
    let result = async {
        let draft = FairDraft::parse(&input)?;
        fairs::update(&state.store, &actor, &key, &draft).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/fairs/{key}?done=saved")).into_response()),
        Err(error) => {
            let (status, errors) = super::form_errors(error, label)?;
            let page = EditPage {
                layout: Layout::for_viewer("商談会の設定", &viewer),
                key,
                form: input,
                errors,
            };
            Ok((status, page).into_response())
        }
    }
}

// ---------------------------------------------------------------- one fair

pub struct ParticipantRow {
    company_key: String,
    name: String,
    city: String,
    role: &'static str,
    available: String,
    meetings: usize,
    own: bool,
    demo: bool,
}

pub struct RequestRow {
    id: i64,
    from: String,
    to: String,
    priority: &'static str,
    status: &'static str,
    place: String,
    unplaced: String,
    may_answer: bool,
    pending: bool,
    placed: bool,
    locked: bool,
    /// The outcome recorded after the fair: negotiation key and stage label.
    negotiation: Option<(String, &'static str)>,
    /// Whether the viewer may record the outcome now (the fair's day has come).
    may_record: bool,
}

/// What was typed into the fair page's forms, kept when one is refused.
#[derive(Default)]
pub struct Typed {
    company: String,
    role: String,
    available: String,
    from: String,
    to: String,
    priority: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "fairs/detail.html")]
struct DetailPage {
    layout: Layout,
    fair: Fair,
    time_range: String,
    can_edit: bool,
    participants: Vec<ParticipantRow>,
    /// Participants the viewer may request for (company key, name).
    own: Vec<(String, String)>,
    /// Every participant (company key, name, role).
    everyone: Vec<(String, String, &'static str)>,
    requests: Vec<RequestRow>,
    roles: Vec<(&'static str, &'static str)>,
    priorities: Vec<(&'static str, &'static str)>,
    placed: usize,
    unplaced: usize,
    scheduled_at: String,
    /// Staff: the companies with requests still to answer.
    reminders: Vec<fairs::Reminder>,
    /// Requests the viewer's own companies have been asked and not answered.
    my_unanswered: usize,
    deadline_passed: bool,
    errors: Vec<String>,
    typed: Typed,
}

fn place_label(fair: &Fair, r: &MeetingRequest) -> String {
    match (r.slot, r.table) {
        (Some(slot), Some(table)) => format!("{}・テーブル{}", fair.slot_label(slot), table + 1),
        _ => String::new(),
    }
}

async fn detail_page(
    state: &AppState,
    viewer: &Viewer,
    key: &str,
    notice: Option<String>,
    errors: Vec<String>,
    typed: Typed,
) -> Result<DetailPage, WebError> {
    let actor = viewer.actor()?;
    let fair = fairs::get(&state.store, key).await?;
    let me = Some(&actor);
    let can_edit = fair.editable_by(me);
    let today = japan_today();
    let fair_day_reached = today >= fair.date;
    let (first, _) = fair.slot_times(0);
    let (_, last) = fair.slot_times(fair.slot_count.saturating_sub(1));
    let participants = fair
        .participants
        .iter()
        .map(|p| ParticipantRow {
            company_key: p.company_key.clone(),
            name: p.company_name.clone(),
            city: p.city_name.clone(),
            role: p.role.label(),
            available: fair.availability_label(p),
            meetings: fair.meetings_of(p.id).len(),
            own: fair.may_act_for(me, p),
            demo: p.demo,
        })
        .collect();
    let requests = fair
        .requests_visible_to(me)
        .into_iter()
        .map(|r| RequestRow {
            id: r.id,
            from: fair.participant_name(r.from).to_owned(),
            to: fair.participant_name(r.to).to_owned(),
            priority: r.priority.label(),
            status: r.status.label(),
            place: place_label(&fair, r),
            unplaced: r.unplaced_reason.clone().unwrap_or_default(),
            may_answer: fair
                .participant(r.to)
                .is_some_and(|p| fair.may_act_for(me, p)),
            pending: r.status == RequestStatus::Pending,
            placed: r.slot.is_some(),
            locked: r.locked,
            negotiation: r
                .negotiation
                .as_ref()
                .map(|(key, stage)| (key.clone(), stage.label())),
            may_record: fair_day_reached
                && r.status == RequestStatus::Accepted
                && [r.from, r.to].iter().any(|id| {
                    fair.participant(*id)
                        .is_some_and(|p| fair.may_act_for(me, p))
                }),
        })
        .collect();
    let mine: Vec<i64> = fair.represented_by(me).iter().map(|p| p.id).collect();
    let my_unanswered = if can_edit {
        0
    } else {
        fair.requests
            .iter()
            .filter(|r| r.status == RequestStatus::Pending && mine.contains(&r.to))
            .count()
    };
    let accepted = fair
        .requests
        .iter()
        .filter(|r| r.status == RequestStatus::Accepted)
        .count();
    let placed = fair.meetings().len();
    Ok(DetailPage {
        layout: Layout::for_viewer(fair.name.clone(), viewer).with_notice(notice),
        time_range: format!("{}–{}", first.format("%H:%M"), last.format("%H:%M")),
        can_edit,
        participants,
        own: fair
            .represented_by(me)
            .iter()
            .map(|p| (p.company_key.clone(), p.company_name.clone()))
            .collect(),
        everyone: fair
            .participants
            .iter()
            .map(|p| {
                (
                    p.company_key.clone(),
                    p.company_name.clone(),
                    p.role.label(),
                )
            })
            .collect(),
        requests,
        roles: FairRole::ALL
            .iter()
            .map(|r| (r.code(), r.label()))
            .collect(),
        priorities: RequestPriority::ALL
            .iter()
            .map(|p| (p.code(), p.label()))
            .collect(),
        placed,
        unplaced: if fair.scheduled_at.is_some() {
            accepted.saturating_sub(placed)
        } else {
            0
        },
        scheduled_at: fair
            .scheduled_at
            .map(|t| {
                // Tokyo has no daylight saving: UTC+9 all year.
                domain::time::in_japan(t)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default(),
        reminders: if can_edit {
            fair.reminders()
        } else {
            Vec::new()
        },
        my_unanswered,
        deadline_passed: fair.deadline_passed(today),
        errors,
        typed,
        fair,
    })
}

async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<DetailPage, WebError> {
    let query = query_pairs(raw.as_deref());
    detail_page(
        &state,
        &viewer,
        &key,
        view::notice(Some(query.get("done"))),
        Vec::new(),
        Typed::default(),
    )
    .await
}

/// Redirects back to the fair after a change, or shows the fair with the errors and
/// what was typed.
async fn after_change(
    state: &AppState,
    viewer: &Viewer,
    key: &str,
    result: Result<(), store::StoreError>,
    typed: Typed,
    done: &str,
) -> Result<Response, WebError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/fairs/{key}?done={done}")).into_response()),
        Err(error) => {
            let (status, errors) = super::form_errors(error, label)?;
            let page = detail_page(state, viewer, key, None, errors, typed).await?;
            Ok((status, page).into_response())
        }
    }
}

async fn save_participant(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let typed = Typed {
        company: form.get("company").to_owned(),
        role: form.get("role").to_owned(),
        available: form.get("available").to_owned(),
        ..Typed::default()
    };
    let result = async {
        let fair = fairs::get(&state.store, &key).await?;
        let role = FairRole::parse(&typed.role)?;
        let available = parse_availability(&typed.available, fair.slot_count)?;
        fairs::save_participant(&state.store, &actor, &key, &typed.company, role, &available)
            .await
            .map(|_| ())
    }
    .await;
    after_change(&state, &viewer, &key, result, typed, "saved").await
}

async fn request_meeting(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let typed = Typed {
        from: form.get("from").to_owned(),
        to: form.get("to").to_owned(),
        priority: form.get("priority").to_owned(),
        ..Typed::default()
    };
    let result = async {
        let priority = RequestPriority::parse(&typed.priority)?;
        let today = japan_today();
        fairs::request_meeting(
            &state.store,
            &actor,
            &key,
            &typed.from,
            &typed.to,
            priority,
            today,
        )
        .await
        .map(|_| ())
    }
    .await;
    after_change(&state, &viewer, &key, result, typed, "requested").await
}

async fn answer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let accept = match form.get("answer") {
        "accept" => true,
        "decline" => false,
        _ => return Err(WebError::BadRequest("回答を選んでください。".into())),
    };
    let result = fairs::answer(&state.store, &actor, &key, id, accept)
        .await
        .map(|_| ());
    after_change(&state, &viewer, &key, result, Typed::default(), "answered").await
}

async fn lock(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let locked = form.get("lock") == "1";
    let result = fairs::set_locked(&state.store, &actor, &key, id, locked)
        .await
        .map(|_| ());
    after_change(&state, &viewer, &key, result, Typed::default(), "saved").await
}

async fn run_schedule(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let keep_previous = form.get("keep_previous") == "1";
    let result = fairs::schedule(&state.store, &actor, &key, keep_previous, SCHEDULE_BUDGET)
        .await
        .map(|_| ());
    after_change(&state, &viewer, &key, result, Typed::default(), "scheduled").await
}

/// The deadline pass: unanswered requests expire once the request deadline is over.
async fn expire(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let result = fairs::expire_unanswered(&state.store, &actor, &key, japan_today())
        .await
        .map(|_| ());
    after_change(&state, &viewer, &key, result, Typed::default(), "expired").await
}

// ---------------------------------------------------------------- outcomes

#[derive(Template, WebTemplate)]
#[template(path = "fairs/outcome.html")]
struct OutcomePage {
    layout: Layout,
    fair_key: String,
    fair_name: String,
    request_id: i64,
    /// "A × B" and where they met.
    pair: String,
    place: String,
    /// The negotiation the outcome started, if one was recorded (key, stage label).
    negotiation: Option<(String, &'static str)>,
    outcomes: Vec<(&'static str, &'static str)>,
    typed: OutcomeTyped,
    errors: Vec<String>,
}

/// The outcome form as typed.
#[derive(Default)]
pub struct OutcomeTyped {
    outcome: String,
    on_date: String,
    note: String,
    amount: String,
}

async fn outcome_page(
    state: &AppState,
    viewer: &Viewer,
    key: &str,
    id: i64,
    typed: OutcomeTyped,
    errors: Vec<String>,
) -> Result<OutcomePage, WebError> {
    let actor = viewer.actor()?;
    let fair = fairs::get(&state.store, key).await?;
    let request = fair
        .requests_visible_to(Some(&actor))
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| WebError::NotFound("面談".into()))?;
    Ok(OutcomePage {
        layout: Layout::for_viewer(format!("面談の結果（{}）", fair.name), viewer),
        fair_key: fair.key.clone(),
        fair_name: fair.name.clone(),
        request_id: id,
        pair: format!(
            "{} × {}",
            fair.participant_name(request.from),
            fair.participant_name(request.to)
        ),
        place: place_label(&fair, request),
        negotiation: request
            .negotiation
            .as_ref()
            .map(|(k, stage)| (k.clone(), stage.label())),
        outcomes: MeetingOutcome::ALL
            .iter()
            .map(|o| (o.code(), o.label()))
            .collect(),
        typed,
        errors,
    })
}

async fn outcome_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, id)): Path<(String, i64)>,
) -> Result<OutcomePage, WebError> {
    let typed = OutcomeTyped {
        on_date: japan_today().to_string(),
        ..OutcomeTyped::default()
    };
    outcome_page(&state, &viewer, &key, id, typed, Vec::new()).await
}

/// Reads an amount in yen as typed: digits with optional commas and 円, full or
/// half width; empty is none.
fn parse_amount(text: &str) -> Result<Option<f64>, domain::Invalid> {
    let cleaned: String = domain::text::narrow_ascii(text.trim())
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | '円' | ' '))
        .collect();
    if cleaned.is_empty() {
        return Ok(None);
    }
    cleaned
        .parse::<f64>()
        .ok()
        .filter(|a| a.is_finite() && *a >= 0.0)
        .map(Some)
        .ok_or_else(|| {
            domain::Invalid::new(
                "amount",
                "金額は円単位の数字で入力してください（例: 1200000）。",
            )
        })
}

async fn outcome(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let typed = OutcomeTyped {
        outcome: form.get("outcome").to_owned(),
        on_date: form.get("on_date").to_owned(),
        note: form.get("note").to_owned(),
        amount: form.get("amount").to_owned(),
    };
    let result = async {
        let mut errors = Vec::new();
        let outcome = MeetingOutcome::parse(&typed.outcome).map_err(|e| errors.push(e));
        let on_date =
            domain::events::parse_date("on_date", &typed.on_date).map_err(|e| errors.push(e));
        let amount = parse_amount(&typed.amount).map_err(|e| errors.push(e));
        let (Ok(outcome), Ok(on_date), Ok(amount)) = (outcome, on_date, amount) else {
            return Err(store::StoreError::Invalid(errors));
        };
        fairs::record_outcome(
            &state.store,
            &actor,
            &key,
            id,
            outcome,
            &typed.note,
            amount,
            on_date,
        )
        .await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/fairs/{key}?done=outcome")).into_response()),
        Err(error) => {
            let (status, errors) = super::form_errors(error, label)?;
            let page = outcome_page(&state, &viewer, &key, id, typed, errors).await?;
            Ok((status, page).into_response())
        }
    }
}

// ---------------------------------------------------------------- outputs

/// One slot of a participant's day.
pub struct SlotLine {
    pub(super) slot: String,
    pub(super) with: String,
    pub(super) with_key: String,
    pub(super) table: String,
    pub(super) absent: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "fairs/personal.html")]
struct PersonalPage {
    layout: Layout,
    fair_key: String,
    fair_name: String,
    date: String,
    company_key: String,
    company_name: String,
    meeting_count: usize,
    lines: Vec<SlotLine>,
}

pub(super) fn personal_meetings(
    fair: &Fair,
    participant_id: i64,
) -> Vec<(&MeetingRequest, &str, &str)> {
    fair.meetings_of(participant_id)
        .into_iter()
        .map(|r| {
            let other = if r.from == participant_id {
                r.to
            } else {
                r.from
            };
            let p = fair.participant(other);
            (
                r,
                p.map(|p| p.company_name.as_str()).unwrap_or(""),
                p.map(|p| p.company_key.as_str()).unwrap_or(""),
            )
        })
        .collect()
}

/// The participant whose own schedule the actor may see: the company itself and the
/// fair's organisers (its page, `.ics` and PDF alike); anyone else is told it is not there.
pub(super) fn own_participant<'a>(
    fair: &'a Fair,
    actor: &domain::Actor,
    company: &str,
) -> Result<&'a fairs::Participant, WebError> {
    fair.participant_by_company(company)
        .filter(|p| fair.may_act_for(Some(actor), p))
        .ok_or_else(|| WebError::NotFound("参加企業の予定".into()))
}

/// A company's schedule, one line per slot of the fair: whom it meets at which table,
/// or that it is away.
pub(super) fn slot_lines(
    fair: &Fair,
    participant: &fairs::Participant,
    meetings: &[(&MeetingRequest, &str, &str)],
) -> Vec<SlotLine> {
    (0..fair.slot_count)
        .map(|slot| {
            let found = meetings.iter().find(|(r, _, _)| r.slot == Some(slot));
            SlotLine {
                slot: fair.slot_label(slot),
                with: found.map(|m| m.1.to_owned()).unwrap_or_default(),
                with_key: found.map(|m| m.2.to_owned()).unwrap_or_default(),
                table: found
                    .and_then(|m| m.0.table)
                    .map(|t| format!("テーブル{}", t + 1))
                    .unwrap_or_default(),
                absent: !participant.available.contains(&slot),
            }
        })
        .collect()
}

async fn personal(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, company)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let fair = fairs::get(&state.store, &key).await?;
    let (company, ics) = match company.strip_suffix(".ics") {
        Some(c) => (c.to_owned(), true),
        None => (company, false),
    };
    let participant = own_participant(&fair, &actor, &company)?;
    let meetings = personal_meetings(&fair, participant.id);
    if ics {
        return Ok(personal_ics(
            &state,
            &fair,
            &participant.company_name,
            &meetings,
            &headers,
        ));
    }
    let lines = slot_lines(&fair, participant, &meetings);
    Ok(PersonalPage {
        layout: Layout::for_viewer(
            format!("{}の予定（{}）", participant.company_name, fair.name),
            &viewer,
        ),
        fair_key: fair.key.clone(),
        fair_name: fair.name.clone(),
        date: domain::events::date_label(fair.date),
        company_key: participant.company_key.clone(),
        company_name: participant.company_name.clone(),
        meeting_count: meetings.len(),
        lines,
    }
    .into_response())
}

fn personal_ics(
    state: &AppState,
    fair: &Fair,
    company_name: &str,
    meetings: &[(&MeetingRequest, &str, &str)],
    headers: &HeaderMap,
) -> Response {
    let origin = state.origin(headers);
    let mut calendar = Calendar::new();
    calendar
        .name(&format!("{}（{}）", fair.name, company_name))
        .timezone(store::ical::TZID);
    for (r, other, _) in meetings {
        let Some(slot) = r.slot else { continue };
        let (start, end) = fair.slot_times(slot);
        let table = r
            .table
            .map(|t| format!("テーブル{}", t + 1))
            .unwrap_or_default();
        calendar.push(
            icalendar::Event::new()
                .uid(&format!("fair-{}-{}@renkei", fair.key, r.id))
                .timestamp(fair.scheduled_at.unwrap_or_else(chrono::Utc::now))
                .summary(&format!("商談: {other}（{}）", fair.name))
                .location(&table)
                .description(&format!("{} {}", fair.slot_label(slot), table))
                .url(&format!("{origin}/fairs/{}", fair.key))
                .starts(store::ical::tokyo(start))
                .ends(store::ical::tokyo(end))
                .done(),
        );
    }
    let text = store::ical::with_vtimezone(calendar);
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline; filename=\"fair-schedule.ics\""),
    );
    response
}

/// One table of one slot in the staff's plan.
pub struct PlanTable {
    table: u16,
    pair: String,
    locked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "fairs/plan.html")]
struct PlanPage {
    layout: Layout,
    fair_key: String,
    fair_name: String,
    date: String,
    /// One section per slot: its label and every table (empty ones too, so that
    /// staff see which tables are free).
    slots: Vec<(String, Vec<PlanTable>)>,
}

async fn staff_fair(state: &AppState, viewer: &Viewer, key: &str) -> Result<Fair, WebError> {
    let actor = viewer.actor()?;
    let fair = fairs::get(&state.store, key).await?;
    if !fair.editable_by(Some(&actor)) {
        return Err(store::StoreError::forbidden(
            "テーブル配置表・壁貼り表・書き出しは主催団体の職員のみが見られます。",
        )
        .into());
    }
    Ok(fair)
}

fn pair_label(fair: &Fair, m: &MeetingRequest) -> String {
    format!(
        "{} × {}",
        fair.participant_name(m.from),
        fair.participant_name(m.to)
    )
}

async fn plan(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<PlanPage, WebError> {
    let fair = staff_fair(&state, &viewer, &key).await?;
    let meetings = fair.meetings();
    let slots = (0..fair.slot_count)
        .map(|slot| {
            let tables = (0..fair.table_count)
                .map(|table| {
                    let found = meetings
                        .iter()
                        .find(|m| m.slot == Some(slot) && m.table == Some(table));
                    PlanTable {
                        table: table + 1,
                        pair: found.map(|m| pair_label(&fair, m)).unwrap_or_default(),
                        locked: found.is_some_and(|m| m.locked),
                    }
                })
                .collect();
            (fair.slot_label(slot), tables)
        })
        .collect();
    Ok(PlanPage {
        layout: Layout::for_viewer(format!("{}のテーブル配置表", fair.name), &viewer),
        fair_key: fair.key.clone(),
        fair_name: fair.name.clone(),
        date: domain::events::date_label(fair.date),
        slots,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "fairs/wall.html")]
struct WallPage {
    layout: Layout,
    fair_key: String,
    fair_name: String,
    date: String,
    /// Column heads: slot number and start time.
    slots: Vec<(u16, String)>,
    /// One row per participant: name, role, and per slot the table number (or
    /// `-` where the company is not present).
    rows: Vec<(String, &'static str, Vec<String>)>,
}

/// The wall grid: every participant down the side, every slot across, the table
/// number where each company sits — what is posted at the venue's entrance.
async fn wall(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<WallPage, WebError> {
    let fair = staff_fair(&state, &viewer, &key).await?;
    let mut participants: Vec<&fairs::Participant> = fair.participants.iter().collect();
    participants.sort_by(|a, b| {
        (a.role != FairRole::Buyer, &a.company_name)
            .cmp(&(b.role != FairRole::Buyer, &b.company_name))
    });
    let rows = participants
        .into_iter()
        .map(|p| {
            let meetings = fair.meetings_of(p.id);
            let cells = (0..fair.slot_count)
                .map(
                    |slot| match meetings.iter().find(|m| m.slot == Some(slot)) {
                        Some(m) => m.table.map(|t| format!("{}", t + 1)).unwrap_or_default(),
                        None if !p.available.contains(&slot) => "-".to_owned(),
                        None => String::new(),
                    },
                )
                .collect();
            (p.company_name.clone(), p.role.label(), cells)
        })
        .collect();
    Ok(WallPage {
        layout: Layout::for_viewer(format!("{}の壁貼り表", fair.name), &viewer),
        fair_key: fair.key.clone(),
        fair_name: fair.name.clone(),
        date: domain::events::date_label(fair.date),
        slots: (0..fair.slot_count)
            .map(|slot| {
                (
                    slot + 1,
                    fair.slot_times(slot).0.format("%H:%M").to_string(),
                )
            })
            .collect(),
        rows,
    })
}

/// The reminder list for staff to send out: each company with requests still to
/// answer, how many, and the deadline after which they expire.
async fn reminders_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    csv: CsvRequest,
) -> Result<Response, WebError> {
    let fair = staff_fair(&state, &viewer, &key).await?;
    let mut table = Table::new(&["企業キー", "企業", "未回答の申込", "回答期限"])
        .codes(&["企業キー"])
        .numbers(&["未回答の申込"])
        .dates(&["回答期限"]);
    for r in fair.reminders() {
        table.rows.push(vec![
            r.company_key,
            r.company_name,
            r.unanswered.to_string(),
            fair.request_deadline.to_string(),
        ]);
    }
    table.download(
        ExportFormat::Csv(csv),
        &format!("fair-{key}-reminders"),
        "未回答",
    )
}

fn schedule_table(fair: &Fair) -> Table {
    let mut table = Table::new(&[
        "枠",
        "開始",
        "終了",
        "テーブル",
        "申込企業",
        "相手企業",
        "希望度",
        "固定",
    ])
    .numbers(&["枠", "テーブル"]);
    for m in fair.meetings() {
        let Some(slot) = m.slot else { continue };
        let (start, end) = fair.slot_times(slot);
        table.rows.push(vec![
            (slot + 1).to_string(),
            start.format("%H:%M").to_string(),
            end.format("%H:%M").to_string(),
            m.table.map(|t| (t + 1).to_string()).unwrap_or_default(),
            fair.participant_name(m.from).to_owned(),
            fair.participant_name(m.to).to_owned(),
            m.priority.label().to_owned(),
            if m.locked { "固定" } else { "" }.to_owned(),
        ]);
    }
    table
}

async fn schedule_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    csv: CsvRequest,
) -> Result<Response, WebError> {
    let fair = staff_fair(&state, &viewer, &key).await?;
    schedule_table(&fair).download(ExportFormat::Csv(csv), &format!("fair-{key}"), "面談")
}

async fn schedule_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    let fair = staff_fair(&state, &viewer, &key).await?;
    schedule_table(&fair).download(ExportFormat::Xlsx, &format!("fair-{key}"), "面談")
}
