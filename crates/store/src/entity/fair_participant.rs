//! The `fair_participants` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "fair_participants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub fair_id: i64,
    pub company_id: i64,
    pub role: String,
    pub available: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
