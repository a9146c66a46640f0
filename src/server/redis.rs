//! The Redis connection: a small command pool plus one subscriber connection for pub/sub.
//! A dead Redis yields errors within seconds (connection and command timeouts), never hangs,
//! and the clients reconnect on their own, with backoff, for as long as the process runs.
use std::time::Duration;

use fred::{
    clients::{Pool, SubscriberClient},
    error::{Error, ErrorKind},
    prelude::{Builder, ClientLike, Config, ReconnectPolicy},
};

const POOL_SIZE: usize = 4;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(3);
/// Start-up gives up after this long, so a missing Redis is reported instead of awaited.
const INITIAL_CONNECT_DEADLINE: Duration = Duration::from_secs(5);
const RECONNECT_MIN_DELAY_MS: u32 = 100;
const RECONNECT_MAX_DELAY_MS: u32 = 5_000;
/// Pub/sub messages wait in this buffer until the bus forwards them; fred's default (32) drops
/// messages under a short burst.
const MESSAGE_BUFFER: usize = 1_024;

pub struct RedisHandle {
    pub pool: Pool,
    pub subscriber: SubscriberClient,
    /// Prepended to every key and channel name (for example `crm:`).
    pub prefix: String,
}

impl std::fmt::Debug for RedisHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisHandle").field("pool", &self.pool).field("prefix", &self.prefix).finish()
    }
}

pub async fn connect(url: &str, prefix: &str) -> Result<RedisHandle, Error> {
    let mut builder = Builder::from_config(Config::from_url(url)?);
    builder
        .with_connection_config(|connection| {
            connection.connection_timeout = CONNECT_TIMEOUT;
            connection.internal_command_timeout = CONNECT_TIMEOUT;
        })
        .with_performance_config(|performance| {
            performance.default_command_timeout = COMMAND_TIMEOUT;
            performance.broadcast_channel_capacity = MESSAGE_BUFFER;
        })
        // Zero attempts means "retry forever".
        .set_policy(ReconnectPolicy::new_exponential(0, RECONNECT_MIN_DELAY_MS, RECONNECT_MAX_DELAY_MS, 2));
    let pool = builder.build_pool(POOL_SIZE)?;
    let subscriber = builder.build_subscriber_client()?;

    let initial_connect = async {
        pool.init().await?;
        subscriber.init().await?;
        Ok::<(), Error>(())
    };
    let outcome = match tokio::time::timeout(INITIAL_CONNECT_DEADLINE, initial_connect).await {
        Ok(outcome) => outcome,
        Err(_) => {
            Err(Error::new(ErrorKind::Timeout, format!("no answer within {} s", INITIAL_CONNECT_DEADLINE.as_secs())))
        }
    };
    if let Err(error) = outcome {
        // Stop the background connection tasks, or they would keep retrying for nothing.
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            let _ = pool.quit().await;
            let _ = subscriber.quit().await;
        })
        .await;
        return Err(error);
    }
    // Subscriptions live on the connection: renew them after every reconnect.
    subscriber.manage_subscriptions();
    Ok(RedisHandle { pool, subscriber, prefix: prefix.to_owned() })
}

impl RedisHandle {
    /// A cheap round trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), Error> {
        self.pool.ping::<()>(None).await
    }

    /// `name` with this instance's prefix.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// Closes every connection (at shutdown, or at the end of a test).
    pub async fn quit(&self) {
        let _ = self.subscriber.quit().await;
        let _ = self.pool.quit().await;
    }
}
