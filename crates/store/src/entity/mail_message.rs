//! The `mail_messages` table: the outbox.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub message_id: String,
    pub organisation_id: Option<i64>,
    pub sender_name: String,
    pub recipient_email: String,
    pub recipient_name: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub ics: Option<String>,
    pub kind: String,
    pub status: String,
    pub tries: i32,
    /// Unix milliseconds.
    pub next_attempt_at: i64,
    pub claim: Option<String>,
    /// Unix milliseconds.
    pub lease_until: Option<i64>,
    pub last_error: String,
    pub created_at: ChronoDateTimeUtc,
    pub sent_at: Option<ChronoDateTimeUtc>,
    /// A bulk message's list (`survey.<organisation>`, `digest`).
    pub list_name: Option<String>,
    /// A bulk message's one-click unsubscribe token (List-Unsubscribe).
    pub unsubscribe_token: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
