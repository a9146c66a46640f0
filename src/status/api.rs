use leptos::prelude::*;

use super::model::StatusReport;
use crate::shared::AppError;

/// What this server runs on: for admins only (versions and services help attackers too).
#[server(prefix = "/api", endpoint = "system_status")]
pub async fn system_status() -> Result<StatusReport, AppError> {
    crate::server::request::respond(
        async {
            let state = crate::server::state::current()?;
            crate::users::auth::require_admin(&state, &crate::server::request::session().await?).await?;
            Ok(super::service::collect(&state).await)
        }
        .await,
    )
}
