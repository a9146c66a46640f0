//! The playground's one server function: thin, the service decides.
use leptos::prelude::*;

use super::model::{PlaygroundReply, PlaygroundTurn};
#[cfg(feature = "ssr")]
use crate::server::request::respond;
use crate::{shared::AppError, strategies::model::StrategyForm};

/// The persona of `form` (the editor's fields as they stand) answers the last of `turns`.
#[server(prefix = "/api", endpoint = "try_persona")]
pub async fn try_persona(
    #[server(flatten)] form: StrategyForm,
    #[server(default)] turns: Vec<PlaygroundTurn>,
) -> Result<PlaygroundReply, AppError> {
    respond(
        async {
            let (state, user) = crate::users::auth::signed_in().await?;
            super::service::answer(&state, &user, &form, &turns).await
        }
        .await,
    )
}
