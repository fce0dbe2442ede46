//! Two-step sign-in (二段階認証): the code asked for after the password, one's own
//! enrolment (a QR code drawn here as inline SVG, the secret as text, then ten
//! recovery codes shown once), an organisation's setting that makes it required for
//! its staff, and the secretariat's overview with the reset of a lost device.
//! The rules and the audit live in `store::two_step`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::Role;
use store::StoreError;
use store::two_step::{self, Passed};

use super::recovery::no_store;
use crate::auth::Viewer;
use crate::client::ClientAddress;
use crate::form::FormData;
use crate::view::{Layout, tokyo_time};
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login/two-step", get(code_page).post(check_code))
        .route("/account/two-step", get(account_page).post(enrol))
        .route(
            "/account/two-step/organisations/{key}",
            post(set_organisation_requirement),
        )
        .route("/admin/two-step", get(overview))
        .route(
            "/admin/users/{id}/two-step-reset",
            get(reset_page).post(reset),
        )
}

#[derive(Template, WebTemplate)]
#[template(path = "two_step/code.html")]
struct CodePage {
    layout: Layout,
    error: Option<String>,
}

/// The second step of a sign-in. Without a password given in this session (or
/// after [`crate::auth::PENDING_MINUTES`]) it leads back to the login form.
async fn code_page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    if viewer.pending_two_step(&state).await?.is_none() {
        return Ok(Redirect::to("/login").into_response());
    }
    let page = CodePage {
        layout: Layout::for_viewer("確認コードの入力", &viewer),
        error: None,
    };
    Ok(no_store(page.into_response()))
}

async fn check_code(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientAddress,
    form: FormData,
) -> Result<Response, WebError> {
    let Some(user) = viewer.pending_two_step(&state).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let refused = |status: StatusCode, message: String| {
        let page = CodePage {
            layout: Layout::for_viewer("確認コードの入力", &viewer),
            error: Some(message),
        };
        no_store((status, page).into_response())
    };
    match two_step::check(&state.store, user.id, form.get("code"), &client.text()).await {
        Ok(passed) => {
            let target = viewer.finish_two_step(&state, &user).await?;
            let target = match (passed, target) {
                (Passed::RecoveryCode { left }, "/initiatives?done=signed-in") => {
                    format!("/account/two-step?recovery_left={left}")
                }
                (_, target) => target.to_owned(),
            };
            Ok(no_store(Redirect::to(&target).into_response()))
        }
        Err(StoreError::RateLimited {
            retry_after_seconds,
        }) => {
            let minutes = (retry_after_seconds.max(1) + 59) / 60;
            let mut response = refused(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "確認コードの誤りが{}回続いたため、このアカウントの二段階認証を{}分間停止しています。{minutes}分ほど待ってから再度お試しください。端末をなくした場合は協議会事務局にご連絡ください。",
                    two_step::FAILURES_BEFORE_LOCK,
                    two_step::LOCK_MINUTES
                ),
            );
            if let Ok(value) = retry_after_seconds.to_string().parse() {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, value);
            }
            Ok(response)
        }
        Err(StoreError::Invalid(errors)) => Ok(refused(
            StatusCode::UNAUTHORIZED,
            errors
                .into_iter()
                .map(|e| e.reason)
                .collect::<Vec<_>>()
                .join(" "),
        )),
        Err(error) => Err(error.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "two_step/account.html")]
struct AccountPage {
    layout: Layout,
    required: bool,
    enrolled: Option<(String, u64)>,
    /// Not enrolled: the QR code (inline SVG), the secret grouped for reading, and
    /// the errors of a code that was not accepted.
    qr_svg: String,
    secret: String,
    errors: Vec<String>,
    /// A recovery code just let the person in.
    recovery_left: Option<u64>,
    /// Staff: their organisation's setting (key, name, required).
    organisation: Option<(String, String, bool)>,
}

/// The QR code of `url` as an SVG element to put in a page: no script, no image
/// service, nothing fetched.
fn qr_svg(url: &str) -> Result<String, WebError> {
    let code = qrcode::QrCode::new(url.as_bytes())
        .map_err(|error| WebError::Internal(format!("QR code: {error}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .build();
    let start = svg.find("<svg").unwrap_or(0);
    Ok(svg[start..].replacen(
        "<svg ",
        "<svg role=\"img\" aria-label=\"二段階認証を設定するためのQRコード\" ",
        1,
    ))
}

/// Groups a base32 secret in fours, as apps show it and people type it.
fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|group| String::from_utf8_lossy(group).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

async fn account_view(
    state: &AppState,
    viewer: &Viewer,
    errors: Vec<String>,
    recovery_left: Option<u64>,
) -> Result<AccountPage, WebError> {
    let user = viewer.user()?;
    let actor = user.actor();
    let enrolment = two_step::enrolment(&state.store, &actor).await?;
    let (qr, secret) = match enrolment {
        Some(_) => (String::new(), String::new()),
        None => {
            let secret = viewer.enrolment_secret().await?;
            let url = two_step::enrolment_url(&secret, &user.email)?;
            (qr_svg(&url)?, grouped(&secret))
        }
    };
    let organisation = match (user.role, user.organisation_id) {
        (Role::Staff, Some(_)) => {
            let directory = store::organisations::directory(&state.store).await?;
            user.organisation_id
                .and_then(|id| directory.organisation(id))
                .map(|o| {
                    (
                        o.key.clone(),
                        o.name.clone(),
                        user.organisation_requires_two_step,
                    )
                })
        }
        _ => None,
    };
    Ok(AccountPage {
        layout: Layout::for_viewer("二段階認証", viewer),
        required: (user.role == Role::Secretariat && state.two_step_for_secretariat)
            || (user.role.keeps_records() && user.organisation_requires_two_step),
        enrolled: enrolment.map(|e| (tokyo_time(e.enrolled_at), e.recovery_codes_left)),
        qr_svg: qr,
        secret,
        errors,
        recovery_left,
        organisation,
    })
}

/// One's own two-step sign-in: the enrolment, or its state.
async fn account_page(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, WebError> {
    // A one-time password is replaced first, as everywhere.
    if viewer.user()?.must_change_password {
        return Err(WebError::PasswordChangeRequired);
    }
    let query = super::query_pairs(query.as_deref());
    let recovery_left = query.get("recovery_left").parse().ok();
    let mut page = account_view(&state, &viewer, Vec::new(), recovery_left).await?;
    page.layout = page
        .layout
        .with_notice(crate::view::notice(Some(query.get("done"))));
    Ok(no_store(page.into_response()))
}

#[derive(Template, WebTemplate)]
#[template(path = "two_step/codes.html")]
struct CodesPage {
    layout: Layout,
    codes: Vec<String>,
}

/// Confirms the secret of the page with a code of the app; shows the recovery
/// codes once.
async fn enrol(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let user = viewer.user()?;
    if user.must_change_password {
        return Err(WebError::PasswordChangeRequired);
    }
    let actor = user.actor();
    let secret = viewer.enrolment_secret().await?;
    match two_step::enrol(&state.store, &actor, &secret, form.get("code")).await {
        Ok(codes) => {
            viewer.forget_enrolment_secret().await?;
            let page = CodesPage {
                layout: Layout::for_viewer("回復コード", &viewer)
                    .with_notice(Some("二段階認証を設定しました。".into())),
                codes,
            };
            Ok(no_store(page.into_response()))
        }
        Err(StoreError::Invalid(errors)) => {
            let errors = errors.into_iter().map(|e| e.reason).collect();
            let page = account_view(&state, &viewer, errors, None).await?;
            Ok(no_store(
                (StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
            ))
        }
        Err(error) => Err(error.into()),
    }
}

/// Staff switch their organisation's requirement; the secretariat any one's.
async fn set_organisation_requirement(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let required = form.get("required") == "on";
    two_step::set_required(&state.store, &actor, &key, required).await?;
    let back = if actor.is_secretariat() {
        "/admin/two-step?done=two-step-setting"
    } else {
        "/account/two-step?done=two-step-setting"
    };
    Ok(Redirect::to(back).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "two_step/admin.html")]
struct OverviewPage {
    layout: Layout,
    /// (id, e-mail, organisation, role, enrolled)
    users: Vec<(i64, String, String, &'static str, bool)>,
    organisations: Vec<two_step::OrganisationSetting>,
    secretariat_required: bool,
}

/// The secretariat's overview: who enrolled, each organisation's setting.
async fn overview(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<OverviewPage, WebError> {
    let done = super::query_pairs(query.as_deref()).get("done").to_owned();
    let actor = viewer.actor()?;
    let users = store::accounts::list_users(&state.store, &actor).await?;
    let organisations = two_step::organisation_settings(&state.store, &actor).await?;
    Ok(OverviewPage {
        layout: Layout::for_viewer("二段階認証の管理", &viewer)
            .with_notice(crate::view::notice(Some(&done))),
        users: users
            .into_iter()
            .map(|u| {
                (
                    u.id,
                    u.email,
                    u.organisation_name,
                    u.role.label(),
                    u.two_step_enrolled,
                )
            })
            .collect(),
        organisations,
        secretariat_required: state.two_step_for_secretariat,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "two_step/reset.html")]
struct ResetPage {
    layout: Layout,
    id: i64,
    email: String,
    reason: String,
    errors: Vec<String>,
}

async fn reset_target(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<store::accounts::User, WebError> {
    let actor = viewer.actor()?;
    if !actor.is_secretariat() {
        return Err(
            StoreError::forbidden("二段階認証のリセットは協議会事務局のみ行えます。").into(),
        );
    }
    let id: i64 = id
        .parse()
        .map_err(|_| WebError::NotFound("アカウント".into()))?;
    store::accounts::user_by_id(&state.store, id)
        .await?
        .ok_or_else(|| WebError::NotFound("アカウント".into()))
}

async fn reset_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<ResetPage, WebError> {
    let user = reset_target(&state, &viewer, &id).await?;
    Ok(ResetPage {
        layout: Layout::for_viewer("二段階認証のリセット", &viewer),
        id: user.id,
        email: user.email,
        reason: String::new(),
        errors: Vec::new(),
    })
}

async fn reset(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let user = reset_target(&state, &viewer, &id).await?;
    let actor = viewer.actor()?;
    let reason = form.get("reason").to_owned();
    match two_step::reset(&state.store, &actor, user.id, &reason).await {
        Ok(()) => Ok(Redirect::to("/admin/two-step?done=two-step-reset").into_response()),
        Err(error @ (StoreError::Invalid(_) | StoreError::Conflict(_))) => {
            let errors = match error {
                StoreError::Invalid(errors) => errors.into_iter().map(|e| e.reason).collect(),
                other => vec![other.to_string()],
            };
            let page = ResetPage {
                layout: Layout::for_viewer("二段階認証のリセット", &viewer),
                id: user.id,
                email: user.email,
                reason,
                errors,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_an_svg_element_with_a_name_and_no_xml_declaration() {
        let svg =
            qr_svg("otpauth://totp/renkei:a%40b.jp?secret=ABCDEFGHIJKLMNOP&issuer=renkei").unwrap();
        assert!(
            svg.starts_with("<svg role=\"img\" aria-label="),
            "{svg:.80}"
        );
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("<?xml"));
    }

    #[test]
    fn a_secret_is_shown_in_groups_of_four() {
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }
}
