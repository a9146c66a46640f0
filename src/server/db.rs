//! The database pool: SQLite (embedded default) or PostgreSQL, chosen by `DATABASE_URL`.
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DbErr, SqliteTransactionMode,
    Statement, TransactionOptions, TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

use super::config::DatabaseUrl;

/// Fail fast when the database is unreachable instead of queueing requests for 30 s.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections of the SQLite pool (one writer at a time; the rest read).
pub const SQLITE_POOL_SIZE: u32 = 8;

pub async fn connect(url: &DatabaseUrl) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.as_str());
    options.acquire_timeout(ACQUIRE_TIMEOUT).connect_timeout(CONNECT_TIMEOUT).sqlx_logging(false);
    match url {
        DatabaseUrl::Sqlite { path, .. } => {
            if let Some(parent) = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|error| DbErr::Custom(format!("cannot create {}: {error}", parent.display())))?;
            }
            options.max_connections(SQLITE_POOL_SIZE).min_connections(1).map_sqlx_sqlite_opts(|opts| {
                opts.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .foreign_keys(true)
            });
        }
        DatabaseUrl::Postgres(_) => {
            // Prepared statements would switch to a generic plan after five runs, planned without
            // the search pattern: a search's count then read every row of the owner instead of
            // asking the trigram index (27 ms instead of 3 at 100,000 clients). Planning for the
            // actual values costs a fraction of a millisecond and never picks that plan.
            options
                .max_connections(20)
                .min_connections(1)
                .map_sqlx_postgres_opts(|opts| opts.options([("plan_cache_mode", "force_custom_plan")]));
        }
    }
    Database::connect(options).await
}

/// Brings the schema up to date and returns the pool to serve from. On SQLite that is a new pool:
/// a connection that read the schema before another one changed it fails its first delete from
/// `clients` in a transaction with "no such table: clients" (foreign keys on, and the FTS5 index
/// whose content is `clients`; seen on SQLite 3.40 and 3.51), and the migrations run over several
/// of the pool's connections. New connections read the schema afresh.
pub async fn migrate(db: DatabaseConnection, url: &DatabaseUrl) -> Result<DatabaseConnection, DbErr> {
    Migrator::up(&db, None).await?;
    match url {
        DatabaseUrl::Sqlite { .. } => {
            db.close().await?;
            connect(url).await
        }
        DatabaseUrl::Postgres(_) => Ok(db),
    }
}

/// The name of the newest applied migration, or `None` on an empty database.
pub async fn schema_version(db: &DatabaseConnection) -> Result<Option<String>, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations ORDER BY version DESC LIMIT 1",
        ))
        .await?;
    row.map(|row| row.try_get::<String>("", "version")).transpose()
}

/// A cheap round trip, for readiness checks.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_string(db.get_database_backend(), "SELECT 1")).await.map(|_| ())
}

pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => "PostgreSQL",
        DatabaseBackend::Sqlite => "SQLite",
        _ => "other",
    }
}

/// Runs `transaction` (a whole transaction, begun and committed inside) again when the database
/// rolled it back to break a deadlock, up to five times in all. A backstop for changes of many rows
/// at once, whose triggers update shared counters row by row in the order of the rows: the locks
/// they take first keep them apart from each other and from single changes, but not from every
/// other writer (a delete cascades into conversations a chat writer may hold).
pub async fn retry_when_contended<T, F, Fut>(mut transaction: F) -> Result<T, crate::shared::AppError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, crate::shared::AppError>>,
{
    let mut attempts = 1;
    loop {
        match transaction().await {
            Err(error) if error.is_contended() && attempts < 5 => attempts += 1,
            result => return result,
        }
    }
}

/// Starts a transaction that will write. On SQLite it takes the write lock at `BEGIN IMMEDIATE`:
/// a deferred transaction that reads first and writes later cannot wait for a concurrent writer
/// (SQLite answers "database is locked" at once to avoid a deadlock), whereas an immediate one
/// queues behind it for up to the busy timeout. PostgreSQL ignores the option.
pub async fn begin_write<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}
