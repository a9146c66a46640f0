//! The public chat's keys: a lead's browser holds a random token (in an HttpOnly cookie) whose
//! SHA-256 is stored here; it reaches that one client's conversation and nothing else. A lead may
//! chat from several browsers, so a client may have several. A token shows the conversation from
//! the message it started with: whoever types a known lead's email gets a conversation with the
//! team, never what was said before.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let (pk, ts) = if db.get_database_backend() == DatabaseBackend::Postgres {
            ("BIGSERIAL PRIMARY KEY", "TIMESTAMP WITH TIME ZONE")
        } else {
            ("INTEGER PRIMARY KEY AUTOINCREMENT", "timestamp_with_timezone_text")
        };
        db.execute_unprepared(&format!(
            "CREATE TABLE lead_chat_tokens (
                id {pk},
                client_id BIGINT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
                token_hash VARCHAR(64) NOT NULL,
                visible_from_message_id BIGINT NOT NULL,
                created_at {ts} NOT NULL DEFAULT CURRENT_TIMESTAMP
            )"
        ))
        .await?;
        db.execute_unprepared("CREATE UNIQUE INDEX lead_chat_tokens_hash_key ON lead_chat_tokens (token_hash)").await?;
        db.execute_unprepared("CREATE INDEX lead_chat_tokens_client_idx ON lead_chat_tokens (client_id)").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP TABLE IF EXISTS lead_chat_tokens").await?;
        Ok(())
    }
}
