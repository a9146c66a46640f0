//! The AI persona's test fixtures: Ana with bookings open and a strategy, a lead whose
//! conversation's AI answers on its own, and the reply queue run in place.
use crm::{
    ai::reply::Payload,
    chat::{
        entity as messages,
        service::{self as chat, Author, NewMessage, Recorded},
    },
    clients::entity as clients,
    server::worker::{self, Shutdown},
    users::{entity as users, model::CurrentUser},
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Statement};

use super::{
    accounts::{account, strategy},
    app::TestApp,
};

pub async fn sql(app: &TestApp, statement: &str) {
    let db = &app.db.conn;
    db.execute_raw(Statement::from_string(db.get_database_backend(), statement)).await.unwrap();
}

/// Ana, with bookings open, a strategy that asks for the team size, and a lead whose
/// conversation's AI answers on its own. Answers Ana and the lead's client id.
pub async fn set_up(app: &TestApp) -> (CurrentUser, i64) {
    let (ana, client_id, _) = set_up_lead(app).await;
    (ana, client_id)
}

/// The lead's side of the public chat: Ana's slug and the lead's token.
pub struct LeadSide {
    pub slug: String,
    pub token: String,
}

impl LeadSide {
    /// Everything the lead's page shows, as text.
    pub async fn page(&self, app: &TestApp) -> String {
        let page = crm::chat::public::service::page(&app.state, &self.slug, Some(&self.token)).await.unwrap();
        format!("{page:?}")
    }
}

/// [`set_up`], with the lead's side of the public chat.
pub async fn set_up_lead(app: &TestApp) -> (CurrentUser, i64, LeadSide) {
    let ana = account(app, "Ana Owner", "ana@example.com").await;
    let strategy_id = strategy(app, ana.id, "Friendly closer").await;
    sql(app, &format!("UPDATE strategies SET qualification_priority = 'Team size' WHERE id = {strategy_id}")).await;
    sql(
        app,
        &format!("UPDATE users SET booking_enabled = TRUE, default_strategy_id = {strategy_id} WHERE id = {}", ana.id),
    )
    .await;
    let slug = users::Entity::find_by_id(ana.id).one(&app.db.conn).await.unwrap().unwrap().booking_slug.unwrap();
    let form = crm::chat::public::model::StartTalkForm {
        name: "Sam Rivera".into(),
        email: "sam@example.com".into(),
        phone: String::new(),
        body: "Hi, I saw your ad".into(),
        timezone: String::new(),
    };
    let token = crm::chat::public::service::start(&app.state, &slug, &form).await.unwrap();
    let client = clients::Entity::find().filter(clients::Column::Email.eq("sam@example.com")).one(&app.db.conn);
    let client_id = client.await.unwrap().unwrap().id;
    chat::set_ai_mode(&app.state, &ana, client_id, "auto").await.unwrap();
    (ana, client_id, LeadSide { slug, token })
}

pub async fn lead_says(app: &TestApp, client_id: i64, body: &str) -> Recorded {
    chat::record(&app.state, NewMessage { client_id, author: Author::Lead, body, private: false, channel: "web" })
        .await
        .unwrap()
}

pub async fn run_jobs(app: &TestApp) -> usize {
    let handlers = crm::domains::queue_handlers();
    let mut ran = 0;
    while worker::run_once(&app.state, &handlers, &Shutdown::manual()).await {
        ran += 1;
    }
    ran
}

pub async fn ai_messages(app: &TestApp, client_id: i64) -> Vec<messages::Model> {
    messages::Entity::find()
        .filter(messages::Column::ClientId.eq(client_id))
        .filter(messages::Column::Role.eq("ai"))
        .order_by_asc(messages::Column::Id)
        .all(&app.db.conn)
        .await
        .unwrap()
}

/// The messages that answer the message `message_id`.
pub async fn replies_to(app: &TestApp, message_id: i64) -> u64 {
    messages::Entity::find()
        .filter(messages::Column::ReplyToMessageId.eq(message_id))
        .count(&app.db.conn)
        .await
        .unwrap()
}

/// Bookings of the client, whatever their state.
pub async fn bookings_of(app: &TestApp, client_id: i64) -> u64 {
    crm::bookings::entity::Entity::find()
        .filter(crm::bookings::entity::Column::ClientId.eq(client_id))
        .count(&app.db.conn)
        .await
        .unwrap()
}

pub fn payload(recorded: &Recorded) -> Payload {
    Payload {
        conversation_id: recorded.conversation.id,
        message_id: recorded.message.id,
        version: recorded.conversation.version,
    }
}
