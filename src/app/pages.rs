//! Pages whose domains are not built yet show what will live there, and the 404 page.
use leptos::prelude::*;

use crate::ui::page::PageHeader;

/// An honest empty state for a section whose feature has not landed yet.
#[component]
fn NotBuiltYet(what: &'static str) -> impl IntoView {
    view! {
        <section class="card empty-state">
            <p class="empty-title">{what}</p>
            <p class="muted">"This section is not available yet."</p>
        </section>
    }
}

#[component]
pub fn Dashboard() -> impl IntoView {
    view! {
        <PageHeader title="Dashboard" subtitle="Your pipeline at a glance." />
        <crate::onboarding::checklist::FirstRunChecklist />
        <NotBuiltYet what="Pipeline metrics and charts will appear here." />
    }
}

/// A path no route knows: the 404 page, inside the layout.
#[component]
pub fn NotFound() -> impl IntoView {
    view! { <crate::ui::page::ErrorPage error=crate::shared::AppError::NotFound("This page".to_owned()) /> }
}
