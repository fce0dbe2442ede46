//! The event calendar over HTTP: a 尼崎市 staff user adds an event; it shows in the
//! list, the month grid, the city-filtered iCalendar feed and the Atom feed; edits
//! bump SEQUENCE, cancelling announces STATUS:CANCELLED; bad input is a Japanese
//! message with the form refilled; 墨田区 staff cannot touch it.

use reqwest::StatusCode;

use crate::harness::on_each_backend;

fn future_seminar<'a>(title: &'a str, date: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("organisation", "amagasaki"),
        ("title", title),
        ("event_type", "seminar"),
        ("city", "amagasaki"),
        ("pillars", "2"),
        ("start_date", date),
        ("start_time", "13:30"),
        ("end_time", "16:00"),
        ("venue", "尼崎市中小企業センター"),
        ("address", "兵庫県尼崎市昭和通2-6-68"),
        ("capacity", "40"),
        ("description", "事業承継の体験談と個別相談。"),
    ]
}

#[tokio::test]
async fn amagasaki_staff_add_an_event_that_reaches_the_calendar_and_the_feeds() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let amagasaki = app
            .staff(&admin, "tanaka@city.amagasaki.example.jp", "amagasaki")
            .await;
        let response = app
            .post_form(
                &amagasaki,
                "/events",
                &future_seminar("事業承継セミナー2030", "2030-10-15"),
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{:?}",
            app.backend
        );
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let path = location.split('?').next().unwrap().to_owned();
        let key = path.trim_start_matches("/events/").to_owned();

        let public = app.client();
        let detail = app.text(&public, &path).await;
        assert!(detail.contains("事業承継セミナー2030"));
        assert!(detail.contains("2030年10月15日（火） 13:30〜16:00"));
        let list = app.text(&public, "/events?city=amagasaki").await;
        assert!(list.contains("事業承継セミナー2030"));
        assert!(list.contains("尼崎市100年企業表彰"));
        let month = app.text(&public, "/events/calendar?month=2030-10").await;
        assert!(month.contains("<caption>2030年10月のイベント"));
        assert!(month.contains("事業承継セミナー2030"));
        let week = app.text(&public, "/events/week?date=2030-10-17").await;
        assert!(week.contains("事業承継セミナー2030"));

        // The feed a calendar app subscribes to, by 全国地方公共団体コード.
        let ics = app.text(&public, "/calendar.ics?city=282022").await;
        assert!(ics.starts_with("BEGIN:VCALENDAR"));
        assert!(ics.contains("BEGIN:VTIMEZONE\r\nTZID:Asia/Tokyo"));
        assert!(ics.contains(&format!("UID:event-{key}@renkei")));
        assert!(ics.contains("DTSTART;TZID=Asia/Tokyo:20301015T133000"));
        assert!(ics.contains("SEQUENCE:0"));
        assert!(ics.contains(&format!("/events/{key}")));
        assert!(
            !ics.contains("おおたオープンファクトリー"),
            "filtered by city"
        );
        assert!(
            !ics.contains("第2回連絡会議"),
            "members-only never in a feed"
        );
        let ota_homepage = app.text(&public, "/calendar.ics?city=ota").await;
        assert!(!ota_homepage.contains("事業承継セミナー2030"));
        assert!(ota_homepage.contains("DTSTART;VALUE=DATE:20161125"));
        let one = app.text(&public, &format!("{path}.ics")).await;
        assert!(one.contains(&format!("UID:event-{key}@renkei")));

        // An edit bumps SEQUENCE; cancelling keeps the event with STATUS:CANCELLED.
        let mut changed = future_seminar("事業承継セミナー2030（会場変更）", "2030-10-15");
        changed.retain(|(name, _)| *name != "organisation");
        let response = app
            .post_form(&amagasaki, &format!("{path}/edit"), &changed)
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let response = app
            .post_form(
                &amagasaki,
                &format!("{path}/cancel"),
                &[("reason", "講師の都合")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let ics = app.text(&public, "/calendar.ics?city=amagasaki").await;
        assert!(ics.contains("STATUS:CANCELLED"));
        assert!(ics.contains("SEQUENCE:2"));
        // The same feed URL as before the change: the cached body was rebuilt.
        let again = app.text(&public, "/calendar.ics?city=282022").await;
        assert!(again.contains("STATUS:CANCELLED") && again.contains("SEQUENCE:2"));
        let detail = app.text(&public, &path).await;
        assert!(detail.contains("中止の理由：講師の都合"));

        // The Atom feed names the event, filtered per city, never members-only events.
        let atom = app.text(&public, "/feeds/activity.atom?city=282022").await;
        assert!(atom.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\""));
        assert!(atom.contains("事業承継セミナー2030（会場変更）"));
        assert!(!atom.contains("おおたオープンファクトリー"));
        let all = app.text(&public, "/feeds/activity.atom").await;
        assert!(!all.contains("第2回連絡会議"));

        // CSV export of the filtered calendar.
        let csv = app.get(&public, "/events.csv?city=amagasaki").await;
        assert_eq!(csv.status(), StatusCode::OK);
        let body = csv.text().await.unwrap();
        assert!(body.contains("事業承継セミナー2030（会場変更）"));
        assert!(body.contains("中止"));
    })
    .await;
}

#[tokio::test]
async fn bad_event_input_is_a_japanese_message_with_the_form_refilled() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let amagasaki = app
            .staff(&admin, "tanaka@city.amagasaki.example.jp", "amagasaki")
            .await;
        let mut fields = future_seminar("終了が先のセミナー", "2030-10-15");
        fields.push(("end_date", "2030-10-14"));
        let response = app.post_form(&amagasaki, "/events", &fields).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{:?}",
            app.backend
        );
        let page = response.text().await.unwrap();
        assert!(page.contains("終了日が開始日より前になっています"));
        assert!(
            page.contains("value=\"終了が先のセミナー\""),
            "what was typed is kept"
        );

        let mut fields = future_seminar("過去のセミナー", "2016-10-15");
        fields.retain(|(name, _)| *name != "city");
        fields.push(("city", "osaka"));
        let response = app.post_form(&amagasaki, "/events", &fields).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = response.text().await.unwrap();
        assert!(page.contains("過去の日付のイベントは新規登録できません"));

        let response = app
            .post_form(
                &amagasaki,
                "/events",
                &future_seminar("日付なし", "2030-02-30"),
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

        // Bad filters and months: a message, never a 500.
        let public = app.client();
        let bad_month = app.get(&public, "/events/calendar?month=2016-13").await;
        assert_eq!(bad_month.status(), StatusCode::BAD_REQUEST);
        assert!(
            bad_month
                .text()
                .await
                .unwrap()
                .contains("月は「2016-10」の形式")
        );
        let list = app
            .text(&public, "/events?city=osaka&type=party&from=yesterday")
            .await;
        assert!(list.contains("都市「osaka」は協議会の都市ではありません"));
        let feed = app.get(&public, "/calendar.ics?city=osaka").await;
        assert_eq!(feed.status(), StatusCode::BAD_REQUEST);
        let feed = app.get(&public, "/feeds/activity.atom?pillar=9").await;
        assert_eq!(feed.status(), StatusCode::BAD_REQUEST);
        let missing = app.get(&public, "/events/no-such-event").await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn sumida_staff_cannot_edit_or_cancel_an_ota_event_and_the_public_cannot_see_members_only() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let sumida = app
            .staff(&admin, "sato@city.sumida.example.jp", "sumida")
            .await;
        let page = app.text(&sumida, "/events/ota-2017-open-factory").await;
        assert!(!page.contains("イベントを編集"));
        let refused = app
            .post_form(
                &sumida,
                "/events/ota-2017-open-factory/cancel",
                &[("reason", "")],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{:?}", app.backend);
        let still = app.text(&sumida, "/events/ota-2017-open-factory").await;
        assert!(!still.contains("badge cancelled"));
        let mut fields = future_seminar("乗っ取り", "2030-10-15");
        fields.retain(|(name, _)| *name != "organisation");
        fields.push(("organisation", "ota"));
        let refused = app.post_form(&sumida, "/events", &fields).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);

        let members_only = "/events/council-2016-liaison-meeting-2-succession";
        assert_eq!(
            app.get(&app.client(), members_only).await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.get(&sumida, members_only).await.status(),
            StatusCode::OK
        );
    })
    .await;
}

#[tokio::test]
async fn the_clash_view_shows_events_of_different_cities_on_the_same_day() {
    on_each_backend(|app| async move {
        let page = app.text(&app.client(), "/events/clashes").await;
        assert!(
            page.contains("おおたオープンファクトリー2016"),
            "{:?}",
            app.backend
        );
        assert!(page.contains("尼崎市100年企業表彰 表彰式"));
        let month = app
            .text(&app.client(), "/events/calendar?month=2016-11&city=ota")
            .await;
        assert!(month.contains("おおたオープンファクトリー2016"));
        assert!(!month.contains("尼崎市100年企業表彰"));
    })
    .await;
}

#[tokio::test]
async fn companies_register_until_full_then_wait_and_move_up_when_someone_withdraws() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let amagasaki = app
            .staff(&admin, "tanaka@city.amagasaki.example.jp", "amagasaki")
            .await;
        let mut fields = future_seminar("定員2名の勉強会", "2030-11-20");
        fields.retain(|(name, _)| *name != "capacity");
        fields.push(("capacity", "2"));
        let response = app.post_form(&amagasaki, "/events", &fields).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{:?}",
            app.backend
        );
        let path = response.headers()["location"]
            .to_str()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_owned();

        // Each company registers from its own browser (its own session).
        let register = |name: &'static str, email: &'static str, attendees: &'static str| {
            let app = &app;
            let path = path.clone();
            async move {
                let company = app.client();
                let form = app.text(&company, &format!("{path}/register")).await;
                let token = crate::harness::meta_csrf(&form);
                let response = company
                    .post(app.url(&format!("{path}/register")))
                    .form(&[
                        ("csrf_token", token.as_str()),
                        ("name", name),
                        ("organisation", "株式会社尼崎精工"),
                        ("email", email),
                        ("attendees", attendees),
                    ])
                    .send()
                    .await
                    .unwrap();
                (company, response)
            }
        };
        let (first, response) = register("山田 一郎", "ichiro@example.jp", "1").await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let first_page = response.headers()["location"].to_str().unwrap().to_owned();
        let confirmed = app.text(&first, &first_page).await;
        assert!(confirmed.contains("申込を受け付けました") && confirmed.contains("参加確定"));
        let (_, response) = register("鈴木 次郎", "jiro@example.jp", "1").await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let (third, response) = register("佐藤 三郎", "saburo@example.jp", "1").await;
        let third_page = response.headers()["location"].to_str().unwrap().to_owned();
        let waiting = app.text(&third, &third_page).await;
        assert!(waiting.contains("キャンセル待ち 1番目"), "the third waits");

        // A duplicate is refused with the form kept.
        let (_, duplicate) = register("鈴木 次郎", "JIRO@example.jp", "1").await;
        assert_eq!(duplicate.status(), StatusCode::CONFLICT);
        let page = duplicate.text().await.unwrap();
        assert!(page.contains("既に申し込まれています") && page.contains("value=\"鈴木 次郎\""));

        // The registrant's .ics and withdrawal; the waiting company moves up.
        let token = first_page
            .trim_start_matches("/registrations/")
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        let ics = app
            .text(&first, &format!("/registrations/{token}.ics"))
            .await;
        assert!(ics.contains("BEGIN:VEVENT") && ics.contains("定員2名の勉強会"));
        let withdraw_form = app.text(&first, &format!("/registrations/{token}")).await;
        let csrf = crate::harness::meta_csrf(&withdraw_form);
        let response = first
            .post(app.url(&format!("/registrations/{token}/cancel")))
            .form(&[("csrf_token", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let moved_up = app.text(&third, &third_page).await;
        assert!(moved_up.contains("参加確定"), "the waiting list moved up");

        // The check-in list: the organiser sees names, 墨田区 staff and the public do not.
        let list = app.text(&amagasaki, &format!("{path}/registrations")).await;
        assert!(list.contains("佐藤 三郎") && list.contains("saburo@example.jp"));
        let sumida = app
            .staff(&admin, "sato@city.sumida.example.jp", "sumida")
            .await;
        assert_eq!(
            app.get(&sumida, &format!("{path}/registrations"))
                .await
                .status(),
            StatusCode::FORBIDDEN
        );
        assert_ne!(
            app.get(&app.client(), &format!("{path}/registrations.csv"))
                .await
                .status(),
            StatusCode::OK
        );
        let public_detail = app.text(&app.client(), &path).await;
        assert!(!public_detail.contains("saburo@example.jp"));
        let csv = app
            .get(&amagasaki, &format!("{path}/registrations.csv"))
            .await;
        assert_eq!(csv.status(), StatusCode::OK);
        assert!(csv.text().await.unwrap().contains("佐藤 三郎"));
        let xlsx = app
            .get(&amagasaki, &format!("{path}/registrations.xlsx"))
            .await;
        assert_eq!(xlsx.status(), StatusCode::OK);

        // Attendance on the day.
        // The withdrawn first row cannot be marked (409); 佐藤 三郎's row can.
        let before = list.split("佐藤 三郎").next().unwrap();
        let id = before
            .rsplit("id=\"r")
            .next()
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let withdrawn = crate::harness::between(&list, "id=\"r", "\"").unwrap();
        let refused = app
            .post_form(
                &amagasaki,
                &format!("{path}/registrations/{withdrawn}/attendance"),
                &[("attended", "1")],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::CONFLICT);
        let response = app
            .post_form(
                &amagasaki,
                &format!("{path}/registrations/{id}/attendance"),
                &[("attended", "1")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let list = app.text(&amagasaki, &format!("{path}/registrations")).await;
        assert!(list.contains("出席済み"));
    })
    .await;
}

#[tokio::test]
async fn city_homepages_embed_the_widget_and_cities_and_pillars_have_pages() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let amagasaki = app
            .staff(&admin, "tanaka@city.amagasaki.example.jp", "amagasaki")
            .await;
        let response = app
            .post_form(
                &amagasaki,
                "/events",
                &future_seminar("尼崎ものづくりセミナー", "2030-09-10"),
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{:?}",
            app.backend
        );

        let public = app.client();
        let frame = app.get(&public, "/embed/events?city=282022").await;
        assert_eq!(frame.status(), StatusCode::OK);
        let csp = frame.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("frame-ancestors *"));
        assert!(frame.headers().get("x-frame-options").is_none());
        assert!(
            frame
                .text()
                .await
                .unwrap()
                .contains("尼崎ものづくりセミナー")
        );
        // A 大田区 homepage showing every city's events gets it too; its own filter does not.
        let all = app.text(&public, "/embed/events.html").await;
        assert!(all.starts_with("<section class=\"renkei-events\""));
        assert!(all.contains("尼崎ものづくりセミナー"));
        let ota = app.text(&public, "/embed/events.html?city=ota").await;
        assert!(!ota.contains("尼崎ものづくりセミナー"));
        assert!(ota.contains("今後予定されているイベントはありません"));
        let unknown = app.get(&public, "/embed/events.html?city=osaka").await;
        assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
        // Every other page still refuses to be framed.
        let events = app.get(&public, "/events").await;
        assert!(
            events.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'self'")
        );

        let city = app.text(&public, "/cities/amagasaki").await;
        assert!(city.contains("尼崎ものづくりセミナー") && city.contains("尼崎市100年企業表彰"));
        let by_code = app.text(&public, "/cities/282022").await;
        assert!(by_code.contains("尼崎ものづくりセミナー"));
        let pillar = app.text(&public, "/pillars/2").await;
        assert!(pillar.contains("尼崎ものづくりセミナー"));
        assert_eq!(
            app.get(&public, "/cities/osaka").await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.get(&public, "/pillars/9").await.status(),
            StatusCode::NOT_FOUND
        );
    })
    .await;
}

#[tokio::test]
async fn the_events_api_lists_creates_registers_and_answers_problems_in_json() {
    on_each_backend(|app| async move {
        let public = app.client();
        let ota: serde_json::Value = app
            .get(&public, "/api/v1/events?city=131113")
            .await
            .json()
            .await
            .unwrap();
        let titles: Vec<&str> = ota
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["title"].as_str().unwrap())
            .collect();
        assert_eq!(
            titles,
            ["おおたオープンファクトリー2016", "おおたオープンファクトリー2017"],
            "{:?}",
            app.backend
        );
        assert_eq!(ota[0]["date_is_approximate"], true);
        let bad = app.get(&public, "/api/v1/events?city=osaka").await;
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            bad.headers()["content-type"].to_str().unwrap(),
            "application/problem+json"
        );
        let openapi = app.text(&public, "/openapi.json").await;
        assert!(openapi.contains("/api/v1/events/{key}/registrations"));

        let admin = app.admin().await;
        let amagasaki = app
            .staff(&admin, "tanaka@city.amagasaki.example.jp", "amagasaki")
            .await;
        let session: serde_json::Value = amagasaki
            .get(app.url("/api/v1/session"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = session["csrf_token"].as_str().unwrap().to_owned();
        let body = serde_json::json!({
            "organisation": "amagasaki", "title": "API で登録した表彰式", "event_type": "award_ceremony",
            "city": "amagasaki", "pillars": [2], "start_date": "2030-11-01", "start_time": "15:00",
            "end_time": "17:00", "capacity": 1
        });
        let created = amagasaki
            .post(app.url("/api/v1/events"))
            .header("x-csrf-token", &token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        let created: serde_json::Value = created.json().await.unwrap();
        assert_eq!(created["starts_at"], "2030-11-01T15:00:00+09:00");
        let key = created["key"].as_str().unwrap().to_owned();

        let backwards = serde_json::json!({
            "organisation": "amagasaki", "title": "逆転", "event_type": "seminar", "city": "amagasaki",
            "pillars": [2], "start_date": "2030-11-02", "end_date": "2030-11-01", "all_day": true
        });
        let refused = amagasaki
            .post(app.url("/api/v1/events"))
            .header("x-csrf-token", &token)
            .json(&backwards)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: serde_json::Value = refused.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "end_date");

        // A company registers through the API; the second goes on the waiting list.
        let register = |email: &'static str| {
            let app = &app;
            let key = key.clone();
            async move {
                let company = app.client();
                let session: serde_json::Value = company
                    .get(app.url("/api/v1/session"))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let token = session["csrf_token"].as_str().unwrap().to_owned();
                company
                    .post(app.url(&format!("/api/v1/events/{key}/registrations")))
                    .header("x-csrf-token", &token)
                    .json(&serde_json::json!({"name": "担当者", "email": email}))
                    .send()
                    .await
                    .unwrap()
            }
        };
        let first = register("first@example.jp").await;
        assert_eq!(first.status(), StatusCode::CREATED);
        let first: serde_json::Value = first.json().await.unwrap();
        assert_eq!(first["status"], "confirmed");
        let second: serde_json::Value = register("second@example.jp").await.json().await.unwrap();
        assert_eq!(second["status"], "waiting");
        let list: serde_json::Value = amagasaki
            .get(app.url(&format!("/api/v1/events/{key}/registrations")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(list.as_array().unwrap().len(), 2);
        let refused = app
            .get(&public, &format!("/api/v1/events/{key}/registrations"))
            .await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    })
    .await;
}
