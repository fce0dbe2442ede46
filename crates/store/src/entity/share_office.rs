//! The `share_offices` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "share_offices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub key: String,
    pub owner_organisation_id: i64,
    pub city_id: i64,
    pub name: String,
    pub address: String,
    pub description: String,
    pub created_at: ChronoDateTimeUtc,
    /// '' for an office the council's document names or staff entered; `seed` for an
    /// invented office of the demonstration data (migration 0021).
    pub source: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
