use leptos::prelude::*;

use super::model::FirstSteps;
use crate::shared::AppError;

/// The signed-in person's first steps.
#[server(prefix = "/api", endpoint = "load_first_steps")]
pub async fn load_first_steps() -> Result<FirstSteps, AppError> {
    crate::server::request::respond(
        async {
            let (state, user) = crate::users::auth::signed_in().await?;
            super::service::first_steps(&state, &user).await
        }
        .await,
    )
}
