//! The documents library (issue 19, item 4) over HTTP, on each backend: the 啓発冊子
//! PDF downloadable from its initiative's page (a real PDF, served with nosniff) and
//! listed in the annual report; uploads judged by content (HTML in disguise refused,
//! what was typed kept); versions kept and listed; members-only documents never
//! listed for nor served to an anonymous visitor.

use std::process::Command;

use reqwest::multipart::{Form, Part};
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;

use crate::harness::{TestApp, between, on_each_backend};

const INITIATIVE: &str = "tokyo-cci-sumida-ceo60-health-check";
const BOOKLET: &str = "tokyo-cci-sumida-keihatsu-sasshi";

/// A small real PDF (one empty page), as staff would upload it.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

async fn upload(
    app: &TestApp,
    client: &Client,
    path: &str,
    fields: &[(&str, &str)],
    file: (&str, &[u8]),
) -> Response {
    let token = app.csrf(client).await;
    let mut form = Form::new();
    for (name, value) in fields {
        form = form.text((*name).to_owned(), (*value).to_owned());
    }
    form = form.part(
        "file",
        Part::bytes(file.1.to_vec()).file_name(file.0.to_owned()),
    );
    client
        .post(app.url(&format!("{path}?csrf_token={token}")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_keihatsu_booklet_pdf_is_downloadable_from_its_initiatives_page() {
    on_each_backend(|app| async move {
        let visitor = app.client();
        let page = app
            .text(&visitor, &format!("/initiatives/{INITIATIVE}"))
            .await;
        let link = format!("/documents/{BOOKLET}/file");
        assert!(page.contains(&link), "{page}");
        assert!(page.contains("事業承継の啓発冊子（デモ）"));
        let download = app.get(&visitor, &link).await;
        assert_eq!(download.status(), StatusCode::OK);
        assert_eq!(download.headers()["content-type"], "application/pdf");
        assert_eq!(download.headers()["x-content-type-options"], "nosniff");
        let disposition = download.headers()["content-disposition"].to_str().unwrap();
        assert!(disposition.starts_with("inline;") && disposition.contains("keihatsu-sasshi.pdf"));
        let bytes = download.bytes().await.unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        // Read back as a reader would, where poppler is installed (CI installs it).
        let path = std::env::temp_dir().join(format!("renkei-booklet-{}.pdf", std::process::id()));
        std::fs::write(&path, &bytes).unwrap();
        match Command::new("pdftotext").arg(&path).arg("-").output() {
            Ok(output) => {
                assert!(output.status.success());
                let text = String::from_utf8_lossy(&output.stdout);
                assert!(text.contains("啓発冊子") && text.contains("デモ"), "{text}");
            }
            Err(_) => assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "CI needs pdftotext"
            ),
        }
        let _ = std::fs::remove_file(&path);
        // The annual report lists it.
        let report = app.text(&visitor, "/reports/annual?fy=2016&fy=2017").await;
        assert!(
            report.contains(&format!("/documents/{BOOKLET}")),
            "{report}"
        );
        let markdown = app.text(&visitor, "/reports/annual.md?fy=2017").await;
        assert!(
            markdown.contains("事業承継の啓発冊子（デモ）【デモ】"),
            "{markdown}"
        );
    })
    .await;
}

#[tokio::test]
async fn uploads_are_judged_versions_kept_and_members_only_documents_hidden() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let staff = app
            .staff(
                &admin,
                "docs@sumida.tokyo-cci.example.jp",
                "tokyo-cci-sumida",
            )
            .await;
        let fields = [
            ("organisation", "tokyo-cci-sumida"),
            ("title", "金融機関ネットワーク協定書"),
            ("kind", "agreement"),
            ("description", "墨田区地域金融機関ネットワークの協定書"),
            ("visibility", "members"),
            ("initiative", INITIATIVE),
        ];
        // HTML in disguise is refused; what was typed stays.
        let refused = upload(
            &app,
            &staff,
            "/documents",
            &fields,
            (
                "協定書.pdf",
                b"<!DOCTYPE html><html><script>alert(1)</script></html>",
            ),
        )
        .await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = refused.text().await.unwrap();
        assert!(
            page.contains("HTMLやスクリプトのため受け付けられません"),
            "{page}"
        );
        assert!(page.contains("value=\"金融機関ネットワーク協定書\""));
        let refused = upload(&app, &staff, "/documents", &fields, ("page.html", b"hello")).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

        let created = upload(&app, &staff, "/documents", &fields, ("協定書.pdf", PDF)).await;
        assert_eq!(created.status(), StatusCode::SEE_OTHER);
        let location = created.headers()["location"].to_str().unwrap().to_owned();
        let key = between(&location, "/documents/", "?").unwrap();

        // A second upload is a new version; the first stays listed and served.
        let mut second = PDF.to_vec();
        second.extend_from_slice(b"% revised\n");
        let added = upload(
            &app,
            &staff,
            &format!("/documents/{key}/versions"),
            &[("note", "署名欄を修正")],
            ("協定書_改訂.pdf", &second),
        )
        .await;
        assert_eq!(added.status(), StatusCode::SEE_OTHER);
        let page = app.text(&staff, &format!("/documents/{key}")).await;
        assert!(page.contains("第2版") && page.contains("第1版"), "{page}");
        assert!(page.contains("署名欄を修正"));
        let first = app
            .get(&staff, &format!("/documents/{key}/versions/1"))
            .await;
        assert_eq!(first.status(), StatusCode::OK);
        assert_eq!(first.bytes().await.unwrap().as_ref(), PDF);
        let latest = app.get(&staff, &format!("/documents/{key}/file")).await;
        assert_eq!(latest.bytes().await.unwrap().as_ref(), second.as_slice());

        // Members only: never listed for an anonymous visitor, never served.
        let visitor = app.client();
        assert!(
            !app.text(&visitor, "/documents")
                .await
                .contains("金融機関ネットワーク協定書")
        );
        assert!(
            !app.text(&visitor, &format!("/initiatives/{INITIATIVE}"))
                .await
                .contains("金融機関ネットワーク協定書")
        );
        for path in [
            format!("/documents/{key}"),
            format!("/documents/{key}/file"),
            format!("/documents/{key}/versions/1"),
        ] {
            let response = app.get(&visitor, &path).await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
            assert_eq!(response.headers()["location"], "/login", "{path}");
        }
        let api = app.get(&visitor, &format!("/api/v1/documents/{key}")).await;
        assert_eq!(api.status(), StatusCode::FORBIDDEN);
        let listed: Value = app
            .get(&visitor, "/api/v1/documents")
            .await
            .json()
            .await
            .unwrap();
        assert!(!listed.to_string().contains(&key), "{listed}");
        // A signed-in member reads it.
        let member = crate::harness::company_member(
            &app,
            &admin,
            "reader@sumida-01.example.jp",
            "sumida-01",
        )
        .await;
        assert!(
            app.text(&member, "/documents")
                .await
                .contains("金融機関ネットワーク協定書")
        );
        // Staff of another organisation may not add a version.
        let other = app.staff(&admin, "docs@city.kaga.example.jp", "kaga").await;
        let refused = upload(
            &app,
            &other,
            &format!("/documents/{key}/versions"),
            &[],
            ("x.pdf", PDF),
        )
        .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    })
    .await;
}
