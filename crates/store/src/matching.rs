//! Matching a need to candidates: one engine for business matching, company ×
//! designer collaboration, needs ↔ seeds, the successor bank and internships.
//!
//! Candidates are the directory's companies, the offers of the same kind, and the
//! people the kind calls for (designers, researchers, successor candidates,
//! students). The search index gives each candidate a text relevance for the need's
//! words; `solve::matching` adds the structured fit (taxonomy, city, size,
//! certifications) and explains every point.

use std::collections::HashMap;

use domain::Actor;
use domain::directory::{Capability, CapabilityGroup, PostingKind, Side, SizeBand};
use search::{DocKind, SearchRequest};
use solve::matching::{self as engine, Candidate, CityPolicy, Need, NeedKind, Ranked, Settings};

use crate::companies::{self, CompanyFilter};
use crate::index::SearchIndex;
use crate::people;
use crate::postings::{self, Posting, PostingFilter};
use crate::{Store, StoreError};

/// Candidates scoring below this are not worth a staff member's time.
pub const MIN_SCORE: f64 = 10.0;

/// What a candidate is, for the page's link and the negotiation it may become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CandidateRef {
    Company(String),
    Person(String),
    Offer(String),
}

impl CandidateRef {
    /// `company:KEY`, `person:KEY`, `offer:KEY`: what a form posts back.
    pub fn code(&self) -> String {
        match self {
            CandidateRef::Company(k) => format!("company:{k}"),
            CandidateRef::Person(k) => format!("person:{k}"),
            CandidateRef::Offer(k) => format!("offer:{k}"),
        }
    }

    pub fn href(&self) -> String {
        match self {
            CandidateRef::Company(k) => format!("/companies/{k}"),
            CandidateRef::Person(k) => format!("/people/{k}"),
            CandidateRef::Offer(k) => format!("/needs/{k}"),
        }
    }
}

/// One ranked candidate with the engine's reasons.
#[derive(Debug, Clone)]
pub struct Match {
    pub candidate: CandidateRef,
    pub name: String,
    pub kind_label: &'static str,
    pub city: String,
    pub ranked: Ranked,
}

fn need_kind(kind: PostingKind) -> NeedKind {
    match kind {
        PostingKind::Business => NeedKind::Business,
        PostingKind::Design => NeedKind::Design,
        PostingKind::Seeds => NeedKind::Seeds,
        PostingKind::Successor => NeedKind::Successor,
        PostingKind::Internship => NeedKind::Internship,
    }
}

fn size(band: SizeBand) -> engine::SizeBand {
    match band {
        SizeBand::Micro => engine::SizeBand::Micro,
        SizeBand::Small => engine::SizeBand::Small,
        SizeBand::Large => engine::SizeBand::Large,
    }
}

/// Splits taxonomy codes into (processes, materials, equipment, certifications).
fn split(codes: &[String]) -> [Vec<String>; 4] {
    let mut groups: [Vec<String>; 4] = Default::default();
    for code in codes {
        if let Some(c) = Capability::find(code) {
            let slot = match c.group {
                CapabilityGroup::Process => 0,
                CapabilityGroup::Material => 1,
                CapabilityGroup::Equipment => 2,
                CapabilityGroup::Certification => 3,
            };
            groups[slot].push(code.clone());
        }
    }
    groups
}

/// Ranks candidates for `need` as `viewer` may see them; `limit` results.
pub async fn candidates(
    store: &Store,
    index: &SearchIndex,
    viewer: Option<&Actor>,
    need: &Posting,
    limit: usize,
) -> Result<Vec<Match>, StoreError> {
    index.catch_up(store).await?;
    let [processes, materials, equipment, certifications] = split(&need.capabilities);
    let engine_need = Need {
        kind: need_kind(need.kind),
        city: need.city.as_ref().map(|c| c.key.clone()),
        processes,
        materials,
        equipment,
        certifications_required: certifications,
        size_preference: need.size_preference.map(size),
        text_terms: Vec::new(),
        owner_id: None,
    };
    // Text relevance of every indexed company and offer for the need's words.
    let text = format!("{} {}", need.title, need.body);
    let results = index.search(&SearchRequest {
        text,
        kinds: vec![DocKind::Company, DocKind::Offer],
        filters: Vec::new(),
        include_private: crate::index::scope(viewer).0,
        private_scope: crate::index::scope(viewer).1,
        limit: search::MAX_LIMIT,
        offset: 0,
        match_any: true,
    })?;
    let mut text_scores: HashMap<(DocKind, i64), f32> = HashMap::new();
    for hit in &results.hits {
        text_scores.insert((hit.kind, hit.id), hit.score);
    }

    let mut refs: Vec<(CandidateRef, String, &'static str, String)> = Vec::new();
    let mut pool: Vec<Candidate> = Vec::new();
    // Companies: those that share a capability with the need or match its words.
    let mut company_ids: Vec<i64> = text_scores
        .keys()
        .filter(|(kind, _)| *kind == DocKind::Company)
        .map(|(_, id)| *id)
        .collect();
    for code in &need.capabilities {
        let page = companies::list(
            store,
            viewer,
            &CompanyFilter {
                capabilities: vec![code.clone()],
                limit: 2000,
                ..CompanyFilter::default()
            },
        )
        .await?;
        company_ids.extend(page.companies.iter().map(|c| c.id));
    }
    company_ids.sort_unstable();
    company_ids.dedup();
    {
        let visible = companies::list(
            store,
            viewer,
            &CompanyFilter {
                ids: Some(company_ids),
                ..CompanyFilter::default()
            },
        )
        .await?;
        for company in visible.companies {
            if Some(company.id) == need.company.as_ref().map(|c| c.2) {
                continue; // the need's own company
            }
            let [processes, materials, equipment, certifications] = split(&company.capabilities);
            pool.push(Candidate {
                id: pool.len() as i64,
                name: company.name.clone(),
                city: company.city.as_ref().map(|c| c.key.clone()),
                processes,
                materials,
                equipment,
                certifications,
                size: company.size.map(size),
                text_score: text_scores
                    .get(&(DocKind::Company, company.id))
                    .copied()
                    .unwrap_or(0.0),
            });
            refs.push((
                CandidateRef::Company(company.key.clone()),
                company.name.clone(),
                "企業",
                company.city_name().to_owned(),
            ));
        }
    }
    // Offers of the same kind.
    let offers = postings::list(
        store,
        viewer,
        &PostingFilter {
            side: Some(Side::Offer),
            kind: Some(need.kind),
            ..PostingFilter::default()
        },
    )
    .await?;
    for offer in offers {
        let [processes, materials, equipment, certifications] = split(&offer.capabilities);
        pool.push(Candidate {
            id: pool.len() as i64,
            name: offer.title.clone(),
            city: offer.city.as_ref().map(|c| c.key.clone()),
            processes,
            materials,
            equipment,
            certifications,
            size: None,
            text_score: text_scores
                .get(&(DocKind::Offer, offer.id))
                .copied()
                .unwrap_or(0.0),
        });
        refs.push((
            CandidateRef::Offer(offer.key.clone()),
            format!("{}（{}）", offer.title, offer.poster_name),
            "シーズ・提供",
            offer
                .city
                .as_ref()
                .map(|c| c.name.clone())
                .unwrap_or_default(),
        ));
    }
    // People the kind calls for; their text relevance is the folded overlap of words.
    if !need.kind.person_kinds().is_empty() {
        let need_bigrams = bigrams(&format!("{} {}", need.title, need.body));
        for person in people::list(store, viewer, need.kind.person_kinds()).await? {
            let [processes, materials, equipment, certifications] = split(&person.capabilities);
            let profile = bigrams(&format!("{} {}", person.profile, person.affiliation));
            let overlap = need_bigrams.intersection(&profile).count();
            pool.push(Candidate {
                id: pool.len() as i64,
                name: person.name.clone(),
                city: person.city.as_ref().map(|c| c.key.clone()),
                processes,
                materials,
                equipment,
                certifications,
                size: None,
                text_score: overlap as f32,
            });
            refs.push((
                CandidateRef::Person(person.key.clone()),
                person.name.clone(),
                person.kind.label(),
                person
                    .city
                    .as_ref()
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
            ));
        }
    }
    let settings = Settings {
        city_policy: (!need.prefer_other_cities).then_some(CityPolicy::Neutral),
        limit: Some(limit),
        ..Settings::default()
    };
    let directory = crate::organisations::directory(store).await?;
    let labels = |code: &str| {
        directory
            .city_by_key(code)
            .map_or_else(|| Capability::label_of(code), |c| c.name.clone())
    };
    let ranked = engine::rank_with_labels(&engine_need, &pool, &settings, &labels);
    Ok(ranked
        .into_iter()
        .filter(|r| r.excluded.is_none() && r.score >= MIN_SCORE)
        .filter_map(|r| {
            let index = usize::try_from(r.candidate_id).ok()?;
            let (candidate, name, kind_label, city) = refs.get(index)?.clone();
            Some(Match {
                candidate,
                name,
                kind_label,
                city,
                ranked: r,
            })
        })
        .collect())
}

/// The distinct character pairs of folded text (punctuation and spaces dropped):
/// how a person's profile is compared with a need, as people are not indexed.
fn bigrams(text: &str) -> std::collections::HashSet<(char, char)> {
    let chars: Vec<char> = search::fold(text)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}
