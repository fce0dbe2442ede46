//! Calls with review over HTTP: 尼崎市 staff open the 100年企業表彰 with the form
//! builder (period covering today, founded at least 100 years before the award
//! year); a company founded in 1910 applies, one founded in 1950 is refused by the
//! rule with the Japanese reason and its answers kept; a second submission is
//! refused; a member of the applicant cannot review it; two reviewers score, staff
//! approve; the winner appears on /registry, on its entry page with its founding
//! year, in the API and in the Atom feed. Also: a closed call refuses with its date.

use reqwest::StatusCode;

use crate::harness::company_member as member;
use crate::harness::{TestApp, between, on_each_backend};

/// Today's year in Japan: the award year of the test call.
fn this_year() -> i32 {
    use chrono::Datelike;
    domain::time::japan_today().year()
}

/// Opens a 100年企業表彰 call through the builder and the call settings.
pub(crate) async fn open_award_call(
    app: &TestApp,
    staff: &reqwest::Client,
    key: &str,
    closes_on: &str,
) {
    let created = app
        .post_form(
            staff,
            "/forms/new",
            &[
                ("organisation", "amagasaki"),
                ("title", "尼崎市100年企業表彰"),
                ("key", key),
                ("purpose", "application"),
                ("opens_on", "2016-04-01"),
                ("closes_on", closes_on),
            ],
        )
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let year = this_year().to_string();
    let settings = app
        .post_form(
            staff,
            &format!("/forms/{key}/settings"),
            &[
                ("title", "尼崎市100年企業表彰"),
                (
                    "description",
                    "創業から100年以上、市内で事業を続けてきた企業を表彰します。",
                ),
                ("opens_on", "2016-04-01"),
                ("closes_on", closes_on),
                ("founded_years", "100"),
                ("award_year", year.as_str()),
                ("cities", "amagasaki"),
            ],
        )
        .await;
    assert_eq!(settings.status(), StatusCode::SEE_OTHER, "form settings");
    for (label, required) in [
        ("創業から現在までの歩み", "1"),
        ("事業を続けてこられた秘訣", ""),
    ] {
        let question = app
            .post_form(
                staff,
                &format!("/forms/{key}/questions"),
                &[
                    ("section", "0"),
                    ("label", label),
                    ("kind", "long_text"),
                    ("required", required),
                ],
            )
            .await;
        assert_eq!(question.status(), StatusCode::SEE_OTHER, "{label}");
    }
    let call = app
        .post_form(
            staff,
            &format!("/calls/{key}/settings"),
            &[
                ("kind", "award"),
                ("registry_kind", "award"),
                ("summary_question", "q1"),
                ("reviewers", ""),
            ],
        )
        .await;
    assert_eq!(call.status(), StatusCode::SEE_OTHER, "call settings");
}

pub(crate) async fn submit(
    app: &TestApp,
    client: &reqwest::Client,
    key: &str,
    company: &str,
    history: &str,
) -> reqwest::Response {
    app.post_form(
        client,
        &format!("/forms/{key}/answer?company={company}"),
        &[
            ("contact", "代表取締役 尼崎太郎"),
            ("q1", history),
            ("q2", "顧客第一"),
            ("intent", "submit"),
        ],
    )
    .await
}

#[tokio::test]
async fn amagasaki_awards_a_company_founded_in_1910_which_appears_in_the_registry_and_feed() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let staff = app
            .staff(&admin, "award@city.amagasaki.example.jp", "amagasaki")
            .await;
        let second = app
            .staff(&admin, "review2@city.amagasaki.example.jp", "amagasaki")
            .await;
        open_award_call(&app, &staff, "amagasaki-100nen-test", "2099-03-31").await;

        // The public call page says who may apply, in words.
        let page = app
            .text(&app.client(), "/calls/amagasaki-100nen-test")
            .await;
        let latest = this_year() - 100;
        assert!(
            page.contains(&format!("{latest}年以前に創業した企業"))
                && page.contains("尼崎市に所在する企業")
                && page.contains("受付中"),
            "{page}"
        );

        // A company founded in 1910 applies.
        let old = member(&app, &admin, "m@amagasaki-13.example.jp", "amagasaki-13").await;
        let page = app.text(&old, "/calls/amagasaki-100nen-test").await;
        assert!(
            page.contains("/forms/amagasaki-100nen-test/answer?company=amagasaki-13"),
            "申請する leads to the answer page for the member's company"
        );
        let submitted = submit(
            &app,
            &old,
            "amagasaki-100nen-test",
            "amagasaki-13",
            "明治43年創業。",
        )
        .await;
        assert_eq!(
            submitted.status(),
            StatusCode::SEE_OTHER,
            "{:?} {}",
            app.backend,
            submitted.text().await.unwrap_or_default()
        );
        let mine = app.text(&old, "/applications?done=submitted").await;
        assert!(
            mine.contains("提出済み") && mine.contains("申請を提出しました"),
            "{mine}"
        );
        let id = between(&mine, "href=\"/applications/", "\"").expect("own application");
        let path = format!("/applications/{id}");

        // A second submission is refused, never a 500.
        let again = submit(
            &app,
            &old,
            "amagasaki-100nen-test",
            "amagasaki-13",
            "二度目",
        )
        .await;
        assert_eq!(again.status(), StatusCode::CONFLICT);
        assert!(again.text().await.unwrap().contains("既に提出済み"));

        // One founded in 1950 is refused by the rule, its answers kept.
        let young = member(&app, &admin, "m@amagasaki-15.example.jp", "amagasaki-15").await;
        let refused = submit(
            &app,
            &young,
            "amagasaki-100nen-test",
            "amagasaki-15",
            "昭和25年創業の塗料工場。",
        )
        .await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = refused.text().await.unwrap();
        assert!(
            page.contains(&format!(
                "{latest}年以前に創業した企業が対象です（創業1950年"
            )) && page.contains("昭和25年創業の塗料工場。"),
            "{page}"
        );

        // A missing required answer is refused with the question named.
        let blank = app
            .post_form(
                &young,
                "/forms/amagasaki-100nen-test/answer?company=amagasaki-15",
                &[
                    ("contact", "総務部長"),
                    ("q1", ""),
                    ("q2", "書きかけ"),
                    ("intent", "submit"),
                ],
            )
            .await;
        assert_eq!(blank.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = blank.text().await.unwrap();
        assert!(page.contains("「創業から現在までの歩み」は必須です") && page.contains("書きかけ"));

        // The staff and the applicant were told.
        let notices = app.text(&staff, "/notices").await;
        assert!(notices.contains("開明製鋼株式会社から"), "{notices}");

        // A member of the applicant cannot review it.
        let self_review = app
            .post_form(
                &old,
                &format!("{path}/review"),
                &[("score", "100"), ("comment", "")],
            )
            .await;
        assert_eq!(self_review.status(), StatusCode::FORBIDDEN);
        let page = self_review.text().await.unwrap();
        assert!(page.contains("自社の申請の審査はできません"), "{page}");

        // Two reviewers score; a score out of range keeps what was typed.
        let wrong = app
            .post_form(
                &staff,
                &format!("{path}/review"),
                &[("score", "120"), ("comment", "沿革が明確")],
            )
            .await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.text().await.unwrap().contains("沿革が明確"));
        for (client, score) in [(&staff, "80"), (&second, "90")] {
            let reviewed = app
                .post_form(
                    client,
                    &format!("{path}/review"),
                    &[("score", score), ("comment", "地域とともに歩んだ")],
                )
                .await;
            assert_eq!(reviewed.status(), StatusCode::SEE_OTHER);
        }
        let queue = app
            .text(&staff, "/calls/amagasaki-100nen-test/applications")
            .await;
        assert!(
            queue.contains("審査中") && queue.contains("85.0"),
            "{queue}"
        );
        let csv = app
            .get(&staff, "/calls/amagasaki-100nen-test/applications.csv")
            .await;
        assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
        assert!(
            csv.text()
                .await
                .unwrap()
                .contains("開明製鋼株式会社,審査中")
        );

        // Staff approve; the decision records who and when.
        let approved = app
            .post_form(
                &second,
                &format!("{path}/step"),
                &[
                    ("action", "approve"),
                    ("step_comment", "表彰する"),
                    ("amount", ""),
                ],
            )
            .await;
        assert_eq!(approved.status(), StatusCode::SEE_OTHER);
        let page = app.text(&old, &path).await;
        assert!(
            page.contains("承認") && page.contains("review2@city.amagasaki.example.jp"),
            "{page}"
        );
        assert!(
            !page.contains("地域とともに歩んだ"),
            "the applicant does not read reviews"
        );

        // The winner is public: registry, entry page, API and feed.
        let registry = app
            .text(&app.client(), "/registry?kind=award&city=amagasaki")
            .await;
        assert!(registry.contains("開明製鋼株式会社"), "{registry}");
        let slug = "amagasaki-100nen-test-amagasaki-13";
        let entry = app.text(&app.client(), &format!("/registry/{slug}")).await;
        assert!(
            entry.contains("1910年") && entry.contains(&format!("創業{}年", this_year() - 1910)),
            "{entry}"
        );
        let api: serde_json::Value = app
            .client()
            .get(app.url("/api/v1/registry?kind=award"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            api.as_array()
                .unwrap()
                .iter()
                .any(|e| e["slug"] == slug && e["founded_year"] == 1910),
            "{api}"
        );
        let feed = app.text(&app.client(), "/feeds/activity.atom").await;
        assert!(
            feed.contains(&format!("/registry/{slug}")) && feed.contains("開明製鋼株式会社"),
            "{feed}"
        );
        // The young company's refused draft is not in the registry.
        assert!(!registry.contains("株式会社長洲化工"));
    })
    .await;
}

#[tokio::test]
async fn a_closed_call_refuses_with_its_date_and_keeps_the_answers() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let staff = app
            .staff(&admin, "closed@city.amagasaki.example.jp", "amagasaki")
            .await;
        open_award_call(&app, &staff, "amagasaki-100nen-closed", "2016-07-29").await;
        let old = member(&app, &admin, "m@amagasaki-11.example.jp", "amagasaki-11").await;
        let late = submit(
            &app,
            &old,
            "amagasaki-100nen-closed",
            "amagasaki-11",
            "明治30年創業。",
        )
        .await;
        assert_eq!(late.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = late.text().await.unwrap();
        assert!(
            page.contains("2016年7月29日で締め切りました") && page.contains("明治30年創業。"),
            "{page}"
        );
        let call = app
            .text(&app.client(), "/calls/amagasaki-100nen-closed")
            .await;
        assert!(call.contains("受付終了"));
        // The demo registry lists 川口's certified products and 尼崎's winners.
        let products = app
            .text(&app.client(), "/registry?kind=product&city=kawaguchi")
            .await;
        assert_eq!(products.matches("i-mono（製品）").count(), 6, "{products}");
        let techniques = app.text(&app.client(), "/registry?kind=technique").await;
        assert_eq!(techniques.matches("i-waza（技術）").count(), 4);
    })
    .await;
}

#[tokio::test]
async fn reviewers_download_an_applications_document_and_other_cities_cannot() {
    use reqwest::multipart::{Form, Part};
    const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let staff = app
            .staff(&admin, "docs@city.amagasaki.example.jp", "amagasaki")
            .await;
        let ota = app.staff(&admin, "docs@city.ota.example.jp", "ota").await;
        let key = "amagasaki-100nen-docs";
        open_award_call(&app, &staff, key, "2099-03-31").await;
        let question = app
            .post_form(
                &staff,
                &format!("/forms/{key}/questions"),
                &[
                    ("section", "0"),
                    ("label", "沿革資料"),
                    ("kind", "file"),
                    ("allowed_types", "pdf"),
                    ("max_kb", "200"),
                ],
            )
            .await;
        assert_eq!(question.status(), StatusCode::SEE_OTHER);
        let old = member(&app, &admin, "m@amagasaki-12.example.jp", "amagasaki-12").await;
        let page = app
            .text(&old, &format!("/forms/{key}/answer?company=amagasaki-12"))
            .await;
        let token = crate::harness::meta_csrf(&page);
        let form = Form::new()
            .text("contact", "代表取締役")
            .text("q1", "明治38年創業。")
            .text("q2", "機械を止めない")
            .text("intent", "submit")
            .part("q3", Part::bytes(PDF.to_vec()).file_name("沿革.pdf"));
        let submitted = old
            .post(app.url(&format!(
                "/forms/{key}/answer?company=amagasaki-12&csrf_token={token}"
            )))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(submitted.status(), StatusCode::SEE_OTHER);
        let mine = app.text(&old, "/applications").await;
        let id = between(&mine, "href=\"/applications/", "\"").unwrap();
        let page = app.text(&staff, &format!("/applications/{id}")).await;
        assert!(page.contains("沿革.pdf"), "{page}");
        let file = between(&page, "href=\"/forms/files/", "\"").expect("a download link");
        let download = app.get(&staff, &format!("/forms/files/{file}")).await;
        assert_eq!(download.status(), StatusCode::OK);
        assert_eq!(download.headers()["content-type"], "application/pdf");
        assert_eq!(download.bytes().await.unwrap().as_ref(), PDF);
        let outsider = app.get(&ota, &format!("/forms/files/{file}")).await;
        assert_eq!(outsider.status(), StatusCode::NOT_FOUND);
        let outsider = app.get(&ota, &format!("/applications/{id}")).await;
        assert_eq!(outsider.status(), StatusCode::NOT_FOUND);
        // The registry is in the API's document.
        let openapi = app.text(&app.client(), "/openapi.json").await;
        assert!(openapi.contains("/api/v1/registry"));
    })
    .await;
}
