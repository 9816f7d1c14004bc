//! The `Room` actor: the single authority over one live room. It wraps the pure rules engine,
//! owns membership (which connection speaks for which member), stamps every event with the
//! next `seq`, serialises it once and hands the same bytes to every session, and runs the
//! engine's clock (scoring deadline, reconnect grace).
//!
//! In a cluster the room's owner also serves members connected to other instances (through
//! their relays, over Redis), writes its state to Redis after every change, and keeps its lease.

use crate::cluster::{self, FromOwner, Inbound, RedisCluster, ToOwner};
use crate::metrics::{CutOff, Metrics, RoomRole};
use crate::registry::Registry;
use crate::reporter::Reporter;
use crate::rules::{RankedRound, Settings, Show};
use crate::session::{ConnId, OutFrame, Outlet, ToSession};
use actix::prelude::*;
use actix_web::web::Bytes;
use bytestring::ByteString;
use onair_shared::api::{ModerationKind, RoomStatusReport};
use onair_shared::auth::RankedStanding;
use onair_shared::protocol::{ClientMsg, Direct, ErrorCode, Event, EventKind, Phase};
use onair_shared::room::RoomStatus;
use onair_shared::UserId;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// Where a member's connection is.
enum Target {
    Local(Outlet),
    /// On another instance, reached through its relay.
    Remote,
}

struct Conn {
    id: ConnId,
    target: Target,
    /// The numbers of the last relayed frames applied (see `ToOwner::Frame`): a frame sent
    /// again is recognised even when it comes after later ones.
    applied: VecDeque<u64>,
}

/// What the owner writes to Redis, and a new owner reads back after a failover.
///
/// Not the buffer of recent events: after a takeover every member gets a fresh `welcome`
/// (relayed members are re-joined, the others reconnect), so nobody can ask the new owner to
/// replay an event from before it. Leaving it out keeps each write to the size of the show
/// (the buffer was ~100 KB a room, written after every chat line).
#[derive(Serialize, Deserialize)]
pub struct PersistedRoom {
    /// The room's chat list, read beside the state (`None`: not saved); newer than `show`'s.
    #[serde(skip)]
    pub chat: Option<Vec<onair_shared::protocol::ChatLine>>,
    /// The snapshot's format, [`SNAPSHOT_VERSION`]; absent (0) in snapshots written before it
    /// existed, which have the same fields as version 1.
    #[serde(default)]
    pub version: u32,
    show: Show,
    seq: u64,
    /// Every ranked round of this room; a new owner sends them all again (the api-server
    /// records each once), so none is lost between a round closing and its delivery.
    ranked: Vec<RankedRound>,
    /// The request id the room was opened under; a new owner keeps logging under it.
    #[serde(default)]
    request_id: Option<String>,
}

/// The format of the room snapshot this build writes. A change to [`PersistedRoom`] (or to
/// what it contains) that an older build could not read bumps it; a build that finds a newer
/// version than its own does not take the room (see `Registry::load`), so during a rolling
/// deploy the show waits for an upgraded instance instead of starting afresh.
pub const SNAPSHOT_VERSION: u32 = 1;

/// Just the version of a saved snapshot, read before the rest.
#[derive(Deserialize)]
pub struct SnapshotVersion {
    #[serde(default)]
    pub version: u32,
}

/// [`PersistedRoom`] borrowed from a live room: the same JSON, written without copying the
/// room first (the owner writes it after every change to the show).
#[derive(Serialize)]
struct PersistedRoomRef<'a> {
    version: u32,
    show: &'a Show,
    seq: u64,
    ranked: &'a [RankedRound],
    request_id: &'a Option<String>,
}

pub struct Room {
    show: Show,
    seq: u64,
    /// Names this actor's run of `seq` numbers: drawn afresh whenever a room starts, so also
    /// after every takeover from the saved state, where events the old owner sent after its
    /// last write may be lost and their numbers given to other events.
    epoch: String,
    /// The last events as sent (with their type), for `resync`.
    recent: VecDeque<(u64, &'static str, ByteString)>,
    recent_cap: usize,
    conns: HashMap<UserId, Conn>,
    timer: Option<(i64, SpawnHandle)>,
    registry: Registry,
    /// This room's entry in the registry.
    generation: u64,
    reporter: Reporter,
    /// The status last reported, so an unchanged one is not sent again.
    reported: Option<RoomStatusReport>,
    cluster: Option<Arc<RedisCluster>>,
    ranked: Vec<RankedRound>,
    /// Frames for other instances, sent after the state that explains them is written.
    outbox: Vec<Vec<u8>>,
    /// Signal bytes each member may still send each other member (sender, target).
    signal_budgets: HashMap<(UserId, UserId), crate::rate_limit::TokenBucket>,
    /// Set when another instance has taken the lease (or this one handed it over): stop
    /// without forgetting the state.
    lost_lease: bool,
    /// A lease renewal is under way.
    renewing: bool,
    /// `RedisCluster::failed_batches` as of the last state write by renewal.
    failures_seen: u64,
    /// What the saved state in Redis lacks: nothing, only chat and reactions (which may wait a
    /// moment), or a change to the show (written through at once).
    unsaved: Unsaved,
    /// When the state was last written; chat and reactions are coalesced into one write at most
    /// every [`COALESCE_SAVES`].
    last_saved: std::time::Instant,
    save_timer: Option<SpawnHandle>,
    metrics: Arc<Metrics>,
    /// The members counted in the `onair_room_members` gauge for this room.
    members_counted: usize,
    /// The id of the REST request whose ticket opened the room (see `TicketClaims::rid`).
    request_id: Option<String>,
    /// `room{room request_id}`: what the room logs goes under it.
    span: tracing::Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Unsaved {
    Nothing,
    Chatter,
    Show,
}

/// Reactions (not part of the saved state, but numbered) are written at most this often; a
/// failover may lose the last second of them, and the new owner's new epoch tells clients their
/// numbers are not comparable. Chat is written through (issue 13: a line sent just before a
/// `kill -9` was lost and its `seq` reused); the writer collapses the states of one room queued
/// together into one write, so a busy room costs one write per Redis round trip, not per line.
const COALESCE_SAVES: Duration = Duration::from_secs(1);

/// Relayed frame numbers remembered per connection, to apply a frame sent again only once:
/// more than a relay holds (64) or keeps to send again (32).
const APPLIED_KEPT: usize = 128;

/// Signal bytes one member may send one other member each second, and saved up: far above a
/// video call's setup (a few offers, answers and ICE candidates of a few KiB), far below what
/// would make a reader on a slow link fall behind.
/// How often the room looks for sessions that stopped running (see `Outlet::is_stalled`).
pub const STALL_CHECK_EVERY: Duration = Duration::from_secs(1);
const SIGNAL_BYTES_PER_SEC: usize = 32 * 1024;
const SIGNAL_BYTES_BURST: usize = 128 * 1024;

pub struct RoomSetup {
    pub registry: Registry,
    pub generation: u64,
    pub reporter: Reporter,
    pub cluster: Option<Arc<RedisCluster>>,
    pub rules: Settings,
    pub event_buffer: usize,
    /// The request id of the ticket that opens the room.
    pub request_id: Option<String>,
}

/// The span a room (or its relay) logs under.
pub fn room_span(
    role: &'static str,
    room: onair_shared::RoomId,
    request_id: Option<&str>,
) -> tracing::Span {
    let span = tracing::info_span!("room", room = %room, role, request_id = tracing::field::Empty);
    if let Some(id) = request_id {
        span.record("request_id", id);
    }
    span
}

impl Room {
    pub fn new(info: onair_shared::auth::TicketRoom, setup: RoomSetup) -> Room {
        let metrics = setup.registry.metrics().clone();
        let span = room_span("owner", info.id, setup.request_id.as_deref());
        let failures_seen = setup.cluster.as_ref().map_or(0, |c| c.failed_batches());
        Room {
            show: Show::new(info, setup.rules),
            seq: 0,
            epoch: format!("{:012x}", rand::random::<u64>() >> 16),
            recent: VecDeque::new(),
            recent_cap: setup.event_buffer.max(1),
            conns: HashMap::new(),
            timer: None,
            registry: setup.registry,
            generation: setup.generation,
            reporter: setup.reporter,
            reported: None,
            cluster: setup.cluster,
            ranked: Vec::new(),
            outbox: Vec::new(),
            signal_budgets: HashMap::new(),
            lost_lease: false,
            renewing: false,
            failures_seen,
            unsaved: Unsaved::Nothing,
            last_saved: std::time::Instant::now(),
            save_timer: None,
            metrics,
            members_counted: 0,
            request_id: setup.request_id,
            span,
        }
    }

    /// Carries on a room whose owner died: every member must reconnect, so all start offline
    /// (with a fresh grace period), and ranked rounds are sent again.
    pub fn resume(saved: PersistedRoom, mut setup: RoomSetup) -> Room {
        let mut show = saved.show;
        show.set_settings(setup.rules.clone());
        if let Some(chat) = saved.chat {
            show.restore_chat(chat);
        }
        setup.request_id = saved.request_id.or(setup.request_id);
        let mut room = Room::new(show.info().clone(), setup);
        room.show = show;
        room.seq = saved.seq;
        room.ranked = saved.ranked;
        for round in &room.ranked {
            room.reporter
                .record(room.show.info().id, room.request_id.clone(), round.clone());
        }
        let now = crate::clock::now_ms();
        let events: Vec<EventKind> = room
            .show
            .member_ids()
            .into_iter()
            .flat_map(|u| room.show.disconnect(u, now))
            .collect();
        room.publish(events);
        room
    }

    /// Stamps, serialises once, buffers and fans out each event, in order. A local reader that
    /// has fallen too far behind is cut off (its seat is kept, as for any dropped connection).
    fn publish(&mut self, events: Vec<EventKind>) {
        let accepted = Instant::now();
        let mut queue: VecDeque<EventKind> = events.into();
        while let Some(kind) = queue.pop_front() {
            let type_name = kind.type_name();
            // Chat is written through as the line alone, to the room's chat list (a whole
            // state per line was too dear: two-instance fan-out p99 1.8 s instead of 32 ms);
            // the state itself follows within a second. Reactions are not saved (their `seq`
            // is covered by the epoch).
            let weight = match &kind {
                EventKind::Chat { line } => {
                    if let Some(cluster) = &self.cluster {
                        let bytes = serde_json::to_vec(line).unwrap_or_default();
                        cluster.save_chat(self.show.info().id, bytes, self.show.chat_history());
                    }
                    Unsaved::Chatter
                }
                EventKind::Reaction { .. } => Unsaved::Chatter,
                _ => Unsaved::Show,
            };
            self.unsaved = self.unsaved.max(weight);
            self.seq += 1;
            let frame = encode(&Event {
                seq: self.seq,
                kind,
            });
            if self.recent.len() == self.recent_cap {
                self.recent.pop_front();
            }
            self.recent.push_back((self.seq, type_name, frame.clone()));
            let mut lagging = Vec::new();
            let mut any_remote = false;
            let out = OutFrame::event(frame, type_name, accepted);
            for (&user, conn) in &self.conns {
                match &conn.target {
                    Target::Local(outlet) => {
                        if !outlet.send(out.clone()) {
                            lagging.push(user);
                        }
                    }
                    Target::Remote => any_remote = true,
                }
            }
            if any_remote {
                let header = FromOwner::Broadcast {
                    kind: type_name.to_owned(),
                };
                self.outbox
                    .push(cluster::envelope::encode(&header, out.bytes.as_bytes()));
            }
            for user in lagging {
                queue.extend(self.cut_off(user));
            }
        }
    }

    /// Drops a reader that stopped reading; returns the events that follow (it goes offline).
    fn cut_off(&mut self, user: UserId) -> Vec<EventKind> {
        let Some(conn) = self.conns.remove(&user) else {
            return vec![];
        };
        tracing::warn!(parent: &self.span, "cutting off user {user}: it stopped reading");
        self.metrics.cut_off(CutOff::SlowReader);
        self.close(user, conn, None);
        self.show.disconnect(user, crate::clock::now_ms())
    }

    fn send_to(&mut self, user: UserId, frame: OutFrame) {
        let lagging = match self.conns.get(&user) {
            Some(Conn {
                target: Target::Local(outlet),
                ..
            }) => !outlet.send(frame),
            Some(Conn {
                id,
                target: Target::Remote,
                ..
            }) => {
                let header = FromOwner::To {
                    user,
                    conn: *id,
                    kind: frame.kind.to_owned(),
                };
                self.outbox
                    .push(cluster::envelope::encode(&header, frame.bytes.as_bytes()));
                false
            }
            None => false,
        };
        if lagging {
            let events = self.cut_off(user);
            self.publish(events);
        }
    }

    /// Cuts off local readers whose sessions have not run for longer than the client timeout.
    fn cut_off_stalled(&mut self) {
        let now = crate::clock::now_ms();
        let stalled: Vec<UserId> = self
            .conns
            .iter()
            .filter(|(_, c)| matches!(&c.target, Target::Local(o) if o.is_stalled(now)))
            .map(|(&user, _)| user)
            .collect();
        for user in stalled {
            let events = self.cut_off(user);
            self.publish(events);
        }
    }

    /// Closes a connection, after telling it why when `code` is given.
    fn close(&mut self, user: UserId, conn: Conn, code: Option<ErrorCode>) {
        match conn.target {
            Target::Local(outlet) => {
                if let Some(code) = code {
                    outlet.send(self.metrics.error_frame(code));
                }
                outlet.control(ToSession::Close);
            }
            Target::Remote => {
                if let Some(code) = code {
                    let frame = self.metrics.error_frame(code);
                    let to = FromOwner::To {
                        user,
                        conn: conn.id,
                        kind: frame.kind.to_owned(),
                    };
                    self.outbox
                        .push(cluster::envelope::encode(&to, frame.bytes.as_bytes()));
                }
                let close = FromOwner::Close {
                    user,
                    conn: conn.id,
                };
                self.outbox.push(cluster::envelope::encode(&close, b""));
            }
        }
    }

    fn welcome(&self, user: UserId) -> OutFrame {
        let welcome = encode(&Direct::Welcome {
            you: user,
            seq: self.seq,
            epoch: self.epoch.clone(),
            room: self.show.snapshot(),
        });
        OutFrame::direct(welcome, "welcome")
    }

    /// Sends the events after `since`, or a fresh `welcome` when they are no longer buffered
    /// or the client's `seq` belongs to another epoch (another owner's numbering).
    fn resync(&mut self, user: UserId, since: u64, epoch: Option<&str>) {
        let oldest = self.recent.front().map_or(self.seq + 1, |(s, _, _)| *s);
        let other_epoch = epoch.is_some_and(|e| e != self.epoch);
        if other_epoch || since > self.seq || since + 1 < oldest {
            let welcome = self.welcome(user);
            self.send_to(user, welcome);
            return;
        }
        let frames: Vec<OutFrame> = self
            .recent
            .iter()
            .filter(|(s, _, _)| *s > since)
            .map(|(_, kind, f)| OutFrame::direct(f.clone(), kind))
            .collect();
        for frame in frames {
            self.send_to(user, frame);
        }
    }

    fn join(
        &mut self,
        user: UserId,
        name: &str,
        standing: Option<RankedStanding>,
        conn: Conn,
    ) -> Result<(), ErrorCode> {
        let events = self
            .show
            .join(user, name, standing, crate::clock::now_ms())?;
        // One connection per member: the newest wins, the older one is told why it closes. The
        // same connection joining again (a relay re-joining its members for a new owner
        // incarnation) just gets a fresh welcome.
        let mut conn = conn;
        if let Some(old) = self.conns.remove(&user) {
            if old.id != conn.id {
                self.close(user, old, Some(ErrorCode::Replaced));
            } else {
                conn.applied = old.applied;
            }
        }
        // Others learn of the join as events; the joiner gets it inside the welcome snapshot.
        self.publish(events);
        self.conns.insert(user, conn);
        let welcome = self.welcome(user);
        self.send_to(user, welcome);
        Ok(())
    }

    fn is_current(&self, user: UserId, conn: ConnId) -> bool {
        self.conns.get(&user).map(|c| c.id) == Some(conn)
    }

    fn handle_command(&mut self, user: UserId, msg: ClientMsg) -> Result<(), ErrorCode> {
        let now = crate::clock::now_ms();
        let events = match msg {
            ClientMsg::Chat { text } => self.show.chat(user, &text, now)?,
            ClientMsg::React { kind } => self.show.react(user, kind)?,
            ClientMsg::Start { first } => self.show.start(user, first)?,
            ClientMsg::EndPerformance => self.show.end_performance(user, now)?,
            ClientMsg::Nominate { user: target } => self.show.nominate(user, target)?,
            ClientMsg::Score { round, value } => self.show.score(user, round, value, now)?,
            ClientMsg::EndShow => self.show.end_show(user, now)?,
            ClientMsg::Kick { user: target } => {
                let events = self.show.kick(user, target, now)?;
                if let Some(conn) = self.conns.remove(&target) {
                    self.close(target, conn, Some(ErrorCode::Kicked));
                }
                events
            }
            ClientMsg::Leave => {
                let events = self.show.leave(user, now)?;
                if let Some(conn) = self.conns.remove(&user) {
                    self.close(user, conn, None);
                }
                events
            }
            ClientMsg::Resync { since, epoch } => {
                self.resync(user, since, epoch.as_deref());
                return Ok(());
            }
            ClientMsg::MediaSet { url } => self.show.media_set(user, &url, now)?,
            ClientMsg::MediaPlay { position_ms } => self.show.media_play(user, position_ms, now)?,
            ClientMsg::MediaPause => self.show.media_pause(user, now)?,
            ClientMsg::MediaSeek { position_ms } => self.show.media_seek(user, position_ms, now)?,
            ClientMsg::MediaClear => self.show.media_clear(user, now)?,
            ClientMsg::MediaError { reason } => self.show.media_error(user, reason)?,
            // Answered by the session itself, which never sends it here.
            ClientMsg::TimeSync { .. } => return Ok(()),
            ClientMsg::Signal { to, data } => {
                // Only to another member of this same room who is connected.
                if to == user || !self.conns.contains_key(&to) {
                    return Err(ErrorCode::NotAMember);
                }
                let frame = encode(&Direct::Signal { from: user, data });
                return self.send_signal(user, to, frame);
            }
        };
        self.publish(events);
        Ok(())
    }

    /// A signal is the one frame that may be dropped, so one member's signals can never make
    /// another a slow reader to be cut off: each pair has a byte budget, and a target whose
    /// queue is already long gets none; the sender is told `rate_limited` instead.
    fn send_signal(
        &mut self,
        from: UserId,
        to: UserId,
        frame: ByteString,
    ) -> Result<(), ErrorCode> {
        let now = std::time::Instant::now();
        let budget = self.signal_budgets.entry((from, to)).or_insert_with(|| {
            crate::rate_limit::TokenBucket::new(
                SIGNAL_BYTES_PER_SEC as f64,
                SIGNAL_BYTES_BURST as f64,
                now,
            )
        });
        if !budget.take_n(frame.len() as f64, now) {
            return Err(ErrorCode::RateLimited);
        }
        let (id, target) = match self.conns.get(&to) {
            Some(conn) => (conn.id, &conn.target),
            None => return Err(ErrorCode::NotAMember),
        };
        match target {
            Target::Local(outlet) => {
                if !outlet.offer(OutFrame::direct(frame, "signal")) {
                    return Err(ErrorCode::RateLimited);
                }
            }
            Target::Remote => {
                // The relay drops it if its session's queue is long (see `crate::relay`).
                let header = FromOwner::Signal { user: to, conn: id };
                self.outbox
                    .push(cluster::envelope::encode(&header, frame.as_bytes()));
            }
        }
        Ok(())
    }

    /// Takes a banned member's seat (in the owner) and closes their connection here.
    fn on_moderation(&mut self, kind: ModerationKind) {
        let now = crate::clock::now_ms();
        match kind {
            ModerationKind::Banned { user } => {
                if let Some(conn) = self.conns.remove(&user) {
                    self.close(user, conn, Some(ErrorCode::Banned));
                }
                let events = self.show.ban(user, now);
                self.publish(events);
            }
            ModerationKind::RoomClosed { room, reason } if room == self.show.info().id => {
                let events = self.show.close(reason, now);
                self.publish(events);
            }
            ModerationKind::RoomClosed { .. } | ModerationKind::Unbanned { .. } => {}
        }
    }

    fn on_frame(&mut self, user: UserId, conn: ConnId, msg: ClientMsg) {
        // A replaced or kicked connection may still have frames in flight: ignore them.
        if !self.is_current(user, conn) {
            return;
        }
        if let Err(code) = self.handle_command(user, msg) {
            let frame = self.metrics.error_frame(code);
            self.send_to(user, frame);
        }
    }

    fn on_gone(&mut self, user: UserId, conn: ConnId) {
        if !self.is_current(user, conn) {
            return;
        }
        self.conns.remove(&user);
        let events = self.show.disconnect(user, crate::clock::now_ms());
        self.publish(events);
    }

    /// Sleeps until the engine next has something to do (deadline, grace expiry).
    fn reschedule(&mut self, ctx: &mut Context<Self>) {
        let next = self.show.next_wakeup();
        if self.timer.as_ref().map(|(at, _)| *at) == next {
            return;
        }
        if let Some((_, handle)) = self.timer.take() {
            ctx.cancel_future(handle);
        }
        if let Some(at) = next {
            let delay = (at - crate::clock::now_ms()).max(0) as u64;
            let handle = ctx.run_later(Duration::from_millis(delay), |room, ctx| {
                room.timer = None;
                let events = room.show.tick(crate::clock::now_ms());
                room.publish(events);
                room.after_change(ctx);
            });
            self.timer = Some((at, handle));
        }
    }

    /// After anything that may have changed the room: flush, then sleep until the next
    /// deadline, or stop when nothing more can happen (the room closed, or its show is over
    /// and everyone left). A closed room's last event is `room_closed`; then every connection
    /// is closed.
    fn after_change(&mut self, ctx: &mut Context<Self>) {
        if self.show.closed().is_some() {
            for (user, conn) in std::mem::take(&mut self.conns) {
                self.close(user, conn, None);
            }
        }
        self.flush();
        let members = self.show.member_count();
        if members != self.members_counted {
            self.metrics.members_changed(self.members_counted, members);
            self.members_counted = members;
        }
        if self.unsaved == Unsaved::Chatter && self.save_timer.is_none() {
            let wait = COALESCE_SAVES.saturating_sub(self.last_saved.elapsed());
            self.save_timer = Some(ctx.run_later(wait, |room, _| {
                room.save_timer = None;
                room.save_state(true);
            }));
        }
        if self.show.is_finished() && self.conns.is_empty() {
            ctx.stop();
        } else {
            self.reschedule(ctx);
        }
    }

    /// Records ranked rounds, persists the state (a change to the show before the frames that
    /// announce it), then releases the frames for other instances, and reports the status.
    fn flush(&mut self) {
        let id = self.show.info().id;
        for round in self.show.take_ranked_rounds() {
            self.reporter
                .record(id, self.request_id.clone(), round.clone());
            self.ranked.push(round);
        }
        self.save_state(false);
        if let Some(cluster) = &self.cluster {
            for bytes in self.outbox.drain(..) {
                cluster.publish_down(id, &bytes);
            }
        }
        self.report_status();
    }

    /// Writes the state to Redis when the show changed, or when chat and reactions have waited
    /// long enough (or `force`).
    fn save_state(&mut self, force: bool) {
        let Some(cluster) = self.cluster.clone() else {
            return;
        };
        let due = match self.unsaved {
            Unsaved::Nothing => false,
            Unsaved::Chatter => force || self.last_saved.elapsed() >= COALESCE_SAVES,
            Unsaved::Show => true,
        };
        if due && !self.show.is_finished() {
            cluster.save_state(self.show.info().id, self.persisted());
            self.unsaved = Unsaved::Nothing;
            self.last_saved = std::time::Instant::now();
        }
    }

    fn persisted(&self) -> Vec<u8> {
        let saved = PersistedRoomRef {
            version: SNAPSHOT_VERSION,
            show: &self.show,
            seq: self.seq,
            ranked: &self.ranked,
            request_id: &self.request_id,
        };
        serde_json::to_vec(&saved).unwrap_or_default()
    }

    fn report_status(&mut self) {
        // An empty room is still open (until the idle time closes it).
        let status = match self.show.phase() {
            Phase::Lobby => RoomStatus::Open,
            Phase::OnAir | Phase::Scoring | Phase::Nominating => RoomStatus::Live,
            Phase::Ended => RoomStatus::Ended,
        };
        let report = RoomStatusReport {
            status,
            member_count: self.conns.len() as u32,
        };
        if self.reported.as_ref() != Some(&report) {
            self.reporter
                .status(self.show.info().id, self.request_id.clone(), report.clone());
            self.reported = Some(report);
        }
    }

    /// Keeps the lease, and rewrites the state when Redis may have lost it (the lease had to
    /// be taken afresh: Redis restarted; or a write failed since the last renewal). If another
    /// incarnation holds the lease now, this one stops serving the room.
    fn renew_lease(&mut self, ctx: &mut Context<Self>) {
        let Some(cluster) = self.cluster.clone() else {
            return;
        };
        if self.renewing {
            return;
        }
        self.renewing = true;
        let id = self.show.info().id;
        let failed_before = cluster.failed_batches();
        async move {
            tokio::time::timeout(cluster::LEASE, cluster.acquire(id))
                .await
                .ok()
        }
        .into_actor(self)
        .map(move |lease, room, ctx| {
            room.renewing = false;
            match lease {
                Some(Ok(cluster::Lease::HeldBy(owner))) => {
                    tracing::warn!(parent: &room.span, "{owner} owns it now; handing over");
                    room.lost_lease = true;
                    for (user, conn) in std::mem::take(&mut room.conns) {
                        room.close(user, conn, None);
                    }
                    room.flush();
                    ctx.stop();
                }
                Some(Ok(lease)) => {
                    if lease == cluster::Lease::Taken || failed_before != room.failures_seen {
                        room.failures_seen = failed_before;
                        room.unsaved = Unsaved::Show;
                        room.save_state(true);
                    }
                }
                Some(Err(_)) | None => {}
            }
        })
        .spawn(ctx);
    }
}

impl Actor for Room {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        tracing::info!(parent: &self.span, "room opened");
        self.metrics.room_opened(RoomRole::Owned);
        if let Some(cluster) = self.cluster.clone() {
            let channel = cluster::up_channel(self.show.info().id);
            let me = ctx.address().recipient();
            async move { cluster.subscribe(channel, me).await }
                .into_actor(self)
                .map(|result, room, _| {
                    if let Err(e) = result {
                        tracing::error!(parent: &room.span, "cannot subscribe: {e}");
                    }
                })
                .wait(ctx);
            ctx.run_interval(cluster::RENEW_EVERY, |room, ctx| room.renew_lease(ctx));
        }
        ctx.run_interval(STALL_CHECK_EVERY, |room, _| room.cut_off_stalled());
        // A fresh room is empty until its first member's join arrives; a resumed one has
        // events to send and deadlines to keep.
        self.flush();
        self.reschedule(ctx);
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        let id = self.show.info().id;
        tracing::info!(parent: &self.span, "room closed");
        self.metrics.room_closed(RoomRole::Owned);
        self.metrics.members_changed(self.members_counted, 0);
        self.registry.remove(id, self.generation);
        if let Some(cluster) = self.cluster.clone() {
            cluster.unsubscribe(cluster::up_channel(id));
            for bytes in self.outbox.drain(..) {
                cluster.publish_down(id, &bytes);
            }
            // Only a finished room has closed. One stopped otherwise (this instance is
            // shutting down) keeps its state for the next owner, whose takeover follows once
            // the lease runs out; nothing is spawned on a runtime going away.
            if self.show.is_finished() && !self.lost_lease {
                // State and lease go together, and only while the lease is still ours.
                cluster.forget(id);
            }
        }
        if self.show.is_finished() && !self.lost_lease {
            // An ended room stays ended here (and, through Redis, on every instance).
            self.registry.mark_ended(id);
        }
    }
}

impl Handler<Join> for Room {
    type Result = Result<(), ErrorCode>;

    fn handle(&mut self, join: Join, ctx: &mut Self::Context) -> Self::Result {
        let conn = Conn {
            id: join.conn,
            target: Target::Local(join.session),
            applied: VecDeque::new(),
        };
        let result = self.join(join.user, &join.name, join.standing, conn);
        self.after_change(ctx);
        result
    }
}

impl Handler<HandOver> for Room {
    type Result = ();

    fn handle(&mut self, _: HandOver, ctx: &mut Self::Context) {
        let Some(cluster) = self.cluster.clone() else {
            return;
        };
        if self.show.is_finished() {
            ctx.stop();
            return;
        }
        let id = self.show.info().id;
        tracing::info!(parent: &self.span, "stopping: handing the room over");
        // Our own members lose this process anyway; they reconnect elsewhere.
        let locals: Vec<UserId> = self
            .conns
            .iter()
            .filter(|(_, c)| matches!(c.target, Target::Local(_)))
            .map(|(&u, _)| u)
            .collect();
        for user in locals {
            if let Some(conn) = self.conns.remove(&user) {
                self.close(user, conn, None);
            }
        }
        self.flush();
        // State, then the lease, then the word to the relays: in this order, in one queue.
        cluster.save_state(id, self.persisted());
        cluster.release_queued(id);
        cluster.publish_down(id, &cluster::envelope::encode(&FromOwner::Leaving, b""));
        self.lost_lease = true;
        ctx.stop();
    }
}

impl Handler<Moderate> for Room {
    type Result = ();

    fn handle(&mut self, m: Moderate, ctx: &mut Self::Context) {
        self.on_moderation(m.0);
        self.after_change(ctx);
    }
}

impl Handler<FromMember> for Room {
    type Result = ();

    fn handle(&mut self, m: FromMember, ctx: &mut Self::Context) {
        self.on_frame(m.user, m.conn, m.msg);
        self.after_change(ctx);
    }
}

impl Handler<Disconnected> for Room {
    type Result = ();

    fn handle(&mut self, d: Disconnected, ctx: &mut Self::Context) {
        self.on_gone(d.user, d.conn);
        self.after_change(ctx);
    }
}

/// A member's join, frame or disconnect relayed from another instance.
impl Handler<Inbound> for Room {
    type Result = ();

    fn handle(&mut self, inbound: Inbound, ctx: &mut Self::Context) {
        let Some((msg, _)) = cluster::envelope::decode::<ToOwner>(&inbound.0) else {
            tracing::warn!(parent: &self.span, "undecodable relay message");
            return;
        };
        match msg {
            ToOwner::Join {
                user,
                name,
                standing,
                conn,
            } => {
                if let Err(code) = self.join(
                    user,
                    &name,
                    standing,
                    Conn {
                        id: conn,
                        target: Target::Remote,
                        applied: VecDeque::new(),
                    },
                ) {
                    let refused = FromOwner::Refused { user, conn, code };
                    self.outbox.push(cluster::envelope::encode(&refused, b""));
                }
            }
            ToOwner::Frame { user, conn, n, msg } => match self.conns.get_mut(&user) {
                Some(c) if c.id == conn => {
                    // Sent again after a failover, and applied already: skip.
                    if n == 0 || !c.applied.contains(&n) {
                        if n != 0 {
                            if c.applied.len() == APPLIED_KEPT {
                                c.applied.pop_front();
                            }
                            c.applied.push_back(n);
                        }
                        self.on_frame(user, conn, msg);
                    }
                }
                // A connection we do not seat: either one replaced or closed (its relay has
                // been told) or one whose relay has not re-joined it to us yet after a
                // takeover; the relay re-joins it and sends its frames again.
                _ => {
                    let unknown = FromOwner::Unknown { user, conn, n };
                    self.outbox.push(cluster::envelope::encode(&unknown, b""));
                }
            },
            ToOwner::Gone { user, conn } => self.on_gone(user, conn),
        }
        self.after_change(ctx);
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
        message: crate::messages::error_message(code).to_owned(),
    })
}
