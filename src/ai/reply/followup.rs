//! Follow-ups of a quiet lead. When a message of the AI (an answer or a follow-up) is the last word
//! of a conversation in "AI answers" mode, one job waits, keyed by conversation, for the strategy's
//! next wait. When it runs it checks that nothing happened since: the message is still the last one
//! (the lead, a person or the app wrote nothing, not even a private note), no person changed the
//! conversation (its version), the AI is not paused, the conversation is open, the lead has no
//! upcoming booking and is not won or lost, the strategy still asks for this follow-up and the AI's
//! message cap is not reached. Then it asks the responder for a nudge and stores it with the same
//! checks under the chat lock, so it is written once: a second run finds its own follow-up as the
//! last word. The stored follow-up schedules the next one the same way.
//!
//! Nobody is nudged at night: a follow-up due outside [`WAKING_HOURS`] in the lead's time zone (the
//! one the public chat or booking page learnt, else the owner's) waits until the morning.
use std::time::Duration;

use chrono::{DateTime, Days, TimeZone as _, Timelike as _, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use super::{ai_messages_in, load_context};
use crate::{
    ai::responder::{self, FollowUp, Responder},
    bookings::entity as bookings,
    chat::{
        conversation_entity as conversations, entity as messages,
        model::{AiMode, ConversationState},
        service::{self as chat, Author, NewMessage},
    },
    clients::entity as clients,
    server::{
        infra::Job,
        state::AppState,
        worker::{JobOutcome, QueueHandler, Shutdown},
    },
    shared::AppError,
    strategies::{entity as strategies, service::fields_of},
};

pub const QUEUE: &str = "ai-followup";
const LEASE: Duration = Duration::from_secs(120);
const CONCURRENCY: usize = 4;
/// Stages after which nobody is nudged: the lead has a time, or the deal is decided.
const SETTLED_STAGES: [&str; 3] = ["booked", "won", "lost"];

/// The local hours, from and until, in which a follow-up may reach a lead.
pub const WAKING_HOURS: (u32, u32) = (9, 21);

/// `due`, or the next start of [`WAKING_HOURS`] in `zone` when `due` falls outside them.
pub fn in_waking_hours(due: DateTime<Utc>, zone: Tz) -> DateTime<Utc> {
    let (from, until) = WAKING_HOURS;
    let local = due.with_timezone(&zone);
    if (from..until).contains(&local.hour()) {
        return due;
    }
    let day = if local.hour() >= until { local.date_naive() + Days::new(1) } else { local.date_naive() };
    let morning = day.and_hms_opt(from, 0, 0).unwrap_or_default();
    // A clock change at that hour: the first instant that exists after it.
    (0..3)
        .find_map(|skip| zone.from_local_datetime(&(morning + chrono::Duration::hours(skip))).earliest())
        .map_or(due, |at| at.with_timezone(&Utc))
}

/// What a follow-up job carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Payload {
    pub conversation_id: i64,
    /// The AI's message the lead left unanswered.
    pub after_message_id: i64,
    /// The conversation's version with that message.
    pub version: i64,
    /// 1 for the first follow-up.
    pub number: u32,
}

fn queue_key(conversation_id: i64) -> String {
    format!("conversation:{conversation_id}")
}

/// What became of a follow-up job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The follow-up was stored (as this message).
    Sent(i64),
    /// Someone wrote or acted since, the mode changed or the AI is paused.
    Superseded,
    /// The lead has a time or is decided, the strategy no longer asks for this follow-up, or the
    /// AI's cap is reached.
    NotNeeded,
    /// The responder failed; no follow-up this time.
    Failed(String),
}

/// After the AI's public message in a conversation it answers on its own: schedules the next
/// follow-up, if the strategy asks for one more.
pub async fn on_message(state: &AppState, message: &messages::Model, conversation: &conversations::Model) {
    // A booking reminder (a notice with a key) asks nothing of the lead.
    if message.role != "ai"
        || message.private
        || message.idempotency_key.is_some()
        || AiMode::parse(&conversation.ai_mode) != Some(AiMode::Auto)
    {
        return;
    }
    let planned = match next(state, message, conversation).await {
        Ok(planned) => planned,
        Err(error) => {
            tracing::warn!(%error, conversation = conversation.id, "could not plan a follow-up");
            return;
        }
    };
    let Some((payload, wait)) = planned else { return };
    let Ok(payload) = serde_json::to_string(&payload) else { return };
    if let Err(error) = state.infra.jobs.schedule(QUEUE, &queue_key(conversation.id), &payload, wait).await {
        tracing::warn!(%error, conversation = conversation.id, "could not schedule a follow-up");
    }
}

/// The follow-up after `message` and its wait, when the strategy asks for it.
async fn next(
    state: &AppState,
    message: &messages::Model,
    conversation: &conversations::Model,
) -> Result<Option<(Payload, Duration)>, AppError> {
    let (waits, zone) = strategy_waits(state, conversation.client_id).await?;
    let number = ai_messages_since_the_lead(state, conversation.id, message.id).await?;
    let Some(minutes) = usize::try_from(number).ok().and_then(|n| n.checked_sub(1)).and_then(|n| waits.get(n)) else {
        return Ok(None);
    };
    let now = chat::now();
    let due = in_waking_hours(now + chrono::Duration::minutes(i64::from(*minutes)), zone);
    let payload = Payload {
        conversation_id: conversation.id,
        after_message_id: message.id,
        version: conversation.version,
        number: u32::try_from(number).unwrap_or(u32::MAX),
    };
    Ok(Some((payload, (due - now).to_std().unwrap_or(Duration::ZERO))))
}

/// The waits of the client's strategy, and the lead's time zone.
async fn strategy_waits(state: &AppState, client_id: i64) -> Result<(Vec<u32>, Tz), AppError> {
    let Some(client) = clients::Entity::find_by_id(client_id).one(&state.db).await? else {
        return Ok((Vec::new(), chrono_tz::UTC));
    };
    let owner = crate::users::entity::Entity::find_by_id(client.owner_id).one(&state.db).await?;
    let zone = owner.map_or(chrono_tz::UTC, |owner| crate::chat::public::service::lead_zone(&owner, &client));
    let strategy = strategies::Entity::find_by_id(client.strategy_id).one(&state.db).await?;
    Ok((strategy.map(|strategy| fields_of(&strategy).followup_minutes).unwrap_or_default(), zone))
}

/// The AI's public messages up to `up_to` since the lead or a person last wrote publicly: 1 after
/// an answer, 2 after its first follow-up, …
async fn ai_messages_since_the_lead(state: &AppState, conversation_id: i64, up_to: i64) -> Result<u64, AppError> {
    let public = || {
        messages::Entity::find()
            .filter(messages::Column::ConversationId.eq(conversation_id))
            .filter(messages::Column::Private.eq(false))
            .filter(messages::Column::Id.lte(up_to))
    };
    let last_human: Option<i64> = public()
        .filter(messages::Column::Role.is_in(["client", "agent"]))
        .select_only()
        .column(messages::Column::Id)
        .order_by_desc(messages::Column::Id)
        .into_tuple()
        .one(&state.db)
        .await?;
    Ok(public()
        .filter(messages::Column::Role.eq("ai"))
        .filter(messages::Column::IdempotencyKey.is_null())
        .filter(messages::Column::Id.gt(last_human.unwrap_or(0)))
        .count(&state.db)
        .await?)
}

pub fn queue_handler() -> QueueHandler {
    QueueHandler {
        queue: QUEUE,
        lease: LEASE,
        concurrency: CONCURRENCY,
        handler: std::sync::Arc::new(|state: AppState, job: Job, _shutdown: Shutdown| {
            Box::pin(async move {
                let Ok(payload) = serde_json::from_str::<Payload>(&job.payload) else {
                    tracing::warn!("dropping a follow-up job that does not parse");
                    return Ok(JobOutcome::Done);
                };
                let responder = responder::configured(&state.config);
                follow_up(&state, &payload, responder.as_ref(), chat::now())
                    .await
                    .map(|_| JobOutcome::Done)
                    .map_err(|error| error.to_string())
            })
        }),
    }
}

/// The lead has left the AI's message unanswered since the job was scheduled.
fn still_quiet(conversation: &conversations::Model, payload: &Payload, now: DateTime<Utc>) -> bool {
    conversation.last_message_id == Some(payload.after_message_id)
        && conversation.version == payload.version
        && AiMode::parse(&conversation.ai_mode) == Some(AiMode::Auto)
        && ConversationState::parse(&conversation.state) == Some(ConversationState::Open)
        && !chat::ai_paused(conversation, now)
}

/// One follow-up job at `now` with `responder`. `Err` (the database failed) asks the queue to try
/// again; a failed responder does not (the next follow-up is not scheduled either).
pub async fn follow_up(
    state: &AppState,
    payload: &Payload,
    responder: &dyn Responder,
    now: DateTime<Utc>,
) -> Result<Outcome, AppError> {
    let Some(conversation) = conversations::Entity::find_by_id(payload.conversation_id).one(&state.db).await? else {
        return Ok(Outcome::Superseded);
    };
    if !still_quiet(&conversation, payload, now) {
        return Ok(Outcome::Superseded);
    }
    let context = load_context(state, &conversation, now).await?;
    let strategy = &context.request.strategy;
    let waits = &strategy.followup_minutes;
    let Some(&quiet_minutes) = usize::try_from(payload.number).ok().and_then(|n| waits.get(n.wrapping_sub(1))) else {
        return Ok(Outcome::NotNeeded);
    };
    if SETTLED_STAGES.contains(&context.client.status.as_str())
        || has_upcoming_booking(state, context.client.id, now).await?
        || ai_messages_in(&state.db, conversation.id).await? >= u64::from(strategy.ai_message_cap)
    {
        return Ok(Outcome::NotNeeded);
    }
    let of = u32::try_from(waits.len()).unwrap_or(u32::MAX);
    let mut request = context.request.clone();
    request.followup = Some(FollowUp { number: payload.number, of, quiet_minutes });
    let text = match responder.reply(&request).await {
        Ok(reply) => super::checked(reply, &request).text,
        Err(error) => {
            let reason = error.to_string();
            tracing::warn!(conversation = conversation.id, %reason, "an AI follow-up failed");
            return Ok(Outcome::Failed(reason));
        }
    };
    store(state, &conversation, payload, &text, now).await
}

async fn has_upcoming_booking(state: &AppState, client_id: i64, now: DateTime<Utc>) -> Result<bool, AppError> {
    Ok(bookings::Entity::find()
        .filter(bookings::Column::ClientId.eq(client_id))
        .filter(bookings::Column::Status.eq("confirmed"))
        .filter(bookings::Column::EndsAt.gt(now))
        .count(&state.db)
        .await?
        > 0)
}

/// Writes the follow-up, under the chat lock, if the lead is still quiet.
async fn store(
    state: &AppState,
    conversation: &conversations::Model,
    payload: &Payload,
    text: &str,
    now: DateTime<Utc>,
) -> Result<Outcome, AppError> {
    let txn = crate::server::db::begin_write(&state.db).await?;
    chat::commit_in_id_order(&txn).await?;
    let mut current = conversations::Entity::find_by_id(conversation.id);
    if state.db.get_database_backend() == DatabaseBackend::Postgres {
        current = current.lock_exclusive();
    }
    let quiet = current.one(&txn).await?.is_some_and(|current| still_quiet(&current, payload, now));
    if !quiet {
        return Ok(Outcome::Superseded);
    }
    let new = NewMessage {
        client_id: conversation.client_id,
        author: Author::Ai,
        body: text,
        private: false,
        channel: "web",
    };
    let recorded = chat::write(&txn, new).await?;
    txn.commit().await?;
    chat::announce(state, &recorded, Author::Ai).await;
    Ok(Outcome::Sent(recorded.message.id))
}
