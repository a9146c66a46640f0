//! Pages whose code the browser loads only when they are visited: a release build with
//! `cargo leptos build --split` cuts each into its own WASM chunk, so the first download holds the
//! shell, sign-in and the clients list, and the rest follows per page (the server's page lists the
//! chunks it needs as preloads). Making the list and sign-in lazy too makes every page's download
//! larger (docs/performance.md, "Where the bytes are").
//! On the server, and in a build without `--split`, they are ordinary routes.
use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

macro_rules! lazy_page {
    ($(#[$doc:meta])* $route:ident => $page:path) => {
        $(#[$doc])*
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                super::hydration_scripts::preload_lazy_page(stringify!($route));
                $page().into_any()
            }
        }
    };
}

lazy_page!(DashboardRoute => crate::app::pages::Dashboard);
lazy_page!(ClientRoute => crate::clients::detail_page::ClientPage);
lazy_page!(NewClientRoute => crate::clients::form_page::NewClientPage);
lazy_page!(EditClientRoute => crate::clients::form_page::EditClientPage);
lazy_page!(PipelineRoute => crate::clients::pipeline_page::PipelinePage);
lazy_page!(ImportUploadRoute => crate::clients::import::page::ImportUploadPage);
lazy_page!(ImportRoute => crate::clients::import::page::ImportPage);
lazy_page!(StrategiesRoute => crate::strategies::list_page::StrategiesPage);
lazy_page!(NewStrategyRoute => crate::strategies::editor_page::NewStrategyPage);
lazy_page!(EditStrategyRoute => crate::strategies::editor_page::EditStrategyPage);
lazy_page!(UsersRoute => crate::users::admin_page::UsersPage);
lazy_page!(SettingsRoute => crate::users::settings_page::SettingsPage);
lazy_page!(StatusRoute => crate::status::page::StatusPage);
lazy_page!(CalendarRoute => crate::bookings::pages::calendar::CalendarPage);
lazy_page!(NewBookingRoute => crate::bookings::pages::form::NewBookingPage);
lazy_page!(AvailabilityRoute => crate::bookings::pages::availability::AvailabilityPage);
lazy_page!(BookingRoute => crate::bookings::pages::detail::BookingDetailPage);
lazy_page!(BookRoute => crate::bookings::public::page::BookPage);
lazy_page!(ManageBookingRoute => crate::bookings::public::page::ManagePage);
lazy_page!(InboxRoute => crate::chat::pages::inbox::InboxPage);
lazy_page!(ThreadRoute => crate::chat::pages::thread::ThreadPage);
lazy_page!(TalkRoute => crate::chat::public::page::TalkPage);

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
