//! Server functions of the inbox and the thread: thin, the service decides.
use leptos::prelude::*;

use super::model::{InboxPage, InboxQuery, Thread, ThreadMessage};
use crate::shared::AppError;

#[cfg(feature = "ssr")]
use crate::server::request::{redirect_plain_form, respond};
#[cfg(feature = "ssr")]
use crate::users::auth::signed_in;

/// A page of the inbox, filtered by the address.
#[server(prefix = "/api", endpoint = "load_inbox")]
pub async fn load_inbox(#[server(flatten)] query: InboxQuery) -> Result<InboxPage, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::service::inbox(&state, &user, &query).await
        }
        .await,
    )
}

/// The thread with a client (the newest messages, or those before `older`); opening the newest
/// page marks it read.
#[server(prefix = "/api", endpoint = "load_thread")]
pub async fn load_thread(client_id: i64, #[server(default)] older: String) -> Result<Thread, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::service::thread(&state, &user, client_id, &older, true).await
        }
        .await,
    )
}

/// Sends a message to the lead, or a private note (`private=on`); a plain form goes back to the
/// thread, which shows it.
#[server(prefix = "/api", endpoint = "send_chat_message")]
pub async fn send_chat_message(
    client_id: i64,
    #[server(default)] body: String,
    #[server(default)] private: Option<String>,
) -> Result<ThreadMessage, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            let recorded = super::service::record(
                &state,
                super::service::NewMessage {
                    client_id,
                    author: super::service::Author::Agent(&user),
                    body: &body,
                    private: private.is_some_and(|value| !value.is_empty() && value != "false"),
                    channel: "web",
                },
            )
            .await?;
            redirect_plain_form(&format!("/chat/{client_id}"));
            let zone = crate::clients::detail_service::viewer_zone(&state.db, &user).await?;
            Ok(super::service::thread_message(&recorded.message, Some(user.name.clone()), zone))
        }
        .await,
    )
}

/// Marks the thread read up to `message_id` (its newest message without one).
#[server(prefix = "/api", endpoint = "mark_chat_read")]
pub async fn mark_chat_read(client_id: i64, #[server(default)] message_id: Option<i64>) -> Result<(), AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::service::mark_read(&state, &user, client_id, message_id).await
        }
        .await,
    )
}

/// Switches the AI of a conversation off, to suggestions or to answering on its own.
#[server(prefix = "/api", endpoint = "set_chat_ai_mode")]
pub async fn set_chat_ai_mode(client_id: i64, mode: String) -> Result<String, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            let conversation = super::service::set_ai_mode(&state, &user, client_id, &mode).await?;
            redirect_plain_form(&format!("/chat/{client_id}"));
            Ok(conversation.ai_mode)
        }
        .await,
    )
}

/// Opens, closes or marks a conversation as waiting.
#[server(prefix = "/api", endpoint = "set_chat_state")]
pub async fn set_chat_state(client_id: i64, state: String) -> Result<String, AppError> {
    respond(
        async {
            let (app, user) = signed_in().await?;
            let conversation = super::service::set_state(&app, &user, client_id, &state).await?;
            redirect_plain_form(&format!("/chat/{client_id}"));
            Ok(conversation.state)
        }
        .await,
    )
}
