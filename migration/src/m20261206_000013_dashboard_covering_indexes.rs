//! The dashboard's per-range figures read the clients created and the conversations first written
//! in a range by their time indexes; with the columns they count carried in those indexes (the
//! stage and strategy of a client; the first answerer and answer time of a conversation), both
//! databases answer from the index alone instead of fetching a row per client or conversation.
//! Same names and leading columns as before, so the clients list's sort by creation still uses them.
use sea_orm_migration::prelude::*;

use crate::covering_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (name, table, key columns, carried columns).
const INDEXES: &[(&str, &str, &str, &str)] = &[
    ("clients_owner_created_idx", "clients", "owner_id, created_at, id", "status, strategy_id"),
    ("clients_created_idx", "clients", "created_at, id", "owner_id, status, strategy_id"),
    (
        "conversations_owner_first_lead_idx",
        "conversations",
        "owner_id, first_lead_at",
        "first_reply_role, first_reply_secs",
    ),
    ("conversations_first_lead_idx", "conversations", "first_lead_at", "owner_id, first_reply_role, first_reply_secs"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        for &(name, table, keys, carried) in INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
            db.execute_unprepared(&covering_index::create(backend, table, name, keys, carried)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for &(name, table, keys, _) in INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
            db.execute_unprepared(&format!("CREATE INDEX {name} ON {table} ({keys})")).await?;
        }
        Ok(())
    }
}
