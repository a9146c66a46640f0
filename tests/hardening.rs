//! What an attack on the build found (issue 15), each answered through the assembled router in
//! process: hostile text in raw-text contexts, redirects, odd paths, caching, the filtered list and
//! board, search length, and malformed server-function input. The backend does not matter for
//! most of these; the filtered list runs on both.
#![cfg(feature = "ssr")]

mod common;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use common::{
    BACKENDS, Backend,
    app::{self, TestApp},
};

const PASSWORD: &str = "violet staircase at noon";

/// Markup that would act if any of it reached the page unescaped: it closes every raw-text
/// element, then adds a form, a refresh to another site and an element to look for.
const HOSTILE: &str = "</textarea></title></script></style><form id=\"pwned\" action=\"/api/set_user_role\"><button>x</button></form><meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\"><b id='pwned-b'>&amp;";

/// Signs up (the first account is the admin) and returns the session cookie.
async fn sign_up(app: &TestApp, name: &str, email: &str) -> String {
    let answer = app.post_form("/api/signup", &[("name", name), ("email", email), ("password", PASSWORD)], None).await;
    answer.session_cookie().unwrap_or_else(|| panic!("signed up {email}: {} {}", answer.status, answer.body))
}

async fn strategy(app: &TestApp, cookie: &str, fields: &[(&str, &str)]) -> i64 {
    let mut form = vec![("creativity", "5"), ("reply_delay_min", "0"), ("reply_delay_max", "0")];
    form.extend_from_slice(fields);
    let answer = app.post_form("/api/create_strategy", &form, Some(cookie)).await;
    assert!(answer.status.is_success(), "{}", answer.body);
    serde_json::from_str::<crm::strategies::model::Strategy>(&answer.body).unwrap().id
}

async fn client(app: &TestApp, cookie: &str, fields: &[(&str, &str)]) -> i64 {
    let answer = app.post_form("/api/create_client", fields, Some(cookie)).await;
    assert!(answer.status.is_success(), "{} {}", answer.status, answer.body);
    serde_json::from_str::<i64>(&answer.body).unwrap()
}

/// The page's HTML must hold the hostile text only escaped: no element it would add exists.
fn assert_inert(html: &str, what: &str) {
    for injected in ["<form id=\"pwned\"", "<meta http-equiv=\"refresh\"", "<b id='pwned-b'>", "<b id=\"pwned-b\">"] {
        assert!(!html.contains(injected), "{what}: `{injected}` reached the page unescaped");
    }
    assert!(html.contains("&lt;form id=") || html.contains("\\u003cform id="), "{what}: the text is shown, escaped");
}

#[tokio::test]
async fn hostile_text_is_escaped_in_every_raw_text_context() {
    let app = app::start(Backend::Sqlite).await;
    let cookie = sign_up(&app, "Ana", "ana@example.com").await;
    let conversation = format!("Lead: {HOSTILE}\nAI: {HOSTILE}");
    let strategy_id = strategy(
        &app,
        &cookie,
        &[
            ("name", "Persona"),
            ("tag", "tag"),
            ("tone", "warm"),
            ("ai_instructions", HOSTILE),
            ("objective", HOSTILE),
            ("objection_handling", HOSTILE),
            ("qualification_priority", HOSTILE),
            ("disqualification_criteria", HOSTILE),
            ("example_conversation", conversation.as_str()),
        ],
    )
    .await;
    let strategy = strategy_id.to_string();
    let name = &HOSTILE[..190];
    let client_id =
        client(&app, &cookie, &[("name", name), ("strategy_id", &strategy), ("company", "Acme"), ("notes", HOSTILE)])
            .await;

    for path in
        [format!("/clients/{client_id}"), format!("/clients/{client_id}/edit"), format!("/strategies/{strategy_id}")]
    {
        let page = app.get(&path, Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_inert(&page.body, &path);
        // A textarea holds the text escaped (the renderer writes a textarea's children verbatim).
        assert!(!page.body.contains("</textarea></title>"), "{path}: a textarea was closed by the text");
    }
    // The client's name is the page's title: escaped there too, whenever the title is written.
    let page = app.get(&format!("/clients/{client_id}"), Some(&cookie)).await;
    if let Some(start) = page.body.find("<title>") {
        let title = &page.body[start..page.body[start..].find("</title>").map_or(page.body.len(), |end| start + end)];
        assert!(!title.contains("<form"), "the title holds raw markup: {title}");
    }
    app.cleanup().await;
}

#[test]
fn the_document_title_escapes_on_the_server() {
    // The app's title formatter is what leptos_meta writes verbatim into `<title>`.
    let escaped = crm::ui::forms::escape_html("</title><b>");
    assert_eq!(escaped, "&lt;/title&gt;&lt;b&gt;");
    let textarea = crm::ui::forms::textarea_html("\n</textarea>&");
    assert_eq!(textarea, "\n\n&lt;/textarea&gt;&amp;", "a leading newline survives the HTML parser");
}

#[tokio::test]
async fn sign_in_goes_only_to_this_site_and_never_panics() {
    let app = app::start(Backend::Sqlite).await;
    sign_up(&app, "Ana", "ana@example.com").await;
    let cases: &[(&str, &str)] = &[
        ("/clients?q=ana", "/clients?q=ana"),
        ("/\t/evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("\t//evil.example", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/clients\r\nSet-Cookie: x=1", "/clientsSet-Cookie:%20x=1"),
        ("/a\u{b}b", "/a%0Bb"),
        ("/a\u{c}b", "/a%0Cb"),
        ("/a\0b", "/a%00b"),
    ];
    for (next, expected) in cases {
        let answer = app
            .send(
                Request::post("/api/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::ACCEPT, "text/html")
                    .header(header::REFERER, "http://localhost/login")
                    .body(Body::from(
                        url::form_urlencoded::Serializer::new(String::new())
                            .extend_pairs([("email", "ana@example.com"), ("password", PASSWORD), ("next", next)])
                            .finish(),
                    ))
                    .unwrap(),
            )
            .await;
        // Control characters in `next` are refused before sign-in (back to the form, with the
        // error) or, when accepted, lead to this site only; never a 500.
        assert!(answer.status.is_redirection(), "{next:?}: {}", answer.status);
        let location = answer.location().unwrap_or_default();
        assert!(location == *expected || location == "/login", "{next:?}: {location}");
    }
    for back in ["/\t/evil.example", "//evil.example", "/x\r\ny", "https://evil.example"] {
        let answer = app.post_form("/preferences/theme", &[("theme", "dark"), ("back", back)], None).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{back:?}");
        let location = answer.location().unwrap();
        assert!(location.starts_with('/') && !location.starts_with("//"), "{back:?} -> {location}");
    }
    app.cleanup().await;
}

#[tokio::test]
async fn paths_are_judged_as_browsers_read_them() {
    let app = app::start(Backend::Sqlite).await;
    for path in ["/pkg/../clients", "/api/%2e%2e/status", "/api/%2E%2E/status", "/pkg/%2e%2e/clients", "/./clients"] {
        let answer = app.get(path, None).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path}: {}", answer.body);
        assert!(!answer.body.contains("<html"), "{path}: no page shell");
    }
    for method in ["POST", "PUT", "DELETE"] {
        let answer = app.send(Request::builder().method(method).uri("/pkg/crm.js").body(Body::empty()).unwrap()).await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{method} /pkg/crm.js");
        assert_eq!(answer.headers.get(header::ALLOW).unwrap(), "GET, HEAD");
    }
    app.cleanup().await;
}

#[tokio::test]
async fn signed_in_pages_are_never_stored_by_caches() {
    let app = app::start(Backend::Sqlite).await;
    let cookie = sign_up(&app, "Ana", "ana@example.com").await;
    for path in ["/clients", "/settings", "/login"] {
        let answer = app.get(path, Some(&cookie)).await;
        assert_eq!(answer.headers.get(header::CACHE_CONTROL).map(|v| v.to_str().unwrap()), Some("no-store"), "{path}");
    }
    let answer = app.post_form("/api/whoami", &[], Some(&cookie)).await;
    assert_eq!(answer.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    let export = app.get("/clients/export.csv", Some(&cookie)).await;
    assert_eq!(export.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    app.cleanup().await;
}

#[tokio::test]
async fn the_status_page_and_its_data_are_for_admins_only() {
    let app = app::start_with(Backend::Sqlite, &[("CRM_ALLOW_SIGNUP", "true")]).await;
    let admin = sign_up(&app, "Admin", "admin@example.com").await;
    let user = sign_up(&app, "User", "user@example.com").await;
    assert_eq!(app.post_form("/api/system_status", &[], Some(&user)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.post_form("/api/system_status", &[], Some(&admin)).await.status, StatusCode::OK);
    app.cleanup().await;
}

#[tokio::test]
async fn a_filtered_list_and_board_answer_their_server_functions() {
    for backend in BACKENDS {
        let app = app::start(backend).await;
        let cookie = sign_up(&app, "Ana", "ana@example.com").await;
        let strategy = strategy(&app, &cookie, &[("name", "Persona")]).await.to_string();
        let other = self::strategy(&app, &cookie, &[("name", "Other")]).await.to_string();
        client(&app, &cookie, &[("name", "Lead one"), ("strategy_id", &strategy)]).await;
        client(&app, &cookie, &[("name", "Lead two"), ("strategy_id", &other)]).await;
        let admin_id = first_account_id(&app).await;
        for path in ["/api/list_clients", "/api/load_pipeline"] {
            // As the browser sends them: every field of the query, the filter as text.
            let form = [
                ("q", ""),
                ("status", ""),
                ("strategy", strategy.as_str()),
                ("owner", admin_id.as_str()),
                ("sort", "name"),
                ("dir", ""),
                ("after", ""),
                ("before", ""),
            ];
            let answer = app.post_form(path, &form, Some(&cookie)).await;
            assert_eq!(answer.status, StatusCode::OK, "{backend:?} {path}: {}", answer.body);
            assert!(answer.body.contains("Lead one") && !answer.body.contains("Lead two"), "{path}: {}", answer.body);
            // Empty filters are no filters.
            let unfiltered = [("q", ""), ("strategy", ""), ("owner", "")];
            let answer = app.post_form(path, &unfiltered, Some(&cookie)).await;
            assert_eq!(answer.status, StatusCode::OK, "{backend:?} {path}: {}", answer.body);
            assert!(answer.body.contains("Lead two"), "{path}");
        }
        app.cleanup().await;
    }
}

/// The id of the first account (the admin), as text.
async fn first_account_id(app: &TestApp) -> String {
    use sea_orm::EntityTrait;
    crm::users::entity::Entity::find().one(&app.db.conn).await.unwrap().unwrap().id.to_string()
}

#[tokio::test]
async fn long_searches_are_refused_before_any_query() {
    let app = app::start(Backend::Sqlite).await;
    let cookie = sign_up(&app, "Ana", "ana@example.com").await;
    let long = "a".repeat(201);
    for path in [
        "/api/list_clients",
        "/api/load_pipeline",
        "/api/find_clients",
        "/api/list_strategies",
        "/api/list_users",
        "/api/load_inbox",
        "/api/load_booking_list",
    ] {
        let answer = app.post_form(path, &[("q", long.as_str())], Some(&cookie)).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {}", answer.body);
        assert!(answer.body.contains("at most 200 characters"), "{path}: {}", answer.body);
    }
    let answer = app.get(&format!("/clients/export.csv?q={long}"), Some(&cookie)).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    app.cleanup().await;
}

#[tokio::test]
async fn malformed_server_function_input_gets_a_4xx_with_words() {
    let app = app::start(Backend::Sqlite).await;
    let cookie = sign_up(&app, "Ana", "ana@example.com").await;
    let cases: Vec<(&str, Vec<u8>, StatusCode)> = vec![
        ("/api/client_profile", b"id=abc".to_vec(), StatusCode::BAD_REQUEST),
        ("/api/client_profile", b"id=1&id=2".to_vec(), StatusCode::BAD_REQUEST),
        ("/api/client_profile", b"".to_vec(), StatusCode::BAD_REQUEST),
        ("/api/add_client_note", b"id=1&body=a%00b".to_vec(), StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/update_profile", b"name=A%1B%5B31m&timezone=UTC".to_vec(), StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/find_clients", format!("q={}", "a".repeat(20_001)).into_bytes(), StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/find_clients", vec![b'a'; 3 * 1024 * 1024], StatusCode::PAYLOAD_TOO_LARGE),
        ("/api/find_clients", b"%%%=%%%&&&==".to_vec(), StatusCode::OK),
    ];
    for (path, body, expected) in cases {
        let shown = String::from_utf8_lossy(&body[..body.len().min(40)]).into_owned();
        let answer = app
            .send(
                Request::post(path)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::COOKIE, cookie.as_str())
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        assert_eq!(answer.status, expected, "{path} {shown}: {}", answer.body);
        if expected != StatusCode::OK {
            let error: crm::shared::AppError = serde_json::from_str(&answer.body)
                .unwrap_or_else(|error| panic!("{path} {shown}: the answer is an AppError ({error}): {}", answer.body));
            let message = error.to_string();
            assert!(!message.contains("serde") && !message.contains("results"), "{path}: {message}");
        }
    }
    app.cleanup().await;
}

mod slow_clients {
    use std::time::Duration;

    use common::{Backend, app};
    use crm::server::serve::{Timeouts, serve};
    use tokio::{
        io::{AsyncReadExt, AsyncWriteExt},
        net::{TcpListener, TcpStream},
    };

    use super::common;

    /// Reads until the server closes the connection; what it sent, or `None` if it stayed open
    /// for `patience` (far longer than any limit under test).
    async fn until_closed(stream: &mut TcpStream, patience: Duration) -> Option<String> {
        let mut received = Vec::new();
        let read_all = async {
            let mut buffer = [0u8; 4096];
            loop {
                match stream.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => received.extend_from_slice(&buffer[..n]),
                }
            }
        };
        tokio::time::timeout(patience, read_all).await.ok()?;
        Some(String::from_utf8_lossy(&received).into_owned())
    }

    #[tokio::test]
    async fn half_sent_requests_slow_bodies_and_idle_connections_are_closed() {
        let app = app::start(Backend::Sqlite).await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let timeouts = Timeouts { header_read: Duration::from_secs(1), body: Duration::from_secs(1) };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, app.router.clone(), timeouts, async {
            stopped.await.ok();
        }));
        let patience = Duration::from_secs(15);

        // Headers that never finish.
        let mut slow_head = TcpStream::connect(addr).await.unwrap();
        slow_head.write_all(b"GET /healthz HTTP/1.1\r\nHost: crm.test\r\nX-Slow: ").await.unwrap();
        let answer = until_closed(&mut slow_head, patience).await;
        assert!(answer.is_some(), "a half-sent request head is still open after {patience:?}");

        // A body that stops arriving: answered (or dropped), never left hanging.
        let mut slow_body = TcpStream::connect(addr).await.unwrap();
        slow_body
            .write_all(
                b"POST /api/whoami HTTP/1.1\r\nHost: crm.test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nx=1",
            )
            .await
            .unwrap();
        let answer = until_closed(&mut slow_body, patience).await;
        let answer = answer.unwrap_or_else(|| panic!("a stalled body is still open after {patience:?}"));
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 4"), "{answer}");

        // An idle kept-alive connection after a complete request.
        let mut idle = TcpStream::connect(addr).await.unwrap();
        idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: crm.test\r\n\r\n").await.unwrap();
        let answer = until_closed(&mut idle, patience).await;
        let answer = answer.unwrap_or_else(|| panic!("an idle connection is still open after {patience:?}"));
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

        stop.send(()).unwrap();
        tokio::time::timeout(patience, server).await.expect("the server stops").unwrap();
        app.cleanup().await;
    }
}

/// Static files come from their own service: the file's bytes with 200, whatever page another
/// request is rendering (leptos' fallback could give a file another request's page status).
#[tokio::test]
async fn static_files_are_served_apart_from_the_pages() {
    let site = std::env::temp_dir().join(common::unique_name("site"));
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("pkg/crm.js"), "export default 1;").unwrap();
    std::fs::write(site.join("favicon.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>").unwrap();
    std::fs::write(site.join("icons.svg"), "<svg><symbol id=\"check\"/></svg>").unwrap();
    let app = app::start_with(Backend::Sqlite, &[("LEPTOS_SITE_ROOT", site.to_str().unwrap())]).await;
    let cookie = sign_up(&app, "Ana", "ana@example.com").await;
    for round in 0..20 {
        // Pages that answer 404 and 403 between the files.
        assert_eq!(app.get("/clients/987654", Some(&cookie)).await.status, StatusCode::NOT_FOUND);
        for (path, body) in [
            ("/pkg/crm.js", "export default 1;"),
            ("/favicon.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            ("/icons.svg", "<svg><symbol id=\"check\"/></svg>"),
        ] {
            let answer = app.get(path, None).await;
            assert_eq!(answer.status, StatusCode::OK, "round {round}: {path}");
            assert_eq!(answer.body, body, "round {round}: {path}");
        }
    }
    assert_eq!(app.get("/pkg/no-such-file.js", None).await.status, StatusCode::NOT_FOUND);
    app.cleanup().await;
    let _ = std::fs::remove_dir_all(site);
}
