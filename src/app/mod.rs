//! The application shell: document, router, layout and the pages that do not belong to a domain.
use leptos::prelude::*;
use leptos_meta::{Link, Meta, MetaTags, Title, provide_meta_context};
use leptos_router::{
    Lazy, SsrMode,
    components::{ParentRoute, Route, Router, Routes},
    path,
};

pub mod assets;
mod hydration_scripts;
mod layout;
mod lazy_pages;
mod pages;

pub use layout::{ADMIN_NAVIGATION, Layout, NAVIGATION};
pub use lazy_pages::{warm_client_page, warm_sections};
pub use pages::NotFound;

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=crate::ui::theme::initial().attribute()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <hydration_scripts::HydrationScripts options />
                <MetaTags />
                {crate::ui::form_flash::current().map(|flash| {
                    view! {
                        <script type="application/json" id=crate::ui::form_flash::SCRIPT_ID
                            inner_html=flash.to_script_json()></script>
                    }
                })}
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(crate::ui::theme::ThemeSetting(RwSignal::new(crate::ui::theme::initial())));
    let (is_routing, set_is_routing) = signal(false);
    provide_context(Navigating(is_routing));
    crate::ui::form_flash::provide();

    view! {
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg" />
        <Meta name="description" content="A CRM for small sales teams, with AI sales personas." />
        <Meta name="color-scheme" content="light dark" />
        <Title formatter=document_title />
        <Router set_is_routing>
            <crate::ui::form_flash::ForgetOnNavigation />
            <Routes fallback=|| view! { <layout::Frame><NotFound /></layout::Frame> }>
                <Route path=path!("/login") view=crate::users::pages::LoginPage />
                <Route path=path!("/signup") view=crate::users::pages::SignupPage />
                // The public pages are streamed in order (a visitor without
                // JavaScript must get their content in place, not in a template a script moves).
                <Route path=path!("/book/:slug") view={Lazy::<lazy_pages::BookRoute>::new()} ssr=SsrMode::InOrder />
                <Route path=path!("/book/:slug/:type") view={Lazy::<lazy_pages::BookRoute>::new()} ssr=SsrMode::InOrder />
                <Route path=path!("/booking/:token") view={Lazy::<lazy_pages::ManageBookingRoute>::new()} ssr=SsrMode::InOrder />
                <Route path=path!("/talk/:slug") view={Lazy::<lazy_pages::TalkRoute>::new()} ssr=SsrMode::InOrder />
                <ParentRoute path=path!("") view=Layout>
                    <Route path=path!("") view={Lazy::<lazy_pages::DashboardRoute>::new()} />
                    <Route path=path!("clients") view=crate::clients::list_page::ClientsPage />
                    <Route path=path!("clients/new") view={Lazy::<lazy_pages::NewClientRoute>::new()} />
                    <Route path=path!("clients/import") view={Lazy::<lazy_pages::ImportUploadRoute>::new()} />
                    <Route path=path!("clients/imports/:id") view={Lazy::<lazy_pages::ImportRoute>::new()} />
                    <Route path=path!("clients/:id") view={Lazy::<lazy_pages::ClientRoute>::new()} />
                    <Route path=path!("clients/:id/edit") view={Lazy::<lazy_pages::EditClientRoute>::new()} />
                    <Route path=path!("pipeline") view={Lazy::<lazy_pages::PipelineRoute>::new()} />
                    <Route path=path!("strategies") view={Lazy::<lazy_pages::StrategiesRoute>::new()} />
                    <Route path=path!("strategies/new") view={Lazy::<lazy_pages::NewStrategyRoute>::new()} />
                    <Route path=path!("strategies/:id") view={Lazy::<lazy_pages::EditStrategyRoute>::new()} />
                    <Route path=path!("bookings") view={Lazy::<lazy_pages::CalendarRoute>::new()} />
                    <Route path=path!("bookings/list") view={Lazy::<lazy_pages::BookingListRoute>::new()} />
                    <Route path=path!("bookings/new") view={Lazy::<lazy_pages::NewBookingRoute>::new()} />
                    <Route path=path!("bookings/settings") view={Lazy::<lazy_pages::AvailabilityRoute>::new()} />
                    <Route path=path!("bookings/:id") view={Lazy::<lazy_pages::BookingRoute>::new()} />
                    <Route path=path!("chat") view={Lazy::<lazy_pages::InboxRoute>::new()} />
                    <Route path=path!("chat/:client_id") view={Lazy::<lazy_pages::ThreadRoute>::new()} />
                    <Route path=path!("users") view={Lazy::<lazy_pages::UsersRoute>::new()} />
                    <Route path=path!("settings") view={Lazy::<lazy_pages::SettingsRoute>::new()} />
                    <Route path=path!("status") view={Lazy::<lazy_pages::StatusRoute>::new()} />
                    // Any other path: the 404 page in the layout, rendered like every page (leptos'
                    // fallback handler renders it in order and could wait forever).
                    <Route path=path!("*any") view=NotFound />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// The document's title for a page's own. leptos_meta writes the server's `<title>` verbatim (a raw
/// text element, like `<textarea>`), and a page title can hold text a person wrote (a client's
/// name): the server escapes it; in the browser it becomes `document.title`, which is plain text.
fn document_title(title: String) -> String {
    let full = if title.is_empty() { "CRM".to_owned() } else { format!("{title} · CRM") };
    if cfg!(feature = "ssr") { crate::ui::forms::escape_html(&full) } else { full }
}

/// Whether the router is loading the next page (for the progress bar).
#[derive(Clone, Copy)]
pub struct Navigating(pub ReadSignal<bool>);

/// Sets `data-hydrated` on `<html>` once the client has hydrated (called by `hydrate()` when
/// hydration, lazy pages included, is complete), so tests (and CSS) can wait for it. The server's
/// HTML never carries the marker.
#[cfg(feature = "hydrate")]
pub fn mark_hydrated() {
    if let Some(root) = web_sys::window().and_then(|window| window.document()).and_then(|doc| doc.document_element()) {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}
