//! A benchmark of the index on synthetic company directories, for `renkei bench
//! search` and for tests: deterministic Japanese company texts from a seed, an
//! index build, and query latencies.

use std::fmt;
use std::time::{Duration, Instant};

use crate::{DocKind, FacetField, Index, SearchDoc, SearchError, SearchRequest};

/// A small xorshift64* generator: deterministic for a seed, good enough to vary
/// synthetic texts, and no dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value, 0 included).
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15 | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    /// One element of a non-empty slice.
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const FAMILIES: &[(&str, &str)] = &[
    ("山田", "ヤマダ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("渡辺", "ワタナベ"),
    ("伊藤", "イトウ"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("川口", "カワグチ"),
    ("墨田", "スミダ"),
    ("大田", "オオタ"),
    ("岡谷", "オカヤ"),
    ("加賀", "カガ"),
    ("東洋", "トウヨウ"),
    ("日本", "ニホン"),
    ("大和", "ヤマト"),
    ("昭和", "ショウワ"),
    ("三協", "サンキョウ"),
    ("第一", "ダイイチ"),
    ("新栄", "シンエイ"),
];

const CORES: &[(&str, &str)] = &[
    ("精密", "セイミツ"),
    ("金属", "キンゾク"),
    ("鋳造", "チュウゾウ"),
    ("化成", "カセイ"),
    ("電機", "デンキ"),
    ("技研", "ギケン"),
    ("プレス", "プレス"),
    ("テクノ", "テクノ"),
    ("機械", "キカイ"),
    ("鍛造", "タンゾウ"),
    ("メッキ", "メッキ"),
    ("樹脂", "ジュシ"),
    ("センバン", "センバン"),
];

const SUFFIXES: &[(&str, &str)] = &[
    ("工業", "コウギョウ"),
    ("製作所", "セイサクショ"),
    ("工業所", "コウギョウショ"),
    ("", ""),
];

const FORMS: &[&str] = &["株式会社", "有限会社", "合同会社"];

pub const PROCESSES: &[(&str, &str)] = &[
    ("cutting", "切削加工"),
    ("turning", "旋盤加工"),
    ("milling", "フライス加工"),
    ("pressing", "プレス加工"),
    ("welding", "溶接"),
    ("sheet_metal", "板金加工"),
    ("casting", "鋳造"),
    ("forging", "鍛造"),
    ("grinding", "研削加工"),
    ("plating", "めっき"),
    ("painting", "塗装"),
    ("injection_molding", "射出成形"),
    ("die_making", "金型製作"),
    ("assembly", "組立"),
    ("inspection", "検査"),
    ("heat_treatment", "熱処理"),
];

pub const MATERIALS: &[(&str, &str)] = &[
    ("aluminium", "アルミニウム"),
    ("stainless", "ステンレス"),
    ("steel", "鉄鋼"),
    ("copper", "銅"),
    ("titanium", "チタン"),
    ("resin", "樹脂"),
    ("magnesium", "マグネシウム"),
    ("brass", "真鍮"),
];

pub const PRODUCTS: &[&str] = &[
    "自動車部品",
    "医療機器",
    "半導体製造装置",
    "航空機部品",
    "産業機械",
    "精密部品",
    "試作品",
    "建築金物",
    "食品機械",
    "ロボット部品",
];

pub const CERTIFICATIONS: &[(&str, &str)] = &[
    ("iso9001", "ISO9001"),
    ("iso14001", "ISO14001"),
    ("jisq9100", "JIS Q 9100"),
    ("iatf16949", "IATF16949"),
];

pub const CITIES: &[(&str, &str)] = &[
    ("kawaguchi", "川口市"),
    ("sumida", "墨田区"),
    ("ota", "大田区"),
    ("okaya", "岡谷市"),
    ("kaga", "加賀市"),
    ("higashiosaka", "東大阪市"),
    ("amagasaki", "尼崎市"),
];

const INDUSTRIES: &[&str] = &[
    "E18", "E22", "E23", "E24", "E25", "E26", "E27", "E28", "E29", "E31",
];

const PHRASES: &[&str] = &[
    "小ロット多品種に対応します",
    "短納期の試作にも対応します",
    "一貫生産体制を整えています",
    "事業承継の相談を受け付けています",
    "若手技術者を募集しています",
    "設計から量産まで承ります",
    "海外取引の実績があります",
    "産学連携に取り組んでいます",
    "IoTを活用した生産管理を行っています",
    "品質管理を徹底しています",
];

/// `count` synthetic companies with ids `1..=count`, the same for the same seed:
/// a name with its reading, a description of about 100–150 characters, a city,
/// processes, materials, certifications, size and industry; one in ten is private.
pub fn companies(count: usize, seed: u64) -> Vec<SearchDoc> {
    company_stream(count, seed).collect()
}

/// The same companies as [`companies`], made one at a time: a directory of millions
/// is indexed without holding it in memory.
pub fn company_stream(count: usize, seed: u64) -> impl Iterator<Item = SearchDoc> {
    let mut rng = Rng::new(seed);
    (1..=count).map(move |id| company(&mut rng, id as i64))
}

fn company(rng: &mut Rng, id: i64) -> SearchDoc {
    let (family, family_kana) = *rng.pick(FAMILIES);
    let (core, core_kana) = *rng.pick(CORES);
    let (suffix, suffix_kana) = *rng.pick(SUFFIXES);
    let form = *rng.pick(FORMS);
    let name = format!("{family}{core}{suffix}");
    let title = if rng.chance(60) {
        format!("{form}{name}")
    } else {
        format!("{name}{form}")
    };
    let kana = format!("{family_kana}{core_kana}{suffix_kana}");

    let (city_key, city_name) = *rng.pick(CITIES);
    let mut facets = vec![];
    let mut process_names = vec![];
    for _ in 0..1 + rng.below(3) {
        let (key, name) = *rng.pick(PROCESSES);
        if !process_names.contains(&name) {
            process_names.push(name);
            facets.push((FacetField::Process, key.to_owned()));
        }
    }
    let (material_key, material) = *rng.pick(MATERIALS);
    facets.push((FacetField::Material, material_key.to_owned()));
    let product = *rng.pick(PRODUCTS);
    let mut body = format!(
        "{city_name}で{}を得意とし、{material}の{product}を製造しています。",
        process_names.join("と")
    );
    if rng.chance(40) {
        let (key, name) = *rng.pick(CERTIFICATIONS);
        facets.push((FacetField::Certification, key.to_owned()));
        body.push_str(&format!("{name}認証取得。"));
    }
    for _ in 0..1 + rng.below(3) {
        body.push_str(rng.pick::<&str>(PHRASES));
        body.push('。');
    }
    let size = match rng.below(100) {
        0..70 => "small",
        70..95 => "medium",
        _ => "large",
    };
    facets.push((FacetField::Size, size.to_owned()));
    facets.push((FacetField::Industry, (*rng.pick(INDUSTRIES)).to_owned()));
    SearchDoc {
        kind: DocKind::Company,
        id,
        title,
        kana,
        body,
        city: Some(city_key.to_owned()),
        facets,
        public: !rng.chance(10),
    }
}

/// Query texts of the kinds people type: processes, materials (also in katakana
/// short forms and with a typo), a name with a process, one kanji, certifications in
/// several spellings, readings in half-width kana.
pub const QUERIES: &[&str] = &[
    "切削",
    "切削 川口",
    "旋盤加工",
    "アルミ",
    "ステンレス 溶接",
    "溶",
    "ISO9001",
    "ｉｓｏ　９００１",
    "ｾﾝﾊﾞﾝ",
    "アルミニュウム",
    "事業承継",
    "医療機器 試作",
    "めっき",
    "ヤマダ",
    "大田 精密",
    "金型製作 短納期",
    "ロボット部品",
    "チタン 航空機",
];

/// `count` search requests drawn from a fixed list of typical queries, a third of
/// them with a city or process filter, a few without text; the same for the same
/// seed.
pub fn requests(count: usize, seed: u64) -> Vec<SearchRequest> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|_| {
            let mut request = SearchRequest::new(*rng.pick(QUERIES));
            match rng.below(12) {
                0..=1 => request
                    .filters
                    .push((FacetField::City, rng.pick(CITIES).0.to_owned())),
                2..=3 => request
                    .filters
                    .push((FacetField::Process, rng.pick(PROCESSES).0.to_owned())),
                4 => request.text.clear(),
                _ => {}
            }
            request
        })
        .collect()
}

/// Whether `doc` is public and holds every word of `text` as a substring of its
/// folded title, reading or body: the exact answer a search for `text` should give,
/// computed by brute force, for measuring recall.
pub fn contains_every_word(doc: &SearchDoc, words: &[String]) -> bool {
    if !doc.public {
        return false;
    }
    let folded = crate::fold(&format!("{} {} {}", doc.title, doc.kana, doc.body));
    words.iter().all(|word| folded.contains(word.as_str()))
}

/// The folded words of a typed query (split on spaces after NFKC), as
/// [`contains_every_word`] takes them.
pub fn folded_words(text: &str) -> Vec<String> {
    crate::fold(text)
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// Runs `requests` one at a time against `index`; the latency of each in
/// milliseconds (sorted) and the mean number of matching documents.
pub fn time_requests(
    index: &Index,
    requests: &[SearchRequest],
) -> Result<(Vec<f64>, f64), SearchError> {
    let mut latencies = Vec::with_capacity(requests.len());
    let mut totals = 0usize;
    for request in requests {
        let started = Instant::now();
        let results = index.search(request)?;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        totals += results.total;
    }
    latencies.sort_by(f64::total_cmp);
    Ok((latencies, totals as f64 / requests.len().max(1) as f64))
}

/// What [`run`] measured.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    /// Documents indexed.
    pub docs: usize,
    /// Queries run.
    pub queries: usize,
    /// Time to build the index (add every document and commit).
    pub build: Duration,
    /// Documents indexed per second.
    pub docs_per_sec: f64,
    /// Median query latency in milliseconds (search with facets and highlights).
    pub p50_ms: f64,
    /// 99th-percentile query latency in milliseconds.
    pub p99_ms: f64,
    /// Mean number of matching documents per query.
    pub mean_total: f64,
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "search: {} docs indexed in {:.2} s ({:.0} docs/s); {} queries: p50 {:.2} ms, \
             p99 {:.2} ms, {:.0} matches on average",
            self.docs,
            self.build.as_secs_f64(),
            self.docs_per_sec,
            self.queries,
            self.p50_ms,
            self.p99_ms,
            self.mean_total,
        )
    }
}

/// Builds an in-memory index of `docs` synthetic companies and runs `queries`
/// requests against it, one at a time, 20 hits each with facets and highlights.
pub fn run(docs: usize, queries: usize) -> Result<BenchReport, SearchError> {
    let companies = companies(docs, 2016);
    let requests = requests(queries, 2017);
    let mut index = Index::in_memory()?;
    let started = Instant::now();
    index.rebuild(companies)?;
    let build = started.elapsed();

    let (latencies, mean_total) = time_requests(&index, &requests)?;
    Ok(BenchReport {
        docs,
        queries,
        build,
        docs_per_sec: docs as f64 / build.as_secs_f64().max(f64::EPSILON),
        p50_ms: percentile(&latencies, 50),
        p99_ms: percentile(&latencies, 99),
        mean_total,
    })
}

/// The `p`th percentile of sorted values (nearest rank); 0 for none.
pub fn percentile(sorted: &[f64], p: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_companies() {
        assert_eq!(companies(50, 7), companies(50, 7));
        assert_ne!(companies(50, 7), companies(50, 8));
        let company = &companies(1, 7)[0];
        assert!(company.body.chars().count() > 40, "{company:?}");
        assert!(
            company
                .kana
                .chars()
                .all(|c| ('ァ'..='ヶ').contains(&c) || c == 'ー')
        );
    }

    #[test]
    fn brute_force_matching_folds_width_and_kana() {
        let doc = SearchDoc {
            kind: DocKind::Company,
            id: 1,
            title: "株式会社ヤマダ精密".into(),
            kana: "ヤマダセイミツ".into(),
            body: "ＩＳＯ９００１認証取得。切削加工".into(),
            city: None,
            facets: vec![],
            public: true,
        };
        assert!(contains_every_word(&doc, &folded_words("iso9001 やまだ")));
        assert!(contains_every_word(&doc, &folded_words("切削")));
        assert!(!contains_every_word(&doc, &folded_words("切削 溶接")));
        let private = SearchDoc {
            public: false,
            ..doc
        };
        assert!(!contains_every_word(&private, &folded_words("切削")));
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 50), 50.0);
        assert_eq!(percentile(&values, 99), 99.0);
        assert_eq!(percentile(&[3.0], 99), 3.0);
        assert_eq!(percentile(&[], 50), 0.0);
    }

    #[test]
    fn a_small_run_reports_every_number() -> Result<(), SearchError> {
        let report = run(300, 20)?;
        assert_eq!((report.docs, report.queries), (300, 20));
        assert!(report.p50_ms <= report.p99_ms);
        assert!(report.mean_total > 0.0);
        Ok(())
    }
}
