//! The `two_step_secrets` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "two_step_secrets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// The TOTP secret, base32 (RFC 4648, no padding).
    pub secret: String,
    pub enrolled_at: ChronoDateTimeUtc,
    /// The last 30-second step whose code was accepted.
    pub last_step: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
