//! A client's move between stages took its owner's two counts in the order "from, then to", so two
//! moves in opposite directions at once (lead to won, won to lead) could each hold the count the
//! other needed next: a deadlock PostgreSQL broke by failing one. The move now takes both in key
//! order in one statement, as the other count triggers do. SQLite has one writer at a time.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

use crate::m20261126_000001_client_counts::MOVE_FUNCTION;

#[derive(DeriveMigrationName)]
pub struct Migration;

const IN_KEY_ORDER: &str = "CREATE OR REPLACE FUNCTION client_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       INSERT INTO client_counts (owner_id, status, count)
         SELECT owner_id, status, SUM(n)
           FROM (VALUES (OLD.owner_id, OLD.status, -1), (NEW.owner_id, NEW.status, 1)) AS moved (owner_id, status, n)
           GROUP BY owner_id, status HAVING SUM(n) <> 0 ORDER BY owner_id, status
         ON CONFLICT (owner_id, status) DO UPDATE SET count = client_counts.count + EXCLUDED.count;
       RETURN NULL;
     END $$";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager.get_connection().execute_unprepared(IN_KEY_ORDER).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            let previous = MOVE_FUNCTION.replacen("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1);
            manager.get_connection().execute_unprepared(&previous).await?;
        }
        Ok(())
    }
}
