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

/// A `mailto:` link to exactly one address: everything but the `@` is percent-encoded, so a `?` or
/// `&` in the address cannot add a subject, body or other recipients (RFC 6068).
pub fn mailto(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => format!("mailto:{}@{}", encode_component(local), encode_component(domain)),
        None => format!("mailto:{}", encode_component(email)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn mailto_links_carry_one_address_and_nothing_else() {
        assert_eq!(super::mailto("ana@example.com"), "mailto:ana@example.com");
        assert_eq!(super::mailto("a?cc=x&body=y@example.com"), "mailto:a%3Fcc%3Dx%26body%3Dy@example.com");
        assert_eq!(super::mailto("a+b@example.com"), "mailto:a%2Bb@example.com");
    }

    #[test]
    fn reserved_and_non_ascii_characters_are_encoded() {
        assert_eq!(super::encode_component("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(super::encode_component("safe-_.~"), "safe-_.~");
    }
}
