//! The `events` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub key: String,
    pub organisation_id: i64,
    pub city_id: i64,
    pub event_type: String,
    pub title: String,
    /// Local time in Asia/Tokyo, `YYYY-MM-DDTHH:MM`.
    pub starts_at: String,
    pub ends_at: String,
    pub all_day: bool,
    pub date_is_approximate: bool,
    pub venue: String,
    pub address: String,
    pub initiative_id: Option<i64>,
    pub description: String,
    pub note: String,
    pub members_only: bool,
    pub capacity: Option<i32>,
    pub status: String,
    pub sequence: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
