//! Browser-facing hardening, as two axum middlewares:
//!
//! - [`refuse_cross_site`]: cross-site request forgery protection. Every state-changing request
//!   (any method but GET, HEAD and OPTIONS) must come from this app's own origin, whether it is a
//!   server function under `/api` or a plain HTML form post.
//! - [`security_headers`]: a Content-Security-Policy with a fresh nonce per request, plus the usual
//!   hardening headers, on every response (pages, server functions, static files, 404s, probes);
//!   and `Cache-Control: no-store` on everything but static files, so that no page a user saw while
//!   signed in is kept by a shared cache or shown again from the back button after sign-out;
//!   static files get `no-cache` (kept, but checked against the server before each use).
//! - [`refuse_odd_paths`]: a path is judged as the browser and the file server would read it.
//!   Browsers never send `.` or `..` segments (they resolve them first), so a request that has one
//!   (`/pkg/../clients`, `/api/%2e%2e/status`) is refused with 400 rather than routed by one rule
//!   and guarded by another; static files answer GET and HEAD only (405 otherwise).
//!
//! The nonce travels to the Leptos render in the request's extensions; [`provide_request_nonce`]
//! (called from the router's additional-context closures) hands it to Leptos, whose
//! `<HydrationScripts/>`, `<AutoReload/>`, resource-serialisation and out-of-order streaming
//! scripts then carry `nonce="…"` matching the header.
use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use leptos::{nonce::Nonce, prelude::*};

use super::config::Config;

/// The body of the 403 answer to a refused cross-site request.
pub const REFUSED_BODY: &str = "cross-site request refused";

/// The per-request CSP nonce, as stored in the request's extensions.
#[derive(Clone, Debug)]
pub struct CspNonce(pub Nonce);

/// What the two middlewares need to know about how the app is reached; built once per router.
#[derive(Clone, Debug)]
pub struct SecurityPolicy {
    /// Served over HTTPS: `https` is the scheme of the request's own origin, and HSTS is sent.
    https: bool,
    /// The configured public origin (`CRM_PUBLIC_ORIGIN`), accepted as same-origin even when a
    /// proxy rewrites the Host header.
    public_origin: Option<url::Origin>,
    /// cargo-leptos' live reload is active: its script talks to a WebSocket on another port.
    live_reload: bool,
}

impl SecurityPolicy {
    pub fn new(https: bool, public_origin: Option<&str>, live_reload: bool) -> Self {
        let public_origin = public_origin.and_then(|raw| url::Url::parse(raw).ok()).map(|url| url.origin());
        SecurityPolicy { https, public_origin, live_reload }
    }

    /// From the configuration. Live reload mirrors the condition under which Leptos'
    /// `<AutoReload/>` emits its script: `LEPTOS_WATCH` is set by `cargo leptos watch` only, never
    /// in a production deployment, so the WebSocket allowance exists only during development.
    pub fn from_config(config: &Config) -> Self {
        Self::new(config.secure, config.public_origin.as_deref(), std::env::var_os("LEPTOS_WATCH").is_some())
    }

    /// The Content-Security-Policy for one response.
    ///
    /// - `default-src 'self'`: anything not listed below (fonts, manifests, media) only from here.
    /// - `script-src 'self' 'nonce-…' 'wasm-unsafe-eval'`: the JS glue under `/pkg` is loaded from
    ///   this origin; the inline scripts Leptos writes (the hydration bootstrap, serialised resources,
    ///   out-of-order streaming chunks, live reload) carry the per-request nonce; compiling the WASM
    ///   module (`WebAssembly.instantiateStreaming`) needs `'wasm-unsafe-eval'`, which allows WASM
    ///   compilation only, not JavaScript `eval`. No `'unsafe-inline'`: an injected `<script>`
    ///   without the nonce does not run.
    /// - `style-src 'self'`: the stylesheet under `/pkg` (a `<link>` in the document's head).
    ///   Leptos and leptos_meta emit no inline `<style>` or `style="…"` of their own (only
    ///   `<Style/>`, which would carry the nonce, or app code using `style=`, which this app does
    ///   not), so no `'unsafe-inline'` for styles. Styles set from WASM through the CSSOM are not
    ///   affected by CSP.
    /// - `img-src 'self' data:`: icons and images from here, plus `data:` URIs (CSS-embedded icons).
    /// - `connect-src 'self'`: server function calls go to this origin. During `cargo leptos watch`
    ///   only, also `ws:`/`wss:` for the live-reload socket, which listens on a different port.
    /// - `frame-ancestors 'none'`: no framing (clickjacking); `X-Frame-Options` for old browsers.
    /// - `base-uri 'self'`, `form-action 'self'`, `object-src 'none'`: no `<base>` hijacking, forms
    ///   post only here, no plugins.
    ///
    /// `framers`: the origins a page allowed to frame it ([`allow_framing`]); `frame-ancestors`
    /// then lists them (with `'self'`) instead of `'none'`.
    pub fn content_security_policy(&self, nonce: &str, framers: &[String]) -> String {
        let connect = if self.live_reload { "'self' ws: wss:" } else { "'self'" };
        let ancestors = if framers.is_empty() { "'none'".to_owned() } else { format!("'self' {}", framers.join(" ")) };
        format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' data:; connect-src {connect}; frame-ancestors {ancestors}; base-uri 'self'; \
             form-action 'self'; object-src 'none'"
        )
    }

    /// Whether a request may proceed past the cross-site request forgery check.
    pub fn allows(&self, method: &Method, headers: &HeaderMap, uri_authority: Option<&str>) -> bool {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            return true;
        }
        // Browsers tell where a request comes from: `Sec-Fetch-Site` (all current browsers, on
        // secure contexts including localhost) and `Origin` (on every cross-origin request and
        // every POST). A cross-site POST from a browser therefore always carries at least one of
        // them. A request with neither is not a browser acting for a signed-in user (curl, scripts,
        // the test harness): it holds no ambient cookie an attacker could ride on, so it passes.
        if let Some(site) = headers.get("sec-fetch-site") {
            // `same-site` is a sibling subdomain, which could be someone else's: refused too.
            return matches!(site.as_bytes(), b"same-origin" | b"none");
        }
        let Some(origin) = headers.get(header::ORIGIN) else {
            return true;
        };
        let Some(origin) = origin.to_str().ok().and_then(|raw| url::Url::parse(raw).ok()).map(|url| url.origin())
        else {
            // `Origin: null` (sandboxed frames, some redirects) or garbage: not provably ours.
            return false;
        };
        if !origin.is_tuple() {
            return false;
        }
        if self.public_origin.as_ref() == Some(&origin) {
            return true;
        }
        let host = headers.get(header::HOST).and_then(|host| host.to_str().ok()).or(uri_authority);
        let scheme = if self.https { "https" } else { "http" };
        host.and_then(|host| url::Url::parse(&format!("{scheme}://{host}")).ok())
            .is_some_and(|own| own.origin() == origin)
    }

    /// Sets the security headers on a response, with `nonce` in the CSP. A response that allowed
    /// framing ([`allow_framing`]) gets `frame-ancestors` with those origins and no
    /// `X-Frame-Options` (which cannot name origins; browsers that know CSP ignore it anyway).
    fn apply(&self, headers: &mut HeaderMap, nonce: &str) {
        let framers = headers
            .remove(FRAMERS_HEADER)
            .and_then(|value| value.to_str().ok().map(str::to_owned))
            .and_then(|listed| crate::shared::origins::parse_list(&listed).ok())
            .unwrap_or_default();
        let csp = self.content_security_policy(nonce, &framers);
        if let Ok(value) = HeaderValue::from_str(&csp) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
        if framers.is_empty() {
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        } else {
            headers.remove(header::X_FRAME_OPTIONS);
        }
        let fixed: [(HeaderName, &'static str); 4] = [
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
            (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
            (HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=()"),
        ];
        for (name, value) in fixed {
            headers.insert(name, HeaderValue::from_static(value));
        }
        if self.https {
            headers.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=31536000; includeSubDomains"),
            );
        }
    }
}

/// Middleware: refuses state-changing requests that do not come from this app's origin with
/// 403 and a short plain-text body, before any handler (or the session layer) runs.
pub async fn refuse_cross_site(State(policy): State<Arc<SecurityPolicy>>, request: Request, next: Next) -> Response {
    let authority = request.uri().authority().map(|authority| authority.as_str().to_owned());
    if policy.allows(request.method(), request.headers(), authority.as_deref()) {
        return next.run(request).await;
    }
    tracing::info!(
        method = %request.method(),
        path = request.uri().path(),
        origin = ?request.headers().get(header::ORIGIN),
        sec_fetch_site = ?request.headers().get("sec-fetch-site"),
        "refused a cross-site request"
    );
    (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], REFUSED_BODY).into_response()
}

/// Static files: the built site under `/pkg` and the files of `public/` at the root.
pub fn is_static_file(path: &str) -> bool {
    path.starts_with("/pkg/") || matches!(path, "/favicon.ico" | "/favicon.svg" | "/icons.svg")
}

/// Whether a path segment is `.` or `..`, written plainly or percent-encoded (`%2e`, `.%2E`...).
fn is_dot_segment(segment: &str) -> bool {
    let lower = segment.to_ascii_lowercase();
    let decoded = lower.replace("%2e", ".");
    decoded == "." || decoded == ".."
}

/// Why a request path is refused before routing, if it is.
pub fn path_problem(method: &Method, path: &str) -> Option<(StatusCode, &'static str)> {
    let lower = path.to_ascii_lowercase();
    if path.split('/').any(is_dot_segment) || path.contains('\\') || lower.contains("%5c") || lower.contains("%2f") {
        return Some((StatusCode::BAD_REQUEST, "malformed path"));
    }
    if is_static_file(path) && !matches!(*method, Method::GET | Method::HEAD) {
        return Some((StatusCode::METHOD_NOT_ALLOWED, "method not allowed"));
    }
    None
}

/// Middleware: see [`path_problem`].
pub async fn refuse_odd_paths(request: Request, next: Next) -> Response {
    match path_problem(request.method(), request.uri().path()) {
        None => next.run(request).await,
        Some((status, body)) => {
            let mut response = (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response();
            if status == StatusCode::METHOD_NOT_ALLOWED {
                response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            }
            response
        }
    }
}

/// Middleware: makes a fresh nonce for this request (available to the render through
/// [`provide_request_nonce`]) and sets the CSP with it and the other security headers on the
/// response, whoever produced it.
pub async fn security_headers(State(policy): State<Arc<SecurityPolicy>>, mut request: Request, next: Next) -> Response {
    // 128 random bits, base64url: the encoding CSP nonces accept.
    let nonce = Nonce::new();
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let static_file = is_static_file(request.uri().path());
    let mut response = next.run(request).await;
    policy.apply(response.headers_mut(), &nonce);
    if !response.headers().contains_key(header::CACHE_CONTROL) {
        // The client's files keep their names from one build to the next, and the lazy pages'
        // chunks must come from the same build as the main module: a browser may keep them, but
        // asks each time whether they changed (a 304 when not).
        let policy = if static_file { "no-cache" } else { "no-store" };
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

/// The response header through which a page asks [`security_headers`] to let some origins frame
/// it; the middleware takes it out before the response leaves.
const FRAMERS_HEADER: HeaderName = HeaderName::from_static("x-crm-allow-framing-by");

/// Lets the origins `framers` (normalised, `https://example.com`) show the page being rendered in a
/// frame; every other page, and this one without a call, refuses framing. For a page that is meant
/// to be embedded elsewhere (the public chat), never for one a signed-in user acts on.
pub fn allow_framing(framers: &[String]) {
    if framers.is_empty() {
        return;
    }
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(value) = HeaderValue::from_str(&framers.join(" "))
    {
        response.insert_header(FRAMERS_HEADER, value);
    }
}

/// For the Leptos additional-context closures: replaces the nonce leptos_axum generated for this
/// render with the one in the CSP header (a no-op outside a request, or without the middleware).
/// leptos_axum provides the request's [`Parts`] before it calls the additional context.
pub fn provide_request_nonce() {
    if let Some(CspNonce(nonce)) = use_context::<Parts>().and_then(|parts| parts.extensions.get::<CspNonce>().cloned())
    {
        provide_context(nonce);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        map
    }

    fn post_allowed(policy: &SecurityPolicy, pairs: &[(&'static str, &'static str)]) -> bool {
        policy.allows(&Method::POST, &headers(pairs), None)
    }

    #[test]
    fn safe_methods_always_pass() {
        let policy = SecurityPolicy::new(false, None, false);
        let hostile = headers(&[("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")]);
        for method in [Method::GET, Method::HEAD, Method::OPTIONS] {
            assert!(policy.allows(&method, &hostile, None), "{method}");
        }
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            assert!(!policy.allows(&method, &hostile, None), "{method}");
        }
    }

    #[test]
    fn sec_fetch_site_decides_when_present() {
        let policy = SecurityPolicy::new(false, None, false);
        assert!(post_allowed(&policy, &[("sec-fetch-site", "same-origin")]));
        assert!(post_allowed(&policy, &[("sec-fetch-site", "none")]));
        assert!(!post_allowed(&policy, &[("sec-fetch-site", "same-site")]));
        assert!(!post_allowed(&policy, &[("sec-fetch-site", "cross-site")]));
        assert!(!post_allowed(&policy, &[("sec-fetch-site", "something-new")]));
        // A matching Origin does not rescue a request the browser calls cross-site.
        assert!(!post_allowed(
            &policy,
            &[("sec-fetch-site", "cross-site"), ("host", "crm.test"), ("origin", "http://crm.test")]
        ));
    }

    #[test]
    fn origin_must_match_the_host_with_the_configured_scheme() {
        let http = SecurityPolicy::new(false, None, false);
        assert!(post_allowed(&http, &[("host", "crm.test:3000"), ("origin", "http://crm.test:3000")]));
        assert!(post_allowed(&http, &[("host", "CRM.test"), ("origin", "http://crm.test")]));
        assert!(!post_allowed(&http, &[("host", "crm.test:3000"), ("origin", "http://crm.test:3001")]));
        assert!(!post_allowed(&http, &[("host", "crm.test"), ("origin", "https://crm.test")]));
        assert!(!post_allowed(&http, &[("host", "crm.test"), ("origin", "null")]));
        assert!(!post_allowed(&http, &[("origin", "http://crm.test")]), "no host to compare with");
        assert!(http.allows(&Method::POST, &headers(&[("origin", "http://crm.test")]), Some("crm.test")));

        let https = SecurityPolicy::new(true, None, false);
        assert!(post_allowed(&https, &[("host", "crm.test"), ("origin", "https://crm.test")]));
        assert!(post_allowed(&https, &[("host", "crm.test:443"), ("origin", "https://crm.test")]));
        assert!(!post_allowed(&https, &[("host", "crm.test"), ("origin", "http://crm.test")]));
    }

    #[test]
    fn the_public_origin_is_accepted_behind_a_proxy() {
        let policy = SecurityPolicy::new(true, Some("https://crm.example.com"), false);
        assert!(post_allowed(&policy, &[("host", "10.0.0.5:3000"), ("origin", "https://crm.example.com")]));
        assert!(!post_allowed(&policy, &[("host", "10.0.0.5:3000"), ("origin", "https://evil.example")]));
    }

    #[test]
    fn requests_without_browser_headers_pass() {
        let policy = SecurityPolicy::new(false, None, false);
        assert!(post_allowed(&policy, &[]));
        assert!(post_allowed(&policy, &[("host", "crm.test")]));
    }

    #[test]
    fn dot_segments_and_encoded_separators_are_refused() {
        for path in
            ["/pkg/../clients", "/api/%2e%2e/status", "/api/%2E./x", "/./clients", "/clients/..", "/a%2fb", "/a%5Cb"]
        {
            assert_eq!(
                path_problem(&Method::GET, path).map(|(status, _)| status),
                Some(StatusCode::BAD_REQUEST),
                "{path}"
            );
        }
        for path in ["/clients", "/pkg/crm.js", "/clients/1.csv", "/a..b/..c", "/"] {
            assert_eq!(path_problem(&Method::GET, path), None, "{path}");
        }
    }

    #[test]
    fn static_files_answer_only_get_and_head() {
        assert_eq!(path_problem(&Method::HEAD, "/pkg/crm.js"), None);
        for method in [Method::POST, Method::PUT, Method::DELETE] {
            assert_eq!(
                path_problem(&method, "/pkg/crm.js").map(|(status, _)| status),
                Some(StatusCode::METHOD_NOT_ALLOWED)
            );
        }
        assert_eq!(path_problem(&Method::POST, "/api/login"), None);
    }

    #[test]
    fn the_csp_carries_the_nonce_and_live_reload_only_when_watching() {
        let csp = SecurityPolicy::new(false, None, false).content_security_policy("abc", &[]);
        assert!(csp.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval';"), "{csp}");
        assert!(csp.contains("connect-src 'self';"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none';"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        let watching = SecurityPolicy::new(false, None, true).content_security_policy("abc", &[]);
        assert!(watching.contains("connect-src 'self' ws: wss:;"), "{watching}");
    }

    #[test]
    fn a_page_that_allows_framing_names_its_framers_and_drops_x_frame_options() {
        let policy = SecurityPolicy::new(true, None, false);
        let mut headers = HeaderMap::new();
        headers.insert(FRAMERS_HEADER, HeaderValue::from_static("https://shop.example http://localhost:8080"));
        policy.apply(&mut headers, "n");
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'self' https://shop.example http://localhost:8080;"), "{csp}");
        assert!(!headers.contains_key(header::X_FRAME_OPTIONS));
        assert!(!headers.contains_key(FRAMERS_HEADER), "the internal header never leaves");

        // Anything that is not a list of origins (a page bug, an injection) frames nothing.
        let mut headers = HeaderMap::new();
        headers.insert(FRAMERS_HEADER, HeaderValue::from_static("https://ok.example 'unsafe-inline' *"));
        policy.apply(&mut headers, "n");
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none';"), "{csp}");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    }
}
