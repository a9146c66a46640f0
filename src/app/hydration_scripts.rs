//! The scripts that load and hydrate the WASM client: leptos' `HydrationScripts` (0.8.23) without
//! its bug of writing the CSP nonce into the preload links' `crossorigin` attribute, where the
//! browser needs `anonymous`. Only the non-islands, non-hashed form this app uses is kept.
use leptos::{WasmSplitManifest, nonce::use_nonce, prelude::*};
use std::{collections::HashMap, path::Path, sync::OnceLock};

const HYDRATE: &str = r#"(function (root, pkg_path, output_name, wasm_output_name) {
	import(`${root}/${pkg_path}/${output_name}.js`).then(mod => {
		mod.default({module_or_path: `${root}/${pkg_path}/${wasm_output_name}.wasm`}).then(() => {
			mod.hydrate();
		});
	});
})"#;

/// The lazy routes' chunk list, read once: leptos' integration adds a preload link for each chunk
/// a page's lazy route needs, from this context.
fn split_manifest(options: &LeptosOptions) -> Option<WasmSplitManifest> {
    static MANIFEST: OnceLock<Option<WasmSplitManifest>> = OnceLock::new();
    MANIFEST
        .get_or_init(|| {
            let pkg_dir = options.site_pkg_dir.to_string();
            let path = Path::new(options.site_root.as_ref()).join(&pkg_dir).join("__wasm_split_manifest.json");
            let text = std::fs::read_to_string(path).ok()?;
            let chunks: HashMap<String, Vec<String>> = serde_json::from_str(&text).ok()?;
            Some(WasmSplitManifest(ArcStoredValue::new((
                format!("/{pkg_dir}"),
                chunks,
                "__wasm_split.______________________.js".to_owned(),
            ))))
        })
        .clone()
}

#[component]
pub fn HydrationScripts(options: LeptosOptions) -> impl IntoView {
    if let Some(manifest) = split_manifest(&options) {
        provide_context(manifest);
    }
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
