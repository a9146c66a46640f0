use super::model::{ServiceState, StatusReport};
use crate::server::{db, state::AppState};

pub async fn collect(state: &AppState) -> StatusReport {
    let database = match db::ping(&state.db).await {
        Ok(()) => ServiceState::Up,
        Err(_) => ServiceState::Down,
    };
    let schema_version = db::schema_version(&state.db).await.ok().flatten();
    StatusReport {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        uptime_secs: state.started_at.elapsed().as_secs(),
        database_kind: db::backend_name(&state.db).to_owned(),
        database,
        redis: redis_state(state).await,
        schema_version,
    }
}

pub async fn redis_state(state: &AppState) -> ServiceState {
    match &state.redis {
        None => ServiceState::Embedded,
        Some(redis) => match redis.ping().await {
            Ok(()) => ServiceState::Up,
            Err(_) => ServiceState::Down,
        },
    }
}
