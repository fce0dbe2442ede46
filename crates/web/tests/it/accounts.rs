//! Invitations and password resets over HTTP, without mail delivery (the outbox
//! rows are what would be sent): the API invites with problem+json refusals, the
//! pages keep what was typed, a name with a line break is refused, the list exports
//! to CSV and XLSX, 取り消し ends a link, and a client that asks for too many reset
//! links gets a Japanese 429 with Retry-After.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::directory_api::{api_token, assert_problem, get_json, send};
use crate::harness::{TestApp, on_each_backend};

#[tokio::test]
async fn staff_invite_through_the_api_and_the_page_and_revoke_with_clear_refusals() {
    on_each_backend(|app: TestApp| async move {
        let admin = app.admin().await;
        let clerk = app
            .staff(&admin, "clerk@city.kawaguchi.example.jp", "kawaguchi")
            .await;
        let token = api_token(&app, &clerk).await;
        let created = send(
            &app,
            &clerk,
            Method::POST,
            "/api/v1/invitations",
            Some(&token),
            &json!({"email": "api@sakae.example.jp", "role": "company", "company": "2169168498932"}),
        )
        .await;
        assert_eq!(created.status(), StatusCode::CREATED, "{:?}", app.backend);
        let body: Value = created.json().await.unwrap();
        assert_eq!(body["status"], "pending");
        assert_eq!(body["company_key"], "kawaguchi-01");
        assert_eq!(body["invited_by"], "clerk@city.kawaguchi.example.jp");

        let elsewhere = send(
            &app,
            &clerk,
            Method::POST,
            "/api/v1/invitations",
            Some(&token),
            &json!({"email": "x@ota.example.jp", "role": "company", "company": "ota-01"}),
        )
        .await;
        assert_problem(&elsewhere, StatusCode::FORBIDDEN, "another city's company");
        let problem: Value = elsewhere.json().await.unwrap();
        assert!(problem["detail"].as_str().unwrap().contains("大田区"), "{problem}");
        let malformed = send(
            &app,
            &clerk,
            Method::POST,
            "/api/v1/invitations",
            Some(&token),
            &json!({"email": "not-an-address", "role": "staff"}),
        )
        .await;
        assert_problem(&malformed, StatusCode::UNPROCESSABLE_ENTITY, "malformed address");
        let again = send(
            &app,
            &clerk,
            Method::POST,
            "/api/v1/invitations",
            Some(&token),
            &json!({"email": "API@sakae.example.jp", "role": "company", "company": "kawaguchi-01"}),
        )
        .await;
        assert_problem(&again, StatusCode::UNPROCESSABLE_ENTITY, "a pending invitation");

        // The page keeps what was typed and names the field.
        let refused = app
            .post_form(
                &clerk,
                "/invitations",
                &[
                    ("email", "colleague@city.kawaguchi.example.jp"),
                    ("display_name", "川口\r\nBcc: everyone@example.jp"),
                    ("role", "staff"),
                ],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = refused.text().await.unwrap();
        assert!(page.contains("氏名：氏名に改行は使えません。"), "{page}");
        assert!(page.contains("value=\"colleague@city.kawaguchi.example.jp\""));
        let taken = app
            .post_form(
                &clerk,
                "/invitations",
                &[("email", "clerk@city.kawaguchi.example.jp"), ("role", "staff")],
            )
            .await;
        assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(taken.text().await.unwrap().contains("のアカウントは既にあります"));

        let (_, list) = get_json(&app, &clerk, "/api/v1/invitations").await;
        let id = list[0]["id"].as_i64().unwrap();
        let csv = app.get(&clerk, "/invitations.csv").await;
        assert_eq!(csv.status(), StatusCode::OK);
        let text = String::from_utf8(csv.bytes().await.unwrap()[3..].to_vec()).unwrap();
        assert!(text.contains("api@sakae.example.jp") && text.contains("未使用（有効）"), "{text}");
        let xlsx = app.get(&clerk, "/invitations.xlsx").await;
        assert_eq!(&xlsx.bytes().await.unwrap()[..2], b"PK");

        let kaga = app.staff(&admin, "staff@city.kaga.example.jp", "kaga").await;
        let foreign = app
            .post_form(&kaga, &format!("/invitations/{id}/revoke"), &[])
            .await;
        assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
        let revoked = app
            .post_form(&clerk, &format!("/invitations/{id}/revoke"), &[])
            .await;
        assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
        let page = app.text(&clerk, "/invitations?done=revoked").await;
        assert!(page.contains("招待を取り消しました") && page.contains("取消済み"));
        let twice = app
            .post_form(&clerk, &format!("/invitations/{id}/revoke"), &[])
            .await;
        assert_eq!(twice.status(), StatusCode::CONFLICT);
        let (status, _) = get_json(&app, &app.client(), "/api/v1/invitations").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn a_client_asking_for_too_many_reset_links_is_told_in_japanese_when_to_try_again() {
    on_each_backend(|app: TestApp| async move {
        let visitor = app.client();
        let bad = app
            .post_form(&visitor, "/password/forgot", &[("email", "not-an-address")])
            .await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = bad.text().await.unwrap();
        assert!(page.contains("メールアドレスの形式が正しくありません"));
        assert!(page.contains("value=\"not-an-address\""), "kept");
        for i in 0..store::recovery::RESETS_PER_CLIENT_PER_HOUR {
            let sent = app
                .post_form(
                    &visitor,
                    "/password/forgot",
                    &[("email", &format!("p{i}@example.jp"))],
                )
                .await;
            assert_eq!(sent.status(), StatusCode::OK);
        }
        let limited = app
            .post_form(
                &visitor,
                "/password/forgot",
                &[("email", "late@example.jp")],
            )
            .await;
        assert_eq!(
            limited.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{:?}",
            app.backend
        );
        let seconds: i64 = limited.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((3500..=3600).contains(&seconds), "{seconds}");
        let page = limited.text().await.unwrap();
        assert!(page.contains("しばらく受け付けられません"), "{page}");
        assert!(page.contains("value=\"late@example.jp\""));
        let unknown = app.get(&visitor, "/password/reset/nothing-here").await;
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
        assert_eq!(unknown.headers()["cache-control"], "no-store");
        assert!(
            unknown
                .text()
                .await
                .unwrap()
                .contains("再設定のメールをもう一度申し込む")
        );
    })
    .await;
}
