//! Booking reminders, on SQLite and on PostgreSQL + Redis: the two keyed jobs each booking gets
//! (due a day and an hour before; none for a moment passed), moved with the booking; a reminder
//! run at its time writes one message in the client's conversation and sends one e-mail, and a
//! second run (or eight at once) nothing more; a moved, cancelled or started booking's job does
//! nothing.
#![cfg(feature = "ssr")]

mod common;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, DurationRound, Utc};
use common::{BACKENDS, Backend, accounts::account, app::TestApp, persona::sql, smtp::SmtpSink};
use crm::{
    bookings::{
        entity as bookings,
        model::NewBooking,
        public::service as public,
        reminders::{self, Kind, Outcome, Payload, QUEUE},
        service,
        types::entity as booking_types,
    },
    chat::{conversation_entity as conversations, entity as messages, service as chat},
    clients::{
        model::ClientForm,
        service::{self as client_service, Duplicates},
    },
    server::worker::{self, Shutdown},
    users::model::CurrentUser,
};
use fred::interfaces::{HashesInterface, SortedSetsInterface};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Statement};

const SMTP_FROM: &str = "CRM <crm@example.com>";
const ORIGIN: &str = "https://crm.example.com";

struct Fixture {
    ana: CurrentUser,
    client_id: i64,
    type_id: i64,
    slug: String,
}

/// Ana with bookings open (Lisbon), her default type, and Carl, a client with an e-mail whose
/// conversation's AI answers on its own, at once (so that a reply the reminder wrongly asked for
/// would be due).
async fn set_up(app: &TestApp) -> Fixture {
    account(app, "Admin", "admin@example.com").await;
    let ana = account(app, "Ana Lima", "ana@example.com").await;
    sql(app, &format!("UPDATE users SET booking_enabled = TRUE, timezone = 'Europe/Lisbon' WHERE id = {}", ana.id))
        .await;
    let strategy = common::accounts::strategy(app, ana.id, "Default").await;
    sql(app, &format!("UPDATE strategies SET reply_delay_min = 0, reply_delay_max = 0 WHERE id = {strategy}")).await;
    let carl = ClientForm {
        name: "Carl Client".into(),
        email: "carl@example.com".into(),
        strategy_id: strategy.to_string(),
        ..Default::default()
    };
    let client_id = client_service::create(&app.state, &ana, &carl, Duplicates::Allow).await.unwrap();
    chat::set_ai_mode(&app.state, &ana, client_id, "auto").await.unwrap();
    let booking_type = booking_types::Entity::find()
        .filter(booking_types::Column::OwnerId.eq(ana.id))
        .one(&app.db.conn)
        .await
        .unwrap()
        .unwrap();
    let slug =
        crm::users::entity::Entity::find_by_id(ana.id).one(&app.db.conn).await.unwrap().unwrap().booking_slug.unwrap();
    Fixture { ana, client_id, type_id: booking_type.id, slug }
}

/// A whole minute `ahead` from now.
fn from_now(ahead: Duration) -> DateTime<Utc> {
    (Utc::now() + ahead).duration_trunc(Duration::minutes(1)).unwrap()
}

/// Books Carl with Ana by hand at `starts_at`.
async fn book(app: &TestApp, fixture: &Fixture, starts_at: DateTime<Utc>) -> bookings::Model {
    let input = NewBooking {
        owner_id: fixture.ana.id,
        booking_type_id: Some(fixture.type_id),
        client_id: Some(fixture.client_id),
        starts_at,
        timezone: "Europe/Lisbon".into(),
        subject: "Intro call with Carl".into(),
        ..Default::default()
    };
    let made = service::create(&app.state, &fixture.ana, input).await.unwrap();
    bookings::Entity::find_by_id(made.id).one(&app.db.conn).await.unwrap().unwrap()
}

/// The reminder jobs waiting in the queue, by key: when each is due (epoch ms) and its payload.
/// The database queue keeps them in `jobs`; the Redis one in the queue's key map, due set and job
/// hashes.
async fn waiting(app: &TestApp) -> BTreeMap<String, (i64, Payload)> {
    let mut found = BTreeMap::new();
    match app.db.backend() {
        Backend::Sqlite => {
            let db = &app.db.conn;
            let rows = db
                .query_all_raw(Statement::from_string(
                    db.get_database_backend(),
                    format!(
                        "SELECT unique_key, run_at_ms, payload FROM jobs WHERE queue = '{QUEUE}' \
                         AND locked_by IS NULL AND attempts < max_attempts"
                    ),
                ))
                .await
                .unwrap();
            for row in rows {
                let key: String = row.try_get("", "unique_key").unwrap();
                let run_at: i64 = row.try_get("", "run_at_ms").unwrap();
                let payload: String = row.try_get("", "payload").unwrap();
                found.insert(key, (run_at, serde_json::from_str(&payload).unwrap()));
            }
        }
        Backend::Postgres => {
            let redis = app.state.redis.as_ref().expect("Redis runs beside PostgreSQL");
            let base = format!("{}jobs:{{{QUEUE}}}", redis.prefix);
            let keys: HashMap<String, String> = redis.pool.hgetall(format!("{base}:keys")).await.unwrap();
            for (key, id) in keys {
                let due: Option<f64> = redis.pool.zscore(format!("{base}:due"), &id).await.unwrap();
                let payload: String = redis.pool.hget(format!("{base}:job:{id}"), "payload").await.unwrap();
                found.insert(key, (due.unwrap() as i64, serde_json::from_str(&payload).unwrap()));
            }
        }
    }
    found
}

/// Asserts that `booking`'s reminders of `kinds` (and no others) wait, due at their moments.
async fn assert_scheduled(app: &TestApp, booking: &bookings::Model, kinds: &[Kind], backend: Backend) {
    let jobs = waiting(app).await;
    let mut keys: Vec<&String> = jobs.keys().collect();
    keys.sort();
    let mut expected: Vec<String> = kinds.iter().map(|kind| reminders::key(booking.id, *kind)).collect();
    expected.sort();
    assert_eq!(keys, expected.iter().collect::<Vec<_>>(), "{backend:?}: the waiting reminders");
    for kind in kinds {
        let (due, payload) = &jobs[&reminders::key(booking.id, *kind)];
        let expected_due = (booking.starts_at - kind.ahead()).timestamp_millis();
        assert!((due - expected_due).abs() < 1_000, "{backend:?}: {kind:?} due at {due}, not {expected_due}");
        assert_eq!(payload, &Payload { booking_id: booking.id, kind: *kind, starts_at: booking.starts_at });
    }
}

fn payload(booking: &bookings::Model, kind: Kind) -> Payload {
    Payload { booking_id: booking.id, kind, starts_at: booking.starts_at }
}

async fn messages_of(app: &TestApp, client_id: i64) -> Vec<messages::Model> {
    messages::Entity::find()
        .filter(messages::Column::ClientId.eq(client_id))
        .order_by_asc(messages::Column::Id)
        .all(&app.db.conn)
        .await
        .unwrap()
}

async fn conversation(app: &TestApp, client_id: i64) -> conversations::Model {
    conversations::Entity::find()
        .filter(conversations::Column::ClientId.eq(client_id))
        .one(&app.db.conn)
        .await
        .unwrap()
        .unwrap()
}

/// Whether an AI reply is due (the strategy answers at once, so one asked for is).
async fn ai_reply_due(app: &TestApp) -> bool {
    let job = app.state.infra.jobs.reserve("ai-reply", std::time::Duration::from_secs(60)).await.unwrap();
    job.is_some()
}

fn subject(raw: &str) -> String {
    let message = mail_parser::MessageParser::default().parse(raw.as_bytes()).expect("a MIME message");
    message.subject().unwrap_or_default().to_owned()
}

fn text(raw: &str) -> String {
    let message = mail_parser::MessageParser::default().parse(raw.as_bytes()).expect("a MIME message");
    message.body_text(0).unwrap_or_default().into_owned()
}

#[tokio::test]
async fn each_way_of_booking_schedules_the_reminders_still_ahead_and_a_move_moves_them() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let fixture = set_up(&app).await;

        // By hand, three days ahead: both.
        let ahead = book(&app, &fixture, from_now(Duration::days(3))).await;
        assert_scheduled(&app, &ahead, &[Kind::DayBefore, Kind::HourBefore], backend).await;

        // Three hours ahead: the day-before moment has passed.
        let soon = book(&app, &fixture, from_now(Duration::hours(3))).await;
        let jobs = waiting(&app).await;
        assert!(jobs.contains_key(&reminders::key(soon.id, Kind::HourBefore)), "{backend:?}");
        assert!(!jobs.contains_key(&reminders::key(soon.id, Kind::DayBefore)), "{backend:?}");
        assert_eq!(jobs.len(), 3, "{backend:?}");

        // Moved a day on: the same two jobs carry the new time.
        service::reschedule(&app.state, &fixture.ana, ahead.id, ahead.starts_at + Duration::days(1)).await.unwrap();
        let moved = bookings::Entity::find_by_id(ahead.id).one(&app.db.conn).await.unwrap().unwrap();
        let jobs = waiting(&app).await;
        assert_eq!(jobs.len(), 3, "{backend:?}: moved, not added");
        for kind in Kind::ALL {
            let (due, payload) = &jobs[&reminders::key(moved.id, kind)];
            assert_eq!(payload.starts_at, moved.starts_at, "{backend:?}");
            assert!((due - (moved.starts_at - kind.ahead()).timestamp_millis()).abs() < 1_000, "{backend:?}");
        }

        // The public page and the persona's way (`book_offered_slot`) schedule theirs too.
        let page = public::page(&app.state, &fixture.slug, None, "", service::now()).await.unwrap();
        let mut free = page.slots.iter().filter(|slot| slot.starts_at > Utc::now() + Duration::hours(25));
        let (first, second) = (free.next().unwrap().starts_at, free.nth(2).unwrap().starts_at);
        let type_slug = page.chosen.unwrap().slug;
        let form = crm::bookings::public::model::GuestForm {
            name: "Eve".into(),
            email: "eve@example.com".into(),
            phone: String::new(),
            note: String::new(),
        };
        let token =
            public::book(&app.state, (&fixture.slug, &type_slug), "Europe/Lisbon", first, &form, service::now())
                .await
                .unwrap();
        let by_visitor = service::find_by_token(&app.db.conn, &token).await.unwrap();
        assert_scheduled_among(&app, &by_visitor, backend).await;
        let input = NewBooking {
            owner_id: fixture.ana.id,
            booking_type_id: Some(fixture.type_id),
            client_id: Some(fixture.client_id),
            starts_at: second,
            timezone: "Europe/Lisbon".into(),
            ..Default::default()
        };
        let by_persona = service::book_offered_slot(&app.state, None, input, service::now()).await.unwrap();
        let by_persona = bookings::Entity::find_by_id(by_persona.id).one(&app.db.conn).await.unwrap().unwrap();
        assert_scheduled_among(&app, &by_persona, backend).await;

        // Nobody to remind (no client, no guest): no job.
        let alone = NewBooking {
            owner_id: fixture.ana.id,
            booking_type_id: Some(fixture.type_id),
            starts_at: from_now(Duration::days(5)),
            ..Default::default()
        };
        service::create(&app.state, &fixture.ana, alone).await.unwrap();
        assert_eq!(waiting(&app).await.len(), 7, "{backend:?}");
        app.cleanup().await;
    }
}

/// Asserts that both reminders of `booking` wait at their moments, among others.
async fn assert_scheduled_among(app: &TestApp, booking: &bookings::Model, backend: Backend) {
    let jobs = waiting(app).await;
    for kind in Kind::ALL {
        let (due, payload) = &jobs[&reminders::key(booking.id, kind)];
        assert_eq!(payload, &self::payload(booking, kind), "{backend:?}");
        assert!((due - (booking.starts_at - kind.ahead()).timestamp_millis()).abs() < 1_000, "{backend:?}");
    }
}

#[tokio::test]
async fn a_reminder_at_its_time_writes_one_message_and_one_email_and_a_second_run_nothing() {
    for backend in BACKENDS {
        let sink = SmtpSink::start().await;
        let config = [("SMTP_URL", sink.url()), ("SMTP_FROM", SMTP_FROM.into()), ("CRM_PUBLIC_ORIGIN", ORIGIN.into())];
        let config: Vec<(&str, &str)> = config.iter().map(|(name, value)| (*name, value.as_str())).collect();
        let app = common::app::start_with(backend, &config).await;
        let fixture = set_up(&app).await;
        let booking = book(&app, &fixture, from_now(Duration::days(3))).await;
        let before = messages_of(&app, fixture.client_id).await.len();

        let day_before = payload(&booking, Kind::DayBefore);
        let at = booking.starts_at - Duration::hours(24);
        let outcome = reminders::remind(&app.state, &day_before, at).await.unwrap();
        let written = messages_of(&app, fixture.client_id).await;
        assert_eq!(written.len(), before + 1, "{backend:?}: one message");
        let reminder = written.last().unwrap();
        assert_eq!(outcome, Outcome::Reminded { message: Some(reminder.id), emailed: true }, "{backend:?}");
        assert_eq!((reminder.role.as_str(), reminder.private), ("ai", false), "{backend:?}: the persona, in public");
        let local = booking.starts_at.with_timezone(&chrono_tz::Europe::Lisbon);
        let expected = format!(
            "Reminder: your call ({}) is tomorrow, {} ({}). Reply here if you need another time.",
            booking.booking_type,
            local.format("%a %-d %b at %H:%M"),
            local.format("%Z")
        );
        assert_eq!(reminder.body, expected, "{backend:?}");
        assert!(!ai_reply_due(&app).await, "{backend:?}: the reminder asks for no AI reply");

        let mails = sink.messages();
        assert_eq!(mails.len(), 1, "{backend:?}");
        assert_eq!(mails[0].recipients, ["carl@example.com"], "{backend:?}: the person booked, not the owner");
        let expected = format!(
            "Reminder: {} with Ana Lima tomorrow at {} (Europe/Lisbon)",
            booking.booking_type,
            local.format("%H:%M")
        );
        assert_eq!(subject(&mails[0].data), expected, "{backend:?}");
        let token = booking.manage_token.as_deref().unwrap();
        let manage = format!("{ORIGIN}/booking/{token}");
        assert!(text(&mails[0].data).contains(&manage), "{backend:?}: the manage link");

        // Again (delivered twice, or after a worker died before acknowledging): nothing more.
        let again = reminders::remind(&app.state, &day_before, at + Duration::seconds(30)).await.unwrap();
        assert_eq!(again, Outcome::Reminded { message: None, emailed: false }, "{backend:?}");
        assert_eq!(messages_of(&app, fixture.client_id).await.len(), before + 1, "{backend:?}");
        assert_eq!(sink.messages().len(), 1, "{backend:?}");

        // The lead asks something, and the team is to answer: the hour-before reminder leaves the
        // conversation waiting for them.
        chat::set_ai_mode(&app.state, &fixture.ana, fixture.client_id, "off").await.unwrap();
        common::persona::lead_says(&app, fixture.client_id, "Is there parking?").await;
        assert_eq!(conversation(&app, fixture.client_id).await.state, "waiting", "{backend:?}");
        let hour_before = payload(&booking, Kind::HourBefore);
        let outcome =
            reminders::remind(&app.state, &hour_before, booking.starts_at - Duration::hours(1)).await.unwrap();
        assert!(matches!(outcome, Outcome::Reminded { message: Some(_), emailed: true }), "{backend:?}: {outcome:?}");
        let last = messages_of(&app, fixture.client_id).await.pop().unwrap();
        assert!(last.body.contains("is in one hour, "), "{backend:?}: {}", last.body);
        assert_eq!(conversation(&app, fixture.client_id).await.state, "waiting", "{backend:?}");
        assert!(subject(&sink.messages()[1].data).contains(" in one hour, at "), "{backend:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_moved_cancelled_or_started_booking_s_reminder_does_nothing() {
    for backend in BACKENDS {
        let sink = SmtpSink::start().await;
        let app = common::app::start_with(backend, &[("SMTP_URL", &sink.url()), ("SMTP_FROM", SMTP_FROM)]).await;
        let fixture = set_up(&app).await;
        let before = messages_of(&app, fixture.client_id).await.len();

        // Moved: the old job finds another time; the new one reminds of the new time.
        let booking = book(&app, &fixture, from_now(Duration::days(3))).await;
        let old = payload(&booking, Kind::DayBefore);
        service::reschedule(&app.state, &fixture.ana, booking.id, booking.starts_at + Duration::days(2)).await.unwrap();
        let moved = bookings::Entity::find_by_id(booking.id).one(&app.db.conn).await.unwrap().unwrap();
        let old_moment = booking.starts_at - Duration::hours(24);
        assert_eq!(reminders::remind(&app.state, &old, old_moment).await.unwrap(), Outcome::Moved, "{backend:?}");
        let new = waiting(&app).await[&reminders::key(booking.id, Kind::DayBefore)].1.clone();
        assert_eq!(new, payload(&moved, Kind::DayBefore), "{backend:?}: the new job carries the new time");
        let outcome = reminders::remind(&app.state, &new, moved.starts_at - Duration::hours(24)).await.unwrap();
        assert!(matches!(outcome, Outcome::Reminded { message: Some(_), emailed: true }), "{backend:?}");
        let reminded = messages_of(&app, fixture.client_id).await;
        assert_eq!(reminded.len(), before + 1, "{backend:?}");
        let day = moved.starts_at.with_timezone(&chrono_tz::Europe::Lisbon).format("%a %-d %b at %H:%M").to_string();
        assert!(reminded[before].body.contains(&day), "{backend:?}: {}", reminded[before].body);

        // Cancelled: nothing.
        service::cancel(&app.state, &fixture.ana, booking.id, "").await.unwrap();
        let hour_before = payload(&moved, Kind::HourBefore);
        let at = moved.starts_at - Duration::hours(1);
        assert_eq!(reminders::remind(&app.state, &hour_before, at).await.unwrap(), Outcome::NotConfirmed);

        // Before the booking's own time only: at or after the start nothing, and a day-before
        // reminder that runs in the last hour (a worker was down) leaves it to the hour-before one.
        let later = book(&app, &fixture, from_now(Duration::days(4))).await;
        for (kind, at) in [
            (Kind::HourBefore, later.starts_at),
            (Kind::HourBefore, later.starts_at + Duration::minutes(5)),
            (Kind::DayBefore, later.starts_at - Duration::minutes(30)),
        ] {
            let outcome = reminders::remind(&app.state, &payload(&later, kind), at).await.unwrap();
            assert_eq!(outcome, Outcome::Passed, "{backend:?}: {kind:?} at {at}");
        }
        // Late but before the start, the hour-before one still says how soon.
        let late = later.starts_at - Duration::minutes(20);
        reminders::remind(&app.state, &payload(&later, Kind::HourBefore), late).await.unwrap();
        let last = messages_of(&app, fixture.client_id).await.pop().unwrap();
        assert!(last.body.contains("is in 20 minutes, "), "{backend:?}: {}", last.body);
        assert_eq!(messages_of(&app, fixture.client_id).await.len(), before + 2, "{backend:?}");
        assert_eq!(sink.messages().len(), 2, "{backend:?}");
        app.cleanup().await;
    }
}

/// Exactly once rests on the unique key of `messages.idempotency_key`: eight runs of one
/// reminder at once (on PostgreSQL truly concurrent transactions) write one message.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_runs_of_one_reminder_at_once_write_one_message() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let fixture = set_up(&app).await;
        let booking = book(&app, &fixture, from_now(Duration::days(3))).await;
        let before = messages_of(&app, fixture.client_id).await.len();
        let day_before = payload(&booking, Kind::DayBefore);
        let at = booking.starts_at - Duration::hours(24);
        let runs = (0..8).map(|_| {
            let (state, payload) = (app.state.clone(), day_before.clone());
            tokio::spawn(async move { reminders::remind(&state, &payload, at).await })
        });
        let outcomes: Vec<Outcome> =
            futures::future::join_all(runs).await.into_iter().map(|run| run.unwrap().unwrap()).collect();
        let wrote = outcomes.iter().filter(|outcome| matches!(outcome, Outcome::Reminded { message: Some(_), .. }));
        assert_eq!(wrote.count(), 1, "{backend:?}: {outcomes:?}");
        assert_eq!(messages_of(&app, fixture.client_id).await.len(), before + 1, "{backend:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_worker_runs_a_due_reminder_through_its_queue() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let fixture = set_up(&app).await;
        let booking = book(&app, &fixture, from_now(Duration::minutes(90))).await;
        let handlers = crm::domains::queue_handlers();
        let shutdown = Shutdown::manual();
        assert!(!worker::run_once(&app.state, &handlers, &shutdown).await, "{backend:?}: nothing due yet");

        // Made due now (the waiting job moved), the worker runs it with the real clock.
        let key = reminders::key(booking.id, Kind::HourBefore);
        let due_now = serde_json::to_string(&payload(&booking, Kind::HourBefore)).unwrap();
        app.state.infra.jobs.schedule(QUEUE, &key, &due_now, std::time::Duration::ZERO).await.unwrap();
        let before = messages_of(&app, fixture.client_id).await.len();
        assert!(worker::run_once(&app.state, &handlers, &shutdown).await, "{backend:?}");
        let written = messages_of(&app, fixture.client_id).await;
        assert_eq!(written.len(), before + 1, "{backend:?}");
        assert!(written[before].body.starts_with("Reminder: your call ("), "{backend:?}: {}", written[before].body);
        assert!(!worker::run_once(&app.state, &handlers, &shutdown).await, "{backend:?}: acknowledged, no reply due");
        app.cleanup().await;
    }
}
