//! Server functions of the client page and the pipeline board.
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::detail::TimelineQuery;
use super::{
    detail::{ActivityEntry, ClientDetail, MessageRow, NoteEntry, TimelinePage},
    model::ClientQuery,
    pipeline::PipelineBoard,
};
use crate::shared::AppError;

#[cfg(feature = "ssr")]
use crate::server::request::{redirect_plain_form, respond};
#[cfg(feature = "ssr")]
use crate::users::auth::signed_in;

#[server(prefix = "/api", endpoint = "client_profile")]
pub async fn client_profile(id: i64) -> Result<ClientDetail, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::detail_service::detail(&state, &user, id).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "client_messages")]
pub async fn client_messages(
    id: i64,
    #[server(default)] older: String,
    #[server(default)] newer: String,
) -> Result<TimelinePage<MessageRow>, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::detail_service::messages(&state, &user, id, &TimelineQuery { older, newer }).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "client_activity")]
pub async fn client_activity(
    id: i64,
    #[server(default)] older: String,
    #[server(default)] newer: String,
) -> Result<TimelinePage<ActivityEntry>, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::detail_service::activity(&state, &user, id, &TimelineQuery { older, newer }).await
        }
        .await,
    )
}

/// A page of the client's notes, newest first.
#[server(prefix = "/api", endpoint = "client_notes")]
pub async fn client_notes(
    id: i64,
    #[server(default)] older: String,
    #[server(default)] newer: String,
) -> Result<TimelinePage<NoteEntry>, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::notes::service::page(&state, &user, id, &TimelineQuery { older, newer }).await
        }
        .await,
    )
}

/// Adds a note to the client's log; a plain form goes back to the client page.
#[server(prefix = "/api", endpoint = "add_client_note")]
pub async fn add_client_note(id: i64, #[server(default)] body: String) -> Result<i64, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            let note = super::notes::service::add(&state, &user, id, &body).await?;
            redirect_plain_form(&format!("/clients/{id}"));
            Ok(note)
        }
        .await,
    )
}

/// Deletes one client, once the person ticked the confirmation, and goes to the list.
#[server(prefix = "/api", endpoint = "delete_client")]
pub async fn delete_client(id: i64, #[server(default)] confirm: Option<String>) -> Result<(), AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            if confirm.is_none() {
                return Err(AppError::field("confirm", "Tick the box to confirm that this client is deleted."));
            }
            super::service::delete(&state, &user, &[id]).await?;
            leptos_axum::redirect("/clients");
            Ok(())
        }
        .await,
    )
}

/// Moves one client to a pipeline stage (the client page's status form and the board's cards);
/// returns the stage. A plain form goes back to `back`, one of this app's pages.
#[server(prefix = "/api", endpoint = "move_client")]
pub async fn move_client(id: i64, status: String, #[server(default)] back: String) -> Result<String, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::service::set_status(&state, &user, &[id], &status).await?;
            redirect_plain_form(&crate::server::redirect::same_site_or(Some(&back), &format!("/clients/{id}")));
            Ok(status)
        }
        .await,
    )
}

/// The pipeline board, filtered like the list (search, strategy, owner).
#[server(prefix = "/api", endpoint = "load_pipeline")]
pub async fn load_pipeline(#[server(flatten)] query: ClientQuery) -> Result<PipelineBoard, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::pipeline_service::board(&state, &user, &query).await
        }
        .await,
    )
}
