//! A `Relay` stands in for a room owned by another instance: it forwards its local members'
//! joins, frames and disconnects to the owner over Redis, and the owner's frames back to them.
//! It also watches the owner's lease and takes the room over when the owner is gone.

use crate::actor_messages::{ConnId, Disconnected, FromMember, Join, Moderate, OutFrame};
use crate::cluster::{self, FromOwner, Inbound, Lease, RedisCluster, ToOwner};
use crate::directory::{room_span, Directory};
use crate::metrics::{server_frame_type, Metrics, RoomRole};
use crate::outbox::Heartbeat;
use crate::seats::{Seat, Seats, Sent, Target};
use actix::prelude::*;
use bytestring::ByteString;
use onair_shared::api::ModerationKind;
use onair_shared::auth::RankedStanding;
use onair_shared::auth::TicketRoom;
use onair_shared::protocol::ClientMsg;
use onair_shared::protocol::ErrorCode;
use onair_shared::UserId;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the relay checks who owns the room.
const OWNER_CHECK: Duration = Duration::from_millis(200);
/// Checks in a row that must find no owner before taking the room over (400 to 600 ms).
/// Longer than the owner's renewal interval (250 ms), so a living owner re-takes its lease
/// first after Redis lost every key in a restart; short enough that members of a `kill -9`ed
/// owner are on a fresh view within 2 s (lease 1 s + this + the takeover).
const ABSENT_CHECKS_BEFORE_TAKEOVER: u32 = 3;

/// Frames held while the room has no reachable owner: at most this many per relay...
const MAX_HELD: usize = 64;
/// ...for at most this long; past either, the member is told `room_unavailable`.
const HOLD_FOR: Duration = Duration::from_secs(10);
/// Frames of a connection kept after sending, to send again if a new owner did not seat it
/// yet when they arrived (see `FromOwner::Unknown`).
const SENT_KEPT: usize = 32;

/// A member's frame that no owner has received yet.
struct Held {
    /// The order frames reached this relay in; held frames are kept and sent again in it.
    order: u64,
    user: UserId,
    conn: ConnId,
    n: u64,
    msg: ClientMsg,
    since: Instant,
}

/// What the relay keeps of each of its members' connections besides the seat.
struct Local {
    /// The number of this connection's last frame (see `ToOwner::Frame`).
    next_n: u64,
    /// The last frames sent, with their numbers.
    sent: VecDeque<(u64, ClientMsg)>,
    /// Frames up to this number were sent again after an `Unknown` already.
    replayed_to: u64,
    name: String,
    standing: Option<RankedStanding>,
    /// Room events go only to connections the owner has welcomed, so nobody sees an event
    /// before the snapshot it follows.
    welcomed: bool,
}

pub struct Relay {
    info: TicketRoom,
    cluster: Arc<RedisCluster>,
    directory: Arc<dyn Directory>,
    generation: u64,
    locals: Seats<Local>,
    /// Frames no owner received (none subscribed, or Redis away), in order; sent again once
    /// an owner is found, or handed to the room when this instance takes it over.
    held: VecDeque<Held>,
    /// Set when a frame found no owner: later frames wait behind it in `held`.
    holding: bool,
    /// The next frame's `Held::order`.
    next_order: u64,
    /// The owner's incarnation as last seen in its lease (what our members were joined to).
    owner: Option<String>,
    absent_checks: u32,
    /// A look at the lease is under way.
    checking: bool,
    /// The owner announced a clean stop (it gave the lease up): take the lease at once.
    owner_left: bool,
    taking_over: bool,
    metrics: Arc<Metrics>,
    /// The request id of the ticket that opened the relay, for a room it takes over.
    request_id: Option<String>,
    span: tracing::Span,
}

/// What a relay is made with, besides its room.
pub struct RelaySetup {
    pub cluster: Arc<RedisCluster>,
    pub directory: Arc<dyn Directory>,
    pub metrics: Arc<Metrics>,
    pub heartbeat: Heartbeat,
    pub generation: u64,
    pub request_id: Option<String>,
    /// The instance that holds the room's lease.
    pub owner: String,
}

impl Relay {
    pub fn new(info: TicketRoom, setup: RelaySetup) -> Relay {
        let RelaySetup {
            cluster,
            directory,
            metrics,
            heartbeat,
            generation,
            request_id,
            owner,
        } = setup;
        Relay {
            metrics: metrics.clone(),
            span: room_span("relay", info.id, request_id.as_deref()),
            info,
            cluster,
            directory,
            generation,
            locals: Seats::new(metrics.clone(), heartbeat),
            held: VecDeque::new(),
            holding: false,
            next_order: 0,
            owner: Some(owner),
            absent_checks: 0,
            checking: false,
            owner_left: false,
            taking_over: false,
            request_id,
        }
    }

    fn to_owner(&self, msg: &ToOwner) {
        let bytes = cluster::envelope::encode(msg, b"");
        self.cluster
            .publish(cluster::up_channel(self.info.id), bytes);
    }

    fn rejoin_all(&mut self) {
        let joins: Vec<ToOwner> = self
            .locals
            .iter_mut()
            .map(|(user, seat)| {
                let l = &mut seat.extra;
                l.welcomed = false;
                ToOwner::Join {
                    user,
                    name: l.name.clone(),
                    standing: l.standing,
                    conn: seat.conn,
                }
            })
            .collect();
        for join in &joins {
            self.to_owner(join);
        }
    }

    fn check_owner(&mut self, ctx: &mut Context<Self>) {
        if self.taking_over || self.checking {
            return;
        }
        self.checking = true;
        let cluster = self.cluster.clone();
        let room = self.info.id;
        let try_lease = self.owner_left || self.absent_checks + 1 >= ABSENT_CHECKS_BEFORE_TAKEOVER;
        async move {
            match cluster.owner(room).await? {
                Some(owner) => Ok(Some(owner)),
                // Nobody has held the lease for a while: the owner is gone. Take it.
                None if try_lease => Ok(match cluster.acquire(room).await? {
                    Lease::HeldBy(owner) => Some(owner),
                    Lease::Kept | Lease::Taken => Some(cluster.incarnation.clone()),
                }),
                None => Ok(None),
            }
        }
        .into_actor(self)
        .map(|owner: redis::RedisResult<Option<String>>, relay, ctx| {
            relay.checking = false;
            relay.on_owner(owner, ctx)
        })
        .spawn(ctx);
    }

    fn on_owner(&mut self, owner: redis::RedisResult<Option<String>>, ctx: &mut Context<Self>) {
        let relay = self;
        match owner {
            Ok(Some(owner)) if owner == relay.cluster.incarnation => relay.take_over(ctx),
            Ok(Some(owner)) => {
                relay.absent_checks = 0;
                // A new owner (another instance, or the same one restarted: a new
                // incarnation either way) does not know our members yet.
                if relay.owner.as_deref() != Some(owner.as_str()) {
                    relay.owner_left = false;
                    tracing::info!(parent: &relay.span, "owner is now {owner}; re-joining");
                    relay.owner = Some(owner);
                    relay.rejoin_all();
                }
                if relay.holding {
                    relay.send_held(ctx);
                }
            }
            Ok(None) => relay.absent_checks += 1,
            Err(e) => tracing::debug!(parent: &relay.span, "owner check failed: {e}"),
        }
    }

    /// We hold the lease now: start the room here from its saved state and move our members
    /// over to it.
    fn take_over(&mut self, ctx: &mut Context<Self>) {
        self.taking_over = true;
        tracing::info!(parent: &self.span, "taking over as owner");
        let promotion = self
            .directory
            .promote(self.info.clone(), self.request_id.clone());
        promotion
            .into_actor(self)
            .map(|handle, relay, ctx| {
                match handle {
                    Ok(handle) => {
                        let mut held = std::mem::take(&mut relay.held);
                        for (user, local) in relay.locals.iter() {
                            let replay: Vec<ClientMsg> = held
                                .iter()
                                .filter(|h| h.user == user && h.conn == local.conn)
                                .map(|h| h.msg.clone())
                                .collect();
                            if let Some(outlet) = local.outlet() {
                                outlet.rebind(handle.clone(), replay);
                            }
                        }
                        held.clear();
                    }
                    Err(e) => {
                        tracing::error!(parent: &relay.span, "takeover failed: {e}");
                        for (_, local) in relay.locals.iter() {
                            relay.locals.close(local, None);
                        }
                    }
                }
                relay.locals.take_all();
                ctx.stop();
            })
            .wait(ctx);
    }
}

impl Relay {
    /// Sends a member's frame to the owner, or holds it (in order) while no owner receives.
    fn send_frame(&mut self, ctx: &mut Context<Self>, held: Held) {
        if self.holding {
            self.hold(held);
            return;
        }
        let Held {
            order,
            user,
            conn,
            n,
            msg,
            since,
        } = held;
        let frame = ToOwner::Frame { user, conn, n, msg };
        let bytes = cluster::envelope::encode(&frame, b"");
        let ack = self
            .cluster
            .publish_acked(cluster::up_channel(self.info.id), bytes);
        let ToOwner::Frame { msg, .. } = frame else {
            return;
        };
        async move { ack.await.unwrap_or(false) }
            .into_actor(self)
            .map(move |received, relay, _| {
                if !received {
                    if !relay.holding {
                        tracing::info!(parent: &relay.span, "no owner received a frame; holding");
                    }
                    relay.holding = true;
                    relay.hold(Held {
                        order,
                        user,
                        conn,
                        n,
                        msg,
                        since,
                    });
                }
            })
            .spawn(ctx);
    }

    /// Keeps a frame, in the order frames arrived (acknowledgements may come back in another).
    fn hold(&mut self, held: Held) {
        if self.held.len() < MAX_HELD {
            let at = self.held.partition_point(|h| h.order < held.order);
            self.held.insert(at, held);
        } else {
            self.unavailable(held.user, held.conn);
        }
    }

    /// Tells a member their frame was not applied.
    fn unavailable(&self, user: UserId, conn: ConnId) {
        if let Some(outlet) = self.locals.current(user, conn).and_then(Seat::outlet) {
            outlet.send(self.metrics.error_frame(ErrorCode::RoomUnavailable));
        }
    }

    /// An owner answers again: send what was held, in order (too old: tell the member).
    fn send_held(&mut self, ctx: &mut Context<Self>) {
        self.holding = false;
        let held = std::mem::take(&mut self.held);
        for h in held {
            if h.since.elapsed() > HOLD_FOR {
                self.unavailable(h.user, h.conn);
            } else if self.locals.is_current(h.user, h.conn) {
                self.send_frame(ctx, h);
            }
        }
    }

    /// Held frames past [`HOLD_FOR`] are given up: their members are told.
    fn expire_held(&mut self) {
        while self
            .held
            .front()
            .is_some_and(|h| h.since.elapsed() > HOLD_FOR)
        {
            if let Some(h) = self.held.pop_front() {
                self.unavailable(h.user, h.conn);
            }
        }
    }

    /// The owner did not seat this connection when its frame `n` arrived (it is new and we
    /// have not re-joined yet): re-join it and send its frames from `n` again.
    fn resend(&mut self, ctx: &mut Context<Self>, user: UserId, conn: ConnId, n: u64) {
        let Some(local) = self.locals.current_mut(user, conn).map(|s| &mut s.extra) else {
            return;
        };
        if n <= local.replayed_to {
            return;
        }
        local.replayed_to = local.next_n;
        local.welcomed = false;
        let join = ToOwner::Join {
            user,
            name: local.name.clone(),
            standing: local.standing,
            conn,
        };
        let again: Vec<(u64, ClientMsg)> = local
            .sent
            .iter()
            .filter(|(m, _)| *m >= n)
            .cloned()
            .collect();
        self.to_owner(&join);
        for (m, msg) in again {
            self.next_order += 1;
            let order = self.next_order;
            self.send_frame(
                ctx,
                Held {
                    order,
                    user,
                    conn,
                    n: m,
                    msg,
                    since: Instant::now(),
                },
            );
        }
    }

    /// Drops a reader that stopped reading: the owner sees it go, as for any dropped connection.
    fn cut_off(&mut self, user: UserId) {
        if let Some(local) = self.locals.cut_off(user, &self.span) {
            self.to_owner(&ToOwner::Gone {
                user,
                conn: local.conn,
            });
        }
    }
}

impl Actor for Relay {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        tracing::debug!(parent: &self.span, "relay opened");
        self.metrics.room_opened(RoomRole::Relayed);
        let cluster = self.cluster.clone();
        let channel = cluster::down_channel(self.info.id);
        let me = ctx.address().recipient();
        async move { cluster.subscribe(channel, me).await }
            .into_actor(self)
            .map(|result, relay, _| {
                if let Err(e) = result {
                    tracing::error!(parent: &relay.span, "relay cannot subscribe: {e}");
                }
            })
            .wait(ctx);
        ctx.run_interval(OWNER_CHECK, |relay, ctx| {
            relay.expire_held();
            relay.check_owner(ctx);
        });
        ctx.run_interval(self.locals.tick_every(), |relay, _| {
            for user in relay.locals.tick(crate::clock::now_ms()) {
                relay.cut_off(user);
            }
        });
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        self.metrics.room_closed(RoomRole::Relayed);
        self.directory.remove(self.info.id, self.generation);
        if !self.taking_over {
            self.cluster
                .unsubscribe(cluster::down_channel(self.info.id));
        }
    }
}

impl Handler<Join> for Relay {
    type Result = Result<(), ErrorCode>;

    /// The owner answers with a `welcome` (or a refusal) over Redis.
    fn handle(&mut self, join: Join, _ctx: &mut Self::Context) -> Self::Result {
        self.locals.insert(
            join.user,
            Seat {
                conn: join.conn,
                target: Target::Local(join.session),
                extra: Local {
                    next_n: 0,
                    sent: VecDeque::new(),
                    replayed_to: 0,
                    name: join.name.clone(),
                    standing: join.standing,
                    welcomed: false,
                },
            },
        );
        self.to_owner(&ToOwner::Join {
            user: join.user,
            name: join.name,
            standing: join.standing,
            conn: join.conn,
        });
        Ok(())
    }
}

impl Handler<FromMember> for Relay {
    type Result = ();

    fn handle(&mut self, m: FromMember, ctx: &mut Self::Context) {
        let Some(local) = self
            .locals
            .current_mut(m.user, m.conn)
            .map(|s| &mut s.extra)
        else {
            return;
        };
        local.next_n += 1;
        let n = local.next_n;
        if local.sent.len() == SENT_KEPT {
            local.sent.pop_front();
        }
        local.sent.push_back((n, m.msg.clone()));
        self.next_order += 1;
        let order = self.next_order;
        self.send_frame(
            ctx,
            Held {
                order,
                user: m.user,
                conn: m.conn,
                n,
                msg: m.msg,
                since: Instant::now(),
            },
        );
    }
}

impl Handler<Disconnected> for Relay {
    type Result = ();

    fn handle(&mut self, d: Disconnected, ctx: &mut Self::Context) {
        if self.locals.remove_current(d.user, d.conn).is_none() {
            return;
        }
        self.to_owner(&ToOwner::Gone {
            user: d.user,
            conn: d.conn,
        });
        if self.locals.is_empty() && !self.taking_over {
            ctx.stop();
        }
    }
}

/// A ban closes the member's connection here at once (the owner takes their seat); a room's
/// closing is the owner's to announce, its `room_closed` reaches our members as a broadcast.
impl Handler<Moderate> for Relay {
    type Result = ();

    fn handle(&mut self, m: Moderate, ctx: &mut Self::Context) {
        if let ModerationKind::Banned { user } = m.0 {
            if let Some(local) = self.locals.remove(user) {
                self.locals.close(&local, Some(ErrorCode::Banned));
                self.to_owner(&ToOwner::Gone {
                    user,
                    conn: local.conn,
                });
            }
            if self.locals.is_empty() && !self.taking_over {
                ctx.stop();
            }
        }
    }
}

impl Handler<Inbound> for Relay {
    type Result = ();

    fn handle(&mut self, inbound: Inbound, ctx: &mut Self::Context) {
        let Some((sender, message)) = cluster::envelope::split_sender(&inbound.0) else {
            tracing::warn!(parent: &self.span, "owner message without its sender");
            return;
        };
        let Some((msg, body)) = cluster::envelope::decode::<FromOwner>(message) else {
            tracing::warn!(parent: &self.span, "undecodable owner message");
            return;
        };
        if self
            .owner
            .as_deref()
            .is_some_and(|o| o.as_bytes() != sender)
        {
            // From an owner whose lease has passed on, or from a new one we have not re-joined
            // yet: look at the lease now (the re-join brings fresh welcomes). A new owner's
            // `unknown` is acted on at once: it holds frames it did not apply.
            if let FromOwner::Unknown { user, conn, n } = msg {
                self.resend(ctx, user, conn, n);
            }
            self.check_owner(ctx);
            return;
        }
        let bytes =
            || ByteString::try_from(bytes::Bytes::copy_from_slice(body)).unwrap_or_default();
        match msg {
            FromOwner::Broadcast { kind } => {
                let frame = OutFrame::event(bytes(), server_frame_type(&kind), Instant::now());
                let (lagging, _) = self.locals.broadcast(&frame, |l| l.welcomed);
                for user in lagging {
                    self.cut_off(user);
                }
            }
            FromOwner::To { user, conn, kind } => {
                let lagging = match self.locals.current_mut(user, conn) {
                    Some(local) => {
                        local.extra.welcomed = true;
                        let frame = OutFrame::direct(bytes(), server_frame_type(&kind));
                        matches!(self.locals.send_to(user, frame), Sent::Lagging)
                    }
                    None => false,
                };
                if lagging {
                    self.cut_off(user);
                }
            }
            FromOwner::Signal { user, conn } => {
                if let Some(outlet) = self.locals.current(user, conn).and_then(Seat::outlet) {
                    // Dropped when that reader is already behind (the owner's per-pair budget
                    // has limited the sender already).
                    outlet.offer(OutFrame::direct(bytes(), "signal"));
                }
            }
            FromOwner::Unknown { user, conn, n } => self.resend(ctx, user, conn, n),
            FromOwner::Leaving => {
                tracing::info!(parent: &self.span, "the owner is stopping; taking over");
                self.owner_left = true;
                self.check_owner(ctx);
            }
            FromOwner::Close { user, conn } => {
                if let Some(local) = self.locals.remove_current(user, conn) {
                    self.locals.close(&local, None);
                }
            }
            FromOwner::Refused { user, conn, code } => {
                if let Some(local) = self.locals.remove_current(user, conn) {
                    self.locals.close(&local, Some(code));
                }
            }
        }
        if self.locals.is_empty() && !self.taking_over {
            ctx.stop();
        }
    }
}
