//! The AI persona's replies: each names the lead message it answers (`reply_to_message_id`), and a
//! unique index makes that one reply per lead message, even when a reply job runs twice (a worker
//! that died after the responder answered and before its reply was stored).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("ALTER TABLE messages ADD COLUMN reply_to_message_id BIGINT").await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX messages_reply_key ON messages (reply_to_message_id) \
             WHERE reply_to_message_id IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX messages_reply_key").await?;
        db.execute_unprepared("ALTER TABLE messages DROP COLUMN reply_to_message_id").await?;
        Ok(())
    }
}
