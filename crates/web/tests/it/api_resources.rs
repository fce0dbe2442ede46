//! The API's twins of the pages that had none — calls and applications, share
//! offices and facilities, people, diagnoses and survey tracking — over HTTP: each
//! answers an anonymous visitor, a company member and another city's staff as its
//! page does (the same store calls), with problem+json refusals; and the document
//! that describes them is complete (a description on every response, the session
//! cookie and CSRF header declared and required where they are).

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::directory_api::{api_token, assert_problem, get_json, send};
use crate::harness::{TestApp, company_member, on_each_backend};

const CALL: &str = "kawaguchi-ginou-kentei-2017";
const DIAGNOSTIC: &str = "sumida-health-check-2016";

/// The status of a page and of its API twin, for one client.
async fn both(app: &TestApp, client: &Client, page: &str, api: &str) -> (u16, u16) {
    let page = app.get(client, page).await.status().as_u16();
    let api = app.get(client, api).await.status().as_u16();
    (page, api)
}

#[tokio::test]
async fn calls_and_applications_answer_as_their_pages() {
    on_each_backend(|app| async move {
        let anonymous = app.client();
        let admin = app.admin().await;
        let member = company_member(
            &app,
            &admin,
            "api-calls@kawaguchi-01.example.jp",
            "kawaguchi-01",
        )
        .await;
        let owner = app
            .staff(&admin, "api-calls@city.kawaguchi.example.jp", "kawaguchi")
            .await;
        let other = app
            .staff(&admin, "api-calls@city.kaga.example.jp", "kaga")
            .await;

        // The public list and one call: what the pages show.
        let (status, calls) = get_json(&app, &anonymous, "/api/v1/calls").await;
        assert_eq!(status, StatusCode::OK);
        let call = calls
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == CALL)
            .expect("the call is listed")
            .clone();
        let page = app.text(&anonymous, "/calls").await;
        assert!(page.contains(call["title"].as_str().unwrap()));
        assert_eq!(
            calls.as_array().unwrap().len(),
            page.matches("href=\"/calls/").count()
        );
        let (status, one) = get_json(&app, &anonymous, &format!("/api/v1/calls/{CALL}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(one["title"], call["title"]);
        assert!(["受付開始前", "受付中", "受付終了"].contains(&one["state"].as_str().unwrap()));
        let page = app.text(&anonymous, &format!("/calls/{CALL}")).await;
        assert!(page.contains(one["state"].as_str().unwrap()));
        let missing = app.get(&anonymous, "/api/v1/calls/no-such-call").await;
        assert_problem(&missing, StatusCode::NOT_FOUND, "unknown call");

        // The staff queue: the owning city's staff only, like /calls/{key}/applications.
        let queue = format!("/calls/{CALL}/applications");
        let api = format!("/api/v1/calls/{CALL}/applications");
        assert_eq!(both(&app, &anonymous, &queue, &api).await, (303, 401));
        assert_eq!(both(&app, &member, &queue, &api).await, (403, 403));
        assert_eq!(both(&app, &other, &queue, &api).await, (403, 403));
        assert_eq!(both(&app, &owner, &queue, &api).await, (200, 200));
        let refused = app.get(&other, &api).await;
        assert_problem(&refused, StatusCode::FORBIDDEN, "another city's staff");
        let (_, listed) = get_json(&app, &owner, &api).await;
        let page = app.text(&owner, &queue).await;
        for application in listed.as_array().unwrap() {
            assert!(page.contains(application["company_name"].as_str().unwrap()));
        }
        let bad = app.get(&owner, &format!("{api}?status=somewhere")).await;
        assert_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "unknown status");

        // The viewer's applications and one of them: the applicant's members see it,
        // another city's staff get 404 as on /applications/{id}.
        assert_eq!(
            both(&app, &anonymous, "/applications", "/api/v1/applications").await,
            (303, 401)
        );
        let (status, mine) = get_json(&app, &member, "/api/v1/applications").await;
        assert_eq!(status, StatusCode::OK);
        let first = mine
            .as_array()
            .unwrap()
            .first()
            .expect("kawaguchi-01 applied")
            .clone();
        assert_eq!(first["company_key"], "kawaguchi-01");
        let id = first["id"].as_i64().unwrap();
        let page = format!("/applications/{id}");
        let api = format!("/api/v1/applications/{id}");
        assert_eq!(both(&app, &member, &page, &api).await, (200, 200));
        assert_eq!(both(&app, &other, &page, &api).await, (404, 404));
        assert_eq!(both(&app, &anonymous, &page, &api).await, (303, 401));
        let (_, application) = get_json(&app, &member, &api).await;
        assert_eq!(application["id"], id);
        assert!(!application["history"].as_array().unwrap().is_empty());
        assert_eq!(application["may_decide"], false);
        let not_a_number = app.get(&member, "/api/v1/applications/abc").await;
        assert_problem(
            &not_a_number,
            StatusCode::NOT_FOUND,
            "an id that is not a number",
        );

        // A member may not review: refused before the body is read, in Japanese.
        let token = api_token(&app, &member).await;
        let review = send(
            &app,
            &member,
            Method::POST,
            &format!("{api}/reviews"),
            Some(&token),
            &json!({"score": "80", "comment": "良い"}),
        )
        .await;
        assert_problem(&review, StatusCode::FORBIDDEN, "a member reviews");
    })
    .await;
}

#[tokio::test]
async fn offices_facilities_and_visits_answer_as_their_pages() {
    on_each_backend(|app| async move {
        let anonymous = app.client();
        let admin = app.admin().await;
        let member = company_member(
            &app,
            &admin,
            "api-offices@kawaguchi-01.example.jp",
            "kawaguchi-01",
        )
        .await;
        let other = app
            .staff(&admin, "api-offices@city.kaga.example.jp", "kaga")
            .await;

        let (status, offices) = get_json(&app, &anonymous, "/api/v1/offices").await;
        assert_eq!(status, StatusCode::OK);
        let page = app.text(&anonymous, "/offices").await;
        assert!(!offices.as_array().unwrap().is_empty());
        for office in offices.as_array().unwrap() {
            assert!(page.contains(office["name"].as_str().unwrap()), "{office}");
        }
        let (status, pairs) = get_json(&app, &anonymous, "/api/v1/offices/pairs").await;
        assert_eq!(status, StatusCode::OK);
        let total: u64 = pairs
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["visits"].as_u64().unwrap())
            .sum();
        assert!(total > 0, "the demonstration data has approved visits");

        let visits = app.get(&anonymous, "/api/v1/offices/visits").await;
        assert_problem(&visits, StatusCode::UNAUTHORIZED, "anonymous visits");
        let (status, _) = get_json(&app, &member, "/api/v1/offices/visits").await;
        assert_eq!(status, StatusCode::OK);

        // Booking: what was typed wrong comes back per field; deciding someone
        // else's visit is refused as on the page.
        let token = api_token(&app, &member).await;
        let booked = send(
            &app,
            &member,
            Method::POST,
            "/api/v1/offices/visits",
            Some(&token),
            &json!({"office": "", "company": "kawaguchi-01", "visit_on": "", "days": "x"}),
        )
        .await;
        assert_problem(
            &booked,
            StatusCode::UNPROCESSABLE_ENTITY,
            "an empty booking",
        );
        let problem: Value = booked.json().await.unwrap();
        assert!(
            problem["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == "office")
        );
        let token = api_token(&app, &other).await;
        let decided = send(
            &app,
            &other,
            Method::POST,
            "/api/v1/offices/visits/1/decision",
            Some(&token),
            &json!({"decision": "approve"}),
        )
        .await;
        let page = app
            .post_form(&other, "/offices/visits/1", &[("decision", "approve")])
            .await;
        assert_eq!(decided.status(), page.status(), "API and page refuse alike");
        assert!(decided.status().is_client_error());

        let (status, facilities) = get_json(&app, &anonymous, "/api/v1/facilities").await;
        assert_eq!(status, StatusCode::OK);
        let page = app.text(&anonymous, "/facilities").await;
        assert!(!facilities.as_array().unwrap().is_empty());
        for facility in facilities.as_array().unwrap() {
            assert!(
                page.contains(facility["name"].as_str().unwrap()),
                "{facility}"
            );
        }
        let (_, kawaguchi) = get_json(&app, &anonymous, "/api/v1/facilities?city=kawaguchi").await;
        assert!(
            kawaguchi
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["city"] == "kawaguchi")
        );
        let bad = app
            .get(&anonymous, "/api/v1/facilities?city=atlantis")
            .await;
        assert_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "an unknown city");
    })
    .await;
}

#[tokio::test]
async fn people_show_contacts_to_their_organisation_only() {
    on_each_backend(|app| async move {
        let anonymous = app.client();
        let admin = app.admin().await;
        let owner = app
            .staff(&admin, "api-people@city.kawaguchi.example.jp", "kawaguchi")
            .await;
        let other = app
            .staff(&admin, "api-people@city.kaga.example.jp", "kaga")
            .await;
        let member =
            company_member(&app, &admin, "api-people@kawaguchi-01.example.jp", "kawaguchi-01")
                .await;

        let (status, public) = get_json(&app, &anonymous, "/api/v1/people").await;
        assert_eq!(status, StatusCode::OK);
        assert!(public.as_array().unwrap().iter().all(|p| p["public"] == true));
        assert!(public.as_array().unwrap().iter().all(|p| p["contact"].is_null()));
        let (_, students) = get_json(&app, &anonymous, "/api/v1/people?kind=student").await;
        assert!(students.as_array().unwrap().iter().all(|p| p["kind"] == "student"));
        let bad = app.get(&anonymous, "/api/v1/people?kind=wizard").await;
        assert_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "an unknown kind");

        // student-1 is kept by 川口市 and not public: as on /people/student-1.
        let page = "/people/student-1";
        let api = "/api/v1/people/student-1";
        assert_eq!(both(&app, &anonymous, page, api).await, (404, 404));
        assert_eq!(both(&app, &member, page, api).await, (404, 404));
        assert_eq!(both(&app, &other, page, api).await, (404, 404));
        assert_eq!(both(&app, &owner, page, api).await, (200, 200));
        let (_, person) = get_json(&app, &owner, api).await;
        assert!(person["contact"]["email"].is_string());

        // Registering, correcting and deleting: the owner's staff; other staff get
        // what the pages give.
        let token = api_token(&app, &owner).await;
        let created = send(
            &app,
            &owner,
            Method::POST,
            "/api/v1/people",
            Some(&token),
            &json!({"kind": "designer", "name": "API 花子", "kana": "えーぴーあい はなこ",
                    "city": "kawaguchi", "capabilities": ["woodwork"], "email": "hanako@example.jp"}),
        )
        .await;
        assert_eq!(created.status(), StatusCode::CREATED);
        let person: Value = created.json().await.unwrap();
        let key = person["key"].as_str().unwrap().to_owned();
        assert_eq!(person["organisation"], "kawaguchi");
        let empty = send(&app, &owner, Method::POST, "/api/v1/people", Some(&token), &json!({}))
            .await;
        assert_problem(&empty, StatusCode::UNPROCESSABLE_ENTITY, "an empty person");
        let other_token = api_token(&app, &other).await;
        let foreign = send(
            &app,
            &other,
            Method::DELETE,
            &format!("/api/v1/people/{key}?reason=本人の申出"),
            Some(&other_token),
            &json!({}),
        )
        .await;
        assert_problem(&foreign, StatusCode::NOT_FOUND, "another city deletes");
        let no_reason = send(
            &app,
            &owner,
            Method::DELETE,
            &format!("/api/v1/people/{key}"),
            Some(&token),
            &json!({}),
        )
        .await;
        assert_problem(&no_reason, StatusCode::UNPROCESSABLE_ENTITY, "no reason");
        let deleted = send(
            &app,
            &owner,
            Method::DELETE,
            &format!("/api/v1/people/{key}?reason=本人の申出"),
            Some(&token),
            &json!({}),
        )
        .await;
        assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
        let gone = app.get(&owner, &format!("/api/v1/people/{key}")).await;
        assert_problem(&gone, StatusCode::NOT_FOUND, "deleted");
    })
    .await;
}

#[tokio::test]
async fn diagnoses_and_survey_tracking_are_the_owning_chambers() {
    on_each_backend(|app| async move {
        let anonymous = app.client();
        let admin = app.admin().await;
        let owner = app
            .staff(&admin, "api-diag@sumida.example.jp", "tokyo-cci-sumida")
            .await;
        let other = app
            .staff(&admin, "api-diag@city.kaga.example.jp", "kaga")
            .await;
        let member = company_member(
            &app,
            &admin,
            "api-diag@kawaguchi-01.example.jp",
            "kawaguchi-01",
        )
        .await;

        for (page, api) in [
            (
                format!("/forms/{DIAGNOSTIC}/diagnoses"),
                format!("/api/v1/forms/{DIAGNOSTIC}/diagnoses"),
            ),
            (
                format!("/forms/{DIAGNOSTIC}/survey"),
                format!("/api/v1/forms/{DIAGNOSTIC}/survey"),
            ),
        ] {
            assert_eq!(
                both(&app, &anonymous, &page, &api).await,
                (303, 401),
                "{api}"
            );
            assert_eq!(both(&app, &member, &page, &api).await, (403, 403), "{api}");
            assert_eq!(both(&app, &other, &page, &api).await, (403, 403), "{api}");
            assert_eq!(both(&app, &owner, &page, &api).await, (200, 200), "{api}");
            let refused = app.get(&other, &api).await;
            assert_problem(&refused, StatusCode::FORBIDDEN, &api);
        }

        let (_, rows) = get_json(
            &app,
            &owner,
            &format!("/api/v1/forms/{DIAGNOSTIC}/diagnoses"),
        )
        .await;
        let page = app
            .text(&owner, &format!("/forms/{DIAGNOSTIC}/diagnoses"))
            .await;
        let rows = rows.as_array().unwrap();
        assert!(!rows.is_empty(), "the demonstration diagnoses");
        let diagnosed = rows
            .iter()
            .find(|r| r["diagnosis"].is_object())
            .expect("a scored diagnosis");
        assert!(page.contains(diagnosed["company_name"].as_str().unwrap()));
        let percent = diagnosed["diagnosis"]["total"]["percent"].as_u64().unwrap();
        assert!(percent <= 100);
        let company = diagnosed["company_key"].as_str().unwrap();

        // One company's result: the same numbers as the list; follow-ups are staff's.
        let (status, result) = get_json(
            &app,
            &owner,
            &format!("/api/v1/forms/{DIAGNOSTIC}/diagnoses/{company}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(result["diagnosis"]["total"]["percent"], percent);
        let refused = app
            .get(
                &other,
                &format!("/api/v1/forms/{DIAGNOSTIC}/diagnoses/{company}/followups"),
            )
            .await;
        assert_problem(&refused, StatusCode::FORBIDDEN, "another city's follow-ups");
        let (status, _) = get_json(
            &app,
            &owner,
            &format!("/api/v1/forms/{DIAGNOSTIC}/diagnoses/{company}/followups"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);

        // Recording a follow-up: the owning chamber's staff; another city's staff are
        // refused as on the page, and a next date that cannot be read is named.
        let followups = format!("/api/v1/forms/{DIAGNOSTIC}/diagnoses/{company}/followups");
        let token = api_token(&app, &owner).await;
        let record = json!({"happened_on": "2026-11-20", "kind": "面談", "partner": "城東信用金庫",
                            "note": "設備投資の資金繰りを相談", "next_action": "融資相談", "next_on": "2026-12-01"});
        let added = send(&app, &owner, Method::POST, &followups, Some(&token), &record).await;
        assert_eq!(added.status(), StatusCode::CREATED);
        let added: Value = added.json().await.unwrap();
        let last = added.as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["partner"], "城東信用金庫");
        assert_eq!(last["next_on"], "2026-12-01");
        let page = app
            .text(&owner, &format!("/forms/{DIAGNOSTIC}/followups?company={company}"))
            .await;
        assert!(page.contains("設備投資の資金繰りを相談"));
        let mut unreadable = record.clone();
        unreadable["next_on"] = json!("来月");
        let refused = send(&app, &owner, Method::POST, &followups, Some(&token), &unreadable).await;
        assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, "an unreadable date");
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "next_on");
        let token = api_token(&app, &other).await;
        let foreign = send(&app, &other, Method::POST, &followups, Some(&token), &record).await;
        assert_problem(&foreign, StatusCode::FORBIDDEN, "another city's staff record");

        let (_, tracking) =
            get_json(&app, &owner, &format!("/api/v1/forms/{DIAGNOSTIC}/survey")).await;
        assert_eq!(tracking["page"], 1);
        let bad = app
            .get(
                &owner,
                &format!("/api/v1/forms/{DIAGNOSTIC}/survey?status=lost"),
            )
            .await;
        assert_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "an unknown status");
    })
    .await;
}

#[tokio::test]
async fn the_document_describes_every_response_and_declares_its_security() {
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    let client = app.client();
    let (status, document) = get_json(&app, &client, "/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes["sessionCookie"]["in"], "cookie");
    assert_eq!(schemes["sessionCookie"]["name"], "renkei_session");
    assert_eq!(schemes["csrfToken"]["in"], "header");
    assert_eq!(schemes["csrfToken"]["name"], "X-CSRF-Token");
    let mut responses = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (code, response) in operation["responses"].as_object().unwrap() {
                responses += 1;
                let description = response["description"].as_str().unwrap_or_default();
                assert!(!description.trim().is_empty(), "{method} {path} {code}");
            }
            let security = operation["security"].as_array().expect("security");
            if method == "get" {
                assert!(!security.is_empty(), "{method} {path}");
            } else {
                assert_eq!(
                    security,
                    &vec![json!({"sessionCookie": [], "csrfToken": []})],
                    "{method} {path}"
                );
            }
        }
    }
    assert!(responses > 352, "{responses} responses");
    // Reads that need a session say so; public ones allow none.
    let needs = |path: &str| document["paths"][path]["get"]["security"].clone();
    assert_eq!(
        needs("/api/v1/applications"),
        json!([{"sessionCookie": []}])
    );
    assert_eq!(needs("/api/v1/calls"), json!([{}, {"sessionCookie": []}]));
    // Every resource of the pages named in the issue has its operations.
    for path in [
        "/api/v1/calls",
        "/api/v1/calls/{key}/applications",
        "/api/v1/applications/{id}",
        "/api/v1/offices",
        "/api/v1/offices/visits",
        "/api/v1/facilities",
        "/api/v1/people",
        "/api/v1/people/{key}",
        "/api/v1/forms/{key}/diagnoses",
        "/api/v1/forms/{key}/survey",
    ] {
        assert!(document["paths"][path]["get"].is_object(), "{path}");
    }

    // The reference page: Japanese, under our policy, nothing from elsewhere, and
    // it says how to authenticate and what each answer means.
    let response = app.get(&client, "/api/docs").await;
    assert_eq!(response.status(), StatusCode::OK);
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("script-src 'self'") && policy.contains("default-src 'self'"));
    let page = response.text().await.unwrap();
    assert!(page.contains("<html lang=\"ja\">"));
    assert!(
        !page.contains("src=\"http") && !page.contains("href=\"http") && !page.contains("src=\"//"),
        "nothing from a CDN"
    );
    assert!(page.contains("X-CSRF-Token"));
    assert!(page.contains("ログインしたセッションCookieが必要"));
    assert!(page.contains("GET /api/v1/offices"));
    assert!(page.contains("<code>401</code> ログインが必要です"));
}

/// The staff's actions that had a page and no API (issue 17): a survey sent to the
/// directory, a company list uploaded and sent to, a reminder round, a call's
/// settings, and figures written into KPIs — each the page's store call, refused to
/// those the page refuses, with problem+json.
#[tokio::test]
async fn survey_rounds_call_settings_and_kpi_feeding_have_their_api_twins() {
    on_each_backend(|app| async move {
        use crate::surveys::{KEY, create_survey};

        let admin = app.admin().await;
        let staff = app
            .staff(&admin, "api-twins@city.kawaguchi.example.jp", "kawaguchi")
            .await;
        let other = app
            .staff(&admin, "api-twins@city.kaga.example.jp", "kaga")
            .await;
        let anonymous = app.client();
        create_survey(&app, &staff).await;
        let token = api_token(&app, &staff).await;
        let send_path = format!("/api/v1/forms/{KEY}/survey/send");

        // Sending: the page's recipients rule (8 metal-products companies of 川口).
        let body = json!({"city": "kawaguchi", "industry": "24", "size": "", "mail": false});
        let sent = send(&app, &staff, Method::POST, &send_path, Some(&token), &body).await;
        assert_eq!(sent.status(), StatusCode::OK);
        let sent: Value = sent.json().await.unwrap();
        assert_eq!(sent["invited"], 8, "{sent}");
        assert_eq!(sent["mail"]["queued"], 0, "links only");
        let page = app.text(&staff, &format!("/forms/{KEY}/survey")).await;
        assert!(page.contains("<dt>配布</dt><dd>8社</dd>"), "the page counts them");
        let again = send(&app, &staff, Method::POST, &send_path, Some(&token), &body).await;
        let again: Value = again.json().await.unwrap();
        assert_eq!((again["invited"].as_u64(), again["already"].as_u64()), (Some(0), Some(8)));
        let wrong = json!({"city": "kawaguchi", "industry": "", "size": "huge"});
        let refused = send(&app, &staff, Method::POST, &send_path, Some(&token), &wrong).await;
        assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, "an unknown size");
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "size");
        let other_token = api_token(&app, &other).await;
        let foreign = send(&app, &other, Method::POST, &send_path, Some(&other_token), &body).await;
        assert_problem(&foreign, StatusCode::FORBIDDEN, "another city's staff");
        let nobody = send(&app, &anonymous, Method::POST, &send_path, None, &body).await;
        assert!(nobody.status().is_client_error());

        // Uploading a list: imported, then sent to; a list with no row is refused.
        let upload = format!("/api/v1/forms/{KEY}/survey/upload");
        let list = "会社名,フリガナ,市区町村,住所,業種\n株式会社API配布テスト,エーピーアイハイフテスト,川口市,埼玉県川口市本町1-1,24\n";
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(list.as_bytes().to_vec()).file_name("list.csv"),
        );
        let uploaded = staff
            .post(app.url(&upload))
            .header("x-csrf-token", &token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(uploaded.status(), StatusCode::OK);
        let uploaded: Value = uploaded.json().await.unwrap();
        assert_eq!(uploaded["inserted"], 1, "{uploaded}");
        assert_eq!(uploaded["invited"], 1, "{uploaded}");
        let empty = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes("会社名\n".as_bytes().to_vec()).file_name("empty.csv"),
        );
        let refused = staff
            .post(app.url(&upload))
            .header("x-csrf-token", &token)
            .multipart(empty)
            .send()
            .await
            .unwrap();
        assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, "a list with no row");
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "file");
        let not_multipart = send(&app, &staff, Method::POST, &upload, Some(&token), &json!({})).await;
        assert_problem(&not_multipart, StatusCode::BAD_REQUEST, "JSON instead of a file");
        let foreign = send(&app, &other, Method::POST, &upload, Some(&other_token), &json!({})).await;
        assert_problem(&foreign, StatusCode::FORBIDDEN, "refused before the file is read");

        // A reminder round: the nine that have not answered.
        let remind = format!("/api/v1/forms/{KEY}/survey/remind");
        let reminded = send(&app, &staff, Method::POST, &remind, Some(&token), &json!({})).await;
        assert_eq!(reminded.status(), StatusCode::OK);
        let reminded: Value = reminded.json().await.unwrap();
        assert_eq!((reminded["reminded"].as_u64(), reminded["round"].as_u64()), (Some(9), Some(1)));
        let (_, tracking) = get_json(&app, &staff, &format!("/api/v1/forms/{KEY}/survey")).await;
        assert_eq!(tracking["counts"]["reminder_rounds"], 1, "{tracking}");

        // A call's settings: read and saved as on the settings page.
        let settings = format!("/api/v1/calls/{CALL}/settings");
        let (status, read) = get_json(&app, &staff, &settings).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(read["kind"], "subsidy", "{read}");
        let (status, _) = get_json(&app, &other, &settings).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = get_json(&app, &anonymous, &settings).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let mut changed = json!({
            "kind": read["kind"], "registry_kind": read["registry_kind"],
            "category_question": read["category_question"], "title_question": read["title_question"],
            "summary_question": read["summary_question"], "amount_limit": 30000,
            "reviewers": read["reviewers"],
        });
        let saved = send(&app, &staff, Method::PUT, &settings, Some(&token), &changed).await;
        assert_eq!(saved.status(), StatusCode::OK);
        let saved: Value = saved.json().await.unwrap();
        assert_eq!(saved["amount_limit"], 30000);
        let page = app.text(&staff, &format!("/calls/{CALL}/settings")).await;
        assert!(page.contains("30000"), "the page shows what the API saved");
        changed["kind"] = json!("lottery");
        let refused = send(&app, &staff, Method::PUT, &settings, Some(&token), &changed).await;
        assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, "an unknown kind");
        let foreign = send(&app, &other, Method::PUT, &settings, Some(&other_token), &changed).await;
        assert_problem(&foreign, StatusCode::FORBIDDEN, "another city's staff");

        // KPI feeding: the invented records are never counted into the council's
        // figures (the same refusal as the pages), another organisation is refused.
        let cci = app
            .staff(&admin, "api-twins@kawaguchi-cci.example.jp", "kawaguchi-cci")
            .await;
        let cci_token = api_token(&app, &cci).await;
        let feed = json!({"initiative": "kawaguchi-cci-matching-fair", "fy": "平成28年度"});
        let refused = send(&app, &cci, Method::POST, "/api/v1/negotiations/kpis", Some(&cci_token), &feed).await;
        assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, "only invented 商談");
        let problem: Value = refused.json().await.unwrap();
        assert!(problem["errors"][0]["reason"].as_str().unwrap().contains("デモ"), "{problem}");
        let foreign = send(&app, &staff, Method::POST, "/api/v1/negotiations/kpis", Some(&token), &feed).await;
        assert_problem(&foreign, StatusCode::FORBIDDEN, "川口市 cannot write 川口商工会議所's KPIs");
        let unreadable = json!({"initiative": "kawaguchi-cci-matching-fair", "fy": "去年"});
        let refused = send(&app, &cci, Method::POST, "/api/v1/negotiations/kpis", Some(&cci_token), &unreadable).await;
        assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, "an unreadable year");
        // A year with no record at all writes nothing either.
        let empty_year = json!({"initiative": "kawaguchi-cci-matching-fair", "fy": "2025"});
        let refused = send(&app, &cci, Method::POST, "/api/v1/negotiations/kpis", Some(&cci_token), &empty_year).await;
        assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, "no record to count");

        let chamber = app
            .staff(&admin, "api-twins@sumida.tokyo-cci.example.jp", "tokyo-cci-sumida")
            .await;
        let chamber_token = api_token(&app, &chamber).await;
        let kpis = format!("/api/v1/forms/{DIAGNOSTIC}/kpis");
        let feed = json!({"initiative": "tokyo-cci-sumida-ceo60-health-check", "fy": "2016"});
        let refused = send(&app, &chamber, Method::POST, &kpis, Some(&chamber_token), &feed).await;
        assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, "only invented applications");
        let foreign = send(&app, &staff, Method::POST, &kpis, Some(&token), &feed).await;
        assert_problem(&foreign, StatusCode::FORBIDDEN, "川口市 is not the chamber");
    })
    .await;
}
