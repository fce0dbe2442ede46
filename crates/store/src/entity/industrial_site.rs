//! The `industrial_sites` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "industrial_sites")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub key: String,
    pub owner_organisation_id: i64,
    pub city_id: i64,
    pub district_id: Option<i64>,
    pub name: String,
    pub address: String,
    pub area_m2: f64,
    pub zoning: String,
    pub tenure: String,
    pub price_note: String,
    pub incentives: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub closed: bool,
    pub source: String,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
