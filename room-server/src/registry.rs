//! Which actor serves which live room on this instance: the room itself, or (in a cluster,
//! when another instance owns the room) a relay to it.

use crate::actor_messages::{HandOver, Moderate, RoomHandle};
use crate::admission::{Admission, Refusal};
use crate::cluster::{Lease, RedisCluster};
use crate::directory::{Directory, Promotion};
use crate::metrics::Metrics;
use crate::outbox::Heartbeat;
use crate::relay::{Relay, RelaySetup};
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
    /// The rooms being opened (or promoted) here, each with its own lock: opening a room may
    /// wait on Redis, and a room must never be opened twice here, but a slow opening of one
    /// room must not hold up the opening of any other. An entry lives while its opening runs
    /// or is awaited.
    opening: Arc<Mutex<HashMap<RoomId, Arc<tokio::sync::Mutex<()>>>>>,
    next_generation: Arc<AtomicU64>,
    rules: Settings,
    event_buffer: usize,
    reporter: Reporter,
    cluster: Option<Arc<RedisCluster>>,
    metrics: Arc<Metrics>,
    admission: Arc<Admission>,
    heartbeat: Heartbeat,
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
        heartbeat: Heartbeat,
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
            heartbeat,
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
        let _one_at_a_time = self.lock_opening(info.id).await;
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
                RelaySetup {
                    cluster,
                    directory: Arc::new(self.clone()),
                    metrics: self.metrics.clone(),
                    heartbeat: self.heartbeat,
                    generation,
                    request_id,
                    owner,
                },
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
        let _one_at_a_time = self.lock_opening(info.id).await;
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
            heartbeat: self.heartbeat,
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

    /// Waits until no other opening of this room runs here, and holds off later ones until
    /// the guard is dropped.
    async fn lock_opening(&self, id: RoomId) -> Opening {
        let lock = self.openings().entry(id).or_default().clone();
        let guard = lock.lock_owned().await;
        Opening {
            openings: self.opening.clone(),
            id,
            guard: Some(guard),
        }
    }

    fn openings(&self) -> MutexGuard<'_, HashMap<RoomId, Arc<tokio::sync::Mutex<()>>>> {
        // Entries are inserted and removed whole: a panic cannot leave one half-written.
        self.opening
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<RoomId, Entry>> {
        // A panic while holding this lock cannot leave the map half-written; keep serving.
        self.rooms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One room's opening under way; dropping it lets the next opening of that room go ahead.
struct Opening {
    openings: Arc<Mutex<HashMap<RoomId, Arc<tokio::sync::Mutex<()>>>>>,
    id: RoomId,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Drop for Opening {
    fn drop(&mut self) {
        self.guard.take();
        let mut openings = self
            .openings
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Only the map still holds the lock: nobody waits for it, so the entry goes (one
        // waiting holds a clone, and takes the lock next).
        if openings
            .get(&self.id)
            .is_some_and(|lock| Arc::strong_count(lock) == 1)
        {
            openings.remove(&self.id);
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use onair_shared::room::{Category, Mode};
    use onair_shared::UserId;
    use onair_testkit::redis::Redis;
    use std::time::Duration;

    fn room(id: i64) -> TicketRoom {
        TicketRoom {
            id: RoomId(id),
            title: format!("room {id}"),
            mode: Mode::Normal,
            category: Category::Singing,
            host: UserId(1),
            member_limit: 8,
            created_at: crate::clock::now_ms() / 1000,
        }
    }

    /// An opening of one room that waits on Redis (held here) holds up later openings of that
    /// room, which then find the one room actor it started, and no opening of another room.
    #[actix_rt::test]
    async fn a_slow_opening_holds_up_only_its_own_room() {
        let Some(redis) = Redis::start() else { return };
        let metrics = Arc::new(Metrics::new());
        let cluster = RedisCluster::connect(&redis.url(), "test".into(), metrics.clone())
            .await
            .expect("Redis answers");
        let admission = Arc::new(Admission::new(Some(cluster.clone()), None));
        let registry = Registry::new(
            Settings::default(),
            16,
            Reporter::disabled(),
            Some(cluster.clone()),
            metrics,
            admission,
            Heartbeat {
                every: std::time::Duration::from_secs(10),
                timeout: std::time::Duration::from_secs(30),
            },
        );
        let (a, b) = (room(1), room(2));

        // Room a's opening is under way and stuck (as on a slow Redis).
        let stuck = registry.lock_opening(a.id).await;
        let opens_of_a: Vec<_> = (0..2)
            .map(|_| {
                let (registry, a) = (registry.clone(), a.clone());
                actix_rt::spawn(async move { registry.open(&a, None).await })
            })
            .collect();

        // Room b opens meanwhile, lease and all.
        let opened = tokio::time::timeout(Duration::from_secs(5), registry.open(&b, None)).await;
        assert!(
            matches!(opened, Ok(Ok(_))),
            "room b waited for room a's opening"
        );
        assert!(registry.is_live(b.id));
        assert_eq!(
            cluster.owner(b.id).await.unwrap().as_deref(),
            Some(cluster.incarnation.as_str())
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(opens_of_a.iter().all(|open| !open.is_finished()));
        assert!(!registry.is_live(a.id));

        // Once it is done, both waiting openings of room a get the same, one room actor.
        drop(stuck);
        let mut handles = Vec::new();
        for open in opens_of_a {
            let handle = tokio::time::timeout(Duration::from_secs(5), open)
                .await
                .expect("room a opens once its earlier opening is done")
                .expect("the opening task ran")
                .unwrap_or_else(|e| panic!("room a opens: {e}"));
            handles.push(handle);
        }
        assert!(handles[0].join == handles[1].join, "room a opened twice");
        assert_eq!(registry.live_rooms(), 2);
        // Nothing is left behind for openings that are over.
        assert!(registry.openings().is_empty());
    }
}
