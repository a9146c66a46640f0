//! Small SQL helpers shared by the services.

/// A `LIKE '%…%'` pattern for user input, lower-cased, in which `%`, `_` and `\` match themselves
/// (use it with `ESCAPE '\'`).
pub fn like_pattern(query: &str) -> String {
    let mut pattern = String::with_capacity(query.len() + 2);
    pattern.push('%');
    for c in query.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Whether a database error is a unique-constraint violation (both backends say "unique").
pub fn is_unique_violation(error: &sea_orm::DbErr) -> bool {
    error.to_string().to_lowercase().contains("unique")
}

/// Holds a transaction-scoped lock on `key` until `txn` ends, so that transactions taking the same
/// key run their critical part one after another. PostgreSQL only (`pg_advisory_xact_lock`):
/// SQLite's write transactions (`begin_write`, `BEGIN IMMEDIATE`) are one at a time already.
/// Take it before touching any row, so that it never waits while holding a row lock.
pub async fn serialize_on<C: sea_orm::ConnectionTrait>(txn: &C, key: i64) -> Result<(), sea_orm::DbErr> {
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        txn.execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [key.into()],
        ))
        .await?;
    }
    Ok(())
}

/// A statement written with `?` placeholders, numbered for PostgreSQL.
pub fn statement(backend: sea_orm::DatabaseBackend, sql: &str, values: Vec<sea_orm::Value>) -> sea_orm::Statement {
    let sql = if backend == sea_orm::DatabaseBackend::Postgres {
        let mut numbered = String::with_capacity(sql.len() + 16);
        let mut n = 0;
        for c in sql.chars() {
            if c == '?' {
                n += 1;
                numbered.push_str(&format!("${n}"));
            } else {
                numbered.push(c);
            }
        }
        numbered
    } else {
        sql.to_owned()
    };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern(" Ana "), "%ana%");
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
