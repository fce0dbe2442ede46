//! Districts and industrial sites (issue 19, item 3) over HTTP, on each backend: the
//! public register of 東大阪市 with its designation of 平成28年度 and its invented
//! sites (「デモ」, 地理院地図 links, nothing embedded); a company of 尼崎市 enquires
//! about a 東大阪市 site, 東大阪市's staff are told and answer it, 尼崎市's staff may not
//! (403); coordinates outside Japan refused with what was typed kept; the enquiry
//! figures written into the initiative's KPIs like the negotiations'; the exports; the
//! API twins.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::harness::{TestApp, between, company_member, on_each_backend};

const SITE: &str = "higashiosaka-site-takaida";

async fn api_token(app: &TestApp, client: &Client) -> String {
    let session: Value = client
        .get(app.url("/api/v1/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    session["csrf_token"].as_str().unwrap().to_owned()
}

/// The key of the enquiry a redirect after sending one leads to.
fn enquiry_key(location: &str) -> String {
    between(location, "/enquiries/", "?").unwrap_or_else(|| panic!("an enquiry's page: {location}"))
}

#[tokio::test]
async fn a_company_of_amagasaki_enquires_about_a_higashiosaka_site_and_its_staff_answer() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let higashiosaka = app
            .staff(&admin, "sites@city.higashiosaka.example.jp", "higashiosaka")
            .await;
        let amagasaki = app
            .staff(&admin, "sites@city.amagasaki.example.jp", "amagasaki")
            .await;
        let member = company_member(
            &app,
            &admin,
            "buyer@amagasaki-01.example.jp",
            "amagasaki-01",
        )
        .await;

        // The public register: the document's designation and the invented sites.
        let register = app.text(&app.client(), "/sites?city=higashiosaka").await;
        assert!(register.contains("工業保全型の特別用途地区"), "{register}");
        assert!(register.contains("工業保全型の地区計画"));
        assert!(register.contains("平成28年度"));
        assert!(register.contains("高井田の工場用地（架空）"));
        assert!(register.contains("<span class=\"tag demo\">デモ</span>"));
        assert!(
            register.contains("https://maps.gsi.go.jp/#16/34.671700/135.587800/"),
            "a link to the 地理院地図, not an embedded map"
        );
        assert!(!register.contains("<iframe") && !register.contains("<script src=\"http"));

        // The company sends its enquiry; 東大阪市's staff are told.
        let page = app.text(&member, &format!("/sites/{SITE}")).await;
        assert!(page.contains("東大阪市へ問い合わせる"), "{page}");
        let sent = app
            .post_form(
                &member,
                &format!("/sites/{SITE}/enquiries"),
                &[(
                    "message",
                    "尼崎から工場の移転先を探しています。見学できますか。",
                )],
            )
            .await;
        assert_eq!(sent.status(), StatusCode::SEE_OTHER);
        let key = enquiry_key(sent.headers()["location"].to_str().unwrap());
        let told = app.text(&higashiosaka, "/notices").await;
        assert!(
            told.contains("【用地の問合せ】杭瀬工業株式会社から"),
            "{told}"
        );
        let store = app.store().await;
        assert!(
            store::outbox::all(&store).await.unwrap().iter().any(|m| {
                m.recipient_email == "sites@city.higashiosaka.example.jp"
                    && m.subject.contains("高井田の工場用地")
            }),
            "東大阪市's staff are told by mail too"
        );

        // 尼崎市's staff may not answer it: 403, in Japanese, and nothing recorded.
        let refused = app
            .post_form(
                &amagasaki,
                &format!("/enquiries/{key}/steps"),
                &[
                    ("stage", "answered"),
                    ("on_date", "2099-01-05"),
                    ("note", "ok"),
                ],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let text = refused.text().await.unwrap();
        assert!(text.contains("東大阪市の職員のみが行えます"), "{text}");
        let token = api_token(&app, &amagasaki).await;
        let refused = amagasaki
            .post(app.url(&format!("/api/v1/site-enquiries/{key}/steps")))
            .header("X-CSRF-Token", token)
            .json(&json!({"stage": "answered", "on_date": "2099-01-05", "note": "ok"}))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);

        // An answer without its text is refused, keeping what was typed.
        let today = domain::time::japan_today().to_string();
        let empty = app
            .post_form(
                &higashiosaka,
                &format!("/enquiries/{key}/steps"),
                &[("stage", "answered"), ("on_date", &today), ("note", "")],
            )
            .await;
        assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let text = empty.text().await.unwrap();
        assert!(text.contains("回答の内容を入力してください"), "{text}");
        assert!(text.contains(&format!("value=\"{today}\"")));

        // 東大阪市's staff answer; the company is told and sees the answer.
        let answered = app
            .post_form(
                &higashiosaka,
                &format!("/enquiries/{key}/steps"),
                &[
                    ("stage", "answered"),
                    ("on_date", &today),
                    ("note", "見学を受け付けます。候補日をお知らせください。"),
                ],
            )
            .await;
        assert_eq!(answered.status(), StatusCode::SEE_OTHER);
        let page = app.text(&member, &format!("/enquiries/{key}")).await;
        assert!(
            page.contains("見学を受け付けます。候補日をお知らせください。"),
            "{page}"
        );
        assert!(page.contains("<dd>回答</dd>"));
        let told = app.text(&member, "/notices").await;
        assert!(
            told.contains("【用地の問合せ】「高井田の工場用地（架空）」：回答"),
            "{told}"
        );

        // 尼崎市's staff do not see it at all; the secretariat does.
        let hidden = app.get(&amagasaki, &format!("/enquiries/{key}")).await;
        assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
        assert!(app.text(&admin, "/enquiries").await.contains(&key));

        // The staff's export lists it; a company member may not export.
        let csv = app.get(&higashiosaka, "/enquiries.csv").await;
        assert_eq!(csv.status(), StatusCode::OK);
        let csv = csv.text().await.unwrap();
        assert!(
            csv.contains("杭瀬工業株式会社") && csv.contains("回答"),
            "{csv}"
        );
        assert_eq!(
            app.get(&member, "/enquiries.xlsx").await.status(),
            StatusCode::FORBIDDEN
        );
    })
    .await;
}

#[tokio::test]
async fn coordinates_outside_japan_are_refused_keeping_what_was_typed() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let staff = app
            .staff(
                &admin,
                "new-site@city.higashiosaka.example.jp",
                "higashiosaka",
            )
            .await;
        let typed = [
            ("organisation", "higashiosaka"),
            ("name", "パリの工場用地"),
            ("address", "東大阪市荒本北"),
            ("area_m2", "2,400"),
            ("zoning", "工業地域"),
            ("tenure", "rent"),
            ("lat", "48.8566"),
            ("lon", "2.3522"),
        ];
        let refused = app.post_form(&staff, "/sites", &typed).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = refused.text().await.unwrap();
        assert!(page.contains("日本国内ではありません"), "{page}");
        assert!(page.contains("value=\"48.8566\"") && page.contains("value=\"パリの工場用地\""));
        assert!(page.contains("value=\"2,400\""));

        // In Japan it is kept, with its link to the 地理院地図.
        let mut fixed = typed.to_vec();
        fixed[1] = ("name", "荒本の貸工場");
        fixed[6] = ("lat", "34.6794");
        fixed[7] = ("lon", "135.6006");
        let created = app.post_form(&staff, "/sites", &fixed).await;
        assert_eq!(created.status(), StatusCode::SEE_OTHER);
        let location = created.headers()["location"].to_str().unwrap().to_owned();
        let page = app.text(&app.client(), &location).await;
        assert!(page.contains("2,400㎡"), "{page}");
        assert!(page.contains("https://maps.gsi.go.jp/#16/34.679400/135.600600/"));

        // The API refuses the same, naming the field.
        let token = api_token(&app, &staff).await;
        let problem: Value = staff
            .post(app.url("/api/v1/sites"))
            .header("X-CSRF-Token", token)
            .json(
                &json!({"name": "海外", "address": "x", "area_m2": "10", "zoning": "工業地域",
                          "tenure": "sale", "lat": "-33.86", "lon": "151.2"}),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(problem["status"], 422, "{problem}");
        assert!(
            problem.to_string().contains("日本国内ではありません"),
            "{problem}"
        );

        // Staff of another city may not change it.
        let other = app
            .staff(&admin, "sites@city.kaga.example.jp", "kaga")
            .await;
        let key = location
            .trim_start_matches("/sites/")
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        let refused = app
            .post_form(&other, &format!("/sites/{key}/edit"), &fixed)
            .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn enquiry_figures_feed_the_initiatives_kpis_without_the_invented_ones() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let staff = app
            .staff(&admin, "kpi@city.higashiosaka.example.jp", "higashiosaka")
            .await;
        let amagasaki = app
            .staff(&admin, "kpi@city.amagasaki.example.jp", "amagasaki")
            .await;
        // The 平成29年度 enquiry of the demonstration is invented: nothing to write.
        let refused = app
            .post_form(
                &staff,
                "/enquiries/feed",
                &[("initiative", "higashiosaka-factory-attraction-incentives"), ("fy", "2017")],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.text().await.unwrap().contains("デモデータ"));

        // A real company and a real site: enquiry, answer, visit, contract.
        let company = app
            .post_form(
                &amagasaki,
                "/companies",
                &[("name", "株式会社立地テスト"), ("kana", "リッチテスト"), ("city", "amagasaki")],
            )
            .await;
        assert_eq!(company.status(), StatusCode::SEE_OTHER);
        let company_key =
            between(company.headers()["location"].to_str().unwrap(), "/companies/", "?").unwrap();
        let member = company_member(&app, &admin, "ritchi@example.jp", &company_key).await;
        let site = app
            .post_form(
                &staff,
                "/sites",
                &[
                    ("organisation", "higashiosaka"),
                    ("name", "長田の工場用地"),
                    ("address", "東大阪市長田"),
                    ("area_m2", "900"),
                    ("zoning", "準工業地域"),
                    ("tenure", "sale"),
                ],
            )
            .await;
        let site_key = between(site.headers()["location"].to_str().unwrap(), "/sites/", "?").unwrap();
        let sent = app
            .post_form(
                &member,
                &format!("/sites/{site_key}/enquiries"),
                &[("message", "購入を検討しています。")],
            )
            .await;
        let key = enquiry_key(sent.headers()["location"].to_str().unwrap());
        let today = domain::time::japan_today().to_string();
        for (stage, note) in [("answered", "資料をお送りします。"), ("visit", "現地を案内"), ("contracted", "売買契約")] {
            let step = app
                .post_form(
                    &staff,
                    &format!("/enquiries/{key}/steps"),
                    &[("stage", stage), ("on_date", &today), ("note", note)],
                )
                .await;
            assert_eq!(step.status(), StatusCode::SEE_OTHER, "{stage}");
        }
        let fy = domain::FiscalYear::containing(domain::time::japan_today());
        let fed = app
            .post_form(
                &staff,
                "/enquiries/feed",
                &[
                    ("initiative", "higashiosaka-factory-attraction-incentives"),
                    ("fy", &fy.year().to_string()),
                ],
            )
            .await;
        assert_eq!(fed.status(), StatusCode::SEE_OTHER);
        let page = app
            .text(&app.client(), "/initiatives/higashiosaka-factory-attraction-incentives")
            .await;
        for label in ["用地の問合せ件数", "見学件数", "成約件数"] {
            let row = between(&page, &format!("<th scope=\"row\">{label}</th>"), "</tr>")
                .unwrap_or_else(|| panic!("{label} in {page}"));
            assert!(row.contains("<td class=\"num\">1</td>"), "{label}: {row}");
        }
        // 尼崎市's staff may not write into 東大阪市's initiative.
        let token = api_token(&app, &amagasaki).await;
        let refused = amagasaki
            .post(app.url("/api/v1/site-enquiries/kpis"))
            .header("X-CSRF-Token", token)
            .json(&json!({"initiative": "higashiosaka-factory-attraction-incentives", "fy": fy.year().to_string()}))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn the_register_is_exported_and_read_through_the_api() {
    on_each_backend(|app| async move {
        let client = app.client();
        let csv = app.get(&client, "/sites.csv?city=higashiosaka").await;
        assert_eq!(csv.status(), StatusCode::OK);
        let csv = csv.text().await.unwrap();
        assert!(
            csv.contains("高井田の工場用地（架空）") && csv.contains("1250.5"),
            "{csv}"
        );
        assert!(csv.contains("https://maps.gsi.go.jp/#16/34.671700/135.587800/"));
        let xlsx = app.get(&client, "/sites.xlsx").await;
        assert_eq!(xlsx.status(), StatusCode::OK);
        assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));

        let sites: Value = client
            .get(app.url("/api/v1/sites?city=higashiosaka"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let site = sites
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == SITE)
            .expect("the seeded site");
        assert_eq!(site["demo"], true);
        assert_eq!(site["tenure"], "sale");
        assert_eq!(site["district"], "higashiosaka-industrial-special-use");
        let districts: Value = client
            .get(app.url("/api/v1/districts"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let special = districts
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["key"] == "higashiosaka-industrial-special-use")
            .unwrap();
        assert_eq!(special["designated_fy"], 2016);
        assert_eq!(special["demo"], false);
        let doc: Value = client
            .get(app.url("/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for path in [
            "/api/v1/sites",
            "/api/v1/sites/{key}/enquiries",
            "/api/v1/site-enquiries/{key}/steps",
            "/api/v1/site-enquiries/kpis",
            "/api/v1/documents",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} in /openapi.json");
        }
    })
    .await;
}
