//! The assembled router in process, on a fresh database (SQLite alone, or PostgreSQL + Redis).
use axum::{
    Router,
    body::{Body, to_bytes},
    http::{HeaderMap, Request, StatusCode, header},
};
use crm::server::{config::Config, router, startup::build_state, state::AppState};
use leptos::prelude::LeptosOptions;
use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};
use tower::ServiceExt;

use super::{Backend, TestDb};

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub db: TestDb,
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl TestResponse {
    /// The `name=value` part of the session cookie this response sets, if any.
    pub fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find(|value| value.contains("crm_session="))
            .and_then(|value| value.split(';').next())
            .map(str::to_owned)
    }

    pub fn location(&self) -> Option<&str> {
        self.headers.get(header::LOCATION).and_then(|value| value.to_str().ok())
    }
}

/// Starts the app with `extra` configuration variables on top of the backend's own. Open sign-up
/// (`CRM_ALLOW_SIGNUP=true`) unless `extra` says otherwise: tests make several accounts through
/// sign-up, which the app's default allows for the first account only.
pub async fn start_with(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
    let mut vars: Vec<(&str, &str)> = extra.to_vec();
    if !extra.iter().any(|(name, _)| *name == "CRM_ALLOW_SIGNUP") {
        vars.push(("CRM_ALLOW_SIGNUP", "true"));
    }
    start_with_defaults(backend, &vars).await
}

/// Starts the app with the app's own defaults, `extra` aside (sign-up closed after the first account).
pub async fn start_with_defaults(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
    start_with_options(backend, extra, LeptosOptions::builder().output_name("crm").build()).await
}

/// Starts the app with leptos options of the test's own (a site root holding built files, say).
pub async fn start_with_options(backend: Backend, extra: &[(&str, &str)], options: LeptosOptions) -> TestApp {
    // Server errors (logged, then shown to users as a generic message) appear in a failing test's output.
    let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("warn").try_init();
    let db = TestDb::empty(backend).await;
    let mut vars = vec![("DATABASE_URL".to_owned(), db.url.as_str().to_owned())];
    if backend == Backend::Postgres {
        vars.push(("REDIS_URL".to_owned(), super::redis_url()));
        vars.push(("REDIS_KEY_PREFIX".to_owned(), format!("{}:", super::unique_name("app"))));
    }
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let config = Config::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())).unwrap();
    let state = build_state(config, options).await.expect("the app starts");
    let router = router::build(state.clone());
    TestApp { state, router, db }
}

pub async fn start(backend: Backend) -> TestApp {
    start_with(backend, &[]).await
}

/// How many statements the app sent to the database since the last [`QueryCounter::take`].
#[derive(Clone, Default)]
pub struct QueryCounter(Arc<AtomicUsize>);

impl QueryCounter {
    pub fn take(&self) -> usize {
        self.0.swap(0, Ordering::SeqCst)
    }
}

impl TestApp {
    /// A second app instance on the same database (and Redis, with the same key prefix): on
    /// PostgreSQL + Redis it shares nothing else with this one, as two servers behind a balancer.
    pub async fn second_instance(&self) -> axum::Router {
        let config = (*self.state.config).clone();
        let options = LeptosOptions::builder().output_name("crm").build();
        let state = build_state(config, options).await.expect("the second instance starts");
        router::build(state)
    }

    /// Counts every statement the app's handlers and server functions send from now on. (The
    /// session store and the job queue hold their own handles on the pool and are not counted.)
    pub fn count_queries(&mut self) -> QueryCounter {
        let counter = QueryCounter::default();
        let seen = counter.0.clone();
        self.state.db.set_metric_callback(move |_| {
            seen.fetch_add(1, Ordering::SeqCst);
        });
        self.router = router::build(self.state.clone());
        counter
    }

    /// Sends a request and reads the whole answer. One that does not end within 5 minutes fails
    /// the test with its method and path, rather than leaving the test running; every minute
    /// before that, stderr names the request still waiting. (These lines found the hang of about
    /// one run in forty: see `router::route_list`.)
    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let what = format!("{} {}", request.method(), request.uri());
        let exchange = async {
            let response = self.router.clone().oneshot(request).await.unwrap();
            let status = response.status();
            let headers = response.headers().clone();
            let body = to_bytes(response.into_body(), 8 * 1024 * 1024).await.unwrap();
            TestResponse { status, headers, body: String::from_utf8_lossy(&body).into_owned() }
        };
        let mut exchange = std::pin::pin!(exchange);
        for minute in 1..=5 {
            match tokio::time::timeout(std::time::Duration::from_secs(60), &mut exchange).await {
                Ok(response) => return response,
                Err(_) => eprintln!("{what}: no complete answer after {minute} min"),
            }
        }
        panic!("{what}: no complete answer within 5 minutes")
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> TestResponse {
        let mut request = Request::get(path);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    /// A form post, as a browser without JavaScript sends it to a server function.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)], cookie: Option<&str>) -> TestResponse {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    pub async fn cleanup(self) {
        self.db.cleanup().await;
    }
}
