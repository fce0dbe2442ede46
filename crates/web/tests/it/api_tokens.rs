//! API tokens (issue 22, item 6) over HTTP, with no cookie at all: 大田区's staff
//! issue a machine token for a lathe and an organisation token on `/account/tokens`
//! (shown once); the machine token reports progress and an outage of its lathe and
//! is refused (403) for another machine and any other route; the organisation token
//! reads and writes 大田区's records through `/api/v1` under the staff's rules; the
//! list shows the last use, the audit log every change made with a token, and a
//! revoked or made-up token is refused (401).

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{TestApp, between, company_member, on_each_backend};
use crate::network::{enter_job, machine_id};

/// Issues a token on the page; returns the token shown once.
pub async fn issue(app: &TestApp, staff: &Client, name: &str, machine: &str) -> String {
    let response = app
        .post_form(
            staff,
            "/account/tokens",
            &[("name", name), ("machine", machine)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK, "token {name}");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let page = response.text().await.unwrap();
    assert!(page.contains("二度と表示されません"));
    let token = between(&page, "<code id=\"issued-token\">", "</code>").expect("the token");
    assert!(token.starts_with("renkei_"), "{token}");
    token
}

/// A request with the token and nothing else: no cookie, no CSRF header.
async fn with_token(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let request = reqwest::Client::new()
        .request(method, app.url(path))
        .bearer_auth(token);
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    request.send().await.unwrap()
}

async fn detail(response: reqwest::Response) -> String {
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    problem["detail"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_machine_token_reports_for_its_machine_only_and_an_organisation_token_acts_as_staff() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let staff = app
            .staff(&admin, "tokens@city.ota.example.jp", "ota")
            .await;
        let hub = company_member(&app, &admin, "hub@ota-05.example.jp", "ota-05").await;
        let key = enter_job(&app, &hub).await;
        assert_eq!(
            app.post_form(&hub, "/network/plan", &[("job", &key)]).await.status(),
            StatusCode::SEE_OTHER
        );
        let job: Value = app
            .get(&hub, &format!("/api/v1/network/jobs/{key}"))
            .await
            .json()
            .await
            .unwrap();
        let ops = job["operations"].as_array().unwrap();
        let (cut, plate) = (ops[0]["id"].as_i64().unwrap(), ops[1]["id"].as_i64().unwrap());
        let start = ops[0]["planned_start"].as_str().unwrap().to_owned();
        let lathe = machine_id(&app, "ota-01", "NC旋盤 1号機").await;
        let plating = machine_id(&app, "ota-03", "めっきライン").await;

        // The form offers 大田区's machines only.
        let page = app.text(&staff, "/account/tokens").await;
        assert!(page.contains("NC旋盤 1号機") && page.contains("まだありません"));
        let machine = issue(&app, &staff, "旋盤1号機のタブレット", &lathe.to_string()).await;
        let city = issue(&app, &staff, "大田区 施策管理システム", "organisation").await;

        // The lathe's token: its operation's progress and its own outage, no CSRF.
        let reported = with_token(
            &app,
            &machine,
            Method::POST,
            &format!("/api/v1/network/operations/{cut}/events"),
            Some(json!({"kind": "start", "at": start})),
        )
        .await;
        assert_eq!(reported.status(), StatusCode::CREATED);
        let down = with_token(
            &app,
            &machine,
            Method::POST,
            &format!("/api/v1/network/machines/{lathe}/outages"),
            Some(json!({"from": "2026-11-24 13:00", "until": "2026-11-24 15:00", "note": "主軸の異音"})),
        )
        .await;
        assert_eq!(down.status(), StatusCode::CREATED);
        // …and nothing else: another machine, its operations, any other route.
        for (method, path, body) in [
            (Method::POST, format!("/api/v1/network/operations/{plate}/events"), Some(json!({"kind": "start", "at": start}))),
            (Method::POST, format!("/api/v1/network/machines/{plating}/outages"), Some(json!({"from": "2026-11-24 13:00"}))),
            (Method::GET, "/api/v1/network/jobs".to_owned(), None),
            (Method::GET, format!("/api/v1/network/jobs/{key}"), None),
            (Method::POST, "/api/v1/network/plan".to_owned(), Some(json!({}))),
            (Method::GET, "/api/v1/initiatives".to_owned(), None),
        ] {
            let refused = with_token(&app, &machine, method.clone(), &path, body).await;
            assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{method} {path}");
            assert!(detail(refused).await.contains("設備トークンで報告できるのは"));
        }
        // Pages are not for tokens, whichever.
        let page = with_token(&app, &city, Method::GET, "/network", None).await;
        assert_eq!(page.status(), StatusCode::FORBIDDEN);

        // The organisation token reads and writes as 大田区's staff, no CSRF.
        let jobs = with_token(&app, &city, Method::GET, "/api/v1/network/jobs", None).await;
        assert_eq!(jobs.status(), StatusCode::OK);
        let initiative = json!({
            "organisation": "ota", "title": "トークンで登録した施策",
            "description": "市のシステムから登録しました。", "pillars": [1], "program_kind": "other",
        });
        let created =
            with_token(&app, &city, Method::POST, "/api/v1/initiatives", Some(initiative.clone()))
                .await;
        assert_eq!(created.status(), StatusCode::CREATED);
        let mut elsewhere = initiative;
        elsewhere["organisation"] = json!("kawaguchi-cci");
        let refused =
            with_token(&app, &city, Method::POST, "/api/v1/initiatives", Some(elsewhere)).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "another organisation's record");

        // The list shows the last use; the audit log every change made with a token.
        let page = app.text(&staff, "/account/tokens").await;
        assert!(!page.contains("未使用"), "both were used");
        assert!(page.contains("設備「") && page.contains("団体のAPI（読み書き）"));
        let log = app
            .text(&admin, "/admin/audit?user=tokens@city.ota.example.jp")
            .await;
        assert!(
            log.contains(&format!(
                "APIトークン「旋盤1号機のタブレット」で POST /api/v1/network/operations/{cut}/events"
            )),
            "{log}"
        );
        assert!(log.contains("APIトークン「大田区 施策管理システム」で POST /api/v1/initiatives"));
        assert!(log.contains("APIトークン「旋盤1号機のタブレット」を発行"));

        // Revoked: refused from the next request on; a made-up token too.
        let id = between(&page, "action=\"/account/tokens/", "/revoke\"").unwrap();
        let revoked = app
            .post_form(&staff, &format!("/account/tokens/{id}/revoke"), &[])
            .await;
        assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
        let listed = app.text(&staff, "/account/tokens?done=revoked").await;
        assert!(listed.contains("取り消し済み"));
        let tokens = [machine.clone(), city.clone()];
        let refused_count = {
            let mut n = 0;
            for token in &tokens {
                let r = with_token(&app, token, Method::GET, "/api/v1/network/jobs", None).await;
                if r.status() == StatusCode::UNAUTHORIZED {
                    n += 1;
                }
            }
            n
        };
        assert_eq!(refused_count, 1, "exactly the revoked one is refused");
        let made_up = with_token(
            &app,
            &format!("renkei_{}", "0".repeat(64)),
            Method::GET,
            "/api/v1/network/jobs",
            None,
        )
        .await;
        assert_eq!(made_up.status(), StatusCode::UNAUTHORIZED);
        assert!(made_up.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));

        // Members, other organisations' staff and anonymous visitors issue nothing.
        let kaga = app.staff(&admin, "clerk@city.kaga.example.jp", "kaga").await;
        let refused = app
            .post_form(&kaga, "/account/tokens", &[("name", "x"), ("machine", &lathe.to_string())])
            .await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "not kaga's machine");
        let refused = app
            .post_form(&kaga, &format!("/account/tokens/{id}/revoke"), &[])
            .await;
        assert_eq!(refused.status(), StatusCode::NOT_FOUND, "not kaga's token");
        let refused = app
            .post_form(&hub, "/account/tokens", &[("name", "x"), ("machine", "organisation")])
            .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn the_openapi_document_declares_the_bearer_scheme_and_the_tokens_of_every_operation() {
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    let doc: Value = app
        .client()
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc["components"]["securitySchemes"]["bearerToken"]["scheme"],
        "bearer"
    );
    let mut machine = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let kinds = operation["x-api-tokens"].as_array().expect("x-api-tokens");
            assert!(kinds.contains(&json!("organisation")), "{method} {path}");
            if kinds.contains(&json!("machine")) {
                machine.push(format!("{method} {path}"));
            }
        }
    }
    assert_eq!(
        machine,
        [
            "post /api/v1/network/machines/{id}/outages",
            "post /api/v1/network/operations/{id}/events"
        ]
    );
    let reference = app.text(&app.client(), "/api/docs").await;
    assert!(reference.contains("Authorization: Bearer renkei_"));
}
