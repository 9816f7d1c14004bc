//! Which actor serves which live room on this instance: the room itself, or (in a cluster,
//! when another instance owns the room) a relay to it.

use crate::actor_messages::{HandOver, Moderate, RoomHandle};
use crate::admission::{Admission, Refusal};
use crate::cluster::{Lease, RedisCluster};
use crate::directory::{Directory, Promotion};
use crate::metrics::Metrics;
use crate::relay::Relay;
use crate::reporter::Reporter;
use crate::room::{PersistedRoom, Room, RoomSetup, SnapshotVersion, SNAPSHOT_VERSION};
use crate::rules::Settings;
use actix::Actor;
use onair_shared::api::ModerationKind;
use onair_shared::auth::TicketRoom;
use onair_shared::RoomId;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Clone)]
pub struct Registry {
    rooms: Arc<Mutex<HashMap<RoomId, Entry>>>,
    /// Opening a room may wait on Redis; one at a time, so a room is never opened twice here.
    opening: Arc<tokio::sync::Mutex<()>>,
    next_generation: Arc<AtomicU64>,
    rules: Settings,
    event_buffer: usize,
    reporter: Reporter,
    cluster: Option<Arc<RedisCluster>>,
    metrics: Arc<Metrics>,
    admission: Arc<Admission>,
}

struct Entry {
    generation: u64,
    handle: RoomHandle,
    /// Set for a room this instance owns.
    hand_over: Option<actix::Recipient<HandOver>>,
}

fn unavailable(e: impl std::fmt::Display) -> Refusal {
    Refusal::Unavailable(format!(
        "the room's owner cannot be reached right now ({e})"
    ))
}

impl Registry {
    pub fn new(
        rules: Settings,
        event_buffer: usize,
        reporter: Reporter,
        cluster: Option<Arc<RedisCluster>>,
        metrics: Arc<Metrics>,
        admission: Arc<Admission>,
    ) -> Registry {
        Registry {
            metrics,
            rooms: Arc::default(),
            opening: Arc::default(),
            next_generation: Arc::new(AtomicU64::new(1)),
            rules,
            event_buffer,
            reporter,
            cluster,
            admission,
        }
    }

    pub fn cluster(&self) -> Option<&Arc<RedisCluster>> {
        self.cluster.as_ref()
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    pub fn admission(&self) -> &Admission {
        &self.admission
    }

    /// Whether the room is live on this instance (as its owner or through a relay).
    pub fn is_live(&self, id: RoomId) -> bool {
        self.live(id).is_some()
    }

    /// The room ended on this instance: it stays ended here and, in a cluster, everywhere.
    pub fn mark_ended(&self, id: RoomId) {
        self.admission.mark_ended(id);
    }

    /// A moderation event: a ban reaches every room and relay here (each closes the user's
    /// connection; an owner also takes the seat), a closing reaches that room.
    pub fn moderate(&self, kind: ModerationKind) {
        match &kind {
            ModerationKind::Banned { user } => self.admission.ban(*user),
            ModerationKind::Unbanned { user } => {
                self.admission.unban(*user);
                return;
            }
            ModerationKind::RoomClosed { room, .. } => {
                let handle = self.live(*room);
                self.admission.mark_ended(*room);
                if let Some(handle) = handle {
                    handle.moderate.do_send(Moderate(kind));
                }
                return;
            }
        }
        let handles: Vec<RoomHandle> = self.lock().values().map(|e| e.handle.clone()).collect();
        for handle in handles {
            handle.moderate.do_send(Moderate(kind.clone()));
        }
    }

    /// The room's handle here, opening the room (or a relay to its owner) if needed.
    /// `request_id`: the ticket's, which a room opened now logs under.
    pub async fn open(
        &self,
        info: &TicketRoom,
        request_id: Option<&str>,
    ) -> Result<RoomHandle, Refusal> {
        let request_id = request_id.map(str::to_owned);
        if let Some(handle) = self.live(info.id) {
            return Ok(handle);
        }
        let _one_at_a_time = self.opening.lock().await;
        if let Some(handle) = self.live(info.id) {
            return Ok(handle);
        }
        // It may have ended since the ticket was checked: never start it again.
        if self.admission.is_ended_here(info.id) {
            return Err(Refusal::Ended);
        }
        let Some(cluster) = self.cluster.clone() else {
            return Ok(self.start_room(info.clone(), None, request_id));
        };
        let lease = cluster.acquire(info.id).await.map_err(unavailable)?;
        if let Lease::HeldBy(owner) = lease {
            let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
            let relay = Relay::new(
                info.clone(),
                cluster,
                Arc::new(self.clone()),
                self.metrics.clone(),
                generation,
                request_id,
                owner,
            );
            let addr = relay.start();
            let handle = RoomHandle::new(addr);
            self.lock().insert(
                info.id,
                Entry {
                    generation,
                    handle: handle.clone(),
                    hand_over: None,
                },
            );
            Ok(handle)
        } else {
            let saved = self.load(&cluster, info).await?;
            Ok(self.start_room(info.clone(), saved, request_id))
        }
    }

    /// A relay that has taken the lease becomes the room: resume from the saved state.
    pub async fn promote(
        &self,
        info: TicketRoom,
        request_id: Option<String>,
    ) -> Result<RoomHandle, Refusal> {
        let _one_at_a_time = self.opening.lock().await;
        let cluster = self
            .cluster
            .clone()
            .ok_or_else(|| unavailable("no cluster"))?;
        let saved = self.load(&cluster, &info).await?;
        Ok(self.start_room(info, saved, request_id))
    }

    /// The room's saved state. One in a newer format than this build knows (written by an
    /// upgraded instance during a rolling deploy) is left alone: the lease is given back so an
    /// instance that knows the format takes the room, and members are told to try again
    /// (`room_unavailable`) instead of finding the show started afresh.
    async fn load(
        &self,
        cluster: &RedisCluster,
        info: &TicketRoom,
    ) -> Result<Option<PersistedRoom>, Refusal> {
        let Some(bytes) = cluster.load_state(info.id).await.map_err(unavailable)? else {
            return Ok(None);
        };
        let version = serde_json::from_slice::<SnapshotVersion>(&bytes)
            .map(|v| v.version)
            .unwrap_or(0);
        if version > SNAPSHOT_VERSION {
            tracing::error!(
                room = %info.id,
                "saved state has snapshot version {version}, newer than this build's \
                 {SNAPSHOT_VERSION}; leaving the room to an instance that can read it"
            );
            let _ = cluster.release(info.id).await;
            return Err(Refusal::Unavailable(format!(
                "the room's saved state (version {version}) needs a newer room-server"
            )));
        }
        Ok(match serde_json::from_slice::<PersistedRoom>(&bytes) {
            Ok(mut saved) => {
                // Chat is written through to its own list; it has lines the state may lack.
                let lines = cluster.load_chat(info.id).await.map_err(unavailable)?;
                if !lines.is_empty() {
                    saved.chat = Some(
                        lines
                            .iter()
                            .filter_map(|l| serde_json::from_slice(l).ok())
                            .collect(),
                    );
                }
                Some(saved)
            }
            Err(e) => {
                tracing::error!(room = %info.id, "saved state unreadable ({e}); starting afresh");
                None
            }
        })
    }

    fn start_room(
        &self,
        info: TicketRoom,
        saved: Option<PersistedRoom>,
        request_id: Option<String>,
    ) -> RoomHandle {
        let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
        let setup = RoomSetup {
            directory: Arc::new(self.clone()),
            metrics: self.metrics.clone(),
            generation,
            reporter: self.reporter.clone(),
            cluster: self.cluster.clone(),
            rules: self.rules.clone(),
            event_buffer: self.event_buffer,
            request_id,
        };
        let room = match saved {
            Some(saved) => {
                tracing::info!(room = %info.id, "resuming from saved state");
                self.metrics.takeover();
                Room::resume(saved, setup)
            }
            None => Room::new(info.clone(), setup),
        };
        let addr = room.start();
        let handle = RoomHandle::new(addr.clone());
        self.lock().insert(
            info.id,
            Entry {
                generation,
                handle: handle.clone(),
                hand_over: Some(addr.recipient()),
            },
        );
        handle
    }

    fn live(&self, id: RoomId) -> Option<RoomHandle> {
        self.lock()
            .get(&id)
            .filter(|e| e.handle.is_alive())
            .map(|e| e.handle.clone())
    }

    /// Called by a room or relay as it stops; a newer actor for the same room is left alone.
    pub fn remove(&self, id: RoomId, generation: u64) {
        let mut rooms = self.lock();
        if rooms.get(&id).is_some_and(|e| e.generation == generation) {
            rooms.remove(&id);
        }
    }

    /// A clean stop: every room owned here writes its state, gives its lease up and tells its
    /// relays, so other instances take them over at once; returns once that reached Redis (or
    /// after a second).
    pub async fn hand_over_all(&self) {
        let Some(cluster) = self.cluster.clone() else {
            return;
        };
        let rooms: Vec<actix::Recipient<HandOver>> = self
            .lock()
            .values()
            .filter_map(|e| e.hand_over.clone())
            .collect();
        let done = async move {
            for room in rooms {
                let _ = room.send(HandOver).await;
            }
            cluster.flush().await;
        };
        if tokio::time::timeout(std::time::Duration::from_secs(1), done)
            .await
            .is_err()
        {
            tracing::warn!("handing rooms over took longer than a second; stopping anyway");
        }
    }

    pub fn live_rooms(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<RoomId, Entry>> {
        // A panic while holding this lock cannot leave the map half-written; keep serving.
        self.rooms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Directory for Registry {
    fn remove(&self, id: RoomId, generation: u64) {
        Registry::remove(self, id, generation);
    }

    fn mark_ended(&self, id: RoomId) {
        Registry::mark_ended(self, id);
    }

    fn promote(&self, info: TicketRoom, request_id: Option<String>) -> Promotion {
        let registry = self.clone();
        Box::pin(async move { registry.promote(info, request_id).await })
    }
}
