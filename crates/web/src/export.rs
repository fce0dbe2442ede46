//! Lists as CSV and XLSX: staff keep their lists in spreadsheets. One table shape
//! serves every list.
//!
//! CSV comes in two encodings, both with CRLF line endings as Excel writes them:
//! UTF-8 with a BOM (the default; Excel 2016 and later open it) and Shift_JIS (CP932,
//! `?encoding=shift_jis`) for older Excel and the many municipal systems that read
//! nothing else. A character CP932 cannot hold is never dropped or replaced: the
//! download is refused with a Japanese page listing each row, column and character,
//! and a link to the UTF-8 file.
//!
//! In XLSX each column has a [`ColumnKind`] given by the list, not guessed from the
//! text: codes (法人番号, postal codes, phone numbers, keys) stay text so Excel keeps
//! their leading zeros and digits, numbers are numbers, dates and date-times are date
//! cells; the header row is frozen and has an autofilter.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use encoding_rs::SHIFT_JIS;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use crate::WebError;
use crate::view::Layout;

/// What a column holds, which decides its XLSX cell type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColumnKind {
    /// Words: a text cell.
    #[default]
    Text,
    /// A code written with digits that is not a quantity (法人番号, 郵便番号, 電話番号,
    /// ids): a text cell, so Excel neither drops leading zeros nor shows 2.16917E+12.
    Code,
    /// A quantity staff may sum: a number cell when the text is a number.
    Number,
    /// A day (`2026-04-01`): a date cell shown as 2026/04/01.
    Date,
    /// A moment (`2026-04-01 09:30`): a date cell shown as 2026/04/01 09:30.
    DateTime,
}

/// A list to export: a header row, each column's kind, and rows of text cells.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub kinds: Vec<ColumnKind>,
    pub rows: Vec<Vec<String>>,
}

/// The encodings a CSV download is offered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsvEncoding {
    /// UTF-8 with a BOM, so that Excel recognises it.
    #[default]
    Utf8,
    /// Shift_JIS as Windows writes it (CP932).
    ShiftJis,
}

/// The formats a list exports to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportFormat {
    Csv(CsvRequest),
    Xlsx,
}

/// How a CSV download was asked for: the encoding (`?encoding=shift_jis`) and the
/// address, so that a refusal can link the same list in UTF-8.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CsvRequest {
    pub encoding: CsvEncoding,
    /// The path and query of the same download in UTF-8 (without `encoding`).
    pub utf8_url: String,
}

impl CsvRequest {
    /// Reads `encoding` from a query string; an unknown value is refused in Japanese,
    /// naming what was typed.
    pub fn parse(path: &str, query: Option<&str>) -> Result<CsvRequest, WebError> {
        let mut encoding = CsvEncoding::Utf8;
        let mut kept = form_urlencoded::Serializer::new(String::new());
        let mut any_kept = false;
        for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            if name == "encoding" {
                encoding = match value.trim().to_ascii_lowercase().replace('-', "_").as_str() {
                    "" | "utf_8" | "utf8" => CsvEncoding::Utf8,
                    "shift_jis" | "sjis" | "cp932" | "windows_31j" | "ms932" => {
                        CsvEncoding::ShiftJis
                    }
                    _ => {
                        return Err(WebError::BadRequest(format!(
                            "文字コード「{value}」には対応していません。encoding には utf-8 か shift_jis を指定してください。"
                        )));
                    }
                };
            } else {
                kept.append_pair(&name, &value);
                any_kept = true;
            }
        }
        let utf8_url = if any_kept {
            format!("{path}?{}", kept.finish())
        } else {
            path.to_owned()
        };
        Ok(CsvRequest { encoding, utf8_url })
    }

    /// A UTF-8 download (for callers that are not HTTP requests).
    pub fn utf8() -> CsvRequest {
        CsvRequest::default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CsvRequest {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        CsvRequest::parse(parts.uri.path(), parts.uri.query())
    }
}

/// A character of a cell that Shift_JIS (CP932) cannot hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unencodable {
    /// The row as Excel numbers it (the header is row 1).
    pub row: usize,
    pub column: String,
    pub character: char,
    /// The cell, for finding the record.
    pub cell: String,
}

impl Unencodable {
    /// `U+1F600` and the like, for characters that may not show.
    pub fn code_point(&self) -> String {
        format!("U+{:04X}", u32::from(self.character))
    }
}

/// Characters that Unicode spells twice, where CP932 (Windows) has the other
/// spelling: written as the CP932 one, which Excel shows the same. Everything else
/// outside CP932 is refused.
const CP932_EQUIVALENTS: [(char, char); 9] = [
    ('\u{301C}', '\u{FF5E}'), // 〜 WAVE DASH → ～
    ('\u{2016}', '\u{2225}'), // ‖ → ∥
    ('\u{2212}', '\u{FF0D}'), // − MINUS SIGN → －
    ('\u{00A2}', '\u{FFE0}'), // ¢ → ￠
    ('\u{00A3}', '\u{FFE1}'), // £ → ￡
    ('\u{00AC}', '\u{FFE2}'), // ¬ → ￢
    ('\u{2014}', '\u{2015}'), // — EM DASH → ―
    ('\u{00A5}', '\u{FFE5}'), // ¥ → ￥ (0x5C would read back as a backslash)
    ('\u{203E}', '\u{FFE3}'), // ‾ → ￣ (0x7E would read back as a tilde)
];

/// A cell as CP932 spells it (see [`CP932_EQUIVALENTS`]).
pub fn cp932_spelling(text: &str) -> String {
    text.chars()
        .map(|c| {
            CP932_EQUIVALENTS
                .iter()
                .find(|(from, _)| *from == c)
                .map_or(c, |(_, to)| *to)
        })
        .collect()
}

/// Whether `c` survives a trip through CP932 unchanged.
fn cp932_holds(c: char) -> bool {
    let mut buffer = [0u8; 4];
    let text = c.encode_utf8(&mut buffer);
    let (bytes, _, had_errors) = SHIFT_JIS.encode(text);
    if had_errors {
        return false;
    }
    let (back, _, bad) = SHIFT_JIS.decode(&bytes);
    !bad && back == *text
}

impl Table {
    /// A table of text columns; mark the others with [`Table::kind`] and friends.
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            kinds: vec![ColumnKind::Text; headers.len()],
            rows: Vec::new(),
        }
    }

    /// A table of text columns from headers made at run time (one per question).
    pub fn from_headers(headers: Vec<String>) -> Table {
        Table {
            kinds: vec![ColumnKind::Text; headers.len()],
            headers,
            rows: Vec::new(),
        }
    }

    /// Gives the columns named `headers` the kind `kind`.
    pub fn kind(mut self, kind: ColumnKind, headers: &[&str]) -> Table {
        for wanted in headers {
            match self.headers.iter().position(|h| h == wanted) {
                Some(col) => self.kinds[col] = kind,
                // A misspelt header leaves the column text: never a failed download.
                None => tracing::warn!(column = %wanted, "export: no such column to type"),
            }
        }
        self
    }

    /// Code columns (text cells of digits): see [`ColumnKind::Code`].
    pub fn codes(self, headers: &[&str]) -> Table {
        self.kind(ColumnKind::Code, headers)
    }

    /// Number columns: see [`ColumnKind::Number`].
    pub fn numbers(self, headers: &[&str]) -> Table {
        self.kind(ColumnKind::Number, headers)
    }

    /// Date columns: see [`ColumnKind::Date`].
    pub fn dates(self, headers: &[&str]) -> Table {
        self.kind(ColumnKind::Date, headers)
    }

    /// Date-time columns: see [`ColumnKind::DateTime`].
    pub fn datetimes(self, headers: &[&str]) -> Table {
        self.kind(ColumnKind::DateTime, headers)
    }

    fn kind_of(&self, col: usize) -> ColumnKind {
        self.kinds.get(col).copied().unwrap_or_default()
    }

    /// The CSV text (no BOM), with CRLF line endings.
    fn csv_text(&self, spell: impl Fn(&str) -> String) -> Result<String, WebError> {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        writer
            .write_record(self.headers.iter().map(|h| spell(h)))
            .map_err(internal)?;
        for row in &self.rows {
            writer
                .write_record(row.iter().map(|c| spell(c)))
                .map_err(internal)?;
        }
        let bytes = writer.into_inner().map_err(internal)?;
        String::from_utf8(bytes).map_err(internal)
    }

    /// UTF-8 with a BOM and CRLF line endings.
    pub fn csv(&self) -> Result<Vec<u8>, WebError> {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(self.csv_text(str::to_owned)?.as_bytes());
        Ok(bytes)
    }

    /// Every character of the table that Shift_JIS (CP932) cannot hold, in reading
    /// order.
    pub fn unencodable_in_shift_jis(&self) -> Vec<Unencodable> {
        let mut found = Vec::new();
        let mut check = |row: usize, column: &str, cell: &str| {
            let spelled = cp932_spelling(cell);
            let (_, _, had_errors) = SHIFT_JIS.encode(&spelled);
            let (bytes, _, _) = SHIFT_JIS.encode(&spelled);
            let (back, _, _) = SHIFT_JIS.decode(&bytes);
            if !had_errors && back == spelled {
                return;
            }
            let mut seen = Vec::new();
            for c in spelled.chars() {
                if !seen.contains(&c) && !cp932_holds(c) {
                    seen.push(c);
                    found.push(Unencodable {
                        row,
                        column: column.to_owned(),
                        character: c,
                        cell: cell.to_owned(),
                    });
                }
            }
        };
        for header in &self.headers {
            check(1, header, header);
        }
        for (r, row) in self.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let column = self.headers.get(c).map_or("", String::as_str);
                check(r + 2, column, cell);
            }
        }
        found
    }

    /// Shift_JIS (CP932) with CRLF line endings, or the characters it cannot hold.
    pub fn csv_shift_jis(&self) -> Result<Result<Vec<u8>, Vec<Unencodable>>, WebError> {
        let problems = self.unencodable_in_shift_jis();
        if !problems.is_empty() {
            return Ok(Err(problems));
        }
        let text = self.csv_text(cp932_spelling)?;
        let (bytes, _, had_errors) = SHIFT_JIS.encode(&text);
        if had_errors {
            return Err(WebError::Internal(
                "export: Shift_JIS lost a character the check let through".into(),
            ));
        }
        Ok(Ok(bytes.into_owned()))
    }

    pub fn xlsx(&self, sheet_name: &str) -> Result<Vec<u8>, WebError> {
        let mut workbook = Workbook::new();
        let bold = Format::new().set_bold();
        let date = Format::new().set_num_format("yyyy/mm/dd");
        let datetime = Format::new().set_num_format("yyyy/mm/dd hh:mm");
        let sheet = workbook.add_worksheet();
        sheet.set_name(sheet_name).map_err(internal)?;
        for (col, header) in self.headers.iter().enumerate() {
            sheet
                .write_string_with_format(0, col_index(col), header, &bold)
                .map_err(internal)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).map_err(internal)?;
            for (c, cell) in row.iter().enumerate() {
                let col = col_index(c);
                if cell.is_empty() {
                    continue;
                }
                match self.kind_of(c) {
                    ColumnKind::Number => match cell.parse::<f64>() {
                        Ok(number) if number.is_finite() => {
                            sheet.write_number(r, col, number).map_err(internal)?
                        }
                        _ => sheet.write_string(r, col, cell).map_err(internal)?,
                    },
                    ColumnKind::Date => match parse_date(cell) {
                        Some(day) => sheet
                            .write_datetime_with_format(r, col, &day, &date)
                            .map_err(internal)?,
                        None => sheet.write_string(r, col, cell).map_err(internal)?,
                    },
                    ColumnKind::DateTime => match parse_datetime(cell) {
                        Some((moment, true)) => sheet
                            .write_datetime_with_format(r, col, &moment, &datetime)
                            .map_err(internal)?,
                        Some((day, false)) => sheet
                            .write_datetime_with_format(r, col, &day, &date)
                            .map_err(internal)?,
                        None => sheet.write_string(r, col, cell).map_err(internal)?,
                    },
                    ColumnKind::Text | ColumnKind::Code => {
                        sheet.write_string(r, col, cell).map_err(internal)?
                    }
                };
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(internal)?;
        if !self.headers.is_empty() {
            let last_row = u32::try_from(self.rows.len()).map_err(internal)?;
            let last_col = col_index(self.headers.len() - 1);
            sheet
                .autofilter(0, 0, last_row, last_col)
                .map_err(internal)?;
        }
        sheet.autofit();
        // Autofit measures the serial number of a date, not its shown text.
        for (c, kind) in self.kinds.iter().enumerate() {
            let width = match kind {
                ColumnKind::Date => 12.0,
                ColumnKind::DateTime => 17.0,
                _ => continue,
            };
            sheet
                .set_column_width(col_index(c), width)
                .map_err(internal)?;
        }
        workbook.save_to_buffer().map_err(internal)
    }

    /// The download response for `filename` (without extension).
    pub fn download(
        &self,
        format: ExportFormat,
        filename: &str,
        sheet_name: &str,
    ) -> Result<Response, WebError> {
        let (bytes, content_type, extension) = match format {
            ExportFormat::Csv(request) => match request.encoding {
                CsvEncoding::Utf8 => (self.csv()?, "text/csv; charset=utf-8", "csv"),
                CsvEncoding::ShiftJis => match self.csv_shift_jis()? {
                    Ok(bytes) => (bytes, "text/csv; charset=Shift_JIS", "csv"),
                    Err(problems) => return Ok(refusal(&request, &problems)),
                },
            },
            ExportFormat::Xlsx => (
                self.xlsx(sheet_name)?,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
        };
        Ok(attachment(
            bytes,
            content_type,
            &format!("{filename}.{extension}"),
        ))
    }
}

/// A moment as lists write it for people: the wall-clock time in Japan
/// (`2026-04-01 09:30:00`), which the XLSX makes a date cell.
pub fn japan_time(at: chrono::DateTime<chrono::Utc>) -> String {
    domain::time::in_japan(at)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// `2026-04-01`, `2026/4/1` or `2026年4月1日` as an Excel date.
fn parse_date(text: &str) -> Option<ExcelDateTime> {
    let text = text.trim();
    let day = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"]
        .iter()
        .find_map(|f| chrono::NaiveDate::parse_from_str(text, f).ok())?;
    excel_day(day)
}

fn excel_day(day: chrono::NaiveDate) -> Option<ExcelDateTime> {
    use chrono::Datelike;
    ExcelDateTime::from_ymd(
        u16::try_from(day.year()).ok()?,
        u8::try_from(day.month()).ok()?,
        u8::try_from(day.day()).ok()?,
    )
    .ok()
}

/// A date-time as written in lists (`2026-04-01 09:30`, with seconds or a `T`, or
/// RFC 3339 with an offset, which keeps its wall-clock time); `true` when it has a
/// time. A bare date is a date.
fn parse_datetime(text: &str) -> Option<(ExcelDateTime, bool)> {
    use chrono::Timelike;
    let text = text.trim();
    let moment = chrono::DateTime::parse_from_rfc3339(text)
        .map(|m| m.naive_local())
        .ok()
        .or_else(|| {
            [
                "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%d %H:%M",
                "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%dT%H:%M",
                "%Y/%m/%d %H:%M:%S",
                "%Y/%m/%d %H:%M",
                "%Y年%m月%d日 %H:%M",
            ]
            .iter()
            .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
        });
    match moment {
        Some(moment) => {
            let day = excel_day(moment.date())?;
            let at = day
                .and_hms(
                    u16::try_from(moment.hour()).ok()?,
                    u8::try_from(moment.minute()).ok()?,
                    moment.second(),
                )
                .ok()?;
            Some((at, true))
        }
        None => parse_date(text).map(|day| (day, false)),
    }
}

/// The refusal of a Shift_JIS download: which characters, where, and the UTF-8 link.
#[derive(Template, WebTemplate)]
#[template(path = "export_unencodable.html")]
struct UnencodablePage {
    layout: Layout,
    problems: Vec<Unencodable>,
    more: usize,
    utf8_url: String,
}

/// At most this many characters are listed; the rest are counted.
const LISTED: usize = 50;

fn refusal(request: &CsvRequest, problems: &[Unencodable]) -> Response {
    let page = UnencodablePage {
        layout: Layout::new("Shift_JISで書き出せない文字があります"),
        problems: problems.iter().take(LISTED).cloned().collect(),
        more: problems.len().saturating_sub(LISTED),
        utf8_url: request.utf8_url.clone(),
    };
    let mut response = page.into_response();
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    response
}

/// A download of `bytes` saved as `file_name` (ASCII: keys, not titles).
fn attachment(bytes: Vec<u8>, content_type: &'static str, file_name: &str) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// Personal data exported on request, as an indented JSON download `{filename}.json`.
pub fn json_download(data: &impl serde::Serialize, filename: &str) -> Result<Response, WebError> {
    let bytes = serde_json::to_vec_pretty(data).map_err(internal)?;
    Ok(attachment(
        bytes,
        "application/json; charset=utf-8",
        &format!("{filename}.json"),
    ))
}

fn col_index(col: usize) -> u16 {
    u16::try_from(col).unwrap_or(u16::MAX)
}

fn internal(error: impl std::fmt::Display) -> WebError {
    WebError::Internal(format!("export: {error}"))
}

/// The 「デモ」 column of an export: the mark of an invented demonstration record
/// (empty for the council's own records).
pub fn demo_cell(demo: bool) -> String {
    if demo { store::demo::MARK } else { "" }.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let mut table = Table::new(&["団体", "KPI", "値"]).numbers(&["値"]);
        table.rows.push(vec![
            "川口商工会議所".into(),
            "延べ商談数".into(),
            "58".into(),
        ]);
        table
    }

    #[test]
    fn csv_starts_with_a_bom_keeps_japanese_and_ends_lines_with_crlf() {
        let bytes = table().csv().unwrap();
        assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF]);
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert_eq!(text, "団体,KPI,値\r\n川口商工会議所,延べ商談数,58\r\n");
    }

    #[test]
    fn shift_jis_csv_reads_back_as_the_same_cells() {
        let mut table = table();
        table.rows.push(vec![
            "髙橋①㈱".into(),
            "10時〜12時".into(),
            "\"引用\"".into(),
        ]);
        let bytes = table.csv_shift_jis().unwrap().unwrap();
        assert_ne!(&bytes[..3], &[0xEF, 0xBB, 0xBF], "no BOM in Shift_JIS");
        let (text, _, bad) = SHIFT_JIS.decode(&bytes);
        assert!(!bad);
        assert_eq!(
            text,
            "団体,KPI,値\r\n川口商工会議所,延べ商談数,58\r\n髙橋①㈱,10時～12時,\"\"\"引用\"\"\"\r\n"
        );
    }

    #[test]
    fn characters_outside_cp932_are_listed_by_row_and_column_not_dropped() {
        let mut table = table();
        table
            .rows
            .push(vec!["𠮷野家".into(), "満足度😀".into(), "1".into()]);
        let problems = table.csv_shift_jis().unwrap().unwrap_err();
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].row, 3);
        assert_eq!(problems[0].column, "団体");
        assert_eq!(problems[0].character, '𠮷');
        assert_eq!(problems[0].code_point(), "U+20BB7");
        assert_eq!(problems[1].column, "KPI");
        assert_eq!(problems[1].cell, "満足度😀");
    }

    #[test]
    fn the_encoding_is_read_from_the_query_and_the_utf8_link_keeps_the_rest() {
        let asked =
            CsvRequest::parse("/companies.csv", Some("city=ota&encoding=shift_jis")).unwrap();
        assert_eq!(asked.encoding, CsvEncoding::ShiftJis);
        assert_eq!(asked.utf8_url, "/companies.csv?city=ota");
        let plain = CsvRequest::parse("/companies.csv", None).unwrap();
        assert_eq!(plain.encoding, CsvEncoding::Utf8);
        assert_eq!(plain.utf8_url, "/companies.csv");
        let wrong = CsvRequest::parse("/companies.csv", Some("encoding=euc-jp")).unwrap_err();
        assert!(wrong.to_string().contains("euc-jp"));
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let bytes = table().xlsx("施策").unwrap();
        assert_eq!(&bytes[..2], b"PK");
    }

    #[test]
    fn dates_and_times_are_read_as_written_in_lists() {
        assert!(parse_date("2026-04-01").is_some());
        assert!(parse_date("2026年4月1日").is_some());
        assert!(parse_date("未定").is_none());
        assert_eq!(parse_datetime("2026-04-01 09:30").map(|d| d.1), Some(true));
        assert_eq!(
            parse_datetime("2026-04-01T09:30:00+09:00").map(|d| d.1),
            Some(true)
        );
        assert_eq!(parse_datetime("2026-04-01").map(|d| d.1), Some(false));
        // view::tokyo_time, as the sign-up and diagnosis lists write it.
        assert_eq!(parse_datetime("2026年4月1日 9:05").map(|d| d.1), Some(true));
    }
}
