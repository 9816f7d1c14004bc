//! Which actor serves which live room on this instance: the room itself, or (in a cluster,
//! when another instance owns the room) a relay to it.

use crate::cluster::RedisCluster;
use crate::handle::RoomHandle;
use crate::metrics::Metrics;
use crate::relay::Relay;
use crate::reporter::Reporter;
use crate::room::{PersistedRoom, Room, RoomSetup};
use crate::rules::Settings;
use actix::Actor;
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
}

struct Entry {
    generation: u64,
    handle: RoomHandle,
}

#[derive(Debug, thiserror::Error)]
#[error("the room's owner cannot be reached right now ({0})")]
pub struct Unavailable(String);

impl Registry {
    pub fn new(
        rules: Settings,
        event_buffer: usize,
        reporter: Reporter,
        cluster: Option<Arc<RedisCluster>>,
        metrics: Arc<Metrics>,
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
        }
    }

    pub fn cluster(&self) -> Option<&Arc<RedisCluster>> {
        self.cluster.as_ref()
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// The room's handle here, opening the room (or a relay to its owner) if needed.
    /// `request_id`: the ticket's, which a room opened now logs under.
    pub async fn open(
        &self,
        info: &TicketRoom,
        request_id: Option<&str>,
    ) -> Result<RoomHandle, Unavailable> {
        let request_id = request_id.map(str::to_owned);
        if let Some(handle) = self.live(info.id) {
            return Ok(handle);
        }
        let _one_at_a_time = self.opening.lock().await;
        if let Some(handle) = self.live(info.id) {
            return Ok(handle);
        }
        let Some(cluster) = self.cluster.clone() else {
            return Ok(self.start_room(info.clone(), None, request_id));
        };
        let mine = cluster
            .acquire(info.id)
            .await
            .map_err(|e| Unavailable(e.to_string()))?;
        if mine {
            let saved = self.load(&cluster, info).await?;
            Ok(self.start_room(info.clone(), saved, request_id))
        } else {
            let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
            let relay = Relay::new(info.clone(), cluster, self.clone(), generation, request_id);
            let addr = relay.start();
            let handle = RoomHandle::new(addr);
            self.lock().insert(
                info.id,
                Entry {
                    generation,
                    handle: handle.clone(),
                },
            );
            Ok(handle)
        }
    }

    /// A relay that has taken the lease becomes the room: resume from the saved state.
    pub async fn promote(
        &self,
        info: TicketRoom,
        request_id: Option<String>,
    ) -> Result<RoomHandle, Unavailable> {
        let _one_at_a_time = self.opening.lock().await;
        let cluster = self
            .cluster
            .clone()
            .ok_or_else(|| Unavailable("no cluster".into()))?;
        let saved = self.load(&cluster, &info).await?;
        Ok(self.start_room(info, saved, request_id))
    }

    async fn load(
        &self,
        cluster: &RedisCluster,
        info: &TicketRoom,
    ) -> Result<Option<PersistedRoom>, Unavailable> {
        let bytes = cluster
            .load_state(info.id)
            .await
            .map_err(|e| Unavailable(e.to_string()))?;
        Ok(bytes.and_then(|b| match serde_json::from_slice(&b) {
            Ok(saved) => Some(saved),
            Err(e) => {
                tracing::error!(room = %info.id, "saved state unreadable ({e}); starting afresh");
                None
            }
        }))
    }

    fn start_room(
        &self,
        info: TicketRoom,
        saved: Option<PersistedRoom>,
        request_id: Option<String>,
    ) -> RoomHandle {
        let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
        let setup = RoomSetup {
            registry: self.clone(),
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
        let handle = RoomHandle::new(room.start());
        self.lock().insert(
            info.id,
            Entry {
                generation,
                handle: handle.clone(),
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
