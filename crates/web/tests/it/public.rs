//! What the public and every visitor see without logging in.

use reqwest::StatusCode;

use crate::harness::on_each_backend;

#[tokio::test]
async fn public_pages_show_the_council_data_in_japanese() {
    on_each_backend(|app| async move {
        let client = app.client();
        let home = app.text(&client, "/").await;
        assert!(home.contains("lang=\"ja\""));
        assert!(home.contains("【2】技術・技能の継承及び人材の確保・育成"));
        assert!(
            home.contains("最近のイベント") || home.contains("今後のイベント"),
            "events on the home page"
        );
        assert_eq!(
            home.matches("<li><a href=\"/events/").count(),
            5,
            "five of the document's events listed"
        );
        assert!(home.contains("最新の活動") && home.contains("/feeds/activity.atom"));
        assert!(home.contains("href=\"/cities/ota\"") && home.contains("href=\"/pillars/2\""));
        for city in [
            "川口市",
            "墨田区",
            "大田区",
            "岡谷市",
            "加賀市",
            "東大阪市",
            "尼崎市",
        ] {
            assert!(home.contains(city), "{city} on the home page");
        }
        let list = app
            .text(&client, "/initiatives?city=kawaguchi&pillar=3")
            .await;
        assert!(list.contains("マッチング商談会"));
        assert!(!list.contains("経営塾"), "pillar 2 filtered out");
        let search = app
            .text(
                &client,
                "/initiatives?q=%EF%BD%BE%EF%BE%90%EF%BE%85%EF%BD%B0",
            )
            .await; // ｾﾐﾅｰ
        assert!(search.contains("セミナー"));
        let bad_filter = app.get(&client, "/initiatives?fy=abc&pillar=9").await;
        assert_eq!(
            bad_filter.status(),
            StatusCode::OK,
            "a bad filter still lists, with a message"
        );
        let text = bad_filter.text().await.unwrap();
        assert!(text.contains("年度を「2016」") && text.contains("柱は1〜3"));
        assert_eq!(
            app.get(&client, "/initiatives/no-such-thing")
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
    })
    .await;
}

#[tokio::test]
async fn the_annual_report_has_the_documents_structure_and_a_chart() {
    on_each_backend(|app| async move {
        let client = app.client();
        let report = app.text(&client, "/reports/annual?fy=2016&fy=2017").await;
        let council = report.find("1 協議会全体の事業").unwrap();
        let kawaguchi = report.find("id=\"org-kawaguchi-h\"").unwrap();
        let amagasaki = report.find("id=\"org-amagasaki-h\"").unwrap();
        assert!(
            council < kawaguchi && kawaguchi < amagasaki,
            "document order"
        );
        for figure in [
            "1,000事業所",
            "i-mono 6製品",
            "i-waza 4技術",
            "36企業",
            "58商談",
            "21件",
            "35社",
            "20社",
        ] {
            assert!(
                report.replace("：", "").contains(&figure.replace(' ', ""))
                    || report.contains(figure),
                "{figure}"
            );
        }
        assert!(report.contains("<svg") && report.contains("role=\"img\""));
        // The stylesheet (with the print rules) under its hashed name, as every page links it.
        let home = app.text(&client, "/").await;
        let stylesheet = crate::harness::between(&home, "<link rel=\"stylesheet\" href=\"", "\"")
            .expect("the stylesheet");
        assert!(stylesheet.starts_with("/static/app."));
        assert!(report.contains("@media print") || report.contains(&stylesheet));
        let bad = app.get(&client, "/reports/annual?fy=1800").await;
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    })
    .await;
}

#[tokio::test]
async fn lists_export_to_csv_and_xlsx() {
    on_each_backend(|app| async move {
        let client = app.client();
        let csv = app
            .get(&client, "/initiatives.csv?organisation=kawaguchi-cci")
            .await;
        assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
        let bytes = csv.bytes().await.unwrap();
        assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF]);
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert!(text.starts_with("施策ID,施策名,団体"));
        assert!(
            text.contains("延べ商談数") || text.contains("58商談"),
            "{text}"
        );
        assert!(!text.contains("墨田区"), "filter applies to the export");
        let xlsx = app.get(&client, "/initiatives.xlsx").await;
        assert_eq!(xlsx.status(), StatusCode::OK);
        assert_eq!(&xlsx.bytes().await.unwrap()[..2], b"PK");
    })
    .await;
}

#[tokio::test]
async fn health_metrics_and_the_openapi_document_answer() {
    on_each_backend(|app| async move {
        let client = app.client();
        assert_eq!(app.text(&client, "/healthz").await, "ok\n");
        // On the application's address the metrics are the secretariat's (issue 21).
        let metrics = app.text(&app.admin().await, "/metrics").await;
        assert!(metrics.contains("renkei_http_requests_total{class=\"2xx\"}"));
        assert!(metrics.contains("renkei_database_up 1"));
        let openapi: serde_json::Value = client
            .get(app.url("/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let paths = openapi["paths"].as_object().unwrap();
        for path in [
            "/api/v1/initiatives",
            "/api/v1/initiatives/{key}",
            "/api/v1/initiatives/{key}/years/{fy}",
            "/api/v1/organisations",
            "/api/v1/cities",
            "/api/v1/pillars",
            "/api/v1/session",
        ] {
            assert!(paths.contains_key(path), "{path} documented");
        }
        assert_eq!(app.get(&client, "/api/docs").await.status(), StatusCode::OK);
        let cities: Vec<serde_json::Value> = client
            .get(app.url("/api/v1/cities"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(cities.len(), 7);
        assert_eq!(cities[2]["local_gov_code"], "131113");

        // The document names the values each public filter takes, from the council's
        // own lists, and the API takes every one of them.
        let parameter = |path: &str, name: &str| {
            openapi["paths"][path]["get"]["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .unwrap()["schema"]
                .clone()
        };
        let city = parameter("/api/v1/initiatives", "city");
        let cities: Vec<&str> = city["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(
            cities.contains(&"amagasaki") && cities.contains(&"282022"),
            "{cities:?}"
        );
        assert_eq!(parameter("/api/v1/events", "pillar")["maximum"], 3);
        assert!(
            parameter("/api/v1/companies", "process")["enum"]
                .as_array()
                .unwrap()
                .contains(&serde_json::json!("cutting"))
        );
        for value in cities {
            let url = app.url(&format!("/api/v1/initiatives?city={value}"));
            let found: Vec<serde_json::Value> =
                client.get(url).send().await.unwrap().json().await.unwrap();
            assert!(!found.is_empty(), "city={value}");
        }
        let amagasaki: Vec<serde_json::Value> = client
            .get(app.url("/api/v1/initiatives?city=282022"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            amagasaki.iter().all(|i| i["city"] == "amagasaki"),
            "{amagasaki:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn malformed_addresses_get_japanese_pages_and_the_api_problem_json() {
    on_each_backend(|app| async move {
        let client = app.client();
        let missing = app.get(&client, "/no/such/page").await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert!(
            missing
                .text()
                .await
                .unwrap()
                .contains("ページが見つかりません")
        );
        let bad_number = app
            .post_form(&client, "/events/x/registrations/abc/attendance", &[])
            .await;
        assert_eq!(bad_number.status(), StatusCode::BAD_REQUEST);
        assert!(
            bad_number
                .text()
                .await
                .unwrap()
                .contains("形式が正しくありません")
        );
        let api = app.get(&client, "/api/v1/nothing").await;
        assert_eq!(api.status(), StatusCode::NOT_FOUND);
        assert_eq!(api.headers()["content-type"], "application/problem+json");
        let garbage = client
            .post(app.url("/api/v1/initiatives"))
            .header("content-type", "application/json")
            .body("{")
            .send()
            .await
            .unwrap();
        assert_eq!(
            garbage.headers()["content-type"],
            "application/problem+json"
        );
    })
    .await;
}
