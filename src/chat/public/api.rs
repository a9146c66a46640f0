//! Server functions of the public chat (deliberately public: no session; the lead's cookie reaches
//! only their own conversation; every call rate limited per client address). Thin: the service
//! decides.
use leptos::prelude::*;

use super::model::{PublicChat, StartTalkForm};
use crate::{chat::model::ThreadMessage, shared::AppError};

#[cfg(feature = "ssr")]
use crate::server::request::{redirect_plain_form, respond};

/// The state, after counting one public call of the client's address.
#[cfg(feature = "ssr")]
async fn public_call(call: super::service::Call) -> Result<crate::server::state::AppState, AppError> {
    let state = crate::server::state::current()?;
    let client_ip = crate::server::request::client_ip().await;
    super::service::limit(&state, client_ip, call).await?;
    Ok(state)
}

/// The lead's token for `slug`'s chat, from their cookie.
#[cfg(feature = "ssr")]
fn token(slug: &str) -> Option<String> {
    let parts = use_context::<axum::http::request::Parts>()?;
    super::stream::cookie(&parts.headers, &super::service::cookie_name(slug)).map(str::to_owned)
}

/// Where the lead's cookie goes. In a frame on the owner's website the browser sends only a
/// `SameSite=None` cookie, which must be `Secure` (HTTPS, or a loopback address), and `Partitioned`
/// keeps it to that website's frame. Otherwise `Lax`, and `Secure` over HTTPS.
#[cfg(feature = "ssr")]
pub fn cookie_scope(embedded: bool, https: bool, loopback: bool) -> &'static str {
    match (embedded && (https || loopback), https) {
        (true, _) => "SameSite=None; Secure; Partitioned",
        (false, true) => "SameSite=Lax; Secure",
        (false, false) => "SameSite=Lax",
    }
}

/// `/talk/{slug}`, with the conversation of the lead holding its cookie.
#[server(prefix = "/api", endpoint = "talk_page")]
pub async fn talk_page(slug: String) -> Result<PublicChat, AppError> {
    respond(
        async {
            let state = public_call(super::service::Call::Read).await?;
            let page = super::service::page(&state, &slug, token(&slug).as_deref()).await?;
            // Rendering the page: the owner's websites may show it in a frame.
            crate::server::security::allow_framing(&super::embed::service::frame_origins(&state, &slug).await?);
            Ok(page)
        }
        .await,
    )
}

/// Starts the conversation: stores who the lead is and their first message, and gives their
/// browser the cookie that reaches it (without JavaScript: back to the page, which shows it).
#[server(prefix = "/api", endpoint = "start_talk")]
pub async fn start_talk(slug: String, #[server(flatten)] form: StartTalkForm) -> Result<(), AppError> {
    respond(
        async {
            let state = public_call(super::service::Call::Start).await?;
            let token = super::service::start(&state, &slug, &form).await?;
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                let embedded = !super::embed::service::frame_origins(&state, &slug).await?.is_empty();
                let cookie = format!(
                    "{}={token}; Path=/; Max-Age=15552000; HttpOnly; {}",
                    super::service::cookie_name(&slug),
                    cookie_scope(embedded, state.config.secure, crate::server::request::is_loopback_host())
                );
                if let Ok(value) = axum::http::HeaderValue::from_str(&cookie) {
                    response.append_header(axum::http::header::SET_COOKIE, value);
                }
            }
            redirect_plain_form(&format!("/talk/{slug}"));
            Ok(())
        }
        .await,
    )
}

/// A message from the lead holding the cookie.
#[server(prefix = "/api", endpoint = "send_talk_message")]
pub async fn send_talk_message(slug: String, #[server(default)] body: String) -> Result<ThreadMessage, AppError> {
    respond(
        async {
            let state = public_call(super::service::Call::Message).await?;
            let message = super::service::send(&state, &slug, token(&slug).as_deref(), &body).await?;
            redirect_plain_form(&format!("/talk/{slug}"));
            Ok(message)
        }
        .await,
    )
}
