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

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern(" Ana "), "%ana%");
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
