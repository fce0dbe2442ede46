//! The `network_routes` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "network_routes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub routed_at: ChronoDateTimeUtc,
    pub now_minute: i64,
    pub makespan: i64,
    pub tardiness: i64,
    pub user_email: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
