//! Sessions, CSRF, roles, headers and the login limit, checked from outside.

use reqwest::StatusCode;

use crate::harness::{between, on_each_backend};

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused_and_what_was_typed_is_offered_again() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let ota = app.staff(&admin, "csrf@city.ota.example.jp", "ota").await;
        let before = app.first_initiative_of("ota").await;
        let key = before["key"].as_str().unwrap();
        let response = ota
            .post(app.url(&format!("/initiatives/{key}/edit")))
            .form(&[("title", "トークンなしの変更"), ("pillars", "1")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let page = response.text().await.unwrap();
        assert!(page.contains("入力内容は失われていません"));
        assert!(
            page.contains("トークンなしの変更"),
            "typed title offered for resubmission"
        );
        assert_eq!(
            app.first_initiative_of("ota").await,
            before,
            "nothing written"
        );
    })
    .await;
}

#[tokio::test]
async fn login_changes_the_session_id_and_sets_a_strict_cookie() {
    on_each_backend(|app| async move {
        let client = app.client();
        let page = client.get(app.url("/login")).send().await.unwrap();
        let before = page.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(
            before.contains("HttpOnly") && before.contains("SameSite=Lax"),
            "{before}"
        );
        let token = crate::harness::meta_csrf(&page.text().await.unwrap());
        let login = client
            .post(app.url("/login"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("email", "admin@renkei.local"),
                ("password", app.admin_password.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            login.headers()["location"],
            "/account/password",
            "one-time password must be changed"
        );
        let after = login.headers()["set-cookie"].to_str().unwrap().to_owned();
        let id = |cookie: &str| between(cookie, "renkei_session=", ";").unwrap();
        assert_ne!(id(&before), id(&after), "no session fixation");
        // Until the password is changed, staff pages send the user back to change it.
        let users = app.get(&client, "/admin/users").await;
        assert_eq!(users.headers()["location"], "/account/password");
    })
    .await;
}

#[tokio::test]
async fn reading_public_pages_creates_no_session() {
    on_each_backend(|app| async move {
        for path in [
            "/",
            "/initiatives",
            "/reports/annual",
            "/api/v1/initiatives",
        ] {
            let response = app.get(&app.client(), path).await;
            assert_eq!(response.status(), StatusCode::OK);
            assert!(
                response.headers().get("set-cookie").is_none(),
                "{path} sets no cookie"
            );
        }
        let login = app.get(&app.client(), "/login").await;
        assert!(
            login.headers().get("set-cookie").is_some(),
            "the login form needs a session for its token"
        );
    })
    .await;
}

#[tokio::test]
async fn every_response_carries_security_headers() {
    on_each_backend(|app| async move {
        let response = app.get(&app.client(), "/initiatives").await;
        let headers = response.headers();
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'self'")
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["x-frame-options"], "SAMEORIGIN");
    })
    .await;
}

#[tokio::test]
async fn the_secretariats_pages_are_closed_to_staff_and_the_public() {
    on_each_backend(|app| async move {
        let anonymous = app.client();
        assert_eq!(
            app.get(&anonymous, "/admin/users").await.headers()["location"],
            "/login"
        );
        let admin = app.admin().await;
        let staff = app
            .staff(&admin, "nosy@city.sumida.example.jp", "sumida")
            .await;
        assert_eq!(
            app.get(&staff, "/admin/users").await.status(),
            StatusCode::FORBIDDEN
        );
        let response = app
            .post_form(
                &staff,
                "/admin/users",
                &[
                    ("email", "x@example.jp"),
                    ("organisation", "council"),
                    ("role", "secretariat"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn text_with_markup_is_escaped_on_every_page_that_shows_it() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let hostile = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>";
        let response = app
            .post_form(
                &admin,
                "/initiatives",
                &[
                    ("organisation", "amagasaki"),
                    ("title", hostile),
                    ("description", hostile),
                    ("pillars", "2"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let key = between(&location, "/initiatives/", "?").unwrap();
        app.post_form(
            &admin,
            &format!("/initiatives/{key}/years/new"),
            &[
                ("fy", "2017"),
                ("status", "planned"),
                ("summary", hostile),
                ("kpi_label", hostile),
                ("kpi_value", "1"),
                ("kpi_unit", ""),
                ("kpi_note", ""),
            ],
        )
        .await;
        for path in [
            format!("/initiatives/{key}"),
            "/initiatives".into(),
            "/reports/annual?fy=2017".into(),
            "/admin/audit".into(),
        ] {
            let page = app.text(&admin, &path).await;
            assert!(!page.contains("<script>alert"), "{path} escapes");
            assert!(!page.contains("<img src=x"), "{path} escapes");
        }
    })
    .await;
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_login_with_a_japanese_message() {
    on_each_backend(|app| async move {
        let client = app.client();
        for _ in 0..5 {
            let response = app
                .post_form(
                    &client,
                    "/login",
                    &[("email", "admin@renkei.local"), ("password", "guess")],
                )
                .await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
            let page = response.text().await.unwrap();
            assert!(page.contains("メールアドレスまたはパスワードが正しくありません"));
            assert!(page.contains("value=\"admin@renkei.local\""), "e-mail kept");
        }
        let locked = app
            .post_form(
                &client,
                "/login",
                &[
                    ("email", "admin@renkei.local"),
                    ("password", &app.admin_password),
                ],
            )
            .await;
        assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(
            locked
                .text()
                .await
                .unwrap()
                .contains("しばらくログインできません")
        );
    })
    .await;
}

#[tokio::test]
async fn beyond_its_limit_the_server_answers_503_with_retry_after_and_serves_the_rest() {
    let app = crate::harness::TestApp::spawn_with(
        store::Backend::Sqlite,
        web::WebOptions {
            secure_cookies: false,
            max_in_flight: 2,
            two_step_for_secretariat: false,
            ..web::WebOptions::default()
        },
    )
    .await;
    let client = app.client();
    let requests = (0..60).map(|i| {
        let client = client.clone();
        let url = app.url(if i % 2 == 0 {
            "/initiatives"
        } else {
            "/api/v1/initiatives"
        });
        async move { client.get(url).send().await.unwrap() }
    });
    let responses = futures::future::join_all(requests).await;
    let mut served = 0;
    let mut shed = 0;
    for response in responses {
        match response.status() {
            StatusCode::OK => served += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                shed += 1;
                assert_eq!(response.headers()["retry-after"], "2");
                assert!(response.headers().contains_key("content-security-policy"));
                let body = response.text().await.unwrap();
                assert!(body.contains("混み合っています"), "{body}");
            }
            other => panic!("only 200 or 503 under overload, got {other}"),
        }
    }
    assert!(served >= 2 && shed >= 1, "served {served}, shed {shed}");
}
