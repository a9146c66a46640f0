//! Bounded property tests over what any visitor can send: arbitrary form bodies to server
//! functions, and arbitrary `next` and `back` addresses to the redirects. Every answer must be a
//! deliberate one (never a 500, never a panic), and every redirect must stay on this site.
#![cfg(feature = "ssr")]

mod common;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use common::{Backend, app};
use proptest::prelude::*;

const PASSWORD: &str = "violet staircase at noon";

/// Server functions that read free text, ids, maps and lists.
const TARGETS: &[&str] = &[
    "/api/login",
    "/api/signup",
    "/api/find_clients",
    "/api/list_clients",
    "/api/load_pipeline",
    "/api/update_profile",
    "/api/add_client_note",
    "/api/bulk_clients",
    "/api/update_strategy",
    "/api/load_inbox",
    "/api/load_booking_list",
];

/// Bytes that look like a form: keys the server functions know, any characters, `%` escapes.
fn form_body() -> impl Strategy<Value = Vec<u8>> {
    let key = prop_oneof![
        Just("email".to_owned()),
        Just("password".to_owned()),
        Just("next".to_owned()),
        Just("q".to_owned()),
        Just("id".to_owned()),
        Just("ids[0]".to_owned()),
        Just("hours[mon]".to_owned()),
        Just("strategy".to_owned()),
        Just("notes".to_owned()),
        Just("body".to_owned()),
        Just("from".to_owned()),
        Just("made_to".to_owned()),
        Just("after".to_owned()),
        Just("sort".to_owned()),
        "[a-z\\[\\]%0-9]{0,8}",
    ];
    let value = prop_oneof!["\\PC{0,40}", "[%0-9a-fA-F+&=]{0,40}", "-?[0-9]{1,25}", any::<String>()];
    prop::collection::vec((key, value), 0..6).prop_map(|pairs| {
        let mut body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish().into_bytes();
        // Sometimes the raw bytes themselves are broken.
        if body.len() % 7 == 3 {
            body.extend_from_slice(b"&%ZZ=%E2%28&==&");
        }
        body
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn arbitrary_forms_never_make_a_server_function_fail_or_panic() {
    let runtime = runtime();
    let (app, cookie) = runtime.block_on(async {
        let app = app::start(Backend::Sqlite).await;
        let answer = app
            .post_form("/api/signup", &[("name", "Ana"), ("email", "ana@example.com"), ("password", PASSWORD)], None)
            .await;
        let cookie = answer.session_cookie().unwrap();
        (app, cookie)
    });
    let config = ProptestConfig { cases: 192, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(target in prop::sample::select(TARGETS), body in form_body(), html in any::<bool>())| {
        let answer = runtime.block_on(async {
            let mut request = Request::post(target)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, cookie.as_str());
            if html {
                request = request.header(header::ACCEPT, "text/html");
            }
            app.send(request.body(Body::from(body.clone())).unwrap()).await
        });
        prop_assert!(answer.status != StatusCode::INTERNAL_SERVER_ERROR,
            "{target} {:?}: {}", String::from_utf8_lossy(&body), answer.body);
        if let Some(location) = answer.location() {
            prop_assert!(location.starts_with('/') && !location.starts_with("//") || location.starts_with("http://"),
                "{target}: redirected to {location}");
        }
    });
    runtime.block_on(app.cleanup());
}

/// The inbox's and the bookings list's filters are echoed into their forms and links: markup in
/// the address comes back as text, and the page still answers 200.
#[tokio::test]
async fn hostile_filter_values_come_back_as_text() {
    let app = app::start(Backend::Sqlite).await;
    let answer = app
        .post_form("/api/signup", &[("name", "Ana"), ("email", "ana@example.com"), ("password", PASSWORD)], None)
        .await;
    let cookie = answer.session_cookie().unwrap();
    let hostile = "\"><img src=x onerror=alert(1)>";
    let encoded: String = url::form_urlencoded::byte_serialize(hostile.as_bytes()).collect();
    for path in [
        format!("/chat?from={encoded}&to={encoded}&after={encoded}"),
        format!("/bookings/list?q={encoded}&made_from={encoded}&made_to={encoded}&from={encoded}&to={encoded}"),
        format!("/bookings/list?status={encoded}&owner={encoded}&sort={encoded}&after={encoded}"),
    ] {
        let page = app.get(&path, Some(cookie.as_str())).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(!page.body.contains("\"><img src=x"), "{path}: the markup came back as markup");
    }
    // Echoed in its field, as text.
    let page = app.get(&format!("/bookings/list?made_from={encoded}"), Some(cookie.as_str())).await;
    assert!(page.body.contains("&quot;&gt;&lt;img") || page.body.contains("&quot;><img"), "{}", page.body);
    app.cleanup().await;
}

#[test]
fn any_address_resolves_to_this_site_or_to_the_fallback() {
    let config = ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() };
    let candidate = prop_oneof![
        any::<String>(),
        "[/\\\\\t\n\r \u{b}\u{c}\0a-z.:%@?#]{0,24}",
        "(/|//|\\\\|%2f|%5c|\t|\n)(/|\\\\|\t|\n|evil\\.example|%09|\\.\\.)*",
    ];
    proptest!(config, |(raw in candidate)| {
        let resolved = crm::server::redirect::same_site_or(Some(&raw), "/fallback");
        prop_assert!(axum::http::HeaderValue::from_str(&resolved).is_ok(), "{raw:?} -> {resolved:?}");
        // Resolved as a browser would, from any page of this site, it stays on this site.
        let base = url::Url::parse("https://crm.example/clients/7").unwrap();
        let landed = base.join(&resolved).unwrap();
        prop_assert_eq!(landed.host_str(), Some("crm.example"), "{:?} -> {:?}", raw, resolved);
    });
}
