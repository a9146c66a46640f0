//! The scripts that load and hydrate the WASM client: leptos' `HydrationScripts` (0.8.23) without
//! its bug of writing the CSP nonce into the preload links' `crossorigin` attribute, where the
//! browser needs `anonymous`. Only the non-islands form this app uses is kept; the file names come
//! from [`super::assets`] (content-hashed in release builds).
//!
//! The preload links of a lazy page's chunks are written here too, by the page itself as it
//! renders ([`preload_lazy_group`]). leptos' integration would add them after rendering, but it
//! looks its chunk list up in whatever reactive owner the worker thread happens to hold at that
//! moment, so about one page in a few hundred came without them.
use leptos::{nonce::use_nonce, prelude::*};

const HYDRATE: &str = r#"(function (root, pkg_path, js, wasm) {
	import(`${root}/${pkg_path}/${js}`).then(mod => {
		mod.default({module_or_path: `${root}/${pkg_path}/${wasm}`}).then(() => {
			mod.hydrate();
		});
	});
})"#;

/// The stylesheet and the client's scripts, for the document's head (rendered on the server only).
#[component]
pub fn HydrationScripts(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let assets = {
        let pkg = std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
        let assets = super::assets::assets(&options.output_name, &options.hash_file, &pkg);
        split::load(&options, assets);
        assets.clone()
    };
    #[cfg(not(feature = "ssr"))]
    let assets = super::assets::Assets::default();
    let pkg = options.site_pkg_dir.to_string();
    let call = format!("{HYDRATE}({:?}, {pkg:?}, {:?}, {:?});", "", assets.js, assets.wasm);
    view! {
        <link rel="stylesheet" id="leptos" href=format!("/{pkg}/{}", assets.css) />
        <link rel="modulepreload" href=format!("/{pkg}/{}", assets.js) crossorigin="anonymous" />
        <link rel="preload" href=format!("/{pkg}/{}", assets.wasm) r#as="fetch" r#type="application/wasm"
            crossorigin="anonymous" />
        <script type="module" nonce=use_nonce()>{call}</script>
    }
}

/// Adds to the page's head the preload links of the files that the split module `group` (see
/// `lazy_pages`) needs, when the build was split.
#[cfg(not(feature = "hydrate"))]
pub fn preload_lazy_group(group: &str) {
    #[cfg(feature = "ssr")]
    split::preload(group);
    #[cfg(not(feature = "ssr"))]
    let _ = group;
}

#[cfg(feature = "ssr")]
mod split {
    use leptos::prelude::*;
    use leptos_meta::Link;
    use std::{collections::HashMap, path::Path, sync::OnceLock};

    /// The chunk list `cargo leptos build --split` writes, read once per process.
    static SPLIT: OnceLock<Option<Manifest>> = OnceLock::new();

    pub struct Manifest {
        pkg: String,
        /// The JavaScript loader every chunk goes through.
        loader: String,
        /// A split module's name (a group of `lazy_pages`, or a `#[lazy]` function's
        /// `<snake-case name>_<hash>`) and the files it needs.
        chunks: HashMap<String, Vec<String>>,
    }

    pub fn load(options: &LeptosOptions, assets: &super::super::assets::Assets) {
        SPLIT.get_or_init(|| {
            let pkg = options.site_pkg_dir.to_string();
            let path = Path::new(options.site_root.as_ref()).join(&pkg).join(&assets.split_manifest);
            let text = std::fs::read_to_string(path).ok()?;
            let chunks = serde_json::from_str(&text).ok()?;
            Some(Manifest { pkg, loader: assets.split_loader.clone(), chunks })
        });
    }

    pub fn preload(group: &str) {
        let Some(Some(manifest)) = SPLIT.get() else { return };
        let Some(chunks) = manifest.chunks.get(group) else { return };
        for chunk in chunks {
            // Rendering a leptos_meta tag on the server registers it for the head.
            let _ = view! {
                <Link rel="preload" href=format!("/{}/{chunk}.wasm", manifest.pkg) as_="fetch"
                    type_="application/wasm" crossorigin="anonymous" />
            }
            .to_html();
        }
        let _ = view! {
            <Link rel="modulepreload" href=format!("/{}/{}", manifest.pkg, manifest.loader) crossorigin="anonymous" />
        }
        .to_html();
    }
}
