//! Normalisation of typed text: people paste full-width digits (１２３), ideographic
//! spaces and thousands separators from Excel; the rules accept what they mean.

use crate::Invalid;

/// Converts full-width ASCII (！ to ～) to half-width and the ideographic space to a
/// space; everything else is kept. Enough for digits, codes and numbers.
pub fn narrow_ascii(input: &str) -> String {
    input
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

/// A required single-line text of at most `max` characters, trimmed.
pub fn required_line(field: &str, input: &str, max: usize) -> Result<String, Invalid> {
    let value = input.trim();
    if value.is_empty() {
        return Err(Invalid::new(field, "入力してください。"));
    }
    bounded(field, value, max)
}

/// An optional text of at most `max` characters, trimmed; empty stays empty.
pub fn optional_text(field: &str, input: &str, max: usize) -> Result<String, Invalid> {
    bounded(field, input.trim(), max)
}

fn bounded(field: &str, value: &str, max: usize) -> Result<String, Invalid> {
    let length = value.chars().count();
    if length > max {
        return Err(Invalid::new(
            field,
            format!("{max}文字以内で入力してください（現在{length}文字）。"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(Invalid::new(
            field,
            "使用できない制御文字が含まれています。",
        ));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_digits_and_ideographic_space_become_ascii() {
        assert_eq!(narrow_ascii("１２３　ＡＢＣ－"), "123 ABC-");
    }

    #[test]
    fn an_over_long_title_is_refused_with_its_length() {
        let long = "あ".repeat(201);
        let error = required_line("title", &long, 200).unwrap_err();
        assert_eq!(error.field, "title");
        assert!(error.reason.contains("200文字以内"), "{}", error.reason);
        assert!(error.reason.contains("201文字"), "{}", error.reason);
    }

    #[test]
    fn a_blank_required_line_is_refused() {
        assert!(required_line("title", " \u{3000} ".trim(), 10).is_err());
        assert!(required_line("title", "  ", 10).is_err());
    }
}
