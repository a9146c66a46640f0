//! Forms posted without JavaScript: a failure comes back to the same page, at a clean address, with
//! what was typed (never a password) and the error next to its field, once.
#![cfg(feature = "ssr")]

mod common;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use common::{
    BACKENDS,
    app::{self, TestApp, TestResponse},
};

const PASSWORD: &str = "violet staircase at noon";

/// A post as a browser sends it from a page without JavaScript: it asks for HTML and names the page.
async fn plain_post(
    app: &TestApp,
    path: &str,
    from: &str,
    form: &[(&str, &str)],
    cookie: Option<&str>,
) -> TestResponse {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let mut request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")
        .header(header::REFERER, format!("http://localhost{from}"));
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    app.send(request.body(Body::from(body)).unwrap()).await
}

fn assert_clean_redirect(answer: &TestResponse, to: &str) {
    assert!(answer.status.is_redirection(), "{} {}", answer.status, answer.body);
    let location = answer.location().unwrap();
    assert_eq!(location, to, "back to the form, without the error in the address");
}

#[tokio::test]
async fn a_failed_sign_in_keeps_the_email_and_says_why_once() {
    for backend in BACKENDS {
        let app = app::start_with(backend, &[("CRM_ALLOW_SIGNUP", "true")]).await;
        let signed_up = app
            .post_form("/api/signup", &[("name", "Ann"), ("email", "ann@example.com"), ("password", PASSWORD)], None)
            .await;
        assert!(signed_up.status.is_redirection() || signed_up.status == StatusCode::OK, "{}", signed_up.body);

        let form =
            [("email", "ann@example.com"), ("password", "not her password"), ("remember", "on"), ("next", "/clients")];
        let answer = plain_post(&app, "/api/login", "/login?next=%2Fclients", &form, None).await;
        assert_clean_redirect(&answer, "/login?next=%2Fclients");
        let cookie = answer.session_cookie().expect("the flash lives in a session");

        let page = app.get("/login?next=%2Fclients", Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("value=\"ann@example.com\""), "the email is kept\n{}", page.body);
        assert!(page.body.contains("class=\"form-error\""), "the error is shown");
        assert!(page.body.contains("checked"), "the ticked box stays ticked");
        assert!(!page.body.contains("not her password"), "a password is never given back");

        let again = app.get("/login?next=%2Fclients", Some(&cookie)).await;
        assert!(!again.body.contains("ann@example.com"), "shown once");
        assert!(!again.body.contains("class=\"form-error\""), "shown once");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_failed_client_form_keeps_every_field_and_marks_the_wrong_one() {
    for backend in BACKENDS {
        let app = app::start_with(backend, &[("CRM_ALLOW_SIGNUP", "true")]).await;
        let cookie = app
            .post_form("/api/signup", &[("name", "Ann"), ("email", "ann@example.com"), ("password", PASSWORD)], None)
            .await
            .session_cookie()
            .unwrap();
        let form = [
            ("name", "Bob <b>Builder</b>"),
            ("email", "not an email"),
            ("phone", "+44 20 7946 0000"),
            ("company", "Acme & Co"),
            ("position", "Owner"),
            ("external_id", ""),
            ("status", "new"),
            ("strategy_id", ""),
            ("notes", "Met at the fair.\nCall in May."),
        ];
        let answer = plain_post(&app, "/api/create_client", "/clients/new", &form, Some(&cookie)).await;
        assert_clean_redirect(&answer, "/clients/new");

        let page = app.get("/clients/new", Some(&cookie)).await;
        for kept in [
            "value=\"Bob &lt;b&gt;Builder&lt;/b&gt;\"",
            "value=\"not an email\"",
            "value=\"+44 20 7946 0000\"",
            "Acme &amp; Co",
            "Met at the fair.\nCall in May.",
        ] {
            assert!(page.body.contains(kept), "{backend:?}: {kept} kept\n{}", page.body);
        }
        assert!(page.body.contains("id=\"email-error\""), "{backend:?}: the error is next to the email field");

        // Refused before the server function runs (a control character): the same way back.
        let mut bad = form;
        bad[1] = ("email", "ann@example.com");
        bad[3] = ("company", "Acme\u{1b}[31m");
        let answer = plain_post(&app, "/api/create_client", "/clients/new", &bad, Some(&cookie)).await;
        assert_clean_redirect(&answer, "/clients/new");
        let page = app.get("/clients/new", Some(&cookie)).await;
        assert!(page.body.contains("id=\"company-error\""), "{backend:?}: the refused field is marked\n{}", page.body);
        assert!(page.body.contains("value=\"Bob &lt;b&gt;Builder&lt;/b&gt;\""), "{backend:?}: the rest is kept");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_failed_settings_save_keeps_the_chosen_time_zone() {
    for backend in BACKENDS {
        let app = app::start_with(backend, &[("CRM_ALLOW_SIGNUP", "true")]).await;
        let cookie = app
            .post_form("/api/signup", &[("name", "Ann"), ("email", "ann@example.com"), ("password", PASSWORD)], None)
            .await
            .session_cookie()
            .unwrap();
        let form = [("name", ""), ("company", "Acme"), ("timezone", "Asia/Tokyo"), ("booking_enabled", "on")];
        let answer = plain_post(&app, "/api/update_profile", "/settings", &form, Some(&cookie)).await;
        assert_clean_redirect(&answer, "/settings");
        let page = app.get("/settings", Some(&cookie)).await;
        assert!(
            page.body.contains("<option value=\"Asia/Tokyo\" selected"),
            "{backend:?}: the zone chosen stays chosen"
        );
        assert!(page.body.contains("id=\"name-error\""), "{backend:?}: the empty name is marked");
        app.cleanup().await;
    }
}
