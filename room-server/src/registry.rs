//! Which `Room` actor holds which live room on this instance.

use crate::reporter::Reporter;
use crate::room::Room;
use crate::rules::Settings;
use actix::{Actor, Addr};
use onair_shared::auth::TicketRoom;
use onair_shared::RoomId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Clone)]
pub struct Registry {
    rooms: Arc<Mutex<HashMap<RoomId, Addr<Room>>>>,
    rules: Settings,
    event_buffer: usize,
    reporter: Reporter,
}

impl Registry {
    pub fn new(rules: Settings, event_buffer: usize, reporter: Reporter) -> Registry {
        Registry {
            rooms: Arc::default(),
            rules,
            event_buffer,
            reporter,
        }
    }

    /// The room's actor, started on this thread's arbiter if the room is not live yet.
    pub fn get_or_open(&self, info: &TicketRoom) -> Addr<Room> {
        let mut rooms = self.lock();
        if let Some(addr) = rooms.get(&info.id).filter(|a| a.connected()) {
            return addr.clone();
        }
        let addr = Room::new(
            info.clone(),
            self.rules.clone(),
            self.event_buffer,
            self.clone(),
            self.reporter.clone(),
        )
        .start();
        rooms.insert(info.id, addr.clone());
        addr
    }

    /// Called by a room as it stops; a newer actor for the same room is left alone.
    pub fn remove(&self, id: RoomId, addr: &Addr<Room>) {
        let mut rooms = self.lock();
        if rooms.get(&id) == Some(addr) {
            rooms.remove(&id);
        }
    }

    pub fn live_rooms(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<RoomId, Addr<Room>>> {
        // A panic while holding this lock cannot leave the map half-written; keep serving.
        self.rooms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
