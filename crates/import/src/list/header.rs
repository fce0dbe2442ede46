//! The columns of a staff company list and the many ways people head them.
//!
//! A header cell is normalised before lookup: full-width ASCII becomes half-width,
//! spaces go, ASCII letters are lower-cased, and required-field marks (`*`, `※`,
//! `(必須)`) are dropped. If that does not match an alias, a trailing parenthesised
//! note (`従業員数（人）`, `業種コード(JSIC)`) is dropped and the lookup tried again.

/// A column the importer knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    CorporateNumber,
    Name,
    Furigana,
    City,
    Address,
    Industry,
    Employees,
    Founded,
    RepresentativeAge,
    Url,
    Processes,
    Materials,
    Equipment,
    Certifications,
    Products,
    Public,
    ContactName,
    ContactEmail,
}

impl Column {
    /// Every column, in the template's order.
    pub const ALL: [Column; 18] = [
        Column::CorporateNumber,
        Column::Name,
        Column::Furigana,
        Column::City,
        Column::Address,
        Column::Industry,
        Column::Employees,
        Column::Founded,
        Column::RepresentativeAge,
        Column::Url,
        Column::Processes,
        Column::Materials,
        Column::Equipment,
        Column::Certifications,
        Column::Products,
        Column::Public,
        Column::ContactName,
        Column::ContactEmail,
    ];

    /// The canonical header, as in the template.
    pub fn label(self) -> &'static str {
        match self {
            Column::CorporateNumber => "法人番号",
            Column::Name => "会社名",
            Column::Furigana => "フリガナ",
            Column::City => "市区町村",
            Column::Address => "住所",
            Column::Industry => "業種",
            Column::Employees => "従業員数",
            Column::Founded => "設立年",
            Column::RepresentativeAge => "代表者年齢",
            Column::Url => "URL",
            Column::Processes => "工程",
            Column::Materials => "材料",
            Column::Equipment => "設備",
            Column::Certifications => "認証",
            Column::Products => "製品",
            Column::Public => "公開",
            Column::ContactName => "担当者",
            Column::ContactEmail => "メールアドレス",
        }
    }

    /// Headers accepted for the column, in normalised form (see the module docs).
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::CorporateNumber => &["法人番号", "法人no", "法人番号13桁"],
            Column::Name => &[
                "会社名",
                "企業名",
                "名称",
                "法人名",
                "商号",
                "商号又は名称",
                "事業者名",
                "事業所名",
                "社名",
                "会社名称",
                "企業名称",
            ],
            Column::Furigana => &[
                "フリガナ",
                "ふりがな",
                "カナ",
                "かな",
                "よみがな",
                "ヨミガナ",
                "会社名フリガナ",
                "会社名ふりがな",
                "会社名カナ",
                "企業名フリガナ",
                "企業名ふりがな",
                "企業名カナ",
            ],
            Column::City => &[
                "市区町村",
                "所在市",
                "所在市区町村",
                "市町村",
                "市区",
                "所在自治体",
            ],
            Column::Address => &["住所", "所在地", "本社所在地", "本社住所", "所在地住所"],
            Column::Industry => &[
                "業種",
                "業種コード",
                "業種名",
                "業種分類",
                "産業分類",
                "日本標準産業分類",
                "jsic",
                "jsicコード",
            ],
            Column::Employees => &["従業員数", "従業員", "社員数", "従業者数", "常用従業員数"],
            Column::Founded => &[
                "設立年",
                "創業年",
                "設立",
                "創業",
                "設立年月日",
                "創業年月日",
                "設立年月",
                "創業年月",
            ],
            Column::RepresentativeAge => &["代表者年齢", "代表者の年齢", "代表者年令", "社長年齢"],
            Column::Url => &[
                "url",
                "ホームページ",
                "ホームページurl",
                "hp",
                "ウェブサイト",
                "webサイト",
                "website",
            ],
            Column::Processes => &[
                "工程",
                "加工",
                "加工内容",
                "得意加工",
                "得意な加工",
                "対応工程",
                "加工技術",
            ],
            Column::Materials => &["材料", "素材", "材質", "対応材料", "対応素材"],
            Column::Equipment => &["設備", "主要設備", "保有設備"],
            Column::Certifications => &["認証", "資格", "認証・資格", "認証資格", "取得認証"],
            Column::Products => &["製品", "主要製品", "主な製品", "製品名"],
            Column::Public => &["公開", "公開可否", "公開設定", "掲載可否"],
            Column::ContactName => &["担当者", "担当者名", "ご担当者", "連絡先担当者"],
            Column::ContactEmail => &[
                "メールアドレス",
                "メール",
                "e-mail",
                "email",
                "mail",
                "電子メール",
                "担当者メールアドレス",
                "連絡先メールアドレス",
            ],
        }
    }

    /// The column a header cell names, if any.
    pub fn from_header(header: &str) -> Option<Column> {
        let normalised = normalise(header);
        lookup(&normalised).or_else(|| {
            let without_note = strip_trailing_note(&normalised);
            (without_note != normalised)
                .then(|| lookup(without_note))
                .flatten()
        })
    }

    /// Whether the column holds several values (工程, 材料, …).
    pub fn is_list(self) -> bool {
        matches!(
            self,
            Column::Processes
                | Column::Materials
                | Column::Equipment
                | Column::Certifications
                | Column::Products
        )
    }
}

/// The headers of the import template, in order: a list with exactly these imports
/// without any unknown-column notice.
pub const TEMPLATE_HEADERS: [&str; 18] = [
    "法人番号",
    "会社名",
    "フリガナ",
    "市区町村",
    "住所",
    "業種",
    "従業員数",
    "設立年",
    "代表者年齢",
    "URL",
    "工程",
    "材料",
    "設備",
    "認証",
    "製品",
    "公開",
    "担当者",
    "メールアドレス",
];

fn lookup(normalised: &str) -> Option<Column> {
    Column::ALL
        .into_iter()
        .find(|column| column.aliases().contains(&normalised))
}

fn normalise(header: &str) -> String {
    let narrowed = domain::text::narrow_ascii(header);
    let without_marks = narrowed.replace("(必須)", "").replace("(任意)", "");
    without_marks
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '*' | '※' | '\u{FEFF}'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn strip_trailing_note(normalised: &str) -> &str {
    if normalised.ends_with(')')
        && let Some(open) = normalised.rfind('(')
    {
        return &normalised[..open];
    }
    normalised
}

/// How the header row was understood.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// For each column of the file, the known column it holds.
    pub columns: Vec<Option<Column>>,
    /// Headers that name no known column, as written (empty cells are not listed).
    pub unknown: Vec<String>,
    /// Headers that name a column already named to their left; the left one is used.
    pub duplicates: Vec<String>,
}

impl Header {
    pub(crate) fn parse<S: AsRef<str>>(cells: &[S]) -> Header {
        let mut header = Header::default();
        for cell in cells {
            let text = cell.as_ref().trim();
            let column = Column::from_header(text);
            match column {
                Some(column) if header.columns.contains(&Some(column)) => {
                    header.duplicates.push(text.to_owned());
                    header.columns.push(None);
                }
                Some(_) => header.columns.push(column),
                None => {
                    if !text.is_empty() {
                        header.unknown.push(text.to_owned());
                    }
                    header.columns.push(None);
                }
            }
        }
        header
    }

    /// Where a known column is in the file.
    pub fn position(&self, column: Column) -> Option<usize> {
        self.columns.iter().position(|c| *c == Some(column))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_headers_are_the_canonical_labels() {
        let labels: Vec<&str> = Column::ALL.iter().map(|c| c.label()).collect();
        assert_eq!(labels, TEMPLATE_HEADERS);
        for header in TEMPLATE_HEADERS {
            assert!(Column::from_header(header).is_some(), "{header}");
        }
    }

    #[test]
    fn common_aliases_and_decorations_are_understood() {
        let cases = [
            ("企業名", Column::Name),
            ("名称", Column::Name),
            ("会社名※", Column::Name),
            ("会社名（必須）", Column::Name),
            (" 会社名 *", Column::Name),
            ("ふりがな", Column::Furigana),
            ("所在市", Column::City),
            ("所在地", Column::Address),
            ("業種コード(JSIC)", Column::Industry),
            ("業種コード（ＪＳＩＣ）", Column::Industry),
            ("従業員数（人）", Column::Employees),
            ("創業年", Column::Founded),
            ("ＵＲＬ", Column::Url),
            ("ホームページ", Column::Url),
            ("加工", Column::Processes),
            ("素材", Column::Materials),
            ("資格", Column::Certifications),
            ("認証・資格", Column::Certifications),
        ];
        for (header, column) in cases {
            assert_eq!(Column::from_header(header), Some(column), "{header}");
        }
        assert_eq!(Column::from_header("備考"), None);
        assert_eq!(Column::from_header(""), None);
    }

    #[test]
    fn unknown_and_duplicate_headers_are_listed_not_fatal() {
        let header = Header::parse(&["会社名", "備考", "企業名", "", "FAX番号"]);
        assert_eq!(header.columns[0], Some(Column::Name));
        assert_eq!(header.unknown, ["備考", "FAX番号"]);
        assert_eq!(header.duplicates, ["企業名"]);
        assert_eq!(header.position(Column::Name), Some(0));
    }
}
