//! The search index of the directory kept in step with the database.
//!
//! Every process keeps its own index (in memory, or in a directory beside the
//! database) and follows the `changes` sequence: after a write, [`SearchIndex::catch_up`]
//! re-reads the companies and postings that changed and re-indexes them. A bulk import
//! (`entity_key` `nta` or `list`) re-indexes every company. `renkei index rebuild`
//! and a schema change rebuild everything from the database.

use std::path::Path;
use std::sync::{Arc, RwLock};

use domain::directory::{Capability, CapabilityGroup, Side};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use search::{DocKind, FacetField, Index, SearchDoc, SearchRequest, SearchResults};

use crate::companies::{self, Company};
use crate::entity::{change, company, posting};
use crate::postings::{self, Posting};
use crate::{Store, StoreError};

/// How a company reads to the index: name and フリガナ, then what it does.
pub fn company_doc(company: &Company) -> SearchDoc {
    let labels: Vec<&str> = company
        .capabilities
        .iter()
        .filter_map(|code| Capability::find(code))
        .flat_map(|c| std::iter::once(c.label).chain(c.aliases.iter().copied()))
        .collect();
    let mut facets: Vec<(FacetField, String)> = company
        .capabilities
        .iter()
        .filter_map(|code| Capability::find(code))
        .filter_map(|c| {
            let field = match c.group {
                CapabilityGroup::Process => FacetField::Process,
                CapabilityGroup::Material => FacetField::Material,
                CapabilityGroup::Certification => FacetField::Certification,
                CapabilityGroup::Equipment => return None,
            };
            Some((field, c.code.to_owned()))
        })
        .collect();
    if let Some(size) = company.size {
        facets.push((FacetField::Size, size.code().to_owned()));
    }
    if let Some(industry) = &company.industry {
        facets.push((FacetField::Industry, industry.clone()));
    }
    facets.push((FacetField::Owner, format!("org:{}", company.owner.id)));
    facets.push((FacetField::Owner, format!("company:{}", company.id)));
    SearchDoc {
        kind: DocKind::Company,
        id: company.id,
        title: company.name.clone(),
        kana: company.kana.clone(),
        body: [
            company.description.as_str(),
            company.products.as_str(),
            company.address.as_str(),
            company.city.as_ref().map_or("", |c| c.name.as_str()),
            &labels.join(" "),
        ]
        .join("\n"),
        city: company.city.as_ref().map(|c| c.key.clone()),
        facets,
        public: company.public && !company.is_closed(),
    }
}

/// How a need or an offer reads to the index.
pub fn posting_doc(posting: &Posting) -> SearchDoc {
    let labels: Vec<&str> = posting
        .capabilities
        .iter()
        .filter_map(|code| Capability::find(code))
        .map(|c| c.label)
        .collect();
    let mut facets: Vec<(FacetField, String)> = posting
        .capabilities
        .iter()
        .filter_map(|code| Capability::find(code))
        .filter_map(|c| match c.group {
            CapabilityGroup::Process => Some((FacetField::Process, c.code.to_owned())),
            CapabilityGroup::Material => Some((FacetField::Material, c.code.to_owned())),
            CapabilityGroup::Certification => Some((FacetField::Certification, c.code.to_owned())),
            CapabilityGroup::Equipment => None,
        })
        .collect();
    facets.push((FacetField::Owner, format!("org:{}", posting.owner.id)));
    if let Some((_, _, company)) = &posting.company {
        facets.push((FacetField::Owner, format!("company:{company}")));
    }
    SearchDoc {
        kind: match posting.side {
            Side::Need => DocKind::Need,
            Side::Offer => DocKind::Offer,
        },
        id: posting.id,
        title: posting.title.clone(),
        kana: String::new(),
        body: [
            posting.body.as_str(),
            posting.poster_name.as_str(),
            posting.kind.label(),
            &labels.join(" "),
        ]
        .join("\n"),
        city: posting.city.as_ref().map(|c| c.key.clone()),
        facets,
        public: posting.public && posting.open,
    }
}

/// The process's index and how far along `changes` it is.
#[derive(Clone)]
pub struct SearchIndex {
    inner: Arc<RwLock<State>>,
}

struct State {
    index: Index,
    seq: i64,
}

fn poisoned() -> StoreError {
    StoreError::Config("検索索引のロックが壊れています。再起動してください。".into())
}

impl SearchIndex {
    /// An index in memory, filled from the database.
    pub async fn in_memory(store: &Store) -> Result<SearchIndex, StoreError> {
        let this = SearchIndex::empty()?;
        this.rebuild(store, |_, _| {}).await?;
        Ok(this)
    }

    /// An empty index in memory (fill it with [`SearchIndex::rebuild`]).
    pub fn empty() -> Result<SearchIndex, StoreError> {
        let index = Index::in_memory().map_err(search_error)?;
        Ok(SearchIndex {
            inner: Arc::new(RwLock::new(State { index, seq: 0 })),
        })
    }

    /// The index kept in `dir`, opened without filling it.
    pub fn open_empty(dir: &Path) -> Result<SearchIndex, StoreError> {
        let (index, _opened) = Index::open_or_create(dir).map_err(search_error)?;
        Ok(SearchIndex {
            inner: Arc::new(RwLock::new(State { index, seq: 0 })),
        })
    }

    /// The index kept in `dir`: rebuilt when new, of another schema, or behind.
    pub async fn open(store: &Store, dir: &Path) -> Result<SearchIndex, StoreError> {
        let this = SearchIndex::open_empty(dir)?;
        // The sequence is not kept with the files: a rebuild on open is a few
        // seconds for the seven cities and keeps the rule simple.
        this.rebuild(store, |_, _| {}).await?;
        Ok(this)
    }

    /// Re-reads every company and posting and replaces the index's content.
    /// `progress(done, total)` is called as companies are read.
    pub async fn rebuild(
        &self,
        store: &Store,
        progress: impl Fn(u64, u64),
    ) -> Result<u64, StoreError> {
        let seq = latest_seq(store).await?;
        let total = companies::count(store).await?;
        let mut docs = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
        let mut after = 0;
        loop {
            let batch = companies::all_after(store, after, 2000).await?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            docs.extend(batch.iter().map(company_doc));
            progress(docs.len() as u64, total);
        }
        docs.extend(postings::all(store).await?.iter().map(posting_doc));
        let mut state = self.inner.write().map_err(|_| poisoned())?;
        let count = state.index.rebuild(docs).map_err(search_error)?;
        state.seq = seq;
        Ok(count as u64)
    }

    /// Re-indexes what changed since the last call. Cheap when nothing did.
    pub async fn catch_up(&self, store: &Store) -> Result<(), StoreError> {
        let since = self.inner.read().map_err(|_| poisoned())?.seq;
        let changes = change::Entity::find()
            .filter(change::Column::Seq.gt(since))
            .filter(change::Column::Entity.is_in(["company", "posting"]))
            .order_by_asc(change::Column::Seq)
            .limit(10_000)
            .all(store.connection())
            .await?;
        let Some(last) = changes.last().map(|c| c.seq) else {
            // Nothing relevant: still move past unrelated changes.
            let seq = latest_seq(store).await?;
            if let Ok(mut state) = self.inner.write() {
                state.seq = state.seq.max(seq);
            }
            return Ok(());
        };
        if changes
            .iter()
            .any(|c| c.entity == "company" && matches!(c.entity_key.as_str(), "nta" | "list"))
        {
            self.rebuild(store, |_, _| {}).await?;
            return Ok(());
        }
        let company_keys: Vec<&str> = changes
            .iter()
            .filter(|c| c.entity == "company")
            .map(|c| c.entity_key.as_str())
            .collect();
        let posting_keys: Vec<&str> = changes
            .iter()
            .filter(|c| c.entity == "posting")
            .map(|c| c.entity_key.as_str())
            .collect();
        let company_ids: Vec<i64> = company::Entity::find()
            .select_only()
            .column(company::Column::Id)
            .filter(company::Column::Key.is_in(company_keys))
            .into_tuple()
            .all(store.connection())
            .await?;
        let changed_companies = companies::by_ids(store, &company_ids).await?;
        let posting_ids: Vec<i64> = posting::Entity::find()
            .select_only()
            .column(posting::Column::Id)
            .filter(posting::Column::Key.is_in(posting_keys))
            .into_tuple()
            .all(store.connection())
            .await?;
        let changed_postings = if posting_ids.is_empty() {
            Vec::new()
        } else {
            postings::list(
                store,
                Some(&system()),
                &postings::PostingFilter {
                    include_closed: true,
                    ids: Some(posting_ids),
                    ..Default::default()
                },
            )
            .await?
        };
        let mut state = self.inner.write().map_err(|_| poisoned())?;
        for company in &changed_companies {
            state
                .index
                .upsert(&company_doc(company))
                .map_err(search_error)?;
        }
        for posting in &changed_postings {
            state
                .index
                .upsert(&posting_doc(posting))
                .map_err(search_error)?;
        }
        state.index.commit().map_err(search_error)?;
        state.seq = state.seq.max(last);
        Ok(())
    }

    /// Searches the index as it is now.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, StoreError> {
        let state = self.inner.read().map_err(|_| poisoned())?;
        state.index.search(request).map_err(search_error)
    }

    /// Number of indexed documents.
    pub fn len(&self) -> u64 {
        self.inner.read().map(|s| s.index.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn system() -> domain::Actor {
    domain::Actor {
        user_id: 0,
        email: "system".into(),
        role: domain::Role::Secretariat,
        organisation_id: None,
        company_id: None,
    }
}

async fn latest_seq(store: &Store) -> Result<i64, StoreError> {
    Ok(change::Entity::find()
        .order_by_desc(change::Column::Seq)
        .one(store.connection())
        .await?
        .map_or(0, |c| c.seq))
}

fn search_error(error: search::SearchError) -> StoreError {
    StoreError::Config(format!("検索索引のエラー: {error}"))
}

/// What a search may see besides public documents: everything for the secretariat,
/// its organisation's private records for staff, its own company for a member.
pub fn scope(viewer: Option<&domain::Actor>) -> (bool, Vec<(FacetField, String)>) {
    match viewer {
        Some(actor) if actor.is_secretariat() => (true, Vec::new()),
        Some(actor) => {
            let mut scope = Vec::new();
            if actor.role != domain::Role::Company
                && let Some(org) = actor.organisation_id
            {
                scope.push((FacetField::Owner, format!("org:{org}")));
            }
            if let Some(company) = actor.company_id {
                scope.push((FacetField::Owner, format!("company:{company}")));
            }
            (false, scope)
        }
        None => (false, Vec::new()),
    }
}

/// The Japanese label of a facet value (`ota` → 大田区, `cutting` → 切削).
pub fn facet_label(
    field: FacetField,
    value: &str,
    directory: &crate::organisations::Directory,
) -> String {
    match field {
        FacetField::City => directory
            .city_by_key(value)
            .map_or_else(|| value.to_owned(), |c| c.name.clone()),
        FacetField::Size => domain::directory::SizeBand::parse(value)
            .map_or_else(|| value.to_owned(), |s| s.label().to_owned()),
        FacetField::Industry => domain::directory::jsic_label(value)
            .unwrap_or(value)
            .to_owned(),
        _ => Capability::label_of(value),
    }
}

/// A directory search as pages and the API ask it.
#[derive(Debug, Clone, Default)]
pub struct CompanySearch {
    pub text: String,
    pub filters: Vec<(FacetField, String)>,
    pub include_closed: bool,
    pub limit: usize,
    pub offset: usize,
}

/// The companies of one page (with the passage that matched, as escaped HTML with
/// `<mark>`), the total the viewer may see, and the facet counts.
#[derive(Debug, Clone)]
pub struct CompanyHits {
    pub companies: Vec<(Company, Option<String>)>,
    pub total: usize,
    pub facets: std::collections::BTreeMap<FacetField, Vec<search::FacetCount>>,
}

/// Searches the directory for `viewer`: the index finds and ranks within what the
/// viewer may see, the store re-reads the hits with the viewer's rights (private
/// fields), in the index's order.
pub async fn search_companies(
    store: &Store,
    index: &SearchIndex,
    viewer: Option<&domain::Actor>,
    search: &CompanySearch,
) -> Result<CompanyHits, StoreError> {
    index.catch_up(store).await?;
    let (include_private, private_scope) = scope(viewer);
    let results = index.search(&SearchRequest {
        text: search.text.clone(),
        kinds: vec![DocKind::Company],
        filters: search.filters.clone(),
        include_private,
        private_scope,
        limit: search.limit,
        offset: search.offset,
        match_any: false,
    })?;
    let snippets: std::collections::HashMap<i64, String> = results
        .hits
        .iter()
        .filter(|_| !search.text.trim().is_empty())
        .filter_map(|h| h.snippet.as_ref().map(|s| (h.id, s.to_html())))
        .collect();
    let page = companies::list(
        store,
        viewer,
        &companies::CompanyFilter {
            ids: Some(results.hits.iter().map(|h| h.id).collect()),
            include_closed: search.include_closed,
            ..companies::CompanyFilter::default()
        },
    )
    .await?;
    Ok(CompanyHits {
        companies: page
            .companies
            .into_iter()
            .map(|c| {
                let snippet = snippets.get(&c.id).cloned();
                (c, snippet)
            })
            .collect(),
        total: results.total,
        facets: results.facets,
    })
}
