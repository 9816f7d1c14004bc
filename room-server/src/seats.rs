//! The members' connections of a room or of a relay: which connection holds each member's
//! seat, sending to them, cutting off a reader that stopped reading, closing. `Room` and
//! `Relay` both keep their members here, so a slow or stalled reader is treated the same way
//! wherever the member is connected.

use crate::actor_messages::{ConnId, OutFrame, Outlet};
use crate::metrics::{CutOff, Metrics};
use crate::outbox::{Health, Heartbeat};
use onair_shared::protocol::ErrorCode;
use onair_shared::UserId;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// How often a room or relay looks at its connections (pings, silent clients, stalled readers),
/// at most: more often when the heartbeat is shorter.
const TICK_AT_MOST_EVERY: Duration = Duration::from_secs(1);

/// Where a member's connection is.
pub enum Target {
    Local(Outlet),
    /// On another instance, reached through its relay (only a room's owner has these).
    Remote,
}

/// One member's connection, with what its room or relay keeps of it besides (`T`).
pub struct Seat<T> {
    pub conn: ConnId,
    pub target: Target,
    pub extra: T,
}

impl<T> Seat<T> {
    /// The session, when it is on this instance.
    pub fn outlet(&self) -> Option<&Outlet> {
        match &self.target {
            Target::Local(outlet) => Some(outlet),
            Target::Remote => None,
        }
    }
}

/// What became of a frame for one member.
pub enum Sent {
    /// Handed to the member's session here, or there is no such member.
    Done,
    /// Handed over, but the reader is too far behind: cut it off.
    Lagging,
    /// The member is connected to another instance: the caller forwards the frame.
    Remote(ConnId, OutFrame),
}

pub struct Seats<T> {
    seats: HashMap<UserId, Seat<T>>,
    metrics: Arc<Metrics>,
    heartbeat: Heartbeat,
}

impl<T> Seats<T> {
    pub fn new(metrics: Arc<Metrics>, heartbeat: Heartbeat) -> Seats<T> {
        Seats {
            seats: HashMap::new(),
            metrics,
            heartbeat,
        }
    }

    /// How often the owner of these seats should call [`Seats::tick`].
    pub fn tick_every(&self) -> Duration {
        TICK_AT_MOST_EVERY.min(self.heartbeat.every)
    }

    pub fn get(&self, user: UserId) -> Option<&Seat<T>> {
        self.seats.get(&user)
    }

    /// The member's seat if `conn` still holds it (not replaced, kicked or gone).
    pub fn current(&self, user: UserId, conn: ConnId) -> Option<&Seat<T>> {
        self.seats.get(&user).filter(|s| s.conn == conn)
    }

    pub fn current_mut(&mut self, user: UserId, conn: ConnId) -> Option<&mut Seat<T>> {
        self.seats.get_mut(&user).filter(|s| s.conn == conn)
    }

    pub fn is_current(&self, user: UserId, conn: ConnId) -> bool {
        self.current(user, conn).is_some()
    }

    pub fn contains(&self, user: UserId) -> bool {
        self.seats.contains_key(&user)
    }

    /// Seats a connection; returns the seat it replaces.
    pub fn insert(&mut self, user: UserId, seat: Seat<T>) -> Option<Seat<T>> {
        self.seats.insert(user, seat)
    }

    pub fn remove(&mut self, user: UserId) -> Option<Seat<T>> {
        self.seats.remove(&user)
    }

    /// Removes the member's seat if `conn` still holds it.
    pub fn remove_current(&mut self, user: UserId, conn: ConnId) -> Option<Seat<T>> {
        if self.is_current(user, conn) {
            self.seats.remove(&user)
        } else {
            None
        }
    }

    /// Empties the room: every seat, to close.
    pub fn take_all(&mut self) -> Vec<(UserId, Seat<T>)> {
        std::mem::take(&mut self.seats).into_iter().collect()
    }

    pub fn len(&self) -> usize {
        self.seats.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seats.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (UserId, &Seat<T>)> {
        self.seats.iter().map(|(&user, seat)| (user, seat))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (UserId, &mut Seat<T>)> {
        self.seats.iter_mut().map(|(&user, seat)| (user, seat))
    }

    /// Sends a frame to one member.
    pub fn send_to(&self, user: UserId, frame: OutFrame) -> Sent {
        match self.seats.get(&user) {
            Some(Seat {
                target: Target::Local(outlet),
                ..
            }) => {
                if outlet.send(frame) {
                    Sent::Done
                } else {
                    Sent::Lagging
                }
            }
            Some(Seat {
                conn,
                target: Target::Remote,
                ..
            }) => Sent::Remote(*conn, frame),
            None => Sent::Done,
        }
    }

    /// Sends a room event to every member here whose seat `wants` it (encoded for the socket
    /// once, for all of them). Returns the readers now too far behind (to cut off), and whether
    /// any seat is on another instance.
    pub fn broadcast(&self, frame: &OutFrame, wants: impl Fn(&T) -> bool) -> (Vec<UserId>, bool) {
        let mut lagging = Vec::new();
        let mut any_remote = false;
        let wire = frame.wire();
        for (&user, seat) in &self.seats {
            match &seat.target {
                Target::Local(outlet) => {
                    if wants(&seat.extra) && !outlet.send_wire(wire.clone()) {
                        lagging.push(user);
                    }
                }
                Target::Remote => any_remote = true,
            }
        }
        (lagging, any_remote)
    }

    /// Pings the connections here when due, closes those silent past the timeout (their
    /// sessions then say they are gone, as for any dropped connection), and returns the readers
    /// that stopped reading with frames owed, to cut off: their sessions may never run again to
    /// notice anything.
    pub fn tick(&self, now_ms: i64) -> Vec<UserId> {
        let mut stalled = Vec::new();
        for (&user, seat) in &self.seats {
            let Some(outlet) = seat.outlet() else {
                continue;
            };
            match outlet.tick(now_ms, self.heartbeat) {
                Health::Fine => {}
                Health::Stalled => stalled.push(user),
                Health::Silent => {
                    tracing::debug!("user {user} went silent: closing");
                    outlet.close();
                }
            }
        }
        stalled
    }

    /// Drops a reader that stopped reading: logged, counted, its session closed. Returns the
    /// seat, so the caller tells the rest (the show, or the owner) that it went offline; its
    /// seat in the show is kept, as for any dropped connection.
    pub fn cut_off(&mut self, user: UserId, span: &tracing::Span) -> Option<Seat<T>> {
        let seat = self.seats.remove(&user)?;
        tracing::warn!(parent: span, "cutting off user {user}: it stopped reading");
        self.metrics.cut_off(CutOff::SlowReader);
        if let Some(outlet) = seat.outlet() {
            outlet.abandon();
        }
        Some(seat)
    }

    /// Closes a seat's connection here, after telling it why when `code` is given. A seat on
    /// another instance is closed through its relay: its connection is returned for that.
    pub fn close(&self, seat: &Seat<T>, code: Option<ErrorCode>) -> Option<ConnId> {
        match &seat.target {
            Target::Local(outlet) => {
                if let Some(code) = code {
                    outlet.send(self.metrics.error_frame(code));
                }
                outlet.close();
                None
            }
            Target::Remote => Some(seat.conn),
        }
    }
}
