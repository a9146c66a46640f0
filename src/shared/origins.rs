//! Lists of web origins a person types (one per line, or separated by spaces or commas), as the
//! public chat's embedding settings take them: `https://example.com`, `https://shop.example.com:8443`,
//! and for trying things out `http://localhost:8080`. Anything else is refused with the reason.

/// The most origins one list holds.
pub const MAX_ORIGINS: usize = 10;

/// The origins in `typed`, normalised (`scheme://host[:port]`, lower case, no default port, no
/// trailing slash) and without repeats, in the order typed; or what is wrong with the first bad one.
pub fn parse_list(typed: &str) -> Result<Vec<String>, String> {
    let mut origins: Vec<String> = Vec::new();
    for raw in typed.split(|c: char| c.is_whitespace() || c == ',').filter(|part| !part.is_empty()) {
        let origin = parse_one(raw)?;
        if !origins.contains(&origin) {
            // Refused as soon as the list is too long, so a pasted megabyte costs little.
            if origins.len() == MAX_ORIGINS {
                return Err(format!("List at most {MAX_ORIGINS} websites."));
            }
            origins.push(origin);
        }
    }
    Ok(origins)
}

fn parse_one(raw: &str) -> Result<String, String> {
    let shown: String = raw.chars().take(80).collect();
    let url = url::Url::parse(raw).map_err(|_| format!("“{shown}” is not a web address like https://example.com."))?;
    let host = url.host_str().unwrap_or_default();
    let local = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    match url.scheme() {
        "https" => {}
        "http" if local => {}
        "http" => return Err(format!("“{shown}” must start with https:// (plain http only for localhost).")),
        _ => return Err(format!("“{shown}” is not a web address like https://example.com.")),
    }
    if host.is_empty() || !url.username().is_empty() || url.password().is_some() {
        return Err(format!("“{shown}” is not a web address like https://example.com."));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!("“{shown}”: give the site only, without a path (https://example.com)."));
    }
    if host.contains('*') {
        return Err(format!("“{shown}”: list each site, without wildcards."));
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised_and_deduplicated() {
        assert_eq!(
            parse_list(
                "https://Example.com/\n https://shop.example.com:8443, https://example.com:443\thttp://localhost:5173"
            )
            .unwrap(),
            ["https://example.com", "https://shop.example.com:8443", "http://localhost:5173"]
        );
        assert_eq!(parse_list("  \n ").unwrap(), Vec::<String>::new());
        assert_eq!(parse_list("https://bücher.example").unwrap(), ["https://xn--bcher-kva.example"]);
    }

    #[test]
    fn anything_but_a_site_is_refused_with_the_reason() {
        for (typed, reason) in [
            ("example.com", "is not a web address"),
            ("http://example.com", "must start with https://"),
            ("https://example.com/contact", "without a path"),
            ("https://example.com/?a=1", "without a path"),
            ("javascript:alert(1)", "is not a web address"),
            ("https://user:pw@example.com", "is not a web address"),
            ("https://*.example.com", "without wildcards"),
            ("ftp://example.com", "is not a web address"),
        ] {
            let error = parse_list(typed).unwrap_err();
            assert!(error.contains(reason), "{typed}: {error}");
        }
        let many = (0..11).map(|n| format!("https://site{n}.example")).collect::<Vec<_>>().join("\n");
        assert_eq!(parse_list(&many).unwrap_err(), "List at most 10 websites.");
        let huge = "https://a.example\n".repeat(200_000) + &many;
        assert_eq!(parse_list(&huge).unwrap_err(), "List at most 10 websites.");
        let controls = parse_list("https://ok.example\n\u{0}<script>x</script>").unwrap_err();
        assert!(controls.contains("is not a web address"), "{controls}");
    }
}
