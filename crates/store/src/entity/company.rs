//! The `companies` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "companies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub key: String,
    pub corporate_number: Option<String>,
    pub name: String,
    pub kana: String,
    pub city_id: Option<i64>,
    pub owner_organisation_id: i64,
    pub prefecture: String,
    pub address: String,
    pub industry: Option<String>,
    pub employees: Option<i32>,
    pub founded_year: Option<i32>,
    pub representative_age: Option<String>,
    pub url: String,
    pub description: String,
    pub products: String,
    pub public: bool,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub staff_note: String,
    pub closed_on: Option<String>,
    pub close_cause: String,
    pub source: String,
    pub nta_updated_on: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
