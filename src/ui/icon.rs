//! Icons: one set (Lucide, ISC), drawn from the sprite `public/icons.svg`, which the browser fetches
//! once and caches. An icon takes the text colour and is hidden from screen readers: what it means
//! is always written next to it.
use leptos::prelude::*;

#[component]
pub fn Icon(
    /// The `<symbol>` id in `public/icons.svg`.
    name: &'static str,
) -> impl IntoView {
    view! {
        <svg class="icon" aria-hidden="true" focusable="false">
            <use href=format!("/icons.svg#{name}")></use>
        </svg>
    }
}
