//! The public chat (`/talk/{slug}`) on SQLite and on PostgreSQL + Redis, over HTTP as a browser
//! sends it: a lead starts a conversation and becomes (or is matched to) a client; their cookie
//! reaches their own conversation only, from their first message on; private notes never reach
//! them, on the page or on their stream; and every public call is rate limited.
#![cfg(feature = "ssr")]

mod common;

use std::time::Duration;

use axum::http::{StatusCode, header};
use common::{
    BACKENDS,
    accounts::{account, strategy},
    app::{TestApp, TestResponse},
    sse::EventReader,
};
use crm::{
    chat::{
        model::ThreadMessage,
        public::model::PublicChat,
        service::{self, Author, NewMessage},
    },
    clients::entity as clients,
    users::{entity as users, model::CurrentUser},
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

async fn slug_of(app: &TestApp, user: &CurrentUser) -> String {
    users::Entity::find_by_id(user.id).one(&app.db.conn).await.unwrap().unwrap().booking_slug.unwrap()
}

/// The `crm_talk_…=token` pair a response sets, if it sets one.
fn talk_cookie(response: &TestResponse) -> Option<String> {
    response
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("crm_talk_"))
        .map(str::to_owned)
}

async fn start(app: &TestApp, slug: &str, name: &str, email: &str, phone: &str, body: &str) -> TestResponse {
    app.post_form(
        "/api/start_talk",
        &[("slug", slug), ("name", name), ("email", email), ("phone", phone), ("body", body)],
        None,
    )
    .await
}

async fn page(app: &TestApp, slug: &str, cookie: Option<&str>) -> PublicChat {
    let response = app.post_form("/api/talk_page", &[("slug", slug)], cookie).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    serde_json::from_str(&response.body).unwrap()
}

fn bodies(page: &PublicChat) -> Vec<String> {
    page.lead.as_ref().map(|lead| lead.messages.iter().map(|m| m.body.clone()).collect()).unwrap_or_default()
}

async fn answer(app: &TestApp, agent: &CurrentUser, client_id: i64, body: &str, private: bool) -> i64 {
    service::record(&app.state, NewMessage { client_id, author: Author::Agent(agent), body, private, channel: "web" })
        .await
        .unwrap()
        .message
        .id
}

async fn client_by_email(app: &TestApp, email: &str) -> Vec<clients::Model> {
    clients::Entity::find().filter(clients::Column::Email.eq(email)).all(&app.db.conn).await.unwrap()
}

#[tokio::test]
async fn a_lead_starts_a_conversation_and_reaches_only_their_own_from_then_on() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let ana = account(&app, "Ana Owner", "ana@example.com").await;
        let bob = account(&app, "Bob Owner", "bob@example.com").await;
        let slug = slug_of(&app, &ana).await;
        let bob_slug = slug_of(&app, &bob).await;

        // Without a strategy to give a new client, the chat is not open.
        assert!(!page(&app, &slug, None).await.open, "{backend:?}");
        let refused = start(&app, &slug, "Lia Lead", "lia@example.com", "", "Hello").await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{backend:?}: {}", refused.body);
        let strategy_id = strategy(&app, ana.id, "Friendly").await;
        strategy(&app, bob.id, "Direct").await;

        let before = page(&app, &slug, None).await;
        assert!(before.open && before.lead.is_none(), "{backend:?}");
        assert_eq!(before.owner_name, "Ana Owner");
        let unknown = app.post_form("/api/talk_page", &[("slug", "no-such-page")], None).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{backend:?}");

        // Each bad field is named, and nothing is written.
        let bad = start(&app, &slug, "Lia Lead", "", "", "  ").await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}");
        assert!(bad.body.contains("Give an email or a phone number") && bad.body.contains("Write your message."));
        assert!(talk_cookie(&bad).is_none());
        assert_eq!(clients::Entity::find().count(&app.db.conn).await.unwrap(), 0, "{backend:?}");

        let started = start(&app, &slug, "Lia Lead", "Lia@Example.com", "", "Hello <b>there</b>").await;
        assert_eq!(started.status, StatusCode::OK, "{backend:?}: {}", started.body);
        let cookie = talk_cookie(&started).expect("a cookie for the lead");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
            "{cookie}"
        );
        let cookie = cookie.split(';').next().unwrap().to_owned();
        assert!(cookie.starts_with(&format!("crm_talk_{slug}=")), "{cookie}");

        let lia = client_by_email(&app, "Lia@Example.com").await;
        assert_eq!(lia.len(), 1, "{backend:?}: one new client");
        let lia = lia[0].clone();
        assert_eq!((lia.owner_id, lia.strategy_id, lia.status.as_str()), (ana.id, strategy_id, "lead"));
        let thread = service::thread(&app.state, &ana, lia.id, "", false).await.unwrap();
        assert_eq!(thread.state.as_str(), "waiting", "{backend:?}: a lead's message waits for a person");
        assert_eq!(thread.messages.len(), 1);
        assert_eq!(
            (thread.messages[0].role.as_str(), thread.messages[0].body.as_str()),
            ("client", "Hello <b>there</b>")
        );

        // The team answers, and writes a note the lead never sees.
        answer(&app, &ana, lia.id, "Hi Lia, how can we help?", false).await;
        answer(&app, &ana, lia.id, "Looks like a good fit", true).await;
        let seen = page(&app, &slug, Some(&cookie)).await;
        assert_eq!(seen.lead.as_ref().unwrap().name, "Lia Lead");
        assert_eq!(bodies(&seen), ["Hello <b>there</b>", "Hi Lia, how can we help?"], "{backend:?}");

        let sent =
            app.post_form("/api/send_talk_message", &[("slug", &slug), ("body", "Next week?")], Some(&cookie)).await;
        assert_eq!(sent.status, StatusCode::OK, "{backend:?}: {}", sent.body);
        let sent: ThreadMessage = serde_json::from_str(&sent.body).unwrap();
        assert_eq!((sent.role.as_str(), sent.body.as_str()), ("client", "Next week?"));
        assert_eq!(bodies(&page(&app, &slug, Some(&cookie)).await).len(), 3);

        // Someone else who gives Lia's email (matched to her, case aside) talks to the team
        // without reading what was said before.
        let other = start(&app, &slug, "Not Lia", "lia@example.com", "", "Who is this?").await;
        let other_cookie = talk_cookie(&other).unwrap().split(';').next().unwrap().to_owned();
        assert_eq!(client_by_email(&app, "Lia@Example.com").await.len(), 1, "{backend:?}: matched, not added");
        assert_eq!(bodies(&page(&app, &slug, Some(&other_cookie)).await), ["Who is this?"], "{backend:?}");
        // A phone number matches too, when the email is not given.
        let by_phone = start(&app, &bob_slug, "Pat Phone", "", "+44 20 7946 0958", "Call me").await;
        assert_eq!(by_phone.status, StatusCode::OK, "{backend:?}: {}", by_phone.body);

        // The cookie reaches nothing on another owner's page, and no cookie reaches nothing.
        let elsewhere = format!("crm_talk_{bob_slug}={}", cookie.split_once('=').unwrap().1);
        assert!(page(&app, &bob_slug, Some(&elsewhere)).await.lead.is_none(), "{backend:?}");
        let foreign =
            app.post_form("/api/send_talk_message", &[("slug", &bob_slug), ("body", "hi")], Some(&elsewhere)).await;
        assert_eq!(foreign.status, StatusCode::FORBIDDEN, "{backend:?}");
        let anonymous = app.post_form("/api/send_talk_message", &[("slug", &slug), ("body", "hi")], None).await;
        assert_eq!(anonymous.status, StatusCode::FORBIDDEN, "{backend:?}");
        let forged = format!("crm_talk_{slug}={}", "0".repeat(32));
        assert!(page(&app, &slug, Some(&forged)).await.lead.is_none(), "{backend:?}");

        // Without JavaScript: the page comes back with the conversation.
        let plain = app
            .send(
                axum::http::Request::post("/api/send_talk_message")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::ACCEPT, "text/html")
                    .header(header::COOKIE, &cookie)
                    .body(axum::body::Body::from(format!("slug={slug}&body=Plain+post")))
                    .unwrap(),
            )
            .await;
        assert!(plain.status.is_redirection(), "{backend:?}: {}", plain.status);
        assert_eq!(plain.location(), Some(format!("/talk/{slug}").as_str()));
        let html = app.get(&format!("/talk/{slug}"), Some(&cookie)).await;
        assert_eq!(html.status, StatusCode::OK);
        assert!(
            html.body.contains("Plain post") && html.body.contains("Hello &lt;b&gt;there&lt;/b&gt;"),
            "{backend:?}"
        );
        assert!(!html.body.contains("Looks like a good fit"), "{backend:?}: a private note on the lead's page");
        assert_eq!(app.get("/talk/no-such-page", None).await.status, StatusCode::NOT_FOUND, "{backend:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_leads_stream_carries_their_visible_messages_only_and_replays_what_they_missed() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let ana = account(&app, "Ana Owner", "ana@example.com").await;
        strategy(&app, ana.id, "Friendly").await;
        let slug = slug_of(&app, &ana).await;
        let path = format!("/talk/{slug}/events");

        let none = app.get(&path, None).await;
        assert_eq!(none.status, StatusCode::NOT_FOUND, "{backend:?}: no stream without a lead's cookie");

        let lia = start(&app, &slug, "Lia Lead", "lia@example.com", "", "Hello").await;
        let lia_cookie = talk_cookie(&lia).unwrap().split(';').next().unwrap().to_owned();
        let max = start(&app, &slug, "Max Lead", "max@example.com", "", "Hi").await;
        let max_cookie = talk_cookie(&max).unwrap().split(';').next().unwrap().to_owned();
        let lia_id = client_by_email(&app, "lia@example.com").await[0].id;
        let max_id = client_by_email(&app, "max@example.com").await[0].id;

        let mut stream = EventReader::open(&app.router, &path, &lia_cookie, None).await;
        answer(&app, &ana, lia_id, "A note about Lia", true).await;
        answer(&app, &ana, max_id, "Hello Max", false).await;
        // Ana books Lia: the team's streams hear of it, a lead's never does.
        let starts_at = chrono::DateTime::parse_from_rfc3339("2030-01-07T10:00:00Z").unwrap().to_utc();
        let booking = crm::bookings::model::NewBooking {
            owner_id: ana.id,
            client_id: Some(lia_id),
            starts_at,
            ends_at: Some(starts_at + chrono::Duration::minutes(30)),
            timezone: "UTC".into(),
            ..Default::default()
        };
        crm::bookings::service::create(&app.state, &ana, booking).await.unwrap();
        let visible = answer(&app, &ana, lia_id, "Hello Lia", false).await;
        let wait = Duration::from_secs(10);
        let event = stream.next(wait).await.expect("the answer arrives");
        assert_eq!((event.name.as_str(), event.id), ("message", Some(visible.to_string())), "{backend:?}");
        let message: ThreadMessage = serde_json::from_str(&event.data).unwrap();
        assert_eq!((message.body.as_str(), message.author.as_deref()), ("Hello Lia", Some("Ana Owner")));
        assert!(!event.data.contains("owner_id"), "{backend:?}: the team's ids stay with the team");
        assert!(stream.next(Duration::from_millis(500)).await.is_none(), "{backend:?}: nothing else, no booking");

        // Gone, then back with the last id it had: exactly what it missed, never the note.
        drop(stream);
        answer(&app, &ana, lia_id, "Another note", true).await;
        let missed = answer(&app, &ana, lia_id, "Are you there?", false).await;
        let mut resumed = EventReader::open(&app.router, &path, &lia_cookie, Some(visible)).await;
        let event = resumed.next(wait).await.unwrap();
        assert_eq!(event.id, Some(missed.to_string()), "{backend:?}");
        assert!(resumed.next(Duration::from_millis(500)).await.is_none(), "{backend:?}");
        drop(resumed);
        // Max's stream replays from the start: his own two messages, none of Lia's.
        let mut max_stream = EventReader::open(&app.router, &path, &max_cookie, Some(0)).await;
        let first = max_stream.next(wait).await.unwrap();
        let second = max_stream.next(wait).await.unwrap();
        assert!(
            first.data.contains("\"Hi\"") && second.data.contains("Hello Max"),
            "{backend:?}: {first:?} {second:?}"
        );
        assert!(max_stream.next(Duration::from_millis(500)).await.is_none(), "{backend:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_public_chat_is_rate_limited_per_address_and_per_conversation() {
    for backend in BACKENDS {
        let app = common::app::start_with(backend, &[("CRM_BOOKING_ATTEMPTS_PER_IP", "2")]).await;
        let ana = account(&app, "Ana Owner", "ana@example.com").await;
        strategy(&app, ana.id, "Friendly").await;
        let slug = slug_of(&app, &ana).await;
        let first = start(&app, &slug, "One", "one@example.com", "", "1").await;
        assert_eq!(first.status, StatusCode::OK, "{backend:?}");
        assert_eq!(start(&app, &slug, "Two", "two@example.com", "", "2").await.status, StatusCode::OK);
        let third = start(&app, &slug, "Three", "three@example.com", "", "3").await;
        assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS, "{backend:?}");
        assert!(client_by_email(&app, "three@example.com").await.is_empty(), "{backend:?}");

        // Per conversation, whatever the address: a lead's messages per minute.
        let cookie = talk_cookie(&first).unwrap().split(';').next().unwrap().to_owned();
        let per_minute = crm::chat::public::service::LEAD_MESSAGES_PER_MINUTE as usize;
        for n in 0..per_minute {
            let body = format!("message {n}");
            let sent =
                app.post_form("/api/send_talk_message", &[("slug", &slug), ("body", &body)], Some(&cookie)).await;
            assert_eq!(sent.status, StatusCode::OK, "{backend:?}: {n}: {}", sent.body);
        }
        let over =
            app.post_form("/api/send_talk_message", &[("slug", &slug), ("body", "one too many")], Some(&cookie)).await;
        assert_eq!(over.status, StatusCode::TOO_MANY_REQUESTS, "{backend:?}");
        let long = "x".repeat(crm::chat::model::MAX_MESSAGE_CHARS + 1);
        let fresh = start_fresh_conversation(&app, &slug).await;
        let too_long = app.post_form("/api/send_talk_message", &[("slug", &slug), ("body", &long)], Some(&fresh)).await;
        assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}");
        app.cleanup().await;
    }
}

/// A lead's cookie made directly in the database-backed service (the address's start budget is spent).
async fn start_fresh_conversation(app: &TestApp, slug: &str) -> String {
    let form = crm::chat::public::model::StartTalkForm {
        name: "Fresh".into(),
        email: "fresh@example.com".into(),
        phone: String::new(),
        body: "Hello".into(),
        timezone: String::new(),
    };
    let token = crm::chat::public::service::start(&app.state, slug, &form).await.unwrap();
    format!("crm_talk_{slug}={token}")
}

/// The owner lists the websites that may show their chat in a frame. Only `/talk/{slug}` names
/// them in `frame-ancestors` (the owner's other pages and other owners' chats refuse framing); a
/// bad entry is refused next to the field and changes nothing; the audit log keeps the old list;
/// and a lead who starts in a frame gets a cookie a framed page can use (`SameSite=None; Secure;
/// Partitioned`, over a loopback address here, HTTPS in production).
#[tokio::test]
async fn only_the_owners_websites_may_frame_their_chat() {
    use crm::chat::public::embed::service as embed;
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let ana = account(&app, "Ana Owner", "ana@example.com").await;
        let bob = account(&app, "Bob Owner", "bob@example.com").await;
        strategy(&app, ana.id, "Friendly").await;
        let (slug, bob_slug) = (slug_of(&app, &ana).await, slug_of(&app, &bob).await);
        let framing = |response: &TestResponse| {
            let csp = response.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
            let ancestors = csp.split(';').map(str::trim).find(|part| part.starts_with("frame-ancestors")).unwrap();
            (ancestors.to_owned(), response.headers.get(header::X_FRAME_OPTIONS).cloned())
        };

        let before = app.get(&format!("/talk/{slug}"), None).await;
        assert_eq!(before.status, StatusCode::OK, "{backend:?}");
        assert_eq!(framing(&before), ("frame-ancestors 'none'".to_owned(), Some("DENY".parse().unwrap())));

        let refused =
            embed::save(&app.state, &ana, "https://shop.example\nhttps://shop.example/contact", "").await.unwrap_err();
        assert_eq!(refused.field_message("embed_origins").map(|m| m.contains("without a path")), Some(true));
        assert!(embed::frame_origins(&app.state, &slug).await.unwrap().is_empty(), "{backend:?}: nothing saved");

        let saved =
            embed::save(&app.state, &ana, " https://Shop.example/ \n http://localhost:8080", "http://127.0.0.1:3000")
                .await
                .unwrap();
        assert_eq!(saved.origins, ["https://shop.example", "http://localhost:8080"]);
        assert_eq!(saved.talk_url, format!("http://127.0.0.1:3000/talk/{slug}"));
        assert!(saved.snippet().contains(&format!("src=\"http://127.0.0.1:3000/talk/{slug}\"")));

        let framed = app.get(&format!("/talk/{slug}"), None).await;
        assert_eq!(framed.status, StatusCode::OK, "{backend:?}");
        assert_eq!(
            framing(&framed),
            ("frame-ancestors 'self' https://shop.example http://localhost:8080".to_owned(), None)
        );
        assert!(!framed.headers.contains_key("x-crm-allow-framing-by"));
        for other in [format!("/talk/{bob_slug}"), format!("/book/{slug}"), "/login".to_owned()] {
            let response = app.get(&other, None).await;
            assert_eq!(framing(&response).0, "frame-ancestors 'none'", "{backend:?}: {other}");
        }

        // Changing the list again keeps the old one in the audit log.
        embed::save(&app.state, &ana, "https://shop.example", "").await.unwrap();
        let audited = crm::audit::entity::Entity::find()
            .filter(crm::audit::entity::Column::Entity.eq("user"))
            .filter(crm::audit::entity::Column::EntityId.eq(ana.id))
            .all(&app.db.conn)
            .await
            .unwrap();
        let changes: Vec<String> =
            audited.iter().filter_map(|entry| entry.changes.as_ref().map(|changes| changes.to_string())).collect();
        assert!(
            changes.iter().any(|c| c.contains("https://shop.example\\nhttp://localhost:8080")),
            "{backend:?}: {changes:?}"
        );

        // A lead who starts here (a loopback address: browsers take Secure cookies over plain HTTP).
        let started = app
            .send(
                axum::http::Request::post("/api/start_talk")
                    .header(header::HOST, "127.0.0.1:3000")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(axum::body::Body::from(format!(
                        "slug={slug}&name=Fay+Frame&email=fay%40example.com&phone=&body=Hello"
                    )))
                    .unwrap(),
            )
            .await;
        assert_eq!(started.status, StatusCode::OK, "{backend:?}: {}", started.body);
        let cookie = talk_cookie(&started).unwrap();
        assert!(cookie.contains("SameSite=None; Secure; Partitioned") && cookie.contains("HttpOnly"), "{cookie}");
        app.cleanup().await;
    }
}

#[test]
fn a_leads_cookie_is_cross_site_only_when_embedded_and_secure() {
    use crm::chat::public::api::cookie_scope;
    assert_eq!(cookie_scope(false, false, false), "SameSite=Lax");
    assert_eq!(cookie_scope(false, true, false), "SameSite=Lax; Secure");
    assert_eq!(cookie_scope(true, false, false), "SameSite=Lax", "no Secure cookie over plain HTTP");
    assert_eq!(cookie_scope(true, false, true), "SameSite=None; Secure; Partitioned");
    assert_eq!(cookie_scope(true, true, false), "SameSite=None; Secure; Partitioned");
}

/// Leads arriving at once with the same new address become one client, not one each: the public
/// chat and the booking page match a visitor to a client in one transaction, and there is no
/// unique rule on a client's email or phone to stop a second insert, so the lookups of one owner's
/// visitors take turns (on SQLite, write transactions take turns already).
#[tokio::test]
async fn leads_arriving_at_once_with_one_new_address_become_one_client() {
    use crm::bookings::{
        model::Guest,
        public::clients::{BOOKING_PAGE, match_or_create},
    };
    const AT_ONCE: usize = 8;
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let ana = account(&app, "Ana Owner", "ana@example.com").await;
        strategy(&app, ana.id, "Friendly").await;
        let slug = slug_of(&app, &ana).await;

        let starts = (0..AT_ONCE).map(|n| {
            let form = crm::chat::public::model::StartTalkForm {
                name: "Zoe Twice".into(),
                email: "zoe@example.com".into(),
                phone: String::new(),
                body: format!("hello {n}"),
                timezone: String::new(),
            };
            let state = &app.state;
            let slug = &slug;
            async move { crm::chat::public::service::start(state, slug, &form).await }
        });
        for started in futures::future::join_all(starts).await {
            started.unwrap();
        }
        let zoes = client_by_email(&app, "zoe@example.com").await;
        assert_eq!(zoes.len(), 1, "{backend:?}: {zoes:?}");
        let messages = crm::chat::entity::Entity::find()
            .filter(crm::chat::entity::Column::ClientId.eq(zoes[0].id))
            .count(&app.db.conn)
            .await
            .unwrap();
        assert_eq!(messages, AT_ONCE as u64, "{backend:?}: every first message reaches the one conversation");

        // The booking page's visitors, matched by phone.
        let owner = users::Entity::find_by_id(ana.id).one(&app.db.conn).await.unwrap().unwrap();
        let guest = Guest { name: "Yan Phone".into(), email: String::new(), phone: "+15550100".into() };
        let matches = (0..AT_ONCE).map(|_| {
            let (app, owner, guest) = (&app, &owner, &guest);
            async move {
                let txn = crm::server::db::begin_write(&app.db.conn).await.unwrap();
                let id = match_or_create(&txn, owner, guest, BOOKING_PAGE).await.unwrap().unwrap();
                txn.commit().await.unwrap();
                id
            }
        });
        let ids = futures::future::join_all(matches).await;
        assert!(ids.iter().all(|id| *id == ids[0]), "{backend:?}: {ids:?}");
        let yans =
            clients::Entity::find().filter(clients::Column::Phone.eq("+15550100")).count(&app.db.conn).await.unwrap();
        assert_eq!(yans, 1, "{backend:?}");
        app.cleanup().await;
    }
}
