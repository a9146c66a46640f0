//! Each user's default strategy for new clients: the client form selects it, imports and the public
//! booking page give it to the clients they add. No strategy is selected silently any more. A
//! partial unique index lets the database hold at most one default per owner.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One connection for every statement: on SQLite another pooled connection may still hold the
    /// schema from before a previous statement (seen as "duplicate column name").
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("ALTER TABLE strategies ADD COLUMN is_default BOOLEAN NOT NULL DEFAULT FALSE").await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX strategies_owner_default_key ON strategies (owner_id) WHERE is_default",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX strategies_owner_default_key").await?;
        db.execute_unprepared("ALTER TABLE strategies DROP COLUMN is_default").await?;
        Ok(())
    }
}
