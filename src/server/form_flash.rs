//! The server's half of `ui::form_flash`: a form posted without JavaScript that fails is answered
//! with a redirect to a clean address, its error and values kept in the session for the next page
//! view, which takes them out again.
use std::collections::BTreeMap;

use axum::{
    extract::Request,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use leptos::server_fn::error::ServerFnUrlError;
use tower_sessions::Session;

use crate::{shared::AppError, ui::form_flash::FormFlash};

const SESSION_KEY: &str = "form_flash";
/// Values larger than this in all are not kept (the error still is): a session is no file store.
const MAX_KEPT_BYTES: usize = 64 * 1024;

/// A post from a plain HTML form (the browser asks for a page back), not from the app's client.
pub fn is_plain_form_post(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// Fields worth giving back: everything but secrets, within a size budget.
fn kept_fields(body: &[u8]) -> BTreeMap<String, String> {
    let fields: BTreeMap<String, String> = url::form_urlencoded::parse(body)
        .filter(|(key, _)| !key.contains("password"))
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    let size: usize = fields.iter().map(|(key, value)| key.len() + value.len()).sum();
    if size > MAX_KEPT_BYTES { BTreeMap::new() } else { fields }
}

/// `location` without the error the server-function machinery put in it, and that error.
fn split_error(location: &str) -> Option<(String, String, String)> {
    let url = url::Url::parse(location)
        .or_else(|_| url::Url::parse("http://localhost").and_then(|base| base.join(location)))
        .ok()?;
    let mut path = None;
    let mut error = None;
    let rest: Vec<(String, String)> = url
        .query_pairs()
        .filter_map(|(key, value)| match key.as_ref() {
            "__path" => {
                path = Some(value.into_owned());
                None
            }
            "__err" => {
                error = Some(value.into_owned());
                None
            }
            _ => Some((key.into_owned(), value.into_owned())),
        })
        .collect();
    let mut clean = url.path().to_owned();
    if !rest.is_empty() {
        clean.push('?');
        clean.push_str(&url::form_urlencoded::Serializer::new(String::new()).extend_pairs(rest).finish());
    }
    Some((clean, path?, error?))
}

async fn remember(session: Option<&Session>, flash: FormFlash) {
    let Some(session) = session else { return };
    if let Err(error) = session.insert(SESSION_KEY, flash).await {
        tracing::warn!(%error, "could not keep a failed form in the session");
    }
}

/// After a server function ran for a plain form: a failure's redirect loses the error from its
/// address, and the error and values go to the session instead.
pub async fn keep_failed_form(parts: &Parts, body: &[u8], response: Response) -> Response {
    if !response.status().is_redirection() || !is_plain_form_post(&parts.headers) {
        return response;
    }
    let Some((clean, path, error)) =
        response.headers().get(header::LOCATION).and_then(|location| location.to_str().ok()).and_then(split_error)
    else {
        return response;
    };
    remember(parts.extensions.get::<Session>(), FormFlash { path, error, fields: kept_fields(body) }).await;
    see_other(&clean)
}

/// A plain form's post refused before its server function ran (a field too long, control
/// characters, a body too large): back to the form, with the error, like any other failure.
pub async fn refuse_plain_form(parts: &Parts, body: &[u8], error: &AppError) -> Response {
    let back = parts
        .headers
        .get(header::REFERER)
        .and_then(|referer| referer.to_str().ok())
        .and_then(|referer| url::Url::parse(referer).ok())
        .and_then(|referer| {
            let page = match referer.query() {
                Some(query) => format!("{}?{query}", referer.path()),
                None => referer.path().to_owned(),
            };
            super::redirect::same_site_path(&page)
        })
        .unwrap_or_else(|| "/".to_owned());
    let encoded = ServerFnUrlError::new(parts.uri.path(), error.clone())
        .to_url("http://localhost/")
        .ok()
        .and_then(|url| url.query_pairs().find(|(key, _)| key == "__err").map(|(_, value)| value.into_owned()))
        .unwrap_or_default();
    let flash = FormFlash { path: parts.uri.path().to_owned(), error: encoded, fields: kept_fields(body) };
    remember(parts.extensions.get::<Session>(), flash).await;
    see_other(&back)
}

fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(_) => (StatusCode::SEE_OTHER, [(header::LOCATION, HeaderValue::from_static("/"))]).into_response(),
    }
}

/// Before a page renders: the flash left for it, taken out of the session (one view only) and
/// handed to the page through the request.
pub async fn take_for_page(mut request: Request, next: Next) -> Response {
    let is_page = request.method() == Method::GET
        && !request.uri().path().starts_with("/api/")
        && !super::security::is_static_file(request.uri().path());
    if is_page && let Some(session) = request.extensions().get::<Session>().cloned() {
        // Read first: removing marks the session changed, which would save (and create) it.
        if let Ok(Some(flash)) = session.get::<FormFlash>(SESSION_KEY).await {
            let _ = session.remove::<FormFlash>(SESSION_KEY).await;
            request.extensions_mut().insert(flash);
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_leaves_the_address_and_the_rest_stays() {
        let (clean, path, error) =
            split_error("http://localhost:3000/clients?q=ana&sort=name&__path=%2Fapi%2Flogin&__err=eyJ4In0%3D")
                .unwrap();
        assert_eq!(clean, "/clients?q=ana&sort=name");
        assert_eq!(path, "/api/login");
        assert_eq!(error, "eyJ4In0=");
        assert_eq!(split_error("/login?__path=%2Fapi%2Flogin&__err=e30").unwrap().0, "/login");
        assert!(split_error("/login").is_none());
    }

    #[test]
    fn passwords_are_never_kept() {
        let fields = kept_fields(b"email=a%40b.c&password=secret&new_password=x&remember=on");
        assert_eq!(fields.keys().map(String::as_str).collect::<Vec<_>>(), ["email", "remember"]);
        let big = format!("notes={}", "a".repeat(MAX_KEPT_BYTES + 1));
        assert!(kept_fields(big.as_bytes()).is_empty());
    }
}
