//! The code lists of the NTA data definition (法人番号公表サイト リソース定義書): 処理区分,
//! 法人種別 and 登記記録の閉鎖等の事由, each with its Japanese label.

/// 処理区分: what happened to the corporation in this row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Process {
    /// 01 新規
    New,
    /// 11 商号又は名称の変更
    NameChanged,
    /// 12 国内所在地の変更
    DomesticAddressChanged,
    /// 13 国外所在地の変更
    ForeignAddressChanged,
    /// 21 登記記録の閉鎖等
    Closed,
    /// 22 登記記録の復活等
    Restored,
    /// 71 吸収合併
    AbsorbedInMerger,
    /// 72 吸収合併無効
    MergerAnnulled,
    /// 81 商号の登記の抹消
    TradeNameErased,
    /// 99 削除
    Deleted,
}

impl Process {
    pub const ALL: [Process; 10] = [
        Process::New,
        Process::NameChanged,
        Process::DomesticAddressChanged,
        Process::ForeignAddressChanged,
        Process::Closed,
        Process::Restored,
        Process::AbsorbedInMerger,
        Process::MergerAnnulled,
        Process::TradeNameErased,
        Process::Deleted,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Process::New => "01",
            Process::NameChanged => "11",
            Process::DomesticAddressChanged => "12",
            Process::ForeignAddressChanged => "13",
            Process::Closed => "21",
            Process::Restored => "22",
            Process::AbsorbedInMerger => "71",
            Process::MergerAnnulled => "72",
            Process::TradeNameErased => "81",
            Process::Deleted => "99",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Process::New => "新規",
            Process::NameChanged => "商号又は名称の変更",
            Process::DomesticAddressChanged => "国内所在地の変更",
            Process::ForeignAddressChanged => "国外所在地の変更",
            Process::Closed => "登記記録の閉鎖等",
            Process::Restored => "登記記録の復活等",
            Process::AbsorbedInMerger => "吸収合併",
            Process::MergerAnnulled => "吸収合併無効",
            Process::TradeNameErased => "商号の登記の抹消",
            Process::Deleted => "削除",
        }
    }

    pub fn from_code(code: &str) -> Option<Process> {
        Process::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// 法人種別.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// 101 国の機関
    NationalAgency,
    /// 201 地方公共団体
    LocalGovernment,
    /// 301 株式会社
    KabushikiKaisha,
    /// 302 有限会社
    YugenKaisha,
    /// 303 合名会社
    GomeiKaisha,
    /// 304 合資会社
    GoshiKaisha,
    /// 305 合同会社
    GodoKaisha,
    /// 399 その他の設立登記法人
    OtherRegistered,
    /// 401 外国会社等
    ForeignCompany,
    /// 499 その他
    Other,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::NationalAgency,
        Kind::LocalGovernment,
        Kind::KabushikiKaisha,
        Kind::YugenKaisha,
        Kind::GomeiKaisha,
        Kind::GoshiKaisha,
        Kind::GodoKaisha,
        Kind::OtherRegistered,
        Kind::ForeignCompany,
        Kind::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Kind::NationalAgency => "101",
            Kind::LocalGovernment => "201",
            Kind::KabushikiKaisha => "301",
            Kind::YugenKaisha => "302",
            Kind::GomeiKaisha => "303",
            Kind::GoshiKaisha => "304",
            Kind::GodoKaisha => "305",
            Kind::OtherRegistered => "399",
            Kind::ForeignCompany => "401",
            Kind::Other => "499",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::NationalAgency => "国の機関",
            Kind::LocalGovernment => "地方公共団体",
            Kind::KabushikiKaisha => "株式会社",
            Kind::YugenKaisha => "有限会社",
            Kind::GomeiKaisha => "合名会社",
            Kind::GoshiKaisha => "合資会社",
            Kind::GodoKaisha => "合同会社",
            Kind::OtherRegistered => "その他の設立登記法人",
            Kind::ForeignCompany => "外国会社等",
            Kind::Other => "その他",
        }
    }

    pub fn from_code(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// A company under the Companies Act (株式会社, 有限会社, 合名・合資・合同会社):
    /// the SMEs the council's programmes are for.
    pub fn is_company(self) -> bool {
        matches!(
            self,
            Kind::KabushikiKaisha
                | Kind::YugenKaisha
                | Kind::GomeiKaisha
                | Kind::GoshiKaisha
                | Kind::GodoKaisha
        )
    }
}

/// 登記記録の閉鎖等の事由.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseCause {
    /// 01 清算の結了等
    Liquidated,
    /// 11 合併による解散等
    Merged,
    /// 21 登記官による閉鎖
    ClosedByRegistrar,
    /// 31 その他の清算の結了等
    OtherLiquidation,
}

impl CloseCause {
    pub const ALL: [CloseCause; 4] = [
        CloseCause::Liquidated,
        CloseCause::Merged,
        CloseCause::ClosedByRegistrar,
        CloseCause::OtherLiquidation,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CloseCause::Liquidated => "01",
            CloseCause::Merged => "11",
            CloseCause::ClosedByRegistrar => "21",
            CloseCause::OtherLiquidation => "31",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CloseCause::Liquidated => "清算の結了等",
            CloseCause::Merged => "合併による解散等",
            CloseCause::ClosedByRegistrar => "登記官による閉鎖",
            CloseCause::OtherLiquidation => "その他の清算の結了等",
        }
    }

    pub fn from_code(code: &str) -> Option<CloseCause> {
        CloseCause::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// The Japanese label of a 法人種別 code ("301" → 株式会社).
pub fn kind_label(code: &str) -> Option<&'static str> {
    Kind::from_code(code).map(Kind::label)
}

/// The Japanese label of a 処理区分 code ("11" → 商号又は名称の変更).
pub fn process_label(code: &str) -> Option<&'static str> {
    Process::from_code(code).map(Process::label)
}

/// The Japanese label of a 登記記録の閉鎖等の事由 code ("01" → 清算の結了等).
pub fn close_cause_label(code: &str) -> Option<&'static str> {
    CloseCause::from_code(code).map(CloseCause::label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_to_itself() {
        for process in Process::ALL {
            assert_eq!(Process::from_code(process.code()), Some(process));
        }
        for kind in Kind::ALL {
            assert_eq!(Kind::from_code(kind.code()), Some(kind));
        }
        for cause in CloseCause::ALL {
            assert_eq!(CloseCause::from_code(cause.code()), Some(cause));
        }
    }

    #[test]
    fn labels_follow_the_data_definition() {
        let kinds: Vec<(&str, &str)> = Kind::ALL.iter().map(|k| (k.code(), k.label())).collect();
        assert_eq!(
            kinds,
            [
                ("101", "国の機関"),
                ("201", "地方公共団体"),
                ("301", "株式会社"),
                ("302", "有限会社"),
                ("303", "合名会社"),
                ("304", "合資会社"),
                ("305", "合同会社"),
                ("399", "その他の設立登記法人"),
                ("401", "外国会社等"),
                ("499", "その他"),
            ]
        );
        let processes: Vec<(&str, &str)> =
            Process::ALL.iter().map(|p| (p.code(), p.label())).collect();
        assert_eq!(
            processes,
            [
                ("01", "新規"),
                ("11", "商号又は名称の変更"),
                ("12", "国内所在地の変更"),
                ("13", "国外所在地の変更"),
                ("21", "登記記録の閉鎖等"),
                ("22", "登記記録の復活等"),
                ("71", "吸収合併"),
                ("72", "吸収合併無効"),
                ("81", "商号の登記の抹消"),
                ("99", "削除"),
            ]
        );
        assert_eq!(close_cause_label("11"), Some("合併による解散等"));
    }

    #[test]
    fn unknown_codes_have_no_label() {
        assert_eq!(kind_label("300"), None);
        assert_eq!(process_label("1"), None);
        assert_eq!(process_label(""), None);
        assert_eq!(close_cause_label("02"), None);
    }
}
