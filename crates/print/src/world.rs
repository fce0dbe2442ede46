//! The smallest typst `World`: the document's template as `main.typ`, the shared
//! `common.typ`, its data as `data.json`, and the bundled font. There is nothing
//! else to read: no file system, no packages (an `@preview` import fails), so a
//! document can only be typeset from what this crate carries.

use std::sync::{LazyLock, Mutex};

use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

use crate::PrintError;

/// IPAex Gothic (IPAexゴシック), IPA Font License v1.0: see `fonts/`.
static FONT_DATA: &[u8] = include_bytes!("../fonts/ipaexg.ttf");

/// The family name the templates ask for.
pub const FONT_FAMILY: &str = "IPAexGothic";

const COMMON: &str = include_str!("../templates/common.typ");

/// What every document shares: built once per process.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    main: FileId,
    common: FileId,
    data: FileId,
}

static SHARED: LazyLock<Result<Shared, String>> = LazyLock::new(|| {
    let fonts: Vec<Font> = Font::iter(Bytes::new(FONT_DATA)).collect();
    if fonts.is_empty() {
        return Err("the bundled font could not be read".to_owned());
    }
    let book = FontBook::from_fonts(&fonts);
    let id = |path: &str| {
        VirtualPath::new(path)
            .map(|vpath| RootedPath::new(VirtualRoot::Project, vpath).intern())
            .map_err(|e| format!("{path}: {e:?}"))
    };
    Ok(Shared {
        library: LazyHash::new(Library::default()),
        book: LazyHash::new(book),
        fonts,
        main: id("/main.typ")?,
        common: id("/common.typ")?,
        data: id("/data.json")?,
    })
});

/// typst's memoisation cache is process-wide: typesetting is serialised and the
/// cache trimmed after each document, so a long-running server does not grow.
static TYPESETTING: Mutex<()> = Mutex::new(());

struct DocumentWorld {
    shared: &'static Shared,
    main: Source,
    common: Source,
    data: Bytes,
}

impl World for DocumentWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.shared.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.shared.book
    }

    fn main(&self) -> FileId {
        self.shared.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.shared.main {
            Ok(self.main.clone())
        } else if id == self.shared.common {
            Ok(self.common.clone())
        } else {
            Err(not_found(id))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.shared.data {
            Ok(self.data.clone())
        } else if id == self.shared.main || id == self.shared.common {
            self.source(id)
                .map(|s| Bytes::from_string(s.text().to_owned()))
        } else {
            Err(not_found(id))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.shared.fonts.get(index).cloned()
    }

    /// Documents print the date they are given, never the machine's clock.
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(std::path::PathBuf::from(
        id.get().vpath().get_without_slash(),
    ))
}

fn describe(diagnostics: &[SourceDiagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| d.message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Typesets `template` (typst markup) with `data` as `data.json` into PDF bytes.
pub fn typeset(template: &str, data: Vec<u8>) -> Result<Vec<u8>, PrintError> {
    let shared = SHARED
        .as_ref()
        .map_err(|e| PrintError::Typeset(e.clone()))?;
    let world = DocumentWorld {
        shared,
        main: Source::new(shared.main, template.to_owned()),
        common: Source::new(shared.common, COMMON.to_owned()),
        data: Bytes::new(data),
    };
    let _guard = TYPESETTING.lock().unwrap_or_else(|e| e.into_inner());
    let compiled = typst::compile::<PagedDocument>(&world).output;
    let pdf =
        compiled.and_then(|document| typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default()));
    typst::comemo::evict(2);
    pdf.map_err(|errors| PrintError::Typeset(describe(&errors)))
}
