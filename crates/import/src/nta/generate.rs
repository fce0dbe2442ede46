//! A generator of realistic NTA bulk files, deterministic for a seed, for tests and
//! benchmarks: valid check digits, manufacturing company names with their フリガナ,
//! addresses in the council's seven cities and elsewhere, closed companies with a date
//! and a cause, mergers with a successor, 差分-style later rows for the same number
//! (name or address changes), and, on request, a share of malformed rows whose line
//! numbers and faults are returned so a test can check the rejected-rows report.
//!
//! Rows are written as they are made, so a file of any size takes constant memory.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};

use chrono::{Days, NaiveDate};
use domain::CorporateNumber;
use zip::write::{SimpleFileOptions, StreamWriter};
use zip::{CompressionMethod, ZipWriter};

use super::codes::{CloseCause, Kind, Process};
use crate::source::Encoding;

/// A place companies are generated in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct City {
    pub name: &'static str,
    pub prefecture: &'static str,
    /// 都道府県コード, two digits.
    pub prefecture_code: &'static str,
    /// 市区町村コード, three digits.
    pub city_code: &'static str,
    post_prefixes: &'static [&'static str],
    towns: &'static [&'static str],
}

const fn city(
    name: &'static str,
    prefecture: &'static str,
    codes: (&'static str, &'static str),
    post_prefixes: &'static [&'static str],
    towns: &'static [&'static str],
) -> City {
    City {
        name,
        prefecture,
        prefecture_code: codes.0,
        city_code: codes.1,
        post_prefixes,
        towns,
    }
}

/// The council's seven cities.
pub const SEVEN_CITIES: [City; 7] = [
    city(
        "川口市",
        "埼玉県",
        ("11", "203"),
        &["332", "333", "334"],
        &["本町", "栄町", "元郷", "領家", "芝", "青木", "末広"],
    ),
    city(
        "墨田区",
        "東京都",
        ("13", "107"),
        &["130", "131"],
        &["押上", "向島", "錦糸", "両国", "京島", "立花", "八広"],
    ),
    city(
        "大田区",
        "東京都",
        ("13", "111"),
        &["143", "144", "146"],
        &[
            "蒲田",
            "大森北",
            "東糀谷",
            "下丸子",
            "矢口",
            "鵜の木",
            "京浜島",
        ],
    ),
    city(
        "岡谷市",
        "長野県",
        ("20", "204"),
        &["394"],
        &["本町", "中央町", "長地", "湊", "川岸", "加茂町"],
    ),
    city(
        "加賀市",
        "石川県",
        ("17", "206"),
        &["922"],
        &[
            "大聖寺",
            "山中温泉",
            "動橋町",
            "作見町",
            "片山津町",
            "山代温泉",
        ],
    ),
    city(
        "東大阪市",
        "大阪府",
        ("27", "227"),
        &["577", "578", "579"],
        &["高井田", "荒本", "稲田", "長田", "布施", "菱江", "森河内"],
    ),
    city(
        "尼崎市",
        "兵庫県",
        ("28", "202"),
        &["660", "661"],
        &[
            "東難波町",
            "昭和通",
            "潮江",
            "杭瀬",
            "西長洲町",
            "大庄",
            "扶桑町",
        ],
    ),
];

/// Places outside the council, so that imports have something to leave out.
const OTHER_CITIES: [City; 8] = [
    city(
        "千代田区",
        "東京都",
        ("13", "101"),
        &["100", "101", "102"],
        &["丸の内", "神田小川町", "有楽町"],
    ),
    city(
        "港区",
        "東京都",
        ("13", "103"),
        &["105", "106", "107", "108"],
        &["芝浦", "港南", "新橋"],
    ),
    city(
        "大阪市北区",
        "大阪府",
        ("27", "127"),
        &["530"],
        &["梅田", "中之島", "天満"],
    ),
    city(
        "名古屋市中区",
        "愛知県",
        ("23", "106"),
        &["460"],
        &["栄", "錦", "丸の内"],
    ),
    city(
        "札幌市中央区",
        "北海道",
        ("01", "101"),
        &["060", "064"],
        &["北一条西", "南三条西", "大通西"],
    ),
    city(
        "福岡市博多区",
        "福岡県",
        ("40", "132"),
        &["812"],
        &["博多駅前", "中洲", "東比恵"],
    ),
    city(
        "諏訪市",
        "長野県",
        ("20", "206"),
        &["392"],
        &["高島", "四賀", "湖岸通り"],
    ),
    city(
        "燕市",
        "新潟県",
        ("15", "213"),
        &["959"],
        &["吉田", "小池", "物流センター"],
    ),
];

/// The part of a name that makes it someone's: a place or family name, with its reading.
const CORES: [(&str, &str); 48] = [
    ("川口", "カワグチ"),
    ("隅田", "スミダ"),
    ("大森", "オオモリ"),
    ("蒲田", "カマタ"),
    ("諏訪", "スワ"),
    ("岡谷", "オカヤ"),
    ("加賀", "カガ"),
    ("山中", "ヤマナカ"),
    ("河内", "カワチ"),
    ("布施", "フセ"),
    ("尼崎", "アマガサキ"),
    ("東洋", "トウヨウ"),
    ("日本", "ニホン"),
    ("大和", "ヤマト"),
    ("富士", "フジ"),
    ("三和", "サンワ"),
    ("昭和", "ショウワ"),
    ("大成", "タイセイ"),
    ("共栄", "キョウエイ"),
    ("丸山", "マルヤマ"),
    ("高橋", "タカハシ"),
    ("鈴木", "スズキ"),
    ("田中", "タナカ"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("山本", "ヤマモト"),
    ("松本", "マツモト"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
    ("太陽", "タイヨウ"),
    ("旭", "アサヒ"),
    ("北斗", "ホクト"),
    ("光", "ヒカリ"),
    ("新興", "シンコウ"),
    ("第一", "ダイイチ"),
    ("明和", "メイワ"),
    ("協和", "キョウワ"),
    ("栄光", "エイコウ"),
    ("平和", "ヘイワ"),
    ("千代田", "チヨダ"),
    ("朝日", "アサヒ"),
    ("三栄", "サンエイ"),
    ("大進", "ダイシン"),
    ("丸和", "マルワ"),
    ("菱江", "ヒシエ"),
    ("湊", "ミナト"),
    ("錦", "ニシキ"),
    ("鵜の木", "ウノキ"),
];

/// Where the legal form stands in the name.
#[derive(Clone, Copy)]
enum Form {
    Before,
    After,
}

/// Name patterns: legal form, its position, the trade word and its reading.
const PATTERNS: [(Kind, Form, &str, &str); 20] = [
    (
        Kind::KabushikiKaisha,
        Form::Before,
        "製作所",
        "セイサクショ",
    ),
    (Kind::KabushikiKaisha, Form::After, "工業", "コウギョウ"),
    (Kind::KabushikiKaisha, Form::Before, "金型", "カナガタ"),
    (Kind::KabushikiKaisha, Form::After, "鋳造", "チュウゾウ"),
    (Kind::KabushikiKaisha, Form::Before, "精密", "セイミツ"),
    (Kind::KabushikiKaisha, Form::After, "化成", "カセイ"),
    (
        Kind::KabushikiKaisha,
        Form::Before,
        "鉄工所",
        "テッコウショ",
    ),
    (
        Kind::KabushikiKaisha,
        Form::After,
        "機械製作所",
        "キカイセイサクショ",
    ),
    (
        Kind::KabushikiKaisha,
        Form::Before,
        "プレス工業",
        "プレスコウギョウ",
    ),
    (Kind::KabushikiKaisha, Form::After, "電機", "デンキ"),
    (
        Kind::KabushikiKaisha,
        Form::After,
        "ゴム工業",
        "ゴムコウギョウ",
    ),
    (Kind::KabushikiKaisha, Form::Before, "製缶", "セイカン"),
    (Kind::YugenKaisha, Form::Before, "精機", "セイキ"),
    (Kind::YugenKaisha, Form::Before, "工業所", "コウギョウショ"),
    (Kind::YugenKaisha, Form::After, "製作所", "セイサクショ"),
    (
        Kind::YugenKaisha,
        Form::Before,
        "鍍金工業",
        "メッキコウギョウ",
    ),
    (Kind::GodoKaisha, Form::Before, "技研", "ギケン"),
    (Kind::GoshiKaisha, Form::Before, "商店", "ショウテン"),
    (Kind::GomeiKaisha, Form::After, "鍛造所", "タンゾウショ"),
    (
        Kind::OtherRegistered,
        Form::Before,
        "工業会",
        "コウギョウカイ",
    ),
];

fn legal_form(kind: Kind) -> &'static str {
    match kind {
        Kind::KabushikiKaisha => "株式会社",
        Kind::YugenKaisha => "有限会社",
        Kind::GomeiKaisha => "合名会社",
        Kind::GoshiKaisha => "合資会社",
        Kind::GodoKaisha => "合同会社",
        Kind::OtherRegistered => "一般社団法人",
        _ => "",
    }
}

/// Which way a malformed row is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Malformation {
    /// The 法人番号's check digit is wrong (reported as `check_digit`).
    CheckDigit,
    /// A column is missing or one too many (`column_count`).
    ColumnCount,
    /// 更新年月日 is not a date (`date`).
    Date,
}

impl Malformation {
    /// The [`crate::RowError::code`] the reader gives this row.
    pub fn expected_code(self) -> &'static str {
        match self {
            Malformation::CheckDigit => "check_digit",
            Malformation::ColumnCount => "column_count",
            Malformation::Date => "date",
        }
    }
}

/// A row the generator broke on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalformedRow {
    pub line: u64,
    pub malformation: Malformation,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    /// Rows in the file, all kinds included.
    pub rows: u64,
    pub seed: u64,
    pub encoding: Encoding,
    /// Write a ZIP holding one CSV, as the NTA publishes.
    pub zip: bool,
    /// Share of new companies that are closed (liquidated, closed by the registrar, merged).
    pub closed_fraction: f64,
    /// Share of new companies that get a later row (name or address change).
    pub update_fraction: f64,
    /// Share of rows broken on purpose.
    pub malformed_fraction: f64,
}

impl GenerateOptions {
    /// UTF-8, plain CSV, 8% closed, 5% updated, nothing malformed.
    pub fn new(rows: u64, seed: u64) -> Self {
        GenerateOptions {
            rows,
            seed,
            encoding: Encoding::Utf8,
            zip: false,
            closed_fraction: 0.08,
            update_fraction: 0.05,
            malformed_fraction: 0.0,
        }
    }
}

/// What was generated, for tests to check a reader against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerateSummary {
    /// Rows written.
    pub rows: u64,
    /// Distinct corporate numbers among the well-formed rows.
    pub companies: u64,
    /// Well-formed rows that are closed (see [`super::NtaRecord::is_closed`]).
    pub closed: u64,
    /// Later rows for a number that appeared before (処理区分 11 or 12).
    pub updates: u64,
    /// Rows in the seven cities (well-formed ones).
    pub in_seven_cities: u64,
    /// The rows broken on purpose, in line order.
    pub malformed: Vec<MalformedRow>,
    /// Bytes written (compressed, for a ZIP).
    pub bytes: u64,
}

/// Writes `rows` rows of a synthetic NTA file with the default mix (see
/// [`GenerateOptions::new`]).
pub fn generate<W: Write>(
    writer: W,
    rows: u64,
    seed: u64,
    encoding: Encoding,
    zip: bool,
) -> io::Result<GenerateSummary> {
    generate_with(
        writer,
        &GenerateOptions {
            encoding,
            zip,
            ..GenerateOptions::new(rows, seed)
        },
    )
}

/// Writes a synthetic NTA file as `options` say.
pub fn generate_with<W: Write>(
    writer: W,
    options: &GenerateOptions,
) -> io::Result<GenerateSummary> {
    let counted = Counting {
        inner: writer,
        bytes: 0,
    };
    let mut summary = if options.zip {
        let mut zip = ZipWriter::new_stream(BufWriter::with_capacity(1 << 16, counted));
        let file_options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            // Level 1: about twice as fast as the default level, for a file about 1.7 times
            // larger (62 MB instead of 37 MB for a million Shift_JIS rows).
            .compression_level(Some(1))
            .large_file(options.rows > 4_000_000);
        zip.start_file(
            format!("renkei_synthetic_{}.csv", options.seed),
            file_options,
        )
        .map_err(io::Error::other)?;
        let summary = write_rows(&mut zip, options)?;
        let stream: StreamWriter<BufWriter<Counting<W>>> =
            zip.finish().map_err(io::Error::other)?;
        let counted = stream
            .into_inner()
            .into_inner()
            .map_err(|e| e.into_error())?;
        GenerateSummary {
            bytes: counted.bytes,
            ..summary
        }
    } else {
        let mut out = BufWriter::with_capacity(1 << 16, counted);
        let summary = write_rows(&mut out, options)?;
        let counted = out.into_inner().map_err(|e| e.into_error())?;
        GenerateSummary {
            bytes: counted.bytes,
            ..summary
        }
    };
    summary.rows = options.rows;
    Ok(summary)
}

/// Counts the bytes that reach the destination.
struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// SplitMix64: tiny, fast, and the same sequence on every platform and version.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        // Every list passed here is a non-empty constant.
        &items[self.below(items.len() as u64) as usize % items.len().max(1)]
    }

    fn chance(&mut self, probability: f64) -> bool {
        // 53 random bits as a float in [0, 1).
        ((self.next() >> 11) as f64) / ((1u64 << 53) as f64) < probability
    }
}

/// A company as generated: what its rows are made from.
#[derive(Clone)]
struct Company {
    number: String,
    kind: Kind,
    name: String,
    furigana: String,
    city: City,
    street: String,
    post_code: String,
    assigned: NaiveDate,
}

/// A later row waiting for its turn.
struct Pending {
    due: u64,
    company: Company,
    after: NaiveDate,
}

fn day(start: NaiveDate, offset: u64) -> NaiveDate {
    start.checked_add_days(Days::new(offset)).unwrap_or(start)
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

/// Full-width digits, as the NTA writes 丁目番地.
fn wide(n: u64) -> String {
    n.to_string()
        .chars()
        .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap_or(c))
        .collect()
}

struct Generator {
    rng: Rng,
    first_day: NaiveDate,
    last_day: NaiveDate,
    recent_numbers: VecDeque<String>,
}

impl Generator {
    fn corporate_number(&mut self, serial: u64) -> String {
        // The NTA's 12-digit base starts with a registry office code; the rest is a
        // serial. Serials here are distinct per company, so numbers are too.
        let office = 1000 + self.rng.below(9000);
        let base_text = format!("{office:04}{:08}", serial % 100_000_000);
        let mut base = [0u32; 12];
        for (slot, c) in base.iter_mut().zip(base_text.chars()) {
            *slot = c.to_digit(10).unwrap_or(0);
        }
        format!("{}{base_text}", CorporateNumber::check_digit(&base))
    }

    fn name(&mut self) -> (Kind, String, String) {
        let (kind, form, word, word_kana) = *self.rng.pick(&PATTERNS);
        let (core, core_kana) = *self.rng.pick(&CORES);
        let form_text = legal_form(kind);
        let name = match form {
            Form::Before => format!("{form_text}{core}{word}"),
            Form::After => format!("{core}{word}{form_text}"),
        };
        // The NTA's フリガナ leaves out the legal form.
        (kind, name, format!("{core_kana}{word_kana}"))
    }

    fn place(&mut self) -> (City, String, String) {
        let city = if self.rng.chance(0.7) {
            *self.rng.pick(&SEVEN_CITIES)
        } else {
            *self.rng.pick(&OTHER_CITIES)
        };
        let town = self.rng.pick(city.towns);
        let street = if self.rng.chance(0.8) {
            format!(
                "{town}{}丁目{}番{}号",
                wide(1 + self.rng.below(6)),
                wide(1 + self.rng.below(30)),
                wide(1 + self.rng.below(20))
            )
        } else {
            format!("{town}{}番地", wide(1 + self.rng.below(3000)))
        };
        let post_code = format!(
            "{}{:04}",
            self.rng.pick(city.post_prefixes),
            self.rng.below(10_000)
        );
        (city, street, post_code)
    }

    fn company(&mut self, serial: u64) -> Company {
        let number = self.corporate_number(serial);
        let (kind, name, furigana) = self.name();
        let (city, street, post_code) = self.place();
        // Most numbers were assigned on the day the system started (2015-10-05).
        let assigned = if self.rng.chance(0.8) {
            self.first_day
        } else {
            let span = (self.last_day - self.first_day).num_days().max(1) as u64;
            day(self.first_day, self.rng.below(span))
        };
        Company {
            number,
            kind,
            name,
            furigana,
            city,
            street,
            post_code,
            assigned,
        }
    }

    fn date_after(&mut self, after: NaiveDate) -> NaiveDate {
        let span = (self.last_day - after).num_days().max(1) as u64;
        day(after, 1 + self.rng.below(span.min(900)))
    }
}

/// The fields of one row, in [`super::COLUMNS`] order, before quoting.
struct Row<'a> {
    sequence: u64,
    company: &'a Company,
    process: Process,
    update_date: NaiveDate,
    change_date: NaiveDate,
    close: Option<(NaiveDate, CloseCause)>,
    successor: Option<&'a str>,
    latest: bool,
}

/// Text fields are quoted and numbers, codes and dates are not, as in the NTA files.
fn write_row(line: &mut String, row: &Row<'_>) {
    let c = row.company;
    let close_date = row.close.map(|(d, _)| d.to_string()).unwrap_or_default();
    let close_cause = row.close.map(|(_, c)| c.code()).unwrap_or_default();
    let _ = write!(
        line,
        "{},{},{},0,{},{},\"{}\",,{},\"{}\",\"{}\",\"{}\",,{},{},{},,,{},{},{},,{},{},,,,,\"{}\",0",
        row.sequence,
        c.number,
        row.process.code(),
        row.update_date,
        row.change_date,
        c.name,
        c.kind.code(),
        c.city.prefecture,
        c.city.name,
        c.street,
        c.city.prefecture_code,
        c.city.city_code,
        c.post_code,
        close_date,
        close_cause,
        row.successor.unwrap_or_default(),
        c.assigned,
        u8::from(row.latest),
        c.furigana,
    );
}

/// Breaks a well-formed line in the way asked.
fn break_line(line: &mut String, malformation: Malformation, number: &str) {
    match malformation {
        Malformation::CheckDigit => {
            if let Some(first) = number.chars().next().and_then(|c| c.to_digit(10)) {
                let wrong = first % 9 + 1;
                *line = line.replacen(number, &format!("{wrong}{}", &number[1..]), 1);
            }
        }
        Malformation::ColumnCount => {
            if let Some(cut) = line.rfind(',') {
                line.truncate(cut);
            }
        }
        Malformation::Date => {
            // 更新年月日 is the fifth field; the first four never contain commas.
            let mut fields: Vec<&str> = line.splitn(6, ',').collect();
            if fields.len() == 6 {
                fields[4] = "2024-02-30";
                *line = fields.join(",");
            }
        }
    }
}

/// encoding_rs keeps its kanji tables small and searches them when encoding, which is
/// slow for millions of rows; the generator uses a few hundred distinct characters, so
/// each is encoded once and remembered.
#[derive(Default)]
struct ShiftJisCache {
    known: HashMap<char, Box<[u8]>>,
}

impl ShiftJisCache {
    fn encode(&mut self, text: &str, out: &mut Vec<u8>) {
        for c in text.chars() {
            if c.is_ascii() {
                out.push(c as u8);
            } else {
                let bytes = self.known.entry(c).or_insert_with(|| {
                    let mut buffer = [0u8; 4];
                    let (encoded, _, _) = encoding_rs::SHIFT_JIS.encode(c.encode_utf8(&mut buffer));
                    encoded.into_owned().into_boxed_slice()
                });
                out.extend_from_slice(bytes);
            }
        }
    }
}

fn write_rows<W: Write>(out: &mut W, options: &GenerateOptions) -> io::Result<GenerateSummary> {
    let mut generator = Generator {
        rng: Rng(options.seed ^ 0x5EED_0F4E_4BE1),
        first_day: ymd(2015, 10, 5),
        last_day: ymd(2025, 3, 31),
        recent_numbers: VecDeque::with_capacity(64),
    };
    let mut summary = GenerateSummary::default();
    let mut pending: VecDeque<Pending> = VecDeque::new();
    let mut line = String::with_capacity(512);
    let mut bytes: Vec<u8> = Vec::with_capacity(1 << 17);
    let mut serial = 0u64;
    let is_seven = |c: &City| SEVEN_CITIES.iter().any(|s| s.name == c.name);
    let mut shift_jis = ShiftJisCache::default();

    for index in 0..options.rows {
        line.clear();
        let sequence = index + 1;
        let remaining = options.rows - index;
        let update_due = pending
            .front()
            .is_some_and(|p| p.due <= index || remaining as usize <= pending.len());
        if update_due && let Some(Pending { company, after, .. }) = pending.pop_front() {
            let mut changed = company.clone();
            let process = if generator.rng.chance(0.5) {
                let (_, name, furigana) = generator.name();
                changed.name = name;
                changed.furigana = furigana;
                Process::NameChanged
            } else {
                let (city, street, post_code) = generator.place();
                changed.city = city;
                changed.street = street;
                changed.post_code = post_code;
                Process::DomesticAddressChanged
            };
            let when = generator.date_after(after);
            write_row(
                &mut line,
                &Row {
                    sequence,
                    company: &changed,
                    process,
                    update_date: when,
                    change_date: when,
                    close: None,
                    successor: None,
                    latest: true,
                },
            );
            summary.updates += 1;
            summary.in_seven_cities += u64::from(is_seven(&changed.city));
        } else {
            serial += 1;
            let company = generator.company(serial);
            let malformation = generator.rng.chance(options.malformed_fraction).then(|| {
                match generator.rng.below(3) {
                    0 => Malformation::CheckDigit,
                    1 => Malformation::ColumnCount,
                    _ => Malformation::Date,
                }
            });
            let closed = generator.rng.chance(options.closed_fraction);
            let (process, close, successor) = if closed {
                let when = generator.date_after(company.assigned);
                match generator.rng.below(10) {
                    0 if !generator.recent_numbers.is_empty() => {
                        let successor =
                            generator
                                .recent_numbers
                                .get(generator.rng.below(generator.recent_numbers.len() as u64)
                                    as usize)
                                .cloned();
                        (
                            Process::AbsorbedInMerger,
                            Some((when, CloseCause::Merged)),
                            successor,
                        )
                    }
                    1 | 2 => (
                        Process::Closed,
                        Some((when, CloseCause::ClosedByRegistrar)),
                        None,
                    ),
                    _ => (Process::Closed, Some((when, CloseCause::Liquidated)), None),
                }
            } else {
                (Process::New, None, None)
            };
            // A later row needs a free line before the end of the file.
            let updated = !closed
                && malformation.is_none()
                && remaining > pending.len() as u64 + 2
                && generator.rng.chance(options.update_fraction);
            let update_date = match close {
                Some((when, _)) => when,
                None => generator.date_after(company.assigned),
            };
            write_row(
                &mut line,
                &Row {
                    sequence,
                    company: &company,
                    process,
                    update_date,
                    change_date: close.map_or(company.assigned, |(when, _)| when),
                    close,
                    successor: successor.as_deref(),
                    latest: !updated,
                },
            );
            match malformation {
                Some(malformation) => {
                    break_line(&mut line, malformation, &company.number);
                    summary.malformed.push(MalformedRow {
                        line: sequence,
                        malformation,
                    });
                }
                None => {
                    summary.companies += 1;
                    summary.closed += u64::from(closed);
                    summary.in_seven_cities += u64::from(is_seven(&company.city));
                    if !closed {
                        if generator.recent_numbers.len() == 64 {
                            generator.recent_numbers.pop_front();
                        }
                        generator.recent_numbers.push_back(company.number.clone());
                    }
                }
            }
            if updated {
                let due = index + 1 + generator.rng.below(50);
                pending.push_back(Pending {
                    due,
                    company,
                    after: update_date,
                });
            }
        }
        line.push_str("\r\n");
        match options.encoding {
            Encoding::Utf8 => bytes.extend_from_slice(line.as_bytes()),
            Encoding::ShiftJis => shift_jis.encode(&line, &mut bytes),
        }
        if bytes.len() >= 1 << 16 {
            out.write_all(&bytes)?;
            bytes.clear();
        }
    }
    out.write_all(&bytes)?;
    out.flush()?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(options: &GenerateOptions) -> (String, GenerateSummary) {
        let mut out = Vec::new();
        let summary = generate_with(&mut out, options).unwrap();
        (String::from_utf8(out).unwrap(), summary)
    }

    #[test]
    fn the_same_seed_gives_the_same_file_and_another_seed_another() {
        let options = GenerateOptions::new(200, 7);
        assert_eq!(text(&options).0, text(&options).0);
        assert_ne!(text(&options).0, text(&GenerateOptions::new(200, 8)).0);
    }

    #[test]
    fn rows_have_thirty_columns_and_valid_numbers() {
        let (file, summary) = text(&GenerateOptions::new(500, 1));
        assert_eq!(file.lines().count(), 500);
        assert_eq!(summary.rows, 500);
        for line in file.lines() {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), 30, "{line}");
            assert!(CorporateNumber::parse(fields[1]).is_ok(), "{line}");
        }
    }

    #[test]
    fn furigana_is_katakana_without_the_legal_form() {
        let (file, _) = text(&GenerateOptions::new(300, 3));
        for line in file.lines() {
            let fields: Vec<&str> = line.split(',').collect();
            let furigana = fields[28].trim_matches('"');
            assert!(
                furigana
                    .chars()
                    .all(|c| ('ァ'..='ヶ').contains(&c) || c == 'ー'),
                "{furigana}"
            );
            assert!(!furigana.contains("カブシキガイシャ"));
        }
    }

    #[test]
    fn the_seven_cities_carry_their_local_government_codes() {
        let codes: Vec<String> = SEVEN_CITIES
            .iter()
            .map(|c| {
                domain::LocalGovCode::parse(&format!("{}{}", c.prefecture_code, c.city_code))
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            codes,
            [
                "112038", "131075", "131113", "202045", "172065", "272272", "282022"
            ]
        );
    }

    #[test]
    fn every_generated_character_has_a_shift_jis_code() {
        let (file, _) = text(&GenerateOptions::new(2000, 11));
        let (expected, _, had_errors) = encoding_rs::SHIFT_JIS.encode(&file);
        assert!(!had_errors);
        let mut cached = Vec::new();
        ShiftJisCache::default().encode(&file, &mut cached);
        assert_eq!(cached, expected.as_ref());
    }
}
