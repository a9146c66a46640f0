//! What server functions need from the request: its session, the client's address, and an HTTP
//! status that matches the error they return.
use std::net::{IpAddr, SocketAddr};

use axum::{extract::ConnectInfo, http::HeaderMap};
use tower_sessions::Session;

use super::config::IpNetwork;
use crate::shared::AppError;

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|error| {
        tracing::error!(%error, "no session layer around a server function");
        AppError::Internal
    })
}

/// The client's address: the connection's peer, or, when the peer is one of
/// `CRM_TRUSTED_PROXIES`, what the proxies say in `X-Forwarded-For` (see [`forwarded_client`]).
pub async fn client_ip() -> Option<IpAddr> {
    let peer = leptos_axum::extract::<ConnectInfo<SocketAddr>>().await.ok().map(|ConnectInfo(addr)| addr.ip());
    let trusted = leptos::prelude::use_context::<super::state::AppState>()
        .map(|state| state.config.trusted_proxies.clone())
        .unwrap_or_default();
    if trusted.is_empty() {
        return peer;
    }
    let headers = leptos::prelude::use_context::<axum::http::request::Parts>().map(|parts| parts.headers);
    forwarded_client(peer, headers.as_ref(), &trusted)
}

/// The right-most address of `X-Forwarded-For` that is not a trusted proxy, walking from the
/// trusted peer towards the client; the peer itself when it is not trusted or the header is
/// missing or malformed. Entries to the left of the first untrusted one are whatever the client
/// chose to send, so they are never used. When every entry is trusted, the left-most one is the
/// client (a request from inside the proxies' own network).
pub fn forwarded_client(peer: Option<IpAddr>, headers: Option<&HeaderMap>, trusted: &[IpNetwork]) -> Option<IpAddr> {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|network| network.contains(ip));
    let peer_ip = peer?;
    if !is_trusted(peer_ip) {
        return peer;
    }
    let Some(headers) = headers else { return peer };
    let mut entries = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(value) = value.to_str() else { return peer };
        for entry in value.split(',') {
            match parse_forwarded_entry(entry) {
                Some(ip) => entries.push(ip),
                None => return peer,
            }
        }
    }
    let mut client = peer;
    for ip in entries.into_iter().rev() {
        client = Some(ip);
        if !is_trusted(ip) {
            break;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`192.0.2.1:4711`, `[2001:db8::1]:80`).
fn parse_forwarded_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if entry.len() > 64 {
        return None;
    }
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    entry.parse::<SocketAddr>().ok().map(|addr| addr.ip())
}

/// A plain HTML form post (no JavaScript): the server-function machinery answers it with a
/// redirect back to the form, carrying the error, and that redirect status must stand.
fn is_plain_form_post() -> bool {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.headers.get(axum::http::header::ACCEPT)?.to_str().ok().map(str::to_owned))
        .is_some_and(|accept| accept.contains("text/html"))
}

/// This app's origin as the browser that sent the request sees it: `CRM_PUBLIC_ORIGIN` when set,
/// else the scheme the configuration implies and the request's `Host`.
pub fn site_origin(state: &super::state::AppState) -> String {
    if let Some(origin) = &state.config.public_origin {
        return origin.trim_end_matches('/').to_owned();
    }
    let host = leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.headers.get(axum::http::header::HOST)?.to_str().ok().map(str::to_owned))
        .unwrap_or_else(|| state.config.site_addr.to_string());
    format!("{}://{host}", if state.config.secure { "https" } else { "http" })
}

/// Whether the request came to a loopback address (`localhost`, `127.0.0.1`, `[::1]`), which
/// browsers treat as secure even over plain HTTP.
pub fn is_loopback_host() -> bool {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.headers.get(axum::http::header::HOST)?.to_str().ok().map(str::to_owned))
        .and_then(|host| url::Url::parse(&format!("http://{host}")).ok())
        .and_then(|url| url.host_str().map(str::to_owned))
        .is_some_and(|host| matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]"))
}

/// After a successful plain form post, sends the browser to `path` (for example a page that
/// says "saved"); with JavaScript the page shows the outcome itself and no redirect is needed.
pub fn redirect_plain_form(path: &str) {
    if is_plain_form_post() {
        super::redirect::redirect(path);
    }
}

/// Sets the HTTP status of an error response, so the status matches the error.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result
        && !is_plain_form_post()
        && let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
    {
        response.set_status(
            axum::http::StatusCode::from_u16(error.status_code())
                .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
        );
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(peer: &str, header: Option<&str>, trusted: &[&str]) -> Option<IpAddr> {
        let mut headers = HeaderMap::new();
        if let Some(header) = header {
            headers.insert("x-forwarded-for", header.parse().unwrap());
        }
        let trusted: Vec<IpNetwork> = trusted.iter().map(|raw| IpNetwork::parse(raw).unwrap()).collect();
        forwarded_client(Some(peer.parse().unwrap()), Some(&headers), &trusted)
    }

    fn ip(raw: &str) -> Option<IpAddr> {
        Some(raw.parse().unwrap())
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        assert_eq!(forwarded("203.0.113.9", Some("198.51.100.1"), &[]), ip("203.0.113.9"));
        assert_eq!(forwarded("203.0.113.9", Some("198.51.100.1"), &["10.0.0.0/8"]), ip("203.0.113.9"));
        assert_eq!(forwarded("10.0.0.2", Some("198.51.100.1"), &["10.0.0.0/8"]), ip("198.51.100.1"));
        // A client's own forged entries sit left of the first untrusted one and are ignored.
        assert_eq!(forwarded("10.0.0.2", Some("1.2.3.4, 198.51.100.1, 10.0.0.7"), &["10.0.0.0/8"]), ip("198.51.100.1"));
        assert_eq!(forwarded("10.0.0.2", Some("10.0.0.9, 10.0.0.7"), &["10.0.0.0/8"]), ip("10.0.0.9"));
        assert_eq!(forwarded("10.0.0.2", Some("[2001:db8::1]:443"), &["10.0.0.0/8"]), ip("2001:db8::1"));
        assert_eq!(forwarded("10.0.0.2", None, &["10.0.0.0/8"]), ip("10.0.0.2"));
        assert_eq!(forwarded("10.0.0.2", Some("not an address"), &["10.0.0.0/8"]), ip("10.0.0.2"));
    }
}
