//! The room-server's Prometheus metrics (`GET /metrics`).
//!
//! Every figure is kept here, behind one named method per thing that happens, so the actors
//! call `metrics.frame_in(...)` and never touch a metrics library themselves. Handles are
//! registered when the server starts; each call is an atomic add (or a histogram sample), with
//! no lock and no lookup beyond a fixed map of label values. Labels come only from fixed sets
//! (frame types, error codes, cut-off reasons, room roles), whatever clients send.

use crate::actor_messages::{error_frame, OutFrame};
use crate::outbox::Wire;
use onair_shared::protocol::{ErrorCode, CLIENT_MSG_TYPES, SERVER_MSG_TYPES};
use onair_telemetry::metrics::{
    Counter, Family, Gauge, Registry, ShardedHistogram, LATENCY_BUCKETS,
};
use std::time::Instant;

const FANOUT_LATENCY: &str = "onair_fanout_latency_seconds";

/// Whether this instance runs a room's show or relays it to the instance that does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomRole {
    Owned,
    Relayed,
}

/// Why a connection was cut off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CutOff {
    /// More than `outbox::MAX_QUEUED_BYTES` waited for a reader that stopped reading.
    SlowReader,
    /// Kept sending after its rate limits refused it.
    Flood,
}

pub struct Metrics {
    registry: Registry,
    connections: Gauge,
    rooms_owned: Gauge,
    rooms_relayed: Gauge,
    members: Gauge,
    frames_in: Family,
    frames_out: Family,
    error_frames: Family,
    cut_off_slow: Counter,
    cut_off_flood: Counter,
    redis_publishes: Counter,
    redis_receives: Counter,
    redis_errors: Counter,
    redis_up: Gauge,
    takeovers: Counter,
    snapshot_saves: Counter,
    fanout: ShardedHistogram,
    rounds_delivered: Counter,
    rounds_retried: Counter,
    rounds_rejected: Counter,
    draining: Gauge,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let r = Registry::new(&[(FANOUT_LATENCY, LATENCY_BUCKETS)]);
        let error_codes = ErrorCode::ALL.iter().map(|c| c.as_str());
        Metrics {
            connections: r.gauge("onair_ws_connections", "Open WebSocket connections.", &[]),
            rooms_owned: r.gauge(
                "onair_rooms",
                "Live rooms on this instance, by role: owned (the show runs here) or relayed (to the instance that owns it).",
                &[("role", "owned")],
            ),
            rooms_relayed: r.gauge("onair_rooms", "", &[("role", "relayed")]),
            members: r.gauge(
                "onair_room_members",
                "Members seated in the rooms this instance owns, online or within their reconnect grace.",
                &[],
            ),
            frames_in: r.family(
                "onair_frames_in_total",
                "Frames received from clients, by type (invalid: not a readable client frame).",
                "type",
                CLIENT_MSG_TYPES,
                "invalid",
            ),
            frames_out: r.family(
                "onair_frames_out_total",
                "Frames written to client connections, by type.",
                "type",
                SERVER_MSG_TYPES,
                "other",
            ),
            error_frames: r.family(
                "onair_error_frames_total",
                "Error frames sent to clients, by code.",
                "code",
                error_codes,
                "other",
            ),
            cut_off_slow: r.counter(
                "onair_cutoffs_total",
                "Connections cut off, by reason: slow_reader (too much queued for it) or flood (kept sending past its rate limits).",
                &[("reason", "slow_reader")],
            ),
            cut_off_flood: r.counter("onair_cutoffs_total", "", &[("reason", "flood")]),
            redis_publishes: r.counter(
                "onair_redis_publishes_total",
                "Messages published to Redis (room events and commands between instances).",
                &[],
            ),
            redis_receives: r.counter(
                "onair_redis_receives_total",
                "Messages received from Redis pub/sub for rooms on this instance.",
                &[],
            ),
            redis_errors: r.counter(
                "onair_redis_errors_total",
                "Redis writes (state, publishes) that failed and were lost.",
                &[],
            ),
            redis_up: r.gauge(
                "onair_redis_up",
                "1 while Redis answers a PING within a second (cluster mode only; 1 without Redis).",
                &[],
            ),
            takeovers: r.counter(
                "onair_lease_takeovers_total",
                "Rooms this instance took over from a saved state (their owner was gone).",
                &[],
            ),
            snapshot_saves: r.counter(
                "onair_snapshot_saves_total",
                "Room states written to Redis.",
                &[],
            ),
            fanout: r.sharded_histogram(
                FANOUT_LATENCY,
                "From a room event accepted by the room (or by a relay, from Redis) to its frame written to a member's connection; a series per worker thread slot (shard), add them up.",
            ),
            rounds_delivered: r.counter(
                "onair_ranked_rounds_delivered_total",
                "Ranked rounds the api-server took.",
                &[],
            ),
            rounds_retried: r.counter(
                "onair_ranked_rounds_retries_total",
                "Deliveries of a ranked round that failed and were tried again.",
                &[],
            ),
            rounds_rejected: r.counter(
                "onair_ranked_rounds_rejected_total",
                "Ranked rounds the api-server refused for good (a bug on one side).",
                &[],
            ),
            draining: r.gauge(
                "onair_draining",
                "1 once shutdown has begun: /readyz answers 503 and no new connection is taken.",
                &[],
            ),
            registry: r,
        }
        .with_redis_up()
    }

    fn with_redis_up(self) -> Metrics {
        self.redis_up.set(1.0);
        self
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn connection_opened(&self) {
        self.connections.increment(1.0);
    }

    pub fn connection_closed(&self) {
        self.connections.decrement(1.0);
    }

    pub fn room_opened(&self, role: RoomRole) {
        self.rooms(role).increment(1.0);
    }

    pub fn room_closed(&self, role: RoomRole) {
        self.rooms(role).decrement(1.0);
    }

    fn rooms(&self, role: RoomRole) -> &Gauge {
        match role {
            RoomRole::Owned => &self.rooms_owned,
            RoomRole::Relayed => &self.rooms_relayed,
        }
    }

    /// A room's member count moved from `before` to `after`.
    pub fn members_changed(&self, before: usize, after: usize) {
        self.members.increment(after as f64 - before as f64);
    }

    /// A client frame arrived; `kind` is its type, or `None` when it could not be read.
    pub fn frame_in(&self, kind: Option<&str>) {
        match kind {
            Some(kind) => self.frames_in.increment(kind),
            None => self.frames_in.increment_other(),
        }
    }

    /// A frame was written to a client connection. `accepted`: when the room (or relay) took
    /// the event it carries, for the fan-out latency; `None` for frames meant for one member.
    pub fn frame_out(&self, kind: &str, accepted: Option<Instant>) {
        self.frames_out.increment(kind);
        if let Some(accepted) = accepted {
            self.fanout.record(accepted.elapsed().as_secs_f64());
        }
    }

    /// A frame from the room went to the socket (pings are not counted).
    pub fn frame_written(&self, wire: &Wire) {
        if wire.kind != "ping" {
            self.frame_out(wire.kind, wire.accepted);
        }
    }

    /// An error frame is about to be sent; returns it.
    pub fn error_frame(&self, code: ErrorCode) -> OutFrame {
        self.error_frames.increment(code.as_str());
        OutFrame::direct(error_frame(code), "error")
    }

    pub fn cut_off(&self, why: CutOff) {
        match why {
            CutOff::SlowReader => &self.cut_off_slow,
            CutOff::Flood => &self.cut_off_flood,
        }
        .increment(1);
    }

    pub fn redis_published(&self) {
        self.redis_publishes.increment(1);
    }

    pub fn redis_received(&self) {
        self.redis_receives.increment(1);
    }

    /// A pipeline of `lost` writes failed.
    pub fn redis_failed(&self, lost: usize) {
        self.redis_errors.increment(lost as u64);
    }

    pub fn set_redis_up(&self, up: bool) {
        self.redis_up.set(if up { 1.0 } else { 0.0 });
    }

    pub fn snapshots_saved(&self, count: usize) {
        self.snapshot_saves.increment(count as u64);
    }

    pub fn takeover(&self) {
        self.takeovers.increment(1);
    }

    pub fn round_delivered(&self) {
        self.rounds_delivered.increment(1);
    }

    pub fn round_retried(&self) {
        self.rounds_retried.increment(1);
    }

    pub fn round_rejected(&self) {
        self.rounds_rejected.increment(1);
    }

    pub fn set_draining(&self) {
        self.draining.set(1.0);
    }
}

/// The `&'static str` of a server frame type named in a relay's envelope (`other` if unknown),
/// so relayed frames are counted under the same fixed labels.
pub fn server_frame_type(name: &str) -> &'static str {
    SERVER_MSG_TYPES
        .iter()
        .find(|t| **t == name)
        .copied()
        .unwrap_or("other")
}
