//! Server functions of the AI persona: thin, the reply service decides.
use leptos::prelude::*;

use crate::shared::AppError;

#[cfg(feature = "ssr")]
use crate::server::request::{redirect_plain_form, respond};
#[cfg(feature = "ssr")]
use crate::users::auth::signed_in;

/// Asks the persona to answer the lead's newest message again, after a reply that failed; a plain
/// form goes back to the thread.
#[server(prefix = "/api", endpoint = "retry_ai_reply")]
pub async fn retry_ai_reply(client_id: i64) -> Result<(), AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::reply::retry(&state, &user, client_id).await?;
            redirect_plain_form(&format!("/chat/{client_id}"));
            Ok(())
        }
        .await,
    )
}

/// Wakes the AI of a conversation before its takeover pause ends (it answers the lead's last
/// message when nobody has); a plain form goes back to the thread.
#[server(prefix = "/api", endpoint = "resume_ai")]
pub async fn resume_ai(client_id: i64) -> Result<(), AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::reply::resume(&state, &user, client_id).await?;
            redirect_plain_form(&format!("/chat/{client_id}"));
            Ok(())
        }
        .await,
    )
}

/// Sends the AI's draft as is, with what it does (a booking, a stage); a plain form goes back to
/// the thread.
#[server(prefix = "/api", endpoint = "send_ai_draft")]
pub async fn send_ai_draft(client_id: i64) -> Result<(), AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::reply::send_draft(&state, &user, client_id).await?;
            redirect_plain_form(&format!("/chat/{client_id}"));
            Ok(())
        }
        .await,
    )
}

/// Discards the AI's draft; a plain form goes back to the thread.
#[server(prefix = "/api", endpoint = "discard_ai_draft")]
pub async fn discard_ai_draft(client_id: i64) -> Result<(), AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            crate::chat::service::discard_ai_draft(&state, &user, client_id).await?;
            redirect_plain_form(&format!("/chat/{client_id}"));
            Ok(())
        }
        .await,
    )
}
