//! "The first account becomes the admin", enforced by the database.
//!
//! Sign-up decides that an account is the first by counting the accounts in its transaction, but
//! on PostgreSQL two concurrent transactions can both count none and both make an admin. The first
//! account is therefore marked `first_account = TRUE`, and a unique index admits at most one such
//! row (every other row holds NULL, and NULLs never collide in a unique index on either database):
//! the second of two concurrent first sign-ups fails to mark itself and is retried as a later
//! account. A column rather than a partial unique index on `role`, because later admins are allowed.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("ALTER TABLE users ADD COLUMN first_account BOOLEAN").await?;
        db.execute_unprepared("CREATE UNIQUE INDEX users_first_account_key ON users (first_account)").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX users_first_account_key").await?;
        db.execute_unprepared("ALTER TABLE users DROP COLUMN first_account").await?;
        Ok(())
    }
}
