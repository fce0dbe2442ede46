//! The `forms` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "forms")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub key: String,
    pub owner_organisation_id: i64,
    pub purpose: String,
    pub title: String,
    pub description: String,
    pub eligibility: String,
    pub award_year: Option<i32>,
    /// First day answers are accepted (YYYY-MM-DD, Japan time).
    pub opens_on: Option<String>,
    /// Last day answers are accepted.
    pub closes_on: Option<String>,
    /// Days submitted answers are kept (survey retention); None keeps them.
    pub retention_days: Option<i32>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
