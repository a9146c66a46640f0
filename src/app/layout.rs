//! The frame around every page: skip link, sidebar navigation, main landmark, error boundary.
use leptos::{form::ActionForm, prelude::*};
use leptos_router::components::{A, Outlet};

use crate::{
    shared::AppError,
    users::{
        api::{Logout, whoami},
        model::CurrentUser,
    },
};

/// Sidebar entries: (path, label, icon glyph).
pub const NAVIGATION: &[(&str, &str, &str)] = &[
    ("/", "Dashboard", "◧"),
    ("/clients", "Clients", "☺"),
    ("/pipeline", "Pipeline", "▥"),
    ("/strategies", "Strategies", "✦"),
    ("/bookings", "Bookings", "◷"),
    ("/chat", "Chat", "✉"),
    ("/settings", "Settings", "⚙"),
    ("/status", "Status", "◉"),
];

/// Entries only admins see.
pub const ADMIN_NAVIGATION: &[(&str, &str, &str)] = &[("/users", "Users", "⚇")];

type UserResource = Resource<Result<Option<CurrentUser>, AppError>>;

#[component]
fn NavLink(href: &'static str, label: &'static str, icon: &'static str) -> impl IntoView {
    view! {
        <li>
            <A href=href exact=true attr:class="nav-link">
                <span class="nav-icon" aria-hidden="true">{icon}</span>
                <span class="nav-label">{label}</span>
            </A>
        </li>
    }
}

#[component]
fn Navigation(user: UserResource) -> impl IntoView {
    let is_admin = move || user.get().and_then(Result::ok).flatten().is_some_and(|user| user.is_admin());
    view! {
        <nav aria-label="Main">
            <ul class="nav-list">
                {NAVIGATION.iter().map(|(href, label, icon)| view! { <NavLink href=*href label=*label icon=*icon /> }).collect_view()}
                <Transition fallback=|| ()>
                    <Show when=is_admin>
                        {ADMIN_NAVIGATION
                            .iter()
                            .map(|(href, label, icon)| view! { <NavLink href=*href label=*label icon=*icon /> })
                            .collect_view()}
                    </Show>
                </Transition>
            </ul>
        </nav>
    }
}

/// Who is signed in, and the way out.
#[component]
fn UserMenu(user: UserResource) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    view! {
        <div class="user-menu">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    user.await.ok().flatten().map(|user| {
                        view! {
                            <p class="user-name" data-testid="user-name">
                                {user.name.clone()}
                                <span class="muted user-role">{if user.is_admin() { " · admin" } else { "" }}</span>
                            </p>
                        }
                    })
                })}
            </Transition>
            <ActionForm action=logout>
                <button type="submit" class="button button-quiet">"Sign out"</button>
            </ActionForm>
        </div>
    }
}

#[component]
pub fn Layout() -> impl IntoView {
    let user: UserResource = Resource::new(|| (), |_| whoami());
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <div class="app-frame">
            <aside class="sidebar">
                <a class="brand" href="/">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    <span class="brand-name">"CRM"</span>
                </a>
                <Navigation user />
                <UserMenu user />
            </aside>
            <main id="main" class="content" tabindex="-1">
                <ErrorBoundary fallback=|errors| {
                    view! {
                        <section class="card error-panel" role="alert">
                            <h1>"Something went wrong"</h1>
                            <ul>
                                {move || {
                                    errors
                                        .get()
                                        .into_iter()
                                        .map(|(_, error)| view! { <li>{error.to_string()}</li> })
                                        .collect_view()
                                }}
                            </ul>
                            <a class="button" href="/">"Back to the dashboard"</a>
                        </section>
                    }
                }>
                    <Outlet />
                </ErrorBoundary>
            </main>
        </div>
    }
}
