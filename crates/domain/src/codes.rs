//! The two public identifiers the platform keys records by: the 法人番号 of a company
//! (National Tax Agency) and the 全国地方公共団体コード of a city (Ministry of Internal
//! Affairs). Both carry a check digit; a typo is caught before anything is stored.

use crate::Invalid;

fn ascii_digits(field: &str, label: &str, input: &str) -> Result<Vec<u32>, Invalid> {
    let narrowed = crate::text::narrow_ascii(input);
    let compact: String = narrowed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | 'ー' | '‐'))
        .collect();
    compact
        .chars()
        .map(|c| c.to_digit(10))
        .collect::<Option<Vec<u32>>>()
        .ok_or_else(|| {
            Invalid::new(
                field,
                format!("{label}は数字で入力してください（「{input}」）。"),
            )
        })
}

/// A 法人番号: thirteen digits, the first a check digit over the other twelve.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CorporateNumber(String);

impl CorporateNumber {
    /// The NTA rule: with Pn the n-th digit of the 12-digit base counted from the
    /// right and Qn = 1 for odd n, 2 for even n, check = 9 − (Σ Pn·Qn mod 9).
    pub fn check_digit(base: &[u32; 12]) -> u32 {
        let sum: u32 = base
            .iter()
            .rev()
            .enumerate()
            .map(|(i, digit)| digit * if i % 2 == 0 { 1 } else { 2 })
            .sum();
        9 - sum % 9
    }

    pub fn parse(input: &str) -> Result<CorporateNumber, Invalid> {
        const FIELD: &str = "corporate_number";
        let digits = ascii_digits(FIELD, "法人番号", input)?;
        if digits.len() != 13 {
            return Err(Invalid::new(
                FIELD,
                format!("法人番号は13桁です（入力は{}桁）。", digits.len()),
            ));
        }
        let mut base = [0u32; 12];
        base.copy_from_slice(&digits[1..]);
        let expected = Self::check_digit(&base);
        if digits[0] != expected {
            return Err(Invalid::new(
                FIELD,
                "法人番号のチェックディジット（先頭の1桁）が一致しません。番号を確かめてください。",
            ));
        }
        Ok(CorporateNumber(
            digits.iter().map(|d| d.to_string()).collect(),
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CorporateNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A 全国地方公共団体コード: five digits (prefecture and municipality) and a check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalGovCode(String);

impl LocalGovCode {
    /// The MIC rule: weights 6,5,4,3,2 over the five digits; the check digit is the
    /// last digit of 11 − (sum mod 11).
    pub fn check_digit(base: &[u32; 5]) -> u32 {
        let sum: u32 = base.iter().zip([6, 5, 4, 3, 2]).map(|(d, w)| d * w).sum();
        (11 - sum % 11) % 10
    }

    /// Accepts the six-digit code, or the five-digit code to which it adds the check digit.
    pub fn parse(input: &str) -> Result<LocalGovCode, Invalid> {
        const FIELD: &str = "local_gov_code";
        let digits = ascii_digits(FIELD, "地方公共団体コード", input)?;
        if digits.len() != 5 && digits.len() != 6 {
            return Err(Invalid::new(
                FIELD,
                format!(
                    "地方公共団体コードは6桁（検査数字を含む）です（入力は{}桁）。",
                    digits.len()
                ),
            ));
        }
        let mut base = [0u32; 5];
        base.copy_from_slice(&digits[..5]);
        let check = Self::check_digit(&base);
        if digits.len() == 6 && digits[5] != check {
            return Err(Invalid::new(
                FIELD,
                "地方公共団体コードの検査数字（6桁目）が一致しません。",
            ));
        }
        let code: String = base.iter().map(|d| d.to_string()).collect();
        Ok(LocalGovCode(format!("{code}{check}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The prefecture part (JIS X 0401), e.g. 11 for 埼玉県.
    pub fn prefecture_code(&self) -> &str {
        &self.0[..2]
    }
}

impl std::fmt::Display for LocalGovCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nta_own_corporate_number_is_valid() {
        // 国税庁's own 法人番号.
        assert_eq!(
            CorporateNumber::parse("7000012050002").unwrap().as_str(),
            "7000012050002"
        );
    }

    #[test]
    fn corporate_numbers_with_full_width_digits_and_hyphens_are_read() {
        assert_eq!(
            CorporateNumber::parse("７-0000-1205-0002")
                .unwrap()
                .as_str(),
            "7000012050002"
        );
    }

    #[test]
    fn a_corporate_number_with_a_wrong_check_digit_is_refused() {
        let error = CorporateNumber::parse("1000012050002").unwrap_err();
        assert_eq!(error.field, "corporate_number");
        assert!(error.reason.contains("チェックディジット"));
    }

    #[test]
    fn a_corporate_number_of_the_wrong_length_or_with_letters_is_refused() {
        assert!(
            CorporateNumber::parse("700001205000")
                .unwrap_err()
                .reason
                .contains("12桁")
        );
        assert!(CorporateNumber::parse("70000120500A2").is_err());
        assert!(CorporateNumber::parse("").is_err());
    }

    #[test]
    fn every_check_digit_from_one_to_nine_occurs() {
        let mut seen = std::collections::BTreeSet::new();
        for n in 0..100u32 {
            let mut base = [0u32; 12];
            base[11] = n % 10;
            base[10] = n / 10;
            seen.insert(CorporateNumber::check_digit(&base));
        }
        assert_eq!(
            seen.into_iter().collect::<Vec<_>>(),
            (1..=9).collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_seven_cities_codes_carry_valid_check_digits() {
        for code in [
            "112038", "131075", "131113", "202045", "172065", "272272", "282022",
        ] {
            assert_eq!(LocalGovCode::parse(code).unwrap().as_str(), code);
        }
    }

    #[test]
    fn a_five_digit_local_gov_code_gets_its_check_digit() {
        assert_eq!(LocalGovCode::parse("13111").unwrap().as_str(), "131113");
        assert_eq!(
            LocalGovCode::parse("13111").unwrap().prefecture_code(),
            "13"
        );
    }

    #[test]
    fn a_local_gov_code_with_a_wrong_check_digit_is_refused() {
        assert!(
            LocalGovCode::parse("131110")
                .unwrap_err()
                .reason
                .contains("検査数字")
        );
        assert!(LocalGovCode::parse("1311").is_err());
    }
}
