//! The secretariat's pages: accounts and the audit log.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::Role;
use store::StoreError;
use store::accounts::{self, NewUser};
use store::audit::{self, AUDIT_PAGE_SIZE, AuditFilter};

use super::query_pairs;
use crate::auth::Viewer;
use crate::export::{CsvRequest, ExportFormat, Table, japan_time};
use crate::form::FormData;
use crate::view::Layout;
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/users.csv", get(users_csv))
        .route("/admin/users.xlsx", get(users_xlsx))
        .route("/admin/audit", get(audit_log))
        .route("/admin/audit.csv", get(audit_csv))
        .route("/admin/audit.xlsx", get(audit_xlsx))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<(String, String, String, &'static str, &'static str)>,
    organisations: Vec<(String, String)>,
    roles: Vec<(&'static str, &'static str)>,
    input: (String, String, String, String, String),
    created: Option<(String, String)>,
    errors: Vec<String>,
}

async fn users_page(
    state: &AppState,
    viewer: &Viewer,
    input: (String, String, String, String, String),
    created: Option<(String, String)>,
    errors: Vec<String>,
) -> Result<UsersPage, WebError> {
    let actor = viewer.actor()?;
    let users = accounts::list_users(&state.store, &actor).await?;
    let directory = store::organisations::directory(&state.store).await?;
    Ok(UsersPage {
        layout: Layout::for_viewer("アカウント管理", viewer),
        users: users
            .into_iter()
            .map(|u| {
                let state = if u.must_change_password {
                    "初回パスワード未変更"
                } else {
                    "利用中"
                };
                (
                    u.email,
                    u.display_name,
                    u.organisation_name,
                    u.role.label(),
                    state,
                )
            })
            .collect(),
        organisations: directory
            .organisations
            .iter()
            .map(|o| (o.key.clone(), o.name.clone()))
            .collect(),
        roles: Role::ALL
            .iter()
            // Individuals make their own accounts (`/signup/individual`).
            .filter(|r| **r != Role::Individual)
            .map(|r| (r.code(), r.label()))
            .collect(),
        input,
        created,
        errors,
    })
}

async fn users(State(state): State<AppState>, viewer: Viewer) -> Result<UsersPage, WebError> {
    users_page(
        &state,
        &viewer,
        (
            String::new(),
            String::new(),
            String::new(),
            "staff".into(),
            String::new(),
        ),
        None,
        Vec::new(),
    )
    .await
}

async fn create_user(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let new = NewUser {
        email: form.get("email").to_owned(),
        display_name: form.get("display_name").to_owned(),
        role: form.get("role").to_owned(),
        organisation: form.get("organisation").to_owned(),
        company: form.get("company").to_owned(),
    };
    let input = (
        new.email.clone(),
        new.display_name.clone(),
        new.organisation.clone(),
        new.role.clone(),
        new.company.clone(),
    );
    match accounts::create_user(&state.store, Some(&actor), &new).await {
        Ok((user, password)) => {
            let page = users_page(
                &state,
                &viewer,
                (
                    String::new(),
                    String::new(),
                    String::new(),
                    "staff".into(),
                    String::new(),
                ),
                Some((user.email, password)),
                Vec::new(),
            )
            .await?;
            let mut response = page.into_response();
            response.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            Ok(response)
        }
        Err(StoreError::Invalid(errors)) => {
            let page = users_page(
                &state,
                &viewer,
                input,
                None,
                errors.into_iter().map(|e| e.reason).collect(),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(StoreError::Conflict(message)) => {
            let page = users_page(&state, &viewer, input, None, vec![message]).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(error) => Err(error.into()),
    }
}

async fn users_table(state: &AppState, viewer: &Viewer) -> Result<Table, WebError> {
    let users = accounts::list_users(&state.store, &viewer.actor()?).await?;
    let mut table = Table::new(&[
        "メールアドレス",
        "氏名",
        "所属",
        "権限",
        "初回パスワード未変更",
    ]);
    for u in users {
        table.rows.push(vec![
            u.email,
            u.display_name,
            u.organisation_name,
            u.role.label().to_owned(),
            if u.must_change_password {
                "はい"
            } else {
                "いいえ"
            }
            .to_owned(),
        ]);
    }
    Ok(table)
}

async fn users_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    csv: CsvRequest,
) -> Result<Response, WebError> {
    users_table(&state, &viewer)
        .await?
        .download(ExportFormat::Csv(csv), "users", "アカウント")
}

async fn users_xlsx(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    users_table(&state, &viewer)
        .await?
        .download(ExportFormat::Xlsx, "users", "アカウント")
}

struct AuditRow {
    at: String,
    user: String,
    action: String,
    summary: String,
    /// 接続元: the client address of a change made through the web.
    client: String,
    has_diff: bool,
    before: String,
    after: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    layout: Layout,
    entries: Vec<AuditRow>,
    entities: Vec<(&'static str, &'static str)>,
    entity: String,
    user: String,
    total: u64,
    query: String,
    prev_page: Option<u64>,
    next_page: Option<u64>,
}

const ENTITIES: [(&str, &str); 6] = [
    ("initiative", "施策"),
    ("fiscal_entry", "年度の記録"),
    ("user", "アカウント"),
    ("signup_request", "利用登録の申請"),
    ("invitation", "招待"),
    ("council", "初期データ"),
];

fn action_label(action: &str) -> &str {
    match action {
        "create" => "登録",
        "update" => "更新",
        "delete" => "削除",
        "password" => "パスワード変更",
        "seed" => "初期データ読込",
        "cancel" => "中止・取消",
        "import" => "取込",
        "send" => "送信",
        "remind" => "督促",
        "submit" => "提出",
        "review" => "審査",
        "read" => "閲覧",
        "register" => "参加申込",
        "promote" => "キャンセル待ちから繰り上げ",
        "withdraw" => "申込取消",
        "attendance" => "出欠記録",
        "resend" => "メール再送",
        "signup" => "利用登録の申請",
        "confirm" => "メールアドレスの確認",
        "approve" => "承認",
        "refuse" => "不承認",
        "reset_request" => "パスワード再設定の申請",
        "password_reset" => "パスワード再設定",
        "invite" => "招待",
        "revoke" => "招待の取消",
        "accept" => "招待の受諾",
        "subscribe" => "配信の申込",
        "unsubscribe" => "配信停止",
        "two-step-enrol" => "二段階認証の設定",
        "two-step-failure" => "二段階認証の失敗",
        "two-step-lock" => "二段階認証の停止",
        "two-step-recovery" => "回復コードの使用",
        "two-step-reset" => "二段階認証のリセット",
        "two-step-setting" => "二段階認証の必須設定",
        "token-create" => "APIトークンの発行",
        "token-revoke" => "APIトークンの取り消し",
        "token-use" => "APIトークンによる操作",
        other => other,
    }
}

fn pretty(json: &Option<String>) -> String {
    json.as_deref()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok())
        .and_then(|value| serde_json::to_string_pretty(&value).ok())
        .unwrap_or_default()
}

fn audit_filter(raw: Option<&str>) -> (AuditFilter, String) {
    let query = query_pairs(raw);
    let filter = AuditFilter {
        entity: Some(query.get("entity").to_owned()),
        user_email: Some(query.get("user").to_owned()),
        // Clamped: `page=9223372036854775807` once overflowed the OFFSET and panicked.
        page: query
            .get("page")
            .parse::<u64>()
            .unwrap_or(0)
            .min(audit::AUDIT_LAST_PAGE),
    };
    let kept = format!(
        "entity={}&user={}",
        form_urlencoded::byte_serialize(query.get("entity").as_bytes()).collect::<String>(),
        form_urlencoded::byte_serialize(query.get("user").as_bytes()).collect::<String>()
    );
    (filter, kept)
}

async fn audit_log(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<AuditPage, WebError> {
    let actor = viewer.actor()?;
    let (filter, query) = audit_filter(raw.as_deref());
    let (entries, total) = audit::list(&state.store, &actor, &filter).await?;
    let page = filter.page;
    Ok(AuditPage {
        layout: Layout::for_viewer("監査ログ", &viewer),
        entries: entries
            .into_iter()
            .map(|a| AuditRow {
                at: a
                    .at
                    .with_timezone(&domain::time::japan_offset())
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string(),
                user: a.user_email,
                client: a.client_address.unwrap_or_default(),
                action: action_label(&a.action).to_owned(),
                summary: a.summary,
                has_diff: a.before_json.is_some() || a.after_json.is_some(),
                before: pretty(&a.before_json),
                after: pretty(&a.after_json),
            })
            .collect(),
        entities: ENTITIES.to_vec(),
        entity: filter.entity.clone().unwrap_or_default(),
        user: filter.user_email.clone().unwrap_or_default(),
        total,
        query,
        prev_page: page.checked_sub(1),
        next_page: ((page + 1) * AUDIT_PAGE_SIZE < total).then_some(page + 1),
    })
}

async fn audit_table(
    state: &AppState,
    viewer: &Viewer,
    raw: Option<&str>,
) -> Result<Table, WebError> {
    let actor = viewer.actor()?;
    let (mut filter, _) = audit_filter(raw);
    let mut table = Table::new(&[
        "日時",
        "利用者",
        "操作",
        "対象",
        "キー",
        "内容",
        "変更前",
        "変更後",
        "接続元",
    ])
    .datetimes(&["日時"])
    .codes(&["キー"]);
    // Every page of the filtered log, newest first.
    loop {
        let (entries, total) = audit::list(&state.store, &actor, &filter).await?;
        for a in entries {
            table.rows.push(vec![
                japan_time(a.at),
                a.user_email,
                action_label(&a.action).to_owned(),
                a.entity,
                a.entity_key,
                a.summary,
                a.before_json.unwrap_or_default(),
                a.after_json.unwrap_or_default(),
                a.client_address.unwrap_or_default(),
            ]);
        }
        filter.page += 1;
        if filter.page * AUDIT_PAGE_SIZE >= total {
            break;
        }
    }
    Ok(table)
}

async fn audit_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
    csv: CsvRequest,
) -> Result<Response, WebError> {
    audit_table(&state, &viewer, raw.as_deref())
        .await?
        .download(ExportFormat::Csv(csv), "audit-log", "監査ログ")
}

async fn audit_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    audit_table(&state, &viewer, raw.as_deref())
        .await?
        .download(ExportFormat::Xlsx, "audit-log", "監査ログ")
}
