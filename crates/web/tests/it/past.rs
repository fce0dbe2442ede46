//! Recording what happened (issue 19, item 1) and facilities and share offices kept by
//! their organisations (item 5), over HTTP on both databases: 東大阪市's staff record
//! the 先進企業視察 (近江鍛工) of 平成28年度 with 12 participants and find the 12 in the
//! annual report; the event reads 終了 everywhere and takes no registration; others
//! are refused in Japanese with what they typed kept; 尼崎市 keeps its office and its
//! facility, 加賀市 may not.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::directory_api::api_token;
use crate::harness::{TestApp, on_each_backend};

fn the_visit<'a>(organisation: &'a str, title: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("organisation", organisation),
        ("title", title),
        ("event_type", "visit"),
        ("city", "higashiosaka"),
        ("pillars", "2"),
        ("start_date", "2016-11-17"),
        ("start_time", "10:00"),
        ("end_time", "16:00"),
        ("venue", "近江鍛工（株）"),
        ("initiative", "higashiosaka-advanced-company-visit"),
        ("description", "先進企業（近江鍛工（株））を視察。"),
        ("past_record", "1"),
    ]
}

async fn json_write(
    app: &TestApp,
    client: &Client,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let token = api_token(app, client).await;
    let response = client
        .request(method, app.url(path))
        .header("x-csrf-token", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn higashiosaka_records_the_2016_visit_with_12_participants_and_the_annual_report_shows_them()
{
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let higashiosaka = app
            .staff(&admin, "visit@city.higashiosaka.example.jp", "higashiosaka")
            .await;
        let sumida = app
            .staff(
                &admin,
                "visit@sumida.tokyo-cci.example.jp",
                "tokyo-cci-sumida",
            )
            .await;

        // Someone else's past activity: refused in Japanese, what was typed kept.
        let refused = app
            .post_form(
                &sumida,
                "/events",
                &the_visit("higashiosaka", "他団体が記録した視察"),
            )
            .await;
        assert_eq!(
            refused.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{:?}",
            app.backend
        );
        let page = refused.text().await.unwrap();
        assert!(
            page.contains("主催団体（東大阪市）の職員と協議会事務局だけ"),
            "{page}"
        );
        assert!(page.contains("value=\"他団体が記録した視察\""));

        // A past date without saying it is a record: the old refusal, with the hint.
        let mut unmarked = the_visit("higashiosaka", "印のない視察");
        unmarked.retain(|(name, _)| *name != "past_record");
        let refused = app.post_form(&higashiosaka, "/events", &unmarked).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("実施済みの活動の記録")
        );

        // The organiser's own staff record it.
        let created = app
            .post_form(
                &higashiosaka,
                "/events",
                &the_visit("higashiosaka", "先進企業視察（近江鍛工（株））"),
            )
            .await;
        assert_eq!(created.status(), StatusCode::SEE_OTHER, "{:?}", app.backend);
        let location = created.headers()["location"].to_str().unwrap().to_owned();
        let path = location.split('?').next().unwrap().to_owned();
        let key = path.trim_start_matches("/events/").to_owned();

        // Past its end: 終了, no registration form.
        let public = app.client();
        let detail = app.text(&public, &path).await;
        assert!(detail.contains("<dd>終了</dd>"), "{detail}");
        assert!(detail.contains("badge ended"));
        assert!(!detail.contains("参加を申し込む"));
        let register = app.text(&public, &format!("{path}/register")).await;
        assert!(register.contains("このイベントは終了しました"));
        assert!(!register.contains("name=\"email\""), "no registration form");

        // Bad results keep what was typed; another organisation may not record them.
        let bad = app
            .post_form(
                &higashiosaka,
                &format!("{path}/results"),
                &[
                    ("participants", "たくさん"),
                    ("companies", ""),
                    ("note", "視察の記録"),
                ],
            )
            .await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = bad.text().await.unwrap();
        assert!(page.contains("参加者数は0〜100000の整数"));
        assert!(page.contains("value=\"たくさん\"") && page.contains("視察の記録"));
        let foreign = app
            .post_form(
                &sumida,
                &format!("{path}/results"),
                &[("participants", "3")],
            )
            .await;
        assert_eq!(foreign.status(), StatusCode::FORBIDDEN);

        let recorded = app
            .post_form(
                &higashiosaka,
                &format!("{path}/results"),
                &[
                    ("participants", "12"),
                    ("companies", "1"),
                    ("note", "鍛造ラインと技能承継の取組みを視察"),
                ],
            )
            .await;
        assert_eq!(recorded.status(), StatusCode::SEE_OTHER);
        assert!(
            recorded.headers()["location"]
                .to_str()
                .unwrap()
                .ends_with("done=results_fed"),
            "fed into the initiative's KPIs"
        );
        let detail = app.text(&public, &path).await;
        assert!(detail.contains("<h2>実績</h2>") && detail.contains("12名"));
        assert!(detail.contains("鍛造ラインと技能承継の取組みを視察"));

        // The annual report of 平成28年度 carries the 12.
        let report = app.text(&public, "/reports/annual?fy=2016").await;
        assert!(
            report.contains("参加者数（イベント実績）：12人"),
            "the annual report shows the visit's participants"
        );
        assert!(report.contains("開催回数（イベント実績）：1回"));

        // 終了 in the lists, the month calendar, the feeds, the export and the API.
        let list = app.text(&public, "/events?city=higashiosaka").await;
        assert!(list.contains("badge ended") && list.contains("実績：参加者 12名・参加企業 1社"));
        let month = app.text(&public, "/events/calendar?month=2016-11").await;
        assert!(month.contains("先進企業視察（近江鍛工（株））"));
        assert!(month.contains("<span class=\"badge ended\">終了</span>"));
        let ics = app.text(&public, "/calendar.ics?city=higashiosaka").await;
        assert!(ics.contains("CATEGORIES:終了"), "{ics}");
        let atom = app
            .text(&public, "/feeds/activity.atom?city=higashiosaka")
            .await;
        assert!(atom.contains("term=\"終了\""), "{atom}");
        let csv = app.text(&public, "/events.csv?city=higashiosaka").await;
        let line = csv
            .lines()
            .find(|l| l.contains(&key))
            .expect("the visit in the CSV");
        assert!(line.contains(",終了,") && line.contains(",12,1,"), "{line}");
        let api: Value = app
            .get(&public, &format!("/api/v1/events/{key}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(api["status"], "ended");
        assert_eq!(api["status_label"], "終了");
        assert_eq!(api["result"]["participants"], 12);

        // The API twin corrects the figures; a future event takes no results.
        let (status, corrected) = json_write(
            &app,
            &higashiosaka,
            reqwest::Method::PUT,
            &format!("/api/v1/events/{key}/results"),
            json!({"participants": 13, "companies": 1, "note": "訂正"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{corrected}");
        assert_eq!(corrected["result"]["participants"], 13);
        let report = app.text(&public, "/reports/annual?fy=2016").await;
        assert!(report.contains("参加者数（イベント実績）：13人"));
        let (status, problem) = json_write(
            &app,
            &higashiosaka,
            reqwest::Method::PUT,
            "/api/v1/events/ota-2017-open-factory/results",
            json!({"participants": 5}),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    })
    .await;
}

#[tokio::test]
async fn an_organisation_keeps_its_facility_and_office_and_another_is_refused() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let amagasaki = app
            .staff(&admin, "keep@city.amagasaki.example.jp", "amagasaki")
            .await;
        let kaga = app
            .staff(&admin, "keep@city.kaga.example.jp", "kaga")
            .await;

        // The facility: its keeper edits, bad input comes back as typed, 加賀市 gets 403.
        let list = app.text(&amagasaki, "/facilities").await;
        assert!(list.contains("/facilities/facility-1/edit"));
        assert!(!app.text(&kaga, "/facilities").await.contains("/facilities/facility-1/edit"));
        let fields = |description: &'static str, capacity: &'static str| {
            vec![
                ("name", "尼崎創業支援オフィスアビーズ"),
                ("kind", "share_office"),
                ("address", "兵庫県尼崎市昭和通2-6-68"),
                ("description", description),
                ("capacity", capacity),
                ("public", "1"),
            ]
        };
        let bad = app
            .post_form(
                &amagasaki,
                "/facilities/facility-1/edit",
                &fields("創業者向けの個室とコワーキング", "たくさん"),
            )
            .await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY, "{:?}", app.backend);
        let page = bad.text().await.unwrap();
        assert!(page.contains("定員は1〜100000の整数"));
        assert!(page.contains("value=\"たくさん\"") && page.contains("創業者向けの個室とコワーキング"));
        let saved = app
            .post_form(
                &amagasaki,
                "/facilities/facility-1/edit",
                &fields("創業者向けの個室とコワーキング", "45"),
            )
            .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let public = app.text(&app.client(), "/facilities").await;
        assert!(public.contains("創業者向けの個室とコワーキング") && public.contains("定員45名"));
        let refused = app
            .post_form(&kaga, "/facilities/facility-1/edit", &fields("乗っ取り", "1"))
            .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert!(refused.text().await.unwrap().contains("その団体の職員と協議会事務局だけ"));
        let (status, _) = json_write(
            &app,
            &kaga,
            reqwest::Method::PUT,
            "/api/v1/facilities/facility-1",
            json!({"name": "乗っ取り", "kind": "lab"}),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // The secretariat edits any city's facility, through the API twin.
        let (status, edited) = json_write(
            &app,
            &admin,
            reqwest::Method::PUT,
            "/api/v1/facilities/facility-2",
            json!({"name": "すみだ和ガラス館", "kind": "lab", "description": "和ガラスの展示と体験"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{edited}");
        assert_eq!(edited["description"], "和ガラスの展示と体験");

        // The office: details and members, by its keeper only.
        let offices = app.text(&amagasaki, "/offices").await;
        assert!(offices.contains("/offices/amagasaki-abiz/edit"));
        let edit = app.text(&amagasaki, "/offices/amagasaki-abiz/edit").await;
        assert!(edit.contains("入居企業（3社）"));
        let added = app
            .post_form(&amagasaki, "/offices/amagasaki-abiz/members", &[("company", "amagasaki-02")])
            .await;
        assert_eq!(added.status(), StatusCode::SEE_OTHER);
        let unknown = app
            .post_form(&amagasaki, "/offices/amagasaki-abiz/members", &[("company", "どこにもない会社")])
            .await;
        assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unknown.text().await.unwrap().contains("value=\"どこにもない会社\""));
        let elsewhere = app
            .post_form(&amagasaki, "/offices/amagasaki-abiz/members", &[("company", "ota-01")])
            .await;
        assert_eq!(elsewhere.status(), StatusCode::CONFLICT);
        let removed = app
            .post_form(&amagasaki, "/offices/amagasaki-abiz/members/amagasaki-01/remove", &[])
            .await;
        assert_eq!(removed.status(), StatusCode::SEE_OTHER);
        let blank = app
            .post_form(
                &amagasaki,
                "/offices/amagasaki-abiz/edit",
                &[("name", ""), ("address", "兵庫県尼崎市"), ("description", "空の名前")],
            )
            .await;
        assert_eq!(blank.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(blank.text().await.unwrap().contains("空の名前"));
        let (status, office) = json_write(
            &app,
            &amagasaki,
            reqwest::Method::PUT,
            "/api/v1/offices/amagasaki-abiz",
            json!({"name": "尼崎創業支援オフィスアビーズ", "description": "相互利用の窓口"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{office}");
        let members: Vec<&str> = office["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["key"].as_str().unwrap())
            .collect();
        assert!(members.contains(&"amagasaki-02") && !members.contains(&"amagasaki-01"));
        assert_eq!(
            app.get(&kaga, "/offices/amagasaki-abiz/edit").await.status(),
            StatusCode::FORBIDDEN
        );
        let (status, _) = json_write(
            &app,
            &kaga,
            reqwest::Method::POST,
            "/api/v1/offices/amagasaki-abiz/members",
            json!({"company": "kaga-01"}),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Every change is in the audit log.
        let audit = app.text(&admin, "/admin/audit").await;
        assert!(audit.contains("施設「尼崎創業支援オフィスアビーズ」（尼崎市）の情報を更新"));
        assert!(audit.contains("入居企業として追加"));
    })
    .await;
}
