//! What the actors say to each other: a session to its room (or relay), a room to its sessions,
//! the registry to a room. These types refer to each other (a `Join` carries the session's
//! `Outlet`, a `ToSession::Rebind` carries a `RoomHandle` to join), so they live together here,
//! below every actor, and no actor module needs another to talk to it (docs/ARCHITECTURE.md,
//! "The room-server's layers").

use actix::prelude::*;
use actix_web::web::Bytes;
use bytestring::ByteString;
use onair_shared::api::ModerationKind;
use onair_shared::auth::RankedStanding;
use onair_shared::protocol::{ClientMsg, Direct, ErrorCode};
use onair_shared::UserId;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
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

    /// A room event, fanned out to members since `accepted`.
    pub fn event(bytes: ByteString, kind: &'static str, accepted: Instant) -> OutFrame {
        OutFrame {
            bytes,
            kind,
            accepted: Some(accepted),
        }
    }
}

/// A session as its room sees it: where to send, and how many bytes are waiting there (frames
/// the session has not yet passed to its socket, which stops taking them when the client does
/// not read).
#[derive(Clone)]
pub struct Outlet {
    recipient: Recipient<ToSession>,
    queued: Arc<AtomicUsize>,
    /// `crate::session::MAX_QUEUED_BYTES`.
    limit: usize,
    /// When the session last ran (unix ms, stamped by its heartbeat). A session whose socket
    /// is full is not run at all (actix stops polling it until the client reads), so its
    /// heartbeat cannot time it out: the room does, when this grows older than the timeout.
    last_ran: Arc<AtomicI64>,
    stall_after_ms: i64,
}

impl Outlet {
    /// `queued` and `last_ran` are the session's own counters; `limit` the bytes it may have
    /// waiting, `stall_after_ms` how long it may go without running.
    pub fn new(
        recipient: Recipient<ToSession>,
        queued: Arc<AtomicUsize>,
        limit: usize,
        last_ran: Arc<AtomicI64>,
        stall_after_ms: i64,
    ) -> Outlet {
        Outlet {
            recipient,
            queued,
            limit,
            last_ran,
            stall_after_ms,
        }
    }

    /// Sends a frame. False when the reader is more than its limit behind: the caller should
    /// cut it off.
    pub fn send(&self, frame: OutFrame) -> bool {
        let len = frame.bytes.len();
        let waiting = self.queued.fetch_add(len, Ordering::Relaxed) + len;
        self.recipient.do_send(ToSession::Text(frame));
        waiting <= self.limit
    }

    /// Sends a frame that may be dropped (a WebRTC signal): only while the reader has less
    /// than a quarter of its limit waiting, so someone else's signals never make a reader one
    /// to cut off; room events, which must not be dropped, can take it further. False: dropped.
    pub fn offer(&self, frame: OutFrame) -> bool {
        if self.queued.load(Ordering::Relaxed) + frame.bytes.len() > self.limit / 4 {
            return false;
        }
        self.send(frame);
        true
    }

    /// True when the session has not run for longer than the client timeout: its client
    /// stopped reading with data still owed (a vanished phone, a stuck tab), and nothing
    /// else will notice until more than its limit is owed.
    pub fn is_stalled(&self, now_ms: i64) -> bool {
        now_ms - self.last_ran.load(Ordering::Relaxed) > self.stall_after_ms
    }

    /// Close or rebind: control messages are not counted.
    pub fn control(&self, msg: ToSession) {
        self.recipient.do_send(msg);
    }
}

/// What the room sends a session.
#[derive(Message, Clone)]
#[rtype(result = "()")]
pub enum ToSession {
    Text(OutFrame),
    Close,
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
/// that owns the room. Both take the same four messages.
#[derive(Clone)]
pub struct RoomHandle {
    pub join: Recipient<Join>,
    pub frames: Recipient<FromMember>,
    pub gone: Recipient<Disconnected>,
    pub moderate: Recipient<Moderate>,
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
        RoomHandle {
            join: addr.clone().recipient(),
            frames: addr.clone().recipient(),
            gone: addr.clone().recipient(),
            moderate: addr.recipient(),
        }
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
