//! The National Tax Agency's corporate-number bulk files (法人番号公表サイト
//! 基本3情報ダウンロード: 全件データ and 差分データ).
//!
//! # The format
//! A CSV without a header, one corporation per row in 全件データ and one change per
//! row in 差分データ, 30 columns in the order of [`COLUMNS`]. Dates are `YYYY-MM-DD`
//! (empty when not applicable), codes are the NTA's code lists ([`Process`], [`Kind`],
//! [`CloseCause`]), flags are `0`/`1`, text fields are quoted. The files come as
//! 「CSV形式・Shift-JIS」 and 「CSV形式・Unicode」 (UTF-8), each zipped; both are read, zipped
//! or not, with the encoding detected or given. The Web-API's CSV answers start with a
//! summary line (`最終更新年月日,総件数,分割番号,分割数`): a first line of four fields
//! beginning with a date is taken for that line and skipped.
//!
//! Each row is a full snapshot of the corporation after the change it records, so a
//! row can be applied on its own: an importer upserts by 法人番号 in file order
//! (一連番号 ascending), and applying the same file twice gives the same result.
//! In 差分データ several rows may concern one number; `latest` marks the newest.
//!
//! # Closed corporations
//! [`NtaRecord::is_closed`] is true when 登記記録の閉鎖等年月日 is present (the NTA sets
//! it for liquidation, merger and closure by the registrar, with the cause in
//! 登記記録の閉鎖等の事由), or when 処理区分 is 21 登記記録の閉鎖等, 71 吸収合併 (the
//! absorbed side) or 99 削除 even if the date is missing. 22 登記記録の復活等 and
//! 72 吸収合併無効 rows carry no closing date and so read as open again. 81
//! 商号の登記の抹消 alone does not close a record.

mod codes;
mod generate;

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek};
use std::path::Path;

use chrono::NaiveDate;
use domain::{CorporateNumber, LocalGovCode};

pub use codes::{CloseCause, Kind, Process, close_cause_label, kind_label, process_label};
pub use generate::{
    City, GenerateOptions, GenerateSummary, Malformation, MalformedRow, SEVEN_CITIES, generate,
    generate_with,
};

use crate::budget::Budget;
use crate::error::{OpenError, RowError, RowErrorKind, corporate_number, excerpt};
use crate::source::{self, BomStripped, Encoding, LineCounter, Stream, TextDecoder};

/// The 30 columns of a row, by the data definition's Japanese names.
pub const COLUMNS: [&str; 30] = [
    "一連番号",
    "法人番号",
    "処理区分",
    "訂正区分",
    "更新年月日",
    "変更年月日",
    "商号又は名称",
    "商号又は名称イメージID",
    "法人種別",
    "国内所在地（都道府県）",
    "国内所在地（市区町村）",
    "国内所在地（丁目番地等）",
    "国内所在地イメージID",
    "都道府県コード",
    "市区町村コード",
    "郵便番号",
    "国外所在地",
    "国外所在地イメージID",
    "登記記録の閉鎖等年月日",
    "登記記録の閉鎖等の事由",
    "承継先法人番号",
    "変更事由の詳細",
    "法人番号指定年月日",
    "最新履歴",
    "商号又は名称（英語表記）",
    "国内所在地（都道府県）（英語表記）",
    "国内所在地（市区町村丁目番地等）（英語表記）",
    "国外所在地（英語表記）",
    "フリガナ",
    "検索対象除外",
];

/// One row of an NTA file, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NtaRecord {
    /// 一連番号: the row's order within the file.
    pub sequence_number: u64,
    pub corporate_number: CorporateNumber,
    /// 処理区分.
    pub process: Process,
    /// 訂正区分: true when the row corrects an earlier error rather than records a change.
    pub correction: bool,
    /// 更新年月日: when the NTA published the row.
    pub update_date: NaiveDate,
    /// 変更年月日: when the change took effect.
    pub change_date: Option<NaiveDate>,
    /// 商号又は名称.
    pub name: String,
    /// 商号又は名称イメージID: set when the name has characters outside JIS, shown as an image.
    pub name_image_id: Option<String>,
    /// 法人種別.
    pub kind: Kind,
    /// 国内所在地（都道府県）, e.g. 東京都.
    pub prefecture_name: String,
    /// 国内所在地（市区町村）, e.g. 大田区.
    pub city_name: String,
    /// 国内所在地（丁目番地等）.
    pub street: String,
    pub address_image_id: Option<String>,
    /// 都道府県コード (JIS X 0401, two digits), e.g. "13".
    pub prefecture_code: String,
    /// 市区町村コード (three digits within the prefecture), e.g. "111".
    pub city_code: String,
    /// 郵便番号, seven digits without a hyphen.
    pub post_code: Option<String>,
    /// 国外所在地.
    pub address_outside: Option<String>,
    pub address_outside_image_id: Option<String>,
    /// 登記記録の閉鎖等年月日.
    pub close_date: Option<NaiveDate>,
    /// 登記記録の閉鎖等の事由.
    pub close_cause: Option<CloseCause>,
    /// 承継先法人番号: the corporation that took over (after a merger).
    pub successor: Option<CorporateNumber>,
    /// 変更事由の詳細.
    pub change_cause: Option<String>,
    /// 法人番号指定年月日.
    pub assignment_date: Option<NaiveDate>,
    /// 最新履歴: true on the newest row of this number.
    pub latest: bool,
    pub en_name: Option<String>,
    pub en_prefecture_name: Option<String>,
    pub en_city_name: Option<String>,
    pub en_address_outside: Option<String>,
    /// フリガナ (katakana; the NTA leaves out the legal form such as 株式会社).
    pub furigana: Option<String>,
    /// 検索対象除外: the NTA does not show this corporation in its own search.
    pub hihyoji: bool,
}

impl NtaRecord {
    /// Closed or gone; see the module documentation for the rule.
    pub fn is_closed(&self) -> bool {
        self.close_date.is_some()
            || matches!(
                self.process,
                Process::Closed | Process::AbsorbedInMerger | Process::Deleted
            )
    }

    /// Withdrawn by the NTA (処理区分 99 削除): the number should not be shown at all.
    pub fn is_deleted(&self) -> bool {
        self.process == Process::Deleted
    }

    /// The 全国地方公共団体コード of the city, with its check digit (大田区 → 131113),
    /// when the prefecture and city codes are present and well-formed.
    pub fn local_gov_code(&self) -> Option<LocalGovCode> {
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(&self.prefecture_code, 2) || !digits(&self.city_code, 3) {
            return None;
        }
        LocalGovCode::parse(&format!("{}{}", self.prefecture_code, self.city_code)).ok()
    }

    /// The domestic address as one line: 都道府県 + 市区町村 + 丁目番地等.
    pub fn address(&self) -> String {
        format!("{}{}{}", self.prefecture_name, self.city_name, self.street)
    }
}

fn text(value: &str) -> String {
    value.trim().to_owned()
}

fn optional(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// A strict `YYYY-MM-DD`, as the data definition has it.
pub(crate) fn parse_iso_date(value: &str) -> Option<NaiveDate> {
    let bytes = value.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = value.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}

fn date(column: usize, value: &str) -> Result<NaiveDate, RowErrorKind> {
    let value = value.trim();
    if value.is_empty() {
        return Err(RowErrorKind::Missing {
            column: COLUMNS[column],
        });
    }
    parse_iso_date(value).ok_or_else(|| RowErrorKind::Date {
        column: COLUMNS[column],
        value: excerpt(value),
    })
}

fn optional_date(column: usize, value: &str) -> Result<Option<NaiveDate>, RowErrorKind> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        date(column, value).map(Some)
    }
}

fn flag(column: usize, value: &str, empty_means: Option<bool>) -> Result<bool, RowErrorKind> {
    match (value.trim(), empty_means) {
        ("0", _) => Ok(false),
        ("1", _) => Ok(true),
        ("", Some(default)) => Ok(default),
        (other, _) => Err(RowErrorKind::Flag {
            column: COLUMNS[column],
            value: excerpt(other),
        }),
    }
}

fn code<T>(column: usize, value: &str, read: fn(&str) -> Option<T>) -> Result<T, RowErrorKind> {
    let value = value.trim();
    if value.is_empty() {
        return Err(RowErrorKind::Missing {
            column: COLUMNS[column],
        });
    }
    read(value).ok_or_else(|| RowErrorKind::Code {
        column: COLUMNS[column],
        value: excerpt(value),
    })
}

/// Reads one row from its 30 fields, already decoded. Exposed so that other sources
/// (the Web-API, a fuzz target) share the rules.
pub fn parse_fields<S: AsRef<str>>(fields: &[S]) -> Result<NtaRecord, RowErrorKind> {
    if fields.len() != COLUMNS.len() {
        return Err(RowErrorKind::ColumnCount {
            expected: COLUMNS.len(),
            found: fields.len(),
        });
    }
    let f = |i: usize| fields[i].as_ref();
    let sequence_number = {
        let value = f(0).trim();
        value.parse::<u64>().map_err(|_| RowErrorKind::Number {
            column: COLUMNS[0],
            value: excerpt(value),
        })?
    };
    if f(1).trim().is_empty() {
        return Err(RowErrorKind::Missing { column: COLUMNS[1] });
    }
    let number = corporate_number(COLUMNS[1], f(1).trim())?;
    let process = code(2, f(2), Process::from_code)?;
    let correction = flag(3, f(3), Some(false))?;
    let update_date = date(4, f(4))?;
    let change_date = optional_date(5, f(5))?;
    let name = text(f(6));
    if name.is_empty() {
        return Err(RowErrorKind::Missing { column: COLUMNS[6] });
    }
    let kind = code(8, f(8), Kind::from_code)?;
    let close_date = optional_date(18, f(18))?;
    let close_cause = if f(19).trim().is_empty() {
        None
    } else {
        Some(code(19, f(19), CloseCause::from_code)?)
    };
    let successor = if f(20).trim().is_empty() {
        None
    } else {
        Some(corporate_number(COLUMNS[20], f(20).trim())?)
    };
    let assignment_date = optional_date(22, f(22))?;
    let latest = flag(23, f(23), None)?;
    let hihyoji = flag(29, f(29), Some(false))?;
    Ok(NtaRecord {
        sequence_number,
        corporate_number: number,
        process,
        correction,
        update_date,
        change_date,
        name,
        name_image_id: optional(f(7)),
        kind,
        prefecture_name: text(f(9)),
        city_name: text(f(10)),
        street: text(f(11)),
        address_image_id: optional(f(12)),
        prefecture_code: text(f(13)),
        city_code: text(f(14)),
        post_code: optional(f(15)),
        address_outside: optional(f(16)),
        address_outside_image_id: optional(f(17)),
        close_date,
        close_cause,
        successor,
        change_cause: optional(f(21)),
        assignment_date,
        latest,
        en_name: optional(f(24)),
        en_prefecture_name: optional(f(25)),
        en_city_name: optional(f(26)),
        en_address_outside: optional(f(27)),
        furigana: optional(f(28)),
        hihyoji,
    })
}

/// Streams the rows of an NTA file: `Ok` for each row read, `Err` with the line and the
/// reason for each row refused. After an `unreadable` error (a broken ZIP, an I/O
/// failure) it yields nothing more.
pub struct Reader<R: Read + Seek> {
    csv: csv::Reader<LineCounter<BomStripped<Stream<R>>>>,
    text: TextDecoder,
    record: csv::ByteRecord,
    first: bool,
    done: bool,
}

impl Reader<BufReader<File>> {
    /// Opens a file: `.csv` or `.zip`, recognised by content rather than name.
    /// `encoding` `None` detects it; `budget` bounds what a ZIP may unpack and one
    /// record ([`Budget::COMMAND_LINE_NTA`] reads the national file).
    pub fn open(
        path: impl AsRef<Path>,
        encoding: Option<Encoding>,
        budget: &Budget,
    ) -> Result<Self, OpenError> {
        Reader::new(BufReader::new(File::open(path)?), encoding, budget)
    }
}

impl<'a> Reader<Cursor<&'a [u8]>> {
    /// Reads from memory under the upload budget; for tests, uploads already in
    /// memory, and fuzzing.
    pub fn from_bytes(bytes: &'a [u8], encoding: Option<Encoding>) -> Result<Self, OpenError> {
        Reader::new(Cursor::new(bytes), encoding, &Budget::UPLOAD)
    }
}

impl<R: Read + Seek> Reader<R> {
    pub fn new(inner: R, encoding: Option<Encoding>, budget: &Budget) -> Result<Self, OpenError> {
        let stream = source::open_stream(inner, budget)?;
        let unzipped = stream.is_unzipped();
        let (had_bom, looks_like_zip, stream) = source::strip_bom(stream)?;
        if unzipped && looks_like_zip {
            return Err(OpenError::NestedZip);
        }
        Ok(Reader {
            csv: source::csv_reader(stream, budget),
            text: TextDecoder::new(encoding, had_bom),
            record: csv::ByteRecord::new(),
            first: true,
            done: false,
        })
    }

    /// The encoding in use: the one given, or the one detected so far (`None` while
    /// every row read has been ASCII).
    pub fn encoding(&self) -> Option<Encoding> {
        self.text.encoding()
    }

    fn is_web_api_summary(&self) -> bool {
        self.record.len() == 4
            && std::str::from_utf8(&self.record[0])
                .ok()
                .and_then(|first| parse_iso_date(first.trim()))
                .is_some()
    }

    fn parse_current(&mut self) -> Result<NtaRecord, RowErrorKind> {
        if self.record.len() != COLUMNS.len() {
            return Err(RowErrorKind::ColumnCount {
                expected: COLUMNS.len(),
                found: self.record.len(),
            });
        }
        self.text.observe(self.record.as_slice());
        let mut fields: Vec<Cow<'_, str>> = Vec::with_capacity(COLUMNS.len());
        for (i, bytes) in self.record.iter().enumerate() {
            let field = self.text.decode(bytes).ok_or(RowErrorKind::Encoding {
                column: COLUMNS[i],
                encoding: self.text.label(),
            })?;
            fields.push(field);
        }
        parse_fields(&fields)
    }
}

impl<R: Read + Seek> Iterator for Reader<R> {
    type Item = Result<NtaRecord, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            match source::read_record(&mut self.csv, &mut self.record) {
                Ok(true) => {}
                Ok(false) => self.done = true,
                Err(error) => {
                    self.done = true;
                    let line = source::current_line(&mut self.csv);
                    let message = match error.into_kind() {
                        csv::ErrorKind::Io(io) => io.to_string(),
                        other => format!("{other:?}"),
                    };
                    return Some(Err(RowError::new(
                        line,
                        RowErrorKind::Unreadable { message },
                    )));
                }
            }
            if self.done {
                break;
            }
            let first = std::mem::replace(&mut self.first, false);
            if first && self.is_web_api_summary() {
                continue;
            }
            if self.record.len() == 1 && self.record[0].iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let line = source::record_line(&mut self.csv, &self.record);
            return Some(
                self.parse_current()
                    .map_err(|kind| RowError::new(line, kind)),
            );
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The NTA's own sample: a 株式会社 excluded from the NTA search (検索対象除外).
    const SAMPLE: &str = "1,5111101000006,01,1,2019-04-03,2015-10-05,\"株式会社検索対象除外\",,301,\"東京都\",\"千代田区\",\"（東京市神田区小川町一丁目１０番地）\",,13,101,1000000,,,,,,,2015-10-05,1,,,,,,1";

    fn read_all(bytes: &[u8]) -> Vec<Result<NtaRecord, RowError>> {
        Reader::from_bytes(bytes, None).unwrap().collect()
    }

    fn sjis(text: &str) -> Vec<u8> {
        encoding_rs::SHIFT_JIS.encode(text).0.into_owned()
    }

    fn row_with(column: usize, value: &str) -> String {
        let mut fields: Vec<String> = csv_fields(SAMPLE);
        fields[column] = value.to_owned();
        fields.join(",")
    }

    fn csv_fields(line: &str) -> Vec<String> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(line.as_bytes());
        reader
            .records()
            .next()
            .unwrap()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_sample_row_of_the_data_definition_is_read() {
        let rows = read_all(SAMPLE.as_bytes());
        let record = rows[0].as_ref().unwrap();
        assert_eq!(record.sequence_number, 1);
        assert_eq!(record.corporate_number.as_str(), "5111101000006");
        assert_eq!(record.process, Process::New);
        assert!(record.correction);
        assert_eq!(
            record.update_date,
            NaiveDate::from_ymd_opt(2019, 4, 3).unwrap()
        );
        assert_eq!(record.change_date, NaiveDate::from_ymd_opt(2015, 10, 5));
        assert_eq!(record.name, "株式会社検索対象除外");
        assert_eq!(record.kind, Kind::KabushikiKaisha);
        assert_eq!(
            record.address(),
            "東京都千代田区（東京市神田区小川町一丁目１０番地）"
        );
        assert_eq!(record.local_gov_code().unwrap().as_str(), "131016");
        assert_eq!(record.post_code.as_deref(), Some("1000000"));
        assert_eq!(record.close_date, None);
        assert!(record.latest);
        assert!(record.hihyoji);
        assert!(!record.is_closed());
    }

    #[test]
    fn shift_jis_and_utf8_read_the_same() {
        let utf8 = read_all(SAMPLE.as_bytes());
        let shift_jis = read_all(&sjis(SAMPLE));
        assert_eq!(utf8, shift_jis);
        let bytes = sjis(SAMPLE);
        let mut reader = Reader::from_bytes(&bytes, None).unwrap();
        assert!(reader.next().unwrap().is_ok());
        assert_eq!(reader.encoding(), Some(Encoding::ShiftJis));
    }

    #[test]
    fn a_utf8_file_with_a_bom_and_crlf_lines_is_read() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        let bad = row_with(1, "6111101000006");
        bytes.extend_from_slice(format!("{SAMPLE}\r\n{SAMPLE}\r\n\r\n{bad}\r\n").as_bytes());
        let rows = read_all(&bytes);
        assert_eq!(rows.len(), 3);
        assert!(rows[..2].iter().all(Result::is_ok));
        assert_eq!(rows[2].as_ref().unwrap_err().line, 4);
    }

    #[test]
    fn the_web_api_summary_line_is_skipped() {
        let text = format!("2019-04-05,1,1,1\n{SAMPLE}\n");
        let rows = read_all(text.as_bytes());
        assert_eq!(rows.len(), 1);
        assert!(rows[0].is_ok());
    }

    #[test]
    fn refused_rows_say_where_and_why() {
        let text = [
            SAMPLE.to_owned(),
            row_with(1, "6111101000006"),
            "1,2,3".to_owned(),
            row_with(4, "2019/04/03"),
            row_with(2, "05"),
            row_with(23, "x"),
            row_with(6, ""),
            row_with(0, "一"),
            row_with(19, "99"),
            row_with(20, "123"),
            row_with(5, "2019-02-30"),
        ]
        .join("\n");
        let rows = read_all(text.as_bytes());
        let errors: Vec<(u64, &str, Option<&str>)> = rows
            .iter()
            .filter_map(|row| row.as_ref().err())
            .map(|error| (error.line, error.code(), error.column()))
            .collect();
        assert_eq!(
            errors,
            [
                (2, "check_digit", Some("法人番号")),
                (3, "column_count", None),
                (4, "date", Some("更新年月日")),
                (5, "code", Some("処理区分")),
                (6, "flag", Some("最新履歴")),
                (7, "missing", Some("商号又は名称")),
                (8, "number", Some("一連番号")),
                (9, "code", Some("登記記録の閉鎖等の事由")),
                (10, "corporate_number", Some("承継先法人番号")),
                (11, "date", Some("変更年月日")),
            ]
        );
        let messages: Vec<String> = rows
            .iter()
            .filter_map(|row| row.as_ref().err())
            .take(3)
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            messages,
            [
                "2行目: 法人番号「6111101000006」のチェックディジット（先頭の1桁）が一致しません。",
                "3行目: 列の数が3列です（30列のはずです）。",
                "4行目: 更新年月日「2019/04/03」を日付（YYYY-MM-DD）として読めません。",
            ]
        );
    }

    #[test]
    fn a_quoted_field_over_two_lines_keeps_the_line_count_right() {
        let multi = row_with(21, "\"一行目\n二行目\"");
        let text = format!("{multi}\n{}", row_with(1, "1"));
        let rows = read_all(text.as_bytes());
        assert_eq!(
            rows[0].as_ref().unwrap().change_cause.as_deref(),
            Some("一行目\n二行目")
        );
        assert_eq!(rows[1].as_ref().unwrap_err().line, 3);
    }

    #[test]
    fn a_closed_company_carries_date_cause_and_successor() {
        let mut fields = csv_fields(SAMPLE);
        fields[2] = "71".into();
        fields[18] = "2020-06-30".into();
        fields[19] = "11".into();
        fields[20] = "7000012050002".into();
        let rows = read_all(fields.join(",").as_bytes());
        let record = rows[0].as_ref().unwrap();
        assert!(record.is_closed());
        assert_eq!(record.close_cause, Some(CloseCause::Merged));
        assert_eq!(record.successor.as_ref().unwrap().as_str(), "7000012050002");
    }

    #[test]
    fn the_closed_rule_follows_date_and_process() {
        let base = read_all(SAMPLE.as_bytes()).remove(0).unwrap();
        let with = |process: Process, close_date: Option<NaiveDate>| NtaRecord {
            process,
            close_date,
            ..base.clone()
        };
        let day = NaiveDate::from_ymd_opt(2020, 1, 1);
        assert!(with(Process::Closed, day).is_closed());
        assert!(with(Process::Closed, None).is_closed());
        assert!(with(Process::AbsorbedInMerger, None).is_closed());
        assert!(with(Process::Deleted, None).is_closed());
        assert!(with(Process::Deleted, None).is_deleted());
        assert!(with(Process::NameChanged, day).is_closed());
        assert!(!with(Process::Restored, None).is_closed());
        assert!(!with(Process::MergerAnnulled, None).is_closed());
        assert!(!with(Process::TradeNameErased, None).is_closed());
        assert!(!with(Process::DomesticAddressChanged, None).is_closed());
    }

    #[test]
    fn mixed_encodings_are_refused_row_by_row() {
        let mut bytes = SAMPLE.as_bytes().to_vec();
        bytes.push(b'\n');
        bytes.extend(sjis(SAMPLE));
        let rows = read_all(&bytes);
        assert!(rows[0].is_ok());
        let error = rows[1].as_ref().unwrap_err();
        assert_eq!((error.line, error.code()), (2, "encoding"));
    }

    #[test]
    fn an_empty_file_has_no_rows() {
        assert!(read_all(b"").is_empty());
        assert!(read_all(b"\n\n").is_empty());
    }

    #[test]
    fn strict_dates_only() {
        assert_eq!(
            parse_iso_date("2024-02-29"),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        for bad in [
            "2023-02-29",
            "2024-2-29",
            "20240229",
            "2024-02-2a",
            "+024-02-29",
            "２０２４-02-29",
        ] {
            assert_eq!(parse_iso_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for length in 0..300 {
            let bytes: Vec<u8> = (0..length)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    // Bias towards the bytes that matter to the parser.
                    match seed % 8 {
                        0 => b',',
                        1 => b'"',
                        2 => b'\n',
                        3 => b'1',
                        _ => (seed >> 8) as u8,
                    }
                })
                .collect();
            if let Ok(reader) = Reader::from_bytes(&bytes, None) {
                for _ in reader {}
            }
        }
    }
}
