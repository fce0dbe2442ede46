//! The `site_enquiry_steps` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "site_enquiry_steps")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub enquiry_id: i64,
    pub stage: String,
    pub on_date: String,
    pub note: String,
    pub user_email: String,
    pub at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
