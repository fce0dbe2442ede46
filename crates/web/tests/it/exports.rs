//! Files that open right in Excel, readings, holidays and Japan time, as a clerk meets
//! them: the Shift_JIS CSV holds the same cells as the UTF-8 one (CRLF in both); a
//! character Shift_JIS cannot hold is named on a Japanese page with the UTF-8 link, not
//! dropped; in the XLSX 法人番号 stays text with its leading zero and dates are dates;
//! companies are found by their reading; the month grid names the holidays; the times
//! shown are Japan's.

use calamine::{Data, Reader, Xlsx};
use reqwest::StatusCode;

use crate::harness::{TestApp, on_each_backend};

/// The characters renkei writes in their CP932 spelling (as Excel shows them).
fn cp932_spelling(text: &str) -> String {
    text.replace('\u{301C}', "\u{FF5E}")
        .replace('\u{2212}', "\u{FF0D}")
        .replace('\u{2014}', "\u{2015}")
        .replace('\u{2016}', "\u{2225}")
        .replace('\u{00A2}', "\u{FFE0}")
        .replace('\u{00A3}', "\u{FFE1}")
        .replace('\u{00AC}', "\u{FFE2}")
        .replace('\u{00A5}', "\u{FFE5}")
        .replace('\u{203E}', "\u{FFE3}")
}

/// A valid 法人番号 (13 digits, which Excel would show as 3.01010E+12 in a number cell).
fn corporate_number() -> String {
    let base = "301010012345";
    let digits: Vec<u32> = base.chars().map(|c| c.to_digit(10).unwrap()).collect();
    let check = domain::CorporateNumber::check_digit(&digits.try_into().unwrap());
    format!("{check}{base}")
}

/// The secretariat (`admin`) saves 有限会社羽田精工 (ota-03) with these fields.
async fn edit_haneda(app: &TestApp, admin: &reqwest::Client, fields: &[(&str, &str)]) {
    let mut all = vec![
        ("city", "ota"),
        ("public", "1"),
        ("description", "5軸加工で難削材の試作に対応。"),
    ];
    all.extend_from_slice(fields);
    let saved = app.post_form(admin, "/companies/ota-03/edit", &all).await;
    assert_eq!(
        saved.status(),
        StatusCode::SEE_OTHER,
        "{}",
        saved.text().await.unwrap()
    );
}

async fn bytes(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
) -> (StatusCode, String, Vec<u8>) {
    let response = app.get(client, path).await;
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (
        status,
        content_type,
        response.bytes().await.unwrap().to_vec(),
    )
}

#[tokio::test]
async fn the_shift_jis_csv_holds_the_same_cells_as_the_utf8_one_with_crlf() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        edit_haneda(
            &app,
            &admin,
            &[
                ("name", "有限会社羽田精工"),
                ("kana", "ハネダセイコウ"),
                ("products", "髙精度部品〜試作①"),
            ],
        )
        .await;
        let public = app.client();
        for path in ["/companies.csv?city=ota", "/events.csv", "/initiatives.csv"] {
            let (status, content_type, utf8) = bytes(&app, &public, path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(content_type, "text/csv; charset=utf-8");
            assert_eq!(&utf8[..3], &[0xEF, 0xBB, 0xBF], "{path}: BOM");
            let utf8 = String::from_utf8(utf8[3..].to_vec()).unwrap();

            let sjis_path = format!(
                "{path}{}encoding=shift_jis",
                if path.contains('?') { "&" } else { "?" }
            );
            let response = app.get(&public, &sjis_path).await;
            assert_eq!(response.status(), StatusCode::OK, "{sjis_path}");
            assert_eq!(
                response.headers()["content-type"],
                "text/csv; charset=Shift_JIS"
            );
            assert!(
                response.headers()["content-disposition"]
                    .to_str()
                    .unwrap()
                    .ends_with(".csv\""),
                "{sjis_path}: saved as .csv"
            );
            let sjis = response.bytes().await.unwrap();
            assert_ne!(
                &sjis[..3],
                &[0xEF, 0xBB, 0xBF],
                "{sjis_path}: no BOM in Shift_JIS"
            );
            let (decoded, _, malformed) = encoding_rs::SHIFT_JIS.decode(&sjis);
            assert!(!malformed, "{sjis_path}");
            assert_eq!(
                decoded,
                cp932_spelling(&utf8),
                "{sjis_path}: the same cells"
            );
            for text in [&utf8, &decoded.to_string()] {
                assert!(text.ends_with("\r\n"), "{path}: CRLF");
                let header = text.split("\r\n").next().unwrap();
                assert!(!header.contains('\n'), "{path}: the header ends with CRLF");
            }
        }
        let (_, _, utf8) = bytes(&app, &public, "/companies.csv?city=ota").await;
        assert!(
            String::from_utf8(utf8)
                .unwrap()
                .contains("髙精度部品〜試作①")
        );
        let (_, _, sjis) = bytes(&app, &public, "/companies.csv?city=ota&encoding=shift_jis").await;
        let (decoded, _, _) = encoding_rs::SHIFT_JIS.decode(&sjis);
        assert!(
            decoded.contains("髙精度部品～試作①"),
            "髙, ① and the wave dash survive in CP932"
        );
    })
    .await;
}

#[tokio::test]
async fn a_character_shift_jis_cannot_hold_is_named_with_the_utf8_link_never_dropped() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        edit_haneda(
            &app,
            &admin,
            &[("name", "有限会社𠮷田精工"), ("kana", "ヨシダセイコウ")],
        )
        .await;
        let public = app.client();
        let response = app
            .get(&public, "/companies.csv?city=ota&encoding=shift_jis")
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let page = response.text().await.unwrap();
        assert!(
            page.contains("Shift_JISで書き出せない文字があります"),
            "{page}"
        );
        assert!(
            page.contains("<td>企業名</td><td>𠮷</td><td>U+20BB7</td><td>有限会社𠮷田精工</td>"),
            "{page}"
        );
        assert!(page.contains("行目"), "the row is named");
        assert!(
            page.contains("<a href=\"/companies.csv?city=ota\">CSV（UTF-8）をダウンロードする</a>"),
            "the same list in UTF-8 is one click away: {page}"
        );
        let (status, _, utf8) = bytes(&app, &public, "/companies.csv?city=ota").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            String::from_utf8(utf8)
                .unwrap()
                .contains("有限会社𠮷田精工")
        );

        // An encoding that is not offered is refused in Japanese, naming what was typed.
        let wrong = app.get(&public, "/companies.csv?encoding=euc-jp").await;
        assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
        let page = wrong.text().await.unwrap();
        assert!(
            page.contains("文字コード「euc-jp」には対応していません"),
            "{page}"
        );
    })
    .await;
}

#[tokio::test]
async fn every_page_with_a_csv_offers_the_shift_jis_one() {
    on_each_backend(|app| async move {
        let public = app.client();
        for page in [
            "/companies",
            "/events",
            "/initiatives",
            "/negotiations/dashboard",
        ] {
            let html = app.text(&public, page).await;
            assert!(
                html.contains("encoding=shift_jis\">CSV（Excel用 Shift_JIS）で書き出す</a>"),
                "{page} offers the Shift_JIS CSV"
            );
        }
        let admin = app.admin().await;
        for page in [
            "/admin/users",
            "/admin/audit",
            "/admin/outbox",
            "/invitations",
            "/admin/signups",
        ] {
            let html = app.text(&admin, page).await;
            assert!(
                html.contains("encoding=shift_jis\">CSV（Excel用 Shift_JIS）"),
                "{page}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn in_the_xlsx_codes_stay_text_and_dates_are_dates() {
    on_each_backend(|app| async move {
        let number = corporate_number();
        let admin = app.admin().await;
        edit_haneda(
            &app,
            &admin,
            &[
                ("name", "有限会社羽田精工"),
                ("kana", "ハネダセイコウ"),
                ("corporate_number", &number),
                ("founded_year", "1968"),
                ("contact_phone", "0312345678"),
            ],
        )
        .await;
        let public = app.client();
        let (status, _, body) = bytes(&app, &admin, "/companies.xlsx?city=ota").await;
        assert_eq!(status, StatusCode::OK);
        let mut book: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(body)).unwrap();
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        let headers: Vec<String> = sheet
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
        let haneda = sheet
            .rows()
            .find(|row| row[col("企業名")] == Data::String("有限会社羽田精工".into()))
            .expect("羽田精工 is listed");
        assert_eq!(
            haneda[col("法人番号")],
            Data::String(number.clone()),
            "text, all 13 digits"
        );
        assert_eq!(
            haneda[col("連絡先電話")],
            Data::String("0312345678".into()),
            "the leading zero kept"
        );
        assert_eq!(haneda[col("企業ID")], Data::String("ota-03".into()));
        assert_eq!(
            haneda[col("設立年")],
            Data::Float(1968.0),
            "a number stays a number"
        );

        let (_, _, body) = bytes(&app, &public, "/events.xlsx").await;
        let mut book: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(body)).unwrap();
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        let headers: Vec<String> = sheet
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        let start = headers.iter().position(|h| h == "開始").unwrap();
        let first = sheet.rows().nth(1).expect("the council's events");
        match &first[start] {
            Data::DateTime(moment) => {
                assert!(moment.as_f64() > 42_000.0, "a date after 2014: {moment:?}");
            }
            other => panic!("開始 is not a date cell: {other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn a_company_is_found_by_the_reading_of_its_name_and_shows_it() {
    on_each_backend(|app| async move {
        // Typed in hiragana in the form; kept as katakana.
        let admin = app.admin().await;
        edit_haneda(
            &app,
            &admin,
            &[("name", "有限会社羽田精機"), ("kana", "はねだせいき")],
        )
        .await;
        let public = app.client();
        for (query, typed) in [
            ("%E3%81%9B%E3%81%84%E3%81%8D", "せいき"),
            ("%E3%82%BB%E3%82%A4%E3%82%AD", "セイキ"),
            ("%EF%BE%8A%EF%BE%88%EF%BE%80%EF%BE%9E", "ﾊﾈﾀﾞ"),
        ] {
            let found = app.text(&public, &format!("/companies?q={query}")).await;
            assert!(
                found.contains("有限会社羽田精機"),
                "{typed} finds 羽田精機 by its reading"
            );
        }
        let page = app.text(&public, "/companies/ota-03").await;
        assert!(
            page.contains("ハネダセイキ"),
            "the reading is shown on the company page"
        );
        let form = app.text(&admin, "/companies/ota-03/edit").await;
        assert!(form.contains("value=\"ハネダセイキ\""), "and is editable");
    })
    .await;
}

#[tokio::test]
async fn the_month_grid_marks_weekends_and_names_national_holidays() {
    on_each_backend(|app| async move {
        let public = app.client();
        let january = app.text(&public, "/events/calendar?month=2027-01").await;
        assert!(
            january.contains("<span class=\"holiday-name\">元日</span>"),
            "{january}"
        );
        assert!(january.contains("<span class=\"holiday-name\">成人の日</span>"));
        assert!(january.contains("<th scope=\"col\" class=\"sat\">土</th>"));
        assert!(january.contains("<th scope=\"col\" class=\"sun\">日</th>"));
        assert!(
            january.contains("<td class=\"holiday\">"),
            "1 January 2027 is a Friday holiday"
        );
        assert!(january.contains("<td class=\"sat\">") && january.contains("<td class=\"sun\">"));
        // A day off between two holidays (国民の休日), 2026-09-22.
        let september = app.text(&public, "/events/calendar?month=2026-09").await;
        assert!(september.contains("<span class=\"holiday-name\">敬老の日</span>"));
        assert!(september.contains("<span class=\"holiday-name\">休日</span>"));
        let week = app.text(&public, "/events/week?date=2027-01-11").await;
        assert!(week.contains("成人の日"), "the week view names it too");
    })
    .await;
}

#[tokio::test]
async fn the_times_people_read_are_japan_time() {
    on_each_backend(|app| async move {
        let public = app.client();
        let japan_now = chrono::Utc::now().naive_utc() + chrono::Duration::hours(9);
        let close = |shown: chrono::NaiveDateTime| (shown - japan_now).num_minutes().abs() <= 5;

        let report = app.text(&public, "/reports/annual?fy=2016").await;
        let generated = report
            .split("作成日時：")
            .nth(1)
            .expect("作成日時 is shown");
        let generated =
            chrono::NaiveDateTime::parse_from_str(&generated[..16], "%Y-%m-%d %H:%M").unwrap();
        assert!(
            close(generated),
            "作成日時 {generated} is Japan time ({japan_now})"
        );

        // The audit log's export: the change just made, in Japan time.
        let admin = app.admin().await;
        edit_haneda(
            &app,
            &admin,
            &[("name", "有限会社羽田精工"), ("kana", "ハネダセイコウ")],
        )
        .await;
        let (_, _, csv) = bytes(&app, &admin, "/admin/audit.csv").await;
        let csv = String::from_utf8(csv[3..].to_vec()).unwrap();
        assert!(csv.starts_with("日時,利用者,"), "{csv}");
        let first = csv.split("\r\n").nth(1).unwrap();
        let at = chrono::NaiveDateTime::parse_from_str(&first[..19], "%Y-%m-%d %H:%M:%S").unwrap();
        assert!(
            close(at),
            "the newest audit entry {at} is Japan time ({japan_now})"
        );
    })
    .await;
}
