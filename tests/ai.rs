//! The AI persona's reply pipeline on SQLite and on PostgreSQL + Redis, with the offline responder:
//! a lead in an auto conversation is answered, qualified and booked on a real free slot; several
//! quick messages get one reply; a person acting while the responder answers discards the reply;
//! a job that runs twice stores one reply, and one run again after it booked or moved a call
//! does so once; a conversation whose AI is off gets no job; a person's
//! answer pauses the AI until resumed; the AI hands off at its cap; new conversations take the
//! strategy's mode; "AI suggests" drafts for a person to send or discard; a quiet lead gets the
//! strategy's follow-ups, each once, called off by anyone's message, a mode change or a booking.
#![cfg(feature = "ssr")]

mod common;

use async_trait::async_trait;
use common::{
    BACKENDS,
    app::TestApp,
    persona::{ai_messages, bookings_of, lead_says, payload, replies_to, run_jobs, set_up},
};
use crm::{
    ai::{
        reply::{self, Outcome, followup},
        responder::{Reply, ReplyAction, ReplyRequest, Responder, ResponderError, offline::OfflineResponder},
    },
    chat::{
        entity as messages,
        model::ChatEvent,
        service::{self as chat, Author, NewMessage},
    },
    clients::entity as clients,
    users::model::CurrentUser,
};
use futures::StreamExt as _;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

#[tokio::test]
async fn a_lead_is_answered_qualified_and_booked_on_a_real_free_slot() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (_, client_id) = set_up(&app).await;
        // The first message came before the AI was switched on: it waits for a person.
        assert_eq!(run_jobs(&app).await, 0, "{backend:?}");

        let hello = lead_says(&app, client_id, "Hello?").await;
        assert_eq!(run_jobs(&app).await, 1, "{backend:?}: one reply job");
        let replies = ai_messages(&app, client_id).await;
        assert_eq!(replies.len(), 1, "{backend:?}");
        assert_eq!(replies[0].body, "Hi Sam, thanks for reaching out! Could you tell me your team size?");
        assert_eq!(replies[0].reply_to_message_id, Some(hello.message.id));

        lead_says(&app, client_id, "We are 12 people").await;
        run_jobs(&app).await;
        let offer = ai_messages(&app, client_id).await.pop().unwrap().body;
        assert!(offer.contains("Would one of these times work for a call?\n1) "), "{backend:?}: {offer}");

        lead_says(&app, client_id, "The first one, please").await;
        run_jobs(&app).await;
        let confirmation = ai_messages(&app, client_id).await.pop().unwrap().body;
        assert!(confirmation.starts_with("You're booked for "), "{backend:?}: {confirmation}");
        let booked = crm::bookings::entity::Entity::find()
            .filter(crm::bookings::entity::Column::ClientId.eq(client_id))
            .all(&app.db.conn)
            .await
            .unwrap();
        assert_eq!(booked.len(), 1, "{backend:?}");
        let label = confirmation.trim_start_matches("You're booked for ").split(" (").next().unwrap().to_owned();
        assert!(offer.contains(&format!("1) {label}")), "{backend:?}: booked the first offered time, {label}");
        let client = clients::Entity::find_by_id(client_id).one(&app.db.conn).await.unwrap().unwrap();
        assert_eq!(client.status, "booked", "{backend:?}");
        app.cleanup().await;
    }
}

/// The lead's bookings, oldest first.
async fn bookings(app: &TestApp, client_id: i64) -> Vec<crm::bookings::entity::Model> {
    use sea_orm::QueryOrder as _;
    crm::bookings::entity::Entity::find()
        .filter(crm::bookings::entity::Column::ClientId.eq(client_id))
        .order_by_asc(crm::bookings::entity::Column::Id)
        .all(&app.db.conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_booked_lead_who_asks_to_move_the_call_has_it_moved_not_booked_twice() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (_, client_id) = set_up(&app).await;
        for said in ["Hello?", "We are 12 people", "The first one, please"] {
            lead_says(&app, client_id, said).await;
            run_jobs(&app).await;
        }
        let [booked] = bookings(&app, client_id).await.try_into().expect("one booking");

        lead_says(&app, client_id, "Something came up, could we reschedule?").await;
        run_jobs(&app).await;
        let offer = ai_messages(&app, client_id).await.pop().unwrap().body;
        assert!(
            offer.starts_with("No problem, Sam. Let's find another time for your call on "),
            "{backend:?}: {offer}"
        );
        let second = offer.lines().find_map(|line| line.strip_prefix("2) ")).expect("a second time").to_owned();

        lead_says(&app, client_id, "The second one").await;
        run_jobs(&app).await;
        let confirmation = ai_messages(&app, client_id).await.pop().unwrap().body;
        assert!(
            confirmation.starts_with(&format!("Done: your call is moved to {second} (")),
            "{backend:?}: {confirmation}"
        );
        let [moved] = bookings(&app, client_id).await.try_into().expect("still one booking");
        assert_eq!(moved.id, booked.id, "{backend:?}");
        assert_eq!(moved.status, "confirmed", "{backend:?}");
        assert_eq!(moved.sequence, booked.sequence + 1, "{backend:?}: calendars see the change");
        assert_eq!(moved.ends_at - moved.starts_at, booked.ends_at - booked.starts_at, "{backend:?}");
        let owner = crm::users::entity::Entity::find_by_id(moved.owner_id).one(&app.db.conn).await.unwrap().unwrap();
        let local = moved.starts_at.with_timezone(&owner.timezone.parse::<chrono_tz::Tz>().unwrap());
        assert_eq!(format!("{}", local.format("%a %-d %b, %H:%M")), second, "{backend:?}: the time chosen");
        app.cleanup().await;
    }
}

/// While on, storing any message of the AI fails in the database, as a worker that dies between
/// booking (or moving) a call and storing its reply.
async fn ai_messages_fail(app: &TestApp, fail: bool) {
    let postgres = app.db.conn.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    let statements: &[&str] = match (postgres, fail) {
        (true, true) => &[
            "CREATE FUNCTION die_before_storing() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN RAISE EXCEPTION 'the worker died'; END $$",
            "CREATE TRIGGER die_before_storing BEFORE INSERT ON messages FOR EACH ROW \
             WHEN (NEW.role = 'ai') EXECUTE FUNCTION die_before_storing()",
        ],
        (true, false) => &["DROP TRIGGER die_before_storing ON messages", "DROP FUNCTION die_before_storing()"],
        (false, true) => &["CREATE TRIGGER die_before_storing BEFORE INSERT ON messages WHEN NEW.role = 'ai' \
             BEGIN SELECT RAISE(ABORT, 'the worker died'); END"],
        (false, false) => &["DROP TRIGGER die_before_storing"],
    };
    for statement in statements {
        common::persona::sql(app, statement).await;
    }
}

/// A model that books (or, for a lead with a call, moves to) the first time it is offered, each
/// time it is asked: asked again after its booking, it is offered other times and picks another.
#[derive(Default)]
struct FirstOffered {
    asked: std::sync::atomic::AtomicUsize,
}

#[async_trait]
impl Responder for FirstOffered {
    async fn reply(&self, request: &ReplyRequest) -> Result<Reply, ResponderError> {
        self.asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let slot = request.slots.first().expect("an offered time");
        Ok(match request.appointment {
            Some(_) => Reply {
                text: format!("Moved to {}.", slot.label),
                action: ReplyAction::Move { starts_at: slot.starts_at },
            },
            None => Reply {
                text: format!("Booked for {}.", slot.label),
                action: ReplyAction::Book { starts_at: slot.starts_at },
            },
        })
    }
}

/// The lead asks for the first free time and the job books it, then dies before storing its reply:
/// the message asked, its job and the booking made.
async fn booked_before_the_worker_died(
    app: &TestApp,
    client_id: i64,
    model: &FirstOffered,
) -> (chat::Recorded, reply::Payload, crm::bookings::entity::Model) {
    let asked = lead_says(app, client_id, "Book me the first time you have").await;
    let job = payload(&asked);
    ai_messages_fail(app, true).await;
    assert!(reply::reply(&app.state, &job, model).await.is_err(), "the worker dies before storing");
    ai_messages_fail(app, false).await;
    let [booked] = bookings(app, client_id).await.try_into().expect("booked before the worker died");
    assert_eq!(replies_to(app, asked.message.id).await, 0);
    (asked, job, booked)
}

#[tokio::test]
async fn a_reply_job_run_again_after_booking_or_moving_does_it_once_and_says_what_it_did() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (_, client_id) = set_up(&app).await;
        let model = FirstOffered::default();
        let (asked, job, booked) = booked_before_the_worker_died(&app, client_id, &model).await;

        assert!(matches!(reply::reply(&app.state, &job, &model).await.unwrap(), Outcome::Replied(_)));
        let [again] = bookings(&app, client_id).await.try_into().expect("still one booking");
        assert_eq!((again.id, again.starts_at), (booked.id, booked.starts_at), "{backend:?}");
        assert_eq!(
            model.asked.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "{backend:?}: the kept reply, not a new one"
        );
        let confirmation = ai_messages(&app, client_id).await.pop().unwrap();
        assert_eq!(confirmation.reply_to_message_id, Some(asked.message.id), "{backend:?}");
        assert!(confirmation.body.starts_with("Booked for "), "{backend:?}: {}", confirmation.body);
        run_jobs(&app).await; // the queued job finds the message answered
        assert_eq!(replies_to(&app, asked.message.id).await, 1, "{backend:?}");

        let model = FirstOffered::default();
        let asked = lead_says(&app, client_id, "Could we move it to your first free time?").await;
        let job = payload(&asked);
        ai_messages_fail(&app, true).await;
        assert!(reply::reply(&app.state, &job, &model).await.is_err(), "{backend:?}");
        ai_messages_fail(&app, false).await;
        let [moved] = bookings(&app, client_id).await.try_into().expect("one booking");
        assert_eq!(moved.sequence, booked.sequence + 1, "{backend:?}: moved before the worker died");
        assert_ne!(moved.starts_at, booked.starts_at, "{backend:?}");

        assert!(matches!(reply::reply(&app.state, &job, &model).await.unwrap(), Outcome::Replied(_)));
        assert_eq!(model.asked.load(std::sync::atomic::Ordering::SeqCst), 1, "{backend:?}");
        let [again] = bookings(&app, client_id).await.try_into().expect("still one booking");
        assert_eq!((again.starts_at, again.sequence), (moved.starts_at, moved.sequence), "{backend:?}: moved once");
        assert!(ai_messages(&app, client_id).await.pop().unwrap().body.starts_with("Moved to "), "{backend:?}");
        run_jobs(&app).await;
        assert_eq!(replies_to(&app, asked.message.id).await, 1, "{backend:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_kept_reply_is_not_carried_out_after_a_person_acted_and_a_retry_asks_again() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (ana, client_id) = set_up(&app).await;
        let model = FirstOffered::default();
        let (asked, job, booked) = booked_before_the_worker_died(&app, client_id, &model).await;

        // A person cancels that call and switches the AI to drafts and back before the job runs again.
        crm::bookings::service::cancel(&app.state, &ana, booked.id, "The lead asked by phone").await.unwrap();
        chat::set_ai_mode(&app.state, &ana, client_id, "suggest").await.unwrap();
        chat::set_ai_mode(&app.state, &ana, client_id, "auto").await.unwrap();
        let rerun = reply::reply(&app.state, &job, &model).await.unwrap();
        assert_eq!(rerun, Outcome::Superseded, "{backend:?}: the old job stands down");
        let after = bookings(&app, client_id).await;
        assert_eq!(after.len(), 1, "{backend:?}: the cancelled call is not booked again");
        assert_eq!(after[0].status, "cancelled", "{backend:?}");

        // A retry (a job for the same message at the conversation's new version) asks the
        // responder again rather than carrying out the reply kept for the old version.
        let conversation = crm::chat::conversation_entity::Entity::find()
            .filter(crm::chat::conversation_entity::Column::ClientId.eq(client_id))
            .one(&app.db.conn)
            .await
            .unwrap()
            .unwrap();
        assert!(conversation.version > job.version, "{backend:?}: the person's actions raised the version");
        let retry = reply::Payload { version: conversation.version, ..job };
        let fresh = FirstOffered::default();
        assert!(matches!(reply::reply(&app.state, &retry, &fresh).await.unwrap(), Outcome::Replied(_)));
        assert_eq!(fresh.asked.load(std::sync::atomic::Ordering::SeqCst), 1, "{backend:?}: asked, not replayed");
        let statuses: Vec<String> = bookings(&app, client_id).await.into_iter().map(|b| b.status).collect();
        assert_eq!(statuses, ["cancelled", "confirmed"], "{backend:?}");
        assert_eq!(replies_to(&app, asked.message.id).await, 1, "{backend:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn several_quick_messages_get_one_reply_and_an_ai_that_is_off_gets_no_job() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (ana, client_id) = set_up(&app).await;
        lead_says(&app, client_id, "Hi").await;
        lead_says(&app, client_id, "Are you there?").await;
        let last = lead_says(&app, client_id, "We are a team of 5").await;
        assert_eq!(run_jobs(&app).await, 1, "{backend:?}: the later messages moved the waiting job");
        let replies = ai_messages(&app, client_id).await;
        assert_eq!(replies.len(), 1, "{backend:?}");
        assert_eq!(replies[0].reply_to_message_id, Some(last.message.id), "{backend:?}: it answers the newest");

        chat::set_ai_mode(&app.state, &ana, client_id, "off").await.unwrap();
        lead_says(&app, client_id, "Hello again").await;
        assert_eq!(run_jobs(&app).await, 0, "{backend:?}: no job while the AI is off");
        app.cleanup().await;
    }
}

/// A responder during whose answer a person writes in the conversation.
struct InterruptedBy<'a> {
    app: &'a TestApp,
    agent: &'a CurrentUser,
    client_id: i64,
}

#[async_trait]
impl Responder for InterruptedBy<'_> {
    async fn reply(&self, request: &ReplyRequest) -> Result<Reply, ResponderError> {
        let answer = OfflineResponder.reply(request).await;
        let taking_over = NewMessage {
            client_id: self.client_id,
            author: Author::Agent(self.agent),
            body: "I'll take it from here.",
            private: false,
            channel: "web",
        };
        chat::record(&self.app.state, taking_over).await.unwrap();
        answer
    }
}

#[tokio::test]
async fn a_person_acting_while_the_responder_answers_discards_the_reply() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (ana, client_id) = set_up(&app).await;
        let asked = lead_says(&app, client_id, "How much is it?").await;
        let responder = InterruptedBy { app: &app, agent: &ana, client_id };
        let outcome = reply::reply(&app.state, &payload(&asked), &responder).await.unwrap();
        assert_eq!(outcome, Outcome::Superseded, "{backend:?}");
        assert!(ai_messages(&app, client_id).await.is_empty(), "{backend:?}: the person's message stands alone");

        // A mode change before the job runs makes it stand down too.
        let again = lead_says(&app, client_id, "Hello?").await;
        chat::set_ai_mode(&app.state, &ana, client_id, "suggest").await.unwrap();
        assert_eq!(reply::reply(&app.state, &payload(&again), &OfflineResponder).await.unwrap(), Outcome::Superseded);
        assert!(ai_messages(&app, client_id).await.is_empty(), "{backend:?}");

        // A booking the persona chose while a person took over is not made. (The person's answer
        // paused the AI; it is woken first.)
        chat::set_ai_mode(&app.state, &ana, client_id, "auto").await.unwrap();
        reply::resume(&app.state, &ana, client_id).await.unwrap();
        lead_says(&app, client_id, "Hi").await;
        run_jobs(&app).await;
        lead_says(&app, client_id, "We are 5").await;
        run_jobs(&app).await;
        assert!(ai_messages(&app, client_id).await.pop().unwrap().body.contains("1) "), "{backend:?}: an offer");
        let choice = lead_says(&app, client_id, "The first one").await;
        let outcome = reply::reply(&app.state, &payload(&choice), &responder).await.unwrap();
        assert_eq!(outcome, Outcome::Superseded, "{backend:?}");
        assert_eq!(bookings_of(&app, client_id).await, 0, "{backend:?}: no booking behind the person's back");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_reply_job_delivered_twice_stores_one_reply() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (_, client_id) = set_up(&app).await;
        let asked = lead_says(&app, client_id, "Hi").await;
        let job = payload(&asked);
        assert!(matches!(reply::reply(&app.state, &job, &OfflineResponder).await.unwrap(), Outcome::Replied(_)));
        assert_eq!(reply::reply(&app.state, &job, &OfflineResponder).await.unwrap(), Outcome::AlreadyAnswered);

        // Two deliveries at once (a lease that ran out while the first was still answering).
        let asked = lead_says(&app, client_id, "We are 8").await;
        let job = payload(&asked);
        let (one, two) = tokio::join!(
            reply::reply(&app.state, &job, &OfflineResponder),
            reply::reply(&app.state, &job, &OfflineResponder)
        );
        let outcomes = [one.unwrap(), two.unwrap()];
        let stored = outcomes.iter().filter(|outcome| matches!(outcome, Outcome::Replied(_))).count();
        assert_eq!(stored, 1, "{backend:?}: {outcomes:?}");
        assert_eq!(replies_to(&app, asked.message.id).await, 1, "{backend:?}");
        assert_eq!(ai_messages(&app, client_id).await.len(), 2, "{backend:?}");
        app.cleanup().await;
    }
}

async fn conversation(app: &TestApp, client_id: i64) -> crm::chat::conversation_entity::Model {
    use crm::chat::conversation_entity as conversations;
    conversations::Entity::find()
        .filter(conversations::Column::ClientId.eq(client_id))
        .one(&app.db.conn)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn a_persons_answer_pauses_the_ai_for_the_takeover_period_until_resumed() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (ana, client_id) = set_up(&app).await;
        lead_says(&app, client_id, "Hello?").await;
        run_jobs(&app).await;
        assert_eq!(ai_messages(&app, client_id).await.len(), 1, "{backend:?}");

        // A private note does not pause the AI; a public answer does, for the strategy's 60 minutes.
        let note = NewMessage { client_id, author: Author::Agent(&ana), body: "VIP", private: true, channel: "web" };
        chat::record(&app.state, note).await.unwrap();
        assert_eq!(conversation(&app, client_id).await.ai_paused_until, None, "{backend:?}");
        let answer =
            NewMessage { client_id, author: Author::Agent(&ana), body: "Ana here!", private: false, channel: "web" };
        let answered = chat::record(&app.state, answer).await.unwrap();
        let paused = conversation(&app, client_id).await.ai_paused_until.expect("paused");
        assert_eq!(paused - answered.message.created_at, chrono::Duration::minutes(60), "{backend:?}");

        lead_says(&app, client_id, "Nice to meet you").await;
        assert_eq!(run_jobs(&app).await, 0, "{backend:?}: the AI sleeps");
        assert_eq!(ai_messages(&app, client_id).await.len(), 1, "{backend:?}");

        // Resuming wakes it, and it answers the lead's last word at once.
        reply::resume(&app.state, &ana, client_id).await.unwrap();
        assert_eq!(conversation(&app, client_id).await.ai_paused_until, None, "{backend:?}");
        assert_eq!(run_jobs(&app).await, 1, "{backend:?}");
        assert_eq!(ai_messages(&app, client_id).await.len(), 2, "{backend:?}");

        // A pause that has ended lets the AI answer; a strategy with no takeover time never pauses.
        let answer =
            NewMessage { client_id, author: Author::Agent(&ana), body: "Back soon", private: false, channel: "web" };
        chat::record(&app.state, answer).await.unwrap();
        use crm::chat::conversation_entity as conversations;
        conversations::Entity::update_many()
            .col_expr(conversations::Column::AiPausedUntil, (chat::now() - chrono::Duration::seconds(1)).into())
            .filter(conversations::Column::ClientId.eq(client_id))
            .exec(&app.db.conn)
            .await
            .unwrap();
        lead_says(&app, client_id, "Anyone?").await;
        assert_eq!(run_jobs(&app).await, 1, "{backend:?}");
        assert_eq!(ai_messages(&app, client_id).await.len(), 3, "{backend:?}");
        common::persona::sql(&app, "UPDATE strategies SET takeover_minutes = 0").await;
        conversations::Entity::update_many()
            .col_expr(conversations::Column::AiPausedUntil, Option::<chrono::DateTime<chrono::Utc>>::None.into())
            .filter(conversations::Column::ClientId.eq(client_id))
            .exec(&app.db.conn)
            .await
            .unwrap();
        let answer =
            NewMessage { client_id, author: Author::Agent(&ana), body: "Hi again", private: false, channel: "web" };
        chat::record(&app.state, answer).await.unwrap();
        assert_eq!(conversation(&app, client_id).await.ai_paused_until, None, "{backend:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_ai_hands_the_conversation_to_a_person_at_its_strategys_cap() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (_, client_id) = set_up(&app).await;
        common::persona::sql(&app, "UPDATE strategies SET ai_message_cap = 2").await;
        for said in ["Hello?", "We are 12 people"] {
            lead_says(&app, client_id, said).await;
            run_jobs(&app).await;
        }
        assert_eq!(ai_messages(&app, client_id).await.len(), 2, "{backend:?}");
        let third = lead_says(&app, client_id, "Hmm, let me think").await;
        let mut bus = app.state.infra.bus.subscribe(crm::chat::model::BUS_CHANNEL).await.unwrap();
        let outcome = reply::reply(&app.state, &payload(&third), &OfflineResponder).await.unwrap();
        assert!(matches!(outcome, Outcome::HandedOff(_)), "{backend:?}: {outcome:?}");
        // The owner's open pages are told, with the lead's name and the reason.
        let told = loop {
            let event = tokio::time::timeout(std::time::Duration::from_secs(5), bus.next()).await.unwrap().unwrap();
            if let ChatEvent::HandedOff { client_id: about, client_name, reason, failed, .. } =
                serde_json::from_str::<ChatEvent>(&event).unwrap()
            {
                break (about, client_name, reason, failed);
            }
        };
        let reason = "The AI has sent 2 messages in this conversation, its strategy's limit.".to_owned();
        assert_eq!(told, (client_id, "Sam Rivera".to_owned(), reason, false), "{backend:?}");
        assert_eq!(ai_messages(&app, client_id).await.len(), 2, "{backend:?}: no third AI message");
        assert_eq!(conversation(&app, client_id).await.state, "waiting", "{backend:?}");
        let note = messages::Entity::find()
            .filter(messages::Column::ClientId.eq(client_id))
            .filter(messages::Column::Role.eq("system"))
            .one(&app.db.conn)
            .await
            .unwrap()
            .expect("a note for the team");
        assert!(note.private, "{backend:?}");
        assert_eq!(
            note.body,
            "The AI handed this conversation to the team: The AI has sent 2 messages in this conversation, its \
             strategy's limit."
        );
        app.cleanup().await;
    }
}

/// Ana, whose default strategy answers new conversations on its own at once, with `settings` of
/// hers (`column = value,` each). Answers her public chat's slug.
async fn eager_owner(app: &TestApp, settings: &str) -> String {
    let ana = common::accounts::account(app, "Ana Owner", "ana@example.com").await;
    let strategy_id = common::accounts::strategy(app, ana.id, "Eager").await;
    let strategy = format!(
        "UPDATE strategies SET default_ai_mode = 'auto', reply_delay_min = 0, reply_delay_max = 0 WHERE id = {strategy_id}"
    );
    common::persona::sql(app, &strategy).await;
    let user = format!("UPDATE users SET {settings} default_strategy_id = {strategy_id} WHERE id = {}", ana.id);
    common::persona::sql(app, &user).await;
    let ana = crm::users::entity::Entity::find_by_id(ana.id).one(&app.db.conn).await.unwrap().unwrap();
    ana.booking_slug.unwrap()
}

#[tokio::test]
async fn a_new_conversation_starts_in_its_strategys_ai_mode() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let slug = eager_owner(&app, "").await;
        let form = crm::chat::public::model::StartTalkForm {
            name: "Quinn Lead".into(),
            email: "quinn@example.com".into(),
            phone: String::new(),
            body: "Hi there".into(),
            timezone: String::new(),
        };
        crm::chat::public::service::start(&app.state, &slug, &form).await.unwrap();
        let client = clients::Entity::find().filter(clients::Column::Email.eq("quinn@example.com")).one(&app.db.conn);
        let client_id = client.await.unwrap().unwrap().id;
        assert_eq!(conversation(&app, client_id).await.ai_mode, "auto", "{backend:?}");
        assert_eq!(run_jobs(&app).await, 1, "{backend:?}: the lead's first message is answered");
        assert_eq!(ai_messages(&app, client_id).await.len(), 1, "{backend:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn in_suggest_mode_the_ai_drafts_and_a_person_sends_or_discards_the_draft() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (ana, client_id) = set_up(&app).await;
        chat::set_ai_mode(&app.state, &ana, client_id, "suggest").await.unwrap();
        lead_says(&app, client_id, "Hello?").await;
        assert_eq!(run_jobs(&app).await, 1, "{backend:?}");
        assert!(ai_messages(&app, client_id).await.is_empty(), "{backend:?}: nothing reaches the lead");
        let thread = chat::thread(&app.state, &ana, client_id, "", false).await.unwrap();
        let draft = thread.ai_draft.expect("a draft");
        assert_eq!(draft.text, "Hi Sam, thanks for reaching out! Could you tell me your team size?");
        assert_eq!(draft.action, None);

        // A person's own answer makes the draft out of date; their answer does not stop the drafts.
        let own =
            NewMessage { client_id, author: Author::Agent(&ana), body: "Ana here!", private: false, channel: "web" };
        chat::record(&app.state, own).await.unwrap();
        assert_eq!(conversation(&app, client_id).await.ai_draft, None, "{backend:?}");
        lead_says(&app, client_id, "Hi Ana").await;
        assert_eq!(run_jobs(&app).await, 1, "{backend:?}");
        let question = conversation(&app, client_id).await.ai_draft.expect("a question");
        assert_eq!(question, "Thanks! Could you tell me your team size?", "{backend:?}: no second greeting");
        reply::send_draft(&app.state, &ana, client_id).await.unwrap();
        let asked = lead_says(&app, client_id, "We are 12 people").await;
        assert_eq!(run_jobs(&app).await, 1, "{backend:?}");
        let offer = conversation(&app, client_id).await.ai_draft.expect("an offer");
        assert!(offer.contains("\n1) "), "{backend:?}: {offer}");

        // Sent as is: the lead gets it as the AI's answer to their message.
        reply::send_draft(&app.state, &ana, client_id).await.unwrap();
        let sent = ai_messages(&app, client_id).await.pop().expect("sent");
        assert_eq!((sent.body.as_str(), sent.reply_to_message_id), (offer.as_str(), Some(asked.message.id)));
        assert_eq!(conversation(&app, client_id).await.ai_draft, None, "{backend:?}");
        let again = reply::send_draft(&app.state, &ana, client_id).await.unwrap_err();
        assert!(matches!(again, crm::shared::AppError::Conflict(_)), "{backend:?}: {again:?}");

        // A draft that books says so, and books only when sent.
        lead_says(&app, client_id, "The first one, please").await;
        run_jobs(&app).await;
        let thread = chat::thread(&app.state, &ana, client_id, "", false).await.unwrap();
        let booking = thread.ai_draft.expect("a confirmation");
        assert!(booking.text.starts_with("You're booked for "), "{backend:?}: {}", booking.text);
        assert!(booking.action.as_deref().is_some_and(|action| action.starts_with("Sending it books ")), "{booking:?}");
        assert_eq!(bookings_of(&app, client_id).await, 0, "{backend:?}: not before it is sent");
        reply::send_draft(&app.state, &ana, client_id).await.unwrap();
        assert_eq!(bookings_of(&app, client_id).await, 1, "{backend:?}");
        let client = clients::Entity::find_by_id(client_id).one(&app.db.conn).await.unwrap().unwrap();
        assert_eq!(client.status, "booked", "{backend:?}");

        // Discarded; and the lead's next message makes a waiting draft out of date at once.
        lead_says(&app, client_id, "Thanks!").await;
        run_jobs(&app).await;
        assert!(conversation(&app, client_id).await.ai_draft.is_some(), "{backend:?}");
        chat::discard_ai_draft(&app.state, &ana, client_id).await.unwrap();
        assert_eq!(conversation(&app, client_id).await.ai_draft, None, "{backend:?}");
        lead_says(&app, client_id, "One more thing").await;
        run_jobs(&app).await;
        assert!(conversation(&app, client_id).await.ai_draft.is_some(), "{backend:?}");
        lead_says(&app, client_id, "Actually, never mind").await;
        assert_eq!(conversation(&app, client_id).await.ai_draft, None, "{backend:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_persona_offers_times_in_the_leads_own_time_zone() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let slug = eager_owner(&app, "timezone = 'Europe/Lisbon', booking_enabled = TRUE,").await;
        let start = |email: &str, timezone: &str| crm::chat::public::model::StartTalkForm {
            name: "Kenji Lead".into(),
            email: email.into(),
            body: "Hello!".into(),
            timezone: timezone.into(),
            ..Default::default()
        };
        let token = crm::chat::public::service::start(&app.state, &slug, &start("kenji@example.com", "Asia/Tokyo"))
            .await
            .unwrap();
        let kenji = clients::Entity::find().filter(clients::Column::Email.eq("kenji@example.com")).one(&app.db.conn);
        let kenji = kenji.await.unwrap().unwrap();
        assert_eq!(kenji.timezone.as_deref(), Some("Asia/Tokyo"), "{backend:?}");
        run_jobs(&app).await;
        let offer = ai_messages(&app, kenji.id).await.pop().expect("an offer").body;
        assert!(offer.ends_with("(times in JST)"), "{backend:?}: {offer}");
        let page = crm::chat::public::service::page(&app.state, &slug, Some(&token)).await.unwrap();
        assert_eq!(page.zone, "Asia/Tokyo", "{backend:?}");

        // A zone that does not exist is ignored: the owner's stands.
        crm::chat::public::service::start(&app.state, &slug, &start("mia@example.com", "Mars/Olympus")).await.unwrap();
        let mia = clients::Entity::find().filter(clients::Column::Email.eq("mia@example.com")).one(&app.db.conn);
        let mia = mia.await.unwrap().unwrap();
        assert_eq!(mia.timezone, None, "{backend:?}");
        run_jobs(&app).await;
        let offer = ai_messages(&app, mia.id).await.pop().expect("an offer").body;
        assert!(offer.ends_with("(times in WET)"), "{backend:?}: {offer}");
        app.cleanup().await;
    }
}

/// The follow-up waiting in the database queue (SQLite's), with the milliseconds until it is due.
async fn waiting_followup(app: &TestApp) -> Option<(followup::Payload, i64)> {
    use sea_orm::{ConnectionTrait, Statement};
    let db = &app.db.conn;
    let sql = "SELECT payload, run_at_ms FROM jobs WHERE queue = 'ai-followup' AND locked_by IS NULL";
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap()?;
    let payload: String = row.try_get("", "payload").unwrap();
    let due: i64 = row.try_get("", "run_at_ms").unwrap();
    Some((serde_json::from_str(&payload).unwrap(), due - chat::now().timestamp_millis()))
}

fn quiet_after(
    conversation: &crm::chat::conversation_entity::Model,
    message_id: i64,
    number: u32,
) -> followup::Payload {
    followup::Payload {
        conversation_id: conversation.id,
        after_message_id: message_id,
        version: conversation.version,
        number,
    }
}

/// The first follow-up of the AI's newest message.
async fn pending(app: &TestApp, client_id: i64) -> followup::Payload {
    let answer = ai_messages(app, client_id).await.pop().unwrap();
    quiet_after(&conversation(app, client_id).await, answer.id, 1)
}

/// A zone whose local time is now between 11:00 and 12:59 (an `Etc/GMT` zone, whose sign is the
/// reverse of its offset): a nudge due in an hour or a day lands in waking hours whenever the test
/// runs.
fn zone_at_noon() -> String {
    use chrono::Timelike as _;
    etc_zone(12 - i64::from(chat::now().hour()))
}

/// The `Etc/GMT` zone `offset` hours east of UTC (its name's sign is the reverse).
fn etc_zone(offset: i64) -> String {
    match offset {
        0 => "Etc/GMT".to_owned(),
        east if east > 0 => format!("Etc/GMT-{east}"),
        west => format!("Etc/GMT+{}", -west),
    }
}

// A lead who leaves the AI's question unanswered is nudged after the strategy's waits, each nudge
// once however often its job runs, and no more than the strategy lists.
#[tokio::test]
async fn a_quiet_lead_gets_the_strategys_follow_ups_each_once() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (_, client_id) = set_up(&app).await;
        common::persona::sql(&app, "UPDATE strategies SET followup_minutes = '60,1440'").await;
        let zone = zone_at_noon();
        common::persona::sql(&app, &format!("UPDATE clients SET timezone = '{zone}' WHERE id = {client_id}")).await;
        lead_says(&app, client_id, "Hello?").await;
        assert_eq!(run_jobs(&app).await, 1, "{backend:?}: the answer; the follow-up waits an hour");
        let answer = ai_messages(&app, client_id).await.remove(0);
        let now = chat::now();
        if backend == common::Backend::Sqlite {
            let (waiting, due_in) = waiting_followup(&app).await.expect("a follow-up waits");
            assert_eq!((waiting.after_message_id, waiting.number), (answer.id, 1));
            assert!((3_590_000..=3_600_000).contains(&due_in), "due in an hour, not {due_in} ms");
        }

        let first = quiet_after(&conversation(&app, client_id).await, answer.id, 1);
        let later = now + chrono::Duration::minutes(61);
        let followup::Outcome::Sent(nudge) =
            followup::follow_up(&app.state, &first, &OfflineResponder, later).await.unwrap()
        else {
            panic!("{backend:?}: the first follow-up is sent")
        };
        let sent = ai_messages(&app, client_id).await;
        assert_eq!(sent.len(), 2, "{backend:?}");
        assert_eq!(sent[1].body, "Hi Sam, just checking in. Could you tell me your team size?");
        let again = followup::follow_up(&app.state, &first, &OfflineResponder, later).await.unwrap();
        assert_eq!(again, followup::Outcome::Superseded, "{backend:?}: a job delivered twice sends once");
        assert_eq!(ai_messages(&app, client_id).await.len(), 2, "{backend:?}");
        if backend == common::Backend::Sqlite {
            let (waiting, due_in) = waiting_followup(&app).await.expect("the second follow-up waits");
            assert_eq!((waiting.after_message_id, waiting.number), (nudge, 2));
            assert!((86_390_000..=86_400_000).contains(&due_in), "due in a day, not {due_in} ms");
            // Through the queue when it is due: the worker sends it.
            common::persona::sql(&app, "UPDATE jobs SET run_at_ms = 0 WHERE queue = 'ai-followup'").await;
            assert_eq!(run_jobs(&app).await, 1);
        } else {
            let second = quiet_after(&conversation(&app, client_id).await, nudge, 2);
            let outcome = followup::follow_up(&app.state, &second, &OfflineResponder, later).await.unwrap();
            assert!(matches!(outcome, followup::Outcome::Sent(_)), "{backend:?}: {outcome:?}");
        }
        let sent = ai_messages(&app, client_id).await;
        assert_eq!(sent.len(), 3, "{backend:?}");
        assert!(sent[2].body.ends_with("just write here whenever it suits you."), "{backend:?}: {}", sent[2].body);
        if backend == common::Backend::Sqlite {
            assert!(waiting_followup(&app).await.is_none(), "the strategy lists two: no third waits");
        }
        let third = quiet_after(&conversation(&app, client_id).await, sent[2].id, 3);
        let outcome = followup::follow_up(&app.state, &third, &OfflineResponder, later).await.unwrap();
        assert_eq!(outcome, followup::Outcome::NotNeeded, "{backend:?}");
        app.cleanup().await;
    }
}

// A nudge that would reach the lead at night waits for the morning in the lead's own time zone.
#[tokio::test]
async fn a_follow_up_due_in_the_leads_night_waits_for_the_morning() {
    use chrono::{TimeZone as _, Timelike as _};
    let app = common::app::start(common::Backend::Sqlite).await;
    let (_, client_id) = set_up(&app).await;
    common::persona::sql(&app, "UPDATE strategies SET followup_minutes = '60'").await;
    // Where it is 01:xx now, the nudge due at 02:xx waits until 09:00 that morning, 7 to 8 hours on.
    let offset = (26 - 1 - i64::from(chat::now().hour())) % 24;
    let offset = if offset > 12 { offset - 24 } else { offset };
    let zone = etc_zone(offset);
    common::persona::sql(&app, &format!("UPDATE clients SET timezone = '{zone}' WHERE id = {client_id}")).await;
    lead_says(&app, client_id, "Hello?").await;
    run_jobs(&app).await;
    let (_, due_in) = waiting_followup(&app).await.expect("a follow-up waits");
    let due_ms: i64 = {
        use sea_orm::{ConnectionTrait, Statement};
        let db = &app.db.conn;
        let sql = "SELECT run_at_ms FROM jobs WHERE queue = 'ai-followup'";
        let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
        row.try_get("", "run_at_ms").unwrap()
    };
    // To the second: the queue keeps the due time in milliseconds of its own clock.
    let due = chrono::Utc.timestamp_opt((due_ms + 500).div_euclid(1_000), 0).unwrap();
    let local = due.with_timezone(&zone.parse::<chrono_tz::Tz>().unwrap());
    assert_eq!((local.hour(), local.minute(), local.second()), (9, 0, 0), "{zone}: due {local}");
    assert!((7 * 3_600_000 - 60_000..=8 * 3_600_000).contains(&due_in), "{zone}: due in {due_in} ms");

    // The rule itself, across a clock change: 23:30 in Berlin on 24 October 2026 is followed by a
    // 25-hour day; the nudge waits until 09:00 CET on the 25th.
    let late = chrono_tz::Europe::Berlin.with_ymd_and_hms(2026, 10, 24, 23, 30, 0).unwrap().with_timezone(&chrono::Utc);
    let morning = followup::in_waking_hours(late, chrono_tz::Europe::Berlin);
    assert_eq!(morning, chrono::Utc.with_ymd_and_hms(2026, 10, 25, 8, 0, 0).unwrap());
    let early = chrono::Utc.with_ymd_and_hms(2026, 12, 3, 5, 0, 0).unwrap();
    let tokyo = followup::in_waking_hours(early, chrono_tz::Asia::Tokyo);
    assert_eq!(tokyo, early, "14:00 in Tokyo is a waking hour");
    assert_eq!(
        followup::in_waking_hours(chrono::Utc.with_ymd_and_hms(2026, 12, 3, 21, 0, 0).unwrap(), chrono_tz::UTC),
        chrono::Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap(),
        "21:00 is night already"
    );
    app.cleanup().await;
}

// A waiting follow-up is called off by the lead's message, by a person's note or mode change, and
// by a booking; a conversation whose AI is off or only suggests gets none.
#[tokio::test]
async fn a_follow_up_is_called_off_by_the_lead_a_person_or_a_booking() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (ana, client_id) = set_up(&app).await;
        common::persona::sql(&app, "UPDATE strategies SET followup_minutes = '60'").await;
        let later = chat::now() + chrono::Duration::minutes(61);
        lead_says(&app, client_id, "Hello?").await;
        run_jobs(&app).await;
        let first = pending(&app, client_id).await;
        lead_says(&app, client_id, "Sorry, I was busy").await;
        let outcome = followup::follow_up(&app.state, &first, &OfflineResponder, later).await.unwrap();
        assert_eq!(outcome, followup::Outcome::Superseded, "{backend:?}: the lead wrote");

        run_jobs(&app).await;
        let second = pending(&app, client_id).await;
        let note =
            NewMessage { client_id, author: Author::Agent(&ana), body: "Call him", private: true, channel: "web" };
        chat::record(&app.state, note).await.unwrap();
        let outcome = followup::follow_up(&app.state, &second, &OfflineResponder, later).await.unwrap();
        assert_eq!(outcome, followup::Outcome::Superseded, "{backend:?}: a person's private note");

        lead_says(&app, client_id, "We are 12").await;
        run_jobs(&app).await;
        let third = pending(&app, client_id).await;
        chat::set_ai_mode(&app.state, &ana, client_id, "suggest").await.unwrap();
        let outcome = followup::follow_up(&app.state, &third, &OfflineResponder, later).await.unwrap();
        assert_eq!(outcome, followup::Outcome::Superseded, "{backend:?}: the mode changed");
        chat::set_ai_mode(&app.state, &ana, client_id, "auto").await.unwrap();

        lead_says(&app, client_id, "Still there?").await;
        run_jobs(&app).await;
        let fourth = pending(&app, client_id).await;
        common::persona::sql(&app, &format!("UPDATE clients SET status = 'booked' WHERE id = {client_id}")).await;
        let outcome = followup::follow_up(&app.state, &fourth, &OfflineResponder, later).await.unwrap();
        assert_eq!(outcome, followup::Outcome::NotNeeded, "{backend:?}: a booked lead");
        assert!(
            ai_messages(&app, client_id).await.iter().all(|message| !message.body.contains("just checking in")),
            "{backend:?}: no follow-up was sent"
        );
        app.cleanup().await;
    }
}

// The editor's playground: the persona of the fields as typed answers a conversation kept by the
// page, with the owner's real free times, says what its action would do, shows the request an
// endpoint is sent, and writes nothing: no client, message or booking.
#[tokio::test]
async fn the_playground_answers_as_the_typed_persona_and_writes_nothing() {
    use crm::ai::playground::{model::PlaygroundTurn, service::answer};
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (ana, _) = set_up(&app).await;
        let count = |table: &'static str| {
            let db = app.db.conn.clone();
            async move {
                use sea_orm::{ConnectionTrait, Statement};
                let sql = format!("SELECT COUNT(*) AS n FROM {table}");
                let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
                row.unwrap().try_get::<i64>("", "n").unwrap()
            }
        };
        let before = (count("clients").await, count("messages").await, count("bookings").await);
        let form = crm::strategies::model::StrategyForm {
            name: "Unsaved closer".into(),
            tone: "Formal".into(),
            qualification_priority: "Team size".into(),
            ..Default::default()
        };
        let mut turns = vec![PlaygroundTurn { lead: true, text: "Hi there".into() }];
        let hello = answer(&app.state, &ana, &form, &turns).await.unwrap();
        assert_eq!(hello.text, "Hello Sam, thank you for getting in touch. Could you tell me your team size?");
        assert_eq!((hello.action, hello.failed), (None, false), "{backend:?}");
        assert_eq!(hello.responder, "the built-in offline persona");
        assert!(hello.request.starts_with("system:\nYou are “Unsaved closer”"), "{backend:?}: {}", hello.request);
        assert!(hello.request.contains("\n\nsystem:\nFree times"), "{backend:?}");
        assert!(hello.request.contains("\n\nuser:\nHi there\n\n"), "{backend:?}");
        assert!(hello.request.ends_with("Tools it may call: book_slot, hand_off, set_stage."), "{backend:?}");

        turns.push(PlaygroundTurn { lead: false, text: hello.text });
        turns.push(PlaygroundTurn { lead: true, text: "We are 12".into() });
        let offer = answer(&app.state, &ana, &form, &turns).await.unwrap();
        assert!(offer.text.contains("1) "), "{backend:?}: {}", offer.text);
        turns.push(PlaygroundTurn { lead: false, text: offer.text });
        turns.push(PlaygroundTurn { lead: true, text: "the first one".into() });
        let booked = answer(&app.state, &ana, &form, &turns).await.unwrap();
        let action = booked.action.expect("the booking it would make");
        assert!(action.starts_with("Would book ") && action.ends_with("nothing is booked here."), "{action}");
        let after = (count("clients").await, count("messages").await, count("bookings").await);
        assert_eq!(before, after, "{backend:?}: the playground writes nothing");

        // The newest turn must be the lead's, and not empty.
        let refused = |result: Result<_, crm::shared::AppError>| match result {
            Err(crm::shared::AppError::Validation(fields)) => fields.get("message").cloned(),
            other => panic!("{other:?}"),
        };
        turns.push(PlaygroundTurn { lead: false, text: "An answer".into() });
        assert_eq!(refused(answer(&app.state, &ana, &form, &turns).await).unwrap(), "Write a message as the lead.");
        let blank = [PlaygroundTurn { lead: true, text: "  ".into() }];
        assert_eq!(refused(answer(&app.state, &ana, &form, &blank).await).unwrap(), "Write a message as the lead.");
        app.cleanup().await;
    }
}

// A booking reminder in the conversation answers nothing: resuming the AI still answers the lead's
// last word, and the reminder schedules no follow-up.
#[tokio::test]
async fn a_booking_reminder_is_no_answer_to_the_lead() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (ana, client_id) = set_up(&app).await;
        common::persona::sql(&app, "UPDATE strategies SET followup_minutes = '60'").await;
        let answer =
            NewMessage { client_id, author: Author::Agent(&ana), body: "Ana here!", private: false, channel: "web" };
        chat::record(&app.state, answer).await.unwrap();
        lead_says(&app, client_id, "Can we talk tomorrow?").await;
        assert_eq!(run_jobs(&app).await, 0, "{backend:?}: the AI sleeps after Ana's answer");

        let txn = crm::server::db::begin_write(&app.db.conn).await.unwrap();
        let notice = NewMessage {
            client_id,
            author: Author::Ai,
            body: "Reminder: your call is tomorrow.",
            private: false,
            channel: "web",
        };
        let recorded = chat::write_once(&txn, notice, "booking-reminder:test").await.unwrap().unwrap();
        txn.commit().await.unwrap();
        chat::announce(&app.state, &recorded, Author::Ai).await;
        assert_eq!(run_jobs(&app).await, 0, "{backend:?}");
        if backend == common::Backend::Sqlite {
            assert!(waiting_followup(&app).await.is_none(), "a reminder asks nothing: no follow-up");
        }

        reply::resume(&app.state, &ana, client_id).await.unwrap();
        assert_eq!(run_jobs(&app).await, 1, "{backend:?}: the lead's last word is answered");
        let sent = ai_messages(&app, client_id).await;
        assert_eq!(sent.len(), 2, "{backend:?}: the reminder and the answer");
        app.cleanup().await;
    }
}

// Two people (or two tabs) press "Send as is" on the same booking draft at once: the lead gets the
// answer once, one booking is made, and the second press is told the draft is gone.
#[tokio::test]
async fn a_draft_sent_twice_at_once_is_sent_and_booked_once() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (ana, client_id) = set_up(&app).await;
        chat::set_ai_mode(&app.state, &ana, client_id, "suggest").await.unwrap();
        for said in ["Hello?", "We are 12 people"] {
            lead_says(&app, client_id, said).await;
            run_jobs(&app).await;
            reply::send_draft(&app.state, &ana, client_id).await.unwrap();
        }
        let chose = lead_says(&app, client_id, "The first one, please").await;
        run_jobs(&app).await;
        let draft = conversation(&app, client_id).await.ai_draft.expect("a draft that books");
        assert!(draft.starts_with("You're booked for "), "{backend:?}: {draft}");

        let (one, two) = tokio::join!(
            reply::send_draft(&app.state, &ana, client_id),
            reply::send_draft(&app.state, &ana, client_id)
        );
        let results = [one, two];
        assert_eq!(results.iter().filter(|result| result.is_ok()).count(), 1, "{backend:?}: {results:?}");
        assert!(
            results.iter().any(|result| matches!(result, Err(crm::shared::AppError::Conflict(_)))),
            "{backend:?}: {results:?}"
        );
        assert_eq!(replies_to(&app, chose.message.id).await, 1, "{backend:?}");
        assert_eq!(bookings_of(&app, client_id).await, 1, "{backend:?}");
        app.cleanup().await;
    }
}

// A follow-up that runs while the lead writes: the nudge is sent before the lead's message or not
// at all, never after it (the follow-up re-checks under the chat lock that the AI had the last word).
#[tokio::test]
async fn a_follow_up_racing_the_leads_message_never_lands_after_it() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let (_, client_id) = set_up(&app).await;
        common::persona::sql(&app, "UPDATE strategies SET followup_minutes = '60', ai_message_cap = 100").await;
        let later = chat::now() + chrono::Duration::minutes(61);
        let mut sent = 0;
        for round in 0..6 {
            lead_says(&app, client_id, &format!("Question {round}?")).await;
            run_jobs(&app).await;
            let due = pending(&app, client_id).await;
            let answer = format!("Answer {round}");
            let (nudge, lead) = tokio::join!(
                followup::follow_up(&app.state, &due, &OfflineResponder, later),
                lead_says(&app, client_id, &answer)
            );
            let nudge = nudge.unwrap();
            let after_the_lead = messages::Entity::find()
                .filter(messages::Column::ClientId.eq(client_id))
                .filter(messages::Column::Id.gt(lead.message.id))
                .filter(messages::Column::Role.eq("ai"))
                .count(&app.db.conn)
                .await
                .unwrap();
            assert_eq!(after_the_lead, 0, "{backend:?} round {round}: {nudge:?}");
            if matches!(nudge, followup::Outcome::Sent(_)) {
                sent += 1;
            }
            // The lead's message is answered before the next round.
            run_jobs(&app).await;
        }
        eprintln!("{backend:?}: {sent} of 6 nudges were sent before the lead's message");
        app.cleanup().await;
    }
}
