//! Conversations: the inbox's unit, one per client, over the existing `messages` rows.
//!
//! `conversations`: one row per client (unique `client_id`), with the client's owner copied in so
//! that the inbox pages by `(owner_id, last_activity_at, id)` on one index (a trigger keeps the copy
//! equal to `clients.owner_id`); `state` (open | waiting | closed), `ai_mode` (off | suggest |
//! auto), `last_activity_at`, `last_message_id`, and `version`, raised by every human action (the
//! AI commits a reply only while it is unchanged).
//!
//! `conversation_reads`: per user and conversation, the newest message id that user has seen, for
//! unread counts.
//!
//! `messages` gains `conversation_id`, `private` (a note for the team: never shown to the lead nor
//! given to the AI), `delivery` (sent | failed) with `failure_reason`, and `author_id` (the user who
//! wrote an agent message). Existing messages are gathered into conversations of their clients.
//! `conversation_id` stays nullable in the schema (SQLite cannot add a NOT NULL column without a
//! default); the one writing service always sets it and this migration fills the old rows.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

pub const CONVERSATION_STATES: &[&str] = &["open", "waiting", "closed"];
pub const AI_MODES: &[&str] = &["off", "suggest", "auto"];
pub const DELIVERY_STATES: &[&str] = &["sent", "failed"];

fn one_of(column: &str, values: &[&str]) -> String {
    let list = values.iter().map(|value| format!("'{value}'")).collect::<Vec<_>>().join(", ");
    format!("{column} IN ({list})")
}

const INDEXES: &[&str] = &[
    "CREATE INDEX conversations_owner_activity_idx ON conversations (owner_id, last_activity_at, id)",
    "CREATE INDEX conversations_activity_idx ON conversations (last_activity_at, id)",
    "CREATE INDEX conversations_owner_state_activity_idx ON conversations (owner_id, state, last_activity_at, id)",
    "CREATE INDEX conversations_state_activity_idx ON conversations (state, last_activity_at, id)",
    "CREATE INDEX conversation_reads_conversation_idx ON conversation_reads (conversation_id)",
    "CREATE INDEX messages_conversation_created_idx ON messages (conversation_id, created_at, id)",
];

/// Existing messages become conversations: one per client that has messages, its activity that of
/// its newest message.
const BACKFILL: &[&str] = &[
    "INSERT INTO conversations (client_id, owner_id, state, ai_mode, last_activity_at, last_message_id, version, created_at)
     SELECT c.id, c.owner_id, 'open', 'off',
            (SELECT MAX(m.created_at) FROM messages m WHERE m.client_id = c.id),
            (SELECT m.id FROM messages m WHERE m.client_id = c.id ORDER BY m.created_at DESC, m.id DESC LIMIT 1),
            0,
            (SELECT MIN(m.created_at) FROM messages m WHERE m.client_id = c.id)
     FROM clients c WHERE EXISTS (SELECT 1 FROM messages m WHERE m.client_id = c.id)",
    "UPDATE messages SET conversation_id = (SELECT v.id FROM conversations v WHERE v.client_id = messages.client_id)",
];

const POSTGRES_OWNER_SYNC: &[&str] = &[
    "CREATE FUNCTION conversations_follow_owner() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       UPDATE conversations SET owner_id = NEW.owner_id WHERE client_id = NEW.id;
       RETURN NULL;
     END $$",
    "CREATE TRIGGER clients_conversation_owner AFTER UPDATE OF owner_id ON clients FOR EACH ROW
       WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id) EXECUTE FUNCTION conversations_follow_owner()",
];

const SQLITE_OWNER_SYNC: &[&str] = &["CREATE TRIGGER clients_conversation_owner AFTER UPDATE OF owner_id ON clients
       WHEN old.owner_id IS NOT new.owner_id BEGIN
       UPDATE conversations SET owner_id = new.owner_id WHERE client_id = new.id;
     END"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One connection for every statement (see the default-strategy migration).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = db.get_database_backend() == DatabaseBackend::Postgres;
        let (pk, ts, boolean_false) = if postgres {
            ("BIGSERIAL PRIMARY KEY", "TIMESTAMP WITH TIME ZONE", "BOOLEAN NOT NULL DEFAULT FALSE")
        } else {
            ("INTEGER PRIMARY KEY AUTOINCREMENT", "timestamp_with_timezone_text", "BOOLEAN NOT NULL DEFAULT 0")
        };
        db.execute_unprepared(&format!(
            "CREATE TABLE conversations (
                id {pk},
                client_id BIGINT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
                owner_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                state VARCHAR(16) NOT NULL DEFAULT 'open' CONSTRAINT conversations_state_check CHECK ({}),
                ai_mode VARCHAR(16) NOT NULL DEFAULT 'off' CONSTRAINT conversations_ai_mode_check CHECK ({}),
                last_activity_at {ts} NOT NULL,
                last_message_id BIGINT,
                version BIGINT NOT NULL DEFAULT 0,
                created_at {ts} NOT NULL DEFAULT CURRENT_TIMESTAMP
            )",
            one_of("state", CONVERSATION_STATES),
            one_of("ai_mode", AI_MODES),
        ))
        .await?;
        db.execute_unprepared("CREATE UNIQUE INDEX conversations_client_key ON conversations (client_id)").await?;
        db.execute_unprepared(
            "CREATE TABLE conversation_reads (
                user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
                last_seen_message_id BIGINT NOT NULL DEFAULT 0,
                PRIMARY KEY (user_id, conversation_id)
            )",
        )
        .await?;
        for statement in [
            "ALTER TABLE messages ADD COLUMN conversation_id BIGINT REFERENCES conversations (id) ON DELETE CASCADE"
                .to_owned(),
            format!("ALTER TABLE messages ADD COLUMN private {boolean_false}"),
            format!(
                "ALTER TABLE messages ADD COLUMN delivery VARCHAR(16) NOT NULL DEFAULT 'sent' \
                 CONSTRAINT messages_delivery_check CHECK ({})",
                one_of("delivery", DELIVERY_STATES)
            ),
            "ALTER TABLE messages ADD COLUMN failure_reason TEXT".to_owned(),
            "ALTER TABLE messages ADD COLUMN author_id BIGINT REFERENCES users (id) ON DELETE SET NULL".to_owned(),
        ] {
            db.execute_unprepared(&statement).await?;
        }
        for statement in BACKFILL.iter().chain(INDEXES) {
            db.execute_unprepared(statement).await?;
        }
        for statement in if postgres { POSTGRES_OWNER_SYNC } else { SQLITE_OWNER_SYNC } {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = db.get_database_backend() == DatabaseBackend::Postgres;
        if postgres {
            db.execute_unprepared("DROP TRIGGER IF EXISTS clients_conversation_owner ON clients").await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS conversations_follow_owner()").await?;
        } else {
            db.execute_unprepared("DROP TRIGGER IF EXISTS clients_conversation_owner").await?;
        }
        db.execute_unprepared("DROP INDEX IF EXISTS messages_conversation_created_idx").await?;
        for column in ["author_id", "failure_reason", "delivery", "private", "conversation_id"] {
            db.execute_unprepared(&format!("ALTER TABLE messages DROP COLUMN {column}")).await?;
        }
        db.execute_unprepared("DROP TABLE conversation_reads").await?;
        db.execute_unprepared("DROP TABLE conversations").await?;
        Ok(())
    }
}
