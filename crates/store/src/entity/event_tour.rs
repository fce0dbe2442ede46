//! The `event_tours` table (migration 0026): a site's tour slot (見学枠) with its
//! capacity; times are Japan's wall-clock 'YYYY-MM-DDTHH:MM', as for events.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "event_tours")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub site_id: i64,
    pub starts_at: String,
    pub ends_at: String,
    pub capacity: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
