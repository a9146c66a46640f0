//! Durable [`JobQueue`]s: in the database (`jobs` table, SQLite or PostgreSQL) or in Redis.
//!
//! Both follow one lease protocol. Reserving a due job counts an attempt, stamps it with a fresh lease
//! token and makes it due again when the lease ends, so a job whose worker died comes back by itself.
//! Only the current token can ack (delete) or fail (reschedule) the job. A job that used up its
//! attempts is never delivered again: it stays behind as a dead letter, with its last error.
//!
//! A keyed job ([`JobQueue::schedule`]) has at most one waiting copy per queue and key: scheduling
//! it again moves that copy (new payload, new due time). Once reserved it stops counting, so a job
//! scheduled while another with its key runs waits beside it. A keyed job that fails while a newer
//! copy waits is superseded by it and deleted.
use std::time::Duration;

use async_trait::async_trait;
use fred::{clients::Pool, prelude::LuaInterface};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, Value};

use super::{InfraError, Job, JobQueue, database_error, duration_ms, now_ms, redis_error};
use crate::server::redis::RedisHandle;

/// Deliveries per job before it is given up (the `jobs.max_attempts` column default).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// Errors are kept for diagnosis, not as logs: a long one is cut here.
const MAX_ERROR_CHARS: usize = 2_000;

fn new_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn truncated(error: &str) -> &str {
    match error.char_indices().nth(MAX_ERROR_CHARS) {
        Some((end, _)) => &error[..end],
        None => error,
    }
}

fn lease_lost(job: &Job) -> InfraError {
    InfraError::LeaseLost(format!("job {} on queue {}", job.id, job.queue))
}

/// The queue in the `jobs` table. Times are epoch milliseconds of the app's clock; `run_at_ms` is
/// when the job is due (the lease end while reserved), `locked_by` the current lease token.
pub struct DbJobQueue {
    db: DatabaseConnection,
    max_attempts: u32,
}

/// `run_at_ms` of a job that used up its attempts: far past any scan for due jobs.
const DEAD_RUN_AT_MS: i64 = i64::MAX;

impl DbJobQueue {
    pub fn new(db: DatabaseConnection) -> Self {
        DbJobQueue { db, max_attempts: DEFAULT_MAX_ATTEMPTS }
    }

    /// How many deliveries a job enqueued from now on gets.
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    fn statement(&self, sql: &str, values: Vec<Value>) -> Statement {
        Statement::from_sql_and_values(self.db.get_database_backend(), sql, values)
    }

    fn row_id(job: &Job) -> Result<i64, InfraError> {
        job.id.parse().map_err(|_| lease_lost(job))
    }
}

const DB_ENQUEUE: &str = "INSERT INTO jobs (queue, payload, attempts, max_attempts, run_at_ms, created_at_ms) \
     VALUES ($1, $2, 0, $3, $4, $5) RETURNING id";

/// On PostgreSQL `SKIP LOCKED` lets concurrent reservers pass over a row another one is taking;
/// on SQLite the single statement runs under the database write lock, so it is atomic as it is.
fn db_reserve_sql(backend: DatabaseBackend) -> String {
    let locking = if backend == DatabaseBackend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    format!(
        "UPDATE jobs SET attempts = attempts + 1, locked_by = $1, locked_until_ms = $2, run_at_ms = $2 \
         WHERE id = (SELECT id FROM jobs \
                     WHERE queue = $3 AND run_at_ms <= $4 AND attempts < max_attempts \
                     ORDER BY run_at_ms, id LIMIT 1{locking}) \
         RETURNING id, queue, payload, attempts"
    )
}

/// Moves the waiting job of `(queue, unique_key)`, or inserts one. The conflict target names the
/// partial unique index `jobs_waiting_key` by its columns and predicate.
const DB_SCHEDULE: &str = "INSERT INTO jobs (queue, payload, attempts, max_attempts, run_at_ms, created_at_ms, unique_key) \
     VALUES ($1, $2, 0, $3, $4, $5, $6) \
     ON CONFLICT (queue, unique_key) WHERE unique_key IS NOT NULL AND locked_by IS NULL AND attempts < max_attempts \
     DO UPDATE SET payload = excluded.payload, run_at_ms = excluded.run_at_ms RETURNING id";

/// A failing keyed job that a newer waiting copy supersedes is deleted instead of rescheduled.
const DB_SUPERSEDED: &str = "DELETE FROM jobs WHERE id = $1 AND locked_by = $2 AND unique_key IS NOT NULL \
     AND EXISTS (SELECT 1 FROM jobs w WHERE w.queue = jobs.queue AND w.unique_key = jobs.unique_key \
                 AND w.locked_by IS NULL AND w.attempts < w.max_attempts)";

const DB_ACK: &str = "DELETE FROM jobs WHERE id = $1 AND locked_by = $2";

const DB_FAIL: &str = "UPDATE jobs SET last_error = $1, locked_by = NULL, locked_until_ms = NULL, \
     run_at_ms = CASE WHEN attempts >= max_attempts THEN $2 ELSE $3 END \
     WHERE id = $4 AND locked_by = $5";

#[async_trait]
impl JobQueue for DbJobQueue {
    async fn enqueue(&self, queue: &str, payload: &str, delay: Duration) -> Result<String, InfraError> {
        self.insert(DB_ENQUEUE, queue, payload, delay, None).await
    }

    async fn schedule(&self, queue: &str, key: &str, payload: &str, delay: Duration) -> Result<String, InfraError> {
        self.insert(DB_SCHEDULE, queue, payload, delay, Some(key)).await
    }

    async fn reserve(&self, queue: &str, lease: Duration) -> Result<Option<Job>, InfraError> {
        let now = now_ms();
        let token = new_token();
        let sql = db_reserve_sql(self.db.get_database_backend());
        let statement = self.statement(
            &sql,
            vec![token.clone().into(), now.saturating_add(duration_ms(lease)).into(), queue.into(), now.into()],
        );
        let Some(row) = self.db.query_one_raw(statement).await.map_err(database_error)? else {
            return Ok(None);
        };
        let id: i64 = row.try_get("", "id").map_err(database_error)?;
        let attempts: i32 = row.try_get("", "attempts").map_err(database_error)?;
        Ok(Some(Job {
            id: id.to_string(),
            queue: row.try_get("", "queue").map_err(database_error)?,
            payload: row.try_get("", "payload").map_err(database_error)?,
            attempts: u32::try_from(attempts).unwrap_or(0),
            lease_token: token,
        }))
    }

    async fn ack(&self, job: &Job) -> Result<(), InfraError> {
        let statement = self.statement(DB_ACK, vec![Self::row_id(job)?.into(), job.lease_token.clone().into()]);
        let result = self.db.execute_raw(statement).await.map_err(database_error)?;
        if result.rows_affected() == 0 { Err(lease_lost(job)) } else { Ok(()) }
    }

    async fn fail(&self, job: &Job, error: &str, retry_in: Duration) -> Result<(), InfraError> {
        // A copy scheduled between the two statements makes the second one break the unique
        // index: the first then finds it and deletes this one.
        for _ in 0..3 {
            match self.fail_once(job, error, retry_in).await {
                Err(InfraError::Database(message)) if message.to_lowercase().contains("unique") => continue,
                settled => return settled,
            }
        }
        Err(InfraError::Database(format!("job {} kept meeting a newer copy while failing", job.id)))
    }
}

impl DbJobQueue {
    /// Runs [`DB_ENQUEUE`] or (with a key) [`DB_SCHEDULE`]; answers the job's id.
    async fn insert(
        &self,
        sql: &str,
        queue: &str,
        payload: &str,
        delay: Duration,
        key: Option<&str>,
    ) -> Result<String, InfraError> {
        let now = now_ms();
        let max_attempts = i32::try_from(self.max_attempts).unwrap_or(i32::MAX);
        let mut values = vec![
            queue.into(),
            payload.into(),
            max_attempts.into(),
            now.saturating_add(duration_ms(delay)).into(),
            now.into(),
        ];
        values.extend(key.map(Value::from));
        let row = self
            .db
            .query_one_raw(self.statement(sql, values))
            .await
            .map_err(database_error)?
            .ok_or_else(|| InfraError::Database("the job insert returned no id".into()))?;
        let id: i64 = row.try_get("", "id").map_err(database_error)?;
        Ok(id.to_string())
    }

    async fn fail_once(&self, job: &Job, error: &str, retry_in: Duration) -> Result<(), InfraError> {
        let superseded = self.statement(DB_SUPERSEDED, vec![Self::row_id(job)?.into(), job.lease_token.clone().into()]);
        if self.db.execute_raw(superseded).await.map_err(database_error)?.rows_affected() == 1 {
            return Ok(());
        }
        let statement = self.statement(
            DB_FAIL,
            vec![
                truncated(error).into(),
                DEAD_RUN_AT_MS.into(),
                now_ms().saturating_add(duration_ms(retry_in)).into(),
                Self::row_id(job)?.into(),
                job.lease_token.clone().into(),
            ],
        );
        let result = self.db.execute_raw(statement).await.map_err(database_error)?;
        if result.rows_affected() == 0 { Err(lease_lost(job)) } else { Ok(()) }
    }
}

/// Redis keys of one queue. The queue name is a hash tag, so a queue's keys share a cluster slot.
/// `due` is a sorted set of job ids scored by the time (ms) they are due; `dead` holds the ids of
/// jobs that used up their attempts; each job is a hash (payload, attempts, max_attempts, lease, error,
/// and `key` for a keyed job); `keys` maps the key of each waiting keyed job to its id.
struct QueueKeys {
    due: String,
    dead: String,
    keys: String,
    job_prefix: String,
}

impl QueueKeys {
    fn new(prefix: &str, queue: &str) -> Self {
        let base = format!("{prefix}jobs:{{{queue}}}");
        QueueKeys {
            due: format!("{base}:due"),
            dead: format!("{base}:dead"),
            keys: format!("{base}:keys"),
            job_prefix: format!("{base}:job:"),
        }
    }

    fn job(&self, id: &str) -> String {
        format!("{}{id}", self.job_prefix)
    }
}

/// Every script reads the clock of the Redis server, so app instances with skewed clocks agree.
const NOW_MS_LUA: &str = r"
local function now_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
";

/// KEYS: due, job. ARGV: id, payload, delay_ms, max_attempts.
const REDIS_ENQUEUE: &str = r"
redis.call('HSET', KEYS[2], 'payload', ARGV[2], 'attempts', 0, 'max_attempts', ARGV[4], 'lease', '')
redis.call('ZADD', KEYS[1], now_ms() + tonumber(ARGV[3]), ARGV[1])
return 1
";

/// KEYS: due, keys. ARGV: new id, payload, delay_ms, max_attempts, job key prefix, key. Moves the
/// waiting job of the key, or adds one; returns its id.
const REDIS_SCHEDULE: &str = r"
local waiting = redis.call('HGET', KEYS[2], ARGV[6])
if waiting then
  local job = ARGV[5] .. waiting
  if redis.call('HGET', job, 'lease') == '' then
    redis.call('HSET', job, 'payload', ARGV[2])
    redis.call('ZADD', KEYS[1], now_ms() + tonumber(ARGV[3]), waiting)
    return waiting
  end
end
redis.call('HSET', ARGV[5] .. ARGV[1], 'payload', ARGV[2], 'attempts', 0, 'max_attempts', ARGV[4], 'lease', '', 'key', ARGV[6])
redis.call('ZADD', KEYS[1], now_ms() + tonumber(ARGV[3]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[6], ARGV[1])
return ARGV[1]
";

/// KEYS: due, dead, keys. ARGV: lease_ms, token, job key prefix. Returns {id, payload, attempts} or nil.
/// Job hashes are found from the ids, so they are not declared in KEYS; they share the queue's slot.
const REDIS_RESERVE: &str = r"
local now = now_ms()
for _ = 1, 100 do
  local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1)
  if #ids == 0 then return false end
  local id = ids[1]
  local job = ARGV[3] .. id
  local attempts = tonumber(redis.call('HGET', job, 'attempts'))
  local key = redis.call('HGET', job, 'key')
  if key and redis.call('HGET', KEYS[3], key) == id then redis.call('HDEL', KEYS[3], key) end
  if not attempts then
    redis.call('ZREM', KEYS[1], id)
  elseif attempts >= tonumber(redis.call('HGET', job, 'max_attempts')) then
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZADD', KEYS[2], now, id)
  else
    attempts = redis.call('HINCRBY', job, 'attempts', 1)
    redis.call('HSET', job, 'lease', ARGV[2])
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), id)
    return {id, redis.call('HGET', job, 'payload'), attempts}
  end
end
return false
";

/// KEYS: due, job. ARGV: id, token. Returns 1, or 0 when the token is not the current lease.
const REDIS_ACK: &str = r"
if redis.call('HGET', KEYS[2], 'lease') ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[1], ARGV[1])
return 1
";

/// KEYS: due, job, dead, keys. ARGV: id, token, error, retry_ms. Returns 1, or 0 when the token is
/// stale. A keyed job whose key has a newer waiting job is deleted: that one supersedes it.
const REDIS_FAIL: &str = r"
if redis.call('HGET', KEYS[2], 'lease') ~= ARGV[2] then return 0 end
local key = redis.call('HGET', KEYS[2], 'key')
if key and redis.call('HGET', KEYS[4], key) then
  redis.call('DEL', KEYS[2])
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
redis.call('HSET', KEYS[2], 'lease', '', 'error', ARGV[3])
local now = now_ms()
if tonumber(redis.call('HGET', KEYS[2], 'attempts')) >= tonumber(redis.call('HGET', KEYS[2], 'max_attempts')) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('ZADD', KEYS[3], now, ARGV[1])
else
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[1])
  if key then redis.call('HSET', KEYS[4], key, ARGV[1]) end
end
return 1
";

fn script(body: &str) -> String {
    format!("{NOW_MS_LUA}{body}")
}

/// The queue in Redis: durable as far as Redis persistence goes, atomic through Lua scripts.
pub struct RedisJobQueue {
    pool: Pool,
    prefix: String,
    max_attempts: u32,
}

impl RedisJobQueue {
    pub fn new(handle: &RedisHandle) -> Self {
        RedisJobQueue { pool: handle.pool.clone(), prefix: handle.prefix.clone(), max_attempts: DEFAULT_MAX_ATTEMPTS }
    }

    /// How many deliveries a job enqueued from now on gets.
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    fn keys(&self, queue: &str) -> QueueKeys {
        QueueKeys::new(&self.prefix, queue)
    }

    /// A waiting job's lease field is empty: an empty token must not match it.
    fn check_token(job: &Job) -> Result<(), InfraError> {
        if job.lease_token.is_empty() { Err(lease_lost(job)) } else { Ok(()) }
    }
}

#[async_trait]
impl JobQueue for RedisJobQueue {
    async fn enqueue(&self, queue: &str, payload: &str, delay: Duration) -> Result<String, InfraError> {
        let keys = self.keys(queue);
        let id = new_token();
        let _: i64 = self
            .pool
            .eval(
                script(REDIS_ENQUEUE),
                vec![keys.due.clone(), keys.job(&id)],
                vec![id.clone(), payload.to_owned(), duration_ms(delay).to_string(), self.max_attempts.to_string()],
            )
            .await
            .map_err(redis_error)?;
        Ok(id)
    }

    async fn schedule(&self, queue: &str, key: &str, payload: &str, delay: Duration) -> Result<String, InfraError> {
        let keys = self.keys(queue);
        self.pool
            .eval(
                script(REDIS_SCHEDULE),
                vec![keys.due, keys.keys],
                vec![
                    new_token(),
                    payload.to_owned(),
                    duration_ms(delay).to_string(),
                    self.max_attempts.to_string(),
                    keys.job_prefix,
                    key.to_owned(),
                ],
            )
            .await
            .map_err(redis_error)
    }

    async fn reserve(&self, queue: &str, lease: Duration) -> Result<Option<Job>, InfraError> {
        let keys = self.keys(queue);
        let token = new_token();
        let reserved: Option<(String, String, i64)> = self
            .pool
            .eval(
                script(REDIS_RESERVE),
                vec![keys.due, keys.dead, keys.keys],
                vec![duration_ms(lease).to_string(), token.clone(), keys.job_prefix],
            )
            .await
            .map_err(redis_error)?;
        Ok(reserved.map(|(id, payload, attempts)| Job {
            id,
            queue: queue.to_owned(),
            payload,
            attempts: u32::try_from(attempts).unwrap_or(0),
            lease_token: token,
        }))
    }

    async fn ack(&self, job: &Job) -> Result<(), InfraError> {
        Self::check_token(job)?;
        let keys = self.keys(&job.queue);
        let acked: i64 = self
            .pool
            .eval(
                script(REDIS_ACK),
                vec![keys.due.clone(), keys.job(&job.id)],
                vec![job.id.clone(), job.lease_token.clone()],
            )
            .await
            .map_err(redis_error)?;
        if acked == 1 { Ok(()) } else { Err(lease_lost(job)) }
    }

    async fn fail(&self, job: &Job, error: &str, retry_in: Duration) -> Result<(), InfraError> {
        Self::check_token(job)?;
        let keys = self.keys(&job.queue);
        let failed: i64 = self
            .pool
            .eval(
                script(REDIS_FAIL),
                vec![keys.due.clone(), keys.job(&job.id), keys.dead.clone(), keys.keys.clone()],
                vec![
                    job.id.clone(),
                    job.lease_token.clone(),
                    truncated(error).to_owned(),
                    duration_ms(retry_in).to_string(),
                ],
            )
            .await
            .map_err(redis_error)?;
        if failed == 1 { Ok(()) } else { Err(lease_lost(job)) }
    }
}
