//! Eligibility rules of a call: who may apply. 尼崎市's 100年企業表彰 asks for a
//! company founded at least 100 years before the award year; subsidies ask for a
//! company in given cities and of given sizes. Every rule an applicant fails is
//! reported, in Japanese, so that the refusal says exactly why.

use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::directory::SizeBand;

/// A city as a rule names it: the key the directory uses and the name people read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CityRef {
    pub key: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum EligibilityRule {
    /// Founded at least `years` before the award year: founded_year ≤ award_year − years.
    FoundedYearsBefore { years: i32 },
    /// Located in one of these cities.
    CityIn { cities: Vec<CityRef> },
    /// Of one of these size bands (codes of [`SizeBand`]).
    SizeIn { sizes: Vec<String> },
}

/// What the rules look at, taken from the applicant company's directory record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applicant {
    pub founded_year: Option<i32>,
    /// The city's key.
    pub city: Option<String>,
    pub size: Option<SizeBand>,
}

/// All rules of one call; an applicant must pass every one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eligibility {
    pub rules: Vec<EligibilityRule>,
}

impl Eligibility {
    /// Checks the rules as staff wrote them.
    pub fn validate(&self) -> Result<(), Vec<Invalid>> {
        let mut errors = Vec::new();
        for rule in &self.rules {
            match rule {
                EligibilityRule::FoundedYearsBefore { years } if !(1..=1000).contains(years) => {
                    errors.push(Invalid::new(
                        "eligibility",
                        "創業からの年数は1〜1000年で指定してください。",
                    ));
                }
                EligibilityRule::CityIn { cities } if cities.is_empty() => errors.push(
                    Invalid::new("eligibility", "対象の市を1つ以上指定してください。"),
                ),
                EligibilityRule::SizeIn { sizes } => {
                    if sizes.is_empty() {
                        errors.push(Invalid::new(
                            "eligibility",
                            "対象の企業規模を1つ以上指定してください。",
                        ));
                    }
                    for size in sizes.iter().filter(|s| SizeBand::parse(s).is_none()) {
                        errors.push(Invalid::new(
                            "eligibility",
                            format!("企業規模「{size}」は micro・small・large のいずれかです。"),
                        ));
                    }
                }
                _ => {}
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Whether `applicant` may apply to the call of `award_year`; every failed rule
    /// is listed. Missing facts (no founding year on record) fail the rule that
    /// needs them, saying what to add.
    pub fn check(&self, applicant: &Applicant, award_year: i32) -> Result<(), Vec<Invalid>> {
        let mut errors = Vec::new();
        for rule in &self.rules {
            match rule {
                EligibilityRule::FoundedYearsBefore { years } => {
                    let latest = award_year.saturating_sub(*years);
                    match applicant.founded_year {
                        None => errors.push(Invalid::new(
                            "founded_year",
                            "創業年が登録されていません。企業情報に創業年を登録してください。",
                        )),
                        Some(founded) if founded > latest => errors.push(Invalid::new(
                            "founded_year",
                            format!(
                                "{award_year}年の表彰は{latest}年以前に創業した企業が対象です（創業{founded}年、{}年）。",
                                award_year.saturating_sub(founded)
                            ),
                        )),
                        Some(_) => {}
                    }
                }
                EligibilityRule::CityIn { cities } => {
                    let inside = applicant
                        .city
                        .as_ref()
                        .is_some_and(|city| cities.iter().any(|c| &c.key == city));
                    if !inside {
                        let names: Vec<&str> = cities.iter().map(|c| c.name.as_str()).collect();
                        errors.push(Invalid::new(
                            "city",
                            format!("{}に所在する企業が対象です。", names.join("・")),
                        ));
                    }
                }
                EligibilityRule::SizeIn { sizes } => {
                    let fits = applicant
                        .size
                        .is_some_and(|size| sizes.iter().any(|s| s == size.code()));
                    if !fits {
                        let labels: Vec<&str> = sizes
                            .iter()
                            .filter_map(|s| SizeBand::parse(s))
                            .map(SizeBand::label)
                            .collect();
                        errors.push(Invalid::new(
                            "size",
                            format!("対象の企業規模は{}です。", labels.join("・")),
                        ));
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hundred_year_award() -> Eligibility {
        Eligibility {
            rules: vec![
                EligibilityRule::FoundedYearsBefore { years: 100 },
                EligibilityRule::CityIn {
                    cities: vec![CityRef {
                        key: "amagasaki".into(),
                        name: "尼崎市".into(),
                    }],
                },
            ],
        }
    }

    fn company(founded: i32) -> Applicant {
        Applicant {
            founded_year: Some(founded),
            city: Some("amagasaki".into()),
            size: Some(SizeBand::Small),
        }
    }

    #[test]
    fn a_company_founded_in_1910_may_apply_and_one_founded_in_1950_may_not() {
        let rules = hundred_year_award();
        assert_eq!(rules.check(&company(1910), 2025), Ok(()));
        let refusal = rules.check(&company(1950), 2025).expect_err("too young");
        assert_eq!(
            refusal[0].reason,
            "2025年の表彰は1925年以前に創業した企業が対象です（創業1950年、75年）。"
        );
    }

    #[test]
    fn the_founding_rule_is_inclusive_at_exactly_one_hundred_years() {
        let rules = hundred_year_award();
        for award_year in 1900..2100 {
            let boundary = award_year - 100;
            assert!(rules.check(&company(boundary), award_year).is_ok());
            assert!(rules.check(&company(boundary - 1), award_year).is_ok());
            assert!(rules.check(&company(boundary + 1), award_year).is_err());
        }
    }

    #[test]
    fn every_failed_rule_is_reported() {
        let rules = Eligibility {
            rules: vec![
                EligibilityRule::FoundedYearsBefore { years: 100 },
                EligibilityRule::CityIn {
                    cities: vec![
                        CityRef {
                            key: "okaya".into(),
                            name: "岡谷市".into(),
                        },
                        CityRef {
                            key: "kawaguchi".into(),
                            name: "川口市".into(),
                        },
                    ],
                },
                EligibilityRule::SizeIn {
                    sizes: vec!["micro".into(), "small".into()],
                },
            ],
        };
        let applicant = Applicant {
            founded_year: None,
            city: Some("amagasaki".into()),
            size: Some(SizeBand::Large),
        };
        let reasons: Vec<String> = rules
            .check(&applicant, 2025)
            .expect_err("refused")
            .into_iter()
            .map(|e| e.to_string())
            .collect();
        expect_test::expect![[r#"
            [
                "founded_year: 創業年が登録されていません。企業情報に創業年を登録してください。",
                "city: 岡谷市・川口市に所在する企業が対象です。",
                "size: 対象の企業規模は小規模（20人以下）・中小（21〜300人）です。",
            ]
        "#]]
        .assert_debug_eq(&reasons);
        assert_eq!(Applicant::default().founded_year, None);
    }

    #[test]
    fn extreme_years_never_overflow() {
        let rules = hundred_year_award();
        assert!(rules.check(&company(i32::MAX), i32::MIN).is_err());
        assert!(rules.check(&company(i32::MIN), i32::MAX).is_ok());
    }

    #[test]
    fn badly_written_rules_are_refused() {
        let rules = Eligibility {
            rules: vec![
                EligibilityRule::FoundedYearsBefore { years: 0 },
                EligibilityRule::CityIn { cities: vec![] },
                EligibilityRule::SizeIn {
                    sizes: vec!["huge".into()],
                },
            ],
        };
        assert_eq!(rules.validate().expect_err("refused").len(), 3);
        assert_eq!(hundred_year_award().validate(), Ok(()));
    }

    #[test]
    fn rules_round_trip_through_json() {
        let json = serde_json::to_string(&hundred_year_award()).expect("serialises");
        assert!(json.contains(r#""rule":"founded_years_before""#), "{json}");
        let back: Eligibility = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, hundred_year_award());
    }
}
