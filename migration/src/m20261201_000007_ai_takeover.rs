//! The persona's manners, per strategy, and a person's takeover, per conversation.
//!
//! `strategies` gains `default_ai_mode` (off | suggest | auto: the AI mode a new conversation of its
//! clients starts with; existing strategies keep "off", as their conversations had), `takeover_minutes`
//! (a person's public message puts the AI to sleep for this long; 0: never) and `ai_message_cap`
//! (after this many AI messages in a conversation, the AI hands it to a person).
//!
//! `clients` gains `timezone`: the lead's own (their browser's, from the public chat), in which the
//! persona offers times; `NULL`: the owner's.
//!
//! `conversations` gains `ai_paused_until` (the AI does not answer before then) and, for the
//! "AI suggests" mode, the AI's draft answer to the lead's message `ai_draft_reply_to`: its text
//! (`ai_draft`) and its action (`ai_draft_action`, JSON), until a person sends, edits or discards it.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

pub const DEFAULT_TAKEOVER_MINUTES: i32 = 60;
/// GoHighLevel's default.
pub const DEFAULT_AI_MESSAGE_CAP: i32 = 25;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let ts = if db.get_database_backend() == DatabaseBackend::Postgres {
            "TIMESTAMP WITH TIME ZONE"
        } else {
            "timestamp_with_timezone_text"
        };
        for statement in [
            "ALTER TABLE strategies ADD COLUMN default_ai_mode VARCHAR(16) NOT NULL DEFAULT 'off' \
             CONSTRAINT strategies_default_ai_mode_check CHECK (default_ai_mode IN ('off', 'suggest', 'auto'))"
                .to_owned(),
            format!(
                "ALTER TABLE strategies ADD COLUMN takeover_minutes INTEGER NOT NULL DEFAULT {DEFAULT_TAKEOVER_MINUTES} \
                 CONSTRAINT strategies_takeover_minutes_check CHECK (takeover_minutes >= 0)"
            ),
            format!(
                "ALTER TABLE strategies ADD COLUMN ai_message_cap INTEGER NOT NULL DEFAULT {DEFAULT_AI_MESSAGE_CAP} \
                 CONSTRAINT strategies_ai_message_cap_check CHECK (ai_message_cap >= 1)"
            ),
            format!("ALTER TABLE conversations ADD COLUMN ai_paused_until {ts}"),
            "ALTER TABLE conversations ADD COLUMN ai_draft TEXT".to_owned(),
            "ALTER TABLE clients ADD COLUMN timezone VARCHAR(64)".to_owned(),
            "ALTER TABLE conversations ADD COLUMN ai_draft_action TEXT".to_owned(),
            "ALTER TABLE conversations ADD COLUMN ai_draft_reply_to BIGINT".to_owned(),
        ] {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for statement in [
            "ALTER TABLE clients DROP COLUMN timezone",
            "ALTER TABLE conversations DROP COLUMN ai_draft_reply_to",
            "ALTER TABLE conversations DROP COLUMN ai_draft_action",
            "ALTER TABLE conversations DROP COLUMN ai_draft",
            "ALTER TABLE conversations DROP COLUMN ai_paused_until",
            "ALTER TABLE strategies DROP COLUMN ai_message_cap",
            "ALTER TABLE strategies DROP COLUMN takeover_minutes",
            "ALTER TABLE strategies DROP COLUMN default_ai_mode",
        ] {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }
}
