//! `ai_decisions`: the reply the AI chose for a lead's message, kept before the reply books or
//! moves a call and removed with the reply's own transaction. A job that runs again after its
//! worker died in between carries out the same reply (the booking service keeps the call it made)
//! instead of asking the responder again, who may choose another time and book a second call.
//! One per message (the key), for the conversation's version the job was given: a later job for the
//! same message (a retry after a person acted) does not replay it.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE TABLE ai_decisions (
                    message_id BIGINT NOT NULL PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
                    version BIGINT NOT NULL,
                    reply TEXT NOT NULL
                )",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP TABLE ai_decisions").await?;
        Ok(())
    }
}
