//! `GET /talk/{slug}/events`: the lead's live stream. The lead's cookie decides whose
//! conversation; it carries that conversation's visible messages only (never a private note),
//! replaying after `Last-Event-ID` like the team's stream. Rate limited per address as a read.
use std::net::SocketAddr;

use axum::{
    Router,
    extract::{ConnectInfo, Path, Query, State},
    http::{Extensions, HeaderMap},
    response::Response,
    routing::get,
};

use super::service::{self, Call};
use crate::{
    chat::events::{StreamQuery, error_response, open, replay_from},
    server::state::AppState,
    shared::AppError,
};

pub fn routes() -> Router<AppState> {
    Router::new().route("/talk/{slug}/events", get(stream))
}

/// The value of the cookie `name` in `headers`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

async fn stream(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    extensions: Extensions,
    headers: HeaderMap,
    Query(query): Query<StreamQuery>,
) -> Response {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip());
    let client_ip = crate::server::request::forwarded_client(peer, Some(&headers), &state.config.trusted_proxies);
    if let Err(error) = service::limit(&state, client_ip, Call::Read).await {
        return error_response(error);
    }
    let owner = match crate::bookings::public::service::owner_by_slug(&state.db, &slug).await {
        Ok(owner) => owner,
        Err(_) => return error_response(AppError::NotFound("This chat".to_owned())),
    };
    let token = cookie(&headers, &service::cookie_name(&slug));
    let (audience, zone) = match service::lead(&state.db, &owner, token).await {
        Ok(Some(lead)) => (lead.audience(), service::lead_zone(&owner, &lead.client)),
        Ok(None) => (None, service::owner_zone(&owner)),
        Err(error) => return error_response(error),
    };
    let Some(audience) = audience else {
        return error_response(AppError::NotFound("This conversation".to_owned()));
    };
    open(state.clone(), audience, zone, replay_from(&headers, &query)).await
}
