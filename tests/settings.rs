//! `/settings`: saving the profile (validated, audited) and changing the password (which ends
//! the user's other sessions), through the server functions, on both backends.
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use common::{BACKENDS, app::TestApp};
use crm::{
    audit::entity as audit_log,
    users::profile::{SettingsData, WEEKDAYS},
};
use sea_orm::{EntityTrait, QueryOrder};

const PASSWORD: &str = "violet staircase at noon";

async fn sign_up(app: &TestApp, email: &str) -> String {
    app.post_form("/api/signup", &[("name", "Ana"), ("email", email), ("password", PASSWORD)], None)
        .await
        .session_cookie()
        .expect("sign-up starts a session")
}

async fn login(app: &TestApp, email: &str, password: &str) -> Option<String> {
    let response = app.post_form("/api/login", &[("email", email), ("password", password)], None).await;
    response.status.is_success().then(|| response.session_cookie()).flatten()
}

async fn settings(app: &TestApp, cookie: &str) -> SettingsData {
    let response = app.post_form("/api/settings", &[], Some(cookie)).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    serde_json::from_str(&response.body).unwrap()
}

fn profile_form<'a>(overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("name", "Ana Lima"),
        ("company", "Lima & Co"),
        ("timezone", "Europe/Lisbon"),
        ("booking_enabled", "on"),
        ("hours[mon_on]", "on"),
        ("hours[mon_start]", "08:30"),
        ("hours[mon_end]", "12:00"),
        ("hours[sat_on]", "on"),
        ("hours[sat_start]", "10:00"),
        ("hours[sat_end]", "14:00"),
        ("ghl_calendar_id", "cal_123"),
        ("ghl_location_id", "loc-9"),
        ("ghl_assigned_user_id", ""),
    ];
    for (key, value) in overrides {
        form.retain(|(k, _)| k != key);
        form.push((key, value));
    }
    form
}

#[tokio::test]
async fn a_saved_profile_comes_back_and_is_audited_field_by_field() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let cookie = sign_up(&app, "ana@example.com").await;
        let before = settings(&app, &cookie).await;
        assert_eq!(before.profile.timezone, "UTC");
        assert_eq!(before.profile.working_hours.days.len(), 7);
        assert!(before.timezones.iter().any(|zone| zone == "America/Sao_Paulo"));

        let response = app.post_form("/api/update_profile", &profile_form(&[]), Some(&cookie)).await;
        assert_eq!(response.status, StatusCode::OK, "{backend:?}: {}", response.body);

        let after = settings(&app, &cookie).await.profile;
        assert_eq!((after.name.as_str(), after.company.as_str()), ("Ana Lima", "Lima & Co"));
        assert_eq!(after.timezone, "Europe/Lisbon");
        assert!(after.booking_enabled);
        let enabled: Vec<&str> =
            after.working_hours.days.iter().filter(|day| day.enabled).map(|day| day.day.as_str()).collect();
        assert_eq!(enabled, ["mon", "sat"], "{backend:?}");
        assert_eq!(after.working_hours.days[0].start, "08:30");
        assert_eq!((after.ghl_calendar_id.as_str(), after.ghl_assigned_user_id.as_str()), ("cal_123", ""));

        let entries = audit_log::Entity::find().order_by_asc(audit_log::Column::Id).all(&app.db.conn).await.unwrap();
        let update = entries.iter().find(|entry| entry.action == "update").expect("an update is audited");
        let changes = update.changes.as_ref().unwrap();
        for field in ["name", "company", "timezone", "booking_enabled", "working_hours", "ghl_calendar_id"] {
            assert!(changes.get(field).is_some(), "{backend:?}: {field} recorded in {changes}");
        }
        assert!(changes.get("ghl_assigned_user_id").is_none(), "unchanged fields are not recorded");
        assert_eq!(update.actor_id, Some(update.entity_id));

        // Saving the same values again changes nothing and records nothing.
        app.post_form("/api/update_profile", &profile_form(&[]), Some(&cookie)).await;
        let count = audit_log::Entity::find().all(&app.db.conn).await.unwrap().len();
        assert_eq!(count, entries.len(), "{backend:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn invalid_settings_name_each_field_and_change_nothing() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let cookie = sign_up(&app, "ana@example.com").await;
        let before = settings(&app, &cookie).await.profile;
        let form = profile_form(&[
            ("name", " "),
            ("timezone", "Mars/Olympus_Mons"),
            ("hours[mon_start]", "17:00"),
            ("hours[mon_end]", "09:00"),
            ("hours[sat_start]", "25:00"),
            ("ghl_location_id", "has spaces"),
        ]);
        let response = app.post_form("/api/update_profile", &form, Some(&cookie)).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}");
        for field in ["name", "timezone", "hours_mon", "hours_sat", "ghl_location_id"] {
            assert!(response.body.contains(&format!("\"{field}\"")), "{backend:?}: {field} in {}", response.body);
        }
        assert_eq!(settings(&app, &cookie).await.profile, before, "{backend:?}: nothing changed");

        let no_days: Vec<(&str, &str)> =
            profile_form(&[]).into_iter().filter(|(key, _)| !key.ends_with("_on]")).collect();
        let response = app.post_form("/api/update_profile", &no_days, Some(&cookie)).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.body.contains("booking_enabled"), "{}", response.body);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn every_weekday_can_be_saved() {
    let app = common::app::start(common::Backend::Sqlite).await;
    let cookie = sign_up(&app, "ana@example.com").await;
    let keys: Vec<(String, String)> = WEEKDAYS
        .iter()
        .flat_map(|(day, _)| {
            [
                (format!("hours[{day}_on]"), "on".to_owned()),
                (format!("hours[{day}_start]"), "07:00".to_owned()),
                (format!("hours[{day}_end]"), "19:45".to_owned()),
            ]
        })
        .collect();
    let mut form: Vec<(&str, &str)> = vec![("name", "Ana"), ("timezone", "Asia/Tokyo")];
    form.extend(keys.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let response = app.post_form("/api/update_profile", &form, Some(&cookie)).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    let profile = settings(&app, &cookie).await.profile;
    assert!(profile.working_hours.days.iter().all(|day| day.enabled && day.end == "19:45"));
    assert!(!profile.booking_enabled);
    app.cleanup().await;
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_and_keeps_this_one() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let here = sign_up(&app, "ana@example.com").await;
        let elsewhere = login(&app, "ana@example.com", PASSWORD).await.unwrap();
        const NEW: &str = "quiet harbour lanterns";

        let wrong = app
            .post_form(
                "/api/change_password",
                &[("current_password", "not my password"), ("new_password", NEW), ("confirm_password", NEW)],
                Some(&here),
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}");
        assert!(wrong.body.contains("current_password"), "{}", wrong.body);

        let mismatch = app
            .post_form(
                "/api/change_password",
                &[("current_password", PASSWORD), ("new_password", NEW), ("confirm_password", "something else")],
                Some(&here),
            )
            .await;
        assert!(mismatch.body.contains("confirm_password"), "{}", mismatch.body);
        assert!(login(&app, "ana@example.com", PASSWORD).await.is_some(), "{backend:?}: nothing changed yet");

        let changed = app
            .post_form(
                "/api/change_password",
                &[("current_password", PASSWORD), ("new_password", NEW), ("confirm_password", NEW)],
                Some(&here),
            )
            .await;
        assert_eq!(changed.status, StatusCode::OK, "{backend:?}: {}", changed.body);
        assert_eq!(changed.body, "2", "{backend:?}: the two other sessions ended");
        let renewed = changed.session_cookie().expect("the session id is renewed");
        assert_ne!(renewed, here);
        assert_eq!(app.get("/settings", Some(&renewed)).await.status, StatusCode::OK, "{backend:?}: still signed in");
        assert_eq!(app.get("/settings", Some(&here)).await.status, StatusCode::SEE_OTHER, "old id is gone");
        assert_eq!(app.get("/settings", Some(&elsewhere)).await.status, StatusCode::SEE_OTHER, "{backend:?}");
        assert!(login(&app, "ana@example.com", PASSWORD).await.is_none(), "the old password no longer works");
        assert!(login(&app, "ana@example.com", NEW).await.is_some(), "the new one does");

        let audited = audit_log::Entity::find().all(&app.db.conn).await.unwrap();
        let entry = audited.iter().find(|entry| entry.changes.as_ref().is_some_and(|c| c.get("password").is_some()));
        let recorded = entry.expect("the password change is audited").changes.clone().unwrap().to_string();
        assert!(!recorded.contains(NEW) && !recorded.contains("argon2"), "no secret in the log: {recorded}");
        app.cleanup().await;
    }
}
