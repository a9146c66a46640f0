//! Indexes that carry columns beside their keys, so that a query reading them needs no table row.
use sea_orm_migration::sea_orm::DatabaseBackend;

/// `CREATE INDEX name ON table (keys)` carrying `carried`: PostgreSQL with `INCLUDE`; SQLite, which
/// has no such clause, as trailing keys.
pub fn create(backend: DatabaseBackend, table: &str, name: &str, keys: &str, carried: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("CREATE INDEX {name} ON {table} ({keys}) INCLUDE ({carried})"),
        _ => format!("CREATE INDEX {name} ON {table} ({keys}, {carried})"),
    }
}
