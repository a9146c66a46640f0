//! The assembled router, in process: probes, server functions and server-rendered pages on
//! SQLite and on PostgreSQL + Redis.
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use common::{BACKENDS, Backend, app};
use migration::MigratorTrait;

/// The name of the newest migration: what the status report calls the schema version.
fn latest_migration() -> String {
    migration::Migrator::migrations().last().unwrap().name().to_owned()
}

#[tokio::test]
async fn probes_answer_and_readiness_reports_each_service() {
    for backend in BACKENDS {
        let app = app::start(backend).await;
        let health = app.get("/healthz", None).await;
        assert_eq!((health.status, health.body.as_str()), (StatusCode::OK, "ok"));

        let ready = app.get("/readyz", None).await;
        assert_eq!(ready.status, StatusCode::OK, "{backend:?}: {}", ready.body);
        let json: serde_json::Value = serde_json::from_str(&ready.body).unwrap();
        assert_eq!(json["ready"], true);
        assert_eq!(json["database"], "up");
        let expected_redis = if backend == Backend::Postgres { "up" } else { "not configured" };
        assert_eq!(json["redis"], expected_redis, "{backend:?}");

        // With the database gone, the instance is not ready and says why.
        app.state.db.close_by_ref().await.unwrap();
        let ready = app.get("/readyz", None).await;
        assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE, "{backend:?}: {}", ready.body);
        assert!(ready.body.contains(r#""database":"down""#), "{}", ready.body);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_status_server_function_reports_the_running_configuration() {
    for backend in BACKENDS {
        let app = app::start(backend).await;
        let anonymous = app.post_form("/api/system_status", &[], None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{backend:?}: visitors get 401");
        let signup = app
            .post_form(
                "/api/signup",
                &[("name", "Ana"), ("email", "ana@example.com"), ("password", "violet staircase")],
                None,
            )
            .await;
        let response = app.post_form("/api/system_status", &[], signup.session_cookie().as_deref()).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        let report: crm::status::model::StatusReport = serde_json::from_str(&response.body).unwrap();
        assert_eq!(report.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(report.schema_version, Some(latest_migration()));
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
        app.cleanup().await;
    }
}

#[tokio::test]
async fn pages_render_on_the_server_for_a_signed_in_user_and_unknown_paths_are_404() {
    let app = app::start(Backend::Sqlite).await;
    let signup = app
        .post_form(
            "/api/signup",
            &[("name", "Ana"), ("email", "ana@example.com"), ("password", "violet staircase")],
            None,
        )
        .await;
    let cookie = signup.session_cookie().expect("signing up signs in");

    let page = app.get("/", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>Dashboard</h1>"), "{}", page.body);
    assert!(page.body.contains(r#"aria-label="Main""#));
    assert!(!page.body.contains("data-hydrated"), "the marker is set by the client only");

    let status = app.get("/status", Some(&cookie)).await;
    assert_eq!(status.status, StatusCode::OK);
    assert!(status.body.contains(&latest_migration()), "the status page is rendered with its data");

    let missing = app.get("/no-such-page", Some(&cookie)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("Page not found"));
    app.cleanup().await;
}
