//! The public booking page, the manage link, calendar feeds and e-mail confirmations, on SQLite and
//! on PostgreSQL + Redis: client matching, twenty visitors racing for one slot through the HTTP
//! route, refusals (404, closed, bad input, 429), the feed read by an independent iCalendar parser,
//! and confirmations caught by an SMTP server the test starts.
#![cfg(feature = "ssr")]

mod common;

use std::collections::HashMap;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use common::{BACKENDS, accounts::account, app::TestApp, smtp::SmtpSink};
use crm::{
    audit::entity as audit_log,
    bookings::{
        entity as bookings,
        model::{BookingStatus, NewBooking, Slot},
        public::{links, model::GuestForm, service as public},
        service,
    },
    clients::{
        entity as clients,
        model::ClientForm,
        service::{self as client_service, Duplicates},
    },
    server::worker::{self, Shutdown},
    users::{entity as users, model::CurrentUser},
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr};

const TYPE: &str = "30-minute-call";

async fn owner(app: &TestApp) -> (CurrentUser, String) {
    account(app, "Admin", "admin@example.com").await;
    let ana = account(app, "Ana Lima", "ana@example.com").await;
    users::Entity::update_many()
        .col_expr(users::Column::BookingEnabled, Expr::value(true))
        .col_expr(users::Column::Timezone, Expr::value("Europe/Berlin"))
        .filter(users::Column::Id.eq(ana.id))
        .exec(&app.db.conn)
        .await
        .unwrap();
    let slug = users::Entity::find_by_id(ana.id).one(&app.db.conn).await.unwrap().unwrap().booking_slug.unwrap();
    (ana, slug)
}

async fn slots(app: &TestApp, slug: &str) -> Vec<Slot> {
    let page = public::page(&app.state, slug, Some(TYPE), "America/New_York", service::now()).await.unwrap();
    assert!(page.slots.len() > 5, "the default hours offer slots");
    page.slots
}

fn guest(name: &str, email: &str, phone: &str) -> GuestForm {
    GuestForm { name: name.into(), email: email.into(), phone: phone.into(), note: "Looking forward".into() }
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn book(app: &TestApp, slug: &str, at: DateTime<Utc>, form: &GuestForm) -> bookings::Model {
    let token = public::book(&app.state, (slug, TYPE), "America/New_York", at, form, service::now()).await.unwrap();
    service::find_by_token(&app.db.conn, &token).await.unwrap()
}

async fn count<E>(app: &TestApp) -> u64
where
    E: EntityTrait,
    E::Model: Sync,
{
    PaginatorTrait::count(E::find(), &app.db.conn).await.unwrap()
}

#[tokio::test]
async fn visitors_become_the_client_with_their_email_then_their_phone_else_a_new_one() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (ana, slug) = owner(&app).await;
        let first = common::accounts::strategy(&app, ana.id, "First").await;
        let default = common::accounts::strategy(&app, ana.id, "Default").await;
        users::Entity::update_many()
            .col_expr(users::Column::DefaultStrategyId, Expr::value(default))
            .filter(users::Column::Id.eq(ana.id))
            .exec(&app.db.conn)
            .await
            .unwrap();
        let insert = |name: &str, email: Option<&str>, phone: Option<&str>| clients::ActiveModel {
            owner_id: sea_orm::Set(ana.id),
            strategy_id: sea_orm::Set(first),
            name: sea_orm::Set(name.into()),
            email: sea_orm::Set(email.map(str::to_owned)),
            phone: sea_orm::Set(phone.map(str::to_owned)),
            status: sea_orm::Set("lead".into()),
            created_at: sea_orm::Set(Utc::now()),
            updated_at: sea_orm::Set(Utc::now()),
            ..Default::default()
        };
        let by_email = clients::Entity::insert(insert("Bea", Some("Bea@Example.com"), Some("+49 30 1234567")))
            .exec(&app.db.conn)
            .await
            .unwrap()
            .last_insert_id;
        let by_phone = clients::Entity::insert(insert("Caio", None, Some("+1 415 555 0100")))
            .exec(&app.db.conn)
            .await
            .unwrap()
            .last_insert_id;
        let free = slots(&app, &slug).await;

        // The email wins over a phone that belongs to someone else.
        let booked = book(&app, &slug, free[0].starts_at, &guest("Bea B.", "bea@example.com", "+1 415 555 0100")).await;
        assert_eq!(booked.client_id, Some(by_email), "{backend:?}: matched by email, case aside");
        let matched = clients::Entity::find_by_id(by_email).one(&app.db.conn).await.unwrap().unwrap();
        assert!(matched.worked_at.is_some(), "{backend:?}: the booking moves the client's last activity");
        assert_eq!(booked.guest_email.as_deref(), Some("bea@example.com"));
        let booked = book(&app, &slug, free[1].starts_at, &guest("Caio", "caio@example.com", "+1 415 555 0100")).await;
        assert_eq!(booked.client_id, Some(by_phone), "{backend:?}: matched by phone");
        let booked = book(&app, &slug, free[2].starts_at, &guest("Dora", "dora@example.com", "")).await;
        let created = clients::Entity::find_by_id(booked.client_id.unwrap()).one(&app.db.conn).await.unwrap().unwrap();
        assert_eq!(
            (created.owner_id, created.strategy_id, created.name.as_str(), created.email.as_deref()),
            (ana.id, default, "Dora", Some("dora@example.com")),
            "{backend:?}: a new client with the owner's default strategy"
        );
        assert_eq!(created.status, "booked");
        assert_eq!(created.timezone.as_deref(), Some("America/New_York"), "{backend:?}: the zone the visitor chose");
        let matched = clients::Entity::find_by_id(by_email).one(&app.db.conn).await.unwrap().unwrap();
        assert_eq!(
            matched.timezone.as_deref(),
            Some("America/New_York"),
            "{backend:?}: a client without a zone learns it"
        );
        clients::Entity::update_many()
            .col_expr(clients::Column::Timezone, Expr::value("Asia/Tokyo"))
            .filter(clients::Column::Id.eq(by_phone))
            .exec(&app.db.conn)
            .await
            .unwrap();
        book(&app, &slug, free[3].starts_at, &guest("Caio", "caio@example.com", "+1 415 555 0100")).await;
        let kept = clients::Entity::find_by_id(by_phone).one(&app.db.conn).await.unwrap().unwrap();
        assert_eq!(kept.timezone.as_deref(), Some("Asia/Tokyo"), "{backend:?}: a zone the client has is kept");
        assert_eq!(count::<clients::Entity>(&app).await, 3);
        let audited = audit_log::Entity::find()
            .filter(audit_log::Column::Entity.eq("client"))
            .filter(audit_log::Column::EntityId.eq(created.id))
            .count(&app.db.conn)
            .await
            .unwrap();
        assert_eq!(audited, 1, "{backend:?}: the new client is audited");
        app.cleanup().await;
    }
}

/// A visitor's booking form as the browser posts it.
fn form<'a>(slug: &'a str, start: &'a str, name: &'a str, email: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("slug", slug),
        ("booking_type", TYPE),
        ("tz", "Europe/Lisbon"),
        ("starts_at", start),
        ("name", name),
        ("email", email),
        ("phone", ""),
        ("note", "Hi"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_visitors_racing_for_one_slot_through_the_page_one_books_nineteen_are_told() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (ana, slug) = owner(&app).await;
        common::accounts::strategy(&app, ana.id, "Default").await;
        let start = rfc3339(slots(&app, &slug).await[3].starts_at);
        let (clients_before, audits_before) =
            (count::<clients::Entity>(&app).await, count::<audit_log::Entity>(&app).await);
        let requests = (0..20).map(|n| {
            let (router, slug, start) = (app.router.clone(), slug.clone(), start.clone());
            tokio::spawn(async move {
                let email = format!("visitor{n}@example.com");
                let name = format!("Visitor {n}");
                let body = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(form(&slug, &start, &name, &email))
                    .finish();
                let request = axum::http::Request::post("/api/book_public_slot")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(axum::body::Body::from(body))
                    .unwrap();
                let response = tower::ServiceExt::oneshot(router, request).await.unwrap();
                let status = response.status();
                let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
                (status, String::from_utf8_lossy(&body).into_owned())
            })
        });
        let answers: Vec<(StatusCode, String)> =
            futures::future::join_all(requests).await.into_iter().map(Result::unwrap).collect();
        let won = answers.iter().filter(|(status, _)| *status == StatusCode::OK).count();
        let taken: Vec<&String> =
            answers.iter().filter(|(status, _)| *status == StatusCode::CONFLICT).map(|(_, body)| body).collect();
        assert_eq!((won, taken.len()), (1, 19), "{backend:?}: {answers:?}");
        for body in taken {
            assert!(body.contains("was just taken by someone else"), "{backend:?}: {body}");
        }
        assert_eq!(bookings::Entity::find().count(&app.db.conn).await.unwrap(), 1);
        assert_eq!(count::<clients::Entity>(&app).await, clients_before + 1, "{backend:?}: one client, the winner");
        assert_eq!(
            count::<audit_log::Entity>(&app).await,
            audits_before + 2,
            "{backend:?}: the winner's client and booking only"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn refusals_are_pages_and_fields_never_errors_and_write_nothing() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (ana, slug) = owner(&app).await;
        common::accounts::strategy(&app, ana.id, "Default").await;

        assert_eq!(app.get("/book/nobody-here", None).await.status, StatusCode::NOT_FOUND, "{backend:?}");
        assert_eq!(app.get(&format!("/book/{slug}/no-such-type"), None).await.status, StatusCode::NOT_FOUND);
        let page = app.get(&format!("/book/{slug}?tz=Europe/Lisbon"), None).await;
        assert_eq!(page.status, StatusCode::OK, "{backend:?}: no sign-in");
        assert!(page.body.contains("30-minute call") && page.body.contains("Ana Lima"), "one type: straight to it");
        assert!(page.body.contains("class=\"slot\""), "{backend:?}: the free times are listed");
        let odd_zone = app.get(&format!("/book/{slug}?tz=Mars/Olympus"), None).await;
        assert!(odd_zone.body.contains("Choose a time zone from the list."), "{backend:?}");

        let free = slots(&app, &slug).await;
        let start = rfc3339(free[0].starts_at);
        let cases: [(&str, Vec<(&str, &str)>); 6] = [
            ("email", vec![("email", "not-an-email")]),
            ("phone", vec![("phone", "call me maybe")]),
            ("note", vec![("note", &*"x".repeat(2_001).leak())]),
            ("timezone", vec![("tz", "Mars/Olympus")]),
            ("starts_at", vec![("starts_at", "2020-01-01T10:00:00Z")]),
            ("starts_at", vec![("starts_at", "2099-01-01T03:07:00Z")]),
        ];
        for (field, changes) in cases {
            let mut posted: HashMap<&str, &str> = form(&slug, &start, "Eve", "eve@example.com").into_iter().collect();
            posted.extend(changes);
            let pairs: Vec<(&str, &str)> = posted.into_iter().collect();
            let answer = app.post_form("/api/book_public_slot", &pairs, None).await;
            assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?} {field}: {}", answer.body);
            assert!(answer.body.contains(&format!("\"{field}\"")), "{backend:?} {field}: {}", answer.body);
        }
        let control =
            app.post_form("/api/book_public_slot", &form(&slug, &start, "Eve\u{7}", "eve@example.com"), None).await;
        assert_eq!(control.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}: control characters");
        assert_eq!(bookings::Entity::find().count(&app.db.conn).await.unwrap(), 0, "{backend:?}: nothing written");
        assert_eq!(count::<clients::Entity>(&app).await, 0);

        // Switched off: the page says so, and booking is refused with a sentence.
        users::Entity::update_many()
            .col_expr(users::Column::BookingEnabled, Expr::value(false))
            .filter(users::Column::Id.eq(ana.id))
            .exec(&app.db.conn)
            .await
            .unwrap();
        let closed = app.get(&format!("/book/{slug}"), None).await;
        assert_eq!(closed.status, StatusCode::OK);
        assert!(closed.body.contains("Booking is closed"), "{backend:?}");
        let refused =
            app.post_form("/api/book_public_slot", &form(&slug, &start, "Eve", "eve@example.com"), None).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        assert!(refused.body.contains("not taking bookings"), "{}", refused.body);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn public_calls_are_rate_limited_per_address_with_the_wait() {
    for backend in BACKENDS {
        let app = common::app::start_with(backend, &[("CRM_BOOKING_ATTEMPTS_PER_IP", "2")]).await;
        let statuses = [
            app.post_form("/api/cancel_public_booking", &[("token", "ab12")], None).await,
            app.post_form("/api/cancel_public_booking", &[("token", "ab12")], None).await,
        ];
        assert!(statuses.iter().all(|answer| answer.status == StatusCode::NOT_FOUND), "{backend:?}");
        let limited = app.post_form("/api/cancel_public_booking", &[("token", "ab12")], None).await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "{backend:?}");
        let wait = serde_json::from_str::<serde_json::Value>(&limited.body).unwrap()["RateLimited"]["retry_after_secs"]
            .as_u64()
            .unwrap_or_default();
        assert!((1..=900).contains(&wait), "{backend:?}: the wait is told: {}", limited.body);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_manage_link_moves_to_offered_slots_only_and_cancels_once() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (_, slug) = owner(&app).await;
        let free = slots(&app, &slug).await;
        let booked = book(&app, &slug, free[0].starts_at, &guest("Eve", "eve@example.com", "")).await;
        assert_eq!(booked.client_id, None, "{backend:?}: an owner without strategies gets no client");
        let token = booked.manage_token.clone().unwrap();

        let page = app.get(&format!("/booking/{token}?done=booked"), None).await;
        assert_eq!(page.status, StatusCode::OK, "{backend:?}");
        assert!(page.body.contains("You are booked.") && page.body.contains("No confirmation e-mail is sent"));
        assert!(page.body.contains(&format!("/booking/{token}/invite.ics")));
        assert_eq!(app.get("/booking/0123456789abcdef0123456789abcdef", None).await.status, StatusCode::NOT_FOUND);

        let odd = rfc3339(free[0].starts_at + chrono::Duration::minutes(7));
        let refused =
            app.post_form("/api/reschedule_public_booking", &[("token", &token), ("starts_at", &odd)], None).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}: {}", refused.body);
        let later = rfc3339(free[4].starts_at);
        let moved =
            app.post_form("/api/reschedule_public_booking", &[("token", &token), ("starts_at", &later)], None).await;
        assert_eq!(moved.status, StatusCode::OK, "{backend:?}: {}", moved.body);
        let model = service::find_by_token(&app.db.conn, &token).await.unwrap();
        assert_eq!((model.starts_at, model.sequence), (free[4].starts_at, 1));

        let cancelled = app
            .post_form("/api/cancel_public_booking", &[("token", &token), ("reason", "Found another time")], None)
            .await;
        assert_eq!(cancelled.status, StatusCode::OK, "{backend:?}: {}", cancelled.body);
        let model = service::find_by_token(&app.db.conn, &token).await.unwrap();
        assert_eq!(
            (model.status.as_str(), model.cancel_reason.as_deref(), model.sequence),
            ("cancelled", Some("Found another time"), 2)
        );
        let again = app.post_form("/api/cancel_public_booking", &[("token", &token)], None).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{backend:?}");
        app.cleanup().await;
    }
}

/// Every VEVENT of an iCalendar text by its UID, each a map of property name to value.
fn events(text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut parser = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
    let calendar = parser.next().expect("one calendar").expect("it parses");
    assert!(parser.next().is_none());
    calendar
        .events
        .into_iter()
        .map(|event| {
            let properties: HashMap<String, String> =
                event.properties.into_iter().map(|p| (p.name, p.value.unwrap_or_default())).collect();
            (properties["UID"].clone(), properties)
        })
        .collect()
}

fn ical_utc(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

#[tokio::test]
async fn the_feed_round_trips_every_booking_through_an_independent_parser() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (ana, slug) = owner(&app).await;
        let free = slots(&app, &slug).await;
        let kept = book(&app, &slug, free[0].starts_at, &guest("Ana; \"Quotes\", Commas", "a@example.com", "")).await;
        let moved = book(&app, &slug, free[1].starts_at, &guest("Bo", "b@example.com", "")).await;
        let dropped = book(&app, &slug, free[2].starts_at, &guest("Cy", "c@example.com", "")).await;
        public::reschedule(&app.state, moved.manage_token.as_deref().unwrap(), free[5].starts_at, service::now())
            .await
            .unwrap();
        public::cancel(&app.state, dropped.manage_token.as_deref().unwrap(), "Ill").await.unwrap();
        let by_hand = NewBooking {
            owner_id: ana.id,
            starts_at: "2027-03-01T10:00:00Z".parse().unwrap(),
            ends_at: Some("2027-03-01T11:15:00Z".parse().unwrap()),
            subject: "Lunch, with notes\nover two lines".into(),
            ..Default::default()
        };
        service::create(&app.state, &ana, by_hand).await.unwrap();

        let feed = links::links(&app.state, &ana).await.unwrap().feed_path;
        let answer = app.get(&feed, None).await;
        assert_eq!(answer.status, StatusCode::OK, "{backend:?}");
        assert!(answer.headers["content-type"].to_str().unwrap().starts_with("text/calendar"));
        let parsed = events(&answer.body);
        let all = bookings::Entity::find().all(&app.db.conn).await.unwrap();
        assert_eq!(parsed.len(), all.len(), "{backend:?}: one event per booking");
        for booking in &all {
            let event = &parsed[booking.ical_uid.as_ref().unwrap()];
            assert_eq!(event["DTSTART"], ical_utc(booking.starts_at), "{backend:?}");
            assert_eq!(event["DTEND"], ical_utc(booking.ends_at), "{backend:?}");
            assert_eq!(event["SEQUENCE"], booking.sequence.to_string(), "{backend:?}");
            let status = if booking.status == BookingStatus::Cancelled.as_str() { "CANCELLED" } else { "CONFIRMED" };
            assert_eq!(event["STATUS"], status, "{backend:?}");
        }
        let moved_uid = moved.ical_uid.as_ref().unwrap();
        assert_eq!(parsed[moved_uid]["SEQUENCE"], "1");
        assert_eq!(parsed[moved_uid]["DTSTART"], ical_utc(free[5].starts_at));
        assert_eq!(parsed[dropped.ical_uid.as_ref().unwrap()]["STATUS"], "CANCELLED");
        assert!(parsed[kept.ical_uid.as_ref().unwrap()]["SUMMARY"].contains("Quotes"), "text is escaped, not cut");

        // The visitor's file: the same UID.
        let invite = app.get(&format!("/booking/{}/invite.ics", kept.manage_token.as_ref().unwrap()), None).await;
        assert_eq!(invite.status, StatusCode::OK);
        assert!(events(&invite.body).contains_key(kept.ical_uid.as_ref().unwrap()), "{backend:?}");

        // Regenerating kills the old address.
        let fresh = links::regenerate_feed(&app.state, &ana).await.unwrap().feed_path;
        assert_ne!(fresh, feed);
        assert_eq!(app.get(&feed, None).await.status, StatusCode::NOT_FOUND, "{backend:?}");
        assert_eq!(app.get(&fresh, None).await.status, StatusCode::OK);
        assert_eq!(app.get("/calendar/not-a-token.ics", None).await.status, StatusCode::NOT_FOUND);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn booking_slugs_change_in_settings_and_stay_unique() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (ana, slug) = owner(&app).await;
        let bo = account(&app, "Bo", "bo@example.com").await;
        assert!(
            links::set_slug(&app.state, &ana, "Not Valid!").await.unwrap_err().field_message("booking_slug").is_some()
        );
        let taken = links::set_slug(&app.state, &bo, &slug).await.unwrap_err();
        assert_eq!(taken.field_message("booking_slug"), Some("Another account has this booking link. Choose another."));
        let changed = links::set_slug(&app.state, &ana, "ana-books").await.unwrap();
        assert_eq!(changed.page_path, "/book/ana-books");
        assert_eq!(app.get("/book/ana-books", None).await.status, StatusCode::OK, "{backend:?}");
        assert_eq!(app.get(&format!("/book/{slug}"), None).await.status, StatusCode::NOT_FOUND);
        app.cleanup().await;
    }
}

fn calendar_attachment(raw: &str) -> String {
    use mail_parser::MimeHeaders;
    let message = mail_parser::MessageParser::default().parse(raw.as_bytes()).expect("a MIME message");
    let attachment = message.attachments().next().expect("an attachment");
    assert_eq!(attachment.attachment_name(), Some("booking.ics"));
    let content_type = attachment.content_type().unwrap();
    assert_eq!((content_type.ctype(), content_type.subtype()), ("text", Some("calendar")));
    String::from_utf8(attachment.contents().to_vec()).unwrap()
}

#[tokio::test]
async fn confirmations_reach_the_smtp_server_with_the_ics_once_and_none_without_smtp() {
    for backend in BACKENDS {
        let sink = SmtpSink::start().await;
        let url = sink.url();
        let app = common::app::start_with(backend, &[("SMTP_URL", &url), ("SMTP_FROM", "CRM <crm@example.com>")]).await;
        let (_, slug) = owner(&app).await;
        let free = slots(&app, &slug).await;
        let booked = book(&app, &slug, free[0].starts_at, &guest("Eve", "eve@example.com", "")).await;
        let handlers = crm::domains::queue_handlers();
        assert!(worker::run_once(&app.state, &handlers, &Shutdown::manual()).await, "{backend:?}: a job was queued");
        let received = sink.messages();
        let mut recipients: Vec<String> = received.iter().flat_map(|m| m.recipients.clone()).collect();
        recipients.sort();
        assert_eq!(recipients, ["ana@example.com", "eve@example.com"], "{backend:?}");
        for message in &received {
            let calendar = calendar_attachment(&message.data);
            assert!(events(&calendar).contains_key(booked.ical_uid.as_ref().unwrap()), "{backend:?}");
        }

        // The same job again (a retry after a lost acknowledgement) sends nothing twice.
        let payload = serde_json::json!({ "booking_id": booked.id, "event": "booked", "sequence": 0 }).to_string();
        app.state.infra.jobs.enqueue("booking_emails", &payload, std::time::Duration::ZERO).await.unwrap();
        assert!(worker::run_once(&app.state, &handlers, &Shutdown::manual()).await);
        assert_eq!(sink.messages().len(), 2, "{backend:?}: marked sent, not sent again");

        // A cancellation is confirmed too, and the page says e-mails are sent.
        public::cancel(&app.state, booked.manage_token.as_deref().unwrap(), "").await.unwrap();
        assert!(worker::run_once(&app.state, &handlers, &Shutdown::manual()).await);
        assert_eq!(sink.messages().len(), 4, "{backend:?}");
        assert!(sink.messages()[3].data.contains("Cancelled"), "{backend:?}");
        app.cleanup().await;

        // Without SMTP_URL nothing is queued or sent, and the confirmation says so.
        let app = common::app::start(backend).await;
        let (_, slug) = owner(&app).await;
        let free = slots(&app, &slug).await;
        let booked = book(&app, &slug, free[0].starts_at, &guest("Eve", "eve@example.com", "")).await;
        assert!(!worker::run_once(&app.state, &handlers, &Shutdown::manual()).await, "{backend:?}: no job");
        let page = app.get(&format!("/booking/{}?done=booked", booked.manage_token.unwrap()), None).await;
        assert!(page.body.contains("No confirmation e-mail is sent"), "{backend:?}");
        app.cleanup().await;
    }
}

/// The recipients of the messages the sink received from `from` on, sorted.
fn recipients_since(sink: &SmtpSink, from: usize) -> Vec<String> {
    let mut recipients: Vec<String> = sink.messages()[from..].iter().flat_map(|m| m.recipients.clone()).collect();
    recipients.sort();
    recipients
}

#[tokio::test]
async fn moves_and_cancellations_from_the_calendar_are_mailed_to_the_person_booked() {
    for backend in BACKENDS {
        let sink = SmtpSink::start().await;
        let url = sink.url();
        let app = common::app::start_with(backend, &[("SMTP_URL", &url), ("SMTP_FROM", "CRM <crm@example.com>")]).await;
        let (ana, slug) = owner(&app).await;
        let admin = common::accounts::signed_in_as(&app, "admin@example.com").await;
        let handlers = crm::domains::queue_handlers();
        let shutdown = Shutdown::manual();
        let run = || worker::run_once(&app.state, &handlers, &shutdown);
        let free = slots(&app, &slug).await;
        let thirty = chrono::Duration::minutes(30);

        // Booked by hand for a client with an e-mail: nothing on creation (the owner may be
        // writing down a call), then the client hears of the move and of the cancellation.
        let strategy = common::accounts::strategy(&app, ana.id, "Default").await;
        let carl = ClientForm {
            name: "Carl Client".into(),
            email: "carl@example.com".into(),
            strategy_id: strategy.to_string(),
            ..Default::default()
        };
        let client_id = client_service::create(&app.state, &ana, &carl, Duplicates::Allow).await.unwrap();
        let input = NewBooking {
            owner_id: ana.id,
            client_id: Some(client_id),
            starts_at: free[0].starts_at,
            ends_at: Some(free[0].starts_at + thirty),
            ..Default::default()
        };
        let by_hand = service::create(&app.state, &ana, input).await.unwrap();
        assert!(!run().await, "{backend:?}: creating by hand sends nothing");
        service::reschedule(&app.state, &ana, by_hand.id, free[4].starts_at).await.unwrap();
        assert!(run().await, "{backend:?}: the move is queued");
        assert_eq!(recipients_since(&sink, 0), ["carl@example.com"], "{backend:?}: the client, not the owner");
        let moved = &sink.messages()[0];
        assert!(moved.data.contains("Rescheduled"), "{backend:?}: {}", moved.data);
        assert!(calendar_attachment(&moved.data).contains("SEQUENCE:1"), "{backend:?}");
        service::cancel(&app.state, &ana, by_hand.id, "Ana is ill").await.unwrap();
        assert!(run().await, "{backend:?}: the cancellation is queued");
        assert_eq!(recipients_since(&sink, 1), ["carl@example.com"], "{backend:?}");
        let cancelled = &sink.messages()[1].data;
        assert!(cancelled.contains("Cancelled") && cancelled.contains("Ana is ill"), "{backend:?}: {cancelled}");
        assert!(calendar_attachment(cancelled).contains("STATUS:CANCELLED"), "{backend:?}");

        // Booked on the public page: the owner's move from the calendar reaches the visitor; an
        // admin's cancellation reaches the visitor and the owner.
        let booked = book(&app, &slug, free[1].starts_at, &guest("Eve", "eve@example.com", "")).await;
        assert!(run().await);
        assert_eq!(sink.messages().len(), 4, "{backend:?}: the booking's two confirmations");
        service::reschedule(&app.state, &ana, booked.id, free[6].starts_at).await.unwrap();
        assert!(run().await);
        assert_eq!(recipients_since(&sink, 4), ["eve@example.com"], "{backend:?}");
        assert!(sink.messages()[4].data.contains("Rescheduled"), "{backend:?}");
        service::cancel(&app.state, &admin, booked.id, "").await.unwrap();
        assert!(run().await);
        assert_eq!(recipients_since(&sink, 5), ["ana@example.com", "eve@example.com"], "{backend:?}");

        // No one to tell: a booking without a client or a guest queues nothing.
        let input = NewBooking {
            owner_id: ana.id,
            starts_at: free[8].starts_at,
            ends_at: Some(free[8].starts_at + thirty),
            ..Default::default()
        };
        let alone = service::create(&app.state, &ana, input).await.unwrap();
        service::cancel(&app.state, &ana, alone.id, "").await.unwrap();
        assert!(!run().await, "{backend:?}: nothing queued");
        assert_eq!(sink.messages().len(), 7, "{backend:?}");
        app.cleanup().await;
    }
}

/// A post as a browser without JavaScript sends it: it asks for HTML and names the page it is on.
async fn plain_post(app: &TestApp, path: &str, from: &str, form: &[(&str, &str)]) -> common::app::TestResponse {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let request = axum::http::Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .header("referer", format!("http://localhost{from}"));
    app.send(request.body(axum::body::Body::from(body)).unwrap()).await
}

#[tokio::test]
async fn without_javascript_a_time_taken_meanwhile_brings_the_visitor_back_to_the_times_with_the_message() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (_, slug) = owner(&app).await;
        let free = slots(&app, &slug).await;
        let start = rfc3339(free[2].starts_at);
        let page = format!(
            "/book/{slug}/{TYPE}?tz=Europe%2FLisbon&slot={}",
            url::form_urlencoded::byte_serialize(start.as_bytes()).collect::<String>()
        );
        let form_page = app.get(&page, None).await;
        assert!(form_page.body.contains("Confirm booking"), "{backend:?}: the form for the time");

        let first =
            plain_post(&app, "/api/book_public_slot", &page, &form(&slug, &start, "First", "first@example.com")).await;
        assert!(first.status.is_redirection(), "{backend:?}: {} {}", first.status, first.body);
        assert!(first.location().unwrap().starts_with("/booking/"), "{backend:?}");

        let second =
            plain_post(&app, "/api/book_public_slot", &page, &form(&slug, &start, "Second", "second@example.com"))
                .await;
        assert!(second.status.is_redirection(), "{backend:?}: {} {}", second.status, second.body);
        assert_eq!(second.location(), Some(page.as_str()), "{backend:?}: back to the page it was on");
        let cookie = second.session_cookie().expect("the refusal lives in the session");
        let back = app.get(&page, Some(&cookie)).await;
        assert_eq!(back.status, StatusCode::OK, "{backend:?}");
        assert!(back.body.contains("data-testid=\"slot-taken\""), "{backend:?}: the message\n{}", back.body);
        assert!(back.body.contains("was just taken by someone else"), "{backend:?}");
        assert!(!back.body.contains("Confirm booking"), "{backend:?}: the free times, not the form");
        assert!(!back.body.contains(&format!("data-start=\"{start}\"")), "{backend:?}: without the taken time");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_deleted_type_leaves_the_page_and_the_settings_and_its_bookings_keep_it() {
    use crm::bookings::{model::BookingTypeFields, types::service as types};
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (ana, slug) = owner(&app).await;
        let admin = common::accounts::signed_in_as(&app, "admin@example.com").await;
        let call = types::list(&app.state, &ana, ana.id).await.unwrap().remove(0);

        // The only type stays.
        match types::delete(&app.state, &ana, call.id).await {
            Err(crm::shared::AppError::Conflict(message)) => {
                assert!(message.contains("last booking type"), "{message}")
            }
            other => panic!("{backend:?}: {other:?}"),
        }
        let deep = BookingTypeFields {
            name: "Deep dive".into(),
            slug: "deep-dive".into(),
            ..BookingTypeFields::default_call()
        };
        types::create(&app.state, &ana, ana.id, &deep).await.unwrap();
        let free = slots(&app, &slug).await;
        let booked = book(&app, &slug, free[0].starts_at, &guest("Eve", "eve@example.com", "")).await;

        // Nobody else deletes it; Ana does.
        let bo = account(&app, "Bo", "bo@example.com").await;
        assert!(matches!(types::delete(&app.state, &bo, call.id).await, Err(crm::shared::AppError::NotFound(_))));
        types::delete(&app.state, &ana, call.id).await.unwrap();
        let left: Vec<String> =
            types::list(&app.state, &ana, ana.id).await.unwrap().into_iter().map(|t| t.slug).collect();
        assert_eq!(left, ["deep-dive"], "{backend:?}: gone from the settings");
        assert!(matches!(types::get(&app.state, &admin, call.id).await, Err(crm::shared::AppError::NotFound(_))));

        // Gone from the public page: the other type opens at once, the old address is a 404.
        let page = public::page(&app.state, &slug, None, "UTC", service::now()).await.unwrap();
        assert_eq!(page.chosen.map(|t| t.slug).as_deref(), Some("deep-dive"), "{backend:?}");
        assert_eq!(app.get(&format!("/book/{slug}/{TYPE}"), None).await.status, StatusCode::NOT_FOUND);
        // It cannot be booked, by hand or on the page, nor edited.
        let by_hand = NewBooking {
            owner_id: ana.id,
            booking_type_id: Some(call.id),
            starts_at: free[3].starts_at,
            ..Default::default()
        };
        let refused = service::create(&app.state, &ana, by_hand).await.unwrap_err();
        assert!(refused.field_message("booking_type_id").is_some(), "{backend:?}: {refused:?}");
        assert!(
            public::book(
                &app.state,
                (&slug, TYPE),
                "UTC",
                free[3].starts_at,
                &guest("Fay", "fay@example.com", ""),
                service::now()
            )
            .await
            .is_err()
        );
        assert!(types::update(&app.state, &ana, call.id, &BookingTypeFields::default_call()).await.is_err());

        // The booking keeps its type; its manage page still opens and can cancel, but offers no
        // other time of a type that is gone.
        let kept = service::find_by_token(&app.db.conn, booked.manage_token.as_deref().unwrap()).await.unwrap();
        assert_eq!((kept.booking_type_id, kept.booking_type.as_str()), (Some(call.id), "30-minute call"));
        let manage =
            public::manage(&app.state, booked.manage_token.as_deref().unwrap(), "", service::now()).await.unwrap();
        assert!(manage.changeable && manage.slots.is_empty(), "{backend:?}");
        public::cancel(&app.state, booked.manage_token.as_deref().unwrap(), "").await.unwrap();

        // Its slug is free again, and the deletion is in the audit log.
        let again = BookingTypeFields { name: "Call again".into(), ..BookingTypeFields::default_call() };
        types::create(&app.state, &ana, ana.id, &again).await.unwrap();
        let deletions = audit_log::Entity::find()
            .filter(audit_log::Column::Entity.eq("booking_type"))
            .filter(audit_log::Column::Action.eq("delete"))
            .count(&app.db.conn)
            .await
            .unwrap();
        assert_eq!(deletions, 1, "{backend:?}");
        app.cleanup().await;
    }
}
