//! Conversations on SQLite and on PostgreSQL + Redis: the one writing function, the thread's and
//! the inbox's keyset pages (equal timestamps, messages arriving meanwhile), unread counts, who
//! reaches which conversation, and the live stream over HTTP (a message sent through one app
//! instance reaches a stream on another; a reconnect with `Last-Event-ID` gets exactly what it
//! missed).
#![cfg(feature = "ssr")]

mod common;

use std::time::Duration;

use axum::{
    body::Body,
    http::{Request, StatusCode},
};
use chrono::{TimeZone, Utc};
use common::{
    BACKENDS, Backend,
    accounts::{account, strategy},
    app::TestApp,
    sse::EventReader,
};
use crm::{
    chat::{
        conversation_entity as conversations, entity as messages,
        inbox_rows::SearchBounds,
        model::{AiMode, ChatEvent, ConversationState, INBOX_PAGE_SIZE, InboxQuery, THREAD_PAGE_SIZE},
        service::{self, Author, NewMessage},
    },
    shared::AppError,
    users::model::CurrentUser,
};
use futures::StreamExt;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Statement, sea_query::Expr};
use tower::ServiceExt;

/// A client of `owner` named `name`; returns its id.
async fn client(app: &TestApp, owner: &CurrentUser, strategy_id: i64, name: &str) -> i64 {
    let db = &app.db.conn;
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            "INSERT INTO clients (owner_id, strategy_id, name) VALUES ($1, $2, $3) RETURNING id"
        }
        _ => "INSERT INTO clients (owner_id, strategy_id, name) VALUES (?, ?, ?) RETURNING id",
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [owner.id.into(), strategy_id.into(), name.into()]))
        .await
        .unwrap();
    row.unwrap().try_get_by_index::<i64>(0).unwrap()
}

async fn write(app: &TestApp, client_id: i64, author: Author<'_>, body: &str) -> i64 {
    write_note(app, client_id, author, body, false).await
}

async fn write_note(app: &TestApp, client_id: i64, author: Author<'_>, body: &str, private: bool) -> i64 {
    service::record(&app.state, NewMessage { client_id, author, body, private, channel: "web" })
        .await
        .unwrap()
        .message
        .id
}

fn inbox_query() -> InboxQuery {
    InboxQuery::default()
}

#[tokio::test]
async fn a_thread_pages_back_by_time_and_id_without_gaps_while_messages_arrive() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let _admin = account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let strategy_id = strategy(&app, ana.id, "Friendly").await;
        let lead = client(&app, &ana, strategy_id, "Lead").await;
        let total = THREAD_PAGE_SIZE as i64 + 5;
        let mut ids = Vec::new();
        for n in 0..total {
            let author = if n % 2 == 0 { Author::Lead } else { Author::Agent(&ana) };
            ids.push(write(&app, lead, author, &format!("message {n}")).await);
        }
        // Three messages at a time share one instant: the id orders them.
        let start = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
        for (n, id) in ids.iter().enumerate() {
            messages::Entity::update_many()
                .col_expr(messages::Column::CreatedAt, Expr::value(start + chrono::Duration::minutes((n / 3) as i64)))
                .filter(messages::Column::Id.eq(*id))
                .exec(&app.db.conn)
                .await
                .unwrap();
        }
        let newest = service::thread(&app.state, &ana, lead, "", true).await.unwrap();
        let newest_ids: Vec<i64> = newest.messages.iter().map(|m| m.id).collect();
        assert_eq!(
            newest_ids,
            ids[ids.len() - THREAD_PAGE_SIZE as usize..],
            "{backend:?}: the newest page, oldest first"
        );
        let cursor = newest.older.clone().expect("an older page");
        // New messages arrive: the older page is the same.
        write(&app, lead, Author::Lead, "while paging").await;
        let older = service::thread(&app.state, &ana, lead, &cursor, false).await.unwrap();
        let older_ids: Vec<i64> = older.messages.iter().map(|m| m.id).collect();
        assert_eq!(older_ids, ids[..5], "{backend:?}: the rest, no gap, no repeat");
        assert!(older.older.is_none(), "{backend:?}: nothing older");
        app.cleanup().await;
    }
}

// The page says from which message its live stream starts: whatever is written while the page is
// read must be on the page or after that point, never in between (a thread once missed the AI's
// reply that way, when the reply landed while the thread reloaded).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thread_read_while_messages_arrive_hands_the_stream_every_message_it_does_not_show() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let strategy_id = strategy(&app, ana.id, "Friendly").await;
        let lead = client(&app, &ana, strategy_id, "Lead").await;
        write(&app, lead, Author::Lead, "hello").await;
        let state = app.state.clone();
        let writer = tokio::spawn(async move {
            for n in 0..200 {
                let new = NewMessage {
                    client_id: lead,
                    author: Author::Lead,
                    body: &format!("m{n}"),
                    private: false,
                    channel: "web",
                };
                service::record(&state, new).await.unwrap();
            }
        });
        let mut reads = Vec::new();
        while !writer.is_finished() {
            reads.push(service::thread(&app.state, &ana, lead, "", false).await.unwrap());
        }
        writer.await.unwrap();
        let written: Vec<i64> = messages::Entity::find()
            .filter(messages::Column::ClientId.eq(lead))
            .order_by_asc(messages::Column::Id)
            .all(&app.db.conn)
            .await
            .unwrap()
            .into_iter()
            .map(|message| message.id)
            .collect();
        assert!(reads.len() > 10, "{backend:?}: the thread was read while the messages arrived");
        for read in &reads {
            let shown: Vec<i64> = read.messages.iter().map(|message| message.id).collect();
            let after = read.stream_after.unwrap_or_default();
            let lost: Vec<i64> =
                written.iter().copied().filter(|id| *id > shown[0] && *id <= after && !shown.contains(id)).collect();
            assert!(
                lost.is_empty(),
                "{backend:?}: {lost:?} neither shown (up to {:?}) nor streamed (after {after})",
                shown.last()
            );
        }
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_inbox_pages_newest_first_with_ties_and_arrivals() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let _admin = account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let strategy_id = strategy(&app, ana.id, "Friendly").await;
        let count = INBOX_PAGE_SIZE as usize + 5;
        let mut clients = Vec::new();
        for n in 0..count {
            let id = client(&app, &ana, strategy_id, &format!("Lead {n:02}")).await;
            write(&app, id, Author::Lead, "hello").await;
            clients.push(id);
        }
        // Every conversation at the same instant: newest first means highest id first.
        let instant = Utc.with_ymd_and_hms(2026, 11, 2, 12, 0, 0).unwrap();
        conversations::Entity::update_many()
            .col_expr(conversations::Column::LastActivityAt, Expr::value(instant))
            .exec(&app.db.conn)
            .await
            .unwrap();
        let order: Vec<i64> = conversations::Entity::find()
            .order_by_desc(conversations::Column::Id)
            .all(&app.db.conn)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.client_id)
            .collect();
        let first = service::inbox(&app.state, &ana, &inbox_query()).await.unwrap();
        let first_ids: Vec<i64> = first.rows.iter().map(|row| row.client_id).collect();
        assert_eq!(first_ids, order[..INBOX_PAGE_SIZE as usize], "{backend:?}: ties broken by id");
        // While the user reads page one, a conversation of page two moves to the top.
        let moved = order[INBOX_PAGE_SIZE as usize];
        write(&app, moved, Author::Lead, "news").await;
        let next = InboxQuery { after: first.next.clone().expect("a second page"), ..inbox_query() };
        let second = service::inbox(&app.state, &ana, &next).await.unwrap();
        let second_ids: Vec<i64> = second.rows.iter().map(|row| row.client_id).collect();
        assert_eq!(second_ids, order[INBOX_PAGE_SIZE as usize + 1..], "{backend:?}: no repeats, the moved one left");
        assert!(second.next.is_none());
        // And it heads the first page now.
        let again = service::inbox(&app.state, &ana, &inbox_query()).await.unwrap();
        assert_eq!(again.rows[0].client_id, moved);
        assert_eq!(again.rows[0].preview, "news");

        // The clients list's search: every word in the name, email, phone or company.
        let found =
            service::inbox(&app.state, &ana, &InboxQuery { q: "lead 0".into(), ..inbox_query() }).await.unwrap();
        let with_zero = (0..count).filter(|n| format!("{n:02}").contains('0')).count();
        assert_eq!(found.rows.len(), with_zero, "{backend:?}: Lead 00 to 09, 10, 20…");
        crm::clients::entity::Entity::update_many()
            .col_expr(crm::clients::entity::Column::Email, Expr::value("zed@acmeworks.test"))
            .filter(crm::clients::entity::Column::Id.eq(clients[7]))
            .exec(&app.db.conn)
            .await
            .unwrap();
        let by_email =
            service::inbox(&app.state, &ana, &InboxQuery { q: "acmeworks".into(), ..inbox_query() }).await.unwrap();
        assert_eq!(by_email.rows.iter().map(|r| r.client_id).collect::<Vec<_>>(), [clients[7]], "{backend:?}");
        let found = service::inbox(&app.state, &ana, &InboxQuery { q: "50%".into(), ..inbox_query() }).await.unwrap();
        assert!(found.rows.is_empty(), "{backend:?}: % matches itself");
        service::set_ai_mode(&app.state, &ana, clients[3], "auto").await.unwrap();
        let auto = service::inbox(&app.state, &ana, &InboxQuery { ai: "auto".into(), ..inbox_query() }).await.unwrap();
        assert_eq!(auto.rows.iter().map(|r| r.client_id).collect::<Vec<_>>(), [clients[3]]);
        assert_eq!(auto.rows[0].ai_mode, AiMode::Auto);
        let won = service::inbox(&app.state, &ana, &InboxQuery { stage: "won".into(), ..inbox_query() }).await.unwrap();
        assert!(won.rows.is_empty());
        app.cleanup().await;
    }
}

/// Every page of `query` through `bounds`, following the cursors: the client ids in order and,
/// per page, how far it searched.
async fn all_pages(
    app: &TestApp,
    viewer: &CurrentUser,
    query: InboxQuery,
    bounds: SearchBounds,
) -> (Vec<i64>, Vec<Option<u64>>) {
    let (mut ids, mut searched) = (Vec::new(), Vec::new());
    let mut query = query;
    for _ in 0..100 {
        let page = service::inbox_bounded(&app.state, viewer, &query, bounds).await.unwrap();
        assert!(page.rows.len() <= INBOX_PAGE_SIZE as usize);
        ids.extend(page.rows.iter().map(|row| row.client_id));
        searched.push(page.searched);
        match page.next {
            Some(after) => query = InboxQuery { after, ..query },
            None => return (ids, searched),
        }
    }
    panic!("the pages never end");
}

#[tokio::test]
async fn an_inbox_search_with_many_matches_reads_a_window_per_page_and_still_finds_every_match() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let admin = account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let strategy_id = strategy(&app, ana.id, "Friendly").await;
        let mut silvas = Vec::new();
        for n in 0..60 {
            let name = if n % 2 == 0 { format!("Ana Silva {n:02}") } else { format!("Bea Costa {n:02}") };
            let id = client(&app, &ana, strategy_id, &name).await;
            write(&app, id, Author::Lead, "hello").await;
            if n % 2 == 0 {
                silvas.push(id);
            }
        }
        // Matches without a conversation are not conversations to find.
        for n in 0..15 {
            client(&app, &ana, strategy_id, &format!("Quiet Silva {n:02}")).await;
        }
        let what = client(&app, &ana, strategy_id, "What? Inc").await;
        write(&app, what, Author::Lead, "a question").await;
        // Newest activity first: the order they were written in, reversed.
        silvas.reverse();
        let silva = InboxQuery { q: "silva".into(), ..inbox_query() };

        // 30 matching conversations, listed exactly when up to 40 may be.
        let exact = SearchBounds { exact: 40, window: 10 };
        let (found, searched) = all_pages(&app, &ana, silva.clone(), exact).await;
        assert_eq!(found, silvas, "{backend:?}: every match, newest first, once");
        assert_eq!(searched, [None, None], "{backend:?}: two full pages, nothing windowed");

        // More than 3 match: each page looks at the next 10 conversations, holding 5 matches.
        let narrow = SearchBounds { exact: 3, window: 10 };
        let (found, searched) = all_pages(&app, &ana, silva.clone(), narrow).await;
        assert_eq!(found, silvas, "{backend:?}: the windows together find every match once");
        assert!(searched.len() >= 6, "{backend:?}: {searched:?}");
        assert!(searched[..5].iter().all(|s| *s == Some(10)), "{backend:?}: {searched:?}");
        let (found, _) = all_pages(&app, &admin, silva.clone(), narrow).await;
        assert_eq!(found, silvas, "{backend:?}: an admin's search over everyone's conversations");

        // A window that holds a page fills it and goes on from its last row.
        let wide = SearchBounds { exact: 3, window: 55 };
        let first = service::inbox_bounded(&app.state, &ana, &silva, wide).await.unwrap();
        assert_eq!(first.rows.len(), INBOX_PAGE_SIZE as usize);
        assert_eq!(first.searched, None, "{backend:?}: a full page says nothing of a window");
        let (found, searched) = all_pages(&app, &ana, silva.clone(), wide).await;
        assert_eq!(found, silvas, "{backend:?}");
        assert_eq!(searched, [None, None], "{backend:?}: the second window reaches the end");

        // A `?` in the search is text, on either path.
        for bounds in [SearchBounds::DEFAULT, SearchBounds { exact: 0, window: 100 }] {
            let page =
                service::inbox_bounded(&app.state, &ana, &InboxQuery { q: "what?".into(), ..inbox_query() }, bounds)
                    .await
                    .unwrap();
            assert_eq!(page.rows.iter().map(|r| r.client_id).collect::<Vec<_>>(), [what], "{backend:?} {bounds:?}");
        }
        let none = service::inbox(&app.state, &ana, &InboxQuery { q: "nobody".into(), ..inbox_query() }).await.unwrap();
        assert!(none.rows.is_empty() && none.next.is_none() && none.searched.is_none());
        app.cleanup().await;
    }
}

/// A stage with few clients lists them by id first; one with more walks the inbox's order. Both
/// give the same pages, and neither shows another owner's clients.
#[tokio::test]
async fn a_stage_filter_gives_the_same_pages_whether_it_lists_the_stage_or_walks_the_inbox() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let admin = account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let bea = account(&app, "Bea", "bea@example.com").await;
        let strategy_id = strategy(&app, ana.id, "Friendly").await;
        let (mut won, mut won_at_acme) = (Vec::new(), Vec::new());
        for n in 0..40 {
            let company = if n % 2 == 0 { "Acme" } else { "Globex" };
            let id = client(&app, &ana, strategy_id, &format!("Lead {n:02} of {company}")).await;
            write(&app, id, Author::Lead, "hello").await;
            if n % 3 == 0 {
                won.push(id);
                if n % 2 == 0 {
                    won_at_acme.push(id);
                }
            }
        }
        // In the stage without a conversation, and another owner's in the stage.
        let quiet = client(&app, &ana, strategy_id, "Quiet").await;
        won_stage(&app, &ana, &[quiet]).await;
        let beas = client(&app, &bea, strategy(&app, bea.id, "Hers").await, "Bea's lead").await;
        write(&app, beas, Author::Lead, "hi").await;
        won_stage(&app, &bea, &[beas]).await;
        won_stage(&app, &ana, &won).await;
        won.reverse();
        won_at_acme.reverse();
        let query = InboxQuery { stage: "won".into(), ..inbox_query() };

        // 14 clients in the stage: listed by id when up to 20 may be, walked when only 1.
        for bounds in [SearchBounds { exact: 80, window: 10 }, SearchBounds { exact: 4, window: 10 }] {
            let (found, searched) = all_pages(&app, &ana, query.clone(), bounds).await;
            assert_eq!(found, won, "{backend:?} {bounds:?}: the stage's conversations, newest first");
            assert!(searched.iter().all(Option::is_none), "{backend:?}: a filter is not a windowed search");
            let (found, _) = all_pages(&app, &admin, query.clone(), bounds).await;
            let mut everyone = vec![beas];
            everyone.extend(&won);
            assert_eq!(found, everyone, "{backend:?} {bounds:?}: an admin sees every owner's");
            // A search narrows the stage on either path.
            let acme = InboxQuery { q: "acme".into(), ..query.clone() };
            let (found, _) = all_pages(&app, &ana, acme, bounds).await;
            assert_eq!(found, won_at_acme, "{backend:?} {bounds:?}");
        }
        let lost = InboxQuery { stage: "lost".into(), ..inbox_query() };
        let page =
            service::inbox_bounded(&app.state, &ana, &lost, SearchBounds { exact: 20, window: 10 }).await.unwrap();
        assert!(page.rows.is_empty() && page.next.is_none(), "{backend:?}: an empty stage");
        app.cleanup().await;
    }
}

async fn won_stage(app: &TestApp, owner: &CurrentUser, ids: &[i64]) {
    crm::clients::service::set_status(&app.state, owner, ids, "won").await.unwrap();
}

/// The inbox page itself, without JavaScript, when a common word's matches are older than the
/// conversations one request searches: it says how far it looked and links to the next ones,
/// which hold them.
#[tokio::test]
async fn the_inbox_page_says_how_far_a_search_looked_and_links_to_older_conversations() {
    use sea_orm::{ActiveValue::Set, QueryTrait as _};
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let cookie = sign_up(&app, "Ana", "ana@example.com").await;
        let ana = common::accounts::signed_in_as(&app, "ana@example.com").await;
        let strategy_id = strategy(&app, ana.id, "Friendly").await;
        // 1,010 clients named Zed, more than a search lists by id (1,000), all older than the
        // 2,000 conversations with someone else that one request searches.
        let (zeds, others) = (1_010, SearchBounds::DEFAULT.window);
        app.db
            .conn
            .execute_unprepared(&format!(
                "INSERT INTO clients (owner_id, strategy_id, name) \
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {}) \
                 SELECT {}, {strategy_id}, CASE WHEN i <= {zeds} THEN 'Zed ' ELSE 'Other ' END || CAST(i AS TEXT) FROM n",
                zeds + others,
                ana.id
            ))
            .await
            .unwrap();
        let ids: Vec<i64> = crm::clients::entity::Entity::find()
            .filter(crm::clients::entity::Column::OwnerId.eq(ana.id))
            .order_by_asc(crm::clients::entity::Column::Id)
            .all(&app.db.conn)
            .await
            .unwrap()
            .into_iter()
            .map(|client| client.id)
            .collect();
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let rows: Vec<conversations::ActiveModel> = ids
            .iter()
            .enumerate()
            .map(|(n, id)| conversations::ActiveModel {
                client_id: Set(*id),
                owner_id: Set(ana.id),
                last_activity_at: Set(start + chrono::Duration::minutes(n as i64)),
                created_at: Set(start),
                ..Default::default()
            })
            .collect();
        for chunk in rows.chunks(500) {
            let insert = conversations::Entity::insert_many(chunk.to_vec()).build(app.db.conn.get_database_backend());
            app.db.conn.execute_raw(insert).await.unwrap();
        }

        let first = app.get("/chat?q=zed", Some(&cookie)).await;
        assert_eq!(first.status, StatusCode::OK);
        assert!(first.body.contains("No match in the 2,000 most recent conversations."), "{backend:?}");
        let older = older_link(&first.body).expect("a link to search older conversations");
        assert!(first.body.contains(">Search older</a>"), "{backend:?}");

        let second = app.get(&older, Some(&cookie)).await;
        assert_eq!(second.status, StatusCode::OK);
        let shown: Vec<&str> = second.body.match_indices("Zed ").map(|(at, _)| &second.body[at..at + 8]).collect();
        let newest: Vec<String> = (0..INBOX_PAGE_SIZE).map(|k| format!("Zed {}", zeds - k)).collect();
        for name in &newest {
            assert!(shown.iter().any(|found| found.starts_with(name.as_str())), "{backend:?}: {name} in {shown:?}");
        }
        assert!(!second.body.contains("Other "), "{backend:?}: only matches");
        assert!(!second.body.contains("No match"), "{backend:?}");
        assert!(older_link(&second.body).is_some(), "{backend:?}: a full page goes on");
        app.cleanup().await;
    }
}

/// The href of the inbox's "Older" link in `html`, its `&amp;` read back.
fn older_link(html: &str) -> Option<String> {
    let at = html.find("data-testid=\"inbox-older\"")?;
    let start = html[..at].rfind("href=\"")? + "href=\"".len();
    let end = start + html[start..].find('"')?;
    Some(html[start..end].replace("&amp;", "&"))
}

#[tokio::test]
async fn unread_counts_follow_reads_and_own_messages_per_viewer() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let admin = account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let strategy_id = strategy(&app, ana.id, "Friendly").await;
        let lead = client(&app, &ana, strategy_id, "Lead").await;
        let quiet = client(&app, &ana, strategy_id, "Quiet").await;
        write(&app, quiet, Author::Agent(&ana), "Anything else?").await;
        for text in ["one", "two", "three"] {
            write(&app, lead, Author::Lead, text).await;
        }
        let unread =
            |rows: &[crm::chat::model::InboxRow], id: i64| rows.iter().find(|r| r.client_id == id).unwrap().unread;
        let page = service::inbox(&app.state, &ana, &inbox_query()).await.unwrap();
        assert_eq!(unread(&page.rows, lead), 3, "{backend:?}");
        assert_eq!(unread(&page.rows, quiet), 0, "{backend:?}: one's own message is read");
        assert_eq!(page.rows.iter().find(|r| r.client_id == lead).unwrap().state, ConversationState::Waiting);
        let waiting =
            service::inbox(&app.state, &ana, &InboxQuery { show: "waiting".into(), ..inbox_query() }).await.unwrap();
        assert_eq!(waiting.rows.iter().map(|r| r.client_id).collect::<Vec<_>>(), [lead]);
        let unread_only =
            service::inbox(&app.state, &ana, &InboxQuery { show: "unread".into(), ..inbox_query() }).await.unwrap();
        assert_eq!(unread_only.rows.iter().map(|r| r.client_id).collect::<Vec<_>>(), [lead]);

        // Opening the thread reads it; a new message is one unread.
        service::thread(&app.state, &ana, lead, "", true).await.unwrap();
        let page = service::inbox(&app.state, &ana, &inbox_query()).await.unwrap();
        assert_eq!(unread(&page.rows, lead), 0, "{backend:?}");
        write(&app, lead, Author::Lead, "four").await;
        let page = service::inbox(&app.state, &ana, &inbox_query()).await.unwrap();
        assert_eq!(unread(&page.rows, lead), 1, "{backend:?}");
        // Answering reads it and opens the conversation again.
        write(&app, lead, Author::Agent(&ana), "Happy to help").await;
        let page = service::inbox(&app.state, &ana, &inbox_query()).await.unwrap();
        let row = page.rows.iter().find(|r| r.client_id == lead).unwrap();
        assert_eq!((row.unread, row.state), (0, ConversationState::Open), "{backend:?}");
        // The admin has read nothing: every message of the lead's, and Ana's answers.
        let page = service::inbox(&app.state, &admin, &inbox_query()).await.unwrap();
        assert_eq!(unread(&page.rows, lead), 5, "{backend:?}");
        assert_eq!(page.rows.iter().find(|r| r.client_id == lead).unwrap().owner_name.as_deref(), Some("Ana"));
        // A read mark never moves back.
        service::mark_read(&app.state, &admin, lead, None).await.unwrap();
        service::mark_read(&app.state, &admin, lead, Some(1)).await.unwrap();
        let page = service::inbox(&app.state, &admin, &inbox_query()).await.unwrap();
        assert_eq!(unread(&page.rows, lead), 0, "{backend:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_message_moves_the_conversation_and_the_client_in_one_write() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let _admin = account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let strategy_id = strategy(&app, ana.id, "Friendly").await;
        let lead = client(&app, &ana, strategy_id, "Lead").await;
        let mut bus = app.state.infra.bus.subscribe(crm::chat::model::BUS_CHANNEL).await.unwrap();

        let first = write(&app, lead, Author::Lead, "  Hi <b>there</b>  ").await;
        let conversation = conversations::Entity::find()
            .filter(conversations::Column::ClientId.eq(lead))
            .one(&app.db.conn)
            .await
            .unwrap()
            .expect("made with the first message");
        assert_eq!((conversation.last_message_id, conversation.version), (Some(first), 1));
        assert_eq!(conversation.owner_id, ana.id);
        let stored = messages::Entity::find_by_id(first).one(&app.db.conn).await.unwrap().unwrap();
        assert_eq!((stored.body.as_str(), stored.conversation_id), ("Hi <b>there</b>", Some(conversation.id)));
        let client = crm::clients::entity::Entity::find_by_id(lead).one(&app.db.conn).await.unwrap().unwrap();
        assert_eq!(client.last_message.as_deref(), Some("Hi <b>there</b>"));
        assert_eq!(client.last_message_at, Some(stored.created_at));
        let announced = tokio::time::timeout(Duration::from_secs(5), bus.next()).await.unwrap().unwrap();
        match serde_json::from_str::<ChatEvent>(&announced).unwrap() {
            ChatEvent::Message { message, client_id, owner_id, .. } => {
                assert_eq!((message.id, client_id, owner_id), (first, lead, ana.id));
            }
            other => panic!("{backend:?}: {other:?}"),
        }

        // A private note: the lead's last message stays; the person worked the lead.
        write_note(&app, lead, Author::Agent(&ana), "Sounds price-sensitive", true).await;
        let client = crm::clients::entity::Entity::find_by_id(lead).one(&app.db.conn).await.unwrap().unwrap();
        assert_eq!(client.last_message.as_deref(), Some("Hi <b>there</b>"), "{backend:?}");
        assert!(client.worked_at.is_some());
        // The AI does not raise the version; people do.
        write(&app, lead, Author::Ai, "How can I help?").await;
        let version = |app: &TestApp| {
            let db = app.db.conn.clone();
            async move {
                conversations::Entity::find()
                    .filter(conversations::Column::ClientId.eq(lead))
                    .one(&db)
                    .await
                    .unwrap()
                    .unwrap()
                    .version
            }
        };
        assert_eq!(version(&app).await, 2, "{backend:?}: lead and note, not the AI");
        service::set_ai_mode(&app.state, &ana, lead, "suggest").await.unwrap();
        assert_eq!(version(&app).await, 3);
        service::set_ai_mode(&app.state, &ana, lead, "suggest").await.unwrap();
        assert_eq!(version(&app).await, 3, "{backend:?}: no change, no new version");
        service::set_state(&app.state, &ana, lead, "closed").await.unwrap();
        assert_eq!(version(&app).await, 4);

        // Refused: empty, too long, a private note from the lead, a bad mode.
        let refused = |result: Result<service::Recorded, AppError>| matches!(result, Err(AppError::Validation(_)));
        let blank =
            NewMessage { client_id: lead, author: Author::Agent(&ana), body: "   ", private: false, channel: "web" };
        assert!(refused(service::record(&app.state, blank).await), "{backend:?}: blank");
        let long = "x".repeat(crm::chat::model::MAX_MESSAGE_CHARS + 1);
        assert!(refused(service::record(&app.state, NewMessage { body: &long, ..blank }).await), "{backend:?}: long");
        let lead_note = NewMessage { author: Author::Lead, body: "psst", private: true, ..blank };
        assert!(refused(service::record(&app.state, lead_note).await), "{backend:?}: a lead's note");
        assert!(matches!(service::set_ai_mode(&app.state, &ana, lead, "always").await, Err(AppError::Validation(_))));
        app.cleanup().await;
    }
}

#[tokio::test]
async fn another_users_conversation_is_not_found() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let admin = account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let bob = account(&app, "Bob", "bob@example.com").await;
        let strategy_id = strategy(&app, ana.id, "Friendly").await;
        let lead = client(&app, &ana, strategy_id, "Ana's lead").await;
        write(&app, lead, Author::Lead, "hello").await;

        let not_found = |result: Result<(), AppError>| matches!(result, Err(AppError::NotFound(_)));
        assert!(not_found(service::thread(&app.state, &bob, lead, "", true).await.map(|_| ())), "{backend:?}");
        assert!(not_found(
            service::record(
                &app.state,
                NewMessage {
                    client_id: lead,
                    author: Author::Agent(&bob),
                    body: "mine now",
                    private: false,
                    channel: "web"
                }
            )
            .await
            .map(|_| ())
        ));
        assert!(not_found(service::mark_read(&app.state, &bob, lead, None).await));
        assert!(not_found(service::set_ai_mode(&app.state, &bob, lead, "auto").await.map(|_| ())));
        assert!(not_found(service::set_state(&app.state, &bob, lead, "closed").await.map(|_| ())));
        assert!(service::inbox(&app.state, &bob, &inbox_query()).await.unwrap().rows.is_empty());
        // Bob's owner filter is ignored: he sees his own only.
        let as_bob = InboxQuery { owner: ana.id.to_string(), ..inbox_query() };
        assert!(service::inbox(&app.state, &bob, &as_bob).await.unwrap().rows.is_empty(), "{backend:?}");
        // The admin sees everyone's, and filters by owner.
        assert_eq!(service::inbox(&app.state, &admin, &inbox_query()).await.unwrap().rows.len(), 1);
        let bobs = InboxQuery { owner: bob.id.to_string(), ..inbox_query() };
        assert!(service::inbox(&app.state, &admin, &bobs).await.unwrap().rows.is_empty());
        assert!(service::thread(&app.state, &admin, lead, "", true).await.is_ok());
        // The stream's filter: Bob receives nothing of Ana's.
        let event = ChatEvent::Conversation {
            conversation_id: 1,
            client_id: lead,
            owner_id: ana.id,
            state: ConversationState::Open,
            ai_mode: AiMode::Off,
            ai_paused_until: None,
            ai_paused_label: None,
            ai_draft: None,
        };
        assert!(!crm::chat::events::may_receive(&bob, &event));
        assert!(crm::chat::events::may_receive(&ana, &event) && crm::chat::events::may_receive(&admin, &event));
        let handed_off = ChatEvent::HandedOff {
            conversation_id: 1,
            client_id: lead,
            owner_id: ana.id,
            client_name: "Ana's lead".to_owned(),
            reason: "They asked for a person.".to_owned(),
            failed: false,
            note_id: 1,
        };
        assert!(!crm::chat::events::may_receive(&bob, &handed_off));
        assert!(crm::chat::events::may_receive(&ana, &handed_off));
        let lead_side = crm::chat::service::Audience::Lead { conversation_id: 1, visible_from: 0 };
        assert!(!crm::chat::events::reaches(&lead_side, &handed_off), "a lead never hears of the team's hand-off");
        app.cleanup().await;
    }
}

/// The message events of the next `count` events of any kind that arrive within `wait` each, as
/// `(id, body)`.
async fn messages(reader: &mut EventReader, count: usize, wait: Duration) -> Vec<(i64, String)> {
    let mut found = Vec::new();
    while found.len() < count {
        let Some(event) = reader.next(wait).await else { break };
        if event.name != "message" {
            continue;
        }
        let parsed: ChatEvent = serde_json::from_str(&event.data).unwrap();
        let ChatEvent::Message { message, .. } = parsed else { panic!("a message event: {event:?}") };
        assert_eq!(event.id, Some(message.id.to_string()), "the event id is the message id");
        found.push((message.id, message.body));
    }
    found
}

async fn open_stream(router: &axum::Router, cookie: &str, last_event_id: Option<i64>) -> EventReader {
    EventReader::open(router, "/chat/events", cookie, last_event_id).await
}

async fn sign_up(app: &TestApp, name: &str, email: &str) -> String {
    app.post_form("/api/signup", &[("name", name), ("email", email), ("password", common::accounts::PASSWORD)], None)
        .await
        .session_cookie()
        .unwrap()
}

#[tokio::test]
async fn the_stream_delivers_across_instances_and_replays_exactly_what_was_missed() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        // On PostgreSQL + Redis, instance B shares only the database and Redis with A.
        let b = if backend == Backend::Postgres { app.second_instance().await } else { app.router.clone() };
        let _admin = sign_up(&app, "Admin", "admin@example.com").await;
        let ana_cookie = sign_up(&app, "Ana", "ana@example.com").await;
        let bob_cookie = sign_up(&app, "Bob", "bob@example.com").await;
        let find = |email: &'static str| {
            let db = app.db.conn.clone();
            async move {
                let user = crm::users::entity::Entity::find()
                    .filter(crm::users::entity::Column::Email.eq(email))
                    .one(&db)
                    .await
                    .unwrap()
                    .unwrap();
                CurrentUser {
                    id: user.id,
                    email: user.email,
                    name: user.name,
                    role: crm::users::model::Role::User,
                    timezone: user.timezone,
                }
            }
        };
        let ana = find("ana@example.com").await;
        let bob = find("bob@example.com").await;
        let ana_strategy = strategy(&app, ana.id, "Friendly").await;
        let bob_strategy = strategy(&app, bob.id, "Direct").await;
        let lead = client(&app, &ana, ana_strategy, "Lead").await;
        let bobs_lead = client(&app, &bob, bob_strategy, "Bob's lead").await;

        // Anonymous: no stream.
        let anonymous = b.clone().oneshot(Request::get("/chat/events").body(Body::empty()).unwrap()).await.unwrap();
        assert_ne!(anonymous.status(), StatusCode::OK, "{backend:?}");

        let mut ana_stream = open_stream(&b, &ana_cookie, None).await;
        let mut bob_stream = open_stream(&b, &bob_cookie, None).await;
        let send = |cookie: String, client_id: i64, body: &'static str| {
            let app = &app;
            async move {
                let sent = app
                    .post_form(
                        "/api/send_chat_message",
                        &[("client_id", client_id.to_string().as_str()), ("body", body)],
                        Some(&cookie),
                    )
                    .await;
                assert!(sent.status.is_success(), "{}", sent.body);
                serde_json::from_str::<crm::chat::model::ThreadMessage>(&sent.body).unwrap().id
            }
        };
        let first = send(ana_cookie.clone(), lead, "Hello <script>x</script>").await;
        let wait = Duration::from_secs(10);
        assert_eq!(
            messages(&mut ana_stream, 1, wait).await,
            [(first, "Hello <script>x</script>".to_owned())],
            "{backend:?}"
        );
        // Bob's stream has nothing of Ana's: the first message it carries is his own.
        let bobs = send(bob_cookie.clone(), bobs_lead, "Bob here").await;
        assert_eq!(messages(&mut bob_stream, 1, wait).await, [(bobs, "Bob here".to_owned())], "{backend:?}");
        // Ana does not get Bob's either.
        let second = send(ana_cookie.clone(), lead, "Second").await;
        assert_eq!(messages(&mut ana_stream, 1, wait).await, [(second, "Second".to_owned())], "{backend:?}");

        // Ana's tab goes away; two messages (one from the lead) are written meanwhile.
        drop(ana_stream);
        let third = send(ana_cookie.clone(), lead, "Third").await;
        let fourth = write(&app, lead, Author::Lead, "Fourth, from the lead").await;
        let mut resumed = open_stream(&b, &ana_cookie, Some(second)).await;
        assert_eq!(
            messages(&mut resumed, 2, wait).await,
            [(third, "Third".to_owned()), (fourth, "Fourth, from the lead".to_owned())],
            "{backend:?}: exactly the missed ones"
        );
        let fifth = send(ana_cookie.clone(), lead, "Fifth").await;
        assert_eq!(
            messages(&mut resumed, 1, wait).await,
            [(fifth, "Fifth".to_owned())],
            "{backend:?}: then live, once"
        );
        assert!(messages(&mut resumed, 1, Duration::from_millis(500)).await.is_empty(), "{backend:?}: no duplicates");
        app.cleanup().await;
    }
}

/// A message becomes visible only after every message with a smaller id, so a stream that replays
/// "after the last id it sent" never skips one that committed late. (On PostgreSQL ids come from a
/// sequence while transactions commit in any order; before the fix the second message below was
/// visible while the first, with the smaller id, was still uncommitted.)
#[tokio::test]
async fn messages_commit_in_id_order_so_a_replay_never_skips_one() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let strategy_id = strategy(&app, ana.id, "Friendly").await;
        let (early, late) =
            (client(&app, &ana, strategy_id, "Early").await, client(&app, &ana, strategy_id, "Late").await);

        let first_txn = crm::server::db::begin_write(&app.db.conn).await.unwrap();
        let new = NewMessage { client_id: early, author: Author::Lead, body: "First", private: false, channel: "web" };
        let first = service::write(&first_txn, new).await.unwrap().message.id;
        let state = app.state.clone();
        let second = tokio::spawn(async move {
            let new =
                NewMessage { client_id: late, author: Author::Lead, body: "Second", private: false, channel: "web" };
            service::record(&state, new).await.map(|recorded| recorded.message.id)
        });
        for _ in 0..15 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let visible =
                messages::Entity::find().filter(messages::Column::Body.eq("Second")).all(&app.db.conn).await.unwrap();
            assert!(visible.is_empty(), "{backend:?}: a later message committed before an earlier id");
        }
        first_txn.commit().await.unwrap();
        let second = second.await.unwrap().unwrap();
        assert!(second > first, "{backend:?}");
        let replayed = service::missed_since(&app.state, &service::Audience::Team(ana.clone()), first - 1, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|(message, _)| message.id)
            .collect::<Vec<_>>();
        assert_eq!(replayed, [first, second], "{backend:?}");
        app.cleanup().await;
    }
}
