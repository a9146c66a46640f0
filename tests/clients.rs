//! The clients service on SQLite and on PostgreSQL: keyset pages that neither skip nor repeat a
//! row while rows are added, every sort and filter, search, validation, ownership and bulk changes.
#![cfg(feature = "ssr")]

mod common;

use std::collections::BTreeSet;

use chrono::TimeZone;
use common::{
    BACKENDS, Backend,
    accounts::{account, strategy},
    app::TestApp,
};
use crm::{
    audit::entity as audit_log,
    clients::{
        entity as clients,
        list_query::SEARCH_WINDOW,
        model::{ClientForm, ClientQuery, DUPLICATE_FIELD, DUPLICATE_ID_FIELD, PAGE_SIZE, Total},
        service,
    },
    users::model::CurrentUser,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};

/// The first account of a database is its admin: tests that need ordinary users make one first.
async fn admin_first(app: &TestApp) -> CurrentUser {
    account(app, "Admin", "admin@example.com").await
}

fn form(name: &str, strategy: i64) -> ClientForm {
    ClientForm { name: name.into(), strategy_id: strategy.to_string(), ..Default::default() }
}

async fn add(app: &TestApp, user: &CurrentUser, form: ClientForm) -> i64 {
    service::create(&app.state, user, &form, service::Duplicates::Allow).await.unwrap()
}

/// The total the list shows `user` for `query`.
async fn total(app: &TestApp, user: &CurrentUser, query: ClientQuery) -> Total {
    service::list(&app.state, user, &query).await.unwrap().total
}

/// Walks every page forwards; returns the ids in order.
async fn walk(app: &TestApp, user: &CurrentUser, query: &ClientQuery) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut query = query.clone();
    loop {
        let page = service::list(&app.state, user, &query).await.unwrap();
        assert!(page.rows.len() as u64 <= PAGE_SIZE);
        ids.extend(page.rows.iter().map(|row| row.id));
        match page.next {
            Some(next) => query.after = next,
            None => return ids,
        }
    }
}

#[tokio::test]
async fn pages_neither_skip_nor_repeat_rows_while_clients_are_added() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        admin_first(&app).await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let friendly = strategy(&app, ana.id, "Friendly").await;
        for n in 0..(PAGE_SIZE * 2 + 7) {
            // Duplicate names, so that the id tie-breaker matters.
            add(&app, &ana, form(&format!("Client {:03}", n / 2), friendly)).await;
        }
        let mut expected = PAGE_SIZE * 2 + 7;
        for sort in ["name", "created", "activity", "status"] {
            for dir in ["asc", "desc"] {
                let query = ClientQuery { sort: sort.into(), dir: dir.into(), ..Default::default() };
                let first = service::list(&app.state, &ana, &query).await.unwrap();
                assert_eq!(first.total, Total::exact(expected));
                expected += 1;
                assert!(first.prev.is_none());
                // A client added after the first page was read must not shift the next pages.
                add(&app, &ana, form(&format!("Late {sort}{dir}"), friendly)).await;
                let mut seen = first.rows.iter().map(|row| row.id).collect::<Vec<_>>();
                let rest = walk(&app, &ana, &ClientQuery { after: first.next.clone().unwrap(), ..query.clone() }).await;
                seen.extend(rest);
                let unique: BTreeSet<i64> = seen.iter().copied().collect();
                assert_eq!(unique.len(), seen.len(), "{backend:?} {sort} {dir}: a row repeated");
                assert!(seen.len() as u64 >= expected - 1, "{backend:?} {sort} {dir}: a row skipped");
            }
        }
        // Back from page 2 is exactly page 1.
        let query = ClientQuery { sort: "name".into(), ..Default::default() };
        let first = service::list(&app.state, &ana, &query).await.unwrap();
        let second =
            service::list(&app.state, &ana, &ClientQuery { after: first.next.clone().unwrap(), ..query.clone() })
                .await
                .unwrap();
        let back = service::list(&app.state, &ana, &ClientQuery { before: second.prev.clone().unwrap(), ..query })
            .await
            .unwrap();
        assert_eq!(back.rows, first.rows, "{backend:?}");
        assert!(back.prev.is_none(), "{backend:?}: page 1 has no previous page");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn sorts_filters_and_search_return_what_they_say() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        admin_first(&app).await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let friendly = strategy(&app, ana.id, "Friendly").await;
        let direct = strategy(&app, ana.id, "Direct").await;
        let bea = add(
            &app,
            &ana,
            ClientForm {
                email: "bea@acme.example".into(),
                company: "Acme Corp".into(),
                status: "won".into(),
                ..form("Bea Costa", friendly)
            },
        )
        .await;
        let caio = add(
            &app,
            &ana,
            ClientForm { phone: "+55 11 98765 4321".into(), status: "lead".into(), ..form("Caio Dias", direct) },
        )
        .await;
        let abel =
            add(&app, &ana, ClientForm { status: "qualified".into(), ..form("Abel 100% Real_Name", friendly) }).await;

        let ids = |query: ClientQuery| {
            let app = &app;
            let ana = &ana;
            async move { walk(app, ana, &query).await }
        };
        assert_eq!(ids(ClientQuery { sort: "name".into(), ..Default::default() }).await, [abel, bea, caio]);
        assert_eq!(
            ids(ClientQuery { sort: "name".into(), dir: "desc".into(), ..Default::default() }).await,
            [caio, bea, abel]
        );
        // Pipeline order, not the alphabet: lead, qualified, won.
        assert_eq!(ids(ClientQuery { sort: "status".into(), ..Default::default() }).await, [caio, abel, bea]);
        assert_eq!(ids(ClientQuery::default()).await, [abel, caio, bea], "{backend:?}: newest activity first");
        assert_eq!(
            ids(ClientQuery { sort: "created".into(), dir: "asc".into(), ..Default::default() }).await,
            [bea, caio, abel]
        );

        assert_eq!(ids(ClientQuery { status: "won".into(), ..Default::default() }).await, [bea]);
        assert_eq!(ids(ClientQuery { strategy: Some(direct), ..Default::default() }).await, [caio]);
        for (q, expected) in [
            ("acme", vec![bea]),
            ("ACME corp", vec![bea]),
            ("bea@acme", vec![bea]),
            ("98765", vec![caio]),
            ("dias", vec![caio]),
            ("co", vec![bea]),
            ("100%", vec![abel]),
            ("a_e", vec![]),
            ("real_name", vec![abel]),
            ("nobody", vec![]),
            // Written into the statement on PostgreSQL: quotes and backslashes stay text.
            ("o'hara", vec![]),
            ("\\' or ''='", vec![]),
            ("costa'; delete from clients; --", vec![]),
            ("nul\0byte", vec![]),
        ] {
            let found = ids(ClientQuery { q: q.into(), ..Default::default() }).await;
            assert_eq!(found, expected, "{backend:?}: search {q:?}");
        }
        app.cleanup().await;
    }
}

/// Adds `count` clients to `owner` in one statement per 500, the n-th created n minutes after a
/// fixed time and named by `name(n)`; returns them in creation order.
async fn add_many(app: &TestApp, owner: i64, strategy: i64, count: usize, name: impl Fn(usize) -> String) {
    let start = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap();
    let rows: Vec<clients::ActiveModel> = (0..count)
        .map(|n| {
            let at = start + chrono::Duration::minutes(n as i64);
            clients::ActiveModel {
                owner_id: Set(owner),
                strategy_id: Set(strategy),
                name: Set(name(n)),
                status: Set(["lead", "won", "lost"][n % 3].into()),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            }
        })
        .collect();
    for chunk in rows.chunks(500) {
        clients::Entity::insert_many(chunk.to_vec()).exec(&app.db.conn).await.unwrap();
    }
}

/// Walks every page backwards from `last`'s end; returns the ids in display order.
async fn walk_back(app: &TestApp, user: &CurrentUser, query: &ClientQuery, before: String) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut query = ClientQuery { before, ..query.clone() };
    loop {
        let page = service::list(&app.state, user, &query).await.unwrap();
        ids.splice(0..0, page.rows.iter().map(|row| row.id));
        match page.prev {
            Some(prev) => query.before = prev,
            None => return ids,
        }
    }
}

/// On PostgreSQL a search first tests the rows next in the sort (`SEARCH_WINDOW` of them) and
/// asks the trigram index only when they hold less than a page: a word in every tenth client
/// is found in the window, a word only in the oldest clients beyond it. Either way every page
/// is the one the whole list filtered in memory gives, forwards and backwards, in every sort.
#[tokio::test]
async fn searches_page_the_same_inside_and_beyond_the_search_window() {
    // "old" has over 1,000 matches, all beyond the first window; "plain" has over 1,000, dense;
    // "common" and "rare" have fewer than 1,000.
    let count = SEARCH_WINDOW as usize + 1_100;
    for backend in BACKENDS {
        let mut app = common::app::start(backend).await;
        admin_first(&app).await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let friendly = strategy(&app, ana.id, "Friendly").await;
        add_many(&app, ana.id, friendly, count, |n| {
            let word = if n < 1_050 {
                "old"
            } else if n % 10 == 0 {
                "common"
            } else if n < 1_110 {
                "rare"
            } else {
                "plain"
            };
            format!("Client {n:05} {word}")
        })
        .await;
        let mine = clients::Entity::find().filter(clients::Column::OwnerId.eq(ana.id)).all(&app.db.conn).await.unwrap();
        let statements = app.count_queries();
        for word in ["common", "rare", "plain", "old"] {
            let mut expected: Vec<&clients::Model> = mine.iter().filter(|row| row.name.contains(word)).collect();
            expected.sort_by_key(|row| std::cmp::Reverse((row.last_activity_at, row.id)));
            let expected: Vec<i64> = expected.iter().map(|row| row.id).collect();
            let query = ClientQuery { q: word.into(), ..Default::default() };
            let found = walk(&app, &ana, &query).await;
            assert_eq!(found, expected, "{backend:?}: {word}, latest activity first");
            statements.take();
            let first = service::list(&app.state, &ana, &query).await.unwrap();
            // The page, its total and its strategies' names. On PostgreSQL one statement finds,
            // counts and pages up to 1,000 matches; more take the window's statement too, and
            // when the window is short of a page, the sort of every match (which counts them).
            let wanted_statements = match (backend, word) {
                (Backend::Sqlite, _) => 3,
                (_, "common" | "rare") => 2,
                (_, "plain") => 3,
                _ => 4,
            };
            assert_eq!(statements.take(), wanted_statements, "{backend:?}: {word}");
            // A common word's page came from the window: its total is counted up to 1,000.
            let wanted = if expected.len() > 1_000 && (backend == Backend::Sqlite || word == "plain") {
                Total::bounded(1_001, 1_000)
            } else {
                Total::exact(expected.len() as u64)
            };
            assert_eq!(first.total, wanted, "{backend:?}: {word}");
            // Back from the last page is the same list.
            let mut last = first.clone();
            while let Some(next) = last.next.clone() {
                last = service::list(&app.state, &ana, &ClientQuery { after: next, ..query.clone() }).await.unwrap();
            }
            if let Some(prev) = last.prev.clone() {
                let mut back = walk_back(&app, &ana, &query, prev).await;
                back.extend(last.rows.iter().map(|row| row.id));
                assert_eq!(back, expected, "{backend:?}: {word}, backwards");
            }
            for sort in ["name", "created", "status"] {
                for dir in ["asc", "desc"] {
                    let sorted = ClientQuery { sort: sort.into(), dir: dir.into(), ..query.clone() };
                    let found = walk(&app, &ana, &sorted).await;
                    let unique: BTreeSet<i64> = found.iter().copied().collect();
                    assert_eq!(unique.len(), found.len(), "{backend:?}: {word} by {sort} {dir} repeats a row");
                    assert_eq!(unique, expected.iter().copied().collect(), "{backend:?}: {word} by {sort} {dir}");
                }
            }
        }
        let by_name = ClientQuery { q: "common".into(), sort: "name".into(), ..Default::default() };
        let names: Vec<i64> = walk(&app, &ana, &by_name).await;
        let mut expected: Vec<&clients::Model> = mine.iter().filter(|row| row.name.contains("common")).collect();
        expected.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(names, expected.iter().map(|row| row.id).collect::<Vec<_>>(), "{backend:?}: names sort alike");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn users_reach_only_their_own_clients_and_admins_reach_all() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let admin = admin_first(&app).await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let bo = account(&app, "Bo", "bo@example.com").await;
        let anas_strategy = strategy(&app, ana.id, "Ana's").await;
        let bos_strategy = strategy(&app, bo.id, "Bo's").await;
        let anas = add(&app, &ana, form("Ana's lead", anas_strategy)).await;
        let bos = add(&app, &bo, form("Bo's lead", bos_strategy)).await;

        assert_eq!(walk(&app, &ana, &ClientQuery::default()).await, [anas]);
        assert_eq!(walk(&app, &bo, &ClientQuery::default()).await, [bos]);
        let all = service::list(&app.state, &admin, &ClientQuery::default()).await.unwrap();
        assert_eq!(all.rows.len(), 2, "{backend:?}");
        assert!(all.rows.iter().all(|row| row.owner_name.is_some()), "admins see the owner");
        assert_eq!(walk(&app, &admin, &ClientQuery { owner: Some(bo.id), ..Default::default() }).await, [bos]);
        // The owner filter means nothing to a user.
        assert_eq!(walk(&app, &ana, &ClientQuery { owner: Some(bo.id), ..Default::default() }).await, [anas]);

        let not_found = service::find(&app.state.db, &ana, bos).await.unwrap_err();
        assert_eq!(not_found.status_code(), 404);
        let update = service::update(&app.state, &ana, bos, &form("Mine now", anas_strategy)).await.unwrap_err();
        assert_eq!(update.status_code(), 404);
        assert_eq!(service::delete(&app.state, &ana, &[bos]).await.unwrap_err().status_code(), 404);
        // Someone else's strategy cannot be given to one's client.
        let stolen = service::create(&app.state, &ana, &form("Lead", bos_strategy), service::Duplicates::Warn)
            .await
            .unwrap_err();
        assert!(stolen.field_message("strategy_id").is_some(), "{backend:?}: {stolen:?}");
        // Admins reach everyone's clients.
        service::update(&app.state, &admin, bos, &form("Renamed by admin", bos_strategy)).await.unwrap();
        assert_eq!(service::find(&app.state.db, &bo, bos).await.unwrap().name, "Renamed by admin");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn invalid_clients_name_each_field_and_duplicate_external_ids_are_refused() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        admin_first(&app).await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let bo = account(&app, "Bo", "bo@example.com").await;
        let friendly = strategy(&app, ana.id, "Friendly").await;
        let bos_strategy = strategy(&app, bo.id, "Bo's").await;
        let bad = ClientForm {
            name: "".into(),
            email: "x@".into(),
            phone: "call me".into(),
            status: "maybe".into(),
            strategy_id: "".into(),
            ..Default::default()
        };
        let error = service::create(&app.state, &ana, &bad, service::Duplicates::Warn).await.unwrap_err();
        assert_eq!(error.status_code(), 422);
        for field in ["name", "email", "phone", "status", "strategy_id"] {
            assert!(error.field_message(field).is_some(), "{backend:?}: {field}");
        }
        let with_id = ClientForm { external_id: "ghl-7".into(), ..form("First", friendly) };
        let first = add(&app, &ana, with_id.clone()).await;
        let duplicate = service::create(
            &app.state,
            &ana,
            &ClientForm { name: "Second".into(), ..with_id.clone() },
            service::Duplicates::Allow,
        )
        .await
        .unwrap_err();
        assert!(duplicate.field_message("external_id").is_some(), "{backend:?}");
        // Unique per owner: another owner may use the same id.
        add(&app, &bo, ClientForm { external_id: "ghl-7".into(), ..form("Bo's", bos_strategy) }).await;
        // Saving a client with its own external id is fine.
        service::update(&app.state, &ana, first, &ClientForm { notes: "Called".into(), ..with_id }).await.unwrap();
        assert_eq!(walk(&app, &ana, &ClientQuery::default()).await, [first], "nothing else was written");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn bulk_changes_apply_to_the_users_own_selection_and_are_audited() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let admin = admin_first(&app).await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let bo = account(&app, "Bo", "bo@example.com").await;
        let friendly = strategy(&app, ana.id, "Friendly").await;
        let direct = strategy(&app, ana.id, "Direct").await;
        let bos_strategy = strategy(&app, bo.id, "Bo's").await;
        let mut ids = Vec::new();
        for n in 0..4 {
            ids.push(add(&app, &ana, form(&format!("Lead {n}"), friendly)).await);
        }
        let bos = add(&app, &bo, form("Bo's lead", bos_strategy)).await;

        let changed = service::set_status(&app.state, &ana, &[ids[0], ids[1], bos], "won").await.unwrap();
        assert_eq!(changed, 2, "{backend:?}: Bo's client is not Ana's to change");
        assert_eq!(service::find(&app.state.db, &bo, bos).await.unwrap().status, "lead");
        let won = walk(&app, &ana, &ClientQuery { status: "won".into(), ..Default::default() }).await;
        assert_eq!(won.len(), 2);
        // Totals come from the counters, which follow every change.
        let status = |status: &str| ClientQuery { status: status.into(), ..Default::default() };
        assert_eq!(total(&app, &ana, ClientQuery::default()).await, Total::exact(4), "{backend:?}");
        assert_eq!(total(&app, &ana, status("won")).await, Total::exact(2), "{backend:?}");
        assert_eq!(total(&app, &ana, status("lead")).await, Total::exact(2), "{backend:?}");
        assert_eq!(total(&app, &admin, ClientQuery::default()).await, Total::exact(5), "{backend:?}");
        assert_eq!(total(&app, &admin, ClientQuery { owner: Some(bo.id), ..status("lead") }).await, Total::exact(1));
        assert_eq!(total(&app, &ana, ClientQuery { owner: Some(bo.id), ..Default::default() }).await, Total::exact(4));
        let search = ClientQuery { q: "lead 1".into(), ..Default::default() };
        assert_eq!(total(&app, &ana, search).await, Total::exact(1), "{backend:?}: a search counts its matches");

        assert_eq!(service::set_strategy(&app.state, &ana, &ids[..3], direct).await.unwrap(), 3);
        let refused = service::set_strategy(&app.state, &ana, &ids, bos_strategy).await.unwrap_err();
        assert!(refused.field_message("strategy_id").is_some());
        let by_direct = ClientQuery { strategy: Some(direct), ..Default::default() };
        assert_eq!(walk(&app, &ana, &by_direct).await.len(), 3);
        assert_eq!(total(&app, &ana, by_direct).await, Total::exact(3), "{backend:?}");

        assert_eq!(service::delete(&app.state, &ana, &ids[2..]).await.unwrap(), 2);
        assert_eq!(walk(&app, &ana, &ClientQuery::default()).await.len(), 2);
        assert_eq!(total(&app, &ana, ClientQuery::default()).await, Total::exact(2), "{backend:?}");
        assert_eq!(total(&app, &ana, status("won")).await, Total::exact(2), "{backend:?}");
        assert_eq!(total(&app, &admin, ClientQuery::default()).await, Total::exact(3), "{backend:?}");
        assert!(service::set_status(&app.state, &ana, &[], "won").await.unwrap_err().field_message("ids").is_some());

        let entries =
            audit_log::Entity::find().filter(audit_log::Column::Entity.eq("client")).all(&app.db.conn).await.unwrap();
        let count = |action: &str| entries.iter().filter(|entry| entry.action == action).count();
        assert_eq!((count("create"), count("update"), count("delete")), (5, 5, 2), "{backend:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn bulk_changes_to_all_matching_clients_follow_the_filters_and_are_audited() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let _admin = admin_first(&app).await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let bo = account(&app, "Bo", "bo@example.com").await;
        let friendly = strategy(&app, ana.id, "Friendly").await;
        let direct = strategy(&app, ana.id, "Direct").await;
        let bos_strategy = strategy(&app, bo.id, "Bo's").await;
        for n in 0..7 {
            add(&app, &ana, form(&format!("Silva {n}"), friendly)).await;
        }
        let costa = add(&app, &ana, form("Costa", friendly)).await;
        let bos_silva = add(&app, &bo, form("Silva of Bo", bos_strategy)).await;
        let silva = ClientQuery { q: "silva".into(), after: "ignored.1".into(), ..Default::default() };

        // The filter, not a page of ids, says which clients change; Bo's match is not Ana's.
        let target = service::Target::Matching(&silva);
        assert_eq!(service::set_status_of(&app.state, &ana, target, "won").await.unwrap(), 7, "{backend:?}");
        assert_eq!(service::find(&app.state.db, &ana, costa).await.unwrap().status, "lead");
        assert_eq!(service::find(&app.state.db, &bo, bos_silva).await.unwrap().status, "lead");
        let won = ClientQuery { status: "won".into(), ..Default::default() };
        assert_eq!(total(&app, &ana, won.clone()).await, Total::exact(7), "{backend:?}");

        let target = service::Target::Matching(&won);
        assert_eq!(service::set_strategy_of(&app.state, &ana, target, direct).await.unwrap(), 7);
        let refused = service::set_strategy_of(&app.state, &ana, target, bos_strategy).await.unwrap_err();
        assert!(refused.field_message("strategy_id").is_some(), "{backend:?}");
        let nobody = ClientQuery { q: "nobody at all".into(), ..Default::default() };
        let empty = service::delete_of(&app.state, &ana, service::Target::Matching(&nobody)).await.unwrap_err();
        assert!(empty.field_message("ids").is_some(), "{backend:?}");
        assert_eq!(service::delete_of(&app.state, &ana, target).await.unwrap(), 7);
        assert_eq!(walk(&app, &ana, &ClientQuery::default()).await, vec![costa], "{backend:?}");

        // Each client changed is audited, as for ticked ones: 9 created, 7 + 7 updated, 7 deleted.
        let entries =
            audit_log::Entity::find().filter(audit_log::Column::Entity.eq("client")).all(&app.db.conn).await.unwrap();
        let count = |action: &str| entries.iter().filter(|entry| entry.action == action).count();
        assert_eq!((count("create"), count("update"), count("delete")), (9, 14, 7), "{backend:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_pipeline_column_shows_more_cards_a_page_at_a_time() {
    use crm::clients::{pipeline::CARDS_PER_STAGE, pipeline_service};
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let _admin = admin_first(&app).await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let bo = account(&app, "Bo", "bo@example.com").await;
        let friendly = strategy(&app, ana.id, "Friendly").await;
        let bos_strategy = strategy(&app, bo.id, "Bo's").await;
        let count = 2 * CARDS_PER_STAGE as usize + 3;
        let mut ids = Vec::new();
        for n in 0..count {
            ids.push(add(&app, &ana, form(&format!("Lead {n:02}"), friendly)).await);
        }
        add(&app, &bo, form("Bo's lead", bos_strategy)).await;

        let board = pipeline_service::board(&app.state, &ana, &ClientQuery::default()).await.unwrap();
        let mut shown: Vec<i64> = board.columns[0].cards.iter().map(|card| card.id).collect();
        let mut next = board.columns[0].next.clone();
        assert!(board.columns[1].next.is_none(), "{backend:?}: an empty column has no more");
        let mut pages = 1;
        while let Some(after) = next {
            let query = ClientQuery { status: "lead".into(), after, ..Default::default() };
            let more = pipeline_service::more_cards(&app.state, &ana, &query).await.unwrap();
            assert!(more.cards.len() as u64 <= CARDS_PER_STAGE);
            assert_eq!(more.cards[0].strategy_name, "Friendly");
            shown.extend(more.cards.iter().map(|card| card.id));
            next = more.next;
            pages += 1;
        }
        let newest_first: Vec<i64> = ids.iter().rev().copied().collect();
        assert_eq!((shown, pages), (newest_first, 3), "{backend:?}: every card once, latest activity first");
        let no_stage = ClientQuery { after: "1.1".into(), ..Default::default() };
        assert!(pipeline_service::more_cards(&app.state, &ana, &no_stage).await.is_err());
        app.cleanup().await;
    }
}

#[test]
fn the_bulk_form_reads_the_lists_filters_from_its_query_string() {
    let query = crm::clients::api::filter_query("?q=ana%20lima&status=won&strategy=3&sort=name&after=9.x");
    let expected = ClientQuery {
        q: "ana lima".into(),
        status: "won".into(),
        strategy: Some(3),
        sort: "name".into(),
        ..Default::default()
    };
    assert_eq!(query, expected);
    assert_eq!(crm::clients::api::filter_query(""), ClientQuery::default());
}

#[tokio::test]
async fn sqlite_search_index_follows_every_change() {
    let app = common::app::start(common::Backend::Sqlite).await;
    admin_first(&app).await;
    let ana = account(&app, "Ana", "ana@example.com").await;
    let friendly = strategy(&app, ana.id, "Friendly").await;
    let id = add(&app, &ana, ClientForm { company: "Globex".into(), ..form("Hank", friendly) }).await;
    let search = |q: &'static str| {
        let app = &app;
        let ana = &ana;
        async move { walk(app, ana, &ClientQuery { q: q.into(), ..Default::default() }).await }
    };
    assert_eq!(search("globex").await, [id]);
    service::update(&app.state, &ana, id, &ClientForm { company: "Initech".into(), ..form("Hank", friendly) })
        .await
        .unwrap();
    assert!(search("globex").await.is_empty(), "the old company is gone from the index");
    assert_eq!(search("initech").await, [id]);
    service::delete(&app.state, &ana, &[id]).await.unwrap();
    assert!(search("initech").await.is_empty());
    app.cleanup().await;
}

#[tokio::test]
async fn concurrent_writes_queue_instead_of_failing_on_sqlite() {
    // A deferred SQLite transaction that reads before it writes fails at once with "database is
    // locked" when another connection writes meanwhile; write transactions begin IMMEDIATE.
    let app = common::app::start(common::Backend::Sqlite).await;
    admin_first(&app).await;
    let ana = account(&app, "Ana", "ana@example.com").await;
    let friendly = strategy(&app, ana.id, "Friendly").await;
    let creations = (0..16).map(|n| {
        let state = app.state.clone();
        let ana = ana.clone();
        tokio::spawn(async move {
            service::create(&state, &ana, &form(&format!("Parallel {n}"), friendly), service::Duplicates::Warn).await
        })
    });
    for result in futures::future::join_all(creations).await {
        result.unwrap().expect("every concurrent creation succeeds");
    }
    assert_eq!(walk(&app, &ana, &ClientQuery::default()).await.len(), 16);
    app.cleanup().await;
}

#[tokio::test]
async fn a_new_client_with_a_known_email_or_phone_is_a_warning_that_names_the_existing_one() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        admin_first(&app).await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let bo = account(&app, "Bo", "bo@example.com").await;
        let friendly = strategy(&app, ana.id, "Friendly").await;
        let bos_strategy = strategy(&app, bo.id, "Bo's").await;
        let known =
            ClientForm { email: "lima@example.com".into(), phone: "+1 415 555 0100".into(), ..form("Lima", friendly) };
        let lima = add(&app, &ana, known).await;

        let same_email = ClientForm { email: "LIMA@example.com".into(), ..form("Lima again", friendly) };
        let warning = service::create(&app.state, &ana, &same_email, service::Duplicates::Warn).await.unwrap_err();
        assert_eq!(warning.status_code(), 422, "{backend:?}");
        assert_eq!(warning.field_message(DUPLICATE_FIELD), Some("Lima already has this email."), "{backend:?}");
        assert_eq!(warning.field_message(DUPLICATE_ID_FIELD), Some(lima.to_string().as_str()), "{backend:?}");
        let same_phone = ClientForm { phone: "+1 415 555 0100".into(), ..form("Lima's desk", friendly) };
        let warning = service::create(&app.state, &ana, &same_phone, service::Duplicates::Warn).await.unwrap_err();
        assert_eq!(warning.field_message(DUPLICATE_FIELD), Some("Lima already has this phone number."), "{backend:?}");
        assert_eq!(walk(&app, &ana, &ClientQuery::default()).await, [lima], "{backend:?}: a warning writes nothing");

        // Seen and confirmed: added all the same. Another owner's clients are not a duplicate.
        let again = service::create(&app.state, &ana, &same_email, service::Duplicates::Allow).await.unwrap();
        assert_ne!(again, lima);
        let bos = ClientForm { email: "lima@example.com".into(), ..form("Bo's Lima", bos_strategy) };
        service::create(&app.state, &bo, &bos, service::Duplicates::Warn).await.expect("another owner's client");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn working_a_lead_moves_its_last_activity_and_a_deleted_client_stays_readable_in_the_audit_log() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        admin_first(&app).await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let friendly = strategy(&app, ana.id, "Friendly").await;
        let older = add(&app, &ana, ClientForm { company: "Olive Oil".into(), ..form("Olive", friendly) }).await;
        let newer = add(&app, &ana, form("Nora", friendly)).await;
        let by_activity = ClientQuery::default();
        assert_eq!(walk(&app, &ana, &by_activity).await, [newer, older], "{backend:?}: newest first");

        service::set_status(&app.state, &ana, &[older], "contacted").await.unwrap();
        assert_eq!(walk(&app, &ana, &by_activity).await, [older, newer], "{backend:?}: a stage change");
        crm::clients::notes::service::add(&app.state, &ana, newer, "Called twice.").await.unwrap();
        assert_eq!(walk(&app, &ana, &by_activity).await, [newer, older], "{backend:?}: a note");
        let edited =
            ClientForm { company: "Olive Oil Ltd".into(), status: "contacted".into(), ..form("Olive", friendly) };
        service::update(&app.state, &ana, older, &edited).await.unwrap();
        assert_eq!(walk(&app, &ana, &by_activity).await, [older, newer], "{backend:?}: a profile edit");
        let stored = clients::Entity::find_by_id(older).one(&app.db.conn).await.unwrap().unwrap();
        assert!(stored.worked_at.is_some_and(|at| at == stored.last_activity_at), "{backend:?}: {stored:?}");

        service::delete(&app.state, &ana, &[older]).await.unwrap();
        let entry = audit_log::Entity::find()
            .filter(audit_log::Column::Entity.eq("client"))
            .filter(audit_log::Column::EntityId.eq(older))
            .filter(audit_log::Column::Action.eq("delete"))
            .one(&app.db.conn)
            .await
            .unwrap()
            .expect("the deletion is audited");
        let changes = entry.changes.unwrap();
        assert_eq!(changes["name"]["from"], "Olive", "{backend:?}");
        assert_eq!(changes["company"]["from"], "Olive Oil Ltd", "{backend:?}");
        assert_eq!(changes["status"]["from"], "contacted", "{backend:?}");
        app.cleanup().await;
    }
}
