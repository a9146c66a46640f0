//! The public chat's rules: who the lead is (their token), what they see (their conversation from
//! the message their token started with, never a private note), and how often an address or a
//! conversation may write. Messages go through the one writer, [`crate::chat::service::write`].
use std::net::IpAddr;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use sha2::{Digest, Sha256};

use super::model::{LeadThread, PublicChat, StartTalkForm};
use crate::{
    bookings::{
        account::random_token,
        model::Guest,
        public::{
            clients::{Origin, learn_zone, match_or_create, strategy_for},
            service::owner_by_slug,
        },
    },
    chat::{
        conversation_entity as conversations, entity as messages,
        model::ThreadMessage,
        service::{self as chat, Audience, Author, NewMessage},
        token_entity as tokens,
    },
    clients::entity as clients,
    server::{local_time, state::AppState},
    shared::AppError,
    users::entity as users,
};

/// A lead who starts a chat.
pub const PUBLIC_CHAT: Origin = Origin { status: "lead", source: "public chat" };
/// Messages the lead's page shows (the newest).
pub const SHOWN_MESSAGES: u64 = 100;
const WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);
/// Messages one conversation takes from its lead per minute, whatever the address.
pub const LEAD_MESSAGES_PER_MINUTE: u32 = 12;

/// The cookie that holds a lead's token for the chat of `slug`.
pub fn cookie_name(slug: &str) -> String {
    format!("crm_talk_{slug}")
}

fn hash(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// What a public call does, for its rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// Reading the page or opening its stream.
    Read,
    /// Starting a conversation (may create a client).
    Start,
    /// A lead's message in their conversation.
    Message,
}

/// Counts one public call of `client_ip`; refuses it with the wait once the address used its
/// budget for 15 minutes: `CRM_BOOKING_ATTEMPTS_PER_IP` starts (the booking page's budget for
/// writes), ten times as many messages, a hundred times as many reads.
pub async fn limit(state: &AppState, client_ip: Option<IpAddr>, call: Call) -> Result<(), AppError> {
    let address = crate::users::auth::address_key(client_ip);
    let budget = state.config.booking_attempts_per_ip;
    let (key, limit) = match call {
        Call::Read => (format!("talk:read:{address}"), budget.saturating_mul(100)),
        Call::Start => (format!("talk:start:{address}"), budget),
        Call::Message => (format!("talk:message:{address}"), budget.saturating_mul(10)),
    };
    hit(state, &key, limit, WINDOW).await
}

async fn hit(state: &AppState, key: &str, limit: u32, window: std::time::Duration) -> Result<(), AppError> {
    let decision = state.infra.rate_limiter.hit(key, limit, window).await?;
    if decision.allowed {
        Ok(())
    } else {
        Err(AppError::RateLimited { retry_after_secs: decision.retry_after.as_secs().max(1) })
    }
}

/// A lead, as their token stands for them on one owner's page.
#[derive(Debug, Clone)]
pub struct Lead {
    pub client: clients::Model,
    pub conversation_id: Option<i64>,
    pub visible_from: i64,
}

impl Lead {
    /// What their live stream carries.
    pub fn audience(&self) -> Option<Audience> {
        Some(Audience::Lead { conversation_id: self.conversation_id?, visible_from: self.visible_from })
    }
}

/// The lead `token` stands for among `owner`'s clients; `None` for a missing, unknown or other
/// owner's token.
pub async fn lead<C: ConnectionTrait>(
    db: &C,
    owner: &users::Model,
    token: Option<&str>,
) -> Result<Option<Lead>, AppError> {
    let Some(token) = token.filter(|token| token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit())) else {
        return Ok(None);
    };
    let Some(row) = tokens::Entity::find().filter(tokens::Column::TokenHash.eq(hash(token))).one(db).await? else {
        return Ok(None);
    };
    let Some(client) = clients::Entity::find_by_id(row.client_id).one(db).await? else { return Ok(None) };
    if client.owner_id != owner.id {
        return Ok(None);
    }
    let conversation_id = conversations::Entity::find()
        .select_only()
        .column(conversations::Column::Id)
        .filter(conversations::Column::ClientId.eq(client.id))
        .into_tuple::<i64>()
        .one(db)
        .await?;
    Ok(Some(Lead { client, conversation_id, visible_from: row.visible_from_message_id }))
}

/// The owner's time zone, in which the page shows times before the lead is known.
pub fn owner_zone(owner: &users::Model) -> chrono_tz::Tz {
    local_time::zone(&owner.timezone)
}

/// The time zone the lead's page shows times in: the lead's own (their browser's, when they
/// started the chat with JavaScript), else the owner's.
pub fn lead_zone(owner: &users::Model, client: &clients::Model) -> chrono_tz::Tz {
    client.timezone.as_deref().and_then(|name| name.parse().ok()).unwrap_or_else(|| owner_zone(owner))
}

/// `/talk/{slug}` for the holder of `token`.
pub async fn page(state: &AppState, slug: &str, token: Option<&str>) -> Result<PublicChat, AppError> {
    let db = &state.db;
    let owner = owner_by_slug(db, slug).await.map_err(|_| AppError::NotFound("This chat".to_owned()))?;
    let mut zone = owner_zone(&owner);
    let lead = match lead(db, &owner, token).await? {
        None => None,
        Some(lead) => {
            zone = lead_zone(&owner, &lead.client);
            let mut shown = match lead.conversation_id {
                None => Vec::new(),
                Some(conversation_id) => {
                    messages::Entity::find()
                        .filter(messages::Column::ConversationId.eq(conversation_id))
                        .filter(messages::Column::Id.gte(lead.visible_from))
                        .filter(messages::Column::Private.eq(false))
                        .order_by_desc(messages::Column::CreatedAt)
                        .order_by_desc(messages::Column::Id)
                        .limit(SHOWN_MESSAGES)
                        .all(db)
                        .await?
                }
            };
            shown.reverse();
            let names = chat::author_names(state, &shown).await?;
            let messages = shown
                .iter()
                .map(|message| {
                    let author = message.author_id.and_then(|id| names.get(&id).cloned());
                    chat::thread_message(message, author, zone)
                })
                .collect();
            Some(LeadThread { name: lead.client.name, messages })
        }
    };
    let open = strategy_for(db, &owner).await?.is_some();
    Ok(PublicChat {
        slug: owner.booking_slug.clone().unwrap_or_default(),
        owner_name: owner.name,
        zone: zone.name().to_owned(),
        open,
        lead,
    })
}

/// Starts a conversation on `slug`'s page: the lead becomes (or is matched to) a client of the
/// owner, their first message is written and a new token is stored, in one transaction. Answers
/// the token for the lead's cookie.
pub async fn start(state: &AppState, slug: &str, form: &StartTalkForm) -> Result<String, AppError> {
    let (identity, body) = form.validate().map_err(AppError::Validation)?;
    let txn = crate::server::db::begin_write(&state.db).await?;
    let owner = owner_by_slug(&txn, slug).await.map_err(|_| AppError::NotFound("This chat".to_owned()))?;
    let guest = Guest { name: identity.name, email: identity.email, phone: identity.phone };
    let client_id = match_or_create(&txn, &owner, &guest, PUBLIC_CHAT)
        .await?
        .ok_or_else(|| AppError::Refused("This chat is not open yet.".to_owned()))?;
    // The lead's own time zone, for the times the persona offers, unless the client has one.
    if let Ok(zone) = form.timezone.trim().parse::<chrono_tz::Tz>() {
        learn_zone(&txn, client_id, zone).await?;
    }
    let message = NewMessage { client_id, author: Author::Lead, body: &body, private: false, channel: "web" };
    let recorded = chat::write(&txn, message).await?;
    let token = random_token();
    tokens::Entity::insert(tokens::ActiveModel {
        client_id: Set(client_id),
        token_hash: Set(hash(&token)),
        visible_from_message_id: Set(recorded.message.id),
        created_at: Set(chat::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    txn.commit().await?;
    chat::announce(state, &recorded, Author::Lead).await;
    Ok(token)
}

/// A message from the holder of `token` on `slug`'s page, as their page shows it.
pub async fn send(state: &AppState, slug: &str, token: Option<&str>, body: &str) -> Result<ThreadMessage, AppError> {
    let owner = owner_by_slug(&state.db, slug).await.map_err(|_| AppError::NotFound("This chat".to_owned()))?;
    let lead = lead(&state.db, &owner, token)
        .await?
        .ok_or_else(|| AppError::Refused("This chat has ended on this browser: start it again.".to_owned()))?;
    hit(
        state,
        &format!("talk:conversation:{}", lead.client.id),
        LEAD_MESSAGES_PER_MINUTE,
        std::time::Duration::from_secs(60),
    )
    .await?;
    let recorded = chat::record(
        state,
        NewMessage { client_id: lead.client.id, author: Author::Lead, body, private: false, channel: "web" },
    )
    .await?;
    Ok(chat::thread_message(&recorded.message, None, lead_zone(&owner, &lead.client)))
}
