//! The assembled router, in process: probes, server functions and server-rendered pages on
//! SQLite and on PostgreSQL + Redis.
#![cfg(feature = "ssr")]

mod common;

use axum::{
    Router,
    body::{Body, to_bytes},
    http::{Request, StatusCode, header},
};
use common::{BACKENDS, Backend, TestDb};
use crm::server::{config::Config, router, startup::build_state, state::AppState};
use leptos::prelude::LeptosOptions;
use tower::ServiceExt;

struct TestApp {
    state: AppState,
    router: Router,
    db: TestDb,
}

async fn app(backend: Backend) -> TestApp {
    let db = TestDb::empty(backend).await;
    let mut vars = vec![("DATABASE_URL".to_owned(), db.url.as_str().to_owned())];
    if backend == Backend::Postgres {
        vars.push(("REDIS_URL".to_owned(), common::redis_url()));
        vars.push(("REDIS_KEY_PREFIX".to_owned(), format!("{}:", common::unique_name("http"))));
    }
    let config = Config::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())).unwrap();
    let options = LeptosOptions::builder().output_name("crm").build();
    let state = build_state(config, options).await.expect("the app starts");
    let router = router::build(state.clone());
    TestApp { state, router, db }
}

async fn send(router: &Router, request: Request<Body>) -> (StatusCode, String) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = to_bytes(response.into_body(), 4 * 1024 * 1024).await.unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn probes_answer_and_readiness_reports_each_service() {
    for backend in BACKENDS {
        let app = app(backend).await;
        assert_eq!(send(&app.router, get("/healthz")).await, (StatusCode::OK, "ok".to_owned()));

        let (status, body) = send(&app.router, get("/readyz")).await;
        assert_eq!(status, StatusCode::OK, "{backend:?}: {body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["ready"], true);
        assert_eq!(json["database"], "up");
        let expected_redis = if backend == Backend::Postgres { "up" } else { "not configured" };
        assert_eq!(json["redis"], expected_redis, "{backend:?}");

        // With the database gone, the instance is not ready and says why.
        app.state.db.close_by_ref().await.unwrap();
        let (status, body) = send(&app.router, get("/readyz")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{backend:?}: {body}");
        assert!(body.contains(r#""database":"down""#), "{body}");
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_status_server_function_reports_the_running_configuration() {
    for backend in BACKENDS {
        let app = app(backend).await;
        let request = Request::post("/api/system_status")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::empty())
            .unwrap();
        let (status, body) = send(&app.router, request).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let report: crm::status::model::StatusReport = serde_json::from_str(&body).unwrap();
        assert_eq!(report.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(report.schema_version.as_deref(), Some("m20261123_000001_initial_schema"));
        match backend {
            Backend::Sqlite => {
                assert_eq!(report.database_kind, "SQLite");
                assert_eq!(report.redis, crm::status::model::ServiceState::Embedded);
            }
            Backend::Postgres => {
                assert_eq!(report.database_kind, "PostgreSQL");
                assert_eq!(report.redis, crm::status::model::ServiceState::Up);
            }
        }
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn pages_render_on_the_server_and_unknown_paths_are_404() {
    let app = app(Backend::Sqlite).await;
    let (status, html) = send(&app.router, get("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1>Dashboard</h1>"), "{html}");
    assert!(html.contains(r#"aria-label="Main""#));
    assert!(!html.contains("data-hydrated"), "the marker is set by the client only");

    let (status, html) = send(&app.router, get("/status")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("m20261123_000001_initial_schema"), "the status page is rendered with its data");

    let (status, html) = send(&app.router, get("/no-such-page")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Page not found"));
    app.db.cleanup().await;
}
