//! The booking service on SQLite and on PostgreSQL + Redis: simultaneous requests for one slot (one
//! wins, the others get the conflict and nothing is written), equal and overlapping intervals,
//! buffers, rescheduling into taken time, cancelling frees time, outcomes, who reaches what, the
//! audit log, and a property test that a booking on any offered slot succeeds.
#![cfg(feature = "ssr")]

mod common;

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, Duration, Utc};
use common::{BACKENDS, accounts::account, app::TestApp};
use crm::{
    audit::entity as audit_log,
    bookings::{
        availability::service::free_slots,
        entity as bookings,
        model::{BookingDetails, BookingStatus, NewBooking, Outcome},
        service,
        types::entity as booking_types,
    },
    shared::AppError,
    users::{entity as users, model::CurrentUser},
};
use proptest::prelude::*;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

/// The admin first (the first account of a database), then Ana, an ordinary user.
async fn people(app: &TestApp) -> (CurrentUser, CurrentUser) {
    let admin = account(app, "Admin", "admin@example.com").await;
    let ana = account(app, "Ana", "ana@example.com").await;
    (admin, ana)
}

async fn default_type(app: &TestApp, owner: i64) -> booking_types::Model {
    booking_types::Entity::find()
        .filter(booking_types::Column::OwnerId.eq(owner))
        .one(&app.db.conn)
        .await
        .unwrap()
        .unwrap()
}

async fn set_buffers(app: &TestApp, type_id: i64, before: i32, after: i32) {
    booking_types::Entity::update_many()
        .col_expr(booking_types::Column::BufferBeforeMin, Expr::value(before))
        .col_expr(booking_types::Column::BufferAfterMin, Expr::value(after))
        .filter(booking_types::Column::Id.eq(type_id))
        .exec(&app.db.conn)
        .await
        .unwrap();
}

async fn open_bookings(app: &TestApp, owner: i64, zone: &str) {
    users::Entity::update_many()
        .col_expr(users::Column::BookingEnabled, Expr::value(true))
        .col_expr(users::Column::Timezone, Expr::value(zone))
        .filter(users::Column::Id.eq(owner))
        .exec(&app.db.conn)
        .await
        .unwrap();
}

fn by_hand(owner: i64, type_id: Option<i64>, starts_at: DateTime<Utc>, minutes: i64) -> NewBooking {
    NewBooking {
        owner_id: owner,
        booking_type_id: type_id,
        starts_at,
        ends_at: Some(starts_at + Duration::minutes(minutes)),
        timezone: "Europe/Berlin".into(),
        subject: "Discovery call".into(),
        ..Default::default()
    }
}

async fn active_count(app: &TestApp, owner: i64) -> u64 {
    bookings::Entity::find()
        .filter(bookings::Column::OwnerId.eq(owner))
        .filter(bookings::Column::Status.is_in(BookingStatus::ACTIVE))
        .count(&app.db.conn)
        .await
        .unwrap()
}

async fn booking_audits(app: &TestApp, action: &str) -> u64 {
    audit_log::Entity::find()
        .filter(audit_log::Column::Entity.eq("booking"))
        .filter(audit_log::Column::Action.eq(action))
        .count(&app.db.conn)
        .await
        .unwrap()
}

/// Sends every input at once; returns the successes and the errors.
async fn race(app: &TestApp, user: &CurrentUser, inputs: Vec<NewBooking>) -> (usize, Vec<AppError>) {
    let tasks = inputs.into_iter().map(|input| {
        let (state, user) = (app.state.clone(), user.clone());
        tokio::spawn(async move { service::create(&state, &user, input).await })
    });
    let mut wins = 0;
    let mut errors = Vec::new();
    for result in futures::future::join_all(tasks).await {
        match result.unwrap() {
            Ok(_) => wins += 1,
            Err(error) => errors.push(error),
        }
    }
    (wins, errors)
}

fn assert_all_conflicts(errors: &[AppError], backend: common::Backend) {
    for error in errors {
        match error {
            AppError::Conflict(message) => {
                assert!(message.contains("overlaps the booking of"), "{backend:?}: {message}")
            }
            other => panic!("{backend:?}: expected a conflict, got {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_requests_for_one_slot_one_wins_and_nineteen_conflict() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (_, ana) = people(&app).await;
        let call = default_type(&app, ana.id).await;
        let start = at("2027-03-01T10:00:00Z");

        // The same interval twenty times.
        let inputs = (0..20).map(|_| by_hand(ana.id, Some(call.id), start, 30)).collect();
        let (wins, errors) = race(&app, &ana, inputs).await;
        assert_eq!((wins, errors.len()), (1, 19), "{backend:?}: equal intervals");
        assert_all_conflicts(&errors, backend);
        assert_eq!(active_count(&app, ana.id).await, 1);
        assert_eq!(booking_audits(&app, "create").await, 1, "{backend:?}: losers write no audit record");

        // 10:00-10:30 against 10:15-10:45, ten each, on another day.
        let day = start + Duration::days(1);
        let inputs =
            (0..20).map(|n| by_hand(ana.id, Some(call.id), day + Duration::minutes(15 * (n % 2)), 30)).collect();
        let (wins, errors) = race(&app, &ana, inputs).await;
        assert_eq!((wins, errors.len()), (1, 19), "{backend:?}: overlapping intervals");
        assert_all_conflicts(&errors, backend);

        // Only the buffers overlap: 30-minute meetings two minutes apart up to 38 minutes apart
        // with 15 minutes after each.
        set_buffers(&app, call.id, 0, 15).await;
        let day = start + Duration::days(2);
        let inputs = (0..20).map(|n| by_hand(ana.id, Some(call.id), day + Duration::minutes(2 * n), 30)).collect();
        let (wins, errors) = race(&app, &ana, inputs).await;
        assert_eq!((wins, errors.len()), (1, 19), "{backend:?}: buffers");
        assert_all_conflicts(&errors, backend);
        assert_eq!(active_count(&app, ana.id).await, 3);
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cap_per_day_holds_when_ten_visitors_book_different_times_at_once() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (_, ana) = people(&app).await;
        let call = default_type(&app, ana.id).await;
        open_bookings(&app, ana.id, "Europe/Berlin").await;
        booking_types::Entity::update_many()
            .col_expr(booking_types::Column::MaxPerDay, Expr::value(3))
            .filter(booking_types::Column::Id.eq(call.id))
            .exec(&app.db.conn)
            .await
            .unwrap();
        let now = at("2027-03-01T06:00:00Z");
        let offered = |starts_at| NewBooking {
            owner_id: ana.id,
            booking_type_id: Some(call.id),
            starts_at,
            timezone: "Europe/Berlin".into(),
            ..Default::default()
        };
        // Monday 1 March 2027 offers sixteen half hours (09:00-17:00 in Berlin); ten visitors take
        // ten different ones at once. The day holds three.
        let tasks = (0..10).map(|n| {
            let state = app.state.clone();
            let input = offered(at("2027-03-01T08:00:00Z") + Duration::minutes(30 * n));
            tokio::spawn(async move { service::book_offered_slot(&state, None, input, now).await })
        });
        let results: Vec<_> = futures::future::join_all(tasks).await.into_iter().map(Result::unwrap).collect();
        let wins = results.iter().filter(|result| result.is_ok()).count();
        assert_eq!(wins, 3, "{backend:?}: {results:?}");
        for error in results.into_iter().filter_map(Result::err) {
            match error {
                AppError::Conflict(message) => {
                    assert!(message.contains("Monday 1 March is now fully booked"), "{backend:?}: {message}")
                }
                other => panic!("{backend:?}: expected a conflict, got {other:?}"),
            }
        }
        assert_eq!(active_count(&app, ana.id).await, 3);
        assert_eq!(booking_audits(&app, "create").await, 3, "{backend:?}: losers write nothing");
        // The next day is another day; by hand the owner may still book the full one.
        service::book_offered_slot(&app.state, None, offered(at("2027-03-02T08:00:00Z")), now).await.unwrap();
        service::create(&app.state, &ana, by_hand(ana.id, Some(call.id), at("2027-03-01T15:30:00Z"), 30))
            .await
            .unwrap();
        assert_eq!(active_count(&app, ana.id).await, 5);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn rescheduling_into_taken_time_is_refused_and_cancelling_frees_it() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (_, ana) = people(&app).await;
        let call = default_type(&app, ana.id).await;
        set_buffers(&app, call.id, 10, 10).await;
        let first = service::create(&app.state, &ana, by_hand(ana.id, Some(call.id), at("2027-03-01T10:00:00Z"), 30))
            .await
            .unwrap();
        assert_eq!(first.blocked_from, at("2027-03-01T09:50:00Z"));
        assert_eq!(first.blocked_until, at("2027-03-01T10:40:00Z"));
        let second = service::create(&app.state, &ana, by_hand(ana.id, Some(call.id), at("2027-03-01T11:00:00Z"), 30))
            .await
            .unwrap();

        // 10:35 is free of the meeting but not of its buffer.
        let refused = service::reschedule(&app.state, &ana, second.id, at("2027-03-01T10:35:00Z")).await;
        match refused {
            Err(AppError::Conflict(message)) => {
                assert!(message.contains("Mon 1 Mar 2027, 11:00–11:30 (Europe/Berlin)"), "{backend:?}: {message}")
            }
            other => panic!("{backend:?}: {other:?}"),
        }
        let unchanged = service::get(&app.state, &ana, second.id).await.unwrap();
        assert_eq!((unchanged.starts_at, unchanged.sequence), (second.starts_at, 0));

        let cancelled = service::cancel(&app.state, &ana, first.id, "The lead asked to move it.").await.unwrap();
        assert_eq!(cancelled.status, BookingStatus::Cancelled);
        assert_eq!(cancelled.cancel_reason, "The lead asked to move it.");
        assert_eq!(cancelled.sequence, 1);
        let moved = service::reschedule(&app.state, &ana, second.id, at("2027-03-01T10:00:00Z")).await.unwrap();
        assert_eq!(
            (moved.starts_at, moved.ends_at, moved.sequence),
            (at("2027-03-01T10:00:00Z"), at("2027-03-01T10:30:00Z"), 1)
        );
        assert_eq!(moved.blocked_from, at("2027-03-01T09:50:00Z"), "{backend:?}: buffers move along");

        // A cancelled booking stays cancelled.
        assert!(matches!(service::cancel(&app.state, &ana, first.id, "").await, Err(AppError::Conflict(_))));
        assert!(matches!(
            service::reschedule(&app.state, &ana, first.id, at("2027-03-02T10:00:00Z")).await,
            Err(AppError::Conflict(_))
        ));
        assert_eq!(booking_audits(&app, "create").await, 2);
        assert_eq!(booking_audits(&app, "update").await, 2, "{backend:?}: one cancel, one move");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn outcomes_details_and_who_reaches_a_booking() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (admin, ana) = people(&app).await;
        let bo = account(&app, "Bo", "bo@example.com").await;
        let past = Utc::now() - Duration::days(1);
        let past = past
            - Duration::seconds(past.timestamp() % 60)
            - Duration::nanoseconds(past.timestamp_subsec_nanos() as i64);
        let done = service::create(&app.state, &ana, by_hand(ana.id, None, past, 45)).await.unwrap();
        let later =
            service::create(&app.state, &ana, by_hand(ana.id, None, at("2030-01-07T09:00:00Z"), 30)).await.unwrap();

        // Another user's booking does not exist for them; an admin reaches it.
        assert!(matches!(service::get(&app.state, &bo, done.id).await, Err(AppError::NotFound(_))));
        assert!(matches!(service::cancel(&app.state, &bo, done.id, "").await, Err(AppError::NotFound(_))));
        assert!(matches!(
            service::create(&app.state, &bo, by_hand(ana.id, None, at("2030-01-08T09:00:00Z"), 30)).await,
            Err(AppError::NotFound(_))
        ));
        assert!(matches!(
            service::list(&app.state, &bo, ana.id, past, past + Duration::days(30)).await,
            Err(AppError::NotFound(_))
        ));
        assert_eq!(service::get(&app.state, &admin, done.id).await.unwrap().id, done.id);

        let now = Utc::now();
        assert!(matches!(
            service::record_outcome(&app.state, &ana, later.id, Outcome::Completed, now).await,
            Err(AppError::Conflict(_))
        ));
        let completed = service::record_outcome(&app.state, &ana, done.id, Outcome::NoShow, now).await.unwrap();
        assert_eq!(completed.status, BookingStatus::NoShow);
        let details =
            BookingDetails { subject: "Demo".into(), location: "Zoom".into(), notes: "Bring the numbers.".into() };
        let edited = service::edit_details(&app.state, &admin, later.id, &details).await.unwrap();
        assert_eq!((edited.subject.as_str(), edited.location.as_str()), ("Demo", "Zoom"));
        let too_long = BookingDetails { notes: "x".repeat(5_001), ..details.clone() };
        assert_eq!(
            service::edit_details(&app.state, &ana, later.id, &too_long).await.unwrap_err().field_message("notes"),
            Some("Use at most 5000 characters.")
        );
        let listed = service::list(&app.state, &ana, ana.id, past - Duration::hours(1), past + Duration::days(40))
            .await
            .unwrap();
        assert_eq!(listed.iter().map(|b| b.id).collect::<Vec<_>>(), [done.id]);

        // By hand, times must be whole minutes and end after the start.
        let odd = NewBooking {
            starts_at: at("2030-01-09T09:00:30Z"),
            ..by_hand(ana.id, None, at("2030-01-09T09:00:00Z"), 30)
        };
        assert!(service::create(&app.state, &ana, odd).await.unwrap_err().field_message("starts_at").is_some());
        let unknown_zone =
            NewBooking { timezone: "Mars/Olympus".into(), ..by_hand(ana.id, None, at("2030-01-09T09:00:00Z"), 30) };
        assert!(service::create(&app.state, &ana, unknown_zone).await.unwrap_err().field_message("timezone").is_some());
        app.cleanup().await;
    }
}

#[tokio::test]
async fn offered_slots_are_the_only_ones_the_public_way_can_book() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (_, ana) = people(&app).await;
        let call = default_type(&app, ana.id).await;
        let now = at("2027-03-01T06:00:00Z");
        let offered = NewBooking {
            owner_id: ana.id,
            booking_type_id: Some(call.id),
            starts_at: at("2027-03-01T13:00:00Z"),
            timezone: "America/New_York".into(),
            ..Default::default()
        };
        // Bookings are off until the owner switches them on.
        assert!(matches!(
            service::book_offered_slot(&app.state, None, offered.clone(), now).await,
            Err(AppError::Refused(_))
        ));
        open_bookings(&app, ana.id, "Europe/Berlin").await;
        let owner = users::Entity::find_by_id(ana.id).one(&app.db.conn).await.unwrap().unwrap();
        let range = (at("2027-03-01T00:00:00Z"), at("2027-03-02T00:00:00Z"));
        let zone: chrono_tz::Tz = "America/New_York".parse().unwrap();
        let slots = free_slots(&app.db.conn, &owner, &call, range, zone, now).await.unwrap();
        // Monday 1 March 2027, 09:00-17:00 in Berlin (08:00-16:00 UTC), two hours' notice from 06:00 UTC.
        assert_eq!(slots.first().map(|s| s.starts_at), Some(at("2027-03-01T08:00:00Z")));
        assert_eq!(slots.first().map(|s| s.time.as_str()), Some("03:00"), "labelled in the viewer's zone");
        assert_eq!(slots.len(), 16);

        let booked = service::book_offered_slot(&app.state, None, offered.clone(), now).await.unwrap();
        assert_eq!(booked.ends_at, at("2027-03-01T13:30:00Z"));
        let after = free_slots(&app.db.conn, &owner, &call, range, zone, now).await.unwrap();
        assert_eq!(after.len(), 15);
        assert!(!after.iter().any(|s| s.starts_at == booked.starts_at));
        assert!(matches!(
            service::book_offered_slot(&app.state, None, offered.clone(), now).await,
            Err(AppError::Conflict(_))
        ));
        // Outside the hours, or a Saturday: not offered, nothing written.
        for starts_at in [at("2027-03-01T18:00:00Z"), at("2027-03-06T10:00:00Z"), at("2027-03-01T14:10:00Z")] {
            let error = service::book_offered_slot(&app.state, None, NewBooking { starts_at, ..offered.clone() }, now)
                .await
                .unwrap_err();
            assert!(error.field_message("starts_at").is_some(), "{backend:?}: {starts_at}: {error:?}");
        }
        assert_eq!(active_count(&app, ana.id).await, 1);
        app.cleanup().await;
    }
}

fn zone_names() -> Vec<&'static str> {
    vec!["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Auckland"]
}

/// Days around a change in one of the zones.
fn days() -> Vec<&'static str> {
    vec![
        "2027-03-13T00:00:00Z",
        "2027-03-27T00:00:00Z",
        "2027-04-03T00:00:00Z",
        "2027-09-25T00:00:00Z",
        "2027-10-02T00:00:00Z",
        "2027-10-30T00:00:00Z",
        "2027-11-06T00:00:00Z",
    ]
}

#[derive(Debug, Clone)]
struct Case {
    zone: &'static str,
    day: &'static str,
    windows: Vec<(i16, i32, i32)>,
    buffers: (i32, i32),
    notice: i32,
    existing: Vec<(i64, i64)>,
    pick: usize,
}

fn cases() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(zone_names()),
        prop::sample::select(days()),
        prop::collection::vec((0i16..7, 0i32..80, 2i32..40), 1..8),
        (0i32..4, 0i32..4),
        0i32..600,
        prop::collection::vec((0i64..(4 * 24 * 4), 1i64..8), 0..8),
        0usize..1000,
    )
        .prop_map(|(zone, day, windows, buffers, notice, existing, pick)| Case {
            zone,
            day,
            windows: windows.into_iter().map(|(d, s, l)| (d, s * 15, (s * 15 + l * 15).min(1440))).collect(),
            buffers: (buffers.0 * 10, buffers.1 * 10),
            notice,
            existing,
            pick,
        })
}

static PEOPLE: AtomicU32 = AtomicU32::new(0);

/// One random owner: weekly windows, a type with buffers and notice, some bookings made by hand;
/// then a booking on an offered slot must succeed, and the slot is no longer offered.
async fn book_any_offered_slot(app: &TestApp, case: &Case) -> Result<(), TestCaseError> {
    let n = PEOPLE.fetch_add(1, Ordering::Relaxed);
    let user = account(app, &format!("Owner {n}"), &format!("owner{n}@example.com")).await;
    open_bookings(app, user.id, case.zone).await;
    let weekly: Vec<_> = case
        .windows
        .iter()
        .filter_map(|(day, start, end)| {
            let window = crm::bookings::availability::slots::Window::new(
                u16::try_from(*start).ok()?,
                u16::try_from(*end).ok()?,
            )?;
            Some((*day, window))
        })
        .collect();
    crm::bookings::availability::service::replace_weekly(&app.db.conn, user.id, &weekly).await.unwrap();
    let call = default_type(app, user.id).await;
    set_buffers(app, call.id, case.buffers.0, case.buffers.1).await;
    booking_types::Entity::update_many()
        .col_expr(booking_types::Column::MinNoticeMin, Expr::value(case.notice))
        .filter(booking_types::Column::Id.eq(call.id))
        .exec(&app.db.conn)
        .await
        .unwrap();
    let from = at(case.day);
    for (quarter, length) in &case.existing {
        // By hand, overlapping ones are refused: that is fine, the rest stand.
        let _ = service::create(
            &app.state,
            &user,
            by_hand(user.id, None, from + Duration::minutes(quarter * 15), length * 15),
        )
        .await;
    }
    let owner = users::Entity::find_by_id(user.id).one(&app.db.conn).await.unwrap().unwrap();
    let call = default_type(app, user.id).await;
    let now = from - Duration::hours(3);
    let range = (from, from + Duration::days(4));
    let viewer: chrono_tz::Tz = "UTC".parse().unwrap();
    let slots = free_slots(&app.db.conn, &owner, &call, range, viewer, now).await.unwrap();
    if slots.is_empty() {
        return Ok(());
    }
    let slot = &slots[case.pick % slots.len()];
    let input = NewBooking {
        owner_id: user.id,
        booking_type_id: Some(call.id),
        starts_at: slot.starts_at,
        timezone: case.zone.into(),
        ..Default::default()
    };
    let booked = service::book_offered_slot(&app.state, None, input, now).await;
    prop_assert!(booked.is_ok(), "{:?}: booking the offered {:?} failed: {:?}", case, slot, booked);
    let again = free_slots(&app.db.conn, &owner, &call, range, viewer, now).await.unwrap();
    prop_assert!(!again.iter().any(|s| s.starts_at == slot.starts_at));
    Ok(())
}

#[test]
fn a_booking_on_any_offered_slot_succeeds() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    for backend in BACKENDS {
        let app = runtime.block_on(async {
            let app = common::app::start(backend).await;
            account(&app, "Admin", "admin@example.com").await;
            app
        });
        let config = ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() };
        proptest::test_runner::TestRunner::new(config)
            .run(&cases(), |case| runtime.block_on(book_any_offered_slot(&app, &case)))
            .unwrap();
        runtime.block_on(app.cleanup());
    }
}

/// The server functions on both databases: the owner books, moves and cancels through HTTP; another
/// user gets 404 for the booking and the owner's calendar; a clash answers 409 with the message.
#[tokio::test]
async fn server_functions_book_for_the_owner_and_hide_bookings_from_others() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let sign_up = |name: &'static str, email: &'static str| {
            let app = &app;
            async move {
                app.post_form(
                    "/api/signup",
                    &[("name", name), ("email", email), ("password", common::accounts::PASSWORD)],
                    None,
                )
                .await
                .session_cookie()
                .unwrap()
            }
        };
        sign_up("Admin", "admin@example.com").await;
        let ana = sign_up("Ana", "ana@example.com").await;
        let bo = sign_up("Bo", "bo@example.com").await;
        let types = app.post_form("/api/list_booking_types", &[], Some(&ana)).await;
        let types: Vec<crm::bookings::model::BookingType> = serde_json::from_str(&types.body).unwrap();
        assert_eq!(types.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["30-minute call"], "{backend:?}");
        let type_id = types[0].id.to_string();

        let create =
            [("booking_type_id", type_id.as_str()), ("starts_at", "2027-03-01T10:00:00Z"), ("subject", "Intro")];
        let created = app.post_form("/api/create_booking", &create, Some(&ana)).await;
        assert_eq!(created.status, axum::http::StatusCode::OK, "{backend:?}: {}", created.body);
        let booking: crm::bookings::model::Booking = serde_json::from_str(&created.body).unwrap();
        assert_eq!((booking.ends_at, booking.subject.as_str()), (at("2027-03-01T10:30:00Z"), "Intro"));
        let again = app.post_form("/api/create_booking", &create, Some(&ana)).await;
        assert_eq!(again.status, axum::http::StatusCode::CONFLICT, "{backend:?}: {}", again.body);
        assert!(again.body.contains("overlaps the booking of"), "{}", again.body);

        let id = booking.id.to_string();
        let range = [("from", "2027-03-01T00:00:00Z"), ("to", "2027-03-02T00:00:00Z")];
        let listed = app.post_form("/api/list_bookings", &range, Some(&ana)).await;
        assert!(listed.body.contains("\"Intro\""), "{}", listed.body);
        let ana_id = booking.owner_id.to_string();
        let mut theirs = range.to_vec();
        theirs.push(("owner_id", ana_id.as_str()));
        assert_eq!(
            app.post_form("/api/list_bookings", &theirs, Some(&bo)).await.status,
            axum::http::StatusCode::NOT_FOUND
        );
        for (path, args) in [
            ("/api/cancel_booking", vec![("id", id.as_str())]),
            ("/api/reschedule_booking", vec![("id", id.as_str()), ("starts_at", "2027-03-01T12:00:00Z")]),
            ("/api/edit_booking", vec![("id", id.as_str()), ("subject", "Mine now")]),
        ] {
            let refused = app.post_form(path, &args, Some(&bo)).await;
            assert_eq!(refused.status, axum::http::StatusCode::NOT_FOUND, "{backend:?} {path}: {}", refused.body);
        }
        let slots = app
            .post_form(
                "/api/booking_free_slots",
                &[
                    ("booking_type_id", type_id.as_str()),
                    ("from", "2027-03-01T00:00:00Z"),
                    ("to", "2027-03-02T00:00:00Z"),
                ],
                Some(&bo),
            )
            .await;
        assert_eq!(slots.status, axum::http::StatusCode::NOT_FOUND, "{backend:?}: another user's type");

        let moved = app
            .post_form(
                "/api/reschedule_booking",
                &[("id", id.as_str()), ("starts_at", "2027-03-01T12:00:00Z")],
                Some(&ana),
            )
            .await;
        assert_eq!(moved.status, axum::http::StatusCode::OK, "{}", moved.body);
        let cancelled = app
            .post_form("/api/cancel_booking", &[("id", id.as_str()), ("reason", "No longer needed")], Some(&ana))
            .await;
        let cancelled: crm::bookings::model::Booking = serde_json::from_str(&cancelled.body).unwrap();
        assert_eq!((cancelled.status, cancelled.sequence), (BookingStatus::Cancelled, 2));
        app.cleanup().await;
    }
}

/// A month of slots for an owner with 2,000 bookings in it: correct (no slot meets a booking) and
/// printed with its time (a debug build's; the benchmark belongs to the load test).
#[tokio::test]
async fn a_month_of_slots_among_two_thousand_bookings() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (_, ana) = people(&app).await;
        open_bookings(&app, ana.id, "Europe/Berlin").await;
        let every_day: Vec<_> =
            (0..7).map(|day| (day, crm::bookings::availability::slots::Window::new(0, 1440).unwrap())).collect();
        crm::bookings::availability::service::replace_weekly(&app.db.conn, ana.id, &every_day).await.unwrap();
        let call = default_type(&app, ana.id).await;
        let from = at("2027-03-01T00:00:00Z");
        // 2,000 twenty-minute bookings, one every 22 minutes from the start of the month.
        let rows: Vec<bookings::ActiveModel> = (0..2000)
            .map(|n| {
                let start = from + Duration::minutes(22 * n);
                bookings::ActiveModel {
                    owner_id: sea_orm::Set(ana.id),
                    booking_type: sea_orm::Set("call".into()),
                    starts_at: sea_orm::Set(start),
                    ends_at: sea_orm::Set(start + Duration::minutes(20)),
                    blocked_from: sea_orm::Set(start),
                    blocked_until: sea_orm::Set(start + Duration::minutes(20)),
                    timezone: sea_orm::Set("UTC".into()),
                    status: sea_orm::Set("confirmed".into()),
                    sequence: sea_orm::Set(0),
                    created_at: sea_orm::Set(from),
                    updated_at: sea_orm::Set(from),
                    ..Default::default()
                }
            })
            .collect();
        for chunk in rows.chunks(500) {
            bookings::Entity::insert_many(chunk.to_vec()).exec_without_returning(&app.db.conn).await.unwrap();
        }
        let owner = users::Entity::find_by_id(ana.id).one(&app.db.conn).await.unwrap().unwrap();
        let range = (from, from + Duration::days(31));
        let started = std::time::Instant::now();
        let slots =
            free_slots(&app.db.conn, &owner, &call, range, chrono_tz::UTC, from - Duration::days(1)).await.unwrap();
        let elapsed = started.elapsed();
        println!("{backend:?}: {} slots among 2,000 bookings in {elapsed:?}", slots.len());
        let taken: Vec<(DateTime<Utc>, DateTime<Utc>)> =
            (0..2000).map(|n| (from + Duration::minutes(22 * n), from + Duration::minutes(22 * n + 20))).collect();
        assert!(!slots.is_empty(), "{backend:?}: the time after the bookings is free");
        for slot in &slots {
            assert!(!taken.iter().any(|(s, e)| slot.starts_at < *e && *s < slot.ends_at), "{backend:?}: {slot:?}");
        }
        app.cleanup().await;
    }
}

/// Weekly hours and date overrides, set through the service, are what free slots offer; another
/// user cannot read or change them.
#[tokio::test]
async fn weekly_hours_and_date_overrides_shape_the_slots() {
    use crm::bookings::{
        availability::service as availability,
        model::{WeeklyHoursForm, format_hours},
    };
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (_, ana) = people(&app).await;
        let bo = account(&app, "Bo", "bo@example.com").await;
        open_bookings(&app, ana.id, "UTC").await;
        let form = WeeklyHoursForm { mon: "13:00-14:00, 09:00-10:00".into(), ..Default::default() };
        availability::set_weekly_hours(&app.state, &ana, ana.id, &form).await.unwrap();
        let view = availability::view(&app.state, &ana, ana.id).await.unwrap();
        assert_eq!(view.weekly[0], "09:00-10:00, 13:00-14:00", "{backend:?}");
        assert_eq!(view.weekly[1], "");
        let bad = WeeklyHoursForm { tue: "17:00-09:00".into(), ..form.clone() };
        let error = availability::set_weekly_hours(&app.state, &ana, ana.id, &bad).await.unwrap_err();
        assert!(error.field_message("tue").is_some(), "{error:?}");
        assert!(matches!(availability::view(&app.state, &bo, ana.id).await, Err(AppError::NotFound(_))));
        assert!(matches!(
            availability::set_weekly_hours(&app.state, &bo, ana.id, &form).await,
            Err(AppError::NotFound(_))
        ));

        let owner = users::Entity::find_by_id(ana.id).one(&app.db.conn).await.unwrap().unwrap();
        let call = default_type(&app, ana.id).await;
        let monday = at("2027-03-01T00:00:00Z");
        let now = monday - Duration::days(1);
        let slots_on = |day: DateTime<Utc>| {
            let (owner, call) = (owner.clone(), call.clone());
            let db = app.db.conn.clone();
            async move {
                free_slots(&db, &owner, &call, (day, day + Duration::days(1)), chrono_tz::UTC, now)
                    .await
                    .unwrap()
                    .iter()
                    .map(|slot| slot.time.clone())
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(slots_on(monday).await, ["09:00", "09:30", "13:00", "13:30"], "{backend:?}");
        let date = monday.date_naive();
        availability::set_date_override(&app.state, &ana, ana.id, date, Some("")).await.unwrap();
        assert!(slots_on(monday).await.is_empty(), "{backend:?}: a day off");
        availability::set_date_override(&app.state, &ana, ana.id, date, Some("15:00-16:00")).await.unwrap();
        assert_eq!(slots_on(monday).await, ["15:00", "15:30"], "{backend:?}: its own hours");
        let saturday = monday + Duration::days(5);
        availability::set_date_override(&app.state, &ana, ana.id, saturday.date_naive(), Some("10:00-11:00"))
            .await
            .unwrap();
        assert_eq!(slots_on(saturday).await, ["10:00", "10:30"], "{backend:?}: a working Saturday");
        availability::set_date_override(&app.state, &ana, ana.id, date, None).await.unwrap();
        assert_eq!(slots_on(monday).await, ["09:00", "09:30", "13:00", "13:30"], "{backend:?}: back to the week");
        assert_eq!(format_hours(&[(600, 660)]), "10:00-11:00");
        app.cleanup().await;
    }
}

/// Settings' working hours write the weekly windows when they change (and only then).
#[tokio::test]
async fn saving_working_hours_in_settings_rewrites_the_weekly_windows() {
    use crm::users::{profile::ProfileForm, settings_service};
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (_, ana) = people(&app).await;
        let view = crm::bookings::availability::service::view(&app.state, &ana, ana.id).await.unwrap();
        assert_eq!(view.weekly[..6], ["09:00-17:00", "09:00-17:00", "09:00-17:00", "09:00-17:00", "09:00-17:00", ""]);
        let hours = [("tue_on", "on"), ("tue_start", "08:00"), ("tue_end", "12:30")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let form = ProfileForm { name: "Ana".into(), timezone: "Europe/Lisbon".into(), hours, ..Default::default() };
        settings_service::update_profile(&app.state, &ana, form).await.unwrap();
        let view = crm::bookings::availability::service::view(&app.state, &ana, ana.id).await.unwrap();
        assert_eq!(view.weekly, ["", "08:00-12:30", "", "", "", "", ""], "{backend:?}");
        assert_eq!(view.timezone, "Europe/Lisbon");
        app.cleanup().await;
    }
}

/// The next `booking` event of `stream` within `wait` (other events skipped), as (booking, owner).
async fn next_booking_event(stream: &mut common::sse::EventReader, wait: std::time::Duration) -> Option<(i64, i64)> {
    loop {
        let event = stream.next(wait).await?;
        if event.name == "booking" {
            let change: crm::bookings::live::BookingChanged = serde_json::from_str(&event.data).unwrap();
            return Some((change.booking_id, change.owner_id));
        }
    }
}

/// Every committed booking change reaches the open tabs of its owner and of the admins, on every
/// instance (PostgreSQL + Redis: the streams are on a second instance), and nobody else's; a
/// refused change announces nothing.
#[tokio::test]
async fn the_team_stream_tells_the_owner_and_the_admins_of_every_booking_change() {
    use axum::http::StatusCode;
    use common::sse::EventReader;
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let other = if backend == common::Backend::Postgres { app.second_instance().await } else { app.router.clone() };
        let sign_up = |name: &'static str, email: &'static str| {
            let app = &app;
            async move {
                app.post_form(
                    "/api/signup",
                    &[("name", name), ("email", email), ("password", common::accounts::PASSWORD)],
                    None,
                )
                .await
                .session_cookie()
                .unwrap()
            }
        };
        let admin = sign_up("Admin", "admin@example.com").await;
        let ana = sign_up("Ana", "ana@example.com").await;
        let bo = sign_up("Bo", "bo@example.com").await;
        let ana_id = common::accounts::signed_in_as(&app, "ana@example.com").await.id;
        let bo_id = common::accounts::signed_in_as(&app, "bo@example.com").await.id;
        let mut admin_stream = EventReader::open(&other, "/chat/events", &admin, None).await;
        let mut ana_stream = EventReader::open(&other, "/chat/events", &ana, None).await;
        let mut bo_stream = EventReader::open(&other, "/chat/events", &bo, None).await;
        let wait = std::time::Duration::from_secs(10);
        let quiet = std::time::Duration::from_millis(500);

        let create = [("starts_at", "2030-03-04T10:00:00Z"), ("ends_at", "2030-03-04T10:30:00Z"), ("subject", "Intro")];
        let created = app.post_form("/api/create_booking", &create, Some(&ana)).await;
        assert_eq!(created.status, StatusCode::OK, "{backend:?}: {}", created.body);
        let booking: crm::bookings::model::Booking = serde_json::from_str(&created.body).unwrap();
        assert_eq!(next_booking_event(&mut ana_stream, wait).await, Some((booking.id, ana_id)), "{backend:?}");
        assert_eq!(next_booking_event(&mut admin_stream, wait).await, Some((booking.id, ana_id)), "{backend:?}");

        // Refused (it overlaps): nothing was written, nothing is told.
        let refused = app.post_form("/api/create_booking", &create, Some(&ana)).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{backend:?}: {}", refused.body);
        assert_eq!(next_booking_event(&mut ana_stream, quiet).await, None, "{backend:?}: a refusal tells nothing");

        // Moved and cancelled: each commit is told once.
        let id = booking.id.to_string();
        let moved = app
            .post_form(
                "/api/reschedule_booking",
                &[("id", id.as_str()), ("starts_at", "2030-03-04T12:00:00Z")],
                Some(&ana),
            )
            .await;
        assert_eq!(moved.status, StatusCode::OK, "{backend:?}: {}", moved.body);
        let cancelled = app.post_form("/api/cancel_booking", &[("id", id.as_str())], Some(&ana)).await;
        assert_eq!(cancelled.status, StatusCode::OK, "{backend:?}: {}", cancelled.body);
        for stream in [&mut ana_stream, &mut admin_stream] {
            assert_eq!(next_booking_event(stream, wait).await, Some((booking.id, ana_id)), "{backend:?}: moved");
            assert_eq!(next_booking_event(stream, wait).await, Some((booking.id, ana_id)), "{backend:?}: cancelled");
            assert_eq!(next_booking_event(stream, quiet).await, None, "{backend:?}: once each");
        }

        // Bo hears of his own booking only: the first event his stream carries is it.
        let bos = app.post_form("/api/create_booking", &create, Some(&bo)).await;
        assert_eq!(bos.status, StatusCode::OK, "{backend:?}: {}", bos.body);
        let bos: crm::bookings::model::Booking = serde_json::from_str(&bos.body).unwrap();
        assert_eq!(next_booking_event(&mut bo_stream, wait).await, Some((bos.id, bo_id)), "{backend:?}");
        assert_eq!(next_booking_event(&mut admin_stream, wait).await, Some((bos.id, bo_id)), "{backend:?}");
        assert_eq!(next_booking_event(&mut ana_stream, quiet).await, None, "{backend:?}: not Bo's");
        app.cleanup().await;
    }
}
