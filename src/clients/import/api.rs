//! Import server functions: the mapping page's data, the separator, starting or discarding an
//! import, its progress, and the user's import history.
//! Uploads and the error report are plain axum routes (see `http`): files are not server-function
//! arguments.
use leptos::prelude::*;

use super::model::{ImportProgress, ImportSettings, ImportSummary, ImportView};
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

/// Reads the draft's file again with another column separator (the mapping page then shows the
/// new columns).
#[server(prefix = "/api", endpoint = "set_client_import_separator")]
pub async fn set_client_import_separator(id: i64, separator: String) -> Result<(), AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::service::set_separator(&state, &user, id, &separator).await?;
            crate::server::request::redirect_plain_form(&format!("/clients/imports/{id}"));
            Ok(())
        }
        .await,
    )
}

/// Deletes a draft and its file.
#[server(prefix = "/api", endpoint = "discard_client_import")]
pub async fn discard_client_import(id: i64) -> Result<(), AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::service::discard(&state, &user, id).await?;
            crate::server::request::redirect_plain_form("/clients/import");
            Ok(())
        }
        .await,
    )
}

/// The user's latest imports, newest first.
#[server(prefix = "/api", endpoint = "client_import_history")]
pub async fn client_import_history() -> Result<Vec<ImportSummary>, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::service::history(&state, &user).await
        }
        .await,
    )
}
