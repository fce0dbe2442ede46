//! The `notices` table: in-app お知らせ.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub programme: String,
    pub organisation_id: Option<i64>,
    pub title: String,
    pub body: String,
    pub link: String,
    pub essential: bool,
    pub created_at: ChronoDateTimeUtc,
    pub read_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
