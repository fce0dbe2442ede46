//! Behaviour of the index as a whole: Japanese matching, ranking, facets, writes,
//! and the on-disk life cycle.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::fs;

use crate::bench;
use crate::{
    DocKind, FacetCount, FacetField, Index, Opened, SearchDoc, SearchRequest, SearchResults,
};

fn company(id: i64, title: &str, body: &str) -> SearchDoc {
    SearchDoc {
        kind: DocKind::Company,
        id,
        title: title.to_owned(),
        body: body.to_owned(),
        public: true,
        ..SearchDoc::default()
    }
}

fn index_of(docs: &[SearchDoc]) -> Index {
    let mut index = Index::in_memory().unwrap();
    index.upsert_all(docs).unwrap();
    index.commit().unwrap();
    index
}

fn search(index: &Index, request: SearchRequest) -> SearchResults {
    index.search(&request).unwrap()
}

/// Ids found for `text`, best first.
fn ranked(index: &Index, text: &str) -> Vec<i64> {
    let request = SearchRequest {
        limit: 100,
        ..SearchRequest::new(text)
    };
    search(index, request)
        .hits
        .iter()
        .map(|hit| hit.id)
        .collect()
}

/// Ids found for `text`, in id order.
fn found(index: &Index, text: &str) -> BTreeSet<i64> {
    ranked(index, text).into_iter().collect()
}

fn set(ids: &[i64]) -> BTreeSet<i64> {
    ids.iter().copied().collect()
}

#[test]
fn an_index_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Index>();
}

#[test]
fn half_width_katakana_and_hiragana_find_each_other() {
    let index = index_of(&[
        company(1, "ｾﾝﾊﾞﾝ加工の山田", ""),
        company(2, "センバン工業", ""),
        company(3, "鈴木製作所", "せんばん一筋五十年"),
        company(4, "旋盤の田中", ""),
    ]);
    for query in ["ｾﾝﾊﾞﾝ", "センバン", "せんばん"] {
        assert_eq!(found(&index, query), set(&[1, 2, 3]), "{query}");
    }
}

#[test]
fn a_word_is_found_inside_a_compound() {
    let index = index_of(&[
        company(1, "川口精密", "精密切削加工"),
        company(2, "大田鋳造", "鋳造と切断"),
    ]);
    assert_eq!(found(&index, "切削"), set(&[1]));
    assert_eq!(found(&index, "削加"), set(&[1]));
    assert_eq!(found(&index, "精密切削加工"), set(&[1]));
}

#[test]
fn a_compound_query_needs_its_characters_in_order() {
    let index = index_of(&[
        company(1, "", "事業承継の相談を受け付けています"),
        company(2, "", "事業の承継"),
        company(3, "", "承継事業"),
    ]);
    assert_eq!(found(&index, "事業承継"), set(&[1]));
}

#[test]
fn a_katakana_short_form_finds_the_long_form_and_hiragana() {
    let index = index_of(&[
        company(1, "", "アルミニウムの押出材"),
        company(2, "", "あるみ缶の回収"),
        company(3, "", "ｱﾙﾐﾌﾚｰﾑ"),
        company(4, "", "ステンレス"),
    ]);
    assert_eq!(found(&index, "アルミ"), set(&[1, 2, 3]));
    assert_eq!(found(&index, "あるみ"), set(&[1, 2, 3]));
}

#[test]
fn a_single_kanji_is_found_anywhere() {
    let index = index_of(&[
        company(1, "", "溶接"),
        company(2, "", "金属を溶かす"),
        company(3, "", "熔"),
        company(4, "", "ガラス溶"),
        company(5, "", "溶"),
        company(6, "", "接着"),
    ]);
    assert_eq!(found(&index, "溶"), set(&[1, 2, 4, 5]));
    // The last character of a run is found too.
    assert_eq!(found(&index, "接"), set(&[1, 6]));
}

#[test]
fn a_term_ending_in_a_lone_kanji_matches_inside_a_longer_run() {
    let index = index_of(&[company(1, "", "第3工場"), company(2, "", "第3倉庫")]);
    assert_eq!(found(&index, "3工"), set(&[1]));
    assert_eq!(found(&index, "第3"), set(&[1, 2]));
}

#[test]
fn every_term_must_match_somewhere_in_title_reading_or_body() {
    let mut kawaguchi_by_reading = company(4, "KT精工", "切削加工");
    kawaguchi_by_reading.kana = "カワグチセイコウ".to_owned();
    let index = index_of(&[
        company(1, "川口精密", "精密切削加工"),
        company(2, "大田精密", "切削"),
        company(3, "川口鋳造", "鋳造"),
        kawaguchi_by_reading,
    ]);
    assert_eq!(found(&index, "切削 川口"), set(&[1]));
    assert_eq!(found(&index, "切削　かわぐち"), set(&[4]));
    assert_eq!(found(&index, "精密"), set(&[1, 2]));
    assert_eq!(found(&index, "切削 川口 アルミ"), set(&[]));
}

#[test]
fn a_company_is_found_by_the_reading_of_its_name_in_any_kana_or_width() {
    // The NTA's フリガナ and the company form's reading: 精機 is read セイキ.
    let mut fuse = company(1, "株式会社布施精機", "");
    fuse.kana = "フセセイキ".to_owned();
    let mut haneda = company(2, "有限会社羽田精工", "");
    haneda.kana = "ハネダセイコウ".to_owned();
    let index = index_of(&[fuse, haneda, company(3, "精機の修理", "")]);
    for query in ["せいき", "セイキ", "ｾｲｷ", "ふせせいき", "フセ セイキ"] {
        assert!(found(&index, query).contains(&1), "{query} finds 布施精機");
        assert!(
            !found(&index, query).contains(&2),
            "{query} is not 羽田精工"
        );
    }
    assert_eq!(
        found(&index, "精機"),
        set(&[1, 3]),
        "the kanji still finds both"
    );
    assert_eq!(found(&index, "はねだ"), set(&[2]));
}

#[test]
fn latin_words_and_numbers_match_in_any_width_and_spacing() {
    let index = index_of(&[
        company(1, "", "ISO9001認証取得"),
        company(2, "", "iso 9001 取得済み"),
        company(3, "", "ＩＳＯ９００１"),
        company(4, "", "ISO9002"),
        company(5, "", "ISO14001"),
    ]);
    for query in ["ISO9001", "iso 9001", "ＩＳＯ９００１", "Iso9001"] {
        assert_eq!(found(&index, query), set(&[1, 2, 3]), "{query}");
    }
}

#[test]
fn titles_rank_above_body_mentions() {
    let index = index_of(&[
        company(
            1,
            "山田製作所",
            "アルミ アルミ アルミの加工ならアルミの山田",
        ),
        company(2, "アルミ加工センター", "金属加工全般"),
        company(3, "鈴木工業", "アルミも扱います"),
    ]);
    assert_eq!(ranked(&index, "アルミ")[0], 2);
}

#[test]
fn one_typo_is_tolerated_in_long_kana_and_latin_terms_only() {
    let index = index_of(&[
        company(1, "", "アルミニウム"),
        company(2, "", "aluminium profiles"),
        company(3, "", "aluminum sheet"),
        company(4, "", "あるみ"),
        company(5, "", "精密切削"),
    ]);
    assert_eq!(found(&index, "アルミニュウム"), set(&[1]));
    assert_eq!(found(&index, "aluminum"), set(&[2, 3]));
    // The exact spelling ranks first.
    assert_eq!(ranked(&index, "aluminium"), [2, 3]);
    // Short terms and kanji must match exactly.
    assert_eq!(found(&index, "あるむ"), set(&[]));
    assert_eq!(found(&index, "精蜜切削"), set(&[]));
}

#[test]
fn typo_tolerance_does_not_flood_results() {
    let docs = bench::companies(500, 3);
    let index = index_of(&docs);
    for query in ["ステンレス", "マグネシウム", "アルミニウム", "プレス"] {
        let needle = crate::fold(query);
        let containing = docs
            .iter()
            .filter(|doc| doc.public)
            .filter(|doc| {
                [&doc.title, &doc.kana, &doc.body]
                    .iter()
                    .any(|text| crate::fold(text).contains(&needle))
            })
            .count();
        let request = SearchRequest {
            limit: 0,
            ..SearchRequest::new(query)
        };
        assert_eq!(search(&index, request).total, containing, "{query}");
    }
}

#[test]
fn private_documents_are_found_only_when_asked_for() {
    let mut secret = company(2, "非公開の切削会社", "");
    secret.public = false;
    let index = index_of(&[company(1, "公開の切削会社", ""), secret]);
    assert_eq!(found(&index, "切削"), set(&[1]));
    let request = SearchRequest {
        include_private: true,
        ..SearchRequest::new("切削")
    };
    assert_eq!(search(&index, request).total, 2);
    assert_eq!(search(&index, SearchRequest::new("")).total, 1);
}

#[test]
fn query_syntax_and_odd_input_never_fail() {
    let index = index_of(&bench::companies(50, 1));
    let long = "あ".repeat(10_000);
    let nasty = [
        "\"",
        "\"切削",
        ":",
        "title:切削",
        "(",
        ")",
        "(切削 OR 溶接",
        "AND",
        "切削 AND 川口",
        "OR NOT",
        "-",
        "- 切削",
        "*",
        "切削~2",
        "^3",
        "[1 TO 5]",
        "{}",
        "\\",
        "/regex/",
        "",
        "   ",
        "\u{0}\u{7}\t\n",
        "🏭🔧",
        "e\u{301}\u{301}\u{301}",
        "ﾞﾞﾞ",
        &long,
    ];
    for text in nasty {
        for include_private in [false, true] {
            let request = SearchRequest {
                include_private,
                ..SearchRequest::new(text)
            };
            assert!(index.search(&request).is_ok(), "{text:?}");
        }
    }
    // Pasted boolean syntax means what it would have meant.
    assert_eq!(found(&index, "切削 AND 川口"), found(&index, "切削 川口"));
    assert_eq!(found(&index, "\"切削\""), found(&index, "切削"));
}

#[test]
fn bounds_on_paging_are_enforced_without_errors() {
    let index = index_of(&bench::companies(30, 1));
    let request = SearchRequest {
        limit: usize::MAX,
        offset: usize::MAX,
        ..SearchRequest::new("")
    };
    let results = search(&index, request);
    assert!(results.hits.is_empty());
    assert!(results.total > 0);
}

fn with_facets(id: i64, city: &str, facets: &[(FacetField, &str)]) -> SearchDoc {
    SearchDoc {
        city: Some(city.to_owned()),
        facets: facets
            .iter()
            .map(|(field, value)| (*field, (*value).to_owned()))
            .collect(),
        ..company(id, "加工会社", "精密加工")
    }
}

fn counts(results: &SearchResults, field: FacetField) -> Vec<(String, u64)> {
    results.facets[&field]
        .iter()
        .map(|FacetCount { value, count }| (value.clone(), *count))
        .collect()
}

fn facet_index() -> Index {
    use FacetField::{Certification, Material, Process};
    index_of(&[
        with_facets(1, "ota", &[(Process, "cutting"), (Material, "aluminium")]),
        with_facets(
            2,
            "ota",
            &[(Process, "welding"), (Certification, "iso9001")],
        ),
        with_facets(
            3,
            "kawaguchi",
            &[(Process, "cutting"), (Process, "welding")],
        ),
        with_facets(4, "sumida", &[(Material, "aluminium")]),
    ])
}

#[test]
fn facets_count_the_matching_documents() {
    let index = facet_index();
    let results = search(&index, SearchRequest::new("加工"));
    assert_eq!(results.total, 4);
    assert_eq!(
        counts(&results, FacetField::City),
        [
            ("ota".into(), 2),
            ("kawaguchi".into(), 1),
            ("sumida".into(), 1)
        ]
    );
    assert_eq!(
        counts(&results, FacetField::Process),
        [("cutting".into(), 2), ("welding".into(), 2)]
    );
    assert_eq!(counts(&results, FacetField::Kind), [("company".into(), 4)]);
    assert!(counts(&results, FacetField::Industry).is_empty());
}

#[test]
fn filters_are_and_across_fields_and_or_within_a_field() {
    let index = facet_index();
    let ids = |filters: &[(FacetField, &str)]| -> BTreeSet<i64> {
        let request = SearchRequest {
            filters: filters
                .iter()
                .map(|(field, value)| (*field, (*value).to_owned()))
                .collect(),
            ..SearchRequest::new("")
        };
        search(&index, request)
            .hits
            .iter()
            .map(|hit| hit.id)
            .collect()
    };
    use FacetField::{City, Material, Process};
    assert_eq!(ids(&[(City, "ota")]), set(&[1, 2]));
    assert_eq!(ids(&[(City, "ota"), (City, "sumida")]), set(&[1, 2, 4]));
    assert_eq!(ids(&[(City, "ota"), (Process, "cutting")]), set(&[1]));
    assert_eq!(
        ids(&[(City, "ota"), (City, "kawaguchi"), (Process, "welding")]),
        set(&[2, 3])
    );
    assert_eq!(
        ids(&[(Material, "aluminium"), (Process, "welding")]),
        set(&[])
    );
    assert_eq!(ids(&[(City, " ota ")]), set(&[1, 2]));
    assert_eq!(ids(&[(City, "nowhere")]), set(&[]));
}

#[test]
fn a_filtered_field_counts_as_if_unfiltered_and_the_others_respect_it() {
    let index = facet_index();
    let request = SearchRequest {
        filters: vec![(FacetField::City, "ota".to_owned())],
        ..SearchRequest::new("")
    };
    let results = search(&index, request);
    assert_eq!(results.total, 2);
    // Other cities stay on offer...
    assert_eq!(
        counts(&results, FacetField::City),
        [
            ("ota".into(), 2),
            ("kawaguchi".into(), 1),
            ("sumida".into(), 1)
        ]
    );
    // ...while the other fields count only ota's documents.
    assert_eq!(
        counts(&results, FacetField::Process),
        [("cutting".into(), 1), ("welding".into(), 1)]
    );
}

#[test]
fn kinds_restrict_the_search() {
    let need = SearchDoc {
        kind: DocKind::Need,
        ..company(1, "切削の外注先を探しています", "")
    };
    let index = index_of(&[need, company(1, "切削の山田", "")]);
    let request = SearchRequest {
        kinds: vec![DocKind::Need],
        ..SearchRequest::new("切削")
    };
    let results = search(&index, request);
    assert_eq!(results.total, 1);
    assert_eq!(results.hits[0].kind, DocKind::Need);
    let request = SearchRequest {
        filters: vec![(FacetField::Kind, "company".to_owned())],
        ..SearchRequest::new("切削")
    };
    assert_eq!(search(&index, request).hits[0].kind, DocKind::Company);
}

#[test]
fn upsert_replaces_and_delete_removes() {
    let mut index = index_of(&[company(1, "山田切削", ""), company(2, "鈴木溶接", "")]);
    assert_eq!(index.len(), 2);
    index.upsert(&company(1, "山田研削", "")).unwrap();
    // Staged writes are invisible until commit.
    assert_eq!(found(&index, "切削"), set(&[1]));
    index.commit().unwrap();
    assert_eq!(index.len(), 2);
    assert_eq!(found(&index, "切削"), set(&[]));
    assert_eq!(found(&index, "研削"), set(&[1]));

    index.delete(DocKind::Company, 2).unwrap();
    index.delete(DocKind::Person, 1).unwrap();
    index.commit().unwrap();
    assert_eq!(found(&index, ""), set(&[1]));

    // Same id, other kind: a separate document.
    let person = SearchDoc {
        kind: DocKind::Person,
        ..company(1, "研削の職人", "")
    };
    index.upsert(&person).unwrap();
    index.commit().unwrap();
    assert_eq!(index.len(), 2);
}

#[test]
fn clear_drops_committed_and_staged_documents() {
    let mut index = index_of(&[company(1, "山田", "")]);
    index.upsert(&company(2, "鈴木", "")).unwrap();
    index.clear().unwrap();
    index.upsert(&company(3, "田中", "")).unwrap();
    index.commit().unwrap();
    assert_eq!(found(&index, ""), set(&[3]));
    assert_eq!(index.rebuild(bench::companies(10, 1)).unwrap(), 10);
    assert_eq!(index.len(), 10);
}

#[test]
fn without_text_every_document_comes_in_kind_and_id_order() {
    let docs = [
        company(3, "c", ""),
        SearchDoc {
            kind: DocKind::Need,
            ..company(1, "n", "")
        },
        company(1, "a", ""),
        company(2, "b", ""),
    ];
    let index = index_of(&docs);
    let results = search(&index, SearchRequest::new(" - "));
    let order: Vec<(DocKind, i64)> = results.hits.iter().map(|h| (h.kind, h.id)).collect();
    assert_eq!(
        order,
        [
            (DocKind::Company, 1),
            (DocKind::Company, 2),
            (DocKind::Company, 3),
            (DocKind::Need, 1)
        ]
    );
    assert!(results.hits.iter().all(|hit| hit.score == 0.0));
}

#[test]
fn pages_follow_one_stable_order() {
    let index = index_of(&bench::companies(200, 5));
    let page = |offset: usize, limit: usize| -> Vec<i64> {
        let request = SearchRequest {
            offset,
            limit,
            ..SearchRequest::new("加工")
        };
        search(&index, request)
            .hits
            .iter()
            .map(|hit| hit.id)
            .collect()
    };
    let all = page(0, 60);
    assert_eq!(all.len(), 60);
    assert_eq!([page(0, 20), page(20, 20), page(40, 20)].concat(), all);
    assert_eq!(page(0, 60), all);
    let request = SearchRequest {
        limit: 0,
        ..SearchRequest::new("加工")
    };
    let counted = search(&index, request);
    assert!(counted.hits.is_empty());
    assert!(counted.total >= 60);
    assert!(!counted.facets[&FacetField::City].is_empty());
}

#[test]
fn hits_carry_marked_titles_and_passages() {
    let index = index_of(&[company(
        1,
        "ｾﾝﾊﾞﾝの川口精密",
        "創業五十年。アルミニウムの精密切削加工を得意としています。",
    )]);
    let results = search(&index, SearchRequest::new("センバン 切削"));
    let hit = &results.hits[0];
    assert!(hit.score > 0.0);
    assert_eq!(hit.title.to_html(), "<mark>ｾﾝﾊﾞﾝ</mark>の川口精密");
    let snippet = hit.snippet.as_ref().unwrap();
    assert!(snippet.to_html().contains("精密<mark>切削</mark>加工"));
}

#[test]
fn ten_thousand_generated_companies_are_searchable() {
    let docs = bench::companies(10_000, 42);
    let mut index = Index::in_memory().unwrap();
    assert_eq!(index.rebuild(docs.clone()).unwrap(), 10_000);
    assert_eq!(index.len(), 10_000);
    let public = docs.iter().filter(|doc| doc.public).count();
    assert_eq!(search(&index, SearchRequest::new("")).total, public);

    let results = search(&index, SearchRequest::new("切削 川口"));
    assert!(results.total > 0);
    for hit in &results.hits {
        let doc = &docs[(hit.id - 1) as usize];
        let text = crate::fold(&format!("{} {} {}", doc.title, doc.kana, doc.body));
        assert!(text.contains("切削") && text.contains("川口"), "{doc:?}");
    }
    for request in bench::requests(50, 9) {
        index.search(&request).unwrap();
    }
}

#[test]
fn a_directory_index_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let (mut index, opened) = Index::open_or_create(dir.path()).unwrap();
    assert_eq!(opened, Opened::Created);
    assert!(opened.needs_rebuild());
    index.upsert(&company(1, "川口精密", "切削")).unwrap();
    index.commit().unwrap();
    drop(index);

    let (index, opened) = Index::open_or_create(dir.path()).unwrap();
    assert_eq!(opened, Opened::Existing);
    assert!(!opened.needs_rebuild());
    assert_eq!(found(&index, "切削"), set(&[1]));
}

#[test]
fn a_directory_in_use_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (_index, _) = Index::open_or_create(dir.path()).unwrap();
    let error = Index::open_or_create(dir.path()).unwrap_err();
    assert!(
        matches!(error, crate::SearchError::Locked { .. }),
        "{error}"
    );
}

#[test]
fn an_index_of_another_schema_version_is_recreated() {
    let dir = tempfile::tempdir().unwrap();
    let (mut index, _) = Index::open_or_create(dir.path()).unwrap();
    index.upsert(&company(1, "川口精密", "")).unwrap();
    index.commit().unwrap();
    drop(index);
    fs::write(dir.path().join("renkei-search-schema"), "0").unwrap();
    fs::write(dir.path().join("notes.txt"), "not ours").unwrap();

    let (index, opened) = Index::open_or_create(dir.path()).unwrap();
    let Opened::Recreated { reason } = &opened else {
        panic!("{opened:?}");
    };
    assert!(reason.contains("schema version 0"), "{reason}");
    assert!(index.is_empty());
    assert!(dir.path().join("notes.txt").exists());
}

#[test]
fn a_damaged_index_is_recreated() {
    // Unreadable meta.json.
    let dir = tempfile::tempdir().unwrap();
    drop(Index::open_or_create(dir.path()).unwrap());
    fs::write(dir.path().join("meta.json"), "{ not json").unwrap();
    let (_, opened) = Index::open_or_create(dir.path()).unwrap();
    assert!(matches!(opened, Opened::Recreated { .. }), "{opened:?}");

    // A truncated segment file.
    let dir = tempfile::tempdir().unwrap();
    let (mut index, _) = Index::open_or_create(dir.path()).unwrap();
    index.rebuild(bench::companies(20, 1)).unwrap();
    drop(index);
    let mut truncated = 0;
    for entry in fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".term") || name.ends_with(".store") {
            fs::write(&path, b"x").unwrap();
            truncated += 1;
        }
    }
    assert!(truncated > 0);
    let (index, opened) = Index::open_or_create(dir.path()).unwrap();
    assert!(matches!(opened, Opened::Recreated { .. }), "{opened:?}");
    assert!(index.is_empty());
}

/// `cargo test -p search --release -- --ignored --nocapture bench_100k` prints the
/// numbers for BENCHMARKS.md.
#[test]
#[ignore = "benchmark: run in release"]
fn bench_100k() {
    let report = bench::run(100_000, 1_000).unwrap();
    println!("{report}");
}
