//! What the actors say to each other: a session to its room (or relay), a room to its sessions,
//! the registry to a room. These types refer to each other (a `Join` carries the session's
//! `Outlet`, a `ToSession::Rebind` carries a `RoomHandle` to join), so they live together here,
//! below every actor, and no actor module needs another to talk to it (docs/ARCHITECTURE.md,
//! "The room-server's layers").

use crate::outbox::{Health, Heartbeat, Outbox, Wire, MAX_QUEUED_BYTES};
use actix::prelude::*;
use actix_web::web::Bytes;
use bytestring::ByteString;
use onair_shared::api::ModerationKind;
use onair_shared::auth::RankedStanding;
use onair_shared::protocol::{ClientMsg, Direct, ErrorCode};
use onair_shared::UserId;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Instant;

/// Tells a member's newer connection from an older one that has not noticed it was replaced.
/// Unique across instances: a random high half per process, a counter below it.
pub type ConnId = u64;

/// A frame on its way to a member's connection, with what the metrics need to know of it.
#[derive(Clone)]
pub struct OutFrame {
    pub bytes: ByteString,
    /// Its `type` (one of `SERVER_MSG_TYPES`).
    pub kind: &'static str,
    /// For room events: when the room (or a relay) took the event, to time its fan-out.
    pub accepted: Option<Instant>,
}

impl OutFrame {
    /// A frame for one member (`welcome`, `signal`, `error`, a replayed event).
    pub fn direct(bytes: ByteString, kind: &'static str) -> OutFrame {
        OutFrame {
            bytes,
            kind,
            accepted: None,
        }
    }

    /// The frame as the socket takes it.
    pub fn wire(&self) -> Wire {
        Wire::text(self.bytes.as_bytes(), self.kind, self.accepted)
    }

    /// A room event, fanned out to members since `accepted`.
    pub fn event(bytes: ByteString, kind: &'static str, accepted: Instant) -> OutFrame {
        OutFrame {
            bytes,
            kind,
            accepted: Some(accepted),
        }
    }
}

/// A session as its room sees it: its outgoing queue (frames go straight there, no actor
/// message per frame) and its actor (for what only the actor can do: join another room).
#[derive(Clone)]
pub struct Outlet {
    outbox: Arc<Outbox>,
    session: Recipient<ToSession>,
}

impl Outlet {
    pub fn new(outbox: Arc<Outbox>, session: Recipient<ToSession>) -> Outlet {
        Outlet { outbox, session }
    }

    /// Sends a frame. False when the reader is more than [`MAX_QUEUED_BYTES`] behind: the
    /// caller should cut it off.
    pub fn send(&self, frame: OutFrame) -> bool {
        self.send_wire(frame.wire())
    }

    /// Sends a frame already encoded for the socket (a room event, encoded once for all).
    pub fn send_wire(&self, wire: Wire) -> bool {
        self.outbox.push(wire) <= MAX_QUEUED_BYTES
    }

    /// Sends a frame that may be dropped (a WebRTC signal): only while the reader has less
    /// than a quarter of its limit waiting, so someone else's signals never make a reader one
    /// to cut off; room events, which must not be dropped, can take it further. False: dropped.
    pub fn offer(&self, frame: OutFrame) -> bool {
        if self.outbox.waiting() + frame.bytes.len() > MAX_QUEUED_BYTES / 4 {
            return false;
        }
        self.send(frame);
        true
    }

    /// The room's periodic look at the connection (pings, silence, stalls).
    pub fn tick(&self, now_ms: i64, heartbeat: Heartbeat) -> Health {
        self.outbox.tick(
            now_ms,
            heartbeat.every.as_millis() as i64,
            heartbeat.timeout.as_millis() as i64,
        )
    }

    /// Closes the connection after the frames sent so far.
    pub fn close(&self) {
        self.outbox.close();
    }

    /// Gives up on a reader that stopped reading (see [`Outbox::abandon`]).
    pub fn abandon(&self) {
        self.outbox.abandon();
    }

    /// The room moved to another actor (see [`ToSession::Rebind`]).
    pub fn rebind(&self, room: RoomHandle, replay: Vec<ClientMsg>) {
        self.session.do_send(ToSession::Rebind(room, replay));
    }
}

/// What a room asks of a session's actor (frames and closing go through its [`Outbox`]).
#[derive(Message, Clone)]
#[rtype(result = "()")]
pub enum ToSession {
    /// The room moved to another actor (this instance took it over): join it there, then
    /// send it these frames (held while the room had no owner), in order.
    Rebind(RoomHandle, Vec<ClientMsg>),
}

/// A member's connection asks for a seat.
#[derive(Message)]
#[rtype(result = "Result<(), ErrorCode>")]
pub struct Join {
    pub user: UserId,
    pub name: String,
    /// What the member's ticket says about the ranking (ranked rooms).
    pub standing: Option<RankedStanding>,
    pub conn: ConnId,
    pub session: Outlet,
}

/// A moderation event from the api-server (every instance polls them): a ban closes the
/// member's connection here and, in the owner, takes their seat; a close ends the room.
#[derive(Message, Clone)]
#[rtype(result = "()")]
pub struct Moderate(pub ModerationKind);

/// This instance is stopping (SIGTERM): write the state, give the lease up and tell the relays,
/// so another instance takes the room over at once instead of after the lease runs out.
#[derive(Message)]
#[rtype(result = "()")]
pub struct HandOver;

/// A frame from a member, already parsed and rate-limited by the session.
#[derive(Message)]
#[rtype(result = "()")]
pub struct FromMember {
    pub user: UserId,
    pub conn: ConnId,
    pub msg: ClientMsg,
}

/// The connection closed (not a `leave`: the seat is kept for the grace period).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Disconnected {
    pub user: UserId,
    pub conn: ConnId,
}

/// What a session talks to: the room's own actor on this instance, or a relay to the instance
/// that owns the room. Both take the same four messages. Shared by the room's sessions (one
/// allocation per room, not four per connection).
#[derive(Clone)]
pub struct RoomHandle(Arc<RoomRecipients>);

pub struct RoomRecipients {
    pub join: Recipient<Join>,
    pub frames: Recipient<FromMember>,
    pub gone: Recipient<Disconnected>,
    pub moderate: Recipient<Moderate>,
}

impl Deref for RoomHandle {
    type Target = RoomRecipients;

    fn deref(&self) -> &RoomRecipients {
        &self.0
    }
}

impl RoomHandle {
    pub fn new<A>(addr: Addr<A>) -> RoomHandle
    where
        A: Actor<Context = Context<A>>
            + Handler<Join>
            + Handler<FromMember>
            + Handler<Disconnected>
            + Handler<Moderate>,
    {
        RoomHandle(Arc::new(RoomRecipients {
            join: addr.clone().recipient(),
            frames: addr.clone().recipient(),
            gone: addr.clone().recipient(),
            moderate: addr.recipient(),
        }))
    }

    pub fn is_alive(&self) -> bool {
        self.join.connected()
    }
}

pub fn encode<T: serde::Serialize>(value: &T) -> ByteString {
    // Serialising our own types cannot fail: no maps with non-string keys, no custom impls.
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    ByteString::try_from(Bytes::from(bytes)).unwrap_or_default()
}

pub fn error_frame(code: ErrorCode) -> ByteString {
    encode(&Direct::Error {
        code,
        message: crate::error_text::error_message(code).to_owned(),
    })
}
