//! What the dashboard reads: per conversation, when the lead first wrote and when and by whom
//! (the AI or a person) that was first answered, so that speed to lead is a sort of one indexed
//! column instead of a search through every conversation's messages; when the AI first handed the
//! conversation to the team; and indexes for counting clients, messages and bookings by time.
//! Existing conversations are filled in from their messages.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The new columns (`{ts}`: each backend's name for a time with its zone).
const COLUMNS: &[&str] = &[
    "ALTER TABLE conversations ADD COLUMN first_lead_at {ts} NULL",
    "ALTER TABLE conversations ADD COLUMN first_reply_at {ts} NULL",
    "ALTER TABLE conversations ADD COLUMN first_reply_role VARCHAR(8) NULL",
    "ALTER TABLE conversations ADD COLUMN first_reply_secs BIGINT NULL",
    "ALTER TABLE conversations ADD COLUMN handed_off_at {ts} NULL",
];

const INDEXES: &[(&str, &str)] = &[
    ("conversations_owner_first_lead_idx", "conversations (owner_id, first_lead_at)"),
    ("conversations_first_lead_idx", "conversations (first_lead_at)"),
    ("messages_created_idx", "messages (created_at, role, private, conversation_id)"),
    ("bookings_owner_created_idx", "bookings (owner_id, created_at)"),
    ("bookings_created_idx", "bookings (created_at)"),
    ("bookings_updated_idx", "bookings (updated_at)"),
];

/// Fills in the speed-to-lead and hand-off columns of the conversations that lack them, from their
/// messages: the first public lead message, and the first public answer after it (a notice such
/// as a booking reminder answers nothing). Idempotent; the seeding tool runs it too.
pub fn backfill(backend: DatabaseBackend) -> [&'static str; 5] {
    [
        "UPDATE conversations SET first_lead_at = (
           SELECT MIN(m.created_at) FROM messages m
           WHERE m.conversation_id = conversations.id AND m.role = 'client' AND NOT m.private)
         WHERE first_lead_at IS NULL",
        "UPDATE conversations SET first_reply_at = (
           SELECT MIN(m.created_at) FROM messages m
           WHERE m.conversation_id = conversations.id AND m.role IN ('ai', 'agent') AND NOT m.private
             AND m.idempotency_key IS NULL AND m.created_at >= conversations.first_lead_at)
         WHERE first_lead_at IS NOT NULL AND first_reply_at IS NULL",
        "UPDATE conversations SET first_reply_role = (
           SELECT m.role FROM messages m
           WHERE m.conversation_id = conversations.id AND m.role IN ('ai', 'agent') AND NOT m.private
             AND m.idempotency_key IS NULL AND m.created_at = conversations.first_reply_at
           ORDER BY m.id LIMIT 1)
         WHERE first_reply_at IS NOT NULL AND first_reply_role IS NULL",
        match backend {
            DatabaseBackend::Postgres => {
                "UPDATE conversations
                 SET first_reply_secs = CAST(EXTRACT(EPOCH FROM (first_reply_at - first_lead_at)) AS BIGINT)
                 WHERE first_reply_at IS NOT NULL AND first_reply_secs IS NULL"
            }
            _ => {
                "UPDATE conversations
                 SET first_reply_secs = CAST(strftime('%s', first_reply_at) AS INTEGER)
                   - CAST(strftime('%s', first_lead_at) AS INTEGER)
                 WHERE first_reply_at IS NOT NULL AND first_reply_secs IS NULL"
            }
        },
        "UPDATE conversations SET handed_off_at = (
           SELECT MIN(m.created_at) FROM messages m
           WHERE m.conversation_id = conversations.id AND m.role = 'system'
             AND m.body LIKE 'The AI handed this conversation to the team:%')
         WHERE handed_off_at IS NULL",
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let ts = match backend {
            DatabaseBackend::Postgres => "TIMESTAMP WITH TIME ZONE",
            _ => "timestamp_with_timezone_text",
        };
        for column in COLUMNS {
            db.execute_unprepared(&column.replace("{ts}", ts)).await?;
        }
        // Without statistics, PostgreSQL may answer the back-fill's `idempotency_key IS NULL` from
        // that unique index, reading every message once per conversation.
        if backend == DatabaseBackend::Postgres {
            db.execute_unprepared("ANALYZE messages").await?;
        }
        for statement in backfill(backend) {
            db.execute_unprepared(statement).await?;
        }
        for (name, on) in INDEXES {
            db.execute_unprepared(&format!("CREATE INDEX {name} ON {on}")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, _) in INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        for column in ["first_lead_at", "first_reply_at", "first_reply_role", "first_reply_secs", "handed_off_at"] {
            db.execute_unprepared(&format!("ALTER TABLE conversations DROP COLUMN {column}")).await?;
        }
        Ok(())
    }
}
