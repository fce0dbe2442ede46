//! Uploaded files are judged by what they contain, not only by their name: a file
//! called 決算書.pdf must begin like a PDF, an image like that image, an Excel or Word
//! file like the zip it is; programs are refused whatever they are called.

/// Why an upload was refused, in Japanese.
pub fn check_content(name: &str, bytes: &[u8]) -> Result<&'static str, String> {
    if bytes.is_empty() {
        return Err(format!("「{name}」は空のファイルです。"));
    }
    if bytes.starts_with(b"MZ") || bytes.starts_with(b"\x7fELF") || bytes.starts_with(b"#!") {
        return Err(format!("「{name}」はプログラムのため受け付けられません。"));
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_lowercase())
        .unwrap_or_default();
    let (expected, content_type): (fn(&[u8]) -> bool, &'static str) = match extension.as_str() {
        "pdf" => (|b| b.starts_with(b"%PDF-"), "application/pdf"),
        "png" => (|b| b.starts_with(b"\x89PNG\r\n\x1a\n"), "image/png"),
        "jpg" | "jpeg" => (|b| b.starts_with(&[0xFF, 0xD8, 0xFF]), "image/jpeg"),
        "gif" => (
            |b| b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a"),
            "image/gif",
        ),
        "xlsx" => (
            |b| b.starts_with(b"PK\x03\x04"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "docx" => (
            |b| b.starts_with(b"PK\x03\x04"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        "pptx" => (
            |b| b.starts_with(b"PK\x03\x04"),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        "zip" => (|b| b.starts_with(b"PK\x03\x04"), "application/zip"),
        "txt" | "csv" => (|b| !b.contains(&0), "text/plain"),
        _ => return Ok("application/octet-stream"),
    };
    if expected(bytes) {
        Ok(if extension == "csv" {
            "text/csv"
        } else {
            content_type
        })
    } else {
        Err(format!(
            "「{name}」の中身が拡張子（.{extension}）の形式ではありません。正しいファイルを選んでください。"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdf_must_begin_like_a_pdf_and_programs_are_refused() {
        assert_eq!(
            check_content("決算書.PDF", b"%PDF-1.7\n...").unwrap(),
            "application/pdf"
        );
        let renamed = check_content("決算書.pdf", b"PK\x03\x04rest").unwrap_err();
        assert!(
            renamed.contains("拡張子（.pdf）の形式ではありません"),
            "{renamed}"
        );
        assert!(
            check_content("setup.pdf", b"MZ\x90\x00")
                .unwrap_err()
                .contains("プログラム")
        );
        assert!(
            check_content("空.txt", b"")
                .unwrap_err()
                .contains("空のファイル")
        );
        assert_eq!(
            check_content("表.csv", "社名,市\n".as_bytes()).unwrap(),
            "text/csv"
        );
        assert!(check_content("表.csv", b"a\0b").is_err());
    }
}
