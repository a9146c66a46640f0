//! The frame around every page: skip link, navigation progress, sidebar (a menu on phones) with
//! the command palette, theme switch and user menu, main landmark, toasts, error boundary.
use leptos::{form::ActionForm, prelude::*};
use leptos_router::{
    components::{A, Outlet},
    hooks::use_location,
};

use crate::{
    chat::pages::live::{HAND_OFF_EVENT, HandOff},
    shared::AppError,
    ui::{
        command_palette::CommandPalette,
        icon::Icon,
        live::TabStream,
        theme::ThemeSwitch,
        toast::{ToastRegion, Toasts},
    },
    users::{
        api::{Logout, whoami},
        model::CurrentUser,
    },
};

/// Sidebar entries: (path, label, icon name in `public/icons.svg`).
pub const NAVIGATION: &[(&str, &str, &str)] = &[
    ("/", "Dashboard", "dashboard"),
    ("/clients", "Clients", "clients"),
    ("/pipeline", "Pipeline", "pipeline"),
    ("/strategies", "Strategies", "strategies"),
    ("/bookings", "Bookings", "bookings"),
    ("/chat", "Chat", "chat"),
    ("/settings", "Settings", "settings"),
];

/// Entries only admins see.
pub const ADMIN_NAVIGATION: &[(&str, &str, &str)] = &[("/users", "Users", "users"), ("/status", "Status", "status")];

/// The events of the tab's stream that the frame's own stream listens to (for the frame itself and
/// the pages that follow it).
const FRAME_EVENTS: &[&str] = &[HAND_OFF_EVENT, crate::bookings::live::EVENT_NAME];

type UserResource = Resource<Result<Option<CurrentUser>, AppError>>;

#[component]
fn NavLink(href: &'static str, label: &'static str, icon: &'static str) -> impl IntoView {
    view! {
        <li>
            <A href=href exact=true attr:class="nav-link">
                <span class="nav-icon"><Icon name=icon /></span>
                <span class="nav-label">{label}</span>
            </A>
        </li>
    }
}

#[component]
fn Navigation(is_admin: Signal<bool>) -> impl IntoView {
    view! {
        <nav aria-label="Main">
            <ul class="nav-list">
                {NAVIGATION.iter().map(|(href, label, icon)| view! { <NavLink href=*href label=*label icon=*icon /> }).collect_view()}
                <Show when=move || is_admin.get()>
                    {ADMIN_NAVIGATION
                        .iter()
                        .map(|(href, label, icon)| view! { <NavLink href=*href label=*label icon=*icon /> })
                        .collect_view()}
                </Show>
            </ul>
        </nav>
    }
}

/// Who is signed in, and the way out.
#[component]
fn UserMenu(user: Signal<Option<CurrentUser>>) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    view! {
        <div class="user-menu">
            {move || {
                user.get().map(|user| {
                    view! {
                        <p class="user-name" data-testid="user-name">
                            {user.name.clone()}
                            <span class="muted user-role">{if user.is_admin() { " · admin" } else { "" }}</span>
                        </p>
                    }
                })
            }}
            <ActionForm action=logout>
                <button type="submit" class="button button-quiet">"Sign out"</button>
            </ActionForm>
        </div>
    }
}

/// The signed-in user, written in place by the server (no `<Suspense>`, so no streamed template
/// that only a script moves): the server has it from the page guard, which has already read the
/// session; the browser has it from the resource's value that the server sent with the page.
fn signed_in_user(resource: UserResource) -> Signal<Option<CurrentUser>> {
    #[cfg(feature = "ssr")]
    let on_server =
        use_context::<axum::http::request::Parts>().and_then(|parts| parts.extensions.get::<CurrentUser>().cloned());
    Signal::derive(move || {
        #[cfg(feature = "ssr")]
        if on_server.is_some() {
            return on_server.clone();
        }
        resource.get().and_then(Result::ok).flatten()
    })
}

/// The owner hears, on whatever page, that the AI left one of their conversations to them, with
/// a link to it (not on that conversation's own page, which shows the AI's note).
fn hand_off_toasts(
    user: Signal<Option<CurrentUser>>,
    path: Memo<String>,
    toasts: Toasts,
) -> impl Fn(HandOff) + Send + Sync + 'static {
    // A page's stream and the frame's may overlap for a moment as pages change: one toast.
    let last = StoredValue::new(0_i64);
    move |HandOff { client_id, owner_id, client_name, reason, failed, note_id }| {
        let thread = format!("/chat/{client_id}");
        if user.with_untracked(|user| user.as_ref().map(|user| user.id)) != Some(owner_id)
            || path.with_untracked(|path| *path == thread)
            || last.get_value() == note_id
        {
            return;
        }
        last.set_value(note_id);
        let text = if failed {
            format!("The AI could not answer {client_name}: {reason}")
        } else {
            format!("The AI handed {client_name} to you: {reason}")
        };
        toasts.notice(text, thread, "Open the conversation");
    }
}

/// A thin bar at the top while the next page loads; shown only after a moment, so quick
/// navigations do not flicker.
#[component]
fn NavigationProgress() -> impl IntoView {
    let navigating = expect_context::<super::Navigating>().0;
    view! {
        <div class="route-progress" role="progressbar" aria-label="Loading the page" hidden=move || !navigating.get()>
            <div class="route-progress-bar"></div>
        </div>
    }
}

/// Opens the command palette by pointer; only useful once the page is interactive, so the CSS
/// shows it after hydration.
#[component]
fn PaletteButton(open: RwSignal<bool>) -> impl IntoView {
    view! {
        <button type="button" class="palette-button" aria-keyshortcuts="Control+K Meta+K"
            on:click=move |_| open.set(true)>
            <Icon name="search" />
            <span class="palette-button-label">"Jump to…"</span>
            <kbd class="palette-button-keys">"Ctrl K"</kbd>
        </button>
    }
}

/// The frame of every signed-in page, around the routed page.
#[component]
pub fn Layout() -> impl IntoView {
    view! {
        <Frame>
            <Outlet />
        </Frame>
    }
}

/// The frame itself, around any content: the routed page, or the 404 page for a path no route
/// knows (which the router renders outside the parent route).
#[component]
pub fn Frame(children: Children) -> impl IntoView {
    let user = signed_in_user(Resource::new(|| (), |_| whoami()));
    let toasts = Toasts::provide();
    let palette_open = RwSignal::new(false);
    let menu_open = RwSignal::new(false);
    let is_admin = Signal::derive(move || user.get().is_some_and(|user| user.is_admin()));
    // On phones the menu folds away again once a page is chosen.
    let location = use_location();
    let hand_off = hand_off_toasts(user, location.pathname, toasts);
    TabStream::provide(crate::chat::model::EVENTS_PATH, FRAME_EVENTS).listen(
        HAND_OFF_EVENT,
        move |data| {
            if let Ok(event) = serde_json::from_str::<HandOff>(&data) {
                hand_off(event);
            }
        },
        None,
    );
    Effect::new(move |_| {
        location.pathname.track();
        menu_open.set(false);
    });
    // Effects run in the browser only, after hydration.
    Effect::new(|_| super::warm_sections());
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <NavigationProgress />
        <div class="app-frame">
            <aside class="sidebar">
                <div class="sidebar-top">
                    <a class="brand" href="/">
                        <span class="brand-mark"><Icon name="brand" /></span>
                        <span class="brand-name">"CRM"</span>
                    </a>
                    <PaletteButton open=palette_open />
                    // Without JavaScript the link opens the menu through `:target`.
                    <a class="menu-toggle" href="#site-menu" role="button" aria-controls="site-menu"
                        aria-expanded=move || menu_open.get().to_string()
                        on:click=move |event| {
                            event.prevent_default();
                            menu_open.update(|open| *open = !*open);
                        }
                        // A link answers Enter only; as a button it must answer Space too.
                        on:keydown=move |event| {
                            if event.key() == " " {
                                event.prevent_default();
                                menu_open.update(|open| *open = !*open);
                            }
                        }>
                        <Icon name="menu" />
                        " Menu"
                    </a>
                </div>
                <div id="site-menu" class="sidebar-panel" data-open=move || menu_open.get().to_string()>
                    <Navigation is_admin />
                    <ThemeSwitch />
                    <UserMenu user />
                </div>
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
                    {children()}
                </ErrorBoundary>
            </main>
        </div>
        <ToastRegion toasts />
        <CommandPalette open=palette_open is_admin />
    }
}
