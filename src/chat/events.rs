//! `GET /chat/events`: the live stream of one browser tab (server-sent events).
//!
//! Authorised like a server function, by the session: a user receives the events of their own
//! clients' conversations and their own bookings, an admin everyone's. Message events carry the message's id as the
//! event id. A browser reconnecting sends `Last-Event-ID` (a page opening the stream may say
//! `?after=ID`): the stream first replays the messages after it from the table (keyset by id),
//! then passes on what the bus brings, skipping what it replayed, so each message arrives once.
//! The team's streams also carry the changes of the bookings the viewer sees (`booking` events,
//! ids only, see [`crate::bookings::live`]); those are not replayed: a page that shows bookings
//! reads itself again whenever its stream (re)opens.
//!
//! The stream subscribes to the bus before it reads the table, so nothing committed in between is
//! lost. Each stream has a small buffer: a client that does not read (a dead or slow connection)
//! fills it and is dropped, rather than holding memory or holding back the others; its browser
//! reconnects and replays what it missed.
use std::{collections::HashSet, convert::Infallible, time::Duration};

use axum::{
    Router,
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
    routing::get,
};
use futures::{StreamExt, stream::BoxStream};
use serde::Deserialize;
use tokio::sync::mpsc;
use tower_sessions::Session;

use super::{
    model::{BUS_CHANNEL, ChatEvent, EVENTS_PATH},
    service::{self, Audience},
};
use crate::{
    bookings::live as bookings,
    clients::detail_service::viewer_zone,
    server::{local_time, state::AppState},
    shared::AppError,
    users::{auth, model::CurrentUser},
};

/// What the bus brings a stream.
enum Incoming {
    Chat(String),
    Booking(String),
}

/// Events a stream may hold for a client that has not read them yet before it is dropped.
pub const STREAM_BUFFER: usize = 64;
/// The most messages one reconnect replays; a browser further behind is told to reload.
pub const MAX_REPLAY: u64 = 1_000;
/// Replayed messages per query.
const REPLAY_BATCH: u64 = 200;

pub fn routes() -> Router<AppState> {
    Router::new().route(EVENTS_PATH, get(stream))
}

#[derive(Debug, Default, Deserialize)]
pub struct StreamQuery {
    /// Replay the messages after this id (a page's newest message), as `Last-Event-ID` does.
    #[serde(default)]
    pub after: Option<String>,
}

pub fn error_response(error: AppError) -> Response {
    let status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, error.to_string()).into_response()
}

/// Where the replay starts: `Last-Event-ID` (the browser's own, on a reconnect) or `?after=`.
pub fn replay_from(headers: &HeaderMap, query: &StreamQuery) -> Option<i64> {
    headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<i64>().ok())
        .or_else(|| query.after.as_deref().and_then(|after| after.trim().parse::<i64>().ok()))
        .filter(|id| *id >= 0)
}

async fn stream(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<StreamQuery>,
) -> Response {
    let user = match auth::current_user(&state, &session).await {
        Ok(Some(user)) => user,
        Ok(None) => return error_response(AppError::Unauthenticated),
        Err(error) => return error_response(error),
    };
    let zone = match viewer_zone(&state.db, &user).await {
        Ok(zone) => zone,
        Err(error) => return error_response(error),
    };
    open(state, Audience::Team(user), zone, replay_from(&headers, &query)).await
}

/// The event stream of `audience`, replaying the messages after `after` first. Message times are
/// shown in `zone`.
pub async fn open(state: AppState, audience: Audience, zone: chrono_tz::Tz, after: Option<i64>) -> Response {
    // Subscribed before the replay reads the table: whatever commits meanwhile comes from the bus.
    let chat = match state.infra.bus.subscribe(BUS_CHANNEL).await {
        Ok(subscription) => subscription.map(Incoming::Chat).boxed(),
        Err(error) => return error_response(error.into()),
    };
    // The team's pages also hear of booking changes (a lead's page only of its conversation).
    let subscription = match &audience {
        Audience::Team(_) => match state.infra.bus.subscribe(bookings::BUS_CHANNEL).await {
            Ok(bookings) => futures::stream::select(chat, bookings.map(Incoming::Booking)).boxed(),
            Err(error) => return error_response(error.into()),
        },
        Audience::Lead { .. } => chat,
    };
    let (sender, receiver) = mpsc::channel::<Event>(STREAM_BUFFER);
    tokio::spawn(feed(state, audience, zone, after, subscription, sender));
    let events = futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|event| (Ok::<_, Infallible>(event), receiver))
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response()
}

/// Whether `user` receives `event`.
pub fn may_receive(user: &CurrentUser, event: &ChatEvent) -> bool {
    let reaches = user.is_admin() || event.owner_id() == user.id;
    match event {
        // Someone else's read mark changes nothing this user sees.
        ChatEvent::Read { user_id, .. } => reaches && *user_id == user.id,
        _ => reaches,
    }
}

/// Whether `audience` receives `event`: a lead, only the visible messages of their conversation.
pub fn reaches(audience: &Audience, event: &ChatEvent) -> bool {
    match audience {
        Audience::Team(user) => may_receive(user, event),
        Audience::Lead { conversation_id, visible_from } => matches!(
            event,
            ChatEvent::Message { conversation_id: id, message, .. }
                if id == conversation_id && !message.private && message.id >= *visible_from
        ),
    }
}

/// The event as the stream sends it, its time in the viewer's zone. A lead gets the message alone
/// (no ids of the team's).
fn to_sse(event: ChatEvent, zone: chrono_tz::Tz, audience: &Audience) -> Option<Event> {
    let (id, event) = match event {
        ChatEvent::Message { conversation_id, client_id, owner_id, mut message } => {
            message.sent_at = local_time::format(message.at, zone);
            if matches!(audience, Audience::Lead { .. }) {
                let data = serde_json::to_string(&message).ok()?;
                return Some(Event::default().event("message").id(message.id.to_string()).data(data));
            }
            (Some(message.id), ChatEvent::Message { conversation_id, client_id, owner_id, message })
        }
        ChatEvent::Conversation { ai_paused_until, ai_paused_label: _, .. } => {
            let mut event = event;
            if let ChatEvent::Conversation { ai_paused_label, .. } = &mut event {
                *ai_paused_label = ai_paused_until.map(|until| local_time::format(until, zone));
            }
            (None, event)
        }
        other => (None, other),
    };
    let data = serde_json::to_string(&event).ok()?;
    let sse = Event::default().event(event.name()).data(data);
    Some(match id {
        Some(id) => sse.id(id.to_string()),
        None => sse,
    })
}

/// Replays, then forwards the bus to one stream until the browser goes or falls behind.
async fn feed(
    state: AppState,
    audience: Audience,
    zone: chrono_tz::Tz,
    after: Option<i64>,
    mut subscription: BoxStream<'static, Incoming>,
    sender: mpsc::Sender<Event>,
) {
    let mut replayed = HashSet::new();
    if let Some(mut after) = after {
        let mut sent = 0;
        loop {
            let batch = match service::missed_since(&state, &audience, after, REPLAY_BATCH).await {
                Ok(batch) => batch,
                Err(error) => {
                    tracing::warn!(%error, "could not replay a chat stream");
                    return;
                }
            };
            let names =
                match service::author_names(&state, &batch.iter().map(|(m, _)| m.clone()).collect::<Vec<_>>()).await {
                    Ok(names) => names,
                    Err(_) => return,
                };
            let full = batch.len() as u64 == REPLAY_BATCH;
            for (message, conversation) in batch {
                after = message.id;
                replayed.insert(message.id);
                let author = message.author_id.map(|id| names.get(&id).cloned().unwrap_or_default());
                let event = ChatEvent::Message {
                    conversation_id: conversation.id,
                    client_id: conversation.client_id,
                    owner_id: conversation.owner_id,
                    message: service::thread_message(&message, author, zone),
                };
                let Some(sse) = to_sse(event, zone, &audience) else { continue };
                if sender.send(sse).await.is_err() {
                    return;
                }
                sent += 1;
            }
            if !full {
                break;
            }
            if sent >= MAX_REPLAY {
                // Too far behind to catch up message by message: the page reloads.
                let _ = sender.send(Event::default().event("reset").data("{}")).await;
                return;
            }
        }
    }
    loop {
        let payload = tokio::select! {
            () = sender.closed() => return,
            payload = subscription.next() => match payload {
                Some(payload) => payload,
                None => return,
            },
        };
        let sse = match payload {
            Incoming::Chat(payload) => {
                let Ok(event) = serde_json::from_str::<ChatEvent>(&payload) else {
                    tracing::warn!("ignored a malformed chat event");
                    continue;
                };
                if !reaches(&audience, &event) {
                    continue;
                }
                if let ChatEvent::Message { message, .. } = &event
                    && replayed.remove(&message.id)
                {
                    continue;
                }
                let Some(sse) = to_sse(event, zone, &audience) else { continue };
                sse
            }
            Incoming::Booking(payload) => {
                let Ok(change) = serde_json::from_str::<bookings::BookingChanged>(&payload) else {
                    tracing::warn!("ignored a malformed booking event");
                    continue;
                };
                let Audience::Team(user) = &audience else { continue };
                if !change.reaches(user) {
                    continue;
                }
                let Ok(data) = serde_json::to_string(&change) else { continue };
                Event::default().event(bookings::EVENT_NAME).data(data)
            }
        };
        match sender.try_send(sse) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::info!("dropped a chat stream that fell behind");
                return;
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return,
        }
    }
}
