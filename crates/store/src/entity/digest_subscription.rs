//! The `digest_subscriptions` table: subscribers of the weekly digest of events.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "digest_subscriptions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub email: String,
    pub status: String,
    pub cities: String,
    pub pillars: String,
    pub pending_cities: String,
    pub pending_pillars: String,
    /// SHA-256 (hex) of the mailed confirmation token.
    pub confirm_hash: Option<String>,
    pub confirm_expires_at: Option<ChronoDateTimeUtc>,
    pub confirm_sent_at: Option<ChronoDateTimeUtc>,
    pub created_at: ChronoDateTimeUtc,
    pub confirmed_at: Option<ChronoDateTimeUtc>,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
