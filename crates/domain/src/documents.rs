//! The documents library (啓発冊子, 協定書, seminar materials, the 尼崎宣言): kinds,
//! who may read a document, and which uploads are accepted. Uploads are judged by
//! their content with the rules of form files ([`crate::forms::upload`]), and more
//! strictly: only PDF, images and office documents, never a file that is HTML or a
//! script whatever it is called.

use crate::Invalid;
use crate::text::{optional_text, required_line};

/// The largest file kept (the request body stops at 2 MB; the multipart envelope
/// takes a little of it).
pub const MAX_BYTES: usize = 2 * 1024 * 1024 - 64 * 1024;

/// The extensions accepted, as the upload form lists them.
pub const ALLOWED: [&str; 8] = ["pdf", "png", "jpg", "jpeg", "gif", "docx", "xlsx", "pptx"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// 啓発冊子・パンフレット.
    Booklet,
    /// 協定書.
    Agreement,
    /// セミナー資料.
    Seminar,
    /// 宣言（尼崎宣言）.
    Declaration,
    Other,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 5] = [
        DocumentKind::Booklet,
        DocumentKind::Agreement,
        DocumentKind::Seminar,
        DocumentKind::Declaration,
        DocumentKind::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DocumentKind::Booklet => "booklet",
            DocumentKind::Agreement => "agreement",
            DocumentKind::Seminar => "seminar",
            DocumentKind::Declaration => "declaration",
            DocumentKind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DocumentKind::Booklet => "啓発冊子・パンフレット",
            DocumentKind::Agreement => "協定書",
            DocumentKind::Seminar => "セミナー資料",
            DocumentKind::Declaration => "宣言",
            DocumentKind::Other => "その他の資料",
        }
    }

    pub fn parse(code: &str) -> Option<DocumentKind> {
        Self::ALL
            .into_iter()
            .find(|k| k.code() == code.trim() || k.label() == code.trim())
    }
}

/// Who may read a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Everyone, listed publicly.
    Public,
    /// Signed-in members only: never served to an anonymous visitor, never in a
    /// public list.
    Members,
}

impl Visibility {
    pub fn code(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Members => "members",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Visibility::Public => "公開",
            Visibility::Members => "会員限定",
        }
    }

    pub fn parse(code: &str) -> Option<Visibility> {
        [Visibility::Public, Visibility::Members]
            .into_iter()
            .find(|v| v.code() == code.trim() || v.label() == code.trim())
    }
}

/// What staff type about a document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentInput {
    pub title: String,
    pub kind: String,
    pub description: String,
    pub visibility: String,
    /// The key of the initiative it belongs to ('' for none).
    pub initiative: String,
    /// The key of the event it was handed out at ('' for none).
    pub event: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentDraft {
    pub title: String,
    pub kind: DocumentKind,
    pub description: String,
    pub visibility: Visibility,
    pub initiative: String,
    pub event: String,
}

impl DocumentDraft {
    pub fn parse(input: &DocumentInput) -> Result<DocumentDraft, Vec<Invalid>> {
        let mut errors = Vec::new();
        let mut keep = |r: Result<String, Invalid>| r.map_err(|e| errors.push(e)).ok();
        let title = keep(required_line("title", &input.title, 200));
        let description = keep(optional_text("description", &input.description, 2000));
        let initiative = keep(optional_text("initiative", &input.initiative, 200));
        let event = keep(optional_text("event", &input.event, 200));
        let kind = DocumentKind::parse(&input.kind);
        if kind.is_none() {
            errors.push(Invalid::new("kind", "資料の種類を選んでください。"));
        }
        let visibility = Visibility::parse(&input.visibility);
        if visibility.is_none() {
            errors.push(Invalid::new(
                "visibility",
                "公開か会員限定かを選んでください。",
            ));
        }
        match (title, description, initiative, event, kind, visibility) {
            (
                Some(title),
                Some(description),
                Some(initiative),
                Some(event),
                Some(kind),
                Some(visibility),
            ) if errors.is_empty() => Ok(DocumentDraft {
                title,
                kind,
                description,
                visibility,
                initiative,
                event,
            }),
            _ => Err(errors),
        }
    }
}

/// Whether the file begins like markup or script a browser would run (HTML, SVG,
/// XML), whatever it is called. (A file that only contains such text later is served
/// with its own type and `nosniff`, so no browser runs it.)
fn looks_like_markup(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(512)];
    let text = String::from_utf8_lossy(head).to_lowercase();
    let text = text.trim_start_matches('\u{feff}').trim_start();
    [
        "<!doctype",
        "<html",
        "<script",
        "<svg",
        "<?xml",
        "<body",
        "<head",
        "<iframe",
        "<!--",
    ]
    .iter()
    .any(|tag| text.starts_with(tag))
}

/// Judges an upload for the library: the name's extension must be one of
/// [`ALLOWED`], the content must be what the extension says (the form files' rule),
/// never markup or a script, at most [`MAX_BYTES`]. Returns the content type kept.
pub fn check_upload(name: &str, bytes: &[u8]) -> Result<&'static str, String> {
    if bytes.len() > MAX_BYTES {
        return Err(format!(
            "ファイルは{}KB以下にしてください（「{name}」は{}KBあります）。",
            MAX_BYTES / 1024,
            bytes.len().div_ceil(1024)
        ));
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_lowercase())
        .unwrap_or_default();
    if !ALLOWED.contains(&extension.as_str()) {
        return Err(format!(
            "資料の形式は PDF・画像（PNG・JPEG・GIF）・Office文書（Word・Excel・PowerPoint）にしてください（「{name}」）。"
        ));
    }
    if looks_like_markup(bytes) {
        return Err(format!(
            "「{name}」の中身はHTMLやスクリプトのため受け付けられません。"
        ));
    }
    crate::forms::upload::check_content(name, bytes)
}

/// Whether a stored file may be shown in the browser (PDF and images with their own
/// safe type); anything else is always a download.
pub fn may_show_inline(content_type: &str) -> bool {
    matches!(
        content_type,
        "application/pdf" | "image/png" | "image/jpeg" | "image/gif"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_and_scripts_in_disguise_are_refused_and_pdfs_kept() {
        assert_eq!(
            check_upload("冊子.pdf", b"%PDF-1.7\n%...").unwrap(),
            "application/pdf"
        );
        let html = check_upload("冊子.pdf", b"<!DOCTYPE html><script>alert(1)</script>");
        assert!(html.unwrap_err().contains("HTML"));
        let svg = check_upload("図.png", b"  <svg onload=alert(1)>");
        assert!(svg.unwrap_err().contains("HTML"));
        assert!(
            check_upload("page.html", b"hello")
                .unwrap_err()
                .contains("資料の形式")
        );
        assert!(
            check_upload("setup.pdf", b"MZ\x90")
                .unwrap_err()
                .contains("プログラム")
        );
        assert!(check_upload("大きい.pdf", &vec![b'%'; MAX_BYTES + 1]).is_err());
        assert!(may_show_inline("application/pdf"));
        assert!(!may_show_inline("application/zip"));
    }
}
