//! SQL hygiene: no page or list server function sends a query per row. Each is requested on a small
//! data set and again after it has grown twentyfold; it must send the same number of statements
//! both times, and no more than its bound. Runs on SQLite and on PostgreSQL + Redis.
#![cfg(feature = "ssr")]

mod common;

use chrono::{Duration, Utc};
use common::{
    BACKENDS,
    accounts::{PASSWORD, account, strategy},
    app::{QueryCounter, TestApp},
};
use crm::{
    bookings::entity as bookings,
    chat::entity as messages,
    clients::{
        model::{ClientForm, ClientQuery, STATUSES},
        service,
    },
    users::model::CurrentUser,
};
use sea_orm::{EntityTrait, Set};

/// One request and the most statements it may send. `{client}` stands for the first client's id.
struct Probe<'a> {
    what: &'a str,
    /// "GET /path" or "POST /path".
    request: &'a str,
    form: &'a [(&'a str, &'a str)],
    bound: usize,
}

const fn probe(
    what: &'static str,
    request: &'static str,
    form: &'static [(&'static str, &'static str)],
    bound: usize,
) -> Probe<'static> {
    Probe { what, request, form, bound }
}

const REQUESTS: &[Probe<'static>] = &[
    // The session user, the first-run checklist in one statement, the cache's data stamp (2), and
    // on a first load one aggregate per figure (speed to lead: one per period; the people table:
    // one per figure for everyone, never per person or client).
    probe("dashboard", "GET /", &[], 17),
    // Served from the cache: the session user, the checklist and the stamp.
    probe("dashboard again", "GET /", &[], 4),
    probe("clients list", "GET /clients", &[], 5),
    // One match in either data set, so that PostgreSQL takes the same path both times: one
    // statement finds, counts and pages it (SQLite pages, then counts).
    probe("clients search", "GET /clients?q=client1%40", &[], 5),
    probe("clients by name", "GET /clients?sort=name&dir=asc", &[], 5),
    probe("client page", "GET /clients/{client}", &[], 16),
    probe("client editor", "GET /clients/{client}/edit", &[], 3),
    probe("pipeline", "GET /pipeline", &[], 10),
    probe("strategies", "GET /strategies", &[], 5),
    // The session user, the profile, the booking links section (slug and feed token) and the chat
    // embedding section (its websites).
    probe("settings", "GET /settings", &[], 4),
    probe("list_clients", "POST /api/list_clients", &[], 4),
    probe("find_clients", "POST /api/find_clients", &[("q", "client1@")], 2),
    probe("client_profile", "POST /api/client_profile", &[("id", "{client}")], 5),
    probe("client_messages", "POST /api/client_messages", &[("id", "{client}")], 4),
    probe("client_activity", "POST /api/client_activity", &[("id", "{client}")], 5),
    probe("client_notes", "POST /api/client_notes", &[("id", "{client}")], 5),
    probe("load_pipeline", "POST /api/load_pipeline", &[], 9),
];

/// Pages only an admin sees, or sees with everyone's rows.
const ADMIN_REQUESTS: &[Probe<'static>] = &[
    probe("users (admin)", "GET /users", &[], 3),
    probe("status (admin)", "GET /status", &[], 3),
    probe("clients list (admin)", "GET /clients", &[], 7),
    probe("pipeline (admin)", "GET /pipeline", &[], 12),
];

async fn sign_in(app: &TestApp, email: &str) -> String {
    app.post_form("/api/login", &[("email", email), ("password", PASSWORD)], None)
        .await
        .session_cookie()
        .expect("signing in sets a session cookie")
}

/// `count` more clients spread over the strategies and stages, with messages and bookings for the
/// first one. Returns the ids.
async fn grow(app: &TestApp, owner: &CurrentUser, strategies: &[i64], from: usize, count: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for n in from..from + count {
        let form = ClientForm {
            name: format!("Client {n}"),
            email: format!("client{n}@example.com"),
            company: format!("Company {n}"),
            status: STATUSES[n % STATUSES.len()].0.to_owned(),
            strategy_id: strategies[n % strategies.len()].to_string(),
            ..Default::default()
        };
        ids.push(service::create(&app.state, owner, &form, service::Duplicates::Allow).await.unwrap());
    }
    ids
}

async fn converse_and_book(app: &TestApp, owner: &CurrentUser, client: i64, messages_count: usize) {
    let now = Utc::now();
    let rows = (0..messages_count).map(|n| messages::ActiveModel {
        client_id: Set(client),
        role: Set(if n % 2 == 0 { "client" } else { "ai" }.to_owned()),
        body: Set(format!("message {n}")),
        channel: Set("web".to_owned()),
        created_at: Set(now - Duration::minutes(n as i64)),
        ..Default::default()
    });
    messages::Entity::insert_many(rows).exec_without_returning(&app.db.conn).await.unwrap();
    // Each call's bookings in an hour of their own (3 and 60 messages: 03:00 and 12:00 after now),
    // so that the owner's active bookings never overlap.
    let at = |n: usize| now + Duration::days(n as i64) + Duration::hours(messages_count as i64 % 24);
    let bookings = (0..messages_count / 3).map(|n| bookings::ActiveModel {
        owner_id: Set(owner.id),
        client_id: Set(Some(client)),
        booking_type: Set("call".into()),
        starts_at: Set(at(n)),
        ends_at: Set(at(n) + Duration::minutes(30)),
        blocked_from: Set(at(n)),
        blocked_until: Set(at(n) + Duration::minutes(30)),
        timezone: Set("UTC".into()),
        status: Set("confirmed".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    });
    bookings::Entity::insert_many(bookings).exec_without_returning(&app.db.conn).await.unwrap();
    let notes = (0..messages_count / 3).map(|n| crm::clients::notes::entity::ActiveModel {
        client_id: Set(client),
        author_id: Set(Some(owner.id)),
        body: Set(format!("note {n}")),
        created_at: Set(now - Duration::minutes(n as i64)),
        ..Default::default()
    });
    crm::clients::notes::entity::Entity::insert_many(notes).exec_without_returning(&app.db.conn).await.unwrap();
}

/// Each request's statement count, checked against its bound.
async fn measure(
    app: &TestApp,
    counter: &QueryCounter,
    cookie: &str,
    client: i64,
    probes: &[Probe<'_>],
) -> Vec<(String, usize)> {
    let mut counts = Vec::new();
    for Probe { what, request, form, .. } in probes {
        let (method, path) = request.split_once(' ').unwrap();
        let path = path.replace("{client}", &client.to_string());
        let client_id = client.to_string();
        let form: Vec<(&str, &str)> = form
            .iter()
            .map(|(key, value)| (*key, if *value == "{client}" { client_id.as_str() } else { *value }))
            .collect();
        counter.take();
        let response = match method {
            "GET" => app.get(&path, Some(cookie)).await,
            _ => app.post_form(&path, &form, Some(cookie)).await,
        };
        let sent = counter.take();
        assert_eq!(response.status, 200, "{what}: {}", response.body);
        counts.push(((*what).to_owned(), sent));
    }
    let over: Vec<String> = counts
        .iter()
        .zip(probes)
        .filter(|((_, sent), probe)| *sent > probe.bound)
        .map(|((what, sent), probe)| format!("{what}: {sent} > {}", probe.bound))
        .collect();
    assert!(over.is_empty(), "statements over their bound: {over:?} (all: {counts:?})");
    counts
}

#[tokio::test]
async fn pages_send_as_many_queries_for_sixty_clients_as_for_three() {
    for backend in BACKENDS {
        let mut app = common::app::start(backend).await;
        let counter = app.count_queries();
        let admin = account(&app, "Ada Admin", "ada@example.com").await;
        let owner = account(&app, "Olga Owner", "olga@example.com").await;
        let strategies = [
            strategy(&app, owner.id, "Closer").await,
            strategy(&app, owner.id, "Opener").await,
            strategy(&app, owner.id, "Nurturer").await,
        ];
        let clients = grow(&app, &owner, &strategies, 0, 3).await;
        converse_and_book(&app, &owner, clients[0], 3).await;
        let owner_cookie = sign_in(&app, &owner.email).await;
        let admin_cookie = sign_in(&app, &admin.email).await;

        let small = measure(&app, &counter, &owner_cookie, clients[0], REQUESTS).await;
        let small_admin = measure(&app, &counter, &admin_cookie, clients[0], ADMIN_REQUESTS).await;

        // Twenty times the rows: more clients in every stage and strategy, a long conversation, more
        // bookings, edits in the activity, and a second owner for the admin's lists.
        grow(&app, &owner, &strategies, 3, 57).await;
        converse_and_book(&app, &owner, clients[0], 60).await;
        for status in ["contacted", "qualified", "booked"] {
            service::set_status(&app.state, &owner, &clients[..1], status).await.unwrap();
        }
        let other = account(&app, "Otto Other", "otto@example.com").await;
        let other_strategy = strategy(&app, other.id, "Other closer").await;
        grow(&app, &other, &[other_strategy], 60, 20).await;

        let large = measure(&app, &counter, &owner_cookie, clients[0], REQUESTS).await;
        let large_admin = measure(&app, &counter, &admin_cookie, clients[0], ADMIN_REQUESTS).await;
        assert_eq!(small, large, "{backend:?}: statements per request grew with the data");
        assert_eq!(small_admin, large_admin, "{backend:?}: the admin's statements per request grew with the data");

        // A deep page costs what the first one does.
        let first = service::list(&app.state, &owner, &ClientQuery::default()).await.unwrap();
        let after = first.next.expect("sixty clients fill more than one page");
        let second_page = format!("GET /clients?after={}", crm::ui::url::encode_component(&after));
        let second_page = Probe { what: "clients page 2", request: &second_page, form: &[], bound: 5 };
        let deep = measure(&app, &counter, &owner_cookie, clients[0], &[second_page]).await;
        let first_page = large.iter().find(|(what, _)| what == "clients list").unwrap().1;
        assert_eq!(deep[0].1, first_page, "{backend:?}: the second page sent a different number of statements");
        eprintln!("{backend:?} statements per request: {large:?} {large_admin:?}");
        app.cleanup().await;
    }
}
