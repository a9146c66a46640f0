//! Building URLs from user input.

/// Percent-encodes a query value (RFC 3986 unreserved characters stay as they are).
pub fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Where a plain form goes back to: one of this app's pages, never another site.
pub fn own_page_or(requested: &str, fallback: String) -> String {
    let own_page = requested.starts_with('/') && !requested.starts_with("//") && !requested.contains('\\');
    if own_page { requested.to_owned() } else { fallback }
}

#[cfg(test)]
mod tests {
    #[test]
    fn plain_forms_go_back_only_to_own_pages() {
        assert_eq!(super::own_page_or("/pipeline?q=ana", "/x".into()), "/pipeline?q=ana");
        for foreign in ["https://evil.example", "//evil.example", "/\\evil.example", "", "pipeline"] {
            assert_eq!(super::own_page_or(foreign, "/clients/1".into()), "/clients/1", "{foreign}");
        }
    }

    #[test]
    fn reserved_and_non_ascii_characters_are_encoded() {
        assert_eq!(super::encode_component("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(super::encode_component("safe-_.~"), "safe-_.~");
    }
}
