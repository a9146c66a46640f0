//! Server functions of the embedding settings (signed in: each user edits their own).
use leptos::prelude::*;

use super::model::EmbedSettings;
use crate::shared::AppError;

#[cfg(feature = "ssr")]
use crate::server::request::{redirect_plain_form, respond, site_origin};

/// The signed-in user's embedding settings and snippet.
#[server(prefix = "/api", endpoint = "load_embed_settings")]
pub async fn load_embed_settings() -> Result<EmbedSettings, AppError> {
    respond(
        async {
            let (state, user) = crate::users::auth::signed_in().await?;
            super::service::load(&state, &user, &site_origin(&state)).await
        }
        .await,
    )
}

/// Replaces the websites that may show the user's chat (one per line).
#[server(prefix = "/api", endpoint = "save_embed_origins")]
pub async fn save_embed_origins(#[server(default)] embed_origins: String) -> Result<EmbedSettings, AppError> {
    respond(
        async {
            let (state, user) = crate::users::auth::signed_in().await?;
            let saved = super::service::save(&state, &user, &embed_origins, &site_origin(&state)).await?;
            redirect_plain_form("/settings?saved=embed");
            Ok(saved)
        }
        .await,
    )
}
