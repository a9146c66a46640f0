//! An owner's new clients without reading each of them. A member's dashboard over a long range
//! read every client of theirs created in it twice: by local day and stage (for the new-leads
//! series, the funnel and the win rate, 15 ms for the busiest owner at a million clients), and by
//! strategy and stage (the strategies table, 10 ms; an admin's read everyone's, a client each).
//!
//! - `client_rollups_hourly`: an owner's clients per hour of creation (seconds since 1970 / 3600)
//!   and current stage, for an owner's clients by local day in a zone of whole-hour offsets, as
//!   `client_rollups_everyone` does for everyone's.
//! - `client_rollups_daily`: an owner's clients per UTC day of creation (seconds since 1970 /
//!   86400), strategy and current stage, for the figures of a whole range (the
//!   strategies and the people tables): its whole UTC days are read here, the hours before the
//!   first and after the last from the clients themselves.
//!
//! Both are kept in the same transaction as the change, from every client added, deleted, given to
//! another owner or strategy, moved to another stage or re-dated: on PostgreSQL per statement over
//! its transition tables for inserts and deletes, rows changed in key order and only where a count
//! moves, and by a row trigger whose condition PostgreSQL checks first for updates (most updates of
//! a client, such as each message's preview, change none of those); on SQLite by row triggers.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

use crate::covering_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A rollup: its table, its keys, and for each key the expression of a client row that gives it
/// (`{row}` stands for the row's name).
struct Rollup {
    table: &'static str,
    keys: &'static [&'static str],
    of_client: fn(DatabaseBackend, &str) -> Vec<String>,
}

/// Seconds since 1970 of `column` (a timestamp) divided by `unit`, in each database's words, as
/// the dashboard computes it.
fn since_1970(backend: DatabaseBackend, column: &str, unit: i64) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("CAST(FLOOR(FLOOR(date_part('epoch', {column})) / {unit}) AS BIGINT)"),
        _ => format!("(CAST(strftime('%s', {column}) AS INTEGER) / {unit})"),
    }
}

const ROLLUPS: [Rollup; 2] = [
    Rollup {
        table: "client_rollups_hourly",
        keys: &["owner_id", "hour", "status"],
        of_client: |backend, row| {
            vec![
                format!("{row}.owner_id"),
                since_1970(backend, &format!("{row}.created_at"), 3600),
                format!("{row}.status"),
            ]
        },
    },
    Rollup {
        table: "client_rollups_daily",
        keys: &["owner_id", "day", "strategy_id", "status"],
        of_client: |backend, row| {
            vec![
                format!("{row}.owner_id"),
                since_1970(backend, &format!("{row}.created_at"), 86_400),
                format!("{row}.strategy_id"),
                format!("{row}.status"),
            ]
        },
    },
];

/// The tables, read for an owner from their key alone: PostgreSQL's key carries the count,
/// SQLite's table is its key (`WITHOUT ROWID`).
fn table(backend: DatabaseBackend, rollup: &Rollup) -> String {
    let columns: String = rollup
        .keys
        .iter()
        .map(|key| {
            let kind = if *key == "status" { "VARCHAR(16)" } else { "BIGINT" };
            format!("{key} {kind} NOT NULL, ")
        })
        .collect();
    let keys = rollup.keys.join(", ");
    let (key, table_options) = match backend {
        DatabaseBackend::Postgres => (format!("PRIMARY KEY ({keys}) INCLUDE (count)"), ""),
        _ => (format!("PRIMARY KEY ({keys})"), " WITHOUT ROWID"),
    };
    format!("CREATE TABLE {} ({columns}count BIGINT NOT NULL, {key}){table_options}", rollup.table)
}

fn backfill(backend: DatabaseBackend, rollup: &Rollup) -> String {
    let of_client = (rollup.of_client)(backend, "clients");
    let groups: Vec<String> = (1..=of_client.len()).map(|n| n.to_string()).collect();
    format!(
        "INSERT INTO {} ({}, count) SELECT {}, COUNT(*) FROM clients GROUP BY {}",
        rollup.table,
        rollup.keys.join(", "),
        of_client.join(", "),
        groups.join(", ")
    )
}

/// PostgreSQL: adds the signed counts of `changes` (rows of the keys and a count `n`) to the
/// rollup, once per key and in key order, so that two writers lock the rows they share in the
/// same order.
fn apply(rollup: &Rollup, changes: &str) -> String {
    let keys = rollup.keys.join(", ");
    let groups: Vec<String> = (1..=rollup.keys.len()).map(|n| n.to_string()).collect();
    let groups = groups.join(", ");
    let table = rollup.table;
    format!(
        "INSERT INTO {table} ({keys}, count)
           SELECT {keys}, SUM(n) FROM ({changes}) AS changed ({keys}, n)
           GROUP BY {groups} HAVING SUM(n) <> 0 ORDER BY {groups}
           ON CONFLICT ({keys}) DO UPDATE SET count = {table}.count + EXCLUDED.count;"
    )
}

/// The keys of the client rows `rows` and their sign: `SELECT keys..., sign FROM rows`.
fn signed(rollup: &Rollup, rows: &str, sign: i64) -> String {
    let keys = (rollup.of_client)(DatabaseBackend::Postgres, rows).join(", ");
    format!("SELECT {keys}, {sign} FROM {rows}")
}

/// What the update trigger watches: a change of any of these moves a client between rollup rows.
const MOVES: [&str; 4] = ["owner_id", "strategy_id", "status", "created_at"];

fn postgres_triggers() -> Vec<String> {
    let mut statements = Vec::new();
    let each = |body: &dyn Fn(&Rollup) -> String| ROLLUPS.iter().map(body).collect::<Vec<_>>().join("\n");
    let inserted = each(&|rollup| apply(rollup, &signed(rollup, "new_rows", 1)));
    let deleted = each(&|rollup| apply(rollup, &signed(rollup, "old_rows", -1)));
    statements.push(format!(
        "CREATE FUNCTION client_rollups_by_owner_keep() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF TG_OP = 'INSERT' THEN {inserted} END IF;
           IF TG_OP = 'DELETE' THEN {deleted} END IF;
           RETURN NULL;
         END $$"
    ));
    for (event, tables) in [("INSERT", "NEW TABLE AS new_rows"), ("DELETE", "OLD TABLE AS old_rows")] {
        statements.push(format!(
            "CREATE TRIGGER client_rollups_by_owner_keep_{} AFTER {event} ON clients
               REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION client_rollups_by_owner_keep()",
            event.to_lowercase()
        ));
    }
    let moved = each(&|rollup| {
        let changes = format!(
            "SELECT {}, -1 UNION ALL SELECT {}, 1",
            (rollup.of_client)(DatabaseBackend::Postgres, "OLD").join(", "),
            (rollup.of_client)(DatabaseBackend::Postgres, "NEW").join(", ")
        );
        apply(rollup, &changes)
    });
    statements.push(format!(
        "CREATE FUNCTION client_rollups_by_owner_move() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           {moved}
           RETURN NULL;
         END $$"
    ));
    let changed: Vec<String> =
        MOVES.iter().map(|column| format!("OLD.{column} IS DISTINCT FROM NEW.{column}")).collect();
    statements.push(format!(
        "CREATE TRIGGER client_rollups_by_owner_keep_update AFTER UPDATE OF {} ON clients
           FOR EACH ROW WHEN ({}) EXECUTE FUNCTION client_rollups_by_owner_move()",
        MOVES.join(", "),
        changed.join(" OR ")
    ));
    statements
}

/// SQLite: one client row's (`new` or `old`) count added to (`sign` 1) or taken from (-1) each
/// rollup.
fn sqlite_row(row: &str, sign: i64) -> String {
    ROLLUPS
        .iter()
        .map(|rollup| {
            let keys = rollup.keys.join(", ");
            let values = (rollup.of_client)(DatabaseBackend::Sqlite, row).join(", ");
            format!(
                "INSERT INTO {table} ({keys}, count) VALUES ({values}, {sign})
                   ON CONFLICT ({keys}) DO UPDATE SET count = {table}.count + excluded.count;",
                table = rollup.table
            )
        })
        .collect()
}

fn sqlite_triggers() -> Vec<String> {
    let changed: Vec<String> = MOVES.iter().map(|column| format!("old.{column} IS NOT new.{column}")).collect();
    vec![
        format!(
            "CREATE TRIGGER client_rollups_by_owner_keep_insert AFTER INSERT ON clients BEGIN {} END",
            sqlite_row("new", 1)
        ),
        format!(
            "CREATE TRIGGER client_rollups_by_owner_keep_update AFTER UPDATE OF {} ON clients WHEN {} BEGIN {} {} END",
            MOVES.join(", "),
            changed.join(" OR "),
            sqlite_row("old", -1),
            sqlite_row("new", 1)
        ),
        format!(
            "CREATE TRIGGER client_rollups_by_owner_keep_delete AFTER DELETE ON clients BEGIN {} END",
            sqlite_row("old", -1)
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
        let backend = manager.get_database_backend();
        let tables = ROLLUPS.iter().flat_map(|rollup| [table(backend, rollup), backfill(backend, rollup)]);
        // Everyone's strategies read the days of a range from all owners.
        let day_index = covering_index::create(
            backend,
            "client_rollups_daily",
            "client_rollups_daily_day_idx",
            "day",
            "owner_id, strategy_id, status, count",
        );
        let triggers = match backend {
            DatabaseBackend::Postgres => postgres_triggers(),
            _ => sqlite_triggers(),
        };
        for statement in tables.chain([day_index]).chain(triggers) {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        for event in ["insert", "update", "delete"] {
            let on = if postgres { " ON clients" } else { "" };
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS client_rollups_by_owner_keep_{event}{on}")).await?;
        }
        if postgres {
            for function in ["client_rollups_by_owner_keep", "client_rollups_by_owner_move"] {
                db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {function}()")).await?;
            }
        }
        for rollup in &ROLLUPS {
            db.execute_unprepared(&format!("DROP TABLE {}", rollup.table)).await?;
        }
        Ok(())
    }
}
