//! The shared event calendar's pages: list, month grid, week, clashes between cities,
//! detail, exports, and the staff forms that create, edit and cancel events.
//!
//! Members-only events are shown to signed-in users only; everything else is public.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{Datelike, Duration};
use domain::events::{
    EventDraft, EventInput, EventState, EventType, Month, ResultDraft, ResultInput, date_label,
    parse_date,
};
use domain::time::japan_today;
use domain::{Actor, Invalid, Pillar};
use store::StoreError;
use store::events::{self, Event, EventFilter};
use store::organisations::{self, Directory};

use super::query_pairs;
use crate::auth::Viewer;
use crate::export::{CsvRequest, ExportFormat, Table};
use crate::form::FormData;
use crate::view::{self, Layout, pillar_tag};
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events", get(list).post(create))
        .route("/events.csv", get(export_csv))
        .route("/events.xlsx", get(export_xlsx))
        .route("/events/calendar", get(month))
        .route("/events/week", get(week))
        .route("/events/clashes", get(clashes))
        .route("/events/new", get(new_form))
        .route("/events/{key}", get(detail))
        .route("/events/{key}/edit", get(edit_form).post(update))
        .route("/events/{key}/cancel", get(cancel_form).post(cancel))
        .route(
            "/events/{key}/results",
            get(results_form).post(record_results),
        )
}

/// The filter as typed, kept for refilling the form.
#[derive(Debug, Default, Clone)]
pub struct FilterInput {
    pub q: String,
    pub city: String,
    pub organisation: String,
    pub event_type: String,
    pub pillar: String,
    pub from: String,
    pub to: String,
}

impl FilterInput {
    /// The non-empty filter fields as a query string, for links between views.
    pub fn query(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("q", &self.q),
            ("city", &self.city),
            ("organisation", &self.organisation),
            ("type", &self.event_type),
            ("pillar", &self.pillar),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !value.is_empty() {
                out.append_pair(name, value);
            }
        }
        out.finish()
    }
}

/// Reads the calendar filter from a query string. Values that mean nothing are
/// reported (in Japanese) and ignored, so a bad link still shows a calendar.
pub(crate) fn parse_filter(
    query: &FormData,
    directory: &Directory,
) -> (FilterInput, EventFilter, Vec<String>) {
    let input = FilterInput {
        q: query.get("q").to_owned(),
        city: query.get("city").to_owned(),
        organisation: query.get("organisation").to_owned(),
        event_type: query.get("type").to_owned(),
        pillar: query.get("pillar").to_owned(),
        from: query.get("from").to_owned(),
        to: query.get("to").to_owned(),
    };
    let mut errors = Vec::new();
    fn keep<T>(
        text: &str,
        parse: impl Fn(&str) -> Result<T, Invalid>,
        errors: &mut Vec<String>,
    ) -> Option<T> {
        if text.is_empty() {
            return None;
        }
        parse(text).map_err(|e| errors.push(e.reason)).ok()
    }
    let city = keep(&input.city, |key| city_key(directory, key), &mut errors);
    let organisation = keep(
        &input.organisation,
        |key| {
            directory
                .organisation_by_key(key)
                .map(|o| o.key.clone())
                .ok_or_else(|| {
                    Invalid::new(
                        "organisation",
                        format!("団体「{key}」は登録されていません。"),
                    )
                })
        },
        &mut errors,
    );
    let event_type = keep(&input.event_type, EventType::parse, &mut errors);
    let pillar = keep(&input.pillar, Pillar::parse, &mut errors);
    let from = keep(&input.from, |d| parse_date("from", d), &mut errors);
    let to = keep(&input.to, |d| parse_date("to", d), &mut errors);
    let filter = EventFilter {
        city,
        organisation,
        event_type,
        pillar,
        from,
        to,
        q: input.q.chars().take(200).collect(),
        include_members_only: false,
        include_cancelled: true,
    };
    (input, filter, errors)
}

/// A city by its key or by its 全国地方公共団体コード (`282022`), as feeds for city
/// homepages name it.
pub(crate) fn city_key(directory: &Directory, given: &str) -> Result<String, Invalid> {
    let wanted = given.trim();
    directory
        .cities
        .iter()
        .find(|c| c.key == wanted || c.local_gov_code == wanted || c.name == wanted)
        .map(|c| c.key.clone())
        .ok_or_else(|| {
            Invalid::new(
                "city",
                format!("都市「{wanted}」は協議会の都市ではありません。"),
            )
        })
}

/// The choices every filter form offers.
pub struct Choices {
    cities: Vec<(String, String)>,
    organisations: Vec<(String, String)>,
    types: Vec<(&'static str, &'static str)>,
    pillars: Vec<(String, String)>,
}

fn choices(directory: &Directory) -> Choices {
    Choices {
        cities: directory
            .cities
            .iter()
            .map(|c| (c.key.clone(), c.name.clone()))
            .collect(),
        organisations: directory
            .organisations
            .iter()
            .map(|o| (o.key.clone(), o.name.clone()))
            .collect(),
        types: EventType::ALL
            .iter()
            .map(|t| (t.code(), t.label()))
            .collect(),
        pillars: Pillar::ALL
            .iter()
            .map(|p| (p.number().to_string(), p.heading()))
            .collect(),
    }
}

/// An event as a line of a list.
pub struct Row {
    pub(crate) key: String,
    pub(crate) title: String,
    pub(crate) type_label: &'static str,
    pub(crate) organisation: String,
    pub(crate) city: String,
    pub(crate) when: String,
    pub(crate) pillars: Vec<String>,
    pub(crate) venue: String,
    pub(crate) cancelled: bool,
    /// Past its end or with its results recorded: shown as 終了.
    pub(crate) ended: bool,
    /// The recorded results (実績), as one line.
    pub(crate) result: Option<String>,
    pub(crate) approximate: bool,
    pub(crate) members_only: bool,
}

pub(crate) fn row(event: &Event) -> Row {
    Row {
        key: event.key.clone(),
        title: event.title.clone(),
        type_label: event.event_type.label(),
        organisation: event.organisation.name.clone(),
        city: event.city.name.clone(),
        when: event.time.label(),
        pillars: event.pillars.iter().map(pillar_tag).collect(),
        venue: event.venue.clone(),
        cancelled: event.is_cancelled(),
        ended: event.state() == EventState::Ended,
        result: event.result.as_ref().map(|r| r.label()),
        approximate: event.date_is_approximate,
        members_only: event.members_only,
    }
}

/// What every calendar view shares: the filter form and the switch between views.
struct Frame {
    filter: FilterInput,
    filter_errors: Vec<String>,
    choices: Choices,
    /// The filter as a query string (for links to other views and exports).
    query: String,
    can_create: bool,
    /// Which view is showing: `list`, `month`, `week`, `clashes`.
    view: &'static str,
    /// Extra hidden fields the filter form keeps (the month being shown).
    hidden: Vec<(&'static str, String)>,
}

async fn frame(
    state: &AppState,
    viewer: &Viewer,
    raw: Option<&str>,
    title: &str,
    view: &'static str,
) -> Result<(Layout, Frame, EventFilter, FormData), WebError> {
    let query = query_pairs(raw);
    let directory = organisations::directory(&state.store).await?;
    let (input, mut filter, filter_errors) = parse_filter(&query, &directory);
    filter.include_members_only = viewer.acting_user().is_some();
    let can_create = viewer.acting_user().is_some_and(|u| u.role.keeps_records());
    Ok((
        Layout::for_viewer(title, viewer).with_notice(view::notice(Some(query.get("done")))),
        Frame {
            query: input.query(),
            filter: input,
            filter_errors,
            choices: choices(&directory),
            can_create,
            view,
            hidden: Vec::new(),
        },
        filter,
        query,
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "events/list.html")]
struct ListPage {
    layout: Layout,
    frame: Frame,
    rows: Vec<Row>,
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<ListPage, WebError> {
    let (layout, frame, filter, _) = frame(
        &state,
        &viewer,
        raw.as_deref(),
        "イベントカレンダー",
        "list",
    )
    .await?;
    let events = events::list(&state.store, &filter).await?;
    Ok(ListPage {
        layout,
        frame,
        rows: events.iter().map(row).collect(),
    })
}

/// One day of the month grid.
struct DayCell {
    day: u32,
    label: String,
    /// `sat`, `sun` or `holiday` (and `today`), for the cell's class.
    classes: String,
    /// The national holiday's name, written in the cell (not told by colour only).
    holiday: Option<&'static str>,
    is_today: bool,
    events: Vec<Row>,
}

/// The classes of a day's cell: its kind (土曜・日曜・祝日) and whether it is today.
fn day_classes(date: chrono::NaiveDate, is_today: bool) -> String {
    let kind = domain::holidays::DayKind::of(date).class();
    match (kind.is_empty(), is_today) {
        (true, true) => "today".to_owned(),
        (false, true) => format!("{kind} today"),
        _ => kind.to_owned(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "events/month.html")]
struct MonthPage {
    layout: Layout,
    frame: Frame,
    month_label: String,
    previous: String,
    next: String,
    weekdays: [&'static str; 7],
    weeks: Vec<Vec<Option<DayCell>>>,
    count: usize,
    month_error: Option<String>,
}

async fn month(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let (mut layout, mut frame, mut filter, query) =
        frame(&state, &viewer, raw.as_deref(), "月表示", "month").await?;
    let today = japan_today();
    let (shown, month_error) = match query.get("month") {
        "" => (Month::containing(today), None),
        text => match Month::parse(text) {
            Ok(m) => (m, None),
            Err(e) => (Month::containing(today), Some(e.reason)),
        },
    };
    layout.title = format!("{}のイベント", shown.label());
    frame.hidden.push(("month", shown.code()));
    filter.from = Some(
        filter
            .from
            .map_or(shown.first_day(), |f| f.max(shown.first_day())),
    );
    filter.to = Some(
        filter
            .to
            .map_or(shown.last_day(), |t| t.min(shown.last_day())),
    );
    let events = events::list(&state.store, &filter).await?;
    let weeks = shown
        .weeks()
        .iter()
        .map(|week| {
            week.iter()
                .map(|slot| {
                    slot.map(|date| DayCell {
                        day: date.day(),
                        label: date_label(date),
                        classes: day_classes(date, date == today),
                        holiday: domain::holidays::holiday_name(date),
                        is_today: date == today,
                        events: events
                            .iter()
                            .filter(|e| e.time.covers(date))
                            .map(row)
                            .collect(),
                    })
                })
                .collect()
        })
        .collect();
    let status = if month_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = MonthPage {
        layout,
        frame,
        month_label: shown.label(),
        previous: shown.previous().code(),
        next: shown.next().code(),
        weekdays: domain::events::weekday_names(),
        weeks,
        count: events.len(),
        month_error,
    };
    Ok((status, page).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "events/week.html")]
struct WeekPage {
    layout: Layout,
    frame: Frame,
    week_label: String,
    previous: String,
    next: String,
    days: Vec<(String, Vec<Row>)>,
    date_error: Option<String>,
}

async fn week(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let (mut layout, mut frame, mut filter, query) =
        frame(&state, &viewer, raw.as_deref(), "週表示", "week").await?;
    let today = japan_today();
    let (day, date_error) = match query.get("date") {
        "" => (today, None),
        text => match parse_date("date", text) {
            Ok(d) => (d, None),
            Err(e) => (today, Some(e.reason)),
        },
    };
    let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
    let sunday = monday + Duration::days(6);
    frame.hidden.push(("date", monday.to_string()));
    filter.from = Some(monday);
    filter.to = Some(sunday);
    let events = events::list(&state.store, &filter).await?;
    let week_label = format!("{}〜{}", date_label(monday), date_label(sunday));
    layout.title = format!("{week_label}のイベント");
    let days = (0..7)
        .map(|offset| {
            let date = monday + Duration::days(offset);
            (
                match domain::holidays::holiday_name(date) {
                    Some(name) => format!("{} {name}", date_label(date)),
                    None => date_label(date),
                },
                events
                    .iter()
                    .filter(|e| e.time.covers(date))
                    .map(row)
                    .collect(),
            )
        })
        .collect();
    let status = if date_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        WeekPage {
            layout,
            frame,
            week_label,
            previous: (monday - Duration::days(7)).to_string(),
            next: (monday + Duration::days(7)).to_string(),
            days,
            date_error,
        },
    )
        .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "events/clashes.html")]
struct ClashesPage {
    layout: Layout,
    frame: Frame,
    clashes: Vec<(Row, Row)>,
}

async fn clashes(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<ClashesPage, WebError> {
    let (layout, frame, filter, _) = frame(
        &state,
        &viewer,
        raw.as_deref(),
        "都市間の日程の重なり",
        "clashes",
    )
    .await?;
    let found = events::clashes(&state.store, &filter).await?;
    Ok(ClashesPage {
        layout,
        frame,
        clashes: found
            .iter()
            .map(|c| (row(&c.first), row(&c.second)))
            .collect(),
    })
}

/// The filtered calendar as a table.
pub fn export_table(events: &[Event]) -> Table {
    let mut table = Table::new(&[
        "イベントID",
        "イベント名",
        "種類",
        "主催団体",
        "都市",
        "柱",
        "開始",
        "終了",
        "終日",
        "日付は推定",
        "会場",
        "住所",
        "定員",
        "公開範囲",
        "状況",
        "関連施策",
        "備考",
        "参加者数（実績）",
        "参加企業数（実績）",
        "実績の備考",
    ])
    .codes(&["イベントID"])
    .datetimes(&["開始", "終了"])
    .numbers(&["定員", "参加者数（実績）", "参加企業数（実績）"]);
    for e in events {
        table.rows.push(vec![
            e.key.clone(),
            e.title.clone(),
            e.event_type.label().to_owned(),
            e.organisation.name.clone(),
            e.city.name.clone(),
            e.pillars
                .iter()
                .map(|p| p.number().to_string())
                .collect::<Vec<_>>()
                .join(","),
            e.time.start.format("%Y-%m-%d %H:%M").to_string(),
            e.time.end.format("%Y-%m-%d %H:%M").to_string(),
            if e.time.all_day { "終日" } else { "" }.to_owned(),
            if e.date_is_approximate { "推定" } else { "" }.to_owned(),
            e.venue.clone(),
            e.address.clone(),
            e.capacity.map(|c| c.to_string()).unwrap_or_default(),
            if e.members_only {
                "会員限定"
            } else {
                "公開"
            }
            .to_owned(),
            e.state().label().to_owned(),
            e.initiative
                .as_ref()
                .map(|i| i.1.clone())
                .unwrap_or_default(),
            e.note.clone(),
            e.result
                .as_ref()
                .map(|r| r.participants.to_string())
                .unwrap_or_default(),
            e.result
                .as_ref()
                .and_then(|r| r.companies)
                .map(|c| c.to_string())
                .unwrap_or_default(),
            e.result
                .as_ref()
                .map(|r| r.note.clone())
                .unwrap_or_default(),
        ]);
    }
    table
}

async fn export(
    state: &AppState,
    viewer: &Viewer,
    raw: Option<String>,
    format: ExportFormat,
) -> Result<Response, WebError> {
    let directory = organisations::directory(&state.store).await?;
    let (_, mut filter, _) = parse_filter(&query_pairs(raw.as_deref()), &directory);
    filter.include_members_only = viewer.acting_user().is_some();
    let found = events::list(&state.store, &filter).await?;
    export_table(&found).download(format, "events", "イベント")
}

async fn export_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
    csv: CsvRequest,
) -> Result<Response, WebError> {
    export(&state, &viewer, raw, ExportFormat::Csv(csv)).await
}

async fn export_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    export(&state, &viewer, raw, ExportFormat::Xlsx).await
}

#[derive(Template, WebTemplate)]
#[template(path = "events/detail.html")]
struct DetailPage {
    layout: Layout,
    event: Row,
    organisation_key: String,
    city_key: String,
    description: String,
    note: String,
    address: String,
    capacity: Option<u32>,
    initiative: Option<(String, String)>,
    status: &'static str,
    can_edit: bool,
    /// Seats taken and people waiting (counts only: no personal data here).
    confirmed: u32,
    waiting: u32,
    /// Open for registration: scheduled and not over.
    can_register: bool,
    /// The recorded results (実績).
    result: Option<store::events::EventResult>,
    /// The organiser's staff may record results: it has begun and is not cancelled.
    can_record: bool,
    /// Spread over many sites (オープンファクトリー): how many, and the visitors.
    sites: usize,
    site_visitors: u32,
}

fn may_edit(viewer: &Viewer, event: &Event) -> bool {
    viewer
        .acting_user()
        .is_some_and(|u| u.actor().may_edit_events_of(event.organisation.id))
}

async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: axum::http::HeaderMap,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    // `/events/{key}.ics`: the router matches whole segments, so the suffix is read here.
    if let Some(key) = key.strip_suffix(".ics") {
        return super::feeds::event_ics(&state, &headers, key).await;
    }
    let event = events::get(&state.store, &key, viewer.acting_user().is_some()).await?;
    let notice = view::notice(Some(query_pairs(raw.as_deref()).get("done")));
    let occupancy = store::registrations::occupancy(&state.store, &event).await?;
    let sites = store::open_factory::of_event(&state.store, event.clone()).await?;
    Ok(DetailPage {
        sites: sites.sites.len(),
        site_visitors: sites.visitors(),
        confirmed: occupancy.confirmed,
        waiting: occupancy.waiting,
        can_register: event.is_open(),
        can_record: may_edit(&viewer, &event)
            && !event.is_cancelled()
            && event.time.start <= domain::time::japan_now(),
        result: event.result.clone(),
        layout: Layout::for_viewer(event.title.clone(), &viewer).with_notice(notice),
        can_edit: may_edit(&viewer, &event),
        event: row(&event),
        organisation_key: event.organisation.key.clone(),
        city_key: event.city.key.clone(),
        description: event.description.clone(),
        note: event.note.clone(),
        address: event.address.clone(),
        capacity: event.capacity,
        initiative: event.initiative.clone(),
        status: event.state().label(),
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "events/form.html")]
struct EventForm {
    layout: Layout,
    action: String,
    cancel: String,
    organisations: Vec<(String, String)>,
    organisation: String,
    cities: Vec<(String, String)>,
    types: Vec<(&'static str, &'static str)>,
    pillars: Vec<(u8, String, bool)>,
    input: EventInput,
    errors: Vec<String>,
}

fn own_organisations(directory: &Directory, actor: &Actor) -> Vec<(String, String)> {
    directory
        .organisations
        .iter()
        .filter(|o| actor.may_edit_events_of(o.id))
        .map(|o| (o.key.clone(), o.name.clone()))
        .collect()
}

fn field_label(field: &str) -> &'static str {
    match field {
        "title" => "イベント名",
        "event_type" => "種類",
        "city" => "開催都市",
        "pillars" | "pillar" => "柱",
        "start_date" => "開始日",
        "start_time" => "開始時刻",
        "end_date" => "終了日",
        "end_time" => "終了時刻",
        "venue" => "会場",
        "address" => "住所",
        "initiative" => "関連施策",
        "description" => "内容",
        "note" => "備考",
        "capacity" => "定員",
        "organisation" => "主催団体",
        "reason" => "中止の理由",
        "participants" => "参加者数",
        "companies" => "参加企業数",
        _ => "入力",
    }
}

struct FormTarget {
    title: &'static str,
    action: String,
    cancel: String,
    organisation: String,
    fixed: Option<(String, String)>,
}

impl FormTarget {
    fn create(organisation: String) -> FormTarget {
        FormTarget {
            title: "イベントの登録",
            action: "/events".into(),
            cancel: "/events".into(),
            organisation,
            fixed: None,
        }
    }

    fn edit(event: &Event) -> FormTarget {
        FormTarget {
            title: "イベントの編集",
            action: format!("/events/{}/edit", event.key),
            cancel: format!("/events/{}", event.key),
            organisation: event.organisation.key.clone(),
            fixed: Some((
                event.organisation.key.clone(),
                event.organisation.name.clone(),
            )),
        }
    }
}

fn event_form(
    viewer: &Viewer,
    directory: &Directory,
    target: FormTarget,
    input: EventInput,
    errors: Vec<String>,
) -> Result<EventForm, WebError> {
    let actor = viewer.actor()?;
    let c = choices(directory);
    Ok(EventForm {
        layout: Layout::for_viewer(target.title, viewer),
        action: target.action,
        cancel: target.cancel,
        organisations: match target.fixed {
            Some(fixed) => vec![fixed],
            None => own_organisations(directory, &actor),
        },
        organisation: target.organisation,
        cities: c.cities,
        types: c.types,
        pillars: Pillar::ALL
            .iter()
            .map(|p| {
                let checked = input.pillars.iter().any(|s| s == &p.number().to_string());
                (p.number(), p.heading(), checked)
            })
            .collect(),
        input,
        errors,
    })
}

fn input_from(form: &FormData) -> EventInput {
    let checked = |name: &str| !form.get(name).is_empty();
    EventInput {
        title: form.get("title").to_owned(),
        event_type: form.get("event_type").to_owned(),
        city: form.get("city").to_owned(),
        pillars: form.all("pillars"),
        start_date: form.get("start_date").to_owned(),
        start_time: form.get("start_time").to_owned(),
        end_date: form.get("end_date").to_owned(),
        end_time: form.get("end_time").to_owned(),
        all_day: checked("all_day"),
        date_is_approximate: checked("date_is_approximate"),
        venue: form.get("venue").to_owned(),
        address: form.get("address").to_owned(),
        initiative: form.get("initiative").to_owned(),
        description: form.get("description").to_owned(),
        note: form.get("note").to_owned(),
        members_only: checked("members_only"),
        capacity: form.get("capacity").to_owned(),
        past_record: checked("past_record"),
    }
}

fn input_of(event: &Event) -> EventInput {
    let time = |t: chrono::NaiveDateTime| {
        if event.time.all_day {
            String::new()
        } else {
            t.format("%H:%M").to_string()
        }
    };
    EventInput {
        title: event.title.clone(),
        event_type: event.event_type.code().to_owned(),
        city: event.city.key.clone(),
        pillars: event
            .pillars
            .iter()
            .map(|p| p.number().to_string())
            .collect(),
        start_date: event.time.first_day().to_string(),
        start_time: time(event.time.start),
        end_date: event.time.last_day().to_string(),
        end_time: time(event.time.end),
        all_day: event.time.all_day,
        date_is_approximate: event.date_is_approximate,
        venue: event.venue.clone(),
        address: event.address.clone(),
        initiative: event
            .initiative
            .as_ref()
            .map(|i| i.0.clone())
            .unwrap_or_default(),
        description: event.description.clone(),
        note: event.note.clone(),
        members_only: event.members_only,
        capacity: event.capacity.map(|c| c.to_string()).unwrap_or_default(),
        past_record: false,
    }
}

async fn new_form(State(state): State<AppState>, viewer: Viewer) -> Result<EventForm, WebError> {
    let actor = viewer.actor()?;
    let directory = organisations::directory(&state.store).await?;
    // Only staff register for an organisation: a company member gets a refusal,
    // not a form it could never send.
    let Some(organisation) = own_organisations(&directory, &actor)
        .first()
        .map(|o| o.0.clone())
    else {
        return Err(StoreError::forbidden("イベントの登録は団体の職員のみできます。").into());
    };
    // The organiser's own city is the likely venue.
    let city = directory
        .organisation_by_key(&organisation)
        .and_then(|o| o.city.as_ref())
        .map(|c| c.key.clone())
        .unwrap_or_default();
    event_form(
        &viewer,
        &directory,
        FormTarget::create(organisation),
        EventInput {
            city,
            event_type: EventType::Seminar.code().into(),
            ..Default::default()
        },
        Vec::new(),
    )
}

async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let input = input_from(&form);
    let organisation = form.get("organisation").to_owned();
    let result = match EventDraft::parse(&input) {
        Ok(draft) => {
            events::create(&state.store, &actor, &organisation, &draft, japan_today()).await
        }
        Err(errors) => Err(StoreError::Invalid(errors)),
    };
    match result {
        Ok(created) => {
            Ok(Redirect::to(&format!("/events/{}?done=created", created.key)).into_response())
        }
        Err(error) => {
            let directory = organisations::directory(&state.store).await?;
            super::refill(error, field_label, |errors| {
                event_form(
                    &viewer,
                    &directory,
                    FormTarget::create(organisation),
                    input,
                    errors,
                )
            })
        }
    }
}

/// The event, if the viewer may edit it; a refusal otherwise.
async fn editable_event(state: &AppState, viewer: &Viewer, key: &str) -> Result<Event, WebError> {
    let actor = viewer.actor()?;
    let event = events::get(&state.store, key, true).await?;
    if !actor.may_edit_events_of(event.organisation.id) {
        return Err(StoreError::forbidden(format!(
            "{}のイベントは編集できません。自分の所属団体のイベントのみ編集できます。",
            event.organisation.name
        ))
        .into());
    }
    Ok(event)
}

async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    let event = editable_event(&state, &viewer, &key).await?;
    let directory = organisations::directory(&state.store).await?;
    let page = event_form(
        &viewer,
        &directory,
        FormTarget::edit(&event),
        input_of(&event),
        Vec::new(),
    )?;
    Ok(page.into_response())
}

async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let input = input_from(&form);
    let result = match EventDraft::parse(&input) {
        Ok(draft) => events::update(&state.store, &actor, &key, &draft).await,
        Err(errors) => Err(StoreError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/events/{key}?done=saved")).into_response()),
        Err(error) => {
            let event = events::get(&state.store, &key, true).await?;
            let directory = organisations::directory(&state.store).await?;
            super::refill(error, field_label, |errors| {
                event_form(&viewer, &directory, FormTarget::edit(&event), input, errors)
            })
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "events/cancel.html")]
struct CancelPage {
    layout: Layout,
    event: Row,
    reason: String,
    errors: Vec<String>,
}

async fn cancel_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<CancelPage, WebError> {
    let event = editable_event(&state, &viewer, &key).await?;
    Ok(CancelPage {
        layout: Layout::for_viewer("イベントの中止", &viewer),
        event: row(&event),
        reason: String::new(),
        errors: Vec::new(),
    })
}

async fn cancel(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let reason = form.get("reason").to_owned();
    match events::cancel(&state.store, &actor, &key, &reason).await {
        Ok(_) => Ok(Redirect::to(&format!("/events/{key}?done=cancelled")).into_response()),
        Err(error) => {
            let event = events::get(&state.store, &key, true).await?;
            super::refill(error, field_label, |errors| {
                Ok(CancelPage {
                    layout: Layout::for_viewer("イベントの中止", &viewer),
                    event: row(&event),
                    reason,
                    errors,
                })
            })
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "events/results.html")]
struct ResultsPage {
    layout: Layout,
    event: Row,
    input: ResultInput,
    errors: Vec<String>,
    /// The linked initiative whose KPIs the results feed: (key, title).
    initiative: Option<(String, String)>,
}

fn results_page(
    viewer: &Viewer,
    event: &Event,
    input: ResultInput,
    errors: Vec<String>,
) -> ResultsPage {
    ResultsPage {
        layout: Layout::for_viewer(format!("{}の実績", event.title), viewer),
        event: row(event),
        input,
        errors,
        initiative: event.initiative.clone(),
    }
}

/// The 実績 form: what a past (or running) event achieved.
async fn results_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<ResultsPage, WebError> {
    let event = editable_event(&state, &viewer, &key).await?;
    let input = match &event.result {
        Some(r) => ResultInput {
            participants: r.participants.to_string(),
            companies: r.companies.map(|c| c.to_string()).unwrap_or_default(),
            note: r.note.clone(),
        },
        None => ResultInput::default(),
    };
    Ok(results_page(&viewer, &event, input, Vec::new()))
}

async fn record_results(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let input = ResultInput {
        participants: form.get("participants").to_owned(),
        companies: form.get("companies").to_owned(),
        note: form.get("note").to_owned(),
    };
    let result = match ResultDraft::parse(&input) {
        Ok(draft) => events::record_result(&state.store, &actor, &key, &draft).await,
        Err(errors) => Err(StoreError::Invalid(errors)),
    };
    match result {
        Ok(recorded) => {
            let done = if recorded.fed.is_some() {
                "results_fed"
            } else {
                "results"
            };
            Ok(Redirect::to(&format!("/events/{key}?done={done}")).into_response())
        }
        Err(error) => {
            let event = events::get(&state.store, &key, true).await?;
            super::refill(error, field_label, |errors| {
                Ok(results_page(&viewer, &event, input, errors))
            })
        }
    }
}
