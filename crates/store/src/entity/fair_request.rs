//! The `fair_requests` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "fair_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub fair_id: i64,
    pub from_participant_id: i64,
    pub to_participant_id: i64,
    pub priority: String,
    pub status: String,
    pub requested_by: String,
    pub slot: Option<i32>,
    pub table_no: Option<i32>,
    pub locked: bool,
    pub unplaced_reason: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
