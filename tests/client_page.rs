//! The client page and the pipeline board on SQLite and on PostgreSQL: the profile with its
//! bookings, the conversation and the activity paged latest first without gaps or repeats, notes
//! and status changes audited, the board's stages, filters and totals, and ownership throughout.
#![cfg(feature = "ssr")]

mod common;

use chrono::{Duration, TimeZone, Utc};
use common::{
    BACKENDS,
    accounts::{account, strategy},
    app::TestApp,
};
use crm::{
    bookings::entity as bookings,
    chat::entity as messages,
    clients::{
        detail::{TIMELINE_PAGE_SIZE, TimelineQuery},
        detail_service,
        model::{ClientForm, ClientQuery, STATUSES, Total},
        notes::service as notes,
        pipeline::CARDS_PER_STAGE,
        pipeline_service, service,
    },
    shared::AppError,
    users::model::CurrentUser,
};
use sea_orm::{EntityTrait, Set};

async fn add(app: &TestApp, user: &CurrentUser, name: &str, strategy: i64, status: &str) -> i64 {
    let form = ClientForm {
        name: name.into(),
        strategy_id: strategy.to_string(),
        status: status.into(),
        company: format!("{name} Ltd"),
        ..Default::default()
    };
    service::create(&app.state, user, &form, service::Duplicates::Allow).await.unwrap()
}

/// `count` messages one minute apart, every third pair sharing a time (the id breaks the tie).
async fn converse(app: &TestApp, client: i64, count: i64) {
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
    let rows = (0..count).map(|n| messages::ActiveModel {
        client_id: Set(client),
        role: Set(if n % 2 == 0 { "client" } else { "ai" }.to_owned()),
        body: Set(format!("message {n}")),
        channel: Set("web".to_owned()),
        created_at: Set(start + Duration::minutes(n - n % 3)),
        ..Default::default()
    });
    messages::Entity::insert_many(rows).exec_without_returning(&app.db.conn).await.unwrap();
}

#[tokio::test]
async fn the_client_page_pages_its_conversation_and_activity_latest_first() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let admin = account(&app, "Ada Admin", "ada@example.com").await;
        let owner = account(&app, "Olga Owner", "olga@example.com").await;
        let closer = strategy(&app, owner.id, "Closer").await;
        let nurture = strategy(&app, owner.id, "Nurture").await;
        let client = add(&app, &owner, "Ana Lima", closer, "lead").await;
        converse(&app, client, 45).await;
        let starts = Utc.with_ymd_and_hms(2026, 12, 2, 15, 0, 0).unwrap();
        bookings::Entity::insert(bookings::ActiveModel {
            owner_id: Set(owner.id),
            client_id: Set(Some(client)),
            booking_type: Set("call".into()),
            starts_at: Set(starts),
            ends_at: Set(starts + Duration::minutes(30)),
            blocked_from: Set(starts),
            blocked_until: Set(starts + Duration::minutes(30)),
            timezone: Set("UTC".into()),
            subject: Set(Some("Discovery call".into())),
            status: Set("confirmed".into()),
            created_at: Set(Utc::now()),
            updated_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec(&app.db.conn)
        .await
        .unwrap();

        let detail = detail_service::detail(&app.state, &owner, client).await.unwrap();
        assert_eq!((detail.name.as_str(), detail.strategy_name.as_str()), ("Ana Lima", "Closer"), "{backend:?}");
        assert_eq!(detail.owner_name, "Olga Owner");
        assert_eq!(detail.bookings.len(), 1);
        assert_eq!(detail.bookings[0].subject, "Discovery call");
        assert_eq!(detail.bookings[0].starts_at, "Wed 2 Dec 2026, 15:00");

        // Older pages, then back with "newer": every message once, latest first, and page 1 again.
        let mut seen = Vec::new();
        let mut pages = Vec::new();
        let mut query = TimelineQuery::default();
        loop {
            let page = detail_service::messages(&app.state, &owner, client, &query).await.unwrap();
            assert!(page.items.len() as u64 <= TIMELINE_PAGE_SIZE);
            seen.extend(page.items.iter().map(|message| message.body.clone()));
            pages.push(page.clone());
            match page.older {
                Some(older) => query = TimelineQuery { older, newer: String::new() },
                None => break,
            }
        }
        let expected: Vec<String> = {
            let mut rows: Vec<i64> = (0..45).collect();
            rows.sort_by_key(|n| std::cmp::Reverse((n - n % 3, *n)));
            rows.iter().map(|n| format!("message {n}")).collect()
        };
        assert_eq!(seen, expected, "{backend:?}: every message once, latest first");
        assert_eq!(pages.len(), 3);
        assert!(pages[0].newer.is_none());
        let back = detail_service::messages(
            &app.state,
            &owner,
            client,
            &TimelineQuery { newer: pages[1].newer.clone().unwrap(), older: String::new() },
        )
        .await
        .unwrap();
        assert_eq!(back.items, pages[0].items, "{backend:?}: newer from page 2 is page 1");
        assert!(back.newer.is_none());

        // Notes and stage changes are audited, and the activity reads them back in words.
        notes::add(&app.state, &owner, client, "  Wants a demo on Friday.  ").await.unwrap();
        service::set_status(&app.state, &admin, &[client], "qualified").await.unwrap();
        service::set_strategy(&app.state, &owner, &[client], nurture).await.unwrap();
        let activity = detail_service::activity(&app.state, &owner, client, &TimelineQuery::default()).await.unwrap();
        let lines: Vec<(String, String, Vec<String>)> = activity
            .items
            .iter()
            .map(|entry| (entry.actor.clone(), entry.verb.clone(), entry.changes.clone()))
            .collect();
        assert_eq!(lines.len(), 4, "{backend:?}: {lines:?}");
        assert_eq!(lines[0], ("Olga Owner".into(), "changed".into(), vec!["Strategy: Closer → Nurture".to_owned()]));
        assert_eq!(lines[1], ("Ada Admin".into(), "changed".into(), vec!["Status: Lead → Qualified".to_owned()]));
        assert_eq!(
            lines[2],
            ("Olga Owner".into(), "added a note".into(), vec!["“Wants a demo on Friday.”".to_owned()])
        );
        assert_eq!(lines[3].1, "created the client");
        assert!(lines[3].2.contains(&"Name: Ana Lima".to_owned()), "{:?}", lines[3]);

        // Notes are a log: each one is kept, newest first, with its author; none is written over.
        notes::add(&app.state, &admin, client, "Demo booked by phone.").await.unwrap();
        let log = notes::page(&app.state, &owner, client, &TimelineQuery::default()).await.unwrap();
        let entries: Vec<(&str, &str)> = log.items.iter().map(|n| (n.author.as_str(), n.body.as_str())).collect();
        assert_eq!(entries, [("Ada Admin", "Demo booked by phone."), ("Olga Owner", "Wants a demo on Friday.")]);
        // Empty and oversized notes are refused and change nothing.
        let too_long = "x".repeat(20_001);
        assert!(notes::add(&app.state, &owner, client, &too_long).await.unwrap_err().field_message("body").is_some());
        assert!(notes::add(&app.state, &owner, client, "  ").await.unwrap_err().field_message("body").is_some());
        let activity = detail_service::activity(&app.state, &owner, client, &TimelineQuery::default()).await.unwrap();
        assert_eq!(activity.items.len(), 5, "{backend:?}: no audit for refused notes");
        // Pages of the log neither skip nor repeat notes.
        for n in 0..12 {
            notes::add(&app.state, &owner, client, &format!("Note {n}")).await.unwrap();
        }
        let first = notes::page(&app.state, &owner, client, &TimelineQuery::default()).await.unwrap();
        let older = TimelineQuery { older: first.older.clone().expect("a second page"), newer: String::new() };
        let second = notes::page(&app.state, &owner, client, &older).await.unwrap();
        let bodies: Vec<String> = first.items.iter().chain(&second.items).map(|n| n.body.clone()).collect();
        assert_eq!(bodies.len(), 14, "{backend:?}");
        assert_eq!(bodies[0], "Note 11");
        assert_eq!(bodies[13], "Wants a demo on Friday.");

        // Someone else's client does not exist for them, whatever they ask.
        let stranger = account(&app, "Sam Stranger", "sam@example.com").await;
        let not_found =
            |result: Result<(), AppError>| assert!(matches!(result, Err(AppError::NotFound(_))), "{result:?}");
        not_found(detail_service::detail(&app.state, &stranger, client).await.map(drop));
        not_found(detail_service::messages(&app.state, &stranger, client, &TimelineQuery::default()).await.map(drop));
        not_found(detail_service::activity(&app.state, &stranger, client, &TimelineQuery::default()).await.map(drop));
        not_found(notes::add(&app.state, &stranger, client, "mine now").await.map(drop));
        not_found(notes::page(&app.state, &stranger, client, &TimelineQuery::default()).await.map(drop));
        not_found(service::set_status(&app.state, &stranger, &[client], "lost").await.map(drop));
        assert_eq!(detail_service::detail(&app.state, &admin, client).await.unwrap().status, "qualified");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_pipeline_board_shows_each_stage_latest_first_with_filters_and_owners() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let admin = account(&app, "Ada Admin", "ada@example.com").await;
        let owner = account(&app, "Olga Owner", "olga@example.com").await;
        let other = account(&app, "Otto Other", "otto@example.com").await;
        let closer = strategy(&app, owner.id, "Closer").await;
        let nurture = strategy(&app, owner.id, "Nurture").await;
        let others = strategy(&app, other.id, "Theirs").await;
        let mut leads = Vec::new();
        for n in 0..(CARDS_PER_STAGE + 3) {
            leads.push(add(&app, &owner, &format!("Lead {n:02}"), closer, "lead").await);
        }
        let won = add(&app, &owner, "Wendy Won", nurture, "won").await;
        add(&app, &other, "Not Yours", others, "won").await;

        let board = pipeline_service::board(&app.state, &owner, &ClientQuery::default()).await.unwrap();
        let stages: Vec<&str> = board.columns.iter().map(|column| column.status.as_str()).collect();
        assert_eq!(stages, STATUSES.iter().map(|(status, _)| *status).collect::<Vec<_>>(), "{backend:?}");
        let lead_column = &board.columns[0];
        assert_eq!(lead_column.total, Total::exact(CARDS_PER_STAGE + 3));
        assert_eq!(lead_column.cards.len() as u64, CARDS_PER_STAGE);
        let newest_first: Vec<i64> = leads.iter().rev().take(CARDS_PER_STAGE as usize).copied().collect();
        assert_eq!(lead_column.cards.iter().map(|card| card.id).collect::<Vec<_>>(), newest_first, "{backend:?}");
        assert_eq!(lead_column.cards[0].strategy_name, "Closer");
        assert!(lead_column.cards[0].owner_name.is_none(), "users are not shown owner names");
        let won_column = board.columns.iter().find(|column| column.status == "won").unwrap();
        assert_eq!(won_column.cards.iter().map(|card| card.id).collect::<Vec<_>>(), vec![won], "only their own");

        // Filters: strategy and search narrow every stage.
        let by_strategy = ClientQuery { strategy: Some(nurture), ..Default::default() };
        let board = pipeline_service::board(&app.state, &owner, &by_strategy).await.unwrap();
        assert_eq!(board.columns.iter().map(|column| column.total.count).sum::<u64>(), 1, "{backend:?}");
        let search = ClientQuery { q: "Lead 07".into(), ..Default::default() };
        let board = pipeline_service::board(&app.state, &owner, &search).await.unwrap();
        assert_eq!(board.columns[0].cards.iter().map(|card| card.name.as_str()).collect::<Vec<_>>(), vec!["Lead 07"]);

        // A move shows on the next load: the card tops its new stage.
        service::set_status(&app.state, &owner, &[leads[0]], "won").await.unwrap();
        let board = pipeline_service::board(&app.state, &owner, &ClientQuery::default()).await.unwrap();
        let won_column = board.columns.iter().find(|column| column.status == "won").unwrap();
        assert_eq!(won_column.total.count, 2);
        assert_eq!(board.columns[0].total.count, CARDS_PER_STAGE + 2);

        // Admins see everyone's clients, with their owners' names, or one owner's.
        let board = pipeline_service::board(&app.state, &admin, &ClientQuery::default()).await.unwrap();
        let won_column = board.columns.iter().find(|column| column.status == "won").unwrap();
        assert_eq!(won_column.total.count, 3, "{backend:?}");
        let owners: std::collections::BTreeSet<String> =
            won_column.cards.iter().filter_map(|card| card.owner_name.clone()).collect();
        assert_eq!(owners, ["Olga Owner".to_owned(), "Otto Other".to_owned()].into());
        let board =
            pipeline_service::board(&app.state, &admin, &ClientQuery { owner: Some(other.id), ..Default::default() })
                .await
                .unwrap();
        assert_eq!(board.columns.iter().map(|column| column.total.count).sum::<u64>(), 1);
        app.cleanup().await;
    }
}

/// The stage card draws the way from lead to won: the stages before the client's are passed, its
/// own is the current step, a lost client has every stage ahead and "Lost" as the current step.
#[tokio::test]
async fn the_stage_card_marks_the_stages_passed_and_the_current_one() {
    let app = common::app::start(common::Backend::Sqlite).await;
    let signed_up = app
        .post_form(
            "/api/signup",
            &[("name", "Ada"), ("email", "ada@example.com"), ("password", "violet staircase at noon")],
            None,
        )
        .await;
    let cookie = signed_up.session_cookie().expect("signed up");
    let created = app
        .post_form(
            "/api/create_strategy",
            &[("name", "Persona"), ("creativity", "5"), ("reply_delay_min", "0"), ("reply_delay_max", "0")],
            Some(&cookie),
        )
        .await;
    let strategy_id = serde_json::from_str::<crm::strategies::model::Strategy>(&created.body).unwrap().id.to_string();
    let client =
        app.post_form("/api/create_client", &[("name", "Bea"), ("strategy_id", &strategy_id)], Some(&cookie)).await;
    let id: i64 = serde_json::from_str(&client.body).unwrap();
    let step = |body: &str, label: &str| {
        let end = body.find(&format!("</span>{label}</li>")).unwrap_or_else(|| panic!("no {label} step"));
        let start = body[..end].rfind("<li").unwrap();
        body[start..end].to_owned()
    };

    app.post_form("/api/move_client", &[("id", &id.to_string()), ("status", "qualified")], Some(&cookie)).await;
    let page = app.get(&format!("/clients/{id}"), Some(&cookie)).await.body;
    for passed in ["Lead", "Contacted"] {
        assert!(step(&page, passed).contains("stage-step-passed"), "{passed}: {}", step(&page, passed));
    }
    let current = step(&page, "Qualified");
    assert!(current.contains("stage-step-current") && current.contains(r#"aria-current="step""#), "{current}");
    assert!(step(&page, "Won").contains("stage-step-ahead"));

    app.post_form("/api/move_client", &[("id", &id.to_string()), ("status", "lost")], Some(&cookie)).await;
    let page = app.get(&format!("/clients/{id}"), Some(&cookie)).await.body;
    assert!(step(&page, "Lead").contains("stage-step-ahead"));
    assert!(step(&page, "Lost").contains(r#"aria-current="step""#));
    app.cleanup().await;
}
