//! The `network_jobs` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "network_jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub key: String,
    pub hub_company_id: i64,
    pub name: String,
    pub release_at: i64,
    pub due_at: Option<i64>,
    pub created_at: ChronoDateTimeUtc,
    pub cancelled_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
