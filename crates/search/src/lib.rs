//! Japanese text matching for renkei.
//!
//! People search for 切削, きりさく, ｾﾐﾅｰ or セミナー and expect the same hits. This crate
//! folds text to one comparable form (NFKC for width, katakana to hiragana, lower
//! case) and matches every query term against it. The catalogue of the seven cities is
//! small enough to match in memory; the company directory gets a full index later.

use unicode_normalization::UnicodeNormalization;

/// Folds text for comparison: NFKC (全角英数→半角, ｶﾀｶﾅ→カタカナ), katakana to
/// hiragana, ASCII lower case, and every run of whitespace to one space.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    let mut last_was_space = false;
    for c in text.nfkc() {
        if c.is_whitespace() {
            if !last_was_space && !folded.is_empty() {
                folded.push(' ');
            }
            last_was_space = true;
            continue;
        }
        last_was_space = false;
        let c = match c {
            // Katakana ァ..ヶ sit 0x60 above their hiragana.
            'ァ'..='ヶ' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
            _ => c.to_ascii_lowercase(),
        };
        folded.push(c);
    }
    if folded.ends_with(' ') {
        folded.pop();
    }
    folded
}

/// A parsed query: terms that must all occur.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    terms: Vec<String>,
}

impl Query {
    pub fn parse(text: &str) -> Query {
        Query {
            terms: fold(text)
                .split(' ')
                .filter(|term| !term.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }

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
