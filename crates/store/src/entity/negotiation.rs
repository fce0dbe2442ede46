//! The `negotiations` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "negotiations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub key: String,
    pub posting_id: Option<i64>,
    pub buyer_company_id: Option<i64>,
    pub buyer_name: String,
    pub supplier_company_id: Option<i64>,
    pub supplier_person_id: Option<i64>,
    pub supplier_name: String,
    pub owner_organisation_id: i64,
    pub title: String,
    pub stage: String,
    pub amount: Option<f64>,
    pub started_on: String,
    pub updated_on: String,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
