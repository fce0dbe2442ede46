//! Districts and industrial sites (東大阪市の工業保全型特別用途地区・地区計画, 工場誘致の
//! 優遇策): what a city's register holds, the rules of what staff type, positions in
//! Japan, and the stages of a company's enquiry about a site (受付 → 回答 → 見学 →
//! 成約/見送り).

use chrono::NaiveDate;

use crate::Invalid;
use crate::text::{narrow_ascii, optional_text, required_line};

/// The kinds of district a city designates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistrictKind {
    /// 特別用途地区（工業保全型など）.
    SpecialUse,
    /// 地区計画.
    DistrictPlan,
    /// 工業地域・準工業地域などその他の区域.
    Other,
}

impl DistrictKind {
    pub const ALL: [DistrictKind; 3] = [
        DistrictKind::SpecialUse,
        DistrictKind::DistrictPlan,
        DistrictKind::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DistrictKind::SpecialUse => "special_use",
            DistrictKind::DistrictPlan => "district_plan",
            DistrictKind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DistrictKind::SpecialUse => "特別用途地区",
            DistrictKind::DistrictPlan => "地区計画",
            DistrictKind::Other => "その他の区域",
        }
    }

    pub fn parse(code: &str) -> Option<DistrictKind> {
        Self::ALL
            .into_iter()
            .find(|k| k.code() == code.trim() || k.label() == code.trim())
    }
}

/// Whether a site is for sale, for rent, or either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tenure {
    Sale,
    Rent,
    Either,
}

impl Tenure {
    pub const ALL: [Tenure; 3] = [Tenure::Sale, Tenure::Rent, Tenure::Either];

    pub fn code(self) -> &'static str {
        match self {
            Tenure::Sale => "sale",
            Tenure::Rent => "rent",
            Tenure::Either => "either",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Tenure::Sale => "売却",
            Tenure::Rent => "賃貸",
            Tenure::Either => "売却・賃貸",
        }
    }

    pub fn parse(code: &str) -> Option<Tenure> {
        Self::ALL
            .into_iter()
            .find(|k| k.code() == code.trim() || k.label() == code.trim())
    }
}

/// A position as latitude and longitude (WGS84, degrees).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    pub lat: f64,
    pub lon: f64,
}

/// Japan's extent with a margin: 沖ノ鳥島 (20.4°N) to 択捉島 (45.6°N), 与那国島
/// (122.9°E) to 南鳥島 (154.0°E).
const LAT: (f64, f64) = (20.0, 46.0);
const LON: (f64, f64) = (122.0, 154.5);

impl Position {
    /// Parses typed coordinates (full-width digits accepted); both empty is no
    /// position. A position outside Japan is refused.
    pub fn parse(lat: &str, lon: &str) -> Result<Option<Position>, Vec<Invalid>> {
        let (lat, lon) = (narrow_ascii(lat), narrow_ascii(lon));
        let (lat, lon) = (lat.trim(), lon.trim());
        if lat.is_empty() && lon.is_empty() {
            return Ok(None);
        }
        let number = |field: &str, text: &str, name: &str| -> Result<f64, Invalid> {
            text.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    Invalid::new(
                        field,
                        format!(
                            "{name}は数値（度、例: 34.6794）で入力してください（「{text}」）。"
                        ),
                    )
                })
        };
        let mut errors = Vec::new();
        let lat = number("lat", lat, "緯度").map_err(|e| errors.push(e)).ok();
        let lon = number("lon", lon, "経度").map_err(|e| errors.push(e)).ok();
        let (Some(lat), Some(lon)) = (lat, lon) else {
            return Err(errors);
        };
        if !(LAT.0..=LAT.1).contains(&lat) || !(LON.0..=LON.1).contains(&lon) {
            return Err(vec![Invalid::new(
                "lat",
                format!(
                    "位置（緯度{lat}、経度{lon}）が日本国内ではありません。緯度は20〜46度、経度は122〜154.5度の範囲で入力してください。"
                ),
            )]);
        }
        Ok(Some(Position { lat, lon }))
    }

    /// The 地理院地図 (GSI Maps) page centred on the position, zoom 16: a link only,
    /// nothing of it is embedded in our pages.
    pub fn gsi_map_url(&self) -> String {
        format!(
            "https://maps.gsi.go.jp/#16/{:.6}/{:.6}/",
            self.lat, self.lon
        )
    }
}

/// What staff type for a district.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DistrictInput {
    pub name: String,
    pub kind: String,
    pub rules: String,
    pub designated_on: String,
    pub designated_fy: String,
    pub documents_url: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DistrictDraft {
    pub name: String,
    pub kind: DistrictKind,
    pub rules: String,
    pub designated_on: Option<NaiveDate>,
    /// The fiscal year of the designation when only that is known (平成28年度).
    pub designated_fy: Option<i32>,
    pub documents_url: String,
}

/// A link staff give: a page of the platform (`/documents/…`) or an http(s) address.
fn link(field: &str, input: &str) -> Result<String, Invalid> {
    let value = optional_text(field, input, 500)?;
    if value.is_empty()
        || (value.starts_with('/') && !value.starts_with("//"))
        || value.starts_with("https://")
        || value.starts_with("http://")
    {
        Ok(value)
    } else {
        Err(Invalid::new(
            field,
            "資料のリンクは https:// で始まるアドレスか、このサイトのページ（/documents/…）にしてください。",
        ))
    }
}

impl DistrictDraft {
    pub fn parse(input: &DistrictInput) -> Result<DistrictDraft, Vec<Invalid>> {
        let mut errors = Vec::new();
        let name = required_line("name", &input.name, 200)
            .map_err(|e| errors.push(e))
            .ok();
        let kind = DistrictKind::parse(&input.kind);
        if kind.is_none() {
            errors.push(Invalid::new("kind", "種類を選んでください。"));
        }
        let rules = optional_text("rules", &input.rules, 4000)
            .map_err(|e| errors.push(e))
            .ok();
        let designated_on = match narrow_ascii(&input.designated_on).trim() {
            "" => None,
            _ => crate::events::parse_date("designated_on", &input.designated_on)
                .map_err(|e| errors.push(e))
                .ok(),
        };
        let designated_fy = match narrow_ascii(&input.designated_fy).trim() {
            "" => designated_on.map(|d| crate::FiscalYear::containing(d).year()),
            text => match crate::FiscalYear::parse(text) {
                Ok(fy) => Some(fy.year()),
                Err(e) => {
                    errors.push(Invalid::new("designated_fy", e.reason));
                    None
                }
            },
        };
        let documents_url = link("documents_url", &input.documents_url)
            .map_err(|e| errors.push(e))
            .ok();
        match (name, kind, rules, documents_url, errors.is_empty()) {
            (Some(name), Some(kind), Some(rules), Some(documents_url), true) => Ok(DistrictDraft {
                name,
                kind,
                rules,
                designated_on,
                designated_fy,
                documents_url,
            }),
            _ => Err(errors),
        }
    }
}

/// What staff type for an industrial site.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteInput {
    pub name: String,
    pub address: String,
    pub area_m2: String,
    pub zoning: String,
    pub tenure: String,
    pub price_note: String,
    pub incentives: String,
    pub district: String,
    pub lat: String,
    pub lon: String,
    /// "1" when the site is no longer offered.
    pub closed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SiteDraft {
    pub name: String,
    pub address: String,
    pub area_m2: f64,
    pub zoning: String,
    pub tenure: Tenure,
    pub price_note: String,
    pub incentives: String,
    /// The key of the district the site lies in ('' for none).
    pub district: String,
    pub position: Option<Position>,
    pub closed: bool,
}

impl SiteDraft {
    pub fn parse(input: &SiteInput) -> Result<SiteDraft, Vec<Invalid>> {
        let mut errors = Vec::new();
        let mut keep = |r: Result<String, Invalid>| r.map_err(|e| errors.push(e)).ok();
        let name = keep(required_line("name", &input.name, 200));
        let address = keep(required_line("address", &input.address, 300));
        let zoning = keep(required_line("zoning", &input.zoning, 100));
        let price_note = keep(optional_text("price_note", &input.price_note, 500));
        let incentives = keep(optional_text("incentives", &input.incentives, 2000));
        let district = keep(optional_text("district", &input.district, 100));
        let area_text = narrow_ascii(&input.area_m2).replace([',', '，'], "");
        let area_m2 = area_text
            .trim()
            .trim_end_matches("㎡")
            .trim_end_matches("m2")
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|a| a.is_finite() && *a > 0.0 && *a < 1e8);
        if area_m2.is_none() {
            errors.push(Invalid::new(
                "area_m2",
                format!(
                    "面積は㎡の数値（例: 1250.5）で入力してください（「{}」）。",
                    input.area_m2.trim()
                ),
            ));
        }
        let tenure = Tenure::parse(&input.tenure);
        if tenure.is_none() {
            errors.push(Invalid::new("tenure", "売却・賃貸の別を選んでください。"));
        }
        let position = Position::parse(&input.lat, &input.lon)
            .map_err(|e| errors.extend(e))
            .ok()
            .flatten();
        match (
            name, address, zoning, price_note, incentives, district, area_m2, tenure,
        ) {
            (
                Some(name),
                Some(address),
                Some(zoning),
                Some(price_note),
                Some(incentives),
                Some(district),
                Some(area_m2),
                Some(tenure),
            ) if errors.is_empty() => Ok(SiteDraft {
                name,
                address,
                area_m2,
                zoning,
                tenure,
                price_note,
                incentives,
                district,
                position,
                closed: input.closed,
            }),
            _ => Err(errors),
        }
    }
}

/// The stages of a company's enquiry about a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EnquiryStage {
    /// 受付: the company sent it.
    Received,
    /// 回答: the city's staff answered.
    Answered,
    /// 見学: the company visited the site.
    Visit,
    /// 成約: sold or let.
    Contracted,
    /// 見送り: not pursued.
    Declined,
}

impl EnquiryStage {
    pub const ALL: [EnquiryStage; 5] = [
        EnquiryStage::Received,
        EnquiryStage::Answered,
        EnquiryStage::Visit,
        EnquiryStage::Contracted,
        EnquiryStage::Declined,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EnquiryStage::Received => "received",
            EnquiryStage::Answered => "answered",
            EnquiryStage::Visit => "visit",
            EnquiryStage::Contracted => "contracted",
            EnquiryStage::Declined => "declined",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EnquiryStage::Received => "受付",
            EnquiryStage::Answered => "回答",
            EnquiryStage::Visit => "見学",
            EnquiryStage::Contracted => "成約",
            EnquiryStage::Declined => "見送り",
        }
    }

    pub fn parse(code: &str) -> Option<EnquiryStage> {
        Self::ALL
            .into_iter()
            .find(|s| s.code() == code.trim() || s.label() == code.trim())
    }

    /// The stages an enquiry at `self` may move to.
    pub fn next(self) -> Vec<EnquiryStage> {
        match self {
            EnquiryStage::Received => vec![EnquiryStage::Answered, EnquiryStage::Declined],
            EnquiryStage::Answered => vec![
                EnquiryStage::Visit,
                EnquiryStage::Contracted,
                EnquiryStage::Declined,
            ],
            EnquiryStage::Visit => vec![EnquiryStage::Contracted, EnquiryStage::Declined],
            EnquiryStage::Contracted | EnquiryStage::Declined => Vec::new(),
        }
    }

    pub fn may_move_to(self, next: EnquiryStage) -> Result<(), Invalid> {
        if self.next().contains(&next) {
            Ok(())
        } else if self.next().is_empty() {
            Err(Invalid::new(
                "stage",
                format!("この問合せは「{}」で終わっています。", self.label()),
            ))
        } else {
            Err(Invalid::new(
                "stage",
                format!(
                    "「{}」の次は{}のいずれかです（「{}」は選べません）。",
                    self.label(),
                    self.next()
                        .iter()
                        .map(|s| format!("「{}」", s.label()))
                        .collect::<String>(),
                    next.label()
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_outside_japan_are_refused_and_inside_linked_to_gsi_maps() {
        let p = Position::parse("34.6794", "１３５．６００１")
            .unwrap()
            .unwrap();
        assert_eq!(
            p.gsi_map_url(),
            "https://maps.gsi.go.jp/#16/34.679400/135.600100/"
        );
        assert_eq!(Position::parse("", " ").unwrap(), None);
        let paris = Position::parse("48.8566", "2.3522").unwrap_err();
        assert!(
            paris[0].reason.contains("日本国内ではありません"),
            "{paris:?}"
        );
        let typo = Position::parse("北緯34", "135.6").unwrap_err();
        assert!(typo[0].reason.contains("緯度は数値"), "{typo:?}");
    }

    #[test]
    fn an_enquiry_moves_forward_and_ends_at_a_contract_or_declined() {
        use EnquiryStage::*;
        assert!(Received.may_move_to(Answered).is_ok());
        assert!(Received.may_move_to(Contracted).is_err());
        assert!(Answered.may_move_to(Visit).is_ok());
        assert!(Visit.may_move_to(Contracted).is_ok());
        assert!(Contracted.may_move_to(Declined).is_err());
        assert_eq!(EnquiryStage::parse("見学"), Some(Visit));
    }

    #[test]
    fn a_site_needs_an_area_in_square_metres_and_a_tenure() {
        let input = SiteInput {
            name: "高井田の工場用地".into(),
            address: "東大阪市高井田".into(),
            area_m2: "１，２５０．５㎡".into(),
            zoning: "準工業地域".into(),
            tenure: "sale".into(),
            ..SiteInput::default()
        };
        let draft = SiteDraft::parse(&input).unwrap();
        assert_eq!(draft.area_m2, 1250.5);
        let wrong = SiteDraft::parse(&SiteInput {
            area_m2: "広い".into(),
            tenure: String::new(),
            ..input
        })
        .unwrap_err();
        let fields: Vec<&str> = wrong.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["area_m2", "tenure"]);
    }
}
