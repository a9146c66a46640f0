//! Cross-site request forgery refusal and security headers, through the assembled router in
//! process. The backend does not matter here, so these run on SQLite only.
#![cfg(feature = "ssr")]

mod common;

use axum::{
    body::Body,
    http::{HeaderMap, Request, StatusCode, header},
};
use common::{
    Backend,
    app::{self, TestApp, TestResponse as Answer},
};
use crm::server::{security::REFUSED_BODY, state::AppState};
use sea_orm::{ConnectionTrait, Statement};

const HOST: &str = "crm.test:3000";

async fn app_with(extra: &[(&str, &str)]) -> TestApp {
    app::start_with(Backend::Sqlite, extra).await
}

async fn app() -> TestApp {
    app_with(&[]).await
}

/// A form-encoded POST with an empty body to a server function that answers visitors too, with `headers` added.
fn status_post(headers: &[(&str, &str)]) -> Request<Body> {
    let mut request = Request::post("/api/whoami")
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Body::empty()).unwrap()
}

fn get(path: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut request = Request::get(path).header(header::HOST, HOST);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Body::empty()).unwrap()
}

async fn session_rows(state: &AppState) -> i64 {
    let row = state
        .db
        .query_one_raw(Statement::from_string(state.db.get_database_backend(), "SELECT COUNT(*) FROM sessions"))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

fn assert_refused(answer: &Answer, what: &str) {
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{what}: {}", answer.body);
    assert_eq!(answer.body, REFUSED_BODY, "{what}");
    assert!(answer.headers.get(header::SET_COOKIE).is_none(), "{what}: a refused request touches no session");
}

fn assert_served(answer: &Answer, what: &str) {
    assert_eq!(answer.status, StatusCode::OK, "{what}: {}", answer.body);
    // whoami answers a visitor with `null`: the request reached the server function.
    assert_eq!(answer.body, "null", "{what}");
}

#[tokio::test]
async fn server_functions_refuse_a_foreign_origin_without_side_effects() {
    let app = app().await;
    let sessions_before = session_rows(&app.state).await;
    let answer = app.send(status_post(&[("origin", "https://evil.example")])).await;
    assert_refused(&answer, "Origin: https://evil.example");
    assert_eq!(
        answer.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(session_rows(&app.state).await, sessions_before, "no session was created or touched");
    // Security headers are on refusals too.
    assert_eq!(answer.headers.get("x-frame-options").unwrap(), "DENY");
    app.db.cleanup().await;
}

#[tokio::test]
async fn server_functions_refuse_cross_site_and_same_site_fetch_metadata() {
    let app = app().await;
    for site in ["cross-site", "same-site"] {
        assert_refused(&app.send(status_post(&[("sec-fetch-site", site)])).await, site);
        // Even with an Origin that looks like ours, the browser's verdict wins.
        let with_origin = status_post(&[("sec-fetch-site", site), ("origin", "http://crm.test:3000")]);
        assert_refused(&app.send(with_origin).await, site);
    }
    // Null and malformed origins are not provably ours.
    assert_refused(&app.send(status_post(&[("origin", "null")])).await, "Origin: null");
    // Same host, other port or scheme: another origin.
    for origin in ["http://crm.test:3001", "https://crm.test:3000", "http://evil.crm.test:3000"] {
        assert_refused(&app.send(status_post(&[("origin", origin)])).await, origin);
    }
    app.db.cleanup().await;
}

#[tokio::test]
async fn server_functions_serve_same_origin_and_non_browser_requests() {
    let app = app().await;
    let same_origin = app.send(status_post(&[("origin", "http://crm.test:3000")])).await;
    assert_served(&same_origin, "Origin matching Host");
    let fetch_metadata = app.send(status_post(&[("sec-fetch-site", "same-origin")])).await;
    assert_served(&fetch_metadata, "Sec-Fetch-Site: same-origin");
    let both = app.send(status_post(&[("sec-fetch-site", "same-origin"), ("origin", "http://crm.test:3000")])).await;
    assert_served(&both, "Sec-Fetch-Site and Origin");
    let typed = app.send(status_post(&[("sec-fetch-site", "none")])).await;
    assert_served(&typed, "Sec-Fetch-Site: none");
    let neither = app.send(status_post(&[])).await;
    assert_served(&neither, "no Origin, no Sec-Fetch-Site (curl)");
    app.db.cleanup().await;
}

#[tokio::test]
async fn plain_form_posts_are_checked_too() {
    let app = app().await;
    for path in ["/login", "/", "/clients"] {
        let request = Request::post(path)
            .header(header::HOST, HOST)
            .header(header::ORIGIN, "https://evil.example")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("email=a%40b.co"))
            .unwrap();
        assert_refused(&app.send(request).await, path);
    }
    app.db.cleanup().await;
}

#[tokio::test]
async fn get_requests_are_never_refused() {
    let app = app().await;
    let hostile = [("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")];
    for path in ["/healthz", "/readyz", "/", "/login", "/no-such-page", "/pkg/missing.js"] {
        let answer = app.send(get(path, &hostile)).await;
        assert_ne!(answer.status, StatusCode::FORBIDDEN, "GET {path}: {}", answer.body);
        assert_ne!(answer.body, REFUSED_BODY, "GET {path}");
    }
    let head = Request::head("/healthz").header(header::ORIGIN, "https://evil.example").body(Body::empty()).unwrap();
    assert_eq!(app.send(head).await.status, StatusCode::OK);
    app.db.cleanup().await;
}

/// The headers every response carries, whatever produced it; returns the CSP nonce.
fn assert_security_headers(headers: &HeaderMap, what: &str) -> String {
    let header = |name: &str| {
        headers.get(name).unwrap_or_else(|| panic!("{what}: no {name} header")).to_str().unwrap().to_owned()
    };
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header("referrer-policy"), "strict-origin-when-cross-origin", "{what}");
    assert_eq!(header("x-frame-options"), "DENY", "{what}");
    assert_eq!(header("cross-origin-opener-policy"), "same-origin", "{what}");
    let permissions = header("permissions-policy");
    for feature in ["camera=()", "microphone=()", "geolocation=()"] {
        assert!(permissions.contains(feature), "{what}: {permissions}");
    }

    let csp = header("content-security-policy");
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    for expected in [
        "default-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ] {
        assert!(directives.contains(&expected), "{what}: {expected} missing from {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    let script = directives.iter().find(|d| d.starts_with("script-src ")).expect("a script-src directive");
    let sources: Vec<&str> = script.split_whitespace().skip(1).collect();
    assert_eq!(sources.len(), 3, "{what}: {script}");
    assert_eq!(sources[0], "'self'");
    assert_eq!(sources[2], "'wasm-unsafe-eval'");
    let nonce = sources[1]
        .strip_prefix("'nonce-")
        .and_then(|rest| rest.strip_suffix('\''))
        .unwrap_or_else(|| panic!("{what}: no nonce in {script}"));
    assert!(nonce.len() >= 22, "{what}: at least 128 bits of nonce: {nonce}");
    nonce.to_owned()
}

/// Every `nonce="…"` attribute value in a page.
fn nonce_attributes(html: &str) -> Vec<String> {
    html.split("nonce=\"").skip(1).filter_map(|rest| rest.split('"').next()).map(str::to_owned).collect()
}

/// A page rendered by Leptos: `/` if it renders for an anonymous visitor, else where it sends them.
async fn rendered_page(app: &TestApp) -> Answer {
    let answer = app.send(get("/", &[])).await;
    if !answer.status.is_redirection() {
        return answer;
    }
    let location = answer.headers.get(header::LOCATION).unwrap().to_str().unwrap().to_owned();
    app.send(get(&location, &[])).await
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let app = app().await;
    let front = app.send(get("/", &[])).await;
    assert_security_headers(&front.headers, "GET /");

    let page = rendered_page(&app).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_security_headers(&page.headers, "a rendered page");

    // A missing static file: a plain 404 from the file service.
    let file = app.send(get("/pkg/missing.js", &[])).await;
    assert_eq!(file.status, StatusCode::NOT_FOUND, "{}", file.body);
    assert_security_headers(&file.headers, "a missing file");

    // The fallback's not-found page (rendered by Leptos through the file-and-error handler).
    let cookie = app
        .post_form(
            "/api/signup",
            &[("name", "Ana"), ("email", "ana@example.com"), ("password", "violet staircase at noon")],
            None,
        )
        .await
        .session_cookie()
        .expect("the first account signs up");
    let missing = app.send(get("/no/such/page.js", &[("cookie", cookie.as_str())])).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
    let nonce = assert_security_headers(&missing.headers, "404");
    let attributes = nonce_attributes(&missing.body);
    assert!(!attributes.is_empty(), "the 404 page has nonced scripts too: {}", missing.body);
    assert!(attributes.iter().all(|n| *n == nonce), "404: {attributes:?} vs {nonce}");

    let other = app.send(get("/no-such-page", &[])).await;
    assert_security_headers(&other.headers, "GET /no-such-page");

    let health = app.send(get("/healthz", &[])).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_security_headers(&health.headers, "/healthz");
    assert_security_headers(&app.send(get("/readyz", &[])).await.headers, "/readyz");

    let server_fn = app.send(status_post(&[])).await;
    assert_served(&server_fn, "server function");
    assert_security_headers(&server_fn.headers, "server function");
    app.db.cleanup().await;
}

#[tokio::test]
async fn the_csp_nonce_is_fresh_per_request_and_matches_the_inline_scripts() {
    let app = app().await;
    let first = rendered_page(&app).await;
    let second = rendered_page(&app).await;
    let first_nonce = assert_security_headers(&first.headers, "first page");
    let second_nonce = assert_security_headers(&second.headers, "second page");
    assert_ne!(first_nonce, second_nonce, "a nonce is used once");

    for (page, nonce) in [(&first, &first_nonce), (&second, &second_nonce)] {
        assert!(
            page.body.contains(&format!("<script type=\"module\" nonce=\"{nonce}\"")),
            "the hydration script carries the header's nonce {nonce}: {}",
            page.body
        );
        let attributes = nonce_attributes(&page.body);
        assert!(attributes.iter().all(|n| n == nonce), "every nonce in the page is the header's: {attributes:?}");
        // No inline script goes without the nonce.
        let scripts = page.body.matches("<script").count();
        let nonced = page.body.matches("<script nonce=\"").count()
            + page.body.matches("<script type=\"module\" nonce=\"").count();
        assert_eq!(scripts, nonced, "every <script> carries the nonce: {}", page.body);
    }
    app.db.cleanup().await;
}

#[tokio::test]
async fn hsts_only_when_served_over_https() {
    let app = app().await;
    let answer = app.send(get("/healthz", &[])).await;
    assert!(answer.headers.get(header::STRICT_TRANSPORT_SECURITY).is_none(), "no HSTS over plain HTTP");
    app.db.cleanup().await;

    let app = app_with(&[("CRM_PUBLIC_ORIGIN", "https://crm.example.com")]).await;
    assert!(app.state.config.secure);
    for request in [get("/healthz", &[]), get("/pkg/missing.js", &[]), status_post(&[])] {
        let answer = app.send(request).await;
        assert_eq!(
            answer.headers.get(header::STRICT_TRANSPORT_SECURITY).map(|v| v.to_str().unwrap()),
            Some("max-age=31536000; includeSubDomains")
        );
    }
    app.db.cleanup().await;
}

#[tokio::test]
async fn behind_https_the_public_origin_and_https_host_are_same_origin() {
    let app = app_with(&[("CRM_PUBLIC_ORIGIN", "https://crm.example.com")]).await;
    // The proxy forwards with an internal Host: the public origin is still ours.
    assert_served(&app.send(status_post(&[("origin", "https://crm.example.com")])).await, "public origin");
    // The request's own host, with the scheme the app is served over.
    assert_served(&app.send(status_post(&[("origin", "https://crm.test:3000")])).await, "https + Host");
    // Plain http on our host is another origin once the app is served over HTTPS.
    assert_refused(&app.send(status_post(&[("origin", "http://crm.test:3000")])).await, "http + Host");
    assert_refused(&app.send(status_post(&[("origin", "https://evil.example")])).await, "foreign");
    app.db.cleanup().await;
}
