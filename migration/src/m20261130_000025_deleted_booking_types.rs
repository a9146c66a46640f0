//! Booking types can be deleted, and bookings made with one keep it.
//!
//! `booking_types.deleted_at`: a deleted type is kept (switched off and marked) rather than removed,
//! so the bookings made with it keep their type, its buffers and its feed entries, and the audit
//! log keeps pointing at a row. The slug's uniqueness per owner holds among the types not deleted
//! (a partial unique index, on both databases), so a new type may take a deleted one's slug.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One connection for every statement (see the default-strategy migration).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let ts = if db.get_database_backend() == DatabaseBackend::Postgres {
            "TIMESTAMP WITH TIME ZONE"
        } else {
            "timestamp_with_timezone_text"
        };
        db.execute_unprepared(&format!("ALTER TABLE booking_types ADD COLUMN deleted_at {ts}")).await?;
        db.execute_unprepared("DROP INDEX booking_types_owner_slug_key").await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX booking_types_owner_slug_key ON booking_types (owner_id, slug) WHERE deleted_at IS NULL",
        )
        .await?;
        Ok(())
    }

    /// Deleted types stay, switched off, under their slug and id (made unique again).
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX booking_types_owner_slug_key").await?;
        db.execute_unprepared(
            "UPDATE booking_types SET slug = slug || '-' || CAST(id AS VARCHAR(20)), active = FALSE \
             WHERE deleted_at IS NOT NULL",
        )
        .await?;
        db.execute_unprepared("CREATE UNIQUE INDEX booking_types_owner_slug_key ON booking_types (owner_id, slug)")
            .await?;
        db.execute_unprepared("ALTER TABLE booking_types DROP COLUMN deleted_at").await?;
        Ok(())
    }
}
