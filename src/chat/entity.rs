//! SeaORM entity of the `messages` table: one turn of a client's conversation. Written only by
//! [`super::service::record`].
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub client_id: i64,
    /// `client`, `ai`, `agent` or `system`.
    pub role: String,
    pub body: String,
    pub channel: String,
    pub created_at: DateTimeUtc,
    /// Set on every message written since conversations exist (and on older ones by the migration).
    pub conversation_id: Option<i64>,
    /// A note for the team: never shown to the lead, never given to the AI.
    pub private: bool,
    /// `sent` or `failed`.
    pub delivery: String,
    pub failure_reason: Option<String>,
    /// The user who wrote an agent message (null once their account is gone).
    pub author_id: Option<i64>,
    /// On an AI reply: the lead message it answers (unique: one reply per lead message).
    pub reply_to_message_id: Option<i64>,
    /// On a message a job writes on its own (a booking reminder): what it is, unique, so that a
    /// job run twice writes it once.
    pub idempotency_key: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
