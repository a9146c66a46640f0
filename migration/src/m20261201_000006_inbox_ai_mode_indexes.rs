//! The inbox's AI-mode filter on an index, like its state filter: without one, a mode that few
//! conversations have walks every conversation of the owner (80 ms for 91,000 at a million clients).
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
        db.execute_unprepared(
            "CREATE INDEX conversations_owner_mode_activity_idx ON conversations (owner_id, ai_mode, last_activity_at, id)",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX conversations_mode_activity_idx ON conversations (ai_mode, last_activity_at, id)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX conversations_owner_mode_activity_idx").await?;
        db.execute_unprepared("DROP INDEX conversations_mode_activity_idx").await?;
        Ok(())
    }
}
