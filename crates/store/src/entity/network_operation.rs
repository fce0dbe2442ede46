//! The `network_operations` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "network_operations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub job_id: i64,
    pub position: i32,
    pub process: String,
    pub machine_id: Option<i64>,
    pub planned_start: Option<i64>,
    pub planned_end: Option<i64>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub expected_end: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
