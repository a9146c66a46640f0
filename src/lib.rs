//! The CRM: one crate compiled twice, as an axum server (`ssr`) and as a WASM client (`hydrate`).
#![recursion_limit = "256"]

pub mod ai;
pub mod app;
pub mod bookings;
pub mod chat;
pub mod clients;
pub mod dashboard;
pub mod onboarding;
pub mod shared;
pub mod status;
pub mod strategies;
pub mod ui;
pub mod users;

#[cfg(feature = "ssr")]
pub mod audit;
#[cfg(feature = "ssr")]
pub mod domains;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // What `leptos::mount::hydrate_lazy` does (lazy pages, see `app::lazy_pages`, load their code
    // before they hydrate), then the marker that tests wait for: only now is every page's
    // handler in place.
    wasm_bindgen_futures::spawn_local(async {
        let app = leptos::mount::hydrate_from_async(leptos::tachys::dom::body(), app::App).await;
        app.forget();
        app::mark_hydrated();
    });
}
