use leptos::prelude::*;

use super::model::StatusReport;
use crate::shared::AppError;

#[server(prefix = "/api", endpoint = "system_status")]
pub async fn system_status() -> Result<StatusReport, AppError> {
    let state = crate::server::state::current()?;
    Ok(super::service::collect(&state).await)
}
