//! The `districts` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "districts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub key: String,
    pub owner_organisation_id: i64,
    pub city_id: i64,
    pub name: String,
    pub kind: String,
    pub rules: String,
    pub designated_on: Option<String>,
    pub designated_fy: Option<i32>,
    pub documents_url: String,
    pub source: String,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
