//! A matching fair (商談会) in the browser: 川口商工会議所 staff create the fair and
//! add participants, company members request and accept meetings (a request to
//! oneself is refused in Japanese with the form refilled), staff run the scheduler,
//! each company sees its own schedule and downloads it as .ics, staff print the
//! table plan and export the schedule; members see neither the plan nor others' days.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::directory_api::{api_token, assert_problem, get_json, send};
use crate::harness::company_member as member;
use crate::harness::{TestApp, between, on_each_backend};

/// The fair form's fields for a fair on `date` with requests until `deadline`.
fn fair_fields<'a>(name: &'a str, date: &'a str, deadline: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("organisation", "kawaguchi-cci"),
        ("name", name),
        ("date", date),
        ("start_time", "13:00"),
        ("slot_count", "20"),
        ("slot_minutes", "15"),
        ("table_count", "10"),
        ("request_deadline", deadline),
        ("request_cap", "10"),
        ("event", ""),
    ]
}

/// Creates a fair through the form; returns its path (`/fairs/KEY`).
async fn create_fair(app: &TestApp, staff: &reqwest::Client, fields: &[(&str, &str)]) -> String {
    let created = app.post_form(staff, "/fairs", fields).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    format!("/fairs/{}", between(&location, "/fairs/", "?").unwrap())
}

async fn add_participants(
    app: &TestApp,
    staff: &reqwest::Client,
    fair: &str,
    who: &[(&str, &str, &str)],
) {
    for (company, role, available) in who {
        let response = app
            .post_form(
                staff,
                &format!("{fair}/participants"),
                &[
                    ("company", company),
                    ("role", role),
                    ("available", available),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{company}");
    }
}

#[tokio::test]
async fn staff_set_up_a_fair_companies_request_and_accept_and_everyone_gets_a_schedule() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let staff = app
            .staff(&admin, "fair@kawaguchi-cci.example.jp", "kawaguchi-cci")
            .await;
        let buyer = member(
            &app,
            &admin,
            "buyer@kawaguchi-01.example.jp",
            "kawaguchi-01",
        )
        .await;
        let supplier = member(&app, &admin, "sales@sumida-01.example.jp", "sumida-01").await;

        let fields = [
            ("organisation", "kawaguchi-cci"),
            ("name", "川口マッチング商談会"),
            ("date", "2099-03-01"),
            ("start_time", "13:00"),
            ("slot_count", "20"),
            ("slot_minutes", "15"),
            ("table_count", "10"),
            ("request_deadline", "2099-02-20"),
            ("request_cap", "10"),
            ("event", ""),
        ];
        let mut zero = fields;
        zero[4] = ("slot_count", "0");
        let refused = app.post_form(&staff, "/fairs", &zero).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = refused.text().await.unwrap();
        assert!(page.contains("枠の数は1以上にしてください。"), "{page}");
        assert!(
            page.contains("value=\"川口マッチング商談会\""),
            "the form is refilled"
        );

        let created = app.post_form(&staff, "/fairs", &fields).await;
        assert_eq!(created.status(), StatusCode::SEE_OTHER);
        let location = created.headers()["location"].to_str().unwrap().to_owned();
        let key = between(&location, "/fairs/", "?").unwrap();
        let fair = format!("/fairs/{key}");

        for (company, role, available) in [
            ("kawaguchi-01", "buyer", ""),
            ("sumida-01", "supplier", "1-5"),
            ("ota-01", "supplier", ""),
        ] {
            let response = app
                .post_form(
                    &staff,
                    &format!("{fair}/participants"),
                    &[
                        ("company", company),
                        ("role", role),
                        ("available", available),
                    ],
                )
                .await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{company}");
        }
        let refused = app
            .post_form(
                &supplier,
                &format!("{fair}/participants"),
                &[
                    ("company", "ota-02"),
                    ("role", "supplier"),
                    ("available", ""),
                ],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);

        let to_self = app
            .post_form(
                &supplier,
                &format!("{fair}/requests"),
                &[
                    ("from", "sumida-01"),
                    ("to", "sumida-01"),
                    ("priority", "must"),
                ],
            )
            .await;
        assert_eq!(to_self.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            to_self
                .text()
                .await
                .unwrap()
                .contains("自社に面談を申し込むことはできません。")
        );
        let asked = app
            .post_form(
                &supplier,
                &format!("{fair}/requests"),
                &[
                    ("from", "sumida-01"),
                    ("to", "kawaguchi-01"),
                    ("priority", "must"),
                ],
            )
            .await;
        assert_eq!(asked.status(), StatusCode::SEE_OTHER);

        let page = app.text(&buyer, &fair).await;
        let answer = between(&page, &format!("action=\"{fair}/requests/"), "/answer\"")
            .expect("the asked side sees the answer buttons");
        let accepted = app
            .post_form(
                &buyer,
                &format!("{fair}/requests/{answer}/answer"),
                &[("answer", "accept")],
            )
            .await;
        assert_eq!(accepted.status(), StatusCode::SEE_OTHER);

        let refused = app
            .post_form(
                &supplier,
                &format!("{fair}/schedule"),
                &[("keep_previous", "1")],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let ran = app
            .post_form(
                &staff,
                &format!("{fair}/schedule"),
                &[("keep_previous", "1")],
            )
            .await;
        assert_eq!(ran.status(), StatusCode::SEE_OTHER);
        let page = app.text(&staff, &fair).await;
        assert!(page.contains("1件を配置、0件は未配置"), "{page}");

        let mine = app
            .text(&supplier, &format!("{fair}/companies/sumida-01"))
            .await;
        assert!(mine.contains("テーブル1"), "{mine}");
        assert!(mine.contains("不参加"), "slots 6–20 are marked absent");
        let ics = app
            .get(&supplier, &format!("{fair}/companies/sumida-01.ics"))
            .await;
        assert_eq!(ics.status(), StatusCode::OK);
        let ics = ics.text().await.unwrap();
        assert!(
            ics.contains("BEGIN:VEVENT") && ics.contains("TZID=Asia/Tokyo"),
            "{ics}"
        );
        let theirs = app
            .get(&supplier, &format!("{fair}/companies/kawaguchi-01"))
            .await;
        assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
        let plan = app.get(&supplier, &format!("{fair}/plan")).await;
        assert_eq!(plan.status(), StatusCode::FORBIDDEN);

        let plan = app.text(&staff, &format!("{fair}/plan")).await;
        assert!(plan.contains(" × "), "{plan}");
        let csv = app.get(&staff, &format!("{fair}/schedule.csv")).await;
        assert_eq!(csv.status(), StatusCode::OK);
        let csv = csv.text().await.unwrap();
        assert!(
            csv.contains("テーブル") && csv.lines().count() == 2,
            "{csv}"
        );
        let xlsx = app.get(&staff, &format!("{fair}/schedule.xlsx")).await;
        assert_eq!(xlsx.status(), StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn after_the_deadline_requests_expire_and_after_the_fair_outcomes_become_negotiations() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let staff = app
            .staff(&admin, "fair@kawaguchi-cci.example.jp", "kawaguchi-cci")
            .await;
        let supplier = member(&app, &admin, "sales@sumida-01.example.jp", "sumida-01").await;
        let buyer = member(
            &app,
            &admin,
            "buyer@kawaguchi-01.example.jp",
            "kawaguchi-01",
        )
        .await;
        // A fair that took place last January: its deadline is long over.
        let fair = create_fair(
            &app,
            &staff,
            &fair_fields("川口マッチング商談会（1月）", "2026-01-20", "2026-01-10"),
        )
        .await;
        add_participants(
            &app,
            &staff,
            &fair,
            &[
                ("kawaguchi-01", "buyer", ""),
                ("kawaguchi-02", "buyer", ""),
                ("sumida-01", "supplier", ""),
            ],
        )
        .await;

        let late = app
            .post_form(
                &supplier,
                &format!("{fair}/requests"),
                &[
                    ("from", "sumida-01"),
                    ("to", "kawaguchi-01"),
                    ("priority", "should"),
                ],
            )
            .await;
        assert_eq!(late.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = late.text().await.unwrap();
        assert!(
            page.contains("申込締切（2026-01-10）を過ぎているため"),
            "{page}"
        );
        assert!(
            page.contains("<option value=\"should\" selected>"),
            "the chosen priority is kept"
        );
        let stranger = app
            .post_form(
                &supplier,
                &format!("{fair}/requests"),
                &[
                    ("from", "sumida-01"),
                    ("to", "ota-09"),
                    ("priority", "must"),
                ],
            )
            .await;
        assert_eq!(stranger.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            stranger
                .text()
                .await
                .unwrap()
                .contains("相手の企業はこの商談会に参加していません。")
        );

        // Staff add late requests on the companies' behalf; one is never answered.
        for to in ["kawaguchi-01", "kawaguchi-02"] {
            let response = app
                .post_form(
                    &staff,
                    &format!("{fair}/requests"),
                    &[("from", "sumida-01"), ("to", to), ("priority", "must")],
                )
                .await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
        }
        let page = app.text(&buyer, &fair).await;
        assert!(
            page.contains("回答していない面談の申込が1件あります。"),
            "{page}"
        );
        let page = app.text(&staff, &fair).await;
        assert!(page.contains("未回答の申込（リマインダー）"));
        let csv = app
            .get(&staff, &format!("{fair}/reminders.csv"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            csv.contains("kawaguchi-01") && csv.contains("kawaguchi-02"),
            "{csv}"
        );
        assert_eq!(
            app.get(&buyer, &format!("{fair}/reminders.csv"))
                .await
                .status(),
            StatusCode::FORBIDDEN
        );

        let answer = between(&page, &format!("action=\"{fair}/requests/"), "/answer\"").unwrap();
        let accepted = app
            .post_form(
                &buyer,
                &format!("{fair}/requests/{answer}/answer"),
                &[("answer", "accept")],
            )
            .await;
        assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
        let expired = app.post_form(&staff, &format!("{fair}/expire"), &[]).await;
        assert_eq!(expired.status(), StatusCode::SEE_OTHER);
        let page = app.text(&staff, &format!("{fair}?done=expired")).await;
        assert!(page.contains("期限切れ"), "{page}");
        let ran = app
            .post_form(
                &staff,
                &format!("{fair}/schedule"),
                &[("keep_previous", "1")],
            )
            .await;
        assert_eq!(ran.status(), StatusCode::SEE_OTHER);

        // The supplier records the outcome; a bad amount keeps what was typed.
        let page = app.text(&supplier, &fair).await;
        let outcome = format!("{fair}/requests/{answer}/outcome");
        assert!(page.contains(&outcome), "the outcome link is offered");
        let form = app.text(&supplier, &outcome).await;
        assert!(form.contains("面談の結果を記録する"));
        let refused = app
            .post_form(
                &supplier,
                &outcome,
                &[
                    ("outcome", "order"),
                    ("on_date", "2026-02-10"),
                    ("amount", "百万円"),
                    ("note", "試作品を納入し量産を受注"),
                ],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = refused.text().await.unwrap();
        assert!(page.contains("金額：金額は円単位の数字で"), "{page}");
        assert!(
            page.contains("試作品を納入し量産を受注"),
            "the note is kept"
        );
        let recorded = app
            .post_form(
                &supplier,
                &outcome,
                &[
                    ("outcome", "order"),
                    ("on_date", "2026-02-10"),
                    ("amount", "１,２００,０００円"),
                    ("note", "試作品を納入し量産を受注"),
                ],
            )
            .await;
        assert_eq!(recorded.status(), StatusCode::SEE_OTHER);
        let page = app.text(&staff, &fair).await;
        let negotiation = between(&page, "<a href=\"/negotiations/", "\"").unwrap();
        let page = app
            .text(&staff, &format!("/negotiations/{negotiation}"))
            .await;
        assert!(
            page.contains("受注・契約") && page.contains("面談"),
            "{page}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_fair_api_requests_answers_schedules_and_gives_each_company_its_schedule() {
    on_each_backend(|app| async move {
        let anonymous = app.client();
        let refused = app.get(&anonymous, "/api/v1/fairs").await;
        assert_problem(&refused, StatusCode::UNAUTHORIZED, "anonymous list");
        let admin = app.admin().await;
        let staff = app
            .staff(&admin, "api@kawaguchi-cci.example.jp", "kawaguchi-cci")
            .await;
        let token = api_token(&app, &staff).await;
        let (status, list) = get_json(&app, &staff, "/api/v1/fairs").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            list[0]["organisation"], "kawaguchi-cci",
            "the demonstration fair"
        );

        let mut body = json!({
            "organisation": "kawaguchi-cci", "name": "API商談会", "date": "2099-05-10",
            "start_time": "10:00", "slot_count": 0, "slot_minutes": 20, "table_count": 4,
            "request_deadline": "2099-05-01", "request_cap": 5
        });
        let zero = send(
            &app,
            &staff,
            Method::POST,
            "/api/v1/fairs",
            Some(&token),
            &body,
        )
        .await;
        assert_problem(&zero, StatusCode::UNPROCESSABLE_ENTITY, "zero slots");
        let problem: Value = zero.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "slot_count");
        assert_eq!(
            problem["errors"][0]["reason"],
            "枠の数は1以上にしてください。"
        );
        body["slot_count"] = json!(8);
        let created = send(
            &app,
            &staff,
            Method::POST,
            "/api/v1/fairs",
            Some(&token),
            &body,
        )
        .await;
        assert_eq!(created.status(), StatusCode::CREATED);
        let created: Value = created.json().await.unwrap();
        let key = created["key"].as_str().unwrap().to_owned();
        for (company, role, available) in [
            ("kawaguchi-03", "buyer", ""),
            ("ota-04", "supplier", "2-8"),
            ("sumida-05", "supplier", ""),
        ] {
            let response = send(
                &app,
                &staff,
                Method::POST,
                &format!("/api/v1/fairs/{key}/participants"),
                Some(&token),
                &json!({"company": company, "role": role, "available": available}),
            )
            .await;
            assert_eq!(response.status(), StatusCode::OK, "{company}");
        }

        let supplier = member(&app, &admin, "sales@ota-04.example.jp", "ota-04").await;
        let supplier_token = api_token(&app, &supplier).await;
        let requests = format!("/api/v1/fairs/{key}/requests");
        let to_self = send(
            &app,
            &supplier,
            Method::POST,
            &requests,
            Some(&supplier_token),
            &json!({"from": "ota-04", "to": "ota-04", "priority": "must"}),
        )
        .await;
        assert_problem(
            &to_self,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a request to oneself",
        );
        let problem: Value = to_self.json().await.unwrap();
        assert_eq!(
            problem["errors"][0]["reason"],
            "自社に面談を申し込むことはできません。"
        );
        let bad_priority = send(
            &app,
            &supplier,
            Method::POST,
            &requests,
            Some(&supplier_token),
            &json!({"from": "ota-04", "to": "kawaguchi-03", "priority": "urgent"}),
        )
        .await;
        assert_problem(
            &bad_priority,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown priority",
        );
        let not_json = app
            .client()
            .post(app.url(&requests))
            .body("{")
            .send()
            .await
            .unwrap();
        assert!(not_json.status().is_client_error());
        let asked = send(
            &app,
            &supplier,
            Method::POST,
            &requests,
            Some(&supplier_token),
            &json!({"from": "ota-04", "to": "kawaguchi-03", "priority": "must"}),
        )
        .await;
        assert_eq!(asked.status(), StatusCode::CREATED);
        let asked: Value = asked.json().await.unwrap();
        assert_eq!(asked["status"], "pending");
        let id = asked["id"].as_i64().unwrap();

        let refused = send(
            &app,
            &supplier,
            Method::POST,
            &format!("/api/v1/fairs/{key}/requests/{id}/answer"),
            Some(&supplier_token),
            &json!({"answer": "accept"}),
        )
        .await;
        assert_problem(
            &refused,
            StatusCode::FORBIDDEN,
            "the asking side cannot accept",
        );
        let answered = send(
            &app,
            &staff,
            Method::POST,
            &format!("/api/v1/fairs/{key}/requests/{id}/answer"),
            Some(&token),
            &json!({"answer": "accept"}),
        )
        .await;
        assert_eq!(answered.status(), StatusCode::OK);

        let refused = send(
            &app,
            &supplier,
            Method::POST,
            &format!("/api/v1/fairs/{key}/schedule"),
            Some(&supplier_token),
            &json!({}),
        )
        .await;
        assert_problem(&refused, StatusCode::FORBIDDEN, "members do not schedule");
        let ran = send(
            &app,
            &staff,
            Method::POST,
            &format!("/api/v1/fairs/{key}/schedule"),
            Some(&token),
            &json!({"keep_previous": true}),
        )
        .await;
        assert_eq!(ran.status(), StatusCode::OK);
        let ran: Value = ran.json().await.unwrap();
        assert_eq!(
            (ran["placed"].as_u64(), ran["unplaced"].as_u64()),
            (Some(1), Some(0))
        );

        let (status, mine) = get_json(
            &app,
            &supplier,
            &format!("/api/v1/fairs/{key}/companies/ota-04/schedule"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(mine["meetings"][0]["with"], "kawaguchi-03");
        assert!(
            mine["meetings"][0]["slot"].as_u64().unwrap() >= 2,
            "ota-04 comes from slot 2"
        );
        let (status, _) = get_json(
            &app,
            &supplier,
            &format!("/api/v1/fairs/{key}/companies/kawaguchi-03/schedule"),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "not another company's day");
        let (status, fair) = get_json(&app, &supplier, &format!("/api/v1/fairs/{key}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(fair["requests"].as_array().unwrap().len(), 1);
        let too_early = send(
            &app,
            &staff,
            Method::POST,
            &format!("/api/v1/fairs/{key}/requests/{id}/outcome"),
            Some(&token),
            &json!({"outcome": "quote"}),
        )
        .await;
        assert_problem(
            &too_early,
            StatusCode::UNPROCESSABLE_ENTITY,
            "an outcome before the fair",
        );

        let (_, openapi) = get_json(&app, &anonymous, "/openapi.json").await;
        for path in [
            "/api/v1/fairs",
            "/api/v1/fairs/{key}",
            "/api/v1/fairs/{key}/requests",
            "/api/v1/fairs/{key}/requests/{id}/answer",
            "/api/v1/fairs/{key}/schedule",
            "/api/v1/fairs/{key}/companies/{company}/schedule",
            "/api/v1/fairs/{key}/requests/{id}/outcome",
        ] {
            assert!(openapi["paths"][path].is_object(), "{path} documented");
        }
    })
    .await;
}
