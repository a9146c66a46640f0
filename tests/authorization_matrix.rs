//! Every registered server function, called as a visitor, as a user and as an admin. A server
//! function missing from the table fails this test: adding one means deciding who may call it.
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use common::{Backend, app};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anyone may call it (sign-in, sign-up, and the "who am I" probe).
    Public,
    /// Any signed-in user.
    User,
    /// Admins only.
    Admin,
}

/// Form fields sent with a call.
type Args = &'static [(&'static str, &'static str)];

/// Each server function with arguments that would succeed for an authorised caller, so that a
/// refusal can only come from the access check. `{target}` is replaced by a third account's id,
/// `{strategy}` by the id of a strategy of the user (which admins reach too), `{client}` by the id
/// of a client of the user, `{import}` by the id of a CSV import of the user (which only the user
/// reaches: an admin gets "not found", which is not a refusal).
const MATRIX: &[(&str, Access, Args)] = &[
    ("/api/signup", Access::Public, &[]),
    ("/api/signup_status", Access::Public, &[]),
    ("/api/login", Access::Public, &[]),
    ("/api/logout", Access::Public, &[]),
    ("/api/whoami", Access::Public, &[]),
    ("/api/system_status", Access::Admin, &[]),
    ("/api/load_first_steps", Access::User, &[]),
    ("/api/load_dashboard", Access::User, &[]),
    ("/api/logout_elsewhere", Access::User, &[]),
    ("/api/settings", Access::User, &[]),
    ("/api/update_profile", Access::User, &[("name", "Someone"), ("timezone", "UTC")]),
    (
        "/api/change_password",
        Access::User,
        &[("current_password", PASSWORD), ("new_password", PASSWORD), ("confirm_password", PASSWORD)],
    ),
    ("/api/list_users", Access::Admin, &[("q", ""), ("page", "1")]),
    (
        "/api/create_user",
        Access::Admin,
        &[("name", "New"), ("email", "new@example.com"), ("role", "user"), ("password", PASSWORD)],
    ),
    ("/api/set_user_role", Access::Admin, &[("user_id", "{target}"), ("role", "user")]),
    (
        "/api/rename_user",
        Access::Admin,
        &[("user_id", "{target}"), ("name", "Target Renamed"), ("email", "target@example.com")],
    ),
    ("/api/set_user_active", Access::Admin, &[("user_id", "{target}"), ("active", "true")]),
    ("/api/reset_user_password", Access::Admin, &[("user_id", "{target}"), ("password", PASSWORD)]),
    ("/api/list_strategies", Access::User, &[("q", ""), ("sort", "name"), ("page", "1")]),
    ("/api/get_strategy", Access::User, &[("id", "{strategy}")]),
    ("/api/create_strategy", Access::User, STRATEGY_FORM),
    (
        "/api/update_strategy",
        Access::User,
        &[
            ("id", "{strategy}"),
            ("name", "Matrix"),
            ("creativity", "5"),
            ("reply_delay_min", "0"),
            ("reply_delay_max", "0"),
        ],
    ),
    ("/api/duplicate_strategy", Access::User, &[("id", "{strategy}")]),
    ("/api/make_default_strategy", Access::User, &[("id", "{strategy}")]),
    ("/api/share_strategy", Access::Admin, &[("id", "{strategy}"), ("shared", "false")]),
    ("/api/strategy_options", Access::User, &[]),
    ("/api/list_clients", Access::User, &[]),
    ("/api/find_clients", Access::User, &[("q", "matrix")]),
    ("/api/client_filters", Access::User, &[]),
    ("/api/client_editor", Access::User, &[("id", "{client}")]),
    ("/api/create_client", Access::User, &[("name", "Matrix lead"), ("strategy_id", "{strategy}")]),
    ("/api/update_client", Access::User, &[("id", "{client}"), ("name", "Renamed"), ("strategy_id", "{strategy}")]),
    ("/api/bulk_clients", Access::User, &[("action", "status"), ("ids[0]", "{client}"), ("status", "won")]),
    ("/api/client_profile", Access::User, &[("id", "{client}")]),
    ("/api/client_messages", Access::User, &[("id", "{client}")]),
    ("/api/client_activity", Access::User, &[("id", "{client}")]),
    ("/api/client_notes", Access::User, &[("id", "{client}")]),
    ("/api/add_client_note", Access::User, &[("id", "{client}"), ("body", "Call back on Monday.")]),
    ("/api/move_client", Access::User, &[("id", "{client}"), ("status", "contacted")]),
    ("/api/load_pipeline", Access::User, &[]),
    ("/api/load_pipeline_cards", Access::User, &[("status", "lead"), ("after", "1.1")]),
    ("/api/client_import", Access::User, &[("id", "{import}")]),
    ("/api/client_import_progress", Access::User, &[("id", "{import}")]),
    (
        "/api/start_client_import",
        Access::User,
        &[
            ("id", "{import}"),
            ("col_name", "0"),
            ("strategy_id", "{strategy}"),
            ("duplicate_key", "none"),
            ("on_duplicate", "skip"),
        ],
    ),
    ("/api/set_client_import_separator", Access::User, &[("id", "{import}"), ("separator", "semicolon")]),
    ("/api/client_import_history", Access::User, &[]),
    // After the other import rows: the user's call deletes the import if it is still a draft.
    ("/api/discard_client_import", Access::User, &[("id", "{import}")]),
    ("/api/list_bookings", Access::User, &[("from", "2027-03-01T00:00:00Z"), ("to", "2027-03-08T00:00:00Z")]),
    (
        "/api/create_booking",
        Access::User,
        &[("booking_type_id", "{booking_type}"), ("starts_at", "2027-03-02T10:00:00Z"), ("subject", "Matrix call")],
    ),
    ("/api/reschedule_booking", Access::User, &[("id", "{booking}"), ("starts_at", "2027-03-03T11:00:00Z")]),
    ("/api/edit_booking", Access::User, &[("id", "{booking}"), ("subject", "Edited"), ("notes", "Bring numbers.")]),
    ("/api/record_booking_outcome", Access::User, &[("id", "{booking}"), ("outcome", "completed")]),
    ("/api/list_booking_types", Access::User, &[]),
    ("/api/create_booking_type", Access::User, BOOKING_TYPE_FORM),
    (
        "/api/update_booking_type",
        Access::User,
        &[
            ("id", "{booking_type}"),
            ("name", "Intro call"),
            ("slug", "intro-call"),
            ("duration_min", "30"),
            ("slot_interval_min", "30"),
            ("buffer_before_min", "0"),
            ("buffer_after_min", "10"),
            ("min_notice_min", "60"),
            ("rolling_days", "30"),
            ("location_kind", "phone"),
            ("active", "true"),
        ],
    ),
    (
        "/api/booking_free_slots",
        Access::User,
        &[("booking_type_id", "{booking_type}"), ("from", "2027-03-01T00:00:00Z"), ("to", "2027-03-08T00:00:00Z")],
    ),
    ("/api/booking_availability", Access::User, &[]),
    ("/api/set_weekly_hours", Access::User, &[("mon", "09:00-12:00, 13:00-17:00"), ("tue", "09:00-17:00")]),
    ("/api/set_date_override", Access::User, &[("date", "2027-03-05"), ("hours", "10:00-12:00")]),
    ("/api/load_calendar", Access::User, &[("view", "week"), ("date", "2027-03-01")]),
    ("/api/load_booking_list", Access::User, &[("made_from", "2027-03-01"), ("sort", "-made")]),
    ("/api/load_booking", Access::User, &[("id", "{booking}")]),
    ("/api/load_booking_form", Access::User, &[("client", "{client}"), ("date", "2027-03-01")]),
    (
        "/api/book_from_form",
        Access::User,
        &[("booking_type_id", "{booking_type}"), ("date", "2027-03-04"), ("time", "10:00"), ("subject", "Matrix form")],
    ),
    ("/api/reschedule_from_form", Access::User, &[("id", "{booking}"), ("date", "2027-03-05"), ("time", "09:00")]),
    ("/api/cancel_booking", Access::User, &[("id", "{booking}"), ("reason", "Matrix")]),
    ("/api/public_booking_page", Access::Public, &[("slug", "nobody"), ("tz", "UTC")]),
    (
        "/api/book_public_slot",
        Access::Public,
        &[
            ("slug", "nobody"),
            ("booking_type", "call"),
            ("tz", "UTC"),
            ("starts_at", "2027-03-01T10:00:00Z"),
            ("name", "Lead"),
            ("email", "lead@example.com"),
        ],
    ),
    ("/api/public_booking", Access::Public, &[("token", "ab12")]),
    ("/api/talk_page", Access::Public, &[("slug", "nobody")]),
    (
        "/api/start_talk",
        Access::Public,
        &[("slug", "nobody"), ("name", "Matrix Lead"), ("email", "lead@example.com"), ("body", "Hello")],
    ),
    ("/api/send_talk_message", Access::Public, &[("slug", "nobody"), ("body", "Hello")]),
    ("/api/reschedule_public_booking", Access::Public, &[("token", "ab12"), ("starts_at", "2027-03-01T10:00:00Z")]),
    ("/api/cancel_public_booking", Access::Public, &[("token", "ab12"), ("reason", "Matrix")]),
    ("/api/load_booking_links", Access::User, &[]),
    ("/api/regenerate_calendar_feed", Access::User, &[]),
    ("/api/set_booking_slug", Access::User, &[("booking_slug", "matrix-link")]),
    ("/api/load_embed_settings", Access::User, &[]),
    ("/api/save_embed_origins", Access::User, &[("embed_origins", "https://matrix.example")]),
    // After every row that uses the type: the user's call deletes it (the user made a second one).
    ("/api/delete_booking_type", Access::User, &[("id", "{booking_type}"), ("confirm", "on")]),
    ("/api/load_inbox", Access::User, &[("q", ""), ("show", "waiting")]),
    ("/api/send_chat_message", Access::User, &[("client_id", "{client}"), ("body", "Hello from the matrix")]),
    ("/api/load_thread", Access::User, &[("client_id", "{client}")]),
    ("/api/mark_chat_read", Access::User, &[("client_id", "{client}")]),
    ("/api/set_chat_ai_mode", Access::User, &[("client_id", "{client}"), ("mode", "suggest")]),
    ("/api/set_chat_state", Access::User, &[("client_id", "{client}"), ("state", "closed")]),
    ("/api/ai_action", Access::User, &[("client_id", "{client}"), ("action", "resume")]),
    ("/api/try_persona", Access::User, &[("name", "Matrix"), ("turns[0][lead]", "true"), ("turns[0][text]", "Hello")]),
    ("/api/delete_client", Access::User, &[("id", "{client}"), ("confirm", "on")]),
    // Last of the strategy rows: the user's call deletes the strategy the others use.
    ("/api/delete_strategy", Access::User, &[("id", "{strategy}")]),
];

/// A booking type of the caller's (each call needs its own slug: the second caller is an admin
/// creating one for themselves).
const BOOKING_TYPE_FORM: Args = &[
    ("name", "Demo"),
    ("slug", "demo"),
    ("duration_min", "45"),
    ("slot_interval_min", "15"),
    ("buffer_before_min", "5"),
    ("buffer_after_min", "5"),
    ("min_notice_min", "120"),
    ("rolling_days", "60"),
    ("max_per_day", "4"),
    ("location_kind", "video"),
    ("location_value", "https://meet.example.com/demo"),
    ("active", "true"),
];

const STRATEGY_FORM: Args =
    &[("name", "Matrix"), ("creativity", "5"), ("reply_delay_min", "0"), ("reply_delay_max", "0")];

const PASSWORD: &str = "violet staircase at noon";

/// The accounts and rows the matrix's arguments name.
struct Fixture {
    admin: String,
    user: String,
    target_id: String,
    strategy_id: String,
    client_id: String,
    import_id: String,
    booking_type_id: String,
    booking_id: String,
}

async fn fixture(app: &app::TestApp) -> Fixture {
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
    let target = app
        .post_form("/api/signup", &[("name", "Target"), ("email", "target@example.com"), ("password", PASSWORD)], None)
        .await;
    assert!(target.status.is_success());
    let target_id = crm::users::entity::Entity::find()
        .filter(crm::users::entity::Column::Email.eq("target@example.com"))
        .one(&app.db.conn)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string();

    let strategy = app.post_form("/api/create_strategy", STRATEGY_FORM, Some(&user)).await;
    assert!(strategy.status.is_success(), "{}", strategy.body);
    let strategy_id = serde_json::from_str::<crm::strategies::model::Strategy>(&strategy.body).unwrap().id.to_string();

    let created = app
        .post_form("/api/create_client", &[("name", "Lead"), ("strategy_id", strategy_id.as_str())], Some(&user))
        .await;
    assert!(created.status.is_success() || created.status.is_redirection(), "{}", created.body);
    let client_id = crm::clients::entity::Entity::find().one(&app.db.conn).await.unwrap().unwrap().id.to_string();

    let boundary = "matrixboundary";
    let upload = app
        .send(
            axum::http::Request::post("/clients/imports")
                .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                .header("cookie", user.as_str())
                .body(axum::body::Body::from(format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nName\nAna\r\n--{boundary}--\r\n"
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(upload.status, StatusCode::SEE_OTHER, "{}", upload.body);
    let import_id = upload.location().unwrap().rsplit('/').next().unwrap().to_owned();
    let owner = crm::users::entity::Entity::find()
        .filter(crm::users::entity::Column::Email.eq("user@example.com"))
        .one(&app.db.conn)
        .await
        .unwrap()
        .unwrap();
    let booking_type = crm::bookings::types::entity::Entity::find()
        .filter(crm::bookings::types::entity::Column::OwnerId.eq(owner.id))
        .one(&app.db.conn)
        .await
        .unwrap()
        .expect("every account has a default booking type");
    let booked = app
        .post_form(
            "/api/create_booking",
            &[("booking_type_id", booking_type.id.to_string().as_str()), ("starts_at", "2027-03-01T10:00:00Z")],
            Some(&user),
        )
        .await;
    assert!(booked.status.is_success(), "{}", booked.body);
    let booking_id = serde_json::from_str::<crm::bookings::model::Booking>(&booked.body).unwrap().id.to_string();
    let booking_type_id = booking_type.id.to_string();
    Fixture { admin, user, target_id, strategy_id, client_id, import_id, booking_type_id, booking_id }
}

impl Fixture {
    /// A row's arguments with the placeholders filled in.
    fn args(&self, args: Args) -> Vec<(&'static str, &str)> {
        args.iter()
            .map(|(key, value)| {
                let value = match *value {
                    "{target}" => self.target_id.as_str(),
                    "{strategy}" => self.strategy_id.as_str(),
                    "{client}" => self.client_id.as_str(),
                    "{import}" => self.import_id.as_str(),
                    "{booking}" => self.booking_id.as_str(),
                    "{booking_type}" => self.booking_type_id.as_str(),
                    other => other,
                };
                (*key, value)
            })
            .collect()
    }

    /// The session of someone allowed to call a row's server function.
    fn allowed(&self, access: Access) -> &str {
        if access == Access::Admin { &self.admin } else { &self.user }
    }
}

#[tokio::test]
async fn every_server_function_checks_who_calls_it() {
    let app = app::start_with(Backend::Sqlite, &[("CRM_ALLOW_SIGNUP", "true")]).await;
    let fixture = fixture(&app).await;
    let (admin, user) = (fixture.admin.clone(), fixture.user.clone());

    let mut registered: Vec<&str> = leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path).collect();
    registered.sort_unstable();
    registered.dedup();
    let mut covered: Vec<&str> = MATRIX.iter().map(|(path, _, _)| *path).collect();
    covered.sort_unstable();
    assert_eq!(registered, covered, "every server function needs a row in MATRIX");

    for (path, access, args) in MATRIX {
        // Logging out would end the sessions the next rows need; it is called last, below.
        if *path == "/api/logout" {
            continue;
        }
        let args = fixture.args(args);
        let as_visitor = app.post_form(path, &args, None).await.status;
        let as_user = app.post_form(path, &args, Some(&user)).await.status;
        let as_admin = app.post_form(path, &args, Some(&admin)).await.status;
        let denied = |status: StatusCode| status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN;
        let ok = |status: StatusCode| status.is_success();
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
                assert!(ok(as_admin), "{path}: admins may call it, got {as_admin}");
            }
        }
    }
    for cookie in [None, Some(user.as_str())] {
        let status = app.post_form("/api/logout", &[], cookie).await.status;
        assert!(status.is_success() || status.is_redirection(), "logout answers everyone, got {status}");
    }
    app.cleanup().await;
}

/// Oversized, malformed and hostile input to every server function, from a caller who may call
/// it: a clear 4xx each time, never a 500.
#[tokio::test]
async fn every_server_function_refuses_bad_input_with_a_4xx() {
    let app = app::start_with(Backend::Sqlite, &[("CRM_ALLOW_SIGNUP", "true")]).await;
    let fixture = fixture(&app).await;
    let long = "x".repeat(20_001);
    let huge = "y".repeat(3 * 1024 * 1024);
    for (path, access, args) in MATRIX {
        if *path == "/api/logout" {
            continue;
        }
        let cookie = fixture.allowed(*access);
        let args = fixture.args(args);
        let text_key = args.iter().map(|(key, _)| *key).find(|key| !key.contains('[')).unwrap_or("q");
        let with = |key: &'static str, value: &str| -> Vec<(String, String)> {
            let mut replaced: Vec<(String, String)> =
                args.iter().filter(|(k, _)| *k != key).map(|(k, v)| (k.to_string(), v.to_string())).collect();
            replaced.push((key.to_owned(), value.to_owned()));
            replaced
        };
        let post = |form: Vec<(String, String)>| {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
            app.send(
                axum::http::Request::post(*path)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("cookie", cookie)
                    .body(axum::body::Body::from(body))
                    .unwrap(),
            )
        };
        let over_long = post(with(text_key, &long)).await;
        assert_eq!(over_long.status, StatusCode::UNPROCESSABLE_ENTITY, "{path} {text_key}: {}", over_long.body);
        let nul = post(with(text_key, "a\0b")).await;
        assert_eq!(nul.status, StatusCode::UNPROCESSABLE_ENTITY, "{path} {text_key} with NUL: {}", nul.body);
        let escape = post(with(text_key, "a\u{1b}[31mb")).await;
        assert_eq!(escape.status, StatusCode::UNPROCESSABLE_ENTITY, "{path} with ESC: {}", escape.body);
        let too_large = post(with(text_key, &huge)).await;
        assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE, "{path}: {}", too_large.body);
        // A numeric argument that is not a number, and the same key twice.
        for (key, value) in &args {
            if value.parse::<i64>().is_ok() && !key.contains('[') {
                let malformed = post(with(key, "abc")).await;
                assert!(
                    malformed.status == StatusCode::BAD_REQUEST || malformed.status == StatusCode::UNPROCESSABLE_ENTITY,
                    "{path} {key}=abc: {} {}",
                    malformed.status,
                    malformed.body
                );
                let mut twice = with(key, value);
                twice.push((key.to_string(), value.to_string()));
                let duplicate = post(twice).await;
                assert!(
                    duplicate.status.is_client_error(),
                    "{path} {key} twice: {} {}",
                    duplicate.status,
                    duplicate.body
                );
            }
        }
    }
    app.cleanup().await;
}
