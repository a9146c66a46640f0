//! Start-up and shutdown: connect, migrate, bootstrap, serve, drain on SIGTERM/Ctrl-C with a deadline.
use std::{sync::Arc, time::Instant};

use leptos::prelude::LeptosOptions;
use thiserror::Error;
use tokio::{net::TcpListener, sync::Notify};

use super::{
    config::{Config, ConfigError, redact_url},
    db,
    infra::Infra,
    redis, router,
    sessions::AnySessionStore,
    state::AppState,
};
use crate::users::service::{BootstrapOutcome, ensure_admin};
use tower_sessions::ExpiredDeletion;

/// How often expired sessions are removed from the database (Redis expires them by itself).
const SESSION_SWEEP_PERIOD: std::time::Duration = std::time::Duration::from_secs(300);

/// Every way start-up can fail; each renders as one line naming the variable to fix.
#[derive(Debug, Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("DATABASE_URL: cannot open the {kind} database at {url}: {reason}")]
    Database { kind: &'static str, url: String, reason: String },
    #[error("DATABASE_URL: migrating the database failed: {0}")]
    Migration(String),
    #[error("REDIS_URL: cannot connect to Redis at {url}: {reason}")]
    Redis { url: String, reason: String },
    #[error("CRM_ADMIN_EMAIL: cannot create the admin account: {0}")]
    Admin(String),
    #[error("LEPTOS_SITE_ADDR: cannot listen on {addr}: {reason}")]
    Bind { addr: String, reason: String },
    #[error("server error: {0}")]
    Serve(String),
}

/// Connects everything the app needs; shared by the server and tests.
pub async fn build_state(config: Config, leptos_options: LeptosOptions) -> Result<AppState, StartupError> {
    let db = db::connect(&config.database_url).await.map_err(|error| StartupError::Database {
        kind: config.database_url.kind(),
        url: redact_url(config.database_url.as_str()),
        reason: error.to_string(),
    })?;
    let db = db::migrate(db, &config.database_url).await.map_err(|error| StartupError::Migration(error.to_string()))?;

    let redis = match &config.redis_url {
        None => None,
        Some(url) => Some(Arc::new(
            redis::connect(url, &config.redis_prefix)
                .await
                .map_err(|error| StartupError::Redis { url: redact_url(url), reason: error.to_string() })?,
        )),
    };
    let (infra, sessions) = match &redis {
        None => (Infra::embedded(db.clone()), AnySessionStore::db(db.clone())),
        Some(handle) => (Infra::redis(handle), AnySessionStore::redis(handle)),
    };

    if let Some(admin) = &config.admin {
        match ensure_admin(&db, admin).await.map_err(|error| StartupError::Admin(error.to_string()))? {
            BootstrapOutcome::Created => tracing::info!(email = %admin.email, "created the admin account"),
            BootstrapOutcome::Promoted => tracing::info!(email = %admin.email, "promoted the account to admin"),
            BootstrapOutcome::AdminExists => {}
        }
    }

    Ok(AppState {
        leptos_options,
        db,
        redis,
        infra: Arc::new(infra),
        sessions,
        auth: crate::users::auth::AuthPolicy::from_config(&config),
        config: Arc::new(config),
        started_at: Instant::now(),
    })
}

pub async fn run(config: Config) -> Result<(), StartupError> {
    let started = Instant::now();
    let mut leptos_options =
        leptos::config::get_configuration(None).map_err(|error| StartupError::Serve(error.to_string()))?.leptos_options;
    leptos_options.site_addr = config.site_addr;
    leptos_options.site_root = config.site_root.to_string_lossy().as_ref().into();

    let grace = config.shutdown_grace;
    let addr = config.site_addr;
    let database_kind = config.database_url.kind();
    let redis_configured = config.redis_url.is_some();
    let state = build_state(config, leptos_options).await?;
    let app = router::build(state.clone());
    let session_sweeper = tokio::spawn(sweep_expired_sessions(state.sessions.clone()));
    let (stop_worker, worker) =
        super::worker::spawn(state.clone(), crate::domains::queue_handlers(), crate::domains::periodic_tasks());

    let listener = TcpListener::bind(addr)
        .await
        .map_err(|error| StartupError::Bind { addr: addr.to_string(), reason: error.to_string() })?;
    tracing::info!(
        "listening on http://{addr} ({database_kind}, redis {}), ready in {} ms",
        if redis_configured { "on" } else { "off" },
        started.elapsed().as_millis()
    );

    let shutdown_requested = Arc::new(Notify::new());
    let server = {
        let shutdown_requested = shutdown_requested.clone();
        tokio::spawn(super::serve::serve(listener, app, super::serve::Timeouts::default(), async move {
            shutdown_signal().await;
            tracing::info!("shutting down: draining requests for up to {} s", grace.as_secs());
            shutdown_requested.notify_one();
        }))
    };
    let deadline = async {
        shutdown_requested.notified().await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = server => result.map_err(|error| StartupError::Serve(error.to_string()))?,
        () = deadline => tracing::warn!("shutdown deadline passed; closing remaining connections"),
    }
    session_sweeper.abort();
    // The worker stops between jobs, or between batches of a long import, which resumes at the
    // next start; it gets the same grace as requests.
    stop_worker.send_replace(true);
    if tokio::time::timeout(grace, worker).await.is_err() {
        tracing::warn!("the background worker did not stop in time");
    }
    state.db.close_by_ref().await.ok();
    tracing::info!("stopped");
    Ok(())
}

async fn sweep_expired_sessions(store: AnySessionStore) {
    let mut interval = tokio::time::interval(SESSION_SWEEP_PERIOD);
    loop {
        interval.tick().await;
        if let Err(error) = store.delete_expired().await {
            tracing::warn!(%error, "could not delete expired sessions");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
