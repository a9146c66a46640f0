//! Hourly message rollups for the dashboard: `message_rollups_hourly` holds what
//! `message_rollups` holds, summed by hour (quarter hour / 4). A range in a time zone whose offset
//! is whole hours (all but a few) reads a quarter as many rows from it.
//!
//! It is kept from `message_rollups` by triggers on that table, in the same transaction: every
//! change of a quarter hour's count (a message written, a client deleted or given to another
//! owner) moves its hour's count by as much, so the two always agree. SQLite's are row triggers
//! (it has one writer at a time); PostgreSQL's run per statement, in key order.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &[&str] = &[
    "CREATE TABLE message_rollups_hourly (
        owner_id BIGINT NOT NULL,
        hour BIGINT NOT NULL,
        role VARCHAR(8) NOT NULL,
        count BIGINT NOT NULL,
        PRIMARY KEY (owner_id, hour, role)
    )",
    "CREATE INDEX message_rollups_hourly_hour_idx ON message_rollups_hourly (hour, role, count)",
    "INSERT INTO message_rollups_hourly (owner_id, hour, role, count)
     SELECT owner_id, bucket / 4, role, SUM(count) FROM message_rollups GROUP BY 1, 2, 3",
];

/// Adds `count` to the hour of the quarter-hour row `row` (`new` or `old`), `sign` 1 or -1.
fn add(row: &str, sign: &str) -> String {
    format!(
        "INSERT INTO message_rollups_hourly (owner_id, hour, role, count)
           VALUES ({row}.owner_id, {row}.bucket / 4, {row}.role, {sign}{row}.count)
           ON CONFLICT (owner_id, hour, role) DO UPDATE SET count = message_rollups_hourly.count + excluded.count;"
    )
}

/// Moves the hourly counts by the change in the quarter-hour rows of `changes` (a query of
/// owner, bucket, role and a signed count), once per hour row and in key order, so that two
/// writers lock the hourly rows they share in the same order.
fn apply(changes: &str) -> String {
    format!(
        "INSERT INTO message_rollups_hourly (owner_id, hour, role, count)
           SELECT owner_id, bucket / 4, role, SUM(count) FROM ({changes}) AS changed
           GROUP BY 1, 2, 3 HAVING SUM(count) <> 0 ORDER BY 1, 2, 3
           ON CONFLICT (owner_id, hour, role) DO UPDATE SET count = message_rollups_hourly.count + EXCLUDED.count;"
    )
}

/// PostgreSQL's function that moves the hourly counts by the statement's changes to the quarter
/// hours. `-count` is named `count`: a deleted row's changes are read on their own, and `SUM(count)`
/// found no such column until m20261212_000019 replaced the function with this one.
pub(crate) fn keep_function() -> String {
    const ADDED: &str = "SELECT owner_id, bucket, role, count FROM new_rows";
    const TAKEN: &str = "SELECT owner_id, bucket, role, -count AS count FROM old_rows";
    format!(
        "CREATE OR REPLACE FUNCTION message_rollups_hourly_keep() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF TG_OP = 'INSERT' THEN
             {}
           ELSIF TG_OP = 'UPDATE' THEN
             {}
           ELSE
             {}
           END IF;
           RETURN NULL;
         END $$",
        apply(ADDED),
        apply(&format!("{ADDED} UNION ALL {TAKEN}")),
        apply(TAKEN)
    )
}

/// PostgreSQL: per statement over its transition tables (an upsert of many quarter-hour rows
/// moves each hour row once). A trigger with transition tables serves one event, so there are
/// three, sharing one function.
fn postgres_triggers() -> Vec<String> {
    let mut statements = vec![keep_function()];
    for (event, tables) in [
        ("INSERT", "NEW TABLE AS new_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
    ] {
        statements.push(format!(
            "CREATE TRIGGER message_rollups_hourly_{} AFTER {event} ON message_rollups
               REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION message_rollups_hourly_keep()",
            event.to_lowercase()
        ));
    }
    statements
}

fn sqlite_triggers() -> Vec<String> {
    vec![
        format!(
            "CREATE TRIGGER message_rollups_hourly_insert AFTER INSERT ON message_rollups BEGIN {} END",
            add("new", "")
        ),
        format!(
            "CREATE TRIGGER message_rollups_hourly_update AFTER UPDATE ON message_rollups BEGIN {} {} END",
            add("old", "-"),
            add("new", "")
        ),
        format!(
            "CREATE TRIGGER message_rollups_hourly_delete AFTER DELETE ON message_rollups BEGIN {} END",
            add("old", "-")
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let triggers = match manager.get_database_backend() {
            DatabaseBackend::Postgres => postgres_triggers(),
            _ => sqlite_triggers(),
        };
        for statement in TABLE.iter().map(|s| (*s).to_owned()).chain(triggers) {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            for trigger in ["insert", "update", "delete"] {
                db.execute_unprepared(&format!(
                    "DROP TRIGGER IF EXISTS message_rollups_hourly_{trigger} ON message_rollups"
                ))
                .await?;
            }
            db.execute_unprepared("DROP FUNCTION IF EXISTS message_rollups_hourly_keep()").await?;
        } else {
            for trigger in ["insert", "update", "delete"] {
                db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS message_rollups_hourly_{trigger}")).await?;
            }
        }
        db.execute_unprepared("DROP TABLE message_rollups_hourly").await?;
        Ok(())
    }
}
