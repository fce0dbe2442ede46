//! Surveys over HTTP, the done-when for 川口市: staff upload a list of 1,000
//! establishments and send them a survey; a sample answers through their links
//! without signing in (one refused for a missing required answer keeps its text, a
//! second submission is refused); staff see the tracking counts, record a reminder
//! round, read the results cross-tabulated by industry with the right numbers and
//! download one raw-answer row per submission; 墨田区 staff see neither the raw
//! answers nor the tracking.

use std::collections::HashMap;

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::harness::{TestApp, meta_csrf, on_each_backend};

pub(crate) const KEY: &str = "kawaguchi-1000";
/// The industries of the generated list, in turn (JSIC major groups).
const INDUSTRIES: [&str; 5] = ["24", "26", "18", "09", "32"];
/// How many of the establishments answer.
const SAMPLE: usize = 40;

fn establishments() -> String {
    let mut csv =
        String::from("会社名,フリガナ,市区町村,住所,業種,従業員数,設立年,担当者,メールアドレス\n");
    for i in 0..1000 {
        csv.push_str(&format!(
            "株式会社川口テスト{i:04},カワグチテスト,川口市,埼玉県川口市本町{}-1,{},{},{},総務 担当{i},soumu{i}@test{i:04}.example.jp\n",
            i % 9 + 1,
            INDUSTRIES[i % INDUSTRIES.len()],
            i % 280 + 1,
            1950 + i % 70
        ));
    }
    csv
}

/// Creates the survey through the builder: after the blank form's required
/// `contact`, a required single choice and a text.
pub(crate) async fn create_survey(app: &TestApp, staff: &reqwest::Client) {
    let created = app
        .post_form(
            staff,
            "/forms/new",
            &[
                ("organisation", "kawaguchi"),
                ("title", "事業承継・人材確保に関するアンケート"),
                ("key", KEY),
                ("purpose", "survey"),
                ("closes_on", "2099-03-31"),
            ],
        )
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    for fields in [
        &[
            ("section", "0"),
            ("label", "後継者の有無"),
            ("kind", "single_choice"),
            ("options", "決まっている\n候補はいる\nいない"),
            ("required", "1"),
        ][..],
        &[("section", "0"), ("label", "採用の課題"), ("kind", "text")][..],
    ] {
        let response = app
            .post_form(staff, &format!("/forms/{KEY}/questions"), fields)
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{fields:?}");
    }
}

/// Answers through a link as an anonymous browser: opens the page, posts it.
async fn answer(
    app: &TestApp,
    client: &reqwest::Client,
    token: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let page = app.text(client, &format!("/s/{token}")).await;
    let csrf = meta_csrf(&page);
    let mut body = vec![("csrf_token", csrf.as_str())];
    body.extend_from_slice(fields);
    client
        .post(app.url(&format!("/s/{token}")))
        .form(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn kawaguchi_sends_a_survey_to_1000_imported_establishments_and_reads_the_results_by_industry()
 {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let staff = app
            .staff(&admin, "chosa@city.kawaguchi.example.jp", "kawaguchi")
            .await;
        let sumida = app
            .staff(&admin, "chosa@city.sumida.example.jp", "sumida")
            .await;
        create_survey(&app, &staff).await;
        // Another city's staff is told it may not send this survey, before the body is
        // read (a form that is not a file upload is not "a malformed upload" to them).
        let refused = app
            .post_form(
                &sumida,
                &format!("/forms/{KEY}/survey/upload"),
                &[("file", "x")],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let malformed = app
            .post_form(&staff, &format!("/forms/{KEY}/survey/upload"), &[("file", "x")])
            .await;
        assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
        assert!(
            malformed
                .text()
                .await
                .unwrap()
                .contains("画面のフォームから送ってください")
        );

        // Upload the list: imported into the directory and sent to all of it.
        let page = app.text(&staff, &format!("/forms/{KEY}/survey")).await;
        assert!(page.contains("各社に回答リンクをメールで送る"), "{page}");
        let token = meta_csrf(&page);
        let upload = |bytes: Vec<u8>| {
            let form = Form::new().part("file", Part::bytes(bytes).file_name("jigyosho.csv"));
            staff
                .post(app.url(&format!("/forms/{KEY}/survey/upload?csrf_token={token}")))
                .multipart(form)
                .send()
        };
        let response = upload(establishments().into_bytes()).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let report = response.text().await.unwrap();
        assert!(report.contains("<dt>新規登録</dt><dd>1000社</dd>"), "{report}");
        assert!(report.contains("<dt>新たに配布</dt><dd>1000社</dd>"), "{report}");
        assert!(report.contains("<dt>配布</dt><dd>1000社</dd>"), "{report}");
        // Sending the same list again invites nobody twice.
        let again = upload(establishments().into_bytes()).await.unwrap().text().await.unwrap();
        assert!(again.contains("<dt>新たに配布</dt><dd>0社</dd>"), "{again}");
        assert!(again.contains("<dt>配布済みのため除外</dt><dd>1000社</dd>"));
        assert!(again.contains("<dt>配布</dt><dd>1000社</dd>"));

        // The links, from the mail-merge list of the unanswered.
        let csv = app
            .text(&staff, &format!("/forms/{KEY}/survey/unanswered.csv"))
            .await;
        let links: HashMap<String, String> = csv
            .lines()
            .skip(1)
            .filter_map(|line| {
                let cells: Vec<&str> = line.split(',').collect();
                let token = cells.get(5)?.split("/s/").nth(1)?.to_owned();
                Some((cells.get(1)?.to_string(), token))
            })
            .collect();
        assert_eq!(links.len(), 1000, "one link per establishment");
        assert!(
            csv.contains(",総務 担当7,soumu7@test0007.example.jp,"),
            "the contact and e-mail of the list, for the mail merge"
        );
        let link = |i: usize| links[&format!("株式会社川口テスト{i:04}")].clone();

        // A sample answers; option oN is the N-th choice.
        let mut expected: HashMap<&str, [u32; 3]> = HashMap::new();
        for i in 0..SAMPLE {
            let client = app.client();
            let choice = format!("o{}", i % 3 + 1);
            let response = answer(
                &app,
                &client,
                &link(i),
                &[
                    ("contact", "総務課長 川口"),
                    ("q1", &choice),
                    ("q2", "応募が少ない"),
                    ("intent", "submit"),
                ],
            )
            .await;
            let status = response.status();
            assert_eq!(status, StatusCode::SEE_OTHER, "answer {i}: {}", response.text().await.unwrap());
            expected.entry(INDUSTRIES[i % INDUSTRIES.len()]).or_default()[i % 3] += 1;
        }
        // A second submission through the same link is refused, the typed text kept.
        let client = app.client();
        let second = answer(
            &app,
            &client,
            &link(0),
            &[
                ("contact", "総務課長 川口"),
                ("q1", "o2"),
                ("q2", "二度目の回答です"),
                ("intent", "submit"),
            ],
        )
        .await;
        assert_eq!(second.status(), StatusCode::CONFLICT);
        let page = second.text().await.unwrap();
        assert!(page.contains("既に提出済み") && page.contains("二度目の回答です"), "{page}");
        // A missing required answer is refused in Japanese, the text kept (as a draft too).
        let client = app.client();
        let missing = answer(
            &app,
            &client,
            &link(SAMPLE),
            &[
                ("contact", "社長 山田"),
                ("q2", "技能者が見つからない"),
                ("intent", "submit"),
            ],
        )
        .await;
        assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = missing.text().await.unwrap();
        assert!(page.contains("後継者の有無") && page.contains("技能者が見つからない"), "{page}");
        let reopened = app.text(&client, &format!("/s/{}", link(SAMPLE))).await;
        assert!(reopened.contains("技能者が見つからない"), "kept as the draft");
        // Autosave from the script, and 一時保存 without it.
        let csrf = meta_csrf(&reopened);
        let saved = client
            .post(app.url(&format!("/s/{}/draft", link(SAMPLE + 1))))
            .form(&[("csrf_token", csrf.as_str()), ("q2", "自動保存の文")])
            .send()
            .await
            .unwrap();
        assert_eq!(saved.status(), StatusCode::OK);
        assert!(saved.text().await.unwrap().contains("saved_at"));
        let kept = app.text(&client, &format!("/s/{}", link(SAMPLE + 1))).await;
        assert!(kept.contains("自動保存の文"));
        // An unknown link: a Japanese 404.
        let unknown = app
            .get(&client, &format!("/s/{}", "0".repeat(40)))
            .await;
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
        assert!(unknown.text().await.unwrap().contains("回答リンクは見つかりません"));

        // Staff checking a link from the list do not open it for the company.
        let checked = app.text(&staff, &format!("/s/{}", link(999))).await;
        assert!(checked.contains("株式会社川口テスト0999"));
        let openapi = app.text(&staff, "/openapi.json").await;
        assert!(openapi.contains("/api/v1/forms/{key}/results"));

        // Tracking: counts, the filtered list, a reminder round.
        let tracking = app.text(&staff, &format!("/forms/{KEY}/survey")).await;
        for fact in [
            "<dt>配布</dt><dd>1000社</dd>",
            "<dt>開封</dt><dd>42社</dd>",
            "<dt>下書き</dt><dd>2社</dd>",
            "<dt>提出</dt><dd>40社</dd>",
            "<dt>回答率</dt><dd>4.0%</dd>",
        ] {
            assert!(tracking.contains(fact), "{fact}");
        }
        let submitted = app
            .text(&staff, &format!("/forms/{KEY}/survey?status=submitted"))
            .await;
        assert!(submitted.contains("配布先（40社中 1/1ページ）"), "{submitted}");
        let unopened = app
            .text(&staff, &format!("/forms/{KEY}/survey?status=unopened&page=2"))
            .await;
        assert!(unopened.contains("配布先（958社中 2/20ページ）"), "{unopened}");
        let reminded = app
            .post_form(&staff, &format!("/forms/{KEY}/survey/remind"), &[])
            .await;
        assert_eq!(reminded.status(), StatusCode::SEE_OTHER);
        let tracking = app.text(&staff, &format!("/forms/{KEY}/survey")).await;
        assert!(tracking.contains("督促：1回"), "{tracking}");
        assert!(tracking.contains("未回答 960社"));

        // Results by industry: the right numbers in the table beside the chart.
        let results = app
            .text(&staff, &format!("/forms/{KEY}/results?q=q1&by=industry"))
            .await;
        assert!(results.contains("<svg") && results.contains("<title"), "charts");
        assert!(results.contains("提出された40件"));
        for (code, counts) in &expected {
            let label = domain::directory::jsic_label(code).unwrap();
            let row = format!(
                "<tr><th scope=\"row\">{code} {label}</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                counts.iter().sum::<u32>(),
                counts[0],
                counts[1],
                counts[2]
            );
            assert!(results.contains(&row), "{row}\n{results}");
        }
        let api: serde_json::Value = staff
            .get(app.url(&format!("/api/v1/forms/{KEY}/results?question=q1&by=industry")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(api["submitted"], 40);
        assert_eq!(api["cross_tab"].as_array().unwrap().len(), 5);
        let aggregate = app
            .text(&staff, &format!("/forms/{KEY}/results.csv?q=q1&by=industry"))
            .await;
        assert!(aggregate.contains("後継者の有無（業種別：24 金属製品製造業）"));

        // The raw answers: one row per submission.
        let raw = app
            .text(&staff, &format!("/forms/{KEY}/responses.csv"))
            .await;
        assert_eq!(raw.lines().count(), 1 + SAMPLE, "{raw}");
        assert!(raw.lines().next().unwrap().contains("後継者の有無"));
        let xlsx = app.get(&staff, &format!("/forms/{KEY}/responses.xlsx")).await;
        assert_eq!(xlsx.status(), StatusCode::OK);

        // 墨田区 staff: aggregates yes, raw answers and tracking no.
        for path in [
            format!("/forms/{KEY}/responses.csv"),
            format!("/forms/{KEY}/survey"),
            format!("/forms/{KEY}/survey/unanswered.csv"),
        ] {
            let refused = app.get(&sumida, &path).await;
            assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path}");
        }
        let refused = app
            .post_form(&sumida, &format!("/forms/{KEY}/survey/remind"), &[])
            .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let theirs = app
            .text(&sumida, &format!("/forms/{KEY}/results?q=q1&by=industry"))
            .await;
        assert!(theirs.contains("提出された40件") && !theirs.contains("回答一覧（CSV）"));
    })
    .await;
}

#[tokio::test]
async fn staff_send_a_survey_to_directory_companies_by_filter() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let staff = app
            .staff(&admin, "chosa@city.kawaguchi.example.jp", "kawaguchi")
            .await;
        create_survey(&app, &staff).await;
        let overview = app.text(&staff, &format!("/forms/{KEY}")).await;
        assert!(overview.contains(&format!("href=\"/forms/{KEY}/survey\"")));
        // Their own city is preselected.
        let page = app.text(&staff, &format!("/forms/{KEY}/survey")).await;
        assert!(
            page.contains("<option value=\"kawaguchi\" selected>"),
            "{page}"
        );
        let sent = app
            .post_form(
                &staff,
                &format!("/forms/{KEY}/survey/send"),
                &[("city", "kawaguchi"), ("industry", "24"), ("size", "")],
            )
            .await;
        assert_eq!(sent.status(), StatusCode::SEE_OTHER);
        let page = app.text(&staff, &format!("/forms/{KEY}/survey")).await;
        assert!(
            page.contains("<dt>配布</dt><dd>8社</dd>"),
            "川口 has eight metal-products companies (five of the directory, three foundries of calls.toml)"
        );
        // A filter nobody matches is refused in Japanese, the choices kept.
        let none = app
            .post_form(
                &staff,
                &format!("/forms/{KEY}/survey/send"),
                &[("city", "kawaguchi"), ("industry", "09"), ("size", "large")],
            )
            .await;
        assert_eq!(none.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = none.text().await.unwrap();
        assert!(page.contains("条件に当てはまる企業がありません"));
        assert!(page.contains("<option value=\"large\" selected>"));
    })
    .await;
}
