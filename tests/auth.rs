//! Sign-up, sign-in, sessions and the page guard, on SQLite (sessions in the database) and on
//! PostgreSQL + Redis (sessions in Redis).
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use common::{BACKENDS, app};
use crm::{
    shared::AppError,
    users::auth::{self, BAD_CREDENTIALS, FORM_FIELD, SignupInput},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

fn input(name: &str, email: &str, password: &str) -> SignupInput {
    SignupInput { name: name.into(), email: email.into(), password: password.into(), timezone: None }
}

const GOOD_PASSWORD: &str = "violet staircase at noon";

#[tokio::test]
async fn the_first_account_is_an_admin_and_later_ones_are_users() {
    for backend in BACKENDS {
        let app = app::start(backend).await;
        let first = auth::signup(&app.state, input("Ana", "Ana@Example.com", GOOD_PASSWORD)).await.unwrap();
        assert_eq!((first.role.as_str(), first.email.as_str()), ("admin", "ana@example.com"), "{backend:?}");
        let second = auth::signup(&app.state, input("Bo", "bo@example.com", GOOD_PASSWORD)).await.unwrap();
        assert_eq!(second.role, "user");

        let duplicate = auth::signup(&app.state, input("Ana 2", " ANA@example.com ", GOOD_PASSWORD)).await.unwrap_err();
        assert!(duplicate.field_message("email").unwrap().contains("already exists"), "{duplicate:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn invalid_sign_ups_name_each_field_and_change_nothing() {
    let app = app::start(common::Backend::Sqlite).await;
    let error = auth::signup(&app.state, input(" ", "not-an-email", "short")).await.unwrap_err();
    assert_eq!(error.status_code(), 422);
    for field in ["name", "email", "password"] {
        assert!(error.field_message(field).is_some(), "{field} has a message: {error:?}");
    }
    let common = auth::signup(&app.state, input("Ana", "ana@example.com", "Password123")).await.unwrap_err();
    assert!(common.field_message("password").unwrap().contains("most common"), "{common:?}");
    let too_long = auth::signup(&app.state, input("Ana", "ana@example.com", &"x".repeat(257))).await.unwrap_err();
    assert!(too_long.field_message("password").is_some());
    // Nothing was written: the first valid account still becomes the admin.
    let first = auth::signup(&app.state, input("Ana", "ana@example.com", GOOD_PASSWORD)).await.unwrap();
    assert_eq!(first.role, "admin");
    app.cleanup().await;
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    for backend in BACKENDS {
        let app = app::start(backend).await;
        auth::signup(&app.state, input("Ana", "ana@example.com", GOOD_PASSWORD)).await.unwrap();
        let ip = Some("192.0.2.1".parse().unwrap());
        let user = auth::authenticate(&app.state, " ANA@example.com", GOOD_PASSWORD.into(), ip).await.unwrap();
        assert_eq!(user.email, "ana@example.com");

        let wrong = auth::authenticate(&app.state, "ana@example.com", "wrong password".into(), ip).await.unwrap_err();
        let unknown = auth::authenticate(&app.state, "nobody@example.com", GOOD_PASSWORD.into(), ip).await.unwrap_err();
        assert_eq!(wrong, unknown, "{backend:?}");
        assert_eq!(wrong.field_message(FORM_FIELD), Some(BAD_CREDENTIALS));
        app.cleanup().await;
    }
}

#[tokio::test]
async fn repeated_failures_are_limited_per_account_and_a_success_resets_the_count() {
    for backend in BACKENDS {
        let app = app::start(backend).await;
        auth::signup(&app.state, input("Ana", "ana@example.com", GOOD_PASSWORD)).await.unwrap();
        let limit = app.state.auth.attempts_per_account;
        let ip = Some("192.0.2.7".parse().unwrap());
        for _ in 0..limit - 1 {
            auth::authenticate(&app.state, "ana@example.com", "wrong".into(), ip).await.unwrap_err();
        }
        // The last allowed attempt succeeds and resets the account's count...
        auth::authenticate(&app.state, "ana@example.com", GOOD_PASSWORD.into(), ip).await.unwrap();
        for _ in 0..limit {
            auth::authenticate(&app.state, "ana@example.com", "wrong".into(), ip).await.unwrap_err();
        }
        // ...and once the limit is spent, even the right password is refused with 429.
        let limited = auth::authenticate(&app.state, "ana@example.com", GOOD_PASSWORD.into(), ip).await.unwrap_err();
        assert!(matches!(limited, AppError::RateLimited { retry_after_secs } if retry_after_secs > 0), "{limited:?}");
        assert_eq!(limited.status_code(), 429);
        assert!(limited.to_string().starts_with("Too many attempts, try again in"), "{limited}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn login_cycles_the_session_and_logout_ends_it_on_the_server() {
    for backend in BACKENDS {
        let app = app::start(backend).await;
        let signup = app
            .post_form(
                "/api/signup",
                &[("name", "Ana"), ("email", "ana@example.com"), ("password", GOOD_PASSWORD)],
                None,
            )
            .await;
        let first_cookie = signup.session_cookie().expect("sign-up sets a session cookie");

        let login = app
            .post_form("/api/login", &[("email", "ana@example.com"), ("password", GOOD_PASSWORD)], Some(&first_cookie))
            .await;
        assert!(login.status.is_success() || login.status.is_redirection(), "{backend:?}: {}", login.body);
        let second_cookie = login.session_cookie().expect("login sets a session cookie");
        assert_ne!(first_cookie, second_cookie, "{backend:?}: the session id changes at login");
        assert_eq!(app.get("/", Some(&second_cookie)).await.status, StatusCode::OK);
        assert_eq!(
            app.get("/", Some(&first_cookie)).await.status,
            StatusCode::SEE_OTHER,
            "{backend:?}: the pre-login session no longer works"
        );

        let logout = app.post_form("/api/logout", &[], Some(&second_cookie)).await;
        assert!(logout.status.is_success() || logout.status.is_redirection());
        let after = app.get("/", Some(&second_cookie)).await;
        assert_eq!(after.status, StatusCode::SEE_OTHER, "{backend:?}: the old cookie is dead after logout");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_login_and_back() {
    let app = app::start(common::Backend::Sqlite).await;
    let page = app.get("/clients?page=2", None).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), Some("/login?next=%2Fclients%3Fpage%3D2"));
    assert_eq!(app.get("/", None).await.location(), Some("/login"));
    // Public pages and probes stay reachable.
    assert_eq!(app.get("/login", None).await.status, StatusCode::OK);
    assert_eq!(app.get("/signup", None).await.status, StatusCode::OK);
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);

    auth::signup(&app.state, input("Ana", "ana@example.com", GOOD_PASSWORD)).await.unwrap();
    // A plain form post (no JavaScript) lands on the page the visitor wanted.
    let mut login = app
        .post_form(
            "/api/login",
            &[("email", "ana@example.com"), ("password", GOOD_PASSWORD), ("next", "/clients?page=2")],
            None,
        )
        .await;
    assert_eq!(login.location(), Some("/clients?page=2"), "{}", login.body);
    // An off-site `next` is ignored.
    login = app
        .post_form(
            "/api/login",
            &[("email", "ana@example.com"), ("password", GOOD_PASSWORD), ("next", "//evil.example")],
            None,
        )
        .await;
    assert_eq!(login.location(), Some("/"));
    app.cleanup().await;
}

#[tokio::test]
async fn whoami_answers_for_visitors_and_users() {
    let app = app::start(common::Backend::Sqlite).await;
    let visitor = app.post_form("/api/whoami", &[], None).await;
    assert_eq!((visitor.status, visitor.body.as_str()), (StatusCode::OK, "null"));
    let signup = app
        .post_form("/api/signup", &[("name", "Ana"), ("email", "ana@example.com"), ("password", GOOD_PASSWORD)], None)
        .await;
    let me = app.post_form("/api/whoami", &[], signup.session_cookie().as_deref()).await;
    let user: crm::users::model::CurrentUser = serde_json::from_str(&me.body).unwrap();
    assert_eq!((user.email.as_str(), user.is_admin()), ("ana@example.com", true));
    app.cleanup().await;
}

#[tokio::test]
async fn a_failed_login_answers_with_the_error_status() {
    let app = app::start(common::Backend::Sqlite).await;
    let response = app.post_form("/api/login", &[("email", "a@example.com"), ("password", "nope nope")], None).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", response.body);
    assert!(response.body.contains(BAD_CREDENTIALS));
    app.cleanup().await;
}

#[tokio::test]
async fn a_failed_plain_form_post_is_sent_back_to_the_form_with_its_error() {
    use axum::{
        body::Body,
        http::{Request, header},
    };
    let app = app::start(common::Backend::Sqlite).await;
    let request = Request::post("/api/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html,application/xhtml+xml")
        .header(header::REFERER, "http://localhost/login?next=%2Fstatus")
        .body(Body::from("email=a%40example.com&password=nope+nope"))
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "the browser follows a redirect, not a 422");
    // Back to the form at its own address; the error travels in the session (tests/plain_forms.rs).
    assert_eq!(response.location(), Some("/login?next=%2Fstatus"));
    app.cleanup().await;
}

async fn sign_up_cookie(app: &app::TestApp) -> String {
    app.post_form("/api/signup", &[("name", "Ana"), ("email", "ana@example.com"), ("password", GOOD_PASSWORD)], None)
        .await
        .session_cookie()
        .expect("sign-up sets a session cookie")
}

#[tokio::test]
async fn sessions_end_after_the_idle_timeout_but_activity_keeps_them() {
    for backend in BACKENDS {
        let app = app::start_with(backend, &[("CRM_SESSION_IDLE_SECS", "3")]).await;
        let cookie = sign_up_cookie(&app).await;
        for _ in 0..3 {
            tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
            assert_eq!(app.get("/", Some(&cookie)).await.status, StatusCode::OK, "{backend:?}: activity");
        }
        tokio::time::sleep(std::time::Duration::from_millis(4500)).await;
        assert_eq!(app.get("/", Some(&cookie)).await.status, StatusCode::SEE_OTHER, "{backend:?}: idle");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn sessions_end_at_the_absolute_timeout_even_when_active() {
    for backend in BACKENDS {
        let app = app::start_with(backend, &[("CRM_SESSION_ABSOLUTE_SECS", "3")]).await;
        let cookie = sign_up_cookie(&app).await;
        assert_eq!(app.get("/", Some(&cookie)).await.status, StatusCode::OK);
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        assert_eq!(app.get("/", Some(&cookie)).await.status, StatusCode::OK);
        tokio::time::sleep(std::time::Duration::from_millis(2000)).await;
        assert_eq!(app.get("/", Some(&cookie)).await.status, StatusCode::SEE_OTHER, "{backend:?}: absolute");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_session_cookie_is_http_only_same_site_and_secure_over_https() {
    let app = app::start(common::Backend::Sqlite).await;
    let response = app
        .post_form("/api/signup", &[("name", "Ana"), ("email", "ana@example.com"), ("password", GOOD_PASSWORD)], None)
        .await;
    let set_cookie = response.headers.get(axum::http::header::SET_COOKIE).unwrap().to_str().unwrap().to_owned();
    assert!(set_cookie.starts_with("crm_session="), "{set_cookie}");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(flag), "{flag} in {set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "plain HTTP cannot use Secure cookies: {set_cookie}");
    app.cleanup().await;

    let app = app::start_with(common::Backend::Sqlite, &[("CRM_PUBLIC_ORIGIN", "https://crm.example.com")]).await;
    let response = app
        .post_form("/api/signup", &[("name", "Ana"), ("email", "ana@example.com"), ("password", GOOD_PASSWORD)], None)
        .await;
    let set_cookie = response.headers.get(axum::http::header::SET_COOKIE).unwrap().to_str().unwrap().to_owned();
    assert!(set_cookie.starts_with("__Host-crm_session="), "{set_cookie}");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Secure"] {
        assert!(set_cookie.contains(flag), "{flag} in {set_cookie}");
    }
    assert!(!set_cookie.contains("Domain"), "__Host- cookies have no Domain: {set_cookie}");
    app.cleanup().await;
}

#[tokio::test]
async fn closed_sign_up_still_allows_the_first_account_only() {
    let app = app::start_with(common::Backend::Sqlite, &[("CRM_ALLOW_SIGNUP", "false")]).await;
    auth::signup(&app.state, input("Ana", "ana@example.com", GOOD_PASSWORD)).await.unwrap();
    let refused = auth::signup(&app.state, input("Bo", "bo@example.com", GOOD_PASSWORD)).await.unwrap_err();
    assert_eq!(refused, AppError::Refused(auth::SIGNUP_CLOSED.to_owned()));
    let response = app
        .post_form("/api/signup", &[("name", "Bo"), ("email", "bo@example.com"), ("password", GOOD_PASSWORD)], None)
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert!(response.body.contains("Sign-up is closed"), "{}", response.body);
    app.cleanup().await;
}

#[tokio::test]
async fn logging_out_elsewhere_ends_every_other_session_of_the_user_only() {
    for backend in BACKENDS {
        let app = app::start(backend).await;
        let here = sign_up_cookie(&app).await;
        let login = |email: &'static str| {
            let app = &app;
            async move {
                app.post_form("/api/login", &[("email", email), ("password", GOOD_PASSWORD)], None)
                    .await
                    .session_cookie()
                    .unwrap()
            }
        };
        let elsewhere = login("ana@example.com").await;
        auth::signup(&app.state, input("Bo", "bo@example.com", GOOD_PASSWORD)).await.unwrap();
        let someone_else = login("bo@example.com").await;

        let response = app.post_form("/api/logout_elsewhere", &[], Some(&here)).await;
        assert_eq!((response.status, response.body.as_str()), (StatusCode::OK, "1"), "{backend:?}");
        assert_eq!(app.get("/", Some(&here)).await.status, StatusCode::OK, "{backend:?}: this session stays");
        assert_eq!(app.get("/", Some(&elsewhere)).await.status, StatusCode::SEE_OTHER, "{backend:?}: other ended");
        assert_eq!(
            app.get("/", Some(&someone_else)).await.status,
            StatusCode::OK,
            "{backend:?}: other users keep theirs"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_new_account_starts_in_the_browsers_time_zone_when_it_is_a_real_one() {
    for backend in BACKENDS {
        let app = app::start(backend).await;
        for (email, zone, expected) in [
            ("tokyo@example.com", "Asia/Tokyo", "Asia/Tokyo"),
            ("mars@example.com", "Mars/Olympus_Mons", "UTC"),
            ("none@example.com", "", "UTC"),
        ] {
            let answer = app
                .post_form(
                    "/api/signup",
                    &[("name", "Someone"), ("email", email), ("password", GOOD_PASSWORD), ("timezone", zone)],
                    None,
                )
                .await;
            assert!(answer.session_cookie().is_some(), "{backend:?} {zone}: {}", answer.body);
            let user = crm::users::entity::Entity::find()
                .filter(crm::users::entity::Column::Email.eq(email))
                .one(&app.state.db)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(user.timezone, expected, "{backend:?} {zone}");
        }
        app.cleanup().await;
    }
}
