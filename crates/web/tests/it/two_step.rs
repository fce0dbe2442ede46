//! Two-step sign-in (issue 22, item 5) over HTTP: enrolment with a code computed by
//! `totp-rs` from the secret the page shows, the code asked for after the password
//! (a half-signed-in session grants nothing), a code used once, recovery codes used
//! once, five wrong codes lock for 15 minutes, the secretariat's reset with a reason,
//! the secretariat and an organisation that requires it sent to enrol first, and
//! the audit log of all of it.

use reqwest::{Client, StatusCode};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::harness::{TestApp, between, on_each_backend};

const STAFF_PASSWORD: &str = "staff-password-2026";

/// The code of `secret` (base32, as the page shows it, spaces and all) `steps`
/// thirty-second steps from now, as an authenticator app computes it.
pub fn code(secret: &str, steps: i64) -> String {
    let secret: String = secret.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = Secret::Encoded(secret).to_bytes().expect("a base32 secret");
    let totp = TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, bytes, None, String::new());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    totp.generate((now + steps * 30) as u64)
}

/// Enrols the signed-in `client`: reads the secret off the page, confirms it with
/// the current code; returns the secret and the ten recovery codes.
pub async fn enrol(app: &TestApp, client: &Client) -> (String, Vec<String>) {
    let page = app.text(client, "/account/two-step").await;
    assert!(
        page.contains("<svg role=\"img\""),
        "a QR code drawn in the page"
    );
    let secret = between(&page, "<code id=\"two-step-secret\">", "</code>").expect("the secret");
    let response = app
        .post_form(client, "/account/two-step", &[("code", &code(&secret, 0))])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("二度と表示されません"), "{page}");
    let codes: Vec<String> = page
        .split("<li><code>")
        .skip(1)
        .map(|rest| rest.split("</code>").next().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10, "ten recovery codes");
    (secret, codes)
}

/// Gives the password; returns the client halfway and where it was sent.
async fn password_step(app: &TestApp, email: &str) -> (Client, String) {
    let client = app.client();
    let response = app
        .post_form(
            &client,
            "/login",
            &[("email", email), ("password", STAFF_PASSWORD)],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "password of {email}"
    );
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    (client, location)
}

async fn code_step(app: &TestApp, client: &Client, code: &str) -> reqwest::Response {
    app.post_form(client, "/login/two-step", &[("code", code)])
        .await
}

fn location(response: &reqwest::Response) -> &str {
    response.headers()["location"].to_str().unwrap()
}

/// The audit log's summaries of what `email` did.
async fn audit_of(app: &TestApp, admin: &Client, email: &str) -> String {
    app.text(admin, &format!("/admin/audit?user={email}")).await
}

#[tokio::test]
async fn staff_enrol_then_sign_in_with_a_computed_code_once_and_a_recovery_code_once() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let email = "two-step@city.ota.example.jp";
        let staff = app.staff(&admin, email, "ota").await;

        // A wrong code does not enrol; the page keeps the same secret and says why.
        let page = app.text(&staff, "/account/two-step").await;
        let secret = between(&page, "<code id=\"two-step-secret\">", "</code>").unwrap();
        let wrong = app
            .post_form(&staff, "/account/two-step", &[("code", "12345")])
            .await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let wrong = wrong.text().await.unwrap();
        assert!(wrong.contains("6桁の数字を入力してください"), "{wrong}");
        assert!(wrong.contains(&secret), "the same secret after a mistake");
        let (secret, recovery) = enrol(&app, &staff).await;
        let enrolled = app.text(&staff, "/account/two-step").await;
        assert!(enrolled.contains("二段階認証を設定済みです"));
        assert!(enrolled.contains("未使用の回復コード: 10件"));

        // The password alone leads to the code form and grants nothing else.
        let (halfway, next) = password_step(&app, email).await;
        assert_eq!(next, "/login/two-step");
        let form = app.text(&halfway, "/login/two-step").await;
        assert!(form.contains("確認コードの入力"));
        for path in ["/initiatives/new", "/account/two-step", "/notices"] {
            let refused = app.get(&halfway, path).await;
            assert_eq!(refused.status(), StatusCode::SEE_OTHER, "{path}");
            assert_eq!(location(&refused), "/login", "{path} halfway");
        }
        let session: serde_json::Value = halfway
            .get(app.url("/api/v1/session"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(session["email"].is_null(), "{session}");

        // The next step's code (the enrolment used this one's): signed in.
        let next_code = code(&secret, 1);
        let passed = code_step(&app, &halfway, &next_code).await;
        assert_eq!(passed.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&passed), "/initiatives?done=signed-in");
        assert_eq!(
            app.get(&halfway, "/initiatives/new").await.status(),
            StatusCode::OK
        );

        // The same code again, from another browser: refused, it was used.
        let (other, _) = password_step(&app, email).await;
        let replayed = code_step(&app, &other, &next_code).await;
        assert_eq!(replayed.status(), StatusCode::UNAUTHORIZED);
        assert!(
            replayed
                .text()
                .await
                .unwrap()
                .contains("確認コードが正しくありません")
        );

        // A recovery code, typed in capitals with spaces: in, once.
        let typed = recovery[3].to_uppercase().replace('-', " ");
        let recovered = code_step(&app, &other, &typed).await;
        assert_eq!(recovered.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&recovered), "/account/two-step?recovery_left=9");
        let told = app.text(&other, "/account/two-step?recovery_left=9").await;
        assert!(told.contains("残りの回復コードは9件"));
        let (third, _) = password_step(&app, email).await;
        let again = code_step(&app, &third, &recovery[3]).await;
        assert_eq!(
            again.status(),
            StatusCode::UNAUTHORIZED,
            "a recovery code works once"
        );
        let another = code_step(&app, &third, &recovery[4]).await;
        assert_eq!(another.status(), StatusCode::SEE_OTHER);

        let log = audit_of(&app, &admin, email).await;
        assert!(
            log.contains("が二段階認証を設定（回復コード10件を発行）"),
            "{log}"
        );
        assert!(log.contains("が回復コードでログイン（残り9件）"), "{log}");
        assert!(log.contains("が回復コードでログイン（残り8件）"), "{log}");
        assert!(
            log.contains("の二段階認証で誤った確認コード（1回目"),
            "{log}"
        );
        assert!(log.contains("二段階認証の設定"), "the action's label");
    })
    .await;
}

#[tokio::test]
async fn five_wrong_codes_lock_two_step_sign_in_for_fifteen_minutes() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let email = "locked@city.ota.example.jp";
        let staff = app.staff(&admin, email, "ota").await;
        let (secret, _) = enrol(&app, &staff).await;
        let (client, _) = password_step(&app, email).await;
        // A code that is no code of now (a year ago).
        let stale = code(&secret, -2 * 24 * 365 * 60);
        for attempt in 1..=4 {
            let wrong = code_step(&app, &client, &stale).await;
            assert_eq!(
                wrong.status(),
                StatusCode::UNAUTHORIZED,
                "attempt {attempt}"
            );
        }
        let fifth = code_step(&app, &client, &stale).await;
        assert_eq!(fifth.status(), StatusCode::TOO_MANY_REQUESTS);
        let seconds: u64 = fifth.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((14 * 60..=15 * 60).contains(&seconds), "{seconds}");
        let page = fifth.text().await.unwrap();
        assert!(page.contains("15分間停止しています"), "{page}");
        // Even the right code waits now, and the password gets no further.
        let right = code_step(&app, &client, &code(&secret, 1)).await;
        assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
        let (fresh, _) = password_step(&app, email).await;
        let still = code_step(&app, &fresh, &code(&secret, 1)).await;
        assert_eq!(still.status(), StatusCode::TOO_MANY_REQUESTS);

        let log = audit_of(&app, &admin, email).await;
        assert!(log.contains("誤った確認コード（5回目"), "{log}");
        assert!(
            log.contains("の二段階認証を15分間停止（誤った確認コードが5回）"),
            "{log}"
        );
        assert!(log.contains("二段階認証の停止"), "the action's label");
    })
    .await;
}

#[tokio::test]
async fn the_secretariat_resets_a_lost_device_with_a_reason_and_the_owner_enrols_again() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let email = "lost@city.ota.example.jp";
        let staff = app.staff(&admin, email, "ota").await;
        let (secret, _) = enrol(&app, &staff).await;

        let overview = app.text(&admin, "/admin/two-step").await;
        let link = between(&overview, "<a href=\"/admin/users/", "/two-step-reset\">")
            .expect("a reset link for the enrolled account");
        let path = format!("/admin/users/{link}/two-step-reset");
        let form = app.text(&admin, &path).await;
        assert!(form.contains(email));
        // Staff may not reset anyone, not even themselves.
        let refused = app.post_form(&staff, &path, &[("reason", "自分で")]).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let without = app.post_form(&admin, &path, &[("reason", "  ")]).await;
        assert_eq!(without.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(without.text().await.unwrap().contains("リセットの理由"));
        let reason = "スマートフォンの紛失を本人に電話で確認";
        let done = app.post_form(&admin, &path, &[("reason", reason)]).await;
        assert_eq!(done.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&done), "/admin/two-step?done=two-step-reset");
        let twice = app.post_form(&admin, &path, &[("reason", reason)]).await;
        assert_eq!(
            twice.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "nothing to reset"
        );

        // The password alone gets in again (ota does not require it), the old
        // device's codes are worth nothing, and a new enrolment works.
        let (client, next) = password_step(&app, email).await;
        assert_eq!(next, "/initiatives?done=signed-in");
        let page = app.text(&client, "/account/two-step").await;
        assert!(!page.contains(&secret), "a new secret");
        enrol(&app, &client).await;

        let log = audit_of(&app, &admin, "admin@renkei.local").await;
        assert!(
            log.contains(&format!("{email} の二段階認証をリセット（理由: {reason}）")),
            "{log}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_secretariat_must_enrol_before_anything_else_where_the_deployment_says_so() {
    for backend in store::testing::backends() {
        let app = TestApp::spawn_with(
            backend,
            web::WebOptions {
                secure_cookies: false,
                ..web::WebOptions::default()
            },
        )
        .await;
        // The first sign-in replaces the one-time password, then leads to enrolment.
        let admin = app.client();
        let response = app
            .post_form(
                &admin,
                "/login",
                &[
                    ("email", "admin@renkei.local"),
                    ("password", &app.admin_password),
                ],
            )
            .await;
        assert_eq!(location(&response), "/account/password");
        let changed = app
            .post_form(
                &admin,
                "/account/password",
                &[
                    ("current_password", &app.admin_password),
                    ("new_password", "council-secretariat-2026"),
                ],
            )
            .await;
        assert_eq!(location(&changed), "/account/two-step");
        for path in ["/admin/users", "/admin/audit", "/initiatives/new"] {
            let sent = app.get(&admin, path).await;
            assert_eq!(sent.status(), StatusCode::SEE_OTHER, "{path}");
            assert_eq!(location(&sent), "/account/two-step", "{path}");
        }
        let api = admin
            .get(app.url("/api/v1/invitations"))
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), StatusCode::FORBIDDEN);
        let problem: serde_json::Value = api.json().await.unwrap();
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("二段階認証を設定")
        );
        let page = app.text(&admin, "/account/two-step").await;
        assert!(page.contains("このアカウントでは二段階認証が必須です"));

        let (secret, _) = enrol(&app, &admin).await;
        assert_eq!(
            app.get(&admin, "/admin/users").await.status(),
            StatusCode::OK
        );

        // From now on the secretariat signs in in two steps.
        let client = app.client();
        let response = app
            .post_form(
                &client,
                "/login",
                &[
                    ("email", "admin@renkei.local"),
                    ("password", "council-secretariat-2026"),
                ],
            )
            .await;
        assert_eq!(location(&response), "/login/two-step");
        let passed = code_step(&app, &client, &code(&secret, 1)).await;
        assert_eq!(location(&passed), "/initiatives?done=signed-in");
        assert_eq!(
            app.get(&client, "/admin/users").await.status(),
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn an_organisation_that_requires_two_step_sends_its_staff_to_enrol_first() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let first = app.staff(&admin, "first@city.ota.example.jp", "ota").await;
        let second = app.staff(&admin, "second@city.ota.example.jp", "ota").await;
        let kaga = app
            .staff(&admin, "clerk@city.kaga.example.jp", "kaga")
            .await;
        assert_eq!(
            app.get(&second, "/initiatives/new").await.status(),
            StatusCode::OK
        );

        // Another organisation's staff cannot switch it on for 大田区.
        let refused = app
            .post_form(
                &kaga,
                "/account/two-step/organisations/ota",
                &[("required", "on")],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        // 大田区's own staff can (and must enrol themselves before that).
        let page = app.text(&first, "/account/two-step").await;
        assert!(page.contains("職員の二段階認証を必須にする"));
        let switched = app
            .post_form(
                &first,
                "/account/two-step/organisations/ota",
                &[("required", "on")],
            )
            .await;
        assert_eq!(
            location(&switched),
            "/account/two-step?done=two-step-setting"
        );
        let sent = app.get(&first, "/initiatives/new").await;
        assert_eq!(location(&sent), "/account/two-step");
        enrol(&app, &first).await;
        assert_eq!(
            app.get(&first, "/initiatives/new").await.status(),
            StatusCode::OK
        );

        let sent = app.get(&second, "/initiatives/new").await;
        assert_eq!(
            location(&sent),
            "/account/two-step",
            "the colleague is sent to enrol"
        );
        assert_eq!(
            app.get(&kaga, "/initiatives/new").await.status(),
            StatusCode::OK
        );

        // The secretariat switches it off again from its overview.
        let overview = app.text(&admin, "/admin/two-step").await;
        assert!(overview.contains("大田区を任意に戻す"), "{overview}");
        let off = app
            .post_form(
                &admin,
                "/account/two-step/organisations/ota",
                &[("required", "off")],
            )
            .await;
        assert_eq!(location(&off), "/admin/two-step?done=two-step-setting");
        assert_eq!(
            app.get(&second, "/initiatives/new").await.status(),
            StatusCode::OK
        );

        let log = audit_of(&app, &admin, "first@city.ota.example.jp").await;
        assert!(
            log.contains("大田区 の職員の二段階認証を必須に変更"),
            "{log}"
        );
        let log = audit_of(&app, &admin, "admin@renkei.local").await;
        assert!(
            log.contains("大田区 の職員の二段階認証を任意に変更"),
            "{log}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_secretariat_not_yet_enrolled_sees_only_what_the_public_sees() {
    for backend in store::testing::backends() {
        let app = TestApp::spawn_with(
            backend,
            web::WebOptions {
                secure_cookies: false,
                ..web::WebOptions::default()
            },
        )
        .await;
        // Signed in with the password, sent to enrol, not enrolled yet.
        let admin = app
            .sign_in_first_time(
                "admin@renkei.local",
                &app.admin_password,
                "council-secretariat-2026",
            )
            .await;
        assert_eq!(
            location(&app.get(&admin, "/admin/users").await),
            "/account/two-step"
        );
        // 大田区's private company is neither readable nor listed, its public ones
        // show no private section; a members-only view of the events is not given.
        let hidden = app.get(&admin, "/companies/ota-10").await;
        assert_eq!(hidden.status(), StatusCode::NOT_FOUND, "{backend:?}");
        let listed = app.text(&admin, "/companies?city=ota").await;
        assert!(listed.contains("有限会社羽田精工"));
        assert!(!listed.contains("東糀谷工業株式会社"), "{backend:?}");
        let profile = app.text(&admin, "/companies/ota-03").await;
        assert!(!profile.contains("非公開情報") && !profile.contains("従業員数"));
        let api = admin
            .get(app.url("/api/v1/companies/ota-10"))
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), StatusCode::NOT_FOUND);
        let members_only = "/events/council-2016-liaison-meeting-2-succession";
        assert_eq!(
            app.get(&admin, members_only).await.status(),
            app.get(&app.client(), members_only).await.status(),
            "a members-only event as a visitor sees it"
        );

        // Once enrolled, the secretariat sees them.
        enrol(&app, &admin).await;
        let private = app.text(&admin, "/companies/ota-10").await;
        assert!(private.contains("東糀谷工業株式会社") && private.contains("非公開情報"));
        assert_eq!(app.get(&admin, members_only).await.status(), StatusCode::OK);
    }
}
