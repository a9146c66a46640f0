//! A client's mistake (a malformed argument, a field too long, a body too large, a missing page) is
//! answered with a 4xx and logged below ERROR: the error log is kept for what the operator must fix.
#![cfg(feature = "ssr")]

mod common;

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use axum::{
    body::Body,
    http::{Request, header},
};
use common::{BACKENDS, app};
use tracing_subscriber::{Layer, layer::SubscriberExt, util::SubscriberInitExt};

const PASSWORD: &str = "violet staircase at noon";

/// Counts the ERROR events of the whole process (this test binary holds this one test).
struct ErrorCounter(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> Layer<S> for ErrorCounter {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if *event.metadata().level() == tracing::Level::ERROR {
            self.0.fetch_add(1, Ordering::SeqCst);
            eprintln!("ERROR logged: {:?}", event);
        }
    }
}

#[tokio::test]
async fn client_mistakes_answer_4xx_and_log_no_error() {
    let errors = Arc::new(AtomicUsize::new(0));
    tracing_subscriber::registry().with(ErrorCounter(errors.clone())).init();
    for backend in BACKENDS {
        let app = app::start_with(backend, &[("CRM_ALLOW_SIGNUP", "true")]).await;
        let cookie = app
            .post_form("/api/signup", &[("name", "Ana"), ("email", "ana@example.com"), ("password", PASSWORD)], None)
            .await
            .session_cookie()
            .unwrap();
        let long = "x".repeat(25_000);
        let mistakes: Vec<(&str, Vec<(&str, &str)>)> = vec![
            ("/api/client_profile", vec![("id", "not-a-number")]),
            ("/api/client_profile", vec![]),
            ("/api/client_profile", vec![("id", "1"), ("id", "2")]),
            ("/api/client_profile", vec![("id", "987654")]),
            ("/api/create_client", vec![("name", "Nul\u{0}byte"), ("strategy_id", "1")]),
            ("/api/create_client", vec![("name", &long), ("strategy_id", "1")]),
            ("/api/list_clients", vec![("q", &long)]),
            ("/api/update_profile", vec![("name", ""), ("timezone", "Mars/Base")]),
            ("/api/no_such_function", vec![]),
        ];
        for (path, form) in &mistakes {
            let answer = app.post_form(path, form, Some(&cookie)).await;
            assert!(answer.status.is_client_error(), "{backend:?} {path} {form:?}: {} {}", answer.status, answer.body);
        }
        let huge = "q=".to_owned() + &"x".repeat(3 * 1024 * 1024);
        let answer = app
            .send(
                Request::post("/api/list_clients")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::COOKIE, &cookie)
                    .body(Body::from(huge))
                    .unwrap(),
            )
            .await;
        assert_eq!(answer.status.as_u16(), 413, "{backend:?}");
        for path in ["/clients/987654", "/clients/abc", "/no/such/page", "/pkg/missing.js", "/api/%2e%2e/status"] {
            let answer = app.get(path, Some(&cookie)).await;
            assert!(answer.status.is_client_error(), "{backend:?} {path}: {}", answer.status);
        }
        app.cleanup().await;
    }
    assert_eq!(errors.load(Ordering::SeqCst), 0, "client mistakes were logged as errors (see the output)");
}
