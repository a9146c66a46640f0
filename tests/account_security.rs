//! The security review's account findings, on SQLite (in-process limiter) and on PostgreSQL +
//! Redis: bounded sign-in and sign-up fields, rate-limit keys that hold no raw input and no state
//! for refused requests, the lockout policy (only failed password checks count, per account and
//! address), trusted proxies, the sign-up limit and order of checks, the database-enforced first
//! admin, closed sign-up by default, and the disabled-account message.
#![cfg(feature = "ssr")]

mod common;

use std::net::{IpAddr, SocketAddr};

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{Request, StatusCode, header},
};
use common::{BACKENDS, Backend, app, app::TestApp};
use crm::{
    shared::AppError,
    users::{
        auth::{self, ACCOUNT_DISABLED, BAD_CREDENTIALS, FORM_FIELD, SIGNUP_CLOSED, SignupInput},
        entity,
    },
};
use fred::{
    interfaces::ClientLike,
    types::{ClusterHash, CustomCommand},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set, Statement,
};

const PASSWORD: &str = "violet staircase at noon";

fn input(name: &str, email: &str, password: &str) -> SignupInput {
    SignupInput { name: name.into(), email: email.into(), password: password.into(), timezone: None }
}

fn ip(raw: &str) -> Option<IpAddr> {
    Some(raw.parse().unwrap())
}

/// A form post from `peer` (the connection's address), optionally with `X-Forwarded-For`.
fn form_from(path: &str, form: &[(&str, &str)], peer: &str, forwarded_for: Option<&str>) -> Request<Body> {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(forwarded_for) = forwarded_for {
        request = request.header("x-forwarded-for", forwarded_for);
    }
    let mut request = request.body(Body::from(body)).unwrap();
    request.extensions_mut().insert(ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 50_000)));
    request
}

async fn login_from(app: &TestApp, email: &str, password: &str, peer: &str, forwarded_for: Option<&str>) -> StatusCode {
    app.send(form_from("/api/login", &[("email", email), ("password", password)], peer, forwarded_for)).await.status
}

/// Every rate-limit key of the app in Redis (SCAN over its own prefix).
async fn redis_rate_keys(app: &TestApp) -> Vec<String> {
    let handle = app.state.redis.as_ref().expect("Redis is configured on PostgreSQL");
    let pattern = handle.key("rate:*");
    let mut cursor = "0".to_owned();
    let mut keys = Vec::new();
    loop {
        let (next, batch): (String, Vec<String>) = handle
            .pool
            .custom(
                CustomCommand::new_static("SCAN", ClusterHash::FirstKey, false),
                vec![cursor.clone(), "MATCH".to_owned(), pattern.clone(), "COUNT".to_owned(), "1000".to_owned()],
            )
            .await
            .unwrap();
        keys.extend(batch);
        if next == "0" {
            return keys;
        }
        cursor = next;
    }
}

/// How many keys the rate limiter holds, in process memory or in Redis.
async fn limiter_keys(app: &TestApp) -> usize {
    match app.state.infra.rate_limiter.tracked_keys() {
        Some(keys) => keys,
        None => redis_rate_keys(app).await.len(),
    }
}

// ---------------------------------------------------------------------------------------------
// Field bounds and keys

#[tokio::test]
async fn over_long_sign_in_and_sign_up_fields_are_refused_per_field_before_any_state() {
    for backend in BACKENDS {
        let app = app::start(backend).await;
        let long_email = format!("{}@example.com", "a".repeat(300));
        let long_password = "x".repeat(257);

        for (email, password, field) in
            [(long_email.as_str(), PASSWORD, "email"), ("ana@example.com", long_password.as_str(), "password")]
        {
            let error = auth::authenticate(&app.state, email, password.into(), ip("192.0.2.1")).await.unwrap_err();
            assert_eq!(error.status_code(), 422, "{backend:?}: {error:?}");
            assert!(error.field_message(field).is_some(), "{backend:?}: {field} is named: {error:?}");
            let response = login_from(&app, email, password, "192.0.2.1", None).await;
            assert_eq!(response, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}");
        }

        let long_name = "n".repeat(201);
        for (name, email, password, field) in [
            (long_name.as_str(), "ana@example.com", PASSWORD, "name"),
            ("Ana", long_email.as_str(), PASSWORD, "email"),
            ("Ana", "ana@example.com", long_password.as_str(), "password"),
        ] {
            let error = auth::signup_from(&app.state, input(name, email, password), ip("192.0.2.1")).await.unwrap_err();
            assert_eq!(error.status_code(), 422, "{backend:?}: {error:?}");
            assert!(error.field_message(field).is_some(), "{backend:?}: {field} is named: {error:?}");
            let response = app
                .send(form_from(
                    "/api/signup",
                    &[("name", name), ("email", email), ("password", password)],
                    "192.0.2.1",
                    None,
                ))
                .await;
            assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}: {}", response.body);
        }
        assert_eq!(limiter_keys(&app).await, 0, "{backend:?}: refused fields leave no limiter state");
        assert_eq!(entity::Entity::find().count(&app.db.conn).await.unwrap(), 0);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_blocked_address_leaves_no_state_for_the_accounts_it_names() {
    for backend in BACKENDS {
        let app = app::start_with(backend, &[("CRM_LOGIN_ATTEMPTS_PER_IP", "3")]).await;
        for n in 0..3 {
            let email = format!("guess{n}@example.com");
            assert_eq!(
                login_from(&app, &email, "wrong password", "198.51.100.7", None).await,
                StatusCode::UNPROCESSABLE_ENTITY
            );
        }
        let keys = limiter_keys(&app).await;
        for n in 0..40 {
            let email = format!("victim{n}@example.com");
            let status = login_from(&app, &email, "wrong password", "198.51.100.7", None).await;
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{backend:?}");
        }
        assert_eq!(limiter_keys(&app).await, keys, "{backend:?}: refused requests add no key");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn rate_limit_keys_hold_a_hash_of_the_email_never_the_email() {
    let app = app::start(Backend::Postgres).await;
    for email in ["Secret.Person@Example.com", "  secret.person@example.com "] {
        let error = auth::authenticate(&app.state, email, "wrong password".into(), ip("192.0.2.9")).await.unwrap_err();
        assert_eq!(error.field_message(FORM_FIELD), Some(BAD_CREDENTIALS));
    }
    let keys = redis_rate_keys(&app).await;
    assert!(!keys.is_empty(), "failed sign-ins are counted");
    for key in &keys {
        let lower = key.to_lowercase();
        assert!(!lower.contains("secret") && !lower.contains("example.com"), "raw email in key {key}");
    }
    let hashed = auth::email_key("secret.person@example.com");
    assert!(keys.iter().any(|key| key.contains(&hashed)), "the account's key is the normalised email's hash: {keys:?}");
    assert_eq!(keys.len(), 3, "one address key, one account-and-address key, one account key: {keys:?}");
    app.cleanup().await;
}

// ---------------------------------------------------------------------------------------------
// Lockout policy

#[tokio::test]
async fn requests_refused_for_the_address_do_not_count_against_the_account() {
    for backend in BACKENDS {
        let app = app::start_with(backend, &[("CRM_LOGIN_ATTEMPTS_PER_IP", "3")]).await;
        auth::signup(&app.state, input("Ana", "ana@example.com", PASSWORD)).await.unwrap();
        for n in 0..3 {
            let email = format!("guess{n}@example.com");
            login_from(&app, &email, "wrong password", "198.51.100.7", None).await;
        }
        // The blocked address keeps hammering the admin's account: every request is refused...
        for _ in 0..30 {
            let status = login_from(&app, "ana@example.com", "wrong password", "198.51.100.7", None).await;
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{backend:?}");
        }
        // ...and none of them counted: the owner signs in from elsewhere.
        let owner = login_from(&app, "ana@example.com", PASSWORD, "203.0.113.20", None).await;
        assert!(owner.is_success() || owner.is_redirection(), "{backend:?}: {owner}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_correct_password_from_another_address_succeeds_while_one_address_is_locked_out() {
    for backend in BACKENDS {
        let app = app::start(backend).await;
        auth::signup(&app.state, input("Ana", "ana@example.com", PASSWORD)).await.unwrap();
        let limit = app.state.auth.attempts_per_account;
        let attacker = ip("198.51.100.66");
        for _ in 0..limit {
            auth::authenticate(&app.state, "ana@example.com", "wrong password".into(), attacker).await.unwrap_err();
        }
        for _ in 0..5 {
            let refused =
                auth::authenticate(&app.state, "ana@example.com", PASSWORD.into(), attacker).await.unwrap_err();
            assert!(matches!(refused, AppError::RateLimited { .. }), "{backend:?}: {refused:?}");
        }
        let owner = auth::authenticate(&app.state, "ana@example.com", PASSWORD.into(), ip("203.0.113.20")).await;
        assert_eq!(owner.unwrap().email, "ana@example.com", "{backend:?}");
        // The owner's success clears only their own address's count, not the attacker's lock.
        let still = auth::authenticate(&app.state, "ana@example.com", PASSWORD.into(), attacker).await.unwrap_err();
        assert!(matches!(still, AppError::RateLimited { .. }), "{backend:?}: {still:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_total_per_account_ceiling_holds_across_addresses() {
    for backend in BACKENDS {
        let app = app::start_with(
            backend,
            &[("CRM_LOGIN_ATTEMPTS_PER_ACCOUNT", "2"), ("CRM_LOGIN_ATTEMPTS_PER_ACCOUNT_TOTAL", "5")],
        )
        .await;
        auth::signup(&app.state, input("Ana", "ana@example.com", PASSWORD)).await.unwrap();
        for n in 0..5 {
            let address = ip(&format!("198.51.100.{}", n / 2 + 1));
            auth::authenticate(&app.state, "ana@example.com", "wrong password".into(), address).await.unwrap_err();
        }
        let refused =
            auth::authenticate(&app.state, "ana@example.com", PASSWORD.into(), ip("203.0.113.20")).await.unwrap_err();
        assert!(matches!(refused, AppError::RateLimited { .. }), "{backend:?}: {refused:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn successful_sign_ins_do_not_use_up_the_address_budget() {
    for backend in BACKENDS {
        let app = app::start_with(backend, &[("CRM_LOGIN_ATTEMPTS_PER_IP", "3")]).await;
        auth::signup(&app.state, input("Ana", "ana@example.com", PASSWORD)).await.unwrap();
        for attempt in 0..10 {
            let status = login_from(&app, "ana@example.com", PASSWORD, "192.0.2.44", None).await;
            assert!(status.is_success() || status.is_redirection(), "{backend:?}: sign-in {attempt}: {status}");
        }
        // The whole budget of failures is still there; after it, the address is refused.
        for _ in 0..3 {
            let status = login_from(&app, "ana@example.com", "wrong password", "192.0.2.44", None).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}");
        }
        assert_eq!(
            login_from(&app, "ana@example.com", PASSWORD, "192.0.2.44", None).await,
            StatusCode::TOO_MANY_REQUESTS
        );
        app.cleanup().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Trusted proxies

#[tokio::test]
async fn forwarded_for_is_ignored_without_trusted_proxies_and_honoured_with_them() {
    for backend in BACKENDS {
        let untrusted = app::start_with(backend, &[("CRM_LOGIN_ATTEMPTS_PER_IP", "2")]).await;
        for n in 0..2 {
            let forwarded = format!("198.51.100.{n}");
            let status = login_from(&untrusted, "a@example.com", "wrong password", "10.0.0.1", Some(&forwarded)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        }
        let status = login_from(&untrusted, "a@example.com", "wrong password", "10.0.0.1", Some("198.51.100.9")).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{backend:?}: a client cannot pick its address");
        untrusted.cleanup().await;

        let proxied = app::start_with(
            backend,
            &[("CRM_LOGIN_ATTEMPTS_PER_IP", "2"), ("CRM_TRUSTED_PROXIES", "10.0.0.0/24, 192.0.2.10")],
        )
        .await;
        for _ in 0..2 {
            let status =
                login_from(&proxied, "a@example.com", "wrong password", "10.0.0.1", Some("198.51.100.1")).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        }
        let blocked = login_from(&proxied, "a@example.com", "wrong password", "10.0.0.1", Some("198.51.100.1")).await;
        assert_eq!(blocked, StatusCode::TOO_MANY_REQUESTS, "{backend:?}: the forwarded client is limited");
        // Another client behind the same proxy has its own budget, whatever the first one forged.
        let other =
            login_from(&proxied, "a@example.com", "wrong password", "10.0.0.1", Some("198.51.100.1, 198.51.100.2"))
                .await;
        assert_eq!(other, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}: the right-most untrusted entry counts");
        let chained =
            login_from(&proxied, "a@example.com", "wrong password", "10.0.0.1", Some("198.51.100.1, 192.0.2.10")).await;
        assert_eq!(chained, StatusCode::TOO_MANY_REQUESTS, "{backend:?}: trusted hops are skipped");
        // A peer that is not a trusted proxy is its own address, whatever it forwards.
        for n in 0..2 {
            let forwarded = format!("203.0.113.{n}");
            login_from(&proxied, "a@example.com", "wrong password", "198.51.100.200", Some(&forwarded)).await;
        }
        let direct =
            login_from(&proxied, "a@example.com", "wrong password", "198.51.100.200", Some("203.0.113.77")).await;
        assert_eq!(direct, StatusCode::TOO_MANY_REQUESTS, "{backend:?}");
        proxied.cleanup().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Sign-up

#[tokio::test]
async fn sign_ups_are_limited_per_address() {
    for backend in BACKENDS {
        let app = app::start_with(backend, &[("CRM_SIGNUP_ATTEMPTS_PER_IP", "3")]).await;
        let signup = |n: u32, peer: &'static str| {
            let email = format!("user{n}@example.com");
            let app = &app;
            async move {
                app.send(form_from(
                    "/api/signup",
                    &[("name", "Someone"), ("email", &email), ("password", PASSWORD)],
                    peer,
                    None,
                ))
                .await
                .status
            }
        };
        for n in 0..3 {
            let status = signup(n, "192.0.2.5").await;
            assert!(status.is_success() || status.is_redirection(), "{backend:?}: sign-up {n}: {status}");
        }
        assert_eq!(signup(3, "192.0.2.5").await, StatusCode::TOO_MANY_REQUESTS, "{backend:?}");
        let elsewhere = signup(4, "192.0.2.6").await;
        assert!(elsewhere.is_success() || elsewhere.is_redirection(), "{backend:?}: {elsewhere}");
        assert_eq!(entity::Entity::find().count(&app.db.conn).await.unwrap(), 4);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn closed_sign_up_and_taken_emails_are_answered_before_the_password_is_looked_at() {
    for backend in BACKENDS {
        // Open sign-up: a taken email is reported even with a password that would be refused.
        let app = app::start(backend).await;
        auth::signup(&app.state, input("Ana", "ana@example.com", PASSWORD)).await.unwrap();
        let taken = auth::signup_from(&app.state, input("Ana", " ANA@example.com", "short"), ip("192.0.2.1"))
            .await
            .unwrap_err();
        assert!(taken.field_message("email").unwrap().contains("already exists"), "{backend:?}: {taken:?}");
        assert_eq!(taken.field_message("password"), None, "{backend:?}: the password was not checked");
        app.cleanup().await;

        // Closed sign-up (the default): refused before the password is looked at.
        let app = app::start_with_defaults(backend, &[]).await;
        auth::signup(&app.state, input("Ana", "ana@example.com", PASSWORD)).await.unwrap();
        for password in ["short", "Password123", PASSWORD] {
            let refused = auth::signup_from(&app.state, input("Bo", "bo@example.com", password), ip("192.0.2.1"))
                .await
                .unwrap_err();
            assert_eq!(refused, AppError::Refused(SIGNUP_CLOSED.to_owned()), "{backend:?}");
        }
        assert_eq!(limiter_keys(&app).await, 0, "{backend:?}: a closed sign-up counts nothing");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn sign_up_is_closed_by_default_once_the_first_account_exists() {
    for backend in BACKENDS {
        let app = app::start_with_defaults(backend, &[]).await;
        let page = app.get("/signup", None).await;
        assert!(page.body.contains("becomes the administrator"), "{backend:?}: the page says so");

        let first = auth::signup(&app.state, input("Ana", "ana@example.com", PASSWORD)).await.unwrap();
        assert_eq!(first.role, "admin");
        let page = app.get("/signup", None).await;
        assert!(page.body.contains("Sign-up is closed"), "{backend:?}");
        assert!(page.body.contains("Users page"), "{backend:?}: it says where admins add people");
        let response = app
            .post_form("/api/signup", &[("name", "Bo"), ("email", "bo@example.com"), ("password", PASSWORD)], None)
            .await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{backend:?}");
        assert!(response.body.contains("Sign-up is closed"), "{}", response.body);
        app.cleanup().await;

        let open = app::start_with(backend, &[("CRM_ALLOW_SIGNUP", "true")]).await;
        auth::signup(&open.state, input("Ana", "ana@example.com", PASSWORD)).await.unwrap();
        let page = open.get("/signup", None).await;
        assert!(!page.body.contains("Sign-up is closed") && !page.body.contains("becomes the administrator"));
        assert_eq!(auth::signup(&open.state, input("Bo", "bo@example.com", PASSWORD)).await.unwrap().role, "user");
        open.cleanup().await;
    }
}

/// Eight visitors create the first account at the same moment, several times over: exactly one
/// becomes the admin. With open sign-up the others become users; with closed sign-up they are told
/// it is closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_sign_ups_make_exactly_one_admin() {
    const ROUNDS: usize = 3;
    const VISITORS: usize = 8;
    for backend in BACKENDS {
        for allow_signup in ["true", "false"] {
            for round in 0..ROUNDS {
                let app = app::start_with(backend, &[("CRM_ALLOW_SIGNUP", allow_signup)]).await;
                let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(VISITORS));
                let tasks: Vec<_> = (0..VISITORS)
                    .map(|n| {
                        let state = app.state.clone();
                        let barrier = barrier.clone();
                        tokio::spawn(async move {
                            barrier.wait().await;
                            let email = format!("visitor{n}@example.com");
                            auth::signup(&state, input("Visitor", &email, PASSWORD)).await
                        })
                    })
                    .collect();
                let mut created = 0;
                for task in tasks {
                    match task.await.unwrap() {
                        Ok(_) => created += 1,
                        Err(error) => {
                            assert_eq!(error, AppError::Refused(SIGNUP_CLOSED.to_owned()), "{backend:?} round {round}")
                        }
                    }
                }
                let db = &app.db.conn;
                let admins = entity::Entity::find().filter(entity::Column::Role.eq("admin")).count(db).await.unwrap();
                assert_eq!(admins, 1, "{backend:?} allow_signup={allow_signup} round {round}: one admin");
                let expected = if allow_signup == "true" { VISITORS } else { 1 };
                assert_eq!(created, expected, "{backend:?} allow_signup={allow_signup} round {round}");
                assert_eq!(entity::Entity::find().count(db).await.unwrap() as usize, expected);
                app.cleanup().await;
            }
        }
    }
}

/// The same race without the cost of hashing, so that the transactions themselves start together:
/// many rounds of eight inserts released at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_account_inserts_make_exactly_one_admin() {
    const ROUNDS: usize = 10;
    const VISITORS: usize = 8;
    let hash = crm::users::password::hash(PASSWORD.to_owned()).await.unwrap();
    for backend in BACKENDS {
        for allow_signup in ["true", "false"] {
            let app = app::start_with(backend, &[("CRM_ALLOW_SIGNUP", allow_signup)]).await;
            let db = &app.db.conn;
            for round in 0..ROUNDS {
                let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(VISITORS));
                let tasks: Vec<_> = (0..VISITORS)
                    .map(|n| {
                        let (state, barrier, hash) = (app.state.clone(), barrier.clone(), hash.clone());
                        tokio::spawn(async move {
                            barrier.wait().await;
                            let email = format!("visitor{n}@example.com");
                            auth::insert_new_account(&state, &email, "Visitor", &hash, None).await
                        })
                    })
                    .collect();
                let mut created = 0;
                for task in tasks {
                    match task.await.unwrap() {
                        Ok(_) => created += 1,
                        Err(error) => assert_eq!(error, AppError::Refused(SIGNUP_CLOSED.to_owned()), "{backend:?}"),
                    }
                }
                let admins = entity::Entity::find().filter(entity::Column::Role.eq("admin")).count(db).await.unwrap();
                let context = format!("{backend:?} allow_signup={allow_signup} round {round}");
                assert_eq!(admins, 1, "{context}: one admin");
                assert_eq!(created, if allow_signup == "true" { VISITORS } else { 1 }, "{context}");
                // Empty the table for the next round (audit rows first: they name the users).
                for sql in ["DELETE FROM audit_log", "DELETE FROM users"] {
                    db.execute_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
                }
            }
            app.cleanup().await;
        }
    }
}

#[tokio::test]
async fn the_database_admits_one_first_account_only() {
    for backend in BACKENDS {
        let app = app::start(backend).await;
        auth::signup(&app.state, input("Ana", "ana@example.com", PASSWORD)).await.unwrap();
        auth::signup(&app.state, input("Bo", "bo@example.com", PASSWORD)).await.unwrap();
        let db = &app.db.conn;
        let marked = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT email FROM users WHERE first_account = TRUE",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(marked.try_get::<String>("", "email").unwrap(), "ana@example.com", "{backend:?}");
        let second = db
            .execute_raw(Statement::from_string(
                db.get_database_backend(),
                "UPDATE users SET first_account = TRUE WHERE email = 'bo@example.com'",
            ))
            .await;
        assert!(second.is_err(), "{backend:?}: a second first account is refused by the database");
        app.cleanup().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Disabled accounts

#[tokio::test]
async fn a_disabled_account_is_told_so_only_after_the_right_password() {
    for backend in BACKENDS {
        let app = app::start(backend).await;
        auth::signup(&app.state, input("Ana", "ana@example.com", PASSWORD)).await.unwrap();
        let bo = auth::signup(&app.state, input("Bo", "bo@example.com", PASSWORD)).await.unwrap();
        let mut disabled: entity::ActiveModel = bo.into();
        disabled.is_active = Set(false);
        disabled.update(&app.db.conn).await.unwrap();

        let wrong = auth::authenticate(&app.state, "bo@example.com", "wrong password".into(), ip("192.0.2.3"))
            .await
            .unwrap_err();
        assert_eq!(wrong.field_message(FORM_FIELD), Some(BAD_CREDENTIALS), "{backend:?}: a guesser learns nothing");
        let right =
            auth::authenticate(&app.state, "bo@example.com", PASSWORD.into(), ip("192.0.2.3")).await.unwrap_err();
        assert_eq!(right, AppError::Refused(ACCOUNT_DISABLED.to_owned()), "{backend:?}");

        let response = app.post_form("/api/login", &[("email", "bo@example.com"), ("password", PASSWORD)], None).await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{backend:?}");
        assert!(response.body.contains("disabled"), "{}", response.body);
        assert!(response.session_cookie().is_none(), "{backend:?}: no session for a disabled account");
        app.cleanup().await;
    }
}
