//! Every server function's request, checked once before any of them runs, and its error answered
//! with the status the error stands for.
//!
//! Server functions decode their arguments from a form-encoded body. Before that happens, this
//! middleware:
//! - reads the body within a size limit (413) and a deadline (408), so that no handler sees a body
//!   that is too large or that trickles in forever;
//! - refuses any field longer than the longest text the app accepts, or holding control
//!   characters (NUL, escape sequences...; tab and newlines are text), with 422 naming the field,
//!   so no service, database or log ever sees them.
//!
//! Afterwards, a server function's error response (which the server-function machinery always
//! sends as 500) gets the HTTP status of the [`AppError`] it carries: a malformed argument is the
//! client's mistake (400), not the server's.
use std::time::Duration;

use axum::{
    body::{Body, Bytes, to_bytes},
    extract::Request,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::shared::AppError;

/// The largest server-function body: nine strategy texts of 20,000 characters fit.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// The longest value of any one field (the longest text a form accepts: notes, strategy texts).
pub const MAX_FIELD_CHARS: usize = 20_000;
/// How long the body of a server-function call may take to arrive.
pub const BODY_DEADLINE: Duration = Duration::from_secs(30);
/// Error responses are a few hundred bytes of JSON; anything larger is passed on as it is.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// Set by the server-function machinery on its error responses.
const SERVER_FN_ERROR_HEADER: &str = "serverfnerror";

pub const CONTROL_CHARACTERS: &str = "Remove the invisible control characters from this text.";

/// A character no text field may hold: C0 and C1 controls and DEL, except tab, line feed and
/// carriage return.
pub fn is_forbidden_control(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// What is wrong with a form-encoded body's fields, if anything: one message per field.
pub fn field_problems(body: &[u8]) -> Option<AppError> {
    let mut errors = std::collections::BTreeMap::new();
    for (key, value) in url::form_urlencoded::parse(body) {
        let field = if key.chars().any(is_forbidden_control) || key.chars().count() > 100 {
            "form".to_owned()
        } else {
            // `hours[mon]` or `ids[0]` reports on the field the form shows.
            key.split('[').next().unwrap_or_default().to_owned()
        };
        if value.chars().any(is_forbidden_control) || field == "form" {
            errors.entry(field).or_insert_with(|| CONTROL_CHARACTERS.to_owned());
        } else if value.chars().count() > MAX_FIELD_CHARS {
            errors.entry(field).or_insert_with(|| format!("Use at most {MAX_FIELD_CHARS} characters."));
        }
    }
    (!errors.is_empty()).then_some(AppError::Validation(errors))
}

fn is_server_fn_call(request: &Request) -> bool {
    request.uri().path().starts_with("/api/")
}

fn is_form_encoded(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"))
}

/// An [`AppError`] as the server-function machinery would send it: JSON, with its own status.
pub fn error_response(error: &AppError) -> Response {
    let status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_string(error).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

/// The middleware (see the module documentation).
pub async fn check_server_fn_request(request: Request, next: Next) -> Response {
    if !is_server_fn_call(&request) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let plain_form = super::form_flash::is_plain_form_post(&parts.headers);
    let refuse = async |error: AppError, bytes: &[u8]| {
        if plain_form {
            super::form_flash::refuse_plain_form(&parts, bytes, &error).await
        } else {
            error_response(&error)
        }
    };
    let bytes = match tokio::time::timeout(BODY_DEADLINE, read_limited(body, MAX_BODY_BYTES)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(error)) => {
            tracing::info!(path = parts.uri.path(), %error, "refused a server-function body");
            return refuse(error, &[]).await;
        }
        Err(_) => {
            tracing::info!(path = parts.uri.path(), "a server-function body did not arrive in time");
            return refuse(AppError::Timeout, &[]).await;
        }
    };
    if is_form_encoded(&parts.headers)
        && let Some(error) = field_problems(&bytes)
    {
        tracing::info!(path = parts.uri.path(), "refused a server-function call with malformed fields");
        return refuse(error, &bytes).await;
    }
    // A plain form's failure is answered here, after the call: keep what the call needs to see.
    let kept_parts = plain_form.then(|| parts.clone());
    let response = next.run(Request::from_parts(parts, Body::from(bytes.clone()))).await;
    match kept_parts {
        Some(parts) => super::form_flash::keep_failed_form(&parts, &bytes, response).await,
        None => with_error_status(response).await,
    }
}

/// The whole body, or 413 as soon as it passes `limit` bytes (a declared length over the limit is
/// refused before anything is read).
async fn read_limited(body: Body, limit: usize) -> Result<Bytes, AppError> {
    use axum::body::HttpBody as _;
    use futures::StreamExt;
    let too_large = || AppError::TooLarge(format!("The request is larger than {} MB.", limit / (1024 * 1024)));
    if body.size_hint().lower() > limit as u64 {
        return Err(too_large());
    }
    let mut stream = body.into_data_stream();
    let mut collected = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| AppError::Request("The request body could not be read.".to_owned()))?;
        if collected.len() + chunk.len() > limit {
            return Err(too_large());
        }
        collected.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(collected))
}

/// Gives a server function's error response the status of the error it carries.
async fn with_error_status(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY_BYTES).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes)
        && let Ok(status) = StatusCode::from_u16(error.status_code())
    {
        parts.status = status;
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_with_newlines_and_tabs_passes() {
        assert!(field_problems(b"notes=line+one%0D%0Aline%09two&name=Ana+%C3%A9").is_none());
        assert!(field_problems(b"").is_none());
        assert!(field_problems(b"hours%5Bmon%5D=09%3A00-17%3A00").is_none());
    }

    #[test]
    fn control_characters_are_refused_by_field() {
        for value in ["%00", "%1B%5B31m", "%7F", "%C2%85", "%E2%80%A8", "a%0Bb", "%0C"] {
            let body = format!("name=ok&notes=x{value}");
            let error = field_problems(body.as_bytes()).unwrap_or_else(|| panic!("{value} passed"));
            assert_eq!(error.field_message("notes"), Some(CONTROL_CHARACTERS), "{value}");
            assert_eq!(error.field_message("name"), None);
        }
        let error = field_problems(b"ids%5B0%5D=1%00").unwrap();
        assert!(error.field_message("ids").is_some());
        assert!(field_problems(b"na%00me=x").unwrap().field_message("form").is_some());
    }

    #[test]
    fn over_long_fields_are_refused() {
        let ok = format!("q={}", "a".repeat(MAX_FIELD_CHARS));
        assert!(field_problems(ok.as_bytes()).is_none());
        let long = format!("q={}", "a".repeat(MAX_FIELD_CHARS + 1));
        assert!(field_problems(long.as_bytes()).unwrap().field_message("q").unwrap().contains("at most"));
        // Characters, not bytes.
        let accents = format!("q={}", "%C3%A9".repeat(MAX_FIELD_CHARS));
        assert!(field_problems(accents.as_bytes()).is_none());
    }
}
