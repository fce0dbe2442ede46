//! The relative weights of the parts of a match score, and each programme's
//! defaults.

use super::model::NeedKind;

/// Relative weights of the parts of the score. Only their ratios matter: the parts
/// the need asks for share 100 points in these ratios, and a part the need says
/// nothing about (no processes listed, no size wished, no city) is left out instead
/// of being given to everyone. Negative and NaN weights count as 0; a part with
/// weight 0 is left out.
///
/// The defaults per kind ([`Weights::for_kind`]), each row adding up to 100:
///
/// | kind | text | processes | materials | equipment | certifications | size | city |
/// |---|---|---|---|---|---|---|---|
/// | business | 15 | 30 | 15 | 10 | 15 | 5 | 10 |
/// | design | 50 | 10 | 15 | 0 | 5 | 5 | 15 |
/// | seeds | 25 | 25 | 20 | 10 | 15 | 0 | 5 |
/// | successor | 25 | 15 | 5 | 0 | 5 | 30 | 20 |
/// | internship | 40 | 20 | 5 | 5 | 0 | 10 | 20 |
///
/// - **business**: a buyer or a factory needs a process done, so processes weigh
///   most, with materials, equipment and the buyer's quality certifications behind;
///   text catches what the taxonomy misses; the city tips the balance towards
///   partners in other cities.
/// - **design** (墨田区's 企業×デザイナー): designers are described by their
///   portfolio, not by a taxonomy, so text weighs half; materials (glass, leather,
///   wood) tell which crafts a designer knows.
/// - **seeds** (大阪大学医学部 × 東大阪市, 岡谷市's universities): a research need is
///   technical, so processes and materials lead, text carries the research
///   description; size does not matter.
/// - **successor** (加賀商工会議所's 人材バンク): who can take over a business depends
///   on its size and where it is before its trade, so size and city lead.
/// - **internship** (川口市): students are matched on their interests (text) and on
///   where they can commute (city, preferring the same city by default).
///
/// A missing *required* certification is not a matter of weight: it costs a
/// penalty or excludes the candidate (see
/// [`MissingCertification`](super::MissingCertification)), whatever the weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    /// Full-text relevance.
    pub text: f64,
    /// Share of the needed processes covered.
    pub processes: f64,
    /// Share of the needed materials covered.
    pub materials: f64,
    /// Share of the needed equipment covered.
    pub equipment: f64,
    /// Share of the required certifications held.
    pub certifications: f64,
    /// Closeness to the wished size.
    pub size: f64,
    /// The city, under the city policy.
    pub city: f64,
}

impl Weights {
    /// The defaults of a programme (see the table above).
    pub fn for_kind(kind: NeedKind) -> Weights {
        let w = |text, processes, materials, equipment, certifications, size, city| Weights {
            text,
            processes,
            materials,
            equipment,
            certifications,
            size,
            city,
        };
        match kind {
            NeedKind::Business => w(15.0, 30.0, 15.0, 10.0, 15.0, 5.0, 10.0),
            NeedKind::Design => w(50.0, 10.0, 15.0, 0.0, 5.0, 5.0, 15.0),
            NeedKind::Seeds => w(25.0, 25.0, 20.0, 10.0, 15.0, 0.0, 5.0),
            NeedKind::Successor => w(25.0, 15.0, 5.0, 0.0, 5.0, 30.0, 20.0),
            NeedKind::Internship => w(40.0, 20.0, 5.0, 5.0, 0.0, 10.0, 20.0),
        }
    }

    /// The same weights with negative, NaN and infinite ones set to 0.
    pub(crate) fn sanitised(self) -> Weights {
        let clean = |w: f64| if w.is_finite() && w > 0.0 { w } else { 0.0 };
        Weights {
            text: clean(self.text),
            processes: clean(self.processes),
            materials: clean(self.materials),
            equipment: clean(self.equipment),
            certifications: clean(self.certifications),
            size: clean(self.size),
            city: clean(self.city),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kinds_default_weights_add_up_to_one_hundred() {
        for kind in NeedKind::ALL {
            let w = Weights::for_kind(kind);
            let sum = w.text
                + w.processes
                + w.materials
                + w.equipment
                + w.certifications
                + w.size
                + w.city;
            assert_eq!(sum, 100.0, "{kind:?}");
        }
    }

    #[test]
    fn successor_matching_weighs_size_and_city_and_design_weighs_text_most() {
        let successor = Weights::for_kind(NeedKind::Successor);
        assert!(successor.size + successor.city >= 50.0);
        let design = Weights::for_kind(NeedKind::Design);
        assert!(design.text >= 50.0);
    }
}
