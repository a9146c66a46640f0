//! Every registered server function, called as a visitor, as a user and as an admin. A server
//! function missing from the table fails this test: adding one means deciding who may call it.
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use common::{Backend, app};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anyone may call it (sign-in, sign-up, and the "who am I" probe).
    Public,
    /// Any signed-in user.
    User,
    /// Admins only (user management will be the first).
    #[allow(dead_code)]
    Admin,
}

const MATRIX: &[(&str, Access)] = &[
    ("/api/signup", Access::Public),
    ("/api/login", Access::Public),
    ("/api/logout", Access::Public),
    ("/api/whoami", Access::Public),
    ("/api/system_status", Access::User),
    ("/api/logout_elsewhere", Access::User),
];

const PASSWORD: &str = "violet staircase at noon";

#[tokio::test]
async fn every_server_function_checks_who_calls_it() {
    let app = app::start(Backend::Sqlite).await;
    let admin = app
        .post_form("/api/signup", &[("name", "Admin"), ("email", "admin@example.com"), ("password", PASSWORD)], None)
        .await
        .session_cookie()
        .unwrap();
    let user = app
        .post_form("/api/signup", &[("name", "User"), ("email", "user@example.com"), ("password", PASSWORD)], None)
        .await
        .session_cookie()
        .unwrap();

    let mut registered: Vec<&str> = leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path).collect();
    registered.sort_unstable();
    registered.dedup();
    let mut covered: Vec<&str> = MATRIX.iter().map(|(path, _)| *path).collect();
    covered.sort_unstable();
    assert_eq!(registered, covered, "every server function needs a row in MATRIX");

    for (path, access) in MATRIX {
        // Logging out would end the sessions the next rows need; it is called last, below.
        if *path == "/api/logout" {
            continue;
        }
        let as_visitor = app.post_form(path, &[], None).await.status;
        let as_user = app.post_form(path, &[], Some(&user)).await.status;
        let as_admin = app.post_form(path, &[], Some(&admin)).await.status;
        let denied = |status: StatusCode| status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN;
        match access {
            Access::Public => {
                assert!(!denied(as_visitor), "{path}: visitors may call it, got {as_visitor}");
            }
            Access::User => {
                assert_eq!(as_visitor, StatusCode::UNAUTHORIZED, "{path} as a visitor");
                assert!(!denied(as_user), "{path}: users may call it, got {as_user}");
                assert!(!denied(as_admin), "{path}: admins may call it, got {as_admin}");
            }
            Access::Admin => {
                assert_eq!(as_visitor, StatusCode::UNAUTHORIZED, "{path} as a visitor");
                assert_eq!(as_user, StatusCode::FORBIDDEN, "{path} as a user");
                assert!(!denied(as_admin), "{path}: admins may call it, got {as_admin}");
            }
        }
    }
    for cookie in [None, Some(user.as_str())] {
        let status = app.post_form("/api/logout", &[], cookie).await.status;
        assert!(status.is_success() || status.is_redirection(), "logout answers everyone, got {status}");
    }
    app.cleanup().await;
}
