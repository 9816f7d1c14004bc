//! Who may open a socket, checked after the ticket's signature and expiry
//! ([`crate::ticket`]) and before a room actor sees anything:
//!
//! - a ticket opens one socket: its `jti` is remembered until it expires (in Redis in a
//!   cluster, so every instance refuses a ticket used on another);
//! - a banned user gets no socket (bans arrive from the api-server, [`crate::moderation`]);
//! - an ended room stays ended: rooms that ended here, or (cluster) on any instance, are
//!   remembered, and a room this instance does not know is looked up on the api-server before
//!   it opens, so a restarted instance cannot open a ghost of an ended room either.

use crate::api_client::ApiClient;
use crate::cluster::RedisCluster;
use onair_shared::auth::TicketClaims;
use onair_shared::room::RoomStatus;
use onair_shared::{RoomId, UserId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a ban is remembered here: room tickets live 60 seconds and the api-server refuses
/// them to banned users, so by then no ticket of a banned user is left.
const BAN_MEMORY: Duration = Duration::from_secs(600);
/// How long an ended room is remembered in memory (Redis and the api-server remember longer).
const ENDED_MEMORY: Duration = Duration::from_secs(3600);
/// The ticket verifier's leeway, plus a margin: a `jti` is kept at least this long after `exp`.
const TICKET_MARGIN_SECS: i64 = 10;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("this ticket was already used; ask the api-server for a new one")]
    Used,
    #[error("this account has been banned")]
    Banned,
    #[error("this room has ended")]
    Ended,
    #[error("cannot check the room right now ({0})")]
    Unavailable(String),
}

#[derive(Default)]
struct Memory {
    /// `jti` -> the ticket's `exp` (single instance; a cluster keeps them in Redis).
    tickets: HashMap<String, i64>,
    tickets_pruned: Option<Instant>,
    banned: HashMap<UserId, Instant>,
    ended: HashMap<RoomId, Instant>,
}

pub struct Admission {
    memory: Mutex<Memory>,
    cluster: Option<Arc<RedisCluster>>,
    api: Option<ApiClient>,
}

impl Admission {
    pub fn new(cluster: Option<Arc<RedisCluster>>, api: Option<ApiClient>) -> Admission {
        Admission {
            memory: Mutex::default(),
            cluster,
            api,
        }
    }

    /// Checks a verified ticket; on success its `jti` is spent. `known`: the room is live on
    /// this instance (no need to ask the api-server whether it ended).
    pub async fn admit(&self, claims: &TicketClaims, known: bool) -> Result<(), Refusal> {
        let room = claims.room.id;
        if self.is_banned(claims.sub) {
            return Err(Refusal::Banned);
        }
        if self.is_ended_here(room) {
            return Err(Refusal::Ended);
        }
        if let Some(cluster) = &self.cluster {
            if cluster
                .is_ended(room)
                .await
                .map_err(|e| Refusal::Unavailable(e.to_string()))?
            {
                self.remember_ended(room);
                return Err(Refusal::Ended);
            }
        }
        if let (Some(api), false) = (&self.api, known) {
            match api.room(room).await {
                Ok(Some(view)) if view.status != RoomStatus::Ended => {}
                Ok(_) => {
                    self.remember_ended(room);
                    return Err(Refusal::Ended);
                }
                Err(e) => return Err(Refusal::Unavailable(format!("api-server: {e}"))),
            }
        }
        self.spend(&claims.jti, claims.exp).await
    }

    async fn spend(&self, jti: &str, exp: i64) -> Result<(), Refusal> {
        if jti.is_empty() {
            return Err(Refusal::Used);
        }
        let keep_until = exp.saturating_add(TICKET_MARGIN_SECS);
        if let Some(cluster) = &self.cluster {
            return match cluster.claim_ticket(jti, keep_until).await {
                Ok(true) => Ok(()),
                Ok(false) => Err(Refusal::Used),
                Err(e) => Err(Refusal::Unavailable(e.to_string())),
            };
        }
        let now = crate::clock::now_ms() / 1000;
        let mut memory = self.lock();
        // Expired tickets are dropped every few seconds, so the map holds at most a minute's
        // worth of tickets (which the api-server's rate limits bound).
        if memory
            .tickets_pruned
            .is_none_or(|t| t.elapsed() > Duration::from_secs(5))
        {
            memory.tickets.retain(|_, until| *until >= now);
            memory.tickets_pruned = Some(Instant::now());
        }
        if memory.tickets.contains_key(jti) {
            return Err(Refusal::Used);
        }
        memory.tickets.insert(jti.to_owned(), keep_until);
        Ok(())
    }

    pub fn ban(&self, user: UserId) {
        let mut memory = self.lock();
        memory.banned.retain(|_, at| at.elapsed() < BAN_MEMORY);
        memory.banned.insert(user, Instant::now());
    }

    pub fn unban(&self, user: UserId) {
        self.lock().banned.remove(&user);
    }

    fn is_banned(&self, user: UserId) -> bool {
        self.lock()
            .banned
            .get(&user)
            .is_some_and(|at| at.elapsed() < BAN_MEMORY)
    }

    /// The room ended: here, and (cluster) on every instance.
    pub fn mark_ended(&self, room: RoomId) {
        self.remember_ended(room);
        if let Some(cluster) = self.cluster.clone() {
            actix::spawn(async move {
                if let Err(e) = cluster.mark_ended(room).await {
                    tracing::warn!("room {room}: cannot mark it ended in Redis: {e}");
                }
            });
        }
    }

    fn remember_ended(&self, room: RoomId) {
        let mut memory = self.lock();
        memory.ended.retain(|_, at| at.elapsed() < ENDED_MEMORY);
        memory.ended.insert(room, Instant::now());
    }

    pub fn is_ended_here(&self, room: RoomId) -> bool {
        self.lock().ended.contains_key(&room)
    }

    fn lock(&self) -> MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(|e| e.into_inner())
    }
}
