//! Why a file could not be opened ([`OpenError`]) and why one row was refused
//! ([`RowError`]). Row errors carry the line number, a Japanese sentence for the
//! rejected-rows report and a stable machine code for the API and for tests.

/// The longest excerpt of a refused value quoted back in a message: enough to find the
/// cell, short enough that a garbage field cannot flood the report.
const MAX_QUOTED_CHARS: usize = 40;

/// Quotes a refused value for a message, cut at [`MAX_QUOTED_CHARS`] characters.
pub(crate) fn excerpt(value: &str) -> String {
    let mut chars = value.chars();
    let head: String = chars.by_ref().take(MAX_QUOTED_CHARS).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// A file that cannot be read at all: nothing was imported from it.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("ファイルを読めません（{0}）。")]
    Io(#[from] std::io::Error),
    #[error("ZIPファイルとして読めません（{0}）。")]
    Zip(String),
    #[error("ZIPファイルの中にCSVファイルがありません。")]
    NoCsvInZip,
    #[error("ZIPファイルの中のCSVは暗号化されていて読めません。")]
    Encrypted,
    #[error("ZIPファイルの圧縮方式（{0}）には対応していません。")]
    Compression(String),
    #[error("Excelファイル（XLSX）として読めません（{0}）。")]
    Xlsx(String),
    #[error("見出し行がありません（ファイルが空です）。")]
    NoHeader,
    #[error("見出し行の文字を{0}として読めません。")]
    HeaderEncoding(&'static str),
    #[error(
        "見出し行に会社名の列がありません。「会社名」「企業名」「名称」のどれかの見出しを付けてください。"
    )]
    NoNameColumn,
    #[error("ZIPファイルの中のファイルが多すぎます（{found}個。{limit}個までです）。")]
    TooManyEntries { found: usize, limit: usize },
    #[error(
        "展開すると大きすぎます（展開後{}までです）。圧縮を解いた中身が大きすぎるファイルは取り込みません。",
        size_label(*limit)
    )]
    TooLarge { limit: u64 },
    #[error(
        "ZIPファイルの中にさらにZIPファイルがあります。中のCSVファイルを取り出してから取り込んでください。"
    )]
    NestedZip,
    #[error(
        "Excelファイルの共有文字列が多すぎます（{limit}個までです）。ファイルを分けて取り込んでください。"
    )]
    TooManySharedStrings { limit: u64 },
    #[error(
        "Excelファイルの共有文字列の数の宣言（{declared}個）がファイルの大きさに合わず、壊れています。Excelで開いて保存し直してください。"
    )]
    SharedStringCount { declared: u64 },
    #[error("1つのセルの文字が多すぎます（Excelの上限の32,767文字までです）。")]
    CellTooLong,
    #[error(
        "Excelファイルに文書型定義（DOCTYPE）が含まれています。Excelが保存するファイルにはないもので、読みません。"
    )]
    Doctype,
}

/// A byte count for a message: "32MB", "16GB".
pub(crate) fn size_label(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;
    if bytes >= GIB && bytes.is_multiple_of(GIB) {
        format!("{}GB", bytes / GIB)
    } else if bytes >= MIB {
        format!("{}MB", bytes / MIB)
    } else {
        format!("{}KB", bytes.div_ceil(1024))
    }
}

impl OpenError {
    /// A stable identifier for the API and for tests.
    pub fn code(&self) -> &'static str {
        match self {
            OpenError::Io(_) => "io",
            OpenError::Zip(_) => "zip",
            OpenError::NoCsvInZip => "no_csv_in_zip",
            OpenError::Encrypted => "encrypted",
            OpenError::Compression(_) => "compression",
            OpenError::Xlsx(_) => "xlsx",
            OpenError::NoHeader => "no_header",
            OpenError::HeaderEncoding(_) => "header_encoding",
            OpenError::NoNameColumn => "no_name_column",
            OpenError::TooManyEntries { .. } => "too_many_entries",
            OpenError::TooLarge { .. } => "too_large",
            OpenError::NestedZip => "nested_zip",
            OpenError::TooManySharedStrings { .. } => "too_many_shared_strings",
            OpenError::SharedStringCount { .. } => "shared_string_count",
            OpenError::CellTooLong => "cell_too_long",
            OpenError::Doctype => "doctype",
        }
    }
}

impl From<zip::result::ZipError> for OpenError {
    fn from(error: zip::result::ZipError) -> Self {
        match error {
            zip::result::ZipError::Io(io) => OpenError::Io(io),
            other => OpenError::Zip(other.to_string()),
        }
    }
}

/// One refused row: where it is and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}行目: {kind}")]
pub struct RowError {
    /// The line of the file the row starts on (1-based; for XLSX the sheet's row number).
    pub line: u64,
    pub kind: RowErrorKind,
}

impl RowError {
    pub fn new(line: u64, kind: RowErrorKind) -> Self {
        RowError { line, kind }
    }

    /// A stable identifier of the reason (`check_digit`, `column_count`, …).
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// The column the reason concerns, by its Japanese name, when there is one.
    pub fn column(&self) -> Option<&'static str> {
        self.kind.column()
    }

    /// True when the file itself stopped being readable: the reader yields nothing after it.
    pub fn is_fatal(&self) -> bool {
        matches!(self.kind, RowErrorKind::Unreadable { .. })
    }
}

/// Why a row was refused, as a sentence for the person who fixes the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowErrorKind {
    #[error("列の数が{found}列です（{expected}列のはずです）。")]
    ColumnCount { expected: usize, found: usize },
    #[error("{column}が空です。")]
    Missing { column: &'static str },
    #[error("{column}「{value}」のチェックディジット（先頭の1桁）が一致しません。")]
    CheckDigit { column: &'static str, value: String },
    #[error("{column}「{value}」を読めません。{reason}")]
    CorporateNumber {
        column: &'static str,
        value: String,
        reason: String,
    },
    #[error("{column}「{value}」を日付（YYYY-MM-DD）として読めません。")]
    Date { column: &'static str, value: String },
    #[error("{column}「{value}」は定義にないコードです。")]
    Code { column: &'static str, value: String },
    #[error("{column}「{value}」は0か1のはずです。")]
    Flag { column: &'static str, value: String },
    #[error("{column}「{value}」は数字のはずです。")]
    Number { column: &'static str, value: String },
    #[error("{column}の文字を{encoding}として読めません（文字コードが混在しています）。")]
    Encoding {
        column: &'static str,
        encoding: &'static str,
    },
    #[error("ファイルの読み込みが途中で失敗しました（{message}）。この行から後は読めていません。")]
    Unreadable { message: String },
}

impl RowErrorKind {
    /// A stable identifier of the reason.
    pub fn code(&self) -> &'static str {
        match self {
            RowErrorKind::ColumnCount { .. } => "column_count",
            RowErrorKind::Missing { .. } => "missing",
            RowErrorKind::CheckDigit { .. } => "check_digit",
            RowErrorKind::CorporateNumber { .. } => "corporate_number",
            RowErrorKind::Date { .. } => "date",
            RowErrorKind::Code { .. } => "code",
            RowErrorKind::Flag { .. } => "flag",
            RowErrorKind::Number { .. } => "number",
            RowErrorKind::Encoding { .. } => "encoding",
            RowErrorKind::Unreadable { .. } => "unreadable",
        }
    }

    /// The column concerned, by its Japanese name.
    pub fn column(&self) -> Option<&'static str> {
        match self {
            RowErrorKind::Missing { column }
            | RowErrorKind::CheckDigit { column, .. }
            | RowErrorKind::CorporateNumber { column, .. }
            | RowErrorKind::Date { column, .. }
            | RowErrorKind::Code { column, .. }
            | RowErrorKind::Flag { column, .. }
            | RowErrorKind::Number { column, .. }
            | RowErrorKind::Encoding { column, .. } => Some(column),
            RowErrorKind::ColumnCount { .. } | RowErrorKind::Unreadable { .. } => None,
        }
    }
}

/// Reads a 法人番号 with the domain's rule, telling a wrong check digit apart from
/// text that is not a 13-digit number at all (the two need different fixes).
pub(crate) fn corporate_number(
    column: &'static str,
    value: &str,
) -> Result<domain::CorporateNumber, RowErrorKind> {
    domain::CorporateNumber::parse(value).map_err(|invalid| {
        let digits = domain::text::narrow_ascii(value)
            .chars()
            .filter(char::is_ascii_digit)
            .count();
        let only_digits_and_separators = domain::text::narrow_ascii(value)
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | 'ー' | '‐'));
        if digits == 13 && only_digits_and_separators {
            RowErrorKind::CheckDigit {
                column,
                value: excerpt(value),
            }
        } else {
            let upper = value.to_ascii_uppercase();
            let reason = if upper.contains("E+") {
                "Excelで指数表記（7.00001E+12 のような形）になっています。列を文字列にして保存し直してください。".to_owned()
            } else {
                invalid.reason
            };
            RowErrorKind::CorporateNumber {
                column,
                value: excerpt(value),
                reason,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_value_is_cut_in_the_message() {
        let long = "あ".repeat(100);
        let quoted = excerpt(&long);
        assert_eq!(quoted.chars().count(), MAX_QUOTED_CHARS + 1);
        assert!(quoted.ends_with('…'));
        assert_eq!(excerpt("短い"), "短い");
    }

    #[test]
    fn a_wrong_check_digit_is_told_apart_from_a_malformed_number() {
        let error = corporate_number("法人番号", "1000012050002").unwrap_err();
        assert_eq!(error.code(), "check_digit");
        assert_eq!(
            error.to_string(),
            "法人番号「1000012050002」のチェックディジット（先頭の1桁）が一致しません。"
        );
        let error = corporate_number("法人番号", "70000120500").unwrap_err();
        assert_eq!(error.code(), "corporate_number");
        assert!(error.to_string().contains("13桁"), "{error}");
    }

    #[test]
    fn an_excel_exponent_gets_its_own_hint() {
        let error = corporate_number("法人番号", "7.00001E+12").unwrap_err();
        assert_eq!(error.code(), "corporate_number");
        assert!(error.to_string().contains("指数表記"), "{error}");
    }

    #[test]
    fn a_row_error_names_its_line_and_reason() {
        let error = RowError::new(
            12,
            RowErrorKind::ColumnCount {
                expected: 30,
                found: 29,
            },
        );
        assert_eq!(
            error.to_string(),
            "12行目: 列の数が29列です（30列のはずです）。"
        );
        assert_eq!(error.code(), "column_count");
        assert_eq!(error.column(), None);
        assert!(!error.is_fatal());
    }
}
