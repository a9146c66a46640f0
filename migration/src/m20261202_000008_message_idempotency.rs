//! `messages` gains `idempotency_key`: a message that a job writes on its own (a booking reminder)
//! carries a key naming what it is, unique, so that a job delivered twice, or run again after its
//! worker died between the commit and the acknowledgement, writes it once. `NULL` for every other
//! message (both databases keep any number of `NULL`s in a unique index).
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
        for statement in [
            "ALTER TABLE messages ADD COLUMN idempotency_key TEXT",
            "CREATE UNIQUE INDEX messages_idempotency_key ON messages (idempotency_key)",
        ] {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for statement in
            ["DROP INDEX IF EXISTS messages_idempotency_key", "ALTER TABLE messages DROP COLUMN idempotency_key"]
        {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }
}
