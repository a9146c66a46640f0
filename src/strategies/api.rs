//! Strategy server functions: thin wrappers that hand the signed-in user to [`super::service`].
use leptos::prelude::*;

use super::model::{Strategy, StrategyDetails, StrategyForm, StrategyList, StrategyOption};
use crate::shared::AppError;

#[cfg(feature = "ssr")]
use crate::server::request::{redirect_plain_form, respond};
#[cfg(feature = "ssr")]
use crate::users::auth::signed_in;

/// One page of the caller's strategies (everyone's for an admin) whose name or tag contains `q`.
#[server(prefix = "/api", endpoint = "list_strategies")]
pub async fn list_strategies(
    #[server(default)] q: String,
    #[server(default)] sort: String,
    #[server(default)] page: u64,
) -> Result<StrategyList, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            let sort = super::model::StrategySort::parse(&sort);
            super::service::list(&state, &user, &q, sort, page).await
        }
        .await,
    )
}

/// A strategy with its owner, the clients using it and where they could move.
#[server(prefix = "/api", endpoint = "get_strategy")]
pub async fn get_strategy(id: i64) -> Result<StrategyDetails, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::service::details(&state, &user, id).await
        }
        .await,
    )
}

/// Creates a strategy and opens it in the editor.
#[server(prefix = "/api", endpoint = "create_strategy")]
pub async fn create_strategy(#[server(flatten)] form: StrategyForm) -> Result<Strategy, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            let strategy = super::service::create(&state, &user, &form).await?;
            leptos_axum::redirect(&format!("/strategies/{}?created=1", strategy.id));
            Ok(strategy)
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "update_strategy")]
pub async fn update_strategy(id: i64, #[server(flatten)] form: StrategyForm) -> Result<Strategy, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            let strategy = super::service::update(&state, &user, id, &form).await?;
            redirect_plain_form(&format!("/strategies/{id}?saved=1"));
            Ok(strategy)
        }
        .await,
    )
}

/// Copies a strategy and opens the copy in the editor.
#[server(prefix = "/api", endpoint = "duplicate_strategy")]
pub async fn duplicate_strategy(id: i64) -> Result<Strategy, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            let copy = super::service::duplicate(&state, &user, id).await?;
            leptos_axum::redirect(&format!("/strategies/{}?copied=1", copy.id));
            Ok(copy)
        }
        .await,
    )
}

/// Makes a strategy its owner's default for new clients.
#[server(prefix = "/api", endpoint = "make_default_strategy")]
pub async fn make_default_strategy(id: i64) -> Result<(), AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::service::make_default(&state, &user, id).await?;
            redirect_plain_form(&format!("/strategies/{id}"));
            Ok(())
        }
        .await,
    )
}

/// Shares a strategy with the team or stops sharing it (admins only); returns whether it is shared.
#[server(prefix = "/api", endpoint = "share_strategy")]
pub async fn share_strategy(id: i64, shared: bool) -> Result<bool, AppError> {
    respond(
        async {
            let state = crate::server::state::current()?;
            let admin = crate::users::auth::require_admin(&state, &crate::server::request::session().await?).await?;
            super::service::set_shared(&state, &admin, id, shared).await?;
            redirect_plain_form(&format!("/strategies/{id}"));
            Ok(shared)
        }
        .await,
    )
}

/// Deletes a strategy; clients using it move to `move_clients_to` (a strategy id, or empty).
#[server(prefix = "/api", endpoint = "delete_strategy")]
pub async fn delete_strategy(id: i64, #[server(default)] move_clients_to: String) -> Result<(), AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            let target = match move_clients_to.trim() {
                "" => None,
                target => Some(
                    target
                        .parse::<i64>()
                        .map_err(|_| AppError::field("move_clients_to", "Choose a strategy from the list."))?,
                ),
            };
            super::service::delete(&state, &user, id, target).await?;
            leptos_axum::redirect("/strategies?deleted=1");
            Ok(())
        }
        .await,
    )
}

/// The strategies the caller can give a client, by name.
#[server(prefix = "/api", endpoint = "strategy_options")]
pub async fn strategy_options() -> Result<Vec<StrategyOption>, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::service::options(&state, &user).await
        }
        .await,
    )
}
