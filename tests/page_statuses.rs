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
        let types = app.post_form("/api/list_booking_types", &[], Some(&other)).await;
        let type_id = serde_json::from_str::<Vec<crm::bookings::model::BookingType>>(&types.body).unwrap()[0].id;
        let booked = app
            .post_form(
                "/api/create_booking",
                &[("booking_type_id", &type_id.to_string()), ("starts_at", "2027-03-01T10:00:00Z")],
                Some(&other),
            )
            .await;
        let booking_id = serde_json::from_str::<crm::bookings::model::Booking>(&booked.body).unwrap().id;
        let other_id = serde_json::from_str::<crm::bookings::model::Booking>(&booked.body).unwrap().owner_id;

        let not_found = [
            "/bookings/987654".to_owned(),
            format!("/bookings/{booking_id}"),
            "/bookings/not-a-number".to_owned(),
            format!("/bookings?owner={other_id}"),
            format!("/bookings/new?client={client_id}"),
            format!("/bookings/settings?owner={other_id}"),
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
            "/chat/987654".to_owned(),
            format!("/chat/{client_id}"),
            "/chat/not-a-number".to_owned(),
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
        for (cookie, path) in [
            (&other, format!("/clients/{client_id}")),
            (&admin, format!("/clients/{client_id}")),
            (&other, format!("/bookings/{booking_id}")),
            (&admin, format!("/bookings/{booking_id}")),
            (&admin, format!("/bookings?owner={other_id}&view=agenda")),
            (&other, format!("/bookings/new?client={client_id}")),
            (&other, "/bookings/settings".to_owned()),
        ] {
            assert_eq!(app.get(&path, Some(cookie)).await.status, StatusCode::OK, "{path}");
        }
        for path in ["/users", "/status"] {
            assert_eq!(app.get(path, Some(&admin)).await.status, StatusCode::OK, "{path} as an admin");
        }
        // The bookings list: an admin's holds everyone's, a member's only their own, whatever the
        // address asks for.
        let theirs = format!("href=\"/bookings/{booking_id}\"");
        let list = format!("/bookings/list?owner={other_id}");
        let as_admin = app.get("/bookings/list", Some(&admin)).await;
        assert_eq!(as_admin.status, StatusCode::OK);
        assert!(as_admin.body.contains(&theirs), "{backend:?}: the admin's list");
        let as_member = app.get(&list, Some(&user)).await;
        assert_eq!(as_member.status, StatusCode::OK);
        assert!(!as_member.body.contains(&theirs), "{backend:?}: another member's list");
        assert!(as_member.body.contains("No booking matches these filters."), "{backend:?}");
        let as_owner = app.get(&list, Some(&other)).await;
        assert!(as_owner.body.contains(&theirs), "{backend:?}: the owner's own list");
        app.cleanup().await;
    }
}

/// The part of the page inside the sidebar, as the server first sends it: content streamed later
/// arrives in `<template>`s after it, which only a script moves into place.
fn sidebar(body: &str) -> &str {
    let start = body.find("class=\"sidebar\"").expect("the page has a sidebar");
    let end = start + body[start..].find("</aside>").expect("the sidebar closes");
    &body[start..end]
}

#[tokio::test]
async fn the_sidebar_names_the_user_and_shows_admin_links_without_javascript() {
    for backend in BACKENDS {
        let app = app::start_with(backend, &[("CRM_ALLOW_SIGNUP", "true")]).await;
        let admin = sign_up(&app, "Ada Admin", "admin@example.com").await;
        let user = sign_up(&app, "Uma User", "user@example.com").await;
        for path in ["/", "/clients", "/settings", "/no/such/page"] {
            let page = app.get(path, Some(&admin)).await;
            let side = sidebar(&page.body);
            assert!(side.contains("Ada Admin"), "{backend:?} {path}: the admin's name in place\n{side}");
            assert!(side.contains("href=\"/users\""), "{backend:?} {path}: the Users link in place\n{side}");
            assert!(side.contains("href=\"/status\""), "{backend:?} {path}: the Status link in place");

            let page = app.get(path, Some(&user)).await;
            let side = sidebar(&page.body);
            assert!(side.contains("Uma User"), "{backend:?} {path}: the user's name in place\n{side}");
            assert!(!side.contains("href=\"/users\""), "{backend:?} {path}: no admin links for a member");
            assert!(!page.body.contains("href=\"/users\""), "{backend:?} {path}: not even streamed later");
        }
        app.cleanup().await;
    }
}

/// The part of the page the server writes in place (content streamed later comes in `<template>`s).
fn in_place(body: &str) -> &str {
    &body[..body.find("<template").unwrap_or(body.len())]
}

#[tokio::test]
async fn the_dashboard_lists_the_first_steps_until_they_are_done() {
    for backend in BACKENDS {
        let app = app::start_with(backend, &[("CRM_ALLOW_SIGNUP", "true")]).await;
        let cookie = sign_up(&app, "Ada", "ada@example.com").await;
        let page = app.get("/", Some(&cookie)).await;
        let shown = in_place(&page.body);
        assert!(shown.contains("data-testid=\"first-run\""), "{backend:?}: the checklist, in place\n{}", page.body);
        assert!(shown.contains("0 of 3 done"), "{backend:?}");
        assert!(shown.contains("href=\"/strategies/new\"") && shown.contains("href=\"/clients/import\""));

        let strategy = app
            .post_form(
                "/api/create_strategy",
                &[("name", "Persona"), ("creativity", "5"), ("reply_delay_min", "0"), ("reply_delay_max", "0")],
                Some(&cookie),
            )
            .await;
        let strategy_id = serde_json::from_str::<crm::strategies::model::Strategy>(&strategy.body).unwrap().id;
        let page = app.get("/", Some(&cookie)).await;
        assert!(in_place(&page.body).contains("1 of 3 done"), "{backend:?}: the strategy counts");
        assert!(!page.body.contains("href=\"/strategies/new\""), "{backend:?}: a done step has no link");

        let client = app
            .post_form(
                "/api/create_client",
                &[("name", "Lead"), ("strategy_id", &strategy_id.to_string())],
                Some(&cookie),
            )
            .await;
        assert_eq!(client.status, StatusCode::OK, "{}", client.body);
        let settings = app
            .post_form(
                "/api/update_profile",
                &[("name", "Ada"), ("company", ""), ("timezone", "Europe/Lisbon")],
                Some(&cookie),
            )
            .await;
        assert!(settings.status.is_success(), "{}", settings.body);
        let page = app.get("/", Some(&cookie)).await;
        assert!(!page.body.contains("data-testid=\"first-run\""), "{backend:?}: gone once all three are done");
        app.cleanup().await;
    }
}

/// Pages keep rendering while routers are built on another thread. Building a router lists the
/// app's routes, and leptos suppresses the loading of every resource in the process while it
/// lists them: a page rendered meanwhile waited for its data forever (about one run in forty of
/// these tests hung, with every thread idle). The routes are now listed once per process.
#[tokio::test]
async fn pages_render_while_routers_are_built_on_another_thread() {
    use std::sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    };
    let app = app::start_with(common::Backend::Sqlite, &[("CRM_ALLOW_SIGNUP", "true")]).await;
    let cookie = sign_up(&app, "Ada", "ada@example.com").await;
    let stop = Arc::new(AtomicBool::new(false));
    let builder = {
        let (state, stop, runtime) = (app.state.clone(), stop.clone(), tokio::runtime::Handle::current());
        std::thread::spawn(move || {
            let _runtime = runtime.enter();
            let mut built = 0u32;
            while !stop.load(Ordering::Relaxed) {
                drop(crm::server::router::build(state.clone()));
                built += 1;
            }
            built
        })
    };
    for round in 0..40 {
        let page = tokio::time::timeout(std::time::Duration::from_secs(30), app.get("/clients/987654", Some(&cookie)))
            .await
            .unwrap_or_else(|_| panic!("round {round}: the page was never answered while routers were built"));
        assert_eq!(page.status, StatusCode::NOT_FOUND, "round {round}");
    }
    stop.store(true, Ordering::Relaxed);
    assert!(builder.join().unwrap() > 0, "routers were built meanwhile");
    app.cleanup().await;
}
