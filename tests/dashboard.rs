//! The dashboard on SQLite and on PostgreSQL + Redis: a fixed fixture whose every figure is known
//! (a range across the end of daylight saving time in New York, so one day lasts 25 hours), an
//! empty range, a viewer in a quarter-hour time zone far from UTC, the cache and its invalidation,
//! the message writer's speed-to-lead columns, and the page as the server renders it.
#![cfg(feature = "ssr")]

mod common;

use chrono::{DateTime, Utc};
use common::{BACKENDS, accounts::account, app::TestApp};
use crm::{
    chat::{
        conversation_entity as conversations,
        inbox_rows::SearchBounds,
        model::InboxQuery,
        service::{self as chat, Author, NewMessage},
    },
    clients::{
        model::ClientForm,
        service::{self as client_service, Duplicates},
    },
    dashboard::{
        figures,
        model::{Dashboard, DashboardQuery, Figure, Speed},
        range::Window,
        service::{self as dashboard, Served},
    },
    server::sql::statement,
    users::model::CurrentUser,
};
use sea_orm::{ConnectionTrait, EntityTrait, TryGetable, Value};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

async fn exec(app: &TestApp, sql: &str, values: Vec<Value>) {
    let db = &app.db.conn;
    db.execute_raw(statement(db.get_database_backend(), sql, values))
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

async fn returning_id(app: &TestApp, sql: &str, values: Vec<Value>) -> i64 {
    let db = &app.db.conn;
    let row = db.query_one_raw(statement(db.get_database_backend(), sql, values)).await.unwrap().unwrap();
    row.try_get_by_index(0).unwrap()
}

/// A client of `owner` created at `created` and now in `status`.
async fn client(app: &TestApp, owner: &CurrentUser, strategy: i64, name: &str, created: &str, status: &str) -> i64 {
    let form = ClientForm { name: name.into(), strategy_id: strategy.to_string(), ..Default::default() };
    let id = client_service::create(&app.state, owner, &form, Duplicates::Allow).await.unwrap();
    exec(
        app,
        "UPDATE clients SET created_at = ?, status = ? WHERE id = ?",
        vec![at(created).into(), status.into(), id.into()],
    )
    .await;
    id
}

/// A conversation with its speed-to-lead columns as the message writer keeps them.
async fn conversation(
    app: &TestApp,
    client: i64,
    owner: i64,
    first_lead: Option<&str>,
    first_reply: Option<(&str, &str)>,
    handed_off: bool,
) -> i64 {
    let lead_at = first_lead.map(at);
    let reply_at = first_reply.map(|(when, _)| at(when));
    let secs = lead_at.zip(reply_at).map(|(lead, reply)| (reply - lead).num_seconds());
    returning_id(
        app,
        "INSERT INTO conversations (client_id, owner_id, state, ai_mode, last_activity_at, version, created_at, \
         first_lead_at, first_reply_at, first_reply_role, first_reply_secs, handed_off_at) \
         VALUES (?, ?, 'open', 'off', ?, 0, ?, ?, ?, ?, ?, ?) RETURNING id",
        vec![
            client.into(),
            owner.into(),
            at("2026-11-05T00:00:00Z").into(),
            at("2026-10-01T00:00:00Z").into(),
            lead_at.into(),
            reply_at.into(),
            first_reply.map(|(_, role)| role.to_owned()).into(),
            secs.into(),
            handed_off.then(|| at("2026-11-02T05:00:00Z")).into(),
        ],
    )
    .await
}

async fn message(app: &TestApp, client: i64, conversation: i64, role: &str, when: &str, private: bool) {
    exec(
        app,
        "INSERT INTO messages (client_id, conversation_id, role, body, channel, created_at, private, delivery) \
         VALUES (?, ?, ?, 'Hello', 'web', ?, ?, 'sent')",
        vec![client.into(), conversation.into(), role.into(), at(when).into(), private.into()],
    )
    .await;
}

async fn booking(app: &TestApp, owner: i64, client: i64, created: &str, starts: &str, status: &str) {
    let starts = at(starts);
    let ends = starts + chrono::Duration::minutes(30);
    exec(
        app,
        "INSERT INTO bookings (owner_id, client_id, starts_at, ends_at, blocked_from, blocked_until, subject, status, \
         created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'Discovery call', ?, ?, ?)",
        vec![
            owner.into(),
            client.into(),
            starts.into(),
            ends.into(),
            starts.into(),
            ends.into(),
            status.into(),
            at(created).into(),
            at(created).into(),
        ],
    )
    .await;
}

struct Fixture {
    admin: CurrentUser,
    ana: CurrentUser,
    bob: CurrentUser,
}

/// Ana (New York) and her leads, conversations and bookings around the end of daylight saving
/// time (Sunday 1 Nov 2026, 02:00 EDT → 01:00 EST); Bob with one lead.
async fn set_up(app: &TestApp) -> Fixture {
    let mut admin = account(app, "Admin", "admin@example.com").await;
    let mut ana = account(app, "Ana Lima", "ana@example.com").await;
    let mut bob = account(app, "Bob Stone", "bob@example.com").await;
    exec(app, "UPDATE users SET timezone = 'America/New_York'", vec![]).await;
    for user in [&mut admin, &mut ana, &mut bob] {
        user.timezone = "America/New_York".into();
    }
    let warm = common::accounts::strategy(app, ana.id, "Warm").await;
    let cold = common::accounts::strategy(app, ana.id, "Cold").await;
    let bobs = common::accounts::strategy(app, bob.id, "Bob's").await;

    // 23:59 EDT on Thursday 29 Oct: the period before.
    let c1 = client(app, &ana, warm, "C1", "2026-10-30T03:59:00Z", "lost").await;
    // Midnight EDT, Friday 30 Oct: the range's first day.
    let c2 = client(app, &ana, warm, "C2", "2026-10-30T04:00:00Z", "lead").await;
    // 23:30 EST on Sunday 1 Nov (at UTC−4 it would be Monday).
    let c3 = client(app, &ana, warm, "C3", "2026-11-02T04:30:00Z", "won").await;
    // 23:59 EST on Monday 2 Nov: the range's last minute...
    let c4 = client(app, &ana, cold, "C4", "2026-11-03T04:59:00Z", "booked").await;
    // ...and just after it.
    client(app, &ana, cold, "C5", "2026-11-03T05:00:00Z", "won").await;
    client(app, &ana, warm, "C6", "2026-10-27T12:00:00Z", "won").await;
    client(app, &bob, bobs, "B1", "2026-10-31T12:00:00Z", "qualified").await;

    // C2: the lead at 10:00 EDT on Friday, the AI 30 s later, a private note, the team at 01:30
    // EDT on Sunday (before the clocks go back).
    let a =
        conversation(app, c2, ana.id, Some("2026-10-30T14:00:00Z"), Some(("2026-10-30T14:00:30Z", "ai")), false).await;
    message(app, c2, a, "client", "2026-10-30T14:00:00Z", false).await;
    message(app, c2, a, "ai", "2026-10-30T14:00:30Z", false).await;
    message(app, c2, a, "agent", "2026-10-30T15:00:00Z", true).await;
    message(app, c2, a, "agent", "2026-11-01T05:30:00Z", false).await;
    // C3: the lead at 23:30 EST on Sunday, the team ten minutes later; the AI had handed it off.
    let b = conversation(app, c3, ana.id, Some("2026-11-02T04:30:00Z"), Some(("2026-11-02T04:40:00Z", "agent")), true)
        .await;
    message(app, c3, b, "client", "2026-11-02T04:30:00Z", false).await;
    message(app, c3, b, "agent", "2026-11-02T04:40:00Z", false).await;
    // C1, in the period before: the AI answered in two minutes.
    let c =
        conversation(app, c1, ana.id, Some("2026-10-29T12:00:00Z"), Some(("2026-10-29T12:02:00Z", "ai")), false).await;
    message(app, c1, c, "client", "2026-10-29T12:00:00Z", false).await;
    message(app, c1, c, "ai", "2026-10-29T12:02:00Z", false).await;
    // C4: the lead at 15:00 EST on Monday, no answer yet.
    let d = conversation(app, c4, ana.id, Some("2026-11-02T20:00:00Z"), None, false).await;
    message(app, c4, d, "client", "2026-11-02T20:00:00Z", false).await;

    // Bookings: two made on Friday 30 Oct's week, one on Monday 2 Nov's, one in the period before.
    booking(app, ana.id, c2, "2026-10-30T15:00:00Z", "2026-10-31T14:00:00Z", "completed").await;
    booking(app, ana.id, c4, "2026-11-02T15:00:00Z", "2026-11-02T18:00:00Z", "no_show").await;
    booking(app, ana.id, c2, "2026-10-28T12:00:00Z", "2026-11-20T15:00:00Z", "confirmed").await;
    booking(app, ana.id, c3, "2026-10-31T12:00:00Z", "2026-11-01T16:00:00Z", "cancelled").await;
    Fixture { admin, ana, bob }
}

const NOW: &str = "2026-11-10T17:00:00Z";

/// A row of the people table: name, leads, median first answer, bookings, shows, wins.
type PersonRow<'a> = (&'a str, u64, Option<u64>, u64, u64, u64);

fn dst_range() -> DashboardQuery {
    DashboardQuery { range: "custom".into(), from: "2026-10-30".into(), to: "2026-11-02".into(), owner: None }
}

async fn load(app: &TestApp, user: &CurrentUser, query: &DashboardQuery) -> (Dashboard, Served) {
    dashboard::load(&app.state, user, query, at(NOW)).await.unwrap()
}

fn tile(dashboard: &Dashboard, label: &str) -> (Figure, Figure) {
    let tile = dashboard.tiles.iter().find(|tile| tile.label == label).unwrap_or_else(|| panic!("no tile {label}"));
    (tile.value, tile.previous)
}

fn counts(series: &[crm::dashboard::model::DayCount]) -> Vec<(&str, u64)> {
    series.iter().map(|day| (day.day.as_str(), day.count)).collect()
}

fn speed(answered: u64, median: Option<u64>, p90: Option<u64>) -> Speed {
    Speed { answered, median_secs: median, p90_secs: p90 }
}

#[tokio::test]
async fn a_fixed_fixture_gives_every_figure_exactly_across_a_daylight_saving_change() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let fixture = set_up(&app).await;
        let (ana, _) = load(&app, &fixture.ana, &dst_range()).await;

        assert_eq!(ana.range.days, 4, "{backend:?}");
        assert_eq!(ana.range.label, "30 Oct – 2 Nov 2026");
        assert_eq!(ana.range.previous_label, "26 Oct – 29 Oct 2026");
        assert_eq!(tile(&ana, "New leads"), (Figure::Count(3), Figure::Count(2)), "{backend:?}");
        assert_eq!(tile(&ana, "Active conversations"), (Figure::Count(3), Figure::Count(1)));
        assert_eq!(tile(&ana, "Messages in"), (Figure::Count(3), Figure::Count(1)));
        assert_eq!(tile(&ana, "Messages out"), (Figure::Count(3), Figure::Count(1)));
        assert_eq!(tile(&ana, "Bookings made"), (Figure::Count(3), Figure::Count(1)));
        assert_eq!(tile(&ana, "Show rate"), (Figure::Share(Some(0.5)), Figure::Share(None)));
        assert_eq!(tile(&ana, "Win rate"), (Figure::Share(Some(1.0)), Figure::Share(Some(0.5))));

        assert_eq!(
            counts(&ana.new_leads),
            [("2026-10-30", 1), ("2026-10-31", 0), ("2026-11-01", 1), ("2026-11-02", 1)],
            "{backend:?}: C3 (23:30 EST) on Sunday, C4 at 23:59 on Monday, C5 a minute later outside"
        );
        let messages: Vec<(u64, u64, u64)> = ana.messages.iter().map(|day| (day.lead, day.ai, day.agent)).collect();
        assert_eq!(messages, [(1, 1, 0), (0, 0, 0), (1, 0, 2), (1, 0, 0)], "{backend:?}: the private note aside");
        assert_eq!(counts(&ana.bookings_by_week), [("2026-10-26", 2), ("2026-11-02", 1)]);

        let funnel: Vec<(&str, u64)> = ana.funnel.iter().map(|step| (step.status.as_str(), step.reached)).collect();
        assert_eq!(funnel, [("lead", 3), ("contacted", 2), ("qualified", 2), ("booked", 2), ("won", 1)]);
        assert_eq!(ana.lost, 0);

        let mut cells = Vec::new();
        for (weekday, hours) in ana.heatmap.iter().enumerate() {
            for (hour, n) in hours.iter().enumerate() {
                if *n > 0 {
                    cells.push((weekday, hour, *n));
                }
            }
        }
        assert_eq!(cells, [(0, 15, 1), (4, 10, 1), (6, 23, 1)], "{backend:?}: Monday 15h, Friday 10h, Sunday 23h");

        assert_eq!(ana.speed.ai, speed(1, Some(30), Some(30)));
        assert_eq!(ana.speed.human, speed(1, Some(600), Some(600)));
        assert_eq!(ana.speed.ai_previous, speed(1, Some(120), Some(120)));
        assert_eq!(ana.speed.human_previous, speed(0, None, None));
        assert_eq!(ana.speed.unanswered, 1);

        let upcoming: Vec<(&str, &str)> = ana.upcoming.iter().map(|b| (b.who.as_str(), b.when.as_str())).collect();
        assert_eq!(upcoming, [("C2", "Fri 20 Nov 2026, 10:00")]);
        let strategies: Vec<(&str, u64, u64, u64)> =
            ana.strategies.iter().map(|row| (row.name.as_str(), row.leads, row.booked, row.handed_off)).collect();
        assert_eq!(strategies, [("Cold", 1, 1, 0), ("Warm", 2, 1, 1)], "{backend:?}: by booked rate");
        assert_eq!(ana.users, None, "members see no people table");
        assert!(ana.owners.is_empty());

        // A member cannot look at someone else's figures.
        let (bob, _) = load(&app, &fixture.bob, &DashboardQuery { owner: Some(fixture.ana.id), ..dst_range() }).await;
        assert_eq!(tile(&bob, "New leads"), (Figure::Count(1), Figure::Count(0)), "{backend:?}");
        assert_eq!(bob.owner, Some(fixture.bob.id));

        // An admin sees everyone's, and the people table.
        let (everyone, _) = load(&app, &fixture.admin, &dst_range()).await;
        assert_eq!(tile(&everyone, "New leads"), (Figure::Count(4), Figure::Count(2)));
        // Everyone's new leads, stages and messages come from the rollups summed over the owners:
        // Ana's, and Bob's B1 (qualified, on Saturday) who has no messages.
        assert_eq!(
            counts(&everyone.new_leads),
            [("2026-10-30", 1), ("2026-10-31", 1), ("2026-11-01", 1), ("2026-11-02", 1)],
            "{backend:?}"
        );
        let funnel: Vec<(&str, u64)> =
            everyone.funnel.iter().map(|step| (step.status.as_str(), step.reached)).collect();
        assert_eq!(funnel, [("lead", 4), ("contacted", 3), ("qualified", 3), ("booked", 2), ("won", 1)]);
        assert_eq!(tile(&everyone, "Win rate"), tile(&ana, "Win rate"), "{backend:?}");
        let everyones: Vec<(u64, u64, u64)> =
            everyone.messages.iter().map(|day| (day.lead, day.ai, day.agent)).collect();
        assert_eq!(everyones, messages, "{backend:?}");
        assert_eq!(tile(&everyone, "Messages in"), tile(&ana, "Messages in"), "{backend:?}");
        assert_eq!(tile(&everyone, "Messages out"), tile(&ana, "Messages out"), "{backend:?}");
        assert_eq!(everyone.heatmap, ana.heatmap, "{backend:?}");
        let strategies: Vec<(&str, u64, u64, u64)> =
            everyone.strategies.iter().map(|row| (row.name.as_str(), row.leads, row.booked, row.handed_off)).collect();
        assert_eq!(strategies, [("Cold", 1, 1, 0), ("Warm", 2, 1, 1), ("Bob's", 1, 0, 0)], "{backend:?}");
        let people: Vec<PersonRow> = everyone
            .users
            .as_ref()
            .unwrap()
            .iter()
            .map(|row| (row.name.as_str(), row.leads, row.median_first_reply_secs, row.bookings, row.shows, row.wins))
            .collect();
        assert_eq!(
            people,
            [("Admin", 0, None, 0, 0, 0), ("Ana Lima", 3, Some(30), 3, 1, 1), ("Bob Stone", 1, None, 0, 0, 0)],
            "{backend:?}"
        );
        assert_eq!(everyone.owners.len(), 3);
        // ...or one owner's.
        let (only_bob, _) =
            load(&app, &fixture.admin, &DashboardQuery { owner: Some(fixture.bob.id), ..dst_range() }).await;
        assert_eq!(tile(&only_bob, "New leads"), (Figure::Count(1), Figure::Count(0)));
        assert_eq!(only_bob.users.as_ref().map(Vec::len), Some(1));

        // A range with nothing in it.
        let empty =
            DashboardQuery { range: "custom".into(), from: "2026-09-01".into(), to: "2026-09-07".into(), owner: None };
        let (nothing, _) = load(&app, &fixture.ana, &empty).await;
        assert!(
            nothing.tiles.iter().all(|tile| matches!(tile.value, Figure::Count(0) | Figure::Share(None))),
            "{backend:?}"
        );
        assert!(nothing.new_leads.iter().all(|day| day.count == 0) && nothing.new_leads.len() == 7);
        assert_eq!(nothing.speed.ai, speed(0, None, None));
        assert!(nothing.strategies.is_empty());
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_people_table_gives_each_owner_the_median_of_their_own_first_answers() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let admin = account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana Lima", "ana@example.com").await;
        let bob = account(&app, "Bob Stone", "bob@example.com").await;
        let cy = account(&app, "Cy Moss", "cy@example.com").await;
        // Answer times in seconds, and the lead's first message, per owner: the median by nearest
        // rank is the ⌈n/2⌉-th smallest of the window's answered conversations.
        let answers: [(&CurrentUser, &[(i64, &str)]); 3] = [
            // 10, 20, 30, 40 in the window: the 2nd, 20 (the 1,000 s one is the day before it).
            (
                &ana,
                &[
                    (40, "2026-11-01T09:00:00Z"),
                    (10, "2026-11-01T10:00:00Z"),
                    (30, "2026-11-02T23:59:00Z"),
                    (20, "2026-11-02T12:00:00Z"),
                    (1_000, "2026-10-31T23:59:59Z"),
                ],
            ),
            // 5, 7, 100: the 2nd, 7; and one with no answer yet, which does not count.
            (&bob, &[(100, "2026-11-01T08:00:00Z"), (5, "2026-11-02T08:00:00Z"), (7, "2026-11-01T18:00:00Z")]),
            // Only after the window: no median.
            (&cy, &[(3, "2026-11-03T00:00:00Z")]),
        ];
        for (owner, times) in answers {
            let strategy = common::accounts::strategy(&app, owner.id, "Warm").await;
            for (n, (secs, lead)) in times.iter().enumerate() {
                let id = client(&app, owner, strategy, &format!("{} {n}", owner.name), lead, "lead").await;
                let reply = (at(lead) + chrono::Duration::seconds(*secs)).to_rfc3339();
                conversation(&app, id, owner.id, Some(lead), Some((&reply, "ai")), false).await;
            }
        }
        let bobs = common::accounts::strategy(&app, bob.id, "Cold").await;
        let unanswered = client(&app, &bob, bobs, "Bob waiting", "2026-11-01T12:00:00Z", "lead").await;
        conversation(&app, unanswered, bob.id, Some("2026-11-01T12:00:00Z"), None, false).await;

        let query =
            DashboardQuery { range: "custom".into(), from: "2026-11-01".into(), to: "2026-11-02".into(), owner: None };
        let (everyone, _) = load(&app, &admin, &query).await;
        let medians: Vec<(&str, Option<u64>)> = everyone
            .users
            .as_ref()
            .unwrap()
            .iter()
            .map(|row| (row.name.as_str(), row.median_first_reply_secs))
            .collect();
        assert_eq!(
            medians,
            [("Admin", None), ("Ana Lima", Some(20)), ("Bob Stone", Some(7)), ("Cy Moss", None)],
            "{backend:?}"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_viewer_in_a_quarter_hour_zone_far_from_utc_gets_their_own_days_and_hours() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let mut ana = account(&app, "Ana Lima", "ana@example.com").await;
        // Kathmandu is UTC+5:45: 18:15 UTC is local midnight.
        exec(&app, "UPDATE users SET timezone = 'Asia/Kathmandu'", vec![]).await;
        ana.timezone = "Asia/Kathmandu".into();
        let strategy = common::accounts::strategy(&app, ana.id, "Warm").await;
        let before = client(&app, &ana, strategy, "Before", "2026-11-05T18:14:59Z", "lead").await;
        client(&app, &ana, strategy, "After", "2026-11-05T18:15:00Z", "lead").await;
        let talk = conversation(&app, before, ana.id, None, None, false).await;
        message(&app, before, talk, "client", "2026-11-05T18:14:59Z", false).await;
        message(&app, before, talk, "client", "2026-11-05T18:15:00Z", false).await;

        let query =
            DashboardQuery { range: "custom".into(), from: "2026-11-05".into(), to: "2026-11-06".into(), owner: None };
        let (figures, _) = load(&app, &ana, &query).await;
        assert_eq!(counts(&figures.new_leads), [("2026-11-05", 1), ("2026-11-06", 1)], "{backend:?}");
        // Thursday 23:59:59 and Friday 00:00 local.
        assert_eq!(figures.heatmap[3][23], 1, "{backend:?}");
        assert_eq!(figures.heatmap[4][0], 1, "{backend:?}");
        assert_eq!(figures.range.timezone, "Asia/Kathmandu");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_second_load_comes_from_the_cache_and_a_new_lead_message_or_booking_changes_the_next() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let fixture = set_up(&app).await;
        let query = dst_range();
        let (first, served) = load(&app, &fixture.ana, &query).await;
        assert_eq!(served, Served::Computed, "{backend:?}");
        let (second, served) = load(&app, &fixture.ana, &query).await;
        assert_eq!((served, &second), (Served::Cache, &first), "{backend:?}");

        // A new lead in the range.
        let warm =
            returning_id(&app, "SELECT MIN(id) FROM strategies WHERE owner_id = ?", vec![fixture.ana.id.into()]).await;
        let lead = client(&app, &fixture.ana, warm, "New", "2026-10-31T12:00:00Z", "lead").await;
        let (after_lead, served) = load(&app, &fixture.ana, &query).await;
        assert_eq!(served, Served::Computed, "{backend:?}: a new lead");
        assert_eq!(tile(&after_lead, "New leads").0, Figure::Count(4));
        assert_eq!(load(&app, &fixture.ana, &query).await.1, Served::Cache);

        // A new message in the range.
        let talk = conversation(&app, lead, fixture.ana.id, None, None, false).await;
        message(&app, lead, talk, "client", "2026-10-31T12:05:00Z", false).await;
        let (after_message, served) = load(&app, &fixture.ana, &query).await;
        assert_eq!(served, Served::Computed, "{backend:?}: a new message");
        assert_eq!(tile(&after_message, "Messages in").0, Figure::Count(4));

        // A new booking, and a booking marked completed.
        booking(&app, fixture.ana.id, lead, "2026-11-01T12:00:00Z", "2026-11-01T20:00:00Z", "no_show").await;
        let (after_booking, served) = load(&app, &fixture.ana, &query).await;
        assert_eq!(served, Served::Computed, "{backend:?}: a new booking");
        assert_eq!(tile(&after_booking, "Bookings made").0, Figure::Count(4));
        assert_eq!(tile(&after_booking, "Show rate").0, Figure::Share(Some(1.0 / 3.0)));
        exec(
            &app,
            "UPDATE bookings SET status = 'completed', updated_at = ? WHERE status = 'no_show'",
            vec![Utc::now().into()],
        )
        .await;
        let (after_update, served) = load(&app, &fixture.ana, &query).await;
        assert_eq!(served, Served::Computed, "{backend:?}: a booking changed");
        assert_eq!(tile(&after_update, "Show rate").0, Figure::Share(Some(1.0)));

        // A lead moved to another stage.
        exec(&app, "UPDATE clients SET status = 'won' WHERE id = ?", vec![lead.into()]).await;
        let (after_stage, served) = load(&app, &fixture.ana, &query).await;
        assert_eq!(served, Served::Computed, "{backend:?}: a stage changed");
        assert_eq!(after_stage.funnel.last().map(|step| step.reached), Some(2));
        app.cleanup().await;
    }
}

/// Every client id of the inbox's pages for `query` as `user` sees it, sorted.
async fn inbox_clients(app: &TestApp, user: &CurrentUser, query: InboxQuery, bounds: SearchBounds) -> Vec<i64> {
    let mut query = query;
    let mut found = Vec::new();
    for _ in 0..50 {
        let page = chat::inbox_bounded(&app.state, user, &query, bounds).await.unwrap();
        found.extend(page.rows.iter().map(|row| row.client_id));
        match page.next {
            Some(after) => query = InboxQuery { after, ..query },
            None => {
                found.sort_unstable();
                return found;
            }
        }
    }
    panic!("the pages never end");
}

/// The "active conversations" tile links to the inbox for the range's days, which lists exactly
/// the conversations the tile counts, in the viewer's days (Sunday 1 Nov lasts 25 hours in New
/// York), whether it lists them by id or reads the inbox a window at a time.
#[tokio::test]
async fn the_inbox_for_a_range_lists_the_conversations_the_active_figure_counts() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let fixture = set_up(&app).await;
        let mut ids = Vec::new();
        for name in ["C1", "C2", "C3", "C4"] {
            ids.push(returning_id(&app, "SELECT id FROM clients WHERE name = ?", vec![name.into()]).await);
        }
        let [c1, c2, c3, c4] = ids[..] else { unreachable!() };

        let (ana, _) = load(&app, &fixture.ana, &dst_range()).await;
        let active = ana.tiles.iter().find(|tile| tile.label == "Active conversations").unwrap();
        assert_eq!(active.href.as_deref(), Some("/chat?from=2026-10-30&to=2026-11-02"), "{backend:?}");
        assert_eq!(ana.messages[0].day, "2026-10-30");

        let days = |from: &str, to: &str| InboxQuery { from: from.into(), to: to.into(), ..InboxQuery::default() };
        for bounds in
            [SearchBounds::DEFAULT, SearchBounds { exact: 0, window: 1 }, SearchBounds { exact: 1, window: 2 }]
        {
            let ana = &fixture.ana;
            let listed = |query| inbox_clients(&app, ana, query, bounds);
            assert_eq!(listed(days("2026-10-30", "2026-11-02")).await, [c2, c3, c4], "{backend:?} {bounds:?}");
            assert_eq!(
                listed(days("2026-10-26", "2026-10-29")).await,
                [c1],
                "{backend:?} {bounds:?}: the period before"
            );
            // C2's team answer at 01:30 EDT and C3's lead at 23:30 EST are both on Sunday.
            assert_eq!(listed(days("2026-11-01", "2026-11-01")).await, [c2, c3], "{backend:?} {bounds:?}");
            assert_eq!(listed(days("2026-11-02", "2026-11-02")).await, [c4], "{backend:?} {bounds:?}");
            assert_eq!(listed(days("2026-11-02", "")).await, [c4], "{backend:?} {bounds:?}: from a day on");
            assert_eq!(listed(days("", "2026-10-29")).await, [c1], "{backend:?} {bounds:?}: up to a day");
            assert!(listed(days("2026-11-02", "2026-10-30")).await.is_empty(), "{backend:?}: a reversed range");
            assert!(listed(days("2026-09-01", "2026-09-30")).await.is_empty(), "{backend:?}: a quiet month");
            // C2's private note on Friday at 15:00 UTC is not activity; its lead wrote at 14:00.
            let friday_noon = InboxQuery { stage: "lead".into(), ..days("2026-10-30", "2026-10-30") };
            assert_eq!(listed(friday_noon).await, [c2], "{backend:?} {bounds:?}: with another filter");

            // An admin: everyone's (Bob's lead has no conversation) or one owner's.
            let admin = &fixture.admin;
            let everyone = inbox_clients(&app, admin, days("2026-10-30", "2026-11-02"), bounds).await;
            assert_eq!(everyone, [c2, c3, c4], "{backend:?} {bounds:?}");
            let bobs = InboxQuery { owner: fixture.bob.id.to_string(), ..days("2026-10-30", "2026-11-02") };
            assert!(inbox_clients(&app, admin, bobs, bounds).await.is_empty(), "{backend:?} {bounds:?}");
            // A member sees only their own, whatever the address says.
            let as_bob = InboxQuery { owner: fixture.ana.id.to_string(), ..days("2026-10-30", "2026-11-02") };
            assert!(inbox_clients(&app, &fixture.bob, as_bob, bounds).await.is_empty(), "{backend:?} {bounds:?}");
        }
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_message_writer_keeps_the_first_lead_message_and_its_first_public_answer() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let ana = account(&app, "Ana Lima", "ana@example.com").await;
        let strategy = common::accounts::strategy(&app, ana.id, "Warm").await;
        let form = ClientForm { name: "Carl".into(), strategy_id: strategy.to_string(), ..Default::default() };
        let carl = client_service::create(&app.state, &ana, &form, Duplicates::Allow).await.unwrap();
        let write = |author, body, private| NewMessage { client_id: carl, author, body, private, channel: "web" };

        // The team writing first is no answer to anything.
        chat::record(&app.state, write(Author::Agent(&ana), "Hi Carl, anything I can do?", false)).await.unwrap();
        let lead = chat::record(&app.state, write(Author::Lead, "Yes, prices please", false)).await.unwrap();
        chat::record(&app.state, write(Author::Agent(&ana), "A note for us", true)).await.unwrap();
        let after_note =
            conversations::Entity::find_by_id(lead.conversation.id).one(&app.db.conn).await.unwrap().unwrap();
        assert_eq!(after_note.first_lead_at, Some(lead.message.created_at), "{backend:?}");
        assert_eq!(after_note.first_reply_at, None, "{backend:?}: a private note answers nothing");

        let answer = chat::record(&app.state, write(Author::Ai, "They start at 40 € a month.", false)).await.unwrap();
        chat::record(&app.state, write(Author::Lead, "And yearly?", false)).await.unwrap();
        chat::record(&app.state, write(Author::Agent(&ana), "10% off", false)).await.unwrap();
        let row = conversations::Entity::find_by_id(lead.conversation.id).one(&app.db.conn).await.unwrap().unwrap();
        assert_eq!(row.first_lead_at, Some(lead.message.created_at), "{backend:?}");
        assert_eq!(row.first_reply_at, Some(answer.message.created_at), "{backend:?}");
        assert_eq!(row.first_reply_role.as_deref(), Some("ai"));
        assert_eq!(row.first_reply_secs, Some((answer.message.created_at - lead.message.created_at).num_seconds()));
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_page_is_drawn_on_the_server_and_a_bad_range_answers_422_with_the_form() {
    for backend in BACKENDS {
        let app = common::app::start_with(backend, &[("CRM_ALLOW_SIGNUP", "true")]).await;
        let answer = app
            .post_form(
                "/api/signup",
                &[("name", "Ana"), ("email", "ana@example.com"), ("password", common::accounts::PASSWORD)],
                None,
            )
            .await;
        let cookie = answer.session_cookie().unwrap();

        let page = app.get("/?range=7d", Some(&cookie)).await;
        assert_eq!(page.status, axum::http::StatusCode::OK, "{backend:?}");
        for part in ["<svg", "role=\"img\"", "New leads per day", "Speed to lead", "<table", "Last 7 days"] {
            assert!(page.body.contains(part), "{backend:?}: the page holds {part}");
        }

        let bad = app.get("/?range=custom&from=2026-11-08&to=2026-11-01", Some(&cookie)).await;
        assert_eq!(bad.status, axum::http::StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}");
        assert!(bad.body.contains("The range ends before it starts."), "{backend:?}");
        assert!(bad.body.contains("value=\"2026-11-08\""), "{backend:?}: the form keeps what was typed");
        app.cleanup().await;
    }
}

/// A rollup of messages: (owner, quarter hour or hour, role, count).
type Sums = Vec<(i64, i64, String, i64)>;

/// The quarter hours conversations were active in: (owner, quarter hour, client, the client's
/// quarter hour before).
type Activity = Vec<(i64, i64, i64, Option<i64>)>;

/// Per owner and hour: the conversations whose first quarter hour is in it, and the links between
/// a conversation's quarter hours that start in it less those that end in it.
type ActivityHours = Vec<(i64, i64, i64, i64)>;

/// Every rollup the dashboard reads.
type Rollups = (Sums, Activity, Sums, Sums, Sums, ActivityHours, Sums, Sums);

/// [`ActivityHours`] as the activity says they should be, without the hours where both are zero.
fn activity_hours(activity: &Activity) -> ActivityHours {
    let mut hours: std::collections::BTreeMap<(i64, i64), (i64, i64)> = std::collections::BTreeMap::new();
    for &(owner, bucket, _, previous) in activity {
        match previous {
            None => hours.entry((owner, bucket / 4)).or_default().0 += 1,
            Some(previous) => {
                hours.entry((owner, bucket / 4)).or_default().1 -= 1;
                hours.entry((owner, previous / 4)).or_default().1 += 1;
            }
        }
    }
    hours
        .into_iter()
        .filter(|(_, counts)| *counts != (0, 0))
        .map(|((owner, hour), (firsts, links))| (owner, hour, firsts, links))
        .collect()
}

/// The rows of `sql`, of four columns each.
async fn four_columns<A: TryGetable, B: TryGetable, C: TryGetable, D: TryGetable>(
    db: &sea_orm::DatabaseConnection,
    sql: &str,
) -> Vec<(A, B, C, D)> {
    let rows = db.query_all_raw(statement(db.get_database_backend(), sql, vec![])).await.unwrap();
    rows.iter()
        .map(|row| {
            (
                row.try_get_by_index(0).unwrap(),
                row.try_get_by_index(1).unwrap(),
                row.try_get_by_index(2).unwrap(),
                row.try_get_by_index(3).unwrap(),
            )
        })
        .collect()
}

/// The rollups as they are, and as counting the messages and clients says they should be: (owner,
/// quarter hour, role, count), [`Activity`], (owner, hour, role, count), and everyone's (0, hour,
/// role, count) and (0, hour, stage, clients created), [`ActivityHours`], and the owners' clients
/// created (owner, hour, stage, count) and (owner, UTC day, "strategy:stage", count).
async fn rollups_and_recount(app: &TestApp) -> [Rollups; 2] {
    let db = &app.db.conn;
    let backend = db.get_database_backend();
    let bucket = match backend {
        sea_orm::DatabaseBackend::Postgres => "CAST(FLOOR(EXTRACT(EPOCH FROM m.created_at) / 900) AS BIGINT)",
        _ => "(CAST(strftime('%s', m.created_at) AS INTEGER) / 900)",
    };
    let since_1970 = |unit: i64| match backend {
        sea_orm::DatabaseBackend::Postgres => format!("CAST(FLOOR(EXTRACT(EPOCH FROM created_at) / {unit}) AS BIGINT)"),
        _ => format!("(CAST(strftime('%s', created_at) AS INTEGER) / {unit})"),
    };
    let (hour, day) = (since_1970(3600), since_1970(86_400));
    let strategy_and_stage = "CAST(strategy_id AS VARCHAR) || ':' || status";
    let counted = "m.role IN ('client', 'ai', 'agent') AND NOT m.private";
    let sums = |sql: String| async move {
        let rows: Sums = four_columns(db, &sql).await;
        rows
    };
    let activity = |sql: String| async move {
        let rows: Activity = four_columns(db, &sql).await;
        rows
    };
    let mut recount = [
        (
            sums("SELECT owner_id, bucket, role, count FROM message_rollups WHERE count <> 0 ORDER BY 1, 2, 3".into())
                .await,
            activity(
                "SELECT owner_id, bucket, client_id, previous_bucket FROM conversation_activity ORDER BY 1, 2, 3"
                    .into(),
            )
            .await,
            sums(
                "SELECT owner_id, hour, role, count FROM message_rollups_hourly WHERE count <> 0 ORDER BY 1, 2, 3"
                    .into(),
            )
            .await,
            sums(
                "SELECT CAST(0 AS BIGINT), hour, role, count FROM message_rollups_everyone WHERE count <> 0 \
                 ORDER BY 2, 3"
                    .into(),
            )
            .await,
            sums(
                "SELECT CAST(0 AS BIGINT), hour, status, count FROM client_rollups_everyone WHERE count <> 0 \
                 ORDER BY 2, 3"
                    .into(),
            )
            .await,
            four_columns(
                db,
                "SELECT owner_id, hour, firsts, links FROM conversation_activity_hourly \
                 WHERE firsts <> 0 OR links <> 0 ORDER BY 1, 2",
            )
            .await,
            sums(
                "SELECT owner_id, hour, status, count FROM client_rollups_hourly WHERE count <> 0 ORDER BY 1, 2, 3"
                    .into(),
            )
            .await,
            sums(format!(
                "SELECT owner_id, day, {strategy_and_stage}, count FROM client_rollups_daily WHERE count <> 0 \
                 ORDER BY 1, 2, 3"
            ))
            .await,
        ),
        (
            sums(format!(
                "SELECT c.owner_id, {bucket}, m.role, COUNT(*) FROM messages m JOIN clients c ON c.id = m.client_id \
                 WHERE {counted} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
            ))
            .await,
            activity(format!(
                "SELECT owner_id, bucket, client_id, LAG(bucket) OVER (PARTITION BY client_id ORDER BY bucket) \
                 FROM (SELECT DISTINCT c.owner_id, {bucket} AS bucket, m.client_id FROM messages m \
                       JOIN clients c ON c.id = m.client_id WHERE {counted}) AS active ORDER BY 1, 2, 3"
            ))
            .await,
            sums(format!(
                "SELECT c.owner_id, {bucket} / 4, m.role, COUNT(*) FROM messages m \
                 JOIN clients c ON c.id = m.client_id WHERE {counted} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
            ))
            .await,
            sums(format!(
                "SELECT CAST(0 AS BIGINT), {bucket} / 4, m.role, COUNT(*) FROM messages m \
                 WHERE {counted} GROUP BY 2, 3 ORDER BY 2, 3"
            ))
            .await,
            sums(format!(
                "SELECT CAST(0 AS BIGINT), {hour}, status, COUNT(*) FROM clients GROUP BY 2, 3 ORDER BY 2, 3"
            ))
            .await,
            Vec::new(),
            sums(format!("SELECT owner_id, {hour}, status, COUNT(*) FROM clients GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"))
                .await,
            sums(format!(
                "SELECT owner_id, {day}, {strategy_and_stage}, COUNT(*) FROM clients GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
            ))
            .await,
        ),
    ];
    recount[1].5 = activity_hours(&recount[1].1);
    recount
}

/// Every window of whole hours at least a long link long, from and to the hours conversations
/// were active in and those just after, counts each conversation active in it once from the hourly
/// rows and the long links, as a distinct count of the clients does, for each owner and for all.
/// Returns how many windows it checked.
async fn active_by_hour_equals_a_distinct_count(app: &TestApp, owners: [i64; 2], when: &str) -> usize {
    let backend = app.db.conn.get_database_backend();
    let sql = "SELECT DISTINCT bucket / 4 FROM conversation_activity";
    let hours: Vec<i64> = app
        .db
        .conn
        .query_all_raw(statement(backend, sql, vec![]))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index(0).unwrap())
        .collect();
    let (Some(&earliest), Some(&latest)) = (hours.iter().min(), hours.iter().max()) else { return 0 };
    let edges: std::collections::BTreeSet<i64> =
        hours.iter().flat_map(|&hour| [hour, hour + 1]).chain([earliest - 400, latest + 400]).collect();
    let edges: Vec<i64> = edges.into_iter().collect();
    let mut checked = 0;
    for (i, &first) in edges.iter().enumerate() {
        for &after in &edges[i + 1..] {
            if (after - first) * 4 < migration::LONG_ACTIVITY_LINK {
                continue;
            }
            let window = Window {
                start: DateTime::from_timestamp(first * 3600, 0).unwrap(),
                end: DateTime::from_timestamp(after * 3600, 0).unwrap(),
            };
            for scope in [Some(owners[0]), Some(owners[1]), None] {
                let counted = returning_id(
                    app,
                    &format!(
                        "SELECT COUNT(DISTINCT client_id) FROM conversation_activity WHERE bucket >= ? AND bucket < ?{}",
                        if scope.is_some() { " AND owner_id = ?" } else { "" }
                    ),
                    [Some(first * 4), Some(after * 4), scope].into_iter().flatten().map(Value::from).collect(),
                )
                .await;
                let figure = figures::active_conversations_by_hour(&app.db.conn, scope, window).await.unwrap();
                assert_eq!(figure, Some(counted as u64), "{backend:?} {when}: {scope:?} from hour {first} to {after}");
                checked += 1;
            }
        }
    }
    checked
}

/// The new leads per owner and per strategy of windows starting and ending at, just before and
/// just after the clients' hours of creation and the UTC midnights around them (windows within a
/// day, across one, and of whole days) equal a count of the clients, for each owner and for all.
/// Returns how many windows it checked.
async fn new_leads_equal_a_count_of_the_clients(app: &TestApp, owners: [i64; 2], when: &str) -> usize {
    let backend = app.db.conn.get_database_backend();
    let created: Vec<DateTime<Utc>> = app
        .db
        .conn
        .query_all_raw(statement(backend, "SELECT DISTINCT created_at FROM clients", vec![]))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index(0).unwrap())
        .collect();
    let edges: std::collections::BTreeSet<i64> = created
        .iter()
        .flat_map(|at| {
            let (secs, midnight) = (at.timestamp(), at.timestamp().div_euclid(86_400) * 86_400);
            [secs, secs + 1, secs - 1800, midnight, midnight + 86_400, midnight - 86_400]
        })
        .collect();
    let edges: Vec<DateTime<Utc>> = edges.into_iter().map(|secs| DateTime::from_timestamp(secs, 0).unwrap()).collect();
    let mut checked = 0;
    for (i, &start) in edges.iter().enumerate() {
        for &end in edges.iter().skip(i + 1).step_by(3) {
            let window = Window { start, end };
            for scope in [Some(owners[0]), Some(owners[1]), None] {
                let sql = format!(
                    "SELECT owner_id, strategy_id, COUNT(*), \
                       SUM(CASE WHEN status IN ('booked', 'won') THEN 1 ELSE 0 END), \
                       SUM(CASE WHEN status = 'won' THEN 1 ELSE 0 END) \
                     FROM clients WHERE created_at >= ? AND created_at < ?{} GROUP BY 1, 2",
                    if scope.is_some() { " AND owner_id = ?" } else { "" }
                );
                let values =
                    [Some(start.into()), Some(end.into()), scope.map(Value::from)].into_iter().flatten().collect();
                let mut by_owner: std::collections::HashMap<i64, (u64, u64)> = Default::default();
                let mut by_strategy: std::collections::BTreeMap<i64, (u64, u64)> = Default::default();
                for row in app.db.conn.query_all_raw(statement(backend, &sql, values)).await.unwrap() {
                    let [owner, strategy, n, booked, won]: [i64; 5] =
                        std::array::from_fn(|index| row.try_get_by_index(index).unwrap());
                    let [n, booked, won] = [n, booked, won].map(|count| count as u64);
                    let of_owner = by_owner.entry(owner).or_default();
                    of_owner.0 += n;
                    of_owner.1 += won;
                    let of_strategy = by_strategy.entry(strategy).or_default();
                    of_strategy.0 += n;
                    of_strategy.1 += booked;
                }
                let leads = figures::new_leads(&app.db.conn, scope, window).await.unwrap();
                let strategies: std::collections::BTreeMap<i64, (u64, u64)> =
                    leads.strategies.iter().map(|row| (row.0, (row.2, row.3))).collect();
                let context = format!("{backend:?} {when}: {scope:?} from {start} to {end}");
                assert_eq!(leads.by_owner, by_owner, "{context}");
                assert_eq!(strategies, by_strategy, "{context}");
                checked += 1;
            }
        }
    }
    checked
}

/// The dashboard counts messages and everyone's new clients from rollups that triggers keep: they
/// must equal a count of the messages and clients after every way those come, go and change:
/// written by the chat, inserted many at once (a seed, an import), a private note or a notice (not
/// counted), a client given to another owner, re-dated or moved to another stage (one or many at
/// once), clients deleted with their messages.
#[tokio::test]
async fn the_message_rollups_equal_a_count_of_the_messages_after_every_change() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let fixture = set_up(&app).await;
        let [kept, counted] = rollups_and_recount(&app).await;
        assert!(!kept.0.is_empty(), "{backend:?}: the fixture has messages");
        assert_eq!(kept, counted, "{backend:?}: the fixture");

        let warm =
            returning_id(&app, "SELECT MIN(id) FROM strategies WHERE owner_id = ?", vec![fixture.ana.id.into()]).await;
        let form = ClientForm { name: "Dora".into(), strategy_id: warm.to_string(), ..Default::default() };
        let dora = client_service::create(&app.state, &fixture.ana, &form, Duplicates::Allow).await.unwrap();
        let write = |author, body, private| NewMessage { client_id: dora, author, body, private, channel: "web" };
        chat::record(&app.state, write(Author::Lead, "Hello?", false)).await.unwrap();
        chat::record(&app.state, write(Author::Ai, "Hi Dora!", false)).await.unwrap();
        chat::record(&app.state, write(Author::Agent(&fixture.ana), "Call her", true)).await.unwrap();
        chat::record(&app.state, write(Author::System, "Booked", false)).await.unwrap();
        let [kept, counted] = rollups_and_recount(&app).await;
        assert_eq!(kept, counted, "{backend:?}: written by the chat");

        // Many rows in one statement, in one quarter hour and across two, for two owners.
        let b1 = returning_id(&app, "SELECT id FROM clients WHERE name = 'B1'", vec![]).await;
        exec(
            &app,
            "INSERT INTO messages (client_id, role, body, channel, created_at, private, delivery) VALUES \
             (?, 'client', 'a', 'web', ?, false, 'sent'), (?, 'client', 'b', 'web', ?, false, 'sent'), \
             (?, 'ai', 'c', 'web', ?, false, 'sent'), (?, 'client', 'd', 'web', ?, false, 'sent'), \
             (?, 'agent', 'e', 'web', ?, true, 'sent'), (?, 'client', 'f', 'web', ?, false, 'sent')",
            vec![
                dora.into(),
                at("2026-11-01T10:00:00Z").into(),
                dora.into(),
                at("2026-11-01T10:14:59Z").into(),
                dora.into(),
                at("2026-11-01T10:15:00Z").into(),
                b1.into(),
                at("2026-11-01T10:05:00Z").into(),
                b1.into(),
                at("2026-11-01T10:06:00Z").into(),
                dora.into(),
                at("2026-11-01T10:40:00Z").into(),
            ],
        )
        .await;
        let [kept, counted] = rollups_and_recount(&app).await;
        assert_eq!(kept, counted, "{backend:?}: many at once");
        assert!(kept.2.len() < kept.0.len(), "{backend:?}: an hour holds several quarter hours");

        // Quarter hours between those a conversation was active in, in one statement in no order.
        exec(
            &app,
            "INSERT INTO messages (client_id, role, body, channel, created_at, private, delivery) VALUES \
             (?, 'client', 'g', 'web', ?, false, 'sent'), (?, 'ai', 'h', 'web', ?, false, 'sent'), \
             (?, 'client', 'i', 'web', ?, false, 'sent')",
            vec![
                dora.into(),
                at("2026-11-20T09:00:00Z").into(),
                dora.into(),
                at("2026-11-01T10:31:00Z").into(),
                dora.into(),
                at("2026-11-10T08:00:00Z").into(),
            ],
        )
        .await;
        let [kept, counted] = rollups_and_recount(&app).await;
        assert_eq!(kept, counted, "{backend:?}: between quarter hours already there");
        let dora_rows = kept.1.iter().filter(|row| row.2 == dora).count();
        assert!(dora_rows >= 6, "{backend:?}: Dora was active in {dora_rows} quarter hours");
        // Every window that starts or ends at, inside or between those quarter hours counts each
        // conversation once, as a distinct count of the clients does, for an owner and for all.
        let quarters: std::collections::BTreeSet<i64> = kept.1.iter().map(|row| row.1).collect();
        let edges: Vec<i64> = quarters.iter().flat_map(|&q| [q - 1, q, q + 1]).collect();
        for (i, &first) in edges.iter().enumerate() {
            for &after in edges.iter().skip(i + 1).step_by(3) {
                let window = Window {
                    start: DateTime::from_timestamp(first * 900, 0).unwrap(),
                    end: DateTime::from_timestamp(after * 900, 0).unwrap(),
                };
                for scope in [Some(fixture.ana.id), Some(fixture.bob.id), None] {
                    let counted = returning_id(
                        &app,
                        &format!(
                            "SELECT COUNT(DISTINCT client_id) FROM conversation_activity \
                             WHERE bucket >= ? AND bucket < ?{}",
                            if scope.is_some() { " AND owner_id = ?" } else { "" }
                        ),
                        [Some(first), Some(after), scope].into_iter().flatten().map(Value::from).collect(),
                    )
                    .await;
                    let figure = figures::active_conversations(&app.db.conn, scope, window).await.unwrap();
                    assert_eq!(figure, counted as u64, "{backend:?}: {scope:?} from {first} to {after}");
                }
            }
        }

        let owners = [fixture.ana.id, fixture.bob.id];
        let checked = active_by_hour_equals_a_distinct_count(&app, owners, "in no order").await;
        assert!(checked > 100, "{backend:?}: {checked} windows of whole hours");
        // A week from the hour after Dora's first day to the one before her second is in none of
        // her quarter hours: the link between them is long and spans it.
        let between = Window { start: at("2026-11-01T11:00:00Z"), end: at("2026-11-10T08:00:00Z") };
        let spanning = returning_id(
            &app,
            &format!(
                "SELECT COUNT(*) FROM conversation_activity WHERE client_id = ? AND previous_bucket < ? AND bucket >= ? \
                 AND bucket - previous_bucket >= {}",
                migration::LONG_ACTIVITY_LINK
            ),
            vec![dora.into(), (between.start.timestamp() / 900).into(), (between.end.timestamp() / 900).into()],
        )
        .await;
        assert_eq!(spanning, 1, "{backend:?}: Dora's long link");

        // Dora given to Bob takes her messages' counts along.
        exec(&app, "UPDATE clients SET owner_id = ? WHERE id = ?", vec![fixture.bob.id.into(), dora.into()]).await;
        let [kept, counted] = rollups_and_recount(&app).await;
        assert_eq!(kept, counted, "{backend:?}: a new owner");
        active_by_hour_equals_a_distinct_count(&app, owners, "with a new owner").await;
        exec(&app, "UPDATE clients SET owner_id = ? WHERE id = ?", vec![fixture.ana.id.into(), dora.into()]).await;

        // Deleting C2 takes its messages out of Ana's figures.
        let before = load(&app, &fixture.ana, &dst_range()).await.0;
        assert_eq!(tile(&before, "Active conversations").0, Figure::Count(4), "{backend:?}");
        let c2 = returning_id(&app, "SELECT id FROM clients WHERE name = 'C2'", vec![]).await;
        client_service::delete(&app.state, &fixture.ana, &[c2, dora]).await.unwrap();
        let [kept, counted] = rollups_and_recount(&app).await;
        assert_eq!(kept, counted, "{backend:?}: clients deleted");
        active_by_hour_equals_a_distinct_count(&app, owners, "after a delete").await;
        let after = load(&app, &fixture.ana, &dst_range()).await.0;
        assert_eq!(tile(&after, "Active conversations").0, Figure::Count(2), "{backend:?}");
        assert_eq!(tile(&after, "Messages in").0, Figure::Count(2), "{backend:?}");

        // Everyone's new clients by hour and stage: a stage given to many at once (a bulk
        // action), a client re-dated, many added in one statement (an import) in one hour and
        // across two, and one of them deleted.
        exec(&app, "UPDATE clients SET status = 'won' WHERE owner_id = ?", vec![fixture.ana.id.into()]).await;
        let [kept, counted] = rollups_and_recount(&app).await;
        assert_eq!(kept, counted, "{backend:?}: a stage for many");
        exec(
            &app,
            "UPDATE clients SET created_at = ? WHERE id = ?",
            vec![at("2026-10-01T08:30:00Z").into(), b1.into()],
        )
        .await;
        let [kept, counted] = rollups_and_recount(&app).await;
        assert_eq!(kept, counted, "{backend:?}: re-dated");
        exec(
            &app,
            "INSERT INTO clients (owner_id, strategy_id, name, status, created_at) VALUES \
             (?, ?, 'I1', 'lead', ?), (?, ?, 'I2', 'lead', ?), (?, ?, 'I3', 'won', ?), (?, ?, 'I4', 'lead', ?)",
            vec![
                fixture.ana.id.into(),
                warm.into(),
                at("2026-10-01T08:00:00Z").into(),
                fixture.bob.id.into(),
                warm.into(),
                at("2026-10-01T08:59:59Z").into(),
                fixture.ana.id.into(),
                warm.into(),
                at("2026-10-01T08:10:00Z").into(),
                fixture.bob.id.into(),
                warm.into(),
                at("2026-10-01T09:00:00Z").into(),
            ],
        )
        .await;
        let [kept, counted] = rollups_and_recount(&app).await;
        assert_eq!(kept, counted, "{backend:?}: many added at once");
        let checked = new_leads_equal_a_count_of_the_clients(&app, owners, "many added at once").await;
        assert!(checked > 500, "{backend:?}: {checked} windows");
        let at_eight = kept.4.iter().find(|row| row.1 == 1_790_841_600 / 3600 && row.2 == "lead").map(|row| row.3);
        assert_eq!(at_eight, Some(2), "{backend:?}: I1 and I2 in the hour from 08:00");
        // Ana's Warm strategy, used for Bob's I2 and I4 as well, is one line of everyone's
        // strategies; the people table's leads and wins are each owner's.
        let first_of_october = Window { start: at("2026-10-01T00:00:00Z"), end: at("2026-10-02T00:00:00Z") };
        let leads = figures::new_leads(&app.db.conn, None, first_of_october).await.unwrap();
        let mut strategies: Vec<(String, u64, u64)> =
            leads.strategies.iter().map(|row| (row.1.clone(), row.2, row.3)).collect();
        strategies.sort();
        assert_eq!(strategies, [("Bob's".to_owned(), 1, 0), ("Warm".to_owned(), 4, 1)], "{backend:?}");
        let by_owner = [fixture.ana.id, fixture.bob.id].map(|owner| leads.by_owner.get(&owner).copied());
        assert_eq!(by_owner, [Some((2, 1)), Some((3, 0))], "{backend:?}: I1 and I3 (won); I2, I4 and B1");
        let bobs = figures::new_leads(&app.db.conn, Some(fixture.bob.id), first_of_october).await.unwrap();
        assert_eq!(bobs.by_owner.len(), 1, "{backend:?}: one owner's");
        assert_eq!(bobs.strategies.iter().map(|row| row.2).sum::<u64>(), 3, "{backend:?}");
        exec(&app, "DELETE FROM clients WHERE name IN ('I3', 'I4')", vec![]).await;
        let [kept, counted] = rollups_and_recount(&app).await;
        assert_eq!(kept, counted, "{backend:?}: deleted at once");

        // Clients moved to another strategy, one and many at once, and one given to another
        // owner, move their counts of the owners' rollups along.
        let cold = returning_id(&app, "SELECT id FROM strategies WHERE name = 'Cold'", vec![]).await;
        exec(&app, "UPDATE clients SET strategy_id = ? WHERE name = 'I1'", vec![cold.into()]).await;
        exec(&app, "UPDATE clients SET strategy_id = ? WHERE strategy_id = ?", vec![warm.into(), cold.into()]).await;
        exec(&app, "UPDATE clients SET owner_id = ? WHERE name = 'I2'", vec![fixture.ana.id.into()]).await;
        let [kept, counted] = rollups_and_recount(&app).await;
        assert_eq!(kept, counted, "{backend:?}: another strategy and owner");
        new_leads_equal_a_count_of_the_clients(&app, owners, "after moves").await;
        app.cleanup().await;
    }
}

/// The booking ids and the count of the list behind `href`, as `user` sees it.
async fn bookings_behind(app: &TestApp, user: &CurrentUser, href: &str) -> (Vec<i64>, u64) {
    let (ids, totals) = common::booking_list::every_page(app, user, common::booking_list::query(href)).await;
    (ids, totals.last().copied().unwrap_or_default())
}

/// "Bookings made", "Show rate", each week's bar and the people table's bookings and shows link
/// to the bookings list, which holds exactly the bookings each counts (in the viewer's days:
/// Sunday 1 Nov lasts 25 hours in New York).
#[tokio::test]
async fn each_booking_figure_links_to_the_bookings_it_counts() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let fixture = set_up(&app).await;
        let booking = |made: &'static str| {
            let app = &app;
            async move { returning_id(app, "SELECT id FROM bookings WHERE created_at = ?", vec![at(made).into()]).await }
        };
        let completed = booking("2026-10-30T15:00:00Z").await;
        let no_show = booking("2026-11-02T15:00:00Z").await;
        let cancelled = booking("2026-10-31T12:00:00Z").await;
        let before = booking("2026-10-28T12:00:00Z").await;

        for (viewer, owner) in [(&fixture.ana, None), (&fixture.admin, Some(fixture.ana.id)), (&fixture.admin, None)] {
            let query = DashboardQuery { owner, ..dst_range() };
            let (dashboard, _) = load(&app, viewer, &query).await;
            let href = |label: &str| {
                dashboard.tiles.iter().find(|tile| tile.label == label).and_then(|tile| tile.href.clone()).unwrap()
            };
            let (made, total) = bookings_behind(&app, viewer, &href("Bookings made")).await;
            assert_eq!(made, [no_show, cancelled, completed], "{backend:?} {owner:?}: newest made first");
            assert_eq!(tile(&dashboard, "Bookings made").0, Figure::Count(total), "{backend:?}");
            let (attended, total) = bookings_behind(&app, viewer, &href("Show rate")).await;
            assert_eq!(attended, [completed, no_show], "{backend:?} {owner:?}");
            assert_eq!(total, 2, "{backend:?}: completed + no-shows, the show rate's whole");

            let weeks: Vec<(u64, Vec<i64>)> = futures::future::join_all(
                dashboard.bookings_by_week.iter().map(|week| bookings_behind(&app, viewer, &week.href)),
            )
            .await
            .into_iter()
            .map(|(ids, total)| (total, ids))
            .collect();
            let counted: Vec<u64> = dashboard.bookings_by_week.iter().map(|week| week.count).collect();
            assert_eq!(counted, [2, 1], "{backend:?}");
            assert_eq!(weeks, [(2, vec![cancelled, completed]), (1, vec![no_show])], "{backend:?} {owner:?}");
        }
        assert_eq!(
            dashboard_href(&app, &fixture.ana, "Bookings made").await,
            "/bookings/list?made_from=2026-10-30&made_to=2026-11-02&sort=-made"
        );
        // The period before holds the fourth.
        let before_range =
            DashboardQuery { range: "custom".into(), from: "2026-10-26".into(), to: "2026-10-29".into(), owner: None };
        let (earlier, _) = load(&app, &fixture.ana, &before_range).await;
        let made = earlier.tiles.iter().find(|tile| tile.label == "Bookings made").unwrap();
        assert_eq!(bookings_behind(&app, &fixture.ana, made.href.as_deref().unwrap()).await, (vec![before], 1));

        // The people table: Ana's three made and one shown; Bob's none.
        let (everyone, _) = load(&app, &fixture.admin, &dst_range()).await;
        for row in everyone.users.unwrap() {
            let (made, made_total) = bookings_behind(&app, &fixture.admin, &row.bookings_href).await;
            let (shows, shows_total) = bookings_behind(&app, &fixture.admin, &row.shows_href).await;
            assert_eq!((made_total, shows_total), (row.bookings, row.shows), "{backend:?} {}", row.name);
            if row.id == fixture.ana.id {
                assert_eq!((made, shows), (vec![no_show, cancelled, completed], vec![completed]), "{backend:?}");
            } else {
                assert!(made.is_empty() && shows.is_empty(), "{backend:?} {}", row.name);
            }
        }
        // A member who follows an admin's link to someone else's sees only their own (none).
        let anas = format!("/bookings/list?made_from=2026-10-30&made_to=2026-11-02&owner={}", fixture.ana.id);
        assert_eq!(bookings_behind(&app, &fixture.bob, &anas).await, (vec![], 0), "{backend:?}");
        app.cleanup().await;
    }
}

/// One person's changes of single clients (the form, the AI's stage change, a new client) while
/// bulk stage changes of the same owner's other clients run, all at once, every one saved and the
/// rollups exact. On PostgreSQL a single change's row triggers could hold a count a bulk change
/// needed next while waiting for one the bulk change held (six of the changes here failed with a
/// 409); single changes now wait for a change of many to finish. And two single changes in opposite
/// directions (lead to won, won to lead) could each hold the owner's count by stage the other
/// needed next (three failed once the first fix was in); the move now takes both in key order.
#[tokio::test]
async fn single_client_changes_beside_bulk_changes_of_one_owner_all_succeed() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let fixture = set_up(&app).await;
        let ana = fixture.ana.clone();
        let warm = returning_id(&app, "SELECT MIN(id) FROM strategies WHERE owner_id = ?", vec![ana.id.into()]).await;
        let hour = |n: usize| format!("2026-10-20T{:02}:30:00Z", 8 + n % 6);
        let rows = vec!["(?, ?, ?, 'lead', ?)"; 48].join(", ");
        let mut values: Vec<Value> = Vec::new();
        for n in 0..48 {
            values.extend([ana.id.into(), warm.into(), format!("bulk {n}").into(), at(&hour(n)).into()]);
        }
        exec(
            &app,
            &format!("INSERT INTO clients (owner_id, strategy_id, name, status, created_at) VALUES {rows}"),
            values,
        )
        .await;
        let bulk = ids_named(&app.db.conn, "bulk %").await;
        let mut singles = Vec::new();
        for n in 0..6 {
            // Even ones start as leads and odd ones as won: neighbours move in opposite directions.
            let status = if n % 2 == 0 { "lead" } else { "won" };
            // Each on a day of its own: they share only the owner's counts by stage.
            let created = format!("2026-10-{:02}T10:30:00Z", 10 + n);
            singles.push(client(&app, &ana, warm, &format!("single {n}"), &created, status).await);
        }

        let mut tasks: Vec<tokio::task::JoinHandle<Vec<String>>> = Vec::new();
        for task in 0..2usize {
            let (state, ana, bulk) = (app.state.clone(), ana.clone(), bulk.clone());
            tasks.push(tokio::spawn(async move {
                let mut errors = Vec::new();
                for round in 0..4usize {
                    // Each bulk change goes through the clients in its own order of stages.
                    let stage = ["qualified", "lead", "contacted", "lost"][(round + task) % 4];
                    let ids: Vec<i64> = bulk.iter().copied().skip(task).step_by(2).collect();
                    if let Err(error) = client_service::set_status(&state, &ana, &ids, stage).await {
                        errors.push(format!("bulk {task}: {error:?}"));
                    }
                }
                errors
            }));
        }
        for (n, id) in singles.iter().copied().enumerate() {
            let (state, ana) = (app.state.clone(), ana.clone());
            tasks.push(tokio::spawn(async move {
                let mut errors = Vec::new();
                for round in 0..10usize {
                    let stage = if (n + round) % 2 == 0 { "won" } else { "lead" };
                    let result = if n < 3 {
                        let form = ClientForm {
                            name: format!("single {n}"),
                            strategy_id: warm.to_string(),
                            status: stage.into(),
                            ..Default::default()
                        };
                        client_service::update(&state, &ana, id, &form).await
                    } else {
                        set_stage_as_the_ai(&state, id, stage).await
                    };
                    if let Err(error) = result {
                        errors.push(format!("single {n} round {round}: {error:?}"));
                    }
                }
                errors
            }));
        }
        let (state, owner) = (app.state.clone(), ana.clone());
        tasks.push(tokio::spawn(async move {
            let mut errors = Vec::new();
            for n in 0..10 {
                let form = ClientForm { name: format!("new {n}"), strategy_id: warm.to_string(), ..Default::default() };
                if let Err(error) = client_service::create(&state, &owner, &form, Duplicates::Allow).await {
                    errors.push(format!("new {n}: {error:?}"));
                }
            }
            errors
        }));
        let errors: Vec<String> =
            futures::future::join_all(tasks).await.into_iter().flat_map(|errors| errors.unwrap()).collect();
        assert!(errors.is_empty(), "{backend:?}: {} changes failed: {errors:#?}", errors.len());
        let [kept, counted] = rollups_and_recount(&app).await;
        assert_eq!(kept, counted, "{backend:?}: after single and bulk changes at once");
        app.cleanup().await;
    }
}

/// As the AI persona moves a lead: the stage in a transaction of its own, audited as the app.
async fn set_stage_as_the_ai(
    state: &crm::server::state::AppState,
    id: i64,
    stage: &str,
) -> Result<(), crm::shared::AppError> {
    let txn = crm::server::db::begin_write(&state.db).await?;
    let client = crm::clients::entity::Entity::find_by_id(id).one(&txn).await?.expect("the client");
    client_service::set_status_in(&txn, None, &client, stage).await?;
    txn.commit().await?;
    Ok(())
}

/// The ids of the clients whose name is `LIKE pattern`, in id order.
async fn ids_named(db: &sea_orm::DatabaseConnection, pattern: &str) -> Vec<i64> {
    db.query_all_raw(statement(
        db.get_database_backend(),
        "SELECT id FROM clients WHERE name LIKE ? ORDER BY id",
        vec![pattern.into()],
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| row.try_get_by_index(0).unwrap())
    .collect()
}

async fn dashboard_href(app: &TestApp, user: &CurrentUser, label: &str) -> String {
    let (dashboard, _) = load(app, user, &dst_range()).await;
    dashboard.tiles.iter().find(|tile| tile.label == label).and_then(|tile| tile.href.clone()).unwrap()
}

/// Imports into the same hours of one owner and bulk stage changes of that owner's clients, all
/// at once, leave every rollup equal to a count of the clients, and every change is made. On
/// PostgreSQL, a stage change's row triggers update the shared counts in the order of its clients,
/// so two of them at once (or one and an import) deadlocked, and the loser failed with an internal
/// error (four of six here); changes of many clients now take one lock first and run one after
/// another. SQLite takes one writer at a time.
#[tokio::test]
async fn concurrent_imports_and_stage_changes_of_one_owner_keep_the_rollups_exact() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let fixture = set_up(&app).await;
        let warm =
            returning_id(&app, "SELECT MIN(id) FROM strategies WHERE owner_id = ?", vec![fixture.ana.id.into()]).await;
        let hours: Vec<String> = (0..6).map(|hour| format!("2026-10-20T{:02}:30:00Z", 8 + hour)).collect();
        let mut tasks = Vec::new();
        for task in 0..6usize {
            let state = app.state.clone();
            let (ana, hours) = (fixture.ana.clone(), hours.clone());
            tasks.push(tokio::spawn(async move {
                // Each import lists the hours in its own order, from its own first one.
                let order: Vec<&String> = hours.iter().cycle().skip(task).take(hours.len()).collect();
                let order: Vec<&String> = if task % 2 == 0 { order } else { order.into_iter().rev().collect() };
                let rows = vec!["(?, ?, ?, 'lead', ?)"; order.len() * 2].join(", ");
                let mut values: Vec<Value> = Vec::new();
                for (n, hour) in order.iter().flat_map(|hour| [hour, hour]).enumerate() {
                    values.extend([ana.id.into(), warm.into(), format!("import {task} {n}").into(), at(hour).into()]);
                }
                let sql =
                    format!("INSERT INTO clients (owner_id, strategy_id, name, status, created_at) VALUES {rows}");
                // As an import's batch does: one change of many clients at a time.
                let txn = crm::server::db::begin_write(&state.db).await.unwrap();
                client_service::one_batch_at_a_time(&txn).await.unwrap();
                txn.execute_raw(statement(txn.get_database_backend(), &sql, values)).await.unwrap();
                txn.commit().await.unwrap();
                // Then this import's clients, in all its hours, to another stage at once.
                let ids = ids_named(&state.db, &format!("import {task} %")).await;
                let stage = ["qualified", "won", "lost"][task % 3];
                client_service::set_status(&state, &ana, &ids, stage).await.unwrap()
            }));
        }
        for changed in futures::future::join_all(tasks).await {
            assert_eq!(changed.unwrap(), 12, "{backend:?}: each import's clients moved");
        }
        let [kept, counted] = rollups_and_recount(&app).await;
        assert_eq!(kept, counted, "{backend:?}: after imports and stage changes at once");
        let in_hours =
            kept.6.iter().filter(|row| row.0 == fixture.ana.id && row.2 != "lead").map(|row| row.3).sum::<i64>();
        assert!(in_hours >= 72, "{backend:?}: {in_hours} of Ana's clients in a stage other than lead");
        app.cleanup().await;
    }
}
