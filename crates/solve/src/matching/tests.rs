//! Examples from the council's programmes, and properties checked on generated
//! needs and candidates.

use expect_test::{Expect, expect};
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::*;

fn codes(list: &[&str]) -> Vec<String> {
    list.iter().map(|c| (*c).to_owned()).collect()
}

/// The Japanese names the directory's taxonomy gives the codes used here.
fn label(code: &str) -> String {
    match code {
        "cutting" => "切削",
        "welding" => "溶接",
        "grinding" => "研削・研磨",
        "press" => "プレス",
        "glass" => "ガラス加工",
        "titanium" => "チタン",
        "stainless" => "ステンレス",
        "steel" => "鉄鋼",
        "five_axis" => "5軸加工機",
        "iso9001" => "ISO 9001",
        "iso13485" => "ISO 13485",
        "iso14001" => "ISO 14001",
        "kawaguchi" => "川口市",
        "sumida" => "墨田区",
        "ota" => "大田区",
        "kaga" => "加賀市",
        "higashiosaka" => "東大阪市",
        other => other,
    }
    .to_owned()
}

fn company(id: i64, name: &str, city: &str) -> Candidate {
    Candidate {
        id,
        name: name.to_owned(),
        city: Some(city.to_owned()),
        ..Candidate::default()
    }
}

fn render(ranking: &[Ranked]) -> String {
    let mut out = String::new();
    for r in ranking {
        let excluded = r
            .excluded
            .as_ref()
            .map_or(String::new(), |why| format!(" 対象外: {why}"));
        out += &format!("#{} {:.1}{excluded}\n", r.candidate_id, r.score);
        for c in &r.components {
            out += &format!(
                "  {:<13} {:+6.1}/{:4.1} {}\n",
                c.kind.code(),
                c.points,
                c.max_points,
                c.reason
            );
        }
    }
    out
}

fn check(need: &Need, candidates: &[Candidate], settings: &Settings, expect: Expect) {
    let ranking = rank_with_labels(need, candidates, settings, &label);
    assert_explained(&ranking);
    expect.assert_eq(&render(&ranking));
}

/// The components of every result add up to its score.
fn assert_explained(ranking: &[Ranked]) {
    for r in ranking {
        let sum: f64 = r.components.iter().map(|c| c.points).sum();
        assert!(
            (sum - r.score).abs() < 1e-9,
            "#{}: components {sum} ≠ score {}",
            r.candidate_id,
            r.score
        );
    }
}

#[test]
fn a_medical_part_for_osaka_university_goes_first_to_the_cutter_with_titanium_and_iso_13485() {
    // 大阪大学医学部 (in 吹田市, not a council city) needs a precision-machined titanium
    // part for a medical device; ISO 13485 is a must.
    let need = Need {
        kind: NeedKind::Seeds,
        processes: codes(&["cutting"]),
        materials: codes(&["titanium"]),
        certifications_required: codes(&["iso13485"]),
        text_terms: codes(&["医療機器", "精密加工"]),
        ..Need::default()
    };
    let candidates = [
        Candidate {
            processes: codes(&["cutting", "grinding"]),
            materials: codes(&["titanium", "stainless"]),
            certifications: codes(&["iso9001"]),
            text_score: 6.0,
            ..company(11, "東大阪精密工業（13485なし）", "higashiosaka")
        },
        Candidate {
            processes: codes(&["press"]),
            materials: codes(&["steel"]),
            text_score: 0.0,
            ..company(12, "東大阪プレス", "higashiosaka")
        },
        Candidate {
            processes: codes(&["cutting"]),
            materials: codes(&["titanium"]),
            certifications: codes(&["iso9001", "iso13485"]),
            text_score: 4.5,
            ..company(13, "東大阪メディカル切削", "higashiosaka")
        },
    ];
    check(
        &need,
        &candidates,
        &Settings::default(),
        expect![[r#"
            #13 92.6
              text           +22.1/29.4 説明の関連度 75%（キーワード: 医療機器・精密加工）
              processes      +29.4/29.4 工程が一致: 切削（1/1）
              materials      +23.5/23.5 材料が一致: チタン（1/1）
              certification  +17.6/17.6 必須の認証 ISO 13485 を保有
            #11 52.4
              text           +29.4/29.4 説明の関連度 100%（キーワード: 医療機器・精密加工）
              processes      +29.4/29.4 工程が一致: 切削（1/1）
              materials      +23.5/23.5 材料が一致: チタン（1/1）
              certification  -30.0/17.6 必須の認証 ISO 13485 がない（−30点）
            #12 0.0
              text            +0.0/29.4 キーワード（医療機器・精密加工）に一致する説明がない
              processes       +0.0/29.4 必要な工程がない: 切削（0/1）
              materials       +0.0/23.5 必要な材料がない: チタン（0/1）
              certification   +0.0/17.6 必須の認証 ISO 13485 がない（−30点、0点が下限）
        "#]],
    );
}

#[test]
fn with_certifications_as_a_hard_filter_the_cutter_without_iso_13485_is_listed_as_excluded() {
    let need = Need {
        kind: NeedKind::Seeds,
        processes: codes(&["cutting"]),
        certifications_required: codes(&["iso13485", "iso9001"]),
        ..Need::default()
    };
    let candidates = [
        Candidate {
            processes: codes(&["cutting"]),
            certifications: codes(&["iso9001"]),
            ..company(1, "A", "higashiosaka")
        },
        Candidate {
            processes: codes(&["press"]),
            certifications: codes(&["iso9001", "iso13485"]),
            ..company(2, "B", "higashiosaka")
        },
    ];
    let settings = Settings {
        missing_certification: MissingCertification::Exclude,
        ..Settings::default()
    };
    check(
        &need,
        &candidates,
        &settings,
        expect![[r#"
            #2 37.5
              processes       +0.0/62.5 必要な工程がない: 切削（0/1）
              certification  +18.8/18.8 必須の認証 ISO 13485 を保有
              certification  +18.8/18.8 必須の認証 ISO 9001 を保有
            #1 81.2 対象外: 必須の認証 ISO 13485 がない
              processes      +62.5/62.5 工程が一致: 切削（1/1）
              certification  +18.8/18.8 必須の認証 ISO 9001 を保有
              certification   +0.0/18.8 必須の認証 ISO 13485 がない（対象外）
        "#]],
    );
}

#[test]
fn a_successor_seeker_is_matched_by_size_and_city_before_trade() {
    // An entrepreneur in 大田区 wants to take over a small workshop; 加賀商工会議所's
    // bank links businesses with entrepreneurs from other regions.
    let need = Need {
        kind: NeedKind::Successor,
        city: Some("ota".to_owned()),
        processes: codes(&["cutting"]),
        size_preference: Some(SizeBand::Micro),
        ..Need::default()
    };
    let candidates = [
        Candidate {
            processes: codes(&["cutting"]),
            size: Some(SizeBand::Large),
            ..company(1, "加賀の大手工場", "kaga")
        },
        Candidate {
            processes: codes(&["cutting"]),
            size: Some(SizeBand::Micro),
            ..company(2, "大田区の町工場", "ota")
        },
        Candidate {
            processes: codes(&["welding"]),
            size: Some(SizeBand::Micro),
            ..company(3, "加賀の溶接工房", "kaga")
        },
        Candidate {
            processes: codes(&["cutting"]),
            size: Some(SizeBand::Micro),
            ..company(4, "加賀の切削工房", "kaga")
        },
    ];
    check(
        &need,
        &candidates,
        &Settings::default(),
        expect![[r#"
            #4 100.0
              processes      +23.1/23.1 工程が一致: 切削（1/1）
              size           +46.2/46.2 規模が希望どおり: 小規模（20人以下）
              city           +30.8/30.8 他市（加賀市）の相手: 都市間の連携を優先する設定
            #3 76.9
              processes       +0.0/23.1 必要な工程がない: 切削（0/1）
              size           +46.2/46.2 規模が希望どおり: 小規模（20人以下）
              city           +30.8/30.8 他市（加賀市）の相手: 都市間の連携を優先する設定
            #2 69.2
              processes      +23.1/23.1 工程が一致: 切削（1/1）
              size           +46.2/46.2 規模が希望どおり: 小規模（20人以下）
              city            +0.0/30.8 同じ市（大田区）の相手: 他市との連携を優先する設定のため加点なし
            #1 53.8
              processes      +23.1/23.1 工程が一致: 切削（1/1）
              size            +0.0/46.2 規模が希望と違う: 大企業（301人以上）（希望: 小規模（20人以下））
              city           +30.8/30.8 他市（加賀市）の相手: 都市間の連携を優先する設定
        "#]],
    );
}

fn glass_designers() -> (Need, [Candidate; 2]) {
    // A 墨田区 glassworks (江戸切子) looks for a designer for a tableware line.
    let need = Need {
        kind: NeedKind::Design,
        city: Some("sumida".to_owned()),
        processes: codes(&["glass"]),
        text_terms: codes(&["テーブルウェア", "ガラス"]),
        ..Need::default()
    };
    let candidates = [
        Candidate {
            text_score: 8.0,
            ..company(21, "食器のプロダクトデザイナー", "ota")
        },
        Candidate {
            processes: codes(&["glass"]),
            text_score: 1.0,
            ..company(22, "ガラス加工に詳しい設計者", "ota")
        },
    ];
    (need, candidates)
}

#[test]
fn a_designer_collaboration_weighs_the_portfolio_text_most() {
    let (need, candidates) = glass_designers();
    check(
        &need,
        &candidates,
        &Settings::default(),
        expect![[r#"
            #21 86.7
              text           +66.7/66.7 説明の関連度 100%（キーワード: テーブルウェア・ガラス）
              processes       +0.0/13.3 必要な工程がない: ガラス加工（0/1）
              city           +20.0/20.0 他市（大田区）の相手: 都市間の連携を優先する設定
            #22 41.7
              text            +8.3/66.7 説明の関連度 13%（キーワード: テーブルウェア・ガラス）
              processes      +13.3/13.3 工程が一致: ガラス加工（1/1）
              city           +20.0/20.0 他市（大田区）の相手: 都市間の連携を優先する設定
        "#]],
    );
}

#[test]
fn the_same_candidates_under_business_weights_put_the_process_match_first() {
    let (need, candidates) = glass_designers();
    let need = Need {
        kind: NeedKind::Business,
        ..need
    };
    let ranking = rank(&need, &candidates, &Settings::default());
    assert_eq!(ranking[0].candidate_id, 22);
}

#[test]
fn internships_prefer_the_students_own_city_by_default() {
    let need = Need {
        kind: NeedKind::Internship,
        city: Some("kawaguchi".to_owned()),
        text_terms: codes(&["鋳物"]),
        ..Need::default()
    };
    let candidates = [
        Candidate {
            text_score: 2.0,
            ..company(1, "大田区の鋳造所", "ota")
        },
        Candidate {
            text_score: 2.0,
            ..company(2, "川口の鋳物工場", "kawaguchi")
        },
    ];
    check(
        &need,
        &candidates,
        &Settings::default(),
        expect![[r#"
            #2 100.0
              text           +66.7/66.7 説明の関連度 100%（キーワード: 鋳物）
              city           +33.3/33.3 同じ市（川口市）の相手: 近さを優先する設定
            #1 66.7
              text           +66.7/66.7 説明の関連度 100%（キーワード: 鋳物）
              city            +0.0/33.3 他市（大田区）の相手: 同じ市を優先する設定のため加点なし
        "#]],
    );
}

#[test]
fn the_company_that_posted_the_need_is_excluded_and_does_not_set_the_text_scale() {
    let need = Need {
        text_terms: codes(&["金型"]),
        owner_id: Some(5),
        ..Need::default()
    };
    let candidates = [
        Candidate {
            text_score: 10.0,
            ..company(5, "自社", "kawaguchi")
        },
        Candidate {
            text_score: 4.0,
            ..company(6, "他社", "ota")
        },
    ];
    check(
        &need,
        &candidates,
        &Settings::default(),
        expect![[r#"
            #6 100.0
              text          +100.0/100.0 説明の関連度 100%（キーワード: 金型）
            #5 100.0 対象外: ニーズの登録者自身
              text          +100.0/100.0 説明の関連度 100%（キーワード: 金型）
        "#]],
    );
}

#[test]
fn candidates_of_unknown_city_and_size_get_half_the_city_points_and_none_for_size() {
    let need = Need {
        city: Some("sumida".to_owned()),
        size_preference: Some(SizeBand::Small),
        ..Need::default()
    };
    let candidates = [Candidate {
        id: 1,
        ..Candidate::default()
    }];
    check(
        &need,
        &candidates,
        &Settings::default(),
        expect![[r#"
            #1 33.3
              size            +0.0/33.3 規模が不明（希望: 中小（21〜300人））
              city           +33.3/66.7 所在地が不明（半分を加点）
        "#]],
    );
}

#[test]
fn a_need_that_asks_for_nothing_ranks_everyone_at_zero_by_id() {
    let candidates = [
        company(3, "c", "ota"),
        company(1, "a", "ota"),
        company(2, "b", "ota"),
    ];
    let ranking = rank(&Need::default(), &candidates, &Settings::default());
    let ids: Vec<i64> = ranking.iter().map(|r| r.candidate_id).collect();
    assert_eq!(ids, [1, 2, 3]);
    assert!(
        ranking
            .iter()
            .all(|r| r.score == 0.0 && r.components.is_empty())
    );
}

#[test]
fn nan_and_negative_text_scores_and_weights_count_as_zero() {
    let need = Need {
        processes: codes(&["cutting"]),
        text_terms: codes(&["切削"]),
        ..Need::default()
    };
    let candidates = [
        Candidate {
            text_score: f32::NAN,
            processes: codes(&["cutting"]),
            ..company(1, "a", "ota")
        },
        Candidate {
            text_score: -3.0,
            ..company(2, "b", "ota")
        },
    ];
    let settings = Settings {
        weights: Some(Weights {
            text: 1.0,
            processes: 1.0,
            materials: f64::NAN,
            equipment: -5.0,
            certifications: f64::INFINITY,
            size: 0.0,
            city: 0.0,
        }),
        ..Settings::default()
    };
    let ranking = rank(&need, &candidates, &settings);
    assert_explained(&ranking);
    assert_eq!(ranking[0].candidate_id, 1);
    assert_eq!(ranking[0].score, 50.0);
    assert_eq!(ranking[1].score, 0.0);
}

#[test]
fn kinds_and_size_bands_read_back_from_their_codes() {
    for kind in NeedKind::ALL {
        assert_eq!(NeedKind::parse(kind.code()), Some(kind));
    }
    for band in SizeBand::ALL {
        assert_eq!(SizeBand::parse(band.code()), Some(band));
    }
    assert_eq!(NeedKind::parse("auction"), None);
}

// Properties on generated cases.

const CITIES: [&str; 4] = ["kawaguchi", "ota", "kaga", "higashiosaka"];
const PROCESSES: [&str; 6] = ["cutting", "welding", "grinding", "press", "glass", "mold"];
const MATERIALS: [&str; 4] = ["titanium", "stainless", "steel", "resin"];
const EQUIPMENT: [&str; 3] = ["five_axis", "cmm", "nc_lathe"];
const CERTIFICATIONS: [&str; 3] = ["iso9001", "iso13485", "iso14001"];

fn some(rng: &mut SmallRng, from: &[&str]) -> Vec<String> {
    // Duplicates on purpose: the engine must not count an item twice.
    let n = rng.random_range(0..=from.len() + 1);
    (0..n)
        .map(|_| from[rng.random_range(0..from.len())].to_owned())
        .collect()
}

fn maybe_city(rng: &mut SmallRng) -> Option<String> {
    rng.random_bool(0.85)
        .then(|| CITIES[rng.random_range(0..CITIES.len())].to_owned())
}

fn maybe_size(rng: &mut SmallRng) -> Option<SizeBand> {
    rng.random_bool(0.8)
        .then(|| SizeBand::ALL[rng.random_range(0..3)])
}

fn random_need(rng: &mut SmallRng) -> Need {
    Need {
        kind: NeedKind::ALL[rng.random_range(0..NeedKind::ALL.len())],
        city: maybe_city(rng),
        processes: some(rng, &PROCESSES),
        materials: some(rng, &MATERIALS),
        equipment: some(rng, &EQUIPMENT),
        certifications_required: some(rng, &CERTIFICATIONS),
        size_preference: maybe_size(rng),
        text_terms: if rng.random_bool(0.6) {
            codes(&["精密"])
        } else {
            Vec::new()
        },
        owner_id: rng.random_bool(0.2).then(|| rng.random_range(0..20)),
    }
}

fn random_candidate(rng: &mut SmallRng, id: i64) -> Candidate {
    Candidate {
        id,
        name: format!("候補{id}"),
        city: maybe_city(rng),
        processes: some(rng, &PROCESSES),
        materials: some(rng, &MATERIALS),
        equipment: some(rng, &EQUIPMENT),
        certifications: some(rng, &CERTIFICATIONS),
        size: maybe_size(rng),
        text_score: if rng.random_bool(0.5) {
            rng.random_range(0.0..20.0)
        } else {
            0.0
        },
    }
}

fn random_settings(rng: &mut SmallRng) -> Settings {
    let mut weight = || {
        if rng.random_bool(0.2) {
            0.0
        } else {
            rng.random_range(0.0..50.0)
        }
    };
    let weights = Weights {
        text: weight(),
        processes: weight(),
        materials: weight(),
        equipment: weight(),
        certifications: weight(),
        size: weight(),
        city: weight(),
    };
    Settings {
        weights: rng.random_bool(0.7).then_some(weights),
        city_policy: match rng.random_range(0..4) {
            0 => None,
            1 => Some(CityPolicy::PreferOtherCities),
            2 => Some(CityPolicy::PreferSameCity),
            _ => Some(CityPolicy::Neutral),
        },
        missing_certification: if rng.random_bool(0.3) {
            MissingCertification::Exclude
        } else {
            MissingCertification::Penalty(rng.random_range(0.0..120.0))
        },
        limit: None,
    }
}

struct Case {
    need: Need,
    candidates: Vec<Candidate>,
    settings: Settings,
}

fn cases(count: u64) -> impl Iterator<Item = Case> {
    (0..count).map(|seed| {
        let mut rng = SmallRng::seed_from_u64(seed);
        let need = random_need(&mut rng);
        let n = rng.random_range(0..25);
        // Distinct ids in a shuffled order.
        let mut ids: Vec<i64> = (0..n).map(|i| i * 3 + rng.random_range(0..3)).collect();
        ids.shuffle(&mut rng);
        let candidates = ids
            .into_iter()
            .map(|id| random_candidate(&mut rng, id))
            .collect();
        let settings = random_settings(&mut rng);
        Case {
            need,
            candidates,
            settings,
        }
    })
}

fn position(ranking: &[Ranked], id: i64) -> Option<usize> {
    ranking.iter().position(|r| r.candidate_id == id)
}

#[test]
fn every_score_is_within_0_and_100_and_is_the_sum_of_its_components() {
    for case in cases(2000) {
        let ranking = rank(&case.need, &case.candidates, &case.settings);
        assert_eq!(ranking.len(), case.candidates.len());
        assert_explained(&ranking);
        for r in &ranking {
            assert!((0.0..=100.0).contains(&r.score), "{r:?}");
            let max: f64 = r.components.iter().map(|c| c.max_points).sum();
            assert!(max.abs() < 1e-9 || (max - 100.0).abs() < 1e-9, "{r:?}");
            for c in &r.components {
                assert!(c.points <= c.max_points + 1e-9, "{c:?}");
                assert!(c.points >= 0.0 || c.kind == ComponentKind::Certification);
                assert!(!c.reason.is_empty());
            }
        }
    }
}

#[test]
fn rankings_are_ordered_by_exclusion_then_score_then_id() {
    for case in cases(2000) {
        let ranking = rank(&case.need, &case.candidates, &case.settings);
        for pair in ranking.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let key = |r: &Ranked| (r.excluded.is_some(), -r.score, r.candidate_id);
            assert!(key(a) < key(b), "{a:?} before {b:?}");
        }
    }
}

#[test]
fn rankings_do_not_depend_on_the_order_of_the_candidates_nor_on_the_run() {
    for (seed, mut case) in cases(500).enumerate() {
        let first = rank(&case.need, &case.candidates, &case.settings);
        assert_eq!(first, rank(&case.need, &case.candidates, &case.settings));
        case.candidates
            .shuffle(&mut SmallRng::seed_from_u64(seed as u64));
        assert_eq!(first, rank(&case.need, &case.candidates, &case.settings));
    }
}

#[test]
fn a_limited_ranking_is_the_first_page_of_the_full_one() {
    let mut rng = SmallRng::seed_from_u64(99);
    for case in cases(500) {
        let full = rank(&case.need, &case.candidates, &case.settings);
        let limit = rng.random_range(0..=case.candidates.len() + 2);
        let settings = Settings {
            limit: Some(limit),
            ..case.settings.clone()
        };
        let page = rank(&case.need, &case.candidates, &settings);
        assert_eq!(page[..], full[..limit.min(full.len())]);
    }
}

#[test]
fn adding_a_needed_process_to_a_candidate_never_lowers_its_score_or_its_place() {
    let mut rng = SmallRng::seed_from_u64(7);
    for case in cases(1500) {
        if case.candidates.is_empty() || case.need.processes.is_empty() {
            continue;
        }
        let before = rank(&case.need, &case.candidates, &case.settings);
        let i = rng.random_range(0..case.candidates.len());
        let process = case.need.processes[rng.random_range(0..case.need.processes.len())].clone();
        let mut candidates = case.candidates.clone();
        candidates[i].processes.push(process);
        let after = rank(&case.need, &candidates, &case.settings);
        let id = candidates[i].id;
        let (Some(old), Some(new)) = (position(&before, id), position(&after, id)) else {
            panic!("candidate {id} disappeared");
        };
        assert!(after[new].score >= before[old].score);
        assert!(new <= old, "candidate {id} fell from {old} to {new}");
    }
}

#[test]
fn preferring_other_cities_puts_an_other_city_twin_above_a_same_city_one() {
    let mut rng = SmallRng::seed_from_u64(11);
    for case in cases(1500) {
        let mut need = case.need;
        need.owner_id = None;
        let home = need.city.get_or_insert_with(|| "ota".to_owned()).clone();
        let mut settings = case.settings;
        settings.city_policy = Some(CityPolicy::PreferOtherCities);
        if let Some(w) = settings.weights.as_mut() {
            w.city = w.city.max(1.0);
        }
        let mut twin = random_candidate(&mut rng, 1000);
        twin.city = Some(home.clone());
        // Without a penalty that could take both twins down to 0.
        twin.certifications = need.certifications_required.clone();
        // The same-city twin has the smaller id, so a tie would put it first.
        let same = Candidate {
            id: -2,
            ..twin.clone()
        };
        let other = Candidate {
            id: -1,
            city: Some(if home == "kaga" { "ota" } else { "kaga" }.to_owned()),
            ..twin
        };
        let mut candidates = case.candidates;
        candidates.extend([same, other]);
        let ranking = rank(&need, &candidates, &settings);
        let (Some(s), Some(o)) = (position(&ranking, -2), position(&ranking, -1)) else {
            panic!("a twin disappeared");
        };
        assert!(o < s, "{:?}\n{:?}", ranking[o], ranking[s]);
        assert!(ranking[o].score > ranking[s].score);
    }
}
