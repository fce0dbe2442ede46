//! The directory and matching API over HTTP: anonymous searches never see private
//! fields while the owning city's staff do; 大田区 staff edit 大田区 companies only;
//! a company member edits its own profile only; writes need X-CSRF-Token; a posted
//! need gets ranked candidates whose reasons add up to the score; a proposal that is
//! accepted counts in the city's figures; bad input is problem+json, never a 500.

use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::harness::{TestApp, company_member as member, on_each_backend};

/// The CSRF token of a client's session, as API clients get it.
pub(crate) async fn api_token(app: &TestApp, client: &Client) -> String {
    let session: Value = app
        .get(client, "/api/v1/session")
        .await
        .json()
        .await
        .unwrap();
    session["csrf_token"].as_str().unwrap().to_owned()
}

/// GET returning the status and the JSON body.
pub(crate) async fn get_json(app: &TestApp, client: &Client, path: &str) -> (StatusCode, Value) {
    let response = app.get(client, path).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A JSON write, with the token when one is given.
pub(crate) async fn send(
    app: &TestApp,
    client: &Client,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> Response {
    let mut request = client.request(method, app.url(path)).json(body);
    if let Some(token) = token {
        request = request.header("x-csrf-token", token);
    }
    request.send().await.unwrap()
}

pub(crate) fn assert_problem(response: &Response, status: StatusCode, what: &str) {
    assert_eq!(response.status(), status, "{what}");
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/problem+json",
        "{what}"
    );
}

/// The body a PUT sends back: the company as read, with changes.
fn body_of(company: &Value) -> Value {
    json!({
        "corporate_number": company["corporate_number"].as_str().unwrap_or(""),
        "name": company["name"],
        "kana": company["kana"],
        "city": company["city"].as_str().unwrap_or(""),
        "address": company["address"],
        "industry": company["industry"].as_str().unwrap_or(""),
        "employees": company["private"]["employees"],
        "founded_year": company["founded_year"],
        "representative_age": company["private"]["representative_age"].as_str().unwrap_or(""),
        "url": company["url"],
        "description": company["description"],
        "products": company["products"],
        "capabilities": company["capabilities"],
        "public": company["public"],
    })
}

#[tokio::test]
async fn anonymous_search_finds_cutting_companies_without_private_fields_that_city_staff_see() {
    on_each_backend(|app| async move {
        let public = app.client();
        let response = app.get(&public, "/api/v1/companies?q=切削").await;
        assert_eq!(response.status(), StatusCode::OK, "{:?}", app.backend);
        let text = response.text().await.unwrap();
        for private in ["\"private\"", "employees", "contact_email", "staff_note"] {
            assert!(!text.contains(private), "{private} leaked to anonymous");
        }
        let found: Value = serde_json::from_str(&text).unwrap();
        assert!(found["total"].as_u64().unwrap() > 0);
        let items = found["items"].as_array().unwrap();
        assert!(!items.is_empty());
        assert!(items.iter().any(|c| {
            c["capabilities"]
                .as_array()
                .unwrap()
                .contains(&json!("cutting"))
        }));

        let (status, by_process) =
            get_json(&app, &public, "/api/v1/companies?process=cutting&limit=100").await;
        assert_eq!(status, StatusCode::OK);
        let total = by_process["total"].as_u64().unwrap();
        assert!(total > 0);
        for company in by_process["items"].as_array().unwrap() {
            assert!(
                company["capabilities"]
                    .as_array()
                    .unwrap()
                    .contains(&json!("cutting"))
            );
            assert!(company.get("private").is_none());
        }
        let cutting = by_process["facets"]["process"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["value"] == "cutting")
            .expect("cutting facet");
        assert_eq!(cutting["label"], "切削");
        assert_eq!(cutting["count"].as_u64().unwrap(), total);
        let cities = by_process["facets"]["city"].as_array().unwrap();
        assert!(!cities.is_empty());
        assert!(
            cities
                .iter()
                .map(|c| c["count"].as_u64().unwrap())
                .sum::<u64>()
                <= total,
            "a company is in one city at most"
        );
        assert!(
            cities
                .iter()
                .all(|c| !c["label"].as_str().unwrap().is_empty())
        );
        let (_, ota_only) =
            get_json(&app, &public, "/api/v1/companies?city=131113&limit=100").await;
        assert!(
            ota_only["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["city"] == "ota")
        );

        let (status, profile) = get_json(&app, &public, "/api/v1/companies/ota-03").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(profile["name"], "有限会社羽田精工");
        assert_eq!(profile["size"], "small");
        assert!(profile.get("private").is_none());
        assert_eq!(profile["editable"], false);

        let admin = app.admin().await;
        let ota = app.staff(&admin, "yamada@city.ota.example.jp", "ota").await;
        let (_, own) = get_json(&app, &ota, "/api/v1/companies/ota-03").await;
        assert_eq!(own["private"]["employees"], 120);
        assert_eq!(own["private"]["representative_age"], "70s");
        assert_eq!(own["editable"], true);
        let (_, other) = get_json(&app, &ota, "/api/v1/companies/sumida-01").await;
        assert!(other.get("private").is_none(), "sumida's private fields");
        let (_, listed) = get_json(&app, &ota, "/api/v1/companies?city=ota&limit=100").await;
        let listed = listed["items"].as_array().unwrap();
        assert!(
            listed.iter().any(|c| c["key"] == "ota-10"),
            "ota's own non-public company"
        );
        assert!(listed.iter().all(|c| c["private"].is_object()));
        // The non-public company stays hidden from everyone else.
        assert_eq!(
            app.get(&public, "/api/v1/companies/ota-10").await.status(),
            StatusCode::NOT_FOUND
        );

        for bad in [
            "/api/v1/companies?process=magic",
            "/api/v1/companies?process=aluminium",
            "/api/v1/companies?city=osaka",
            "/api/v1/companies?size=huge",
            "/api/v1/companies?limit=0",
            "/api/v1/companies?offset=-1",
        ] {
            let response = app.get(&public, bad).await;
            assert_problem(&response, StatusCode::BAD_REQUEST, bad);
            let problem: Value = response.json().await.unwrap();
            assert!(
                !problem["detail"].as_str().unwrap().is_ascii(),
                "Japanese detail for {bad}"
            );
        }
        let missing = app.get(&public, "/api/v1/companies/no-such-company").await;
        assert_problem(&missing, StatusCode::NOT_FOUND, "unknown company");

        let (_, taxonomy) = get_json(&app, &public, "/api/v1/taxonomy").await;
        let process = taxonomy["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["code"] == "process")
            .unwrap();
        assert!(
            process["capabilities"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["code"] == "cutting" && c["label"] == "切削")
        );
        let openapi = app.text(&public, "/openapi.json").await;
        for path in [
            "/api/v1/companies/{key}",
            "/api/v1/taxonomy",
            "/api/v1/needs/{key}/matches",
            "/api/v1/needs/{key}/negotiations",
            "/api/v1/negotiations/{key}/steps",
            "/api/v1/negotiations/figures",
        ] {
            assert!(openapi.contains(path), "{path} documented");
        }
    })
    .await;
}

#[tokio::test]
async fn ota_staff_edit_ota_companies_and_a_member_edits_only_its_own() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let ota = app.staff(&admin, "sato@city.ota.example.jp", "ota").await;
        let token = api_token(&app, &ota).await;
        let (_, company) = get_json(&app, &ota, "/api/v1/companies/ota-03").await;
        let mut body = body_of(&company);
        body["description"] = json!("APIで更新した紹介文です。");
        body["staff_note"] = json!("事業承継の相談を継続");

        let refused = send(&app, &ota, Method::PUT, "/api/v1/companies/ota-03", None, &body).await;
        assert_problem(&refused, StatusCode::FORBIDDEN, "PUT without X-CSRF-Token");
        let (_, unchanged) = get_json(&app, &ota, "/api/v1/companies/ota-03").await;
        assert_eq!(unchanged["description"], company["description"]);

        let saved = send(&app, &ota, Method::PUT, "/api/v1/companies/ota-03", Some(&token), &body).await;
        assert_eq!(saved.status(), StatusCode::OK, "{:?}", app.backend);
        let saved: Value = saved.json().await.unwrap();
        assert_eq!(saved["description"], "APIで更新した紹介文です。");
        assert_eq!(saved["private"]["staff_note"], "事業承継の相談を継続");
        let public = app.client();
        let (_, seen) = get_json(&app, &public, "/api/v1/companies/ota-03").await;
        assert_eq!(seen["description"], "APIで更新した紹介文です。");

        let (_, sumida) = get_json(&app, &ota, "/api/v1/companies/sumida-01").await;
        let mut sumida_body = body_of(&sumida);
        sumida_body["description"] = json!("他市の職員による変更");
        let response = send(&app, &ota, Method::PUT, "/api/v1/companies/sumida-01", Some(&token), &sumida_body).await;
        assert_problem(&response, StatusCode::FORBIDDEN, "ota staff on a sumida company");

        let mut invalid = body.clone();
        invalid["name"] = json!(" ");
        invalid["kana"] = json!("Haneda");
        invalid["capabilities"] = json!(["cutting", "魔法"]);
        let response = send(&app, &ota, Method::PUT, "/api/v1/companies/ota-03", Some(&token), &invalid).await;
        assert_problem(&response, StatusCode::UNPROCESSABLE_ENTITY, "invalid company");
        let problem: Value = response.json().await.unwrap();
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        for field in ["name", "kana", "capabilities"] {
            assert!(fields.contains(&field), "{field} in {fields:?}");
        }
        assert!(!problem["errors"][0]["reason"].as_str().unwrap().is_ascii(), "Japanese reasons");
        let malformed = ota
            .put(app.url("/api/v1/companies/ota-03"))
            .header("x-csrf-token", &token)
            .header("content-type", "application/json")
            .body("{\"name\": ")
            .send()
            .await
            .unwrap();
        assert_problem(&malformed, StatusCode::BAD_REQUEST, "malformed JSON");

        let new_company = json!({
            "name": "株式会社蒲田テスト精工", "kana": "かまたてすとせいこう", "city": "ota",
            "employees": 12, "capabilities": ["cutting", "アルミ"], "contact_email": "info@kamata.example.jp"
        });
        let created = send(&app, &ota, Method::POST, "/api/v1/companies", Some(&token), &new_company).await;
        assert_eq!(created.status(), StatusCode::CREATED);
        let created: Value = created.json().await.unwrap();
        assert_eq!(created["kana"], "カマタテストセイコウ");
        assert_eq!(created["capabilities"], json!(["cutting", "aluminium"]));
        assert_eq!(created["private"]["contact_email"], "info@kamata.example.jp");
        let mut elsewhere = new_company.clone();
        elsewhere["city"] = json!("sumida");
        let response = send(&app, &ota, Method::POST, "/api/v1/companies", Some(&token), &elsewhere).await;
        assert_problem(&response, StatusCode::FORBIDDEN, "ota staff creating a sumida company");
        // The index follows the write: the new company is found by its name.
        let (_, found) = get_json(&app, &public, "/api/v1/companies?q=蒲田テスト精工").await;
        assert_eq!(found["items"][0]["key"], created["key"]);

        let haneda = member(&app, &admin, "info@haneda.example.jp", "ota-03").await;
        let member_token = api_token(&app, &haneda).await;
        let (_, own) = get_json(&app, &haneda, "/api/v1/companies/ota-03").await;
        assert_eq!(own["editable"], true);
        let mut own_body = body_of(&own);
        own_body["products"] = json!("硬質アルマイト・無電解ニッケル");
        let saved = send(&app, &haneda, Method::PUT, "/api/v1/companies/ota-03", Some(&member_token), &own_body).await;
        assert_eq!(saved.status(), StatusCode::OK);
        let (_, after) = get_json(&app, &ota, "/api/v1/companies/ota-03").await;
        assert_eq!(after["products"], "硬質アルマイト・無電解ニッケル");
        assert_eq!(
            after["private"]["staff_note"], "事業承継の相談を継続",
            "a member's PUT keeps the staff note"
        );
        let (_, neighbour) = get_json(&app, &haneda, "/api/v1/companies/ota-01").await;
        assert_eq!(neighbour["editable"], false);
        let mut neighbour_body = body_of(&neighbour);
        neighbour_body["description"] = json!("隣の会社による変更");
        let response = send(&app, &haneda, Method::PUT, "/api/v1/companies/ota-01", Some(&member_token), &neighbour_body).await;
        assert_problem(&response, StatusCode::FORBIDDEN, "member on another company");
        let response = send(&app, &haneda, Method::POST, "/api/v1/companies", Some(&member_token), &new_company).await;
        assert_problem(&response, StatusCode::FORBIDDEN, "member creating a company");

        let anonymous = send(&app, &public, Method::POST, "/api/v1/companies", None, &new_company).await;
        assert_eq!(anonymous.status(), StatusCode::FORBIDDEN, "no session, no token");
    })
    .await;
}

#[tokio::test]
async fn a_posted_need_gets_ranked_candidates_and_an_accepted_proposal_counts_for_the_city() {
    on_each_backend(|app| async move {
        let public = app.client();
        let (status, fy2016) = get_json(&app, &public, "/api/v1/negotiations/figures?fy=2016").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(fy2016["fy_label"], "平成28年度");
        let city = |report: &Value, key: &str| -> Value {
            report["cities"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["city"] == key)
                .cloned()
                .unwrap_or(Value::Null)
        };
        assert_eq!(city(&fy2016, "kawaguchi")["negotiations"], 58);
        assert_eq!(city(&fy2016, "sumida")["matches"], 21);
        assert_eq!(city(&fy2016, "sumida")["prototypes"], 5);
        let bad = app.get(&public, "/api/v1/negotiations/figures?fy=abc").await;
        assert_problem(&bad, StatusCode::BAD_REQUEST, "bad fiscal year");

        let (_, needs) = get_json(&app, &public, "/api/v1/needs?side=need").await;
        let keys: Vec<&str> = needs
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["key"].as_str().unwrap())
            .collect();
        assert!(keys.contains(&"need-1") && !keys.contains(&"offer-7"), "{keys:?}");
        assert!(!keys.contains(&"need-4"), "a private need stays hidden");
        assert_problem(&app.get(&public, "/api/v1/needs?kind=magic").await, StatusCode::BAD_REQUEST, "bad kind");
        assert_problem(&app.get(&public, "/api/v1/needs/need-4").await, StatusCode::NOT_FOUND, "private need");
        let (_, need1) = get_json(&app, &public, "/api/v1/needs/need-1").await;
        assert_eq!(need1["poster_name"], "大阪大学医学部 研究グループ（架空の例）");

        let admin = app.admin().await;
        let haneda = member(&app, &admin, "order@haneda.example.jp", "ota-03").await;
        let token = api_token(&app, &haneda).await;
        let need = json!({
            "kind": "business",
            "title": "ステンレス部品の精密切削加工",
            "body": "SUS304の精密切削部品を月100個。溶接・組立まで対応できると尚可。他市の企業も歓迎。",
            "capabilities": ["cutting", "stainless"]
        });
        let refused = send(&app, &haneda, Method::POST, "/api/v1/needs", None, &need).await;
        assert_problem(&refused, StatusCode::FORBIDDEN, "POST need without token");
        let created = send(&app, &haneda, Method::POST, "/api/v1/needs", Some(&token), &need).await;
        assert_eq!(created.status(), StatusCode::CREATED, "{:?}", app.backend);
        let created: Value = created.json().await.unwrap();
        assert_eq!(created["company"], "ota-03");
        assert_eq!(created["side"], "need");
        assert_eq!(created["city"], "ota");
        let key = created["key"].as_str().unwrap().to_owned();

        let (status, matches) = get_json(&app, &haneda, &format!("/api/v1/needs/{key}/matches")).await;
        assert_eq!(status, StatusCode::OK);
        let items = matches["items"].as_array().unwrap();
        assert!(!items.is_empty(), "candidates for a cutting need");
        let mut previous = f64::INFINITY;
        for m in items {
            let score = m["score"].as_f64().unwrap();
            let sum: f64 = m["components"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["points"].as_f64().unwrap())
                .sum();
            assert!((sum - score).abs() < 1e-6, "{} scores {score} but its reasons add to {sum}", m["name"]);
            assert!(score <= previous, "ranked best first");
            previous = score;
            assert!(m["components"].as_array().unwrap().iter().all(|c| {
                c["kind"].is_string() && c["max_points"].is_number() && !c["reason"].as_str().unwrap().is_empty()
            }));
            assert_ne!(m["candidate"], "company:ota-03", "never the need's own company");
        }
        let candidate = items
            .iter()
            .find(|m| m["candidate_kind"] == "company")
            .expect("a company candidate")["candidate"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            app.get(&public, &format!("/api/v1/needs/{key}/matches")).await.status(),
            StatusCode::UNAUTHORIZED
        );
        let sumida = app.staff(&admin, "suzuki@city.sumida.example.jp", "sumida").await;
        assert_problem(
            &app.get(&sumida, &format!("/api/v1/needs/{key}/matches")).await,
            StatusCode::FORBIDDEN,
            "sumida staff on an ota need",
        );
        assert_problem(
            &app.get(&haneda, "/api/v1/needs/no-such-need/matches").await,
            StatusCode::NOT_FOUND,
            "unknown need",
        );

        let bad_candidate = send(&app, &haneda, Method::POST, &format!("/api/v1/needs/{key}/negotiations"), Some(&token), &json!({"candidate": "ota-01"})).await;
        assert_problem(&bad_candidate, StatusCode::UNPROCESSABLE_ENTITY, "candidate without kind");
        let proposed = send(
            &app,
            &haneda,
            Method::POST,
            &format!("/api/v1/needs/{key}/negotiations"),
            Some(&token),
            &json!({"candidate": candidate, "note": "APIから提案"}),
        )
        .await;
        assert_eq!(proposed.status(), StatusCode::CREATED);
        let proposed: Value = proposed.json().await.unwrap();
        assert_eq!(proposed["stage"], "proposed");
        assert_eq!(proposed["need"], key.as_str());
        let negotiation = proposed["key"].as_str().unwrap().to_owned();
        let started: chrono::NaiveDate = proposed["started_on"].as_str().unwrap().parse().unwrap();
        let fy = domain::FiscalYear::containing(started).year();
        let figures_path = format!("/api/v1/negotiations/figures?fy={fy}");
        let (_, before) = get_json(&app, &public, &figures_path).await;

        let steps = format!("/api/v1/negotiations/{negotiation}/steps");
        let accepted = send(&app, &haneda, Method::POST, &steps, Some(&token), &json!({"stage": "accepted", "note": "先方が受諾"})).await;
        assert_eq!(accepted.status(), StatusCode::OK);
        let accepted: Value = accepted.json().await.unwrap();
        assert_eq!(accepted["stage"], "accepted");
        assert_eq!(accepted["steps"].as_array().unwrap().len(), 2);
        let (_, after) = get_json(&app, &public, &figures_path).await;
        let count = |report: &Value, field: &str| city(report, "ota")[field].as_u64().unwrap();
        assert_eq!(count(&after, "negotiations"), count(&before, "negotiations") + 1);
        assert_eq!(count(&after, "matches"), count(&before, "matches"));
        assert_eq!(
            after["total"]["negotiations"].as_u64().unwrap(),
            before["total"]["negotiations"].as_u64().unwrap() + 1
        );

        for (body, field) in [
            (json!({"stage": "proposed"}), "stage"),
            (json!({"stage": "meeting", "on_date": "2000-01-01"}), "on_date"),
            (json!({"stage": "teleport"}), "stage"),
            (json!({"stage": "order", "amount": -5}), "amount"),
        ] {
            let response = send(&app, &haneda, Method::POST, &steps, Some(&token), &body).await;
            assert_problem(&response, StatusCode::UNPROCESSABLE_ENTITY, &body.to_string());
            let problem: Value = response.json().await.unwrap();
            assert_eq!(problem["errors"][0]["field"], field, "{body}");
        }

        let (status, listed) = get_json(&app, &haneda, "/api/v1/negotiations").await;
        assert_eq!(status, StatusCode::OK);
        assert!(listed.as_array().unwrap().iter().any(|n| n["key"] == negotiation.as_str()));
        let (_, one) = get_json(&app, &haneda, &format!("/api/v1/negotiations/{negotiation}")).await;
        assert_eq!(one["steps"][1]["note"], "先方が受諾");
        assert_eq!(
            app.get(&public, "/api/v1/negotiations").await.status(),
            StatusCode::UNAUTHORIZED
        );
        assert_problem(
            &app.get(&sumida, &format!("/api/v1/negotiations/{negotiation}")).await,
            StatusCode::NOT_FOUND,
            "sumida staff on an ota negotiation",
        );
        assert_problem(
            &app.get(&haneda, "/api/v1/negotiations?stage=teleport").await,
            StatusCode::BAD_REQUEST,
            "unknown stage filter",
        );
    })
    .await;
}
