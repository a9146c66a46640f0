//! The reply pipeline. A lead's message in a conversation whose AI mode is `auto` schedules one job
//! on the durable queue, keyed by conversation, after the strategy's random delay (the queue's
//! delay, not a sleep): several quick messages move the waiting job instead of adding replies.
//!
//! The job builds the request (the strategy, the system prompt the editor previews, the last
//! non-private messages, the owner's real free slots), asks the responder, checks the reply's
//! action on the server, and stores the reply in one transaction, only if the conversation's
//! version is still the one the lead's message left (a person's message, a takeover or a mode
//! change raises it, and the reply is then dropped) and only once per lead message (a unique
//! index on `reply_to_message_id`, for a job delivered twice).
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng as _;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

use super::responder::{self, Appointment, OfferedSlot, Reply, ReplyAction, ReplyRequest, Responder, Speaker, Turn};
use crate::{
    audit::{self, Action, Changes},
    bookings::{
        availability::service::free_slots,
        model::NewBooking,
        service::{book_offered_slot, check_open},
        types::entity as booking_types,
    },
    chat::{
        conversation_entity as conversations, entity as messages,
        model::{AiMode, ChatEvent, ConversationState, MAX_MESSAGE_CHARS},
        service::{self as chat, Author, NewMessage},
    },
    clients::{entity as clients, model::STATUSES},
    server::{
        infra::Job,
        state::AppState,
        worker::{JobOutcome, QueueHandler, Shutdown},
    },
    shared::AppError,
    strategies::{
        entity as strategies,
        prompt::{LeadContext, system_prompt},
        service::fields_of,
    },
    users::{entity as users, model::CurrentUser},
};

mod decision;
pub mod followup;

pub const QUEUE: &str = "ai-reply";
/// A reply's longest run: the responder's timeout and the writes.
const LEASE: Duration = Duration::from_secs(120);
/// Replies one worker prepares at once: a slow endpoint holds up only this many.
const CONCURRENCY: usize = 8;
/// The messages the persona reads, newest last.
const HISTORY: u64 = 30;
/// How far ahead the persona offers times, and how many it is given to choose from.
const SLOT_DAYS: i64 = 14;
const MAX_SLOTS: usize = 40;

/// What a reply job carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Payload {
    pub conversation_id: i64,
    /// The lead message the reply answers (the newest when several came quickly).
    pub message_id: i64,
    /// The conversation's version after that message.
    pub version: i64,
}

fn queue_key(conversation_id: i64) -> String {
    format!("conversation:{conversation_id}")
}

/// Schedules the reply to a lead's message when the conversation's AI answers on its own. A job
/// already waiting for the conversation is moved to answer this message instead.
pub async fn on_message(state: &AppState, message: &messages::Model, conversation: &conversations::Model) {
    if message.role != "client" || message.private {
        return;
    }
    // "AI suggests" drafts for the person answering; "AI answers" sleeps while a person has taken over.
    match AiMode::parse(&conversation.ai_mode) {
        Some(AiMode::Suggest) => {}
        Some(AiMode::Auto) if !chat::ai_paused(conversation, message.created_at) => {}
        _ => return,
    }
    let delay = match reply_delay(state, message.client_id).await {
        Ok(delay) => delay,
        Err(error) => {
            tracing::warn!(%error, client = message.client_id, "could not read the strategy's reply delay");
            Duration::ZERO
        }
    };
    let payload = Payload { conversation_id: conversation.id, message_id: message.id, version: conversation.version };
    let Ok(payload) = serde_json::to_string(&payload) else { return };
    if let Err(error) = state.infra.jobs.schedule(QUEUE, &queue_key(conversation.id), &payload, delay).await {
        tracing::warn!(%error, conversation = conversation.id, "could not schedule an AI reply");
    }
}

/// A random pause within the client's strategy's reply delay.
async fn reply_delay(state: &AppState, client_id: i64) -> Result<Duration, AppError> {
    let strategy_id: Option<i64> = clients::Entity::find_by_id(client_id)
        .select_only()
        .column(clients::Column::StrategyId)
        .into_tuple()
        .one(&state.db)
        .await?;
    let Some(strategy_id) = strategy_id else { return Ok(Duration::ZERO) };
    let delays: Option<(i32, i32)> = strategies::Entity::find_by_id(strategy_id)
        .select_only()
        .column(strategies::Column::ReplyDelayMin)
        .column(strategies::Column::ReplyDelayMax)
        .into_tuple()
        .one(&state.db)
        .await?;
    let (min, max) = delays.unwrap_or((0, 0));
    let (min, max) = (min.max(0) as u64, max.max(0) as u64);
    let secs = if max > min { rand::rng().random_range(min..=max) } else { min };
    Ok(Duration::from_secs(secs))
}

pub fn queue_handler() -> QueueHandler {
    QueueHandler {
        queue: QUEUE,
        lease: LEASE,
        concurrency: CONCURRENCY,
        handler: std::sync::Arc::new(|state: AppState, job: Job, _shutdown: Shutdown| {
            Box::pin(async move {
                let Ok(payload) = serde_json::from_str::<Payload>(&job.payload) else {
                    tracing::warn!("dropping an AI reply job that does not parse");
                    return Ok(JobOutcome::Done);
                };
                let responder = responder::configured(&state.config);
                reply(&state, &payload, responder.as_ref())
                    .await
                    .map(|_| JobOutcome::Done)
                    .map_err(|error| error.to_string())
            })
        }),
    }
}

/// What became of a reply job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The reply was stored (as this message).
    Replied(i64),
    /// A person acted, the lead wrote again or the mode changed: no reply from this job.
    Superseded,
    /// The lead message has its reply already (the job ran before).
    AlreadyAnswered,
    /// "AI suggests": the reply waits as a draft for a person to send, edit or discard.
    Drafted,
    /// The AI has sent as many messages as its strategy allows: a person takes over.
    HandedOff(String),
    /// The responder failed (after its own retries): a note for the team says why, with a retry
    /// button, and the conversation waits for a person.
    Failed(String),
}

/// One reply job with `responder`, answering what happened. `Err` (the database failed) asks the
/// queue to try again; a responder that failed is not retried by the queue: the lead has waited
/// through the responder's own retries, and a person decides.
pub async fn reply(state: &AppState, payload: &Payload, responder: &dyn Responder) -> Result<Outcome, AppError> {
    let Some(conversation) = conversations::Entity::find_by_id(payload.conversation_id).one(&state.db).await? else {
        return Ok(Outcome::Superseded);
    };
    if !still_current(&conversation, payload) {
        return Ok(Outcome::Superseded);
    }
    if answered(&state.db, payload.message_id).await? {
        return Ok(Outcome::AlreadyAnswered);
    }
    let now = chat::now();
    let context = load_context(state, &conversation, now).await?;
    let suggests = AiMode::parse(&conversation.ai_mode) == Some(AiMode::Suggest);
    // A reply a run before this one chose and began to carry out (it died before storing it).
    let kept = if suggests { None } else { decision::kept(&state.db, payload.message_id, payload.version).await? };
    let cap = context.request.strategy.ai_message_cap;
    if kept.is_none() && !suggests && ai_messages_in(&state.db, conversation.id).await? >= u64::from(cap) {
        let reason = format!("The AI has sent {cap} messages in this conversation, its strategy's limit.");
        let note = format!("The AI handed this conversation to the team: {reason}");
        return leave_to_the_team(state, &conversation, &context, payload, &note, Outcome::HandedOff(reason)).await;
    }
    let reply = match kept {
        Some(reply) => reply,
        None => match responder.reply(&context.request).await {
            Ok(reply) => checked(reply, &context.request),
            Err(error) => {
                let reason = error.to_string();
                tracing::warn!(conversation = conversation.id, %reason, "an AI reply failed");
                let note = format!("AI reply failed: {reason}");
                let outcome = Outcome::Failed(reason);
                return leave_to_the_team(state, &conversation, &context, payload, &note, outcome).await;
            }
        },
    };
    if suggests {
        return store_draft(state, &conversation, payload, &context, reply).await;
    }
    let reply = if matches!(reply.action, ReplyAction::Book { .. } | ReplyAction::Move { .. }) {
        // The responder may have taken seconds: a person who acted meanwhile decides, and no
        // call is booked or moved for a reply that would be dropped.
        if !still_current(&reload(state, &conversation).await?, payload) {
            return Ok(Outcome::Superseded);
        }
        let reply = decision::keep(&state.db, payload.message_id, payload.version, reply).await?;
        match reply.action {
            ReplyAction::Book { starts_at } => book(state, &context, starts_at, now, reply).await?,
            ReplyAction::Move { starts_at } => move_appointment(state, &context, starts_at, now, reply).await?,
            _ => reply,
        }
    } else {
        reply
    };
    store(state, &conversation, payload, &context, reply).await
}

/// The AI's messages in a conversation, its booking reminders aside (notices with a key).
async fn ai_messages_in<C: ConnectionTrait>(db: &C, conversation_id: i64) -> Result<u64, AppError> {
    Ok(messages::Entity::find()
        .filter(messages::Column::ConversationId.eq(conversation_id))
        .filter(messages::Column::Role.eq("ai"))
        .filter(messages::Column::IdempotencyKey.is_null())
        .count(db)
        .await?)
}

async fn reload(state: &AppState, conversation: &conversations::Model) -> Result<conversations::Model, AppError> {
    conversations::Entity::find_by_id(conversation.id).one(&state.db).await?.ok_or(AppError::Internal)
}

fn still_current(conversation: &conversations::Model, payload: &Payload) -> bool {
    conversation.version == payload.version
        && matches!(AiMode::parse(&conversation.ai_mode), Some(AiMode::Auto | AiMode::Suggest))
}

async fn answered<C: ConnectionTrait>(db: &C, message_id: i64) -> Result<bool, AppError> {
    Ok(messages::Entity::find().filter(messages::Column::ReplyToMessageId.eq(message_id)).count(db).await? > 0)
}

/// What the reply is built from.
struct Context {
    client: clients::Model,
    /// The lead's time zone, in which the slots are labelled.
    zone: chrono_tz::Tz,
    owner: users::Model,
    booking_type: Option<booking_types::Model>,
    /// The lead's next confirmed booking with the owner.
    appointment: Option<crate::bookings::entity::Model>,
    request: ReplyRequest,
}

async fn load_context(
    state: &AppState,
    conversation: &conversations::Model,
    now: DateTime<Utc>,
) -> Result<Context, AppError> {
    let db = &state.db;
    let client = clients::Entity::find_by_id(conversation.client_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("This client".to_owned()))?;
    let owner = users::Entity::find_by_id(client.owner_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("This user".to_owned()))?;
    let strategy = strategies::Entity::find_by_id(client.strategy_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("This strategy".to_owned()))?;
    let mut recent = messages::Entity::find()
        .filter(messages::Column::ConversationId.eq(conversation.id))
        .filter(messages::Column::Private.eq(false))
        .order_by_desc(messages::Column::Id)
        .limit(HISTORY)
        .all(db)
        .await?;
    recent.reverse();
    let history = recent
        .into_iter()
        .map(|message| Turn {
            speaker: match message.role.as_str() {
                "client" => Speaker::Lead,
                "ai" => Speaker::Ai,
                "agent" => Speaker::Agent,
                _ => Speaker::System,
            },
            text: message.body,
        })
        .collect();
    // Times as the lead reads them: in their own time zone when the chat learnt it.
    let zone = crate::chat::public::service::lead_zone(&owner, &client);
    let (booking_type, slots) = offered_slots(db, &owner, zone, now).await?;
    let appointment = next_appointment(db, &client, now).await?;
    let fields = fields_of(&strategy);
    let lead = LeadContext {
        name: client.name.clone(),
        company: client.company.clone().unwrap_or_default(),
        position: client.position.clone().unwrap_or_default(),
        can_book: booking_type.is_some(),
    };
    let request = ReplyRequest {
        system_prompt: system_prompt(&fields, &lead),
        strategy: fields,
        lead_name: client.name.clone(),
        history,
        slots,
        appointment: appointment
            .as_ref()
            .map(|booking| Appointment { starts_at: booking.starts_at, label: slot_label(booking.starts_at, zone) }),
        zone_label: now.with_timezone(&zone).format("%Z").to_string(),
        stages: STATUSES.iter().map(|(stage, _)| (*stage).to_owned()).collect(),
        followup: None,
    };
    Ok(Context { client, zone, owner, booking_type, appointment, request })
}

/// The client's next confirmed booking with their owner that has not started (bookings_client_idx).
async fn next_appointment<C: ConnectionTrait>(
    db: &C,
    client: &clients::Model,
    now: DateTime<Utc>,
) -> Result<Option<crate::bookings::entity::Model>, AppError> {
    use crate::bookings::entity as bookings;
    Ok(bookings::Entity::find()
        .filter(bookings::Column::ClientId.eq(client.id))
        .filter(bookings::Column::StartsAt.gt(now))
        .filter(bookings::Column::OwnerId.eq(client.owner_id))
        .filter(bookings::Column::Status.eq("confirmed"))
        .order_by_asc(bookings::Column::StartsAt)
        .order_by_asc(bookings::Column::Id)
        .one(db)
        .await?)
}

/// "Tue 8 Dec, 10:00" in `zone`: how the persona names a time.
fn slot_label(starts_at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    let local = starts_at.with_timezone(&zone);
    format!("{}, {}", local.format("%a %-d %b"), local.format("%H:%M"))
}

/// The owner's first active booking type (when bookings are open) and its free slots for the
/// next [`SLOT_DAYS`], labelled in `zone`: what the persona may offer and book.
pub(crate) async fn offered_slots<C: ConnectionTrait>(
    db: &C,
    owner: &users::Model,
    zone: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<(Option<booking_types::Model>, Vec<OfferedSlot>), AppError> {
    let booking_type = if check_open(owner).is_ok() {
        booking_types::Entity::find()
            .filter(booking_types::Column::OwnerId.eq(owner.id))
            .filter(booking_types::Column::Active.eq(true))
            .filter(booking_types::Column::DeletedAt.is_null())
            .order_by_asc(booking_types::Column::Name)
            .order_by_asc(booking_types::Column::Id)
            .one(db)
            .await?
    } else {
        None
    };
    let slots = match &booking_type {
        Some(booking_type) => {
            let range = (now, now + chrono::Duration::days(SLOT_DAYS));
            free_slots(db, owner, booking_type, range, zone, now).await?
        }
        None => Vec::new(),
    };
    let slots: Vec<OfferedSlot> = slots
        .into_iter()
        .take(MAX_SLOTS)
        .map(|slot| {
            use chrono::{Datelike as _, Timelike as _};
            let local = slot.starts_at.with_timezone(&zone);
            OfferedSlot {
                starts_at: slot.starts_at,
                label: slot_label(slot.starts_at, zone),
                weekday: local.weekday().num_days_from_monday(),
                hour: local.hour(),
                minute: local.minute(),
            }
        })
        .collect();
    Ok((booking_type, slots))
}

/// The reply with its action checked: a booking only of a slot offered now, a stage only from the
/// pipeline. A refused action becomes a hand-off, so a person looks at it. A text longer than a
/// message may be is cut.
pub(crate) fn checked(mut reply: Reply, request: &ReplyRequest) -> Reply {
    if reply.text.chars().count() > MAX_MESSAGE_CHARS {
        reply.text = reply.text.chars().take(MAX_MESSAGE_CHARS - 1).collect::<String>() + "…";
    }
    let refused = match &reply.action {
        ReplyAction::Book { starts_at } if !request.slots.iter().any(|slot| slot.starts_at == *starts_at) => {
            Some("The AI chose a time that is not free.")
        }
        ReplyAction::Move { .. } if request.appointment.is_none() => {
            Some("The AI asked to move an appointment the lead does not have.")
        }
        ReplyAction::Move { starts_at } if !request.slots.iter().any(|slot| slot.starts_at == *starts_at) => {
            Some("The AI chose a time that is not free.")
        }
        ReplyAction::SetStage { stage } if !request.stages.contains(stage) => Some("The AI chose an unknown stage."),
        _ => None,
    };
    match refused {
        Some(reason) => Reply { text: reply.text, action: ReplyAction::HandOff { reason: reason.to_owned() } },
        None => reply,
    }
}

/// Books the chosen slot for the client through the booking service (in its own transaction, with
/// its overlap rules). A time taken meanwhile turns the reply into an apology and a hand-off. A
/// booking this client already has at that time (the job ran before) is kept, not repeated.
async fn book(
    state: &AppState,
    context: &Context,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
    reply: Reply,
) -> Result<Reply, AppError> {
    use crate::bookings::entity as bookings;
    let Some(booking_type) = &context.booking_type else { return Ok(reply) };
    let existing = bookings::Entity::find()
        .filter(bookings::Column::ClientId.eq(context.client.id))
        .filter(bookings::Column::StartsAt.eq(starts_at))
        .filter(bookings::Column::Status.eq("confirmed"))
        .count(&state.db)
        .await?;
    if existing > 0 {
        return Ok(reply);
    }
    let input = NewBooking {
        owner_id: context.owner.id,
        booking_type_id: Some(booking_type.id),
        client_id: Some(context.client.id),
        starts_at,
        ends_at: None,
        timezone: context.zone.name().to_owned(),
        subject: format!("{} with {}", booking_type.name, context.client.name),
        location: String::new(),
        notes: "Booked by the AI persona in the chat.".to_owned(),
    };
    match book_offered_slot(state, None, input, now).await {
        Ok(_) => Ok(reply),
        Err(AppError::Conflict(_) | AppError::Validation(_) | AppError::Refused(_)) => Ok(Reply {
            text: "I'm sorry, that time was just taken. A colleague will find another time with you.".to_owned(),
            action: ReplyAction::HandOff { reason: "The chosen time was taken before it could be booked.".to_owned() },
        }),
        Err(error) => Err(error),
    }
}

/// Moves the lead's appointment to the chosen slot as the lead's own manage link would (only to a
/// time offered for its type, the owner taking bookings; both sides are told by e-mail). An
/// appointment there already (the job ran before) is kept. A time taken meanwhile, or an
/// appointment that cannot be moved this way, turns the reply into an apology and a hand-off.
async fn move_appointment(
    state: &AppState,
    context: &Context,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
    reply: Reply,
) -> Result<Reply, AppError> {
    let Some(appointment) = &context.appointment else { return Ok(reply) };
    if appointment.starts_at == starts_at {
        return Ok(reply);
    }
    let token = appointment.manage_token.clone().unwrap_or_default();
    match crate::bookings::public::service::reschedule(state, &token, starts_at, now).await {
        Ok(()) => Ok(reply),
        Err(AppError::Conflict(_) | AppError::Validation(_) | AppError::Refused(_) | AppError::NotFound(_)) => {
            Ok(Reply {
                text: "I'm sorry, I couldn't move your call to that time. A colleague will find another time with you."
                    .to_owned(),
                action: ReplyAction::HandOff {
                    reason: "The lead's appointment could not be moved to the time they chose.".to_owned(),
                },
            })
        }
        Err(error) => Err(error),
    }
}

/// Opens the transaction that writes what a job made of the conversation, with the conversation
/// as it is now, if it is still as the lead's message left it; `None` (nothing to write) when a
/// person acted meanwhile. Every message writer takes the chat lock first; with the row lock, a
/// person's message or takeover either committed before (the version shows it) or waits until
/// this transaction commits. `moves_the_client`: the transaction will change the client's stage,
/// which waits for a change of many clients first.
async fn lock_if_current(
    state: &AppState,
    conversation: &conversations::Model,
    payload: &Payload,
    moves_the_client: bool,
) -> Result<Option<(DatabaseTransaction, conversations::Model)>, AppError> {
    let txn = crate::server::db::begin_write(&state.db).await?;
    if moves_the_client {
        crate::clients::service::not_during_a_batch(&txn).await?;
    }
    chat::commit_in_id_order(&txn).await?;
    let mut current = conversations::Entity::find_by_id(conversation.id);
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        current = current.lock_exclusive();
    }
    Ok(current.one(&txn).await?.filter(|current| still_current(current, payload)).map(|current| (txn, current)))
}

/// Stores the reply and its action in one transaction, if the conversation is still as the lead's
/// message left it and the message has no reply yet.
async fn store(
    state: &AppState,
    conversation: &conversations::Model,
    payload: &Payload,
    context: &Context,
    reply: Reply,
) -> Result<Outcome, AppError> {
    let moves_the_client =
        matches!(reply.action, ReplyAction::SetStage { .. } | ReplyAction::Book { .. } | ReplyAction::Move { .. });
    let Some((txn, current)) = lock_if_current(state, conversation, payload, moves_the_client).await? else {
        return Ok(Outcome::Superseded);
    };
    if answered(&txn, payload.message_id).await? {
        return Ok(Outcome::AlreadyAnswered);
    }
    let new = NewMessage {
        client_id: context.client.id,
        author: Author::Ai,
        body: &reply.text,
        private: false,
        channel: "web",
    };
    let recorded = chat::write_reply(&txn, new, Some(payload.message_id)).await?;
    decision::forget(&txn, payload.message_id).await?;
    let mut handed_off = None::<(chat::Recorded, &str)>;
    match &reply.action {
        ReplyAction::Continue => {}
        ReplyAction::SetStage { stage } => {
            crate::clients::service::set_status_in(&txn, None, &context.client, stage).await?;
        }
        ReplyAction::Book { .. } | ReplyAction::Move { .. } => {
            if !matches!(context.client.status.as_str(), "booked" | "won") {
                crate::clients::service::set_status_in(&txn, None, &context.client, "booked").await?;
            }
        }
        ReplyAction::HandOff { reason } => {
            mark_waiting(&txn, &current, reason, true).await?;
            let note = format!("The AI handed this conversation to the team: {reason}");
            handed_off = Some((chat::write_team_note(&txn, context.client.id, &note, None).await?, reason));
        }
    }
    txn.commit().await?;
    chat::announce(state, &recorded, Author::Ai).await;
    if let Some((note, reason)) = handed_off {
        chat::announce(state, &note, Author::System).await;
        announce_waiting(state, &current).await;
        tell_the_owner(state, &current, &note, (&context.client.name, reason), false).await;
    }
    Ok(Outcome::Replied(recorded.message.id))
}

/// What sending a draft as is does, for the person deciding.
fn action_label(action: &ReplyAction, request: &ReplyRequest) -> Option<String> {
    match action {
        ReplyAction::Continue => None,
        ReplyAction::Book { starts_at } => {
            let slot = request.slots.iter().find(|slot| slot.starts_at == *starts_at)?;
            Some(format!("Sending it books {} ({}).", slot.label, request.zone_label))
        }
        ReplyAction::Move { starts_at } => {
            let slot = request.slots.iter().find(|slot| slot.starts_at == *starts_at)?;
            let from = request.appointment.as_ref()?;
            Some(format!("Sending it moves the call on {} to {} ({}).", from.label, slot.label, request.zone_label))
        }
        ReplyAction::SetStage { stage } => {
            Some(format!("Sending it moves the client to “{}”.", crate::clients::model::status_label(stage)))
        }
        ReplyAction::HandOff { reason } => Some(format!("The AI would hand this conversation to you: {reason}")),
    }
}

/// "AI suggests": keeps the reply as the conversation's draft (replacing an older one), for a
/// person to send as is, edit or discard, if the conversation is still as the lead left it.
async fn store_draft(
    state: &AppState,
    conversation: &conversations::Model,
    payload: &Payload,
    context: &Context,
    reply: Reply,
) -> Result<Outcome, AppError> {
    let Some((txn, current)) = lock_if_current(state, conversation, payload, false).await? else {
        return Ok(Outcome::Superseded);
    };
    let action = serde_json::json!({
        "label": action_label(&reply.action, &context.request),
        "action": reply.action,
    })
    .to_string();
    chat::set_ai_draft(&txn, current.id, Some((&reply.text, &action, payload.message_id))).await?;
    txn.commit().await?;
    let drafted = conversations::Model {
        ai_draft: Some(reply.text),
        ai_draft_action: Some(action),
        ai_draft_reply_to: Some(payload.message_id),
        ..current
    };
    chat::publish(state, &chat::conversation_event(&drafted)).await;
    Ok(Outcome::Drafted)
}

/// The conversation with `client_id`, when `user` reaches that client (anything else is "not
/// found", so that it says nothing of others' clients).
async fn conversation_for(
    state: &AppState,
    user: &CurrentUser,
    client_id: i64,
) -> Result<conversations::Model, AppError> {
    let not_found = || AppError::NotFound("This conversation".to_owned());
    let client = crate::clients::service::find(&state.db, user, client_id).await.map_err(|_| not_found())?;
    conversations::Entity::find()
        .filter(conversations::Column::ClientId.eq(client.id))
        .one(&state.db)
        .await?
        .ok_or_else(not_found)
}

/// Sends the AI's draft as is, with its action (a booking is made then, if the time is still
/// free): a person pressed "Send" on the thread of `client_id`. Refused when there is no draft or
/// the lead wrote again since.
pub async fn send_draft(state: &AppState, user: &CurrentUser, client_id: i64) -> Result<(), AppError> {
    let conversation = conversation_for(state, user, client_id).await?;
    let gone =
        || AppError::Conflict("There is no draft to send any more: the lead or a person wrote since.".to_owned());
    let (Some(text), Some(reply_to)) = (conversation.ai_draft.clone(), conversation.ai_draft_reply_to) else {
        return Err(gone());
    };
    let action = conversation
        .ai_draft_action
        .as_deref()
        .and_then(|json| serde_json::from_str::<serde_json::Value>(json).ok())
        .and_then(|value| serde_json::from_value::<ReplyAction>(value.get("action")?.clone()).ok())
        .unwrap_or(ReplyAction::Continue);
    let payload = Payload { conversation_id: conversation.id, message_id: reply_to, version: conversation.version };
    let now = chat::now();
    let context = load_context(state, &conversation, now).await?;
    let reply = checked(Reply { text, action }, &context.request);
    let reply = match &reply.action {
        ReplyAction::Book { starts_at } => book(state, &context, *starts_at, now, reply.clone()).await?,
        ReplyAction::Move { starts_at } => move_appointment(state, &context, *starts_at, now, reply.clone()).await?,
        _ => reply,
    };
    match store(state, &conversation, &payload, &context, reply).await? {
        Outcome::Replied(_) => {
            audit::record(
                &state.db,
                Some(user.id),
                "conversation",
                conversation.id,
                Action::Update,
                Changes::new().set("ai_draft", "sent"),
            )
            .await?;
            Ok(())
        }
        _ => Err(gone()),
    }
}

/// The conversation waits for a person, with the reason in its audit trail.
/// Marks `conversation` waiting for a person; `handed_off`: the AI chose to (or had to) hand it to
/// the team, which the dashboard counts (a failed reply is no hand-off).
async fn mark_waiting<C: ConnectionTrait>(
    txn: &C,
    conversation: &conversations::Model,
    reason: &str,
    handed_off: bool,
) -> Result<(), AppError> {
    let mut update = conversations::Entity::update_many()
        .col_expr(conversations::Column::State, ConversationState::Waiting.as_str().into());
    if handed_off && conversation.handed_off_at.is_none() {
        update = update.col_expr(conversations::Column::HandedOffAt, chrono::Utc::now().into());
    }
    update.filter(conversations::Column::Id.eq(conversation.id)).exec(txn).await?;
    let changes = Changes::new()
        .diff("state", conversation.state.as_str(), ConversationState::Waiting.as_str())
        .set("handed_off", reason);
    audit::record(txn, None, "conversation", conversation.id, Action::Update, changes).await?;
    Ok(())
}

async fn announce_waiting(state: &AppState, conversation: &conversations::Model) {
    let waiting =
        conversations::Model { state: ConversationState::Waiting.as_str().to_owned(), ..conversation.clone() };
    chat::publish(state, &chat::conversation_event(&waiting)).await;
}

/// Tells the owner's open pages that the AI left `conversation` to them (a toast with a link).
async fn tell_the_owner(
    state: &AppState,
    conversation: &conversations::Model,
    note: &chat::Recorded,
    (client_name, reason): (&str, &str),
    failed: bool,
) {
    let event = ChatEvent::HandedOff {
        conversation_id: conversation.id,
        client_id: conversation.client_id,
        owner_id: conversation.owner_id,
        client_name: client_name.to_owned(),
        reason: reason.to_owned(),
        failed,
        note_id: note.message.id,
    };
    chat::publish(state, &event).await;
}

/// Leaves the conversation to a person: writes `note` for the team (for [`Outcome::Failed`], an
/// AI reply that could not be made, shown with a retry button; for [`Outcome::HandedOff`], a
/// hand-off), marks the conversation waiting and tells its owner, under the chat lock, unless a
/// person acted meanwhile.
async fn leave_to_the_team(
    state: &AppState,
    conversation: &conversations::Model,
    context: &Context,
    payload: &Payload,
    note: &str,
    outcome: Outcome,
) -> Result<Outcome, AppError> {
    let (reason, failure) = match &outcome {
        Outcome::Failed(reason) => (reason.as_str(), Some(reason.as_str())),
        Outcome::HandedOff(reason) => (reason.as_str(), None),
        _ => ("", None),
    };
    let Some((txn, current)) = lock_if_current(state, conversation, payload, false).await? else {
        return Ok(Outcome::Superseded);
    };
    let recorded = chat::write_team_note(&txn, current.client_id, note, failure).await?;
    mark_waiting(&txn, &current, note, failure.is_none()).await?;
    txn.commit().await?;
    chat::announce(state, &recorded, Author::System).await;
    announce_waiting(state, &current).await;
    tell_the_owner(state, &current, &recorded, (&context.client.name, reason), failure.is_some()).await;
    Ok(outcome)
}

/// Asks the persona again to answer the lead's newest message, after a failed reply: a person
/// pressed "Retry" on the thread of `client_id` (in "AI suggests" mode the retry makes a draft).
/// Refused when the AI is off, when the lead has not written, or when someone has answered since.
pub async fn retry(state: &AppState, user: &CurrentUser, client_id: i64) -> Result<(), AppError> {
    let conversation = conversation_for(state, user, client_id).await?;
    if !matches!(AiMode::parse(&conversation.ai_mode), Some(AiMode::Auto | AiMode::Suggest)) {
        return Err(AppError::Conflict(
            "Switch the AI on (“AI suggests” or “AI answers”) to let it try again.".to_owned(),
        ));
    }
    match unanswered_lead_message(state, &conversation).await? {
        Some(message_id) => answer_now(state, &conversation, message_id).await,
        None => Err(AppError::Conflict("The lead's last message has an answer already.".to_owned())),
    }
}

/// Wakes the AI before its takeover pause ends; when the lead's message is the last word and the
/// AI answers on its own, it answers it now.
pub async fn resume(state: &AppState, user: &CurrentUser, client_id: i64) -> Result<(), AppError> {
    let conversation = chat::resume_ai(state, user, client_id).await?;
    if AiMode::parse(&conversation.ai_mode) == Some(AiMode::Auto)
        && let Some(message_id) = unanswered_lead_message(state, &conversation).await?
    {
        answer_now(state, &conversation, message_id).await?;
    }
    Ok(())
}

/// The lead's newest message when nobody has answered it publicly since (a booking reminder is
/// no answer).
async fn unanswered_lead_message(
    state: &AppState,
    conversation: &conversations::Model,
) -> Result<Option<i64>, AppError> {
    let newest = messages::Entity::find()
        .filter(messages::Column::ConversationId.eq(conversation.id))
        .filter(messages::Column::Private.eq(false))
        .filter(messages::Column::IdempotencyKey.is_null())
        .order_by_desc(messages::Column::Id)
        .one(&state.db)
        .await?;
    Ok(newest.filter(|message| message.role == "client").map(|message| message.id))
}

async fn answer_now(state: &AppState, conversation: &conversations::Model, message_id: i64) -> Result<(), AppError> {
    let payload = Payload { conversation_id: conversation.id, message_id, version: conversation.version };
    let payload = serde_json::to_string(&payload).map_err(|_| AppError::Internal)?;
    state.infra.jobs.schedule(QUEUE, &queue_key(conversation.id), &payload, Duration::ZERO).await?;
    Ok(())
}
