//! The `fairs` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "fairs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub key: String,
    pub organisation_id: i64,
    pub event_id: Option<i64>,
    pub name: String,
    pub on_date: String,
    pub start_time: String,
    pub slot_count: i32,
    pub slot_minutes: i32,
    pub table_count: i32,
    pub request_deadline: String,
    pub request_cap: i32,
    pub scheduled_at: Option<ChronoDateTimeUtc>,
    pub schedule_weight: Option<i64>,
    pub schedule_bound: Option<i64>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
