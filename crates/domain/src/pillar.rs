//! The three directions of the 尼崎宣言. Every initiative carries one or more.

use crate::Invalid;

/// One of the three pillars (方向性) of the 尼崎宣言.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pillar {
    /// 【1】新たな価値の創造
    NewValue = 1,
    /// 【2】技術・技能の継承及び人材の確保・育成
    SkillsAndPeople = 2,
    /// 【3】事業環境整備
    BusinessEnvironment = 3,
}

impl Pillar {
    pub const ALL: [Pillar; 3] = [
        Pillar::NewValue,
        Pillar::SkillsAndPeople,
        Pillar::BusinessEnvironment,
    ];

    pub fn number(self) -> u8 {
        self as u8
    }

    pub fn from_number(number: i64) -> Result<Pillar, Invalid> {
        match number {
            1 => Ok(Pillar::NewValue),
            2 => Ok(Pillar::SkillsAndPeople),
            3 => Ok(Pillar::BusinessEnvironment),
            _ => Err(Invalid::new(
                "pillar",
                format!("柱は1〜3のいずれかです（{number}は存在しません）。"),
            )),
        }
    }

    /// Parses "1", "１" or "【1】".
    pub fn parse(input: &str) -> Result<Pillar, Invalid> {
        let narrowed = crate::text::narrow_ascii(input);
        let digits = narrowed.trim().trim_matches(['【', '】', '[', ']']);
        match digits.parse::<i64>() {
            Ok(number) => Pillar::from_number(number),
            Err(_) => Err(Invalid::new(
                "pillar",
                format!("柱の番号（1〜3）を指定してください（「{input}」）。"),
            )),
        }
    }

    /// The pillar's name as the declaration words it.
    pub fn name(self) -> &'static str {
        match self {
            Pillar::NewValue => "新たな価値の創造",
            Pillar::SkillsAndPeople => "技術・技能の継承及び人材の確保・育成",
            Pillar::BusinessEnvironment => "事業環境整備",
        }
    }

    /// A short name for tags, charts and narrow screens.
    pub fn short_name(self) -> &'static str {
        match self {
            Pillar::NewValue => "価値創造",
            Pillar::SkillsAndPeople => "技術継承・人材",
            Pillar::BusinessEnvironment => "事業環境",
        }
    }

    /// "【2】技術・技能の継承及び人材の確保・育成", as headings in the document read.
    pub fn heading(self) -> String {
        format!("【{}】{}", self.number(), self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pillars_parse_from_plain_full_width_and_bracketed_numbers() {
        assert_eq!(Pillar::parse("1"), Ok(Pillar::NewValue));
        assert_eq!(Pillar::parse("２"), Ok(Pillar::SkillsAndPeople));
        assert_eq!(Pillar::parse("【3】"), Ok(Pillar::BusinessEnvironment));
    }

    #[test]
    fn a_fourth_pillar_does_not_exist() {
        assert!(Pillar::parse("4").is_err());
        assert!(Pillar::parse("価値").is_err());
    }

    #[test]
    fn headings_read_as_in_the_declaration() {
        assert_eq!(
            Pillar::SkillsAndPeople.heading(),
            "【2】技術・技能の継承及び人材の確保・育成"
        );
    }
}
