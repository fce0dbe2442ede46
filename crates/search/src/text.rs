//! Turning Japanese text into index terms.
//!
//! Japanese has no spaces between words, so the index keeps two views of every text:
//!
//! - **bigrams** (recall): every run of kana and kanji becomes its overlapping
//!   two-character pieces (精密切削 → 精密, 密切, 切削) plus the run's last character
//!   alone, so that every character starts some term and a one-character query can be
//!   answered by a prefix look-up. A query term matches when its bigrams occur at
//!   consecutive positions, which is exactly "the term occurs as a substring".
//! - **words** (precision and typo tolerance): runs of kana and kanji are cut into
//!   words by `tiniestsegmenter`, a small pure-Rust model of TinySegmenter.
//!
//! Latin letters and digits are words in both views, split where letters meet digits
//! (ISO9001 → iso, 9001) so that "ISO 9001", "ISO9001" and "ＩＳＯ９００１" give the same
//! terms. Everything else (punctuation, symbols, spaces) only separates.
//!
//! Both views start from [`crate::fold`]'s normal form. [`normalize`] does its first
//! half (NFKC and whitespace) while remembering where every character came from, so
//! that highlights can point into the original text.

use std::iter;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// Text after NFKC and whitespace collapsing, with the byte range in the source
/// text that each character came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Normalized {
    pub chars: Vec<char>,
    pub spans: Vec<(usize, usize)>,
}

impl Normalized {
    fn push(&mut self, c: char, span: (usize, usize), last_was_space: &mut bool) {
        if c.is_whitespace() {
            if !*last_was_space && !self.chars.is_empty() {
                self.chars.push(' ');
                self.spans.push(span);
            }
            *last_was_space = true;
        } else {
            *last_was_space = false;
            self.chars.push(c);
            self.spans.push(span);
        }
    }

    /// The folded characters (katakana to hiragana, ASCII lower case).
    pub fn folded(&self) -> Vec<char> {
        self.chars.iter().copied().map(fold_char).collect()
    }
}

/// Whether NFKC may start afresh before `c`: a starter that nothing before it can
/// compose with (UAX #15, "boundary before": NFKC_QC = Yes and ccc = 0).
fn is_boundary_before(c: char) -> bool {
    is_common_stable(c)
        || (canonical_combining_class(c) == 0 && is_nfkc_quick(iter::once(c)) == IsNormalized::Yes)
}

/// The characters most Japanese text is made of, all of them boundaries that NFKC
/// leaves alone: ASCII, 、。, hiragana, katakana and the unified ideographs. Checked
/// first because the table look-ups cost more than the whole rest of folding.
fn is_common_stable(c: char) -> bool {
    matches!(c,
        '\0'..='\u{7F}'
        | '\u{3001}'..='\u{3002}'
        | '\u{3041}'..='\u{3096}'
        | '\u{30A1}'..='\u{30FA}'
        | '\u{30FC}'
        | '\u{4E00}'..='\u{9FFF}'
    )
}

/// NFKC and whitespace collapsing (see [`crate::fold`]), remembering the source span
/// of every character. Text is normalised piece by piece between normalisation
/// boundaries, which gives the same result as normalising it whole.
pub(crate) fn normalize(text: &str) -> Normalized {
    let mut out = Normalized {
        chars: Vec::with_capacity(text.len() / 2),
        spans: Vec::with_capacity(text.len() / 2),
    };
    let mut last_was_space = false;
    // The piece not yet normalised: text[piece_start..] up to the current character.
    let mut piece_start = 0;
    let mut piece_chars = 0usize;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if is_boundary_before(c) {
            if piece_chars > 0 {
                let piece = &text[piece_start..at];
                normalize_piece(
                    piece,
                    piece_start,
                    piece_chars,
                    &mut out,
                    &mut last_was_space,
                );
                piece_chars = 0;
            }
            let next_is_boundary = chars
                .peek()
                .is_none_or(|(_, next)| is_boundary_before(*next));
            if next_is_boundary {
                // A stable character standing alone is its own normal form (the
                // common case, and the fast one).
                out.push(c, (at, at + c.len_utf8()), &mut last_was_space);
                continue;
            }
            piece_start = at;
        } else if piece_chars == 0 {
            piece_start = at;
        }
        piece_chars += 1;
    }
    if piece_chars > 0 {
        let piece = &text[piece_start..];
        normalize_piece(
            piece,
            piece_start,
            piece_chars,
            &mut out,
            &mut last_was_space,
        );
    }
    if out.chars.last() == Some(&' ') {
        out.chars.pop();
        out.spans.pop();
    }
    out
}

fn normalize_piece(
    piece: &str,
    offset: usize,
    piece_chars: usize,
    out: &mut Normalized,
    last_was_space: &mut bool,
) {
    let whole = (offset, offset + piece.len());
    let normal: Vec<char> = piece.nfkc().collect();
    if normal.len() == piece_chars {
        // One character for one (ＩＳＯ → ISO): keep each character's own span.
        for ((at, source), c) in piece.char_indices().zip(normal) {
            let span = (offset + at, offset + at + source.len_utf8());
            out.push(c, span, last_was_space);
        }
    } else {
        for c in normal {
            out.push(c, whole, last_was_space);
        }
    }
}

/// The second half of [`crate::fold`]: katakana to hiragana, ASCII to lower case.
pub(crate) fn fold_char(c: char) -> char {
    match c {
        // Katakana ァ..ヶ sit 0x60 above their hiragana.
        'ァ'..='ヶ' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
        _ => c.to_ascii_lowercase(),
    }
}

/// What a character is to the tokenizers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CharClass {
    /// Kana and kanji: cut into bigrams or words.
    Japanese,
    /// Letters of alphabets (Latin after folding, also Greek, Cyrillic, Hangul…).
    Letter,
    Digit,
    /// Punctuation, symbols and spaces: they only separate terms.
    Separator,
}

pub(crate) fn char_class(c: char) -> CharClass {
    if is_japanese(c) {
        CharClass::Japanese
    } else if c.is_alphabetic() {
        CharClass::Letter
    } else if c.is_numeric() {
        CharClass::Digit
    } else {
        CharClass::Separator
    }
}

fn is_japanese(c: char) -> bool {
    matches!(c,
        '\u{3005}'..='\u{3007}' // 々 〆 〇
        | '\u{3041}'..='\u{309F}' // hiragana
        | '\u{30A1}'..='\u{30FA}' // katakana (not the middle dot ・)
        | '\u{30FC}'..='\u{30FF}' // ー ヽ ヾ ヿ
        | '\u{31F0}'..='\u{31FF}' // small katakana extensions
        | '\u{3400}'..='\u{4DBF}' // CJK extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}' // compatibility ideographs
        | '\u{20000}'..='\u{3FFFF}' // CJK extensions B and later
    )
}

/// Terms longer than this (in characters) are not indexed: nobody searches for them,
/// and tantivy refuses terms over 64 KiB anyway.
const MAX_TERM_CHARS: usize = 64;

/// One term with its place: characters `from..to` of the text it was cut from, and
/// its position (consecutive terms have consecutive positions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Term {
    pub text: String,
    pub from: usize,
    pub to: usize,
    pub position: usize,
    /// The lone last character of a run of two or more (see the module comment);
    /// queries leave it out so that a term may match in the middle of a longer run.
    pub run_tail: bool,
}

/// Runs of characters of one class other than [`CharClass::Separator`], as
/// `(class, from, to)` character ranges.
fn runs(chars: &[char]) -> Vec<(CharClass, usize, usize)> {
    let mut runs = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let class = char_class(chars[start]);
        let mut end = start + 1;
        while end < chars.len() && char_class(chars[end]) == class {
            end += 1;
        }
        if class != CharClass::Separator {
            runs.push((class, start, end));
        }
        start = end;
    }
    runs
}

/// Bigram terms of folded characters (see the module comment).
pub(crate) fn bigram_terms(folded: &[char]) -> Vec<Term> {
    let mut terms = Vec::with_capacity(folded.len() + 4);
    let mut position = 0;
    for (class, from, to) in runs(folded) {
        if class == CharClass::Japanese {
            let run = &folded[from..to];
            if run.len() == 1 {
                terms.push(term(run, from, position, false));
            } else {
                for (k, pair) in run.windows(2).enumerate() {
                    terms.push(term(pair, from + k, position + k, false));
                }
                let last = run.len() - 1;
                terms.push(term(&run[last..], from + last, position + last, true));
            }
            position += run.len();
        } else {
            if to - from <= MAX_TERM_CHARS {
                terms.push(term(&folded[from..to], from, position, false));
            }
            position += 1;
        }
    }
    terms
}

fn term(chars: &[char], from: usize, position: usize, run_tail: bool) -> Term {
    Term {
        text: chars.iter().collect(),
        from,
        to: from + chars.len(),
        position,
        run_tail,
    }
}

/// Word terms of normalised (not yet folded) characters: the segmenter reads
/// katakana as katakana, which it needs to find word edges; the words are folded
/// afterwards.
/// The content words of a text, in order, without repeats: the segmenter's words of
/// two or more characters that are not only hiragana (particles, endings) and not
/// only digits. At most `max`. What a "more like this" query searches for.
pub(crate) fn content_words(text: &str, max: usize) -> Vec<String> {
    let normal: String = normalize(text).chars.iter().collect();
    let mut words: Vec<String> = Vec::new();
    for word in tiniestsegmenter::tokenize(&normal) {
        let chars: Vec<char> = word.chars().collect();
        let hiragana = chars
            .iter()
            .all(|c| matches!(c, '\u{3041}'..='\u{309F}' | 'ー'));
        let digits = chars.iter().all(|c| c.is_ascii_digit());
        let content =
            chars.len() >= 2 && !hiragana && !digits && chars.iter().all(|c| c.is_alphanumeric());
        if content && !words.iter().any(|w| w == word) {
            words.push(word.to_owned());
            if words.len() == max {
                break;
            }
        }
    }
    words
}

pub(crate) fn word_terms(normal: &[char]) -> Vec<Term> {
    let mut terms = Vec::with_capacity(normal.len() / 2 + 4);
    let mut position = 0;
    let mut run_text = String::new();
    for (class, from, to) in runs(normal) {
        if class == CharClass::Japanese {
            run_text.clear();
            run_text.extend(&normal[from..to]);
            let mut at = from;
            for word in tiniestsegmenter::tokenize(&run_text) {
                let len = word.chars().count();
                if len > 0 && len <= MAX_TERM_CHARS {
                    terms.push(Term {
                        text: word.chars().map(fold_char).collect(),
                        from: at,
                        to: at + len,
                        position,
                        run_tail: false,
                    });
                    position += 1;
                }
                at += len;
            }
        } else {
            if to - from <= MAX_TERM_CHARS {
                terms.push(Term {
                    text: normal[from..to].iter().copied().map(fold_char).collect(),
                    from,
                    to,
                    position,
                    run_tail: false,
                });
            }
            position += 1;
        }
    }
    terms
}

/// Name under which [`BigramTokenizer`] is registered with tantivy.
pub(crate) const BIGRAM_TOKENIZER: &str = "renkei_ja_bigram";
/// Name under which [`WordTokenizer`] is registered with tantivy.
pub(crate) const WORD_TOKENIZER: &str = "renkei_ja_word";

/// The bigram view as a tantivy tokenizer.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct BigramTokenizer;

/// The word view as a tantivy tokenizer.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WordTokenizer;

impl Tokenizer for BigramTokenizer {
    type TokenStream<'a> = Terms;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Terms {
        let normal = normalize(text);
        let terms = bigram_terms(&normal.folded());
        Terms::new(terms, &normal)
    }
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = Terms;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Terms {
        let normal = normalize(text);
        let terms = word_terms(&normal.chars);
        Terms::new(terms, &normal)
    }
}

/// A finished list of terms handed to tantivy one by one.
#[derive(Debug)]
pub(crate) struct Terms {
    tokens: std::vec::IntoIter<Token>,
    current: Token,
}

impl Terms {
    fn new(terms: Vec<Term>, normal: &Normalized) -> Terms {
        let span = |from: usize, to: usize| {
            let start = normal.spans.get(from).map_or(0, |span| span.0);
            let end = to
                .checked_sub(1)
                .and_then(|last| normal.spans.get(last))
                .map_or(start, |span| span.1);
            (start, end.max(start))
        };
        let tokens: Vec<Token> = terms
            .into_iter()
            .map(|term| {
                let (offset_from, offset_to) = span(term.from, term.to);
                Token {
                    offset_from,
                    offset_to,
                    position: term.position,
                    text: term.text,
                    position_length: 1,
                }
            })
            .collect();
        Terms {
            tokens: tokens.into_iter(),
            current: Token::default(),
        }
    }
}

impl TokenStream for Terms {
    fn advance(&mut self) -> bool {
        match self.tokens.next() {
            Some(token) => {
                self.current = token;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(terms: &[Term]) -> Vec<&str> {
        terms.iter().map(|term| term.text.as_str()).collect()
    }

    fn bigrams(text: &str) -> Vec<String> {
        bigram_terms(&normalize(text).folded())
            .into_iter()
            .map(|term| format!("{}@{}", term.text, term.position))
            .collect()
    }

    #[test]
    fn normalizing_in_pieces_equals_normalizing_whole() {
        for text in [
            "ｾﾝﾊﾞﾝ加工 ﾊﾟｰﾂ",
            "ＩＳＯ９００１　認証",
            "㈱川口精密　（有）墨田",
            "カ\u{3099}ラス e\u{301}cole",
            "  前後の空白  ",
            "①②③ Ⅻ ㌔",
            "",
        ] {
            let whole: String = text.nfkc().collect();
            let mut expected = String::new();
            for word in whole.split_whitespace() {
                if !expected.is_empty() {
                    expected.push(' ');
                }
                expected.push_str(word);
            }
            let pieces: String = normalize(text).chars.iter().collect();
            assert_eq!(pieces, expected, "{text}");
        }
    }

    #[test]
    fn spans_point_back_into_the_source() {
        let text = "ＩＳＯ ｾﾝﾊﾞﾝ";
        let normal = normalize(text);
        assert_eq!(normal.chars.iter().collect::<String>(), "ISO センバン");
        assert_eq!(&text[normal.spans[0].0..normal.spans[0].1], "Ｉ");
        // Half-width kana with voicing marks map to the whole piece.
        let (start, end) = normal.spans[4];
        assert!(text[start..end].contains("ﾊﾞ"));
    }

    #[test]
    fn japanese_runs_become_bigrams_and_a_lone_tail() {
        assert_eq!(bigrams("精密切削"), ["精密@0", "密切@1", "切削@2", "削@3"]);
        assert_eq!(bigrams("溶"), ["溶@0"]);
        assert_eq!(bigrams("第3工場"), ["第@0", "3@1", "工場@2", "場@3"]);
    }

    #[test]
    fn latin_words_split_where_letters_meet_digits() {
        assert_eq!(bigrams("ISO9001"), ["iso@0", "9001@1"]);
        assert_eq!(bigrams("iso 9001"), ["iso@0", "9001@1"]);
        assert_eq!(bigrams("ＩＳＯ９００１"), ["iso@0", "9001@1"]);
        assert_eq!(bigrams("i-MONO、(AND)"), ["i@0", "mono@1", "and@2"]);
    }

    #[test]
    fn katakana_and_hiragana_give_the_same_bigrams() {
        assert_eq!(bigrams("ｾﾝﾊﾞﾝ"), bigrams("せんばん"));
        assert_eq!(bigrams("センバン"), bigrams("せんばん"));
    }

    #[test]
    fn words_are_segmented_then_folded() {
        let normal = normalize("アルミニウムの精密切削加工を行う");
        let words = word_terms(&normal.chars);
        let words = texts(&words);
        assert!(words.contains(&"あるみにうむ"), "{words:?}");
        assert!(words.contains(&"の"), "{words:?}");
        let normal = normalize("ISO9001取得");
        assert_eq!(texts(&word_terms(&normal.chars))[..2], ["iso", "9001"]);
    }

    #[test]
    fn overlong_terms_are_left_out_but_keep_their_position() {
        let long = "a".repeat(MAX_TERM_CHARS + 1);
        assert_eq!(bigrams(&format!("{long} iso")), ["iso@1"]);
    }

    #[test]
    fn tokenizers_report_offsets_in_the_source_text() {
        let text = "精密 ＩＳＯ";
        let mut stream = BigramTokenizer.token_stream(text);
        let mut seen = Vec::new();
        while let Some(token) = stream.next() {
            seen.push((
                token.text.clone(),
                &text[token.offset_from..token.offset_to],
            ));
        }
        assert_eq!(
            seen,
            [
                ("精密".to_owned(), "精密"),
                ("密".to_owned(), "密"),
                ("iso".to_owned(), "ＩＳＯ")
            ]
        );
    }
}
