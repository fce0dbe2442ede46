//! `/api/v1` for the directory and matching: companies (search with facets, profile,
//! registration and edits), the shared taxonomy, needs and offers, a need's ranked
//! candidates with their reasons, negotiations (商談) and the council's figures.
//!
//! The same store calls as the pages: the store decides who sees which company and
//! its private fields, who may edit, and what a negotiation may become. Text search
//! runs on the process's index (caught up with `changes` first); the store re-reads
//! the hits with the caller's rights, so the index never decides who sees what.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use domain::directory::{
    AgeBand, Capability, CapabilityGroup, CompanyDraft, CompanyInput, JSIC, PostingDraft,
    PostingInput, PostingKind, Side, SizeBand, Stage, jsic_label, parse_jsic,
};
use domain::{FiscalYear, Invalid, Role};
use search::FacetField;
use serde::{Deserialize, Serialize};
use store::StoreError;
use store::companies::{self, Company};
use store::matching::{self, CandidateRef, Match};
use store::negotiations::{self, Figures, Negotiation, Supplier};
use store::organisations::{self, Directory};
use store::postings::{self, Poster, Posting, PostingFilter};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, ApiJson, Problem};
use crate::auth::Viewer;
use crate::form::FormData;
use crate::pages::query_pairs;
use crate::{AppState, WebError};
use domain::time::japan_today;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_companies, create_company))
        .routes(routes!(get_company, update_company))
        .routes(routes!(taxonomy))
        .routes(routes!(list_postings, create_posting))
        .routes(routes!(get_posting))
        .routes(routes!(posting_matches))
        .routes(routes!(propose))
        .routes(routes!(list_negotiations))
        .routes(routes!(figures))
        .routes(routes!(feed_negotiation_kpis))
        .routes(routes!(get_negotiation))
        .routes(routes!(advance))
}

/// Results per page of the company search when `limit` is not given, and the most.
const DEFAULT_LIMIT: usize = 20;
pub(crate) const MAX_LIMIT: usize = 100;
/// Candidates of a need when `limit` is not given, and the most.
const DEFAULT_MATCHES: usize = 20;
pub(crate) const MAX_MATCHES: usize = 100;

// ---------------------------------------------------------------------------
// Companies
// ---------------------------------------------------------------------------

/// 非公開情報（自社・担当団体の職員・協議会事務局にのみ返されます）
#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyPrivateDto {
    /// 従業員数
    pub employees: Option<u32>,
    /// 代表者の年代（under40 | 40s | 50s | 60s | 70s | 80plus）
    pub representative_age: Option<String>,
    /// 代表者の年代の日本語名（例: 70代）
    pub representative_age_label: Option<String>,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    /// 職員メモ
    pub staff_note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyDto {
    /// 企業キー（例: ota-03。法人番号のある企業は c + 法人番号）
    pub key: String,
    /// 法人番号（13桁）
    pub corporate_number: Option<String>,
    pub name: String,
    /// フリガナ（カタカナ）
    pub kana: String,
    /// 所在市区のキー（協議会外の企業は null）
    pub city: Option<String>,
    /// 所在市区名（協議会外の企業は「協議会外」）
    pub city_name: String,
    /// 全国地方公共団体コード
    pub local_gov_code: Option<String>,
    /// 担当団体のキー
    pub organisation: String,
    pub organisation_name: String,
    pub prefecture: String,
    pub address: String,
    /// 日本標準産業分類の中分類コード（例: 24）
    pub industry: Option<String>,
    /// 業種名（例: 金属製品製造業）
    pub industry_label: Option<String>,
    pub founded_year: Option<i32>,
    pub url: String,
    pub description: String,
    pub products: String,
    /// 加工・材料・設備・認証の分類コード（GET /api/v1/taxonomy）
    pub capabilities: Vec<String>,
    /// 分類の日本語名（capabilities と同じ順）
    pub capability_labels: Vec<String>,
    /// 規模（micro | small | large）。従業員数が非公開でも規模は公開されます
    pub size: Option<String>,
    pub size_label: Option<String>,
    pub public: bool,
    /// 登記記録の閉鎖日（閉鎖された企業のみ）
    pub closed_on: Option<String>,
    pub close_cause: String,
    /// 登録元（manual | seed | list | nta）
    pub source: String,
    /// デモデータ（架空の企業）であること。協議会の実績（KPI）には数えません
    pub demo: bool,
    /// 呼び出した人がこの企業を編集できるか
    pub editable: bool,
    pub updated_at: String,
    /// 非公開情報。見る権限がない場合は含まれません
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private: Option<CompanyPrivateDto>,
}

fn company_dto(company: Company, editable: bool) -> CompanyDto {
    CompanyDto {
        city_name: company.city_name().to_owned(),
        city: company.city.as_ref().map(|c| c.key.clone()),
        local_gov_code: company.city.as_ref().map(|c| c.local_gov_code.clone()),
        organisation: company.owner.key.clone(),
        organisation_name: company.owner.name.clone(),
        industry_label: company
            .industry
            .as_deref()
            .and_then(jsic_label)
            .map(str::to_owned),
        capability_labels: company
            .capabilities
            .iter()
            .map(|c| Capability::label_of(c))
            .collect(),
        size: company.size.map(|s| s.code().to_owned()),
        size_label: company.size.map(|s| s.label().to_owned()),
        private: company.private.map(|p| CompanyPrivateDto {
            employees: p.employees,
            representative_age: p.representative_age.map(|a| a.code().to_owned()),
            representative_age_label: p.representative_age.map(|a| a.label().to_owned()),
            contact_name: p.contact_name,
            contact_email: p.contact_email,
            contact_phone: p.contact_phone,
            staff_note: p.staff_note,
        }),
        key: company.key,
        corporate_number: company.corporate_number,
        name: company.name,
        kana: company.kana,
        prefecture: company.prefecture,
        address: company.address,
        industry: company.industry,
        founded_year: company.founded_year,
        url: company.url,
        description: company.description,
        products: company.products,
        capabilities: company.capabilities,
        public: company.public,
        closed_on: company.closed_on,
        close_cause: company.close_cause,
        demo: store::demo::is_demo_company(&company.source),
        source: company.source,
        editable,
        updated_at: company.updated_at.to_rfc3339(),
    }
}

/// The caller as the store's viewer for reads (a user who still has to change a
/// one-time password reads, but writes are refused by `Viewer::actor`).
fn reader(viewer: &Viewer) -> Option<domain::Actor> {
    viewer.acting()
}

fn dto_for(viewer: &Viewer, company: Company) -> CompanyDto {
    let actor = reader(viewer);
    let editable = company.editable_by(actor.as_ref()) && viewer.actor().is_ok();
    company_dto(company, editable)
}

/// 絞り込みの候補の1つ
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetValueDto {
    /// 絞り込みに使う値（例: cutting, ota, small）
    pub value: String,
    /// 日本語名（例: 切削、大田区、中小（21〜300人））
    pub label: String,
    /// この値を持つ企業の数（この項目自身の絞り込みを除いた条件で数えます）
    pub count: u64,
}

/// 項目ごとの絞り込みの候補（多い順）
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct CompanyFacetsDto {
    pub city: Vec<FacetValueDto>,
    pub process: Vec<FacetValueDto>,
    pub material: Vec<FacetValueDto>,
    pub certification: Vec<FacetValueDto>,
    pub size: Vec<FacetValueDto>,
    pub industry: Vec<FacetValueDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyListDto {
    /// 条件に合う企業の数（全ページ）
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
    pub items: Vec<CompanyDto>,
    pub facets: CompanyFacetsDto,
}

/// A directory search as the query string gives it, every value checked.
struct CompanySearch {
    q: String,
    filters: Vec<(FacetField, String)>,
    limit: usize,
    offset: usize,
    include_closed: bool,
}

/// A capability of `group` by code, label or alias.
fn capability_in(group: CapabilityGroup, value: &str) -> Option<&'static str> {
    Capability::find(value)
        .or_else(|| Capability::lookup(value))
        .filter(|c| c.group == group)
        .map(|c| c.code)
}

/// A city key from a key or a 全国地方公共団体コード.
fn city_key(directory: &Directory, value: &str) -> Option<String> {
    directory
        .cities
        .iter()
        .find(|c| c.key == value || c.local_gov_code == value)
        .map(|c| c.key.clone())
}

fn number_param(
    query: &FormData,
    name: &str,
    label: &str,
    default: usize,
    range: std::ops::RangeInclusive<usize>,
    errors: &mut Vec<String>,
) -> usize {
    let text = query.get(name).trim();
    if text.is_empty() {
        return default;
    }
    match text.parse::<usize>() {
        Ok(n) if range.contains(&n) => n,
        _ => {
            errors.push(format!(
                "{name}（{label}）は{}から{}の整数で指定してください（「{text}」）。",
                range.start(),
                range.end()
            ));
            default
        }
    }
}

fn parse_company_search(
    query: &FormData,
    directory: &Directory,
) -> Result<CompanySearch, ApiError> {
    let mut errors = Vec::new();
    let mut filters = Vec::new();
    for field in [
        FacetField::City,
        FacetField::Process,
        FacetField::Material,
        FacetField::Certification,
        FacetField::Size,
        FacetField::Industry,
    ] {
        for value in query.all(field.code()) {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let parsed = match field {
                FacetField::City => city_key(directory, value).ok_or_else(|| {
                    format!(
                        "city: 「{value}」は協議会の市区ではありません（ota や 131113 のように指定してください）。"
                    )
                }),
                FacetField::Process | FacetField::Material | FacetField::Certification => {
                    let group = match field {
                        FacetField::Process => CapabilityGroup::Process,
                        FacetField::Material => CapabilityGroup::Material,
                        _ => CapabilityGroup::Certification,
                    };
                    capability_in(group, value)
                        .map(str::to_owned)
                        .ok_or_else(|| {
                            format!(
                                "{}: 「{value}」は分類「{}」にありません（GET /api/v1/taxonomy のコードを指定してください）。",
                                field.code(),
                                group.label()
                            )
                        })
                }
                FacetField::Size => SizeBand::parse(value)
                    .map(|s| s.code().to_owned())
                    .ok_or_else(|| {
                        format!("size: 「{value}」は規模の区分ではありません（micro・small・large のいずれか）。")
                    }),
                _ => match parse_jsic(value) {
                    Ok(Some(code)) => Ok(code.to_owned()),
                    _ => Err(format!(
                        "industry: 「{value}」は日本標準産業分類の中分類コードではありません（例: 24）。"
                    )),
                },
            };
            match parsed {
                // `city=ota&city=131113` name one city: one filter.
                Ok(value) if filters.contains(&(field, value.clone())) => {}
                Ok(value) => filters.push((field, value)),
                Err(message) => errors.push(message),
            }
        }
    }
    let limit = number_param(
        query,
        "limit",
        "件数",
        DEFAULT_LIMIT,
        1..=MAX_LIMIT,
        &mut errors,
    );
    let offset = number_param(
        query,
        "offset",
        "開始位置",
        0,
        0..=search::MAX_OFFSET,
        &mut errors,
    );
    let include_closed = match query.get("closed").trim() {
        "" | "0" | "false" => false,
        "1" | "true" => true,
        other => {
            errors.push(format!(
                "closed: 「{other}」ではなく true か false で指定してください。"
            ));
            false
        }
    };
    if !errors.is_empty() {
        return Err(WebError::BadRequest(errors.join(" ")).into());
    }
    Ok(CompanySearch {
        q: query.get("q").chars().take(200).collect(),
        filters,
        limit,
        offset,
        include_closed,
    })
}

/// 企業の検索（キーワードと絞り込み。非公開情報は見る権限のある人にだけ返します）
#[utoipa::path(
    get, path = "/api/v1/companies", tag = "directory",
    params(
        ("q" = Option<String>, Query, description = "キーワード（企業名・フリガナ・紹介文・製品・加工など。例: 切削）"),
        ("city" = Option<String>, Query, description = "所在市区のキーまたは全国地方公共団体コード（例: ota, 131113）。繰り返すといずれか"),
        ("process" = Option<String>, Query, description = "加工・工程の分類コード（例: cutting）。繰り返すといずれか"),
        ("material" = Option<String>, Query, description = "材料の分類コード（例: aluminium）"),
        ("certification" = Option<String>, Query, description = "認証の分類コード（例: iso9001）"),
        ("size" = Option<String>, Query, description = "規模（micro: 20人以下、small: 21〜300人、large: 301人以上）"),
        ("industry" = Option<String>, Query, description = "日本標準産業分類の中分類コード（例: 24）"),
        ("closed" = Option<bool>, Query, description = "閉鎖した企業も含める（true）"),
        ("limit" = Option<u32>, Query, description = "件数（1〜100、既定20）"),
        ("offset" = Option<u32>, Query, description = "開始位置（0から）"),
    ),
    responses((status = 200, body = CompanyListDto), (status = 400, body = Problem, content_type = "application/problem+json"))
)]
async fn list_companies(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Json<CompanyListDto>, ApiError> {
    let directory = organisations::directory(&state.store).await?;
    let search = parse_company_search(&query_pairs(raw.as_deref()), &directory)?;
    let actor = reader(&viewer);
    let hits = store::index::search_companies(
        &state.store,
        &state.search,
        actor.as_ref(),
        &store::index::CompanySearch {
            text: search.q.clone(),
            filters: search.filters.clone(),
            include_closed: search.include_closed,
            limit: search.limit,
            offset: search.offset,
        },
    )
    .await?;
    let facet = |field: FacetField| -> Vec<FacetValueDto> {
        hits.facets
            .get(&field)
            .map(|counts| {
                counts
                    .iter()
                    .map(|c| FacetValueDto {
                        label: store::index::facet_label(field, &c.value, &directory),
                        value: c.value.clone(),
                        count: c.count,
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let facets = CompanyFacetsDto {
        city: facet(FacetField::City),
        process: facet(FacetField::Process),
        material: facet(FacetField::Material),
        certification: facet(FacetField::Certification),
        size: facet(FacetField::Size),
        industry: facet(FacetField::Industry),
    };
    Ok(Json(CompanyListDto {
        total: hits.total as u64,
        limit: search.limit as u64,
        offset: search.offset as u64,
        items: hits
            .companies
            .into_iter()
            .map(|(c, _)| dto_for(&viewer, c))
            .collect(),
        facets,
    }))
}

/// 企業の詳細（企業キーまたは法人番号）
#[utoipa::path(
    get, path = "/api/v1/companies/{key}", tag = "directory",
    params(("key" = String, Path, description = "企業キー（例: ota-03）または法人番号")),
    responses((status = 200, body = CompanyDto), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
async fn get_company(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Json<CompanyDto>, ApiError> {
    let actor = reader(&viewer);
    let company = companies::get(&state.store, actor.as_ref(), &key).await?;
    Ok(Json(dto_for(&viewer, company)))
}

/// 企業の登録・変更の内容
#[derive(Debug, Deserialize, ToSchema)]
pub struct CompanyBody {
    /// 法人番号（13桁。チェックデジットを確認します）
    #[serde(default)]
    pub corporate_number: String,
    pub name: String,
    /// フリガナ（ひらがな・半角カナも可。カタカナで保存します）
    #[serde(default)]
    pub kana: String,
    /// 所在市区のキー（例: ota）。協議会外の企業は空
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub address: String,
    /// 日本標準産業分類の中分類コード（例: 24）
    #[serde(default)]
    pub industry: String,
    pub employees: Option<u32>,
    pub founded_year: Option<u32>,
    /// 代表者の年代（under40 | 40s | 50s | 60s | 70s | 80plus）
    #[serde(default)]
    pub representative_age: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub products: String,
    /// 分類コードの配列（例: ["cutting", "aluminium", "iso9001"]）
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// 公開するか（登録時の既定は true、変更時に省略すると現在のまま）
    pub public: Option<bool>,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_email: String,
    #[serde(default)]
    pub contact_phone: String,
    /// 職員メモ（職員・事務局のみ。省略すると現在のまま。企業会員の変更では常に現在のまま）
    pub staff_note: Option<String>,
}

fn company_input(body: &CompanyBody) -> CompanyInput {
    CompanyInput {
        corporate_number: body.corporate_number.clone(),
        name: body.name.clone(),
        kana: body.kana.clone(),
        city: body.city.clone(),
        address: body.address.clone(),
        industry: body.industry.clone(),
        employees: body.employees.map(|n| n.to_string()).unwrap_or_default(),
        founded_year: body.founded_year.map(|y| y.to_string()).unwrap_or_default(),
        representative_age: body.representative_age.clone(),
        url: body.url.clone(),
        description: body.description.clone(),
        products: body.products.clone(),
        capabilities: body.capabilities.clone(),
        public: body.public.unwrap_or(true),
        contact_name: body.contact_name.clone(),
        contact_email: body.contact_email.clone(),
        contact_phone: body.contact_phone.clone(),
        staff_note: body.staff_note.clone().unwrap_or_default(),
    }
}

fn company_draft(input: &CompanyInput, directory: &Directory) -> Result<CompanyDraft, ApiError> {
    let keys: Vec<&str> = directory.cities.iter().map(|c| c.key.as_str()).collect();
    Ok(CompanyDraft::parse(input, &keys, japan_today().year()).map_err(StoreError::Invalid)?)
}

/// 企業の登録（市区の職員は自市区の企業、協議会事務局はすべて）
#[utoipa::path(
    post, path = "/api/v1/companies", tag = "directory", request_body = CompanyBody,
    responses((status = 201, body = CompanyDto), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn create_company(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiJson(body): ApiJson<CompanyBody>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor()?;
    let directory = organisations::directory(&state.store).await?;
    let draft = company_draft(&company_input(&body), &directory)?;
    let created = companies::create(&state.store, &actor, &draft, "manual").await?;
    let editable = created.editable_by(Some(&actor));
    Ok((StatusCode::CREATED, Json(company_dto(created, editable))).into_response())
}

/// 企業情報の変更（自社の企業会員、担当団体の職員、協議会事務局）
#[utoipa::path(
    put, path = "/api/v1/companies/{key}", tag = "directory", request_body = CompanyBody,
    params(("key" = String, Path, description = "企業キーまたは法人番号")),
    responses((status = 200, body = CompanyDto), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn update_company(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<CompanyBody>,
) -> Result<Json<CompanyDto>, ApiError> {
    let actor = viewer.actor()?;
    let current = companies::get(&state.store, Some(&actor), &key).await?;
    let directory = organisations::directory(&state.store).await?;
    let mut input = company_input(&body);
    // Members never see the staff note's field and a PUT that leaves a field out
    // keeps it: neither erases what staff wrote.
    if !actor.role.keeps_records() || body.staff_note.is_none() {
        input.staff_note = current
            .private
            .as_ref()
            .map(|p| p.staff_note.clone())
            .unwrap_or_default();
    }
    if body.public.is_none() {
        input.public = current.public;
    }
    let draft = company_draft(&input, &directory)?;
    let updated = companies::update(&state.store, &actor, &current.key, &draft).await?;
    let editable = updated.editable_by(Some(&actor));
    Ok(Json(company_dto(updated, editable)))
}

// ---------------------------------------------------------------------------
// Taxonomy
// ---------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct CapabilityDto {
    /// 分類コード（API・URLで使う安定した値。例: cutting）
    pub code: String,
    /// 日本語名（例: 切削）
    pub label: String,
    /// 同じ意味で入力される別名（例: 旋盤、フライス）
    pub aliases: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CapabilityGroupDto {
    /// process | material | equipment | certification
    pub code: String,
    /// 加工・工程 | 材料 | 設備 | 認証・認定
    pub label: String,
    pub capabilities: Vec<CapabilityDto>,
}

/// コードと日本語名
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeLabelDto {
    pub code: String,
    pub label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaxonomyDto {
    /// 加工・材料・設備・認証の共通分類
    pub groups: Vec<CapabilityGroupDto>,
    /// 規模の区分
    pub sizes: Vec<CodeLabelDto>,
    /// 日本標準産業分類の中分類（製造業ほか）
    pub industries: Vec<CodeLabelDto>,
    /// 代表者の年代
    pub age_bands: Vec<CodeLabelDto>,
    /// ニーズ・シーズの種類
    pub posting_kinds: Vec<CodeLabelDto>,
    /// 商談の段階（この順に進みます。declined は辞退）
    pub stages: Vec<CodeLabelDto>,
}

fn code_label(code: &str, label: &str) -> CodeLabelDto {
    CodeLabelDto {
        code: code.to_owned(),
        label: label.to_owned(),
    }
}

/// 共通分類（加工・材料・設備・認証）と規模・業種・種類・段階のコード表
#[utoipa::path(
    get, path = "/api/v1/taxonomy", tag = "directory",
    responses((status = 200, body = TaxonomyDto))
)]
async fn taxonomy() -> Json<TaxonomyDto> {
    Json(TaxonomyDto {
        groups: CapabilityGroup::ALL
            .iter()
            .map(|g| CapabilityGroupDto {
                code: g.code().to_owned(),
                label: g.label().to_owned(),
                capabilities: Capability::of(*g)
                    .map(|c| CapabilityDto {
                        code: c.code.to_owned(),
                        label: c.label.to_owned(),
                        aliases: c.aliases.iter().map(|a| (*a).to_owned()).collect(),
                    })
                    .collect(),
            })
            .collect(),
        sizes: SizeBand::ALL
            .iter()
            .map(|s| code_label(s.code(), s.label()))
            .collect(),
        industries: JSIC.iter().map(|(c, l)| code_label(c, l)).collect(),
        age_bands: AgeBand::ALL
            .iter()
            .map(|a| code_label(a.code(), a.label()))
            .collect(),
        posting_kinds: PostingKind::ALL
            .iter()
            .map(|k| code_label(k.code(), k.label()))
            .collect(),
        stages: Stage::ALL
            .iter()
            .map(|s| code_label(s.code(), s.label()))
            .collect(),
    })
}

// ---------------------------------------------------------------------------
// Needs and offers
// ---------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct PostingDto {
    /// キー（例: need-1）
    pub key: String,
    /// need（ニーズ） | offer（シーズ・提供）
    pub side: String,
    pub side_label: String,
    /// business | design | seeds | successor | internship
    pub kind: String,
    /// 種類の日本語名（例: ビジネスマッチング）
    pub kind_label: String,
    pub title: String,
    pub body: String,
    /// 掲載者名（企業名、または 大阪大学医学部 など）
    pub poster_name: String,
    /// 掲載企業のキー（ディレクトリの企業が掲載した場合）
    pub company: Option<String>,
    /// 担当団体のキー
    pub organisation: String,
    pub organisation_name: String,
    pub city: Option<String>,
    pub city_name: Option<String>,
    /// 必要な（提供する）加工・材料・認証の分類コード
    pub capabilities: Vec<String>,
    pub capability_labels: Vec<String>,
    /// 希望する規模（micro | small | large）
    pub size_preference: Option<String>,
    /// 他市の企業を優先するか
    pub prefer_other_cities: bool,
    /// 締切（2026-12-31）
    pub deadline: Option<String>,
    /// 募集中か（終了したものは false）
    pub open: bool,
    pub public: bool,
    /// 呼び出した人が編集・商談の提案をできるか
    pub editable: bool,
    pub created_at: String,
    pub updated_at: String,
}

fn posting_dto(posting: Posting, editable: bool) -> PostingDto {
    PostingDto {
        side: posting.side.code().to_owned(),
        side_label: posting.side.label().to_owned(),
        kind: posting.kind.code().to_owned(),
        kind_label: posting.kind.label().to_owned(),
        company: posting.company.as_ref().map(|c| c.0.clone()),
        organisation: posting.owner.key.clone(),
        organisation_name: posting.owner.name.clone(),
        city: posting.city.as_ref().map(|c| c.key.clone()),
        city_name: posting.city.as_ref().map(|c| c.name.clone()),
        capability_labels: posting
            .capabilities
            .iter()
            .map(|c| Capability::label_of(c))
            .collect(),
        size_preference: posting.size_preference.map(|s| s.code().to_owned()),
        deadline: posting.deadline.map(|d| d.to_string()),
        created_at: posting.created_at.to_rfc3339(),
        updated_at: posting.updated_at.to_rfc3339(),
        key: posting.key,
        title: posting.title,
        body: posting.body,
        poster_name: posting.poster_name,
        capabilities: posting.capabilities,
        prefer_other_cities: posting.prefer_other_cities,
        open: posting.open,
        public: posting.public,
        editable,
    }
}

fn posting_for(viewer: &Viewer, posting: Posting) -> PostingDto {
    let actor = reader(viewer);
    let editable = posting.editable_by(actor.as_ref()) && viewer.actor().is_ok();
    posting_dto(posting, editable)
}

/// ニーズ・シーズの一覧（新しい順。非公開のものは掲載企業・担当団体の職員・事務局のみ）
#[utoipa::path(
    get, path = "/api/v1/needs", tag = "matching",
    params(
        ("side" = Option<String>, Query, description = "need（ニーズ） | offer（シーズ・提供）。省略時は両方"),
        ("kind" = Option<String>, Query, description = "種類（business | design | seeds | successor | internship）"),
        ("city" = Option<String>, Query, description = "市区のキーまたは全国地方公共団体コード"),
        ("company" = Option<String>, Query, description = "掲載企業のキー"),
        ("closed" = Option<bool>, Query, description = "終了したものも含める（true）"),
    ),
    responses((status = 200, body = Vec<PostingDto>), (status = 400, body = Problem, content_type = "application/problem+json"))
)]
async fn list_postings(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<PostingDto>>, ApiError> {
    let query = query_pairs(raw.as_deref());
    let directory = organisations::directory(&state.store).await?;
    let mut errors = Vec::new();
    let side = match query.get("side").trim() {
        "" => None,
        code => Side::parse(code).or_else(|| {
            errors.push(format!(
                "side: 「{code}」ではなく need か offer で指定してください。"
            ));
            None
        }),
    };
    let kind = match query.get("kind").trim() {
        "" => None,
        code => PostingKind::parse(code).or_else(|| {
            errors.push(format!(
                "kind: 「{code}」は種類ではありません（business・design・seeds・successor・internship のいずれか）。"
            ));
            None
        }),
    };
    let city = match query.get("city").trim() {
        "" => None,
        value => city_key(&directory, value).or_else(|| {
            errors.push(format!("city: 「{value}」は協議会の市区ではありません。"));
            None
        }),
    };
    let include_closed = match query.get("closed").trim() {
        "" | "0" | "false" => false,
        "1" | "true" => true,
        other => {
            errors.push(format!(
                "closed: 「{other}」ではなく true か false で指定してください。"
            ));
            false
        }
    };
    if !errors.is_empty() {
        return Err(WebError::BadRequest(errors.join(" ")).into());
    }
    let actor = reader(&viewer);
    let mut listed = postings::list(
        &state.store,
        actor.as_ref(),
        &PostingFilter {
            side,
            kind,
            city,
            include_closed,
            ids: None,
        },
    )
    .await?;
    let company = query.get("company").trim();
    if !company.is_empty() {
        listed.retain(|p| p.company.as_ref().is_some_and(|c| c.0 == company));
    }
    Ok(Json(
        listed
            .into_iter()
            .map(|p| posting_for(&viewer, p))
            .collect(),
    ))
}

/// ニーズ・シーズの詳細
#[utoipa::path(
    get, path = "/api/v1/needs/{key}", tag = "matching",
    params(("key" = String, Path, description = "ニーズ・シーズのキー（例: need-1）")),
    responses((status = 200, body = PostingDto), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
async fn get_posting(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Json<PostingDto>, ApiError> {
    let actor = reader(&viewer);
    let posting = postings::get(&state.store, actor.as_ref(), &key).await?;
    Ok(Json(posting_for(&viewer, posting)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PostingBody {
    /// need（ニーズ、既定） | offer（シーズ・提供）
    #[serde(default = "need_side")]
    pub side: String,
    /// business | design | seeds | successor | internship
    pub kind: String,
    pub title: String,
    pub body: String,
    /// 掲載企業のキー（職員が企業に代わって掲載する場合。企業会員は自社で固定）
    #[serde(default)]
    pub company: String,
    /// 掲載者名（職員が団体の名前で、企業以外に代わって掲載する場合は必須。例: 大阪大学医学部）
    #[serde(default)]
    pub poster_name: String,
    /// 市区のキー（省略時は掲載者の市区）
    #[serde(default)]
    pub city: String,
    /// 分類コードの配列
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// 希望する規模（micro | small | large）
    #[serde(default)]
    pub size_preference: String,
    /// 他市の企業を優先する（既定 true）
    #[serde(default = "yes")]
    pub prefer_other_cities: bool,
    /// 締切（2026-12-31）
    #[serde(default)]
    pub deadline: String,
    /// 公開する（既定 true）
    #[serde(default = "yes")]
    pub public: bool,
}

fn need_side() -> String {
    "need".into()
}

fn yes() -> bool {
    true
}

/// ニーズ・シーズの掲載（企業会員は自社として、職員は企業キー company を指定するか団体の名前で）
#[utoipa::path(
    post, path = "/api/v1/needs", tag = "matching", request_body = PostingBody,
    responses((status = 201, body = PostingDto), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn create_posting(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiJson(body): ApiJson<PostingBody>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor()?;
    let directory = organisations::directory(&state.store).await?;
    let input = PostingInput {
        side: body.side.clone(),
        kind: body.kind.clone(),
        title: body.title.clone(),
        body: body.body.clone(),
        poster_name: body.poster_name.clone(),
        city: body.city.clone(),
        capabilities: body.capabilities.clone(),
        size_preference: body.size_preference.clone(),
        prefer_other_cities: body.prefer_other_cities,
        deadline: body.deadline.clone(),
        public: body.public,
    };
    let keys: Vec<&str> = directory.cities.iter().map(|c| c.key.as_str()).collect();
    postings::may_post(&actor)?;
    let draft = PostingDraft::parse(&input, &keys).map_err(StoreError::Invalid)?;
    let poster = if actor.role == Role::Company {
        let company_id = actor.company_id.ok_or_else(|| {
            StoreError::forbidden(
                "企業会員のアカウントに企業が登録されていません。事務局にお問い合わせください。",
            )
        })?;
        let company = companies::by_ids(&state.store, &[company_id])
            .await?
            .pop()
            .ok_or_else(|| StoreError::not_found("企業"))?;
        Poster::Company(company.key)
    } else if !body.company.trim().is_empty() {
        Poster::Company(body.company.trim().to_owned())
    } else {
        let organisation = actor
            .organisation_id
            .and_then(|id| directory.organisation(id))
            .ok_or_else(|| {
                StoreError::Invalid(vec![Invalid::new(
                    "company",
                    "所属団体がありません。掲載企業のキー（company）を指定してください。",
                )])
            })?;
        Poster::Organisation(organisation.key.clone())
    };
    let created = postings::create(&state.store, &actor, &poster, &draft).await?;
    let editable = created.editable_by(Some(&actor));
    Ok((StatusCode::CREATED, Json(posting_dto(created, editable))).into_response())
}

/// 順位の理由の1つ
#[derive(Debug, Serialize, ToSchema)]
pub struct MatchComponentDto {
    /// text | processes | materials | equipment | certification | size | city
    pub kind: String,
    /// 日本語名（例: 工程）
    pub label: String,
    /// 得点（必要な認証がない場合はマイナス）
    pub points: f64,
    /// この項目の満点（全項目の満点の合計は100）
    pub max_points: f64,
    /// 理由（例: 工程が一致: 切削（1/1））
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchDto {
    /// 商談の提案に使う候補コード（company:KEY | person:KEY | offer:KEY）
    pub candidate: String,
    /// company | person | offer
    pub candidate_kind: String,
    /// 企業・人材・シーズのキー
    pub candidate_key: String,
    pub name: String,
    /// 候補の種別（例: 企業、デザイナー、シーズ・提供）
    pub kind_label: String,
    /// 所在市区名
    pub city_name: String,
    /// 0〜100点。components の points の合計
    pub score: f64,
    pub components: Vec<MatchComponentDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchListDto {
    /// ニーズのキー
    pub need: String,
    /// 得点の高い順
    pub items: Vec<MatchDto>,
}

fn match_dto(m: Match) -> MatchDto {
    let (candidate_kind, candidate_key) = match &m.candidate {
        CandidateRef::Company(k) => ("company", k.clone()),
        CandidateRef::Person(k) => ("person", k.clone()),
        CandidateRef::Offer(k) => ("offer", k.clone()),
    };
    MatchDto {
        candidate: m.candidate.code(),
        candidate_kind: candidate_kind.to_owned(),
        candidate_key,
        name: m.name,
        kind_label: m.kind_label.to_owned(),
        city_name: m.city,
        score: m.ranked.score,
        components: m
            .ranked
            .components
            .into_iter()
            .map(|c| MatchComponentDto {
                kind: c.kind.code().to_owned(),
                label: c.kind.label().to_owned(),
                points: c.points,
                max_points: c.max_points,
                reason: c.reason,
            })
            .collect(),
    }
}

/// ニーズの候補（得点順、理由つき。ニーズを掲載した企業・担当団体の職員・事務局のみ）
#[utoipa::path(
    get, path = "/api/v1/needs/{key}/matches", tag = "matching",
    params(("key" = String, Path, description = "ニーズのキー"),
           ("limit" = Option<u32>, Query, description = "候補の数（1〜100、既定20）")),
    responses((status = 200, body = MatchListDto), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"))
)]
async fn posting_matches(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<MatchListDto>, ApiError> {
    let actor = viewer.actor()?;
    let mut errors = Vec::new();
    let limit = number_param(
        &query_pairs(raw.as_deref()),
        "limit",
        "候補の数",
        DEFAULT_MATCHES,
        1..=MAX_MATCHES,
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(WebError::BadRequest(errors.join(" ")).into());
    }
    let need = postings::get(&state.store, Some(&actor), &key).await?;
    if !need.editable_by(Some(&actor)) {
        return Err(StoreError::forbidden(
            "候補を見られるのは、ニーズを掲載した企業と担当団体の職員、協議会事務局のみです。",
        )
        .into());
    }
    if need.side != Side::Need {
        return Err(StoreError::Conflict(
            "候補を出せるのはニーズのみです（これはシーズ・提供です）。".into(),
        )
        .into());
    }
    let found =
        matching::candidates(&state.store, &state.search, Some(&actor), &need, limit).await?;
    Ok(Json(MatchListDto {
        need: need.key,
        items: found.into_iter().map(match_dto).collect(),
    }))
}

// ---------------------------------------------------------------------------
// Negotiations
// ---------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct NegotiationStepDto {
    /// proposed | accepted | meeting | quote | prototype | order | declined
    pub stage: String,
    pub stage_label: String,
    /// 日付（2016-10-20）
    pub on_date: String,
    pub note: String,
    /// 記録した人
    pub user_email: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NegotiationDto {
    pub key: String,
    pub title: String,
    /// 元のニーズのキー
    pub need: Option<String>,
    pub need_title: Option<String>,
    /// ニーズ側（発注側）
    pub buyer_name: String,
    pub buyer_company: Option<String>,
    pub buyer_city: Option<String>,
    /// 提供側（受注側）
    pub supplier_name: String,
    pub supplier_company: Option<String>,
    pub supplier_city: Option<String>,
    /// 担当団体のキー
    pub organisation: String,
    pub organisation_name: String,
    /// 現在の段階（proposed | accepted | meeting | quote | prototype | order | declined）
    pub stage: String,
    pub stage_label: String,
    /// 受注金額（円）
    pub amount: Option<f64>,
    /// 異なる市区の企業どうしの商談か
    pub cross_city: bool,
    pub started_on: String,
    pub updated_on: String,
    /// 経過（古い順）
    pub steps: Vec<NegotiationStepDto>,
    /// デモデータ（架空の企業・人材どうしの商談）であること。協議会の実績（KPI）には数えません
    pub demo: bool,
    /// 呼び出した人が次の段階を記録できるか
    pub editable: bool,
}

fn negotiation_dto(n: Negotiation, actor: &domain::Actor) -> NegotiationDto {
    NegotiationDto {
        cross_city: n.is_cross_city(),
        editable: n.editable_by(Some(actor)),
        demo: n.demo,
        need: n.posting.as_ref().map(|p| p.0.clone()),
        need_title: n.posting.as_ref().map(|p| p.1.clone()),
        buyer_company: n.buyer_company.as_ref().map(|c| c.0.clone()),
        supplier_company: n.supplier_company.as_ref().map(|c| c.0.clone()),
        organisation: n.owner.key.clone(),
        organisation_name: n.owner.name.clone(),
        stage: n.stage.code().to_owned(),
        stage_label: n.stage.label().to_owned(),
        started_on: n.started_on.to_string(),
        updated_on: n.updated_on.to_string(),
        steps: n
            .steps
            .into_iter()
            .map(|s| NegotiationStepDto {
                stage: s.stage.code().to_owned(),
                stage_label: s.stage.label().to_owned(),
                on_date: s.on_date.to_string(),
                note: s.note,
                user_email: s.user_email,
            })
            .collect(),
        key: n.key,
        title: n.title,
        buyer_name: n.buyer_name,
        buyer_city: n.buyer_city,
        supplier_name: n.supplier_name,
        supplier_city: n.supplier_city,
        amount: n.amount,
    }
}

/// 商談の一覧（ログインした人が見られるもの：所属団体・自社の商談。事務局はすべて）
#[utoipa::path(
    get, path = "/api/v1/negotiations", tag = "matching",
    params(("stage" = Option<String>, Query, description = "段階で絞り込み（例: accepted）")),
    responses((status = 200, body = Vec<NegotiationDto>), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"))
)]
async fn list_negotiations(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<NegotiationDto>>, ApiError> {
    let actor = viewer.actor()?;
    let query = query_pairs(raw.as_deref());
    let stage = match query.get("stage").trim() {
        "" => None,
        code => Some(Stage::parse(code).ok_or_else(|| {
            WebError::BadRequest(format!(
                "stage: 「{code}」は商談の段階ではありません（proposed・accepted・meeting・quote・prototype・order・declined のいずれか）。"
            ))
        })?),
    };
    let mut all = negotiations::list(&state.store, &actor).await?;
    if let Some(stage) = stage {
        all.retain(|n| n.stage == stage);
    }
    Ok(Json(
        all.into_iter()
            .map(|n| negotiation_dto(n, &actor))
            .collect(),
    ))
}

/// 商談の詳細と経過
#[utoipa::path(
    get, path = "/api/v1/negotiations/{key}", tag = "matching",
    params(("key" = String, Path, description = "商談キー")),
    responses((status = 200, body = NegotiationDto), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"))
)]
async fn get_negotiation(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Json<NegotiationDto>, ApiError> {
    let actor = viewer.actor()?;
    let n = negotiations::get(&state.store, &actor, &key).await?;
    Ok(Json(negotiation_dto(n, &actor)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProposalBody {
    /// 候補コード（GET /api/v1/needs/{key}/matches の candidate。company:KEY | person:KEY | offer:KEY）
    pub candidate: String,
    #[serde(default)]
    pub note: String,
    /// 提案日（2026-10-01。省略時は今日）
    #[serde(default)]
    pub on_date: String,
}

fn date_or_today(field: &str, text: &str) -> Result<NaiveDate, ApiError> {
    if text.trim().is_empty() {
        return Ok(japan_today());
    }
    Ok(domain::events::parse_date(field, text).map_err(|e| StoreError::Invalid(vec![e]))?)
}

/// ニーズへのマッチング提案（商談の開始。ニーズを掲載した企業・担当団体の職員・事務局）
#[utoipa::path(
    post, path = "/api/v1/needs/{key}/negotiations", tag = "matching", request_body = ProposalBody,
    params(("key" = String, Path, description = "ニーズのキー")),
    responses((status = 201, body = NegotiationDto), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn propose(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<ProposalBody>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor()?;
    let supplier = match body.candidate.trim().split_once(':') {
        Some(("company", k)) if !k.is_empty() => Supplier::Company(k.to_owned()),
        Some(("person", k)) if !k.is_empty() => Supplier::Person(k.to_owned()),
        Some(("offer", k)) if !k.is_empty() => Supplier::Offer(k.to_owned()),
        _ => {
            return Err(StoreError::Invalid(vec![Invalid::new(
                "candidate",
                format!(
                    "候補「{}」は company:企業キー、person:人材キー、offer:シーズキー のいずれかの形で指定してください。",
                    body.candidate
                ),
            )])
            .into());
        }
    };
    let on_date = date_or_today("on_date", &body.on_date)?;
    let created =
        negotiations::propose(&state.store, &actor, &key, &supplier, on_date, &body.note).await?;
    Ok((StatusCode::CREATED, Json(negotiation_dto(created, &actor))).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StepBody {
    /// 次の段階（accepted | meeting | quote | prototype | order | declined）。戻すことはできません
    pub stage: String,
    /// 日付（2026-10-15。省略時は今日）。前回の記録より前の日付は不可
    #[serde(default)]
    pub on_date: String,
    #[serde(default)]
    pub note: String,
    /// 受注金額（円）
    pub amount: Option<f64>,
}

/// 商談の経過の記録（担当団体の職員・事務局・当事者の企業会員）
#[utoipa::path(
    post, path = "/api/v1/negotiations/{key}/steps", tag = "matching", request_body = StepBody,
    params(("key" = String, Path, description = "商談キー")),
    responses((status = 200, body = NegotiationDto), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn advance(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<StepBody>,
) -> Result<Json<NegotiationDto>, ApiError> {
    let actor = viewer.actor()?;
    let stage = Stage::parse(&body.stage).ok_or_else(|| {
        StoreError::Invalid(vec![Invalid::new(
            "stage",
            format!(
                "段階「{}」はありません（accepted・meeting・quote・prototype・order・declined のいずれか）。",
                body.stage
            ),
        )])
    })?;
    let on_date = date_or_today("on_date", &body.on_date)?;
    let n = negotiations::advance(
        &state.store,
        &actor,
        &key,
        stage,
        on_date,
        &body.note,
        body.amount,
    )
    .await?;
    Ok(Json(negotiation_dto(n, &actor)))
}

/// 1つの市区（または合計）の実績
#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresDto {
    /// 市区のキー（協議会自身の分は council、合計は total）
    pub city: String,
    /// 市区名（協議会、合計）
    pub city_name: String,
    /// マッチング件数（提案されたすべて）
    pub matches: u64,
    /// 商談件数（相手が受諾したもの）
    pub negotiations: u64,
    /// 面談件数
    pub meetings: u64,
    /// 見積件数
    pub quotes: u64,
    /// 試作件数
    pub prototypes: u64,
    /// 受注・契約件数
    pub orders: u64,
    /// 辞退件数
    pub declined: u64,
    /// 異なる市区の企業どうしの件数
    pub cross_city: u64,
}

fn figures_dto(city: &str, city_name: &str, f: &Figures) -> FiguresDto {
    FiguresDto {
        city: city.to_owned(),
        city_name: city_name.to_owned(),
        matches: f.matches,
        negotiations: f.negotiations,
        meetings: f.meetings,
        quotes: f.quotes,
        prototypes: f.prototypes,
        orders: f.orders,
        declined: f.declined,
        cross_city: f.cross_city,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresReportDto {
    /// 年度（西暦の開始年。省略時はすべての年度で null）
    pub fy: Option<i32>,
    /// 和暦表記（例: 平成28年度）
    pub fy_label: Option<String>,
    /// 市区ごと（7市区の順、協議会自身の分があれば最後に council）
    pub cities: Vec<FiguresDto>,
    pub total: FiguresDto,
}

/// マッチング・商談の実績（市区ごとと合計。件数のみで、企業名は含みません）
#[utoipa::path(
    get, path = "/api/v1/negotiations/figures", tag = "matching",
    params(("fy" = Option<String>, Query, description = "年度（2016 や 平成28年度）。省略時はすべての年度")),
    responses((status = 200, body = FiguresReportDto), (status = 400, body = Problem, content_type = "application/problem+json"))
)]
async fn figures(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<FiguresReportDto>, ApiError> {
    let query = query_pairs(raw.as_deref());
    let fy = match query.get("fy").trim() {
        "" => None,
        text => Some(
            FiscalYear::parse(text)
                .map_err(|e| WebError::BadRequest(format!("fy: {}", e.reason)))?,
        ),
    };
    let (per_city, total) = negotiations::figures(&state.store, fy).await?;
    let directory = organisations::directory(&state.store).await?;
    let mut cities: Vec<FiguresDto> = directory
        .cities
        .iter()
        .map(|c| {
            figures_dto(
                &c.key,
                &c.name,
                &per_city.get(&c.key).cloned().unwrap_or_default(),
            )
        })
        .collect();
    if let Some(council) = per_city.get("council") {
        cities.push(figures_dto("council", "協議会", council));
    }
    Ok(Json(FiguresReportDto {
        fy: fy.map(|f| f.year()),
        fy_label: fy.map(|f| f.wareki_label()),
        cities,
        total: figures_dto("total", "合計", &total),
    }))
}

/// 担当団体の商談の実績（マッチング・商談・試作・受注の件数）を施策のKPIに反映する（その団体の施策を編集できる職員・事務局のみ。実績ページの「施策のKPIに反映する」と同じ処理。デモデータ＝架空の商談は数えず、その年度の商談が架空のものだけなら反映しません）
#[utoipa::path(
    post, path = "/api/v1/negotiations/kpis", tag = "matching",
    request_body = super::diagnostics::KpiFeedBody,
    responses((status = 200, description = "反映した件数", body = super::diagnostics::FedKpisDto),
              (status = 403, description = "その施策を編集できません", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "その施策はありません", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "年度の誤り、またはその年度の商談がデモデータだけです", body = Problem, content_type = "application/problem+json"))
)]
async fn feed_negotiation_kpis(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiJson(body): ApiJson<super::diagnostics::KpiFeedBody>,
) -> Result<Json<super::diagnostics::FedKpisDto>, ApiError> {
    let actor = viewer.actor()?;
    let fy = super::diagnostics::feed_year(&body.fy)?;
    let f = negotiations::feed_kpis(&state.store, &actor, &body.initiative, fy).await?;
    let values = [f.matches, f.negotiations, f.prototypes, f.orders];
    Ok(Json(super::diagnostics::fed_kpis_dto(
        &body.initiative,
        fy,
        negotiations::KPI_LABELS
            .iter()
            .zip(values)
            .map(|(label, value)| (*label, value, "件")),
    )))
}
