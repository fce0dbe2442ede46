//! The `event_sites` table (migration 0026): a factory of the directory that an
//! event spread over many sites (おおたオープンファクトリー) opens to visitors.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "event_sites")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub event_id: i64,
    pub company_id: i64,
    /// 工場見学, ものづくり体験, …
    pub programme: String,
    pub description: String,
    pub address: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
