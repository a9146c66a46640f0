//! Client server functions: each resolves the signed-in user and hands it to the service.
use leptos::prelude::*;

use super::model::{ClientForm, ClientHit, ClientPage, ClientQuery, StrategyChoice};
use crate::shared::AppError;

#[cfg(feature = "ssr")]
use crate::server::request::respond;
#[cfg(feature = "ssr")]
use crate::users::auth::signed_in;

#[server(prefix = "/api", endpoint = "list_clients")]
pub async fn list_clients(#[server(flatten)] query: ClientQuery) -> Result<ClientPage, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::service::list(&state, &user, &query).await
        }
        .await,
    )
}

/// Clients matching `q` for the command palette (empty below two characters).
#[server(prefix = "/api", endpoint = "find_clients")]
pub async fn find_clients(#[server(default)] q: String) -> Result<Vec<ClientHit>, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::service::quick_find(&state, &user, &q).await
        }
        .await,
    )
}

/// The client form's data: the values (empty for a new client) and the strategies to choose from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EditorData {
    pub id: Option<i64>,
    pub form: ClientForm,
    pub strategies: Vec<StrategyChoice>,
}

#[server(prefix = "/api", endpoint = "client_editor")]
pub async fn client_editor(#[server(default)] id: Option<i64>) -> Result<EditorData, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            match id {
                Some(id) => {
                    let client = super::service::find(&state.db, &user, id).await?;
                    let strategies = super::service::strategy_choices(&state, client.owner_id).await?;
                    Ok(EditorData { id: Some(id), form: super::service::form_of(&client), strategies })
                }
                None => {
                    let strategies = super::service::strategy_choices(&state, user.id).await?;
                    let default = crate::strategies::service::default_for(&state.db, user.id).await?;
                    let form = ClientForm {
                        status: "lead".to_owned(),
                        strategy_id: default.map(|id| id.to_string()).unwrap_or_default(),
                        ..Default::default()
                    };
                    Ok(EditorData { id: None, form, strategies })
                }
            }
        }
        .await,
    )
}

/// Creates a client and goes to the list, where it shows first (newest activity). `add_anyway` is
/// set when the person saw that the email or phone is already a client's and adds it all the same.
#[server(prefix = "/api", endpoint = "create_client")]
pub async fn create_client(
    #[server(flatten)] form: ClientForm,
    #[server(default)] add_anyway: Option<String>,
) -> Result<i64, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            use super::service::Duplicates;
            let duplicates = if add_anyway.is_some() { Duplicates::Allow } else { Duplicates::Warn };
            let id = super::service::create(&state, &user, &form, duplicates).await?;
            leptos_axum::redirect("/clients");
            Ok(id)
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "update_client")]
pub async fn update_client(id: i64, #[server(flatten)] form: ClientForm) -> Result<(), AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::service::update(&state, &user, id, &form).await?;
            leptos_axum::redirect(&format!("/clients/{id}"));
            Ok(())
        }
        .await,
    )
}

/// Bulk actions on selected clients: `action` is "status", "strategy" or "delete". With `scope`
/// "matching" they apply to every client matching `filter` (the list's query string) instead of
/// the ticked `ids`, in one transaction.
#[server(prefix = "/api", endpoint = "bulk_clients")]
pub async fn bulk_clients(
    action: String,
    #[server(default)] ids: Vec<i64>,
    #[server(default)] status: String,
    #[server(default)] strategy_id: Option<i64>,
    #[server(default)] confirm: Option<String>,
    #[server(default)] scope: String,
    #[server(default)] filter: String,
) -> Result<u64, AppError> {
    respond(
        async {
            use super::service::Target;
            let (state, user) = signed_in().await?;
            let matching = (scope == "matching").then(|| filter_query(&filter));
            let target = match &matching {
                Some(query) => Target::Matching(query),
                None => Target::Ids(&ids),
            };
            let changed = match action.as_str() {
                "status" => super::service::set_status_of(&state, &user, target, &status).await?,
                "strategy" => {
                    let strategy_id =
                        strategy_id.ok_or_else(|| AppError::field("strategy_id", "Choose a strategy."))?;
                    super::service::set_strategy_of(&state, &user, target, strategy_id).await?
                }
                "delete" if confirm.is_none() => {
                    return Err(AppError::field("confirm", "Tick the box to confirm that the clients are deleted."));
                }
                "delete" => super::service::delete_of(&state, &user, target).await?,
                _ => return Err(AppError::field("action", "Choose what to do with the selected clients.")),
            };
            Ok(changed)
        }
        .await,
    )
}

/// The list's filters from its query string (`?q=…&status=…`), as the bulk form sends them.
#[cfg(feature = "ssr")]
pub fn filter_query(text: &str) -> ClientQuery {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(text.trim_start_matches('?').as_bytes()).into_owned().collect();
    ClientQuery::from_pairs(|key| pairs.iter().find(|(name, _)| name == key).map(|(_, value)| value.clone()))
        .first_page()
}

/// What the list's filters offer: the caller's strategies (admins: everyone's) and, for admins,
/// the owners.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FilterChoices {
    pub strategies: Vec<StrategyChoice>,
    pub owners: Vec<(i64, String)>,
}

#[server(prefix = "/api", endpoint = "client_filters")]
pub async fn client_filters() -> Result<FilterChoices, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::service::filters(&state, &user).await
        }
        .await,
    )
}
