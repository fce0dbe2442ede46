//! Reading what people type in a company list: numbers with units and separators,
//! years in 西暦 or 和暦, yes/no, lists separated by 、 ; /, JSIC codes.
//! Each reader returns `None` for what it cannot read; the caller keeps the raw text.

use domain::Era;

fn narrowed(input: &str) -> String {
    domain::text::narrow_ascii(input).trim().to_owned()
}

/// "1,234", "約50人", "50名", "１２" → a count.
pub(crate) fn count(input: &str) -> Option<u32> {
    let text = narrowed(input).replace([',', ' '], "");
    let text = text.trim_start_matches('約');
    let text = ["人程度", "人", "名", "程度"]
        .iter()
        .fold(text, |t, suffix| t.strip_suffix(suffix).unwrap_or(t));
    text.parse().ok()
}

/// "58", "58歳", "５８才" → an age between 15 and 120.
pub(crate) fn age(input: &str) -> Option<u8> {
    let text = narrowed(input);
    let text = text.trim_end_matches(['歳', '才']);
    text.parse::<u8>().ok().filter(|a| (15..=120).contains(a))
}

/// "1965", "1965年4月", "1965-04-01", "昭和40年", "S40", "平成元年" → 1965, …
pub(crate) fn year(input: &str) -> Option<i32> {
    let text = narrowed(input);
    let upper = text.to_uppercase();
    let eras = [
        (Era::Reiwa, ["令和", "R"]),
        (Era::Heisei, ["平成", "H"]),
        (Era::Showa, ["昭和", "S"]),
        (Era::Taisho, ["大正", "T"]),
        (Era::Meiji, ["明治", "M"]),
    ];
    for (era, prefixes) in eras {
        for prefix in prefixes {
            if let Some(rest) = upper.strip_prefix(prefix) {
                let era_year = if rest.starts_with('元') {
                    1
                } else {
                    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    digits
                        .parse::<i32>()
                        .ok()
                        .filter(|y| (1..=64).contains(y))?
                };
                return Some(chrono::Datelike::year(&era.first_day()) + era_year - 1);
            }
        }
    }
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() == 4 {
        digits
            .parse::<i32>()
            .ok()
            .filter(|y| (1600..=2100).contains(y))
    } else {
        None
    }
}

/// 公開 / 非公開 and their many spellings.
pub(crate) fn yes_no(input: &str) -> Option<bool> {
    let text = narrowed(input).to_lowercase();
    match text.as_str() {
        "公開" | "可" | "はい" | "yes" | "y" | "true" | "1" | "○" | "◯" | "〇" | "する" | "ok" => {
            Some(true)
        }
        "非公開" | "不可" | "いいえ" | "no" | "n" | "false" | "0" | "×" | "✕" | "-" | "しない" => {
            Some(false)
        }
        _ => None,
    }
}

/// Splits "切削、研削;溶接／塗装" into its items. `・` is not a separator: it also
/// joins words inside one item (ワイヤー・カット).
pub(crate) fn items(input: &str) -> Vec<String> {
    input
        .split(['、', ',', '，', ';', '；', '/', '／', '\n', '\r'])
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A JSIC (日本標準産業分類) code at the start of the text: a division letter A–T,
/// and/or a 2–4 digit class ("E", "E2592", "2592 金属加工機械用部分品製造業").
pub(crate) fn jsic_code(input: &str) -> Option<String> {
    let text = narrowed(input);
    let token: String = text
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_uppercase();
    let (letter, digits) = match token.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => (Some(c), &token[1..]),
        _ => (None, token.as_str()),
    };
    let letter_ok = letter.is_none_or(|c| ('A'..='T').contains(&c));
    let digits_ok = digits.bytes().all(|b| b.is_ascii_digit())
        && (digits.is_empty() && letter.is_some() || (2..=4).contains(&digits.len()));
    (letter_ok && digits_ok && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_accept_units_separators_and_full_width_digits() {
        assert_eq!(count("1,234"), Some(1234));
        assert_eq!(count("約50人"), Some(50));
        assert_eq!(count("１２名"), Some(12));
        assert_eq!(count("50~100"), None);
        assert_eq!(count("多数"), None);
    }

    #[test]
    fn years_in_western_and_japanese_eras() {
        assert_eq!(year("1965"), Some(1965));
        assert_eq!(year("1965年4月"), Some(1965));
        assert_eq!(year("1965-04-01"), Some(1965));
        assert_eq!(year("昭和40年"), Some(1965));
        assert_eq!(year("S40"), Some(1965));
        assert_eq!(year("平成元年"), Some(1989));
        assert_eq!(year("令和2年"), Some(2020));
        assert_eq!(year("大正10年"), Some(1921));
        assert_eq!(year("６５年"), None);
        assert_eq!(year("昭和"), None);
    }

    #[test]
    fn ages_in_a_plausible_range() {
        assert_eq!(age("58"), Some(58));
        assert_eq!(age("６２歳"), Some(62));
        assert_eq!(age("300"), None);
        assert_eq!(age("5"), None);
    }

    #[test]
    fn yes_and_no() {
        assert_eq!(yes_no("公開"), Some(true));
        assert_eq!(yes_no("○"), Some(true));
        assert_eq!(yes_no("非公開"), Some(false));
        assert_eq!(yes_no("NO"), Some(false));
        assert_eq!(yes_no("たぶん"), None);
    }

    #[test]
    fn list_items_split_on_the_usual_separators() {
        assert_eq!(
            items("切削、研削;溶接／塗装 / ワイヤー・カット"),
            ["切削", "研削", "溶接", "塗装", "ワイヤー・カット"]
        );
        assert!(items(" 、 ").is_empty());
    }

    #[test]
    fn jsic_codes_at_the_start() {
        assert_eq!(jsic_code("E2592").as_deref(), Some("E2592"));
        assert_eq!(
            jsic_code("2592 金属加工機械用部分品").as_deref(),
            Some("2592")
        );
        assert_eq!(jsic_code("e").as_deref(), Some("E"));
        assert_eq!(jsic_code("Ｅ２４"), Some("E24".to_owned()));
        assert_eq!(jsic_code("製造業"), None);
        assert_eq!(jsic_code("Z12"), None);
        assert_eq!(jsic_code("12345"), None);
        assert_eq!(jsic_code("2"), None);
    }
}
