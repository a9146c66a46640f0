//! The one rule for every search box: searches are short. A longer text is refused before any
//! database work (a pattern of a million characters costs seconds of LIKE matching).

use super::AppError;

/// The longest search text, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

/// 422 on the search field (`q`) when `text` is longer than a search can be.
pub fn check_search(text: &str) -> Result<(), AppError> {
    if text.chars().count() > MAX_SEARCH_CHARS {
        Err(AppError::field("q", format!("Search with at most {MAX_SEARCH_CHARS} characters.")))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn searches_are_capped_in_characters() {
        assert!(super::check_search(&"é".repeat(super::MAX_SEARCH_CHARS)).is_ok());
        let error = super::check_search(&"a".repeat(super::MAX_SEARCH_CHARS + 1)).unwrap_err();
        assert_eq!(error.status_code(), 422);
        assert!(error.field_message("q").is_some());
    }
}
