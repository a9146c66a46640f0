//! The server binary: configuration errors and start-up failures end with one line and exit code 1.
use std::process::ExitCode;

fn main() -> ExitCode {
    if let Err(error) = dotenvy::dotenv()
        && !error.not_found()
    {
        eprintln!("crm: .env: {error}");
        return ExitCode::from(1);
    }
    // The site's output name is baked in by cargo-leptos; a plain `cargo build` leaves it empty.
    if std::env::var_os("LEPTOS_OUTPUT_NAME").is_none() && option_env!("LEPTOS_OUTPUT_NAME").is_none() {
        // SAFETY: no other thread exists yet; the runtime starts below.
        unsafe { std::env::set_var("LEPTOS_OUTPUT_NAME", "crm") };
    }
    let config = match crm::server::config::Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("crm: {error}");
            return ExitCode::from(1);
        }
    };
    crm::server::telemetry::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("crm: cannot start the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(crm::server::startup::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("crm: {error}");
            ExitCode::from(1)
        }
    }
}
