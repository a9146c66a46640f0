//! Active conversations over a long range without reading every quarter hour of it. A range's
//! active conversations were counted as the range's `conversation_activity` rows whose previous
//! quarter hour falls before it: every row of the range read, about 100 ms a period for an admin at
//! a million clients. Seen as links, each row with a previous quarter hour links it to the one
//! before, and a conversation active in the range `[f, a)` is either one whose first quarter hour
//! is in it, or one with a link open across `f` that ends before `a`:
//!
//! `active = firsts in [f, a) + links open across f − links over the whole range`
//!
//! `conversation_activity_hourly` keeps per owner and hour the conversations whose first quarter
//! hour is in it (`firsts`), and the links that start in it less those that end in it (`links`), so
//! the links open across `f` are the sum of `links` before `f`, which is minus their sum from `f`
//! on (every link starts and ends: the sum of all is zero). Only links longer than the range can
//! span it, and a partial index holds those of a week or more, so a range of a week or more reads
//! the hourly rows from its start on and the long links that end after it; a shorter range reads
//! its own quarter hours, as before.
//!
//! Kept in the same transaction as the change, from every insert, update (the previous quarter hour
//! that a row inserted before another gives it, a client given to another owner) and delete of
//! `conversation_activity`: on PostgreSQL per statement over its transition tables, rows changed in
//! key order; on SQLite by row triggers.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

use crate::covering_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The length, in quarter hours, from which a link is "long" (a week): ranges at least this long
/// are counted from the hourly rows. The dashboard names the same number.
pub const LONG_LINK: i64 = 672;

/// Read for an owner from its key alone: PostgreSQL's key carries the counts, SQLite's table is
/// its key (`WITHOUT ROWID`).
fn table(backend: DatabaseBackend) -> String {
    let (key, table_options) = match backend {
        DatabaseBackend::Postgres => ("PRIMARY KEY (owner_id, hour) INCLUDE (firsts, links)", ""),
        _ => ("PRIMARY KEY (owner_id, hour)", " WITHOUT ROWID"),
    };
    format!(
        "CREATE TABLE conversation_activity_hourly (
            owner_id BIGINT NOT NULL,
            hour BIGINT NOT NULL,
            firsts BIGINT NOT NULL,
            links BIGINT NOT NULL,
            {key}
        ){table_options}"
    )
}

/// The signed counts a set of `conversation_activity` rows (`rows`) gives, as (`o`wner, `h`our,
/// `f`irsts, `l`inks): its own hour's and, for a row with a previous quarter hour, that one's.
fn counts(rows: &str, sign: &str) -> String {
    format!(
        "SELECT owner_id AS o, bucket / 4 AS h, \
           {sign}CASE WHEN previous_bucket IS NULL THEN 1 ELSE 0 END AS f, \
           {sign}CASE WHEN previous_bucket IS NULL THEN 0 ELSE -1 END AS l FROM {rows} \
         UNION ALL SELECT owner_id, previous_bucket / 4, 0, {sign}1 FROM {rows} WHERE previous_bucket IS NOT NULL"
    )
}

/// Adds the summed `changes` (owner, hour, firsts, links) to the hourly rows, once per row and in
/// key order, so that two writers lock the rows they share in the same order.
fn apply(changes: &str) -> String {
    format!(
        "INSERT INTO conversation_activity_hourly (owner_id, hour, firsts, links)
           SELECT o, h, SUM(f), SUM(l) FROM ({changes}) AS changed
           GROUP BY 1, 2 HAVING SUM(f) <> 0 OR SUM(l) <> 0 ORDER BY 1, 2
           ON CONFLICT (owner_id, hour) DO UPDATE SET
             firsts = conversation_activity_hourly.firsts + EXCLUDED.firsts,
             links = conversation_activity_hourly.links + EXCLUDED.links;"
    )
}

/// Transition tables cannot go with more than one event, so a trigger per event.
fn postgres_triggers() -> Vec<String> {
    let mut branches = String::new();
    let mut triggers = Vec::new();
    for (event, changes, tables) in [
        ("INSERT", counts("new_rows", ""), "NEW TABLE AS new_rows"),
        (
            "UPDATE",
            format!("{} UNION ALL {}", counts("new_rows", ""), counts("old_rows", "-")),
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        ),
        ("DELETE", counts("old_rows", "-"), "OLD TABLE AS old_rows"),
    ] {
        branches.push_str(&format!("IF TG_OP = '{event}' THEN {} END IF;\n", apply(&changes)));
        triggers.push(format!(
            "CREATE TRIGGER conversation_activity_hourly_keep_{} AFTER {event} ON conversation_activity
               REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION conversation_activity_hourly_keep()",
            event.to_lowercase()
        ));
    }
    let function = format!(
        "CREATE FUNCTION conversation_activity_hourly_keep() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           {branches}
           RETURN NULL;
         END $$"
    );
    [function].into_iter().chain(triggers).collect()
}

/// SQLite: the counts of one row (`new` or `old`), added or taken away.
fn sqlite_row(row: &str, add: bool) -> String {
    let (one, minus_one) = if add { ("1", "-1") } else { ("-1", "1") };
    let upsert = |hour: &str, firsts: &str, links: &str, only: &str| {
        format!(
            "INSERT INTO conversation_activity_hourly (owner_id, hour, firsts, links)
               SELECT {row}.owner_id, {row}.{hour} / 4, {firsts}, {links} WHERE {row}.previous_bucket IS {only}NULL
               ON CONFLICT (owner_id, hour) DO UPDATE SET
                 firsts = conversation_activity_hourly.firsts + excluded.firsts,
                 links = conversation_activity_hourly.links + excluded.links;"
        )
    };
    [
        upsert("bucket", one, "0", ""),
        upsert("bucket", "0", minus_one, "NOT "),
        upsert("previous_bucket", "0", one, "NOT "),
    ]
    .concat()
}

fn sqlite_triggers() -> Vec<String> {
    vec![
        format!(
            "CREATE TRIGGER conversation_activity_hourly_keep_insert AFTER INSERT ON conversation_activity BEGIN {} END",
            sqlite_row("new", true)
        ),
        format!(
            "CREATE TRIGGER conversation_activity_hourly_keep_update
               AFTER UPDATE OF owner_id, bucket, previous_bucket ON conversation_activity
               WHEN old.owner_id IS NOT new.owner_id OR old.bucket IS NOT new.bucket
                 OR old.previous_bucket IS NOT new.previous_bucket
               BEGIN {} {} END",
            sqlite_row("old", false),
            sqlite_row("new", true)
        ),
        format!(
            "CREATE TRIGGER conversation_activity_hourly_keep_delete AFTER DELETE ON conversation_activity BEGIN {} END",
            sqlite_row("old", false)
        ),
    ]
}

/// (name, key columns, carried columns) of the partial indexes of the long links: an owner's
/// that end from a range's end on, and everyone's.
const LONG_LINK_INDEXES: &[(&str, &str, &str)] = &[
    ("conversation_activity_owner_long_link_idx", "owner_id, bucket", "previous_bucket"),
    ("conversation_activity_long_link_idx", "bucket", "previous_bucket"),
];

fn long_link_indexes(backend: DatabaseBackend) -> Vec<String> {
    LONG_LINK_INDEXES
        .iter()
        .map(|&(name, keys, carried)| {
            format!(
                "{} WHERE bucket - previous_bucket >= {LONG_LINK}",
                covering_index::create(backend, "conversation_activity", name, keys, carried)
            )
        })
        .collect()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let backfill = format!(
            "INSERT INTO conversation_activity_hourly (owner_id, hour, firsts, links)
               SELECT o, h, SUM(f), SUM(l) FROM ({}) AS counted
               GROUP BY 1, 2 HAVING SUM(f) <> 0 OR SUM(l) <> 0",
            counts("conversation_activity", "")
        );
        let hour_index = covering_index::create(
            backend,
            "conversation_activity_hourly",
            "conversation_activity_hourly_hour_idx",
            "hour",
            "owner_id, firsts, links",
        );
        let indexes = std::iter::once(hour_index).chain(long_link_indexes(backend));
        let triggers = match backend {
            DatabaseBackend::Postgres => postgres_triggers(),
            _ => sqlite_triggers(),
        };
        let statements = [table(backend), backfill].into_iter().chain(indexes).chain(triggers);
        for statement in statements {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        for event in ["insert", "update", "delete"] {
            let on = if postgres { " ON conversation_activity" } else { "" };
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS conversation_activity_hourly_keep_{event}{on}"))
                .await?;
        }
        if postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS conversation_activity_hourly_keep()").await?;
        }
        for &(name, ..) in LONG_LINK_INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        db.execute_unprepared("DROP TABLE conversation_activity_hourly").await?;
        Ok(())
    }
}
