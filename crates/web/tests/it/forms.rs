//! The forms engine over HTTP: staff build a form in the builder and preview it, a
//! company answers it with autosave and a document (wrong values, wrong files and a
//! second submission refused with the typed answers kept), and the 企業健康診断: a
//! company's result and printable report, privacy between organisations, follow-up
//! records and the figures fed into the initiative's KPIs.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::harness::company_member;
use crate::harness::{TestApp, meta_csrf, on_each_backend};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

async fn add_question(app: &TestApp, staff: &reqwest::Client, fields: &[(&str, &str)]) {
    let mut body = vec![("section", "0")];
    body.extend_from_slice(fields);
    let response = app
        .post_form(staff, "/forms/sumida-kaizen/questions", &body)
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "question {fields:?}"
    );
}

/// Posts the answer page as the browser does: multipart with the token in the URL.
async fn post_answer(
    app: &TestApp,
    client: &reqwest::Client,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> reqwest::Response {
    let page = app
        .text(client, "/forms/sumida-kaizen/answer?company=sumida-01")
        .await;
    let token = meta_csrf(&page);
    let mut form = Form::new();
    for (name, value) in fields {
        form = form.text(name.to_string(), value.to_string());
    }
    if let Some((name, bytes)) = file {
        form = form.part(
            "q4",
            Part::bytes(bytes.to_vec()).file_name(name.to_string()),
        );
    }
    client
        .post(app.url(&format!(
            "/forms/sumida-kaizen/answer?company=sumida-01&csrf_token={token}"
        )))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn staff_build_and_preview_a_form_and_a_company_answers_it_with_autosave_and_a_document() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let staff = app
            .staff(&admin, "kaizen@city.sumida.example.jp", "sumida")
            .await;
        let created = app
            .post_form(
                &staff,
                "/forms/new",
                &[
                    ("organisation", "sumida"),
                    ("title", "改善提案の募集"),
                    ("key", "sumida-kaizen"),
                    ("purpose", "application"),
                    ("closes_on", "2099-03-31"),
                ],
            )
            .await;
        assert_eq!(created.status(), StatusCode::SEE_OTHER);
        // A wrong key keeps what was typed.
        let refused = app
            .post_form(
                &staff,
                "/forms/new",
                &[
                    ("organisation", "sumida"),
                    ("title", "二つ目の募集"),
                    ("key", "Bad Key"),
                    ("purpose", "survey"),
                ],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = refused.text().await.unwrap();
        assert!(
            page.contains("半角英小文字") && page.contains("二つ目の募集"),
            "{page}"
        );

        add_question(
            &app,
            &staff,
            &[
                ("label", "提案の分野"),
                ("kind", "single_choice"),
                ("options", "加工\n組立"),
                ("required", "1"),
            ],
        )
        .await;
        add_question(
            &app,
            &staff,
            &[
                ("label", "使う機械"),
                ("kind", "text"),
                ("show_if", "q1"),
                ("show_if_answers", "加工"),
            ],
        )
        .await;
        add_question(
            &app,
            &staff,
            &[
                ("label", "従業員数"),
                ("kind", "number"),
                ("min", "0"),
                ("max", "500"),
                ("integer", "1"),
                ("unit", "人"),
                ("required", "1"),
            ],
        )
        .await;
        add_question(
            &app,
            &staff,
            &[
                ("label", "計画書"),
                ("kind", "file"),
                ("allowed_types", "pdf"),
                ("max_kb", "200"),
            ],
        )
        .await;
        // A condition naming an answer the question does not offer is refused, typed text kept.
        let wrong = app
            .post_form(
                &staff,
                "/forms/sumida-kaizen/questions",
                &[
                    ("section", "0"),
                    ("label", "塗装の色"),
                    ("kind", "text"),
                    ("show_if", "q1"),
                    ("show_if_answers", "塗装"),
                ],
            )
            .await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = wrong.text().await.unwrap();
        assert!(
            page.contains("「塗装」は質問「提案の分野」の選択肢にありません")
                && page.contains("塗装の色"),
            "{page}"
        );

        // The preview checks typed answers as a submission would, and saves nothing.
        let preview = app.text(&staff, "/forms/sumida-kaizen/preview").await;
        assert!(
            preview.contains("「提案の分野」で「加工」と答えた方のみ"),
            "{preview}"
        );
        let checked = app
            .post_form(
                &staff,
                "/forms/sumida-kaizen/preview",
                &[("q1", "o1"), ("q3", "")],
            )
            .await;
        assert_eq!(checked.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            checked
                .text()
                .await
                .unwrap()
                .contains("提出時には次の点が指摘されます")
        );

        // A member of 墨田区's company answers; autosave keeps what is typed.
        let member = company_member(&app, &admin, "member@sumida-01.example.jp", "sumida-01").await;
        let page = app
            .text(&member, "/forms/sumida-kaizen/answer?company=sumida-01")
            .await;
        let token = meta_csrf(&page);
        let saved = member
            .post(app.url("/forms/sumida-kaizen/draft?company=sumida-01"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("q1", "o1"),
                ("q2", "5軸マシニング"),
                ("q3", "12"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(saved.status(), StatusCode::OK);
        let json: serde_json::Value = saved.json().await.unwrap();
        assert!(json["saved_at"].as_str().unwrap().contains('年'));
        let page = app
            .text(&member, "/forms/sumida-kaizen/answer?company=sumida-01")
            .await;
        assert!(
            page.contains("value=\"5軸マシニング\"") && page.contains("value=\"12\""),
            "{page}"
        );

        // Out of range: refused, the typed value kept.
        let out = post_answer(
            &app,
            &member,
            &[
                ("q1", "o1"),
                ("q2", "5軸マシニング"),
                ("q3", "900"),
                ("intent", "submit"),
            ],
            None,
        )
        .await;
        assert_eq!(out.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = out.text().await.unwrap();
        assert!(
            page.contains("500以下") && page.contains("value=\"900\""),
            "{page}"
        );
        // A program renamed .pdf is refused by its content; the answers stay.
        let exe = post_answer(
            &app,
            &member,
            &[("q1", "o1"), ("q3", "12"), ("intent", "submit")],
            Some(("計画書.pdf", b"MZ\x90\x00\x03")),
        )
        .await;
        assert_eq!(exe.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = exe.text().await.unwrap();
        assert!(
            page.contains("プログラムのため受け付けられません") && page.contains("value=\"12\""),
            "{page}"
        );
        // A PDF over the question's 200 KB: refused with the size, the answers kept.
        let mut big = PDF.to_vec();
        big.resize(300 * 1024, b' ');
        let oversized = post_answer(
            &app,
            &member,
            &[("q1", "o1"), ("q3", "12"), ("intent", "submit")],
            Some(("計画書.pdf", &big)),
        )
        .await;
        assert_eq!(oversized.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = oversized.text().await.unwrap();
        assert!(
            page.contains("200KB以下") && page.contains("value=\"12\""),
            "{page}"
        );
        // A real PDF: submitted.
        let ok = post_answer(
            &app,
            &member,
            &[
                ("contact", "墨田太郎"),
                ("q1", "o1"),
                ("q3", "12"),
                ("intent", "submit"),
            ],
            Some(("計画書.pdf", PDF)),
        )
        .await;
        assert_eq!(
            ok.status(),
            StatusCode::SEE_OTHER,
            "{}",
            ok.text().await.unwrap()
        );
        let again = post_answer(
            &app,
            &member,
            &[("q1", "o2"), ("q3", "13"), ("intent", "submit")],
            None,
        )
        .await;
        assert_eq!(again.status(), StatusCode::CONFLICT);
        assert!(again.text().await.unwrap().contains("既に提出済み"));

        // The document: to the owning staff as a PDF; to another city's staff, nothing.
        let page = app
            .text(&staff, "/forms/sumida-kaizen/answer?company=sumida-01")
            .await;
        let file_id: i64 = crate::harness::between(&page, "/forms/files/", "\"")
            .and_then(|id| id.parse().ok())
            .unwrap_or(0);
        assert!(file_id > 0, "the answer page links the kept document");
        let download = staff
            .get(app.url(&format!("/forms/files/{file_id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(download.status(), StatusCode::OK);
        assert_eq!(download.headers()["content-type"], "application/pdf");
        assert_eq!(download.bytes().await.unwrap().as_ref(), PDF);
        let ota = app.staff(&admin, "ota@city.ota.example.jp", "ota").await;
        let hidden = ota
            .get(app.url(&format!("/forms/files/{file_id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(hidden.status(), StatusCode::NOT_FOUND);

        // Another company began on the first version.
        let second = company_member(&app, &admin, "member@sumida-02.example.jp", "sumida-02").await;
        let page = app
            .text(&second, "/forms/sumida-kaizen/answer?company=sumida-02")
            .await;
        let token = meta_csrf(&page);
        let draft = second
            .post(app.url("/forms/sumida-kaizen/draft?company=sumida-02"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("contact", "押上花子"),
                ("q1", "o2"),
                ("q3", "8"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(draft.status(), StatusCode::OK);

        // Answered, the version is frozen: a change makes the second version.
        add_question(
            &app,
            &staff,
            &[
                ("label", "連絡先の電話番号"),
                ("kind", "text"),
                ("required", "1"),
            ],
        )
        .await;
        let edit = app.text(&staff, "/forms/sumida-kaizen/edit").await;
        assert!(edit.contains("第2版"), "{edit}");
        // The draft stays on the questions it began with and submits without the new one…
        let page = app
            .text(&second, "/forms/sumida-kaizen/answer?company=sumida-02")
            .await;
        assert!(
            !page.contains("連絡先の電話番号") && page.contains("押上花子"),
            "{page}"
        );
        let submitted = second
            .post(app.url("/forms/sumida-kaizen/answer?company=sumida-02"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("contact", "押上花子"),
                ("q1", "o2"),
                ("q3", "8"),
                ("intent", "submit"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(submitted.status(), StatusCode::SEE_OTHER);
        // …while a company beginning now is asked the second version's questions.
        let third = company_member(&app, &admin, "member@sumida-03.example.jp", "sumida-03").await;
        let page = app
            .text(&third, "/forms/sumida-kaizen/answer?company=sumida-03")
            .await;
        assert!(page.contains("連絡先の電話番号"), "{page}");
    })
    .await;
}

#[tokio::test]
async fn a_company_sees_its_health_check_and_the_chamber_follows_up_and_feeds_the_kpis() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let chamber = app
            .staff(&admin, "hc@sumida.tokyo-cci.example.jp", "tokyo-cci-sumida")
            .await;
        let list = app
            .text(&chamber, "/forms/sumida-health-check-2016/diagnoses")
            .await;
        assert!(list.contains("申込 35社・診断済み 20社"), "{list}");
        let csv = app
            .text(&chamber, "/forms/sumida-health-check-2016/diagnoses.csv")
            .await;
        assert_eq!(csv.lines().count(), 36, "{csv}");

        // The company's own member reads its result and its printable report.
        let member = company_member(&app, &admin, "ceo@sumida-01.example.jp", "sumida-01").await;
        let result = app
            .text(
                &member,
                "/forms/sumida-health-check-2016/result?company=sumida-01",
            )
            .await;
        assert!(
            result.contains("総合判定") && result.contains("事業承継の準備"),
            "{result}"
        );
        let print = app
            .text(
                &member,
                "/forms/sumida-health-check-2016/result?company=sumida-01&print=1",
            )
            .await;
        assert!(print.contains("総合判定") && !print.contains("主要メニュー"));
        // Another company and another organisation's staff see nothing of it.
        let other = company_member(&app, &admin, "ceo@sumida-02.example.jp", "sumida-02").await;
        let hidden = other
            .get(app.url("/forms/sumida-health-check-2016/result?company=sumida-01"))
            .send()
            .await
            .unwrap();
        assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
        let city = app
            .staff(&admin, "hc@city.sumida.example.jp", "sumida")
            .await;
        let hidden = city
            .get(app.url("/forms/sumida-health-check-2016/result?company=sumida-01"))
            .send()
            .await
            .unwrap();
        assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
        let hidden = city
            .get(app.url("/forms/sumida-health-check-2016/diagnoses"))
            .send()
            .await
            .unwrap();
        assert_eq!(hidden.status(), StatusCode::FORBIDDEN);

        // The chamber reads a result: the read is in the audit log.
        app.text(
            &chamber,
            "/forms/sumida-health-check-2016/result?company=sumida-01",
        )
        .await;
        let audit = app.text(&admin, "/admin/audit?entity=form_response").await;
        assert!(audit.contains("の回答を閲覧"), "{audit}");

        // A follow-up without its content is refused with the rest kept.
        let refused = app
            .post_form(
                &chamber,
                "/forms/sumida-health-check-2016/followups?company=sumida-01",
                &[
                    ("happened_on", "2016-11-02"),
                    ("kind", "融資相談"),
                    ("partner", "地元信用金庫"),
                    ("note", ""),
                ],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = refused.text().await.unwrap();
        assert!(
            page.contains("対応の内容を入力してください")
                && page.contains("value=\"地元信用金庫\""),
            "{page}"
        );
        let saved = app
            .post_form(
                &chamber,
                "/forms/sumida-health-check-2016/followups?company=sumida-01",
                &[
                    ("happened_on", "2016-11-02"),
                    ("kind", "融資相談"),
                    ("partner", "地元信用金庫"),
                    ("note", "設備資金の借換えを相談"),
                ],
            )
            .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let records = app
            .text(
                &chamber,
                "/forms/sumida-health-check-2016/followups?company=sumida-01",
            )
            .await;
        assert!(records.contains("設備資金の借換えを相談"));

        // The call closed in March 2017: a late diagnosis is refused, the draft kept.
        let late =
            company_member(&app, &admin, "ceo@sumida-hc-20.example.jp", "sumida-hc-20").await;
        let page = app
            .text(
                &late,
                "/forms/sumida-health-check-2016/answer?company=sumida-hc-20",
            )
            .await;
        let token = meta_csrf(&page);
        let refused = late
            .post(app.url("/forms/sumida-health-check-2016/answer?company=sumida-hc-20"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("successor", "decided"),
                ("worry", "受注の先細り"),
                ("intent", "submit"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = refused.text().await.unwrap();
        assert!(
            page.contains("2017年3月31日で締め切りました") && page.contains("受注の先細り"),
            "{page}"
        );

        // The figures counted from the records would go into the initiative's KPIs,
        // but every application here is an invented demonstration company's: the
        // council's KPIs are never counted from them (issue 17), the document's stay.
        let fed = app
            .post_form(
                &chamber,
                "/forms/sumida-health-check-2016/kpis",
                &[
                    ("initiative", "tokyo-cci-sumida-ceo60-health-check"),
                    ("fy", "2016"),
                ],
            )
            .await;
        assert_eq!(fed.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let refusal = fed.text().await.unwrap();
        assert!(
            refusal.contains(r#"value="tokyo-cci-sumida-ceo60-health-check" selected"#),
            "the chosen initiative is kept: {refusal}"
        );
        let initiative = app
            .text(&chamber, "/initiatives/tokyo-cci-sumida-ceo60-health-check")
            .await;
        assert!(!initiative.contains("診断記録から集計"), "{initiative}");

        // On request: the company's data exported, then its response deleted.
        let export = member
            .get(app.url("/forms/export?company=sumida-01"))
            .send()
            .await
            .unwrap();
        assert_eq!(export.status(), StatusCode::OK);
        let data: serde_json::Value = export.json().await.unwrap();
        assert_eq!(data["responses"][0]["form"], "sumida-health-check-2016");
        let confirm = app
            .text(
                &chamber,
                "/forms/sumida-health-check-2016/delete-response?company=sumida-02",
            )
            .await;
        assert!(confirm.contains("元に戻せません"));
        let no_reason = app
            .post_form(
                &chamber,
                "/forms/sumida-health-check-2016/delete-response?company=sumida-02",
                &[("reason", "")],
            )
            .await;
        assert_eq!(no_reason.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let deleted = app
            .post_form(
                &chamber,
                "/forms/sumida-health-check-2016/delete-response?company=sumida-02",
                &[("reason", "11月20日 代表者より依頼")],
            )
            .await;
        assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
        let list = app
            .text(&chamber, "/forms/sumida-health-check-2016/diagnoses")
            .await;
        assert!(list.contains("申込 34社"), "{list}");
        let audit = app.text(&admin, "/admin/audit?entity=form_response").await;
        assert!(audit.contains("代表者より依頼"), "{audit}");
    })
    .await;
}

#[tokio::test]
async fn a_member_of_amagasakis_office_books_a_visit_to_ota_and_ota_approves_it() {
    on_each_backend(|app| async move {
        let count = |page: &str, from: &str, to: &str| -> u64 {
            let row = format!("<th scope=\"row\">{from}</th><td>{to}</td><td class=\"num\">");
            crate::harness::between(page, &row, "<")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        let public = app.text(&app.client(), "/offices").await;
        assert!(public.contains("尼崎創業支援オフィスアビーズ"));
        let before = count(&public, "尼崎市", "大田区");
        assert_eq!(before, 1, "{public}");

        let admin = app.admin().await;
        let member = company_member(
            &app,
            &admin,
            "member@amagasaki-01.example.jp",
            "amagasaki-01",
        )
        .await;
        let next_month = (chrono::Utc::now() + chrono::Duration::days(30))
            .format("%Y-%m-%d")
            .to_string();
        // Its own city's office is not mutual use; a past day is refused; typed text kept.
        let own = app
            .post_form(
                &member,
                "/offices",
                &[
                    ("company", "amagasaki-01"),
                    ("office", "amagasaki-abiz"),
                    ("visit_on", &next_month),
                    ("days", "1"),
                    ("purpose", "打合せ"),
                ],
            )
            .await;
        assert_eq!(own.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            own.text()
                .await
                .unwrap()
                .contains("他の都市のオフィスが対象です")
        );
        let past = app
            .post_form(
                &member,
                "/offices",
                &[
                    ("company", "amagasaki-01"),
                    ("office", "ota-coworking"),
                    ("visit_on", "2016-01-01"),
                    ("days", "1"),
                    ("purpose", "試作品の確認"),
                ],
            )
            .await;
        assert_eq!(past.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = past.text().await.unwrap();
        assert!(
            page.contains("今日以降") && page.contains("value=\"試作品の確認\""),
            "{page}"
        );
        let booked = app
            .post_form(
                &member,
                "/offices",
                &[
                    ("company", "amagasaki-01"),
                    ("office", "ota-coworking"),
                    ("visit_on", &next_month),
                    ("days", "2"),
                    ("purpose", "試作品の確認"),
                ],
            )
            .await;
        assert_eq!(booked.status(), StatusCode::SEE_OTHER);
        // Not yet counted: it waits for 大田区's approval; 尼崎市's staff cannot approve it.
        assert_eq!(
            count(
                &app.text(&app.client(), "/offices").await,
                "尼崎市",
                "大田区"
            ),
            1
        );
        let ota = app.staff(&admin, "office@city.ota.example.jp", "ota").await;
        let queue = app.text(&ota, "/offices").await;
        let id = crate::harness::between(&queue, "action=\"/offices/visits/", "\"")
            .expect("a request to decide");
        let amagasaki = app
            .staff(&admin, "office@city.amagasaki.example.jp", "amagasaki")
            .await;
        let refused = app
            .post_form(
                &amagasaki,
                &format!("/offices/visits/{id}"),
                &[("decision", "approve")],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let approved = app
            .post_form(
                &ota,
                &format!("/offices/visits/{id}"),
                &[("decision", "approve")],
            )
            .await;
        assert_eq!(approved.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            count(
                &app.text(&app.client(), "/offices").await,
                "尼崎市",
                "大田区"
            ),
            2
        );
        let mine = app.text(&member, "/offices").await;
        assert!(
            mine.contains("試作品の確認") && mine.contains("承認済み"),
            "{mine}"
        );
    })
    .await;
}

#[tokio::test]
async fn staff_of_another_city_learn_nothing_of_a_private_company_from_the_export() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let ota = app
            .staff(&admin, "privacy@city.ota.example.jp", "ota")
            .await;
        let kawaguchi = app
            .staff(&admin, "privacy@city.kawaguchi.example.jp", "kawaguchi")
            .await;
        const PRIVATE_NAME: &str = "株式会社本町精工";

        // 川口市's private company: 大田区's staff get what a key without a company gets.
        let hidden = app.get(&ota, "/forms/export?company=kawaguchi-10").await;
        let hidden_status = hidden.status();
        let hidden_page = hidden.text().await.unwrap();
        let missing = app.get(&ota, "/forms/export?company=no-such-company").await;
        assert_eq!(hidden_status, StatusCode::NOT_FOUND);
        assert_eq!(missing.status(), hidden_status, "existence not revealed");
        assert!(!hidden_page.contains(PRIVATE_NAME), "{hidden_page}");
        assert!(!hidden_page.contains("kawaguchi-10.example.jp"));
        assert!(hidden_page.contains("企業が見つかりません"));
        assert!(
            missing
                .text()
                .await
                .unwrap()
                .contains("企業が見つかりません")
        );

        // 川口市's staff, who look after it, export it by name.
        let own = app
            .get(&kawaguchi, "/forms/export?company=kawaguchi-10")
            .await;
        assert_eq!(own.status(), StatusCode::OK);
        let data: serde_json::Value = own.json().await.unwrap();
        assert_eq!(data["company_name"], PRIVATE_NAME);
    })
    .await;
}
