//! Server functions of the AI persona: thin, the reply service decides.
use leptos::prelude::*;

use crate::shared::AppError;

#[cfg(feature = "ssr")]
use crate::server::request::{redirect_plain_form, respond};
#[cfg(feature = "ssr")]
use crate::users::auth::signed_in;

/// What a person asks of the AI in a client's conversation: `retry` a reply that failed, `resume`
/// it before its takeover pause ends (it answers the lead's last word), `send_draft` (its
/// suggestion, as is, with its action) or `discard_draft`. One server function for the four keeps
/// the thread's client code small. Answers what was done; a plain form goes back to the thread.
#[server(prefix = "/api", endpoint = "ai_action")]
pub async fn ai_action(client_id: i64, action: String) -> Result<String, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            let done = match action.as_str() {
                "retry" => {
                    super::reply::retry(&state, &user, client_id).await?;
                    "The AI is trying again."
                }
                "resume" => {
                    super::reply::resume(&state, &user, client_id).await?;
                    "The AI answers again."
                }
                "send_draft" => {
                    super::reply::send_draft(&state, &user, client_id).await?;
                    "The AI's answer was sent."
                }
                "discard_draft" => {
                    crate::chat::service::discard_ai_draft(&state, &user, client_id).await?;
                    "The draft was discarded."
                }
                _ => return Err(AppError::field("action", "Choose retry, resume, send_draft or discard_draft.")),
            };
            redirect_plain_form(&format!("/chat/{client_id}"));
            Ok(done.to_owned())
        }
        .await,
    )
}
