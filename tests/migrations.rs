//! Migrations run up, down and up again on SQLite and PostgreSQL, and both schemas enforce the
//! same rules: the same indexes, foreign-key actions, CHECK and UNIQUE constraints.
#![cfg(feature = "ssr")]

mod common;

use std::collections::BTreeSet;

use common::{BACKENDS, Backend, TestDb};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};

const TABLES: &[&str] = &[
    "users",
    "strategies",
    "clients",
    "messages",
    "bookings",
    "webhook_events",
    "jobs",
    "audit_log",
    "sessions",
    "client_imports",
    "client_import_errors",
    "client_import_chunks",
    "client_counts",
    "availability_windows",
    "availability_overrides",
    "booking_emails",
    "booking_types",
    "client_notes",
    "conversations",
    "conversation_reads",
    "lead_chat_tokens",
    "message_rollups",
    "message_rollups_hourly",
    "conversation_activity",
    "conversation_activity_hourly",
    "ai_decisions",
    "message_rollups_everyone",
    "client_rollups_everyone",
    "client_rollups_hourly",
    "client_rollups_daily",
];

async fn table_names(db: &DatabaseConnection) -> BTreeSet<String> {
    let sql = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'seaql_migrations'"
        }
        _ => {
            // clients_fts and its shadow tables are SQLite's counterpart of the trigram index.
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations' AND name NOT LIKE 'clients_fts%'"
        }
    };
    rows(db, sql).await
}

async fn index_names(db: &DatabaseConnection) -> BTreeSet<String> {
    let sql = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            "SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey' AND tablename <> 'seaql_migrations'"
        }
        _ => {
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%' AND tbl_name <> 'seaql_migrations'"
        }
    };
    rows(db, sql).await
}

async fn rows(db: &DatabaseConnection, sql: &str) -> BTreeSet<String> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.try_get::<String>("", "name").unwrap())
        .collect()
}

/// Runs `sql` in a transaction, as the app runs every write. (On SQLite, a statement that fails
/// its foreign-key check after the search-index triggers ran can leave an autocommit connection
/// on a stale snapshot; a rolled-back transaction cannot.)
async fn exec(db: &DatabaseConnection, sql: &str) -> Result<(), sea_orm::DbErr> {
    let txn = db.begin().await?;
    match txn.execute_raw(Statement::from_string(txn.get_database_backend(), sql)).await {
        Ok(_) => txn.commit().await,
        Err(error) => {
            txn.rollback().await?;
            Err(error)
        }
    }
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn migrations_go_up_down_and_up_again_on_both_databases() {
    for backend in BACKENDS {
        let test_db = TestDb::empty(backend).await;
        let db = &test_db.conn;

        Migrator::up(db, None).await.unwrap();
        let expected: BTreeSet<String> = TABLES.iter().map(|t| t.to_string()).collect();
        assert_eq!(table_names(db).await, expected, "{backend:?}: tables after up");
        assert!(Migrator::get_pending_migrations(db).await.unwrap().is_empty());

        Migrator::down(db, None).await.unwrap();
        assert!(table_names(db).await.is_empty(), "{backend:?}: down leaves no table behind");

        Migrator::up(db, None).await.unwrap();
        assert_eq!(table_names(db).await, expected, "{backend:?}: tables after up again");
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn both_databases_have_the_same_indexes() {
    let sqlite = TestDb::migrated(Backend::Sqlite).await;
    let postgres = TestDb::migrated(Backend::Postgres).await;
    let sqlite_indexes = index_names(&sqlite.conn).await;
    let mut postgres_indexes = index_names(&postgres.conn).await;
    assert!(postgres_indexes.remove("clients_owner_search_trgm_idx"), "PostgreSQL has the trigram search index");
    // SQLite keeps bookings apart with a trigger instead of this exclusion constraint's index.
    assert!(postgres_indexes.remove("bookings_no_overlap"), "PostgreSQL has the bookings exclusion constraint");
    assert_eq!(sqlite_indexes, postgres_indexes);
    for required in [
        "users_email_key",
        "clients_owner_external_id_key",
        "clients_owner_name_idx",
        "clients_created_idx",
        "messages_client_created_idx",
        "bookings_owner_starts_idx",
        "bookings_active_interval_idx",
        "booking_types_owner_slug_key",
        "users_booking_slug_key",
        "webhook_events_source_external_key",
        "conversations_client_key",
        "conversations_owner_activity_idx",
        "conversations_activity_idx",
        "messages_conversation_created_idx",
        "messages_idempotency_key",
    ] {
        assert!(sqlite_indexes.contains(required), "missing index {required}");
    }
    sqlite.cleanup().await;
    postgres.cleanup().await;
}

/// Inserts one user with a strategy, a client, a message and a booking; returns nothing, ids are 1.
async fn seed_minimal(db: &DatabaseConnection) {
    exec(db, "INSERT INTO users (id, email, name, password_hash, role) VALUES (1, 'a@example.com', 'A', 'x', 'admin'), (2, 'b@example.com', 'B', 'x', 'user')").await.unwrap();
    exec(db, "INSERT INTO strategies (id, owner_id, name) VALUES (1, 1, 'Friendly'), (2, 2, 'Direct')").await.unwrap();
    exec(db, "INSERT INTO clients (id, owner_id, strategy_id, name, external_id) VALUES (1, 1, 1, 'Lead', 'ghl-1'), (2, 2, 2, 'Other', 'ghl-1')").await.unwrap();
    exec(db, "INSERT INTO messages (client_id, role, body) VALUES (1, 'client', 'hello')").await.unwrap();
    exec(db, "INSERT INTO bookings (owner_id, client_id, starts_at, ends_at, blocked_from, blocked_until) VALUES (1, 1, '2026-01-01 10:00:00+00', '2026-01-01 10:30:00+00', '2026-01-01 10:00:00+00', '2026-01-01 10:30:00+00')").await.unwrap();
}

#[tokio::test]
async fn constraints_behave_the_same_on_both_databases() {
    for backend in BACKENDS {
        let test_db = TestDb::migrated(backend).await;
        let db = &test_db.conn;
        seed_minimal(db).await;

        // UNIQUE: email; external id per owner (the same id under another owner is fine, see seed).
        assert!(
            exec(db, "INSERT INTO users (email, name, password_hash) VALUES ('a@example.com', 'Dup', 'x')")
                .await
                .is_err(),
            "{backend:?}: duplicate email"
        );
        assert!(
            exec(db, "INSERT INTO clients (owner_id, strategy_id, name, external_id) VALUES (1, 1, 'Dup', 'ghl-1')")
                .await
                .is_err(),
            "{backend:?}: duplicate external id per owner"
        );

        // CHECK constraints.
        assert!(
            exec(db, "INSERT INTO users (email, name, password_hash, role) VALUES ('c@example.com', 'C', 'x', 'root')")
                .await
                .is_err(),
            "{backend:?}: role"
        );
        assert!(
            exec(db, "UPDATE clients SET status = 'maybe' WHERE id = 1").await.is_err(),
            "{backend:?}: client status"
        );
        assert!(
            exec(db, "UPDATE strategies SET creativity = 11 WHERE id = 1").await.is_err(),
            "{backend:?}: creativity"
        );
        assert!(
            exec(db, "UPDATE strategies SET reply_delay_min = 10, reply_delay_max = 5 WHERE id = 1").await.is_err(),
            "{backend:?}: reply delay order"
        );
        assert!(
            exec(db, "INSERT INTO messages (client_id, role, body) VALUES (1, 'robot', 'x')").await.is_err(),
            "{backend:?}: message role"
        );
        assert!(exec(db, "INSERT INTO bookings (owner_id, starts_at, ends_at) VALUES (1, '2026-01-01 10:00:00+00', '2026-01-01 09:00:00+00')").await.is_err(), "{backend:?}: booking ends before it starts");

        // Foreign keys: a strategy in use cannot be deleted; a missing owner is refused.
        assert!(exec(db, "DELETE FROM strategies WHERE id = 1").await.is_err(), "{backend:?}: strategy in use");
        assert!(
            exec(db, "INSERT INTO clients (owner_id, strategy_id, name) VALUES (99, 1, 'Orphan')").await.is_err(),
            "{backend:?}: unknown owner"
        );

        // Deleting a client removes its messages and detaches its bookings.
        exec(db, "DELETE FROM clients WHERE id = 1").await.unwrap();
        assert_eq!(count(db, "SELECT COUNT(*) FROM messages").await, 0, "{backend:?}: messages cascade");
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM bookings WHERE client_id IS NULL").await,
            1,
            "{backend:?}: booking kept, detached"
        );

        // Deleting a user removes everything they own.
        exec(db, "DELETE FROM users WHERE id = 1").await.unwrap();
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM strategies WHERE owner_id = 1").await,
            0,
            "{backend:?}: strategies cascade"
        );
        assert_eq!(count(db, "SELECT COUNT(*) FROM bookings").await, 0, "{backend:?}: bookings cascade");
        assert_eq!(count(db, "SELECT COUNT(*) FROM clients").await, 1, "{backend:?}: the other user's client stays");
        test_db.cleanup().await;
    }
}

/// The counters as the triggers keep them, and as counting the rows says they should be, without
/// the zeros that deleted rows leave behind.
async fn counters_and_rows(db: &DatabaseConnection) -> (Vec<(i64, String, i64)>, Vec<(i64, String, i64)>) {
    let read = |sql: &'static str| async move {
        db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap()
            .into_iter()
            .map(|row| {
                (
                    row.try_get_by_index::<i64>(0).unwrap(),
                    row.try_get_by_index::<String>(1).unwrap(),
                    row.try_get_by_index::<i64>(2).unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };
    (
        read("SELECT owner_id, status, count FROM client_counts WHERE count <> 0 ORDER BY owner_id, status").await,
        read("SELECT owner_id, status, COUNT(*) FROM clients GROUP BY owner_id, status ORDER BY owner_id, status")
            .await,
    )
}

#[tokio::test]
async fn client_counts_follow_every_change_on_both_databases() {
    for backend in BACKENDS {
        let test_db = TestDb::migrated(backend).await;
        let db = &test_db.conn;
        seed_minimal(db).await;
        let steps = [
            "INSERT INTO clients (id, owner_id, strategy_id, name, status) VALUES (3, 1, 1, 'A', 'won'), (4, 1, 1, 'B', 'won'), (5, 2, 2, 'C', 'lost'), (6, 1, 1, 'D', 'lead')",
            "UPDATE clients SET status = 'qualified' WHERE name IN ('A', 'C')",
            "UPDATE clients SET name = 'Renamed', status = status WHERE name = 'B'",
            "UPDATE clients SET owner_id = 2, strategy_id = 2 WHERE name = 'D'",
            "DELETE FROM clients WHERE status = 'qualified'",
            "DELETE FROM users WHERE id = 2",
        ];
        for step in steps {
            exec(db, step).await.unwrap();
            let (counters, rows) = counters_and_rows(db).await;
            assert_eq!(counters, rows, "{backend:?}: after {step}");
        }
        // A statement that fails changes no counter.
        let before = counters_and_rows(db).await.0;
        assert!(
            exec(
                db,
                "INSERT INTO clients (id, owner_id, strategy_id, name) VALUES (7, 1, 1, 'E'), (8, 99, 1, 'Orphan')"
            )
            .await
            .is_err()
        );
        assert!(exec(db, "UPDATE clients SET status = 'maybe' WHERE owner_id = 1").await.is_err());
        assert_eq!(counters_and_rows(db).await.0, before, "{backend:?}: failed statements");
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn client_search_uses_the_trigram_index_on_postgres() {
    let test_db = TestDb::migrated(Backend::Postgres).await;
    let db = &test_db.conn;
    let index = "clients_owner_search_trgm_idx";
    let plan_sql =
        format!("EXPLAIN SELECT id FROM clients WHERE {} LIKE '%acme%'", migration::CLIENT_SEARCH_EXPRESSION);
    // One transaction, so that SET LOCAL applies to the connection that runs EXPLAIN.
    let txn = db.begin().await.unwrap();
    txn.execute_raw(Statement::from_string(txn.get_database_backend(), "SET LOCAL enable_seqscan = off"))
        .await
        .unwrap();
    let plan = txn
        .query_all_raw(Statement::from_string(txn.get_database_backend(), plan_sql))
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    txn.rollback().await.unwrap();
    assert!(plan.contains(&format!("Index Scan on {index}")), "an admin's search does not use {index}:\n{plan}");
    // A user's search has the owner as a key of the same index (which an empty table's planner
    // would not choose over a btree on owner_id; bench/explain-clients.sh shows it at 1M clients).
    let definition = rows(db, &format!("SELECT indexdef AS name FROM pg_indexes WHERE indexname = '{index}'")).await;
    let definition = definition.first().expect("the index exists");
    assert!(definition.contains("USING gin (owner_id, lower("), "{definition}");
    test_db.cleanup().await;
}

/// How many migrations up to and including the import storage migration.
fn import_storage_position() -> u32 {
    let names: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    names.iter().position(|name| name.contains("import_storage")).expect("the import storage migration") as u32 + 1
}

/// The import storage migration moves a stored file into `client_import_chunks` with its size in
/// bytes, and its down migration puts it back.
#[tokio::test]
async fn import_files_move_to_their_own_table_and_back() {
    for backend in BACKENDS {
        let test_db = TestDb::empty(backend).await;
        let db = &test_db.conn;
        let before = import_storage_position() - 1;
        Migrator::up(db, Some(before)).await.unwrap();
        exec(
            db,
            "INSERT INTO users (id, email, name, password_hash, role) VALUES (1, 'a@example.com', 'A', 'x', 'admin')",
        )
        .await
        .unwrap();
        exec(
            db,
            "INSERT INTO client_imports (id, owner_id, file_name, content, header, row_count) \
             VALUES (1, 1, 'a.csv', 'Name\nJoão\n', '[\"Name\"]', 1), (2, 1, 'b.csv', '', '[\"Name\"]', 1)",
        )
        .await
        .unwrap();
        Migrator::up(db, Some(1)).await.unwrap();
        assert_eq!(count(db, "SELECT COUNT(*) FROM client_import_chunks").await, 1, "{backend:?}: one file to move");
        assert_eq!(
            count(db, "SELECT file_size FROM client_imports WHERE id = 1").await,
            "Name\nJoão\n".len() as i64,
            "{backend:?}: the size in bytes"
        );
        let moved = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT content FROM client_import_chunks WHERE import_id = 1 AND seq = 0",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<String>(0)
            .unwrap();
        assert_eq!(moved, "Name\nJoão\n");
        Migrator::down(db, Some(1)).await.unwrap();
        let back = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT content FROM client_imports WHERE id = 1",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<String>(0)
            .unwrap();
        assert_eq!(back, "Name\nJoão\n", "{backend:?}: down puts the file back");
        test_db.cleanup().await;
    }
}

async fn strings(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect()
}

/// The booking migration turns saved working hours into weekly windows, gives every account a
/// unique slug and the default type, cancels bookings that already overlapped, and from then on
/// the database refuses overlapping active bookings; its down migration leaves the hours as they were.
#[tokio::test]
async fn booking_foundation_converts_existing_data_and_refuses_overlaps() {
    for backend in BACKENDS {
        let test_db = TestDb::empty(backend).await;
        let db = &test_db.conn;
        let position = import_storage_position();
        Migrator::up(db, Some(position)).await.unwrap();
        let hours = r#"{"days":[{"day":"mon","enabled":true,"start":"08:30","end":"12:00"},{"day":"tue","enabled":false,"start":"09:00","end":"17:00"},{"day":"wed","enabled":true,"start":"13:00","end":"18:00"},{"day":"thu","enabled":false,"start":"09:00","end":"17:00"},{"day":"fri","enabled":false,"start":"09:00","end":"17:00"},{"day":"sat","enabled":false,"start":"09:00","end":"17:00"},{"day":"sun","enabled":false,"start":"09:00","end":"17:00"}]}"#;
        exec(db, &format!("INSERT INTO users (id, email, name, password_hash, role, working_hours) VALUES (1, 'a@example.com', 'Ana Díaz', 'x', 'admin', '{hours}'), (2, 'b@example.com', 'Ana  Diaz', 'x', 'user', NULL)")).await.unwrap();
        exec(db, "INSERT INTO bookings (owner_id, starts_at, ends_at, status) VALUES (1, '2026-01-01 10:00:00+00', '2026-01-01 10:30:00+00', 'confirmed'), (1, '2026-01-01 10:15:00+00', '2026-01-01 10:45:00+00', 'confirmed'), (1, '2026-01-01 10:30:00+00', '2026-01-01 11:00:00+00', 'cancelled')").await.unwrap();
        Migrator::up(db, None).await.unwrap();

        assert_eq!(
            strings(db, "SELECT CAST(weekday AS TEXT) || ' ' || CAST(start_minute AS TEXT) || '-' || CAST(end_minute AS TEXT) FROM availability_windows WHERE user_id = 1 ORDER BY weekday").await,
            ["0 510-720", "2 780-1080"],
            "{backend:?}: enabled days become windows"
        );
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM availability_windows WHERE user_id = 2").await,
            5,
            "{backend:?}: default hours"
        );
        assert_eq!(strings(db, "SELECT booking_slug FROM users ORDER BY id").await, ["ana-diaz", "ana-diaz-2"]);
        assert_eq!(count(db, "SELECT COUNT(DISTINCT calendar_feed_token) FROM users").await, 2);
        assert_eq!(
            strings(db, "SELECT name FROM booking_types ORDER BY owner_id").await,
            ["30-minute call", "30-minute call"]
        );
        assert_eq!(
            strings(db, "SELECT status FROM bookings ORDER BY id").await,
            ["confirmed", "cancelled", "cancelled"],
            "{backend:?}: the later of two overlapping bookings is cancelled"
        );
        assert_eq!(count(db, "SELECT COUNT(DISTINCT manage_token) FROM bookings").await, 3);

        // Overlaps are refused by the database, equal or partial; cancelled ones free the time.
        let insert = |from: &str, until: &str, status: &str| {
            format!(
                "INSERT INTO bookings (owner_id, starts_at, ends_at, blocked_from, blocked_until, status) VALUES (2, '{from}', '{until}', '{from}', '{until}', '{status}')"
            )
        };
        exec(db, &insert("2026-02-01 10:00:00+00", "2026-02-01 10:30:00+00", "confirmed")).await.unwrap();
        assert!(
            exec(db, &insert("2026-02-01 10:00:00+00", "2026-02-01 10:30:00+00", "pending")).await.is_err(),
            "{backend:?}: same interval"
        );
        assert!(
            exec(db, &insert("2026-02-01 10:15:00+00", "2026-02-01 10:45:00+00", "confirmed")).await.is_err(),
            "{backend:?}: overlapping"
        );
        exec(db, &insert("2026-02-01 10:15:00+00", "2026-02-01 10:45:00+00", "cancelled")).await.unwrap();
        exec(db, &insert("2026-02-01 10:30:00+00", "2026-02-01 11:00:00+00", "confirmed")).await.unwrap();
        assert!(
            exec(db, "UPDATE bookings SET status = 'confirmed' WHERE owner_id = 2 AND status = 'cancelled'")
                .await
                .is_err(),
            "{backend:?}: reviving a cancelled booking into taken time"
        );
        assert!(
            exec(db, "INSERT INTO bookings (owner_id, starts_at, ends_at) VALUES (2, '2026-03-01 10:00:00+00', '2026-03-01 10:30:00+00')").await.is_err(),
            "{backend:?}: a booking without its blocked interval"
        );

        Migrator::down(db, Some(1)).await.unwrap();
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM users WHERE working_hours IS NOT NULL").await,
            1,
            "{backend:?}: hours kept"
        );
        Migrator::up(db, None).await.unwrap();
        test_db.cleanup().await;
    }
}

/// The conversations migration gathers existing messages into one conversation per client (its
/// activity that of the newest message), and a conversation follows its client's owner.
#[tokio::test]
async fn existing_messages_become_conversations_that_follow_their_owner() {
    for backend in BACKENDS {
        let test_db = TestDb::empty(backend).await;
        let db = &test_db.conn;
        let names: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
        let before = names.iter().position(|name| name.contains("conversations")).expect("the migration") as u32;
        Migrator::up(db, Some(before)).await.unwrap();
        seed_minimal(db).await;
        exec(db, "INSERT INTO messages (client_id, role, body, created_at) VALUES (1, 'ai', 'later', '2030-02-01 10:00:00+00'), (2, 'client', 'other', '2026-01-15 10:00:00+00')").await.unwrap();
        Migrator::up(db, Some(1)).await.unwrap();
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM conversations").await,
            2,
            "{backend:?}: one per client with messages"
        );
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM messages WHERE conversation_id IS NULL").await,
            0,
            "{backend:?}: every message has its conversation"
        );
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM conversations v JOIN messages m ON m.id = v.last_message_id WHERE m.body = 'later'").await,
            1,
            "{backend:?}: the newest message is the last"
        );
        assert_eq!(count(db, "SELECT COUNT(*) FROM messages WHERE private OR delivery <> 'sent'").await, 0);
        assert!(exec(db, "UPDATE messages SET delivery = 'lost'").await.is_err(), "{backend:?}: delivery check");
        assert!(exec(db, "UPDATE conversations SET state = 'maybe'").await.is_err(), "{backend:?}: state check");
        assert!(
            exec(db, "INSERT INTO conversations (client_id, owner_id, last_activity_at) VALUES (1, 1, '2026-01-01 00:00:00+00')").await.is_err(),
            "{backend:?}: one conversation per client"
        );
        exec(db, "UPDATE clients SET owner_id = 2, strategy_id = 2, external_id = NULL WHERE id = 1").await.unwrap();
        assert_eq!(
            count(db, "SELECT owner_id FROM conversations WHERE client_id = 1").await,
            2,
            "{backend:?}: follows the owner"
        );
        Migrator::down(db, Some(1)).await.unwrap();
        assert_eq!(count(db, "SELECT COUNT(*) FROM messages").await, 3, "{backend:?}: down keeps the messages");
        test_db.cleanup().await;
    }
}

/// The rollups migration counts the messages written before it: public ones, per owner, quarter
/// hour and role, and the quarter hours each conversation was active in.
#[tokio::test]
async fn the_rollups_migration_counts_the_messages_already_written() {
    for backend in BACKENDS {
        let test_db = TestDb::empty(backend).await;
        let db = &test_db.conn;
        let names: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
        let before = names.iter().position(|name| name.contains("dashboard_rollups")).expect("the migration") as u32;
        Migrator::up(db, Some(before)).await.unwrap();
        seed_minimal(db).await;
        exec(db, "DELETE FROM messages").await.unwrap();
        exec(db, "INSERT INTO messages (client_id, role, body, created_at, private) VALUES \
                  (1, 'ai', 'a', '2026-01-15 10:14:59+00:00', false), (1, 'client', 'b', '2026-01-15 10:15:00+00:00', false), \
                  (1, 'agent', 'note', '2026-01-15 10:15:00+00:00', true), (1, 'system', 'booked', '2026-01-15 10:15:00+00:00', false), \
                  (2, 'client', 'c', '2026-01-15 10:00:00+00:00', false)").await.unwrap();
        Migrator::up(db, Some(1)).await.unwrap();
        let rollups =
            rows(db, "SELECT owner_id || ' ' || bucket || ' ' || role || ' ' || count AS name FROM message_rollups")
                .await;
        let at = |quarter: i64| 1_768_471_200 / 900 + quarter; // 2026-01-15 10:00 UTC
        let expected: BTreeSet<String> =
            [format!("1 {} ai 1", at(0)), format!("1 {} client 1", at(1)), format!("2 {} client 1", at(0))]
                .into_iter()
                .collect();
        assert_eq!(rollups, expected, "{backend:?}");
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM conversation_activity").await,
            i64::try_from(expected.len()).unwrap(),
            "{backend:?}: one active quarter hour per row here"
        );
        Migrator::down(db, Some(1)).await.unwrap();
        assert!(!table_names(db).await.contains("message_rollups"), "{backend:?}");
        assert_eq!(count(db, "SELECT COUNT(*) FROM messages").await, 5, "{backend:?}: down keeps the messages");
        test_db.cleanup().await;
    }
}

/// The hourly rollups migration sums the quarter hours counted before it, by hour.
#[tokio::test]
async fn the_hourly_rollups_migration_sums_the_quarter_hours_already_counted() {
    for backend in BACKENDS {
        let test_db = TestDb::empty(backend).await;
        let db = &test_db.conn;
        let names: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
        let before =
            names.iter().position(|name| name.contains("hourly_message_rollups")).expect("the migration") as u32;
        Migrator::up(db, Some(before)).await.unwrap();
        seed_minimal(db).await;
        // Messages leave the rollups only with their client: clear both.
        exec(db, "DELETE FROM messages").await.unwrap();
        exec(db, "DELETE FROM message_rollups").await.unwrap();
        exec(db, "INSERT INTO messages (client_id, role, body, created_at, private) VALUES \
                  (1, 'ai', 'a', '2026-01-15 10:14:59+00:00', false), (1, 'client', 'b', '2026-01-15 10:15:00+00:00', false), \
                  (1, 'client', 'c', '2026-01-15 10:59:59+00:00', false), (1, 'client', 'd', '2026-01-15 11:00:00+00:00', false), \
                  (2, 'client', 'e', '2026-01-15 10:00:00+00:00', false)").await.unwrap();
        Migrator::up(db, Some(1)).await.unwrap();
        let hourly = rows(
            db,
            "SELECT owner_id || ' ' || hour || ' ' || role || ' ' || count AS name FROM message_rollups_hourly",
        )
        .await;
        let ten = 1_768_471_200 / 3600; // 2026-01-15 10:00 UTC
        let expected: BTreeSet<String> = [
            format!("1 {ten} ai 1"),
            format!("1 {ten} client 2"),
            format!("1 {} client 1", ten + 1),
            format!("2 {ten} client 1"),
        ]
        .into_iter()
        .collect();
        assert_eq!(hourly, expected, "{backend:?}");
        Migrator::down(db, Some(1)).await.unwrap();
        assert!(!table_names(db).await.contains("message_rollups_hourly"), "{backend:?}");
        assert_eq!(count(db, "SELECT COUNT(*) FROM message_rollups").await, 5, "{backend:?}: down keeps the rest");
        test_db.cleanup().await;
    }
}

/// The activity migration gives each quarter hour a conversation was active in the one before it,
/// whatever order the messages were written in.
#[tokio::test]
async fn the_activity_migration_links_each_quarter_hour_to_the_one_before() {
    for backend in BACKENDS {
        let test_db = TestDb::empty(backend).await;
        let db = &test_db.conn;
        let names: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
        let before =
            names.iter().position(|name| name.contains("conversation_activity_previous")).expect("the migration")
                as u32;
        Migrator::up(db, Some(before)).await.unwrap();
        seed_minimal(db).await;
        exec(db, "DELETE FROM messages").await.unwrap();
        exec(db, "DELETE FROM conversation_activity").await.unwrap();
        exec(db, "INSERT INTO messages (client_id, role, body, created_at, private) VALUES \
                  (1, 'client', 'c', '2026-01-15 12:00:00+00:00', false), (1, 'ai', 'a', '2026-01-15 10:00:00+00:00', false), \
                  (1, 'client', 'b', '2026-01-15 10:14:59+00:00', false), (1, 'ai', 'd', '2026-01-15 10:15:00+00:00', false), \
                  (2, 'client', 'e', '2026-01-15 10:30:00+00:00', false)").await.unwrap();
        Migrator::up(db, Some(1)).await.unwrap();
        let linked = rows(
            db,
            "SELECT client_id || ' ' || bucket || ' ' || COALESCE(CAST(previous_bucket AS VARCHAR(20)), '-') AS name \
             FROM conversation_activity",
        )
        .await;
        let ten = 1_768_471_200 / 900; // 2026-01-15 10:00 UTC
        let expected: BTreeSet<String> = [
            format!("1 {ten} -"),
            format!("1 {} {ten}", ten + 1),
            format!("1 {} {}", ten + 8, ten + 1),
            format!("2 {} -", ten + 2),
        ]
        .into_iter()
        .collect();
        assert_eq!(linked, expected, "{backend:?}");
        // And the triggers link what comes after: a quarter hour between two, and a later one.
        exec(db, "INSERT INTO messages (client_id, role, body, created_at, private) VALUES \
                  (1, 'client', 'f', '2026-01-15 11:00:00+00:00', false), (1, 'client', 'g', '2026-01-15 13:00:00+00:00', false)")
            .await
            .unwrap();
        let linked = rows(
            db,
            "SELECT client_id || ' ' || bucket || ' ' || COALESCE(CAST(previous_bucket AS VARCHAR(20)), '-') AS name \
             FROM conversation_activity WHERE client_id = 1",
        )
        .await;
        let expected: BTreeSet<String> = [
            format!("1 {ten} -"),
            format!("1 {} {ten}", ten + 1),
            format!("1 {} {}", ten + 4, ten + 1),
            format!("1 {} {}", ten + 8, ten + 4),
            format!("1 {} {}", ten + 12, ten + 8),
        ]
        .into_iter()
        .collect();
        assert_eq!(linked, expected, "{backend:?}: after the migration");
        Migrator::down(db, Some(1)).await.unwrap();
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM conversation_activity").await,
            6,
            "{backend:?}: down keeps the rows"
        );
        test_db.cleanup().await;
    }
}

/// The everyone's rollups migration sums the owners' messages by hour and counts the clients
/// already there by hour of creation and stage.
#[tokio::test]
async fn the_everyone_rollups_migration_sums_what_is_there_over_the_owners() {
    for backend in BACKENDS {
        let mut test_db = TestDb::empty(backend).await;
        let db = &test_db.conn;
        let names: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
        let before = names.iter().position(|name| name.contains("everyone_rollups")).expect("the migration") as u32;
        Migrator::up(db, Some(before)).await.unwrap();
        test_db.reopen().await;
        let db = &test_db.conn;
        seed_minimal(db).await;
        exec(db, "DELETE FROM messages").await.unwrap();
        exec(db, "DELETE FROM message_rollups").await.unwrap();
        exec(db, "UPDATE clients SET created_at = '2026-01-15 10:59:59+00:00'").await.unwrap();
        exec(
            db,
            "INSERT INTO clients (id, owner_id, strategy_id, name, status, created_at) VALUES \
                  (3, 2, 2, 'Won', 'won', '2026-01-15 11:00:00+00:00')",
        )
        .await
        .unwrap();
        exec(db, "INSERT INTO messages (client_id, role, body, created_at, private) VALUES \
                  (1, 'ai', 'a', '2026-01-15 10:14:59+00:00', false), (1, 'client', 'b', '2026-01-15 10:15:00+00:00', false), \
                  (2, 'client', 'c', '2026-01-15 10:59:59+00:00', false), (2, 'client', 'd', '2026-01-15 11:00:00+00:00', false), \
                  (1, 'agent', 'e', '2026-01-15 10:00:00+00:00', true)").await.unwrap();
        Migrator::up(db, Some(1)).await.unwrap();
        test_db.reopen().await;
        let db = &test_db.conn;
        let ten = 1_768_471_200 / 3600; // 2026-01-15 10:00 UTC
        let messages =
            rows(db, "SELECT hour || ' ' || role || ' ' || count AS name FROM message_rollups_everyone").await;
        let expected: BTreeSet<String> =
            [format!("{ten} ai 1"), format!("{ten} client 2"), format!("{} client 1", ten + 1)].into_iter().collect();
        assert_eq!(messages, expected, "{backend:?}: the two owners' messages summed, the private note aside");
        let clients =
            rows(db, "SELECT hour || ' ' || status || ' ' || count AS name FROM client_rollups_everyone").await;
        let expected: BTreeSet<String> = [format!("{ten} lead 2"), format!("{} won 1", ten + 1)].into_iter().collect();
        assert_eq!(clients, expected, "{backend:?}");
        // Quarter-hour rows taken out move the hourly rollups with them.
        exec(db, "DELETE FROM message_rollups WHERE role = 'ai'").await.unwrap();
        let messages = rows(
            db,
            "SELECT hour || ' ' || role || ' ' || count AS name FROM message_rollups_everyone WHERE count <> 0 \
             UNION ALL SELECT owner_id || ' ' || hour || ' ' || role || ' ' || count FROM message_rollups_hourly \
             WHERE count <> 0",
        )
        .await;
        let expected: BTreeSet<String> = [
            format!("{ten} client 2"),
            format!("{} client 1", ten + 1),
            format!("1 {ten} client 1"),
            format!("2 {ten} client 1"),
            format!("2 {} client 1", ten + 1),
        ]
        .into_iter()
        .collect();
        assert_eq!(messages, expected, "{backend:?}: after a delete");
        Migrator::down(db, Some(1)).await.unwrap();
        test_db.reopen().await;
        let db = &test_db.conn;
        let tables = table_names(db).await;
        assert!(!tables.contains("message_rollups_everyone") && !tables.contains("client_rollups_everyone"));
        // Without the triggers, clients and messages are written as before.
        exec(db, "INSERT INTO clients (id, owner_id, strategy_id, name) VALUES (4, 1, 1, 'After')").await.unwrap();
        exec(db, "UPDATE clients SET status = 'won' WHERE id = 4").await.unwrap();
        exec(db, "DELETE FROM clients WHERE id = 4").await.unwrap();
        test_db.cleanup().await;
    }
}

/// The hourly activity migration counts, per owner and hour, the conversations whose first quarter
/// hour is in it and the links between quarter hours that start less those that end there, from
/// the activity already there; and its triggers follow what comes after.
#[tokio::test]
async fn the_hourly_activity_migration_counts_first_quarter_hours_and_links() {
    for backend in BACKENDS {
        let mut test_db = TestDb::empty(backend).await;
        let db = &test_db.conn;
        let names: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
        let before =
            names.iter().position(|name| name.contains("conversation_activity_hourly")).expect("the migration") as u32;
        Migrator::up(db, Some(before)).await.unwrap();
        test_db.reopen().await;
        let db = &test_db.conn;
        seed_minimal(db).await;
        exec(db, "DELETE FROM messages").await.unwrap();
        exec(db, "DELETE FROM conversation_activity").await.unwrap();
        // Client 1 (owner 1) at 10:00, 10:15 and 12:00; client 2 (owner 2) at 10:30.
        exec(db, "INSERT INTO messages (client_id, role, body, created_at, private) VALUES \
                  (1, 'client', 'c', '2026-01-15 12:00:00+00:00', false), (1, 'ai', 'a', '2026-01-15 10:00:00+00:00', false), \
                  (1, 'client', 'b', '2026-01-15 10:14:59+00:00', false), (1, 'ai', 'd', '2026-01-15 10:15:00+00:00', false), \
                  (2, 'client', 'e', '2026-01-15 10:30:00+00:00', false)").await.unwrap();
        Migrator::up(db, Some(1)).await.unwrap();
        test_db.reopen().await;
        let db = &test_db.conn;
        let hourly = |db: DatabaseConnection| async move {
            rows(
                &db,
                "SELECT owner_id || ' ' || hour || ' ' || firsts || ' ' || links AS name \
                 FROM conversation_activity_hourly WHERE firsts <> 0 OR links <> 0",
            )
            .await
        };
        let ten = 1_768_471_200 / 3600; // 2026-01-15 10:00 UTC
        // Owner 1: a first at 10:00 and a link inside the hour (+1 -1), a link from 10:15 to 12:00.
        let expected: BTreeSet<String> =
            [format!("1 {ten} 1 1"), format!("1 {} 0 -1", ten + 2), format!("2 {ten} 1 0")].into_iter().collect();
        assert_eq!(hourly(db.clone()).await, expected, "{backend:?}: the back-fill");
        // 11:00 between 10:15 and 12:00 splits that link; 13:00 after the last adds one.
        exec(db, "INSERT INTO messages (client_id, role, body, created_at, private) VALUES \
                  (1, 'client', 'f', '2026-01-15 11:00:00+00:00', false), (1, 'client', 'g', '2026-01-15 13:00:00+00:00', false)")
            .await
            .unwrap();
        let expected: BTreeSet<String> = [
            format!("1 {ten} 1 1"),
            format!("1 {} 0 0", ten + 1),
            format!("1 {} 0 0", ten + 2),
            format!("1 {} 0 -1", ten + 3),
            format!("2 {ten} 1 0"),
        ]
        .into_iter()
        .filter(|row| !row.ends_with(" 0 0"))
        .collect();
        assert_eq!(hourly(db.clone()).await, expected, "{backend:?}: after the migration");
        // Client 1 given to owner 2 takes its counts along; deleted, it takes them away.
        exec(db, "UPDATE clients SET owner_id = 2, external_id = NULL WHERE id = 1").await.unwrap();
        let expected: BTreeSet<String> = [format!("2 {ten} 2 1"), format!("2 {} 0 -1", ten + 3)].into_iter().collect();
        assert_eq!(hourly(db.clone()).await, expected, "{backend:?}: a new owner");
        exec(db, "DELETE FROM clients WHERE id = 1").await.unwrap();
        let expected: BTreeSet<String> = [format!("2 {ten} 1 0")].into_iter().collect();
        assert_eq!(hourly(db.clone()).await, expected, "{backend:?}: deleted");
        Migrator::down(db, Some(1)).await.unwrap();
        test_db.reopen().await;
        let db = &test_db.conn;
        assert!(!table_names(db).await.contains("conversation_activity_hourly"));
        exec(
            db,
            "INSERT INTO messages (client_id, role, body, created_at, private) VALUES \
                  (2, 'client', 'h', '2026-01-16 10:00:00+00:00', false)",
        )
        .await
        .unwrap();
        assert_eq!(count(db, "SELECT COUNT(*) FROM conversation_activity").await, 2, "{backend:?}: after down");
        test_db.cleanup().await;
    }
}

/// The owners' client rollups migration counts the clients already there per owner, hour and
/// stage, and per owner, UTC day, strategy and stage; its triggers follow every client added,
/// moved (stage, strategy, owner, creation date) and deleted.
#[tokio::test]
async fn the_owner_client_rollups_migration_counts_the_clients_and_follows_them() {
    for backend in BACKENDS {
        let mut test_db = TestDb::empty(backend).await;
        let db = &test_db.conn;
        let names: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
        let before =
            names.iter().position(|name| name.contains("client_rollups_by_owner")).expect("the migration") as u32;
        Migrator::up(db, Some(before)).await.unwrap();
        test_db.reopen().await;
        let db = &test_db.conn;
        seed_minimal(db).await;
        // Client 1 (owner 1) at 23:59:59 on 14 January, client 2 (owner 2) and 3 (owner 1, won)
        // at 10:59:59 and 11:00 on the 15th.
        exec(db, "UPDATE clients SET created_at = '2026-01-15 10:59:59+00:00' WHERE id = 2").await.unwrap();
        exec(db, "UPDATE clients SET created_at = '2026-01-14 23:59:59+00:00' WHERE id = 1").await.unwrap();
        exec(
            db,
            "INSERT INTO clients (id, owner_id, strategy_id, name, status, created_at) VALUES \
                  (3, 1, 1, 'Won', 'won', '2026-01-15 11:00:00+00:00')",
        )
        .await
        .unwrap();
        Migrator::up(db, Some(1)).await.unwrap();
        test_db.reopen().await;
        let db = &test_db.conn;
        let rollups = |db: DatabaseConnection| async move {
            rows(
                &db,
                "SELECT 'h ' || owner_id || ' ' || hour || ' ' || status || ' ' || count AS name \
                 FROM client_rollups_hourly WHERE count <> 0 \
                 UNION ALL SELECT 'd ' || owner_id || ' ' || day || ' ' || strategy_id || ' ' || status || ' ' || count \
                 FROM client_rollups_daily WHERE count <> 0",
            )
            .await
        };
        let ten = 1_768_471_200 / 3600; // 2026-01-15 10:00 UTC
        let day = 1_768_471_200 / 86_400; // 2026-01-15
        let set = |rows: &[String]| rows.iter().cloned().collect::<BTreeSet<String>>();
        let expected = set(&[
            format!("h 1 {} lead 1", ten - 11),
            format!("h 2 {ten} lead 1"),
            format!("h 1 {} won 1", ten + 1),
            format!("d 1 {} 1 lead 1", day - 1),
            format!("d 2 {day} 2 lead 1"),
            format!("d 1 {day} 1 won 1"),
        ]);
        assert_eq!(rollups(db.clone()).await, expected, "{backend:?}: the back-fill");

        // Two clients added at once, one in an hour already counted.
        exec(
            db,
            "INSERT INTO clients (id, owner_id, strategy_id, name, status, created_at) VALUES \
                  (4, 1, 1, 'Four', 'won', '2026-01-15 11:30:00+00:00'), (5, 2, 2, 'Five', 'lead', '2026-01-16 00:00:00+00:00')",
        )
        .await
        .unwrap();
        let expected = set(&[
            format!("h 1 {} lead 1", ten - 11),
            format!("h 2 {ten} lead 1"),
            format!("h 1 {} won 2", ten + 1),
            format!("h 2 {} lead 1", ten + 14),
            format!("d 1 {} 1 lead 1", day - 1),
            format!("d 2 {day} 2 lead 1"),
            format!("d 1 {day} 1 won 2"),
            format!("d 2 {} 2 lead 1", day + 1),
        ]);
        assert_eq!(rollups(db.clone()).await, expected, "{backend:?}: added");
        // Four moved to owner 2's strategy and owner, Three lost, One re-dated; Five deleted; a
        // change of anything else moves nothing.
        exec(db, "UPDATE clients SET owner_id = 2, strategy_id = 2 WHERE id = 4").await.unwrap();
        exec(db, "UPDATE clients SET status = 'lost' WHERE id = 3").await.unwrap();
        exec(db, "UPDATE clients SET created_at = '2026-01-15 10:00:00+00:00' WHERE id = 1").await.unwrap();
        exec(db, "UPDATE clients SET name = 'Renamed' WHERE id IN (1, 2)").await.unwrap();
        exec(db, "DELETE FROM clients WHERE id = 5").await.unwrap();
        let expected = set(&[
            format!("h 1 {ten} lead 1"),
            format!("h 2 {ten} lead 1"),
            format!("h 1 {} lost 1", ten + 1),
            format!("h 2 {} won 1", ten + 1),
            format!("d 1 {day} 1 lead 1"),
            format!("d 2 {day} 2 lead 1"),
            format!("d 1 {day} 1 lost 1"),
            format!("d 2 {day} 2 won 1"),
        ]);
        assert_eq!(rollups(db.clone()).await, expected, "{backend:?}: moved and deleted");
        Migrator::down(db, Some(1)).await.unwrap();
        test_db.reopen().await;
        let db = &test_db.conn;
        let tables = table_names(db).await;
        assert!(!tables.contains("client_rollups_hourly") && !tables.contains("client_rollups_daily"));
        // Without the triggers, clients are written as before.
        exec(db, "INSERT INTO clients (id, owner_id, strategy_id, name) VALUES (6, 1, 1, 'After')").await.unwrap();
        exec(db, "UPDATE clients SET status = 'won' WHERE id = 6").await.unwrap();
        exec(db, "DELETE FROM clients WHERE id = 6").await.unwrap();
        test_db.cleanup().await;
    }
}

/// Every connection of the pool the app serves from after migrating can delete a client. On
/// SQLite, a connection that had read the schema before a migration on another connection changed
/// it failed its first delete from `clients` in a transaction with "no such table: clients"
/// (foreign keys on and the FTS5 index whose content is `clients`).
#[tokio::test]
async fn every_connection_of_the_migrated_pool_deletes_a_client() {
    for backend in BACKENDS {
        let test_db = TestDb::migrated(backend).await;
        let db = &test_db.conn;
        // Seeded from a pool of its own: a statement on one of the app's connections would have
        // read the schema again.
        let seeder = crm::server::db::connect(&test_db.url).await.unwrap();
        seed_minimal(&seeder).await;
        seeder.close().await.unwrap();
        // Begun together, the transactions hold as many distinct connections as SQLite's pool has.
        let mut transactions = Vec::new();
        for _ in 0..crm::server::db::SQLITE_POOL_SIZE {
            transactions.push(db.begin().await.unwrap());
        }
        for (n, txn) in transactions.into_iter().enumerate() {
            let deleted = txn
                .execute_raw(Statement::from_string(txn.get_database_backend(), "DELETE FROM clients WHERE id = 1"))
                .await;
            match deleted {
                Ok(done) => assert_eq!(done.rows_affected(), 1, "{backend:?}: connection {n}"),
                Err(error) => panic!("{backend:?}: connection {n}: {error}"),
            }
            txn.rollback().await.unwrap();
        }
        test_db.cleanup().await;
    }
}
