//! A newcomer's first look at the demonstration data (issue 17, item 1): the home
//! page's activity dated from the records and distinct, invented companies marked.

use std::collections::HashSet;

use crate::harness::{between, on_each_backend};

#[tokio::test]
async fn the_home_pages_activity_is_dated_from_the_records_and_never_repeats() {
    on_each_backend(|app| async move {
        let client = app.client();
        let home = app.text(&client, "/").await;
        // The heading, not the page's meta description, which names 最新の活動 too.
        let section = between(&home, ">最新の活動</h2>", "</ul>").expect("the activity section");
        let lines: Vec<&str> = section
            .split("<li>")
            .skip(1)
            .map(|l| l.split("</li>").next().unwrap_or_default())
            .collect();
        assert_eq!(lines.len(), 5, "{section}");
        let distinct: HashSet<&str> = lines.iter().copied().collect();
        assert_eq!(distinct.len(), lines.len(), "repeated lines: {section}");
        let today = domain::time::japan_today().to_string();
        for line in &lines {
            let day = &line[..10];
            assert!(
                ("2016-04-01".."2018-04-01").contains(&day) && day != today,
                "dated from the records, not the load: {line}"
            );
            // The line says what the record is (its title) as well as what happened.
            assert!(line.contains('｜'), "{line}");
        }
        assert!(
            !home.contains("開催予定｜2016"),
            "a past event read 開催予定"
        );

        // An award names its company once, in the feed and on its page.
        let feed = app.text(&client, "/feeds/activity.atom").await;
        assert!(feed.contains("株式会社難波鉄工所"));
        assert!(!feed.contains("株式会社難波鉄工所（株式会社難波鉄工所）"));
        assert!(feed.contains("<updated>2016-09-30T09:00:00+09:00</updated>"));
        let award = app
            .text(&client, "/registry/amagasaki-100nen-2016-amagasaki-14")
            .await;
        assert!(award.contains("2016年9月30日"), "decided within 平成28年度");
        assert!(!award.contains("表彰企業（表彰企業）"));
    })
    .await;
}

#[tokio::test]
async fn invented_companies_and_the_open_demo_call_are_marked_demo() {
    on_each_backend(|app| async move {
        let client = app.client();
        let company = app.text(&client, "/companies/ota-01").await;
        assert!(
            company.contains("デモ（架空の企業）"),
            "company page marked"
        );
        let list = app.text(&client, "/companies").await;
        assert!(list.contains("<span class=\"tag demo\">デモ</span>"));
        let calls = app.text(&client, "/calls").await;
        assert!(
            calls.contains("【デモ】試作開発チャレンジ補助金"),
            "one call open to try"
        );
    })
    .await;
}

/// The 「デモ」 tag as the pages show it.
const TAG: &str = "<span class=\"tag demo\">デモ";

#[tokio::test]
async fn invented_people_offices_registry_entries_and_negotiations_are_marked_where_a_visitor_sees_them()
 {
    on_each_backend(|app| async move {
        let client = app.client();
        // People: the list, a profile and the API.
        let people = app.text(&client, "/people").await;
        assert!(people.contains(TAG), "{people}");
        let person = app.text(&client, "/people/designer-1").await;
        assert!(person.contains("デモ（架空の人物）"), "{person}");
        let api: serde_json::Value = client
            .get(app.url("/api/v1/people"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let listed = api.as_array().expect("a list of people");
        assert!(!listed.is_empty());
        assert!(listed.iter().all(|p| p["demo"] == true), "{api}");

        // Registry entries of invented companies: the page, the list, the API.
        let award = app
            .text(&client, "/registry/amagasaki-100nen-2016-amagasaki-14")
            .await;
        assert!(award.contains("デモ（架空の企業）"), "{award}");
        let registry = app.text(&client, "/registry").await;
        assert!(registry.contains(TAG));
        let entries: serde_json::Value = client
            .get(app.url("/api/v1/registry"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            entries
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["demo"] == true),
            "{entries}"
        );
        let company: serde_json::Value = client
            .get(app.url("/api/v1/companies/ota-01"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(company["demo"], true, "{company}");

        // Offices: the one the document names is not marked, the invented ones are.
        let offices = app.text(&client, "/offices").await;
        let abiz = between(&offices, "<h3>尼崎創業支援オフィスアビーズ", "</li>").unwrap();
        assert!(!abiz.contains(TAG), "{abiz}");
        let ota = between(&offices, "<h3>大田区ものづくりコワーキング", "</li>").unwrap();
        assert!(ota.contains(TAG) && ota.contains("架空の企業3社"), "{ota}");
        assert!(
            offices.contains("架空の企業の利用"),
            "the city pairs say so"
        );
        let listed: serde_json::Value = client
            .get(app.url("/api/v1/offices"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let by_key = |key: &str| {
            listed
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["key"] == key)
                .cloned()
                .unwrap()
        };
        assert_eq!(by_key("amagasaki-abiz")["demo"], false);
        assert_eq!(by_key("ota-coworking")["demo"], true);
        assert_eq!(by_key("ota-coworking")["members"][0]["demo"], true);

        // Negotiations: the staff's list, a page, the export and the API.
        let admin = app.admin().await;
        let staff = app
            .staff(&admin, "deals@kawaguchi-cci.example.jp", "kawaguchi-cci")
            .await;
        let list = app.text(&staff, "/negotiations").await;
        assert!(list.contains(TAG), "{list}");
        let deal = app.text(&staff, "/negotiations/seed-001").await;
        assert!(deal.contains("デモ（架空の商談）"), "{deal}");
        let csv = app.text(&staff, "/negotiations.csv").await;
        let header = csv.lines().next().unwrap();
        assert!(
            header.trim_start_matches('\u{feff}').ends_with(",デモ"),
            "{header}"
        );
        assert!(csv.lines().skip(1).all(|l| l.ends_with(",デモ")), "{csv}");
        let deals: serde_json::Value = staff
            .get(app.url("/api/v1/negotiations"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            deals.as_array().unwrap().iter().all(|n| n["demo"] == true),
            "{deals}"
        );
        let dashboard = app.text(&client, "/negotiations/dashboard?fy=2016").await;
        assert!(dashboard.contains("架空の商談"), "{dashboard}");
    })
    .await;
}

#[tokio::test]
async fn invented_answers_are_marked_and_never_written_into_the_councils_kpis() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;

        // The 58 invented 商談 of the fair are not the council's 延べ58商談.
        let cci = app
            .staff(&admin, "kpi@kawaguchi-cci.example.jp", "kawaguchi-cci")
            .await;
        let refused = app
            .post_form(
                &cci,
                "/negotiations/feed",
                &[
                    ("initiative", "kawaguchi-cci-matching-fair"),
                    ("fy", "2016"),
                ],
            )
            .await;
        assert_eq!(refused.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        let page = refused.text().await.unwrap();
        assert!(
            page.contains("デモデータは協議会のKPIに反映しません"),
            "{page}"
        );
        let initiative = app
            .text(&cci, "/initiatives/kawaguchi-cci-matching-fair")
            .await;
        assert!(!initiative.contains("商談記録から集計"), "{initiative}");

        // The invented applications of the 企業健康診断: marked, and not fed.
        let chamber = app
            .staff(
                &admin,
                "kpi@sumida.tokyo-cci.example.jp",
                "tokyo-cci-sumida",
            )
            .await;
        let list = app
            .text(&chamber, "/forms/sumida-health-check-2016/diagnoses")
            .await;
        assert!(
            list.contains(TAG) && list.contains("このうち35社"),
            "{list}"
        );
        let csv = app
            .text(&chamber, "/forms/sumida-health-check-2016/diagnoses.csv")
            .await;
        assert!(csv.lines().skip(1).all(|l| l.ends_with(",デモ")), "{csv}");
        let refused = app
            .post_form(
                &chamber,
                "/forms/sumida-health-check-2016/kpis",
                &[
                    ("initiative", "tokyo-cci-sumida-ceo60-health-check"),
                    ("fy", "2016"),
                ],
            )
            .await;
        assert_eq!(refused.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        let page = refused.text().await.unwrap();
        assert!(
            page.contains("error-summary")
                && page.contains("デモデータは協議会のKPIに反映しません"),
            "{page}"
        );
        let initiative = app
            .text(&chamber, "/initiatives/tokyo-cci-sumida-ceo60-health-check")
            .await;
        assert!(!initiative.contains("診断記録から集計"), "{initiative}");
        assert!(initiative.contains("35"), "the document's 35社申込 kept");

        // A survey's invented answers: counted aside on its results, marked on its
        // tracking list and in its answer export.
        let city = app
            .staff(&admin, "kpi@kawaguchi.example.jp", "kawaguchi")
            .await;
        let results = app
            .text(&city, "/forms/kawaguchi-succession-hiring-2016/results")
            .await;
        assert!(results.contains("架空の企業の回答"), "{results}");
        let tracking = app
            .text(&city, "/forms/kawaguchi-succession-hiring-2016/survey")
            .await;
        assert!(tracking.contains(TAG), "{tracking}");
        let answers = app
            .text(
                &city,
                "/forms/kawaguchi-succession-hiring-2016/responses.csv",
            )
            .await;
        let header = answers.lines().next().unwrap();
        assert!(header.ends_with(",デモ"), "{header}");
    })
    .await;
}

#[tokio::test]
async fn the_demonstration_fairs_invented_participants_are_marked() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let list = app.text(&admin, "/fairs").await;
        let at = list
            .find("【デモ】大手・中堅企業とのマッチング商談会")
            .expect("the demonstration fair is listed");
        let before = &list[..at];
        let start = before.rfind("href=\"/fairs/").expect("a link to the fair") + 6;
        let path = &before[start..];
        let path = &path[..path.find('"').unwrap()];
        let page = app.text(&admin, path).await;
        let participants =
            between(&page, "<h2>参加企業（", "</table>").expect("the participants' table");
        let marked = participants.matches(TAG).count();
        let rows = participants.matches("<tr><th scope=\"row\">").count();
        assert!(rows > 0, "{participants}");
        assert_eq!(
            marked, rows,
            "every invented participant is marked: {participants}"
        );
    })
    .await;
}
