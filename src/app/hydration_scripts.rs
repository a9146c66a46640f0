//! The scripts that load and hydrate the WASM client: leptos' `HydrationScripts` (0.8.23) without
//! its bug of writing the CSP nonce into the preload links' `crossorigin` attribute, where the
//! browser needs `anonymous`. Only the non-islands, non-hashed form this app uses is kept.
//!
//! The preload links of a lazy page's chunks are written here too, by the page itself as it
//! renders ([`preload_lazy_page`]). leptos' integration would add them after rendering, but it
//! looks its chunk list up in whatever reactive owner the worker thread happens to hold at that
//! moment, so about one page in a few hundred came without them.
use leptos::{nonce::use_nonce, prelude::*};

const HYDRATE: &str = r#"(function (root, pkg_path, output_name, wasm_output_name) {
	import(`${root}/${pkg_path}/${output_name}.js`).then(mod => {
		mod.default({module_or_path: `${root}/${pkg_path}/${wasm_output_name}.wasm`}).then(() => {
			mod.hydrate();
		});
	});
})"#;

#[component]
pub fn HydrationScripts(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    split::load(&options);
    let pkg = options.site_pkg_dir.to_string();
    let js = options.output_name.to_string();
    let wasm = if option_env!("LEPTOS_OUTPUT_NAME").is_none() { format!("{js}_bg") } else { js.clone() };
    let call = format!("{HYDRATE}({:?}, {pkg:?}, {js:?}, {wasm:?});", "");
    view! {
        <link rel="modulepreload" href=format!("/{pkg}/{js}.js") crossorigin="anonymous" />
        <link rel="preload" href=format!("/{pkg}/{wasm}.wasm") r#as="fetch" r#type="application/wasm"
            crossorigin="anonymous" />
        <script type="module" nonce=use_nonce()>{call}</script>
    }
}

/// Adds to the page's head the preload links of the chunks the lazy page `route` (the name of its
/// `LazyRoute` type) needs, when the build was split. Does nothing in the browser.
pub fn preload_lazy_page(route: &str) {
    #[cfg(feature = "ssr")]
    split::preload(route);
    #[cfg(not(feature = "ssr"))]
    let _ = route;
}

#[cfg(feature = "ssr")]
mod split {
    use leptos::prelude::*;
    use leptos_meta::Link;
    use std::{collections::HashMap, path::Path, sync::OnceLock};

    /// The chunk list `cargo leptos build --split` writes, read once per process.
    static SPLIT: OnceLock<Option<Manifest>> = OnceLock::new();

    /// The JavaScript loader every chunk goes through (its name is fixed by cargo-leptos).
    const LOADER: &str = "__wasm_split.______________________.js";

    pub struct Manifest {
        pkg: String,
        /// A lazy function's name (`__<snake-case name>_<hash>`) and the chunks it needs.
        chunks: HashMap<String, Vec<String>>,
    }

    pub fn load(options: &LeptosOptions) {
        SPLIT.get_or_init(|| {
            let pkg = options.site_pkg_dir.to_string();
            let path = Path::new(options.site_root.as_ref()).join(&pkg).join("__wasm_split_manifest.json");
            let text = std::fs::read_to_string(path).ok()?;
            let chunks = serde_json::from_str(&text).ok()?;
            Some(Manifest { pkg, chunks })
        });
    }

    impl Manifest {
        /// The chunks of a `#[lazy_route]` type's view: leptos names its lazy function
        /// `__<type in snake case>_view_<hash of where the macro ran>`.
        fn chunks_of(&self, route: &str) -> impl Iterator<Item = &String> {
            let prefix = format!("__{}_view_", snake_case(route));
            self.chunks
                .iter()
                .filter(move |(name, _)| {
                    name.strip_prefix(&prefix).is_some_and(|hash| hash.bytes().all(|byte| byte.is_ascii_digit()))
                })
                .flat_map(|(_, chunks)| chunks)
        }
    }

    pub fn preload(route: &str) {
        let Some(Some(manifest)) = SPLIT.get() else { return };
        let mut any = false;
        for chunk in manifest.chunks_of(route) {
            any = true;
            // Rendering a leptos_meta tag on the server registers it for the head.
            let _ = view! {
                <Link rel="preload" href=format!("/{}/{chunk}.wasm", manifest.pkg) as_="fetch"
                    type_="application/wasm" crossorigin="anonymous" />
            }
            .to_html();
        }
        if any {
            let _ = view! {
                <Link rel="modulepreload" href=format!("/{}/{LOADER}", manifest.pkg) crossorigin="anonymous" />
            }
            .to_html();
        }
    }

    fn snake_case(name: &str) -> String {
        let mut snake = String::with_capacity(name.len() + 4);
        for (index, letter) in name.chars().enumerate() {
            if letter.is_ascii_uppercase() {
                if index > 0 {
                    snake.push('_');
                }
                snake.push(letter.to_ascii_lowercase());
            } else {
                snake.push(letter);
            }
        }
        snake
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_route_finds_only_its_own_chunks() {
            let manifest = Manifest {
                pkg: "pkg".into(),
                chunks: HashMap::from([
                    ("__client_route_view_123".to_owned(), vec!["a".to_owned()]),
                    ("__edit_client_route_view_123".to_owned(), vec!["b".to_owned()]),
                    ("__client_route_view_helper".to_owned(), vec!["c".to_owned()]),
                    ("palette_contents_123".to_owned(), vec!["d".to_owned()]),
                ]),
            };
            assert_eq!(manifest.chunks_of("ClientRoute").collect::<Vec<_>>(), ["a"]);
            assert_eq!(manifest.chunks_of("EditClientRoute").collect::<Vec<_>>(), ["b"]);
            assert_eq!(snake_case("ManageBookingRoute"), "manage_booking_route");
        }
    }
}
