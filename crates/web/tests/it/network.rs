//! 仲間まわし over HTTP, as in the "done when": a hub company in 大田区 enters a
//! three-factory job, the router plans it, two factories report progress from their
//! own logins (one from a tablet through the JSON API), one reports a delay, the plan
//! is re-made and the Gantt chart shows it. Then bad input: every case a clear
//! 4xx with a Japanese message, never a 500.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::harness::{TestApp, between, company_member, on_each_backend};

pub async fn machine_id(app: &TestApp, company: &str, name: &str) -> i64 {
    let machines: Vec<Value> = app
        .client()
        .get(app.url("/api/v1/network/machines"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    machines
        .iter()
        .find(|m| m["company"] == company && m["name"] == name)
        .and_then(|m| m["id"].as_i64())
        .unwrap_or_else(|| panic!("machine {company} {name}"))
}

async fn api_token(app: &TestApp, client: &Client) -> String {
    let session: Value = app
        .get(client, "/api/v1/session")
        .await
        .json()
        .await
        .unwrap();
    session["csrf_token"].as_str().unwrap().to_owned()
}

pub async fn post_json(
    app: &TestApp,
    client: &Client,
    path: &str,
    body: Value,
) -> reqwest::Response {
    let token = api_token(app, client).await;
    client
        .post(app.url(path))
        .header("X-CSRF-Token", token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn job(app: &TestApp, client: &Client, key: &str) -> Value {
    let response = app
        .get(client, &format!("/api/v1/network/jobs/{key}"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// The hub enters the three-factory job through the page; returns its key.
pub async fn enter_job(app: &TestApp, hub: &Client) -> String {
    let lathe = machine_id(app, "ota-01", "NC旋盤 1号機").await;
    let plating = machine_id(app, "ota-03", "めっきライン").await;
    let inspection = machine_id(app, "ota-05", "組立・検査台").await;
    let operations = format!("切削 {lathe}:240\nめっき {plating}:180\n検査 {inspection}:60\n");
    let response = app
        .post_form(
            hub,
            "/network/jobs",
            &[
                ("hub", "ota-05"),
                ("name", "医療機器ブラケット 200個"),
                ("release", "2026-11-24 08:00"),
                ("due", "2026-11-25 17:00"),
                ("operations", &operations),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    between(&location, "/network/jobs/", "?").expect("job key in the redirect")
}

#[tokio::test]
async fn a_three_factory_job_is_planned_reported_delayed_and_replanned_over_http() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let hub = company_member(&app, &admin, "hub@ota-05.example.jp", "ota-05").await;
        let cutter = company_member(&app, &admin, "m@ota-01.example.jp", "ota-01").await;
        let plater = company_member(&app, &admin, "m@ota-03.example.jp", "ota-03").await;

        // The public sees the network's machines, not its jobs.
        let public = app.text(&app.client(), "/network").await;
        assert!(public.contains("めっきライン") && public.contains("ログイン"));

        let key = enter_job(&app, &hub).await;
        let page = app.text(&hub, &format!("/network/jobs/{key}")).await;
        assert!(page.contains("未計画"), "{:?}", app.backend);

        // The router plans it.
        let response = app.post_form(&hub, "/network/plan", &[("job", &key)]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let planned = job(&app, &hub, &key).await;
        let ops = planned["operations"].as_array().unwrap().clone();
        assert_eq!(ops.len(), 3);
        assert!(ops.iter().all(|o| o["planned_start"].is_string()));
        let (cut, plate) = (
            ops[0]["id"].as_i64().unwrap(),
            ops[1]["id"].as_i64().unwrap(),
        );
        let page = app.text(&hub, &format!("/network/jobs/{key}")).await;
        assert!(page.contains("<svg") && page.contains("計画済み"));

        // The cutting factory sees its report form, for its own operation only.
        let page = app.text(&cutter, &format!("/network/jobs/{key}")).await;
        assert!(page.contains(&format!("name=\"operation\" value=\"{cut}\"")));
        assert!(!page.contains(&format!("name=\"operation\" value=\"{plate}\"")));
        let start = ops[0]["planned_start"].as_str().unwrap().to_owned();
        let response = app
            .post_form(
                &cutter,
                &format!("/network/jobs/{key}/events"),
                &[
                    ("operation", &cut.to_string()),
                    ("kind", "start"),
                    ("at", &start),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{:?}",
            app.backend
        );

        // The plating factory may not report the cutting; the form comes back with a reason.
        let response = app
            .post_form(
                &plater,
                &format!("/network/jobs/{key}/events"),
                &[
                    ("operation", &cut.to_string()),
                    ("kind", "finish"),
                    ("at", &start),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("進捗を報告できるのは")
        );

        // The lathe's tablet reports a delay of a day through the API: re-planned at once.
        let planned_end = ops[0]["planned_end"].as_str().unwrap();
        let late = domain::network::parse_time("at", planned_end).unwrap() + 24 * 60;
        let late_text = domain::network::format_minutes(late);
        let response = post_json(
            &app,
            &cutter,
            &format!("/api/v1/network/operations/{cut}/events"),
            json!({"kind": "delay", "at": late_text}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED, "{:?}", app.backend);
        let result: Value = response.json().await.unwrap();
        assert_eq!(result["replan"], "replanned");
        let replanned = job(&app, &hub, &key).await;
        assert_eq!(replanned["operations"][0]["delayed"], true);
        assert_eq!(
            replanned["operations"][0]["started_at"].as_str(),
            Some(start.as_str())
        );
        let new_plate_start = replanned["operations"][1]["planned_start"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            domain::network::parse_time("at", &new_plate_start).unwrap() >= late,
            "plating moved after the delayed cutting"
        );
        assert!(replanned["tardiness_minutes"].as_i64().unwrap() > 0);

        // The hub's page shows the delay in the chart (colour, hatching and words) and
        // in the history.
        let page = app.text(&hub, &format!("/network/jobs/{key}")).await;
        assert!(page.contains("bar-late") && page.contains("⚠ 作業中・遅延 1日"));
        assert!(page.contains("遅延による再計画") && page.contains("完了見込みが"));
        let factory = app.text(&hub, "/network/factories/ota-01").await;
        assert!(factory.contains("bar-late"));

        // Cutting finishes; the plating factory starts from its own login, by the API.
        let response = app
            .post_form(
                &cutter,
                &format!("/network/jobs/{key}/events"),
                &[
                    ("operation", &cut.to_string()),
                    ("kind", "finish"),
                    ("at", &late_text),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let response = post_json(
            &app,
            &plater,
            &format!("/api/v1/network/operations/{plate}/events"),
            json!({"kind": "start", "at": new_plate_start}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let done = job(&app, &hub, &key).await;
        assert_eq!(done["operations"][1]["status"], "started");

        // Staff of another city may not re-plan 大田区's network.
        let sumida = app
            .staff(&admin, "staff@city.sumida.example.jp", "sumida")
            .await;
        let response = app.post_form(&sumida, "/network/plan", &[]).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let csv = app.get(&hub, "/network/jobs.csv").await;
        assert_eq!(csv.status(), StatusCode::OK);
        assert!(csv.text().await.unwrap().contains("医療機器ブラケット"));
    })
    .await;
}

#[tokio::test]
async fn bad_network_input_is_a_clear_error_never_a_500() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let hub = company_member(&app, &admin, "hub@ota-05.example.jp", "ota-05").await;

        // An operation no machine can do: the form comes back with what was typed.
        let response = app
            .post_form(
                &hub,
                "/network/jobs",
                &[
                    ("hub", "ota-05"),
                    ("name", "シャフト"),
                    ("release", "2026-11-24 08:00"),
                    ("due", ""),
                    ("operations", "切削\n"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = response.text().await.unwrap();
        assert!(page.contains("できる設備がありません") && page.contains("シャフト"));

        // An empty job, through the API.
        let response = post_json(
            &app,
            &hub,
            "/api/v1/network/jobs",
            json!({"hub": "ota-05", "name": "空", "release": "2026-11-24 08:00", "operations": []}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );

        // A calendar with no working time.
        let response = app
            .post_form(
                &hub,
                "/network/machines",
                &[
                    ("company", "ota-05"),
                    ("name", "夜間炉"),
                    ("processes", "熱処理"),
                    ("days", "月火水木金"),
                    ("hours", "17:00-08:00"),
                    ("holidays", ""),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("稼働時間がありません")
        );

        // A malformed .fjs file.
        let response = app
            .post_form(
                &hub,
                "/network/import",
                &[
                    ("hub", "ota-05"),
                    ("format", "fjs"),
                    ("name", "試作"),
                    ("release", "2026-11-24 08:00"),
                    ("text", "2 2\n1 1 1\n"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains(".fjs ファイルを読めません")
        );

        // A progress event for an unknown operation, an unknown kind, and out of order.
        let response = post_json(
            &app,
            &hub,
            "/api/v1/network/operations/999999/events",
            json!({"kind": "start", "at": "2026-11-24 08:00"}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let key = enter_job(&app, &hub).await;
        let response = post_json(&app, &hub, "/api/v1/network/plan", json!({})).await;
        assert_eq!(response.status(), StatusCode::OK);
        let planned = job(&app, &hub, &key).await;
        let inspection = planned["operations"][2]["id"].as_i64().unwrap();
        let response = post_json(
            &app,
            &hub,
            &format!("/api/v1/network/operations/{inspection}/events"),
            json!({"kind": "begin", "at": "2026-11-24 08:00"}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let response = post_json(
            &app,
            &hub,
            &format!("/api/v1/network/operations/{inspection}/events"),
            json!({"kind": "start", "at": "2026-11-24 08:00"}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let problem: Value = response.json().await.unwrap();
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("前の工程がまだ完了していません")
        );

        // CSV round trip: what the export writes, the import reads.
        let csv = app
            .get(&hub, "/network/jobs.csv")
            .await
            .text()
            .await
            .unwrap();
        let response = app
            .post_form(
                &hub,
                "/network/import",
                &[("hub", "ota-05"), ("format", "csv"), ("text", &csv)],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{:?}",
            app.backend
        );
        let jobs: Vec<Value> = app
            .get(&hub, "/api/v1/network/jobs")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(jobs.len(), 2);

        let openapi = app.text(&app.client(), "/openapi.json").await;
        assert!(openapi.contains("/api/v1/network/operations/{id}/events"));
    })
    .await;
}

/// Uploads `bytes` as the import form's file, the CSRF token in the action URL.
async fn upload(
    app: &TestApp,
    client: &Client,
    fields: &[(&'static str, &'static str)],
    file_name: &'static str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let page = app.text(client, "/network/import").await;
    let token = crate::harness::meta_csrf(&page);
    let mut form = reqwest::multipart::Form::new();
    for (name, value) in fields {
        form = form.text(*name, *value);
    }
    let form = form.part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(file_name),
    );
    client
        .post(app.url(&format!("/network/import/file?csrf_token={token}")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn job_count(app: &TestApp, client: &Client) -> usize {
    let jobs: Vec<Value> = app
        .get(client, "/api/v1/network/jobs")
        .await
        .json()
        .await
        .unwrap();
    jobs.len()
}

#[tokio::test]
async fn a_hub_uploads_csv_in_shift_jis_and_fjs_files_and_a_bad_file_imports_nothing() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let hub = company_member(&app, &admin, "hub@ota-05.example.jp", "ota-05").await;
        enter_job(&app, &hub).await;
        let csv = app
            .get(&hub, "/network/jobs.csv")
            .await
            .text()
            .await
            .unwrap();

        // The page offers a file upload that carries its token in the action URL.
        let page = app.text(&hub, "/network/import").await;
        assert!(page.contains("enctype=\"multipart/form-data\"") && page.contains("type=\"file\""));

        // CSV as Excel saves it on Japanese Windows: Shift_JIS, without the BOM.
        let (sjis, _, unmappable) =
            encoding_rs::SHIFT_JIS.encode(csv.trim_start_matches('\u{feff}'));
        assert!(!unmappable);
        let csv_fields = [("hub", "ota-05"), ("format", "csv")];
        let response = upload(&app, &hub, &csv_fields, "jobs.csv", sjis.into_owned()).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{:?}: {}",
            app.backend,
            response.text().await.unwrap()
        );
        assert_eq!(job_count(&app, &hub).await, 2);
        let board = app.text(&hub, "/network?done=imported").await;
        assert!(board.contains("案件を取り込みました"));

        // The .fjs export, uploaded back as a file.
        let fjs = app
            .get(&hub, "/network/jobs.fjs")
            .await
            .text()
            .await
            .unwrap();
        let fjs_fields = [
            ("hub", "ota-05"),
            ("format", "fjs"),
            ("name", "標準問題"),
            ("release", "2026-11-24 08:00"),
        ];
        let response = upload(&app, &hub, &fjs_fields, "jobs.fjs", fjs.into_bytes()).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(job_count(&app, &hub).await, 4);

        // Bad files: each a 422 with a Japanese reason, and nothing imported.
        let broken = format!("{csv}J-X,壊れた案件,,2026-13-45 08:00,,1,切削,1:60,,,,,\n");
        let cases: [(&str, Vec<u8>, &str); 5] = [
            ("empty.csv", Vec::new(), "ファイルが空です"),
            (
                "book.xlsx",
                b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec(),
                "テキストファイルではありません",
            ),
            (
                "garbled.csv",
                vec![0x82, 0xa0, 0xff, 0xfe, 0x80],
                "文字コードを判別できません",
            ),
            (
                "other.csv",
                "氏名,住所\n山田,大田区\n".as_bytes().to_vec(),
                "「案件」の列がありません",
            ),
            ("broken.csv", broken.into_bytes(), "案件 J-X"),
        ];
        for (name, bytes, reason) in cases {
            let response = upload(&app, &hub, &csv_fields, name, bytes).await;
            assert_eq!(
                response.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name}"
            );
            let page = response.text().await.unwrap();
            assert!(page.contains(reason), "{name}: {page}");
            assert!(page.contains("取り込めませんでした"), "{name}");
        }
        let response = upload(&app, &hub, &fjs_fields, "bad.fjs", b"2 2\n1 1 1\n".to_vec()).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains(".fjs ファイルを読めません")
        );
        assert_eq!(job_count(&app, &hub).await, 4, "nothing half-imported");

        // Neither a file nor pasted text.
        let form = reqwest::multipart::Form::new()
            .text("hub", "ota-05")
            .text("format", "csv");
        let token = crate::harness::meta_csrf(&app.text(&hub, "/network/import").await);
        let response = hub
            .post(app.url(&format!("/network/import/file?csrf_token={token}")))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.unwrap().contains("ファイルを選ぶか"));

        // Too large: refused before it is read, never a 500.
        let huge = vec![b'a'; 3 * 1024 * 1024];
        let response = upload(&app, &hub, &csv_fields, "huge.csv", huge).await;
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let page = response.text().await.unwrap();
        assert!(
            page.contains("送信された内容が大きすぎます（2MBまで）"),
            "a Japanese page: {page}"
        );

        // Without the token in the URL nothing is imported.
        let form = reqwest::multipart::Form::new().text("hub", "ota-05").part(
            "file",
            reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("jobs.csv"),
        );
        let response = hub
            .post(app.url("/network/import/file"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(job_count(&app, &hub).await, 4);
    })
    .await;
}

#[tokio::test]
async fn a_cancelled_job_leaves_the_plan_stays_in_history_and_refuses_progress() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let hub = company_member(&app, &admin, "hub@ota-05.example.jp", "ota-05").await;
        let cutter = company_member(&app, &admin, "m@ota-01.example.jp", "ota-01").await;
        let plater = company_member(&app, &admin, "m@ota-03.example.jp", "ota-03").await;
        let cancelled = enter_job(&app, &hub).await;
        let other = enter_job(&app, &hub).await;
        let response = post_json(&app, &hub, "/api/v1/network/plan", json!({})).await;
        let plan: Value = response.json().await.unwrap();
        assert_eq!(plan["jobs"], 2);
        let page = app.text(&hub, &format!("/network/jobs/{cancelled}")).await;
        assert!(page.contains("案件を取り消す"));

        // Only the hub (its city's staff, the secretariat) may cancel.
        let response = post_json(
            &app,
            &plater,
            &format!("/api/v1/network/jobs/{cancelled}/cancel"),
            json!({}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let page = app
            .text(&cutter, &format!("/network/jobs/{cancelled}"))
            .await;
        assert!(!page.contains("案件を取り消す"));

        // The hub cancels it from the job page, after a page that says what it does
        // (which the others never reach).
        let confirm = app
            .text(&hub, &format!("/network/jobs/{cancelled}/cancel"))
            .await;
        assert!(confirm.contains("元に戻せません") && confirm.contains("取り消す</button>"));
        assert_eq!(
            app.get(&cutter, &format!("/network/jobs/{cancelled}/cancel"))
                .await
                .status(),
            StatusCode::FORBIDDEN
        );
        let response = app
            .post_form(&hub, &format!("/network/jobs/{cancelled}/cancel"), &[])
            .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{:?}",
            app.backend
        );
        let page = app
            .text(&hub, &format!("/network/jobs/{cancelled}?done=cancelled"))
            .await;
        assert!(page.contains("案件を取り消しました"));
        assert!(page.contains("<dd>取消"), "status 取消");
        assert!(
            page.contains("が取消（計画から外しました）"),
            "in the history"
        );
        assert!(!page.contains("案件を取り消す"), "no second cancel button");
        let again = app
            .get(&hub, &format!("/network/jobs/{cancelled}/cancel"))
            .await;
        assert_eq!(again.status(), StatusCode::SEE_OTHER, "back to the job");
        let board = app.text(&hub, "/network").await;
        assert!(board.contains("取消"));
        let job_json = job(&app, &hub, &cancelled).await;
        assert!(job_json["cancelled_at"].is_string());

        // It left the plan: the next plan has one job, and the other is not later.
        let response = post_json(&app, &hub, "/api/v1/network/plan", json!({})).await;
        let plan: Value = response.json().await.unwrap();
        assert_eq!(plan["jobs"], 1);
        assert_eq!(job(&app, &hub, &other).await["cancelled_at"], Value::Null);

        // Progress on it is refused with the reason, on the API and on the page.
        let first = job_json["operations"][0]["id"].as_i64().unwrap();
        let response = post_json(
            &app,
            &cutter,
            &format!("/api/v1/network/operations/{first}/events"),
            json!({"kind": "start", "at": "2026-11-24 08:30"}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let problem: Value = response.json().await.unwrap();
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("取り消されています")
        );
        let response = app
            .post_form(
                &cutter,
                &format!("/network/jobs/{cancelled}/events"),
                &[
                    ("operation", &first.to_string()),
                    ("kind", "start"),
                    ("at", "2026-11-24 08:30"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::CONFLICT);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("取り消されています")
        );

        // Twice, or an unknown job: a clear refusal, never a 500.
        let response = post_json(
            &app,
            &hub,
            &format!("/api/v1/network/jobs/{cancelled}/cancel"),
            json!({}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let response = app
            .post_form(&hub, &format!("/network/jobs/{cancelled}/cancel"), &[])
            .await;
        assert_eq!(response.status(), StatusCode::CONFLICT);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("既に取り消されています")
        );
        let response = post_json(
            &app,
            &hub,
            "/api/v1/network/jobs/job-0000/cancel",
            json!({}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);

        // The other job is cancelled through the API; nothing is left to plan.
        let response = post_json(
            &app,
            &admin,
            &format!("/api/v1/network/jobs/{other}/cancel"),
            json!({}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        assert!(body["cancelled_at"].is_string());

        // Audit-logged, and in the OpenAPI document.
        let audit = app.text(&admin, "/admin/audit").await;
        assert!(audit.contains("が取消（計画から外しました）"));
        let openapi = app.text(&app.client(), "/openapi.json").await;
        assert!(openapi.contains("/api/v1/network/jobs/{key}/cancel"));
    })
    .await;
}
