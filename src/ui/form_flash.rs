//! A form that failed without JavaScript comes back with what was typed and its error, at a clean
//! address.
//!
//! Without JavaScript a form posts to its server function, which redirects back to the page. The
//! server-function machinery would put the error in the address (`?__path=…&__err=<base64>`) and
//! lose the values; instead the server keeps both in the session for exactly one page view (see
//! `server::form_flash`). That page gets the flash from the request, and writes it into the
//! document as JSON so that the browser hydrates the same form: actions created for the failed
//! server function start with its error, and fields read their values back with [`kept`]. The first
//! client-side navigation forgets it.
use std::collections::BTreeMap;

use leptos::{prelude::*, server::ServerActionError};
use serde::{Deserialize, Serialize};

/// The id of the `<script type="application/json">` that carries the flash to the browser.
pub const SCRIPT_ID: &str = "form-flash";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormFlash {
    /// The server function that failed (`/api/login`).
    pub path: String,
    /// Its error, encoded as the server-function machinery encodes it for an address.
    pub error: String,
    /// What was typed, by field name (never passwords).
    pub fields: BTreeMap<String, String>,
}

impl FormFlash {
    /// The flash as JSON that is safe inside a `<script>` element: no `<`, `>` or `&` appears
    /// literally, so no text a person typed can close the element.
    pub fn to_script_json(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_default()
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
    }
}

#[derive(Clone)]
struct Kept {
    flash: StoredValue<Option<FormFlash>>,
    /// Where the action error was provided, to take it back. Weak: a strong owner kept in one of
    /// its own contexts is a cycle that kept every request's whole reactive graph alive on the
    /// server (about 25 KB a page view, docs/performance.md, "Memory").
    owner: leptos::reactive::owner::WeakOwner,
}

/// The flash this page was rendered with: on the server from the request, in the browser from the
/// document the server wrote.
pub fn current() -> Option<FormFlash> {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>().and_then(|parts| parts.extensions.get::<FormFlash>().cloned())
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        let script = web_sys::window()?.document()?.get_element_by_id(SCRIPT_ID)?;
        serde_json::from_str(&script.text_content()?).ok()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        None
    }
}

/// Called once, by the app, before any page creates its actions.
pub fn provide() {
    let flash = current();
    if let Some(flash) = &flash {
        provide_context(ServerActionError::new(&flash.path, &flash.error));
    }
    let owner = Owner::current().unwrap_or_default().downgrade();
    provide_context(Kept { flash: StoredValue::new(flash), owner });
}

/// Whether this page shows a failed form post (so an older success notice in the address is stale).
pub fn has_failure() -> bool {
    use_context::<Kept>().and_then(|kept| kept.flash.try_with_value(Option::is_some)).unwrap_or(false)
}

/// Everything typed into the form that posted to `server_fn` (its `PATH`), when this page shows
/// that form's failure. A checkbox that was not ticked is missing from it.
pub fn kept_form(server_fn: &str) -> Option<BTreeMap<String, String>> {
    use_context::<Kept>()?
        .flash
        .try_with_value(|flash| {
            flash.as_ref().filter(|flash| flash.path == server_fn).map(|flash| flash.fields.clone())
        })
        .flatten()
}

/// What was typed into `field` of the form that posted to `server_fn`, when this page shows that
/// form's failure.
pub fn kept(server_fn: &str, field: &str) -> Option<String> {
    kept_form(server_fn)?.remove(field)
}

/// Forgets the flash once the user moves to another page in the browser: a form opened later
/// starts empty and without an old error.
#[component]
pub fn ForgetOnNavigation() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    Effect::new(move |previous: Option<String>| {
        let here = format!("{}?{}", location.pathname.get(), location.search.get());
        if previous.is_some_and(|previous| previous != here)
            && let Some(kept) = use_context::<Kept>()
        {
            kept.flash.set_value(None);
            if let Some(owner) = kept.owner.upgrade() {
                owner.with(|| provide_context(ServerActionError::new("", "")));
            }
        }
        here
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_its_element_and_reads_back() {
        let flash = FormFlash {
            path: "/api/create_client".into(),
            error: "eyJ4Ijoi".into(),
            fields: [("name".to_owned(), "</script><b>&amp;".to_owned())].into(),
        };
        let json = flash.to_script_json();
        assert!(!json.contains('<') && !json.contains('>') && !json.contains('&'), "{json}");
        assert_eq!(serde_json::from_str::<FormFlash>(&json).unwrap(), flash);
    }

    /// The server renders every page under a fresh root owner and drops it after the response:
    /// the flash's context must not keep that owner (and the page's whole reactive graph) alive.
    #[test]
    fn the_flash_context_lets_its_owner_go() {
        let owner = Owner::new();
        let weak = owner.downgrade();
        owner.with(provide);
        assert!(owner.with(use_context::<Kept>).is_some());
        drop(owner);
        assert!(weak.upgrade().is_none(), "the owner outlived its last holder");
    }
}
