//! Marking the query terms in a title or a passage of a body.
//!
//! Matching is done on folded text with punctuation and spaces left out (so ｾﾝﾊﾞﾝ is
//! marked for せんばん, and "ISO 9001" for iso9001), and the marks point back into the
//! original text. Typo matches are not marked.

use std::ops::Range;

use serde::Serialize;

use crate::text::{CharClass, char_class, normalize};

/// Text with marked ranges, ready for a template: the caller escapes the text
/// and wraps each marked range (e.g. in `<mark>`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Highlighted {
    /// The text (original spelling; a passage may start or end with "…").
    pub text: String,
    /// Byte ranges of `text` to mark: sorted, not overlapping, on character
    /// boundaries.
    pub marks: Vec<Range<usize>>,
}

impl Highlighted {
    /// The text cut into pieces, each with whether it is marked; the pieces joined
    /// give the text back.
    pub fn segments(&self) -> Vec<(&str, bool)> {
        let mut pieces = Vec::with_capacity(self.marks.len() * 2 + 1);
        let mut at = 0;
        for mark in &self.marks {
            let (Some(before), Some(marked)) =
                (self.text.get(at..mark.start), self.text.get(mark.clone()))
            else {
                continue;
            };
            if !before.is_empty() {
                pieces.push((before, false));
            }
            pieces.push((marked, true));
            at = mark.end;
        }
        if let Some(rest) = self.text.get(at..)
            && !rest.is_empty()
        {
            pieces.push((rest, false));
        }
        pieces
    }

    /// HTML with the text escaped and marks as `<mark>…</mark>`.
    pub fn to_html(&self) -> String {
        let mut html = String::with_capacity(self.text.len() + self.marks.len() * 13);
        for (piece, marked) in self.segments() {
            if marked {
                html.push_str("<mark>");
            }
            for c in piece.chars() {
                match c {
                    '&' => html.push_str("&amp;"),
                    '<' => html.push_str("&lt;"),
                    '>' => html.push_str("&gt;"),
                    '"' => html.push_str("&quot;"),
                    '\'' => html.push_str("&#39;"),
                    _ => html.push(c),
                }
            }
            if marked {
                html.push_str("</mark>");
            }
        }
        html
    }
}

/// Byte ranges of `text` where one of the folded `terms` occurs.
pub(crate) fn find_marks(text: &str, terms: &[Vec<char>]) -> Vec<Range<usize>> {
    let normal = normalize(text);
    let folded = normal.folded();
    let kept: Vec<usize> = (0..folded.len())
        .filter(|&i| char_class(folded[i]) != CharClass::Separator)
        .collect();
    let compact: Vec<char> = kept.iter().map(|&i| folded[i]).collect();
    let mut marks: Vec<Range<usize>> = Vec::new();
    for term in terms {
        let needle: Vec<char> = term
            .iter()
            .copied()
            .filter(|c| char_class(*c) != CharClass::Separator)
            .collect();
        if needle.is_empty() || needle.len() > compact.len() {
            continue;
        }
        for start in 0..=compact.len() - needle.len() {
            if compact[start..start + needle.len()] == needle[..] {
                let first = normal.spans[kept[start]];
                let last = normal.spans[kept[start + needle.len() - 1]];
                marks.push(first.0..last.1.max(first.0));
            }
        }
    }
    marks.sort_by_key(|mark| (mark.start, mark.end));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(marks.len());
    for mark in marks {
        match merged.last_mut() {
            Some(previous) if mark.start <= previous.end => {
                previous.end = previous.end.max(mark.end);
            }
            _ => merged.push(mark),
        }
    }
    merged
}

/// The whole text with the terms marked.
pub(crate) fn highlight(text: &str, terms: &[Vec<char>]) -> Highlighted {
    Highlighted {
        text: text.to_owned(),
        marks: find_marks(text, terms),
    }
}

/// Characters of a passage.
const PASSAGE_CHARS: usize = 120;
/// Characters shown before the first match.
const LEAD_CHARS: usize = 30;
const ELLIPSIS: &str = "…";

/// A passage of `body` around the first match (or its beginning), terms marked.
pub(crate) fn snippet(body: &str, terms: &[Vec<char>]) -> Option<Highlighted> {
    if body.trim().is_empty() {
        return None;
    }
    let marks = find_marks(body, terms);
    let boundaries: Vec<usize> = body
        .char_indices()
        .map(|(at, _)| at)
        .chain([body.len()])
        .collect();
    let char_at = |byte: usize| boundaries.partition_point(|&b| b < byte);
    let (first_char, last_char) = match marks.first() {
        Some(mark) => {
            let first = char_at(mark.start).saturating_sub(LEAD_CHARS);
            let last = (first + PASSAGE_CHARS).max(char_at(mark.end));
            (first, last)
        }
        None => (0, PASSAGE_CHARS),
    };
    let last_char = last_char.min(boundaries.len() - 1);
    let (start, end) = (boundaries[first_char], boundaries[last_char]);

    let mut text = String::with_capacity(end - start + 2 * ELLIPSIS.len());
    if start > 0 {
        text.push_str(ELLIPSIS);
    }
    let shift = text.len();
    text.push_str(body.get(start..end)?);
    if end < body.len() {
        text.push_str(ELLIPSIS);
    }
    let marks = marks
        .into_iter()
        .filter(|mark| mark.start >= start && mark.end <= end)
        .map(|mark| mark.start - start + shift..mark.end - start + shift)
        .collect();
    Some(Highlighted { text, marks })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(terms: &[&str]) -> Vec<Vec<char>> {
        terms.iter().map(|term| term.chars().collect()).collect()
    }

    fn marked(highlighted: &Highlighted) -> Vec<&str> {
        highlighted
            .segments()
            .into_iter()
            .filter(|(_, marked)| *marked)
            .map(|(piece, _)| piece)
            .collect()
    }

    #[test]
    fn marks_point_at_the_original_spelling() {
        let title = highlight("ｾﾝﾊﾞﾝ加工の川口精密", &terms(&["せんばん", "川口"]));
        assert_eq!(marked(&title), ["ｾﾝﾊﾞﾝ", "川口"]);
        let title = highlight("ISO 9001 取得", &terms(&["iso9001"]));
        assert_eq!(marked(&title), ["ISO 9001"]);
    }

    #[test]
    fn overlapping_marks_merge() {
        let title = highlight("精密切削加工", &terms(&["切削", "削加", "精密"]));
        assert_eq!(marked(&title), ["精密切削加"]);
    }

    #[test]
    fn html_is_escaped_and_marked() {
        let title = highlight("<b>切削</b> & 研削", &terms(&["切削"]));
        assert_eq!(
            title.to_html(),
            "&lt;b&gt;<mark>切削</mark>&lt;/b&gt; &amp; 研削"
        );
    }

    #[test]
    fn a_passage_starts_shortly_before_the_first_match() {
        let body = format!("{}溶接の技術{}", "あ".repeat(200), "い".repeat(200));
        let passage = snippet(&body, &terms(&["溶接"])).unwrap_or_default();
        assert!(passage.text.starts_with(ELLIPSIS));
        assert!(passage.text.ends_with(ELLIPSIS));
        assert_eq!(passage.text.chars().count(), PASSAGE_CHARS + 2);
        assert_eq!(marked(&passage), ["溶接"]);
        let start = passage.text.find("溶接").unwrap_or_default();
        assert_eq!(passage.text[..start].chars().count(), LEAD_CHARS + 1);
    }

    #[test]
    fn a_body_without_a_match_shows_its_beginning() {
        let passage = snippet("短い説明", &terms(&["溶接"])).unwrap_or_default();
        assert_eq!(passage.text, "短い説明");
        assert!(passage.marks.is_empty());
        assert_eq!(snippet("  ", &terms(&["溶接"])), None);
    }
}
