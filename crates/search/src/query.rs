//! Searching: what a person typed, turned into a tantivy query built term by term
//! (never through tantivy's query language, so no input is a syntax error), and
//! the results with their facet counts.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, FacetCollector, FacetCounts, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, FuzzyTermQuery, Occur,
    PhrasePrefixQuery, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DocId, Score, SegmentReader, TantivyDocument, Term};

use crate::SearchError;
use crate::highlight::{Highlighted, highlight, snippet};
use crate::index::{DocKind, FacetField, Index, clean_facet_value};
use crate::text::{CharClass, bigram_terms, char_class, fold_char, normalize, word_terms};

/// At most this many hits are returned per page; larger limits are lowered.
pub const MAX_LIMIT: usize = 1000;
/// Pages start at most this far down the ranking; larger offsets are lowered.
pub const MAX_OFFSET: usize = 10_000;
/// Terms after this many are ignored.
pub const MAX_TERMS: usize = 16;
/// Characters of a term after this many are ignored.
pub const MAX_TERM_CHARS: usize = 64;
/// Shortest term (in characters) that may match with one typo.
pub const FUZZY_MIN_CHARS: usize = 4;

/// What to look for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchRequest {
    /// Free text as typed; empty (or only punctuation) means every document that
    /// passes the filters, ordered by kind and id.
    pub text: String,
    /// Only these kinds; empty means all kinds.
    pub kinds: Vec<DocKind>,
    /// Facet filters: a document must match every field named here, and for each
    /// field one of the values given for it (AND across fields, OR within one).
    pub filters: Vec<(FacetField, String)>,
    /// Whether private documents are found too (staff views only).
    pub include_private: bool,
    /// Without `include_private`: private documents that carry any of these facet
    /// values are found too (a city's staff: `(Owner, "org:7")`), besides public ones.
    #[serde(default)]
    pub private_scope: Vec<(FacetField, String)>,
    /// Hits per page (at most [`MAX_LIMIT`]); 0 returns only the total and facets.
    pub limit: usize,
    /// Hits to skip (at most [`MAX_OFFSET`]).
    pub offset: usize,
    /// "More like this": the text (a need's description, say) is cut into its words
    /// and a document matching *any* of them is found, ranked by how many and how
    /// well. Used by matching; a typed search keeps every term required.
    #[serde(default)]
    pub match_any: bool,
}

impl Default for SearchRequest {
    fn default() -> SearchRequest {
        SearchRequest {
            text: String::new(),
            kinds: Vec::new(),
            filters: Vec::new(),
            include_private: false,
            private_scope: Vec::new(),
            limit: 20,
            offset: 0,
            match_any: false,
        }
    }
}

impl SearchRequest {
    /// A request for public documents matching `text`, first page of 20.
    pub fn new(text: impl Into<String>) -> SearchRequest {
        SearchRequest {
            text: text.into(),
            ..SearchRequest::default()
        }
    }
}

/// What was found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    /// Number of matching documents (all pages).
    pub total: usize,
    /// The requested page, best first.
    pub hits: Vec<Hit>,
    /// For every facet field, the values among the matching documents with their
    /// counts, most frequent first. A field that is filtered on is counted as if its
    /// own filter were not applied (the other filters are), so that a page can
    /// offer the alternatives to what is selected.
    pub facets: BTreeMap<FacetField, Vec<FacetCount>>,
}

/// One found document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// The record's kind.
    pub kind: DocKind,
    /// The record's id.
    pub id: i64,
    /// Relevance (higher is better); 0 when the search had no text.
    pub score: f32,
    /// The title with the query terms marked.
    pub title: Highlighted,
    /// A passage of the body around the first match (or its beginning), with the
    /// query terms marked; `None` when the body is empty.
    pub snippet: Option<Highlighted>,
}

/// How many matching documents have one facet value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetCount {
    /// The value, e.g. "cutting".
    pub value: String,
    /// Number of matching documents with it.
    pub count: u64,
}

/// One term of the query, before and after folding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryTerm {
    /// NFKC only (katakana kept, which the word segmenter needs).
    pub normal: Vec<char>,
    /// Fully folded, as in the bigram view.
    pub folded: Vec<char>,
}

/// Splits typed text into terms (see the module comment).
pub(crate) fn query_terms(text: &str) -> Vec<QueryTerm> {
    let normal = normalize(text);
    let mut terms = Vec::new();
    for word in normal.chars.split(|c| *c == ' ') {
        let word_text: String = word.iter().collect();
        if matches!(word_text.as_str(), "AND" | "OR" | "NOT" | "&&" | "||") {
            continue;
        }
        let mut start = 0;
        for at in 0..=word.len() {
            if at == word.len() || splits_terms(word, at) {
                if at > start {
                    let normal = word[start..at.min(start + MAX_TERM_CHARS)].to_vec();
                    let folded = normal.iter().copied().map(fold_char).collect();
                    terms.push(QueryTerm { normal, folded });
                }
                start = at + 1;
            }
        }
    }
    terms.truncate(MAX_TERMS);
    terms
}

/// Whether the character at `at` ends a term: any separator except joiners such as
/// the hyphen in i-mono, which stay inside a term when letters stand on both sides.
fn splits_terms(word: &[char], at: usize) -> bool {
    let c = word[at];
    if char_class(c) != CharClass::Separator {
        return false;
    }
    let joiner = matches!(c, '-' | '.' | '_' | '\'' | '&' | '+');
    let letter_before = at > 0 && char_class(word[at - 1]) != CharClass::Separator;
    let letter_after = word
        .get(at + 1)
        .is_some_and(|next| char_class(*next) != CharClass::Separator);
    !(joiner && letter_before && letter_after)
}

/// Field weights: the title counts most, then the reading, then the body.
const TITLE_BOOST: Score = 5.0;
const KANA_BOOST: Score = 3.0;
const BODY_BOOST: Score = 1.0;
/// A whole-word match adds this fraction of the field's weight.
const WORD_BONUS: Score = 0.5;
/// A one-character term is a constant-score match worth this fraction.
const SINGLE_CHAR_FACTOR: Score = 0.5;
/// A typo match is a constant-score match worth this fraction.
const FUZZY_FACTOR: Score = 0.1;
/// A trailing lone kanji expands to at most this many bigrams.
const MAX_PREFIX_EXPANSIONS: u32 = 10_000;

fn boosted(query: Box<dyn Query>, boost: Score) -> Box<dyn Query> {
    Box::new(BoostQuery::new(query, boost))
}

fn filter(query: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(query, 0.0)))
}

fn text_term(field: Field, text: &str) -> Term {
    Term::from_field_text(field, text)
}

/// Terms at their positions as one query: a term query for one, a phrase for more;
/// with `last_is_prefix` the last one matches any term it begins.
fn sequence(field: Field, terms: &[(usize, String)], last_is_prefix: bool) -> Box<dyn Query> {
    match terms {
        [] => Box::new(EmptyQuery),
        [(_, only)] => Box::new(TermQuery::new(
            text_term(field, only),
            IndexRecordOption::WithFreqs,
        )),
        _ => {
            let terms: Vec<(usize, Term)> = terms
                .iter()
                .map(|(position, text)| (*position, text_term(field, text)))
                .collect();
            if last_is_prefix {
                let mut query = PhrasePrefixQuery::new_with_offset(terms);
                query.set_max_expansions(MAX_PREFIX_EXPANSIONS);
                Box::new(query)
            } else {
                Box::new(PhraseQuery::new_with_offset(terms))
            }
        }
    }
}

/// Every term of `field` that begins with `c`.
fn starting_with(field: Field, c: char) -> Box<dyn Query> {
    Box::new(RangeQuery::new(
        Bound::Included(text_term(field, &c.to_string())),
        Bound::Included(text_term(field, &format!("{c}{}", char::MAX))),
    ))
}

fn fuzzy_eligible(folded: &[char]) -> bool {
    let all_kana = folded
        .iter()
        .all(|c| matches!(c, '\u{3041}'..='\u{3096}' | 'ー'));
    let all_latin = folded.iter().all(char::is_ascii_lowercase);
    folded.len() >= FUZZY_MIN_CHARS && (all_kana || all_latin)
}

/// The parts of a query that a facet count may leave out.
struct Plan {
    /// One clause per term, all required (or any, for `match_any`).
    text: Vec<Box<dyn Query>>,
    any: bool,
    /// Kinds and visibility: always applied.
    scope: Vec<Box<dyn Query>>,
    /// Facet filters by field.
    filters: BTreeMap<FacetField, Box<dyn Query>>,
}

impl Plan {
    fn query(&self, without: Option<FacetField>) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if self.any && !self.text.is_empty() {
            let any: Vec<(Occur, Box<dyn Query>)> = self
                .text
                .iter()
                .map(|q| (Occur::Should, q.box_clone()))
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        } else {
            clauses.extend(self.text.iter().map(|q| (Occur::Must, q.box_clone())));
        }
        clauses.extend(self.scope.iter().map(|q| filter(q.box_clone())));
        clauses.extend(
            self.filters
                .iter()
                .filter(|(field, _)| Some(**field) != without)
                .map(|(_, q)| filter(q.box_clone())),
        );
        if clauses.is_empty() {
            Box::new(AllQuery)
        } else {
            Box::new(BooleanQuery::new(clauses))
        }
    }
}

fn facet_collector(fields: impl IntoIterator<Item = FacetField>) -> FacetCollector {
    let mut collector = FacetCollector::for_field("facets");
    for field in fields {
        collector.add_facet(field.root());
    }
    collector
}

fn facet_counts(counts: &FacetCounts, field: FacetField) -> Vec<FacetCount> {
    let mut values: Vec<FacetCount> = counts
        .get(field.root())
        .filter_map(|(facet, count)| {
            let value = facet.to_path().get(1)?.to_string();
            Some(FacetCount { value, count })
        })
        .collect();
    values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    values
}

/// Ranking key: score first, then kind and id ascending, so equal scores always
/// come in the same order whatever the segment layout.
type RankKey = (Score, Reverse<(u64, i64)>);

impl Index {
    /// Finds documents. Never fails for anything typed (there is no query syntax to
    /// get wrong); fails only when the index cannot be read.
    ///
    /// # How text matches
    /// The text is split at spaces (and at list punctuation such as 、 , ・ / ; " : ( ))
    /// into terms; every term must match (AND), in the title, the reading or the body.
    /// The words `AND`, `OR` and `NOT` in capitals are dropped, so pasted boolean syntax
    /// does not turn into terms nobody wrote. A term matches a document when:
    ///
    /// - its folded text occurs in the field as a substring, checked as consecutive
    ///   bigrams (切削 finds 精密切削加工; ｾﾝﾊﾞﾝ, センバン and せんばん are the same);
    /// - it is one kana or kanji character that occurs anywhere (溶 finds 溶接);
    /// - or, for a term of at least [`FUZZY_MIN_CHARS`] characters made only of kana or
    ///   only of latin letters, a *word* of the field is within one edit (insertion,
    ///   deletion, substitution or swap of neighbours) of it: アルミニュウム finds
    ///   アルミニウム, aluminum finds aluminium. Kanji and digits never match fuzzily
    ///   (ISO9001 must not find ISO9002), and these matches score below exact ones.
    ///
    /// Text that leaves no term (empty, or only punctuation such as a lone `-`) finds
    /// every document that passes the filters, in kind and id order.
    ///
    /// Scores are BM25 over the bigram view, weighted title > reading > body, plus a
    /// bonus when the term is a whole word of the field; ties are broken by kind and id,
    /// so the order is the same on every run.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        let terms = if request.match_any {
            query_terms(&crate::text::content_words(&request.text, MAX_TERMS).join(" "))
        } else {
            query_terms(&request.text)
        };
        let plan = self.plan(&terms, request);
        let ranked = !plan.text.is_empty();
        let limit = request.limit.min(MAX_LIMIT);
        let offset = request.offset.min(MAX_OFFSET);

        let searcher = self.reader.searcher();
        let top = (limit > 0).then(|| {
            TopDocs::with_limit(limit).and_offset(offset).tweak_score(
                move |segment: &SegmentReader| {
                    let fast = segment.fast_fields();
                    let kinds = fast.u64("kind").ok().map(|c| c.first_or_default_col(0));
                    let ids = fast.i64("id").ok().map(|c| c.first_or_default_col(0));
                    move |doc: DocId, score: Score| -> RankKey {
                        let kind = kinds.as_ref().map_or(0, |c| c.get_val(doc));
                        let id = ids.as_ref().map_or(0, |c| c.get_val(doc));
                        (if ranked { score } else { 0.0 }, Reverse((kind, id)))
                    }
                },
            )
        });
        let (total, top, counts) = searcher.search(
            &*plan.query(None),
            &(Count, top, facet_collector(FacetField::ALL)),
        )?;

        let mut facets: BTreeMap<FacetField, Vec<FacetCount>> = FacetField::ALL
            .into_iter()
            .map(|field| (field, facet_counts(&counts, field)))
            .collect();
        for field in plan.filters.keys() {
            let counts = searcher.search(&*plan.query(Some(*field)), &facet_collector([*field]))?;
            facets.insert(*field, facet_counts(&counts, *field));
        }

        let highlight_terms: Vec<Vec<char>> = terms.iter().map(|t| t.folded.clone()).collect();
        let mut hits = Vec::new();
        for ((score, Reverse((kind, id))), address) in top.unwrap_or_default() {
            let Some(kind) = DocKind::from_ordinal(kind) else {
                continue;
            };
            let doc: TantivyDocument = searcher.doc(address)?;
            let stored = |field: Field| {
                doc.get_first(field)
                    .and_then(|value| value.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let title = stored(self.fields.title);
            let body = stored(self.fields.body);
            hits.push(Hit {
                kind,
                id,
                score,
                title: highlight(&title, &highlight_terms),
                snippet: snippet(&body, &highlight_terms),
            });
        }
        Ok(SearchResults {
            total,
            hits,
            facets,
        })
    }

    fn plan(&self, terms: &[QueryTerm], request: &SearchRequest) -> Plan {
        let f = &self.fields;
        let text = terms
            .iter()
            .filter_map(|term| self.term_query(term))
            .collect();

        let mut scope: Vec<Box<dyn Query>> = Vec::new();
        if !request.kinds.is_empty() {
            let kinds: BTreeSet<DocKind> = request.kinds.iter().copied().collect();
            let any_kind = kinds
                .into_iter()
                .map(|kind| -> (Occur, Box<dyn Query>) {
                    let term = Term::from_field_u64(f.kind, kind.ordinal());
                    let query = TermQuery::new(term, IndexRecordOption::Basic);
                    (Occur::Should, Box::new(query))
                })
                .collect();
            scope.push(Box::new(BooleanQuery::new(any_kind)));
        }
        if !request.include_private {
            let term = Term::from_field_bool(f.public, true);
            let public: Box<dyn Query> = Box::new(TermQuery::new(term, IndexRecordOption::Basic));
            if request.private_scope.is_empty() {
                scope.push(public);
            } else {
                let mut any: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, public)];
                for (field, value) in &request.private_scope {
                    let term = Term::from_facet(f.facets, &field.facet(&clean_facet_value(value)));
                    any.push((
                        Occur::Should,
                        Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                    ));
                }
                scope.push(Box::new(BooleanQuery::new(any)));
            }
        }

        let mut values: BTreeMap<FacetField, BTreeSet<String>> = BTreeMap::new();
        for (field, value) in &request.filters {
            let value = clean_facet_value(value);
            if !value.is_empty() {
                values.entry(*field).or_default().insert(value);
            }
        }
        let filters = values
            .into_iter()
            .map(|(field, values)| {
                let any_value = values
                    .iter()
                    .map(|value| -> (Occur, Box<dyn Query>) {
                        let term = Term::from_facet(f.facets, &field.facet(value));
                        (
                            Occur::Should,
                            Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                        )
                    })
                    .collect();
                let query: Box<dyn Query> = Box::new(BooleanQuery::new(any_value));
                (field, query)
            })
            .collect();
        Plan {
            any: request.match_any,
            text,
            scope,
            filters,
        }
    }

    /// The query for one term: any of its ways to match, in any field.
    fn term_query(&self, term: &QueryTerm) -> Option<Box<dyn Query>> {
        let f = &self.fields;
        let bigrams = bigram_terms(&term.folded);
        let last = bigrams.last()?;
        let mut ways: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let views = [
            (f.title, f.title_words, TITLE_BOOST),
            (f.kana, f.kana_words, KANA_BOOST),
            (f.body, f.body_words, BODY_BOOST),
        ];

        let single_char =
            term.folded.len() == 1 && char_class(term.folded[0]) == CharClass::Japanese;
        if single_char {
            for (field, _, boost) in views {
                let query = starting_with(field, term.folded[0]);
                ways.push((Occur::Should, boosted(query, boost * SINGLE_CHAR_FACTOR)));
            }
            return Some(Box::new(BooleanQuery::new(ways)));
        }

        // A lone kanji or kana at the end of a term may be the start of a longer run in
        // the document (3工 in 第3工場), where it is the first half of a bigram.
        let last_is_prefix = bigrams.len() > 1
            && !last.run_tail
            && last.text.chars().count() == 1
            && last
                .text
                .chars()
                .all(|c| char_class(c) == CharClass::Japanese);
        let bigrams: Vec<(usize, String)> = bigrams
            .iter()
            .filter(|t| !t.run_tail)
            .map(|t| (t.position, t.text.clone()))
            .collect();
        let words: Vec<(usize, String)> = word_terms(&term.normal)
            .into_iter()
            .map(|t| (t.position, t.text))
            .collect();
        let fuzzy = fuzzy_eligible(&term.folded);
        let folded: String = term.folded.iter().collect();
        for (field, words_field, boost) in views {
            ways.push((
                Occur::Should,
                boosted(sequence(field, &bigrams, last_is_prefix), boost),
            ));
            if !words.is_empty() {
                let query = sequence(words_field, &words, false);
                ways.push((Occur::Should, boosted(query, boost * WORD_BONUS)));
            }
            if fuzzy {
                let query = FuzzyTermQuery::new(text_term(words_field, &folded), 1, true);
                ways.push((
                    Occur::Should,
                    boosted(Box::new(query), boost * FUZZY_FACTOR),
                ));
            }
        }
        Some(Box::new(BooleanQuery::new(ways)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        query_terms(text)
            .into_iter()
            .map(|term| term.folded.into_iter().collect())
            .collect()
    }

    #[test]
    fn typed_text_splits_into_folded_terms() {
        assert_eq!(terms("切削　川口"), ["切削", "川口"]);
        assert_eq!(
            terms("ｾﾝﾊﾞﾝ、アルミ・ステンレス"),
            ["せんばん", "あるみ", "すてんれす"]
        );
        assert_eq!(terms("i-MONO ＩＳＯ９００１"), ["i-mono", "iso9001"]);
    }

    #[test]
    fn query_syntax_is_just_punctuation() {
        assert_eq!(
            terms("\"切削\" title:加工 (溶接) - AND OR NOT"),
            ["切削", "title", "加工", "溶接"]
        );
        assert!(terms("- \" : ( ) * ~ ^").is_empty());
        assert_eq!(terms("and"), ["and"]);
    }

    #[test]
    fn long_queries_are_cut_to_size() {
        let many = "語 ".repeat(100);
        assert_eq!(query_terms(&many).len(), MAX_TERMS);
        let long = "あ".repeat(1000);
        assert_eq!(query_terms(&long)[0].folded.len(), MAX_TERM_CHARS);
    }

    #[test]
    fn only_long_kana_or_latin_terms_are_typo_tolerant() {
        let eligible = |text: &str| fuzzy_eligible(&query_terms(text)[0].folded);
        assert!(eligible("アルミニュウム"));
        assert!(eligible("aluminum"));
        assert!(!eligible("アルミ"));
        assert!(!eligible("精密切削"));
        assert!(!eligible("iso9001"));
    }
}

#[cfg(test)]
mod private_scope_tests {
    #![allow(clippy::unwrap_used)]
    use crate::{DocKind, FacetField, Index, SearchDoc, SearchRequest};

    #[test]
    fn private_documents_show_only_to_their_keepers() {
        let mut index = Index::in_memory().unwrap();
        let doc = |id: i64, public: bool, owner: &str| SearchDoc {
            kind: DocKind::Company,
            id,
            title: "切削加工".into(),
            public,
            facets: vec![(FacetField::Owner, owner.into())],
            ..SearchDoc::default()
        };
        index
            .rebuild(vec![
                doc(1, true, "org:1"),
                doc(2, false, "org:1"),
                doc(3, false, "org:2"),
            ])
            .unwrap();
        let ids = |request: SearchRequest| -> Vec<i64> {
            index
                .search(&request)
                .unwrap()
                .hits
                .iter()
                .map(|h| h.id)
                .collect()
        };
        assert_eq!(ids(SearchRequest::new("切削")), [1]);
        let keeper = SearchRequest {
            private_scope: vec![(FacetField::Owner, "org:1".into())],
            ..SearchRequest::new("切削")
        };
        assert_eq!(ids(keeper.clone()), [1, 2]);
        assert_eq!(
            index.search(&keeper).unwrap().total,
            2,
            "the total counts what the keeper sees"
        );
        assert_eq!(
            ids(SearchRequest {
                include_private: true,
                ..SearchRequest::new("切削")
            }),
            [1, 2, 3]
        );
    }
}

#[cfg(test)]
mod match_any_tests {
    #![allow(clippy::unwrap_used)]
    use crate::{DocKind, Index, SearchDoc, SearchRequest};

    fn company(id: i64, title: &str, body: &str) -> SearchDoc {
        SearchDoc {
            kind: DocKind::Company,
            id,
            title: title.into(),
            body: body.into(),
            public: true,
            ..SearchDoc::default()
        }
    }

    #[test]
    fn a_need_described_in_sentences_finds_companies_sharing_any_of_its_words() {
        let mut index = Index::in_memory().unwrap();
        index
            .rebuild(vec![
                company(1, "高井田精工", "チタンの精密切削と医療機器部品"),
                company(2, "布施製作所", "チタン部品の切削加工"),
                company(3, "向島縫製", "ニットと布製品の縫製"),
            ])
            .unwrap();
        let text = "低侵襲手術で使う鉗子の先端部品をチタン合金で試作したい。医療機器の実績がある会社を探しています。";
        let strict = index.search(&SearchRequest::new(text)).unwrap();
        assert_eq!(strict.total, 0, "a sentence as one AND query finds nothing");
        let any = index
            .search(&SearchRequest {
                match_any: true,
                ..SearchRequest::new(text)
            })
            .unwrap();
        let ids: Vec<i64> = any.hits.iter().map(|h| h.id).collect();
        assert_eq!(ids.first(), Some(&1), "most shared words first: {ids:?}");
        assert!(ids.contains(&2));
        assert!(!ids.contains(&3));
    }
}
