//! The public booking page and e-mail confirmations.
//!
//! `bookings.guest_name`, `guest_email`, `guest_phone`: who booked on the public page, as they
//! typed it. The client it was matched to may be edited or deleted later; confirmations and the
//! manage link keep reaching the person who booked.
//!
//! `booking_emails`: one row per confirmation sent (booking, what happened, its SEQUENCE, the
//! recipient). The mail job writes it after sending and skips what is already there, so a retried
//! job does not send twice.
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
        let postgres = db.get_database_backend() == DatabaseBackend::Postgres;
        let (pk, ts) = if postgres {
            ("BIGSERIAL PRIMARY KEY", "TIMESTAMP WITH TIME ZONE")
        } else {
            ("INTEGER PRIMARY KEY AUTOINCREMENT", "timestamp_with_timezone_text")
        };
        for column in ["guest_name", "guest_email", "guest_phone"] {
            db.execute_unprepared(&format!("ALTER TABLE bookings ADD COLUMN {column} TEXT")).await?;
        }
        db.execute_unprepared(&format!(
            "CREATE TABLE booking_emails (
                id {pk},
                booking_id BIGINT NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
                event TEXT NOT NULL,
                sequence INTEGER NOT NULL,
                recipient TEXT NOT NULL,
                sent_at {ts} NOT NULL DEFAULT CURRENT_TIMESTAMP
            )"
        ))
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX booking_emails_once_idx ON booking_emails (booking_id, event, sequence, recipient)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP TABLE booking_emails").await?;
        for column in ["guest_phone", "guest_email", "guest_name"] {
            db.execute_unprepared(&format!("ALTER TABLE bookings DROP COLUMN {column}")).await?;
        }
        Ok(())
    }
}
