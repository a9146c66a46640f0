//! Exactly one reply when the worker dies after the responder answered and before the reply was
//! stored: the real server process answers a lead through a fake endpoint, the test holds the
//! conversation's row (PostgreSQL) or the database's write lock (SQLite) so that the reply cannot
//! be stored, kills the process with SIGKILL, lets the job's lease run out (by moving its due time,
//! as a clock would), starts the server again, and finds one reply, on both backends.
#![cfg(feature = "ssr")]

mod common;

use std::{
    process::Stdio,
    time::{Duration, Instant},
};

use common::{
    BACKENDS, Backend,
    app::TestApp,
    fake_ai::{FakeAi, Script},
    persona::{lead_says, replies_to, set_up},
};
use crm::{ai::reply::QUEUE, chat::entity as messages};
use fred::prelude::LuaInterface;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    process::{Child, Command},
};

const BINARY: &str = env!("CARGO_BIN_EXE_crm");
const ANSWER: &str = "Thanks! How many people are on your team?";

/// The server binary on the test's database (and Redis prefix), with the fake endpoint.
async fn serve(app: &TestApp, fake: &FakeAi, log: &std::path::Path) -> Child {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let mut command = Command::new(BINARY);
    command
        .env_clear()
        .env("LEPTOS_SITE_ADDR", &addr)
        .env("DATABASE_URL", app.db.url.as_str())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::options().create(true).append(true).open(log).unwrap())
        .kill_on_drop(true);
    if app.db.backend() == Backend::Postgres {
        command.env("REDIS_URL", common::redis_url()).env("REDIS_KEY_PREFIX", &app.state.config.redis_prefix);
    }
    for (name, value) in fake.config("5") {
        command.env(name, value);
    }
    let child = command.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready(&addr).await {
        assert!(Instant::now() < deadline, "the server did not start: {}", std::fs::read_to_string(log).unwrap());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child
}

async fn ready(addr: &str) -> bool {
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else { return false };
    let request = format!("GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let mut response = String::new();
    stream.write_all(request.as_bytes()).await.is_ok()
        && stream.read_to_string(&mut response).await.is_ok()
        && response.starts_with("HTTP/1.1 200")
}

fn redis_due_key(app: &TestApp) -> String {
    app.state.redis.as_ref().expect("Redis on PostgreSQL").key(&format!("jobs:{{{QUEUE}}}:due"))
}

/// Reply jobs still in the queue (waiting or leased).
async fn reply_jobs(app: &TestApp) -> i64 {
    match &app.state.redis {
        Some(redis) => {
            let script = "return redis.call('ZCARD', KEYS[1])";
            redis.pool.eval(script, vec![redis_due_key(app)], Vec::<String>::new()).await.unwrap()
        }
        None => {
            let db = &app.db.conn;
            let sql = format!("SELECT COUNT(*) AS n FROM jobs WHERE queue = '{QUEUE}'");
            let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
            row.try_get::<i64>("", "n").unwrap()
        }
    }
}

/// What a clock moved past the lease's end would do: the leased reply jobs are due now.
async fn end_the_leases(app: &TestApp) {
    match &app.state.redis {
        Some(redis) => {
            let script = "local ids = redis.call('ZRANGE', KEYS[1], 0, -1) \
                          for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], 0, id) end return #ids";
            let moved: i64 = redis.pool.eval(script, vec![redis_due_key(app)], Vec::<String>::new()).await.unwrap();
            assert_eq!(moved, 1, "one reply job is leased");
        }
        None => {
            let db = &app.db.conn;
            let sql = format!("UPDATE jobs SET run_at_ms = 0 WHERE queue = '{QUEUE}' AND locked_by IS NOT NULL");
            let done = db.execute_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
            assert_eq!(done.rows_affected(), 1, "one reply job is leased");
        }
    }
}

/// Waits until the server is blocked behind the test's lock (PostgreSQL shows it; SQLite does
/// not, and a second is far more than storing takes).
async fn until_blocked(app: &TestApp) {
    if app.db.backend() == Backend::Sqlite {
        tokio::time::sleep(Duration::from_secs(1)).await;
        return;
    }
    let db = &app.db.conn;
    let sql =
        "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
        if row.try_get::<i64>("", "n").unwrap() > 0 {
            return;
        }
        assert!(Instant::now() < deadline, "the server never waited for the conversation's lock");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn until<F: std::future::Future<Output = bool>>(what: &str, log: &std::path::Path, mut check: impl FnMut() -> F) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: {}", std::fs::read_to_string(log).unwrap_or_default());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_worker_killed_between_the_answer_and_storing_it_replies_once_after_a_restart() {
    for backend in BACKENDS {
        let fake = FakeAi::start().await;
        let config = fake.config("5");
        let extra: Vec<(&str, &str)> = config.iter().map(|(name, value)| (*name, value.as_str())).collect();
        let app = common::app::start_with(backend, &extra).await;
        let log = std::env::temp_dir().join(format!("{}.log", common::unique_name("ai_crash")));
        let (_, client_id) = set_up(&app).await;
        assert_eq!(reply_jobs(&app).await, 0, "{backend:?}: nothing waits before the lead writes");
        fake.will([Script::Gated(ANSWER), Script::Text(ANSWER)]);

        let mut server = serve(&app, &fake, &log).await;
        let asked = lead_says(&app, client_id, "We would like a demo").await;
        tokio::time::timeout(Duration::from_secs(30), fake.arrived()).await.expect("the server asks the endpoint");
        // The reply cannot be stored while this transaction holds the conversation.
        let holding = crm::server::db::begin_write(&app.db.conn).await.unwrap();
        let hold = format!("UPDATE conversations SET version = version WHERE client_id = {client_id}");
        holding.execute_raw(Statement::from_string(holding.get_database_backend(), hold)).await.unwrap();
        fake.release();
        until_blocked(&app).await;
        server.kill().await.unwrap();
        holding.rollback().await.unwrap();
        assert_eq!(replies_to(&app, asked.message.id).await, 0, "{backend:?}: killed before storing");
        assert_eq!(fake.take().len(), 1, "{backend:?}");

        end_the_leases(&app).await;
        let mut server = serve(&app, &fake, &log).await;
        let (shared, asked_id) = (&app, asked.message.id);
        until("the job ran again and finished", &log, || async move {
            replies_to(shared, asked_id).await > 0 && reply_jobs(shared).await == 0
        })
        .await;
        assert_eq!(replies_to(&app, asked.message.id).await, 1, "{backend:?}: exactly one reply");
        let reply = messages::Entity::find()
            .filter(messages::Column::ReplyToMessageId.eq(asked.message.id))
            .one(&app.db.conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((reply.role.as_str(), reply.body.as_str()), ("ai", ANSWER), "{backend:?}");
        assert_eq!(fake.take().len(), 1, "{backend:?}: the endpoint was asked once more");

        server.kill().await.unwrap();
        let _ = std::fs::remove_file(&log);
        fake.stop();
        app.cleanup().await;
    }
}
