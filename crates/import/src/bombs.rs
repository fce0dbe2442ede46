//! Hostile files, made on demand: decompression bombs and other small files that once
//! made the readers reserve or hold gigabytes (issue 21). They are the regression
//! tests' inputs, the fuzz seeds (`fuzz/seeds/`), the committed corpus
//! (`crates/import/tests/bombs/`, written by the ignored test
//! `write_the_bomb_corpus`) and the uploads of the memory test of `renkei serve`
//! (`crates/cli/tests/it/bombs.rs`). Nothing in the product calls them.
//!
//! Sizes are parameters: the corpus keeps small files (a few KB to a few dozen KB,
//! already over [`crate::Budget::UPLOAD`] once unpacked), and the tests build the
//! issue's full-size ones (1 GiB inside a 1 MB ZIP) in memory when they run.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// One hostile file: a name for the corpus and the upload, and its bytes.
#[derive(Debug, Clone)]
pub struct Bomb {
    pub name: &'static str,
    pub bytes: Vec<u8>,
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;

const PACKAGE_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="企業" sheetId="1" r:id="rId1"/></sheets></workbook>"#;

const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;

/// A sheet whose first row is the header 会社名 (shared string 0) and whose second row
/// names a company (shared string 1, or inline when there is no second string).
const SHEET: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row></sheetData></worksheet>"#;

/// What one ZIP entry holds.
enum Part<'a> {
    Text(&'a str),
    /// `head`, then `piece` `times` times, then `tail`: a large entry written from
    /// small pieces, never held whole.
    Repeated {
        head: &'a str,
        piece: &'a [u8],
        times: u64,
        tail: &'a str,
    },
    /// Another file, stored as it is (a ZIP inside the ZIP).
    Bytes(&'a [u8]),
}

fn zip_of(entries: &[(&str, Part<'_>)]) -> Vec<u8> {
    let mut bytes = Vec::new();
    // Writing into memory fails only when memory does; a test may panic then.
    write_zip(&mut bytes, entries).expect("a ZIP is written into memory");
    bytes
}

fn write_zip(out: &mut Vec<u8>, entries: &[(&str, Part<'_>)]) -> zip::result::ZipResult<()> {
    let mut zip = ZipWriter::new(Cursor::new(out));
    for (name, part) in entries {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .large_file(matches!(part, Part::Repeated { piece, times, .. } if piece.len() as u64 * times >= u32::MAX as u64));
        zip.start_file(*name, options)?;
        match part {
            Part::Text(text) => zip.write_all(text.as_bytes())?,
            Part::Bytes(bytes) => zip.write_all(bytes)?,
            Part::Repeated {
                head,
                piece,
                times,
                tail,
            } => {
                zip.write_all(head.as_bytes())?;
                // Pieces are written a megabyte at a time: fewer calls into the encoder.
                let per_block = ((1 << 20) / piece.len().max(1)).max(1);
                let block = piece.repeat(per_block);
                let mut left = *times;
                while left >= per_block as u64 {
                    zip.write_all(&block)?;
                    left -= per_block as u64;
                }
                for _ in 0..left {
                    zip.write_all(piece)?;
                }
                zip.write_all(tail.as_bytes())?;
            }
        }
    }
    zip.finish()?;
    Ok(())
}

/// A workbook with the given shared-string table and sheet, otherwise as Excel
/// writes one.
fn workbook(shared_strings: Part<'_>, sheet: Part<'_>) -> Vec<u8> {
    zip_of(&[
        ("[Content_Types].xml", Part::Text(CONTENT_TYPES)),
        ("_rels/.rels", Part::Text(PACKAGE_RELS)),
        ("xl/workbook.xml", Part::Text(WORKBOOK)),
        ("xl/_rels/workbook.xml.rels", Part::Text(WORKBOOK_RELS)),
        ("xl/sharedStrings.xml", shared_strings),
        ("xl/worksheets/sheet1.xml", sheet),
    ])
}

const SST_OPEN: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main""#;

/// A well-formed staff list of one company, for the tests that need the good case.
pub fn xlsx_list() -> Bomb {
    let strings = format!(
        r#"{SST_OPEN} count="2" uniqueCount="2"><si><t>会社名</t></si><si><t>株式会社蒲田ミクロ</t></si></sst>"#
    );
    Bomb {
        name: "good-list.xlsx",
        bytes: workbook(Part::Text(&strings), Part::Text(SHEET)),
    }
}

/// Finding 1: `uniqueCount="2000000000"` in a 1–2 KB workbook. calamine reserved 24
/// bytes per declared string, 48 GB, and the process aborted.
pub fn xlsx_unique_count() -> Bomb {
    let strings = format!(
        r#"{SST_OPEN} count="2" uniqueCount="2000000000"><si><t>会社名</t></si><si><t>株式会社蒲田ミクロ</t></si></sst>"#
    );
    Bomb {
        name: "unique-count.xlsx",
        bytes: workbook(Part::Text(&strings), Part::Text(SHEET)),
    }
}

/// Billion laughs: ten levels of entities, each ten of the one below, in the shared
/// strings. Neither calamine nor quick-xml expands them (a unit test proves it); the
/// pre-scan refuses the DTD.
pub fn xlsx_billion_laughs() -> Bomb {
    let mut dtd = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE sst [<!ENTITY lol0 "lol">"#,
    );
    for level in 1..10 {
        let below = format!("&lol{};", level - 1).repeat(10);
        dtd.push_str(&format!(r#"<!ENTITY lol{level} "{below}">"#));
    }
    dtd.push(']');
    dtd.push('>');
    let strings = format!(
        r#"{dtd}<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2"><si><t>会社名</t></si><si><t>&lol9;</t></si></sst>"#
    );
    Bomb {
        name: "billion-laughs.xlsx",
        bytes: workbook(Part::Text(&strings), Part::Text(SHEET)),
    }
}

/// One shared string of `bytes` letters (the issue's: 1 GiB in a 1.0 MB workbook,
/// 3.7 GB at peak).
pub fn xlsx_long_shared_string(bytes: u64) -> Bomb {
    let head = format!(r#"{SST_OPEN} count="2" uniqueCount="2"><si><t>会社名</t></si><si><t>"#);
    Bomb {
        name: "long-shared-string.xlsx",
        bytes: workbook(
            Part::Repeated {
                head: &head,
                piece: b"a",
                times: bytes,
                tail: "</t></si></sst>",
            },
            Part::Text(SHEET),
        ),
    }
}

/// A sheet of about `bytes` of rows that all name the same company (the issue's: a
/// 700 MiB sheet in a 1.8 MB workbook, accepted at a 4.2 GB peak).
pub fn xlsx_huge_sheet(bytes: u64) -> Bomb {
    // Rows padded with blanks between them (XML allows them): deflate packs a run of
    // one byte a thousand to one, and rows at a 33-byte period only about 150 to one,
    // which would not fit 700 MiB under the 2 MB upload limit.
    const ROW: &[u8] = br#"<row><c t="s"><v>1</v></c></row>"#;
    let mut piece = ROW.to_vec();
    piece.resize(4096, b' ');
    let strings = format!(
        r#"{SST_OPEN} count="2" uniqueCount="2"><si><t>会社名</t></si><si><t>株式会社蒲田ミクロ</t></si></sst>"#
    );
    Bomb {
        name: "huge-sheet.xlsx",
        bytes: workbook(
            Part::Text(&strings),
            Part::Repeated {
                head: r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row><c t="s"><v>0</v></c></row>"#,
                piece: &piece,
                times: bytes / piece.len() as u64,
                tail: "</sheetData></worksheet>",
            },
        ),
    }
}

/// An NTA ZIP holding `bytes` zeros (the issue's: 1 GiB in a 1 MB ZIP; 20 MiB in a
/// 20 KB one already peaked at 2.8 GB of refused rows).
pub fn nta_zeros(bytes: u64) -> Bomb {
    Bomb {
        name: "nta-zeros.zip",
        bytes: zip_of(&[(
            "zeros.csv",
            Part::Repeated {
                head: "",
                piece: &[0],
                times: bytes,
                tail: "",
            },
        )]),
    }
}

/// An NTA ZIP of `rows` refused rows, each with a wrong check digit: every one is a
/// refusal the import must count without keeping.
pub fn nta_refused_rows(rows: u64) -> Bomb {
    const ROW: &[u8] = "1,1000012050002,01,0,2025-04-01,2025-04-01,株式会社誤番号,,301,東京都,大田区,1-1,,13,111,1000001,,,,,,,2015-10-05,1,,,,,ゴバンゴウ,0\n".as_bytes();
    Bomb {
        name: "nta-refused-rows.zip",
        bytes: zip_of(&[(
            "refused.csv",
            Part::Repeated {
                head: "",
                piece: ROW,
                times: rows,
                tail: "",
            },
        )]),
    }
}

/// A ZIP holding a ZIP holding an NTA CSV.
pub fn nested_zip() -> Bomb {
    let inner = nta_zeros(1 << 20).bytes;
    Bomb {
        name: "nested.zip",
        bytes: zip_of(&[("inner.zip", Part::Bytes(&inner))]),
    }
}

/// A staff list of one header and one line of `bytes` letters, zipped (the upload
/// stops at 2 MB, so a 500 MB line arrives zipped or not at all).
pub fn zipped_long_line(bytes: u64) -> Bomb {
    Bomb {
        name: "long-line.zip",
        bytes: zip_of(&[(
            "list.csv",
            Part::Repeated {
                head: "会社名\n",
                piece: b"a",
                times: bytes,
                tail: "\n",
            },
        )]),
    }
}

/// `bomb` with every declared uncompressed size (local headers and central
/// directory) rewritten to `size`: a directory that lies, so that only counting the
/// bytes as they unpack can catch it.
pub fn with_declared_size(bomb: Bomb, size: u32) -> Bomb {
    let mut bytes = bomb.bytes;
    let mut at = 0;
    while at + 28 <= bytes.len() {
        match &bytes[at..at + 4] {
            b"PK\x03\x04" => bytes[at + 22..at + 26].copy_from_slice(&size.to_le_bytes()),
            b"PK\x01\x02" => bytes[at + 24..at + 28].copy_from_slice(&size.to_le_bytes()),
            _ => {}
        }
        at += 1;
    }
    let name = if bomb.name.ends_with(".xlsx") {
        "lying-size.xlsx"
    } else {
        "lying-size.zip"
    };
    Bomb { name, bytes }
}

/// Every bomb at the size kept in the corpus: a few KB to a few dozen KB each, each
/// already over [`crate::Budget::UPLOAD`] where size is what makes it a bomb.
pub fn corpus() -> Vec<Bomb> {
    const OVER_UPLOAD: u64 = 40 << 20;
    vec![
        xlsx_unique_count(),
        xlsx_billion_laughs(),
        xlsx_long_shared_string(OVER_UPLOAD),
        xlsx_huge_sheet(OVER_UPLOAD),
        nta_zeros(OVER_UPLOAD),
        nta_refused_rows(20_000),
        nested_zip(),
        zipped_long_line(OVER_UPLOAD),
        with_declared_size(xlsx_huge_sheet(OVER_UPLOAD), 1000),
    ]
}
