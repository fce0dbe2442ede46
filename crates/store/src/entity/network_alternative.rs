//! The `network_alternatives` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "network_alternatives")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub operation_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub machine_id: i64,
    pub minutes: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
