//! The owner's side of a room in a cluster: everything the `Room` actor does with Redis, kept
//! beside the show instead of inside it. The link
//!
//! - holds the frames for members on other instances (the outbox) until the state that
//!   explains them is written, then publishes them: a new owner never sees a frame whose
//!   change it cannot load;
//! - decides when the state is written: a change to the show at once, chat and reactions at
//!   most every [`COALESCE_SAVES`] (chat lines themselves are written through, one by one);
//! - renews the lease, rewrites the state when Redis may have lost it, and notices when another
//!   incarnation holds the lease (then the room stops without forgetting its state);
//! - reads the relays' messages, and remembers which relayed frames were applied.
//!
//! Without Redis a room has no link and none of this happens.

use super::envelope::{self, FromOwner, ToOwner};
use super::{up_channel, Inbound, Lease, RedisCluster, LEASE};
use crate::actor_messages::{ConnId, OutFrame};
use actix::prelude::*;
use onair_shared::protocol::{ChatLine, ErrorCode};
use onair_shared::{RoomId, UserId};
use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Reactions (not part of the saved state, but numbered) are written at most this often; a
/// failover may lose the last second of them, and the new owner's new epoch tells clients their
/// numbers are not comparable. Chat is written through (issue 13: a line sent just before a
/// `kill -9` was lost and its `seq` reused); the writer collapses the states of one room queued
/// together into one write, so a busy room costs one write per Redis round trip, not per line.
pub const COALESCE_SAVES: Duration = Duration::from_secs(1);

/// Relayed frame numbers remembered per connection, to apply a frame sent again only once:
/// more than a relay holds (64) or keeps to send again (32).
const APPLIED_KEPT: usize = 128;

/// What the saved state in Redis lacks: nothing, only chat and reactions (which may wait a
/// moment), or a change to the show (written through at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unsaved {
    Nothing,
    Chatter,
    Show,
}

/// The numbers of the last relayed frames applied for one connection (see `ToOwner::Frame`): a
/// frame sent again is recognised even when it comes after later ones.
#[derive(Default)]
pub struct Applied(VecDeque<u64>);

impl Applied {
    /// True the first time frame `n` comes (0: a frame that is never sent again).
    pub fn first_time(&mut self, n: u64) -> bool {
        if n == 0 {
            return true;
        }
        // Sent again after a failover, and applied already: skip.
        if self.0.contains(&n) {
            return false;
        }
        if self.0.len() == APPLIED_KEPT {
            self.0.pop_front();
        }
        self.0.push_back(n);
        true
    }
}

/// What a lease renewal found.
pub enum Renewal {
    /// Still ours; nothing to do.
    Kept,
    /// Still (or again) ours, but Redis may have lost the state: it is due to be written.
    Rewrite,
    /// Another incarnation holds the lease: stop serving the room, without forgetting it.
    Lost(String),
}

/// A renewal's answer, for [`OwnerLink::renewed`]: the lease (`None`: Redis did not answer in
/// time), and Redis's failed write batches as of before it was asked.
pub struct RenewalAnswer {
    lease: Option<redis::RedisResult<Lease>>,
    failed_before: u64,
}

pub struct OwnerLink {
    cluster: Arc<RedisCluster>,
    room: RoomId,
    /// Frames for other instances, sent after the state that explains them is written.
    outbox: Vec<Vec<u8>>,
    /// Set when another instance has taken the lease (or this one handed it over): stop
    /// without forgetting the state.
    lost_lease: bool,
    /// A lease renewal is under way.
    renewing: bool,
    /// `RedisCluster::failed_batches` as of the last state write by renewal.
    failures_seen: u64,
    unsaved: Unsaved,
    /// When the state was last written; chat and reactions are coalesced into one write at most
    /// every [`COALESCE_SAVES`].
    last_saved: Instant,
    save_timer: Option<SpawnHandle>,
}

impl OwnerLink {
    pub fn new(cluster: Arc<RedisCluster>, room: RoomId) -> OwnerLink {
        OwnerLink {
            failures_seen: cluster.failed_batches(),
            cluster,
            room,
            outbox: Vec::new(),
            lost_lease: false,
            renewing: false,
            unsaved: Unsaved::Nothing,
            last_saved: Instant::now(),
            save_timer: None,
        }
    }

    /// Routes the relays' messages for this room to `me`.
    pub fn subscribe(
        &self,
        me: Recipient<Inbound>,
    ) -> impl Future<Output = redis::RedisResult<()>> + 'static {
        let cluster = self.cluster.clone();
        let channel = up_channel(self.room);
        async move { cluster.subscribe(channel, me).await }
    }

    /// A relay's message, or `None` when it cannot be read.
    pub fn decode(&self, inbound: &Inbound) -> Option<ToOwner> {
        envelope::decode::<ToOwner>(&inbound.0).map(|(msg, _)| msg)
    }

    /// A chat line was said: written through to the room's chat list (keeping the last `keep`).
    pub fn chat_said(&self, line: &ChatLine, keep: usize) {
        let bytes = serde_json::to_vec(line).unwrap_or_default();
        self.cluster.save_chat(self.room, bytes, keep);
    }

    /// The room changed: the saved state lacks at least `what`.
    pub fn changed(&mut self, what: Unsaved) {
        self.unsaved = self.unsaved.max(what);
    }

    /// A room event for the members on other instances.
    pub fn broadcast(&mut self, frame: &OutFrame) {
        let header = FromOwner::Broadcast {
            kind: frame.kind.to_owned(),
        };
        self.outbox
            .push(envelope::encode(&header, frame.bytes.as_bytes()));
    }

    /// A frame for one connection on another instance.
    pub fn send_to(&mut self, user: UserId, conn: ConnId, frame: &OutFrame) {
        let header = FromOwner::To {
            user,
            conn,
            kind: frame.kind.to_owned(),
        };
        self.outbox
            .push(envelope::encode(&header, frame.bytes.as_bytes()));
    }

    /// A signal for one connection on another instance (its relay may drop it).
    pub fn signal(&mut self, user: UserId, conn: ConnId, frame: &[u8]) {
        let header = FromOwner::Signal { user, conn };
        self.outbox.push(envelope::encode(&header, frame));
    }

    /// Closes a connection on another instance, after sending it `error` when given.
    pub fn close(&mut self, user: UserId, conn: ConnId, error: Option<&OutFrame>) {
        if let Some(frame) = error {
            self.send_to(user, conn, frame);
        }
        let close = FromOwner::Close { user, conn };
        self.outbox.push(envelope::encode(&close, b""));
    }

    /// A relayed join the show refused.
    pub fn refused(&mut self, user: UserId, conn: ConnId, code: ErrorCode) {
        let refused = FromOwner::Refused { user, conn, code };
        self.outbox.push(envelope::encode(&refused, b""));
    }

    /// A relayed frame from a connection not seated here: either one replaced or closed (its
    /// relay has been told) or one whose relay has not re-joined it to us yet after a
    /// takeover; the relay re-joins it and sends its frames again.
    pub fn unknown(&mut self, user: UserId, conn: ConnId, n: u64) {
        let unknown = FromOwner::Unknown { user, conn, n };
        self.outbox.push(envelope::encode(&unknown, b""));
    }

    /// Writes the state when the show changed, or when chat and reactions have waited long
    /// enough (or `force`). A finished room's state is not written. `persisted` makes it.
    pub fn save(&mut self, force: bool, finished: bool, persisted: impl FnOnce() -> Vec<u8>) {
        let due = match self.unsaved {
            Unsaved::Nothing => false,
            Unsaved::Chatter => force || self.last_saved.elapsed() >= COALESCE_SAVES,
            Unsaved::Show => true,
        };
        if due && !finished {
            self.cluster.save_state(self.room, persisted());
            self.unsaved = Unsaved::Nothing;
            self.last_saved = Instant::now();
        }
    }

    /// Publishes the frames for other instances, in order; call after [`OwnerLink::save`], so
    /// the state that explains them is queued before them (one writer sends both in order).
    pub fn release(&mut self) {
        for bytes in self.outbox.drain(..) {
            self.cluster.publish_down(self.room, &bytes);
        }
    }

    /// When only chat or reactions wait to be written and no write is scheduled: how long
    /// until one is due. The caller schedules it and hands the timer to
    /// [`OwnerLink::set_save_timer`].
    pub fn save_due_in(&self) -> Option<Duration> {
        (self.unsaved == Unsaved::Chatter && self.save_timer.is_none())
            .then(|| COALESCE_SAVES.saturating_sub(self.last_saved.elapsed()))
    }

    /// The scheduled coalesced write (`None` once it ran).
    pub fn set_save_timer(&mut self, timer: Option<SpawnHandle>) {
        self.save_timer = timer;
    }

    /// Asks Redis to keep the lease, unless a renewal is under way already; hand its answer to
    /// [`OwnerLink::renewed`].
    pub fn renew(&mut self) -> Option<impl Future<Output = RenewalAnswer> + 'static> {
        if self.renewing {
            return None;
        }
        self.renewing = true;
        let cluster = self.cluster.clone();
        let room = self.room;
        let failed_before = cluster.failed_batches();
        Some(async move {
            let lease = tokio::time::timeout(LEASE, cluster.acquire(room))
                .await
                .ok();
            RenewalAnswer {
                lease,
                failed_before,
            }
        })
    }

    /// The state must be written again when Redis may have lost it: the lease had to be taken
    /// afresh (Redis restarted), or a write failed since the last renewal.
    pub fn renewed(&mut self, answer: RenewalAnswer) -> Renewal {
        self.renewing = false;
        match answer.lease {
            Some(Ok(Lease::HeldBy(owner))) => {
                self.lost_lease = true;
                Renewal::Lost(owner)
            }
            Some(Ok(lease)) => {
                if lease == Lease::Taken || answer.failed_before != self.failures_seen {
                    self.failures_seen = answer.failed_before;
                    self.unsaved = Unsaved::Show;
                    Renewal::Rewrite
                } else {
                    Renewal::Kept
                }
            }
            Some(Err(_)) | None => Renewal::Kept,
        }
    }

    /// This instance is stopping: the state (`persisted`), then the lease given up, then the
    /// word to the relays, in this order in one queue, so another instance takes the room at
    /// once. Call after the last frames were released.
    pub fn hand_over(&mut self, persisted: Vec<u8>) {
        self.cluster.save_state(self.room, persisted);
        self.cluster.release_queued(self.room);
        self.cluster
            .publish_down(self.room, &envelope::encode(&FromOwner::Leaving, b""));
        self.lost_lease = true;
    }

    /// Another incarnation holds the lease now (or this one handed it over).
    pub fn lost_lease(&self) -> bool {
        self.lost_lease
    }

    /// The room's actor stopped: no more relay messages, the last frames out, and a `finished`
    /// room's state and lease forgotten (only while the lease is still ours). One stopped
    /// otherwise (this instance is shutting down) keeps its state for the next owner, whose
    /// takeover follows once the lease runs out; nothing is spawned on a runtime going away.
    pub fn stopped(&mut self, finished: bool) {
        self.cluster.unsubscribe(up_channel(self.room));
        self.release();
        if finished && !self.lost_lease {
            // State and lease go together.
            self.cluster.forget(self.room);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A relay sends its last frames again after a failover, in any order: each is applied
    /// once; a frame numbered 0 (never sent again) always is.
    #[test]
    fn a_relayed_frame_sent_again_is_applied_once() {
        let mut applied = Applied::default();
        assert!(applied.first_time(1));
        assert!(applied.first_time(3));
        assert!(!applied.first_time(1));
        assert!(applied.first_time(2));
        assert!(!applied.first_time(3));
        assert!(applied.first_time(0));
        assert!(applied.first_time(0));
        // Only the last APPLIED_KEPT numbers are remembered: memory stays bounded.
        for n in 4..4 + APPLIED_KEPT as u64 {
            assert!(applied.first_time(n));
        }
        assert!(applied.first_time(1));
        assert!(!applied.first_time(4 + APPLIED_KEPT as u64 - 1));
    }
}
