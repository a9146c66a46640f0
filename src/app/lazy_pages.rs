//! Pages whose code the browser loads only when they are visited: a release build with
//! `cargo leptos build --split` cuts them out of the main module, so the first download holds the
//! shell, sign-in and the clients list, and the rest follows when a page is first visited (the
//! server's page lists the files it needs as preloads). Making the list and sign-in lazy too makes
//! every page's download larger (docs/performance.md, "Where the bytes are").
//!
//! Each `lazy_pages!` block is one split module: pages built from the same components (a form for
//! new and edit) load together. The code several modules share goes into three chunks, one for
//! the public pages, one for the signed-in app and one for both (the vendored splitter with
//! `WASM_SPLIT_GROUPS`, set in scripts/lib.sh, which names the public modules below), so a page
//! is its own file and two shared ones (docs/performance.md, "One shared chunk per group of
//! pages"). Once a signed-in page is idle, the main sections' code is fetched in the background
//! ([`warm_sections`]), and content-hashed file names let the browser keep it for good.
//! On the server, and in a build without `--split`, they are ordinary routes.
use leptos::prelude::*;
use leptos_router::LazyRoute;

/// `module { Route, view_fn => Page; ... }`: one `LazyRoute` per page, whose view is a function of
/// the split module `module` (`view_fn` names it; it must be unique in this file).
macro_rules! lazy_pages {
    ($module:ident { $($route:ident, $view:ident => $page:path;)* }) => {
        $(
            pub struct $route;

            #[cfg(feature = "hydrate")]
            #[allow(non_snake_case)]
            mod $view {
                use leptos::prelude::*;

                #[::leptos::wasm_split::wasm_split(
                    $module,
                    wasm_split_path = ::leptos::wasm_split,
                    preload(#[doc(hidden)] load)
                )]
                pub fn $view() -> AnyView {
                    $page().into_any()
                }
            }

            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }

                async fn view(_this: Self) -> AnyView {
                    #[cfg(feature = "hydrate")]
                    {
                        $view::$view().await
                    }
                    #[cfg(not(feature = "hydrate"))]
                    {
                        super::hydration_scripts::preload_lazy_group(stringify!($module));
                        $page().into_any()
                    }
                }

                async fn preload() {
                    #[cfg(feature = "hydrate")]
                    $view::load().await;
                }
            }
        )*
    };
}

lazy_pages!(dashboard_page { DashboardRoute, dashboard_view => crate::dashboard::page::DashboardPage; });
lazy_pages!(client_page { ClientRoute, client_view => crate::clients::detail_page::ClientPage; });
lazy_pages!(client_form_pages {
    NewClientRoute, new_client_view => crate::clients::form_page::NewClientPage;
    EditClientRoute, edit_client_view => crate::clients::form_page::EditClientPage;
});
lazy_pages!(pipeline_page { PipelineRoute, pipeline_view => crate::clients::pipeline_page::PipelinePage; });
lazy_pages!(import_pages {
    ImportUploadRoute, import_upload_view => crate::clients::import::page::ImportUploadPage;
    ImportRoute, import_view => crate::clients::import::page::ImportPage;
});
lazy_pages!(strategies_page { StrategiesRoute, strategies_view => crate::strategies::list_page::StrategiesPage; });
lazy_pages!(strategy_editor_pages {
    NewStrategyRoute, new_strategy_view => crate::strategies::editor_page::NewStrategyPage;
    EditStrategyRoute, edit_strategy_view => crate::strategies::editor_page::EditStrategyPage;
});
lazy_pages!(users_page { UsersRoute, users_view => crate::users::admin_page::UsersPage; });
lazy_pages!(settings_page { SettingsRoute, settings_view => crate::users::settings_page::SettingsPage; });
lazy_pages!(status_page { StatusRoute, status_view => crate::status::page::StatusPage; });
lazy_pages!(calendar_page { CalendarRoute, calendar_view => crate::bookings::pages::calendar::CalendarPage; });
lazy_pages!(booking_list_page { BookingListRoute, booking_list_view => crate::bookings::list::page::BookingListPage; });
lazy_pages!(new_booking_page { NewBookingRoute, new_booking_view => crate::bookings::pages::form::NewBookingPage; });
lazy_pages!(availability_page {
    AvailabilityRoute, availability_view => crate::bookings::pages::availability::AvailabilityPage;
});
lazy_pages!(booking_page { BookingRoute, booking_view => crate::bookings::pages::detail::BookingDetailPage; });
// Apart, although they share most of their code: together they were the heaviest download (453 KB),
// and the booking page is the one strangers open on their phones.
lazy_pages!(book_page { BookRoute, book_view => crate::bookings::public::page::BookPage; });
lazy_pages!(manage_booking_page { ManageBookingRoute, manage_booking_view => crate::bookings::public::page::ManagePage; });
lazy_pages!(inbox_page { InboxRoute, inbox_view => crate::chat::pages::inbox::InboxPage; });
lazy_pages!(thread_page { ThreadRoute, thread_view => crate::chat::pages::thread::ThreadPage; });
lazy_pages!(talk_page { TalkRoute, talk_view => crate::chat::public::page::TalkPage; });

/// Starts fetching the client page's code, once, when opening a client becomes likely (a pointer
/// over the list, or focus in it), so the click renders without waiting for its chunks. A no-op on
/// the server and in a build without `--split`.
pub fn warm_client_page() {
    #[cfg(feature = "hydrate")]
    {
        use std::sync::atomic::{AtomicBool, Ordering};
        static STARTED: AtomicBool = AtomicBool::new(false);
        if !STARTED.swap(true, Ordering::Relaxed) {
            leptos::task::spawn_local(<ClientRoute as LazyRoute>::preload());
        }
    }
}

/// Fetches the code of the sections a signed-in person moves between, once, a few seconds after
/// the first page hydrated (out of its way), one section after another, so that later moves do
/// not wait for the network: the files stay in the browser's cache (their names carry content
/// hashes). Skipped when the browser asks to save data. A no-op on the server and without `--split`.
pub fn warm_sections() {
    #[cfg(feature = "hydrate")]
    {
        use std::sync::atomic::{AtomicBool, Ordering};
        static STARTED: AtomicBool = AtomicBool::new(false);
        if STARTED.swap(true, Ordering::Relaxed) || saves_data() {
            return;
        }
        set_timeout(
            || {
                leptos::task::spawn_local(async {
                    <DashboardRoute as LazyRoute>::preload().await;
                    <ClientRoute as LazyRoute>::preload().await;
                    <PipelineRoute as LazyRoute>::preload().await;
                    <InboxRoute as LazyRoute>::preload().await;
                    <ThreadRoute as LazyRoute>::preload().await;
                    <CalendarRoute as LazyRoute>::preload().await;
                    <StrategiesRoute as LazyRoute>::preload().await;
                    <SettingsRoute as LazyRoute>::preload().await;
                });
            },
            std::time::Duration::from_secs(2),
        );
    }
}

/// `navigator.connection.saveData`, where the browser has it.
#[cfg(feature = "hydrate")]
fn saves_data() -> bool {
    let Some(window) = web_sys::window() else { return true };
    js_sys::Reflect::get(&window.navigator(), &"connection".into())
        .ok()
        .filter(|connection| connection.is_object())
        .and_then(|connection| js_sys::Reflect::get(&connection, &"saveData".into()).ok())
        .and_then(|save| save.as_bool())
        .unwrap_or(false)
}
