//! What the team's composer and the lead's share: Enter sends, Shift+Enter (or an input method
//! composing) makes a new line.
use leptos::{html::Textarea, prelude::*};

/// The textarea's keydown handler: Enter submits its form (through the form's own submit, so an
/// `ActionForm` takes it), Shift+Enter keeps the new line.
pub fn enter_sends(area: NodeRef<Textarea>) -> impl Fn(leptos::ev::KeyboardEvent) + Copy + 'static {
    move |event: leptos::ev::KeyboardEvent| {
        if event.key() == "Enter" && !event.shift_key() && !event.is_composing() {
            event.prevent_default();
            #[cfg(feature = "hydrate")]
            if let Some(form) = area.get_untracked().and_then(|area| area.form()) {
                let _ = form.request_submit();
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = area;
        }
    }
}
