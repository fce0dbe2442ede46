//! A real headless Chromium (Debian's `chromium` + `chromium-driver`) clicks through
//! the foundation: sign in, change the one-time password, edit an initiative's KPI,
//! find it in the annual report and the audit log — and every page it visits is
//! checked with axe-core at WCAG 2.x A/AA with zero violations allowed, and must not
//! scroll sideways on a 390 px phone.
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

/// chromedriver and everything it started. chromedriver runs in a process group of
/// its own and Chromium (with its renderer, GPU and zygote processes) joins it, so
/// ending the group ends the whole browser: killing chromedriver alone left about
/// twelve Chromium processes per test running after the suite. `Drop` runs on success
/// and when a test fails, so no browser outlives its test.
pub(crate) struct Driver {
    child: Child,
    port: u16,
    /// The WebDriver session, once one is open, closed politely before the kill.
    session: Option<String>,
    profile: std::path::PathBuf,
}

impl Driver {
    /// Ends the WebDriver session over chromedriver's own HTTP API. Drop cannot await
    /// the fantoccini client (its connection runs on the test's runtime, which Drop
    /// blocks), so this is one blocking HTTP request with a short timeout.
    fn close_session(&self) {
        use std::io::{Read, Write};
        let Some(session) = &self.session else {
            return;
        };
        let Ok(mut stream) = std::net::TcpStream::connect_timeout(
            &std::net::SocketAddr::from(([127, 0, 0, 1], self.port)),
            Duration::from_secs(1),
        ) else {
            return;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let _ = write!(
            stream,
            "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        );
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
    }

    /// Signals every process of chromedriver's group.
    fn signal_group(&self, signal: &str) {
        let _ = Command::new("kill")
            .args([signal, "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.close_session();
        self.signal_group("-TERM");
        for _ in 0..20 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Whatever ignored the polite signal (or was orphaned by chromedriver's exit)
        // is still in the group.
        self.signal_group("-KILL");
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
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
    use std::os::unix::process::CommandExt;
    if !std::path::Path::new(CHROMEDRIVER).exists() {
        return None;
    }
    // Two TLS back-ends are in the test binary's dependency tree; pick one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let port = free_port();
    let profile =
        std::env::temp_dir().join(format!("renkei-chromium-{}-{port}", std::process::id()));
    let mut driver = Driver {
        child: Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?,
        port,
        session: None,
        profile: profile.clone(),
    };
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
            driver.session = client.session_id().await.ok().flatten();
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

/// axe-core and a started browser; `None` (the test skips, saying why) where they are
/// missing — except in CI, which must run every browser test.
pub(crate) async fn browser_or_skip() -> Option<(String, Driver, Client)> {
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let (Some(axe), Some((driver, browser))) = (axe_source(), start_browser().await) else {
        assert!(
            !in_ci,
            "CI must run the browser test: install chromium, chromium-driver and `npm ci` for axe-core"
        );
        eprintln!(
            "browser test skipped: needs {CHROMEDRIVER}, {CHROMIUM} and node_modules/axe-core (npm ci)"
        );
        return None;
    };
    Some((axe, driver, browser))
}

/// How wide a phone is: the page must fit it without scrolling sideways.
const PHONE_WIDTH: u32 = 390;

/// At a phone's width, how far the current page is wider than the screen (0 when it
/// fits) and the elements that stick out, one line each. The window is restored.
async fn overflow_on_a_phone(browser: &Client) -> (i64, Vec<String>) {
    let (width, height) = browser.get_window_size().await.expect("window size");
    browser
        .set_window_size(PHONE_WIDTH, 844)
        .await
        .expect("phone-sized window");
    let result = browser
        .execute(
            "const width = window.innerWidth;
             const over = document.documentElement.scrollWidth - width;
             const wide = [...document.querySelectorAll('body *')]
                 .filter(e => e.getBoundingClientRect().right > width + 1)
                 .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > width + 1))
                 .slice(0, 5)
                 .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' ' + Math.round(e.getBoundingClientRect().right) + 'px');
             return [over, wide];",
            vec![],
        )
        .await
        .expect("widths measured");
    browser
        .set_window_size(width as u32, height as u32)
        .await
        .expect("window restored");
    serde_json::from_value(result).expect("a width and a list")
}

/// Runs axe-core on the current page and fails with every violation found; then fails
/// if the page scrolls sideways on a phone (390 px).
pub(crate) async fn assert_accessible(browser: &Client, axe: &str, page: &str) {
    let found = violations(browser, axe).await;
    assert!(
        found.is_empty(),
        "axe-core violations on {page}:\n{}",
        found.join("\n")
    );
    let (over, wide) = overflow_on_a_phone(browser).await;
    assert!(
        over <= 0,
        "{page} scrolls sideways on a {PHONE_WIDTH} px phone by {over} px: {}",
        wide.join(", ")
    );
}

pub(crate) async fn visit(browser: &Client, axe: &str, app: &TestApp, path: &str) {
    browser.goto(&app.url(path)).await.unwrap();
    assert_accessible(browser, axe, path).await;
}

pub(crate) async fn fill(browser: &Client, css: &str, text: &str) {
    let field = browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("field {css}"));
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// The page once it shows `text`: a click on submit returns before the next page
/// has loaded, so read the page only when it has arrived (or fail after 10 s).
pub(crate) async fn page_showing(browser: &Client, text: &str) -> String {
    for _ in 0..100 {
        let page = browser.source().await.unwrap_or_default();
        if page.contains(text) {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never showed 「{text}」");
}

pub(crate) async fn submit(browser: &Client, css: &str) {
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
    let Some((axe, _driver, browser)) = browser_or_skip().await else {
        return;
    };
    let app = TestApp::spawn_with(
        store::Backend::Sqlite,
        web::WebOptions {
            two_step_for_secretariat: false,
            ..web::WebOptions::default()
        },
    )
    .await;

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
    // And the phone check must catch a page wider than the phone.
    browser
        .execute("const wide = document.createElement('div'); wide.style.width = '600px'; wide.textContent = '幅の広い要素'; document.querySelector('main').appendChild(wide); return true;", vec![])
        .await
        .unwrap();
    let (over, wide) = overflow_on_a_phone(&browser).await;
    assert!(
        over > 0 && wide.iter().any(|w| w.starts_with("div")),
        "a 600 px element must overflow a {PHONE_WIDTH} px phone: {over} {wide:?}"
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
    let Some((axe, _driver, browser)) = browser_or_skip().await else {
        return;
    };
    let app = TestApp::spawn_with(
        store::Backend::Sqlite,
        web::WebOptions {
            two_step_for_secretariat: false,
            ..web::WebOptions::default()
        },
    )
    .await;
    for path in [
        "/companies",
        "/companies?q=%E5%88%87%E5%89%8A&process=cutting",
        "/companies/higashiosaka-01",
        "/needs",
        "/needs/need-1",
        "/negotiations/dashboard?fy=2016",
        "/people",
        "/people/designer-1",
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
        "/people/successor-1",
        "/people/successor-1/edit",
        "/people/successor-1/delete",
    ] {
        visit(&browser, &axe, &app, path).await;
    }

    // A successor candidate's deletion on request: without a reason it is refused
    // (and stays accessible), with one the record is gone.
    visit(&browser, &axe, &app, "/people/successor-2/delete").await;
    submit(&browser, "form.stack button[type=submit]").await;
    page_showing(
        &browser,
        "削除の理由（依頼の日付・依頼者など）を入力してください",
    )
    .await;
    assert_accessible(&browser, &axe, "a deletion without its reason").await;
    fill(&browser, "#reason", "本人から電話で依頼（12月6日）").await;
    submit(&browser, "form.stack button[type=submit]").await;
    let page = page_showing(&browser, "削除しました").await;
    assert!(!page.contains("後継者候補 B"));

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
    let Some((axe, _driver, browser)) = browser_or_skip().await else {
        return;
    };
    let app = TestApp::spawn_with(
        store::Backend::Sqlite,
        web::WebOptions {
            two_step_for_secretariat: false,
            ..web::WebOptions::default()
        },
    )
    .await;
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

    // Cancelling asks once more, on a page of its own.
    browser
        .find(Locator::Css("a.button.danger"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page_showing(&browser, "元に戻せません").await;
    assert_accessible(&browser, &axe, "cancelling a job").await;
    submit(&browser, "form.stack button[type=submit]").await;
    page_showing(&browser, "案件を取り消しました").await;
    assert_accessible(&browser, &axe, "a cancelled job").await;

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

/// Signs the browser in with an account whose password is already chosen.
pub(crate) async fn sign_in(browser: &Client, app: &TestApp, email: &str, password: &str) {
    browser.goto(&app.url("/login")).await.unwrap();
    fill(browser, "#email", email).await;
    fill(browser, "#password", password).await;
    submit(browser, "form[action='/login'] button[type=submit]").await;
    page_showing(browser, "ログアウト").await;
}

pub(crate) async fn sign_out(browser: &Client) {
    submit(browser, "form[action='/logout'] button[type=submit]").await;
    page_showing(browser, "href=\"/signup\"").await;
}

/// A JSON call through the API with the client's CSRF token.
async fn api(
    app: &TestApp,
    client: &reqwest::Client,
    token: &str,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let response = client
        .post(app.url(path))
        .header("x-csrf-token", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "POST {path}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

/// The done-when scenario of the matching fair: 川口商工会議所 staff create a fair
/// of 20 slots and 10 tables in the browser; 60 companies of three cities (川口市 as
/// buyers, 墨田区 and 大田区 as suppliers) request and accept meetings — most through
/// the API, one request and its acceptance by the companies' own members in the
/// browser, a request to oneself refused in Japanese; staff compute the schedule in
/// the browser and see the table plan and wall grid; a participant opens its
/// schedule and downloads the .ics in the browser, and every participant's .ics is
/// fetched. axe-core checks every page on the way.
#[tokio::test]
async fn a_fair_of_sixty_companies_is_requested_accepted_scheduled_and_downloaded_in_the_browser() {
    let Some((axe, _driver, browser)) = browser_or_skip().await else {
        return;
    };
    // Accounts, the extra companies and most requests come over HTTP from the
    // test's own clients, which keep only cookies without Secure over plain HTTP.
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    let admin = app.admin().await;
    let staff_email = "fair@kawaguchi-cci.example.jp";
    let staff_password = "staff-password-2026";
    let staff = app.staff(&admin, staff_email, "kawaguchi-cci").await;
    let token = crate::directory_api::api_token(&app, &admin).await;

    // Ten more companies in each of the three cities: twenty each, sixty in all.
    let mut companies: Vec<(String, &str)> = Vec::new();
    for (city, kana) in [
        ("kawaguchi", "カワグチ"),
        ("sumida", "スミダ"),
        ("ota", "オオタ"),
    ] {
        for n in 1..=10 {
            companies.push((format!("{city}-{n:02}"), city));
        }
        for n in 1..=10 {
            let created = api(
                &app,
                &admin,
                &token,
                "/api/v1/companies",
                json!({"name": format!("株式会社{city}商談会テスト{n}"), "kana": format!("{kana}ショウダンカイテスト"),
                       "city": city, "capabilities": ["cutting"]}),
            )
            .await;
            companies.push((created["key"].as_str().unwrap().to_owned(), city));
        }
    }
    assert_eq!(companies.len(), 60);
    let supplier_member =
        crate::harness::company_member(&app, &admin, "sales@sumida-01.example.jp", "sumida-01")
            .await;
    let buyer_member = crate::harness::company_member(
        &app,
        &admin,
        "buyer@kawaguchi-01.example.jp",
        "kawaguchi-01",
    )
    .await;
    drop((supplier_member, buyer_member));

    // Staff create the fair in the browser; zero slots is refused first.
    sign_in(&browser, &app, staff_email, staff_password).await;
    visit(&browser, &axe, &app, "/fairs").await;
    fill(&browser, "#name", "川口・墨田・大田 合同マッチング商談会").await;
    browser
        .execute(
            "document.getElementById('date').value = '2099-03-10';
             document.getElementById('request_deadline').value = '2099-03-01';
             document.getElementById('slot_count').removeAttribute('min');
             return true;",
            vec![],
        )
        .await
        .unwrap();
    fill(&browser, "#slot_count", "0").await;
    fill(&browser, "#table_count", "10").await;
    submit(&browser, "form[action='/fairs'] button[type=submit]").await;
    let page = page_showing(&browser, "枠の数は1以上にしてください").await;
    assert!(
        page.contains("川口・墨田・大田 合同マッチング商談会"),
        "the name is kept"
    );
    assert_accessible(&browser, &axe, "fair form with errors").await;
    fill(&browser, "#slot_count", "20").await;
    submit(&browser, "form[action='/fairs'] button[type=submit]").await;
    page_showing(&browser, "20枠（1枠15分）").await;
    assert_accessible(&browser, &axe, "a new fair").await;
    let path = browser.current_url().await.unwrap().path().to_owned();
    let key = path.trim_start_matches("/fairs/").to_owned();
    assert!(page_showing(&browser, "10卓").await.contains("10卓"));

    // Sixty participants and their requests and answers over the API.
    let staff_token = crate::directory_api::api_token(&app, &staff).await;
    for (i, (company, city)) in companies.iter().enumerate() {
        let role = if *city == "kawaguchi" {
            "buyer"
        } else {
            "supplier"
        };
        // Every fourth company misses the first hour.
        let available = if i % 4 == 3 { "5-20" } else { "" };
        api(
            &app,
            &staff,
            &staff_token,
            &format!("/api/v1/fairs/{key}/participants"),
            json!({"company": company, "role": role, "available": available}),
        )
        .await;
    }
    let buyers: Vec<&str> = companies[..20].iter().map(|c| c.0.as_str()).collect();
    let suppliers: Vec<&str> = companies[20..].iter().map(|c| c.0.as_str()).collect();
    let priorities = ["must", "should", "could"];
    let mut asked = 0;
    for (i, supplier) in suppliers.iter().enumerate() {
        for j in 0..5 {
            let buyer = buyers[(i * 3 + j * 7) % buyers.len()];
            if (*supplier, buyer) == ("sumida-01", "kawaguchi-01") {
                continue; // asked in the browser below
            }
            let request = api(
                &app,
                &staff,
                &staff_token,
                &format!("/api/v1/fairs/{key}/requests"),
                json!({"from": supplier, "to": buyer, "priority": priorities[(i + j) % 3]}),
            )
            .await;
            asked += 1;
            let answer = if (i + j) % 9 == 0 {
                "decline"
            } else {
                "accept"
            };
            api(
                &app,
                &staff,
                &staff_token,
                &format!("/api/v1/fairs/{key}/requests/{}/answer", request["id"]),
                json!({"answer": answer}),
            )
            .await;
        }
    }
    assert!(asked >= 195);
    sign_out(&browser).await;

    // A supplier's member asks for a meeting in the browser (after a refusal).
    sign_in(
        &browser,
        &app,
        "sales@sumida-01.example.jp",
        "member-password-2026",
    )
    .await;
    visit(&browser, &axe, &app, &format!("/fairs/{key}")).await;
    browser
        .execute(
            "document.getElementById('to').value = 'sumida-01';
             document.getElementById('priority').value = 'must';
             return true;",
            vec![],
        )
        .await
        .unwrap();
    submit(
        &browser,
        &format!("form[action='/fairs/{key}/requests'] button[type=submit]"),
    )
    .await;
    page_showing(&browser, "自社に面談を申し込むことはできません").await;
    assert_accessible(&browser, &axe, "a request to oneself, refused").await;
    browser
        .execute(
            "document.getElementById('to').value = 'kawaguchi-01'; return true;",
            vec![],
        )
        .await
        .unwrap();
    submit(
        &browser,
        &format!("form[action='/fairs/{key}/requests'] button[type=submit]"),
    )
    .await;
    page_showing(&browser, "面談を申し込みました").await;
    sign_out(&browser).await;

    // The buyer's member accepts it in the browser.
    sign_in(
        &browser,
        &app,
        "buyer@kawaguchi-01.example.jp",
        "member-password-2026",
    )
    .await;
    visit(&browser, &axe, &app, &format!("/fairs/{key}")).await;
    let (_, fair) =
        crate::directory_api::get_json(&app, &staff, &format!("/api/v1/fairs/{key}")).await;
    let request = fair["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["from"] == "sumida-01" && r["to"] == "kawaguchi-01")
        .expect("the browser's request")["id"]
        .clone();
    submit(
        &browser,
        &format!("form[action='/fairs/{key}/requests/{request}/answer'] button[type=submit]"),
    )
    .await;
    page_showing(&browser, "回答しました").await;
    assert_accessible(&browser, &axe, "after accepting").await;
    sign_out(&browser).await;

    // Staff compute the schedule in the browser and look at the outputs.
    sign_in(&browser, &app, staff_email, staff_password).await;
    visit(&browser, &axe, &app, &format!("/fairs/{key}")).await;
    submit(
        &browser,
        &format!("form[action='/fairs/{key}/schedule'] button[type=submit]"),
    )
    .await;
    let page = page_showing(&browser, "面談を枠とテーブルに割り当てました").await;
    let placed: usize = between_text(&page, "に実行：", "件を配置")
        .parse()
        .expect("placed count");
    assert!(placed >= 150, "{placed} meetings placed");
    assert_accessible(&browser, &axe, "the fair after scheduling").await;
    for page in ["plan", "wall", "edit"] {
        visit(&browser, &axe, &app, &format!("/fairs/{key}/{page}")).await;
    }
    visit(
        &browser,
        &axe,
        &app,
        &format!("/fairs/{key}/companies/kawaguchi-05"),
    )
    .await;
    // The demonstration fair: reminders, declined and unplaced requests on one page.
    let (_, all) = crate::directory_api::get_json(&app, &staff, "/api/v1/fairs").await;
    let demo = all
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] != key.as_str())
        .expect("the demonstration fair")["key"]
        .as_str()
        .unwrap()
        .to_owned();
    for page in ["", "/plan", "/wall", "/companies/buyer-01"] {
        visit(&browser, &axe, &app, &format!("/fairs/{demo}{page}")).await;
    }
    sign_out(&browser).await;

    // The supplier opens its own schedule and downloads it.
    sign_in(
        &browser,
        &app,
        "sales@sumida-01.example.jp",
        "member-password-2026",
    )
    .await;
    visit(
        &browser,
        &axe,
        &app,
        &format!("/fairs/{key}/companies/sumida-01"),
    )
    .await;
    let page = browser.source().await.unwrap();
    assert!(
        page.contains("株式会社栄町精機"),
        "the meeting asked in the browser is placed"
    );
    let ics = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const link = document.querySelector('a[href$=\".ics\"]');
             fetch(link.href).then(r => r.text()).then(done).catch(e => done('failed: ' + e));",
            vec![],
        )
        .await
        .unwrap();
    let ics = ics.as_str().unwrap_or_default();
    assert!(
        ics.starts_with("BEGIN:VCALENDAR") && ics.contains("BEGIN:VEVENT"),
        "{ics}"
    );
    assert!(ics.contains("株式会社栄町精機"), "{ics}");

    // Every participant's schedule downloads, with as many events as meetings.
    for (company, _) in &companies {
        let (status, mine) = crate::directory_api::get_json(
            &app,
            &staff,
            &format!("/api/v1/fairs/{key}/companies/{company}/schedule"),
        )
        .await;
        assert_eq!(status, reqwest::StatusCode::OK, "{company}");
        let response = staff
            .get(app.url(mine["ics"].as_str().unwrap()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::OK, "{company}");
        let text = response.text().await.unwrap();
        assert_eq!(
            text.matches("BEGIN:VEVENT").count(),
            mine["meetings"].as_array().unwrap().len(),
            "{company}"
        );
    }
    browser.close().await.unwrap();
}

fn between_text(text: &str, start: &str, end: &str) -> String {
    crate::harness::between(text, start, end).unwrap_or_default()
}

/// A company answers a survey through its link, without signing in: types, the
/// page's script autosaves, a reload shows what was typed, it submits; staff read
/// the results with the chart and the tracking — every page without violations.
#[tokio::test]
async fn a_company_answers_a_survey_by_its_link_with_autosave_and_staff_read_the_chart_with_no_accessibility_violations()
 {
    let Some((axe, _driver, browser)) = browser_or_skip().await else {
        return;
    };
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    let admin = app.admin().await;
    let staff_email = "chosa@city.kawaguchi.example.jp";
    let staff = app.staff(&admin, staff_email, "kawaguchi").await;
    let key = crate::surveys::KEY;
    crate::surveys::create_survey(&app, &staff).await;
    let sent = app
        .post_form(
            &staff,
            &format!("/forms/{key}/survey/send"),
            &[("city", "kawaguchi"), ("industry", ""), ("size", "")],
        )
        .await;
    assert_eq!(sent.status(), reqwest::StatusCode::SEE_OTHER);
    let csv = app
        .text(&staff, &format!("/forms/{key}/survey/unanswered.csv"))
        .await;
    let link = csv
        .lines()
        .find(|line| line.contains("株式会社栄町精機"))
        .and_then(|line| line.split("/s/").nth(1))
        .and_then(|rest| rest.split(',').next())
        .expect("a link for 栄町精機")
        .to_owned();

    // The respondent: no account, only the link.
    visit(&browser, &axe, &app, &format!("/s/{link}")).await;
    fill(&browser, "#f-contact", "総務部長 栄町").await;
    submit(&browser, "input[name='q1'][value='o2']").await;
    fill(&browser, "#f-q2", "鋳造の技能者の応募がない").await;
    // The script saves in the background (every 15 s): wait for it to say so.
    let mut autosaved = false;
    for _ in 0..300 {
        if browser
            .source()
            .await
            .unwrap_or_default()
            .contains("自動保存しました")
        {
            autosaved = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(autosaved, "the script saved within 30 s");
    browser.refresh().await.unwrap();
    let page = page_showing(&browser, "鋳造の技能者の応募がない").await;
    assert!(
        page.contains("総務部長 栄町"),
        "the reload shows what was typed"
    );
    assert_accessible(&browser, &axe, "the answer page after a reload").await;
    submit(&browser, "button[value='submit']").await;
    page_showing(&browser, "ご回答ありがとうございました").await;
    assert_accessible(&browser, &axe, "the submitted answer").await;

    // Staff read the results and the tracking.
    sign_in(&browser, &app, staff_email, "staff-password-2026").await;
    visit(
        &browser,
        &axe,
        &app,
        &format!("/forms/{key}/results?q=q1&by=industry"),
    )
    .await;
    let results = browser.source().await.unwrap();
    assert!(results.contains("<svg") && results.contains("24 金属製品製造業"));
    visit(&browser, &axe, &app, &format!("/forms/{key}/survey")).await;
    visit(
        &browser,
        &axe,
        &app,
        "/forms/kawaguchi-succession-hiring-2016/results?q=successor&by=size",
    )
    .await;
}

#[tokio::test]
async fn staff_build_a_form_preview_it_and_read_a_health_check_with_no_accessibility_violations() {
    let Some((axe, _driver, browser)) = browser_or_skip().await else {
        return;
    };
    let app = TestApp::spawn_with(
        store::Backend::Sqlite,
        web::WebOptions {
            two_step_for_secretariat: false,
            ..web::WebOptions::default()
        },
    )
    .await;
    let admin = app.admin().await;
    app.create_staff(&admin, "hc@sumida.tokyo-cci.example.jp", "tokyo-cci-sumida")
        .await;
    let one_time = app
        .create_staff(
            &admin,
            "hc2@sumida.tokyo-cci.example.jp",
            "tokyo-cci-sumida",
        )
        .await;
    app.sign_in_first_time(
        "hc2@sumida.tokyo-cci.example.jp",
        &one_time,
        "staff-password-2026",
    )
    .await;
    sign_in(
        &browser,
        &app,
        "hc2@sumida.tokyo-cci.example.jp",
        "staff-password-2026",
    )
    .await;

    // The builder: a new form, a question added through the editor, the preview.
    visit(&browser, &axe, &app, "/forms").await;
    visit(&browser, &axe, &app, "/forms/new").await;
    fill(&browser, "#title", "診断後アンケート").await;
    fill(&browser, "#key", "sumida-after-check").await;
    submit(&browser, "form[action='/forms/new'] button[type=submit]").await;
    page_showing(&browser, "フォームを作成しました").await;
    assert_accessible(&browser, &axe, "the builder").await;
    fill(&browser, "#q-label", "診断は役に立ちましたか").await;
    fill(&browser, "#q-options", "役に立った\n役に立たなかった").await;
    submit(&browser, "form.question-editor button[type=submit]").await;
    page_showing(&browser, "質問を保存しました").await;
    assert_accessible(&browser, &axe, "the builder with two questions").await;
    visit(&browser, &axe, &app, "/forms/sumida-after-check/preview").await;
    submit(&browser, "form.answer-form button[type=submit]").await;
    page_showing(&browser, "提出時には次の点が指摘されます").await;
    assert_accessible(&browser, &axe, "the preview with errors").await;

    // The health check: the list, a result with its chart, the report, follow-ups.
    visit(&browser, &axe, &app, "/forms/sumida-health-check-2016").await;
    visit(
        &browser,
        &axe,
        &app,
        "/forms/sumida-health-check-2016/diagnoses",
    )
    .await;
    visit(
        &browser,
        &axe,
        &app,
        "/forms/sumida-health-check-2016/result?company=sumida-01",
    )
    .await;
    let page = browser.source().await.unwrap();
    assert!(page.contains("<svg") && page.contains("総合判定"));
    visit(
        &browser,
        &axe,
        &app,
        "/forms/sumida-health-check-2016/result?company=sumida-01&print=1",
    )
    .await;
    visit(
        &browser,
        &axe,
        &app,
        "/forms/sumida-health-check-2016/followups?company=sumida-01",
    )
    .await;
    visit(
        &browser,
        &axe,
        &app,
        "/forms/sumida-health-check-2016/answer?company=sumida-01",
    )
    .await;
    visit(&browser, &axe, &app, "/offices").await;
}

/// The review of an application and the public registry in the browser: a 尼崎市
/// reviewer opens the queue and the application, scores it (a score out of range
/// refused and kept), approves it, and the winner is on the registry and its entry
/// page; the call pages, notifications and the demo registry are visited too, each
/// with axe-core finding no violation.
#[tokio::test]
async fn a_reviewer_scores_and_approves_an_application_and_finds_it_in_the_registry_with_no_accessibility_violations()
 {
    let Some((axe, _driver, browser)) = browser_or_skip().await else {
        return;
    };
    let app = TestApp::spawn_with(
        store::Backend::Sqlite,
        web::WebOptions {
            two_step_for_secretariat: false,
            ..web::WebOptions::default()
        },
    )
    .await;
    let admin = app.admin().await;
    let staff = app
        .staff(&admin, "award@city.amagasaki.example.jp", "amagasaki")
        .await;
    crate::applications::open_award_call(&app, &staff, "amagasaki-100nen-browser", "2099-03-31")
        .await;
    let member =
        crate::harness::company_member(&app, &admin, "m@amagasaki-13.example.jp", "amagasaki-13")
            .await;
    let submitted = crate::applications::submit(
        &app,
        &member,
        "amagasaki-100nen-browser",
        "amagasaki-13",
        "明治43年創業。",
    )
    .await;
    assert_eq!(submitted.status(), reqwest::StatusCode::SEE_OTHER);
    let mine = app.text(&member, "/applications").await;
    let id = between(&mine, "href=\"/applications/", "\"").expect("the application");

    for path in [
        "/calls",
        "/calls/amagasaki-100nen-browser",
        "/calls/kawaguchi-imono-iwaza-2016",
        "/registry",
        "/registry?kind=product&city=kawaguchi",
        "/registry/kawaguchi-imono-iwaza-2016-kawaguchi-01",
    ] {
        visit(&browser, &axe, &app, path).await;
    }

    sign_in(
        &browser,
        &app,
        "award@city.amagasaki.example.jp",
        "staff-password-2026",
    )
    .await;
    visit(&browser, &axe, &app, "/notices").await;
    visit(&browser, &axe, &app, "/account/notifications").await;
    visit(&browser, &axe, &app, "/applications").await;
    visit(
        &browser,
        &axe,
        &app,
        "/calls/amagasaki-100nen-browser/applications",
    )
    .await;
    visit(
        &browser,
        &axe,
        &app,
        "/calls/amagasaki-100nen-browser/settings",
    )
    .await;
    visit(&browser, &axe, &app, &format!("/applications/{id}")).await;

    // A score out of range is refused with what was typed kept.
    fill(&browser, "#score", "150").await;
    browser
        .execute(
            "document.getElementById('score').removeAttribute('max'); return true;",
            vec![],
        )
        .await
        .unwrap();
    fill(&browser, "#comment", "沿革資料が充実").await;
    submit(&browser, "form[action$='/review'] button[type=submit]").await;
    let page = page_showing(&browser, "評点は0〜100の整数").await;
    assert!(page.contains("沿革資料が充実"));
    assert_accessible(&browser, &axe, "review form with errors").await;
    fill(&browser, "#score", "85").await;
    submit(&browser, "form[action$='/review'] button[type=submit]").await;
    page_showing(&browser, "評価を保存しました").await;
    assert_accessible(&browser, &axe, "application after review").await;

    submit(&browser, "button[name=action][value=approve]").await;
    page_showing(&browser, "申請を「承認」にしました").await;
    assert_accessible(&browser, &axe, "application approved").await;

    visit(&browser, &axe, &app, "/registry?kind=award&city=amagasaki").await;
    assert!(browser.source().await.unwrap().contains("開明製鋼株式会社"));
    visit(
        &browser,
        &axe,
        &app,
        "/registry/amagasaki-100nen-browser-amagasaki-13",
    )
    .await;
    assert!(browser.source().await.unwrap().contains("1910年"));
}

/// Issue 19's done-when, in the browser: 東大阪市's staff record the results of the
/// 先進企業視察 of 平成28年度 (12 participants), see the event read 終了 with its
/// 実績, find the 12 in the annual report, and open their facility's and office's
/// forms; axe-core checks every page on the way.
#[tokio::test]
async fn staff_record_a_past_visits_results_and_see_the_ended_event_with_no_accessibility_violations()
 {
    let Some((axe, _driver, browser)) = browser_or_skip().await else {
        return;
    };
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    let admin = app.admin().await;
    let email = "past@city.higashiosaka.example.jp";
    let staff = app.staff(&admin, email, "higashiosaka").await;
    let created = app
        .post_form(
            &staff,
            "/events",
            &[
                ("organisation", "higashiosaka"),
                ("title", "先進企業視察（近江鍛工（株））"),
                ("event_type", "visit"),
                ("city", "higashiosaka"),
                ("pillars", "2"),
                ("start_date", "2016-11-17"),
                ("start_time", "10:00"),
                ("end_time", "16:00"),
                ("initiative", "higashiosaka-advanced-company-visit"),
                ("past_record", "1"),
            ],
        )
        .await;
    assert_eq!(created.status(), reqwest::StatusCode::SEE_OTHER);
    let path = created.headers()["location"]
        .to_str()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();

    sign_in(&browser, &app, email, "staff-password-2026").await;
    visit(&browser, &axe, &app, "/events/new").await;
    visit(&browser, &axe, &app, &path).await;
    browser
        .find(Locator::Css(&format!("a[href='{path}/results']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page_showing(&browser, "実績の記録").await;
    assert_accessible(&browser, &axe, "the results form").await;
    fill(&browser, "#participants", "たくさん").await;
    submit(&browser, "form.stack button[type=submit]").await;
    page_showing(&browser, "参加者数は0〜").await;
    assert_accessible(&browser, &axe, "the results form refused").await;
    fill(&browser, "#participants", "12").await;
    fill(&browser, "#companies", "1").await;
    fill(&browser, "#note", "鍛造ラインを視察").await;
    submit(&browser, "form.stack button[type=submit]").await;
    let page = page_showing(&browser, "実績を記録し").await;
    assert!(page.contains("<dd>終了</dd>") && page.contains("12名"));
    assert!(!page.contains("参加を申し込む"));
    assert_accessible(&browser, &axe, "the ended event with its results").await;
    for path in [
        "/reports/annual?fy=2016",
        "/events/calendar?month=2016-11",
        "/facilities/facility-5/edit",
        "/offices/higashiosaka-incubation/edit",
    ] {
        visit(&browser, &axe, &app, path).await;
    }
    let report = browser.source().await.unwrap_or_default();
    assert!(!report.is_empty());
    browser
        .goto(&app.url("/reports/annual?fy=2016"))
        .await
        .unwrap();
    page_showing(&browser, "参加者数（イベント実績）：12人").await;
}

#[tokio::test]
async fn a_visitor_takes_an_open_factory_slot_and_the_places_library_and_groups_pages_have_no_accessibility_violations()
 {
    let Some((axe, _driver, browser)) = browser_or_skip().await else {
        return;
    };
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    let admin = app.admin().await;
    let email = "of@city.ota.example.jp";
    let staff = app.staff(&admin, email, "ota").await;
    let created = crate::network::post_json(
        &app,
        &staff,
        "/api/v1/events",
        json!({
            "organisation": "ota", "title": "おおたオープンファクトリー2027",
            "event_type": "open_factory", "city": "ota", "pillars": [2],
            "start_date": "2027-11-26", "end_date": "2027-11-27", "all_day": true,
            "initiative": "ota-open-factory"
        }),
    )
    .await;
    assert_eq!(created.status(), reqwest::StatusCode::CREATED);
    let event: serde_json::Value = created.json().await.unwrap();
    let key = event["key"].as_str().unwrap().to_owned();

    // The organiser adds a site in the browser: refused first (a slot off the
    // event's days), with what was typed kept, then accepted.
    sign_in(&browser, &app, email, "staff-password-2026").await;
    visit(&browser, &axe, &app, &format!("/events/{key}/sites/new")).await;
    fill(&browser, "#company", "ota-01").await;
    fill(&browser, "#tours", "2027-11-28 10:00-11:00 10").await;
    submit(&browser, "form.stack button[type=submit]").await;
    page_showing(&browser, "イベントの開催日").await;
    assert_accessible(&browser, &axe, "the site form refused").await;
    fill(&browser, "#tours", "2027-11-26 10:00-11:00 2").await;
    submit(&browser, "form.stack button[type=submit]").await;
    page_showing(&browser, "公開工場 1か所").await;
    assert_accessible(&browser, &axe, "the open factory's guide").await;
    sign_out(&browser).await;

    // A visitor takes the slot from the guide.
    visit(&browser, &axe, &app, &format!("/events/{key}")).await;
    visit(&browser, &axe, &app, &format!("/events/{key}/sites")).await;
    submit(&browser, "a[href*='/tours/']").await;
    page_showing(&browser, "見学枠：").await;
    assert_accessible(&browser, &axe, "the slot's registration form").await;
    fill(&browser, "#name", "大田 花子").await;
    fill(&browser, "#email", "hanako@example.jp").await;
    submit(&browser, "form.stack button[type=submit]").await;
    let confirmation = page_showing(&browser, "申込を受け付けました").await;
    assert!(confirmation.contains("蒲田工業株式会社（工場見学）"));
    assert_accessible(&browser, &axe, "the slot's confirmation").await;

    // The organiser's visitor list, the seeded open factory, places, the library and
    // the groups.
    let sites: serde_json::Value = app
        .get(&staff, &format!("/api/v1/events/{key}/sites"))
        .await
        .json()
        .await
        .unwrap();
    let site = sites["sites"][0]["id"].as_i64().unwrap();
    sign_in(&browser, &app, email, "staff-password-2026").await;
    visit(
        &browser,
        &axe,
        &app,
        &format!("/events/{key}/sites/{site}/visitors"),
    )
    .await;
    page_showing(&browser, "大田 花子").await;
    for path in [
        "/events/ota-2017-open-factory/sites",
        "/sites",
        "/sites/higashiosaka-site-takaida",
        "/documents",
        "/documents/tokyo-cci-sumida-keihatsu-sasshi",
        "/groups",
        "/groups/kaga-external-network",
        "/groups/new",
    ] {
        visit(&browser, &axe, &app, path).await;
    }
}
