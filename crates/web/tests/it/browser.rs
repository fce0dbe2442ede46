//! A real headless Chromium (Debian's `chromium` + `chromium-driver`) clicks through
//! the foundation: sign in, change the one-time password, edit an initiative's KPI,
//! find it in the annual report and the audit log — and every page it visits is
//! checked with axe-core at WCAG 2.x A/AA with zero violations allowed.
//!
//! Skipped (with a message) where chromedriver or axe-core is missing, except in CI
//! (`CI=true`), where their absence fails the test.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::harness::{TestApp, between};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

fn axe_source() -> Option<String> {
    let path = std::env::var("RENKEI_AXE_JS").unwrap_or_else(|_| {
        format!(
            "{}/../../node_modules/axe-core/axe.min.js",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    std::fs::read_to_string(path).ok()
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_browser() -> Option<(Driver, Client)> {
    if !std::path::Path::new(CHROMEDRIVER).exists() {
        return None;
    }
    // Two TLS back-ends are in the test binary's dependency tree; pick one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let port = free_port();
    let driver = Driver(
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?,
    );
    let profile =
        std::env::temp_dir().join(format!("renkei-chromium-{}-{port}", std::process::id()));
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-dev-shm-usage", "--disable-component-update", "--disable-sync", "--no-first-run",
                     format!("--user-data-dir={}", profile.display()), "--window-size=1280,900"]
        }),
    );
    for _ in 0..50 {
        let mut builder = ClientBuilder::rustls().ok()?;
        builder.capabilities(capabilities.clone());
        if let Ok(client) = builder.connect(&format!("http://127.0.0.1:{port}")).await {
            return Some((driver, client));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    None
}

/// axe-core's violations on the current page, one line each.
async fn violations(browser: &Client, axe: &str) -> Vec<String> {
    browser
        .execute(&format!("{axe}\n;return true;"), vec![])
        .await
        .expect("axe injected");
    let result = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
                .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' @ ' + v.nodes.map(n => n.target.join(' ')).join(' | '))))
                .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("axe ran");
    serde_json::from_value(result).expect("axe returns a list of violations")
}

/// Runs axe-core on the current page and fails with every violation found.
async fn assert_accessible(browser: &Client, axe: &str, page: &str) {
    let found = violations(browser, axe).await;
    assert!(
        found.is_empty(),
        "axe-core violations on {page}:\n{}",
        found.join("\n")
    );
}

async fn visit(browser: &Client, axe: &str, app: &TestApp, path: &str) {
    browser.goto(&app.url(path)).await.unwrap();
    assert_accessible(browser, axe, path).await;
}

async fn fill(browser: &Client, css: &str, text: &str) {
    let field = browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("field {css}"));
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// The page once it shows `text`: a click on submit returns before the next page
/// has loaded, so read the page only when it has arrived (or fail after 10 s).
async fn page_showing(browser: &Client, text: &str) -> String {
    for _ in 0..100 {
        let page = browser.source().await.unwrap_or_default();
        if page.contains(text) {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never showed 「{text}」");
}

async fn submit(browser: &Client, css: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_clerk_signs_in_edits_a_kpi_and_finds_it_in_the_report_with_no_accessibility_violations()
{
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let (Some(axe), Some((_driver, browser))) = (axe_source(), start_browser().await) else {
        assert!(
            !in_ci,
            "CI must run the browser test: install chromium, chromium-driver and `npm ci` for axe-core"
        );
        eprintln!(
            "browser test skipped: needs {CHROMEDRIVER}, {CHROMIUM} and node_modules/axe-core (npm ci)"
        );
        return;
    };
    let app = TestApp::spawn_with(store::Backend::Sqlite, web::WebOptions::default()).await;

    // The checker itself must catch a broken page, or its silence proves nothing.
    browser.goto(&app.url("/")).await.unwrap();
    browser
        .execute("const img = document.createElement('img'); img.src = 'data:,'; document.querySelector('main').appendChild(img); return true;", vec![])
        .await
        .unwrap();
    let found = violations(&browser, &axe).await;
    assert!(
        found.iter().any(|v| v.starts_with("image-alt")),
        "axe must report an image without alt: {found:?}"
    );

    for path in [
        "/",
        "/initiatives",
        "/initiatives?pillar=2&fy=2017",
        "/events",
        "/events/calendar?month=2016-11",
        "/events/week?date=2016-11-25",
        "/events/clashes",
        "/events/ota-2016-open-factory",
        "/events/ota-2016-open-factory/register",
        "/embed/events?city=ota",
        "/cities/ota",
        "/pillars/2",
        "/login",
    ] {
        visit(&browser, &axe, &app, path).await;
    }
    fill(&browser, "#email", "admin@renkei.local").await;
    fill(&browser, "#password", &app.admin_password).await;
    submit(&browser, "form[action='/login'] button[type=submit]").await;
    page_showing(&browser, "初回ログインです").await;
    assert!(
        browser
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/account/password")
    );
    assert_accessible(&browser, &axe, "/account/password").await;
    fill(&browser, "#current_password", &app.admin_password).await;
    fill(&browser, "#new_password", "council-secretariat-2026").await;
    submit(
        &browser,
        "form[action='/account/password'] button[type=submit]",
    )
    .await;
    page_showing(&browser, "パスワードを変更しました").await;

    let initiative = app.first_initiative_of("ota").await;
    let key = initiative["key"].as_str().unwrap();
    visit(&browser, &axe, &app, &format!("/initiatives/{key}")).await;
    visit(
        &browser,
        &axe,
        &app,
        &format!("/initiatives/{key}/years/2017/edit"),
    )
    .await;
    let first_label = "input[name=kpi_label]";
    fill(&browser, first_label, "ブラウザで追加した指標").await;
    fill(&browser, "input[name=kpi_value]", "7").await;
    fill(&browser, "input[name=kpi_unit]", "社").await;
    submit(&browser, "form.stack button[type=submit]").await;
    page_showing(&browser, "ブラウザで追加した指標").await;
    assert_accessible(&browser, &axe, "detail after save").await;

    // A form error keeps what was typed and is itself accessible.
    visit(&browser, &axe, &app, &format!("/initiatives/{key}/edit")).await;
    fill(&browser, "#title", "").await;
    browser
        .execute(
            "document.getElementById('title').removeAttribute('required'); return true;",
            vec![],
        )
        .await
        .unwrap();
    fill(&browser, "#description", "説明は残る").await;
    submit(&browser, "form.stack button[type=submit]").await;
    let page = page_showing(&browser, "施策名：入力してください").await;
    assert!(page.contains("説明は残る"), "typed description kept");
    assert_accessible(&browser, &axe, "initiative form with errors").await;

    visit(&browser, &axe, &app, "/reports/annual?fy=2016&fy=2017").await;
    assert!(
        browser
            .source()
            .await
            .unwrap()
            .contains("ブラウザで追加した指標：7社")
    );
    // A new 尼崎市 event through the form reaches the month grid.
    visit(&browser, &axe, &app, "/events/new").await;
    fill(&browser, "#title", "ブラウザで登録した表彰式").await;
    browser
        .execute(
            "document.getElementById('organisation').value = 'amagasaki';
             document.getElementById('city').value = 'amagasaki';
             document.getElementById('event_type').value = 'award_ceremony';
             document.querySelector('input[name=pillars][value=\"2\"]').checked = true;
             document.getElementById('start_date').value = '2031-03-10';
             document.getElementById('start_time').value = '15:00';
             document.getElementById('end_time').value = '17:00';
             return true;",
            vec![],
        )
        .await
        .unwrap();
    submit(&browser, "form.stack button[type=submit]").await;
    page_showing(&browser, "2031年3月10日（月） 15:00〜17:00").await;
    assert_accessible(&browser, &axe, "event detail after create").await;
    visit(
        &browser,
        &axe,
        &app,
        "/events/calendar?month=2031-03&city=282022",
    )
    .await;
    assert!(
        browser
            .source()
            .await
            .unwrap()
            .contains("ブラウザで登録した表彰式")
    );
    visit(&browser, &axe, &app, "/events/ota-2017-open-factory/edit").await;
    visit(
        &browser,
        &axe,
        &app,
        "/events/ota-2017-open-factory/registrations",
    )
    .await;
    visit(&browser, &axe, &app, "/admin/users").await;
    visit(&browser, &axe, &app, "/admin/audit").await;
    assert!(
        browser
            .source()
            .await
            .unwrap()
            .contains("admin@renkei.local")
    );
    browser.close().await.unwrap();
}

#[tokio::test]
async fn the_directory_needs_and_negotiations_pages_have_no_accessibility_violations() {
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let (Some(axe), Some((_driver, browser))) = (axe_source(), start_browser().await) else {
        assert!(
            !in_ci,
            "CI must run the browser test: install chromium, chromium-driver and `npm ci` for axe-core"
        );
        eprintln!(
            "browser test skipped: needs {CHROMEDRIVER}, {CHROMIUM} and node_modules/axe-core (npm ci)"
        );
        return;
    };
    let app = TestApp::spawn_with(store::Backend::Sqlite, web::WebOptions::default()).await;
    for path in [
        "/companies",
        "/companies?q=%E5%88%87%E5%89%8A&process=cutting",
        "/companies/higashiosaka-01",
        "/needs",
        "/needs/need-1",
        "/negotiations/dashboard?fy=2016",
        "/people",
        "/facilities",
    ] {
        visit(&browser, &axe, &app, path).await;
    }

    browser.goto(&app.url("/login")).await.unwrap();
    fill(&browser, "#email", "admin@renkei.local").await;
    fill(&browser, "#password", &app.admin_password).await;
    submit(&browser, "form[action='/login'] button[type=submit]").await;
    page_showing(&browser, "初回ログインです").await;
    fill(&browser, "#current_password", &app.admin_password).await;
    fill(&browser, "#new_password", "council-secretariat-2026").await;
    submit(
        &browser,
        "form[action='/account/password'] button[type=submit]",
    )
    .await;
    page_showing(&browser, "パスワードを変更しました").await;

    for path in [
        "/companies/ota-10",
        "/companies/new",
        "/companies/ota-03/edit",
        "/companies/import",
        "/needs/new",
        "/negotiations",
        "/negotiations/seed-001",
        "/people?kind=successor",
    ] {
        visit(&browser, &axe, &app, path).await;
    }

    // The secretariat sees ranked candidates with their reasons, and proposes one.
    visit(&browser, &axe, &app, "/needs/need-1").await;
    let page = page_showing(&browser, "マッチング候補").await;
    assert!(
        page.contains("必須の認証 ISO 13485 を保有"),
        "reasons shown"
    );
    submit(
        &browser,
        "form[action='/needs/need-1/propose'] button[type=submit]",
    )
    .await;
    page_showing(&browser, "次の段階を記録する").await;
    assert_accessible(&browser, &axe, "a new negotiation").await;

    // A company form with errors keeps what was typed and stays accessible.
    visit(&browser, &axe, &app, "/companies/ota-03/edit").await;
    fill(&browser, "#kana", "haneda").await;
    fill(&browser, "#description", "説明は残る").await;
    submit(&browser, "form.stack button[type=submit]").await;
    let page = page_showing(&browser, "フリガナはカタカナで").await;
    assert!(page.contains("説明は残る"));
    assert_accessible(&browser, &axe, "company form with errors").await;
}

#[tokio::test]
async fn a_hub_plans_a_job_reports_a_delay_and_sees_the_gantt_chart_with_no_accessibility_violations()
 {
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let (Some(axe), Some((_driver, browser))) = (axe_source(), start_browser().await) else {
        assert!(
            !in_ci,
            "CI must run the browser test: install chromium, chromium-driver and `npm ci` for axe-core"
        );
        eprintln!(
            "browser test skipped: needs {CHROMEDRIVER}, {CHROMIUM} and node_modules/axe-core (npm ci)"
        );
        return;
    };
    let app = TestApp::spawn_with(store::Backend::Sqlite, web::WebOptions::default()).await;
    visit(&browser, &axe, &app, "/network").await;

    browser.goto(&app.url("/login")).await.unwrap();
    fill(&browser, "#email", "admin@renkei.local").await;
    fill(&browser, "#password", &app.admin_password).await;
    submit(&browser, "form[action='/login'] button[type=submit]").await;
    page_showing(&browser, "初回ログインです").await;
    fill(&browser, "#current_password", &app.admin_password).await;
    fill(&browser, "#new_password", "council-secretariat-2026").await;
    submit(
        &browser,
        "form[action='/account/password'] button[type=submit]",
    )
    .await;
    page_showing(&browser, "パスワードを変更しました").await;

    // A form with an operation no machine can do comes back, accessible, as typed.
    visit(&browser, &axe, &app, "/network/jobs/new").await;
    fill(&browser, "#hub", "ota-05").await;
    fill(&browser, "#name", "医療機器ブラケット 200個").await;
    fill(&browser, "#release", "2026-11-24 08:00").await;
    fill(&browser, "#due", "2026-11-25 17:00").await;
    fill(&browser, "#operations", "切削").await;
    submit(&browser, "form[action='/network/jobs'] button[type=submit]").await;
    page_showing(&browser, "できる設備がありません").await;
    assert_accessible(&browser, &axe, "job form with errors").await;

    let lathe = crate::network::machine_id(&app, "ota-01", "NC旋盤 1号機").await;
    let plating = crate::network::machine_id(&app, "ota-03", "めっきライン").await;
    let inspection = crate::network::machine_id(&app, "ota-05", "組立・検査台").await;
    fill(
        &browser,
        "#operations",
        &format!("切削 {lathe}:240\nめっき {plating}:180\n検査 {inspection}:60"),
    )
    .await;
    submit(&browser, "form[action='/network/jobs'] button[type=submit]").await;
    page_showing(&browser, "未計画").await;
    assert_accessible(&browser, &axe, "a new job").await;

    submit(&browser, "form[action='/network/plan'] button[type=submit]").await;
    let page = page_showing(&browser, "計画を作り直しました").await;
    assert_accessible(&browser, &axe, "a planned job").await;
    let cut = between(&page, "name=\"operation\" value=\"", "\"").expect("a report form");

    // Cutting starts at its planned time (the form's default), then runs a day late.
    submit(&browser, &format!("#kind-{cut} ~ button[type=submit]")).await;
    page_showing(&browser, "進捗を記録しました").await;
    browser
        .find(Locator::Css(&format!("#kind-{cut} option[value=delay]")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let planned_end: String = serde_json::from_value(
        browser
            .execute(
                &format!("return document.getElementById('at-{cut}').value;"),
                vec![],
            )
            .await
            .unwrap(),
    )
    .unwrap();
    let late = domain::network::parse_time("at", &planned_end).unwrap() + 24 * 60;
    browser
        .execute(
            &format!("document.getElementById('at-{cut}').value = arguments[0];"),
            vec![json!(
                domain::network::from_minutes(late)
                    .format("%Y-%m-%dT%H:%M")
                    .to_string()
            )],
        )
        .await
        .unwrap();
    submit(&browser, &format!("#kind-{cut} ~ button[type=submit]")).await;
    let page = page_showing(&browser, "記録し、計画を作り直しました").await;
    assert!(page.contains("bar-late") && page.contains("⚠ 作業中・遅延 1日"));
    assert!(page.contains("遅延による再計画"));
    assert_accessible(&browser, &axe, "the job after a delay").await;

    for path in [
        "/network",
        "/network/factories/ota-01",
        &format!("/network/machines/{lathe}"),
        "/network/machines/new",
        "/network/import",
    ] {
        visit(&browser, &axe, &app, path).await;
    }
}
