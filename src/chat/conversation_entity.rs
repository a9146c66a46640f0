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
    /// In "AI suggests" mode: the AI's draft answer, for a person to send, edit or discard...
    pub ai_draft: Option<String>,
    /// ...its action, as the AI domain wrote it (`{"label": "…", "action": …}`)...
    pub ai_draft_action: Option<String>,
    /// ...and the lead message it answers.
    pub ai_draft_reply_to: Option<i64>,
    /// The lead's first public message...
    pub first_lead_at: Option<DateTimeUtc>,
    /// ...and the first public answer after it (`ai` or `agent`), for speed to lead.
    pub first_reply_at: Option<DateTimeUtc>,
    pub first_reply_role: Option<String>,
    pub first_reply_secs: Option<i64>,
    /// When the AI first handed the conversation to the team.
    pub handed_off_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
