//! The chat's pages: the inbox (`/chat`) and the thread with one client (`/chat/{client_id}`).
//! Both are rendered whole on the server and work without JavaScript (links and plain form
//! posts); with it, they follow the live stream (see [`live`]).
pub mod composer;
pub mod inbox;
pub mod live;
pub mod thread;

use leptos_router::params::ParamsMap;

/// `?key=value&…` of the non-empty pairs (`""` for none).
pub(crate) fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut map = ParamsMap::new();
    for (key, value) in pairs {
        if !value.is_empty() {
            map.insert(key.to_string(), (*value).to_owned());
        }
    }
    map.to_query_string()
}
