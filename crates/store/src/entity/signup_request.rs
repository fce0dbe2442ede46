//! The `signup_requests` table (migration 0016).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "signup_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub company_id: Option<i64>,
    pub organisation_id: i64,
    pub person_kind: String,
    pub token_sha256: Option<String>,
    pub token_expires_at: Option<ChronoDateTimeUtc>,
    pub reason: String,
    pub user_id: Option<i64>,
    pub created_at: ChronoDateTimeUtc,
    pub confirmed_at: Option<ChronoDateTimeUtc>,
    pub decided_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
