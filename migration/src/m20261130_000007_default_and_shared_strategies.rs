//! Each user's default strategy for new clients: the client form selects it, imports and the public
//! booking page give it to the clients they add, and nothing is selected silently any more. A
//! column of the user (one default each), pointing at a strategy the database keeps valid: deleting
//! the strategy clears it.
//!
//! `strategies.shared`: a strategy an admin shares with the team, which every user can read, give
//! their clients and make their default (only its owner and admins change it).
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
        db.execute_unprepared(
            "ALTER TABLE users ADD COLUMN default_strategy_id BIGINT REFERENCES strategies (id) ON DELETE SET NULL",
        )
        .await?;
        db.execute_unprepared("CREATE INDEX users_default_strategy_idx ON users (default_strategy_id)").await?;
        db.execute_unprepared("ALTER TABLE strategies ADD COLUMN shared BOOLEAN NOT NULL DEFAULT FALSE").await?;
        db.execute_unprepared("CREATE INDEX strategies_shared_idx ON strategies (shared, id)").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX strategies_shared_idx").await?;
        db.execute_unprepared("ALTER TABLE strategies DROP COLUMN shared").await?;
        db.execute_unprepared("DROP INDEX users_default_strategy_idx").await?;
        db.execute_unprepared("ALTER TABLE users DROP COLUMN default_strategy_id").await?;
        Ok(())
    }
}
