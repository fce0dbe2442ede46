//! The company directory's pages: search with facets, a company's profile, the forms
//! that register and edit companies, and CSV/XLSX export of the list shown.
//!
//! Text search runs on the process's search index (caught up with `changes` before
//! each search); the store then re-reads the hits with the viewer's rights, so the
//! index never decides who sees what.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::Actor;
use domain::directory::{
    AgeBand, Capability, CapabilityGroup, CompanyDraft, CompanyInput, JSIC, jsic_label,
};
use search::FacetField;
use store::StoreError;
use store::companies::{self, Company};
use store::organisations::{self, Directory};

use super::query_pairs;
use crate::auth::Viewer;
use crate::export::{CsvRequest, ExportFormat, Table};
use crate::form::FormData;
use crate::view::{self, Layout};
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/companies", get(list).post(create))
        .route("/companies.csv", get(export_csv))
        .route("/companies.xlsx", get(export_xlsx))
        .route("/companies/new", get(new_form))
        .route("/companies/{key}", get(detail))
        .route("/companies/{key}/edit", get(edit_form).post(update))
}

/// Hits per page of the directory.
const PAGE_SIZE: usize = 30;

/// The facet fields the directory offers, with their Japanese names.
const FACETS: [(FacetField, &str); 5] = [
    (FacetField::City, "市区"),
    (FacetField::Process, "加工・工程"),
    (FacetField::Material, "材料"),
    (FacetField::Certification, "認証・認定"),
    (FacetField::Size, "規模"),
];

/// One value of a facet as a link that adds or removes it.
pub struct FacetLink {
    label: String,
    count: u64,
    selected: bool,
    href: String,
}

pub struct FacetGroup {
    label: &'static str,
    links: Vec<FacetLink>,
}

/// A company as a line of the list.
pub struct Row {
    key: String,
    name: String,
    kana: String,
    city: String,
    capabilities: Vec<String>,
    size: String,
    /// The description with the query's terms marked (escaped HTML).
    snippet: String,
    closed: bool,
    public: bool,
    /// Invented demonstration data (marked 「デモ」).
    demo: bool,
}

fn row(company: &Company, snippet: Option<String>) -> Row {
    Row {
        key: company.key.clone(),
        name: company.name.clone(),
        kana: company.kana.clone(),
        city: company.city_name().to_owned(),
        capabilities: company
            .capabilities
            .iter()
            .map(|c| Capability::label_of(c))
            .collect(),
        size: company
            .size
            .map(|s| s.label().to_owned())
            .unwrap_or_default(),
        snippet: snippet.unwrap_or_else(|| askama_escape(&first_chars(&company.description, 90))),
        closed: company.is_closed(),
        public: company.public,
        demo: store::demo::is_demo_company(&company.source),
    }
}

fn first_chars(text: &str, n: usize) -> String {
    let mut out: String = text.chars().take(n).collect();
    if text.chars().count() > n {
        out.push('…');
    }
    out
}

fn askama_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Whether the viewer sees private records in lists: staff and the secretariat.
fn sees_private(viewer: &Viewer) -> bool {
    viewer.acting_user().is_some_and(|u| u.role.keeps_records())
}

/// The directory's search as the query string gives it.
struct Search {
    q: String,
    filters: Vec<(FacetField, String)>,
    page: usize,
    include_closed: bool,
}

fn parse_search(query: &FormData) -> Search {
    let mut filters = Vec::new();
    for (field, _) in FACETS {
        for value in query.all(field.code()) {
            let value: String = value.trim().chars().take(40).collect();
            // ` ota` and `ota` are one filter, and one link to remove it.
            if !value.is_empty() && !filters.contains(&(field, value.clone())) {
                filters.push((field, value));
            }
        }
    }
    Search {
        q: query.get("q").chars().take(200).collect(),
        filters,
        page: query
            .get("page")
            .parse::<usize>()
            .unwrap_or(1)
            .clamp(1, 1000),
        include_closed: query.get("closed") == "1",
    }
}

fn query_string(
    search: &Search,
    toggle: Option<(FacetField, &str)>,
    page: Option<usize>,
) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    if !search.q.is_empty() {
        out.append_pair("q", &search.q);
    }
    let mut filters = search.filters.clone();
    if let Some((field, value)) = toggle {
        if let Some(i) = filters.iter().position(|(f, v)| *f == field && v == value) {
            filters.remove(i);
        } else {
            filters.push((field, value.to_owned()));
        }
    }
    for (field, value) in &filters {
        out.append_pair(field.code(), value);
    }
    if search.include_closed {
        out.append_pair("closed", "1");
    }
    if let Some(page) = page.filter(|p| *p > 1) {
        out.append_pair("page", &page.to_string());
    }
    out.finish()
}

/// Runs a directory search: the index finds and ranks, the store re-reads with
/// the viewer's rights. Returns the companies of the page, the total and the facets.
async fn run_search(
    state: &AppState,
    viewer: &Viewer,
    search: &Search,
    limit: usize,
    offset: usize,
) -> Result<(Vec<(Company, Option<String>)>, usize, Vec<FacetGroup>), WebError> {
    let actor = viewer.acting();
    let hits = store::index::search_companies(
        &state.store,
        &state.search,
        actor.as_ref(),
        &store::index::CompanySearch {
            text: search.q.clone(),
            filters: search.filters.clone(),
            include_closed: search.include_closed,
            limit,
            offset,
        },
    )
    .await?;
    let directory = organisations::directory(&state.store).await?;
    let facets = FACETS
        .iter()
        .map(|(field, label)| FacetGroup {
            label,
            links: hits
                .facets
                .get(field)
                .map(|counts| {
                    counts
                        .iter()
                        .take(25)
                        .map(|c| FacetLink {
                            label: store::index::facet_label(*field, &c.value, &directory),
                            count: c.count,
                            selected: search
                                .filters
                                .iter()
                                .any(|(f, v)| f == field && *v == c.value),
                            href: format!(
                                "/companies?{}",
                                query_string(search, Some((*field, &c.value)), None)
                            ),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    Ok((hits.companies, hits.total, facets))
}

#[derive(Template, WebTemplate)]
#[template(path = "companies/list.html")]
struct ListPage {
    layout: Layout,
    q: String,
    include_closed: bool,
    selected: Vec<(String, String)>,
    total: usize,
    rows: Vec<Row>,
    facets: Vec<FacetGroup>,
    query: String,
    previous: Option<String>,
    next: Option<String>,
    page: usize,
    pages: usize,
    can_create: bool,
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<ListPage, WebError> {
    let query = query_pairs(raw.as_deref());
    let search = parse_search(&query);
    let offset = (search.page - 1) * PAGE_SIZE;
    let (companies, total, facets) =
        run_search(&state, &viewer, &search, PAGE_SIZE, offset).await?;
    let directory = organisations::directory(&state.store).await?;
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    Ok(ListPage {
        layout: Layout::for_viewer("企業ディレクトリ", &viewer)
            .with_notice(view::notice(Some(query.get("done")))),
        selected: search
            .filters
            .iter()
            .map(|(f, v)| {
                (
                    store::index::facet_label(*f, v, &directory),
                    format!("/companies?{}", query_string(&search, Some((*f, v)), None)),
                )
            })
            .collect(),
        total,
        rows: companies.iter().map(|(c, s)| row(c, s.clone())).collect(),
        facets,
        query: query_string(&search, None, None),
        previous: (search.page > 1).then(|| {
            format!(
                "/companies?{}",
                query_string(&search, None, Some(search.page - 1))
            )
        }),
        next: (search.page < pages).then(|| {
            format!(
                "/companies?{}",
                query_string(&search, None, Some(search.page + 1))
            )
        }),
        page: search.page,
        pages,
        can_create: sees_private(&viewer),
        q: search.q,
        include_closed: search.include_closed,
    })
}

/// The capability check boxes of a form, grouped as the taxonomy is.
pub struct CapabilityChoices {
    pub(crate) label: &'static str,
    pub(crate) options: Vec<(&'static str, &'static str, bool)>,
}

pub(crate) fn capability_choices(selected: &[String]) -> Vec<CapabilityChoices> {
    CapabilityGroup::ALL
        .iter()
        .map(|group| CapabilityChoices {
            label: group.label(),
            options: Capability::of(*group)
                .map(|c| (c.code, c.label, selected.iter().any(|s| s == c.code)))
                .collect(),
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "companies/detail.html")]
struct DetailPage {
    layout: Layout,
    company: Company,
    industry: String,
    groups: Vec<(&'static str, Vec<&'static str>)>,
    age: String,
    can_edit: bool,
}

async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<DetailPage, WebError> {
    let actor = viewer.acting();
    let company = companies::get(&state.store, actor.as_ref(), &key).await?;
    let groups = CapabilityGroup::ALL
        .iter()
        .map(|g| {
            (
                g.label(),
                company
                    .capabilities
                    .iter()
                    .filter_map(|c| Capability::find(c))
                    .filter(|c| c.group == *g)
                    .map(|c| c.label)
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, labels)| !labels.is_empty())
        .collect();
    let query = query_pairs(raw.as_deref());
    Ok(DetailPage {
        layout: Layout::for_viewer(company.name.clone(), &viewer)
            .with_notice(view::notice(Some(query.get("done")))),
        industry: company
            .industry
            .as_deref()
            .map(|code| format!("{code} {}", jsic_label(code).unwrap_or("")))
            .unwrap_or_default(),
        age: company
            .private
            .as_ref()
            .and_then(|p| p.representative_age)
            .map(|a| a.label().to_owned())
            .unwrap_or_default(),
        can_edit: company.editable_by(actor.as_ref()) && viewer.actor().is_ok(),
        groups,
        company,
    })
}

/// What a company form posts.
fn input_from(form: &FormData) -> CompanyInput {
    let field = |name: &str| form.get(name).to_owned();
    CompanyInput {
        corporate_number: field("corporate_number"),
        name: field("name"),
        kana: field("kana"),
        city: field("city"),
        address: field("address"),
        industry: field("industry"),
        employees: field("employees"),
        founded_year: field("founded_year"),
        representative_age: field("representative_age"),
        url: field("url"),
        description: field("description"),
        products: field("products"),
        capabilities: form.all("capabilities"),
        public: form.get("public") == "1",
        contact_name: field("contact_name"),
        contact_email: field("contact_email"),
        contact_phone: field("contact_phone"),
        staff_note: field("staff_note"),
    }
}

fn field_label(field: &str) -> &'static str {
    match field {
        "corporate_number" => "法人番号",
        "name" => "企業名",
        "kana" => "フリガナ",
        "city" => "所在市区",
        "address" => "所在地",
        "industry" => "業種",
        "employees" => "従業員数",
        "founded_year" => "設立年",
        "representative_age" => "代表者の年代",
        "url" => "ホームページ",
        "description" => "紹介文",
        "products" => "主な製品",
        "capabilities" => "加工・材料・設備・認証",
        "contact_name" => "担当者名",
        "contact_email" => "連絡先メール",
        "contact_phone" => "連絡先電話",
        "staff_note" => "職員メモ",
        _ => "入力",
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "companies/form.html")]
struct CompanyForm {
    layout: Layout,
    action: String,
    cancel: String,
    input: CompanyInput,
    errors: Vec<String>,
    cities: Vec<(String, String)>,
    industries: Vec<(&'static str, &'static str)>,
    ages: Vec<(&'static str, &'static str)>,
    groups: Vec<CapabilityChoices>,
    /// Company members edit their profile; the staff fields are hidden from them.
    staff_fields: bool,
}

fn company_form(
    viewer: &Viewer,
    directory: &Directory,
    title: &str,
    action: String,
    cancel: String,
    input: CompanyInput,
    errors: Vec<String>,
) -> Result<CompanyForm, WebError> {
    let actor = viewer.actor()?;
    Ok(CompanyForm {
        layout: Layout::for_viewer(title, viewer),
        action,
        cancel,
        groups: capability_choices(&input.capabilities),
        input,
        errors,
        cities: directory
            .cities
            .iter()
            .map(|c| (c.key.clone(), c.name.clone()))
            .collect(),
        industries: JSIC.to_vec(),
        ages: AgeBand::ALL.iter().map(|a| (a.code(), a.label())).collect(),
        staff_fields: actor.role.keeps_records(),
    })
}

async fn new_form(State(state): State<AppState>, viewer: Viewer) -> Result<CompanyForm, WebError> {
    let actor = viewer.actor()?;
    if !actor.role.keeps_records() {
        return Err(StoreError::forbidden(
            "企業会員は新しい企業を登録できません。自社の情報を編集してください。",
        )
        .into());
    }
    let directory = organisations::directory(&state.store).await?;
    let city = actor
        .organisation_id
        .and_then(|id| directory.organisation(id))
        .and_then(|o| o.city.as_ref())
        .map(|c| c.key.clone())
        .unwrap_or_default();
    company_form(
        &viewer,
        &directory,
        "企業を登録",
        "/companies".into(),
        "/companies".into(),
        CompanyInput {
            city,
            public: true,
            ..CompanyInput::default()
        },
        Vec::new(),
    )
}

fn this_year() -> i32 {
    use chrono::Datelike;
    domain::time::japan_today().year()
}

fn parse_draft(input: &CompanyInput, directory: &Directory) -> Result<CompanyDraft, StoreError> {
    let keys: Vec<&str> = directory.cities.iter().map(|c| c.key.as_str()).collect();
    CompanyDraft::parse(input, &keys, this_year()).map_err(StoreError::Invalid)
}

async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let directory = organisations::directory(&state.store).await?;
    let input = input_from(&form);
    let result = match parse_draft(&input, &directory) {
        Ok(draft) => companies::create(&state.store, &actor, &draft, "manual").await,
        Err(e) => Err(e),
    };
    match result {
        Ok(created) => {
            Ok(Redirect::to(&format!("/companies/{}?done=created", created.key)).into_response())
        }
        Err(error) => super::refill(error, field_label, |errors| {
            company_form(
                &viewer,
                &directory,
                "企業を登録",
                "/companies".into(),
                "/companies".into(),
                input,
                errors,
            )
        }),
    }
}

/// The company, if the viewer may edit it.
async fn editable(state: &AppState, actor: &Actor, key: &str) -> Result<Company, WebError> {
    let company = companies::get(&state.store, Some(actor), key).await?;
    if !company.editable_by(Some(actor)) {
        return Err(StoreError::forbidden(format!(
            "「{}」の情報は編集できません。自社、または所属団体が担当する企業のみ編集できます。",
            company.name
        ))
        .into());
    }
    Ok(company)
}

fn input_of(company: &Company) -> CompanyInput {
    let private = company.private.clone();
    CompanyInput {
        corporate_number: company.corporate_number.clone().unwrap_or_default(),
        name: company.name.clone(),
        kana: company.kana.clone(),
        city: company
            .city
            .as_ref()
            .map(|c| c.key.clone())
            .unwrap_or_default(),
        address: company.address.clone(),
        industry: company.industry.clone().unwrap_or_default(),
        employees: private
            .as_ref()
            .and_then(|p| p.employees)
            .map(|n| n.to_string())
            .unwrap_or_default(),
        founded_year: company
            .founded_year
            .map(|y| y.to_string())
            .unwrap_or_default(),
        representative_age: private
            .as_ref()
            .and_then(|p| p.representative_age)
            .map(|a| a.code().to_owned())
            .unwrap_or_default(),
        url: company.url.clone(),
        description: company.description.clone(),
        products: company.products.clone(),
        capabilities: company.capabilities.clone(),
        public: company.public,
        contact_name: private
            .as_ref()
            .map(|p| p.contact_name.clone())
            .unwrap_or_default(),
        contact_email: private
            .as_ref()
            .map(|p| p.contact_email.clone())
            .unwrap_or_default(),
        contact_phone: private
            .as_ref()
            .map(|p| p.contact_phone.clone())
            .unwrap_or_default(),
        staff_note: private.map(|p| p.staff_note).unwrap_or_default(),
    }
}

async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<CompanyForm, WebError> {
    let actor = viewer.actor()?;
    let company = editable(&state, &actor, &key).await?;
    let directory = organisations::directory(&state.store).await?;
    company_form(
        &viewer,
        &directory,
        &format!("{}を編集", company.name),
        format!("/companies/{key}/edit"),
        format!("/companies/{key}"),
        input_of(&company),
        Vec::new(),
    )
}

async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let current = editable(&state, &actor, &key).await?;
    let directory = organisations::directory(&state.store).await?;
    let mut input = input_from(&form);
    if !actor.role.keeps_records() {
        // Members do not see the staff note; keep it as it was.
        input.staff_note = current
            .private
            .as_ref()
            .map(|p| p.staff_note.clone())
            .unwrap_or_default();
    }
    let result = match parse_draft(&input, &directory) {
        Ok(draft) => companies::update(&state.store, &actor, &key, &draft).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(updated) => {
            Ok(Redirect::to(&format!("/companies/{}?done=saved", updated.key)).into_response())
        }
        Err(error) => super::refill(error, field_label, |errors| {
            company_form(
                &viewer,
                &directory,
                &format!("{}を編集", current.name),
                format!("/companies/{key}/edit"),
                format!("/companies/{key}"),
                input,
                errors,
            )
        }),
    }
}

/// The directory as a table; private columns are filled only where the viewer may
/// see them.
pub fn export_table(companies: &[Company]) -> Table {
    let mut table = Table::new(&[
        "企業ID",
        "法人番号",
        "企業名",
        "フリガナ",
        "市区",
        "所在地",
        "業種(JSIC)",
        "規模",
        "従業員数",
        "設立年",
        "代表者の年代",
        "加工・材料・設備・認証",
        "主な製品",
        "ホームページ",
        "公開",
        "閉鎖日",
        "担当者名",
        "連絡先メール",
        "連絡先電話",
        "デモ",
    ])
    .codes(&["企業ID", "法人番号", "連絡先電話"])
    .numbers(&["従業員数", "設立年"])
    .dates(&["閉鎖日"]);
    for c in companies {
        let private = c.private.as_ref();
        table.rows.push(vec![
            c.key.clone(),
            c.corporate_number.clone().unwrap_or_default(),
            c.name.clone(),
            c.kana.clone(),
            c.city_name().to_owned(),
            c.address.clone(),
            c.industry.clone().unwrap_or_default(),
            c.size.map(|s| s.label().to_owned()).unwrap_or_default(),
            private
                .and_then(|p| p.employees)
                .map(|n| n.to_string())
                .unwrap_or_default(),
            c.founded_year.map(|y| y.to_string()).unwrap_or_default(),
            private
                .and_then(|p| p.representative_age)
                .map(|a| a.label().to_owned())
                .unwrap_or_default(),
            c.capabilities
                .iter()
                .map(|code| Capability::label_of(code))
                .collect::<Vec<_>>()
                .join("、"),
            c.products.clone(),
            c.url.clone(),
            if c.public { "公開" } else { "非公開" }.to_owned(),
            c.closed_on.clone().unwrap_or_default(),
            private.map(|p| p.contact_name.clone()).unwrap_or_default(),
            private.map(|p| p.contact_email.clone()).unwrap_or_default(),
            private.map(|p| p.contact_phone.clone()).unwrap_or_default(),
            crate::export::demo_cell(store::demo::is_demo_company(&c.source)),
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
    let query = query_pairs(raw.as_deref());
    let search = parse_search(&query);
    // Page through the search: up to the index's deepest page (11,000 companies; a
    // larger list is narrowed by city or capability first).
    let mut companies: Vec<Company> = Vec::new();
    let mut offset = 0;
    loop {
        let (page, total, _) =
            run_search(state, viewer, &search, search::MAX_LIMIT, offset).await?;
        let fetched = page.len();
        companies.extend(page.into_iter().map(|(c, _)| c));
        offset += search::MAX_LIMIT;
        if fetched == 0 || offset >= total || offset > search::MAX_OFFSET {
            break;
        }
    }
    export_table(&companies).download(format, "companies", "企業一覧")
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
