//! Shared test fixtures: a fresh, migrated database per test (SQLite file or PostgreSQL database)
//! and a unique Redis key prefix per test. PostgreSQL and Redis are required: a test fails with a
//! clear message when they are unreachable, it never skips.
#![allow(dead_code)]

pub mod accounts;
pub mod app;
pub mod booking_list;
pub mod fake_ai;
pub mod persona;
pub mod smtp;
pub mod sse;

use std::sync::atomic::{AtomicU32, Ordering};

use crm::server::{config::DatabaseUrl, db};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

/// Server-level URL used to create and drop the per-test databases.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A name no other test (in this run or a parallel one) uses.
pub fn unique_name(kind: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("crm_test_{kind}_{}_{n}_{nanos}", std::process::id())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// A fresh database; call [`TestDb::cleanup`] at the end of the test (leftovers from failed runs
/// are swept by the test script, by their `crm_test_` prefix).
pub struct TestDb {
    pub conn: DatabaseConnection,
    pub url: DatabaseUrl,
    backend: Backend,
    name: String,
}

impl TestDb {
    /// A new empty database (not migrated).
    pub async fn empty(backend: Backend) -> TestDb {
        let name = unique_name("db");
        let url = match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                DatabaseUrl::parse(&format!("sqlite://{}", path.display())).unwrap()
            }
            Backend::Postgres => {
                let admin = Database::connect(postgres_admin_url()).await.unwrap_or_else(|error| {
                    panic!(
                        "PostgreSQL is required for these tests and is unreachable at {} ({error}). \
                         Start it or set TEST_POSTGRES_URL.",
                        postgres_admin_url()
                    )
                });
                admin
                    .execute_raw(Statement::from_string(
                        admin.get_database_backend(),
                        format!("CREATE DATABASE {name}"),
                    ))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let mut url = url::Url::parse(&postgres_admin_url()).unwrap();
                url.set_path(&name);
                DatabaseUrl::parse(url.as_str()).unwrap()
            }
        };
        let conn = db::connect(&url).await.expect("connect to the test database");
        TestDb { conn, url, backend, name }
    }

    /// A new database with every migration applied.
    pub async fn migrated(backend: Backend) -> TestDb {
        let TestDb { conn, url, backend, name } = Self::empty(backend).await;
        let conn = db::migrate(conn, &url).await.expect("migrate the test database");
        TestDb { conn, url, backend, name }
    }

    /// Closes the pool and opens a new one, as the app does after migrating (see `db::migrate`):
    /// for a test that changes the schema itself and then writes.
    pub async fn reopen(&mut self) {
        let fresh = db::connect(&self.url).await.expect("reconnect to the test database");
        std::mem::replace(&mut self.conn, fresh).close().await.expect("close the old pool");
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn cleanup(self) {
        self.conn.close().await.ok();
        match self.backend {
            Backend::Sqlite => {
                if let DatabaseUrl::Sqlite { path, .. } = &self.url {
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{path}{suffix}"));
                    }
                }
            }
            Backend::Postgres => {
                if let Ok(admin) = Database::connect(postgres_admin_url()).await {
                    let _ = admin
                        .execute_raw(Statement::from_string(
                            admin.get_database_backend(),
                            format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
                        ))
                        .await;
                    admin.close().await.ok();
                }
            }
        }
    }
}
