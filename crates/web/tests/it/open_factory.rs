//! Events spread over many sites (issue 19, item 2), over HTTP on both databases:
//! 大田区's open factory of 10 sites takes 200 visitor registrations across its slots
//! and shows the counts per site and in total; a full slot puts the next visitor on
//! its waiting list, who moves up when a place frees; a site's host sees and checks
//! in only its own visitors; the counts feed the initiative's KPIs and the annual
//! report; bad input is refused in Japanese with what was typed kept.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::harness::{TestApp, company_member, on_each_backend};
use crate::network::post_json;

async fn sites_of(app: &TestApp, client: &Client, key: &str) -> Value {
    let response = app
        .get(client, &format!("/api/v1/events/{key}/sites"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn tours(site: &Value) -> Vec<i64> {
    site["tours"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn otas_open_factory_of_ten_sites_takes_200_visitors_and_counts_them_per_site() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let ota = app.staff(&admin, "of@city.ota.example.jp", "ota").await;
        let kaga = app.staff(&admin, "of@city.kaga.example.jp", "kaga").await;

        // The event, a year ahead, linked to the open-factory initiative.
        let created = post_json(
            &app,
            &ota,
            "/api/v1/events",
            json!({
                "organisation": "ota", "title": "おおたオープンファクトリー2027",
                "event_type": "open_factory", "city": "ota", "pillars": [2],
                "start_date": "2027-11-26", "end_date": "2027-11-27", "all_day": true,
                "venue": "区内各所の工場", "initiative": "ota-open-factory"
            }),
        )
        .await;
        assert_eq!(created.status(), StatusCode::CREATED);
        let event: Value = created.json().await.unwrap();
        let key = event["key"].as_str().unwrap().to_owned();

        // A factory the directory keeps private cannot be a site: the form says
        // why and keeps what was typed.
        let slots = "2027-11-26 10:00-11:00 10\n2027-11-27 13:00-14:00 10";
        let refused = app
            .post_form(
                &ota,
                &format!("/events/{key}/sites"),
                &[
                    ("company", "ota-10"),
                    ("programme", "試作の工場見学"),
                    ("tours", slots),
                ],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = refused.text().await.unwrap();
        assert!(page.contains("非公開のため、会場にできません"), "{page}");
        assert!(page.contains("試作の工場見学") && page.contains("2027-11-27 13:00-14:00 10"));
        // A slot on a day the event is not held, and another city's staff: refused.
        let off_day = app
            .post_form(
                &ota,
                &format!("/events/{key}/sites"),
                &[
                    ("company", "ota-01"),
                    ("programme", "工場見学"),
                    ("tours", "2027-11-28 10:00-11:00 10"),
                ],
            )
            .await;
        assert_eq!(off_day.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(off_day.text().await.unwrap().contains("イベントの開催日（2027-11-26〜2027-11-27）"));
        let body = |company: &str| {
            json!({
                "company": company, "programme": "工場見学・ものづくり体験",
                "tours": [
                    {"starts_at": "2027-11-26T10:00", "ends_at": "2027-11-26T11:00", "capacity": 10},
                    {"starts_at": "2027-11-27T13:00", "ends_at": "2027-11-27T14:00", "capacity": 10}
                ]
            })
        };
        let other = post_json(&app, &kaga, &format!("/api/v1/events/{key}/sites"), body("ota-01")).await;
        assert_eq!(other.status(), StatusCode::FORBIDDEN);

        // A new factory joins the directory, public; with nine of the directory's
        // own, ten sites of two slots of ten places each.
        let joined = post_json(
            &app,
            &ota,
            "/api/v1/companies",
            json!({"name": "羽田精密加工株式会社", "city": "ota", "address": "東京都大田区羽田1-1-1", "public": true}),
        )
        .await;
        assert_eq!(joined.status(), StatusCode::CREATED);
        let newcomer: Value = joined.json().await.unwrap();
        let mut companies: Vec<String> = (1..=9).map(|n| format!("ota-{n:02}")).collect();
        companies.push(newcomer["key"].as_str().unwrap().to_owned());
        for company in &companies {
            let added = post_json(&app, &ota, &format!("/api/v1/events/{key}/sites"), body(company)).await;
            assert_eq!(added.status(), StatusCode::CREATED, "{company}");
        }
        let twice = post_json(&app, &ota, &format!("/api/v1/events/{key}/sites"), body("ota-01")).await;
        assert_eq!(twice.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(twice.text().await.unwrap().contains("既にこのイベントの会場"));

        // 200 visitors: ten in each of the twenty slots; one visitor takes slots at
        // two sites, but not the same slot twice.
        let sites = sites_of(&app, &ota, &key).await;
        assert_eq!(sites["sites_count"], 10);
        let all_tours: Vec<i64> = sites["sites"].as_array().unwrap().iter().flat_map(tours).collect();
        assert_eq!(all_tours.len(), 20);
        let public = app.client();
        let mut confirmations = Vec::new();
        for (t, tour) in all_tours.iter().enumerate() {
            for n in 0..10 {
                let email = if n == 0 { "tabi@example.jp".to_owned() } else { format!("visitor{t}-{n}@example.jp") };
                let response = post_json(
                    &app,
                    &public,
                    &format!("/api/v1/events/{key}/tours/{tour}/registrations"),
                    json!({"name": format!("来場者{t}-{n}"), "email": email}),
                )
                .await;
                assert_eq!(response.status(), StatusCode::CREATED, "slot {tour} visitor {n}");
                let receipt: Value = response.json().await.unwrap();
                assert_eq!(receipt["status"], "confirmed");
                confirmations.push(receipt["confirmation_url"].as_str().unwrap().to_owned());
            }
        }
        let again = post_json(
            &app,
            &public,
            &format!("/api/v1/events/{key}/tours/{}/registrations", all_tours[0]),
            json!({"name": "旅する人", "email": "tabi@example.jp"}),
        )
        .await;
        assert_eq!(again.status(), StatusCode::CONFLICT);
        // The first slot is full: the next visitor waits.
        let waiting = post_json(
            &app,
            &public,
            &format!("/api/v1/events/{key}/tours/{}/registrations", all_tours[0]),
            json!({"name": "待つ人", "email": "matsu@example.jp"}),
        )
        .await;
        assert_eq!(waiting.status(), StatusCode::CREATED);
        let waiting: Value = waiting.json().await.unwrap();
        assert_eq!(waiting["status"], "waiting");

        // The counts, per site and in total, in the API and on the printable guide.
        let sites = sites_of(&app, &public, &key).await;
        assert_eq!(sites["visitors"], 200);
        assert_eq!(sites["waiting"], 1);
        for site in sites["sites"].as_array().unwrap() {
            assert_eq!(site["visitors"], 20, "{site}");
        }
        let guide = app.text(&public, &format!("/events/{key}/sites")).await;
        assert!(guide.contains("公開工場 10か所・来場申込 200名"), "{guide}");
        assert!(guide.contains("羽田精密加工株式会社") && guide.contains("11月26日(金) 10:00〜11:00"));
        assert!(guide.contains("キャンセル待ちで申し込む"));
        assert!(!guide.contains("来場者名簿"), "no visitor list for the public");
        let detail = app.text(&public, &format!("/events/{key}")).await;
        assert!(detail.contains("公開工場 10か所・来場申込 200名"));

        // The organiser's check-in list in Excel says which site and slot.
        let csv = app.text(&ota, &format!("/events/{key}/registrations.csv")).await;
        assert!(csv.lines().next().unwrap().ends_with("見学枠（会場・日時）"), "{csv}");
        assert!(csv.contains("羽田精密加工株式会社 11月27日(土) 13:00〜14:00"));

        // A confirmed visitor withdraws: the waiting one moves up.
        let token = confirmations[1].trim_start_matches("/registrations/");
        let withdrawn = app
            .post_form(&public, &format!("/registrations/{token}/cancel"), &[])
            .await;
        assert_eq!(withdrawn.status(), StatusCode::SEE_OTHER);
        let moved = app.text(&public, waiting["confirmation_url"].as_str().unwrap()).await;
        assert!(moved.contains("参加確定") && moved.contains("見学枠"), "{moved}");

        // Each host sees its own visitors and checks them in; another host is refused.
        let first = &sites["sites"][0];
        let first_list = format!("/events/{key}/sites/{}/visitors", first["id"]);
        let neighbour = company_member(&app, &admin, "host@ota-02.example.jp", "ota-02").await;
        assert_eq!(app.get(&neighbour, &first_list).await.status(), StatusCode::FORBIDDEN);
        let organiser_list = app.text(&ota, &first_list).await;
        assert!(organiser_list.contains("来場者0-2") && organiser_list.contains("待つ人"));
        assert!(!organiser_list.contains("来場者2-2"), "only this site's slots");
        let last = &sites["sites"][9];
        let site_id = last["id"].as_i64().unwrap();
        let host = company_member(&app, &admin, "host@haneda.example.jp", last["company"].as_str().unwrap()).await;
        let list_path = format!("/events/{key}/sites/{site_id}/visitors");
        let list = app.text(&host, &list_path).await;
        assert!(list.contains("来場者18-2") && list.contains("来場者19-2"), "{list}");
        assert!(!list.contains("来場者0-2"), "only this site's slots");
        assert_eq!(app.get(&host, &first_list).await.status(), StatusCode::FORBIDDEN);
        let visitors: Value = app
            .get(&host, &format!("/api/v1/events/{key}/sites/{site_id}/visitors"))
            .await
            .json()
            .await
            .unwrap();
        let visitor = visitors
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == "来場者18-2")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let checked = app
            .post_form(&host, &format!("{list_path}/{visitor}/attendance"), &[("attended", "1")])
            .await;
        assert_eq!(checked.status(), StatusCode::SEE_OTHER);
        assert!(app.text(&host, &list_path).await.contains("受付済み 1名"));

        // The counts feed the initiative's KPIs of 令和9年度 and its annual report —
        // without the nine invented (「デモ」) companies of the directory, said so.
        assert!(guide.matches("<span class=\"tag\">デモ</span>").count() >= 9);
        let fed = app.post_form(&ota, &format!("/events/{key}/sites/kpis"), &[]).await;
        assert_eq!(fed.status(), StatusCode::SEE_OTHER);
        let report = app.text(&public, "/reports/annual?fy=2027").await;
        assert!(report.contains("公開工場数（オープンファクトリー）：1か所"), "{report}");
        assert!(report.contains("来場申込数（オープンファクトリー）：20人"));
        assert!(report.contains("来場者数（受付済み・オープンファクトリー）：1人"));
        let initiative = app.text(&public, "/api/v1/initiatives/ota-open-factory").await;
        assert!(initiative.contains("デモデータ9件を除く"), "{initiative}");
        // The seeded open factory of 2017 has only invented sites: refused, with why.
        let demo = app
            .post_form(&ota, "/events/ota-2017-open-factory/sites/kpis", &[])
            .await;
        assert_eq!(demo.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(demo.text().await.unwrap().contains("デモデータは協議会のKPIに反映しません"));
    })
    .await;
}
