//! The foundation's "done when": admin → 大田区 staff → edit a 平成29年度 KPI →
//! refused on 墨田区 → the change in the annual report and the audit log.

use reqwest::StatusCode;

use crate::harness::{between, on_each_backend};

#[tokio::test]
async fn ota_staff_edits_an_ota_kpi_sees_it_in_the_report_and_audit_but_cannot_touch_sumida() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let ota = app.staff(&admin, "yamada@city.ota.example.jp", "ota").await;
        let initiative = app.first_initiative_of("ota").await;
        let key = initiative["key"].as_str().unwrap().to_owned();

        // The 平成29年度 entry gets a KPI through the form.
        let response = app
            .post_form(
                &ota,
                &format!("/initiatives/{key}/years/2017/edit"),
                &[
                    ("fy", "2017"),
                    ("status", "planned"),
                    ("summary", "実証実験の拡大、具体化等の予定。"),
                    ("kpi_label", "実証参加工場数"),
                    ("kpi_value", "１２"),
                    ("kpi_unit", "工場"),
                    ("kpi_note", ""),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{:?}",
            app.backend
        );
        let detail = app.text(&ota, &format!("/initiatives/{key}")).await;
        assert!(
            detail.contains("実証参加工場数") && detail.contains(">12<"),
            "KPI shown on the detail page"
        );

        // 墨田区's initiative: no edit link, and a forged POST is refused.
        let sumida = app.first_initiative_of("sumida").await;
        let sumida_key = sumida["key"].as_str().unwrap();
        let page = app.text(&ota, &format!("/initiatives/{sumida_key}")).await;
        assert!(!page.contains("施策を編集"));
        let refused = app
            .post_form(
                &ota,
                &format!("/initiatives/{sumida_key}/edit"),
                &[("title", "乗っ取り"), ("pillars", "1")],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("墨田区の施策は編集できません")
        );
        let unchanged = app.first_initiative_of("sumida").await;
        assert_eq!(unchanged, sumida, "nothing written");

        // The report shows the new KPI; the audit log records who changed what.
        let report = app
            .text(&app.client(), "/reports/annual?fy=2016&fy=2017")
            .await;
        assert!(report.contains("実証参加工場数：12工場"));
        let markdown = app
            .text(&app.client(), "/reports/annual.md?fy=2016&fy=2017")
            .await;
        assert!(markdown.contains("実証参加工場数：12工場"));
        let audit = app.text(&admin, "/admin/audit").await;
        assert!(audit.contains("yamada@city.ota.example.jp"));
        assert!(audit.contains("平成29年度（2017年度）の記録を保存"));
        assert_eq!(
            app.get(&ota, "/admin/audit").await.status(),
            StatusCode::FORBIDDEN,
            "staff cannot read the audit log"
        );
    })
    .await;
}

#[tokio::test]
async fn staff_create_edit_and_delete_their_own_initiative_with_errors_that_keep_what_was_typed() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let kaga = app
            .staff(&admin, "staff@city.kaga.example.jp", "kaga")
            .await;

        // Missing pillar and over-long title: 422, messages in Japanese, input kept.
        let long_title = "あ".repeat(201);
        let response = app
            .post_form(
                &kaga,
                "/initiatives",
                &[
                    ("organisation", "kaga"),
                    ("title", &long_title),
                    ("description", "下書きの説明文"),
                    ("program_kind", "matching"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = response.text().await.unwrap();
        assert!(page.contains("200文字以内"));
        assert!(page.contains("柱を1つ以上選んでください"));
        assert!(
            page.contains("下書きの説明文"),
            "typed description refilled"
        );

        // A valid one is created.
        let response = app
            .post_form(
                &kaga,
                "/initiatives",
                &[
                    ("organisation", "kaga"),
                    ("title", "域外ネットワーク商談会"),
                    ("pillars", "3"),
                    ("pillars", "1"),
                    ("program_kind", "matching_fair"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let key = between(&location, "/initiatives/", "?").unwrap();
        assert!(key.starts_with("kaga-"));

        // A KPI without a number: refused, row kept.
        let response = app
            .post_form(
                &kaga,
                &format!("/initiatives/{key}/years/new"),
                &[
                    ("fy", "平成30年度"),
                    ("status", "planned"),
                    ("summary", ""),
                    ("kpi_label", "商談数"),
                    ("kpi_value", "たくさん"),
                    ("kpi_unit", "件"),
                    ("kpi_note", ""),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = response.text().await.unwrap();
        assert!(page.contains("KPI 1行目の値"));
        assert!(page.contains("value=\"たくさん\""));

        // A year out of range is refused.
        let response = app
            .post_form(
                &kaga,
                &format!("/initiatives/{key}/years/new"),
                &[("fy", "1900"), ("status", "planned")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.unwrap().contains("範囲外"));

        // Saved properly, then the initiative is deleted.
        let response = app
            .post_form(
                &kaga,
                &format!("/initiatives/{key}/years/new"),
                &[
                    ("fy", "平成30年度"),
                    ("status", "planned"),
                    ("summary", "岡谷市と商談会"),
                    ("kpi_label", "商談数"),
                    ("kpi_value", "1,000"),
                    ("kpi_unit", "件"),
                    ("kpi_note", ""),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let detail = app.text(&kaga, &format!("/initiatives/{key}")).await;
        assert!(detail.contains("平成30年度（2018年度）") && detail.contains("1,000"));
        let response = app
            .post_form(&kaga, &format!("/initiatives/{key}/delete"), &[])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            app.get(&kaga, &format!("/initiatives/{key}"))
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
    })
    .await;
}

#[tokio::test]
async fn the_json_api_creates_and_updates_with_a_csrf_header_and_answers_problems_as_json() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let okaya = app.staff(&admin, "staff@city.okaya.example.jp", "okaya").await;
        let session: serde_json::Value = okaya.get(app.url("/api/v1/session")).send().await.unwrap().json().await.unwrap();
        let token = session["csrf_token"].as_str().unwrap().to_owned();
        assert_eq!(session["email"], "staff@city.okaya.example.jp");

        let body = serde_json::json!({"organisation": "okaya", "title": "医療機器参入研究会", "pillars": [1], "program_kind": "research"});
        let without_token = okaya.post(app.url("/api/v1/initiatives")).json(&body).send().await.unwrap();
        assert_eq!(without_token.status(), StatusCode::FORBIDDEN);
        assert_eq!(without_token.headers()["content-type"], "application/problem+json");

        let created = okaya.post(app.url("/api/v1/initiatives")).header("x-csrf-token", &token).json(&body).send().await.unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        let created: serde_json::Value = created.json().await.unwrap();
        let key = created["key"].as_str().unwrap();

        let entry = serde_json::json!({"status": "planned", "summary": "大学と連携", "kpis": [{"label": "参加企業", "value": 8, "unit": "社"}]});
        let saved = okaya.put(app.url(&format!("/api/v1/initiatives/{key}/years/2017"))).header("x-csrf-token", &token).json(&entry).send().await.unwrap();
        assert_eq!(saved.status(), StatusCode::OK);
        let saved: serde_json::Value = saved.json().await.unwrap();
        assert_eq!(saved["entries"][0]["kpis"][0]["value"], 8.0);
        assert_eq!(saved["entries"][0]["fy_label"], "平成29年度");

        let invalid = okaya
            .put(app.url(&format!("/api/v1/initiatives/{key}/years/2017")))
            .header("x-csrf-token", &token)
            .json(&serde_json::json!({"status": "someday", "kpis": [{"label": "", "value": 1}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: serde_json::Value = invalid.json().await.unwrap();
        let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["status", "kpi[1].label"]);

        let garbage = okaya.post(app.url("/api/v1/initiatives")).header("x-csrf-token", &token).header("content-type", "application/json").body("{not json").send().await.unwrap();
        assert_eq!(garbage.status(), StatusCode::BAD_REQUEST);
        assert_eq!(garbage.headers()["content-type"], "application/problem+json");

        let sumida = app.first_initiative_of("sumida").await;
        let forbidden = okaya
            .delete(app.url(&format!("/api/v1/initiatives/{}", sumida["key"].as_str().unwrap())))
            .header("x-csrf-token", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);

        let anonymous = app.client();
        let anonymous_token: serde_json::Value = anonymous.get(app.url("/api/v1/session")).send().await.unwrap().json().await.unwrap();
        let refused = anonymous
            .post(app.url("/api/v1/initiatives"))
            .header("x-csrf-token", anonymous_token["csrf_token"].as_str().unwrap())
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    })
    .await;
}
