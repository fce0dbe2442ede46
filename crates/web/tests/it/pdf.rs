//! The published PDFs fetched over HTTP as a visitor, a company or staff would,
//! then read back with poppler's tools as a printer or a reader would: the annual
//! report (cover, 目次 with page numbers, running header and footer, the figures,
//! the chart drawn as vectors, no staff-only note), registry certificates, the
//! diagnostic's report and a company's fair schedule, each with the Japanese font
//! embedded. Without poppler-utils the text checks are skipped, except under CI,
//! where they must run.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::StatusCode;

use crate::harness::{TestApp, company_member, on_each_backend};

/// Whether poppler's tools are here; under CI their absence fails the test.
fn poppler() -> bool {
    let found = ["pdftotext", "pdffonts", "pdfinfo", "pdfimages"]
        .iter()
        .all(|tool| Command::new(tool).arg("-v").output().is_ok());
    if !found {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI must install poppler-utils (pdftotext, pdffonts) to check the PDFs"
        );
        eprintln!("poppler-utils missing: the PDFs' text and fonts are not checked");
    }
    found
}

/// A PDF written to a file of its own for poppler's tools.
struct PdfFile(PathBuf);

impl PdfFile {
    fn new(bytes: &[u8]) -> PdfFile {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "renkei-pdf-{}-{}.pdf",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::write(&path, bytes).unwrap();
        PdfFile(path)
    }

    fn run(&self, tool: &str, args: &[&str]) -> String {
        let output = Command::new(tool)
            .args(args)
            .arg(&self.0)
            .args(if tool == "pdftotext" {
                &["-"][..]
            } else {
                &[][..]
            })
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{tool}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// The text, without the spaces and line breaks layout puts in.
    fn text(&self) -> String {
        squeeze(&self.run("pdftotext", &[]))
    }

    fn page_text(&self, page: usize) -> String {
        let page = page.to_string();
        squeeze(&self.run("pdftotext", &["-f", &page, "-l", &page]))
    }

    fn pages(&self) -> usize {
        let info = self.run("pdfinfo", &[]);
        assert!(info.contains("(A4)"), "A4 pages: {info}");
        info.lines()
            .find_map(|l| l.strip_prefix("Pages:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap()
    }

    /// pdffonts lists the bundled IPAex Gothic, embedded, and no other font.
    fn assert_japanese_font_embedded(&self) {
        let fonts = self.run("pdffonts", &[]);
        let rows: Vec<&str> = fonts.lines().skip(2).collect();
        assert!(!rows.is_empty(), "{fonts}");
        for row in rows {
            let fields: Vec<&str> = row.split_whitespace().collect();
            assert!(fields[0].ends_with("IPAexGothic"), "only IPAex: {fonts}");
            assert_eq!(fields[fields.len() - 5], "yes", "embedded: {fonts}");
        }
    }

    /// No raster image: every drawing (the KPI chart, bars) is vector graphics.
    fn assert_no_images(&self) {
        let images = self.run("pdfimages", &["-list"]);
        assert_eq!(images.lines().count(), 2, "no images: {images}");
    }
}

impl Drop for PdfFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

async fn fetch_pdf(app: &TestApp, client: &reqwest::Client, path: &str) -> Vec<u8> {
    let response = app.get(client, path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    assert_eq!(
        response.headers()["content-type"],
        "application/pdf",
        "{path}"
    );
    let bytes = response.bytes().await.unwrap().to_vec();
    assert!(bytes.starts_with(b"%PDF-"), "{path}");
    bytes
}

const STAFF_NOTE: &str = "柱は資料に明記がなく";

#[tokio::test]
async fn the_annual_report_is_published_as_an_a4_pdf_with_contents_and_figures() {
    on_each_backend(|app| async move {
        let client = app.client();
        let html = app.text(&client, "/reports/annual?fy=2016&fy=2017").await;
        assert!(
            html.contains("/reports/annual.pdf?fy=2016&#38;fy=2017"),
            "the page links its PDF"
        );
        assert!(html.contains(STAFF_NOTE), "the page has the staff note");
        let bytes = fetch_pdf(&app, &client, "/reports/annual.pdf?fy=2016&fy=2017").await;
        // The bundled font is embedded: its name is in the file whatever the tools.
        assert!(
            bytes.windows(11).any(|w| w == b"IPAexGothic"),
            "font embedded"
        );

        // Bad input: the same clear error as the page, never a 500.
        for bad in ["/reports/annual.pdf?fy=1800", "/reports/annual.pdf?fy=abc"] {
            let refused = app.get(&client, bad).await;
            assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{bad}");
            let page = refused.text().await.unwrap();
            assert!(page.contains("年度"), "{page}");
        }

        if !poppler() {
            return;
        }
        let pdf = PdfFile::new(&bytes);
        let pages = pdf.pages();
        assert!(pages >= 4, "cover, contents and the report: {pages} pages");
        let text = pdf.text();
        let cover = pdf.page_text(1);
        assert!(
            cover.contains("第10回中小企業都市サミット")
                && cover.contains("平成28年度")
                && cover.contains("中小企業都市連絡協議会")
                && cover.contains("作成日時"),
            "{cover}"
        );
        // The contents page lists the chapters with their page numbers.
        let contents = pdf.page_text(2);
        assert!(contents.contains("目次"), "{contents}");
        for chapter in [
            "1協議会全体の事業",
            "2各都市・商工会議所の事業",
            "川口商工会議所",
            "KPI・事業数の概要",
        ] {
            let at = contents
                .find(chapter)
                .unwrap_or_else(|| panic!("{chapter}: {contents}"));
            let after = &contents[at + chapter.len()..];
            let number: String = after
                .trim_start_matches('.')
                .trim_start_matches('…')
                .chars()
                .skip_while(|c| !c.is_ascii_digit())
                .take_while(char::is_ascii_digit)
                .collect();
            let page: usize = number.parse().unwrap_or(0);
            assert!(
                (1..=pages).contains(&page),
                "{chapter} has a page number: {contents}"
            );
        }
        // Running header and footer on the report's pages.
        let third = pdf.page_text(3);
        assert!(
            third.contains("第10回中小企業都市サミット")
                && third.contains(&format!("2/{}", pages - 1)),
            "header and page n / total: {third}"
        );
        for figure in [
            "1,000事業所",
            "i-mono6製品",
            "i-waza4技術",
            "36企業",
            "58商談",
            "35社",
            "20社",
        ] {
            assert!(text.contains(figure), "{figure} in the PDF");
        }
        assert!(text.contains("団体別・柱別の記録件数とKPI数"));
        assert!(
            !text.contains(STAFF_NOTE),
            "no staff-only note when published"
        );
        pdf.assert_japanese_font_embedded();
        pdf.assert_no_images();
    })
    .await;
}

#[tokio::test]
async fn registry_entries_print_their_certificate_or_award() {
    on_each_backend(|app| async move {
        let client = app.client();
        let product = "/registry/kawaguchi-imono-iwaza-2016-kawaguchi-01";
        let page = app.text(&client, product).await;
        assert!(page.contains(&format!("{product}/certificate.pdf\">認定証をPDFで印刷")));
        let certificate = fetch_pdf(&app, &client, &format!("{product}/certificate.pdf")).await;
        let award = "/registry/amagasaki-100nen-2016-amagasaki-11";
        let page = app.text(&client, award).await;
        assert!(page.contains("表彰状をPDFで印刷"), "{page}");
        let diploma = fetch_pdf(&app, &client, &format!("{award}/certificate.pdf")).await;
        let missing = app
            .get(&client, "/registry/no-such-entry/certificate.pdf")
            .await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        if !poppler() {
            return;
        }
        let pdf = PdfFile::new(&certificate);
        assert_eq!(pdf.pages(), 1);
        let text = pdf.text();
        assert!(text.contains("認定証") && text.contains("殿"), "{text}");
        assert!(text.contains("川口商工会議所"), "{text}");
        assert!(text.contains("架空の企業"), "an invented company's: {text}");
        pdf.assert_japanese_font_embedded();
        let pdf = PdfFile::new(&diploma);
        assert_eq!(pdf.pages(), 1);
        let text = pdf.text();
        assert!(
            text.contains("表彰状")
                && text.contains("株式会社大物鋳造所")
                && text.contains("1897年"),
            "{text}"
        );
        pdf.assert_japanese_font_embedded();
    })
    .await;
}

#[tokio::test]
async fn a_company_prints_its_diagnosis_and_others_cannot() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let member = company_member(&app, &admin, "ceo@sumida-01.example.jp", "sumida-01").await;
        let result = "/forms/sumida-health-check-2016/result";
        let page = app
            .text(&member, &format!("{result}?company=sumida-01"))
            .await;
        assert!(page.contains(&format!(
            "{result}.pdf?company=sumida-01\">診断レポートをPDFで印刷"
        )));
        let bytes = fetch_pdf(&app, &member, &format!("{result}.pdf?company=sumida-01")).await;
        // Another company sees nothing of it, as on the page; nor does a visitor.
        let other = company_member(&app, &admin, "ceo@sumida-02.example.jp", "sumida-02").await;
        let hidden = app
            .get(&other, &format!("{result}.pdf?company=sumida-01"))
            .await;
        assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
        let visitor = app
            .get(&app.client(), &format!("{result}.pdf?company=sumida-01"))
            .await;
        assert_ne!(visitor.status(), StatusCode::OK);
        assert!(!visitor.status().is_server_error());
        if !poppler() {
            return;
        }
        let pdf = PdfFile::new(&bytes);
        let text = pdf.text();
        assert!(
            text.contains("診断結果")
                && text.contains("総合判定")
                && text.contains("事業承継の準備"),
            "{text}"
        );
        assert!(text.contains("分野ごとの得点と助言"), "{text}");
        pdf.assert_japanese_font_embedded();
        pdf.assert_no_images();
    })
    .await;
}

#[tokio::test]
async fn a_fair_schedule_prints_for_its_company() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let fairs = app.text(&admin, "/api/v1/fairs").await;
        let fairs: serde_json::Value = serde_json::from_str(&fairs).unwrap();
        let key = fairs[0]["key"].as_str().unwrap().to_owned();
        let page = app
            .text(&admin, &format!("/fairs/{key}/companies/buyer-01"))
            .await;
        let path = format!("/fairs/{key}/companies/buyer-01/schedule.pdf");
        assert!(
            page.contains(&format!("{path}\">予定表をPDFで印刷")),
            "{page}"
        );
        let bytes = fetch_pdf(&app, &admin, &path).await;
        let unknown = app
            .get(
                &admin,
                &format!("/fairs/{key}/companies/nobody/schedule.pdf"),
            )
            .await;
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
        let visitor = app.get(&app.client(), &path).await;
        assert_ne!(visitor.status(), StatusCode::OK);
        if !poppler() {
            return;
        }
        let pdf = PdfFile::new(&bytes);
        let text = pdf.text();
        assert!(
            text.contains("面談予定") && text.contains("テーブル"),
            "{text}"
        );
        let name = crate::harness::between(&page, "<h1>", "の面談予定</h1>").unwrap();
        assert!(text.contains(&squeeze(&name)), "{name} in {text}");
        pdf.assert_japanese_font_embedded();
    })
    .await;
}
