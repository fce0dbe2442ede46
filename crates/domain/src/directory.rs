//! The company directory: companies of the seven cities with what they can do, the
//! people who are matched (designers, researchers, successor candidates, students),
//! facilities, and the needs and offers that matching turns into negotiations (商談).
//!
//! Capabilities use one shared taxonomy of processes, materials, equipment and
//! certifications, so that a need written in 大田区 finds a company registered in
//! 東大阪市. This module validates what people type; the store keeps it.

use crate::text::{narrow_ascii, optional_text, required_line};
use crate::{CorporateNumber, Invalid};

pub const NAME_MAX: usize = 120;
pub const ADDRESS_MAX: usize = 200;
pub const URL_MAX: usize = 300;
pub const DESCRIPTION_MAX: usize = 4000;
pub const PRODUCTS_MAX: usize = 2000;
pub const NOTE_MAX: usize = 4000;

/// Which part of the taxonomy a capability belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CapabilityGroup {
    Process,
    Material,
    Equipment,
    Certification,
}

impl CapabilityGroup {
    pub const ALL: [CapabilityGroup; 4] = [
        CapabilityGroup::Process,
        CapabilityGroup::Material,
        CapabilityGroup::Equipment,
        CapabilityGroup::Certification,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CapabilityGroup::Process => "process",
            CapabilityGroup::Material => "material",
            CapabilityGroup::Equipment => "equipment",
            CapabilityGroup::Certification => "certification",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CapabilityGroup::Process => "加工・工程",
            CapabilityGroup::Material => "材料",
            CapabilityGroup::Equipment => "設備",
            CapabilityGroup::Certification => "認証・認定",
        }
    }

    pub fn parse(code: &str) -> Option<CapabilityGroup> {
        Self::ALL.into_iter().find(|g| g.code() == code)
    }
}

/// One entry of the shared taxonomy: a stable code, its Japanese name, and other
/// names people type for it (so an imported list saying 「旋盤加工」 lands on 切削).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capability {
    pub code: &'static str,
    pub group: CapabilityGroup,
    pub label: &'static str,
    pub aliases: &'static [&'static str],
}

const fn cap(
    code: &'static str,
    group: CapabilityGroup,
    label: &'static str,
    aliases: &'static [&'static str],
) -> Capability {
    Capability {
        code,
        group,
        label,
        aliases,
    }
}

use CapabilityGroup::{Certification, Equipment, Material, Process};

/// The council's shared taxonomy. Codes are stable (stored, in URLs and in the API);
/// labels may be reworded.
pub const TAXONOMY: &[Capability] = &[
    cap(
        "cutting",
        Process,
        "切削",
        &[
            "旋盤",
            "フライス",
            "マシニング",
            "NC加工",
            "精密加工",
            "機械加工",
        ],
    ),
    cap("grinding", Process, "研削・研磨", &["研削", "研磨", "バフ"]),
    cap(
        "press",
        Process,
        "プレス",
        &["プレス加工", "深絞り", "打ち抜き"],
    ),
    cap(
        "sheet_metal",
        Process,
        "板金",
        &["板金加工", "曲げ", "ベンダー"],
    ),
    cap(
        "welding",
        Process,
        "溶接",
        &["TIG", "MIG", "スポット溶接", "レーザー溶接"],
    ),
    cap(
        "plating",
        Process,
        "めっき",
        &["メッキ", "鍍金", "表面処理", "アルマイト"],
    ),
    cap("painting", Process, "塗装", &["焼付塗装", "粉体塗装"]),
    cap(
        "heat_treatment",
        Process,
        "熱処理",
        &["焼入れ", "焼入", "焼鈍"],
    ),
    cap("casting", Process, "鋳造", &["鋳物", "ダイカスト", "砂型"]),
    cap(
        "forging",
        Process,
        "鍛造",
        &["鍛金", "熱間鍛造", "冷間鍛造"],
    ),
    cap(
        "resin_molding",
        Process,
        "樹脂成形",
        &["射出成形", "プラスチック成形", "成形"],
    ),
    cap("mold", Process, "金型", &["金型製作", "金型設計"]),
    cap(
        "assembly",
        Process,
        "組立",
        &["組み立て", "ユニット組立", "アッセンブリ"],
    ),
    cap(
        "inspection",
        Process,
        "検査",
        &["測定", "品質検査", "非破壊検査"],
    ),
    cap(
        "design",
        Process,
        "設計・デザイン",
        &["設計", "デザイン", "CAD", "試作設計"],
    ),
    cap(
        "electronics",
        Process,
        "電子部品実装",
        &["基板実装", "はんだ付け", "電子回路"],
    ),
    cap(
        "sewing",
        Process,
        "縫製・繊維加工",
        &["縫製", "ニット", "染色"],
    ),
    cap(
        "leather",
        Process,
        "皮革加工",
        &["皮革", "革製品", "なめし"],
    ),
    cap(
        "printing",
        Process,
        "印刷・製本",
        &["印刷", "製本", "紙加工"],
    ),
    cap("woodwork", Process, "木工", &["木工加工", "家具製作"]),
    cap("glass", Process, "ガラス加工", &["ガラス", "切子"]),
    cap("steel", Material, "鉄鋼", &["鉄", "鋼", "SS400", "S45C"]),
    cap("stainless", Material, "ステンレス", &["SUS", "SUS304"]),
    cap(
        "aluminium",
        Material,
        "アルミニウム",
        &["アルミ", "A5052", "A2017"],
    ),
    cap("copper", Material, "銅・真鍮", &["銅", "真鍮", "黄銅"]),
    cap("titanium", Material, "チタン", &["チタン合金", "Ti"]),
    cap("cast_iron", Material, "鋳鉄", &["FC", "FCD"]),
    cap(
        "resin",
        Material,
        "樹脂",
        &["プラスチック", "エンプラ", "PEEK", "ABS"],
    ),
    cap("rubber", Material, "ゴム", &["シリコーン", "ゴム材"]),
    cap("textile", Material, "繊維・布", &["布", "生地", "繊維"]),
    cap("leather_material", Material, "皮革素材", &["牛革", "豚革"]),
    cap("wood", Material, "木材", &["木", "合板"]),
    cap("paper", Material, "紙", &["和紙", "板紙"]),
    cap(
        "ceramics",
        Material,
        "セラミックス",
        &["セラミック", "陶磁器"],
    ),
    cap(
        "machining_center",
        Equipment,
        "マシニングセンタ",
        &["MC", "立形マシニング"],
    ),
    cap("five_axis", Equipment, "5軸加工機", &["5軸", "五軸"]),
    cap("nc_lathe", Equipment, "NC旋盤", &["CNC旋盤", "複合旋盤"]),
    cap(
        "wire_edm",
        Equipment,
        "ワイヤー放電加工機",
        &["放電加工", "ワイヤーカット"],
    ),
    cap(
        "laser_cutter",
        Equipment,
        "レーザー加工機",
        &["レーザー", "ファイバーレーザー"],
    ),
    cap(
        "press_brake",
        Equipment,
        "プレスブレーキ",
        &["ベンディングマシン"],
    ),
    cap(
        "press_machine",
        Equipment,
        "プレス機",
        &["サーボプレス", "トランスファープレス"],
    ),
    cap("injection_machine", Equipment, "射出成形機", &["成形機"]),
    cap("cmm", Equipment, "三次元測定機", &["CMM", "3次元測定機"]),
    cap(
        "printer_3d",
        Equipment,
        "3Dプリンター",
        &["積層造形", "3Dプリンタ"],
    ),
    cap(
        "iso9001",
        Certification,
        "ISO 9001",
        &["ISO9001", "品質マネジメント"],
    ),
    cap(
        "iso14001",
        Certification,
        "ISO 14001",
        &["ISO14001", "環境マネジメント"],
    ),
    cap(
        "iso13485",
        Certification,
        "ISO 13485",
        &["ISO13485", "医療機器"],
    ),
    cap(
        "jisq9100",
        Certification,
        "JIS Q 9100",
        &["JISQ9100", "AS9100", "航空宇宙"],
    ),
    cap(
        "iatf16949",
        Certification,
        "IATF 16949",
        &["IATF16949", "自動車"],
    ),
    cap(
        "eco_action21",
        Certification,
        "エコアクション21",
        &["エコアクション"],
    ),
    cap(
        "i_mono",
        Certification,
        "川口i-mono",
        &["i-mono", "アイモノ"],
    ),
    cap(
        "i_waza",
        Certification,
        "川口i-waza",
        &["i-waza", "アイワザ"],
    ),
    cap(
        "sumida_modern",
        Certification,
        "すみだモダン",
        &["すみだブランド"],
    ),
    cap("higashiosaka_brand", Certification, "東大阪ブランド", &[]),
    cap(
        "amagasaki_100",
        Certification,
        "尼崎市100年企業",
        &["100年企業"],
    ),
];

impl Capability {
    pub fn find(code: &str) -> Option<&'static Capability> {
        TAXONOMY.iter().find(|c| c.code == code)
    }

    /// The capabilities of one group, in the taxonomy's order.
    pub fn of(group: CapabilityGroup) -> impl Iterator<Item = &'static Capability> {
        TAXONOMY.iter().filter(move |c| c.group == group)
    }

    /// Finds a capability by code, label or alias, as staff type them in lists
    /// (全角, spaces and case ignored).
    pub fn lookup(text: &str) -> Option<&'static Capability> {
        let wanted = simplify(text);
        if wanted.is_empty() {
            return None;
        }
        TAXONOMY.iter().find(|c| {
            simplify(c.code) == wanted
                || simplify(c.label) == wanted
                || c.aliases.iter().any(|a| simplify(a) == wanted)
        })
    }

    /// The Japanese name of a code; unknown codes are shown as they are.
    pub fn label_of(code: &str) -> String {
        Self::find(code).map_or_else(|| code.to_owned(), |c| c.label.to_owned())
    }
}

fn simplify(text: &str) -> String {
    narrow_ascii(text)
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '_' | '・'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Splits a list typed in one cell or field (「切削、溶接／研磨」) and maps each item
/// to the taxonomy. Returns the codes found and the items that matched nothing.
pub fn parse_capabilities(text: &str) -> (Vec<&'static str>, Vec<String>) {
    let mut codes = Vec::new();
    let mut unknown = Vec::new();
    for item in text
        .split(['、', ',', '，', ';', '；', '/', '／', '・', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match Capability::lookup(item) {
            Some(c) if !codes.contains(&c.code) => codes.push(c.code),
            Some(_) => {}
            None => unknown.push(item.to_owned()),
        }
    }
    (codes, unknown)
}

/// Company size by employees, as the 中小企業基本法 draws it for manufacturing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SizeBand {
    /// 小規模事業者: 20 or fewer.
    Micro,
    /// 中小企業: 21 to 300.
    Small,
    /// 大企業: more than 300.
    Large,
}

impl SizeBand {
    pub const ALL: [SizeBand; 3] = [SizeBand::Micro, SizeBand::Small, SizeBand::Large];

    pub fn of_employees(employees: u32) -> SizeBand {
        match employees {
            0..=20 => SizeBand::Micro,
            21..=300 => SizeBand::Small,
            _ => SizeBand::Large,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            SizeBand::Micro => "micro",
            SizeBand::Small => "small",
            SizeBand::Large => "large",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SizeBand::Micro => "小規模（20人以下）",
            SizeBand::Small => "中小（21〜300人）",
            SizeBand::Large => "大企業（301人以上）",
        }
    }

    pub fn parse(code: &str) -> Option<SizeBand> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// The representative's age band: the succession question the council asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AgeBand {
    Under40,
    Forties,
    Fifties,
    Sixties,
    Seventies,
    EightyPlus,
}

impl AgeBand {
    pub const ALL: [AgeBand; 6] = [
        AgeBand::Under40,
        AgeBand::Forties,
        AgeBand::Fifties,
        AgeBand::Sixties,
        AgeBand::Seventies,
        AgeBand::EightyPlus,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AgeBand::Under40 => "under40",
            AgeBand::Forties => "40s",
            AgeBand::Fifties => "50s",
            AgeBand::Sixties => "60s",
            AgeBand::Seventies => "70s",
            AgeBand::EightyPlus => "80plus",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AgeBand::Under40 => "40歳未満",
            AgeBand::Forties => "40代",
            AgeBand::Fifties => "50代",
            AgeBand::Sixties => "60代",
            AgeBand::Seventies => "70代",
            AgeBand::EightyPlus => "80歳以上",
        }
    }

    pub fn of_age(age: u32) -> AgeBand {
        match age {
            0..=39 => AgeBand::Under40,
            40..=49 => AgeBand::Forties,
            50..=59 => AgeBand::Fifties,
            60..=69 => AgeBand::Sixties,
            70..=79 => AgeBand::Seventies,
            _ => AgeBand::EightyPlus,
        }
    }

    /// Accepts a code, a label, or an age in years (「67」「６７歳」).
    pub fn parse(input: &str) -> Option<AgeBand> {
        let text = narrow_ascii(input.trim());
        if let Some(band) = Self::ALL
            .into_iter()
            .find(|b| b.code() == text || b.label() == text)
        {
            return Some(band);
        }
        text.trim_end_matches('歳')
            .parse::<u32>()
            .ok()
            .filter(|age| (15..=120).contains(age))
            .map(Self::of_age)
    }
}

/// The manufacturing major groups (中分類) of 日本標準産業分類 division E, plus the
/// few other divisions the council's members belong to.
pub const JSIC: &[(&str, &str)] = &[
    ("09", "食料品製造業"),
    ("10", "飲料・たばこ・飼料製造業"),
    ("11", "繊維工業"),
    ("12", "木材・木製品製造業"),
    ("13", "家具・装備品製造業"),
    ("14", "パルプ・紙・紙加工品製造業"),
    ("15", "印刷・同関連業"),
    ("16", "化学工業"),
    ("18", "プラスチック製品製造業"),
    ("19", "ゴム製品製造業"),
    ("20", "なめし革・同製品・毛皮製造業"),
    ("21", "窯業・土石製品製造業"),
    ("22", "鉄鋼業"),
    ("23", "非鉄金属製造業"),
    ("24", "金属製品製造業"),
    ("25", "はん用機械器具製造業"),
    ("26", "生産用機械器具製造業"),
    ("27", "業務用機械器具製造業"),
    ("28", "電子部品・デバイス・電子回路製造業"),
    ("29", "電気機械器具製造業"),
    ("30", "情報通信機械器具製造業"),
    ("31", "輸送用機械器具製造業"),
    ("32", "その他の製造業"),
    ("39", "情報サービス業"),
    ("50", "各種商品卸売業"),
    ("72", "専門サービス業（デザイン業等）"),
    ("81", "学校教育"),
    ("83", "医療業"),
];

/// The JSIC name of a major-group code.
pub fn jsic_label(code: &str) -> Option<&'static str> {
    JSIC.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

/// Reads a JSIC major group as staff type it: 「24」, 「E24」, 「２４」, or the name.
pub fn parse_jsic(input: &str) -> Result<Option<&'static str>, Invalid> {
    let text = narrow_ascii(input.trim());
    if text.is_empty() {
        return Ok(None);
    }
    let code = text.trim_start_matches(['E', 'e']);
    let code = if code.len() == 1 {
        format!("0{code}")
    } else {
        code.to_owned()
    };
    JSIC.iter()
        .find(|(c, l)| *c == code || *l == text)
        .map(|(c, _)| Some(*c))
        .ok_or_else(|| {
            Invalid::new(
                "industry",
                format!("業種「{input}」は日本標準産業分類の中分類コード（例: 24 金属製品製造業）で入力してください。"),
            )
        })
}

/// Checks that フリガナ is katakana (with long marks, middle dots and spaces);
/// hiragana is converted, half-width katakana widened.
pub fn parse_kana(field: &str, input: &str) -> Result<String, Invalid> {
    use unicode_normalization_free::widen_katakana;
    let text = widen_katakana(input.trim());
    let kana: String = text
        .chars()
        .map(|c| match c {
            'ぁ'..='ゖ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            _ => c,
        })
        .collect();
    if let Some(bad) = kana
        .chars()
        .find(|c| !matches!(c, 'ァ'..='ヺ' | 'ー' | '・' | ' ' | '　' | 'ヽ' | 'ヾ'))
    {
        return Err(Invalid::new(
            field,
            format!("フリガナはカタカナで入力してください（「{bad}」は使えません）。"),
        ));
    }
    optional_text(field, &kana, NAME_MAX)
}

/// Half-width katakana to full width without pulling a normaliser into the domain.
mod unicode_normalization_free {
    const HALF: &str = "ｦｧｨｩｪｫｬｭｮｯｰｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝ";
    const FULL: &str = "ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン";
    const VOICED: &str = "カキクケコサシスセソタチツテトハヒフヘホウ";
    const SEMI: &str = "ハヒフヘホ";

    pub fn widen_katakana(text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                'ﾞ' => {
                    if let Some(last) = out.pop() {
                        if VOICED.contains(last) {
                            let voiced = if last == 'ウ' {
                                'ヴ'
                            } else {
                                char::from_u32(last as u32 + 1).unwrap_or(last)
                            };
                            out.push(voiced);
                        } else {
                            out.push(last);
                            out.push('゛');
                        }
                    }
                }
                'ﾟ' => {
                    if let Some(last) = out.pop() {
                        if SEMI.contains(last) {
                            out.push(char::from_u32(last as u32 + 2).unwrap_or(last));
                        } else {
                            out.push(last);
                            out.push('゜');
                        }
                    }
                }
                'ｰ'..='ﾝ' | 'ｦ'..='ｯ' => {
                    let index = HALF.chars().position(|h| h == c);
                    out.push(index.and_then(|i| FULL.chars().nth(i)).unwrap_or(c));
                }
                _ => out.push(c),
            }
        }
        out
    }
}

/// What a form or an imported row gives for a company, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompanyInput {
    pub corporate_number: String,
    pub name: String,
    pub kana: String,
    pub city: String,
    pub address: String,
    pub industry: String,
    pub employees: String,
    pub founded_year: String,
    pub representative_age: String,
    pub url: String,
    pub description: String,
    pub products: String,
    /// Capability codes (from check boxes) or typed names (from lists).
    pub capabilities: Vec<String>,
    pub public: bool,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub staff_note: String,
}

/// A validated company. `city` is a city key (`ota`) or `None` for companies outside
/// the seven cities (large buyers elsewhere).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyDraft {
    pub corporate_number: Option<CorporateNumber>,
    pub name: String,
    pub kana: String,
    pub city: Option<String>,
    pub address: String,
    pub industry: Option<String>,
    pub employees: Option<u32>,
    pub founded_year: Option<i32>,
    pub representative_age: Option<AgeBand>,
    pub url: String,
    pub description: String,
    pub products: String,
    pub capabilities: Vec<String>,
    pub public: bool,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub staff_note: String,
}

impl CompanyDraft {
    /// Validates everything and reports every problem at once. `city_keys` are the
    /// cities the platform knows; `this_year` bounds the founding year.
    pub fn parse(
        input: &CompanyInput,
        city_keys: &[&str],
        this_year: i32,
    ) -> Result<CompanyDraft, Vec<Invalid>> {
        let mut errors = Vec::new();
        let mut check = |result: Result<String, Invalid>| {
            result.unwrap_or_else(|e| {
                errors.push(e);
                String::new()
            })
        };
        let name = check(required_line("name", &input.name, NAME_MAX));
        let kana = check(parse_kana("kana", &input.kana));
        let address = check(optional_text("address", &input.address, ADDRESS_MAX));
        let description = check(optional_text(
            "description",
            &input.description,
            DESCRIPTION_MAX,
        ));
        let products = check(optional_text("products", &input.products, PRODUCTS_MAX));
        let contact_name = check(optional_text("contact_name", &input.contact_name, NAME_MAX));
        let contact_phone = check(optional_text("contact_phone", &input.contact_phone, 30));
        let staff_note = check(optional_text("staff_note", &input.staff_note, NOTE_MAX));
        let url = check(parse_url("url", &input.url));
        let contact_email = check(parse_email("contact_email", &input.contact_email));

        let corporate_number = if input.corporate_number.trim().is_empty() {
            None
        } else {
            CorporateNumber::parse(&input.corporate_number)
                .map_err(|e| errors.push(e))
                .ok()
        };
        let city = match input.city.trim() {
            "" | "other" => None,
            key if city_keys.contains(&key) => Some(key.to_owned()),
            other => {
                errors.push(Invalid::new(
                    "city",
                    format!(
                        "市区「{other}」は協議会の市区ではありません。一覧から選んでください。"
                    ),
                ));
                None
            }
        };
        let industry = parse_jsic(&input.industry)
            .map_err(|e| errors.push(e))
            .ok()
            .flatten()
            .map(str::to_owned);
        let employees = parse_count("employees", "従業員数", &input.employees, 0, 1_000_000)
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let founded_year = parse_count("founded_year", "設立年", &input.founded_year, 1, 9999)
            .map_err(|e| errors.push(e))
            .ok()
            .flatten()
            .and_then(|year| {
                let year = year as i32;
                if (600..=this_year).contains(&year) {
                    Some(year)
                } else {
                    errors.push(Invalid::new(
                        "founded_year",
                        format!("設立年は600年から{this_year}年の西暦で入力してください。"),
                    ));
                    None
                }
            });
        let representative_age = match input.representative_age.trim() {
            "" => None,
            text => AgeBand::parse(text).or_else(|| {
                errors.push(Invalid::new(
                    "representative_age",
                    "代表者の年代は一覧から選ぶか、年齢を数字で入力してください。",
                ));
                None
            }),
        };
        let mut capabilities: Vec<String> = Vec::new();
        for item in &input.capabilities {
            match Capability::find(item.trim()).or_else(|| Capability::lookup(item)) {
                Some(c) if !capabilities.iter().any(|k| k == c.code) => {
                    capabilities.push(c.code.to_owned())
                }
                Some(_) => {}
                None if item.trim().is_empty() => {}
                None => errors.push(Invalid::new(
                    "capabilities",
                    format!("「{item}」は分類にありません。一覧から選んでください。"),
                )),
            }
        }
        if errors.is_empty() {
            Ok(CompanyDraft {
                corporate_number,
                name,
                kana,
                city,
                address,
                industry,
                employees,
                founded_year,
                representative_age,
                url,
                description,
                products,
                capabilities,
                public: input.public,
                contact_name,
                contact_email,
                contact_phone,
                staff_note,
            })
        } else {
            Err(errors)
        }
    }

    pub fn size(&self) -> Option<SizeBand> {
        self.employees.map(SizeBand::of_employees)
    }
}

/// A whole number typed with full-width digits or thousands separators, in bounds.
pub fn parse_count(
    field: &str,
    label: &str,
    input: &str,
    min: u32,
    max: u32,
) -> Result<Option<u32>, Invalid> {
    let text: String = narrow_ascii(input.trim())
        .chars()
        .filter(|c| !matches!(c, ',' | '、' | '人' | '名' | '年' | '社'))
        .collect();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        Ok(_) => Err(Invalid::new(
            field,
            format!("{label}は{min}から{max}の範囲で入力してください。"),
        )),
        Err(_) => Err(Invalid::new(
            field,
            format!("{label}は数字で入力してください（「{}」）。", input.trim()),
        )),
    }
}

/// An http(s) address or nothing.
pub fn parse_url(field: &str, input: &str) -> Result<String, Invalid> {
    let text = narrow_ascii(input.trim());
    if text.is_empty() {
        return Ok(text);
    }
    let valid = (text.starts_with("https://") || text.starts_with("http://"))
        && text.len() > "https://".len()
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '<' || c == '>');
    if !valid {
        return Err(Invalid::new(
            field,
            "ホームページはhttps://またはhttp://で始まるアドレスで入力してください。",
        ));
    }
    optional_text(field, &text, URL_MAX)
}

/// An e-mail address or nothing (shape only: one @, a dot in the domain).
pub fn parse_email(field: &str, input: &str) -> Result<String, Invalid> {
    let text = narrow_ascii(input.trim());
    if text.is_empty() {
        return Ok(text);
    }
    let valid = text.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.contains('@')
    }) && !text.chars().any(char::is_whitespace);
    if !valid {
        return Err(Invalid::new(
            field,
            format!(
                "メールアドレスの形式ではありません（「{}」）。",
                input.trim()
            ),
        ));
    }
    optional_text(field, &text, 200)
}

/// The kinds of people the engine matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PersonKind {
    Designer,
    Researcher,
    SuccessorCandidate,
    Student,
    Expert,
}

impl PersonKind {
    pub const ALL: [PersonKind; 5] = [
        PersonKind::Designer,
        PersonKind::Researcher,
        PersonKind::SuccessorCandidate,
        PersonKind::Student,
        PersonKind::Expert,
    ];

    pub fn code(self) -> &'static str {
        match self {
            PersonKind::Designer => "designer",
            PersonKind::Researcher => "researcher",
            PersonKind::SuccessorCandidate => "successor",
            PersonKind::Student => "student",
            PersonKind::Expert => "expert",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PersonKind::Designer => "デザイナー",
            PersonKind::Researcher => "大学・病院の研究者",
            PersonKind::SuccessorCandidate => "後継者候補",
            PersonKind::Student => "学生",
            PersonKind::Expert => "専門家",
        }
    }

    pub fn parse(code: &str) -> Option<PersonKind> {
        Self::ALL
            .into_iter()
            .find(|k| k.code() == code.trim() || k.label() == code.trim())
    }
}

/// What a need (or an offer) is about: which matching programme serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PostingKind {
    /// ビジネスマッチング: a company or a buyer looks for a process partner.
    Business,
    /// 企業×デザイナー (墨田区).
    Design,
    /// ニーズ・シーズ: universities and hospitals (大阪大学医学部 × 東大阪市).
    Seeds,
    /// 事業承継・人材バンク (加賀商工会議所).
    Successor,
    /// インターンシップ・就職 (川口市).
    Internship,
}

impl PostingKind {
    pub const ALL: [PostingKind; 5] = [
        PostingKind::Business,
        PostingKind::Design,
        PostingKind::Seeds,
        PostingKind::Successor,
        PostingKind::Internship,
    ];

    pub fn code(self) -> &'static str {
        match self {
            PostingKind::Business => "business",
            PostingKind::Design => "design",
            PostingKind::Seeds => "seeds",
            PostingKind::Successor => "successor",
            PostingKind::Internship => "internship",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PostingKind::Business => "ビジネスマッチング",
            PostingKind::Design => "企業×デザイナー",
            PostingKind::Seeds => "ニーズ・シーズ（大学・病院）",
            PostingKind::Successor => "事業承継・人材バンク",
            PostingKind::Internship => "インターンシップ・就職",
        }
    }

    pub fn parse(code: &str) -> Option<PostingKind> {
        Self::ALL
            .into_iter()
            .find(|k| k.code() == code.trim() || k.label() == code.trim())
    }

    /// The people who answer this kind of need, besides companies.
    pub fn person_kinds(self) -> &'static [PersonKind] {
        match self {
            PostingKind::Business => &[],
            PostingKind::Design => &[PersonKind::Designer],
            PostingKind::Seeds => &[PersonKind::Researcher, PersonKind::Expert],
            PostingKind::Successor => &[PersonKind::SuccessorCandidate],
            PostingKind::Internship => &[PersonKind::Student],
        }
    }
}

/// A need (someone looks for…) or an offer (someone can do…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Need,
    Offer,
}

impl Side {
    pub fn code(self) -> &'static str {
        match self {
            Side::Need => "need",
            Side::Offer => "offer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Side::Need => "ニーズ",
            Side::Offer => "シーズ・提供",
        }
    }

    pub fn parse(code: &str) -> Option<Side> {
        match code.trim() {
            "need" => Some(Side::Need),
            "offer" => Some(Side::Offer),
            _ => None,
        }
    }
}

/// What a need or offer form gives, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostingInput {
    pub side: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    /// Who posts it when it is not a company of the directory (大阪大学医学部).
    pub poster_name: String,
    pub city: String,
    pub capabilities: Vec<String>,
    pub size_preference: String,
    pub prefer_other_cities: bool,
    pub deadline: String,
    pub public: bool,
}

/// A validated need or offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostingDraft {
    pub side: Side,
    pub kind: PostingKind,
    pub title: String,
    pub body: String,
    pub poster_name: String,
    pub city: Option<String>,
    pub capabilities: Vec<String>,
    pub size_preference: Option<SizeBand>,
    pub prefer_other_cities: bool,
    pub deadline: Option<chrono::NaiveDate>,
    pub public: bool,
}

impl PostingDraft {
    pub fn parse(input: &PostingInput, city_keys: &[&str]) -> Result<PostingDraft, Vec<Invalid>> {
        let mut errors = Vec::new();
        let side = Side::parse(&input.side).unwrap_or_else(|| {
            errors.push(Invalid::new("side", "ニーズか提供かを選んでください。"));
            Side::Need
        });
        let kind = PostingKind::parse(&input.kind).unwrap_or_else(|| {
            errors.push(Invalid::new("kind", "種類を一覧から選んでください。"));
            PostingKind::Business
        });
        let mut text = |field: &str, value: &str, max: usize, required: bool| {
            let result = if required {
                required_line(field, value, max)
            } else {
                optional_text(field, value, max)
            };
            result.unwrap_or_else(|e| {
                errors.push(e);
                String::new()
            })
        };
        let title = text("title", &input.title, NAME_MAX, true);
        let body = text("body", &input.body, DESCRIPTION_MAX, true);
        let poster_name = text("poster_name", &input.poster_name, NAME_MAX, false);
        let city = match input.city.trim() {
            "" | "other" => None,
            key if city_keys.contains(&key) => Some(key.to_owned()),
            other => {
                errors.push(Invalid::new(
                    "city",
                    format!("市区「{other}」は協議会の市区ではありません。"),
                ));
                None
            }
        };
        let mut capabilities = Vec::new();
        for item in &input.capabilities {
            match Capability::find(item.trim()).or_else(|| Capability::lookup(item)) {
                Some(c) if !capabilities.iter().any(|k: &String| k == c.code) => {
                    capabilities.push(c.code.to_owned())
                }
                Some(_) => {}
                None if item.trim().is_empty() => {}
                None => errors.push(Invalid::new(
                    "capabilities",
                    format!("「{item}」は分類にありません。"),
                )),
            }
        }
        let size_preference = match input.size_preference.trim() {
            "" => None,
            code => SizeBand::parse(code).or_else(|| {
                errors.push(Invalid::new(
                    "size_preference",
                    "規模は一覧から選んでください。",
                ));
                None
            }),
        };
        let deadline = match narrow_ascii(input.deadline.trim()).as_str() {
            "" => None,
            text => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .or_else(|_| chrono::NaiveDate::parse_from_str(text, "%Y/%m/%d"))
                .map_err(|_| {
                    errors.push(Invalid::new(
                        "deadline",
                        "締切は 2026-12-31 の形で入力してください。",
                    ))
                })
                .ok(),
        };
        if errors.is_empty() {
            Ok(PostingDraft {
                side,
                kind,
                title,
                body,
                poster_name,
                city,
                capabilities,
                size_preference,
                prefer_other_cities: input.prefer_other_cities,
                deadline,
                public: input.public,
            })
        } else {
            Err(errors)
        }
    }
}

/// The stages of a negotiation (商談), in order. A negotiation may skip stages
/// (a quote without a prototype) but never goes back, except to record a decline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    Proposed,
    Accepted,
    Meeting,
    Quote,
    Prototype,
    Order,
    Declined,
}

impl Stage {
    pub const ALL: [Stage; 7] = [
        Stage::Proposed,
        Stage::Accepted,
        Stage::Meeting,
        Stage::Quote,
        Stage::Prototype,
        Stage::Order,
        Stage::Declined,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Stage::Proposed => "proposed",
            Stage::Accepted => "accepted",
            Stage::Meeting => "meeting",
            Stage::Quote => "quote",
            Stage::Prototype => "prototype",
            Stage::Order => "order",
            Stage::Declined => "declined",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Stage::Proposed => "マッチング提案",
            Stage::Accepted => "商談受諾",
            Stage::Meeting => "面談",
            Stage::Quote => "見積",
            Stage::Prototype => "試作",
            Stage::Order => "受注・契約",
            Stage::Declined => "辞退",
        }
    }

    pub fn parse(code: &str) -> Option<Stage> {
        Self::ALL
            .into_iter()
            .find(|s| s.code() == code.trim() || s.label() == code.trim())
    }

    /// Whether a negotiation at `self` may move to `next`.
    pub fn may_move_to(self, next: Stage) -> Result<(), Invalid> {
        let allowed = match (self, next) {
            (Stage::Declined | Stage::Order, _) => false,
            (_, Stage::Declined) => true,
            (Stage::Proposed, Stage::Proposed) => false,
            (current, next) => next > current,
        };
        if allowed {
            Ok(())
        } else {
            Err(Invalid::new(
                "stage",
                format!(
                    "「{}」の商談を「{}」にはできません（段階は戻せません）。",
                    self.label(),
                    next.label()
                ),
            ))
        }
    }

    /// Whether this stage counts as a negotiation (商談) in the council's figures:
    /// the other side accepted and talks began.
    pub fn is_negotiation(self) -> bool {
        matches!(
            self,
            Stage::Accepted | Stage::Meeting | Stage::Quote | Stage::Prototype | Stage::Order
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CITIES: &[&str] = &["kawaguchi", "ota", "higashiosaka"];

    fn input() -> CompanyInput {
        CompanyInput {
            corporate_number: "".into(),
            name: "株式会社大田精密".into(),
            kana: "ｵｵﾀｾｲﾐﾂ".into(),
            city: "ota".into(),
            industry: "E24".into(),
            employees: "１２人".into(),
            founded_year: "1962".into(),
            representative_age: "67".into(),
            url: "https://example.jp".into(),
            capabilities: vec!["cutting".into(), "アルミ".into(), "ISO9001".into()],
            public: true,
            ..CompanyInput::default()
        }
    }

    #[test]
    fn a_typed_company_becomes_a_draft_with_codes() {
        let draft = CompanyDraft::parse(&input(), CITIES, 2026).unwrap();
        assert_eq!(draft.kana, "オオタセイミツ");
        assert_eq!(draft.industry.as_deref(), Some("24"));
        assert_eq!(draft.employees, Some(12));
        assert_eq!(draft.size(), Some(SizeBand::Micro));
        assert_eq!(draft.representative_age, Some(AgeBand::Sixties));
        assert_eq!(draft.capabilities, ["cutting", "aluminium", "iso9001"]);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let bad = CompanyInput {
            name: " ".into(),
            kana: "Ota".into(),
            city: "osaka".into(),
            corporate_number: "1234567890123".into(),
            founded_year: "2100".into(),
            url: "javascript:alert(1)".into(),
            capabilities: vec!["魔法".into()],
            ..input()
        };
        let errors = CompanyDraft::parse(&bad, CITIES, 2026).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for field in [
            "name",
            "kana",
            "city",
            "corporate_number",
            "founded_year",
            "url",
            "capabilities",
        ] {
            assert!(fields.contains(&field), "{field} missing in {fields:?}");
        }
    }

    #[test]
    fn hiragana_and_half_width_kana_become_katakana() {
        assert_eq!(
            parse_kana("kana", "かわぐちいもの").unwrap(),
            "カワグチイモノ"
        );
        assert_eq!(parse_kana("kana", "ｶﾞｯｺｳ ﾎﾟﾝﾌﾟ").unwrap(), "ガッコウ ポンプ");
    }

    #[test]
    fn capability_lists_from_spreadsheets_map_to_the_taxonomy() {
        let (codes, unknown) = parse_capabilities("旋盤、ＴＩＧ／メッキ・謎加工");
        assert_eq!(codes, ["cutting", "welding", "plating"]);
        assert_eq!(unknown, ["謎加工"]);
    }

    #[test]
    fn jsic_accepts_codes_with_or_without_division_letter() {
        assert_eq!(parse_jsic("E24").unwrap(), Some("24"));
        assert_eq!(parse_jsic("９").unwrap(), Some("09"));
        assert_eq!(parse_jsic("金属製品製造業").unwrap(), Some("24"));
        assert!(parse_jsic("99").is_err());
    }

    #[test]
    fn negotiation_stages_only_move_forward() {
        assert!(Stage::Proposed.may_move_to(Stage::Accepted).is_ok());
        assert!(Stage::Accepted.may_move_to(Stage::Prototype).is_ok());
        assert!(Stage::Quote.may_move_to(Stage::Meeting).is_err());
        assert!(Stage::Meeting.may_move_to(Stage::Declined).is_ok());
        assert!(Stage::Declined.may_move_to(Stage::Accepted).is_err());
        assert!(Stage::Order.may_move_to(Stage::Declined).is_err());
    }

    #[test]
    fn a_posting_needs_a_title_and_a_body() {
        let errors = PostingDraft::parse(
            &PostingInput {
                side: "need".into(),
                kind: "seeds".into(),
                deadline: "明日".into(),
                ..PostingInput::default()
            },
            CITIES,
        )
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "body", "deadline"]);
    }

    #[test]
    fn taxonomy_codes_are_unique() {
        let mut codes: Vec<&str> = TAXONOMY.iter().map(|c| c.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), TAXONOMY.len());
    }
}

/// The kinds of facility the register keeps: (code, Japanese name).
pub const FACILITY_KINDS: [(&str, &str); 4] = [
    ("share_office", "シェアオフィス"),
    ("lab", "試作・開発拠点"),
    ("incubator", "創業支援施設"),
    ("base", "拠点"),
];

/// No facility of the cities seats more.
pub const FACILITY_CAPACITY_MAX: u32 = 100_000;

/// A facility's details as its organisation's staff type them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FacilityInput {
    pub name: String,
    pub kind: String,
    pub address: String,
    pub description: String,
    pub capacity: String,
    pub public: bool,
}

/// Validated facility details (its city and keeping organisation do not change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacilityDraft {
    pub name: String,
    pub kind: String,
    pub address: String,
    pub description: String,
    pub capacity: Option<u32>,
    pub public: bool,
}

impl FacilityDraft {
    pub fn parse(input: &FacilityInput) -> Result<FacilityDraft, Vec<Invalid>> {
        let mut errors = Vec::new();
        let name = required_line("name", &input.name, NAME_MAX)
            .map_err(|e| errors.push(e))
            .ok();
        let kind = FACILITY_KINDS
            .iter()
            .find(|(code, label)| *code == input.kind.trim() || *label == input.kind.trim())
            .map(|(code, _)| (*code).to_owned());
        if kind.is_none() {
            errors.push(Invalid::new("kind", "施設の種類を一覧から選んでください。"));
        }
        let address = optional_text("address", &input.address, ADDRESS_MAX)
            .map_err(|e| errors.push(e))
            .ok();
        let description = optional_text("description", &input.description, DESCRIPTION_MAX)
            .map_err(|e| errors.push(e))
            .ok();
        let narrowed = narrow_ascii(&input.capacity);
        let compact = narrowed.trim().replace([',', '名'], "");
        let capacity = if compact.is_empty() {
            Some(None)
        } else {
            match compact.parse::<u32>() {
                Ok(n) if (1..=FACILITY_CAPACITY_MAX).contains(&n) => Some(Some(n)),
                _ => {
                    errors.push(Invalid::new(
                        "capacity",
                        format!(
                            "定員は1〜{FACILITY_CAPACITY_MAX}の整数で入力してください（定めがなければ空欄。「{}」）。",
                            input.capacity.trim()
                        ),
                    ));
                    None
                }
            }
        };
        match (name, kind, address, description, capacity) {
            (Some(name), Some(kind), Some(address), Some(description), Some(capacity))
                if errors.is_empty() =>
            {
                Ok(FacilityDraft {
                    name,
                    kind,
                    address,
                    description,
                    capacity,
                    public: input.public,
                })
            }
            _ => Err(errors),
        }
    }
}

/// A share office's details as its organisation's staff type them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfficeInput {
    pub name: String,
    pub address: String,
    pub description: String,
}

/// Validated share-office details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeDraft {
    pub name: String,
    pub address: String,
    pub description: String,
}

impl OfficeDraft {
    pub fn parse(input: &OfficeInput) -> Result<OfficeDraft, Vec<Invalid>> {
        let mut errors = Vec::new();
        let name = required_line("name", &input.name, NAME_MAX)
            .map_err(|e| errors.push(e))
            .ok();
        let address = optional_text("address", &input.address, ADDRESS_MAX)
            .map_err(|e| errors.push(e))
            .ok();
        let description = optional_text("description", &input.description, DESCRIPTION_MAX)
            .map_err(|e| errors.push(e))
            .ok();
        match (name, address, description) {
            (Some(name), Some(address), Some(description)) if errors.is_empty() => {
                Ok(OfficeDraft {
                    name,
                    address,
                    description,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod facility_tests {
    use super::*;

    #[test]
    fn a_facility_needs_a_name_and_a_kind_of_the_list_and_a_sensible_capacity() {
        let ok = FacilityDraft::parse(&FacilityInput {
            name: "尼崎創業支援オフィスアビーズ".into(),
            kind: "シェアオフィス".into(),
            capacity: "４０名".into(),
            public: true,
            ..Default::default()
        })
        .unwrap();
        assert_eq!((ok.kind.as_str(), ok.capacity), ("share_office", Some(40)));
        let errors = FacilityDraft::parse(&FacilityInput {
            kind: "castle".into(),
            capacity: "0".into(),
            ..Default::default()
        })
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "kind", "capacity"]);
    }

    #[test]
    fn an_office_needs_a_name() {
        assert!(OfficeDraft::parse(&OfficeInput::default()).is_err());
    }
}
