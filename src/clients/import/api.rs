//! Import server functions: the mapping page's data, starting an import, and its progress.
//! Uploads and the error report are plain axum routes (see `http`): files are not server-function
//! arguments.
use leptos::prelude::*;

use super::model::{ImportProgress, ImportSettings, ImportView};
use crate::shared::AppError;

#[cfg(feature = "ssr")]
use crate::server::request::respond;
#[cfg(feature = "ssr")]
use crate::users::auth::signed_in;

#[server(prefix = "/api", endpoint = "client_import")]
pub async fn client_import(id: i64) -> Result<ImportView, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::service::view(&state, &user, id).await
        }
        .await,
    )
}

/// Saves the mapping and queues the import; the page then shows its progress.
#[server(prefix = "/api", endpoint = "start_client_import")]
pub async fn start_client_import(id: i64, #[server(flatten)] settings: ImportSettings) -> Result<(), AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::service::start(&state, &user, id, &settings).await?;
            crate::server::request::redirect_plain_form(&format!("/clients/imports/{id}"));
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "client_import_progress")]
pub async fn client_import_progress(id: i64) -> Result<ImportProgress, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::service::progress(&state, &user, id).await
        }
        .await,
    )
}
