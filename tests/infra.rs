#![cfg(feature = "ssr")]
//! The infrastructure contracts, written once per trait and run against every implementation:
//! in-process, database (SQLite and PostgreSQL) and Redis. PostgreSQL and Redis must be running.
mod common;

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::{Duration, Instant},
};

use common::{Backend, TestDb};
use crm::server::{
    infra::{
        Bus, Cache, Infra, InfraError, Job, JobQueue, RateLimiter, Subscription,
        cache::{MemoryCache, RedisCache},
        jobs::{DbJobQueue, RedisJobQueue},
        pubsub::{MemoryBus, RedisBus},
        rate_limit::{MemoryRateLimiter, RedisRateLimiter},
    },
    redis::{self, RedisHandle},
    sessions::{AnySessionStore, USER_ID_KEY},
};
use fred::{
    interfaces::ClientLike,
    prelude::{HashesInterface, KeysInterface, LuaInterface, SortedSetsInterface},
    types::{ClusterHash, CustomCommand},
};
use futures::{StreamExt, future::join_all};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use tower_sessions::{
    ExpiredDeletion, SessionStore,
    cookie::time::OffsetDateTime,
    session::{Id, Record},
};

// ---------------------------------------------------------------------------------------------
// Fixtures

/// A Redis connection whose keys all start with a prefix no other test uses.
async fn redis_handle() -> RedisHandle {
    let prefix = format!("{}:", common::unique_name("redis"));
    redis_handle_with_prefix(&prefix).await
}

async fn redis_handle_with_prefix(prefix: &str) -> RedisHandle {
    let url = common::redis_url();
    redis::connect(&url, prefix).await.unwrap_or_else(|error| {
        panic!(
            "Redis is required for these tests and is unreachable at {url} ({error}). Start it or set TEST_REDIS_URL."
        )
    })
}

/// Deletes every key under the handle's prefix, then closes its connections.
async fn cleanup_redis(handle: RedisHandle) {
    let _: i64 = handle
        .pool
        .eval(
            "local keys = redis.call('KEYS', ARGV[1]) for _, key in ipairs(keys) do redis.call('DEL', key) end return #keys",
            Vec::<String>::new(),
            vec![format!("{}*", handle.prefix)],
        )
        .await
        .expect("delete the test keys");
    handle.quit().await;
}

async fn count_redis_keys(handle: &RedisHandle) -> i64 {
    handle
        .pool
        .eval("return #redis.call('KEYS', ARGV[1])", Vec::<String>::new(), vec![format!("{}*", handle.prefix)])
        .await
        .expect("count the test keys")
}

async fn count_rows(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("count query")
        .expect("count row");
    row.try_get_by_index::<i64>(0).expect("count value")
}

async fn create_user(db: &DatabaseConnection, email: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("INSERT INTO users (email, name, password_hash) VALUES ('{email}', 'Test', 'x') RETURNING id"),
        ))
        .await
        .expect("insert user")
        .expect("user id");
    row.try_get::<i64>("", "id").expect("user id value")
}

// ---------------------------------------------------------------------------------------------
// Cache

async fn cache_suite(cache: &dyn Cache) {
    assert_eq!(cache.get("missing").await.unwrap(), None);

    cache.set("short", "1", Duration::from_millis(300)).await.unwrap();
    cache.set("long", "2", Duration::from_secs(60)).await.unwrap();
    assert_eq!(cache.get("short").await.unwrap().as_deref(), Some("1"));
    cache.set("short", "1b", Duration::from_millis(300)).await.unwrap();
    assert_eq!(cache.get("short").await.unwrap().as_deref(), Some("1b"), "set overwrites");

    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(cache.get("short").await.unwrap(), None, "an entry past its TTL is gone");
    assert_eq!(cache.get("long").await.unwrap().as_deref(), Some("2"), "a live entry stays");

    cache.delete("long").await.unwrap();
    assert_eq!(cache.get("long").await.unwrap(), None, "a deleted entry is gone");
    cache.delete("never-set").await.unwrap();

    cache.set("text", "é ü \"quoted\" 日本", Duration::from_secs(5)).await.unwrap();
    assert_eq!(cache.get("text").await.unwrap().as_deref(), Some("é ü \"quoted\" 日本"));
}

#[tokio::test]
async fn memory_cache_passes_the_cache_suite() {
    cache_suite(&MemoryCache::default()).await;
}

#[tokio::test]
async fn redis_cache_passes_the_cache_suite() {
    let handle = redis_handle().await;
    cache_suite(&RedisCache::new(&handle)).await;
    cache_suite_leaves_prefixed_keys_only(&handle).await;
    cleanup_redis(handle).await;
}

async fn cache_suite_leaves_prefixed_keys_only(handle: &RedisHandle) {
    let cache = RedisCache::new(handle);
    cache.set("probe", "x", Duration::from_secs(5)).await.unwrap();
    let raw: Option<String> = handle.pool.get(format!("{}cache:probe", handle.prefix)).await.unwrap();
    assert_eq!(raw.as_deref(), Some("x"), "cache keys live under the instance prefix");
    let ttl: i64 = handle.pool.pttl(format!("{}cache:probe", handle.prefix)).await.unwrap();
    assert!(ttl > 0 && ttl <= 5_000, "the entry has a TTL in Redis, got {ttl} ms");
}

#[tokio::test]
async fn memory_cache_stays_bounded() {
    let cache = MemoryCache::with_capacity(3);
    for n in 0..10 {
        cache.set(&format!("key{n}"), "v", Duration::from_secs(60 + n)).await.unwrap();
        assert!(cache.len() <= 3, "the cache holds at most its capacity, has {}", cache.len());
    }
    assert_eq!(cache.get("key9").await.unwrap().as_deref(), Some("v"), "the newest entry is kept");
    assert_eq!(cache.get("key0").await.unwrap(), None, "the entry closest to expiry made room");

    let cache = MemoryCache::with_capacity(3);
    for n in 0..3 {
        cache.set(&format!("short{n}"), "v", Duration::from_millis(100)).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    cache.set("fresh", "v", Duration::from_secs(60)).await.unwrap();
    assert_eq!(cache.len(), 1, "expired entries are purged when the cache is full");
}

// ---------------------------------------------------------------------------------------------
// Rate limiter

async fn rate_limiter_suite(limiter: Arc<dyn RateLimiter>) {
    const LIMIT: u32 = 5;
    let window = Duration::from_secs(2);

    let hits = (0..50).map(|_| {
        let limiter = limiter.clone();
        tokio::spawn(async move { limiter.hit("login:alice", LIMIT, window).await.unwrap() })
    });
    let decisions: Vec<_> = join_all(hits).await.into_iter().map(|joined| joined.unwrap()).collect();
    let allowed: Vec<_> = decisions.iter().filter(|decision| decision.allowed).collect();
    assert_eq!(allowed.len(), LIMIT as usize, "exactly `limit` of 50 concurrent hits pass");
    let remaining: HashSet<u32> = allowed.iter().map(|decision| decision.remaining).collect();
    assert_eq!(remaining, (0..LIMIT).collect(), "each allowed hit saw its own count");
    for decision in &allowed {
        assert_eq!(decision.retry_after, Duration::ZERO);
    }
    for denied in decisions.iter().filter(|decision| !decision.allowed) {
        assert_eq!(denied.remaining, 0);
        assert!(
            denied.retry_after > Duration::ZERO && denied.retry_after <= window,
            "a denied hit says when to retry, got {:?}",
            denied.retry_after
        );
    }

    let other = limiter.hit("login:bob", LIMIT, window).await.unwrap();
    assert!(other.allowed, "keys are counted separately");
    assert_eq!(other.remaining, LIMIT - 1);

    limiter.reset("login:alice").await.unwrap();
    let after_reset = limiter.hit("login:alice", LIMIT, window).await.unwrap();
    assert!(after_reset.allowed, "reset forgets the hits");
    assert_eq!(after_reset.remaining, LIMIT - 1);

    let short = Duration::from_millis(400);
    assert!(limiter.hit("short", 2, short).await.unwrap().allowed);
    assert!(limiter.hit("short", 2, short).await.unwrap().allowed);
    let denied = limiter.hit("short", 2, short).await.unwrap();
    assert!(!denied.allowed, "the third hit in the window is denied");
    tokio::time::sleep(denied.retry_after + Duration::from_millis(100)).await;
    let next_window = limiter.hit("short", 2, short).await.unwrap();
    assert!(next_window.allowed, "a new window allows hits again");
    assert_eq!(next_window.remaining, 1);
}

/// Slots taken with `acquire`: only allowed calls count, a refused one changes nothing, and
/// `release` gives a slot back.
async fn acquire_suite(limiter: Arc<dyn RateLimiter>) {
    const LIMIT: u32 = 5;
    let window = Duration::from_secs(2);
    let takes = (0..50).map(|_| {
        let limiter = limiter.clone();
        tokio::spawn(async move { limiter.acquire("acq:alice", LIMIT, window).await.unwrap() })
    });
    let decisions: Vec<_> = join_all(takes).await.into_iter().map(|joined| joined.unwrap()).collect();
    assert_eq!(decisions.iter().filter(|decision| decision.allowed).count(), LIMIT as usize);
    for denied in decisions.iter().filter(|decision| !decision.allowed) {
        assert!(denied.retry_after > Duration::ZERO && denied.retry_after <= window, "{denied:?}");
    }
    // The 45 refused calls did not count: one release frees exactly one slot.
    limiter.release("acq:alice").await.unwrap();
    assert!(limiter.acquire("acq:alice", LIMIT, window).await.unwrap().allowed);
    assert!(!limiter.acquire("acq:alice", LIMIT, window).await.unwrap().allowed);
    // A refused first call creates nothing: the key is still free for a higher limit.
    assert!(!limiter.acquire("acq:none", 0, window).await.unwrap().allowed);
    let first = limiter.acquire("acq:none", 2, window).await.unwrap();
    assert_eq!((first.allowed, first.remaining), (true, 1));
    // Releasing every slot forgets the key; releasing more is harmless.
    for _ in 0..3 {
        limiter.release("acq:none").await.unwrap();
    }
    assert_eq!(limiter.acquire("acq:none", 2, window).await.unwrap().remaining, 1);
    // A window still ends on time, whatever was refused during it.
    let short = Duration::from_millis(400);
    assert!(limiter.acquire("acq:short", 1, short).await.unwrap().allowed);
    let denied = limiter.acquire("acq:short", 1, short).await.unwrap();
    assert!(!denied.allowed);
    tokio::time::sleep(denied.retry_after + Duration::from_millis(100)).await;
    assert!(limiter.acquire("acq:short", 1, short).await.unwrap().allowed, "a new window has a free slot");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_rate_limiter_passes_the_rate_limiter_suite() {
    rate_limiter_suite(Arc::new(MemoryRateLimiter::default())).await;
    acquire_suite(Arc::new(MemoryRateLimiter::default())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_rate_limiter_passes_the_rate_limiter_suite() {
    let handle = redis_handle().await;
    rate_limiter_suite(Arc::new(RedisRateLimiter::new(&handle))).await;
    acquire_suite(Arc::new(RedisRateLimiter::new(&handle))).await;
    let limiter = RedisRateLimiter::new(&handle);
    assert!(!limiter.acquire("acq:nothing", 0, Duration::from_secs(5)).await.unwrap().allowed);
    let exists: bool = handle.pool.exists(handle.key("rate:acq:nothing")).await.unwrap();
    assert!(!exists, "a refused acquire creates no key in Redis");
    cleanup_redis(handle).await;
}

// ---------------------------------------------------------------------------------------------
// Pub/sub

async fn next_message(subscription: &mut Subscription) -> String {
    tokio::time::timeout(Duration::from_secs(3), subscription.next())
        .await
        .expect("a message within 3 s")
        .expect("the subscription is still open")
}

async fn assert_silent(subscription: &mut Subscription) {
    if let Ok(message) = tokio::time::timeout(Duration::from_millis(300), subscription.next()).await {
        panic!("expected no message, got {message:?}");
    }
}

async fn bus_suite(bus: &dyn Bus) {
    let mut first = bus.subscribe("room:1").await.unwrap();
    let mut second = bus.subscribe("room:1").await.unwrap();
    let mut elsewhere = bus.subscribe("room:2").await.unwrap();

    bus.publish("room:1", "hello").await.unwrap();
    assert_eq!(next_message(&mut first).await, "hello");
    assert_eq!(next_message(&mut second).await, "hello", "every subscriber gets the message");
    assert_silent(&mut elsewhere).await;

    bus.publish("room:2", "other").await.unwrap();
    assert_eq!(next_message(&mut elsewhere).await, "other");
    assert_silent(&mut first).await;

    for n in 0..20 {
        bus.publish("room:1", &format!("m{n}")).await.unwrap();
    }
    for n in 0..20 {
        assert_eq!(next_message(&mut first).await, format!("m{n}"), "messages arrive in order");
    }
    for n in 0..20 {
        assert_eq!(next_message(&mut second).await, format!("m{n}"));
    }

    drop(first);
    bus.publish("room:1", "still there").await.unwrap();
    assert_eq!(next_message(&mut second).await, "still there", "other subscribers outlive a dropped one");

    // Dropping the last subscriber and subscribing again at once must leave a working subscription.
    for round in 0..5 {
        drop(second);
        second = bus.subscribe("room:1").await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let message = format!("round {round}");
        bus.publish("room:1", &message).await.unwrap();
        assert_eq!(next_message(&mut second).await, message);
    }

    bus.publish("nobody-listens", "lost").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_bus_passes_the_bus_suite() {
    bus_suite(&MemoryBus::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_bus_passes_the_bus_suite() {
    let handle = redis_handle().await;
    bus_suite(&RedisBus::new(&handle)).await;
    cleanup_redis(handle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_bus_delivers_across_instances_and_unsubscribes_unused_channels() {
    let prefix = format!("{}:", common::unique_name("redis"));
    let publisher_handle = redis_handle_with_prefix(&prefix).await;
    let subscriber_handle = redis_handle_with_prefix(&prefix).await;
    let publisher = RedisBus::new(&publisher_handle);
    let subscriber = RedisBus::new(&subscriber_handle);

    let mut subscription = subscriber.subscribe("chat:7").await.unwrap();
    publisher.publish("chat:7", "from another instance").await.unwrap();
    assert_eq!(next_message(&mut subscription).await, "from another instance");

    let redis_channel = format!("{prefix}bus:chat:7");
    assert!(subscriber_handle.subscriber.tracked_channels().iter().any(|channel| **channel == *redis_channel));
    drop(subscription);
    let deadline = Instant::now() + Duration::from_secs(3);
    while subscriber_handle.subscriber.tracked_channels().iter().any(|channel| **channel == *redis_channel) {
        assert!(Instant::now() < deadline, "the Redis channel is unsubscribed once nobody listens");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    drop(publisher);
    drop(subscriber);
    subscriber_handle.quit().await;
    cleanup_redis(publisher_handle).await;
}

/// `subscribe` returning means the subscription is in place: a message another instance publishes
/// right after it is delivered. Many rounds, some side by side, since the race is with Redis's
/// order of reading its connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_bus_delivers_what_is_published_right_after_subscribe_returns() {
    let prefix = format!("{}:", common::unique_name("redis"));
    let publisher_handle = redis_handle_with_prefix(&prefix).await;
    let subscriber_handle = redis_handle_with_prefix(&prefix).await;
    let publisher = Arc::new(RedisBus::new(&publisher_handle));
    let subscriber = Arc::new(RedisBus::new(&subscriber_handle));

    let rounds = (0..4).map(|task| {
        let (publisher, subscriber) = (publisher.clone(), subscriber.clone());
        tokio::spawn(async move {
            for round in 0..150 {
                let channel = format!("first:{task}:{round}");
                let mut subscription = subscriber.subscribe(&channel).await.unwrap();
                publisher.publish(&channel, "at once").await.unwrap();
                assert_eq!(next_message(&mut subscription).await, "at once", "round {round} of task {task}");
            }
        })
    });
    for outcome in join_all(rounds).await {
        outcome.unwrap();
    }

    drop((publisher, subscriber));
    subscriber_handle.quit().await;
    cleanup_redis(publisher_handle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_clients_reconnect_and_resubscribe_after_losing_their_connections() {
    let handle = redis_handle().await;
    let killer = redis_handle().await;
    let bus = RedisBus::new(&handle);
    let cache = RedisCache::new(&handle);
    let client_command = || CustomCommand::new_static("CLIENT", ClusterHash::FirstKey, false);
    let mut connection_ids: Vec<i64> = vec![handle.subscriber.custom(client_command(), vec!["ID"]).await.unwrap()];
    for client in handle.pool.clients() {
        connection_ids.push(client.custom(client_command(), vec!["ID"]).await.unwrap());
    }
    let mut subscription = bus.subscribe("news").await.unwrap();

    for id in connection_ids {
        let killed: i64 = killer
            .pool
            .custom(client_command(), vec!["KILL".to_owned(), "ID".to_owned(), id.to_string()])
            .await
            .unwrap();
        assert_eq!(killed, 1, "connection {id} was killed");
    }

    // Messages published while the subscriber reconnects are lost; it must be back within seconds.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < deadline, "the subscriber resubscribed after reconnecting");
        if bus.publish("news", "are you back?").await.is_ok()
            && let Ok(Some(message)) = tokio::time::timeout(Duration::from_millis(300), subscription.next()).await
        {
            assert_eq!(message, "are you back?");
            break;
        }
    }
    cache.set("after", "reconnect", Duration::from_secs(5)).await.expect("the pool reconnected");
    assert_eq!(cache.get("after").await.unwrap().as_deref(), Some("reconnect"));
    handle.ping().await.expect("ping after reconnecting");

    drop(subscription);
    drop(bus);
    killer.quit().await;
    cleanup_redis(handle).await;
}

/// A TCP relay to Redis that can be cut, standing in for a Redis server that dies.
struct RedisRelay {
    url: String,
    tasks: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl RedisRelay {
    async fn start() -> RedisRelay {
        let target = url::Url::parse(&common::redis_url()).unwrap();
        let target = format!("{}:{}", target.host_str().unwrap(), target.port().unwrap_or(6379));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("redis://{}", listener.local_addr().unwrap());
        let tasks = Arc::new(std::sync::Mutex::new(Vec::new()));
        let accepted = tasks.clone();
        let acceptor = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                let relay = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                accepted.lock().unwrap().push(relay);
            }
        });
        tasks.lock().unwrap().push(acceptor);
        RedisRelay { url, tasks }
    }

    /// Closes the listener and every relayed connection.
    fn cut(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_redis_gives_errors_within_seconds_not_hangs() {
    let relay = RedisRelay::start().await;
    let prefix = format!("{}:", common::unique_name("redis"));
    let handle = redis::connect(&relay.url, &prefix).await.expect("connect through the relay");
    let cache = RedisCache::new(&handle);
    cache.set("k", "v", Duration::from_secs(5)).await.unwrap();

    relay.cut();
    let started = Instant::now();
    let outcome = tokio::time::timeout(Duration::from_secs(15), cache.get("k")).await;
    let outcome = outcome.expect("the command returned instead of hanging");
    assert!(outcome.is_err(), "a command against a dead Redis fails, got {outcome:?}");
    assert!(started.elapsed() < Duration::from_secs(8), "it failed within seconds ({:?})", started.elapsed());
    assert!(handle.ping().await.is_err(), "readiness sees Redis down");

    let _ = tokio::time::timeout(Duration::from_secs(2), handle.quit()).await;
    cleanup_redis(redis_handle_with_prefix(&prefix).await).await;
}

// ---------------------------------------------------------------------------------------------
// Job queue

const LEASE: Duration = Duration::from_millis(800);
const PAST_LEASE: Duration = Duration::from_millis(1_000);

fn assert_lease_lost(result: Result<(), InfraError>, what: &str) {
    match result {
        Err(InfraError::LeaseLost(_)) => {}
        other => panic!("{what}: expected a lost lease, got {other:?}"),
    }
}

async fn reserve(queue: &dyn JobQueue, name: &str) -> Option<Job> {
    queue.reserve(name, LEASE).await.unwrap()
}

/// `queue` has the default attempt limit; `limited` shares its storage and allows two deliveries.
async fn job_queue_suite(queue: Arc<dyn JobQueue>, limited: &dyn JobQueue) {
    let q = queue.as_ref();

    // Enqueue, reserve, ack: an acked job never comes back, even once its lease would have ended.
    let id = q.enqueue("mail", "p1", Duration::ZERO).await.unwrap();
    let job = reserve(q, "mail").await.expect("a due job is reserved");
    assert_eq!(
        (job.id.as_str(), job.queue.as_str(), job.payload.as_str(), job.attempts),
        (id.as_str(), "mail", "p1", 1)
    );
    assert!(!job.lease_token.is_empty());
    assert_eq!(reserve(q, "mail").await, None, "a reserved job is not handed out twice");
    assert_eq!(reserve(q, "other").await, None, "queues are separate");
    q.ack(&job).await.unwrap();
    tokio::time::sleep(PAST_LEASE).await;
    assert_eq!(reserve(q, "mail").await, None, "an acked job never comes back");
    assert_lease_lost(q.ack(&job).await, "acking twice");

    // A worker that dies: the job comes back after the lease, and the stale token is powerless.
    let id = q.enqueue("mail", "p2", Duration::ZERO).await.unwrap();
    let lost = reserve(q, "mail").await.unwrap();
    assert_eq!(reserve(q, "mail").await, None);
    tokio::time::sleep(PAST_LEASE).await;
    let retried = reserve(q, "mail").await.expect("the job is due again after its lease");
    assert_eq!((retried.id.as_str(), retried.payload.as_str(), retried.attempts), (id.as_str(), "p2", 2));
    assert_ne!(retried.lease_token, lost.lease_token);
    assert_lease_lost(q.ack(&lost).await, "acking with a stale lease");
    assert_lease_lost(q.fail(&lost, "late", Duration::ZERO).await, "failing with a stale lease");
    let forged = Job { lease_token: String::new(), ..retried.clone() };
    assert_lease_lost(q.ack(&forged).await, "acking with an empty token");
    q.ack(&retried).await.expect("the current lease acks");
    assert_eq!(reserve(q, "mail").await, None);

    // Delayed jobs wait.
    q.enqueue("later", "delayed", Duration::from_millis(700)).await.unwrap();
    assert_eq!(reserve(q, "later").await, None, "a delayed job is not delivered early");
    tokio::time::sleep(Duration::from_millis(900)).await;
    let delayed = reserve(q, "later").await.expect("the delayed job is due");
    assert_eq!(delayed.payload, "delayed");
    q.ack(&delayed).await.unwrap();

    // Fail reschedules after `retry_in`, and ends the lease.
    q.enqueue("flaky", "f", Duration::ZERO).await.unwrap();
    let first = reserve(q, "flaky").await.unwrap();
    q.fail(&first, "boom", Duration::from_millis(500)).await.unwrap();
    assert_eq!(reserve(q, "flaky").await, None, "a failed job waits for its retry");
    assert_lease_lost(q.ack(&first).await, "acking after failing");
    tokio::time::sleep(Duration::from_millis(700)).await;
    let second = reserve(q, "flaky").await.expect("the failed job is retried");
    assert_eq!(second.attempts, 2);
    q.ack(&second).await.unwrap();

    // Attempts run out: failed or abandoned, the job is not delivered again.
    limited.enqueue("doomed", "d", Duration::ZERO).await.unwrap();
    let one = limited.reserve("doomed", LEASE).await.unwrap().unwrap();
    limited.fail(&one, "first", Duration::ZERO).await.unwrap();
    let two = limited.reserve("doomed", LEASE).await.unwrap().expect("a second attempt");
    assert_eq!(two.attempts, 2);
    limited.fail(&two, "final", Duration::ZERO).await.unwrap();
    assert_eq!(limited.reserve("doomed", LEASE).await.unwrap(), None, "no delivery past max attempts");

    limited.enqueue("abandoned", "a", Duration::ZERO).await.unwrap();
    limited.reserve("abandoned", LEASE).await.unwrap().unwrap();
    tokio::time::sleep(PAST_LEASE).await;
    limited.reserve("abandoned", LEASE).await.unwrap().expect("a second attempt");
    tokio::time::sleep(PAST_LEASE).await;
    assert_eq!(limited.reserve("abandoned", LEASE).await.unwrap(), None, "an abandoned last attempt ends it");

    // Concurrent reservers never get the same job.
    const JOBS: usize = 30;
    for n in 0..JOBS {
        q.enqueue("busy", &format!("job{n}"), Duration::ZERO).await.unwrap();
    }
    let workers = (0..8).map(|_| {
        let queue = queue.clone();
        tokio::spawn(async move {
            let mut taken = Vec::new();
            while let Some(job) = queue.reserve("busy", Duration::from_secs(60)).await.unwrap() {
                taken.push(job);
            }
            taken
        })
    });
    let taken: Vec<Job> = join_all(workers).await.into_iter().flat_map(|joined| joined.unwrap()).collect();
    let ids: HashSet<&str> = taken.iter().map(|job| job.id.as_str()).collect();
    assert_eq!(taken.len(), JOBS, "every job was reserved exactly once");
    assert_eq!(ids.len(), JOBS, "no job was reserved twice");
    for job in &taken {
        q.ack(job).await.unwrap();
    }
}

/// Keyed jobs: one waiting job per queue and key, moved by every new `schedule`; a running one
/// does not count; a failing one is superseded by a newer waiting copy; a dead one does not block
/// the key; and schedules racing on one key leave one waiting job.
async fn keyed_job_suite(queue: Arc<dyn JobQueue>, limited: &dyn JobQueue) {
    let q = queue.as_ref();

    // Several quick schedules of one key: one job, with the last payload, due after the last delay.
    let first = q.schedule("reply", "client-1", "m1", Duration::from_millis(300)).await.unwrap();
    let moved = q.schedule("reply", "client-1", "m2", Duration::from_millis(600)).await.unwrap();
    assert_eq!(first, moved, "a second schedule moves the waiting job");
    let other = q.schedule("reply", "client-2", "n1", Duration::ZERO).await.unwrap();
    assert_ne!(other, first, "another key is another job");
    let now = reserve(q, "reply").await.expect("the other key's job is due");
    assert_eq!(now.payload, "n1");
    q.ack(&now).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(reserve(q, "reply").await, None, "the move also moved the due time");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let job = reserve(q, "reply").await.expect("the moved job is due");
    assert_eq!((job.id.as_str(), job.payload.as_str()), (first.as_str(), "m2"));
    assert_eq!(reserve(q, "reply").await, None, "one job for both schedules");

    // While client-1's job runs, a new schedule waits beside it; the running one fails and is
    // superseded by the waiting one, which alone runs next.
    let beside = q.schedule("reply", "client-1", "m3", Duration::ZERO).await.unwrap();
    assert_ne!(beside, first, "a running job does not take new schedules");
    q.fail(&job, "responder down", Duration::ZERO).await.unwrap();
    let next = reserve(q, "reply").await.expect("the waiting copy runs");
    assert_eq!((next.id.as_str(), next.payload.as_str()), (beside.as_str(), "m3"));
    assert_eq!(reserve(q, "reply").await, None, "the superseded job is gone");
    assert_lease_lost(q.ack(&job).await, "acking a superseded job");
    // Failing with no newer copy waiting reschedules as any job, and takes new schedules again.
    q.fail(&next, "again", Duration::ZERO).await.unwrap();
    let again = q.schedule("reply", "client-1", "m4", Duration::ZERO).await.unwrap();
    assert_eq!(again, beside, "the failed job waits again and is moved");
    let last = reserve(q, "reply").await.unwrap();
    assert_eq!((last.payload.as_str(), last.attempts), ("m4", 2));
    q.ack(&last).await.unwrap();

    // A dead keyed job does not hold its key.
    limited.schedule("doomed-keyed", "k", "d1", Duration::ZERO).await.unwrap();
    for _ in 0..2 {
        let job = limited.reserve("doomed-keyed", LEASE).await.unwrap().unwrap();
        limited.fail(&job, "no", Duration::ZERO).await.unwrap();
    }
    assert_eq!(limited.reserve("doomed-keyed", LEASE).await.unwrap(), None);
    limited.schedule("doomed-keyed", "k", "d2", Duration::ZERO).await.unwrap();
    let fresh = limited.reserve("doomed-keyed", LEASE).await.unwrap().expect("a new job for the key");
    assert_eq!((fresh.payload.as_str(), fresh.attempts), ("d2", 1));
    limited.ack(&fresh).await.unwrap();

    // Racing schedules of one key.
    let racers = (0..8).map(|n| {
        let queue = queue.clone();
        tokio::spawn(async move { queue.schedule("raced", "one", &format!("r{n}"), Duration::ZERO).await.unwrap() })
    });
    let ids: HashSet<String> = join_all(racers).await.into_iter().map(|joined| joined.unwrap()).collect();
    assert_eq!(ids.len(), 1, "every racer moved the same job: {ids:?}");
    let raced = reserve(q, "raced").await.unwrap();
    assert_eq!(reserve(q, "raced").await, None);
    q.ack(&raced).await.unwrap();
}

async fn db_job_queue(backend: Backend) {
    let test_db = TestDb::migrated(backend).await;
    let db = test_db.conn.clone();
    job_queue_suite(Arc::new(DbJobQueue::new(db.clone())), &DbJobQueue::new(db.clone()).with_max_attempts(2)).await;
    keyed_job_suite(Arc::new(DbJobQueue::new(db.clone())), &DbJobQueue::new(db.clone()).with_max_attempts(2)).await;
    assert_eq!(count_rows(&db, "SELECT COUNT(*) FROM jobs WHERE queue IN ('reply', 'raced')").await, 0);

    assert_eq!(count_rows(&db, "SELECT COUNT(*) FROM jobs WHERE queue IN ('mail', 'later', 'flaky', 'busy')").await, 0);
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT attempts, last_error, locked_by FROM jobs WHERE queue = 'doomed'",
        ))
        .await
        .unwrap()
        .expect("the exhausted job stays as a dead letter");
    assert_eq!(row.try_get::<i32>("", "attempts").unwrap(), 2);
    assert_eq!(row.try_get::<Option<String>>("", "last_error").unwrap().as_deref(), Some("final"));
    assert_eq!(row.try_get::<Option<String>>("", "locked_by").unwrap(), None);
    test_db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn db_job_queue_on_sqlite_passes_the_job_queue_suite() {
    db_job_queue(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn db_job_queue_on_postgres_passes_the_job_queue_suite() {
    db_job_queue(Backend::Postgres).await;
}

/// Every pooled PostgreSQL session plans for the values it is sent (never a generic plan): the
/// setting rides on the connection's start-up, so each connection the pool opens has it.
#[tokio::test]
async fn postgres_sessions_plan_for_the_values_they_are_sent() {
    let test_db = TestDb::empty(Backend::Postgres).await;
    let sessions = join_all((0..3).map(|_| {
        let db = test_db.conn.clone();
        async move {
            let sql = "SELECT current_setting('plan_cache_mode'), pg_backend_pid(), (SELECT 1 FROM pg_sleep(0.05))";
            let row = db
                .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .unwrap()
                .expect("one row");
            let plans: String = row.try_get_by_index(0).unwrap();
            let pid: i32 = row.try_get_by_index(1).unwrap();
            (plans, pid)
        }
    }))
    .await;
    let pids: std::collections::HashSet<i32> = sessions.iter().map(|(_, pid)| *pid).collect();
    assert!(pids.len() > 1, "the statements ran at once on several connections: {sessions:?}");
    for (plans, _) in &sessions {
        assert_eq!(plans, "force_custom_plan");
    }
    test_db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_job_queue_passes_the_job_queue_suite() {
    let handle = redis_handle().await;
    job_queue_suite(Arc::new(RedisJobQueue::new(&handle)), &RedisJobQueue::new(&handle).with_max_attempts(2)).await;
    keyed_job_suite(Arc::new(RedisJobQueue::new(&handle)), &RedisJobQueue::new(&handle).with_max_attempts(2)).await;
    for queue in ["reply", "raced"] {
        let due: i64 = handle.pool.zcard(format!("{}jobs:{{{queue}}}:due", handle.prefix)).await.unwrap();
        let keys: i64 = handle.pool.hlen(format!("{}jobs:{{{queue}}}:keys", handle.prefix)).await.unwrap();
        assert_eq!((due, keys), (0, 0), "queue {queue} keeps nothing once its jobs are acked");
    }

    for queue in ["mail", "later", "flaky", "busy"] {
        let due: i64 = handle.pool.zcard(format!("{}jobs:{{{queue}}}:due", handle.prefix)).await.unwrap();
        assert_eq!(due, 0, "queue {queue} is empty after acking everything");
    }
    let dead: Vec<String> = handle
        .pool
        .zrange(format!("{}jobs:{{doomed}}:dead", handle.prefix), 0, -1, None, false, None, false)
        .await
        .unwrap();
    assert_eq!(dead.len(), 1, "the exhausted job is kept as a dead letter");
    let fields: HashMap<String, String> =
        handle.pool.hgetall(format!("{}jobs:{{doomed}}:job:{}", handle.prefix, dead[0])).await.unwrap();
    assert_eq!(fields.get("error").map(String::as_str), Some("final"));
    assert_eq!(fields.get("attempts").map(String::as_str), Some("2"));
    cleanup_redis(handle).await;
}

// ---------------------------------------------------------------------------------------------
// Sessions

fn in_ms(ms: i64) -> OffsetDateTime {
    // Stores keep millisecond precision: build expiries that survive the round trip exactly.
    let now_ms = OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos((now_ms + i128::from(ms)) * 1_000_000).unwrap()
}

fn record(user_id: Option<i64>, expires_in_ms: i64) -> Record {
    let mut data = HashMap::new();
    data.insert("theme".to_owned(), serde_json::json!("dark"));
    if let Some(user_id) = user_id {
        data.insert(USER_ID_KEY.to_owned(), serde_json::json!(user_id));
    }
    Record { id: Id::default(), data, expiry_date: in_ms(expires_in_ms) }
}

async fn created(store: &AnySessionStore, user_id: Option<i64>) -> Record {
    let mut record = record(user_id, 3_600_000);
    store.create(&mut record).await.unwrap();
    record
}

async fn session_suite(store: &AnySessionStore, alice: i64, bob: i64) {
    // Create and load.
    let mut session = created(store, Some(alice)).await;
    assert_eq!(store.load(&session.id).await.unwrap(), Some(session.clone()));
    assert_eq!(store.load(&Id::default()).await.unwrap(), None);

    // A colliding id is replaced, never overwrites.
    let mut colliding = record(None, 3_600_000);
    colliding.id = session.id;
    colliding.data.insert("theme".to_owned(), serde_json::json!("light"));
    store.create(&mut colliding).await.unwrap();
    assert_ne!(colliding.id, session.id, "create picks a new id on collision");
    assert_eq!(store.load(&session.id).await.unwrap(), Some(session.clone()));
    assert_eq!(store.load(&colliding.id).await.unwrap(), Some(colliding.clone()));

    // Save updates.
    session.data.insert("theme".to_owned(), serde_json::json!("light"));
    session.expiry_date = in_ms(7_200_000);
    store.save(&session).await.unwrap();
    assert_eq!(store.load(&session.id).await.unwrap(), Some(session.clone()));

    // Delete; a later save does not bring it back.
    store.delete(&session.id).await.unwrap();
    assert_eq!(store.load(&session.id).await.unwrap(), None);
    store.save(&session).await.unwrap();
    assert_eq!(store.load(&session.id).await.unwrap(), None, "save never resurrects a deleted session");

    // Expiry.
    let mut short = record(Some(alice), 500);
    store.create(&mut short).await.unwrap();
    assert!(store.load(&short.id).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(store.load(&short.id).await.unwrap(), None, "an expired session does not load");
    store.delete_expired().await.unwrap();

    // Sign a user out everywhere, but here.
    let here = created(store, Some(alice)).await;
    let laptop = created(store, Some(alice)).await;
    let phone = created(store, Some(alice)).await;
    let bobs = created(store, Some(bob)).await;
    let anonymous = created(store, None).await;
    assert_eq!(store.delete_user_sessions(alice, Some(here.id)).await.unwrap(), 2);
    assert!(store.load(&here.id).await.unwrap().is_some(), "the kept session stays");
    assert_eq!(store.load(&laptop.id).await.unwrap(), None);
    assert_eq!(store.load(&phone.id).await.unwrap(), None);
    assert!(store.load(&bobs.id).await.unwrap().is_some(), "other users keep their sessions");
    assert!(store.load(&anonymous.id).await.unwrap().is_some());
    assert_eq!(store.delete_user_sessions(alice, None).await.unwrap(), 1);
    assert_eq!(store.load(&here.id).await.unwrap(), None);

    // A session that changed hands belongs to its new user only.
    let mut shared = created(store, Some(alice)).await;
    shared.data.insert(USER_ID_KEY.to_owned(), serde_json::json!(bob));
    store.save(&shared).await.unwrap();
    assert_eq!(store.delete_user_sessions(alice, None).await.unwrap(), 0);
    assert!(store.load(&shared.id).await.unwrap().is_some());
    assert_eq!(store.delete_user_sessions(bob, None).await.unwrap(), 2);
    assert_eq!(store.load(&shared.id).await.unwrap(), None);
    assert_eq!(store.load(&bobs.id).await.unwrap(), None);
}

async fn db_sessions(backend: Backend) {
    let test_db = TestDb::migrated(backend).await;
    let db = test_db.conn.clone();
    let alice = create_user(&db, "alice@example.com").await;
    let bob = create_user(&db, "bob@example.com").await;
    let store = AnySessionStore::db(db.clone());
    session_suite(&store, alice, bob).await;

    // The owner is a real column, and unknown users do not break saving.
    let owned = created(&store, Some(alice)).await;
    let sql = format!("SELECT COUNT(*) FROM sessions WHERE id = '{}' AND user_id = {alice}", owned.id);
    assert_eq!(count_rows(&db, &sql).await, 1);
    let orphan = created(&store, Some(alice + bob + 1_000)).await;
    assert!(store.load(&orphan.id).await.unwrap().is_some(), "a session naming an unknown user still works");

    // Expired rows are swept; live ones stay.
    let mut short = record(None, 200);
    store.create(&mut short).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = count_rows(&db, "SELECT COUNT(*) FROM sessions").await;
    store.delete_expired().await.unwrap();
    assert_eq!(count_rows(&db, "SELECT COUNT(*) FROM sessions").await, before - 1);
    assert!(store.load(&owned.id).await.unwrap().is_some());
    test_db.cleanup().await;
}

#[tokio::test]
async fn db_sessions_on_sqlite_pass_the_session_suite() {
    db_sessions(Backend::Sqlite).await;
}

#[tokio::test]
async fn db_sessions_on_postgres_pass_the_session_suite() {
    db_sessions(Backend::Postgres).await;
}

#[tokio::test]
async fn redis_sessions_pass_the_session_suite() {
    let handle = redis_handle().await;
    let store = AnySessionStore::redis(&handle);
    session_suite(&store, 1, 2).await;

    let session = created(&store, Some(1)).await;
    let key = format!("{}session:{}", handle.prefix, session.id);
    let ttl: i64 = handle.pool.pttl(key.as_str()).await.unwrap();
    assert!(ttl > 3_500_000 && ttl <= 3_600_000, "Redis expires the session with it, ttl {ttl} ms");
    cleanup_redis(handle).await;
}

// ---------------------------------------------------------------------------------------------
// Wiring

#[tokio::test]
async fn redis_connect_fails_fast_when_redis_is_down() {
    let started = Instant::now();
    let result = redis::connect("redis://127.0.0.1:1", "crm_test_down:").await;
    assert!(result.is_err(), "connecting to a closed port fails");
    assert!(started.elapsed() < Duration::from_millis(5_500), "within the start-up deadline");
}

#[tokio::test]
async fn infra_is_assembled_for_both_modes() {
    let test_db = TestDb::migrated(Backend::Sqlite).await;
    let embedded = Infra::embedded(test_db.conn.clone());
    let handle = redis_handle().await;
    handle.ping().await.expect("ping answers");
    let shared = Infra::redis(&handle);

    for infra in [&embedded, &shared] {
        infra.cache.set("k", "v", Duration::from_secs(5)).await.unwrap();
        assert_eq!(infra.cache.get("k").await.unwrap().as_deref(), Some("v"));
        assert!(infra.rate_limiter.hit("k", 1, Duration::from_secs(5)).await.unwrap().allowed);
        let mut subscription = infra.bus.subscribe("c").await.unwrap();
        infra.bus.publish("c", "m").await.unwrap();
        assert_eq!(next_message(&mut subscription).await, "m");
        infra.jobs.enqueue("q", "p", Duration::ZERO).await.unwrap();
        let job = infra.jobs.reserve("q", LEASE).await.unwrap().unwrap();
        infra.jobs.ack(&job).await.unwrap();
    }
    assert!(count_redis_keys(&handle).await > 0, "the Redis mode writes to Redis");
    assert_eq!(count_rows(&test_db.conn, "SELECT COUNT(*) FROM jobs").await, 0);

    drop(shared);
    cleanup_redis(handle).await;
    test_db.cleanup().await;
}
