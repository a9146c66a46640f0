//! The AI persona on an OpenAI-compatible endpoint (a fake one on a spare port), through the real
//! reply queue, on SQLite and on PostgreSQL + Redis: what the app asks (model, key, the strategy's
//! prompt, the history in order without private notes, the free times), a tool call that books,
//! a 5xx and a 429 tried again, a refused key and a hang shown on the conversation for the team
//! (never the key), and the team's retry.
#![cfg(feature = "ssr")]

mod common;

use std::time::{Duration, Instant};

use common::{
    BACKENDS,
    app::TestApp,
    fake_ai::{FakeAi, KEY, Script},
    persona::{ai_messages, lead_says, run_jobs, set_up, set_up_lead},
};
use crm::{
    ai::reply,
    chat::{
        conversation_entity as conversations, entity as messages,
        service::{self as chat, Author, NewMessage},
    },
    clients::entity as clients,
    shared::AppError,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;

async fn start(backend: common::Backend, fake: &FakeAi, timeout_secs: &'static str) -> TestApp {
    let config = fake.config(timeout_secs);
    let extra: Vec<(&str, &str)> = config.iter().map(|(name, value)| (*name, value.as_str())).collect();
    common::app::start_with(backend, &extra).await
}

/// The contents of a request's messages, with their roles.
fn conversation(body: &Value) -> Vec<(String, String)> {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|message| {
            (message["role"].as_str().unwrap().to_owned(), message["content"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

async fn notes(app: &TestApp, client_id: i64) -> Vec<messages::Model> {
    messages::Entity::find()
        .filter(messages::Column::ClientId.eq(client_id))
        .filter(messages::Column::Role.eq("system"))
        .order_by_asc(messages::Column::Id)
        .all(&app.db.conn)
        .await
        .unwrap()
}

async fn state_of(app: &TestApp, client_id: i64) -> String {
    conversations::Entity::find()
        .filter(conversations::Column::ClientId.eq(client_id))
        .one(&app.db.conn)
        .await
        .unwrap()
        .unwrap()
        .state
}

#[tokio::test]
async fn the_endpoint_gets_the_strategy_the_history_and_the_free_times_and_books_by_a_tool_call() {
    for backend in BACKENDS {
        let fake = FakeAi::start().await;
        let app = start(backend, &fake, "10").await;
        let (ana, client_id) = set_up(&app).await;
        let note = NewMessage {
            client_id,
            author: Author::Agent(&ana),
            body: "Private: he is a friend of Bo",
            private: true,
            channel: "web",
        };
        chat::record(&app.state, note).await.unwrap();

        fake.will([Script::Text("Hi Sam! How big is your team?")]);
        let hello = lead_says(&app, client_id, "Hello?").await;
        run_jobs(&app).await;
        let replies = ai_messages(&app, client_id).await;
        assert_eq!(replies.len(), 1, "{backend:?}");
        assert_eq!(replies[0].body, "Hi Sam! How big is your team?");
        assert_eq!(replies[0].reply_to_message_id, Some(hello.message.id));

        let asked = fake.take();
        assert_eq!(asked.len(), 1, "{backend:?}");
        assert_eq!(asked[0].authorization.as_deref(), Some(format!("Bearer {KEY}").as_str()));
        let body = &asked[0].body;
        assert_eq!(body["model"], "test-model");
        let said = conversation(body);
        assert_eq!(said[0].0, "system");
        assert!(said[0].1.contains("Friendly closer") && said[0].1.contains("Team size"), "{}", said[0].1);
        assert!(said[1].1.contains("Free times") && said[1].1.contains("Z]"), "{backend:?}: {}", said[1].1);
        let history: Vec<(&str, &str)> = said[2..].iter().map(|(role, text)| (role.as_str(), text.as_str())).collect();
        assert_eq!(history, [("user", "Hi, I saw your ad"), ("user", "Hello?")], "{backend:?}: no private note");
        assert!(!body.to_string().contains("friend of Bo"), "{backend:?}");

        // The lead chooses; the endpoint answers with a tool call only.
        fake.will([Script::BookFirstOffered]);
        lead_says(&app, client_id, "Tuesday works").await;
        run_jobs(&app).await;
        let confirmation = ai_messages(&app, client_id).await.pop().unwrap().body;
        assert!(confirmation.starts_with("You're booked for "), "{backend:?}: {confirmation}");
        let asked = fake.take();
        let history = conversation(&asked[0].body);
        let tail: Vec<&str> = history[history.len() - 3..].iter().map(|(role, _)| role.as_str()).collect();
        assert_eq!(tail, ["user", "assistant", "user"], "{backend:?}: the persona's own reply is in the history");
        let booked = crm::bookings::entity::Entity::find()
            .filter(crm::bookings::entity::Column::ClientId.eq(client_id))
            .all(&app.db.conn)
            .await
            .unwrap();
        assert_eq!(booked.len(), 1, "{backend:?}");
        let first: String = asked[0].body["tools"][0]["function"]["parameters"]["properties"]["starts_at"]["enum"][0]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(booked[0].starts_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), first, "{backend:?}");
        let client = clients::Entity::find_by_id(client_id).one(&app.db.conn).await.unwrap().unwrap();
        assert_eq!(client.status, "booked", "{backend:?}");

        // A stage outside the pipeline is not set: a person is asked to look.
        fake.will([Script::Tool { name: "set_stage", arguments: r#"{"stage":"vip"}"#.to_owned(), text: "Great!" }]);
        lead_says(&app, client_id, "Thanks!").await;
        run_jobs(&app).await;
        assert_eq!(ai_messages(&app, client_id).await.pop().unwrap().body, "Great!");
        let client = clients::Entity::find_by_id(client_id).one(&app.db.conn).await.unwrap().unwrap();
        assert_eq!(client.status, "booked", "{backend:?}");
        assert_eq!(state_of(&app, client_id).await, "waiting", "{backend:?}");
        app.cleanup().await;
        fake.stop();
    }
}

#[tokio::test]
async fn failures_are_tried_again_shown_to_the_team_without_the_key_and_retried_by_a_person() {
    for backend in BACKENDS {
        let fake = FakeAi::start().await;
        let app = start(backend, &fake, "1").await;
        let (ana, client_id, lead) = set_up_lead(&app).await;

        // A 5xx, then an answer: the lead gets it.
        fake.will([Script::Status { code: 503, retry_after: None }, Script::Text("Sorry for the wait!")]);
        lead_says(&app, client_id, "Hello?").await;
        run_jobs(&app).await;
        assert_eq!(ai_messages(&app, client_id).await.pop().unwrap().body, "Sorry for the wait!");
        assert_eq!(fake.take().len(), 2, "{backend:?}");

        // A 429 with Retry-After: the next call waits for it.
        fake.will([Script::Status { code: 429, retry_after: Some(1) }, Script::Text("Here I am.")]);
        lead_says(&app, client_id, "Still there?").await;
        let began = Instant::now();
        run_jobs(&app).await;
        assert!(began.elapsed() >= Duration::from_secs(1), "{backend:?}: Retry-After was not honoured");
        assert_eq!(ai_messages(&app, client_id).await.pop().unwrap().body, "Here I am.");
        assert_eq!(fake.take().len(), 2, "{backend:?}");

        // A refused key is not tried again; the team reads why, the lead reads nothing.
        fake.will([Script::Status { code: 401, retry_after: None }]);
        lead_says(&app, client_id, "Can we talk pricing?").await;
        run_jobs(&app).await;
        assert_eq!(fake.take().len(), 1, "{backend:?}");
        let failed = notes(&app, client_id).await.pop().expect("a note for the team");
        assert_eq!(failed.body, "AI reply failed: the AI endpoint refused the key (HTTP 401)", "{backend:?}");
        assert!(failed.private, "{backend:?}: the lead never sees it");
        assert_eq!(
            (failed.delivery.as_str(), failed.failure_reason.as_deref()),
            ("failed", Some("the AI endpoint refused the key (HTTP 401)"))
        );
        assert_eq!(state_of(&app, client_id).await, "waiting", "{backend:?}");
        assert!(!lead.page(&app).await.contains("AI reply failed"), "{backend:?}");

        // A person retries; the endpoint answers now.
        fake.will([Script::Text("Pricing starts at 49 a month.")]);
        reply::retry(&app.state, &ana, client_id).await.unwrap();
        run_jobs(&app).await;
        assert_eq!(ai_messages(&app, client_id).await.pop().unwrap().body, "Pricing starts at 49 a month.");
        assert_eq!(fake.take().len(), 1, "{backend:?}");
        assert_eq!(state_of(&app, client_id).await, "open", "{backend:?}");
        let again = reply::retry(&app.state, &ana, client_id).await.unwrap_err();
        assert!(matches!(again, AppError::Conflict(_)), "{backend:?}: {again:?}");

        // A hang times out and is reported; a 5xx that stays is reported after the retries.
        fake.will([Script::Hang]);
        lead_says(&app, client_id, "Hello again").await;
        run_jobs(&app).await;
        assert_eq!(fake.take().len(), 1, "{backend:?}: a timeout is not repeated");
        let failed = notes(&app, client_id).await.pop().unwrap();
        assert_eq!(failed.body, "AI reply failed: the AI endpoint did not answer within 1 s", "{backend:?}");
        fake.will(std::iter::repeat_n(Script::Status { code: 500, retry_after: None }, 3));
        reply::retry(&app.state, &ana, client_id).await.unwrap();
        run_jobs(&app).await;
        assert_eq!(fake.take().len(), 3, "{backend:?}");
        let failed = notes(&app, client_id).await.pop().unwrap();
        assert!(
            failed.body.starts_with("AI reply failed: the AI endpoint failed (HTTP 500)"),
            "{backend:?}: {}",
            failed.body
        );

        // The key appears nowhere the app wrote: messages, the audit log, the jobs.
        let everything = messages::Entity::find().filter(messages::Column::ClientId.eq(client_id)).all(&app.db.conn);
        let written = format!("{:?}", everything.await.unwrap());
        let audit = format!("{:?}", crm::audit::entity::Entity::find().all(&app.db.conn).await.unwrap());
        assert!(!written.contains(KEY) && !audit.contains(KEY), "{backend:?}");
        assert!(written.contains("[key]"), "{backend:?}: the endpoint's echo of the key is scrubbed");

        // Someone switched the AI off: no retry.
        chat::set_ai_mode(&app.state, &ana, client_id, "off").await.unwrap();
        let off = reply::retry(&app.state, &ana, client_id).await.unwrap_err();
        assert!(matches!(off, AppError::Conflict(_)), "{backend:?}: {off:?}");
        // With "AI suggests", the retry makes a draft for the person.
        chat::set_ai_mode(&app.state, &ana, client_id, "suggest").await.unwrap();
        fake.will([Script::Text("Sorry for the silence! How can I help?")]);
        reply::retry(&app.state, &ana, client_id).await.unwrap();
        run_jobs(&app).await;
        let conversation = conversations::Entity::find()
            .filter(conversations::Column::ClientId.eq(client_id))
            .one(&app.db.conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(conversation.ai_draft.as_deref(), Some("Sorry for the silence! How can I help?"), "{backend:?}");
        app.cleanup().await;
        fake.stop();
    }
}
