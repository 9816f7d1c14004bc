//! The Redis side of the cluster: leases, room state, and pub/sub.
//!
//! One `ConnectionManager` (RESP3) per instance carries commands and subscriptions; it
//! reconnects by itself and resubscribes after a Redis restart. Writes go through one writer
//! task, in order, pipelined, so a room's state is always written before the events it
//! explains are published.

use super::{chat_key, ended_key, owner_key, state_key, ticket_key};
use crate::metrics::Metrics;
use actix::prelude::*;
use bytes::Bytes;
use onair_shared::RoomId;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, PushKind, Script, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// A room's lease lives this long unless renewed: a `kill -9`ed owner's rooms are free again
/// within a second (issue 13 asks members back on a fresh view within 2 s).
pub const LEASE: Duration = Duration::from_millis(1000);
/// How often the owner renews its lease: four renewals per lease, so three may be lost (or
/// late, on a busy machine) before it lapses.
pub const RENEW_EVERY: Duration = Duration::from_millis(250);
/// Rooms idle this long in Redis are forgotten (state of a room nobody reopened).
const STATE_TTL_SECS: u64 = 24 * 3600;

/// What [`RedisCluster::acquire`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lease {
    /// This incarnation held it and still does.
    Kept,
    /// Nobody held it (never, expired, or Redis lost it); this incarnation does now.
    Taken,
    /// Another incarnation holds it.
    HeldBy(String),
}

impl Lease {
    pub fn is_mine(&self) -> bool {
        !matches!(self, Lease::HeldBy(_))
    }
}

/// Writes the room's state only while the lease (KEYS[1]) holds this incarnation (ARGV[1]):
/// an owner that lost its lease (paused, cut off from Redis, replaced) cannot overwrite the
/// state of the owner after it.
const FENCED_SET: &str = r"if redis.call('GET', KEYS[1]) == ARGV[1] then
      redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
      return 1
    end
    return 0";

/// Appends a chat line (ARGV[2]) to the room's chat list (KEYS[2]), keeping the last ARGV[3],
/// only while the lease (KEYS[1]) holds this incarnation (ARGV[1]).
const FENCED_CHAT: &str = r"if redis.call('GET', KEYS[1]) == ARGV[1] then
      redis.call('RPUSH', KEYS[2], ARGV[2])
      redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
      redis.call('EXPIRE', KEYS[2], ARGV[4])
      return 1
    end
    return 0";

/// Forgets the room's state (and chat list) and gives up its lease, only while this
/// incarnation holds it.
const FENCED_FORGET: &str = r"if redis.call('GET', KEYS[1]) == ARGV[1] then
      redis.call('DEL', KEYS[2])
      redis.call('DEL', KEYS[3])
      redis.call('DEL', KEYS[1])
      return 1
    end
    return 0";

/// Gives the lease (KEYS[1]) up only while this incarnation (ARGV[1]) holds it.
const FENCED_RELEASE: &str = r"if redis.call('GET', KEYS[1]) == ARGV[1] then
      redis.call('DEL', KEYS[1])
      return 1
    end
    return 0";

/// A pub/sub message for an actor that subscribed to a channel.
#[derive(Message, Clone)]
#[rtype(result = "()")]
pub struct Inbound(pub Bytes);

enum Write {
    State {
        room: RoomId,
        bytes: Vec<u8>,
    },
    /// A chat line for the room's chat list, which keeps the last `keep`.
    Chat {
        room: RoomId,
        line: Vec<u8>,
        keep: usize,
    },
    Publish {
        channel: String,
        bytes: Vec<u8>,
    },
    Forget {
        room: RoomId,
    },
    /// A relay's frame for the owner: `ack` says whether anyone received it (an owner is
    /// subscribed) or not (no owner, or Redis away).
    PublishAcked {
        channel: String,
        bytes: Vec<u8>,
        ack: tokio::sync::oneshot::Sender<bool>,
    },
    /// Give the lease up (a clean stop), after the writes queued before it.
    Release {
        room: RoomId,
    },
    /// Answered once everything queued before it was sent.
    Flush(tokio::sync::oneshot::Sender<()>),
}

pub struct RedisCluster {
    pub instance: String,
    /// This process's fencing token: the instance name and a random part drawn at start-up.
    /// Leases hold it, so an instance restarted under the same name is a new owner to
    /// everyone, and writes by an owner whose lease has passed on are refused.
    pub incarnation: String,
    conn: ConnectionManager,
    writes: mpsc::UnboundedSender<Write>,
    /// Write batches that failed (Redis away): an owner rewrites its state when this moved.
    failed_batches: Arc<AtomicU64>,
    subscribers: Arc<Mutex<HashMap<String, Recipient<Inbound>>>>,
    metrics: Arc<Metrics>,
}

impl RedisCluster {
    /// Connects (RESP3, so subscriptions share the connection and survive reconnects) and
    /// starts the writer and the push dispatcher on the current runtime.
    pub async fn connect(
        url: &str,
        instance: String,
        metrics: Arc<Metrics>,
    ) -> redis::RedisResult<Arc<RedisCluster>> {
        let client = redis::Client::open(url)?;
        let client = if client.get_connection_info().redis_settings().protocol()
            == redis::ProtocolVersion::RESP3
        {
            client
        } else {
            let info = client.get_connection_info().clone();
            let settings = info
                .redis_settings()
                .clone()
                .set_protocol(redis::ProtocolVersion::RESP3);
            redis::Client::open(info.set_redis_settings(settings))?
        };
        let (push_tx, mut push_rx) = mpsc::unbounded_channel();
        let config = ConnectionManagerConfig::new()
            .set_push_sender(push_tx)
            .set_automatic_resubscription()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_max_delay(Duration::from_secs(1));
        let conn = ConnectionManager::new_with_config(client, config).await?;
        let subscribers: Arc<Mutex<HashMap<String, Recipient<Inbound>>>> = Arc::default();

        let dispatch = subscribers.clone();
        let received = metrics.clone();
        actix::spawn(async move {
            while let Some(push) = push_rx.recv().await {
                if push.kind != PushKind::Message {
                    continue;
                }
                let (Some(Value::BulkString(channel)), Some(Value::BulkString(payload))) =
                    (push.data.first(), push.data.get(1))
                else {
                    continue;
                };
                received.redis_received();
                let channel = String::from_utf8_lossy(channel);
                let target = dispatch
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(&*channel)
                    .cloned();
                if let Some(target) = target {
                    target.do_send(Inbound(Bytes::copy_from_slice(payload)));
                }
            }
        });

        let incarnation = format!("{instance}#{:016x}", rand::random::<u64>());
        let (writes, rx) = mpsc::unbounded_channel();
        let failed_batches = Arc::new(AtomicU64::new(0));
        actix::spawn(write_in_order(
            conn.clone(),
            rx,
            metrics.clone(),
            incarnation.clone(),
            failed_batches.clone(),
        ));
        Ok(Arc::new(RedisCluster {
            instance,
            incarnation,
            failed_batches,
            conn,
            writes,
            subscribers,
            metrics,
        }))
    }

    /// Takes the room's lease if nobody holds it, or renews it if this incarnation does.
    pub async fn acquire(&self, room: RoomId) -> redis::RedisResult<Lease> {
        // One script for "take if free, keep if mine, else say who holds it".
        let script = Script::new(
            r"local cur = redis.call('GET', KEYS[1])
              if cur == false or cur == ARGV[1] then
                redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
                if cur == false then return {2, ''} end
                return {1, ''}
              end
              return {0, cur}",
        );
        let mut conn = self.conn.clone();
        let (got, holder): (i32, String) = script
            .key(owner_key(room))
            .arg(&self.incarnation)
            .arg(LEASE.as_millis() as u64)
            .invoke_async(&mut conn)
            .await?;
        Ok(match got {
            1 => Lease::Kept,
            2 => Lease::Taken,
            _ => Lease::HeldBy(holder),
        })
    }

    /// The incarnation holding the room's lease, if any.
    pub async fn owner(&self, room: RoomId) -> redis::RedisResult<Option<String>> {
        let mut conn = self.conn.clone();
        conn.get(owner_key(room)).await
    }

    /// Gives the lease up if this incarnation holds it.
    pub async fn release(&self, room: RoomId) -> redis::RedisResult<()> {
        let script = Script::new(
            r"if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
              return 1",
        );
        let mut conn = self.conn.clone();
        let _: i32 = script
            .key(owner_key(room))
            .arg(&self.incarnation)
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Remembers that the room ended (for a day: long past any ticket issued before).
    pub async fn mark_ended(&self, room: RoomId) -> redis::RedisResult<()> {
        let mut conn = self.conn.clone();
        conn.set_ex(ended_key(room), 1, STATE_TTL_SECS).await
    }

    pub async fn is_ended(&self, room: RoomId) -> redis::RedisResult<bool> {
        let mut conn = self.conn.clone();
        conn.exists(ended_key(room)).await
    }

    /// Marks a ticket used until `exp_unix` (seconds); false when it was used already, here
    /// or on any other instance.
    pub async fn claim_ticket(&self, jti: &str, exp_unix: i64) -> redis::RedisResult<bool> {
        let mut conn = self.conn.clone();
        let set: Option<String> = redis::cmd("SET")
            .arg(ticket_key(jti))
            .arg(1)
            .arg("NX")
            .arg("EXAT")
            .arg(exp_unix.max(1))
            .query_async(&mut conn)
            .await?;
        Ok(set.is_some())
    }

    pub async fn load_state(&self, room: RoomId) -> redis::RedisResult<Option<Vec<u8>>> {
        let mut conn = self.conn.clone();
        conn.get(state_key(room)).await
    }

    pub async fn ping(&self) -> bool {
        let mut conn = self.conn.clone();
        let pong: redis::RedisResult<String> = redis::cmd("PING").query_async(&mut conn).await;
        pong.is_ok()
    }

    /// The room's chat list (oldest first), as saved.
    pub async fn load_chat(&self, room: RoomId) -> redis::RedisResult<Vec<Vec<u8>>> {
        let mut conn = self.conn.clone();
        conn.lrange(chat_key(room), 0, -1).await
    }

    /// Appends a chat line to the room's chat list (before any frame queued after it).
    pub fn save_chat(&self, room: RoomId, line: Vec<u8>, keep: usize) {
        let _ = self.writes.send(Write::Chat { room, line, keep });
    }

    pub fn save_state(&self, room: RoomId, bytes: Vec<u8>) {
        let _ = self.writes.send(Write::State { room, bytes });
    }

    pub fn forget(&self, room: RoomId) {
        let _ = self.writes.send(Write::Forget { room });
    }

    /// Gives the lease up (if still ours) once the writes queued before are sent.
    pub fn release_queued(&self, room: RoomId) {
        let _ = self.writes.send(Write::Release { room });
    }

    /// Waits until everything queued so far was sent (or failed).
    pub async fn flush(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if self.writes.send(Write::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    /// How many write batches have failed so far.
    pub fn failed_batches(&self) -> u64 {
        self.failed_batches.load(Ordering::Relaxed)
    }

    pub fn publish(&self, channel: String, bytes: Vec<u8>) {
        self.metrics.redis_published();
        let _ = self.writes.send(Write::Publish { channel, bytes });
    }

    /// Publishes, and answers whether a subscriber received it.
    pub fn publish_acked(
        &self,
        channel: String,
        bytes: Vec<u8>,
    ) -> tokio::sync::oneshot::Receiver<bool> {
        self.metrics.redis_published();
        let (ack, rx) = tokio::sync::oneshot::channel();
        let _ = self.writes.send(Write::PublishAcked {
            channel,
            bytes,
            ack,
        });
        rx
    }

    /// Publishes an owner's message to the room's relays, headed by this incarnation, so a
    /// relay can tell (and ignore) an owner whose lease has passed on.
    pub fn publish_down(&self, room: RoomId, bytes: &[u8]) {
        let mut out = Vec::with_capacity(self.incarnation.len() + 1 + bytes.len());
        out.extend_from_slice(self.incarnation.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(bytes);
        self.publish(super::down_channel(room), out);
    }

    /// Routes the channel's messages to `target`, replacing any earlier subscriber here.
    pub async fn subscribe(
        &self,
        channel: String,
        target: Recipient<Inbound>,
    ) -> redis::RedisResult<()> {
        self.subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(channel.clone(), target);
        let mut conn = self.conn.clone();
        conn.subscribe(channel).await
    }

    pub fn unsubscribe(self: &Arc<Self>, channel: String) {
        self.subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&channel);
        let mut conn = self.conn.clone();
        actix::spawn(async move {
            let _ = conn.unsubscribe(channel).await;
        });
    }
}

/// Drains the queue in order, a pipeline per batch. Several states for one room in a batch
/// collapse into the last one, which goes before the batch's publishes.
async fn write_in_order(
    mut conn: ConnectionManager,
    mut rx: mpsc::UnboundedReceiver<Write>,
    metrics: Arc<Metrics>,
    incarnation: String,
    failed_batches: Arc<AtomicU64>,
) {
    let mut batch = Vec::new();
    while rx.recv_many(&mut batch, 512).await > 0 {
        let mut latest: HashMap<RoomId, usize> = HashMap::new();
        for (i, w) in batch.iter().enumerate() {
            if let Write::State { room, .. } = w {
                latest.insert(*room, i);
            }
        }
        let mut pipe = redis::pipe();
        let states = latest.len();
        for (i, w) in batch.iter().enumerate() {
            match w {
                Write::State { room, bytes } if latest.get(room) == Some(&i) => {
                    pipe.cmd("EVAL")
                        .arg(FENCED_SET)
                        .arg(2)
                        .arg(owner_key(*room))
                        .arg(state_key(*room))
                        .arg(&incarnation)
                        .arg(bytes.as_slice())
                        .arg(STATE_TTL_SECS)
                        .ignore();
                }
                Write::State { .. } | Write::Flush(_) => {}
                Write::Release { room } => {
                    pipe.cmd("EVAL")
                        .arg(FENCED_RELEASE)
                        .arg(1)
                        .arg(owner_key(*room))
                        .arg(&incarnation)
                        .ignore();
                }
                Write::Chat { room, line, keep } => {
                    pipe.cmd("EVAL")
                        .arg(FENCED_CHAT)
                        .arg(2)
                        .arg(owner_key(*room))
                        .arg(chat_key(*room))
                        .arg(&incarnation)
                        .arg(line.as_slice())
                        .arg(*keep)
                        .arg(STATE_TTL_SECS)
                        .ignore();
                }
                Write::Forget { room } => {
                    pipe.cmd("EVAL")
                        .arg(FENCED_FORGET)
                        .arg(3)
                        .arg(owner_key(*room))
                        .arg(state_key(*room))
                        .arg(chat_key(*room))
                        .arg(&incarnation)
                        .ignore();
                }
                Write::Publish { .. } | Write::PublishAcked { .. } => {}
            }
        }
        for w in &batch {
            match w {
                Write::Publish { channel, bytes } => {
                    pipe.publish(channel, bytes.as_slice()).ignore();
                }
                // The only commands whose answers are kept: how many received each.
                Write::PublishAcked { channel, bytes, .. } => {
                    pipe.publish(channel, bytes.as_slice());
                }
                _ => {}
            }
        }
        if pipe.cmd_iter().next().is_none() {
            // Only flushes: nothing to send.
            for w in batch.drain(..) {
                if let Write::Flush(done) = w {
                    let _ = done.send(());
                }
            }
            continue;
        }
        let received = match pipe.query_async::<Vec<i64>>(&mut conn).await {
            Ok(received) => {
                metrics.snapshots_saved(states);
                received
            }
            Err(e) => {
                // Lost while Redis is away; the owner rewrites its state at its next lease
                // renewal (it watches `failed_batches`), relays hold their members' frames
                // until an owner answers again, and members who missed events see a gap in
                // `seq` and resync.
                failed_batches.fetch_add(1, Ordering::Relaxed);
                metrics.redis_failed(batch.len());
                tracing::warn!("redis write of {} operations failed: {e}", batch.len());
                Vec::new()
            }
        };
        let mut received = received.into_iter();
        for w in batch.drain(..) {
            match w {
                Write::Flush(done) => {
                    let _ = done.send(());
                }
                Write::PublishAcked { ack, .. } => {
                    let _ = ack.send(received.next().is_some_and(|n| n > 0));
                }
                _ => {}
            }
        }
    }
}
