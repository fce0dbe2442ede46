//! The `people` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "people")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub key: String,
    pub kind: String,
    pub name: String,
    pub kana: String,
    pub affiliation: String,
    pub city_id: Option<i64>,
    pub owner_organisation_id: i64,
    pub profile: String,
    pub email: String,
    pub phone: String,
    pub public: bool,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    /// The individual's account whose own profile this is (migration 0016).
    pub user_id: Option<i64>,
    /// '' for records staff keep; pending | approved | refused for self-posted ones.
    pub review: String,
    /// The keeper's reason when it refused publication.
    pub review_note: String,
    /// Where the record came from: '' when entered, `seed` for the invented people of
    /// the demonstration data (migration 0021, [`crate::demo`]).
    pub source: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
