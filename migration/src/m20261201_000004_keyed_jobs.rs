//! Keyed jobs: a job may carry a key (`unique_key`), and at most one job per queue and key waits
//! at a time (not reserved, attempts left). Scheduling a keyed job again moves the waiting one
//! (its payload and due time) instead of adding another: several quick messages from a lead get
//! one AI reply. A reserved job has left the index, so a new one may wait beside it.
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
        db.execute_unprepared("ALTER TABLE jobs ADD COLUMN unique_key VARCHAR(200)").await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX jobs_waiting_key ON jobs (queue, unique_key) \
             WHERE unique_key IS NOT NULL AND locked_by IS NULL AND attempts < max_attempts",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX jobs_waiting_key").await?;
        db.execute_unprepared("ALTER TABLE jobs DROP COLUMN unique_key").await?;
        Ok(())
    }
}
