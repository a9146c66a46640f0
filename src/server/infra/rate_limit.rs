//! Fixed-window [`RateLimiter`]s: in process memory, or in Redis (shared by every instance).
//! A window opens at the first hit on a key and lasts `window`. With [`RateLimiter::hit`] every hit
//! counts, allowed or not; with [`RateLimiter::acquire`] only allowed ones do, and a slot can be
//! given back ([`RateLimiter::release`]).
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
    /// The most keys ever held: past it, a new key is refused (see [`MemoryRateLimiter`]).
    max_keys: usize,
    /// While the map is full, it is swept at most once a second, so that a flood of new keys
    /// cannot make every request pay for a sweep.
    next_sweep_when_full: Instant,
}

impl Windows {
    /// Whether a new key fits, after sweeping expired windows when due.
    fn make_room(&mut self, now: Instant) -> bool {
        let full = self.by_key.len() >= self.max_keys;
        if self.by_key.len() >= self.sweep_at && (!full || now >= self.next_sweep_when_full) {
            self.by_key.retain(|_, window| window.resets_at > now);
            self.sweep_at = (self.by_key.len() * 2).clamp(MIN_SWEEP_AT.min(self.max_keys), self.max_keys);
            self.next_sweep_when_full = now + Duration::from_secs(1);
        }
        let fits = self.by_key.len() < self.max_keys;
        if !fits {
            tracing::warn!(keys = self.by_key.len(), "the in-process rate limiter is full: refusing new keys");
        }
        fits
    }

    /// The live window of `key`, if any (an expired one is dropped).
    fn live(&mut self, key: &str, now: Instant) -> Option<&mut Window> {
        if self.by_key.get(key).is_some_and(|window| window.resets_at <= now) {
            self.by_key.remove(key);
        }
        self.by_key.get_mut(key)
    }
}

const MIN_SWEEP_AT: usize = 1_024;
/// Keys held at most by default: with keys of at most a few dozen bytes (addresses and hashes,
/// never raw input), about 15 MB.
pub const DEFAULT_MAX_KEYS: usize = 100_000;

fn refused(retry_after: Duration) -> RateDecision {
    RateDecision { allowed: false, remaining: 0, retry_after: retry_after.max(Duration::from_millis(1)) }
}

/// Counts hits in process memory, atomically across tasks (one lock per hit).
///
/// Memory is bounded: expired windows are swept, and at most `max_keys` keys are held. When that
/// many keys are live (a flood from many addresses), a request that would add a key is refused
/// (fail closed) rather than evicting a live window, which would let a flood reset the counters
/// that protect an account.
pub struct MemoryRateLimiter {
    windows: Mutex<Windows>,
}

impl Default for MemoryRateLimiter {
    fn default() -> Self {
        Self::with_max_keys(DEFAULT_MAX_KEYS)
    }
}

impl MemoryRateLimiter {
    pub fn with_max_keys(max_keys: usize) -> Self {
        let max_keys = max_keys.max(1);
        MemoryRateLimiter {
            windows: Mutex::new(Windows {
                by_key: HashMap::new(),
                sweep_at: MIN_SWEEP_AT.min(max_keys),
                max_keys,
                next_sweep_when_full: Instant::now(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Windows> {
        self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl RateLimiter for MemoryRateLimiter {
    async fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<RateDecision, InfraError> {
        let now = Instant::now();
        let mut windows = self.lock();
        if windows.live(key, now).is_none() {
            if !windows.make_room(now) {
                return Ok(refused(window));
            }
            windows.by_key.insert(key.to_owned(), Window { hits: 0, resets_at: now + window });
        }
        let Some(current) = windows.by_key.get_mut(key) else { return Ok(refused(window)) };
        current.hits = current.hits.saturating_add(1);
        Ok(decide(current.hits, limit, current.resets_at - now))
    }

    async fn reset(&self, key: &str) -> Result<(), InfraError> {
        self.lock().by_key.remove(key);
        Ok(())
    }

    async fn acquire(&self, key: &str, limit: u32, window: Duration) -> Result<RateDecision, InfraError> {
        let now = Instant::now();
        let mut windows = self.lock();
        if let Some(current) = windows.live(key, now) {
            if current.hits >= u64::from(limit) {
                return Ok(refused(current.resets_at - now));
            }
            current.hits += 1;
            return Ok(decide(current.hits, limit, current.resets_at - now));
        }
        if limit == 0 || !windows.make_room(now) {
            return Ok(refused(window));
        }
        windows.by_key.insert(key.to_owned(), Window { hits: 1, resets_at: now + window });
        Ok(decide(1, limit, window))
    }

    async fn release(&self, key: &str) -> Result<(), InfraError> {
        let mut windows = self.lock();
        if let Some(current) = windows.by_key.get_mut(key) {
            current.hits = current.hits.saturating_sub(1);
            if current.hits == 0 {
                windows.by_key.remove(key);
            }
        }
        Ok(())
    }

    fn tracked_keys(&self) -> Option<usize> {
        Some(self.lock().by_key.len())
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

/// Takes a slot only when one is free: a refused call neither counts nor creates the key.
/// ARGV: window in ms, limit. Returns {allowed (0/1), hits, ttl in ms}.
const ACQUIRE_SCRIPT: &str = r"
local limit = tonumber(ARGV[2])
local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
if hits >= limit then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl == -1 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
  end
  if ttl < 0 then
    ttl = tonumber(ARGV[1])
  end
  return {0, hits, ttl}
end
hits = redis.call('INCR', KEYS[1])
if hits == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {1, hits, ttl}
";

/// Gives a slot back; the key goes when no slot is taken (DECR keeps the expiry).
const RELEASE_SCRIPT: &str = r"
local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
if hits <= 1 then
  redis.call('DEL', KEYS[1])
else
  redis.call('DECR', KEYS[1])
end
return 0
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

    async fn acquire(&self, key: &str, limit: u32, window: Duration) -> Result<RateDecision, InfraError> {
        let window_ms = duration_ms(window).max(1);
        let (allowed, hits, ttl_ms): (i64, i64, i64) = self
            .pool
            .eval(ACQUIRE_SCRIPT, vec![self.key(key)], vec![window_ms, i64::from(limit)])
            .await
            .map_err(redis_error)?;
        let until_reset = Duration::from_millis(u64::try_from(ttl_ms).unwrap_or(0));
        if allowed == 1 {
            Ok(decide(u64::try_from(hits).unwrap_or(0), limit, until_reset))
        } else {
            Ok(refused(until_reset))
        }
    }

    async fn release(&self, key: &str) -> Result<(), InfraError> {
        let _: i64 =
            self.pool.eval(RELEASE_SCRIPT, vec![self.key(key)], Vec::<i64>::new()).await.map_err(redis_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(60);

    #[tokio::test]
    async fn refused_acquires_neither_count_nor_create_keys() {
        let limiter = MemoryRateLimiter::default();
        assert!(limiter.acquire("a", 2, WINDOW).await.unwrap().allowed);
        assert!(limiter.acquire("a", 2, WINDOW).await.unwrap().allowed);
        for _ in 0..5 {
            assert!(!limiter.acquire("a", 2, WINDOW).await.unwrap().allowed);
        }
        limiter.release("a").await.unwrap();
        assert!(limiter.acquire("a", 2, WINDOW).await.unwrap().allowed, "a released slot is free again");
        assert!(!limiter.acquire("zero", 0, WINDOW).await.unwrap().allowed);
        assert_eq!(limiter.tracked_keys(), Some(1), "a refused first call creates no key");
        limiter.release("a").await.unwrap();
        limiter.release("a").await.unwrap();
        assert_eq!(limiter.tracked_keys(), Some(0), "a key with no slot taken goes");
    }

    #[tokio::test]
    async fn memory_is_bounded_and_expired_windows_are_swept() {
        let limiter = MemoryRateLimiter::with_max_keys(8);
        for n in 0..8 {
            assert!(limiter.acquire(&format!("k{n}"), 5, Duration::from_millis(30)).await.unwrap().allowed);
        }
        assert!(!limiter.acquire("one-too-many", 5, WINDOW).await.unwrap().allowed, "full: new keys are refused");
        assert!(!limiter.hit("one-too-many", 5, WINDOW).await.unwrap().allowed);
        assert!(limiter.acquire("k0", 5, WINDOW).await.unwrap().allowed, "known keys still count");
        assert_eq!(limiter.tracked_keys(), Some(8));
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        assert!(limiter.acquire("fresh", 5, WINDOW).await.unwrap().allowed, "expired windows make room");
        assert_eq!(limiter.tracked_keys(), Some(1));
    }
}
