//! Fixed-window [`RateLimiter`]s: in process memory, or in Redis (shared by every instance).
//! A window opens at the first hit on a key and lasts `window`; every hit counts, allowed or not.
use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use async_trait::async_trait;
use fred::{
    clients::Pool,
    prelude::{KeysInterface, LuaInterface},
};

use super::{InfraError, RateDecision, RateLimiter, duration_ms, redis_error};
use crate::server::redis::RedisHandle;

fn decide(count: u64, limit: u32, until_reset: Duration) -> RateDecision {
    let allowed = count <= u64::from(limit);
    RateDecision {
        allowed,
        remaining: u32::try_from(u64::from(limit).saturating_sub(count)).unwrap_or(0),
        retry_after: if allowed { Duration::ZERO } else { until_reset },
    }
}

struct Window {
    hits: u64,
    resets_at: Instant,
}

struct Windows {
    by_key: HashMap<String, Window>,
    /// Expired windows are swept when the map reaches this size, which then doubles:
    /// memory stays proportional to the keys active in one window, at amortised constant cost.
    sweep_at: usize,
}

const MIN_SWEEP_AT: usize = 1_024;

/// Counts hits in process memory, atomically across tasks (one lock per hit).
pub struct MemoryRateLimiter {
    windows: Mutex<Windows>,
}

impl Default for MemoryRateLimiter {
    fn default() -> Self {
        MemoryRateLimiter { windows: Mutex::new(Windows { by_key: HashMap::new(), sweep_at: MIN_SWEEP_AT }) }
    }
}

impl MemoryRateLimiter {
    fn lock(&self) -> std::sync::MutexGuard<'_, Windows> {
        self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl RateLimiter for MemoryRateLimiter {
    async fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<RateDecision, InfraError> {
        let now = Instant::now();
        let mut windows = self.lock();
        if windows.by_key.len() >= windows.sweep_at {
            windows.by_key.retain(|_, window| window.resets_at > now);
            windows.sweep_at = (windows.by_key.len() * 2).max(MIN_SWEEP_AT);
        }
        let current = windows.by_key.entry(key.to_owned()).or_insert(Window { hits: 0, resets_at: now + window });
        if current.resets_at <= now {
            *current = Window { hits: 0, resets_at: now + window };
        }
        current.hits = current.hits.saturating_add(1);
        Ok(decide(current.hits, limit, current.resets_at - now))
    }

    async fn reset(&self, key: &str) -> Result<(), InfraError> {
        self.lock().by_key.remove(key);
        Ok(())
    }
}

/// One round trip, atomic on the server: count the hit, start the window on the first one, and
/// report the time left. A key found without expiry (which should not happen) gets one, so that it
/// can never lock a user out for good.
const HIT_SCRIPT: &str = r"
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {hits, ttl}
";

/// Counts hits in Redis, so the limit holds across every app instance.
pub struct RedisRateLimiter {
    pool: Pool,
    key_prefix: String,
}

impl RedisRateLimiter {
    pub fn new(handle: &RedisHandle) -> Self {
        RedisRateLimiter { pool: handle.pool.clone(), key_prefix: handle.key("rate:") }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.key_prefix)
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<RateDecision, InfraError> {
        let window_ms = duration_ms(window).max(1);
        let (hits, ttl_ms): (i64, i64) =
            self.pool.eval(HIT_SCRIPT, vec![self.key(key)], vec![window_ms]).await.map_err(redis_error)?;
        let until_reset = Duration::from_millis(u64::try_from(ttl_ms).unwrap_or(0));
        Ok(decide(u64::try_from(hits).unwrap_or(0), limit, until_reset))
    }

    async fn reset(&self, key: &str) -> Result<(), InfraError> {
        self.pool.del::<(), _>(self.key(key)).await.map_err(redis_error)
    }
}
