//! Company lists kept by city staff, in CSV (UTF-8 with or without BOM, or Shift_JIS)
//! or XLSX (the first sheet).
//!
//! The first non-empty row is the header. Columns are recognised by their Japanese
//! headers and common aliases ([`Column::from_header`]); columns nobody asked for are
//! listed in [`Header::unknown`] and otherwise ignored, so a list with a 備考 column
//! still imports. Only 会社名 is required. Values are kept as written (trimmed), with
//! numbers, years and yes/no parsed beside them where they parse; what does not parse
//! is a [`FieldWarning`] on the row, not an error. A row is refused only when its
//! company name is empty or its 法人番号 is present but wrong (an empty 法人番号 is
//! fine: sole proprietors and some associations have none).

mod header;
mod values;
mod xlsx;

use std::fmt;
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use domain::CorporateNumber;

pub use header::{Column, Header, TEMPLATE_HEADERS};

use crate::budget::Budget;
use crate::error::{OpenError, RowError, RowErrorKind, corporate_number, excerpt};
use crate::source::{self, Encoding, LineCounter, TextDecoder};
use xlsx::{Message, XlsxRows};

/// What kind of file a list is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListFormat {
    /// XLSX if the bytes are a ZIP, CSV with a detected encoding otherwise.
    #[default]
    Auto,
    /// CSV in the given encoding, or detected when `None`.
    Csv(Option<Encoding>),
    /// An Excel workbook; the first sheet is read.
    Xlsx,
}

/// A value kept as written, with what it means when that could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<T> {
    pub raw: String,
    pub value: Option<T>,
}

/// A value that could not be read as its column expects; the raw text is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldWarning {
    pub column: Column,
    pub value: String,
}

impl fmt::Display for FieldWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}「{}」を読み取れませんでした（書かれたとおりに保存します）。",
            self.column.label(),
            self.value
        )
    }
}

/// One company from a staff list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyRow {
    /// The line of the file (CSV) or the row of the sheet (XLSX), 1-based.
    pub line: u64,
    pub corporate_number: Option<CorporateNumber>,
    pub name: String,
    pub furigana: Option<String>,
    pub city: Option<String>,
    pub address: Option<String>,
    /// 業種 as written (a name, a JSIC code, or both).
    pub industry: Option<String>,
    /// The JSIC code at the start of 業種, if there is one ("E2592", "2592", "E").
    pub jsic_code: Option<String>,
    pub employees: Option<Parsed<u32>>,
    /// 設立年/創業年, read as a Western year (和暦 converted).
    pub founded: Option<Parsed<i32>>,
    pub representative_age: Option<Parsed<u8>>,
    pub url: Option<String>,
    pub processes: Vec<String>,
    pub materials: Vec<String>,
    pub equipment: Vec<String>,
    pub certifications: Vec<String>,
    pub products: Vec<String>,
    pub public: Option<Parsed<bool>>,
    /// 担当者 and their e-mail (for a survey's mail merge).
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub warnings: Vec<FieldWarning>,
}

enum Rows<'a> {
    Csv {
        csv: csv::Reader<LineCounter<Box<dyn Read + 'a>>>,
        text: TextDecoder,
        record: csv::ByteRecord,
    },
    Xlsx(XlsxRows),
}

/// Streams the rows of a staff list.
pub struct Reader<'a> {
    rows: Rows<'a>,
    header: Header,
    done: bool,
}

/// Opens a list file; `budget` bounds what an XLSX may unpack and one CSV record
/// ([`Budget::COMMAND_LINE_LIST`] for a file on the server).
pub fn open(
    path: impl AsRef<Path>,
    format: ListFormat,
    budget: &Budget,
) -> Result<Reader<'static>, OpenError> {
    let mut file = BufReader::new(File::open(path)?);
    let format = match format {
        ListFormat::Auto => {
            let mut magic = [0u8; 4];
            let read = source::read_up_to(&mut file, &mut magic)?;
            file.seek(SeekFrom::Start(0))?;
            if source::is_zip(&magic[..read]) {
                ListFormat::Xlsx
            } else {
                ListFormat::Csv(None)
            }
        }
        other => other,
    };
    match format {
        ListFormat::Xlsx => Reader::xlsx(file, budget),
        ListFormat::Csv(encoding) => Reader::csv(Box::new(file), encoding, budget),
        ListFormat::Auto => Reader::csv(Box::new(file), None, budget),
    }
}

/// Reads a list from any reader. An XLSX is a ZIP and needs random access, so it is
/// read into memory first (staff workbooks are small); CSV streams.
pub fn read<'a, R: Read + 'a>(
    mut reader: R,
    format: ListFormat,
    budget: &Budget,
) -> Result<Reader<'a>, OpenError> {
    let mut magic = [0u8; 4];
    let read = source::read_up_to(&mut reader, &mut magic)?;
    let head = magic[..read].to_vec();
    let is_xlsx = match format {
        ListFormat::Auto => source::is_zip(&head),
        ListFormat::Xlsx => true,
        ListFormat::Csv(_) => false,
    };
    let whole = Cursor::new(head).chain(reader);
    if is_xlsx {
        let mut bytes = Vec::new();
        let mut whole = whole;
        whole.read_to_end(&mut bytes)?;
        Reader::xlsx(Cursor::new(bytes), budget)
    } else {
        let encoding = match format {
            ListFormat::Csv(encoding) => encoding,
            _ => None,
        };
        Reader::csv(Box::new(whole), encoding, budget)
    }
}

/// Reads a list held in memory under the upload budget; for uploads and fuzzing.
pub fn from_bytes(bytes: &[u8], format: ListFormat) -> Result<Reader<'_>, OpenError> {
    read(bytes, format, &Budget::UPLOAD)
}

fn has_content<S: AsRef<str>>(cells: &[S]) -> bool {
    cells.iter().any(|c| !c.as_ref().trim().is_empty())
}

impl<'a> Reader<'a> {
    fn csv(
        inner: Box<dyn Read + 'a>,
        encoding: Option<Encoding>,
        budget: &Budget,
    ) -> Result<Self, OpenError> {
        let (had_bom, _, inner) = source::strip_bom(inner)?;
        let mut csv = source::csv_reader(Box::new(inner) as Box<dyn Read + 'a>, budget);
        let mut text = TextDecoder::new(encoding, had_bom);
        let mut record = csv::ByteRecord::new();
        let header = loop {
            if !source::read_record(&mut csv, &mut record).map_err(csv_open_error)? {
                return Err(OpenError::NoHeader);
            }
            text.observe(record.as_slice());
            let cells = record
                .iter()
                .map(|bytes| text.decode(bytes))
                .collect::<Option<Vec<_>>>()
                .ok_or(OpenError::HeaderEncoding(text.label()))?;
            if has_content(&cells) {
                break Header::parse(&cells);
            }
        };
        Reader::with_header(Rows::Csv { csv, text, record }, header)
    }

    /// Checks the workbook against the budget (see [`crate::archive`]) before calamine
    /// sees it, then reads it on a worker.
    fn xlsx<RS: Read + Seek + Send + 'static>(
        mut source: RS,
        budget: &Budget,
    ) -> Result<Self, OpenError> {
        crate::archive::check_workbook(&mut source, budget)?;
        let mut rows = XlsxRows::spawn(source)?;
        let header = loop {
            match rows.next_message() {
                None => return Err(OpenError::NoHeader),
                Some(Message::Failed(message)) => return Err(OpenError::Xlsx(message)),
                Some(Message::Row(_, cells)) if has_content(&cells) => {
                    break Header::parse(&cells);
                }
                Some(Message::Row(..)) => {}
            }
        };
        Reader::with_header(Rows::Xlsx(rows), header)
    }

    fn with_header(rows: Rows<'a>, header: Header) -> Result<Self, OpenError> {
        if header.position(Column::Name).is_none() {
            return Err(OpenError::NoNameColumn);
        }
        Ok(Reader {
            rows,
            header,
            done: false,
        })
    }

    /// How the header row was understood.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Headers that name no known column, as written.
    pub fn unknown_headers(&self) -> &[String] {
        &self.header.unknown
    }

    /// For a CSV, the encoding in use (given or detected); `None` for XLSX or while
    /// everything read has been ASCII.
    pub fn encoding(&self) -> Option<Encoding> {
        match &self.rows {
            Rows::Csv { text, .. } => text.encoding(),
            Rows::Xlsx(_) => None,
        }
    }

    /// The next raw row: its line and its known columns' cells as text.
    fn next_cells(&mut self) -> Option<Result<(u64, Cells), RowError>> {
        loop {
            match &mut self.rows {
                Rows::Csv { csv, text, record } => {
                    match source::read_record(csv, record) {
                        Ok(true) => {}
                        Ok(false) => return None,
                        Err(error) => {
                            let line = source::current_line(csv);
                            return Some(Err(RowError::new(
                                line,
                                RowErrorKind::Unreadable {
                                    message: csv_message(error),
                                },
                            )));
                        }
                    }
                    if !record_has_content(record) {
                        continue;
                    }
                    let line = source::record_line(csv, record);
                    text.observe(record.as_slice());
                    let mut cells = Cells::default();
                    for (i, column) in self.header.columns.iter().enumerate() {
                        let (Some(column), Some(bytes)) = (column, record.get(i)) else {
                            continue;
                        };
                        match text.decode(bytes) {
                            Some(value) => cells.set(*column, value.trim()),
                            None => {
                                return Some(Err(RowError::new(
                                    line,
                                    RowErrorKind::Encoding {
                                        column: column.label(),
                                        encoding: text.label(),
                                    },
                                )));
                            }
                        }
                    }
                    return Some(Ok((line, cells)));
                }
                Rows::Xlsx(rows) => match rows.next_message()? {
                    Message::Failed(message) => {
                        return Some(Err(RowError::new(
                            rows.failure_row(),
                            RowErrorKind::Unreadable { message },
                        )));
                    }
                    Message::Row(line, row) => {
                        if !has_content(&row) {
                            continue;
                        }
                        let mut cells = Cells::default();
                        for (column, value) in self.header.columns.iter().zip(&row) {
                            if let Some(column) = column {
                                cells.set(*column, value.trim());
                            }
                        }
                        return Some(Ok((line, cells)));
                    }
                },
            }
        }
    }
}

fn record_has_content(record: &csv::ByteRecord) -> bool {
    record
        .iter()
        .any(|field| !field.iter().all(u8::is_ascii_whitespace))
}

fn csv_message(error: csv::Error) -> String {
    match error.into_kind() {
        csv::ErrorKind::Io(io) => io.to_string(),
        other => format!("{other:?}"),
    }
}

fn csv_open_error(error: csv::Error) -> OpenError {
    OpenError::Io(std::io::Error::other(csv_message(error)))
}

/// The cells of the known columns of one row.
#[derive(Default)]
struct Cells([String; Column::ALL.len()]);

impl Cells {
    fn set(&mut self, column: Column, value: &str) {
        self.0[column as usize] = value.to_owned();
    }

    fn get(&self, column: Column) -> &str {
        &self.0[column as usize]
    }

    fn optional(&self, column: Column) -> Option<String> {
        let value = self.get(column);
        (!value.is_empty()).then(|| value.to_owned())
    }
}

fn parsed<T>(
    cells: &Cells,
    column: Column,
    read: fn(&str) -> Option<T>,
    warnings: &mut Vec<FieldWarning>,
) -> Option<Parsed<T>> {
    let raw = cells.optional(column)?;
    let value = read(&raw);
    if value.is_none() {
        warnings.push(FieldWarning {
            column,
            value: excerpt(&raw),
        });
    }
    Some(Parsed { raw, value })
}

fn company_row(line: u64, cells: &Cells) -> Result<CompanyRow, RowErrorKind> {
    let name = cells.get(Column::Name);
    if name.is_empty() {
        return Err(RowErrorKind::Missing {
            column: Column::Name.label(),
        });
    }
    let corporate_number = match cells.get(Column::CorporateNumber) {
        "" => None,
        value => Some(corporate_number(Column::CorporateNumber.label(), value)?),
    };
    let mut warnings = Vec::new();
    let industry = cells.optional(Column::Industry);
    Ok(CompanyRow {
        line,
        corporate_number,
        name: name.to_owned(),
        furigana: cells.optional(Column::Furigana),
        city: cells.optional(Column::City),
        address: cells.optional(Column::Address),
        jsic_code: industry.as_deref().and_then(values::jsic_code),
        industry,
        employees: parsed(cells, Column::Employees, values::count, &mut warnings),
        founded: parsed(cells, Column::Founded, values::year, &mut warnings),
        representative_age: parsed(cells, Column::RepresentativeAge, values::age, &mut warnings),
        url: cells.optional(Column::Url),
        processes: values::items(cells.get(Column::Processes)),
        materials: values::items(cells.get(Column::Materials)),
        equipment: values::items(cells.get(Column::Equipment)),
        certifications: values::items(cells.get(Column::Certifications)),
        products: values::items(cells.get(Column::Products)),
        public: parsed(cells, Column::Public, values::yes_no, &mut warnings),
        contact_name: cells.optional(Column::ContactName),
        contact_email: cells.optional(Column::ContactEmail),
        warnings,
    })
}

impl Iterator for Reader<'_> {
    type Item = Result<CompanyRow, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_cells() {
            None => {
                self.done = true;
                None
            }
            Some(Err(error)) => {
                self.done = error.is_fatal();
                Some(Err(error))
            }
            Some(Ok((line, cells))) => {
                Some(company_row(line, &cells).map_err(|kind| RowError::new(line, kind)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(bytes: &[u8]) -> Vec<Result<CompanyRow, RowError>> {
        from_bytes(bytes, ListFormat::Auto).unwrap().collect()
    }

    const LIST: &str = "\
法人番号,企業名,ふりがな,所在市,所在地,業種コード(JSIC),従業員数（人）,創業年,代表者年齢,ホームページ,加工,素材,設備,認証・資格,主要製品,公開,備考
7000012050002,株式会社大森精工,オオモリセイコウ,大田区,東京都大田区大森北1-2-3,E2592 金属加工機械用部分品,\"1,200\",昭和40年,58歳,https://example.jp,切削、研削;溶接,SUS304/アルミ,5軸マシニングセンタ,ISO9001,治具,公開,取引先多数
,有限会社尼崎プレス,,尼崎市,,プレス,多数,1972,,,プレス,,,,,非公開,
";

    #[test]
    fn a_utf8_list_with_aliases_is_read() {
        let mut reader = from_bytes(LIST.as_bytes(), ListFormat::Auto).unwrap();
        assert_eq!(reader.unknown_headers(), ["備考"]);
        let first = reader.next().unwrap().unwrap();
        assert_eq!(first.line, 2);
        assert_eq!(first.corporate_number.unwrap().as_str(), "7000012050002");
        assert_eq!(first.name, "株式会社大森精工");
        assert_eq!(first.furigana.as_deref(), Some("オオモリセイコウ"));
        assert_eq!(first.city.as_deref(), Some("大田区"));
        assert_eq!(first.jsic_code.as_deref(), Some("E2592"));
        assert_eq!(first.employees.unwrap().value, Some(1200));
        assert_eq!(first.founded.unwrap().value, Some(1965));
        assert_eq!(first.representative_age.unwrap().value, Some(58));
        assert_eq!(first.url.as_deref(), Some("https://example.jp"));
        assert_eq!(first.processes, ["切削", "研削", "溶接"]);
        assert_eq!(first.materials, ["SUS304", "アルミ"]);
        assert_eq!(first.equipment, ["5軸マシニングセンタ"]);
        assert_eq!(first.certifications, ["ISO9001"]);
        assert_eq!(first.products, ["治具"]);
        assert_eq!(first.public.unwrap().value, Some(true));
        assert!(first.warnings.is_empty());

        let second = reader.next().unwrap().unwrap();
        assert_eq!(second.corporate_number, None);
        assert_eq!(second.furigana, None);
        assert_eq!(second.jsic_code, None);
        let employees = second.employees.unwrap();
        assert_eq!((employees.raw.as_str(), employees.value), ("多数", None));
        assert_eq!(second.public.unwrap().value, Some(false));
        assert_eq!(
            second
                .warnings
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["従業員数「多数」を読み取れませんでした（書かれたとおりに保存します）。"]
        );
        assert!(reader.next().is_none());
    }

    #[test]
    fn shift_jis_and_bom_utf8_read_the_same_as_plain_utf8() {
        let plain: Vec<_> = rows(LIST.as_bytes());
        let shift_jis = encoding_rs::SHIFT_JIS.encode(LIST).0.into_owned();
        let mut reader = from_bytes(&shift_jis, ListFormat::Auto).unwrap();
        assert_eq!(reader.encoding(), Some(Encoding::ShiftJis));
        assert_eq!(reader.by_ref().collect::<Vec<_>>(), plain);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(LIST.as_bytes());
        assert_eq!(rows(&bom), plain);
        let explicit: Vec<_> = from_bytes(&shift_jis, ListFormat::Csv(Some(Encoding::ShiftJis)))
            .unwrap()
            .collect();
        assert_eq!(explicit, plain);
    }

    #[test]
    fn refused_rows_name_their_line_and_blank_lines_are_skipped() {
        let text = "会社名,法人番号\n\n株式会社よし,\n,7000012050002\n株式会社わるい,1000012050002\n株式会社みじかい,123\n,,\n";
        let results = rows(text.as_bytes());
        let summary: Vec<(u64, &str)> = results
            .iter()
            .map(|r| match r {
                Ok(row) => (row.line, "ok"),
                Err(error) => (error.line, error.code()),
            })
            .collect();
        assert_eq!(
            summary,
            [
                (3, "ok"),
                (4, "missing"),
                (5, "check_digit"),
                (6, "corporate_number")
            ]
        );
        assert_eq!(
            results[1].as_ref().unwrap_err().to_string(),
            "4行目: 会社名が空です。"
        );
    }

    #[test]
    fn a_list_without_a_name_column_or_a_header_is_refused_whole() {
        let error = from_bytes(
            "法人番号,住所\n7000012050002,東京都\n".as_bytes(),
            ListFormat::Auto,
        )
        .err()
        .unwrap();
        assert_eq!(error.code(), "no_name_column");
        let error = from_bytes(b"\n\n", ListFormat::Auto).err().unwrap();
        assert_eq!(error.code(), "no_header");
    }

    #[test]
    fn the_template_itself_imports_without_notices() {
        let mut text = TEMPLATE_HEADERS.join(",");
        text.push_str("\n,株式会社テンプレート,,,,,,,,,,,,,,\n");
        let reader = from_bytes(text.as_bytes(), ListFormat::Auto).unwrap();
        assert!(reader.unknown_headers().is_empty());
        assert!(reader.header().duplicates.is_empty());
        let rows: Vec<_> = reader.collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].as_ref().unwrap().name, "株式会社テンプレート");
    }

    #[test]
    fn short_rows_read_missing_cells_as_empty() {
        let results = rows("会社名,従業員数,公開\n株式会社みじかい\n".as_bytes());
        let row = results[0].as_ref().unwrap();
        assert_eq!(row.employees, None);
        assert_eq!(row.public, None);
    }

    #[test]
    fn garbage_is_an_open_error_or_row_errors_never_a_panic() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for length in 0..300 {
            let mut bytes = "会社名,法人番号\n".as_bytes().to_vec();
            bytes.extend((0..length).map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                match seed % 6 {
                    0 => b',',
                    1 => b'"',
                    2 => b'\n',
                    _ => (seed >> 8) as u8,
                }
            }));
            if let Ok(reader) = from_bytes(&bytes, ListFormat::Auto) {
                for _ in reader {}
            }
            let _ = from_bytes(&bytes[16..], ListFormat::Xlsx).map(|r| r.count());
        }
    }
}
