//! "Last activity" moves when a person works a lead, not only when a message arrives.
//!
//! `worked_at` is the last time someone changed the lead's stage, notes or profile, or booked it;
//! `last_activity_at` (generated, so it cannot drift) becomes the latest of the creation, the last
//! message and that. SQLite compares the stored RFC 3339 texts, which order like the instants
//! because every timestamp is written in the same UTC form. Generated columns cannot be altered:
//! the column and the indexes over it are dropped and made again.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every index over `last_activity_at` (made by the sort and pipeline migrations).
const ACTIVITY_INDEXES: &[(&str, &str)] = &[
    ("clients_owner_activity_idx", "owner_id, last_activity_at, id"),
    ("clients_activity_idx", "last_activity_at, id"),
    ("clients_owner_status_activity_idx", "owner_id, status, last_activity_at, id"),
    ("clients_status_activity_idx", "status, last_activity_at, id"),
];

async fn replace_activity(manager: &SchemaManager<'_>, postgres: &str, sqlite: &str) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for (name, _) in ACTIVITY_INDEXES {
        db.execute_unprepared(&format!("DROP INDEX IF EXISTS {name}")).await?;
    }
    db.execute_unprepared("ALTER TABLE clients DROP COLUMN last_activity_at").await?;
    let column = match manager.get_database_backend() {
        DatabaseBackend::Postgres => format!("timestamptz GENERATED ALWAYS AS ({postgres}) STORED"),
        // SQLite can only add VIRTUAL generated columns; they are indexable all the same.
        _ => format!("TEXT GENERATED ALWAYS AS ({sqlite}) VIRTUAL"),
    };
    db.execute_unprepared(&format!("ALTER TABLE clients ADD COLUMN last_activity_at {column}")).await?;
    for (name, columns) in ACTIVITY_INDEXES {
        db.execute_unprepared(&format!("CREATE INDEX {name} ON clients ({columns})")).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One connection for every statement: on SQLite another pooled connection may still hold the
    /// schema from before a previous statement (seen as "duplicate column name").
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let timestamp =
            if manager.get_database_backend() == DatabaseBackend::Postgres { "timestamptz" } else { "TEXT" };
        manager
            .get_connection()
            .execute_unprepared(&format!("ALTER TABLE clients ADD COLUMN worked_at {timestamp}"))
            .await?;
        replace_activity(
            manager,
            // GREATEST skips NULLs.
            "GREATEST(created_at, last_message_at, worked_at)",
            "max(created_at, COALESCE(last_message_at, created_at), COALESCE(worked_at, created_at))",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let previous = "COALESCE(last_message_at, created_at)";
        replace_activity(manager, previous, previous).await?;
        manager.get_connection().execute_unprepared("ALTER TABLE clients DROP COLUMN worked_at").await?;
        Ok(())
    }
}
