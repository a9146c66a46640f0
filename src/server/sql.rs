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
    advisory_lock(txn, "pg_advisory_xact_lock", key).await
}

/// The shared side of [`serialize_on`]: transactions sharing `key` run side by side, but never
/// while one holds it with [`serialize_on`]. Also taken before touching any row.
pub async fn share_on<C: sea_orm::ConnectionTrait>(txn: &C, key: i64) -> Result<(), sea_orm::DbErr> {
    advisory_lock(txn, "pg_advisory_xact_lock_shared", key).await
}

async fn advisory_lock<C: sea_orm::ConnectionTrait>(txn: &C, function: &str, key: i64) -> Result<(), sea_orm::DbErr> {
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        txn.execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            format!("SELECT {function}($1)"),
            [key.into()],
        ))
        .await?;
    }
    Ok(())
}

/// A statement written with `?` placeholders, numbered for PostgreSQL. A `?` inside a quoted
/// literal (`'…'`, `E'…'` with its backslash escapes) or a quoted identifier is text, not a
/// placeholder, so a search for "what?" written into a statement stays "what?".
pub fn statement(backend: sea_orm::DatabaseBackend, sql: &str, values: Vec<sea_orm::Value>) -> sea_orm::Statement {
    let sql = if backend == sea_orm::DatabaseBackend::Postgres { numbered(sql) } else { sql.to_owned() };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

/// `sql` with its placeholders outside quotes numbered `$1`, `$2`, … in order.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut placeholders = 0;
    // The quote being read (`'` or `"`) and whether a backslash escapes the next character in it.
    let mut quoted: Option<(char, bool)> = None;
    let mut chars = sql.chars().peekable();
    let mut previous: [Option<char>; 2] = [None, None];
    while let Some(c) = chars.next() {
        match quoted {
            Some((_, true)) if c == '\\' => {
                out.push(c);
                if let Some(escaped) = chars.next() {
                    out.push(escaped);
                }
                previous = [previous[1], None];
                continue;
            }
            Some((quote, _)) if c == quote => {
                out.push(c);
                // A doubled quote is the quote itself, inside the literal.
                if chars.peek() == Some(&quote) {
                    chars.next();
                    out.push(quote);
                } else {
                    quoted = None;
                }
            }
            Some(_) => out.push(c),
            None if c == '?' => {
                placeholders += 1;
                out.push_str(&format!("${placeholders}"));
            }
            None if c == '\'' => {
                let escape_string = matches!(previous[1], Some('E' | 'e'))
                    && !previous[0].is_some_and(|before| before.is_alphanumeric() || before == '_');
                quoted = Some(('\'', escape_string));
                out.push(c);
            }
            None if c == '"' => {
                quoted = Some(('"', false));
                out.push(c);
            }
            None => out.push(c),
        }
        previous = [previous[1], Some(c)];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{like_pattern, numbered};

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern(" Ana "), "%ana%");
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn placeholders_are_numbered_outside_quotes_only() {
        assert_eq!(numbered("SELECT ? WHERE a = ? AND b = ?"), "SELECT $1 WHERE a = $2 AND b = $3");
        assert_eq!(
            numbered("SELECT ? WHERE name LIKE '%what?%' AND note = 'it''s ?' AND ? = \"odd?name\""),
            "SELECT $1 WHERE name LIKE '%what?%' AND note = 'it''s ?' AND $2 = \"odd?name\""
        );
        // An escape string: \' does not end it; a plain string: a backslash is only a backslash.
        assert_eq!(numbered("SELECT E'a\\'?b', ?, 'c\\', ?"), "SELECT E'a\\'?b', $1, 'c\\', $2");
        // `e` closing a word before a quote is not an escape string's prefix.
        assert_eq!(numbered("SELECT 1 WHERE type='a\\', ?"), "SELECT 1 WHERE type='a\\', $1");
        assert_eq!(numbered("SELECT 'unterminated ?"), "SELECT 'unterminated ?");
    }
}
