//! The websites that may show a user's public chat in a frame (`/talk/{slug}` embedded with an
//! iframe): normalised origins, one per line; empty means nowhere but this app.
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
            .execute_unprepared("ALTER TABLE users ADD COLUMN embed_origins TEXT NOT NULL DEFAULT ''")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("ALTER TABLE users DROP COLUMN embed_origins").await?;
        Ok(())
    }
}
