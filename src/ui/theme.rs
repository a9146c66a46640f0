//! Light, dark or the system's choice: remembered in a cookie so the server renders the right
//! theme on the first byte (no flash), switched in place with JavaScript, by a form post without.
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// The cookie that remembers the choice. Not `HttpOnly`: the page switches it itself.
pub const COOKIE: &str = "theme";
/// Where the switch posts without JavaScript.
pub const ROUTE: &str = "/preferences/theme";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    pub fn parse(raw: &str) -> Option<Theme> {
        match raw {
            "system" => Some(Theme::System),
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "System",
            Theme::Light => "Light",
            Theme::Dark => "Dark",
        }
    }

    fn icon(self) -> &'static str {
        match self {
            Theme::System => "theme-system",
            Theme::Light => "theme-light",
            Theme::Dark => "theme-dark",
        }
    }

    /// The `data-theme` attribute of `<html>`: none lets the system decide.
    pub fn attribute(self) -> Option<&'static str> {
        match self {
            Theme::System => None,
            other => Some(other.as_str()),
        }
    }

    /// The `Set-Cookie` value that remembers this choice for a year.
    pub fn cookie(self, secure: bool) -> String {
        let secure = if secure { "; Secure" } else { "" };
        match self {
            Theme::System => format!("{COOKIE}=; Path=/; Max-Age=0; SameSite=Lax{secure}"),
            theme => format!("{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}", theme.as_str()),
        }
    }

    /// The choice in a `Cookie` request header, if any.
    pub fn from_cookie_header(header: &str) -> Theme {
        header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == COOKIE)
            .and_then(|(_, value)| Theme::parse(value))
            .unwrap_or_default()
    }
}

/// The theme in force, shared by the switch and the command palette.
#[derive(Clone, Copy)]
pub struct ThemeSetting(pub RwSignal<Theme>);

impl ThemeSetting {
    /// Changes the theme at once and remembers it.
    pub fn choose(self, theme: Theme) {
        self.0.set(theme);
        #[cfg(feature = "hydrate")]
        apply_in_browser(theme);
    }
}

/// The theme this request or page was rendered with: the server reads the cookie, the client reads
/// what the server wrote on `<html>`, so both render the same switch.
pub fn initial() -> Theme {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>()
            .and_then(|parts| {
                parts.headers.get(axum::http::header::COOKIE)?.to_str().ok().map(Theme::from_cookie_header)
            })
            .unwrap_or_default()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        document()
            .document_element()
            .and_then(|root| root.get_attribute("data-theme"))
            .and_then(|raw| Theme::parse(&raw))
            .unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        Theme::System
    }
}

#[cfg(feature = "hydrate")]
fn apply_in_browser(theme: Theme) {
    use wasm_bindgen::JsCast;
    let document = document();
    if let Some(root) = document.document_element() {
        let _ = match theme.attribute() {
            Some(value) => root.set_attribute("data-theme", value),
            None => root.remove_attribute("data-theme"),
        };
    }
    let secure = window().location().protocol().is_ok_and(|protocol| protocol == "https:");
    if let Ok(html) = document.dyn_into::<web_sys::HtmlDocument>() {
        let _ = html.set_cookie(&theme.cookie(secure));
    }
}

/// Three buttons (system, light, dark). Without JavaScript they post the form, and the server
/// sets the cookie and sends the browser back to this page.
#[component]
pub fn ThemeSwitch() -> impl IntoView {
    let setting = expect_context::<ThemeSetting>();
    let location = use_location();
    let back = move || {
        let search = location.search.get();
        if search.is_empty() { location.pathname.get() } else { format!("{}?{search}", location.pathname.get()) }
    };
    view! {
        <form class="theme-switch" method="post" action=ROUTE>
            <input type="hidden" name="back" value=back />
            <div class="segmented" role="group" aria-label="Colour theme">
                {Theme::ALL
                    .into_iter()
                    .map(|theme| {
                        view! {
                            <button type="submit" name="theme" value=theme.as_str() class="segment"
                                title=format!("{} theme", theme.label())
                                aria-pressed=move || (setting.0.get() == theme).to_string()
                                on:click=move |ev| {
                                    ev.prevent_default();
                                    setting.choose(theme);
                                }>
                                <crate::ui::icon::Icon name=theme.icon() />
                                <span class="segment-label">{theme.label()}</span>
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::Theme;

    #[test]
    fn the_cookie_header_names_the_theme_or_the_system_decides() {
        assert_eq!(Theme::from_cookie_header("crm_session=abc; theme=dark"), Theme::Dark);
        assert_eq!(Theme::from_cookie_header("theme=light"), Theme::Light);
        assert_eq!(Theme::from_cookie_header("theme=purple; other=1"), Theme::System);
        assert_eq!(Theme::from_cookie_header("mytheme=dark"), Theme::System);
        assert_eq!(Theme::from_cookie_header(""), Theme::System);
    }

    #[test]
    fn choosing_the_system_forgets_the_cookie() {
        assert_eq!(Theme::System.cookie(false), "theme=; Path=/; Max-Age=0; SameSite=Lax");
        assert_eq!(Theme::Dark.cookie(true), "theme=dark; Path=/; Max-Age=31536000; SameSite=Lax; Secure");
        assert_eq!(Theme::Dark.attribute(), Some("dark"));
        assert_eq!(Theme::System.attribute(), None);
    }
}
