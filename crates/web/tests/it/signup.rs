//! Accounts people make themselves, over HTTP: an individual signs up, confirms the
//! mailed link, writes a profile that is public only once the keeping city's staff
//! approve it; bad input on the sign-up pages keeps what was typed.

use reqwest::StatusCode;

use crate::browser::{browser_or_skip, fill, page_showing, sign_in, sign_out, submit, visit};
use crate::harness::{TestApp, between, individual, on_each_backend};

#[tokio::test]
async fn an_individuals_profile_is_public_only_after_kawaguchis_staff_approve_it() {
    on_each_backend(|app| async move {
        let person = individual(&app, "student@example.jp", "kawaguchi").await;
        let (status, own) = {
            let response = app.get(&person, "/me/profile").await;
            (response.status(), response.text().await.unwrap())
        };
        assert_eq!(status, StatusCode::OK);
        assert!(own.contains("登録先：川口市"), "{own}");
        assert!(own.contains("わたしのプロフィール"));
        let saved = app
            .post_form(
                &person,
                "/me/profile",
                &[
                    ("kind", "student"),
                    ("name", "芝川 みらい"),
                    ("kana", "シバカワ ミライ"),
                    ("affiliation", "川口工業高校"),
                    ("profile", "鋳物の仕事に興味があります。"),
                    ("wants_public", "1"),
                ],
            )
            .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let anonymous = app.client();
        assert!(
            !app.text(&anonymous, "/people")
                .await
                .contains("芝川 みらい")
        );

        let admin = app.admin().await;
        let kaga = app
            .staff(&admin, "staff@city.kaga.example.jp", "kaga")
            .await;
        assert!(
            !app.text(&kaga, "/admin/signups")
                .await
                .contains("芝川 みらい")
        );
        let kawaguchi = app
            .staff(&admin, "staff@city.kawaguchi.example.jp", "kawaguchi")
            .await;
        let list = app.text(&kawaguchi, "/admin/signups").await;
        assert!(list.contains("芝川 みらい"), "{list}");
        let key = between(&list, "action=\"/admin/profiles/", "/approve\"").unwrap();
        let refused = app
            .post_form(&kaga, &format!("/admin/profiles/{key}/approve"), &[])
            .await;
        assert_eq!(refused.status(), StatusCode::NOT_FOUND);
        let refused = app
            .post_form(&person, &format!("/admin/profiles/{key}/approve"), &[])
            .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let approved = app
            .post_form(&kawaguchi, &format!("/admin/profiles/{key}/approve"), &[])
            .await;
        assert_eq!(approved.status(), StatusCode::SEE_OTHER);
        let public = app.text(&anonymous, "/people").await;
        assert!(public.contains("芝川 みらい"), "public once approved");
        assert!(!public.contains("student@example.jp"), "never the contact");
        assert!(app.text(&person, "/me/profile").await.contains("公開中"));
        // The individual is no one's staff.
        assert_eq!(
            app.get(&person, "/admin/signups").await.status(),
            StatusCode::FORBIDDEN
        );
    })
    .await;
}

#[tokio::test]
async fn bad_input_on_the_sign_up_pages_is_explained_and_keeps_what_was_typed() {
    on_each_backend(|app| async move {
        let visitor = app.client();
        let response = app
            .post_form(
                &visitor,
                "/signup/company",
                &[
                    ("corporate_number", "1234567890123"),
                    ("name", "入力 保持"),
                    ("email", "keep@example.jp"),
                    ("password", "long-enough-password"),
                    ("password_confirm", "long-enough-password"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = response.text().await.unwrap();
        assert!(page.contains("法人番号："), "{page}");
        assert!(page.contains("value=\"1234567890123\""));

        let response = app
            .post_form(
                &visitor,
                "/signup/individual",
                &[
                    ("kind", "designer"),
                    ("city", "sumida"),
                    ("name", "墨田 花子"),
                    ("email", "hanako@@example"),
                    ("password", "short"),
                    ("password_confirm", "short"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = response.text().await.unwrap();
        assert!(page.contains("メールアドレス："), "{page}");
        assert!(page.contains("パスワード："), "{page}");
        assert!(page.contains("value=\"墨田 花子\""));
        assert!(page.contains("<option value=\"sumida\" selected>"));

        let unknown = format!("/signup/confirm/{}", "0".repeat(64));
        assert_eq!(
            app.get(&visitor, &unknown).await.status(),
            StatusCode::NOT_FOUND
        );
        let used = app.post_form(&visitor, &unknown, &[]).await;
        assert_eq!(used.status(), StatusCode::CONFLICT);
        assert!(used.text().await.unwrap().contains("使用済み"));
    })
    .await;
}

/// The pages a company's person and 大田区's clerk use, in a real browser with
/// axe-core on each: look the company up by 法人番号, apply, confirm through the
/// mailed link, and the clerk approves; an individual's own profile page too.
#[tokio::test]
async fn a_company_applies_and_a_clerk_approves_in_the_browser_with_no_accessibility_violations() {
    let Some((axe, _driver, browser)) = browser_or_skip().await else {
        return;
    };
    let app = TestApp::spawn_with(
        store::Backend::Sqlite,
        web::WebOptions {
            two_step_for_secretariat: false,
            ..web::WebOptions::default()
        },
    )
    .await;
    let store = app.store().await;
    let number = store::companies::get(&store, None, "ota-01")
        .await
        .unwrap()
        .corporate_number
        .unwrap();
    visit(&browser, &axe, &app, "/signup").await;
    visit(&browser, &axe, &app, "/signup/individual").await;
    visit(&browser, &axe, &app, "/signup/company").await;
    fill(&browser, "#lookup-number", "1234567890123").await;
    submit(
        &browser,
        "form[action='/signup/company'][method=get] button",
    )
    .await;
    page_showing(&browser, "入力内容を確認してください").await;
    visit(
        &browser,
        &axe,
        &app,
        "/signup/company?corporate_number=1234567890123",
    )
    .await;
    fill(&browser, "#lookup-number", &number).await;
    submit(
        &browser,
        "form[action='/signup/company'][method=get] button",
    )
    .await;
    page_showing(&browser, "2. 企業の確認").await;
    fill(&browser, "#name", "大森 太郎").await;
    fill(&browser, "#email", "omori@example.jp").await;
    fill(&browser, "#password", "ota-member-password").await;
    fill(&browser, "#password_confirm", "ota-member-password").await;
    submit(
        &browser,
        "form[action='/signup/company'][method=post] button",
    )
    .await;
    page_showing(&browser, "確認メールを送信しました").await;
    crate::browser::assert_accessible(&browser, &axe, "/signup/sent").await;

    let mail = store::outbox::all(&store).await.unwrap().pop().unwrap();
    let token = store::signup::token_in(&mail.body_text).unwrap().to_owned();
    visit(&browser, &axe, &app, &format!("/signup/confirm/{token}")).await;
    submit(&browser, "form[action^='/signup/confirm/'] button").await;
    page_showing(&browser, "メールアドレスを確認しました").await;
    crate::browser::assert_accessible(&browser, &axe, "confirmed").await;

    let admin = app.admin().await;
    app.staff(&admin, "clerk@city.ota.example.jp", "ota").await;
    sign_in(
        &browser,
        &app,
        "clerk@city.ota.example.jp",
        "staff-password-2026",
    )
    .await;
    visit(&browser, &axe, &app, "/admin/signups").await;
    let list = browser.source().await.unwrap();
    let id = between(&list, "href=\"/admin/signups/", "\"").unwrap();
    visit(&browser, &axe, &app, &format!("/admin/signups/{id}")).await;
    submit(&browser, "form[action$='/approve'] button").await;
    page_showing(&browser, "承認し、申請者にメールでお知らせしました").await;
    crate::browser::assert_accessible(&browser, &axe, "approved").await;
    sign_out(&browser).await;

    individual(&app, "solo@example.jp", "kaga").await;
    sign_in(
        &browser,
        &app,
        "solo@example.jp",
        "individual-password-2026",
    )
    .await;
    visit(&browser, &axe, &app, "/me/profile").await;
}
