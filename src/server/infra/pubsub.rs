//! [`Bus`] implementations. Both fan messages out to local subscribers through one tokio broadcast
//! channel per channel name; [`RedisBus`] feeds those from a single Redis subscription per channel,
//! so messages published by any app instance reach the subscribers of every instance.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use fred::{
    clients::{Pool, SubscriberClient},
    prelude::{ClientLike, EventInterface, PubsubInterface},
};
use futures::stream;
use tokio::{sync::broadcast, task::JoinHandle};

use super::{Bus, InfraError, Subscription, redis_error};
use crate::server::redis::RedisHandle;

/// Messages a slow subscriber may fall behind by before it skips ahead (and misses some).
const CHANNEL_CAPACITY: usize = 256;

/// The local subscribers, by channel name. A channel is in the map exactly while it has subscribers.
#[derive(Clone, Default)]
struct LocalChannels {
    senders: Arc<Mutex<HashMap<String, broadcast::Sender<String>>>>,
}

impl LocalChannels {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, broadcast::Sender<String>>> {
        self.senders.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A new receiver on `channel`, and whether the channel had no local subscriber before.
    fn attach(&self, channel: &str) -> (broadcast::Receiver<String>, bool) {
        let mut senders = self.lock();
        match senders.get(channel) {
            Some(sender) => (sender.subscribe(), false),
            None => {
                let (sender, receiver) = broadcast::channel(CHANNEL_CAPACITY);
                senders.insert(channel.to_owned(), sender);
                (receiver, true)
            }
        }
    }

    fn deliver(&self, channel: &str, payload: String) {
        if let Some(sender) = self.lock().get(channel) {
            // An error only means every receiver is gone; its guard is removing the channel.
            let _ = sender.send(payload);
        }
    }

    /// Removes `channel` if nobody listens to it any more; true when it did.
    fn detach_if_unused(&self, channel: &str) -> bool {
        let mut senders = self.lock();
        let unused = senders.get(channel).is_some_and(|sender| sender.receiver_count() == 0);
        if unused {
            senders.remove(channel);
        }
        unused
    }
}

/// A receiver that runs `on_drop` once it is gone (after dropping the receiver itself, so that
/// `on_drop` sees the right receiver count).
struct LocalReceiver {
    receiver: Option<broadcast::Receiver<String>>,
    on_drop: Option<Box<dyn FnOnce() + Send>>,
}

impl Drop for LocalReceiver {
    fn drop(&mut self) {
        drop(self.receiver.take());
        if let Some(on_drop) = self.on_drop.take() {
            on_drop();
        }
    }
}

fn into_subscription(local: LocalReceiver) -> Subscription {
    Box::pin(stream::unfold(local, |mut local| async move {
        let receiver = local.receiver.as_mut()?;
        loop {
            match receiver.recv().await {
                Ok(payload) => return Some((payload, local)),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "a bus subscriber fell behind and skipped messages");
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }))
}

/// Pub/sub within this process only.
#[derive(Default)]
pub struct MemoryBus {
    channels: LocalChannels,
}

#[async_trait]
impl Bus for MemoryBus {
    async fn publish(&self, channel: &str, payload: &str) -> Result<(), InfraError> {
        self.channels.deliver(channel, payload.to_owned());
        Ok(())
    }

    async fn subscribe(&self, channel: &str) -> Result<Subscription, InfraError> {
        let (receiver, _) = self.channels.attach(channel);
        let channels = self.channels.clone();
        let channel = channel.to_owned();
        let on_drop = Box::new(move || {
            channels.detach_if_unused(&channel);
        });
        Ok(into_subscription(LocalReceiver { receiver: Some(receiver), on_drop: Some(on_drop) }))
    }
}

/// Pub/sub across app instances through Redis `PUBLISH`/`SUBSCRIBE`. Messages published while the
/// connection is down are lost (Redis pub/sub keeps nothing); the subscriptions themselves are renewed
/// after a reconnect. Only one `RedisBus` should use a given subscriber client, since it unsubscribes
/// channels it no longer needs.
pub struct RedisBus {
    inner: Arc<RedisBusInner>,
}

struct RedisBusInner {
    pool: Pool,
    subscriber: SubscriberClient,
    channel_prefix: String,
    channels: LocalChannels,
    /// Serialises Redis SUBSCRIBE/UNSUBSCRIBE calls with the local map updates, so an unsubscribe
    /// for a channel that lost its last subscriber cannot overtake a new subscribe to it. Holds the
    /// task forwarding Redis messages to the local channels, started with the first subscription.
    forwarder: tokio::sync::Mutex<Option<JoinHandle<()>>>,
}

impl RedisBus {
    pub fn new(handle: &RedisHandle) -> Self {
        RedisBus {
            inner: Arc::new(RedisBusInner {
                pool: handle.pool.clone(),
                subscriber: handle.subscriber.clone(),
                channel_prefix: handle.key("bus:"),
                channels: LocalChannels::default(),
                forwarder: tokio::sync::Mutex::new(None),
            }),
        }
    }
}

impl Drop for RedisBus {
    fn drop(&mut self) {
        if let Ok(mut forwarder) = self.inner.forwarder.try_lock()
            && let Some(task) = forwarder.take()
        {
            task.abort();
        }
    }
}

impl RedisBusInner {
    fn redis_channel(&self, channel: &str) -> String {
        format!("{}{channel}", self.channel_prefix)
    }

    fn spawn_forwarder(&self) -> JoinHandle<()> {
        let mut messages = self.subscriber.message_rx();
        let channels = self.channels.clone();
        let prefix = self.channel_prefix.clone();
        tokio::spawn(async move {
            loop {
                match messages.recv().await {
                    Ok(message) => {
                        let Some(channel) = message.channel.strip_prefix(prefix.as_str()) else { continue };
                        match message.value.into_string() {
                            Some(payload) => channels.deliver(channel, payload),
                            None => tracing::warn!(channel, "ignored a non-text message on the bus"),
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "the Redis bus fell behind and skipped messages");
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        })
    }

    /// Subscribes and waits until Redis has taken the subscription, so that every message published
    /// afterwards, from any connection, is delivered. fred's `subscribe` returns once the command is
    /// written, before Redis reads it: a `PUBLISH` sent from another connection right after could be
    /// processed first and reach nobody. Redis answers a connection's commands in order, so the
    /// answer to a `PING` sent behind the `SUBSCRIBE` means the subscription is in place.
    async fn subscribe_confirmed(&self, redis_channel: &str) -> Result<(), fred::error::Error> {
        self.subscriber.subscribe(redis_channel).await?;
        self.subscriber.ping::<fred::types::Value>(None).await?;
        Ok(())
    }

    async fn unsubscribe_if_unused(&self, channel: &str) {
        let _changes = self.forwarder.lock().await;
        if self.channels.detach_if_unused(channel)
            && let Err(error) = self.subscriber.unsubscribe(self.redis_channel(channel)).await
        {
            tracing::warn!(%error, channel, "could not unsubscribe from a Redis channel");
        }
    }
}

#[async_trait]
impl Bus for RedisBus {
    async fn publish(&self, channel: &str, payload: &str) -> Result<(), InfraError> {
        self.inner
            .pool
            .next_connected()
            .publish::<(), _, _>(self.inner.redis_channel(channel), payload)
            .await
            .map_err(redis_error)
    }

    async fn subscribe(&self, channel: &str) -> Result<Subscription, InfraError> {
        let inner = &self.inner;
        let mut forwarder = inner.forwarder.lock().await;
        if forwarder.as_ref().is_none_or(JoinHandle::is_finished) {
            *forwarder = Some(inner.spawn_forwarder());
        }
        let (receiver, first) = inner.channels.attach(channel);
        if first && let Err(error) = inner.subscribe_confirmed(&inner.redis_channel(channel)).await {
            drop(receiver);
            inner.channels.detach_if_unused(channel);
            return Err(redis_error(error));
        }
        drop(forwarder);

        let weak = Arc::downgrade(inner);
        let channel = channel.to_owned();
        let on_drop = Box::new(move || {
            let Some(inner) = weak.upgrade() else { return };
            // Dropped outside a runtime (at process exit): nothing left to tidy.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move { inner.unsubscribe_if_unused(&channel).await });
            }
        });
        Ok(into_subscription(LocalReceiver { receiver: Some(receiver), on_drop: Some(on_drop) }))
    }
}
