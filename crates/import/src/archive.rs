//! What a ZIP or XLSX holds, checked against a [`Budget`] before any parser reads it.
//!
//! [`check_directory`] reads only the central directory: the number of entries and each
//! entry's declared uncompressed size, alone and in total. Declared sizes can lie, so
//! the bytes are also counted as they are decompressed: the NTA reader's stream stops
//! at the declared size (`source::Checked`), and [`check_workbook`] decompresses every
//! entry of an XLSX once, counting, before calamine is given the workbook.
//!
//! calamine (0.38) trusts a workbook in two ways this pre-scan takes away:
//! - it reserves room for `uniqueCount` strings as soon as it opens
//!   `sharedStrings.xml` (`Vec::reserve(uniqueCount)`, 24 bytes each: 48 GB for two
//!   billion), and keeps every shared string in memory; the pre-scan refuses a
//!   declared count above the budget's number of strings or above what the table's
//!   size could hold, a table with more strings or bytes than the budget, and one
//!   string longer than Excel's limit of 32,767 characters;
//! - quick-xml buffers one token (a tag, or the text between two tags) whole; the
//!   pre-scan reads every XML part through [`TokenLimit`], so no token it accepts is
//!   longer than [`MAX_XML_TOKEN_BYTES`].
//!
//! Neither calamine nor quick-xml expands entities declared in a DTD (calamine
//! resolves the five predefined ones and character references, and refuses any
//! other: a unit test proves it on a billion-laughs table), but no part Excel writes
//! has a DTD, so one is refused here as well and nothing downstream has to be right
//! about it.
//!
//! The workbook's bytes do not change between the pre-scan and calamine's reading (an
//! upload is in memory; a file on the server is read through the same handle), and
//! decompression is deterministic, so what the pre-scan measured is what calamine
//! reads.

use std::io::{self, BufReader, Read, Seek, SeekFrom};

use quick_xml::events::Event;
use zip::ZipArchive;

use crate::budget::{Budget, MAX_CELL_CHARS, MAX_XML_TOKEN_BYTES};
use crate::error::OpenError;

/// Checks a ZIP's central directory against the budget: entry count, each entry's
/// declared uncompressed size, and their total.
pub(crate) fn check_directory<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    budget: &Budget,
) -> Result<(), OpenError> {
    if archive.len() > budget.max_entries {
        return Err(OpenError::TooManyEntries {
            found: archive.len(),
            limit: budget.max_entries,
        });
    }
    let mut total = 0u64;
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index)?;
        let size = entry.size();
        if size > budget.max_entry_bytes {
            return Err(OpenError::TooLarge {
                limit: budget.max_entry_bytes,
            });
        }
        total = total.saturating_add(size);
        if total > budget.max_total_bytes {
            return Err(OpenError::TooLarge {
                limit: budget.max_total_bytes,
            });
        }
    }
    Ok(())
}

/// Checks an XLSX before calamine opens it: the directory against the budget, then
/// every entry decompressed once and counted (never more than it declares), every XML
/// part parsed through [`TokenLimit`] without a DTD, and the shared-string table as the
/// module documentation says. Leaves `source` where it was.
pub(crate) fn check_workbook<R: Read + Seek>(
    source: &mut R,
    budget: &Budget,
) -> Result<(), OpenError> {
    let start = source.stream_position()?;
    let result = check_workbook_at(&mut *source, budget);
    source.seek(SeekFrom::Start(start))?;
    result
}

fn check_workbook_at<R: Read + Seek>(source: R, budget: &Budget) -> Result<(), OpenError> {
    let mut archive =
        ZipArchive::new(source).map_err(|error| OpenError::Xlsx(zip_reason(error)))?;
    check_directory(&mut archive, budget)?;
    for index in 0..archive.len() {
        let entry = archive
            .by_index(index)
            .map_err(|error| OpenError::Xlsx(zip_reason(error)))?;
        if entry.is_dir() {
            continue;
        }
        // A name that is not text cannot be one calamine looks up; it is only counted.
        let name = entry
            .name()
            .map(|name| name.to_ascii_lowercase())
            .unwrap_or_default();
        let declared = entry.size();
        let mut counted = Counted::new(entry, declared);
        if name.ends_with("sharedstrings.xml") {
            if declared > budget.shared_strings_bytes() {
                return Err(OpenError::TooLarge {
                    limit: budget.shared_strings_bytes(),
                });
            }
            check_shared_strings(&mut counted, declared, budget)?;
        } else if name.ends_with(".xml") || name.ends_with(".rels") {
            check_xml(&mut counted)?;
        }
        // Whatever the parser left (or a binary part) is read to its end, so that the
        // count covers the whole entry.
        io::copy(&mut counted, &mut io::sink()).map_err(xlsx_io)?;
    }
    Ok(())
}

/// A Japanese reason for a ZIP that is not a readable workbook.
fn zip_reason(error: zip::result::ZipError) -> String {
    match error {
        zip::result::ZipError::UnsupportedArchive(_) => {
            "対応していない圧縮方式か暗号化が使われています".to_owned()
        }
        zip::result::ZipError::Io(_) | zip::result::ZipError::InvalidArchive(_) => {
            "ZIPとして壊れています".to_owned()
        }
        _ => "ZIPとして読めません".to_owned(),
    }
}

/// An entry's bytes as they are decompressed, refused past the size the directory
/// declares (and so past the budget, which the declared size has already passed).
struct Counted<R> {
    inner: R,
    declared: u64,
    seen: u64,
}

impl<R> Counted<R> {
    fn new(inner: R, declared: u64) -> Self {
        Counted {
            inner,
            declared,
            seen: 0,
        }
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // One byte more than declared is asked for, so that a longer entry is noticed.
        let room = self.declared.saturating_sub(self.seen).saturating_add(1);
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.seen += n as u64;
        if self.seen > self.declared {
            return Err(io::Error::new(io::ErrorKind::InvalidData, Oversized::Entry));
        }
        Ok(n)
    }
}

/// Why a budgeted reader stopped, carried inside an `io::Error` through the parsers.
#[derive(Debug, thiserror::Error)]
enum Oversized {
    #[error("ブックの中の部品が目録に書かれた大きさより長く、壊れています")]
    Entry,
    #[error("ブックの中のXMLに長すぎる要素や文字列があります")]
    Token,
}

/// Passes XML bytes through, refusing a run of more than [`MAX_XML_TOKEN_BYTES`]
/// without an angle bracket: quick-xml holds such a run (a tag, or the text between
/// two tags) in one buffer.
pub(crate) struct TokenLimit<R> {
    inner: R,
    run: u64,
}

impl<R> TokenLimit<R> {
    pub(crate) fn new(inner: R) -> Self {
        TokenLimit { inner, run: 0 }
    }
}

impl<R: Read> Read for TokenLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &byte in &buf[..n] {
            if byte == b'<' || byte == b'>' {
                self.run = 0;
            } else {
                self.run += 1;
                if self.run > MAX_XML_TOKEN_BYTES {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, Oversized::Token));
                }
            }
        }
        Ok(n)
    }
}

/// An XML reader configured as calamine configures its own.
fn xml_reader<R: Read>(inner: R) -> quick_xml::Reader<BufReader<TokenLimit<R>>> {
    let mut reader = quick_xml::Reader::from_reader(BufReader::new(TokenLimit::new(inner)));
    let config = reader.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    reader
}

/// An `io::Error` from a budgeted reader keeps its Japanese reason; anything else is
/// an unreadable part.
fn xlsx_io(error: io::Error) -> OpenError {
    match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<Oversized>())
    {
        Some(reason) => OpenError::Xlsx(reason.to_string()),
        None => OpenError::Xlsx("ブックの中の部品を展開できません".to_owned()),
    }
}

fn xml_error(error: quick_xml::Error) -> OpenError {
    match error {
        quick_xml::Error::Io(io) => {
            match io.get_ref().and_then(|e| e.downcast_ref::<Oversized>()) {
                Some(reason) => OpenError::Xlsx(reason.to_string()),
                None => OpenError::Xlsx("ブックの中の部品を展開できません".to_owned()),
            }
        }
        _ => OpenError::Xlsx("ブックの中のXMLが壊れています".to_owned()),
    }
}

/// Parses one XML part to its end, refusing a DTD.
fn check_xml<R: Read>(inner: R) -> Result<(), OpenError> {
    let mut xml = xml_reader(inner);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).map_err(xml_error)? {
            Event::DocType(_) => return Err(OpenError::Doctype),
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// The shared-string table: no DTD, at most `max_shared_strings` `<si>` elements, no
/// string longer than [`MAX_CELL_CHARS`] (phonetic guides, `<rPh>`, are not part of
/// the string), and a declared `uniqueCount`, which calamine reserves room for, that
/// is within the budget's number of strings and no more than the table's `bytes`
/// could hold (the smallest string, `<si/>`, takes five bytes). A count merely larger
/// than the strings present is let through: some writers count every use, and the
/// reservation is bounded all the same.
fn check_shared_strings<R: Read>(inner: R, bytes: u64, budget: &Budget) -> Result<(), OpenError> {
    let mut xml = xml_reader(inner);
    let mut buf = Vec::new();
    let mut seen_sst = false;
    let mut strings = 0u64;
    let mut in_string = false;
    let mut phonetic_depth = 0u32;
    let mut chars = 0usize;
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).map_err(xml_error)? {
            Event::DocType(_) => return Err(OpenError::Doctype),
            Event::Start(element) => match element.local_name().as_ref() {
                // calamine takes the first `sst` element's count, as here.
                "sst" if !seen_sst => {
                    seen_sst = true;
                    match unique_count(element.attributes_raw().as_bytes())? {
                        Some(declared) if declared > budget.max_shared_strings => {
                            return Err(OpenError::TooManySharedStrings {
                                limit: budget.max_shared_strings,
                            });
                        }
                        Some(declared) if declared > bytes / 5 => {
                            return Err(OpenError::SharedStringCount { declared });
                        }
                        _ => {}
                    }
                }
                "si" => {
                    strings += 1;
                    if strings > budget.max_shared_strings {
                        return Err(OpenError::TooManySharedStrings {
                            limit: budget.max_shared_strings,
                        });
                    }
                    in_string = true;
                    phonetic_depth = 0;
                    chars = 0;
                }
                "rPh" if in_string => phonetic_depth += 1,
                _ => {}
            },
            Event::End(element) => match element.local_name().as_ref() {
                "si" => in_string = false,
                "rPh" => phonetic_depth = phonetic_depth.saturating_sub(1),
                _ => {}
            },
            Event::Text(text) if in_string && phonetic_depth == 0 => {
                chars += text.as_ref().chars().count();
                if chars > MAX_CELL_CHARS {
                    return Err(OpenError::CellTooLong);
                }
            }
            Event::GeneralRef(_) | Event::CData(_) if in_string && phonetic_depth == 0 => {
                chars += 1;
                if chars > MAX_CELL_CHARS {
                    return Err(OpenError::CellTooLong);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(())
}

/// The `uniqueCount` attribute of the `sst` element, found as calamine finds it (the
/// first key exactly `uniqueCount` in the raw attribute text; see calamine's
/// `attrs::RawAttrIter`, whose scan this repeats). A value that is not plain digits is
/// refused: Excel writes nothing else, and calamine's own number reading is not
/// repeated here to the letter.
fn unique_count(raw: &[u8]) -> Result<Option<u64>, OpenError> {
    let broken = || OpenError::Xlsx("共有文字列の表の見出しが壊れています".to_owned());
    let mut rest = raw;
    loop {
        rest = rest.trim_ascii_start();
        if rest.is_empty() {
            return Ok(None);
        }
        // A key without `=`, or a value without quotes, stops calamine's scan with an
        // error (and the workbook with it); nothing is reserved.
        let Some(equals) = rest.iter().position(|&b| b == b'=') else {
            return Ok(None);
        };
        let key = rest[..equals].trim_ascii_end();
        rest = rest[equals + 1..].trim_ascii_start();
        let Some(&quote) = rest.first().filter(|q| matches!(q, b'"' | b'\'')) else {
            return Ok(None);
        };
        rest = &rest[1..];
        let end = rest.iter().position(|&b| b == quote).unwrap_or(rest.len());
        let value = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or(&[]);
        if key == b"uniqueCount" {
            if value.is_empty() || value.len() > 19 || !value.iter().all(u8::is_ascii_digit) {
                return Err(broken());
            }
            let number = std::str::from_utf8(value)
                .ok()
                .and_then(|digits| digits.parse::<u64>().ok())
                .ok_or_else(broken)?;
            return Ok(Some(number));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_count_is_found_as_calamine_finds_it() {
        assert_eq!(
            unique_count(br#"xmlns="x" count="3" uniqueCount="2""#).unwrap(),
            Some(2)
        );
        assert_eq!(unique_count(br#" uniqueCount = '7' "#).unwrap(), Some(7));
        assert_eq!(unique_count(br#"count="3""#).unwrap(), None);
        assert_eq!(
            unique_count(br#"a="uniqueCount" uniqueCount="5""#).unwrap(),
            Some(5)
        );
        assert!(unique_count(br#"uniqueCount="+2000000000""#).is_err());
        assert!(unique_count(br#"uniqueCount="99999999999999999999""#).is_err());
        assert!(unique_count(br#"uniqueCount="&#50;""#).is_err());
    }

    #[test]
    fn a_token_longer_than_the_limit_stops_the_reader() {
        let long = vec![b'a'; (MAX_XML_TOKEN_BYTES + 1) as usize];
        let mut sink = Vec::new();
        let error = TokenLimit::new(&long[..])
            .read_to_end(&mut sink)
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        let mut fine = b"<a>".to_vec();
        fine.extend(std::iter::repeat_n(b'a', 1000));
        fine.extend(b"</a>");
        sink.clear();
        TokenLimit::new(&fine[..]).read_to_end(&mut sink).unwrap();
        assert_eq!(sink, fine);
    }

    #[test]
    fn an_entry_longer_than_declared_is_refused_while_it_streams() {
        let mut sink = Vec::new();
        let error = Counted::new(&b"0123456789"[..], 4)
            .read_to_end(&mut sink)
            .unwrap_err();
        assert!(error.to_string().contains("目録"), "{error}");
        sink.clear();
        Counted::new(&b"0123"[..], 4)
            .read_to_end(&mut sink)
            .unwrap();
        assert_eq!(sink, b"0123");
    }
}
