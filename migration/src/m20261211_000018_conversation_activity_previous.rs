//! The dashboard counts the conversations active in a range: the distinct clients among the range's
//! `conversation_activity` rows, a hash or a sort of every (client, quarter hour) row of the range
//! (37 ms a period for the owner of 100,000 clients at a million). Each row now carries the quarter
//! hour its conversation was active in before (`previous_bucket`, none for its first), so a
//! conversation is counted by the one row that is its first in the range, the one whose previous
//! quarter hour falls before the range: a plain count of an index-only scan, with no set to build.
//!
//! Triggers keep it exact whatever order the quarter hours arrive in (a many-row insert, a message
//! dated before others): an inserted row takes the latest quarter hour before its own, and becomes
//! the previous one of the row just after it. Rows are inserted only by the message triggers, and
//! chat writes are serialised on PostgreSQL (`chat::service::commit_in_id_order`, taken before any
//! row is touched), so two writers never insert rows of one conversation at once. A client given to
//! another owner keeps its rows' order; a client deleted takes all its rows.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

use crate::covering_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (name, key columns, carried columns) on `conversation_activity`: an owner's range, and every
/// owner's (for an admin). Both carry the client for the inbox's "active from / to" list.
const INDEXES: &[(&str, &str, &str)] = &[
    ("conversation_activity_owner_first_idx", "owner_id, bucket", "previous_bucket, client_id"),
    ("conversation_activity_bucket_idx", "bucket, client_id", "previous_bucket"),
];

/// The latest quarter hour before `row`'s in its conversation (`conversation_activity_client_bucket_idx`).
fn latest_before(row: &str) -> String {
    format!(
        "(SELECT MAX(p.bucket) FROM conversation_activity p WHERE p.client_id = {row}.client_id AND p.bucket < {row}.bucket)"
    )
}

/// The row just after `new` in its conversation takes `new` as its previous quarter hour.
const NEXT_TAKES_NEW: &str = "UPDATE conversation_activity SET previous_bucket = new.bucket
     WHERE client_id = new.client_id
       AND bucket = (SELECT MIN(n.bucket) FROM conversation_activity n
                     WHERE n.client_id = new.client_id AND n.bucket > new.bucket)
       AND (previous_bucket IS NULL OR previous_bucket < new.bucket)";

fn postgres_triggers() -> Vec<String> {
    vec![
        // Before the row is written, so it is written once. PostgreSQL's row triggers in a
        // many-row insert see the rows written before them in any order; the row just after each
        // new one is put right by the `AFTER` trigger, which sees them all.
        format!(
            "CREATE FUNCTION conversation_activity_previous() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               NEW.previous_bucket := {};
               RETURN NEW;
             END $$",
            latest_before("NEW")
        ),
        format!(
            "CREATE FUNCTION conversation_activity_next() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               {NEXT_TAKES_NEW};
               RETURN NULL;
             END $$"
        ),
        "CREATE TRIGGER conversation_activity_previous BEFORE INSERT ON conversation_activity
           FOR EACH ROW EXECUTE FUNCTION conversation_activity_previous()"
            .to_owned(),
        "CREATE TRIGGER conversation_activity_next AFTER INSERT ON conversation_activity
           FOR EACH ROW EXECUTE FUNCTION conversation_activity_next()"
            .to_owned(),
    ]
}

/// SQLite's triggers cannot change the row being inserted: the row is updated after.
fn sqlite_triggers() -> Vec<String> {
    vec![format!(
        "CREATE TRIGGER conversation_activity_previous AFTER INSERT ON conversation_activity BEGIN
           UPDATE conversation_activity SET previous_bucket = {}
             WHERE owner_id = new.owner_id AND bucket = new.bucket AND client_id = new.client_id;
           {NEXT_TAKES_NEW};
         END",
        latest_before("new")
    )]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        db.execute_unprepared("ALTER TABLE conversation_activity ADD COLUMN previous_bucket BIGINT").await?;
        db.execute_unprepared(&format!(
            "UPDATE conversation_activity SET previous_bucket = {}",
            latest_before("conversation_activity")
        ))
        .await?;
        db.execute_unprepared("DROP INDEX conversation_activity_bucket_idx").await?;
        for &(name, keys, carried) in INDEXES {
            db.execute_unprepared(&covering_index::create(backend, "conversation_activity", name, keys, carried))
                .await?;
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
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            for trigger in ["conversation_activity_previous", "conversation_activity_next"] {
                db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {trigger} ON conversation_activity")).await?;
                db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {trigger}()")).await?;
            }
        } else {
            db.execute_unprepared("DROP TRIGGER IF EXISTS conversation_activity_previous").await?;
        }
        for &(name, ..) in INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        db.execute_unprepared(
            "CREATE INDEX conversation_activity_bucket_idx ON conversation_activity (bucket, client_id)",
        )
        .await?;
        db.execute_unprepared("ALTER TABLE conversation_activity DROP COLUMN previous_bucket").await?;
        Ok(())
    }
}
