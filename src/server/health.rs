//! `/healthz`: the process answers. `/readyz`: its required services answer too (503 otherwise).
use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use serde::Serialize;

use super::{db, state::AppState};
use crate::status::{model::ServiceState, service::redis_state};

pub async fn healthz() -> &'static str {
    "ok"
}

#[derive(Serialize)]
struct Readiness {
    ready: bool,
    database: &'static str,
    database_kind: &'static str,
    redis: &'static str,
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let database_up = db::ping(&state.db).await.is_ok();
    let redis = redis_state(&state).await;
    let ready = database_up && redis != ServiceState::Down;
    let body = Readiness {
        ready,
        database: if database_up { "up" } else { "down" },
        database_kind: db::backend_name(&state.db),
        redis: match redis {
            ServiceState::Up => "up",
            ServiceState::Down => "down",
            ServiceState::Embedded => "not configured",
        },
    };
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, [("cache-control", "no-store")], Json(body))
}
