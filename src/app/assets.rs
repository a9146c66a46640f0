//! The file names of the built client. `cargo leptos build` with `hash-files` (Cargo.toml) puts a
//! hash of each file's content in its name and writes the hashes to `hash.txt` beside the server
//! binary; a build without it (or a test binary) uses the plain names.
//! (cargo-leptos does not empty `pkg` first: the build scripts do, so that old files do not pile up.)
#[cfg(feature = "ssr")]
use std::{path::Path, sync::OnceLock};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assets {
    /// True when the names carry content hashes, so that a file under `/pkg` never changes.
    pub hashed: bool,
    pub js: String,
    pub wasm: String,
    pub css: String,
    /// The JavaScript loader every split chunk goes through.
    pub split_loader: String,
    /// The list of the chunks each split module needs.
    pub split_manifest: String,
}

impl Assets {
    #[cfg_attr(not(feature = "ssr"), allow(dead_code))]
    fn plain(output_name: &str, wasm_suffix: &str) -> Self {
        Assets {
            hashed: false,
            js: format!("{output_name}.js"),
            wasm: format!("{output_name}{wasm_suffix}.wasm"),
            css: format!("{output_name}.css"),
            split_loader: "__wasm_split.______________________.js".to_owned(),
            split_manifest: "__wasm_split_manifest.json".to_owned(),
        }
    }

    /// The names given `hash.txt`'s lines (`js: <hash>`, `wasm:`, `css:`, `manifest:`, `split:`).
    #[cfg_attr(not(feature = "ssr"), allow(dead_code))]
    fn hashed(output_name: &str, hashes: &str) -> Self {
        let mut assets = Assets::plain(output_name, "");
        assets.hashed = true;
        for (kind, hash) in hashes.lines().filter_map(|line| line.split_once(':')) {
            let hash = hash.trim();
            match kind.trim() {
                "js" => assets.js = format!("{output_name}.{hash}.js"),
                "wasm" => assets.wasm = format!("{output_name}.{hash}.wasm"),
                "css" => assets.css = format!("{output_name}.{hash}.css"),
                "manifest" => assets.split_manifest = format!("__wasm_split_manifest.{hash}.json"),
                "split" => assets.split_loader = format!("__wasm_split.{hash}.js"),
                _ => {}
            }
        }
        assets
    }
}

/// The names for this process, read once. A `hash.txt` whose files are not in `pkg` (left from
/// an earlier build) is ignored.
#[cfg(feature = "ssr")]
pub fn assets(output_name: &str, hash_file_name: &str, pkg: &Path) -> &'static Assets {
    static ASSETS: OnceLock<Assets> = OnceLock::new();
    ASSETS.get_or_init(|| {
        let beside_binary =
            std::env::current_exe().ok().and_then(|exe| exe.parent().map(|dir| dir.join(hash_file_name)));
        let hashed = beside_binary
            .and_then(|path| std::fs::read_to_string(path).ok())
            .map(|hashes| Assets::hashed(output_name, &hashes))
            .filter(|assets| pkg.join(&assets.js).is_file() && pkg.join(&assets.wasm).is_file());
        hashed.unwrap_or_else(|| {
            // cargo-leptos names the WASM file `<name>_bg.wasm` unless it set LEPTOS_OUTPUT_NAME
            // while compiling the server (a release build through cargo-leptos does).
            let suffix = if option_env!("LEPTOS_OUTPUT_NAME").is_none() { "_bg" } else { "" };
            Assets::plain(output_name, suffix)
        })
    })
}

/// Whether a file under `/pkg` is safe to cache forever: its name changes with its content.
/// wasm-bindgen's snippets keep their names, so they are always revalidated.
#[cfg(feature = "ssr")]
pub fn immutable(hashed_build: bool, path_in_pkg: &Path) -> bool {
    hashed_build && !path_in_pkg.starts_with("snippets")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_file_lines_give_the_hashed_names() {
        let assets = Assets::hashed("crm", "js: AbC\nwasm: dEf\ncss: x_y\nmanifest: Mmm\nsplit: Sss\n");
        assert!(assets.hashed);
        assert_eq!(
            [assets.js, assets.wasm, assets.css, assets.split_manifest, assets.split_loader],
            ["crm.AbC.js", "crm.dEf.wasm", "crm.x_y.css", "__wasm_split_manifest.Mmm.json", "__wasm_split.Sss.js"]
        );
        assert!(!Assets::plain("crm", "_bg").hashed);
        assert_eq!(Assets::plain("crm", "_bg").wasm, "crm_bg.wasm");
    }

    #[test]
    fn only_hashed_names_are_immutable() {
        assert!(immutable(true, Path::new("chunk_3.Abc.wasm")));
        assert!(!immutable(true, Path::new("snippets/leptos-123/inline0.js")));
        assert!(!immutable(false, Path::new("crm.js")));
    }
}
