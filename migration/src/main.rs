//! `cargo run -p migration -- up|down|status|fresh` against `DATABASE_URL` (default: the embedded SQLite file).
use sea_orm_migration::prelude::*;

fn main() {
    dotenvy::dotenv().ok();
    if std::env::var_os("DATABASE_URL").is_none() {
        if let Err(error) = std::fs::create_dir_all("data") {
            eprintln!("cannot create the data/ directory: {error}");
            std::process::exit(1);
        }
        // SAFETY: no other thread exists yet; the runtime starts below.
        unsafe { std::env::set_var("DATABASE_URL", migration::DEFAULT_DATABASE_URL) };
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the async runtime: {error}");
            std::process::exit(1);
        }
    };
    runtime.block_on(cli::run_cli(migration::Migrator));
}
