//! お知らせ over HTTP: a meeting request reaches the asked company's member in the
//! header's count, on `/notices` and in `/api/v1/notices`; marking read works for
//! one's own notices only; the mail choice set on `/account/notifications` (or by
//! the API) keeps a non-essential notice in the app but out of the mail.

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::directory_api::{api_token, assert_problem, get_json, send};
use crate::harness::company_member as member;
use crate::harness::{TestApp, between, on_each_backend};

/// 川口商工会議所's fair with kawaguchi-01 and sumida-01; its path.
async fn fair(app: &TestApp, staff: &Client) -> String {
    let created = app
        .post_form(
            staff,
            "/fairs",
            &[
                ("organisation", "kawaguchi-cci"),
                ("name", "お知らせ確認商談会"),
                ("date", "2099-03-01"),
                ("start_time", "13:00"),
                ("slot_count", "6"),
                ("slot_minutes", "15"),
                ("table_count", "3"),
                ("request_deadline", "2099-02-20"),
                ("request_cap", "10"),
                ("event", ""),
            ],
        )
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let path = format!("/fairs/{}", between(&location, "/fairs/", "?").unwrap());
    for (company, role) in [("kawaguchi-01", "buyer"), ("sumida-01", "supplier")] {
        let added = app
            .post_form(
                staff,
                &format!("{path}/participants"),
                &[("company", company), ("role", role), ("available", "")],
            )
            .await;
        assert_eq!(added.status(), StatusCode::SEE_OTHER, "{company}");
    }
    path
}

async fn request(app: &TestApp, who: &Client, fair: &str, to: &str) {
    let asked = app
        .post_form(
            who,
            &format!("{fair}/requests"),
            &[("from", "sumida-01"), ("to", to), ("priority", "must")],
        )
        .await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER, "request to {to}");
}

/// How many mails the outbox holds for `email` (the secretariat's view).
async fn mail_count(app: &TestApp, admin: &Client, email: &str) -> usize {
    let (status, body) = get_json(app, admin, "/api/v1/outbox").await;
    assert_eq!(status, StatusCode::OK);
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["recipient_email"] == email)
        .count()
}

#[tokio::test]
async fn a_request_is_a_notice_in_the_header_the_list_and_the_api_and_mail_follows_the_choice() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let staff = app
            .staff(&admin, "n@kawaguchi-cci.example.jp", "kawaguchi-cci")
            .await;
        let buyer = member(&app, &admin, "n@kawaguchi-01.example.jp", "kawaguchi-01").await;
        let seller = member(&app, &admin, "n@sumida-01.example.jp", "sumida-01").await;
        let fair = fair(&app, &staff).await;
        request(&app, &seller, &fair, "kawaguchi-01").await;

        let page = app.text(&buyer, "/initiatives").await;
        assert!(page.contains("（未読1件）"), "the header counts it");
        let list = app.text(&buyer, "/notices").await;
        assert!(list.contains("【面談の申込】"), "{list}");
        assert!(list.contains(&format!("href=\"{fair}\"")));
        assert!(
            !app.text(&seller, "/notices")
                .await
                .contains("【面談の申込】")
        );
        assert_eq!(
            mail_count(&app, &admin, "n@kawaguchi-01.example.jp").await,
            1
        );

        let (status, body) = get_json(&app, &buyer, "/api/v1/notices").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["unread"], 1, "{body}");
        let notice = &body["notices"][0];
        assert_eq!(notice["programme"], "fairs");
        assert_eq!(notice["essential"], false);
        let id = notice["id"].as_i64().unwrap();
        // Someone else's notice is not found; one's own is marked read.
        let token = api_token(&app, &seller).await;
        let refused = send(
            &app,
            &seller,
            Method::POST,
            &format!("/api/v1/notices/{id}/read"),
            Some(&token),
            &Value::Null,
        )
        .await;
        assert_problem(&refused, StatusCode::NOT_FOUND, "another's notice");
        let token = api_token(&app, &buyer).await;
        let read = send(
            &app,
            &buyer,
            Method::POST,
            &format!("/api/v1/notices/{id}/read"),
            Some(&token),
            &Value::Null,
        )
        .await;
        assert_eq!(read.status(), StatusCode::OK);
        assert_eq!(read.json::<Value>().await.unwrap()["unread"], 0);
        assert!(!app.text(&buyer, "/initiatives").await.contains("未読"));

        // Mail for fairs off, by the page: the next request is a notice, not a mail.
        let settings = app.text(&buyer, "/account/notifications").await;
        assert!(settings.contains("value=\"fairs\" checked"), "{settings}");
        let saved = app
            .post_form(
                &buyer,
                "/account/notifications",
                &[("mail", "events"), ("mail", "applications")],
            )
            .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let settings = app.text(&buyer, "/account/notifications?done=saved").await;
        assert!(settings.contains("通知の設定を保存しました。"));
        assert!(
            settings.contains("value=\"fairs\">"),
            "unchecked: {settings}"
        );
        let (_, prefs) = get_json(&app, &buyer, "/api/v1/me/notification-preferences").await;
        let fairs = prefs["preferences"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["programme"] == "fairs")
            .unwrap();
        assert_eq!(fairs["by_mail"], false, "{prefs}");
        // A second company asks the buyer (staff add it and ask on its behalf).
        let added = app
            .post_form(
                &staff,
                &format!("{fair}/participants"),
                &[
                    ("company", "ota-01"),
                    ("role", "supplier"),
                    ("available", ""),
                ],
            )
            .await;
        assert_eq!(added.status(), StatusCode::SEE_OTHER);
        let again = app
            .post_form(
                &staff,
                &format!("{fair}/requests"),
                &[
                    ("from", "ota-01"),
                    ("to", "kawaguchi-01"),
                    ("priority", "must"),
                ],
            )
            .await;
        assert_eq!(again.status(), StatusCode::SEE_OTHER);
        let (_, body) = get_json(&app, &buyer, "/api/v1/notices").await;
        assert_eq!(body["unread"], 1, "the notice is shown: {body}");
        assert_eq!(
            mail_count(&app, &admin, "n@kawaguchi-01.example.jp").await,
            1,
            "but no new mail"
        );

        // The API refuses an unknown programme in Japanese, and sets a known one.
        let token = api_token(&app, &buyer).await;
        let bad = send(
            &app,
            &buyer,
            Method::PUT,
            "/api/v1/me/notification-preferences",
            Some(&token),
            &json!({"preferences": [{"programme": "lottery", "by_mail": true}]}),
        )
        .await;
        assert_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "unknown programme");
        assert!(
            bad.text()
                .await
                .unwrap()
                .contains("分野「lottery」はありません")
        );
        let good = send(
            &app,
            &buyer,
            Method::PUT,
            "/api/v1/me/notification-preferences",
            Some(&token),
            &json!({"preferences": [{"programme": "fairs", "by_mail": true}]}),
        )
        .await;
        assert_eq!(good.status(), StatusCode::OK);
        let body: Value = good.json().await.unwrap();
        assert!(
            body["preferences"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["programme"] != "fairs" || p["by_mail"] == true)
        );

        // Mark all read by the page; the old address leads to the list.
        let all = app.post_form(&buyer, "/notices/read", &[]).await;
        assert_eq!(all.status(), StatusCode::SEE_OTHER);
        let (_, body) = get_json(&app, &buyer, "/api/v1/notices").await;
        assert_eq!(body["unread"], 0);
        let old = app.get(&buyer, "/notifications").await;
        assert_eq!(old.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(old.headers()["location"], "/notices");
        // Signed out: the pages ask to sign in, the API answers 401.
        let anonymous = app.client();
        let (status, _) = get_json(&app, &anonymous, "/api/v1/notices").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    })
    .await;
}
