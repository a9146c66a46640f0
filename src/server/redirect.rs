//! Redirects to addresses that came from a request (`next`, `back`): only ever to this site, and
//! never a panic, whatever the input.
//!
//! The check parses the candidate the way a browser does (the WHATWG URL standard, which the `url`
//! crate implements): tabs and newlines anywhere are removed, leading and trailing control
//! characters and spaces are stripped, `\` counts as `/`, and `%2e%2e` is a `..` segment. A string
//! that a browser would resolve to another host (`/\t/evil.example` becomes `//evil.example`) is
//! therefore seen as exactly that. What is returned is the URL's own serialisation (percent-encoded
//! ASCII), which is always a valid `Location` header value.
use axum::http::HeaderValue;

/// Stands in for this site's origin while a candidate is resolved against it.
const BASE: &str = "http://this-site.invalid/";

/// The path, query and fragment of `candidate` when a browser would resolve it to a page of this
/// site; `None` for another site, another scheme, or a relative path (`clients`, which would
/// depend on the page it is resolved from).
pub fn same_site_path(candidate: &str) -> Option<String> {
    // Before the browser's own clean-up: only an absolute path is acceptable at all.
    let trimmed = candidate.trim_matches(|c: char| c <= ' ');
    if !trimmed.starts_with('/') {
        return None;
    }
    let base = url::Url::parse(BASE).ok()?;
    let resolved = base.join(candidate).ok()?;
    if resolved.origin() != base.origin() || resolved.username() != "" || resolved.password().is_some() {
        return None;
    }
    let mut path = resolved.path().to_owned();
    if let Some(query) = resolved.query() {
        path.push('?');
        path.push_str(query);
    }
    if let Some(fragment) = resolved.fragment() {
        path.push('#');
        path.push_str(fragment);
    }
    // Only a single leading slash: `//x` is another host to a browser (the check above already
    // refused it; this keeps the output safe on its own).
    (path.starts_with('/') && !path.starts_with("//") && HeaderValue::from_str(&path).is_ok()).then_some(path)
}

/// `candidate` if it is a page of this site, otherwise `fallback`.
pub fn same_site_or(candidate: Option<&str>, fallback: &str) -> String {
    candidate.and_then(same_site_path).unwrap_or_else(|| fallback.to_owned())
}

/// Sends the browser to `path` after a server function (see `leptos_axum::redirect`), which
/// panics on a value that is not a valid header. Paths the app builds itself are valid; anything
/// else goes to the dashboard instead.
pub fn redirect(path: &str) {
    if HeaderValue::from_str(path).is_ok() {
        leptos_axum::redirect(path);
    } else {
        tracing::warn!("refused to redirect to an invalid location");
        leptos_axum::redirect("/");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_pages_pass_normalised() {
        assert_eq!(same_site_path("/clients?page=2").as_deref(), Some("/clients?page=2"));
        assert_eq!(same_site_path("/clients/1#notes").as_deref(), Some("/clients/1#notes"));
        assert_eq!(same_site_path("/a/../clients").as_deref(), Some("/clients"));
        assert_eq!(same_site_path("/clients?q=ana silva").as_deref(), Some("/clients?q=ana%20silva"));
        assert_eq!(same_site_path("/é").as_deref(), Some("/%C3%A9"));
    }

    #[test]
    fn other_sites_and_what_browsers_turn_into_them_are_refused() {
        for hostile in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            " //evil.example",
            "javascript:alert(1)",
            "http:/evil.example",
            "",
            "clients",
            "?next=/",
        ] {
            assert_eq!(same_site_path(hostile), None, "{hostile:?}");
        }
        // Still one of ours, only cleaned: the browser would go to the same place.
        assert_eq!(same_site_path("/%09/evil.example").as_deref(), Some("/%09/evil.example"));
    }

    #[test]
    fn control_characters_never_reach_a_header() {
        for raw in ["/a\u{b}b", "/a\u{c}b", "/a\0b", "/a\u{7f}b", "/a\u{85}b", "/\u{2028}"] {
            let path = same_site_path(raw).unwrap();
            assert!(HeaderValue::from_str(&path).is_ok(), "{raw:?} -> {path:?}");
            assert!(path.bytes().all(|b| b.is_ascii_graphic()), "{raw:?} -> {path:?}");
        }
    }
}
