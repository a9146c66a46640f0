//! Infrastructure behind small traits, each with an in-process (or database) and a Redis implementation.
//! The choice is made once at start-up from the configuration ([`Infra::embedded`] without Redis,
//! [`Infra::redis`] with it).
use std::{pin::Pin, sync::Arc, time::Duration};

use async_trait::async_trait;
use futures::Stream;
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use super::redis::RedisHandle;

pub mod cache;
pub mod jobs;
pub mod pubsub;
pub mod rate_limit;

#[derive(Debug, thiserror::Error)]
pub enum InfraError {
    #[error("redis: {0}")]
    Redis(String),
    #[error("database: {0}")]
    Database(String),
    /// The job's lease ran out and another delivery took it over (or it was already acked): the
    /// caller's outcome is not recorded, and the job runs (or ran) again elsewhere.
    #[error("lease lost: {0}")]
    LeaseLost(String),
}

/// A key/value cache with per-entry time to live.
#[async_trait]
pub trait Cache: Send + Sync {
    async fn get(&self, key: &str) -> Result<Option<String>, InfraError>;
    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), InfraError>;
    async fn delete(&self, key: &str) -> Result<(), InfraError>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    pub allowed: bool,
    /// Hits left in the current window after this one.
    pub remaining: u32,
    /// How long until the window resets (zero when allowed).
    pub retry_after: Duration,
}

/// Counts hits per key atomically, even across app instances (Redis) or tasks (in-process).
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Records one hit on `key`; at most `limit` hits are allowed per fixed `window`.
    async fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<RateDecision, InfraError>;
    /// Forgets the hits of `key` (for example after a successful login).
    async fn reset(&self, key: &str) -> Result<(), InfraError>;
    /// Takes one of the `limit` slots of `key` in the current fixed `window` when one is free. A
    /// refused call changes nothing and creates nothing, so refused requests never extend a lock.
    async fn acquire(&self, key: &str, limit: u32, window: Duration) -> Result<RateDecision, InfraError>;
    /// Gives back one slot taken by [`RateLimiter::acquire`] (an attempt that should not count,
    /// such as a successful sign-in).
    async fn release(&self, key: &str) -> Result<(), InfraError>;
    /// How many keys the limiter holds in process memory (`None` when it keeps them elsewhere).
    fn tracked_keys(&self) -> Option<usize> {
        None
    }
}

pub type Subscription = Pin<Box<dyn Stream<Item = String> + Send>>;

/// Publish/subscribe fan-out (chat delivery across app instances).
#[async_trait]
pub trait Bus: Send + Sync {
    async fn publish(&self, channel: &str, payload: &str) -> Result<(), InfraError>;
    async fn subscribe(&self, channel: &str) -> Result<Subscription, InfraError>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub queue: String,
    pub payload: String,
    /// How many times this job has been handed to a worker, this time included.
    pub attempts: u32,
    /// Identifies this delivery: only the holder of the current lease can ack or fail it.
    pub lease_token: String,
}

/// A durable at-least-once queue: a reserved job that is not acknowledged before its lease
/// runs out (the worker died) is delivered again; an acknowledged job never is.
#[async_trait]
pub trait JobQueue: Send + Sync {
    async fn enqueue(&self, queue: &str, payload: &str, delay: Duration) -> Result<String, InfraError>;
    /// Enqueues a keyed job, or moves the one of `key` that waits in `queue` (its payload and due
    /// time become these): at most one job per key waits at a time. A job of the key that is
    /// running does not count; a new one waits beside it.
    async fn schedule(&self, queue: &str, key: &str, payload: &str, delay: Duration) -> Result<String, InfraError>;
    async fn reserve(&self, queue: &str, lease: Duration) -> Result<Option<Job>, InfraError>;
    async fn ack(&self, job: &Job) -> Result<(), InfraError>;
    /// Gives the job back to be retried after `retry_in`, recording the error.
    async fn fail(&self, job: &Job, error: &str, retry_in: Duration) -> Result<(), InfraError>;
}

/// The implementations the app runs with, chosen once at start-up.
pub struct Infra {
    pub cache: Arc<dyn Cache>,
    pub rate_limiter: Arc<dyn RateLimiter>,
    pub bus: Arc<dyn Bus>,
    /// The durable queue, behind [`WakingJobQueue`]: what this instance enqueues wakes its worker.
    pub jobs: Arc<dyn JobQueue>,
    /// Notified when a job this instance enqueued is due; the worker waits on it between polls.
    pub job_wake: Arc<Notify>,
}

impl Infra {
    fn assemble(
        cache: Arc<dyn Cache>,
        rate_limiter: Arc<dyn RateLimiter>,
        bus: Arc<dyn Bus>,
        jobs: Arc<dyn JobQueue>,
    ) -> Infra {
        let job_wake = Arc::new(Notify::new());
        let jobs = Arc::new(WakingJobQueue { inner: jobs, wake: job_wake.clone() });
        Infra { cache, rate_limiter, bus, jobs, job_wake }
    }

    /// One app instance without Redis: in-process cache, limits and pub/sub; jobs in the database.
    pub fn embedded(db: DatabaseConnection) -> Infra {
        Infra::assemble(
            Arc::new(cache::MemoryCache::default()),
            Arc::new(rate_limit::MemoryRateLimiter::default()),
            Arc::new(pubsub::MemoryBus::default()),
            Arc::new(jobs::DbJobQueue::new(db)),
        )
    }

    /// Everything in Redis, shared by every app instance. Call it once per handle: the bus owns
    /// the handle's subscriber connection.
    pub fn redis(handle: &RedisHandle) -> Infra {
        Infra::assemble(
            Arc::new(cache::RedisCache::new(handle)),
            Arc::new(rate_limit::RedisRateLimiter::new(handle)),
            Arc::new(pubsub::RedisBus::new(handle)),
            Arc::new(jobs::RedisJobQueue::new(handle)),
        )
    }
}

/// A queue that wakes this instance's worker when a job it enqueues falls due: at once, or after
/// a delay of up to [`WAKE_TIMER_MAX`] (a timer task). Later jobs, and jobs enqueued by other
/// instances, are found by the worker's poll (or run by their own instance's worker, woken there).
pub struct WakingJobQueue {
    inner: Arc<dyn JobQueue>,
    wake: Arc<Notify>,
}

/// Longer delays get no timer task, so that reminders due in days do not each hold one.
pub const WAKE_TIMER_MAX: Duration = Duration::from_secs(600);

impl WakingJobQueue {
    fn wake_in(&self, delay: Duration) {
        if delay.is_zero() {
            self.wake.notify_one();
            return;
        }
        if delay > WAKE_TIMER_MAX {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let wake = self.wake.clone();
        runtime.spawn(async move {
            tokio::time::sleep(delay).await;
            wake.notify_one();
        });
    }
}

#[async_trait]
impl JobQueue for WakingJobQueue {
    async fn enqueue(&self, queue: &str, payload: &str, delay: Duration) -> Result<String, InfraError> {
        let id = self.inner.enqueue(queue, payload, delay).await?;
        self.wake_in(delay);
        Ok(id)
    }

    async fn schedule(&self, queue: &str, key: &str, payload: &str, delay: Duration) -> Result<String, InfraError> {
        let id = self.inner.schedule(queue, key, payload, delay).await?;
        self.wake_in(delay);
        Ok(id)
    }

    async fn reserve(&self, queue: &str, lease: Duration) -> Result<Option<Job>, InfraError> {
        self.inner.reserve(queue, lease).await
    }

    async fn ack(&self, job: &Job) -> Result<(), InfraError> {
        self.inner.ack(job).await
    }

    async fn fail(&self, job: &Job, error: &str, retry_in: Duration) -> Result<(), InfraError> {
        self.inner.fail(job, error, retry_in).await?;
        self.wake_in(retry_in);
        Ok(())
    }
}

fn redis_error(error: fred::error::Error) -> InfraError {
    InfraError::Redis(error.to_string())
}

fn database_error(error: sea_orm::DbErr) -> InfraError {
    InfraError::Database(error.to_string())
}

/// Milliseconds since the Unix epoch on this machine's clock.
fn now_ms() -> i64 {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    duration_ms(since_epoch)
}

fn duration_ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
