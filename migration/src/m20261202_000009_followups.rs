//! Follow-ups of a quiet lead, per strategy: `strategies.followup_minutes` lists the waits, in
//! minutes and comma-separated ("1440,4320"), before each follow-up the AI sends when the lead has
//! not answered its last message; empty: no follow-ups (as existing strategies had).
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
            .execute_unprepared("ALTER TABLE strategies ADD COLUMN followup_minutes VARCHAR(100) NOT NULL DEFAULT ''")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("ALTER TABLE strategies DROP COLUMN followup_minutes").await?;
        Ok(())
    }
}
