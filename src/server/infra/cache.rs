//! [`Cache`] in process memory (one instance) or in Redis (shared by every instance).
use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use async_trait::async_trait;
use fred::{
    clients::Pool,
    prelude::KeysInterface,
    types::{Expiration, SetOptions},
};

use super::{Cache, InfraError, redis_error};
use crate::server::redis::RedisHandle;

/// Entries kept at most by default; beyond it the entries closest to expiry make room.
pub const DEFAULT_MEMORY_CACHE_CAPACITY: usize = 10_000;

struct Entry {
    value: String,
    expires_at: Instant,
}

/// An in-process cache. Expired entries are dropped when read or when the cache is full, and the
/// number of entries is capped, so memory stays bounded whatever the keys.
pub struct MemoryCache {
    entries: Mutex<HashMap<String, Entry>>,
    capacity: usize,
}

impl Default for MemoryCache {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_MEMORY_CACHE_CAPACITY)
    }
}

impl MemoryCache {
    pub fn with_capacity(capacity: usize) -> Self {
        MemoryCache { entries: Mutex::new(HashMap::new()), capacity: capacity.max(1) }
    }

    pub fn len(&self) -> usize {
        lock(&self.entries).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The map stays consistent even if a holder panicked (every update is a single insert or remove).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn make_room(entries: &mut HashMap<String, Entry>, capacity: usize, now: Instant) {
    if entries.len() < capacity {
        return;
    }
    entries.retain(|_, entry| entry.expires_at > now);
    while entries.len() >= capacity {
        let soonest = entries.iter().min_by_key(|(_, entry)| entry.expires_at).map(|(key, _)| key.clone());
        match soonest {
            Some(key) => entries.remove(&key),
            None => break,
        };
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<String>, InfraError> {
        let mut entries = lock(&self.entries);
        match entries.get(key) {
            Some(entry) if entry.expires_at > Instant::now() => Ok(Some(entry.value.clone())),
            Some(_) => {
                entries.remove(key);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), InfraError> {
        let now = Instant::now();
        let mut entries = lock(&self.entries);
        if !entries.contains_key(key) {
            make_room(&mut entries, self.capacity, now);
        }
        entries.insert(key.to_owned(), Entry { value: value.to_owned(), expires_at: now + ttl });
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), InfraError> {
        lock(&self.entries).remove(key);
        Ok(())
    }
}

/// A cache in Redis: `SET key value PX ttl`, so Redis itself expires the entries.
pub struct RedisCache {
    pool: Pool,
    key_prefix: String,
}

impl RedisCache {
    pub fn new(handle: &RedisHandle) -> Self {
        RedisCache { pool: handle.pool.clone(), key_prefix: handle.key("cache:") }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.key_prefix)
    }
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<String>, InfraError> {
        self.pool.get(self.key(key)).await.map_err(redis_error)
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), InfraError> {
        // PX must be positive: a zero TTL still stores the value for one millisecond.
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1);
        self.pool
            .set::<(), _, _>(self.key(key), value, Some(Expiration::PX(ttl_ms)), None::<SetOptions>, false)
            .await
            .map_err(redis_error)
    }

    async fn delete(&self, key: &str) -> Result<(), InfraError> {
        self.pool.del::<(), _>(self.key(key)).await.map_err(redis_error)
    }
}
