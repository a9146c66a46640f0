//! The 404 page.
use leptos::prelude::*;

/// A path no route knows: the 404 page, inside the layout.
#[component]
pub fn NotFound() -> impl IntoView {
    view! { <crate::ui::page::ErrorPage error=crate::shared::AppError::NotFound("This page".to_owned()) /> }
}
