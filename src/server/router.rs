//! Assembles the axum router: health probes, server functions, pages and static files.
use axum::{
    Router,
    routing::{get, post},
};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::{CompressionLevel, compression::CompressionLayer, trace::TraceLayer};
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite, cookie::time::Duration};

use super::{health, state::AppState};
use crate::app::{App, shell};

/// A folder of the built site (the request's path is looked up in it), sent precompressed (brotli or gzip) when the browser takes it.
fn static_files(state: &AppState, name: &str) -> tower_http::services::ServeDir {
    tower_http::services::ServeDir::new(state.config.site_root.join(name)).precompressed_br().precompressed_gzip()
}

/// `/pkg`, the built client: in a content-hashed build a file's name changes with its content, so
/// browsers may keep it for a year without asking again; otherwise the default `no-cache` applies.
async fn cache_hashed_files(
    axum::extract::State(hashed): axum::extract::State<bool>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = std::path::Path::new(request.uri().path().trim_start_matches('/')).to_owned();
    let mut response = next.run(request).await;
    if response.status().is_success() && crate::app::assets::immutable(hashed, &path) {
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
    }
    response
}

/// The app's routes, listed once per process. Listing them renders the app with the loading of
/// every resource suppressed through a process-wide flag (leptos_router's `generate_route_list`),
/// so a page rendered on another thread meanwhile would wait for its data forever: once anything
/// may be answering requests, they are never listed again. (Tests build a router per test, in
/// parallel; about one run in forty of a page test hung on exactly that.)
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn build(state: AppState) -> Router {
    let routes = route_list();
    let options = &state.leptos_options;
    let hashed =
        crate::app::assets::assets(&options.output_name, &options.hash_file, &state.config.site_root.join("pkg"))
            .hashed;
    let cache_client_files = axum::middleware::from_fn_with_state(hashed, cache_hashed_files);
    let policy = std::sync::Arc::new(super::security::SecurityPolicy::from_config(&state.config));
    // Over HTTPS the `__Host-` prefix makes browsers insist on Secure, Path=/ and no Domain.
    let session_cookie = if state.config.secure { "__Host-crm_session" } else { "crm_session" };
    let sessions = SessionManagerLayer::new(state.sessions.clone())
        .with_name(session_cookie)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure)
        .with_expiry(Expiry::OnInactivity(Duration::seconds(
            i64::try_from(state.config.session_idle.as_secs()).unwrap_or(i64::MAX),
        )));
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route(crate::ui::theme::ROUTE, post(super::preferences::choose_theme))
        .merge(crate::domains::routes())
        // Static files are served here, never by leptos' fallback: that handler builds its owner
        // under whatever reactive owner the worker thread last had current, and so could answer a
        // file with another request's page status (a 403 or 404 seen in the browser tests).
        .nest_service("/pkg", tower::Layer::layer(&cache_client_files, static_files(&state, "pkg")))
        .route_service("/favicon.svg", static_files(&state, ""))
        .route_service("/favicon.ico", static_files(&state, ""))
        .route_service("/icons.svg", static_files(&state, ""))
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let state = state.clone();
                move || {
                    provide_context(state.clone());
                    super::security::provide_request_nonce();
                }
            },
            {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            super::security::provide_request_nonce,
            shell,
        ))
        .layer(axum::middleware::from_fn(super::api_input::check_server_fn_request))
        .layer(axum::middleware::from_fn(super::form_flash::take_for_page))
        .layer(axum::middleware::from_fn(crate::clients::clean_query::drop_empty_parameters))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::users::guard::require_login_for_pages))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(policy.clone(), super::security::refuse_cross_site))
        .layer(axum::middleware::from_fn(super::security::refuse_odd_paths))
        .layer(axum::middleware::from_fn_with_state(policy, super::security::security_headers))
        // Pages and JSON are compressed with gzip, not brotli: brotli's encoder (which also
        // allocates and zeroes its window and tables for every response) was 22% of the server's
        // CPU samples for the clients list under load; with gzip the list serves 18% more pages.
        // The static assets keep their brotli files, compressed once at build time.
        // Level 2 (zlib-rs' fast strategy, like nginx's default level 1 in classic zlib), not the
        // default 6: the cached dashboard spent 26% of its time in deflate at 6; at 2 its 116 KB
        // of HTML compress to 17 KB rather than 14 KB, in less than half the time.
        .layer(CompressionLayer::new().br(false).quality(CompressionLevel::Precise(2)))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
