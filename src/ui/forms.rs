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

/// Text as HTML that reads back as exactly that text: `&`, `<`, `>` and quotes become entities.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let _ = write_escaped_html(&mut out, text);
    out
}

/// [`escape_html`] written into `out`, the runs that need no entity copied whole.
pub fn write_escaped_html(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    let mut rest = text;
    while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
        out.write_str(&rest[..at])?;
        out.write_str(match rest.as_bytes()[at] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#39;",
        })?;
        rest = &rest[at + 1..];
    }
    out.write_str(rest)
}

/// A `<textarea>`'s text, for its `inner_html`. The renderer writes a textarea's children verbatim
/// (browsers parse them as raw text up to `</textarea>`), so text a person wrote must never be a
/// child: it goes in escaped, and the browser decodes it back to the same text. On the server a
/// newline is put first, because the HTML parser drops a newline that directly follows
/// `<textarea>` and would otherwise eat the text's own leading one.
pub fn textarea_html(text: &str) -> String {
    let escaped = escape_html(text);
    if cfg!(feature = "ssr") { format!("\n{escaped}") } else { escaped }
}

/// The error of an action's last submission, if it failed.
pub fn action_error<I, T>(action: ServerAction<I>) -> Signal<Option<AppError>>
where
    I: leptos::server_fn::ServerFn<Output = T, Error = AppError> + Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}

/// How many submissions of an action succeeded so far: what a page's data reloads on, so that a
/// refused submission leaves the form as it was typed (a reload would render it afresh).
pub fn successes<I, T>(action: ServerAction<I>) -> Memo<usize>
where
    I: leptos::server_fn::ServerFn<Output = T, Error = AppError> + Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    Memo::new(move |previous: Option<&usize>| {
        let version = action.version().get();
        if action.value().with(|outcome| matches!(outcome, Some(Ok(_)))) {
            version
        } else {
            previous.copied().unwrap_or_default()
        }
    })
}

/// The browser's IANA time zone, filled in once the page runs in a browser (a new account's time
/// zone, a lead's on the public chat); empty without JavaScript.
pub fn browser_time_zone() -> ReadSignal<String> {
    let (zone, set_zone) = signal(String::new());
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let options =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new()).resolved_options();
        if let Some(name) = js_sys::Reflect::get(&options, &"timeZone".into()).ok().and_then(|name| name.as_string()) {
            set_zone.set(name);
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = set_zone;
    zone
}

/// A list filter's "Owner" field for an admin: everyone (no value) or one person. `selected`: the
/// address's owner, `None` (everyone) when it is absent or not a person's id.
#[component]
pub fn OwnerFilter(id: &'static str, owners: Vec<(i64, String)>, selected: Option<i64>) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>"Owner"</label>
            <select id=id name="owner">
                <option value="" selected=selected.is_none()>"Everyone"</option>
                {owners.into_iter().map(|(owner, name)| {
                    view! { <option value=owner.to_string() selected=selected == Some(owner)>{name}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}
