//! Japanese fiscal years (年度, April 1 to March 31) and era names (和暦).
//!
//! A fiscal year is named by the Western year in which it starts: FY2016 runs from
//! 2016-04-01 to 2017-03-31 and is 平成28年度. An era's first year is 元年, and a
//! fiscal year takes the era in force at the end of its first calendar year, which is
//! how ministries name them: FY2019 is 令和元年度 although 令和 began on 2019-05-01.

use chrono::{Datelike, NaiveDate};

use crate::Invalid;

/// The Japanese eras since the Meiji restoration, with their first day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    Meiji,
    Taisho,
    Showa,
    Heisei,
    Reiwa,
}

impl Era {
    const ALL_NEWEST_FIRST: [Era; 5] =
        [Era::Reiwa, Era::Heisei, Era::Showa, Era::Taisho, Era::Meiji];

    pub fn name(self) -> &'static str {
        match self {
            Era::Meiji => "明治",
            Era::Taisho => "大正",
            Era::Showa => "昭和",
            Era::Heisei => "平成",
            Era::Reiwa => "令和",
        }
    }

    /// The first day of the era (the day of the 改元).
    pub fn first_day(self) -> NaiveDate {
        let (y, m, d) = match self {
            Era::Meiji => (1868, 10, 23),
            Era::Taisho => (1912, 7, 30),
            Era::Showa => (1926, 12, 25),
            Era::Heisei => (1989, 1, 8),
            Era::Reiwa => (2019, 5, 1),
        };
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
    }

    /// The era in force on `date`, if the date is not before Meiji.
    pub fn on(date: NaiveDate) -> Option<Era> {
        Era::ALL_NEWEST_FIRST
            .into_iter()
            .find(|era| date >= era.first_day())
    }
}

/// A year in a Japanese era: 令和元年, 平成28年.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wareki {
    pub era: Era,
    /// 1 for 元年.
    pub year: i32,
}

impl Wareki {
    /// The era year of a date.
    pub fn of_date(date: NaiveDate) -> Option<Wareki> {
        let era = Era::on(date)?;
        Some(Wareki {
            era,
            year: date.year() - era.first_day().year() + 1,
        })
    }

    /// "平成28年", "令和元年".
    pub fn label(self) -> String {
        if self.year == 1 {
            format!("{}元年", self.era.name())
        } else {
            format!("{}{}年", self.era.name(), self.year)
        }
    }
}

/// A Japanese fiscal year (年度), named by the Western year it starts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FiscalYear(i32);

impl FiscalYear {
    /// The range the catalogue accepts: from 平成元年度 to the end of this century.
    pub const FIRST: i32 = 1989;
    pub const LAST: i32 = 2099;

    pub fn new(year: i32) -> Result<FiscalYear, Invalid> {
        if (Self::FIRST..=Self::LAST).contains(&year) {
            Ok(FiscalYear(year))
        } else {
            Err(Invalid::new(
                "fy",
                format!(
                    "年度は{}〜{}年度の範囲で指定してください（{year}年度は範囲外です）。",
                    Self::FIRST,
                    Self::LAST
                ),
            ))
        }
    }

    /// Parses what people type for a fiscal year: "2016", "２０１６", "FY2016",
    /// "2016年度", "平成28年度", "H28", "令和元年度", "R1".
    pub fn parse(input: &str) -> Result<FiscalYear, Invalid> {
        let text = crate::text::narrow_ascii(input);
        let text = text.trim().trim_end_matches("年度").trim_end_matches('年');
        let refuse = || {
            Invalid::new(
                "fy",
                format!(
                    "年度を「2016」「平成28年度」のように入力してください（「{input}」は読めません）。"
                ),
            )
        };
        let upper = text.to_uppercase();
        let western = upper.strip_prefix("FY").unwrap_or(&upper);
        if let Ok(year) = western.parse::<i32>() {
            return FiscalYear::new(year);
        }
        let eras = [
            (Era::Reiwa, ["令和", "R"]),
            (Era::Heisei, ["平成", "H"]),
            (Era::Showa, ["昭和", "S"]),
        ];
        for (era, prefixes) in eras {
            for prefix in prefixes {
                if let Some(rest) = upper.strip_prefix(prefix) {
                    let era_year = if rest == "元" {
                        1
                    } else {
                        rest.parse::<i32>().map_err(|_| refuse())?
                    };
                    if era_year < 1 {
                        return Err(refuse());
                    }
                    return FiscalYear::new(era.first_day().year() + era_year - 1);
                }
            }
        }
        Err(refuse())
    }

    /// The fiscal year a date falls in.
    pub fn containing(date: NaiveDate) -> FiscalYear {
        if date.month() >= 4 {
            FiscalYear(date.year())
        } else {
            FiscalYear(date.year() - 1)
        }
    }

    pub fn year(self) -> i32 {
        self.0
    }

    /// April 1 of the starting year.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0, 4, 1).unwrap_or(NaiveDate::MIN)
    }

    /// March 31 of the following year.
    pub fn last_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0 + 1, 3, 31).unwrap_or(NaiveDate::MAX)
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        (self.first_day()..=self.last_day()).contains(&date)
    }

    /// The era year that names this fiscal year (era in force on December 31).
    pub fn wareki(self) -> Wareki {
        let december = NaiveDate::from_ymd_opt(self.0, 12, 31).unwrap_or(NaiveDate::MAX);
        Wareki::of_date(december).unwrap_or(Wareki {
            era: Era::Meiji,
            year: self.0 - 1867,
        })
    }

    /// "平成28年度".
    pub fn wareki_label(self) -> String {
        format!("{}度", self.wareki().label())
    }

    /// "平成28年度（2016年度）", the form used on every page.
    pub fn label(self) -> String {
        format!("{}（{}年度）", self.wareki_label(), self.0)
    }

    /// "28年度", as the document abbreviates within one era.
    pub fn short_label(self) -> String {
        let wareki = self.wareki();
        if wareki.year == 1 {
            "元年度".to_owned()
        } else {
            format!("{}年度", wareki.year)
        }
    }
}

impl std::fmt::Display for FiscalYear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn heisei_28_is_fiscal_2016_from_april_to_march() {
        let fy = FiscalYear::new(2016).unwrap();
        assert_eq!(fy.wareki_label(), "平成28年度");
        assert_eq!(fy.label(), "平成28年度（2016年度）");
        assert_eq!(fy.first_day(), date(2016, 4, 1));
        assert_eq!(fy.last_day(), date(2017, 3, 31));
        assert_eq!(FiscalYear::new(2017).unwrap().wareki_label(), "平成29年度");
    }

    #[test]
    fn march_belongs_to_the_previous_fiscal_year_and_april_to_the_new_one() {
        assert_eq!(FiscalYear::containing(date(2017, 3, 31)).year(), 2016);
        assert_eq!(FiscalYear::containing(date(2017, 4, 1)).year(), 2017);
    }

    #[test]
    fn fiscal_2019_is_reiwa_gannen_although_reiwa_began_in_may() {
        let fy = FiscalYear::new(2019).unwrap();
        assert_eq!(fy.wareki_label(), "令和元年度");
        assert_eq!(fy.short_label(), "元年度");
        assert_eq!(FiscalYear::new(2020).unwrap().wareki_label(), "令和2年度");
        assert_eq!(FiscalYear::new(2018).unwrap().wareki_label(), "平成30年度");
        assert_eq!(FiscalYear::new(1989).unwrap().wareki_label(), "平成元年度");
    }

    #[test]
    fn dates_change_era_on_the_day_of_the_change() {
        assert_eq!(
            Wareki::of_date(date(2019, 4, 30)).unwrap().label(),
            "平成31年"
        );
        assert_eq!(
            Wareki::of_date(date(2019, 5, 1)).unwrap().label(),
            "令和元年"
        );
        assert_eq!(
            Wareki::of_date(date(1989, 1, 7)).unwrap().label(),
            "昭和64年"
        );
        assert_eq!(
            Wareki::of_date(date(1989, 1, 8)).unwrap().label(),
            "平成元年"
        );
        assert_eq!(
            Wareki::of_date(date(1917, 6, 1)).unwrap().label(),
            "大正6年"
        );
        assert_eq!(Wareki::of_date(date(1800, 1, 1)), None);
    }

    #[test]
    fn fiscal_years_parse_from_western_and_era_forms() {
        for (input, year) in [
            ("2016", 2016),
            ("２０１７", 2017),
            ("FY2016", 2016),
            ("2016年度", 2016),
            ("平成28年度", 2016),
            ("平成29", 2017),
            ("H28", 2016),
            ("令和元年度", 2019),
            ("R2", 2020),
        ] {
            assert_eq!(
                FiscalYear::parse(input).map(FiscalYear::year),
                Ok(year),
                "{input}"
            );
        }
    }

    #[test]
    fn fiscal_years_out_of_range_or_unreadable_are_refused_in_japanese() {
        let too_early = FiscalYear::parse("1900").unwrap_err();
        assert!(too_early.reason.contains("範囲外"), "{}", too_early.reason);
        assert!(FiscalYear::parse("2100").is_err());
        assert!(FiscalYear::parse("来年").is_err());
        assert!(FiscalYear::parse("平成0年度").is_err());
    }
}
