//! From bytes to CSV fields: a plain file or a ZIP holding one CSV, in UTF-8 (with or
//! without BOM) or Shift_JIS, decided from the data.
//!
//! The encoding is not guessed from a fixed-size sample: CSV structure (commas, quotes,
//! line ends) is ASCII in both encodings, and no Shift_JIS trail byte is a comma, quote
//! or line end, so records are split on the raw bytes and the encoding is decided at the
//! first record that is not pure ASCII (a BOM decides it at once). A record that is
//! valid UTF-8 is almost never Shift_JIS Japanese, whose lead bytes 0x81–0x9F cannot
//! start a UTF-8 sequence. Later records that contradict the decision are refused one
//! by one with an `encoding` row error rather than silently garbled.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::{self, Chain, Cursor, Read, Seek, SeekFrom};

use flate2::read::DeflateDecoder;
use zip::{CompressionMethod, ZipArchive};

use crate::budget::Budget;
use crate::error::{OpenError, size_label};

/// The two encodings the NTA publishes, and what staff lists come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark (the NTA's 「Unicode」 files).
    Utf8,
    /// Shift_JIS as Windows writes it (CP932, windows-31j), which is what encoding_rs
    /// decodes under that name.
    ShiftJis,
}

impl Encoding {
    /// The name used in messages.
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::ShiftJis => "Shift_JIS",
        }
    }
}

const UTF8_BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// Reads until `buffer` is full or the input ends; returns how much was read.
pub(crate) fn read_up_to(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// Whether bytes start like a ZIP archive (a local file header, or an empty archive).
pub(crate) fn is_zip(magic: &[u8]) -> bool {
    magic.starts_with(b"PK\x03\x04") || magic.starts_with(b"PK\x05\x06")
}

/// The uncompressed bytes of a plain file or of the CSV inside a ZIP.
pub(crate) enum Stream<R: Read> {
    Plain(R),
    Stored(Checked<io::Take<R>>),
    Deflated(Checked<DeflateDecoder<io::Take<R>>>),
}

impl<R: Read> Read for Stream<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(inner) => inner.read(buf),
            Stream::Stored(inner) => inner.read(buf),
            Stream::Deflated(inner) => inner.read(buf),
        }
    }
}

/// Opens `inner` as a ZIP (when its first bytes say so) or as a plain file.
///
/// From a ZIP it takes the first entry whose name ends in `.csv`, or else the first
/// file. The directory is checked against the budget first (entries, declared sizes);
/// the entry is streamed straight from the archive: its position and size come from
/// the central directory, it stops with an error past its declared size (which the
/// budget has passed), and its CRC and length are checked at the end. An entry that
/// is itself a ZIP is refused by the readers when they see its first bytes.
pub(crate) fn open_stream<R: Read + Seek>(
    mut inner: R,
    budget: &Budget,
) -> Result<Stream<R>, OpenError> {
    let start = inner.stream_position()?;
    let mut magic = [0u8; 4];
    let read = read_up_to(&mut inner, &mut magic)?;
    inner.seek(SeekFrom::Start(start))?;
    if !is_zip(&magic[..read]) {
        return Ok(Stream::Plain(inner));
    }
    let mut archive = ZipArchive::new(inner)?;
    crate::archive::check_directory(&mut archive, budget)?;
    let index = csv_entry(&archive).ok_or(OpenError::NoCsvInZip)?;
    let (data_start, compressed_size, size, crc, method) = {
        let entry = archive.by_index_raw(index)?;
        if entry.encrypted() {
            return Err(OpenError::Encrypted);
        }
        (
            entry.data_start(),
            entry.compressed_size(),
            entry.size(),
            entry.crc32(),
            entry.compression(),
        )
    };
    let data_start =
        data_start.ok_or_else(|| OpenError::Zip("データの位置がわかりません".to_owned()))?;
    let mut inner = archive.into_inner();
    inner.seek(SeekFrom::Start(data_start))?;
    let data = inner.take(compressed_size);
    match method {
        CompressionMethod::Stored => Ok(Stream::Stored(Checked::new(data, size, crc))),
        CompressionMethod::Deflated => Ok(Stream::Deflated(Checked::new(
            DeflateDecoder::new(data),
            size,
            crc,
        ))),
        other => Err(OpenError::Compression(other.to_string())),
    }
}

fn csv_entry<R: Read + Seek>(archive: &ZipArchive<R>) -> Option<usize> {
    let names: Vec<(usize, String)> = (0..archive.len())
        .filter_map(|i| Some((i, archive.name_for_index(i)?.ok()?.into_owned())))
        .filter(|(_, name)| !name.ends_with('/'))
        .collect();
    names
        .iter()
        .find(|(_, name)| name.to_ascii_lowercase().ends_with(".csv"))
        .or_else(|| names.first())
        .map(|(i, _)| *i)
}

/// Passes bytes through and, at the end, checks their length and CRC-32 against the
/// ZIP directory, so that a truncated or corrupted download is an error, not a short file.
pub(crate) struct Checked<R> {
    inner: R,
    crc: flate2::Crc,
    expected_size: u64,
    expected_crc: u32,
    seen: u64,
    verified: bool,
}

impl<R> Checked<R> {
    fn new(inner: R, expected_size: u64, expected_crc: u32) -> Self {
        Checked {
            inner,
            crc: flate2::Crc::new(),
            expected_size,
            expected_crc,
            seen: 0,
            verified: false,
        }
    }
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.crc.update(&buf[..n]);
            self.seen += n as u64;
            if self.seen > self.expected_size {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "ZIPの中のCSVが目録の大きさより長く、壊れています",
                ));
            }
        } else if !buf.is_empty() && !self.verified {
            self.verified = true;
            if self.seen != self.expected_size {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "ZIPの中のCSVが途中で切れています",
                ));
            }
            if self.crc.sum() != self.expected_crc {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "ZIPの中のCSVのCRCが一致せず、壊れています",
                ));
            }
        }
        Ok(n)
    }
}

impl<R: Read> Stream<R> {
    /// Whether the bytes come out of a ZIP entry.
    pub(crate) fn is_unzipped(&self) -> bool {
        !matches!(self, Stream::Plain(_))
    }
}

/// A stream whose UTF-8 byte-order mark, if any, has been taken off.
pub(crate) type BomStripped<R> = Chain<Cursor<Vec<u8>>, R>;

/// Takes a UTF-8 BOM off the front of `inner`; says whether there was one, and whether
/// the stream starts like a ZIP (which a CSV never does: a ZIP inside a ZIP).
pub(crate) fn strip_bom<R: Read>(mut inner: R) -> io::Result<(bool, bool, BomStripped<R>)> {
    let mut head = [0u8; 4];
    let read = read_up_to(&mut inner, &mut head)?;
    let had_bom = head[..read.min(3)] == UTF8_BOM;
    let looks_like_zip = is_zip(&head[..read]);
    let kept = if had_bom {
        head[3..read].to_vec()
    } else {
        head[..read].to_vec()
    };
    Ok((had_bom, looks_like_zip, Cursor::new(kept).chain(inner)))
}

/// Turns the raw bytes of CSV fields into text, deciding the encoding on the way.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextDecoder {
    encoding: Option<Encoding>,
}

impl TextDecoder {
    /// `encoding` is the caller's choice; `None` decides from the data.
    pub(crate) fn new(encoding: Option<Encoding>, had_bom: bool) -> Self {
        TextDecoder {
            encoding: encoding.or(had_bom.then_some(Encoding::Utf8)),
        }
    }

    /// The encoding in use, once known.
    pub(crate) fn encoding(&self) -> Option<Encoding> {
        self.encoding
    }

    /// Decides the encoding from a record's bytes if it is still open.
    pub(crate) fn observe(&mut self, record: &[u8]) {
        if self.encoding.is_none() && !record.is_ascii() {
            self.encoding = Some(if std::str::from_utf8(record).is_ok() {
                Encoding::Utf8
            } else {
                Encoding::ShiftJis
            });
        }
    }

    /// One field as text; `None` if its bytes are not valid in the encoding.
    pub(crate) fn decode<'a>(&self, bytes: &'a [u8]) -> Option<Cow<'a, str>> {
        match self.encoding {
            Some(Encoding::ShiftJis) => {
                encoding_rs::SHIFT_JIS.decode_without_bom_handling_and_without_replacement(bytes)
            }
            // Undecided means every record so far was ASCII, which is UTF-8.
            Some(Encoding::Utf8) | None => std::str::from_utf8(bytes).ok().map(Cow::Borrowed),
        }
    }

    /// The label of the encoding a field failed in, for the message.
    pub(crate) fn label(&self) -> &'static str {
        self.encoding.unwrap_or(Encoding::Utf8).label()
    }
}

/// The CSV reader's buffer: large enough that big files are read in few calls.
const CSV_BUFFER: usize = 1 << 16;

/// The CSV reader both readers use: no header handling (each reader knows its own),
/// any number of fields per record (the readers check the count and say so), and at
/// most `budget.max_record_bytes` in one record (see [`LineCounter`]). Records must be
/// read with [`read_record`], which tells the counter where each one ends.
pub(crate) fn csv_reader<R: Read>(inner: R, budget: &Budget) -> csv::Reader<LineCounter<R>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(CSV_BUFFER)
        .from_reader(LineCounter::new(inner, budget.max_record_bytes))
}

/// Reads the next record and marks where it ended, so that the next one is measured
/// from there.
pub(crate) fn read_record<R: Read>(
    csv: &mut csv::Reader<LineCounter<R>>,
    record: &mut csv::ByteRecord,
) -> csv::Result<bool> {
    let read = csv.read_byte_record(record)?;
    let end = csv.position().byte();
    csv.get_mut().record_start = end;
    Ok(read)
}

/// Why the CSV reader stopped: one record (a line, with the lines of its quoted
/// fields and any blank lines before it) is longer than the budget.
#[derive(Debug, thiserror::Error)]
#[error(
    "1行が長すぎます（1行{}までです。改行のないファイルや、閉じられていない引用符がないか確かめてください）",
    size_label(*limit)
)]
pub(crate) struct RecordTooLong {
    limit: u64,
}

/// Remembers where the line ends are in the bytes the CSV reader has taken but not yet
/// given back as records, so that a record's first line can be told exactly.
///
/// The csv crate's own record positions are where it started looking for the record,
/// which is the previous record's line in CRLF files (it stops between `\r` and `\n`)
/// and before any blank lines it skipped; a rejected-rows report needs the real line.
///
/// It also bounds the record being read: the csv crate grows its record buffer until
/// the record ends, so a file of one 500 MB line would be held whole. The counter knows
/// where the last record ended ([`read_record`] tells it) and refuses to hand the
/// reader more than `max_record_bytes` beyond it (plus one buffer of read-ahead).
pub(crate) struct LineCounter<R> {
    inner: R,
    offset: u64,
    pending: VecDeque<u64>,
    passed: u64,
    record_start: u64,
    max_record_bytes: u64,
}

impl<R> LineCounter<R> {
    fn new(inner: R, max_record_bytes: u64) -> Self {
        LineCounter {
            inner,
            offset: 0,
            pending: VecDeque::new(),
            passed: 0,
            record_start: 0,
            max_record_bytes,
        }
    }

    /// The 1-based line of the byte at `offset`; offsets must not go backwards.
    fn line_of(&mut self, offset: u64) -> u64 {
        while self
            .pending
            .front()
            .is_some_and(|&newline| newline < offset)
        {
            self.pending.pop_front();
            self.passed += 1;
        }
        self.passed + 1
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.offset - self.record_start.min(self.offset)
            > self.max_record_bytes + CSV_BUFFER as u64
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                RecordTooLong {
                    limit: self.max_record_bytes,
                },
            ));
        }
        let n = self.inner.read(buf)?;
        let start = self.offset;
        self.pending.extend(
            buf[..n]
                .iter()
                .enumerate()
                .filter(|(_, byte)| **byte == b'\n')
                .map(|(i, _)| start + i as u64),
        );
        self.offset += n as u64;
        Ok(n)
    }
}

/// The line a record just read starts on: the reader has stopped on the record's last
/// line (just after its line end, or at the end of the input), and the record itself
/// spans as many more lines as its quoted fields hold line breaks.
pub(crate) fn record_line<R: Read>(
    csv: &mut csv::Reader<LineCounter<R>>,
    record: &csv::ByteRecord,
) -> u64 {
    let last_byte = csv.position().byte().saturating_sub(1);
    let last_line = csv.get_mut().line_of(last_byte);
    let inner_breaks = record
        .iter()
        .map(|field| field.iter().filter(|b| **b == b'\n').count() as u64)
        .sum::<u64>();
    last_line.saturating_sub(inner_breaks).max(1)
}

/// The line the reader is on, for errors that stop reading.
pub(crate) fn current_line<R: Read>(csv: &mut csv::Reader<LineCounter<R>>) -> u64 {
    let byte = csv.position().byte();
    csv.get_mut().line_of(byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sjis(text: &str) -> Vec<u8> {
        encoding_rs::SHIFT_JIS.encode(text).0.into_owned()
    }

    #[test]
    fn a_shift_jis_record_decides_shift_jis() {
        let mut decoder = TextDecoder::new(None, false);
        decoder.observe(b"1,2,3");
        assert_eq!(decoder.encoding(), None);
        decoder.observe(&sjis("株式会社テスト"));
        assert_eq!(decoder.encoding(), Some(Encoding::ShiftJis));
        assert_eq!(decoder.decode(&sjis("大田区")).as_deref(), Some("大田区"));
    }

    #[test]
    fn a_utf8_record_decides_utf8_and_later_shift_jis_bytes_are_refused() {
        let mut decoder = TextDecoder::new(None, false);
        decoder.observe("株式会社テスト".as_bytes());
        assert_eq!(decoder.encoding(), Some(Encoding::Utf8));
        assert_eq!(decoder.decode(&sjis("大田区")), None);
    }

    #[test]
    fn a_bom_decides_utf8_and_is_taken_off() {
        let mut bytes = UTF8_BOM.to_vec();
        bytes.extend_from_slice(b"a,b");
        let (had_bom, _, mut rest) = strip_bom(&bytes[..]).unwrap();
        assert!(had_bom);
        let mut text = String::new();
        rest.read_to_string(&mut text).unwrap();
        assert_eq!(text, "a,b");
        assert_eq!(
            TextDecoder::new(None, true).encoding(),
            Some(Encoding::Utf8)
        );
    }

    #[test]
    fn short_inputs_without_a_bom_are_kept_whole() {
        for input in [&b""[..], b"a", b"ab", b"abc", b"\xEF\xBB"] {
            let (had_bom, _, mut rest) = strip_bom(input).unwrap();
            assert!(!had_bom);
            let mut kept = Vec::new();
            rest.read_to_end(&mut kept).unwrap();
            assert_eq!(kept, input);
        }
    }

    #[test]
    fn an_explicit_encoding_wins_over_the_data() {
        let mut decoder = TextDecoder::new(Some(Encoding::ShiftJis), true);
        decoder.observe("株式会社".as_bytes());
        assert_eq!(decoder.encoding(), Some(Encoding::ShiftJis));
    }

    fn lines_of(input: &str) -> Vec<(u64, String)> {
        let mut csv = csv_reader(input.as_bytes(), &Budget::UPLOAD);
        let mut record = csv::ByteRecord::new();
        let mut lines = Vec::new();
        while read_record(&mut csv, &mut record).unwrap() {
            let first = String::from_utf8(record[0].to_vec()).unwrap();
            lines.push((record_line(&mut csv, &record), first));
        }
        lines
    }

    #[test]
    fn record_lines_are_right_with_crlf_blank_lines_and_quoted_breaks() {
        let expected = |pairs: &[(u64, &str)]| -> Vec<(u64, String)> {
            pairs.iter().map(|(l, s)| (*l, (*s).to_owned())).collect()
        };
        assert_eq!(
            lines_of("a\r\n\r\n\r\nb\r\n\"x\ny\",z\r\nc\r\n\r\n"),
            expected(&[(1, "a"), (4, "b"), (5, "x\ny"), (7, "c")])
        );
        assert_eq!(
            lines_of("a\n\nb\nc"),
            expected(&[(1, "a"), (3, "b"), (4, "c")])
        );
        assert_eq!(lines_of("\n\na\n"), expected(&[(3, "a")]));
        assert_eq!(
            lines_of("\"1\n2\n3\"\r\n\"4\r\n5\"\r\nz"),
            expected(&[(1, "1\n2\n3"), (4, "4\r\n5"), (6, "z")])
        );
    }

    #[test]
    fn line_counting_survives_records_longer_than_the_buffer() {
        let long = "x".repeat(200_000);
        let input = format!("a\r\n{long}\r\n\r\nb\r\n");
        let lines: Vec<u64> = lines_of(&input).into_iter().map(|(l, _)| l).collect();
        assert_eq!(lines, [1, 2, 4]);
    }

    #[test]
    fn garbage_that_looks_like_a_zip_is_an_open_error_not_a_panic() {
        let mut bytes = b"PK\x03\x04".to_vec();
        bytes.extend(std::iter::repeat_n(0xAB, 100));
        let error = open_stream(Cursor::new(bytes), &Budget::UPLOAD)
            .err()
            .unwrap();
        assert_eq!(error.code(), "zip");
    }

    #[test]
    fn a_record_longer_than_the_budget_stops_the_reader_with_a_japanese_reason() {
        let budget = Budget {
            max_record_bytes: 100_000,
            ..Budget::UPLOAD
        };
        let mut input = b"a,b\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 1_000_000));
        let mut csv = csv_reader(&input[..], &budget);
        let mut record = csv::ByteRecord::new();
        assert!(read_record(&mut csv, &mut record).unwrap());
        let error = read_record(&mut csv, &mut record).unwrap_err();
        let csv::ErrorKind::Io(io) = error.into_kind() else {
            panic!("an I/O error");
        };
        assert!(
            io.to_string().starts_with("1行が長すぎます（1行98KBまで"),
            "{io}"
        );
    }

    #[test]
    fn many_records_each_within_the_budget_read_to_the_end() {
        let budget = Budget {
            max_record_bytes: 100_000,
            ..Budget::UPLOAD
        };
        let line = format!("{}\n", "y".repeat(90_000));
        let input = line.repeat(30);
        let mut csv = csv_reader(input.as_bytes(), &budget);
        let mut record = csv::ByteRecord::new();
        let mut count = 0;
        while read_record(&mut csv, &mut record).unwrap() {
            count += 1;
        }
        assert_eq!(count, 30);
    }

    #[test]
    fn a_zip_whose_entries_declare_more_than_the_budget_is_refused_before_reading() {
        let mut bytes = Vec::new();
        {
            let mut zip = zip::ZipWriter::new(Cursor::new(&mut bytes));
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated);
            zip.start_file("zeros.csv", options).unwrap();
            let zeros = vec![0u8; 1 << 20];
            for _ in 0..40 {
                std::io::Write::write_all(&mut zip, &zeros).unwrap();
            }
            zip.finish().unwrap();
        }
        let error = open_stream(Cursor::new(&bytes[..]), &Budget::UPLOAD)
            .err()
            .unwrap();
        assert_eq!(error.code(), "too_large");
        assert!(error.to_string().contains("展開後32MBまで"), "{error}");
        let many = Budget {
            max_entries: 0,
            ..Budget::UPLOAD
        };
        let error = open_stream(Cursor::new(&bytes[..]), &many).err().unwrap();
        assert_eq!(error.code(), "too_many_entries");
    }
}
