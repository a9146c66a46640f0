//! The bookings list pages by the day a booking was made, newest first, with the id breaking
//! ties, and filters by status. With the id as a key and the status carried, its pages and the
//! dashboard's "bookings made" counts are range scans of these indexes alone, on both databases.
use sea_orm_migration::prelude::*;

use crate::covering_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (name, key columns, carried columns, the keys before) on `bookings`.
const INDEXES: &[(&str, &str, &str, &str)] = &[
    ("bookings_owner_created_idx", "owner_id, created_at, id", "status", "owner_id, created_at"),
    ("bookings_created_idx", "created_at, id", "owner_id, status", "created_at"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        for &(name, keys, carried, _) in INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
            db.execute_unprepared(&covering_index::create(backend, "bookings", name, keys, carried)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for &(name, _, _, before) in INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
            db.execute_unprepared(&format!("CREATE INDEX {name} ON bookings ({before})")).await?;
        }
        Ok(())
    }
}
