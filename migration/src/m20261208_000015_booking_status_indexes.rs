//! The dashboard's show rate and its people table count the past bookings of a range by status.
//! With the status carried in the bookings' start-time indexes, both databases answer from the
//! index alone instead of reading a table page per booking for its status (1,632 pages for one
//! owner's ten months at a million clients). Same names and leading columns as before, so the
//! bookings list and the calendar keep their order.
use sea_orm_migration::prelude::*;

use crate::covering_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (name, key columns, carried columns) on `bookings`.
const INDEXES: &[(&str, &str, &str)] = &[
    ("bookings_owner_starts_idx", "owner_id, starts_at, id", "status"),
    ("bookings_starts_idx", "starts_at, id", "owner_id, status"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        for &(name, keys, carried) in INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
            db.execute_unprepared(&covering_index::create(backend, "bookings", name, keys, carried)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for &(name, keys, _) in INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
            db.execute_unprepared(&format!("CREATE INDEX {name} ON bookings ({keys})")).await?;
        }
        Ok(())
    }
}
