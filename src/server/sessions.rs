//! tower-sessions stores: the `sessions` table (SQLite or PostgreSQL) or Redis, behind one
//! [`AnySessionStore`] so the router does not depend on the choice.
//!
//! Each stored session remembers the user it belongs to (the record's `"user_id"` entry), so that
//! [`AnySessionStore::delete_user_sessions`] can sign a user out everywhere. Saving never brings
//! back a session that was deleted meanwhile (signed out elsewhere, or expired): only `create` adds.
use std::collections::HashMap;

use async_trait::async_trait;
use fred::{
    clients::Pool,
    prelude::{KeysInterface, LuaInterface},
};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement, Value};
use serde::{Deserialize, Serialize};
use tower_sessions::{
    ExpiredDeletion, SessionStore,
    cookie::time::OffsetDateTime,
    session::{Id, Record},
    session_store,
};

use super::redis::RedisHandle;

/// The session data entry naming the signed-in user (an integer id).
pub const USER_ID_KEY: &str = "user_id";

type SessionData = HashMap<String, serde_json::Value>;

fn user_id_of(record: &Record) -> Option<i64> {
    record.data.get(USER_ID_KEY).and_then(serde_json::Value::as_i64)
}

fn epoch_ms(time: OffsetDateTime) -> i64 {
    i64::try_from(time.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn time_from_epoch_ms(ms: i64) -> session_store::Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|error| session_store::Error::Decode(format!("session expiry {ms}: {error}")))
}

fn now_ms() -> i64 {
    epoch_ms(OffsetDateTime::now_utc())
}

fn backend_error(error: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

fn encode_error(error: serde_json::Error) -> session_store::Error {
    session_store::Error::Encode(error.to_string())
}

fn decode_error(error: serde_json::Error) -> session_store::Error {
    session_store::Error::Decode(error.to_string())
}

/// Sessions in the `sessions` table: data as JSON text, expiry as epoch milliseconds.
#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

// `user_id` comes from a subquery: a session naming a user that does not exist (any more) is still
// saved, with no owner, instead of failing on the foreign key.
const DB_CREATE: &str = "INSERT INTO sessions (id, user_id, data, expires_at_ms) \
     VALUES ($1, (SELECT id FROM users WHERE id = $2), $3, $4) ON CONFLICT (id) DO NOTHING";
const DB_SAVE: &str = "UPDATE sessions SET user_id = (SELECT id FROM users WHERE id = $1), data = $2, \
     expires_at_ms = $3 WHERE id = $4";
const DB_LOAD: &str = "SELECT data, expires_at_ms FROM sessions WHERE id = $1 AND expires_at_ms > $2";
const DB_DELETE: &str = "DELETE FROM sessions WHERE id = $1";
const DB_DELETE_EXPIRED: &str = "DELETE FROM sessions WHERE expires_at_ms <= $1";
const DB_DELETE_USER: &str = "DELETE FROM sessions WHERE user_id = $1";
const DB_DELETE_USER_EXCEPT: &str = "DELETE FROM sessions WHERE user_id = $1 AND id <> $2";

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        DbSessionStore { db }
    }

    async fn execute(&self, sql: &str, values: Vec<Value>) -> Result<u64, DbErr> {
        let statement = Statement::from_sql_and_values(self.db.get_database_backend(), sql, values);
        Ok(self.db.execute_raw(statement).await?.rows_affected())
    }

    /// Deletes every session of `user_id` but `except` (the one signing the others out); returns
    /// how many were deleted.
    pub async fn delete_user_sessions(&self, user_id: i64, except: Option<Id>) -> session_store::Result<u64> {
        match except {
            None => self.execute(DB_DELETE_USER, vec![user_id.into()]).await,
            Some(kept) => self.execute(DB_DELETE_USER_EXCEPT, vec![user_id.into(), kept.to_string().into()]).await,
        }
        .map_err(backend_error)
    }
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data).map_err(encode_error)?;
        loop {
            let values = vec![
                record.id.to_string().into(),
                user_id_of(record).into(),
                data.clone().into(),
                epoch_ms(record.expiry_date).into(),
            ];
            if self.execute(DB_CREATE, values).await.map_err(backend_error)? == 1 {
                return Ok(());
            }
            // The id is taken (a 128-bit collision): draw another.
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data).map_err(encode_error)?;
        let values = vec![
            user_id_of(record).into(),
            data.into(),
            epoch_ms(record.expiry_date).into(),
            record.id.to_string().into(),
        ];
        self.execute(DB_SAVE, values).await.map_err(backend_error)?;
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let statement = Statement::from_sql_and_values(
            self.db.get_database_backend(),
            DB_LOAD,
            vec![session_id.to_string().into(), now_ms().into()],
        );
        let Some(row) = self.db.query_one_raw(statement).await.map_err(backend_error)? else {
            return Ok(None);
        };
        let data: String = row.try_get("", "data").map_err(backend_error)?;
        let expires_at_ms: i64 = row.try_get("", "expires_at_ms").map_err(backend_error)?;
        Ok(Some(Record {
            id: *session_id,
            data: serde_json::from_str(&data).map_err(decode_error)?,
            expiry_date: time_from_epoch_ms(expires_at_ms)?,
        }))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        self.execute(DB_DELETE, vec![session_id.to_string().into()]).await.map_err(backend_error)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for DbSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        self.execute(DB_DELETE_EXPIRED, vec![now_ms().into()]).await.map_err(backend_error)?;
        Ok(())
    }
}

/// A session as stored in Redis (JSON, so that the Lua scripts can read `user_id`).
#[derive(Serialize, Deserialize)]
struct StoredSession {
    user_id: Option<i64>,
    data: SessionData,
    expires_at_ms: i64,
}

/// KEYS: session, and the owner's session set if any. ARGV: value, expires_at_ms, NX|XX, id.
/// Redis expires the session at its expiry; the owner's set lives as long as its longest session.
const REDIS_SAVE: &str = r"
if not redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2], ARGV[3]) then return 0 end
if KEYS[2] then
  redis.call('SADD', KEYS[2], ARGV[4])
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl < 0 or now + ttl < tonumber(ARGV[2]) then
    redis.call('PEXPIREAT', KEYS[2], ARGV[2])
  end
end
return 1
";

/// KEYS: the user's session set. ARGV: session key prefix, user id, id to keep ('' for none).
/// A member may be stale (expired, or since taken over by another user): only sessions that still
/// name this user are deleted.
const REDIS_DELETE_USER: &str = r"
local deleted = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if id ~= ARGV[3] then
    local key = ARGV[1] .. id
    local value = redis.call('GET', key)
    if value then
      local ok, session = pcall(cjson.decode, value)
      if ok and type(session) == 'table' and session.user_id == tonumber(ARGV[2]) then
        deleted = deleted + redis.call('DEL', key)
      end
    end
    redis.call('SREM', KEYS[1], id)
  end
end
return deleted
";

/// Sessions in Redis under this instance's key prefix (so instances sharing a Redis server never
/// see each other's sessions), with a set of session ids per user for signing out everywhere.
#[derive(Clone, Debug)]
pub struct RedisSessionStore {
    pool: Pool,
    session_prefix: String,
    user_prefix: String,
}

impl RedisSessionStore {
    pub fn new(handle: &RedisHandle) -> Self {
        RedisSessionStore {
            pool: handle.pool.clone(),
            session_prefix: handle.key("session:"),
            user_prefix: handle.key("session_user:"),
        }
    }

    fn session_key(&self, id: &Id) -> String {
        format!("{}{id}", self.session_prefix)
    }

    fn user_key(&self, user_id: i64) -> String {
        format!("{}{user_id}", self.user_prefix)
    }

    /// Writes `record` if it does not exist yet (`NX`) or only if it still exists (`XX`).
    async fn write(&self, record: &Record, mode: &str) -> session_store::Result<bool> {
        let user_id = user_id_of(record);
        let expires_at_ms = epoch_ms(record.expiry_date);
        let value = serde_json::to_string(&StoredSession { user_id, data: record.data.clone(), expires_at_ms })
            .map_err(encode_error)?;
        let mut keys = vec![self.session_key(&record.id)];
        keys.extend(user_id.map(|user_id| self.user_key(user_id)));
        let written: i64 = self
            .pool
            .eval(REDIS_SAVE, keys, vec![value, expires_at_ms.to_string(), mode.to_owned(), record.id.to_string()])
            .await
            .map_err(backend_error)?;
        Ok(written == 1)
    }

    /// Deletes every session of `user_id` but `except`; returns how many were deleted.
    pub async fn delete_user_sessions(&self, user_id: i64, except: Option<Id>) -> session_store::Result<u64> {
        let kept = except.map(|id| id.to_string()).unwrap_or_default();
        let deleted: i64 = self
            .pool
            .eval(
                REDIS_DELETE_USER,
                vec![self.user_key(user_id)],
                vec![self.session_prefix.clone(), user_id.to_string(), kept],
            )
            .await
            .map_err(backend_error)?;
        Ok(u64::try_from(deleted).unwrap_or(0))
    }
}

#[async_trait]
impl SessionStore for RedisSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        while !self.write(record, "NX").await? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.write(record, "XX").await?;
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let value: Option<String> = self.pool.get(self.session_key(session_id)).await.map_err(backend_error)?;
        let Some(value) = value else { return Ok(None) };
        let stored: StoredSession = serde_json::from_str(&value).map_err(decode_error)?;
        if stored.expires_at_ms <= now_ms() {
            return Ok(None);
        }
        Ok(Some(Record { id: *session_id, data: stored.data, expiry_date: time_from_epoch_ms(stored.expires_at_ms)? }))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        self.pool.del::<(), _>(self.session_key(session_id)).await.map_err(backend_error)
    }
}

/// The session store the app runs with: the database without Redis, Redis with it.
#[derive(Clone, Debug)]
pub enum AnySessionStore {
    Db(DbSessionStore),
    Redis(RedisSessionStore),
}

impl AnySessionStore {
    pub fn db(db: DatabaseConnection) -> Self {
        AnySessionStore::Db(DbSessionStore::new(db))
    }

    pub fn redis(handle: &RedisHandle) -> Self {
        AnySessionStore::Redis(RedisSessionStore::new(handle))
    }

    /// Signs `user_id` out everywhere but in `except`; returns how many sessions were deleted.
    pub async fn delete_user_sessions(&self, user_id: i64, except: Option<Id>) -> session_store::Result<u64> {
        match self {
            AnySessionStore::Db(store) => store.delete_user_sessions(user_id, except).await,
            AnySessionStore::Redis(store) => store.delete_user_sessions(user_id, except).await,
        }
    }
}

#[async_trait]
impl SessionStore for AnySessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            AnySessionStore::Db(store) => store.create(record).await,
            AnySessionStore::Redis(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            AnySessionStore::Db(store) => store.save(record).await,
            AnySessionStore::Redis(store) => store.save(record).await,
        }
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            AnySessionStore::Db(store) => store.load(session_id).await,
            AnySessionStore::Redis(store) => store.load(session_id).await,
        }
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        match self {
            AnySessionStore::Db(store) => store.delete(session_id).await,
            AnySessionStore::Redis(store) => store.delete(session_id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for AnySessionStore {
    /// Redis expires sessions by itself; the database needs this sweep, run periodically.
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            AnySessionStore::Db(store) => store.delete_expired().await,
            AnySessionStore::Redis(_) => Ok(()),
        }
    }
}
