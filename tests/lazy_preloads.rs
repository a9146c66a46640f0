//! A lazy page's chunks are announced as preloads in its head on every request, not only when
//! leptos' integration happens to find its chunk list (it looked in the worker thread's current
//! reactive owner, and about one page in a few hundred came without them: a CI run failed on it).
#![cfg(feature = "ssr")]

mod common;

use common::{Backend, app};
use leptos::prelude::LeptosOptions;

const PASSWORD: &str = "violet staircase at noon";

/// A site root whose split manifest names the files of three split modules of `src/app/lazy_pages.rs`
/// (the dashboard's, the booking page's, the client page's) as `cargo leptos build --split`
/// does.
fn split_site() -> std::path::PathBuf {
    let site = std::env::temp_dir().join(common::unique_name("site"));
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(
        site.join("pkg/__wasm_split_manifest.json"),
        r#"{"dashboard_page":["dash_a","shared_b"],"book_page":["book_c"],"client_page":["client_d"]}"#,
    )
    .unwrap();
    site
}

fn preloads(body: &str) -> Vec<&str> {
    body.match_indices("<link")
        .filter_map(|(at, _)| body[at..].split_once('>').map(|(link, _)| link))
        .filter(|link| link.contains("preload"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_render_of_a_lazy_page_preloads_its_chunks() {
    let site = split_site();
    let options = LeptosOptions::builder().output_name("crm").site_root(site.to_str().unwrap()).build();
    let app =
        std::sync::Arc::new(app::start_with_options(Backend::Sqlite, &[("CRM_ALLOW_SIGNUP", "true")], options).await);
    let answer = app
        .post_form("/api/signup", &[("name", "Ada"), ("email", "ada@example.com"), ("password", PASSWORD)], None)
        .await;
    let cookie = answer.session_cookie().expect("signed up");

    let pages = (0..60).map(|_| {
        let (app, cookie) = (app.clone(), cookie.clone());
        tokio::spawn(async move { app.get("/", Some(&cookie)).await.body })
    });
    for page in futures::future::join_all(pages).await {
        let page = page.unwrap();
        let links = preloads(&page);
        for chunk in ["dash_a", "shared_b"] {
            assert_eq!(
                links.iter().filter(|link| link.contains(&format!("/pkg/{chunk}.wasm"))).count(),
                1,
                "{links:#?}"
            );
        }
        assert!(links.iter().any(|link| link.contains("__wasm_split.")), "{links:#?}");
        assert!(!page.contains("client_d"), "another page's chunk");
        assert!(links.iter().all(|link| link.contains(r#"crossorigin="anonymous""#)), "{links:#?}");
    }
    let _ = std::fs::remove_dir_all(site);
}
