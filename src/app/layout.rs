//! The frame around every page: skip link, sidebar navigation, main landmark, error boundary.
use leptos::{form::ActionForm, prelude::*};
use leptos_router::components::{A, Outlet};

use crate::users::api::{Logout, whoami};

/// Sidebar entries: (path, label, icon glyph).
pub const NAVIGATION: &[(&str, &str, &str)] = &[
    ("/", "Dashboard", "◧"),
    ("/clients", "Clients", "☺"),
    ("/pipeline", "Pipeline", "▥"),
    ("/strategies", "Strategies", "✦"),
    ("/bookings", "Bookings", "◷"),
    ("/chat", "Chat", "✉"),
    ("/users", "Users", "⚇"),
    ("/settings", "Settings", "⚙"),
    ("/status", "Status", "◉"),
];

/// Who is signed in, and the way out.
#[component]
fn UserMenu() -> impl IntoView {
    let user = Resource::new(|| (), |_| whoami());
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
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <div class="app-frame">
            <aside class="sidebar">
                <a class="brand" href="/">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    <span class="brand-name">"CRM"</span>
                </a>
                <nav aria-label="Main">
                    <ul class="nav-list">
                        {NAVIGATION
                            .iter()
                            .map(|(href, label, icon)| {
                                view! {
                                    <li>
                                        <A href=*href exact=true attr:class="nav-link">
                                            <span class="nav-icon" aria-hidden="true">{*icon}</span>
                                            <span class="nav-label">{*label}</span>
                                        </A>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </nav>
                <UserMenu />
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
