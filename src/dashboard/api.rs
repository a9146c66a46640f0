use leptos::prelude::*;

use super::model::{Dashboard, DashboardQuery};
use crate::shared::AppError;

/// The signed-in person's dashboard for `query`'s range (an admin's: everyone's, or one owner's).
#[server(prefix = "/api", endpoint = "load_dashboard")]
pub async fn load_dashboard(#[server(flatten)] query: DashboardQuery) -> Result<Dashboard, AppError> {
    crate::server::request::respond(
        async {
            let (state, user) = crate::users::auth::signed_in().await?;
            super::service::dashboard(&state, &user, &query).await
        }
        .await,
    )
}
