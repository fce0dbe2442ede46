//! Japanese text search for renkei.
//!
//! People search for 切削, きりさく, ｾﾐﾅｰ or セミナー and expect the same hits. This crate
//! folds text to one comparable form ([`fold`]: NFKC for width, katakana to hiragana,
//! lower case) and offers two ways to search it:
//!
//! - [`Query`]: every term must occur in one of a few texts, matched in memory; enough
//!   for the council's catalogue.
//! - [`Index`]: a tantivy full-text index of the directory (companies, needs, offers,
//!   people, facilities) with a bigram view for recall and a word view (segmented by
//!   `tiniestsegmenter`) for ranking and typo tolerance, facets, and highlighting. [`Index::search`] says how text matches.
//!
//! The index is a cache of the database: it can live in memory or in a directory
//! that it owns, and is rebuilt from the database whenever it is missing or stale.
//! Nothing here touches the network, and results are deterministic.

#[cfg(test)]
mod behaviour;
pub mod bench;
mod highlight;
mod index;
mod query;
mod text;

use std::path::{Path, PathBuf};

pub use highlight::Highlighted;
pub use index::{DocKind, FacetField, Index, Opened, SCHEMA_VERSION, SearchDoc};
pub use query::{
    FUZZY_MIN_CHARS, FacetCount, Hit, MAX_LIMIT, MAX_OFFSET, MAX_TERM_CHARS, MAX_TERMS,
    SearchRequest, SearchResults,
};

/// Why the index could not be opened, written or read. Nothing a person types
/// into a search causes one.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// A file or directory of the index could not be read or written.
    #[error("search index I/O at {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The index directory could not be opened at all.
    #[error("cannot open the search index at {path}: {reason}")]
    Open {
        /// The directory.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Another process (or another [`Index`] in this one) writes to the directory.
    #[error("the search index at {path} is in use by another writer: {reason}")]
    Locked {
        /// The directory.
        path: PathBuf,
        /// What the lock said.
        reason: String,
    },
    /// The search engine failed (I/O during a search or commit, damaged files).
    #[error("search engine: {0}")]
    Engine(#[from] tantivy::TantivyError),
}

impl SearchError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> SearchError {
        SearchError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// Folds text for comparison: NFKC (全角英数→半角, ｶﾀｶﾅ→カタカナ), katakana to
/// hiragana, ASCII lower case, and every run of whitespace to one space (none at
/// either end). The index folds every text and query this way before cutting it
/// into terms.
pub fn fold(text: &str) -> String {
    text::normalize(text)
        .chars
        .into_iter()
        .map(text::fold_char)
        .collect()
}

/// A parsed query: terms that must all occur.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    terms: Vec<String>,
}

impl Query {
    /// Splits folded text into terms at whitespace.
    pub fn parse(text: &str) -> Query {
        Query {
            terms: fold(text)
                .split(' ')
                .filter(|term| !term.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }

    /// Whether there are no terms (the text was blank).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether every term occurs in one of the texts.
    pub fn matches<'a>(&self, texts: impl IntoIterator<Item = &'a str>) -> bool {
        let haystack: String = texts.into_iter().map(fold).collect::<Vec<_>>().join("\n");
        self.terms
            .iter()
            .all(|term| haystack.contains(term.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_width_katakana_and_hiragana_find_the_same_word() {
        let text = ["事業承継・社会人フォローアップセミナー"];
        assert!(Query::parse("ｾﾐﾅｰ").matches(text));
        assert!(Query::parse("せみなー").matches(text));
        assert!(Query::parse("セミナー").matches(text));
    }

    #[test]
    fn full_width_letters_find_ascii_and_case_is_ignored() {
        assert!(Query::parse("ＩｏＴ").matches(["IoT活用の仲間まわし"]));
        assert!(Query::parse("i-MONO").matches(["川口 i-mono・i-waza ブランド認定"]));
    }

    #[test]
    fn every_term_must_occur_somewhere() {
        let texts = ["経営塾", "後継経営者・若手経営者対象"];
        assert!(Query::parse("経営塾　後継").matches(texts));
        assert!(!Query::parse("経営塾 医療").matches(texts));
        assert!(Query::parse("   ").is_empty());
    }
}
