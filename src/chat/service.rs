//! Conversations: the one function that writes messages, the inbox, the thread, read marks, the AI
//! mode and the state.
//!
//! Every message, whoever writes it (a person on the team, the lead, the AI, the system), goes
//! through [`record`]: one write transaction that creates the conversation when needed, inserts
//! the message, moves the conversation (activity, last message, state, version) and the client's
//! last activity; after the commit, the message is announced on the bus ([`BUS_CHANNEL`]) for the
//! live streams of every app instance.
//!
//! A user reaches only the conversations of their own clients, an admin everyone's; another
//! user's conversation is "not found", like their client.
use std::collections::HashMap;

use chrono::{DateTime, SubsecRound, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set, TryInsertResult, Value};

use super::{
    conversation_entity as conversations, entity as messages,
    inbox_rows::{self, SearchBounds},
    model::{
        AiDraft, AiMode, BUS_CHANNEL, ChatEvent, ConversationState, InboxPage, InboxQuery, InboxRow, MAX_MESSAGE_CHARS,
        THREAD_PAGE_SIZE, Thread, ThreadMessage, UNREAD_CAP,
    },
    read_entity as reads,
};
use crate::{
    audit::{self, Action, Changes},
    clients::{
        detail::TimelineQuery,
        detail_service::viewer_zone,
        entity as clients,
        service::{find as find_client, user_names},
        timeline,
    },
    server::{local_time, sql::statement, state::AppState},
    shared::{AppError, search::check_search},
    users::{entity as users, model::CurrentUser},
};

const ENTITY: &str = "conversation";
/// Characters of the newest message shown in the inbox.
const PREVIEW_CHARS: usize = 120;

/// Now, to the microsecond that PostgreSQL keeps (so cursors compare equal to what is stored).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Who writes a message.
#[derive(Debug, Clone, Copy)]
pub enum Author<'a> {
    /// A signed-in user answering (or writing a private note): reaches only their own clients,
    /// an admin everyone's.
    Agent(&'a CurrentUser),
    /// The lead, through the public chat or a channel. The caller has established which client.
    Lead,
    /// The AI persona.
    Ai,
    /// The app itself (a booking made, a channel event).
    System,
}

impl Author<'_> {
    fn role(self) -> &'static str {
        match self {
            Author::Agent(_) => "agent",
            Author::Lead => "client",
            Author::Ai => "ai",
            Author::System => "system",
        }
    }

    fn user_id(self) -> Option<i64> {
        match self {
            Author::Agent(user) => Some(user.id),
            _ => None,
        }
    }

    /// People raise the version: a reply the AI prepared before is then out of date.
    fn is_human(self) -> bool {
        matches!(self, Author::Agent(_) | Author::Lead)
    }
}

/// A message to write.
#[derive(Debug, Clone, Copy)]
pub struct NewMessage<'a> {
    pub client_id: i64,
    pub author: Author<'a>,
    pub body: &'a str,
    /// A note for the team (agents only).
    pub private: bool,
    /// `web`, `email`, `sms`...
    pub channel: &'a str,
}

/// What [`record`] wrote.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub message: messages::Model,
    pub conversation: conversations::Model,
}

fn not_found() -> AppError {
    AppError::NotFound("This conversation".to_owned())
}

fn state_of(model: &conversations::Model) -> ConversationState {
    ConversationState::parse(&model.state).unwrap_or(ConversationState::Open)
}

fn mode_of(model: &conversations::Model) -> AiMode {
    AiMode::parse(&model.ai_mode).unwrap_or(AiMode::Off)
}

/// The conversation of `client`, made now if it has none (in the caller's transaction).
async fn ensure_conversation<C: ConnectionTrait>(
    db: &C,
    client: &clients::Model,
    at: DateTime<Utc>,
) -> Result<conversations::Model, AppError> {
    if let Some(found) = conversation_of(db, client.id).await? {
        return Ok(found);
    }
    // A concurrent first message (PostgreSQL) made it meanwhile: its row stands. The AI mode is
    // the client's strategy's default.
    db.execute_raw(statement(
        db.get_database_backend(),
        "INSERT INTO conversations (client_id, owner_id, state, ai_mode, last_activity_at, version, created_at) \
         VALUES (?, ?, 'open', COALESCE((SELECT s.default_ai_mode FROM strategies s WHERE s.id = ?), 'off'), ?, 0, ?) \
         ON CONFLICT (client_id) DO NOTHING",
        vec![client.id.into(), client.owner_id.into(), client.strategy_id.into(), at.into(), at.into()],
    ))
    .await?;
    conversation_of(db, client.id).await?.ok_or(AppError::Internal)
}

async fn conversation_of<C: ConnectionTrait>(db: &C, client_id: i64) -> Result<Option<conversations::Model>, AppError> {
    Ok(conversations::Entity::find().filter(conversations::Column::ClientId.eq(client_id)).one(db).await?)
}

fn check_body(body: &str) -> Result<&str, AppError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::field("body", "Write a message first."));
    }
    if body.chars().count() > MAX_MESSAGE_CHARS {
        return Err(AppError::field("body", format!("Keep a message under {MAX_MESSAGE_CHARS} characters.")));
    }
    Ok(body)
}

/// Writes one message from anyone, with everything it changes, in one transaction; then announces
/// it. The only writer of `messages` (through [`write`]).
pub async fn record(state: &AppState, new: NewMessage<'_>) -> Result<Recorded, AppError> {
    check_body(new.body)?;
    let txn = crate::server::db::begin_write(&state.db).await?;
    let recorded = write(&txn, new).await?;
    txn.commit().await?;
    announce(state, &recorded, new.author).await;
    Ok(recorded)
}

/// The advisory lock that orders chat writes on PostgreSQL ([`commit_in_id_order`]).
const MESSAGE_ORDER_LOCK: i64 = 0x6368_6174_6d73_6773; // "chatmsgs"

/// Makes message ids commit in the order they are given. PostgreSQL hands out ids from a sequence
/// as rows are inserted, but transactions commit in any order: a stream that had passed on message
/// 102 could replay "after 102" on a reconnect while 101 was still being committed, and never send
/// it. Each chat write therefore takes one transaction-scoped lock before it inserts, held until it
/// commits, so a message becomes visible only after every smaller id has. SQLite has one writer at
/// a time already. Taken first, before any row is touched, so that it cannot wait inside a row lock.
pub async fn commit_in_id_order<C: ConnectionTrait>(txn: &C) -> Result<(), AppError> {
    Ok(crate::server::sql::serialize_on(txn, MESSAGE_ORDER_LOCK).await?)
}

/// Writes one message in the caller's transaction `txn` (with the conversation, made when needed,
/// and the client's last activity); the caller commits, then calls [`announce`].
pub async fn write<C: ConnectionTrait>(txn: &C, new: NewMessage<'_>) -> Result<Recorded, AppError> {
    write_reply(txn, new, None).await
}

/// [`write`] for an AI reply to the lead message `reply_to` (at most one reply each: a second one
/// breaks a unique index). The caller has taken [`commit_in_id_order`] already when it read the
/// conversation first; taking it twice in one transaction is harmless.
pub async fn write_reply<C: ConnectionTrait>(
    txn: &C,
    new: NewMessage<'_>,
    reply_to: Option<i64>,
) -> Result<Recorded, AppError> {
    insert_message(txn, new, Kind::Turn { reply_to }).await?.ok_or(AppError::Internal)
}

/// [`write`] for a notice that a job writes on its own (a booking reminder), named by `key`: the
/// first write of a key inserts the message, any later one (the job delivered again, or run again
/// after its worker died between the commit and the acknowledgement) writes nothing and answers
/// `None`. A unique index on `messages.idempotency_key` decides, so concurrent writers of one key
/// agree too. A notice answers nothing: the conversation's state (a lead waiting for an answer)
/// and the AI's draft answer stay as they are.
pub async fn write_once<C: ConnectionTrait>(
    txn: &C,
    new: NewMessage<'_>,
    key: &str,
) -> Result<Option<Recorded>, AppError> {
    insert_message(txn, new, Kind::Notice { key }).await
}

/// What a message is to its conversation.
#[derive(Clone, Copy)]
enum Kind<'a> {
    /// A turn of the conversation (on an AI reply, the lead message it answers).
    Turn { reply_to: Option<i64> },
    /// A notice written once per key.
    Notice { key: &'a str },
}

/// Writes `new` with what it changes; `None` only for a notice whose key was written before.
async fn insert_message<C: ConnectionTrait>(
    txn: &C,
    new: NewMessage<'_>,
    kind: Kind<'_>,
) -> Result<Option<Recorded>, AppError> {
    let body = check_body(new.body)?;
    if new.private && matches!(new.author, Author::Lead | Author::Ai) {
        return Err(AppError::field("private", "Only the team writes private notes."));
    }
    commit_in_id_order(txn).await?;
    let client = match new.author {
        Author::Agent(user) => find_client(txn, user, new.client_id).await?,
        _ => clients::Entity::find_by_id(new.client_id)
            .one(txn)
            .await?
            .ok_or_else(|| AppError::NotFound("This client".to_owned()))?,
    };
    let at = now();
    let conversation = ensure_conversation(txn, &client, at).await?;
    let (reply_to, key) = match kind {
        Kind::Turn { reply_to } => (reply_to, None),
        Kind::Notice { key } => (None, Some(key.to_owned())),
    };
    let row = messages::ActiveModel {
        client_id: Set(client.id),
        role: Set(new.author.role().to_owned()),
        body: Set(body.to_owned()),
        channel: Set(new.channel.to_owned()),
        created_at: Set(at),
        conversation_id: Set(Some(conversation.id)),
        private: Set(new.private),
        delivery: Set("sent".to_owned()),
        failure_reason: Set(None),
        author_id: Set(new.author.user_id()),
        reply_to_message_id: Set(reply_to),
        idempotency_key: Set(key),
        ..Default::default()
    };
    let message = match kind {
        Kind::Turn { .. } => messages::Entity::insert(row).exec_with_returning(txn).await?,
        Kind::Notice { key } => {
            // Without RETURNING: sea-orm words a conflict that returns no row as "not found".
            let inserted = messages::Entity::insert(row)
                .on_conflict_do_nothing_on([messages::Column::IdempotencyKey])
                .exec_without_returning(txn)
                .await?;
            if !matches!(inserted, TryInsertResult::Inserted(rows) if rows > 0) {
                return Ok(None);
            }
            messages::Entity::find()
                .filter(messages::Column::IdempotencyKey.eq(key))
                .one(txn)
                .await?
                .ok_or(AppError::Internal)?
        }
    };
    let is_notice = matches!(kind, Kind::Notice { .. });

    let next_state = if is_notice {
        state_of(&conversation)
    } else {
        state_of(&conversation).after_message(new.author.role(), new.private)
    };
    let version = conversation.version + i64::from(new.author.is_human());
    // A person answering the lead puts the AI to sleep for the strategy's takeover period.
    let paused_until = match new.author {
        Author::Agent(_) if !new.private => takeover_end(txn, &client, at).await?.or(conversation.ai_paused_until),
        _ => conversation.ai_paused_until,
    };
    // Speed to lead: the lead's first public message, and the first public answer after it.
    let public_turn = !new.private && !is_notice;
    let first_lead_at =
        conversation.first_lead_at.or((public_turn && matches!(new.author, Author::Lead)).then_some(at));
    let first_reply = match conversation.first_lead_at {
        Some(lead_at)
            if conversation.first_reply_at.is_none()
                && public_turn
                && matches!(new.author, Author::Ai | Author::Agent(_)) =>
        {
            Some((at, new.author.role().to_owned(), (at - lead_at).num_seconds().max(0)))
        }
        _ => None,
    };
    let mut update = conversations::Entity::update_many()
        .col_expr(conversations::Column::LastActivityAt, at.into())
        .col_expr(conversations::Column::LastMessageId, message.id.into())
        .col_expr(conversations::Column::State, next_state.as_str().into())
        .col_expr(conversations::Column::Version, version.into())
        .col_expr(conversations::Column::AiPausedUntil, paused_until.into());
    if first_lead_at != conversation.first_lead_at {
        update = update.col_expr(conversations::Column::FirstLeadAt, first_lead_at.into());
    }
    if let Some((reply_at, role, secs)) = &first_reply {
        update = update
            .col_expr(conversations::Column::FirstReplyAt, (*reply_at).into())
            .col_expr(conversations::Column::FirstReplyRole, role.clone().into())
            .col_expr(conversations::Column::FirstReplySecs, (*secs).into());
    }
    // A public message, from anyone, makes the AI's draft answer out of date.
    let clears_draft = !new.private && !is_notice && conversation.ai_draft.is_some();
    if clears_draft {
        update = update
            .col_expr(conversations::Column::AiDraft, Option::<String>::None.into())
            .col_expr(conversations::Column::AiDraftAction, Option::<String>::None.into())
            .col_expr(conversations::Column::AiDraftReplyTo, Option::<i64>::None.into());
    }
    update.filter(conversations::Column::Id.eq(conversation.id)).exec(txn).await?;
    // The client's last activity: a visible message is its last message; a person's message or
    // note is working the lead.
    let mut update = clients::Entity::update_many().filter(clients::Column::Id.eq(client.id));
    if !new.private {
        let preview: String = body.chars().take(500).collect();
        update = update
            .col_expr(clients::Column::LastMessage, preview.into())
            .col_expr(clients::Column::LastMessageAt, at.into());
    }
    if matches!(new.author, Author::Agent(_)) {
        update = update.col_expr(clients::Column::WorkedAt, at.into());
    }
    update.exec(txn).await?;
    // Someone's own message is not news to them.
    if let Author::Agent(user) = new.author {
        upsert_read(txn, user.id, conversation.id, message.id).await?;
    }
    let conversation = conversations::Model {
        last_activity_at: at,
        last_message_id: Some(message.id),
        state: next_state.as_str().to_owned(),
        version,
        ai_paused_until: paused_until,
        first_lead_at,
        first_reply_at: first_reply.as_ref().map(|(at, _, _)| *at).or(conversation.first_reply_at),
        first_reply_role: first_reply.as_ref().map(|(_, role, _)| role.clone()).or(conversation.first_reply_role),
        first_reply_secs: first_reply.as_ref().map(|(_, _, secs)| *secs).or(conversation.first_reply_secs),
        ..conversation
    };
    let conversation = if clears_draft {
        conversations::Model { ai_draft: None, ai_draft_action: None, ai_draft_reply_to: None, ..conversation }
    } else {
        conversation
    };
    Ok(Some(Recorded { message, conversation }))
}

/// The AI's draft answer to the lead message `reply_to` in "AI suggests" mode (`action`: what
/// sending it as is does, as the AI domain wrote it), or none. Written in the caller's transaction.
pub async fn set_ai_draft<C: ConnectionTrait>(
    txn: &C,
    conversation_id: i64,
    draft: Option<(&str, &str, i64)>,
) -> Result<(), AppError> {
    let (text, action, reply_to) = match draft {
        Some((text, action, reply_to)) => (Some(text.to_owned()), Some(action.to_owned()), Some(reply_to)),
        None => (None, None, None),
    };
    conversations::Entity::update_many()
        .col_expr(conversations::Column::AiDraft, text.into())
        .col_expr(conversations::Column::AiDraftAction, action.into())
        .col_expr(conversations::Column::AiDraftReplyTo, reply_to.into())
        .filter(conversations::Column::Id.eq(conversation_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// A conversation's draft as the thread shows it.
pub fn ai_draft_of(conversation: &conversations::Model) -> Option<AiDraft> {
    let text = conversation.ai_draft.clone()?;
    let action = conversation
        .ai_draft_action
        .as_deref()
        .and_then(|json| serde_json::from_str::<serde_json::Value>(json).ok())
        .and_then(|value| value.get("label").and_then(|label| label.as_str()).map(str::to_owned));
    Some(AiDraft { text, action, reply_to: conversation.ai_draft_reply_to.unwrap_or_default() })
}

/// Discards the AI's draft in the conversation of `client_id`.
pub async fn discard_ai_draft(state: &AppState, user: &CurrentUser, client_id: i64) -> Result<(), AppError> {
    let (_, conversation) = reachable(&state.db, user, client_id).await?;
    let Some(conversation) = conversation.filter(|c| c.ai_draft.is_some()) else { return Ok(()) };
    let txn = crate::server::db::begin_write(&state.db).await?;
    set_ai_draft(&txn, conversation.id, None).await?;
    audit::record(
        &txn,
        Some(user.id),
        ENTITY,
        conversation.id,
        Action::Update,
        Changes::new().set("ai_draft", "discarded"),
    )
    .await?;
    txn.commit().await?;
    let conversation =
        conversations::Model { ai_draft: None, ai_draft_action: None, ai_draft_reply_to: None, ..conversation };
    publish(state, &conversation_event(&conversation)).await;
    Ok(())
}

/// When the AI may answer again after a person's message at `at` (`None`: the strategy does not
/// pause it).
async fn takeover_end<C: ConnectionTrait>(
    db: &C,
    client: &clients::Model,
    at: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, AppError> {
    let minutes: Option<i32> = crate::strategies::entity::Entity::find_by_id(client.strategy_id)
        .select_only()
        .column(crate::strategies::entity::Column::TakeoverMinutes)
        .into_tuple()
        .one(db)
        .await?;
    Ok(minutes.filter(|minutes| *minutes > 0).map(|minutes| at + chrono::Duration::minutes(i64::from(minutes))))
}

/// Whether the AI sleeps in `conversation` at `at` (a person took over).
pub fn ai_paused(conversation: &conversations::Model, at: DateTime<Utc>) -> bool {
    conversation.ai_paused_until.is_some_and(|until| until > at)
}

/// The event that tells every stream about `conversation`'s state, AI mode and pause.
pub fn conversation_event(conversation: &conversations::Model) -> ChatEvent {
    ChatEvent::Conversation {
        conversation_id: conversation.id,
        client_id: conversation.client_id,
        owner_id: conversation.owner_id,
        state: state_of(conversation),
        ai_mode: mode_of(conversation),
        ai_paused_until: conversation.ai_paused_until.filter(|until| *until > now()),
        ai_paused_label: None,
        ai_draft: ai_draft_of(conversation),
    }
}

/// Writes a note of the app for the team in the conversation with `client_id`, in the caller's
/// transaction: a private message (the lead never sees it, the AI never reads it), marked failed
/// with `failure` when it reports something that failed (an AI reply that could not be made).
pub async fn write_team_note<C: ConnectionTrait>(
    txn: &C,
    client_id: i64,
    body: &str,
    failure: Option<&str>,
) -> Result<Recorded, AppError> {
    let new = NewMessage { client_id, author: Author::System, body, private: true, channel: "web" };
    let mut recorded = write(txn, new).await?;
    if let Some(reason) = failure {
        let reason: String = reason.chars().take(500).collect();
        messages::Entity::update_many()
            .col_expr(messages::Column::Delivery, "failed".into())
            .col_expr(messages::Column::FailureReason, reason.clone().into())
            .filter(messages::Column::Id.eq(recorded.message.id))
            .exec(txn)
            .await?;
        recorded.message.delivery = "failed".to_owned();
        recorded.message.failure_reason = Some(reason);
    }
    Ok(recorded)
}

/// Announces a committed message on the bus, for the live streams of every instance, and tells
/// the domains that react to messages (the AI persona answers a lead).
pub async fn announce(state: &AppState, recorded: &Recorded, author: Author<'_>) {
    let author_kind = author;
    let author = match author {
        Author::Agent(user) => Some(user.name.clone()),
        _ => None,
    };
    publish(
        state,
        &ChatEvent::Message {
            conversation_id: recorded.conversation.id,
            client_id: recorded.conversation.client_id,
            owner_id: recorded.conversation.owner_id,
            message: thread_message(&recorded.message, author, chrono_tz::UTC),
        },
    )
    .await;
    // A person's answer paused the AI: the team's other tabs show it.
    if matches!(author_kind, Author::Agent(_)) && !recorded.message.private {
        publish(state, &conversation_event(&recorded.conversation)).await;
    }
    crate::domains::message_committed(state, &recorded.message, &recorded.conversation).await;
}

/// Announces `event` to the live streams of every instance. A bus that is down loses the live
/// delivery only: the message is committed, and streams replay it from the table on reconnect.
pub async fn publish(state: &AppState, event: &ChatEvent) {
    let payload = match serde_json::to_string(event) {
        Ok(payload) => payload,
        Err(error) => {
            tracing::error!(%error, "could not encode a chat event");
            return;
        }
    };
    if let Err(error) = state.infra.bus.publish(BUS_CHANNEL, &payload).await {
        tracing::warn!(%error, "could not announce a chat event");
    }
}

async fn upsert_read<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    conversation_id: i64,
    message_id: i64,
) -> Result<(), AppError> {
    db.execute_raw(statement(
        db.get_database_backend(),
        "INSERT INTO conversation_reads (user_id, conversation_id, last_seen_message_id) VALUES (?, ?, ?) \
         ON CONFLICT (user_id, conversation_id) DO UPDATE SET last_seen_message_id = CASE \
         WHEN excluded.last_seen_message_id > conversation_reads.last_seen_message_id \
         THEN excluded.last_seen_message_id ELSE conversation_reads.last_seen_message_id END",
        vec![user_id.into(), conversation_id.into(), message_id.into()],
    ))
    .await?;
    Ok(())
}

pub fn thread_message(message: &messages::Model, author: Option<String>, zone: Tz) -> ThreadMessage {
    ThreadMessage {
        id: message.id,
        role: message.role.clone(),
        body: message.body.clone(),
        private: message.private,
        delivery: message.delivery.clone(),
        failure_reason: message.failure_reason.clone(),
        author,
        sent_at: local_time::format(message.created_at, zone),
        at: message.created_at,
    }
}

/// The conversation of a client `user` may reach (`None` before its first message).
async fn reachable<C: ConnectionTrait>(
    db: &C,
    user: &CurrentUser,
    client_id: i64,
) -> Result<(clients::Model, Option<conversations::Model>), AppError> {
    let client = find_client(db, user, client_id).await.map_err(|_| not_found())?;
    let conversation = conversation_of(db, client.id).await?;
    Ok((client, conversation))
}

/// Records that `user` has seen the conversation of `client_id` up to `message_id` (its newest
/// message when `None`). Never moves a read mark back.
pub async fn mark_read(
    state: &AppState,
    user: &CurrentUser,
    client_id: i64,
    message_id: Option<i64>,
) -> Result<(), AppError> {
    let (client, conversation) = reachable(&state.db, user, client_id).await?;
    let Some(conversation) = conversation else { return Ok(()) };
    let Some(last) = conversation.last_message_id else { return Ok(()) };
    let up_to = message_id.map_or(last, |id| id.min(last));
    upsert_read(&state.db, user.id, conversation.id, up_to).await?;
    publish(
        state,
        &ChatEvent::Read {
            conversation_id: conversation.id,
            client_id: client.id,
            owner_id: conversation.owner_id,
            user_id: user.id,
        },
    )
    .await;
    Ok(())
}

/// What a person changes in a conversation.
#[derive(Debug, Clone, Copy, Default)]
struct Change {
    mode: Option<AiMode>,
    state: Option<ConversationState>,
    /// Wakes the AI before its takeover pause ends.
    resume: bool,
}

/// A person changes the conversation (AI mode, state, pause): raises the version, audits,
/// announces.
async fn change(
    state: &AppState,
    user: &CurrentUser,
    client_id: i64,
    wanted: Change,
) -> Result<conversations::Model, AppError> {
    let txn = crate::server::db::begin_write(&state.db).await?;
    let client = find_client(&txn, user, client_id).await.map_err(|_| not_found())?;
    let conversation = ensure_conversation(&txn, &client, now()).await?;
    let mode = wanted.mode.unwrap_or(mode_of(&conversation));
    let next_state = wanted.state.unwrap_or(state_of(&conversation));
    let paused_until = if wanted.resume { None } else { conversation.ai_paused_until };
    let paused_text = |until: Option<DateTime<Utc>>| until.map(|at| at.to_rfc3339()).unwrap_or_default();
    let changes = Changes::new()
        .diff("ai_mode", conversation.ai_mode.as_str(), mode.as_str())
        .diff("state", conversation.state.as_str(), next_state.as_str())
        .diff(
            "ai_paused_until",
            paused_text(conversation.ai_paused_until).as_str(),
            paused_text(paused_until).as_str(),
        );
    if changes.is_empty() {
        txn.commit().await?;
        return Ok(conversation);
    }
    let version = conversation.version + 1;
    conversations::Entity::update_many()
        .col_expr(conversations::Column::AiMode, mode.as_str().into())
        .col_expr(conversations::Column::State, next_state.as_str().into())
        .col_expr(conversations::Column::Version, version.into())
        .col_expr(conversations::Column::AiPausedUntil, paused_until.into())
        .filter(conversations::Column::Id.eq(conversation.id))
        .exec(&txn)
        .await?;
    audit::record(&txn, Some(user.id), ENTITY, conversation.id, Action::Update, changes).await?;
    txn.commit().await?;
    let conversation = conversations::Model {
        ai_mode: mode.as_str().to_owned(),
        state: next_state.as_str().to_owned(),
        version,
        ai_paused_until: paused_until,
        ..conversation
    };
    publish(state, &conversation_event(&conversation)).await;
    Ok(conversation)
}

/// Wakes the AI of a client's conversation before its takeover pause ends.
pub async fn resume_ai(state: &AppState, user: &CurrentUser, client_id: i64) -> Result<conversations::Model, AppError> {
    change(state, user, client_id, Change { resume: true, ..Change::default() }).await
}

/// Sets the AI mode of a client's conversation.
pub async fn set_ai_mode(
    state: &AppState,
    user: &CurrentUser,
    client_id: i64,
    mode: &str,
) -> Result<conversations::Model, AppError> {
    let mode = AiMode::parse(mode).ok_or_else(|| AppError::field("mode", "Choose off, suggest or auto."))?;
    change(state, user, client_id, Change { mode: Some(mode), ..Change::default() }).await
}

/// Sets the state of a client's conversation.
pub async fn set_state(
    state: &AppState,
    user: &CurrentUser,
    client_id: i64,
    value: &str,
) -> Result<conversations::Model, AppError> {
    let next =
        ConversationState::parse(value).ok_or_else(|| AppError::field("state", "Choose open, waiting or closed."))?;
    change(state, user, client_id, Change { state: Some(next), ..Change::default() }).await
}

/// The conversation with a client, a page of messages (the newest, or those before `older`),
/// oldest first, and the client's card. Marks what it shows as read when `mark_as_read`.
pub async fn thread(
    state: &AppState,
    user: &CurrentUser,
    client_id: i64,
    older: &str,
    mark_as_read: bool,
) -> Result<Thread, AppError> {
    let db = &state.db;
    // Read before the messages: the stream replays everything after it, so a message written
    // while the page is read is shown by the page or by the stream (never by neither).
    let stream_after = newest_message_id(db).await?;
    let (client, conversation) = reachable(db, user, client_id).await?;
    let zone = viewer_zone(db, user).await?;
    let (messages, older_cursor) = match &conversation {
        Some(conversation) => {
            let page = timeline::latest_first(
                db,
                messages::Entity::find().filter(messages::Column::ConversationId.eq(conversation.id)),
                (messages::Column::CreatedAt, messages::Column::Id),
                &TimelineQuery { older: older.to_owned(), newer: String::new() },
                THREAD_PAGE_SIZE,
                |message| (message.created_at, message.id),
            )
            .await?;
            (page.items, page.older)
        }
        None => (Vec::new(), None),
    };
    let names = user_names(db, messages.iter().filter_map(|m| m.author_id)).await?;
    let mut shown: Vec<ThreadMessage> = messages
        .iter()
        .map(|message| {
            let author = message.author_id.map(|id| names.get(&id).cloned().unwrap_or_else(|| "A former user".into()));
            thread_message(message, author, zone)
        })
        .collect();
    shown.reverse();
    if mark_as_read
        && older.is_empty()
        && let Some(conversation) = &conversation
        && conversation.last_message_id.is_some()
    {
        let seen = read_mark(db, user.id, conversation.id).await?;
        if seen < conversation.last_message_id.unwrap_or_default() {
            mark_read(state, user, client.id, None).await?;
        }
    }
    let paused_at = conversation.as_ref().and_then(|c| c.ai_paused_until).filter(|until| *until > now());
    Ok(Thread {
        client: super::card::of(db, client, zone).await?,
        conversation_id: conversation.as_ref().map(|c| c.id),
        state: conversation.as_ref().map_or(ConversationState::Open, state_of),
        ai_mode: conversation.as_ref().map_or(AiMode::Off, mode_of),
        version: conversation.as_ref().map_or(0, |c| c.version),
        ai_paused_until: paused_at.map(|until| local_time::format(until, zone)),
        ai_paused_at: paused_at,
        ai_draft: conversation.as_ref().and_then(ai_draft_of),
        messages: shown,
        older: older_cursor,
        stream_after,
    })
}

async fn newest_message_id<C: ConnectionTrait>(db: &C) -> Result<Option<i64>, AppError> {
    use sea_orm::QueryOrder;
    Ok(messages::Entity::find()
        .select_only()
        .column(messages::Column::Id)
        .order_by_desc(messages::Column::Id)
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?)
}

async fn read_mark<C: ConnectionTrait>(db: &C, user_id: i64, conversation_id: i64) -> Result<i64, AppError> {
    Ok(reads::Entity::find()
        .filter(reads::Column::UserId.eq(user_id))
        .filter(reads::Column::ConversationId.eq(conversation_id))
        .one(db)
        .await?
        .map_or(0, |read| read.last_seen_message_id))
}

/// One inbox page for `user`: newest activity first, by keyset `(last_activity_at, id)`, with the
/// viewer's unread counts. Five queries at most (six with a search).
pub async fn inbox(state: &AppState, user: &CurrentUser, query: &InboxQuery) -> Result<InboxPage, AppError> {
    inbox_bounded(state, user, query, SearchBounds::DEFAULT).await
}

/// [`inbox`] with the search's bounds given, so that a test can reach them with a few rows.
pub async fn inbox_bounded(
    state: &AppState,
    user: &CurrentUser,
    query: &InboxQuery,
    bounds: SearchBounds,
) -> Result<InboxPage, AppError> {
    check_search(&query.q)?;
    let db = &state.db;
    let owner = if user.is_admin() { query.owner.trim().parse::<i64>().ok() } else { Some(user.id) };
    let inbox_rows::Rows { rows, next, searched } = inbox_rows::page(db, user, owner, query, bounds).await?;

    let zone = viewer_zone(db, user).await?;
    let client_rows: HashMap<i64, clients::Model> = if rows.is_empty() {
        HashMap::new()
    } else {
        clients::Entity::find()
            .filter(clients::Column::Id.is_in(rows.iter().map(|row| row.client_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|client| (client.id, client))
            .collect()
    };
    let last_ids: Vec<i64> = rows.iter().filter_map(|row| row.last_message_id).collect();
    let last_messages: HashMap<i64, messages::Model> = if last_ids.is_empty() {
        HashMap::new()
    } else {
        messages::Entity::find()
            .filter(messages::Column::Id.is_in(last_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|message| (message.id, message))
            .collect()
    };
    let unread = unread_counts(db, user.id, &rows).await?;
    let owners: Vec<(i64, String)> = if user.is_admin() {
        users::Entity::find()
            .select_only()
            .columns([users::Column::Id, users::Column::Name])
            .order_by_name()
            .into_tuple()
            .all(db)
            .await?
    } else {
        Vec::new()
    };
    let owner_names: HashMap<i64, String> = owners.iter().cloned().collect();
    let rows = rows
        .into_iter()
        .filter_map(|row| {
            let client = client_rows.get(&row.client_id)?;
            let last = row.last_message_id.and_then(|id| last_messages.get(&id));
            Some(InboxRow {
                conversation_id: row.id,
                client_id: row.client_id,
                client_name: client.name.clone(),
                client_status: client.status.clone(),
                owner_name: user.is_admin().then(|| owner_names.get(&row.owner_id).cloned().unwrap_or_default()),
                state: state_of(&row),
                ai_mode: mode_of(&row),
                last_activity: local_time::format(row.last_activity_at, zone),
                preview: last.map(|m| m.body.chars().take(PREVIEW_CHARS).collect()).unwrap_or_default(),
                preview_role: last.map(|m| m.role.clone()).unwrap_or_default(),
                preview_private: last.is_some_and(|m| m.private),
                unread: unread.get(&row.id).copied().unwrap_or(0),
            })
        })
        .collect();
    Ok(InboxPage { rows, next, owners, searched })
}

trait OrderByName {
    fn order_by_name(self) -> Self;
}

impl OrderByName for sea_orm::Select<users::Entity> {
    fn order_by_name(self) -> Self {
        use sea_orm::QueryOrder;
        self.order_by_asc(users::Column::Name).order_by_asc(users::Column::Id)
    }
}

/// Per conversation of the page: messages newer than the viewer's read mark, not their own, up to
/// [`UNREAD_CAP`]. One query.
async fn unread_counts<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    rows: &[conversations::Model],
) -> Result<HashMap<i64, i64>, AppError> {
    let candidates: Vec<i64> = rows.iter().filter(|row| row.last_message_id.is_some()).map(|row| row.id).collect();
    if candidates.is_empty() {
        return Ok(HashMap::new());
    }
    let placeholders = vec!["?"; candidates.len()].join(", ");
    let sql = format!(
        "SELECT m.conversation_id AS conversation_id, COUNT(*) AS unread FROM messages m \
         LEFT JOIN conversation_reads r ON r.conversation_id = m.conversation_id AND r.user_id = ? \
         WHERE m.conversation_id IN ({placeholders}) AND m.id > COALESCE(r.last_seen_message_id, 0) \
         AND (m.author_id IS NULL OR m.author_id <> ?) GROUP BY m.conversation_id"
    );
    let mut values: Vec<Value> = vec![user_id.into()];
    values.extend(candidates.into_iter().map(Value::from));
    values.push(user_id.into());
    let found = db.query_all_raw(statement(db.get_database_backend(), &sql, values)).await?;
    let mut counts = HashMap::new();
    for row in found {
        let id: i64 = row.try_get("", "conversation_id")?;
        let count: i64 = row.try_get("", "unread")?;
        counts.insert(id, count.min(UNREAD_CAP));
    }
    Ok(counts)
}

/// Who a live stream is for.
#[derive(Debug, Clone)]
pub enum Audience {
    /// A signed-in user: their own clients' conversations, an admin everyone's, notes included.
    Team(CurrentUser),
    /// A lead on the public chat: their one conversation from the message their token started
    /// with, never a private note.
    Lead { conversation_id: i64, visible_from: i64 },
}

/// Messages after `after_id` that `audience` may see, oldest id first, at most `limit`: what a
/// reconnecting stream missed. With the conversation of each.
pub async fn missed_since(
    state: &AppState,
    audience: &Audience,
    after_id: i64,
    limit: u64,
) -> Result<Vec<(messages::Model, conversations::Model)>, AppError> {
    let db = &state.db;
    let mut select = messages::Entity::find().filter(messages::Column::Id.gt(after_id));
    match audience {
        Audience::Team(user) if !user.is_admin() => {
            select = select.filter(
                messages::Column::ConversationId.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(conversations::Column::Id)
                        .from(conversations::Entity)
                        .and_where(conversations::Column::OwnerId.eq(user.id))
                        .to_owned(),
                ),
            );
        }
        Audience::Team(_) => {}
        Audience::Lead { conversation_id, visible_from } => {
            select = select
                .filter(messages::Column::ConversationId.eq(*conversation_id))
                .filter(messages::Column::Id.gte(*visible_from))
                .filter(messages::Column::Private.eq(false));
        }
    }
    use sea_orm::QueryOrder;
    let found = select.order_by_asc(messages::Column::Id).limit(limit).all(db).await?;
    let conversation_ids: Vec<i64> = found.iter().filter_map(|m| m.conversation_id).collect();
    let conversations: HashMap<i64, conversations::Model> = if conversation_ids.is_empty() {
        HashMap::new()
    } else {
        conversations::Entity::find()
            .filter(conversations::Column::Id.is_in(conversation_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect()
    };
    Ok(found
        .into_iter()
        .filter_map(|message| {
            let conversation = conversations.get(&message.conversation_id?)?.clone();
            Some((message, conversation))
        })
        .collect())
}

/// The names of the authors of `messages`.
pub async fn author_names(state: &AppState, messages: &[messages::Model]) -> Result<HashMap<i64, String>, AppError> {
    user_names(&state.db, messages.iter().filter_map(|m| m.author_id)).await
}
