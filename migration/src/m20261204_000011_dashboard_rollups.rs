//! Rollups of the public messages for the dashboard, kept exact by triggers in the same
//! transaction as the messages they count (as `client_counts` is for clients), so that a range
//! reads at most a row per owner, quarter hour and role instead of every message:
//!
//! - `message_rollups`: how many public messages the lead, the AI and the team wrote per owner and
//!   quarter hour (seconds since 1970 / 900, the dashboard's bucket: every time zone's day and hour
//!   starts on one).
//! - `conversation_activity`: which clients' conversations had a public message in each quarter
//!   hour, for the count of active conversations (a distinct count cannot be summed from counts).
//! - An index of the conversations the AI handed to the team (few), for the strategies table.
//!
//! Messages are written, never deleted, except with their client: the activity rows go with the
//! client by a foreign key, and a trigger before a client's delete takes its messages out of the
//! counts. A client given to another owner takes its messages' counts along.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &[
    "CREATE TABLE message_rollups (
        owner_id BIGINT NOT NULL,
        bucket BIGINT NOT NULL,
        role VARCHAR(8) NOT NULL,
        count BIGINT NOT NULL,
        PRIMARY KEY (owner_id, bucket, role)
    )",
    "CREATE INDEX message_rollups_bucket_idx ON message_rollups (bucket, role, count)",
    "CREATE TABLE conversation_activity (
        owner_id BIGINT NOT NULL,
        bucket BIGINT NOT NULL,
        client_id BIGINT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        PRIMARY KEY (owner_id, bucket, client_id)
    )",
    "CREATE INDEX conversation_activity_bucket_idx ON conversation_activity (bucket, client_id)",
    "CREATE INDEX conversation_activity_client_idx ON conversation_activity (client_id)",
    // The few conversations the AI handed to the team, for the strategies table.
    "CREATE INDEX conversations_handed_off_idx ON conversations (owner_id, client_id) WHERE handed_off_at IS NOT NULL",
];

/// The messages a rollup counts, for a messages table or transition table named `m`.
const COUNTED: &str = "m.role IN ('client', 'ai', 'agent') AND NOT m.private";

/// The quarter hour of `m.created_at` in each database's words.
fn bucket(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("CAST(FLOOR(EXTRACT(EPOCH FROM {column}) / 900) AS BIGINT)"),
        _ => format!("(CAST(strftime('%s', {column}) AS INTEGER) / 900)"),
    }
}

/// Fills both rollups from the messages there are.
fn backfill(backend: DatabaseBackend) -> [String; 2] {
    let bucket = bucket(backend, "m.created_at");
    [
        format!(
            "INSERT INTO message_rollups (owner_id, bucket, role, count)
             SELECT c.owner_id, {bucket}, m.role, COUNT(*) FROM messages m JOIN clients c ON c.id = m.client_id
             WHERE {COUNTED} GROUP BY 1, 2, 3"
        ),
        format!(
            "INSERT INTO conversation_activity (owner_id, bucket, client_id)
             SELECT DISTINCT c.owner_id, {bucket}, m.client_id FROM messages m JOIN clients c ON c.id = m.client_id
             WHERE {COUNTED}"
        ),
    ]
}

/// PostgreSQL: per statement over its inserted rows (a seed or a bulk insert updates each rollup
/// row once), ordered so that two writers lock the same rows in the same order.
fn postgres_triggers() -> Vec<String> {
    let bucket = bucket(DatabaseBackend::Postgres, "m.created_at");
    // The client `OLD`'s messages out of its owner's counts.
    let subtract = format!(
        "UPDATE message_rollups r SET count = r.count - gone.n
           FROM (SELECT {bucket} AS bucket, m.role, COUNT(*) AS n FROM messages m
                 WHERE m.client_id = OLD.id AND {COUNTED} GROUP BY 1, 2 ORDER BY 1, 2) AS gone
           WHERE r.owner_id = OLD.owner_id AND r.bucket = gone.bucket AND r.role = gone.role;"
    );
    vec![
        format!(
            "CREATE FUNCTION message_rollups_add() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               INSERT INTO message_rollups (owner_id, bucket, role, count)
                 SELECT c.owner_id, {bucket}, m.role, COUNT(*) FROM added m JOIN clients c ON c.id = m.client_id
                 WHERE {COUNTED} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                 ON CONFLICT (owner_id, bucket, role) DO UPDATE SET count = message_rollups.count + EXCLUDED.count;
               INSERT INTO conversation_activity (owner_id, bucket, client_id)
                 SELECT DISTINCT c.owner_id, {bucket}, m.client_id FROM added m JOIN clients c ON c.id = m.client_id
                 WHERE {COUNTED} ORDER BY 1, 2, 3
                 ON CONFLICT DO NOTHING;
               RETURN NULL;
             END $$"
        ),
        format!(
            "CREATE FUNCTION message_rollups_remove_client() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               {subtract}
               RETURN OLD;
             END $$"
        ),
        format!(
            "CREATE FUNCTION message_rollups_move_client() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               {subtract}
               INSERT INTO message_rollups (owner_id, bucket, role, count)
                 SELECT NEW.owner_id, {bucket}, m.role, COUNT(*) FROM messages m
                 WHERE m.client_id = NEW.id AND {COUNTED} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                 ON CONFLICT (owner_id, bucket, role) DO UPDATE SET count = message_rollups.count + EXCLUDED.count;
               UPDATE conversation_activity SET owner_id = NEW.owner_id WHERE client_id = NEW.id;
               RETURN NULL;
             END $$"
        ),
        "CREATE TRIGGER messages_rollups_insert AFTER INSERT ON messages
           REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION message_rollups_add()"
            .to_owned(),
        "CREATE TRIGGER clients_message_rollups_move AFTER UPDATE OF owner_id ON clients FOR EACH ROW
           WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id) EXECUTE FUNCTION message_rollups_move_client()"
            .to_owned(),
        "CREATE TRIGGER clients_message_rollups_delete BEFORE DELETE ON clients
           FOR EACH ROW EXECUTE FUNCTION message_rollups_remove_client()"
            .to_owned(),
    ]
}

/// SQLite: row triggers.
fn sqlite_triggers() -> Vec<String> {
    let new_bucket = bucket(DatabaseBackend::Sqlite, "new.created_at");
    let bucket = bucket(DatabaseBackend::Sqlite, "m.created_at");
    // The client `old`'s messages out of its owner's counts.
    let subtract = format!(
        "UPDATE message_rollups SET count = count - (
           SELECT COUNT(*) FROM messages m
           WHERE m.client_id = old.id AND {COUNTED} AND {bucket} = message_rollups.bucket
             AND m.role = message_rollups.role)
         WHERE owner_id = old.owner_id AND (bucket, role) IN (
           SELECT {bucket}, m.role FROM messages m WHERE m.client_id = old.id AND {COUNTED});"
    );
    vec![
        format!(
            "CREATE TRIGGER messages_rollups_insert AFTER INSERT ON messages
               WHEN new.role IN ('client', 'ai', 'agent') AND NOT new.private BEGIN
               INSERT INTO message_rollups (owner_id, bucket, role, count)
                 SELECT c.owner_id, {new_bucket}, new.role, 1 FROM clients c WHERE c.id = new.client_id
                 ON CONFLICT (owner_id, bucket, role) DO UPDATE SET count = count + 1;
               INSERT INTO conversation_activity (owner_id, bucket, client_id)
                 SELECT c.owner_id, {new_bucket}, new.client_id FROM clients c WHERE c.id = new.client_id
                 ON CONFLICT DO NOTHING;
             END"
        ),
        format!("CREATE TRIGGER clients_message_rollups_delete BEFORE DELETE ON clients BEGIN {subtract} END"),
        format!(
            "CREATE TRIGGER clients_message_rollups_move AFTER UPDATE OF owner_id ON clients
               WHEN old.owner_id IS NOT new.owner_id BEGIN
               {subtract}
               INSERT INTO message_rollups (owner_id, bucket, role, count)
                 SELECT new.owner_id, {bucket}, m.role, COUNT(*) FROM messages m
                 WHERE m.client_id = new.id AND {COUNTED} GROUP BY 1, 2, 3
                 ON CONFLICT (owner_id, bucket, role) DO UPDATE SET count = count + excluded.count;
               UPDATE conversation_activity SET owner_id = new.owner_id WHERE client_id = new.id;
             END"
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
        for statement in TABLES {
            db.execute_unprepared(statement).await?;
        }
        for statement in backfill(backend) {
            db.execute_unprepared(&statement).await?;
        }
        let triggers = match backend {
            DatabaseBackend::Postgres => postgres_triggers(),
            _ => sqlite_triggers(),
        };
        for statement in triggers {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        for (trigger, table) in [
            ("messages_rollups_insert", "messages"),
            ("clients_message_rollups_delete", "clients"),
            ("clients_message_rollups_move", "clients"),
        ] {
            let statement = if postgres {
                format!("DROP TRIGGER IF EXISTS {trigger} ON {table}")
            } else {
                format!("DROP TRIGGER IF EXISTS {trigger}")
            };
            db.execute_unprepared(&statement).await?;
        }
        if postgres {
            for function in ["message_rollups_add", "message_rollups_remove_client", "message_rollups_move_client"] {
                db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {function}()")).await?;
            }
        }
        db.execute_unprepared("DROP INDEX conversations_handed_off_idx").await?;
        db.execute_unprepared("DROP TABLE conversation_activity").await?;
        db.execute_unprepared("DROP TABLE message_rollups").await?;
        Ok(())
    }
}
