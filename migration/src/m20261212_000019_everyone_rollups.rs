//! Rollups without the owner, for an admin's view of everyone's dashboard, where the per-owner
//! rollups read a row per owner (ten owners' messages by hour, every client of the range):
//!
//! - `message_rollups_everyone`: public messages per hour and role, summed over the owners from
//!   `message_rollups` (the quarter hours), by triggers on that table.
//! - `client_rollups_everyone`: clients per hour of their creation and current stage, kept by
//!   triggers on `clients` (a client added, deleted, moved to another stage or re-dated).
//!
//! An hour (seconds since 1970 / 3600) is the unit of every zone whose offsets are whole hours;
//! quarter-hour zones read the per-owner rollups and the clients as before. Both are kept in the
//! same transaction as the change. On PostgreSQL per statement over its transition tables (a
//! client's update per row, when its stage or creation date changed), rows changed in key order
//! and only where a count moves; on SQLite by row triggers (one writer at a time). Message writes
//! are serialised already (`chat::service::commit_in_id_order`), so the shared hour rows add no
//! waiting there.
//!
//! It also replaces PostgreSQL's `message_rollups_hourly_keep()`, whose branch for deleted
//! quarter-hour rows named a column that was not there: deleting a row of `message_rollups` failed.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &[
    "CREATE TABLE message_rollups_everyone (
        hour BIGINT NOT NULL,
        role VARCHAR(8) NOT NULL,
        count BIGINT NOT NULL,
        PRIMARY KEY (hour, role)
    )",
    "CREATE TABLE client_rollups_everyone (
        hour BIGINT NOT NULL,
        status VARCHAR(16) NOT NULL,
        count BIGINT NOT NULL,
        PRIMARY KEY (hour, status)
    )",
];

/// The hour of `column` (a timestamp) in each database's words, as the dashboard computes it.
fn hour(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("CAST(FLOOR(FLOOR(date_part('epoch', {column})) / 3600) AS BIGINT)"),
        _ => format!("(CAST(strftime('%s', {column}) AS INTEGER) / 3600)"),
    }
}

fn backfill(backend: DatabaseBackend) -> [String; 2] {
    [
        "INSERT INTO message_rollups_everyone (hour, role, count)
         SELECT bucket / 4, role, SUM(count) FROM message_rollups GROUP BY 1, 2"
            .to_owned(),
        format!(
            "INSERT INTO client_rollups_everyone (hour, status, count)
             SELECT {}, status, COUNT(*) FROM clients GROUP BY 1, 2",
            hour(backend, "created_at")
        ),
    ]
}

/// Adds the signed counts of `changes` (a query of a key, a second key and a count) to `table`,
/// once per row and in key order, so that two writers lock the rows they share in the same order.
fn apply(table: &str, keys: (&str, &str), changes: &str) -> String {
    let (first, second) = keys;
    format!(
        "INSERT INTO {table} ({first}, {second}, count)
           SELECT k1, k2, SUM(n) FROM ({changes}) AS changed (k1, k2, n)
           GROUP BY 1, 2 HAVING SUM(n) <> 0 ORDER BY 1, 2
           ON CONFLICT ({first}, {second}) DO UPDATE SET count = {table}.count + EXCLUDED.count;"
    )
}

/// A PostgreSQL function that applies the changes of a statement on `source` for each of `events`
/// (read from its transition tables `new_rows` and `old_rows`: `rows` are the queries of the added
/// and the taken counts) to `table`, and a statement trigger per event that calls it.
fn postgres_keeper(
    name: &str,
    source: &str,
    table: &str,
    keys: (&str, &str),
    rows: [String; 2],
    events: &[&str],
) -> Vec<String> {
    let [added, taken] = rows;
    let mut branches = String::new();
    let mut triggers = Vec::new();
    for &event in events {
        let (changes, tables) = match event {
            "INSERT" => (added.clone(), "NEW TABLE AS new_rows"),
            "UPDATE" => (format!("{added} UNION ALL {taken}"), "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            _ => (taken.clone(), "OLD TABLE AS old_rows"),
        };
        branches.push_str(&format!("IF TG_OP = '{event}' THEN {} END IF;\n", apply(table, keys, &changes)));
        triggers.push(format!(
            "CREATE TRIGGER {name}_{} AFTER {event} ON {source}
               REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
            event.to_lowercase()
        ));
    }
    let function = format!(
        "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           {branches}
           RETURN NULL;
         END $$"
    );
    [function].into_iter().chain(triggers).collect()
}

fn postgres_triggers() -> Vec<String> {
    let hour_of = |row: &str| hour(DatabaseBackend::Postgres, &format!("{row}.created_at"));
    let mut statements = postgres_keeper(
        "message_rollups_everyone_keep",
        "message_rollups",
        "message_rollups_everyone",
        ("hour", "role"),
        [
            "SELECT bucket / 4, role, count FROM new_rows".to_owned(),
            "SELECT bucket / 4, role, -count FROM old_rows".to_owned(),
        ],
        &["INSERT", "UPDATE", "DELETE"],
    );
    statements.extend(postgres_keeper(
        "client_rollups_everyone_keep",
        "clients",
        "client_rollups_everyone",
        ("hour", "status"),
        [
            format!("SELECT {}, status, 1 FROM new_rows", hour_of("new_rows")),
            format!("SELECT {}, status, -1 FROM old_rows", hour_of("old_rows")),
        ],
        &["INSERT", "DELETE"],
    ));
    // Most updates of a client change neither its stage nor its creation date (every message
    // writes its preview), so an update is a row trigger whose condition PostgreSQL checks before
    // calling anything, as `client_counts` does, rather than a statement trigger that would read
    // every update's transition tables.
    statements.push(format!(
        "CREATE FUNCTION client_rollups_everyone_move() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           {}
           RETURN NULL;
         END $$",
        apply(
            "client_rollups_everyone",
            ("hour", "status"),
            &format!("SELECT {}, OLD.status, -1 UNION ALL SELECT {}, NEW.status, 1", hour_of("OLD"), hour_of("NEW"))
        )
    ));
    statements.push(
        "CREATE TRIGGER client_rollups_everyone_keep_update AFTER UPDATE OF status, created_at ON clients
           FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.created_at IS DISTINCT FROM NEW.created_at)
           EXECUTE FUNCTION client_rollups_everyone_move()"
            .to_owned(),
    );
    statements
}

/// SQLite: one upsert of `count` for (`first`, `second`) in `table`.
fn upsert(table: &str, keys: (&str, &str), values: (&str, &str, &str)) -> String {
    let (first, second) = keys;
    let (one, two, count) = values;
    format!(
        "INSERT INTO {table} ({first}, {second}, count) VALUES ({one}, {two}, {count})
           ON CONFLICT ({first}, {second}) DO UPDATE SET count = {table}.count + excluded.count;"
    )
}

fn sqlite_triggers() -> Vec<String> {
    let messages = |row: &str, sign: &str| {
        upsert(
            "message_rollups_everyone",
            ("hour", "role"),
            (&format!("{row}.bucket / 4"), &format!("{row}.role"), &format!("{sign}{row}.count")),
        )
    };
    let clients = |row: &str, sign: &str| {
        upsert(
            "client_rollups_everyone",
            ("hour", "status"),
            (
                &hour(DatabaseBackend::Sqlite, &format!("{row}.created_at")),
                &format!("{row}.status"),
                &format!("{sign}1"),
            ),
        )
    };
    vec![
        format!(
            "CREATE TRIGGER message_rollups_everyone_keep_insert AFTER INSERT ON message_rollups BEGIN {} END",
            messages("new", "")
        ),
        format!(
            "CREATE TRIGGER message_rollups_everyone_keep_update AFTER UPDATE ON message_rollups BEGIN {} {} END",
            messages("old", "-"),
            messages("new", "")
        ),
        format!(
            "CREATE TRIGGER message_rollups_everyone_keep_delete AFTER DELETE ON message_rollups BEGIN {} END",
            messages("old", "-")
        ),
        format!(
            "CREATE TRIGGER client_rollups_everyone_keep_insert AFTER INSERT ON clients BEGIN {} END",
            clients("new", "")
        ),
        format!(
            "CREATE TRIGGER client_rollups_everyone_keep_update AFTER UPDATE OF status, created_at ON clients
               WHEN old.status IS NOT new.status OR old.created_at IS NOT new.created_at BEGIN {} {} END",
            clients("old", "-"),
            clients("new", "")
        ),
        format!(
            "CREATE TRIGGER client_rollups_everyone_keep_delete AFTER DELETE ON clients BEGIN {} END",
            clients("old", "-")
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
        let triggers = match backend {
            DatabaseBackend::Postgres => {
                let mut statements = postgres_triggers();
                statements.push(crate::m20261207_000014_hourly_message_rollups::keep_function());
                statements
            }
            _ => sqlite_triggers(),
        };
        let tables = TABLES.iter().map(|statement| (*statement).to_owned());
        for statement in tables.chain(backfill(backend)).chain(triggers) {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        for (keeper, source) in
            [("message_rollups_everyone_keep", "message_rollups"), ("client_rollups_everyone_keep", "clients")]
        {
            for event in ["insert", "update", "delete"] {
                let on = if postgres { format!(" ON {source}") } else { String::new() };
                db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {keeper}_{event}{on}")).await?;
            }
            if postgres {
                db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {keeper}()")).await?;
            }
        }
        if postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS client_rollups_everyone_move()").await?;
        }
        db.execute_unprepared("DROP TABLE client_rollups_everyone").await?;
        db.execute_unprepared("DROP TABLE message_rollups_everyone").await?;
        Ok(())
    }
}
