//! What the ranking engine reads and what it returns: plain data, so that the store
//! can fill it from any table and the web and CLI can show it without knowing how
//! the score was made.

/// Which matching programme a need belongs to. The kind chooses the default
/// [`Weights`](super::Weights) and [`CityPolicy`]; codes match the directory's
/// posting kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NeedKind {
    /// ビジネスマッチング: a company or a large buyer looks for a process partner.
    #[default]
    Business,
    /// 企業×デザイナー (墨田区): a company looks for a designer, or the reverse.
    Design,
    /// ニーズ・シーズ: a university or hospital need meets a company's technology.
    Seeds,
    /// 事業承継・人材バンク (加賀商工会議所): a business meets a successor.
    Successor,
    /// インターンシップ・就職 (川口市): a student meets a company.
    Internship,
}

impl NeedKind {
    /// Every kind, in the order pages list them.
    pub const ALL: [NeedKind; 5] = [
        NeedKind::Business,
        NeedKind::Design,
        NeedKind::Seeds,
        NeedKind::Successor,
        NeedKind::Internship,
    ];

    /// The stable code (the same as the directory's posting kind).
    pub fn code(self) -> &'static str {
        match self {
            NeedKind::Business => "business",
            NeedKind::Design => "design",
            NeedKind::Seeds => "seeds",
            NeedKind::Successor => "successor",
            NeedKind::Internship => "internship",
        }
    }

    /// The Japanese name of the programme.
    pub fn label(self) -> &'static str {
        match self {
            NeedKind::Business => "ビジネスマッチング",
            NeedKind::Design => "企業×デザイナー",
            NeedKind::Seeds => "ニーズ・シーズ（大学・病院）",
            NeedKind::Successor => "事業承継・人材バンク",
            NeedKind::Internship => "インターンシップ・就職",
        }
    }

    /// The kind with this code, if any.
    pub fn parse(code: &str) -> Option<NeedKind> {
        Self::ALL.into_iter().find(|k| k.code() == code.trim())
    }
}

/// Company size by employees, as the 中小企業基本法 draws it for manufacturing
/// (the same bands and codes as the directory's).
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
    /// Every band, smallest first.
    pub const ALL: [SizeBand; 3] = [SizeBand::Micro, SizeBand::Small, SizeBand::Large];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            SizeBand::Micro => "micro",
            SizeBand::Small => "small",
            SizeBand::Large => "large",
        }
    }

    /// The Japanese name with its limits.
    pub fn label(self) -> &'static str {
        match self {
            SizeBand::Micro => "小規模（20人以下）",
            SizeBand::Small => "中小（21〜300人）",
            SizeBand::Large => "大企業（301人以上）",
        }
    }

    /// The band with this code, if any.
    pub fn parse(code: &str) -> Option<SizeBand> {
        Self::ALL.into_iter().find(|s| s.code() == code.trim())
    }

    /// How many bands apart two sizes are: 0 the same, 1 neighbours, 2 micro and large.
    pub(crate) fn distance(self, other: SizeBand) -> usize {
        (self as usize).abs_diff(other as usize)
    }
}

/// What someone is looking for. Lists hold taxonomy codes (`"cutting"`,
/// `"titanium"`, `"iso13485"`); they are compared exactly, so the caller normalises
/// them (the directory's taxonomy does). An empty list means "no wish", and that
/// part of the score is left out rather than given to everyone.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Need {
    /// The programme, which chooses the default weights.
    pub kind: NeedKind,
    /// The city key of whoever has the need (`"higashiosaka"`), for the city policy.
    pub city: Option<String>,
    /// Processes the partner should do; scored by the share covered.
    pub processes: Vec<String>,
    /// Materials the partner should handle; scored by the share covered.
    pub materials: Vec<String>,
    /// Equipment the partner should have; scored by the share covered.
    pub equipment: Vec<String>,
    /// Certifications the partner must hold; each one missing costs a penalty or,
    /// if the settings say so, excludes the candidate.
    pub certifications_required: Vec<String>,
    /// The size of partner wished for.
    pub size_preference: Option<SizeBand>,
    /// The words the candidates' [`Candidate::text_score`] was computed for; shown in
    /// the reason. With no terms the text part is left out.
    pub text_terms: Vec<String>,
    /// The candidate who posted the need (a company finds itself in the index too):
    /// it is listed as excluded, never ranked.
    pub owner_id: Option<i64>,
}

/// A company, offer or person that might answer the need.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Candidate {
    /// The caller's id (company, person or posting id); ties are broken by it.
    pub id: i64,
    /// The name, for the caller's convenience; not used in the score.
    pub name: String,
    /// The city key.
    pub city: Option<String>,
    /// Processes it does (taxonomy codes).
    pub processes: Vec<String>,
    /// Materials it handles.
    pub materials: Vec<String>,
    /// Equipment it has.
    pub equipment: Vec<String>,
    /// Certifications it holds.
    pub certifications: Vec<String>,
    /// Its size, if known.
    pub size: Option<SizeBand>,
    /// Relevance of its text to [`Need::text_terms`] from the full-text index, on any
    /// non-negative scale: it is divided by the best in the candidate set. Negative,
    /// NaN and infinite values count as 0.
    pub text_score: f32,
}

/// Whether the city of a candidate should raise its score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CityPolicy {
    /// Candidates in another city get the city points: the council exists to link
    /// its cities, so this is the default for every kind but internships.
    PreferOtherCities,
    /// Candidates in the need's own city get the city points (internships: a
    /// student has to get there).
    PreferSameCity,
    /// The city does not count.
    Neutral,
}

/// What happens to a candidate that lacks a required certification.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MissingCertification {
    /// Each missing certification takes this many points (of 100) off the score,
    /// never below 0, with a reason; the candidate stays in the ranking.
    Penalty(f64),
    /// The candidate is listed after all others as excluded, with the reason.
    Exclude,
}

/// The penalty per missing required certification by default: a third of the
/// scale, so a candidate without one falls below any fair candidate that has it.
pub const DEFAULT_MISSING_CERTIFICATION_PENALTY: f64 = 30.0;

/// How many ranked candidates [`Settings::default`] returns: one page.
pub const DEFAULT_LIMIT: usize = 50;

/// How to rank. `None` fields take the need kind's default, so
/// `Settings::default()` is right for every kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Relative weights of the parts; `None`: [`Weights::for_kind`](super::Weights::for_kind).
    pub weights: Option<super::Weights>,
    /// The city policy; `None`: [`CityPolicy::for_kind`].
    pub city_policy: Option<CityPolicy>,
    /// What a missing required certification costs.
    pub missing_certification: MissingCertification,
    /// At most this many results (ranked ones first, then excluded ones); `None`: all.
    pub limit: Option<usize>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            weights: None,
            city_policy: None,
            missing_certification: MissingCertification::Penalty(
                DEFAULT_MISSING_CERTIFICATION_PENALTY,
            ),
            limit: Some(DEFAULT_LIMIT),
        }
    }
}

impl CityPolicy {
    /// The council's default for a kind: other cities first, except for
    /// internships, where a student has to be able to commute.
    pub fn for_kind(kind: NeedKind) -> CityPolicy {
        match kind {
            NeedKind::Internship => CityPolicy::PreferSameCity,
            _ => CityPolicy::PreferOtherCities,
        }
    }
}

/// Which part of the score a [`Component`] explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComponentKind {
    /// Full-text relevance, relative to the best candidate.
    Text,
    /// Share of the needed processes the candidate does.
    Processes,
    /// Share of the needed materials the candidate handles.
    Materials,
    /// Share of the needed equipment the candidate has.
    Equipment,
    /// One required certification (held: points; missing: a penalty).
    Certification,
    /// Closeness to the wished size.
    Size,
    /// The city, under the city policy.
    City,
}

impl ComponentKind {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            ComponentKind::Text => "text",
            ComponentKind::Processes => "processes",
            ComponentKind::Materials => "materials",
            ComponentKind::Equipment => "equipment",
            ComponentKind::Certification => "certification",
            ComponentKind::Size => "size",
            ComponentKind::City => "city",
        }
    }

    /// The Japanese name, for table headers.
    pub fn label(self) -> &'static str {
        match self {
            ComponentKind::Text => "説明の関連度",
            ComponentKind::Processes => "工程",
            ComponentKind::Materials => "材料",
            ComponentKind::Equipment => "設備",
            ComponentKind::Certification => "認証",
            ComponentKind::Size => "規模",
            ComponentKind::City => "所在地",
        }
    }
}

/// One reason in a ranking: what the candidate earned (or lost) for one part.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    /// Which part.
    pub kind: ComponentKind,
    /// Points earned; negative for a missing required certification's penalty.
    pub points: f64,
    /// The most this part could earn; the `max_points` of a ranking add up to 100
    /// (or 0 when the need asks for nothing).
    pub max_points: f64,
    /// Why, in Japanese (「工程が一致: 切削・溶接（2/3）」).
    pub reason: String,
}

/// One candidate's place in the ranking and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// The candidate's id.
    pub candidate_id: i64,
    /// From 0 to 100; the sum of the components' points.
    pub score: f64,
    /// The reasons, in a fixed order: text, processes, materials, equipment,
    /// certifications held, size, city, then the certifications missing.
    pub components: Vec<Component>,
    /// Why the candidate is left out of the ranking, if it is; excluded candidates
    /// come after all others.
    pub excluded: Option<String>,
}
