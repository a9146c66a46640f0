//! Form feedback: the message under a field, the message for the whole form, and `aria-invalid`.
use leptos::prelude::*;

use crate::shared::AppError;

/// The form-level error key, for messages that belong to no single field.
pub const FORM_FIELD: &str = "form";

// Both components read the error with `try_get`: a field can lose focus, and re-check itself, while
// its page is being torn down (Enter submits the form and the page navigates away).

/// The message for `field` in the last failed submission, shown under that field. Its id is
/// `{prefix}{field}-error` so inputs can point at it with `aria-describedby`.
#[component]
pub fn FieldError(
    error: Signal<Option<AppError>>,
    field: &'static str,
    #[prop(optional, into)] prefix: String,
) -> impl IntoView {
    let message = move || error.try_get().flatten().and_then(|error| error.field_message(field).map(str::to_owned));
    view! {
        <Show when=move || message().is_some()>
            <p class="field-error" id=format!("{prefix}{field}-error") role="alert">
                {message}
            </p>
        </Show>
    }
}

/// Errors that are not about one field (rate limits, refusals, server trouble).
#[component]
pub fn FormError(error: Signal<Option<AppError>>) -> impl IntoView {
    let message = move || {
        error.try_get().flatten().and_then(|error| match &error {
            AppError::Validation(fields) => fields.get(FORM_FIELD).cloned(),
            other => Some(other.to_string()),
        })
    };
    view! {
        <Show when=move || message().is_some()>
            <p class="form-error" role="alert">{message}</p>
        </Show>
    }
}

/// `aria-invalid` for `field`: the strings "true"/"false" (a bare boolean attribute renders as "").
pub fn invalid(error: Signal<Option<AppError>>, field: &'static str) -> impl Fn() -> &'static str + Copy {
    move || if error.get().is_some_and(|error| error.field_message(field).is_some()) { "true" } else { "false" }
}

/// The error of an action's last submission, if it failed.
pub fn action_error<I, T>(action: ServerAction<I>) -> Signal<Option<AppError>>
where
    I: leptos::server_fn::ServerFn<Output = T, Error = AppError> + Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}
