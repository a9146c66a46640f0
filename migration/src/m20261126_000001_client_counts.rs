//! `client_counts`: how many clients each owner has in each stage, kept exact by triggers in the
//! same transaction as the change to `clients`. The clients list and the pipeline read their totals
//! from it instead of counting rows, which at 100,000 clients was a third of a list page's cost
//! and could only say "10,000+" for a large book.
//!
//! Filters the table cannot answer (a search, a strategy) still count rows, up to a bound.
//!
//! PostgreSQL adds inserted and deleted rows per statement (transition tables), so an import or a
//! seed of a million rows updates each counter once per statement, not once per row. SQLite has
//! only row triggers. A row's owner or stage changing moves one between counters, on both. No
//! foreign key to `users`: a deleted user's clients are deleted with it, which leaves zeros.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const CREATE_TABLE: &str = "CREATE TABLE client_counts (
    owner_id BIGINT NOT NULL,
    status VARCHAR(16) NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (owner_id, status)
)";

const BACKFILL: &str = "INSERT INTO client_counts (owner_id, status, count)
    SELECT owner_id, status, COUNT(*) FROM clients GROUP BY owner_id, status";

/// Replaced by m20261215_000022, which takes the two counts in key order.
pub(crate) const MOVE_FUNCTION: &str = "CREATE FUNCTION client_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       UPDATE client_counts SET count = count - 1 WHERE owner_id = OLD.owner_id AND status = OLD.status;
       INSERT INTO client_counts (owner_id, status, count) VALUES (NEW.owner_id, NEW.status, 1)
         ON CONFLICT (owner_id, status) DO UPDATE SET count = client_counts.count + 1;
       RETURN NULL;
     END $$";

const POSTGRES_TRIGGERS: &[&str] = &[
    // Ordered, so that two statements touching the same counters lock them in the same order.
    "CREATE FUNCTION client_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       INSERT INTO client_counts (owner_id, status, count)
         SELECT owner_id, status, COUNT(*) FROM added GROUP BY owner_id, status ORDER BY owner_id, status
         ON CONFLICT (owner_id, status) DO UPDATE SET count = client_counts.count + EXCLUDED.count;
       RETURN NULL;
     END $$",
    "CREATE FUNCTION client_counts_remove() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       UPDATE client_counts SET count = client_counts.count - removed_counts.n
         FROM (SELECT owner_id, status, COUNT(*) AS n FROM removed GROUP BY owner_id, status
               ORDER BY owner_id, status) AS removed_counts
         WHERE client_counts.owner_id = removed_counts.owner_id AND client_counts.status = removed_counts.status;
       RETURN NULL;
     END $$",
    MOVE_FUNCTION,
    "CREATE TRIGGER clients_counts_insert AFTER INSERT ON clients
       REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION client_counts_add()",
    "CREATE TRIGGER clients_counts_delete AFTER DELETE ON clients
       REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION client_counts_remove()",
    "CREATE TRIGGER clients_counts_update AFTER UPDATE OF owner_id, status ON clients FOR EACH ROW
       WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.status IS DISTINCT FROM NEW.status)
       EXECUTE FUNCTION client_counts_move()",
];

const SQLITE_TRIGGERS: &[&str] = &[
    "CREATE TRIGGER clients_counts_insert AFTER INSERT ON clients BEGIN
       INSERT INTO client_counts (owner_id, status, count) VALUES (new.owner_id, new.status, 1)
         ON CONFLICT (owner_id, status) DO UPDATE SET count = count + 1;
     END",
    "CREATE TRIGGER clients_counts_delete AFTER DELETE ON clients BEGIN
       UPDATE client_counts SET count = count - 1 WHERE owner_id = old.owner_id AND status = old.status;
     END",
    "CREATE TRIGGER clients_counts_update AFTER UPDATE OF owner_id, status ON clients
       WHEN old.owner_id IS NOT new.owner_id OR old.status IS NOT new.status BEGIN
       UPDATE client_counts SET count = count - 1 WHERE owner_id = old.owner_id AND status = old.status;
       INSERT INTO client_counts (owner_id, status, count) VALUES (new.owner_id, new.status, 1)
         ON CONFLICT (owner_id, status) DO UPDATE SET count = count + 1;
     END",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(CREATE_TABLE).await?;
        db.execute_unprepared(BACKFILL).await?;
        let triggers = match manager.get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES_TRIGGERS,
            _ => SQLITE_TRIGGERS,
        };
        for statement in triggers {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for trigger in ["clients_counts_insert", "clients_counts_delete", "clients_counts_update"] {
            let statement = match manager.get_database_backend() {
                DatabaseBackend::Postgres => format!("DROP TRIGGER IF EXISTS {trigger} ON clients"),
                _ => format!("DROP TRIGGER IF EXISTS {trigger}"),
            };
            db.execute_unprepared(&statement).await?;
        }
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            for function in ["client_counts_add", "client_counts_remove", "client_counts_move"] {
                db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {function}()")).await?;
            }
        }
        db.execute_unprepared("DROP TABLE client_counts").await?;
        Ok(())
    }
}
