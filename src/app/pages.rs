//! Pages whose domains are not built yet show what will live there, and the 404 page.
use leptos::prelude::*;
use leptos_meta::Title;

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
        <NotBuiltYet what="Pipeline metrics and charts will appear here." />
    }
}

#[component]
pub fn Bookings() -> impl IntoView {
    view! {
        <PageHeader title="Bookings" subtitle="Appointments booked with your leads." />
        <NotBuiltYet what="Your bookings will be listed here." />
    }
}

#[component]
pub fn Chat() -> impl IntoView {
    view! {
        <PageHeader title="Chat" subtitle="Conversations between your leads and their AI persona." />
        <NotBuiltYet what="Conversations will appear here." />
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <section class="card empty-state not-found">
            <p class="big-code" aria-hidden="true">"404"</p>
            <h1>"Page not found"</h1>
            <p class="muted">"The page you asked for does not exist or has moved."</p>
            <a class="button" href="/">"Go to the dashboard"</a>
        </section>
    }
}
