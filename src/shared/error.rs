//! The one application error: serialisable, carries a user-facing message and knows its HTTP status.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("You do not have access to this.")]
    Forbidden,
    /// Refused for a reason the user should read (sign-up closed, disabling oneself).
    #[error("{0}")]
    Refused(String),
    #[error("{0} was not found.")]
    NotFound(String),
    /// Field name -> message, shown next to each field.
    #[error("Please correct the highlighted fields.")]
    Validation(BTreeMap<String, String>),
    #[error("{0}")]
    Conflict(String),
    #[error("Too many attempts, try again in {} minute(s).", .retry_after_secs.div_ceil(60).max(1))]
    RateLimited { retry_after_secs: u64 },
    #[error("The service is temporarily unavailable. Please try again shortly.")]
    Unavailable,
    /// The details stay in the server log; the user sees a generic message.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// Transport-level failures reported by the server-function machinery, and requests whose
    /// arguments cannot be read (the client's mistake).
    #[error("Request failed: {0}")]
    Request(String),
    /// A request body over the size limit.
    #[error("{0}")]
    TooLarge(String),
    /// A request body that did not arrive in time.
    #[error("The request took too long to arrive. Please try again.")]
    Timeout,
}

impl AppError {
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::Forbidden | AppError::Refused(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Validation(_) => 422,
            AppError::Conflict(_) => 409,
            AppError::RateLimited { .. } => 429,
            AppError::Unavailable => 503,
            AppError::Internal => 500,
            AppError::Request(_) => 400,
            AppError::TooLarge(_) => 413,
            AppError::Timeout => 408,
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation(BTreeMap::from([(field.to_owned(), message.into())]))
    }

    /// The answer to a transaction the database chose to abort so that another could go on (a
    /// deadlock between two writers of the same rows): nothing was changed, and trying again works.
    pub fn contended() -> Self {
        AppError::Conflict(CONTENDED.to_owned())
    }

    /// Whether this is [`AppError::contended`].
    pub fn is_contended(&self) -> bool {
        matches!(self, AppError::Conflict(message) if message == CONTENDED)
    }

    /// The message for one field, when this is a validation error that names it.
    pub fn field_message(&self, field: &str) -> Option<&str> {
        match self {
            AppError::Validation(fields) => fields.get(field).map(String::as_str),
            _ => None,
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr;
        match value {
            // On the server: the arguments did not decode. Say so in words, not in serde's.
            ServerFnErrorErr::Args(_) => {
                AppError::Request("Some fields of the request are missing or malformed.".to_owned())
            }
            ServerFnErrorErr::MissingArg(name) => AppError::Request(format!("The field {name} is missing.")),
            other => AppError::Request(other.to_string()),
        }
    }
}

const CONTENDED: &str =
    "Someone else was changing the same records at that moment, so nothing was saved. Please try again.";

#[cfg(feature = "ssr")]
impl From<sea_orm::DbErr> for AppError {
    fn from(error: sea_orm::DbErr) -> Self {
        // PostgreSQL's "deadlock detected" (40P01): this transaction was rolled back whole.
        if error.to_string().contains("deadlock detected") {
            tracing::warn!(%error, "a transaction lost a deadlock");
            return AppError::contended();
        }
        tracing::error!(%error, "database error");
        AppError::Internal
    }
}

#[cfg(feature = "ssr")]
impl From<crate::server::infra::InfraError> for AppError {
    fn from(error: crate::server::infra::InfraError) -> Self {
        tracing::error!(%error, "infrastructure error");
        AppError::Unavailable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_match_the_kind_of_error() {
        assert_eq!(AppError::Unauthenticated.status_code(), 401);
        assert_eq!(AppError::field("email", "bad").status_code(), 422);
        assert_eq!(AppError::RateLimited { retry_after_secs: 5 }.status_code(), 429);
    }

    #[test]
    fn rate_limit_message_rounds_up_to_minutes() {
        let message = AppError::RateLimited { retry_after_secs: 61 }.to_string();
        assert_eq!(message, "Too many attempts, try again in 2 minute(s).");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_deadlock_is_a_conflict_to_try_again_and_other_database_errors_are_internal() {
        let deadlock = sea_orm::DbErr::Custom("error returned from database: deadlock detected".into());
        let error = AppError::from(deadlock);
        assert!(error.is_contended());
        assert_eq!(error.status_code(), 409);
        assert!(error.to_string().contains("try again"));
        let other = AppError::from(sea_orm::DbErr::Custom("relation does not exist".into()));
        assert_eq!(other, AppError::Internal);
        assert!(!AppError::Conflict("Taken.".into()).is_contended());
    }

    #[test]
    fn field_messages_are_found_by_name() {
        let error = AppError::field("email", "Enter a valid email address.");
        assert_eq!(error.field_message("email"), Some("Enter a valid email address."));
        assert_eq!(error.field_message("name"), None);
    }
}
