//! SeaORM entity of the `conversations` table: one per client.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub client_id: i64,
    /// The client's owner, kept equal to it by a trigger.
    pub owner_id: i64,
    /// `open`, `waiting` or `closed`.
    pub state: String,
    /// `off`, `suggest` or `auto`.
    pub ai_mode: String,
    pub last_activity_at: DateTimeUtc,
    pub last_message_id: Option<i64>,
    /// Raised by every human action (a person's message, a mode or state change).
    pub version: i64,
    pub created_at: DateTimeUtc,
    /// The AI does not answer before then (a person took over).
    pub ai_paused_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
