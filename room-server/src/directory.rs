//! What a room or relay actor needs of the registry that runs it: to leave its entry when it
//! stops, to mark its room ended, and (a relay that took the lease) to have the room started
//! here. The registry starts rooms and relays, so it knows them; they know it only through
//! this trait, which keeps the modules in layers (docs/ARCHITECTURE.md, "The room-server's
//! layers").

use crate::actor_messages::RoomHandle;
use crate::admission::Refusal;
use onair_shared::auth::TicketRoom;
use onair_shared::RoomId;
use std::future::Future;
use std::pin::Pin;

/// The room started from its saved state, as [`Directory::promote`] answers.
pub type Promotion = Pin<Box<dyn Future<Output = Result<RoomHandle, Refusal>>>>;

pub trait Directory: 'static {
    /// Called by a room or relay as it stops; a newer actor for the same room is left alone.
    fn remove(&self, id: RoomId, generation: u64);

    /// The room ended on this instance: it stays ended here and, in a cluster, everywhere.
    fn mark_ended(&self, id: RoomId);

    /// A relay that has taken the lease becomes the room: resume from the saved state.
    fn promote(&self, info: TicketRoom, request_id: Option<String>) -> Promotion;
}

/// The span a room (or its relay) logs under.
pub fn room_span(role: &'static str, room: RoomId, request_id: Option<&str>) -> tracing::Span {
    let span = tracing::info_span!("room", room = %room, role, request_id = tracing::field::Empty);
    if let Some(id) = request_id {
        span.record("request_id", id);
    }
    span
}
