//! Running as one of many room-server instances (docs/ARCHITECTURE.md, "The cluster").
//!
//! Each live room has exactly one owner in the cluster: the instance holding the room's lease
//! in Redis runs its `Room` actor. Other instances with members of that room run a `Relay`
//! (see `crate::relay`) that forwards their members' frames to the owner and the owner's frames
//! back to them, over two pub/sub channels per room. The owner writes the room's state (with its
//! `seq`) to Redis after every change, so when it dies another instance takes the lease, loads
//! the state and carries on. Without Redis none of this exists and rooms are plain local actors.

pub mod envelope;
pub mod owner_link;
mod redis;

pub use envelope::{FromOwner, ToOwner};
pub use redis::{Inbound, Lease, RedisCluster, LEASE, RENEW_EVERY};

use onair_shared::RoomId;

/// The lease: which incarnation (instance name and a per-process random part) owns the
/// room. Renewed while the owner lives.
pub fn owner_key(room: RoomId) -> String {
    format!("onair:room:{room}:owner")
}

/// The owner's last written state of the room.
pub fn state_key(room: RoomId) -> String {
    format!("onair:room:{room}:state")
}

/// The room's last chat lines, appended one by one as they are said (written through at the
/// cost of a line, not of the whole state); newer than the chat in the saved state.
pub fn chat_key(room: RoomId) -> String {
    format!("onair:room:{room}:chat")
}

/// Set when a room ends (closed, or its show over and everyone gone), so that no instance
/// opens it again, whatever ticket is presented.
pub fn ended_key(room: RoomId) -> String {
    format!("onair:room:{room}:ended")
}

/// A room ticket's `jti`, remembered until the ticket expires: a ticket opens one socket.
pub fn ticket_key(jti: &str) -> String {
    format!("onair:ticket:{jti}")
}

/// Relays -> owner: members' joins, frames and disconnects.
pub fn up_channel(room: RoomId) -> String {
    format!("onair:room:{room}:up")
}

/// Owner -> relays: room events and frames for single connections.
pub fn down_channel(room: RoomId) -> String {
    format!("onair:room:{room}:down")
}
