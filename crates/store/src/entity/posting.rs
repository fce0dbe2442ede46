//! The `postings` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "postings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub key: String,
    pub side: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub poster_name: String,
    pub company_id: Option<i64>,
    pub person_id: Option<i64>,
    pub owner_organisation_id: i64,
    pub city_id: Option<i64>,
    pub size_preference: Option<String>,
    pub prefer_other_cities: bool,
    pub deadline: Option<String>,
    pub status: String,
    pub public: bool,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
