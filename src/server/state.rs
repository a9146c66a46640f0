//! The state every handler and server function shares.
use std::{sync::Arc, time::Instant};

use axum::extract::FromRef;
use leptos::prelude::*;
use sea_orm::DatabaseConnection;

use super::{config::Config, infra::Infra, redis::RedisHandle, sessions::AnySessionStore};
use crate::shared::AppError;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    /// `None` on the embedded default: in-process implementations stand in.
    pub redis: Option<Arc<RedisHandle>>,
    pub infra: Arc<Infra>,
    pub sessions: AnySessionStore,
    pub auth: crate::users::auth::AuthPolicy,
    pub config: Arc<Config>,
    pub started_at: Instant,
}

/// The state inside a server function or a component rendered on the server.
pub fn current() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the reactive context");
        AppError::Internal
    })
}
