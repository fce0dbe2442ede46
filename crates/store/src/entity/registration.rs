//! The `event_registrations` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "event_registrations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub event_id: i64,
    /// The registrant's secret for their confirmation page.
    pub token: String,
    pub name: String,
    pub organisation_name: String,
    pub email: String,
    pub attendees: i32,
    pub status: String,
    pub attended: bool,
    /// The tour slot of a site (migration 0026), or none for the event itself.
    pub tour_id: Option<i64>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
