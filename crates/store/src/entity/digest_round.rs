//! The `digest_rounds` table: one row per ISO week whose digest was queued.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "digest_rounds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub week: String,
    pub mails: i64,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
