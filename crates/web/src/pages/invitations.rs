//! `/invitations`: staff invite a member of a company they look after, or a
//! colleague; the secretariat anyone. The list of invitations (with 取り消し for
//! the pending ones, CSV/XLSX downloads), and the invitee's page behind the mailed
//! link, where they choose a name and a password and are signed in.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::Role;
use store::StoreError;
use store::accounts::PASSWORD_MIN_CHARS;
use store::invitations::{self, INVITATION_DAYS, Invitation, InvitationInput, InvitationStatus};

use super::query_pairs;
use super::recovery::{LinkKind, link_problem, no_store};
use crate::auth::Viewer;
use crate::export::{CsvRequest, ExportFormat, Table, japan_time};
use crate::form::FormData;
use crate::view::{Layout, tokyo_time};
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/invitations", get(list_page).post(invite))
        .route("/invitations.csv", get(invitations_csv))
        .route("/invitations.xlsx", get(invitations_xlsx))
        .route("/invitations/{id}/revoke", post(revoke))
        .route("/invitations/accept/{token}", get(accept_page).post(accept))
}

struct Row {
    id: i64,
    email: String,
    display_name: String,
    role: &'static str,
    place: String,
    invited_by: String,
    created: String,
    expires: String,
    status: &'static str,
    status_code: &'static str,
    pending: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "invitations/list.html")]
struct ListPage {
    layout: Layout,
    is_secretariat: bool,
    organisation_name: String,
    roles: Vec<(&'static str, &'static str)>,
    organisations: Vec<(String, String)>,
    input: InvitationInput,
    errors: Vec<String>,
    rows: Vec<Row>,
    pending: usize,
    days: i64,
}

/// "企業名（担当団体）" for a company member, the organisation otherwise.
fn place(invitation: &Invitation) -> String {
    match &invitation.company_name {
        Some(company) => format!("{company}（{}）", invitation.organisation_name),
        None => invitation.organisation_name.clone(),
    }
}

fn row(invitation: Invitation) -> Row {
    Row {
        id: invitation.id,
        place: place(&invitation),
        role: invitation.role.label(),
        created: tokyo_time(invitation.created_at),
        expires: tokyo_time(invitation.expires_at),
        status: invitation.status.label(),
        status_code: invitation.status.code(),
        pending: invitation.status == InvitationStatus::Pending,
        email: invitation.email,
        display_name: invitation.display_name,
        invited_by: invitation.invited_by,
    }
}

fn notice(raw: Option<&str>) -> Option<String> {
    match query_pairs(raw).get("done") {
        "sent" => {
            Some("招待メールを送信しました（送信状況は「送信メール」で確認できます）。".into())
        }
        "revoked" => Some("招待を取り消しました。この招待のリンクはもう使えません。".into()),
        _ => None,
    }
}

async fn render_list(
    state: &AppState,
    viewer: &Viewer,
    input: InvitationInput,
    errors: Vec<String>,
    notice: Option<String>,
) -> Result<ListPage, WebError> {
    let actor = viewer.actor()?;
    let invitations = invitations::list(&state.store, &actor).await?;
    let is_secretariat = actor.is_secretariat();
    let roles = Role::ALL
        .into_iter()
        // Individuals sign up on their own (`/signup/individual`); they are not invited.
        .filter(|r| *r != Role::Individual && (is_secretariat || *r != Role::Secretariat))
        .map(|r| {
            (
                r.code(),
                match r {
                    Role::Company => "企業会員（企業のメンバー）",
                    Role::Staff if is_secretariat => "職員（市区・商工会議所）",
                    Role::Staff => "職員（同じ団体の同僚）",
                    Role::Secretariat => "協議会事務局",
                    Role::Individual => "個人",
                },
            )
        })
        .collect();
    let directory = store::organisations::directory(&state.store).await?;
    let rows: Vec<Row> = invitations.into_iter().map(row).collect();
    Ok(ListPage {
        layout: Layout::for_viewer("招待", viewer).with_notice(notice),
        is_secretariat,
        organisation_name: viewer.user()?.organisation_name.clone(),
        roles,
        organisations: directory
            .organisations
            .iter()
            .map(|o| (o.key.clone(), o.name.clone()))
            .collect(),
        input,
        errors,
        pending: rows.iter().filter(|r| r.pending).count(),
        rows,
        days: INVITATION_DAYS,
    })
}

async fn list_page(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<ListPage, WebError> {
    let query = query_pairs(raw.as_deref());
    // From a company's page: the company's member, prefilled.
    let input = InvitationInput {
        role: if query.get("company").is_empty() {
            Role::Staff.code().into()
        } else {
            Role::Company.code().into()
        },
        company: query.get("company").chars().take(40).collect(),
        ..Default::default()
    };
    render_list(&state, &viewer, input, Vec::new(), notice(raw.as_deref())).await
}

fn label(field: &str) -> &'static str {
    match field {
        "email" => "メールアドレス",
        "display_name" => "氏名",
        "role" => "権限",
        "organisation" => "所属団体",
        "company" => "企業",
        "password" => "パスワード",
        _ => "入力",
    }
}

async fn invite(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let input = InvitationInput {
        email: form.get("email").to_owned(),
        display_name: form.get("display_name").to_owned(),
        role: form.get("role").to_owned(),
        organisation: form.get("organisation").to_owned(),
        company: form.get("company").to_owned(),
    };
    match invitations::invite(&state.store, &actor, &input).await {
        Ok(_) => Ok(Redirect::to("/invitations?done=sent").into_response()),
        Err(error) => {
            let (status, errors) = super::form_errors(error, label)?;
            let page = render_list(&state, &viewer, input, errors, None).await?;
            Ok((status, page).into_response())
        }
    }
}

async fn revoke(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let id: i64 = id
        .parse()
        .map_err(|_| WebError::from(StoreError::not_found("招待")))?;
    invitations::revoke(&state.store, &actor, id).await?;
    Ok(Redirect::to("/invitations?done=revoked").into_response())
}

async fn invitations_table(state: &AppState, viewer: &Viewer) -> Result<Table, WebError> {
    let actor = viewer.actor()?;
    let mut table = Table::new(&[
        "番号",
        "メールアドレス",
        "氏名",
        "権限",
        "所属団体",
        "企業ID",
        "企業名",
        "招待した人",
        "招待日時",
        "有効期限",
        "状態",
        "登録日時",
        "取消日時",
    ])
    .codes(&["番号", "企業ID"])
    .datetimes(&["招待日時", "有効期限", "登録日時", "取消日時"]);
    for i in invitations::list(&state.store, &actor).await? {
        table.rows.push(vec![
            i.id.to_string(),
            i.email,
            i.display_name,
            i.role.label().to_owned(),
            i.organisation_name,
            i.company_key.unwrap_or_default(),
            i.company_name.unwrap_or_default(),
            i.invited_by,
            japan_time(i.created_at),
            japan_time(i.expires_at),
            i.status.label().to_owned(),
            i.accepted_at.map(japan_time).unwrap_or_default(),
            i.revoked_at.map(japan_time).unwrap_or_default(),
        ]);
    }
    Ok(table)
}

async fn invitations_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    csv: CsvRequest,
) -> Result<Response, WebError> {
    invitations_table(&state, &viewer).await?.download(
        ExportFormat::Csv(csv),
        "invitations",
        "招待",
    )
}

async fn invitations_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    invitations_table(&state, &viewer)
        .await?
        .download(ExportFormat::Xlsx, "invitations", "招待")
}

#[derive(Template, WebTemplate)]
#[template(path = "invitations/accept.html")]
struct AcceptPage {
    layout: Layout,
    token: String,
    inviter: String,
    email: String,
    role: &'static str,
    place: String,
    expires: String,
    display_name: String,
    min_chars: usize,
    errors: Vec<String>,
}

fn accept_form(
    viewer: &Viewer,
    token: String,
    invitation: &Invitation,
    display_name: String,
    errors: Vec<String>,
) -> AcceptPage {
    AcceptPage {
        layout: Layout::for_viewer("招待によるアカウント登録", viewer),
        token,
        inviter: if invitation.invited_by.is_empty() {
            "協議会事務局".to_owned()
        } else {
            format!(
                "{}（{}）",
                invitation.organisation_name, invitation.invited_by
            )
        },
        email: invitation.email.clone(),
        role: invitation.role.label(),
        place: place(invitation),
        expires: tokyo_time(invitation.expires_at),
        display_name,
        min_chars: PASSWORD_MIN_CHARS,
        errors,
    }
}

async fn accept_page(
    State(state): State<AppState>,
    mut viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    match invitations::by_token(&state.store, &token).await? {
        Ok(invitation) => {
            viewer.ensure_csrf().await?;
            let name = invitation.display_name.clone();
            let page = accept_form(&viewer, token, &invitation, name, Vec::new());
            Ok(no_store(page.into_response()))
        }
        Err(unusable) => Ok(link_problem(LinkKind::Invitation, unusable)),
    }
}

async fn accept(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let display_name = form.get("display_name").to_owned();
    match invitations::accept(&state.store, &token, &display_name, form.get("password")).await {
        Ok(Ok(user)) => {
            viewer.sign_in(&user).await?;
            Ok(no_store(
                Redirect::to("/initiatives?done=welcome").into_response(),
            ))
        }
        Ok(Err(unusable)) => Ok(link_problem(LinkKind::Invitation, unusable)),
        Err(error @ (StoreError::Invalid(_) | StoreError::Conflict(_))) => {
            let invitation = match invitations::by_token(&state.store, &token).await? {
                Ok(invitation) => invitation,
                Err(unusable) => return Ok(link_problem(LinkKind::Invitation, unusable)),
            };
            let (status, errors) = super::form_errors(error, label)?;
            let page = accept_form(&viewer, token, &invitation, display_name, errors);
            Ok(no_store((status, page).into_response()))
        }
        Err(error) => Err(error.into()),
    }
}
