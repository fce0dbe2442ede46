//! The `diagnosis_followups` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "diagnosis_followups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub form_id: i64,
    pub company_id: i64,
    pub recorded_by: Option<i64>,
    pub kind: String,
    pub partner: String,
    pub note: String,
    pub next_action: String,
    pub next_on: Option<String>,
    pub happened_on: String,
    pub created_at: ChronoDateTimeUtc,
    /// When the company was told the next step is due (the pass's claim).
    pub due_noticed_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
