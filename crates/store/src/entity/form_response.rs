//! The `form_responses` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "form_responses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub form_id: i64,
    pub version_id: i64,
    pub company_id: i64,
    pub status: String,
    pub raw: String,
    pub answers: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    pub submitted_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
