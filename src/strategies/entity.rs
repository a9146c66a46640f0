//! SeaORM entity of the `strategies` table (server only; never crosses the wire).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "strategies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub owner_id: i64,
    pub name: String,
    pub tag: Option<String>,
    pub tone: Option<String>,
    pub ai_instructions: String,
    pub objective: Option<String>,
    pub objection_handling: Option<String>,
    pub qualification_priority: Option<String>,
    pub disqualification_criteria: Option<String>,
    pub creativity: i16,
    /// `[{"role": "lead" | "ai", "text": "…"}]`
    pub example_conversation: Option<Json>,
    pub reply_delay_min: i32,
    pub reply_delay_max: i32,
    /// off | suggest | auto: the AI mode of its clients' new conversations.
    pub default_ai_mode: String,
    pub takeover_minutes: i32,
    pub ai_message_cap: i32,
    /// The waits before each follow-up of a quiet lead, in minutes, comma-separated ("1440,4320").
    pub followup_minutes: String,
    /// Shared by an admin with the team: every user may read it and give it to their clients.
    pub shared: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
