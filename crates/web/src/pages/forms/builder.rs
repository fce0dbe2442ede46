//! The form builder for staff: a new form (blank, or a copy of an existing one), its
//! settings (title, description, answering period, eligibility rules of a call), its
//! sections and questions through one question editor, and the preview, which checks
//! typed answers against the questions without saving anything. Every change goes
//! through `store::forms`, which keeps an answered version frozen and makes a new one.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use domain::directory::SizeBand;
use domain::forms::builder::{Edit, QuestionInput};
use domain::forms::eligibility::CityRef;
use domain::forms::{
    Eligibility, EligibilityRule, FormDefinition, FormPurpose, Period, Question, QuestionKind,
    RawAnswers, Section,
};
use domain::{Actor, Invalid};
use store::StoreError;
use store::forms::{self, Form, FormDraft, FormSettings};
use store::organisations;

use super::questions_html;
use crate::auth::Viewer;
use crate::form::FormData;
use crate::pages::initiatives::own_organisations;
use crate::pages::query_pairs;
use crate::view::Layout;
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/forms/new", get(new_form).post(create))
        .route("/forms/{key}/edit", get(edit))
        .route("/forms/{key}/settings", post(save_settings))
        .route("/forms/{key}/questions", post(save_question))
        .route("/forms/{key}/questions/{id}", post(question_action))
        .route("/forms/{key}/sections", post(save_section))
        .route("/forms/{key}/preview", get(preview).post(check_preview))
}

/// The kinds offered in the editor: (code, label).
fn kinds() -> Vec<(&'static str, &'static str)> {
    vec![
        ("text", "記述（一行）"),
        ("long_text", "記述（複数行）"),
        ("number", "数値"),
        ("single_choice", "単一選択"),
        ("multiple_choice", "複数選択"),
        ("scale", "5段階評価"),
        ("date", "日付"),
        ("file", "ファイル"),
        ("table", "表"),
    ]
}

fn field_label(field: &str) -> String {
    let label = match field.split('.').next().unwrap_or(field) {
        "key" => "キー",
        "title" => "名称",
        "purpose" => "種類",
        "organisation" => "所管団体",
        "opens_on" => "受付開始日",
        "closes_on" | "period" => "締切日",
        "award_year" => "表彰年",
        "founded_year" | "founded_years" => "創業年数",
        "label" => "質問文",
        "kind" => "質問の種類",
        "options" => "選択肢",
        "min" => "最小値",
        "max" => "最大値",
        "max_chars" => "文字数の上限",
        "max_kb" => "ファイルの上限",
        "show_if" | "show_if_answers" => "表示条件",
        "section" | "sections" => "セクション",
        "questions" => "質問",
        "question" => "質問",
        other => other,
    };
    label.to_owned()
}

fn messages(errors: &[Invalid]) -> Vec<String> {
    crate::pages::messages(errors, field_label)
}

fn date_field(text: &str, field: &str, errors: &mut Vec<Invalid>) -> Option<NaiveDate> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let parsed = domain::forms::answers::parse_date(text);
    if parsed.is_none() {
        errors.push(Invalid::new(
            field,
            format!("「{text}」は日付として読めません（例：2026-04-01）。"),
        ));
    }
    parsed
}

// ---------------------------------------------------------------- new form

#[derive(Template, WebTemplate)]
#[template(path = "forms/new.html")]
struct NewPage {
    layout: Layout,
    organisations: Vec<(String, String)>,
    templates: Vec<(String, String)>,
    form: FormData,
    errors: Vec<String>,
}

async fn new_page(
    state: &AppState,
    viewer: &Viewer,
    actor: &Actor,
    form: FormData,
    errors: Vec<String>,
) -> Result<NewPage, WebError> {
    if !actor.role.keeps_records() {
        return Err(StoreError::forbidden("フォームは団体の職員が作成します。").into());
    }
    let directory = organisations::directory(&state.store).await?;
    Ok(NewPage {
        layout: Layout::for_viewer("新しいフォーム", viewer),
        organisations: own_organisations(&directory, actor),
        templates: forms::list(&state.store)
            .await?
            .into_iter()
            .map(|f| (f.key, format!("{}（{}）", f.title, f.owner.name)))
            .collect(),
        form,
        errors,
    })
}

async fn new_form(State(state): State<AppState>, viewer: Viewer) -> Result<NewPage, WebError> {
    let actor = viewer.actor()?;
    new_page(&state, &viewer, &actor, FormData::default(), Vec::new()).await
}

/// A blank form starts with one section and one question, which staff then change.
fn blank() -> FormDefinition {
    FormDefinition {
        sections: vec![Section {
            title: "基本事項".into(),
            help: String::new(),
            questions: vec![Question {
                id: "contact".into(),
                label: "ご回答者のお名前・役職".into(),
                help: String::new(),
                required: true,
                kind: QuestionKind::Text { max_chars: 100 },
                show_if: None,
                area: None,
            }],
        }],
        scoring: None,
    }
}

async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let mut errors = Vec::new();
    let purpose = FormPurpose::parse(form.get("purpose")).unwrap_or_else(|| {
        errors.push(Invalid::new("purpose", "種類を選んでください。"));
        FormPurpose::Survey
    });
    let definition = match form.get("template") {
        "" => blank(),
        key => match forms::get(&state.store, key).await {
            Ok(source) => source.latest.definition,
            Err(_) => blank(),
        },
    };
    let period = Period {
        opens_on: date_field(form.get("opens_on"), "opens_on", &mut errors),
        closes_on: date_field(form.get("closes_on"), "closes_on", &mut errors),
    };
    if !errors.is_empty() {
        let page = new_page(&state, &viewer, &actor, form, messages(&errors)).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let draft = FormDraft {
        key: form.get("key").trim().to_owned(),
        purpose,
        title: form.get("title").to_owned(),
        description: form.get("description").to_owned(),
        definition,
        eligibility: Eligibility::default(),
        award_year: None,
        period,
    };
    match forms::create(&state.store, &actor, form.get("organisation"), &draft).await {
        Ok(created) => {
            Ok(Redirect::to(&format!("/forms/{}/edit?done=created", created.key)).into_response())
        }
        Err(error) => {
            let (status, lines) = crate::pages::form_errors(error, field_label)?;
            let page = new_page(&state, &viewer, &actor, form, lines).await?;
            Ok((status, page).into_response())
        }
    }
}

// ---------------------------------------------------------------- the builder

#[derive(Template, WebTemplate)]
#[template(path = "forms/edit.html")]
struct EditPage {
    layout: Layout,
    form: Form,
    kinds: Vec<(&'static str, &'static str)>,
    /// The question editor: the question being edited (or a new one).
    editor: QuestionInput,
    editing: bool,
    /// Questions a condition may name: (id, label) of the choice questions.
    choice_questions: Vec<(String, String)>,
    areas: Vec<(String, String)>,
    settings: FormData,
    cities: Vec<(String, String)>,
    sizes: Vec<(&'static str, &'static str)>,
    errors: Vec<String>,
    /// Which part the errors belong to: settings, question or section.
    errors_for: &'static str,
    retention_days: Option<i32>,
}

impl EditPage {
    fn checked(&self, name: &str, value: &str) -> bool {
        self.settings.all(name).iter().any(|v| v == value)
    }
}

/// The settings form's fields from the stored form.
fn settings_fields(form: &Form) -> FormData {
    let mut fields = vec![
        ("title".to_owned(), form.title.clone()),
        ("description".to_owned(), form.description.clone()),
        (
            "opens_on".to_owned(),
            form.period
                .opens_on
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ),
        (
            "closes_on".to_owned(),
            form.period
                .closes_on
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ),
        (
            "award_year".to_owned(),
            form.award_year.map(|y| y.to_string()).unwrap_or_default(),
        ),
    ];
    for rule in &form.eligibility.rules {
        match rule {
            EligibilityRule::FoundedYearsBefore { years } => {
                fields.push(("founded_years".into(), years.to_string()));
            }
            EligibilityRule::CityIn { cities } => {
                fields.extend(cities.iter().map(|c| ("cities".to_owned(), c.key.clone())));
            }
            EligibilityRule::SizeIn { sizes } => {
                fields.extend(sizes.iter().map(|s| ("sizes".to_owned(), s.clone())));
            }
        }
    }
    FormData(fields)
}

async fn edit_page(
    state: &AppState,
    viewer: &Viewer,
    form: Form,
    editor: Option<QuestionInput>,
    settings: Option<FormData>,
    errors: (&'static str, Vec<String>),
    notice: Option<String>,
) -> Result<EditPage, WebError> {
    let actor = viewer.actor()?;
    if !actor.may_edit_catalogue_of(form.owner.id) {
        return Err(StoreError::forbidden(format!(
            "「{}」は{}のフォームのため編集できません。",
            form.title, form.owner.name
        ))
        .into());
    }
    let directory = organisations::directory(&state.store).await?;
    let definition = &form.latest.definition;
    let editing = editor.as_ref().is_some_and(|e| !e.id.is_empty());
    Ok(EditPage {
        layout: Layout::for_viewer(format!("{}（編集）", form.title), viewer).with_notice(notice),
        kinds: kinds(),
        editor: editor.unwrap_or_else(|| QuestionInput {
            kind: "single_choice".into(),
            section: (definition.sections.len().saturating_sub(1)).to_string(),
            ..Default::default()
        }),
        editing,
        choice_questions: definition
            .questions()
            .filter(|q| !q.kind.options().is_empty())
            .map(|q| (q.id.clone(), q.label.clone()))
            .collect(),
        areas: definition
            .scoring
            .iter()
            .flat_map(|s| s.areas.iter().map(|a| (a.key.clone(), a.label.clone())))
            .collect(),
        settings: settings.unwrap_or_else(|| settings_fields(&form)),
        cities: directory
            .cities
            .iter()
            .map(|c| (c.key.clone(), c.name.clone()))
            .collect(),
        sizes: SizeBand::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        errors_for: errors.0,
        errors: errors.1,
        retention_days: store::privacy::retention(&state.store, &form.key).await?,
        form,
    })
}

async fn edit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<EditPage, WebError> {
    let form = forms::get(&state.store, &key).await?;
    let query = query_pairs(query.as_deref());
    let editor = form
        .latest
        .definition
        .sections
        .iter()
        .enumerate()
        .find_map(|(s, section)| {
            section
                .questions
                .iter()
                .find(|q| q.id == query.get("question"))
                .map(|q| QuestionInput::of(q, &s.to_string()))
        });
    let notice = match query.get("done") {
        "created" => Some("フォームを作成しました。質問を追加・編集してください。".to_owned()),
        "question" => Some("質問を保存しました。".to_owned()),
        other => crate::view::notice(Some(other)),
    };
    edit_page(
        &state,
        &viewer,
        form,
        editor,
        None,
        ("", Vec::new()),
        notice,
    )
    .await
}

fn settings_from(form: &FormData, cities: &[(String, String)]) -> (FormSettings, Vec<Invalid>) {
    let mut errors = Vec::new();
    let period = Period {
        opens_on: date_field(form.get("opens_on"), "opens_on", &mut errors),
        closes_on: date_field(form.get("closes_on"), "closes_on", &mut errors),
    };
    let number = |name: &str, errors: &mut Vec<Invalid>| {
        let text = domain::text::narrow_ascii(form.get(name).trim());
        if text.is_empty() {
            return None;
        }
        let parsed = text.parse::<i32>().ok();
        if parsed.is_none() {
            errors.push(Invalid::new(
                name,
                format!("「{text}」は整数で入力してください。"),
            ));
        }
        parsed
    };
    let mut rules = Vec::new();
    if let Some(years) = number("founded_years", &mut errors) {
        rules.push(EligibilityRule::FoundedYearsBefore { years });
    }
    let chosen: Vec<CityRef> = form
        .all("cities")
        .iter()
        .filter_map(|key| cities.iter().find(|(k, _)| k == key))
        .map(|(key, name)| CityRef {
            key: key.clone(),
            name: name.clone(),
        })
        .collect();
    if !chosen.is_empty() {
        rules.push(EligibilityRule::CityIn { cities: chosen });
    }
    let sizes = form.all("sizes");
    if !sizes.is_empty() {
        rules.push(EligibilityRule::SizeIn { sizes });
    }
    let award_year = number("award_year", &mut errors);
    (
        FormSettings {
            title: form.get("title").to_owned(),
            description: form.get("description").to_owned(),
            period,
            eligibility: Eligibility { rules },
            award_year,
        },
        errors,
    )
}

async fn save_settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let current = forms::get(&state.store, &key).await?;
    let directory = organisations::directory(&state.store).await?;
    let cities: Vec<(String, String)> = directory
        .cities
        .iter()
        .map(|c| (c.key.clone(), c.name.clone()))
        .collect();
    let (settings, errors) = settings_from(&form, &cities);
    let result = if errors.is_empty() {
        forms::edit_settings(&state.store, &actor, &key, &settings).await
    } else {
        Err(StoreError::Invalid(errors))
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/forms/{key}/edit?done=saved")).into_response()),
        Err(error) => {
            let (status, lines) = crate::pages::form_errors(error, field_label)?;
            let page = edit_page(
                &state,
                &viewer,
                current,
                None,
                Some(form),
                ("settings", lines),
                None,
            )
            .await?;
            Ok((status, page).into_response())
        }
    }
}

fn question_input(form: &FormData) -> QuestionInput {
    QuestionInput {
        id: form.get("id").to_owned(),
        section: form.get("section").to_owned(),
        label: form.get("label").to_owned(),
        help: form.get("help").to_owned(),
        required: form.get("required") == "1",
        kind: form.get("kind").to_owned(),
        options: form.get("options").to_owned(),
        min: form.get("min").to_owned(),
        max: form.get("max").to_owned(),
        unit: form.get("unit").to_owned(),
        integer: form.get("integer") == "1",
        max_chars: form.get("max_chars").to_owned(),
        scale_labels: form.get("scale_labels").to_owned(),
        allowed_types: form.get("allowed_types").to_owned(),
        max_kb: form.get("max_kb").to_owned(),
        columns: form.get("columns").to_owned(),
        rows: form.get("rows").to_owned(),
        show_if: form.get("show_if").to_owned(),
        show_if_answers: form.get("show_if_answers").to_owned(),
        area: form.get("area").to_owned(),
    }
}

/// Applies an edit to the form's questions and saves it (a new version when the
/// current one is answered); the builder again with the errors otherwise.
async fn apply(
    state: &AppState,
    viewer: &Viewer,
    current: Form,
    edit: Result<Edit, Vec<Invalid>>,
    editor: Option<QuestionInput>,
    part: &'static str,
    done: &str,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let key = current.key.clone();
    let edited = edit.and_then(|edit| current.latest.definition.edited(edit));
    let result = match edited {
        Ok(definition) => forms::edit_definition(&state.store, &actor, &key, &definition).await,
        Err(errors) => Err(StoreError::Invalid(errors)),
    };
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/forms/{key}/edit?done={done}#questions")).into_response())
        }
        Err(error) => {
            let (status, lines) = crate::pages::form_errors(error, field_label)?;
            let page = edit_page(state, viewer, current, editor, None, (part, lines), None).await?;
            Ok((status, page).into_response())
        }
    }
}

async fn save_question(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let current = forms::get(&state.store, &key).await?;
    let input = question_input(&form);
    let section = input.section.parse::<usize>().unwrap_or(0);
    let edit = input
        .to_question(&current.latest.definition)
        .map(|question| Edit::Save { section, question });
    apply(
        &state,
        &viewer,
        current,
        edit,
        Some(input),
        "question",
        "question",
    )
    .await
}

async fn question_action(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, id)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, WebError> {
    let current = forms::get(&state.store, &key).await?;
    let edit = match form.get("action") {
        "up" => Edit::MoveUp { id },
        "down" => Edit::MoveDown { id },
        "remove" => Edit::Remove { id },
        _ => return Err(WebError::BadRequest("操作を選んでください。".into())),
    };
    apply(
        &state,
        &viewer,
        current,
        Ok(edit),
        None,
        "question",
        "saved",
    )
    .await
}

async fn save_section(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let current = forms::get(&state.store, &key).await?;
    let edit = if form.get("title").trim().is_empty() {
        Err(vec![Invalid::new(
            "section",
            "セクションの見出しを入力してください。",
        )])
    } else {
        Ok(match form.get("section").parse::<usize>() {
            Ok(section) => Edit::RenameSection {
                section,
                title: form.get("title").to_owned(),
                help: form.get("help").to_owned(),
            },
            Err(_) => Edit::AddSection {
                title: form.get("title").to_owned(),
                help: form.get("help").to_owned(),
            },
        })
    };
    apply(&state, &viewer, current, edit, None, "section", "saved").await
}

// ---------------------------------------------------------------- preview

#[derive(Template, WebTemplate)]
#[template(path = "forms/preview.html")]
struct PreviewPage {
    layout: Layout,
    form: Form,
    questions: String,
    checked: bool,
    errors: Vec<String>,
    /// A diagnostic's result for the typed answers: (area, percent, band).
    diagnosis: Vec<(String, u8, String)>,
}

fn preview_page(
    viewer: &Viewer,
    form: Form,
    raw: &RawAnswers,
    errors: &[Invalid],
    checked: bool,
) -> PreviewPage {
    let diagnosis = if checked && errors.is_empty() {
        form.latest
            .definition
            .parse_answers(raw)
            .ok()
            .and_then(|answers| form.latest.definition.diagnose(&answers))
            .map(|d| {
                d.areas
                    .iter()
                    .chain(std::iter::once(&d.total))
                    .map(|s| (s.label.clone(), s.percent, s.band_label.clone()))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    PreviewPage {
        layout: Layout::for_viewer(format!("{}（プレビュー）", form.title), viewer),
        questions: questions_html(&form.latest.definition, raw, errors),
        errors: errors.iter().map(|e| e.reason.clone()).collect(),
        checked,
        diagnosis,
        form,
    }
}

async fn preview(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<PreviewPage, WebError> {
    viewer.actor()?;
    let form = forms::get(&state.store, &key).await?;
    Ok(preview_page(
        &viewer,
        form,
        &RawAnswers::default(),
        &[],
        false,
    ))
}

/// Checks typed answers against the questions, as a submission would, saving nothing.
async fn check_preview(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    viewer.actor()?;
    let stored = forms::get(&state.store, &key).await?;
    let raw = stored.latest.definition.raw_from_fields(&form.0);
    let errors = stored
        .latest
        .definition
        .parse_answers(&raw)
        .err()
        .unwrap_or_default();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, preview_page(&viewer, stored, &raw, &errors, true)).into_response())
}
