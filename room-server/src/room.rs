//! The `Room` actor: the single authority over one live room. It wraps the pure rules engine,
//! owns membership (which connection speaks for which member), stamps every event with the
//! next `seq`, serialises it once and hands the same bytes to every session, and runs the
//! engine's clock (scoring deadline, reconnect grace).
//!
//! In a cluster the room's owner also serves members connected to other instances (through
//! their relays, over Redis), writes its state to Redis after every change, and keeps its lease:
//! all of that goes through its `OwnerLink` (`cluster/owner_link.rs`), so the room itself holds
//! the show, its members' seats and an optional link.

use crate::actor_messages::{
    encode, ConnId, Disconnected, FromMember, HandOver, Join, Moderate, OutFrame,
};
use crate::cluster::owner_link::{Applied, OwnerLink, Renewal, Unsaved};
use crate::cluster::{self, Inbound, RedisCluster, ToOwner};
use crate::directory::{room_span, Directory};
use crate::metrics::{Metrics, RoomRole};
use crate::outbox::Heartbeat;
use crate::reporter::Reporter;
use crate::rules::{RankedRound, Settings, Show};
use crate::seats::{Seat, Seats, Sent, Target};
use actix::prelude::*;
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

/// What the owner keeps of each connection besides: the relayed frames applied.
type Conn = Seat<Applied>;

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
    conns: Seats<Applied>,
    timer: Option<(i64, SpawnHandle)>,
    directory: Arc<dyn Directory>,
    /// This room's entry in the registry.
    generation: u64,
    reporter: Reporter,
    /// The status last reported, so an unchanged one is not sent again.
    reported: Option<RoomStatusReport>,
    /// In a cluster: the room's side of Redis (the relays, saving, the lease).
    link: Option<OwnerLink>,
    ranked: Vec<RankedRound>,
    /// Signal bytes each member may still send each other member (sender, target).
    signal_budgets: HashMap<(UserId, UserId), crate::rate_limit::TokenBucket>,
    metrics: Arc<Metrics>,
    /// The members counted in the `onair_room_members` gauge for this room.
    members_counted: usize,
    /// The id of the REST request whose ticket opened the room (see `TicketClaims::rid`).
    request_id: Option<String>,
    /// `room{room request_id}`: what the room logs goes under it.
    span: tracing::Span,
}

/// Signal bytes one member may send one other member each second, and saved up: far above a
/// video call's setup (a few offers, answers and ICE candidates of a few KiB), far below what
/// would make a reader on a slow link fall behind.
const SIGNAL_BYTES_PER_SEC: usize = 32 * 1024;
const SIGNAL_BYTES_BURST: usize = 128 * 1024;

pub struct RoomSetup {
    pub directory: Arc<dyn Directory>,
    pub metrics: Arc<Metrics>,
    pub generation: u64,
    pub reporter: Reporter,
    pub cluster: Option<Arc<RedisCluster>>,
    pub rules: Settings,
    pub event_buffer: usize,
    pub heartbeat: Heartbeat,
    /// The request id of the ticket that opens the room.
    pub request_id: Option<String>,
}

impl Room {
    pub fn new(info: onair_shared::auth::TicketRoom, setup: RoomSetup) -> Room {
        let metrics = setup.metrics;
        let span = room_span("owner", info.id, setup.request_id.as_deref());
        let link = setup
            .cluster
            .map(|cluster| OwnerLink::new(cluster, info.id));
        Room {
            show: Show::new(info, setup.rules),
            seq: 0,
            epoch: format!("{:012x}", rand::random::<u64>() >> 16),
            recent: VecDeque::new(),
            recent_cap: setup.event_buffer.max(1),
            conns: Seats::new(metrics.clone(), setup.heartbeat),
            timer: None,
            directory: setup.directory,
            generation: setup.generation,
            reporter: setup.reporter,
            reported: None,
            link,
            ranked: Vec::new(),
            signal_budgets: HashMap::new(),
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
                    if let Some(link) = &self.link {
                        link.chat_said(line, self.show.chat_history());
                    }
                    Unsaved::Chatter
                }
                EventKind::Reaction { .. } => Unsaved::Chatter,
                _ => Unsaved::Show,
            };
            if let Some(link) = &mut self.link {
                link.changed(weight);
            }
            self.seq += 1;
            let frame = encode(&Event {
                seq: self.seq,
                kind,
            });
            if self.recent.len() == self.recent_cap {
                self.recent.pop_front();
            }
            self.recent.push_back((self.seq, type_name, frame.clone()));
            let out = OutFrame::event(frame, type_name, accepted);
            let (lagging, any_remote) = self.conns.broadcast(&out, |_| true);
            if let Some(link) = self.link.as_mut().filter(|_| any_remote) {
                link.broadcast(&out);
            }
            for user in lagging {
                queue.extend(self.cut_off(user));
            }
        }
    }

    /// Drops a reader that stopped reading; returns the events that follow (it goes offline).
    fn cut_off(&mut self, user: UserId) -> Vec<EventKind> {
        let Some(conn) = self.conns.cut_off(user, &self.span) else {
            return vec![];
        };
        if matches!(conn.target, Target::Remote) {
            self.close(user, conn, None);
        }
        self.show.disconnect(user, crate::clock::now_ms())
    }

    fn send_to(&mut self, user: UserId, frame: OutFrame) {
        match self.conns.send_to(user, frame) {
            Sent::Done => {}
            Sent::Lagging => {
                let events = self.cut_off(user);
                self.publish(events);
            }
            Sent::Remote(conn, frame) => {
                if let Some(link) = &mut self.link {
                    link.send_to(user, conn, &frame);
                }
            }
        }
    }

    /// Pings the connections here, closes the silent ones and cuts off readers that stopped
    /// reading (see `Seats::tick`).
    fn tick(&mut self) {
        for user in self.conns.tick(crate::clock::now_ms()) {
            let events = self.cut_off(user);
            self.publish(events);
        }
    }

    /// Closes a connection, after telling it why when `code` is given.
    fn close(&mut self, user: UserId, conn: Conn, code: Option<ErrorCode>) {
        let Some(conn) = self.conns.close(&conn, code) else {
            return;
        };
        let error = code.map(|code| self.metrics.error_frame(code));
        if let Some(link) = &mut self.link {
            link.close(user, conn, error.as_ref());
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
        if let Some(old) = self.conns.remove(user) {
            if old.conn != conn.conn {
                self.close(user, old, Some(ErrorCode::Replaced));
            } else {
                conn.extra = old.extra;
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
        self.conns.is_current(user, conn)
    }

    fn handle_command(&mut self, user: UserId, msg: ClientMsg) -> Result<(), ErrorCode> {
        let now = crate::clock::now_ms();
        let events = match msg {
            ClientMsg::Chat { text } => self.show.chat(user, &text, now)?,
            ClientMsg::React { kind } => self.show.react(user, kind)?,
            ClientMsg::Start { first } => self.show.start(user, first, now)?,
            ClientMsg::EndPerformance => self.show.end_performance(user, now)?,
            ClientMsg::Nominate { user: target } => self.show.nominate(user, target, now)?,
            ClientMsg::Score { round, value } => self.show.score(user, round, value, now)?,
            ClientMsg::EndShow => self.show.end_show(user, now)?,
            ClientMsg::PlayAgain => self.show.play_again(user)?,
            ClientMsg::Kick { user: target } => {
                let events = self.show.kick(user, target, now)?;
                if let Some(conn) = self.conns.remove(target) {
                    self.close(target, conn, Some(ErrorCode::Kicked));
                }
                events
            }
            ClientMsg::Leave => {
                let events = self.show.leave(user, now)?;
                if let Some(conn) = self.conns.remove(user) {
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
                if to == user || !self.conns.contains(to) {
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
        let (id, target) = match self.conns.get(to) {
            Some(conn) => (conn.conn, &conn.target),
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
                if let Some(link) = &mut self.link {
                    link.signal(to, id, frame.as_bytes());
                }
            }
        }
        Ok(())
    }

    /// Takes a banned member's seat (in the owner) and closes their connection here.
    fn on_moderation(&mut self, kind: ModerationKind) {
        let now = crate::clock::now_ms();
        match kind {
            ModerationKind::Banned { user } => {
                if let Some(conn) = self.conns.remove(user) {
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
        self.conns.remove(user);
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
            for (user, conn) in self.conns.take_all() {
                self.close(user, conn, None);
            }
        }
        self.flush();
        let members = self.show.member_count();
        if members != self.members_counted {
            self.metrics.members_changed(self.members_counted, members);
            self.members_counted = members;
        }
        if let Some(wait) = self.link.as_ref().and_then(OwnerLink::save_due_in) {
            let timer = ctx.run_later(wait, |room, _| {
                if let Some(link) = &mut room.link {
                    link.set_save_timer(None);
                }
                room.save_state(true);
            });
            if let Some(link) = &mut self.link {
                link.set_save_timer(Some(timer));
            }
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
        if let Some(link) = &mut self.link {
            link.release();
        }
        self.report_status();
    }

    /// Writes the state to Redis when the show changed, or when chat and reactions have waited
    /// long enough (or `force`).
    fn save_state(&mut self, force: bool) {
        let Some(link) = &mut self.link else {
            return;
        };
        let finished = self.show.is_finished();
        link.save(force, finished, || {
            persisted(&self.show, self.seq, &self.ranked, &self.request_id)
        });
    }

    fn report_status(&mut self) {
        // An empty room is still open (until the idle time closes it). A show that has ended
        // keeps its room live while anyone is there to see the results or play again; the
        // room ends when it is finished (closed, or everyone gone).
        let status = match self.show.phase() {
            _ if self.show.is_finished() => RoomStatus::Ended,
            Phase::Lobby => RoomStatus::Open,
            Phase::UpNext | Phase::OnAir | Phase::Scoring | Phase::Nominating | Phase::Ended => {
                RoomStatus::Live
            }
        };
        let report = RoomStatusReport {
            status,
            member_count: self.conns.len() as u32,
            // Kept by the api-server, so the room's link still shows how the show went.
            results: (status == RoomStatus::Ended).then(|| self.show.results().to_vec()),
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
        let Some(renewal) = self.link.as_mut().and_then(OwnerLink::renew) else {
            return;
        };
        renewal
            .into_actor(self)
            .map(move |answer, room, ctx| {
                let Some(link) = &mut room.link else {
                    return;
                };
                match link.renewed(answer) {
                    Renewal::Lost(owner) => {
                        tracing::warn!(parent: &room.span, "{owner} owns it now; handing over");
                        for (user, conn) in room.conns.take_all() {
                            room.close(user, conn, None);
                        }
                        room.flush();
                        ctx.stop();
                    }
                    Renewal::Rewrite => room.save_state(true),
                    Renewal::Kept => {}
                }
            })
            .spawn(ctx);
    }
}

/// [`PersistedRoom`] of a live room, as written to Redis.
fn persisted(
    show: &Show,
    seq: u64,
    ranked: &[RankedRound],
    request_id: &Option<String>,
) -> Vec<u8> {
    let saved = PersistedRoomRef {
        version: SNAPSHOT_VERSION,
        show,
        seq,
        ranked,
        request_id,
    };
    serde_json::to_vec(&saved).unwrap_or_default()
}

impl Actor for Room {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        tracing::info!(parent: &self.span, "room opened");
        self.metrics.room_opened(RoomRole::Owned);
        if let Some(link) = &self.link {
            link.subscribe(ctx.address().recipient())
                .into_actor(self)
                .map(|result, room, _| {
                    if let Err(e) = result {
                        tracing::error!(parent: &room.span, "cannot subscribe: {e}");
                    }
                })
                .wait(ctx);
            ctx.run_interval(cluster::RENEW_EVERY, |room, ctx| room.renew_lease(ctx));
        }
        ctx.run_interval(self.conns.tick_every(), |room, _| room.tick());
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
        self.directory.remove(id, self.generation);
        let finished = self.show.is_finished();
        // Only a finished room has closed; one stopped otherwise keeps its state in Redis.
        if let Some(link) = &mut self.link {
            link.stopped(finished);
        }
        if finished && !self.link.as_ref().is_some_and(OwnerLink::lost_lease) {
            // An ended room stays ended here (and, through Redis, on every instance).
            self.directory.mark_ended(id);
        }
    }
}

impl Handler<Join> for Room {
    type Result = Result<(), ErrorCode>;

    fn handle(&mut self, join: Join, ctx: &mut Self::Context) -> Self::Result {
        let conn = Conn {
            conn: join.conn,
            target: Target::Local(join.session),
            extra: Applied::default(),
        };
        let result = self.join(join.user, &join.name, join.standing, conn);
        self.after_change(ctx);
        result
    }
}

impl Handler<HandOver> for Room {
    type Result = ();

    fn handle(&mut self, _: HandOver, ctx: &mut Self::Context) {
        if self.link.is_none() {
            return;
        }
        if self.show.is_finished() {
            ctx.stop();
            return;
        }
        tracing::info!(parent: &self.span, "stopping: handing the room over");
        // Our own members lose this process anyway; they reconnect elsewhere.
        let locals: Vec<UserId> = self
            .conns
            .iter()
            .filter(|(_, c)| matches!(c.target, Target::Local(_)))
            .map(|(u, _)| u)
            .collect();
        for user in locals {
            if let Some(conn) = self.conns.remove(user) {
                self.close(user, conn, None);
            }
        }
        self.flush();
        let state = persisted(&self.show, self.seq, &self.ranked, &self.request_id);
        if let Some(link) = &mut self.link {
            link.hand_over(state);
        }
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
        let Some(link) = &self.link else {
            return;
        };
        let Some(msg) = link.decode(&inbound) else {
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
                        conn,
                        target: Target::Remote,
                        extra: Applied::default(),
                    },
                ) {
                    if let Some(link) = &mut self.link {
                        link.refused(user, conn, code);
                    }
                }
            }
            ToOwner::Frame { user, conn, n, msg } => match self.conns.current_mut(user, conn) {
                Some(c) => {
                    // A frame sent again after a failover and applied already is skipped.
                    if c.extra.first_time(n) {
                        self.on_frame(user, conn, msg);
                    }
                }
                // A connection we do not seat: either one replaced or closed (its relay has
                // been told) or one whose relay has not re-joined it to us yet after a
                // takeover; the relay re-joins it and sends its frames again.
                _ => {
                    if let Some(link) = &mut self.link {
                        link.unknown(user, conn, n);
                    }
                }
            },
            ToOwner::Gone { user, conn } => self.on_gone(user, conn),
        }
        self.after_change(ctx);
    }
}
