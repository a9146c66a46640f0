//! A page that cannot be shown answers with its status (404, 403), every time, with one clear
//! message inside the app's layout: the status is decided before the streamed page starts.
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use common::{
    BACKENDS,
    app::{self, TestApp},
};

const PASSWORD: &str = "violet staircase at noon";

async fn sign_up(app: &TestApp, name: &str, email: &str) -> String {
    let answer = app.post_form("/api/signup", &[("name", name), ("email", email), ("password", PASSWORD)], None).await;
    answer.session_cookie().unwrap_or_else(|| panic!("signed up {email}: {} {}", answer.status, answer.body))
}

/// The page is the error page, once, inside the layout (the sidebar is there).
fn assert_error_page(body: &str, what: &str) {
    assert_eq!(body.matches("data-testid=\"error-page\"").count(), 1, "{what}: one error message\n{body}");
    assert!(body.contains("class=\"sidebar\""), "{what}: inside the layout");
}

#[tokio::test]
async fn missing_and_foreign_pages_answer_404_and_admin_pages_403_every_time() {
    for backend in BACKENDS {
        let app = app::start_with(backend, &[("CRM_ALLOW_SIGNUP", "true")]).await;
        let admin = sign_up(&app, "Admin", "admin@example.com").await;
        let user = sign_up(&app, "User", "user@example.com").await;
        let other = sign_up(&app, "Other", "other@example.com").await;

        let strategy = app
            .post_form(
                "/api/create_strategy",
                &[("name", "Persona"), ("creativity", "5"), ("reply_delay_min", "0"), ("reply_delay_max", "0")],
                Some(&other),
            )
            .await;
        let strategy_id = serde_json::from_str::<crm::strategies::model::Strategy>(&strategy.body).unwrap().id;
        let client = app
            .post_form(
                "/api/create_client",
                &[("name", "Theirs"), ("strategy_id", &strategy_id.to_string())],
                Some(&other),
            )
            .await;
        let client_id: i64 = serde_json::from_str(&client.body).unwrap();

        let not_found = [
            "/clients/987654".to_owned(),
            format!("/clients/{client_id}"),
            format!("/clients/{client_id}/edit"),
            "/clients/987654/edit".to_owned(),
            "/clients/not-a-number".to_owned(),
            "/strategies/987654".to_owned(),
            format!("/strategies/{strategy_id}"),
            "/no/such/page".to_owned(),
            "/clients/imports/987654".to_owned(),
            "/clients/imports/not-a-number".to_owned(),
        ];
        // Many times: the status must not depend on how fast the data arrives.
        for round in 0..5 {
            for path in &not_found {
                let page = app.get(path, Some(&user)).await;
                assert_eq!(page.status, StatusCode::NOT_FOUND, "{backend:?} round {round}: {path}");
                assert_error_page(&page.body, path);
            }
            for path in ["/users", "/status"] {
                let page = app.get(path, Some(&user)).await;
                assert_eq!(page.status, StatusCode::FORBIDDEN, "{backend:?} round {round}: {path}");
                assert_error_page(&page.body, path);
                assert!(!page.body.contains("Add a user"), "{path}: nothing of the admin page shows");
            }
        }
        // The owner and an admin see them.
        for (cookie, path) in [(&other, format!("/clients/{client_id}")), (&admin, format!("/clients/{client_id}"))] {
            assert_eq!(app.get(&path, Some(cookie)).await.status, StatusCode::OK, "{path}");
        }
        for path in ["/users", "/status"] {
            assert_eq!(app.get(path, Some(&admin)).await.status, StatusCode::OK, "{path} as an admin");
        }
        app.cleanup().await;
    }
}
