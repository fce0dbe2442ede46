//! The annual report's content, gathered from the catalogue in the document's own
//! structure: council-wide projects first, then each city and chamber, grouped by
//! pillar, each year's results before its plans. Rendering lives in the web crate.

use domain::{EntryStatus, FiscalYear, Pillar};

use crate::catalogue::{self, Filter, Initiative, Kpi};
use crate::organisations::{self, Organisation};
use crate::seed;
use crate::{Store, StoreError};

/// One initiative's entry for one year, as a line of the report.
#[derive(Debug, Clone)]
pub struct ReportItem {
    pub initiative_key: String,
    pub title: String,
    pub pillars: Vec<Pillar>,
    pub pillars_inferred: bool,
    pub status: EntryStatus,
    pub summary: String,
    pub kpis: Vec<Kpi>,
}

#[derive(Debug, Clone)]
pub struct YearBlock {
    pub fy: FiscalYear,
    pub items: Vec<ReportItem>,
}

#[derive(Debug, Clone)]
pub struct PillarSection {
    pub pillar: Pillar,
    pub years: Vec<YearBlock>,
}

#[derive(Debug, Clone)]
pub struct OrganisationSection {
    pub organisation: Organisation,
    pub pillars: Vec<PillarSection>,
}

/// Counts for the KPI overview: one row per organisation, one cell per pillar.
#[derive(Debug, Clone)]
pub struct OverviewRow {
    pub organisation: Organisation,
    /// Entries per pillar (index 0 = 【1】) in the selected years: (done, planned or undecided).
    pub per_pillar: [(u32, u32); 3],
    pub kpi_count: u32,
}

#[derive(Debug, Clone)]
pub struct AnnualReport {
    pub title: String,
    pub preamble: String,
    pub fiscal_years: Vec<FiscalYear>,
    /// Section 1: the council's own projects (no pillar grouping in the document).
    pub council: Vec<YearBlock>,
    /// Section 2: every city and chamber in the document's order.
    pub organisations: Vec<OrganisationSection>,
    pub overview: Vec<OverviewRow>,
    /// The same counts summed per city (a city's government and its chamber together).
    pub city_overview: Vec<CityOverviewRow>,
}

/// The overview of one city: every organisation in it, summed.
#[derive(Debug, Clone)]
pub struct CityOverviewRow {
    pub city_name: String,
    pub per_pillar: [(u32, u32); 3],
    pub kpi_count: u32,
}

/// Sums organisation rows per city, in the order the cities are listed.
fn per_city(cities: &[crate::organisations::City], rows: &[OverviewRow]) -> Vec<CityOverviewRow> {
    cities
        .iter()
        .map(|city| {
            let mut total = CityOverviewRow {
                city_name: city.name.clone(),
                per_pillar: [(0, 0); 3],
                kpi_count: 0,
            };
            for row in rows.iter().filter(|r| {
                r.organisation
                    .city
                    .as_ref()
                    .is_some_and(|c| c.id == city.id)
            }) {
                for (sum, cell) in total.per_pillar.iter_mut().zip(row.per_pillar) {
                    sum.0 += cell.0;
                    sum.1 += cell.1;
                }
                total.kpi_count += row.kpi_count;
            }
            total
        })
        .collect()
}

impl AnnualReport {
    pub fn total_entries(&self) -> usize {
        self.council.iter().map(|y| y.items.len()).sum::<usize>()
            + self
                .organisations
                .iter()
                .flat_map(|o| &o.pillars)
                .flat_map(|p| &p.years)
                .map(|y| y.items.len())
                .sum::<usize>()
    }
}

fn item(initiative: &Initiative, fy: FiscalYear) -> Option<ReportItem> {
    let entry = initiative.entry(fy)?;
    Some(ReportItem {
        initiative_key: initiative.key.clone(),
        title: initiative.title.clone(),
        pillars: initiative.pillars.clone(),
        pillars_inferred: initiative.pillars_inferred,
        status: entry.status,
        summary: entry.summary.clone(),
        kpis: entry.kpis.clone(),
    })
}

/// The report for the given years (sorted, duplicates removed).
pub async fn annual(
    store: &Store,
    fiscal_years: &[FiscalYear],
) -> Result<AnnualReport, StoreError> {
    let mut years = fiscal_years.to_vec();
    years.sort();
    years.dedup();
    let document = seed::document()?;
    let directory = organisations::directory(store).await?;
    let initiatives = catalogue::list(store, &Filter::default()).await?;

    let council_id = directory.organisation_by_key("council").map(|o| o.id);
    let council = years
        .iter()
        .map(|&fy| YearBlock {
            fy,
            items: initiatives
                .iter()
                .filter(|i| Some(i.organisation.id) == council_id)
                .filter_map(|i| item(i, fy))
                .collect(),
        })
        .filter(|block| !block.items.is_empty())
        .collect();

    let mut organisations = Vec::new();
    let mut overview = Vec::new();
    for organisation in directory.organisations.iter() {
        let own: Vec<&Initiative> = initiatives
            .iter()
            .filter(|i| i.organisation.id == organisation.id)
            .collect();
        let mut row = OverviewRow {
            organisation: organisation.clone(),
            per_pillar: [(0, 0); 3],
            kpi_count: 0,
        };
        for initiative in &own {
            for &fy in &years {
                if let Some(entry) = initiative.entry(fy) {
                    row.kpi_count += u32::try_from(entry.kpis.len()).unwrap_or(0);
                    for pillar in &initiative.pillars {
                        let cell = &mut row.per_pillar[usize::from(pillar.number() - 1)];
                        if entry.status == EntryStatus::Done {
                            cell.0 += 1;
                        } else {
                            cell.1 += 1;
                        }
                    }
                }
            }
        }
        overview.push(row);
        if Some(organisation.id) == council_id {
            continue;
        }
        // An initiative is reported under its first pillar, as the document lists
        // each one under a single heading.
        let pillars: Vec<PillarSection> = Pillar::ALL
            .into_iter()
            .map(|pillar| PillarSection {
                pillar,
                years: years
                    .iter()
                    .map(|&fy| YearBlock {
                        fy,
                        items: own
                            .iter()
                            .filter(|i| i.pillars.first() == Some(&pillar))
                            .filter_map(|i| item(i, fy))
                            .collect(),
                    })
                    .filter(|block| !block.items.is_empty())
                    .collect(),
            })
            .filter(|section| !section.years.is_empty())
            .collect();
        if !pillars.is_empty() {
            organisations.push(OrganisationSection {
                organisation: organisation.clone(),
                pillars,
            });
        }
    }
    Ok(AnnualReport {
        title: document.title.clone(),
        preamble: document.preamble.clone(),
        fiscal_years: years,
        council,
        organisations,
        city_overview: per_city(&directory.cities, &overview),
        overview,
    })
}
