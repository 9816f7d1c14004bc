//! The room as this browser knows it, kept in step with the room-server.
//!
//! Everything here is pure (no I/O, no DOM), so it runs in host unit tests:
//! - [`apply`] folds one room event into a snapshot (the shared reducer, `onair_shared::fold`);
//! - [`Tracker`] follows the `seq` numbers: it applies each event exactly once, ignores replays,
//!   and asks for a `resync` when it sees a gap.

use onair_shared::protocol::{
    ActResult, Direct, ErrorCode, Event, EventKind, LeaveReason, Phase, RoomSnapshot, RoundView,
    ServerMsg,
};
use onair_shared::UserId;

/// How many chat lines the client keeps; older ones scroll away.
pub const CHAT_KEEP: usize = 200;

/// Folds one room event into the snapshot: the shared reducer (`onair_shared::fold`, held to
/// the server by its property tests), keeping [`CHAT_KEEP`] chat lines.
pub fn apply(room: &mut RoomSnapshot, event: &EventKind) {
    onair_shared::fold::apply(room, event, CHAT_KEEP);
}

/// Why the act on stage (or just scored) does not count toward the global ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uncounted {
    /// The performer has had today's ranked acts counted already.
    DailyLimit,
    /// Fewer than two members whose scores count can score it.
    TooFewScorers,
}

/// In a ranked room: whether the act on air, being scored or just scored will not count
/// toward the ranking, and why (`None`: it counts, or the room is not ranked). The server
/// decides; this reads what it says (the performer's `ranked_limit_reached`, the round's and
/// the result's `counts`).
pub fn uncounted_act(room: &RoomSnapshot) -> Option<Uncounted> {
    if room.mode != onair_shared::room::Mode::Rank {
        return None;
    }
    let over_limit = |user: UserId| {
        room.members
            .iter()
            .any(|m| m.id == user && m.ranked_limit_reached)
    };
    let reason = |performer: UserId| {
        if over_limit(performer) {
            Uncounted::DailyLimit
        } else {
            Uncounted::TooFewScorers
        }
    };
    match room.phase {
        Phase::OnAir => {
            let performer = room.performer?;
            if over_limit(performer) {
                Some(Uncounted::DailyLimit)
            } else if room.members.iter().filter(|m| m.id != performer).count() < 2 {
                Some(Uncounted::TooFewScorers)
            } else {
                None
            }
        }
        Phase::Scoring => room
            .round
            .as_ref()
            .filter(|r| !r.counts)
            .map(|r| reason(r.performer)),
        Phase::Nominating => room
            .results
            .last()
            .filter(|r| !r.counts)
            .map(|r| reason(r.performer)),
        Phase::Lobby | Phase::UpNext | Phase::Ended => None,
    }
}

/// Members who joined after the open round's act ended: they cannot score it (the round
/// lists who can).
pub fn late_joiners(room: &RoomSnapshot) -> Vec<UserId> {
    let Some(round) = &room.round else {
        return Vec::new();
    };
    room.members
        .iter()
        .map(|m| m.id)
        .filter(|id| *id != round.performer && !round.scorers.contains(id))
        .collect()
}

/// What the scoring dialog shows this member.
#[derive(Debug, Clone, PartialEq)]
pub enum ScoreStatus {
    /// No round is open.
    Closed,
    /// It is this member's own act.
    OwnAct,
    /// This member may score the round.
    Open(RoundView),
    /// This member's score is in.
    Scored(RoundView),
    /// This member joined after the act ended.
    Late(RoundView),
}

pub fn score_status(room: &RoomSnapshot, you: UserId) -> ScoreStatus {
    let Some(round) = room.round.as_ref().filter(|_| room.phase == Phase::Scoring) else {
        return ScoreStatus::Closed;
    };
    if round.performer == you {
        ScoreStatus::OwnAct
    } else if round.scored.contains(&you) {
        ScoreStatus::Scored(round.clone())
    } else if late_joiners(room).contains(&you) {
        ScoreStatus::Late(round.clone())
    } else {
        ScoreStatus::Open(round.clone())
    }
}

/// Whole seconds left until `deadline_ms` (rounded up, never negative).
pub fn seconds_left(deadline_ms: i64, now_ms: f64) -> u64 {
    let left = (deadline_ms as f64 - now_ms) / 1000.0;
    if left.is_nan() || left <= 0.0 {
        0
    } else {
        left.ceil() as u64
    }
}

/// How much of the scoring time is left, 0.0–1.0, given the round's full length.
pub fn time_fraction_left(deadline_ms: i64, now_ms: f64, total_ms: i64) -> f64 {
    if total_ms <= 0 {
        return 0.0;
    }
    ((deadline_ms as f64 - now_ms) / total_ms as f64).clamp(0.0, 1.0)
}

/// One row of the results board: competition rank among scored acts (equal means share a
/// place; acts without a score have none and come last).
#[derive(Debug, Clone, PartialEq)]
pub struct BoardRow {
    pub rank: Option<u32>,
    pub result: ActResult,
}

pub fn results_board(results: &[ActResult]) -> Vec<BoardRow> {
    let mut sorted = results.to_vec();
    sorted.sort_by(|a, b| {
        b.average
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&a.average.unwrap_or(f64::NEG_INFINITY))
            .then(a.round.cmp(&b.round))
    });
    let mut rows: Vec<BoardRow> = Vec::with_capacity(sorted.len());
    for (i, result) in sorted.into_iter().enumerate() {
        let rank = result.average.map(|avg| match rows.last() {
            Some(prev) if prev.result.average == Some(avg) => prev.rank.unwrap_or(1),
            _ => i as u32 + 1,
        });
        rows.push(BoardRow { rank, result });
    }
    rows
}

/// The synced room: who we are, the snapshot and the `seq` of the last event folded into it.
#[derive(Debug, Clone, PartialEq)]
pub struct Synced {
    pub you: UserId,
    pub seq: u64,
    /// The room's numbering of `seq` (see `Direct::Welcome`); sent back with `resync`.
    pub epoch: String,
    pub room: RoomSnapshot,
}

/// What the connection should do after a frame was taken in.
#[derive(Debug, Clone, PartialEq)]
pub enum Ingest {
    /// A `welcome` replaced the whole state.
    Welcomed,
    /// The event was applied; the state changed.
    Applied(EventKind),
    /// Already applied (`seq` ≤ the last one): ignored.
    Stale,
    /// Events are missing: send `resync { since }`. The event that revealed the gap was not
    /// applied; the server's replay brings it again.
    Gap { since: u64 },
    /// Still waiting for the replay of an earlier gap: ignored.
    AwaitingResync,
    /// An event before any `welcome`: ignored.
    NotSynced,
    /// An `error` frame for this member.
    Error { code: ErrorCode, message: String },
    /// A WebRTC signal from another member, for the video mesh.
    Signal {
        from: UserId,
        data: serde_json::Value,
    },
    /// We were removed from the room (kicked): stop.
    Removed(LeaveReason),
    /// The answer to a `time_sync` (for keeping a sing-along track in step).
    Clock { client_ms: f64, server_ms: f64 },
}

/// A replay that never comes would stall the room; after this many dropped events the tracker
/// asks again.
const RESYNC_RETRY_AFTER: u32 = 64;

/// Follows the room's `seq` and applies each event exactly once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tracker {
    pub synced: Option<Synced>,
    /// `since` of the resync asked for and not yet answered.
    pending_since: Option<u64>,
    dropped_while_pending: u32,
}

impl Tracker {
    pub fn you(&self) -> Option<UserId> {
        self.synced.as_ref().map(|s| s.you)
    }

    pub fn seq(&self) -> Option<u64> {
        self.synced.as_ref().map(|s| s.seq)
    }

    /// The epoch of the last `welcome`.
    pub fn epoch(&self) -> Option<String> {
        self.synced.as_ref().map(|s| s.epoch.clone())
    }

    pub fn room(&self) -> Option<&RoomSnapshot> {
        self.synced.as_ref().map(|s| &s.room)
    }

    /// Takes in one decoded server frame.
    pub fn ingest(&mut self, msg: ServerMsg) -> Ingest {
        match msg {
            ServerMsg::Direct(Direct::Welcome {
                you,
                seq,
                epoch,
                room,
            }) => {
                self.synced = Some(Synced {
                    you,
                    seq,
                    epoch,
                    room,
                });
                self.pending_since = None;
                self.dropped_while_pending = 0;
                Ingest::Welcomed
            }
            ServerMsg::Direct(Direct::Error { code, message }) => Ingest::Error { code, message },
            ServerMsg::Direct(Direct::Signal { from, data }) => Ingest::Signal { from, data },
            ServerMsg::Direct(Direct::TimeSync {
                client_ms,
                server_ms,
            }) => Ingest::Clock {
                client_ms,
                server_ms,
            },
            ServerMsg::Event(event) => self.event(event),
        }
    }

    fn event(&mut self, Event { seq, kind }: Event) -> Ingest {
        let Some(synced) = self.synced.as_mut() else {
            return Ingest::NotSynced;
        };
        if seq <= synced.seq {
            return Ingest::Stale;
        }
        if seq > synced.seq + 1 {
            let since = synced.seq;
            if self.pending_since == Some(since) && self.dropped_while_pending < RESYNC_RETRY_AFTER
            {
                self.dropped_while_pending += 1;
                return Ingest::AwaitingResync;
            }
            self.pending_since = Some(since);
            self.dropped_while_pending = 0;
            return Ingest::Gap { since };
        }
        apply(&mut synced.room, &kind);
        synced.seq = seq;
        self.pending_since = None;
        self.dropped_while_pending = 0;
        if let EventKind::MemberLeft {
            user,
            reason: LeaveReason::Kicked,
        } = &kind
        {
            if *user == synced.you {
                return Ingest::Removed(LeaveReason::Kicked);
            }
        }
        Ingest::Applied(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use onair_shared::protocol::{ChatLine, MemberView, ReactionKind, RoundView};
    use onair_shared::room::{Category, Mode};
    use onair_shared::{RoomId, RoundId};

    fn member(id: i64, name: &str) -> MemberView {
        MemberView {
            id: UserId(id),
            name: name.into(),
            online: true,
            performed: false,
            score: None,
            ranked_limit_reached: false,
        }
    }

    fn snapshot() -> RoomSnapshot {
        RoomSnapshot {
            id: RoomId(1),
            title: "Friday night".into(),
            mode: Mode::Rank,
            category: Category::Singing,
            member_limit: 8,
            host: UserId(1),
            phase: Phase::Lobby,
            performer: None,
            on_air_at: None,
            round: None,
            nominee: None,
            members: vec![member(1, "Ada"), member(2, "Bo")],
            chat: vec![],
            results: vec![],
            media: Default::default(),
        }
    }

    fn round(id: u32, performer: i64) -> RoundView {
        RoundView {
            id: RoundId(id),
            performer: UserId(performer),
            deadline: 1_000,
            scored: vec![],
            eligible: 1,
            scorers: vec![UserId(2)],
            counts: true,
        }
    }

    fn line(from: i64, text: &str) -> ChatLine {
        ChatLine {
            from: UserId(from),
            name: format!("user{from}"),
            text: text.into(),
            at: 5,
        }
    }

    #[test]
    fn member_joined_adds_once() {
        let mut r = snapshot();
        apply(
            &mut r,
            &EventKind::MemberJoined {
                member: member(3, "Cy"),
            },
        );
        apply(
            &mut r,
            &EventKind::MemberJoined {
                member: member(3, "Cy"),
            },
        );
        assert_eq!(r.members.len(), 3);
        assert_eq!(r.members[2].name, "Cy");
    }

    #[test]
    fn member_left_removes_and_clears_nominee() {
        let mut r = snapshot();
        r.nominee = Some(UserId(2));
        apply(
            &mut r,
            &EventKind::MemberLeft {
                user: UserId(2),
                reason: LeaveReason::Left,
            },
        );
        assert_eq!(r.members.len(), 1);
        assert_eq!(r.nominee, None);
    }

    #[test]
    fn offline_and_online_toggle_presence() {
        let mut r = snapshot();
        apply(&mut r, &EventKind::MemberOffline { user: UserId(2) });
        assert!(!r.members[1].online);
        apply(&mut r, &EventKind::MemberOnline { user: UserId(2) });
        assert!(r.members[1].online);
        // Unknown users are ignored.
        apply(&mut r, &EventKind::MemberOffline { user: UserId(99) });
        assert_eq!(r.members.len(), 2);
    }

    #[test]
    fn chat_appends_and_is_bounded() {
        let mut r = snapshot();
        apply(
            &mut r,
            &EventKind::Chat {
                line: line(1, "hi"),
            },
        );
        assert_eq!(r.chat.last().unwrap().text, "hi");
        for i in 0..CHAT_KEEP + 10 {
            apply(
                &mut r,
                &EventKind::Chat {
                    line: line(2, &i.to_string()),
                },
            );
        }
        assert_eq!(r.chat.len(), CHAT_KEEP);
        assert_eq!(r.chat.last().unwrap().text, (CHAT_KEEP + 9).to_string());
    }

    #[test]
    fn reaction_changes_nothing() {
        let mut r = snapshot();
        let before = r.clone();
        apply(
            &mut r,
            &EventKind::Reaction {
                from: UserId(2),
                kind: ReactionKind::Clap,
            },
        );
        assert_eq!(r, before);
    }

    #[test]
    fn a_whole_act_from_start_to_results() {
        let mut r = snapshot();
        apply(&mut r, &EventKind::ShowStarted { first: UserId(1) });
        assert_eq!(
            r.phase,
            Phase::Lobby,
            "up_next or on_air says where the stage is"
        );
        apply(
            &mut r,
            &EventKind::UpNext {
                performer: UserId(1),
                at: 5_000,
            },
        );
        assert_eq!(
            (r.phase, r.performer, r.on_air_at),
            (Phase::UpNext, Some(UserId(1)), Some(5_000))
        );
        assert!(!r.members[0].performed, "not before going on air");

        apply(
            &mut r,
            &EventKind::OnAir {
                performer: UserId(1),
            },
        );
        assert_eq!(r.phase, Phase::OnAir);

        apply(&mut r, &EventKind::PerformanceEnded { round: round(1, 1) });
        assert_eq!(r.phase, Phase::Scoring);
        assert!(r.members[0].performed);
        assert_eq!(r.round.as_ref().unwrap().id, RoundId(1));

        let progress = EventKind::ScoreProgress {
            round: RoundId(1),
            scorer: UserId(2),
            count: 1,
            eligible: 1,
        };
        apply(&mut r, &progress);
        apply(&mut r, &progress);
        assert_eq!(r.round.as_ref().unwrap().scored, vec![UserId(2)]);
        // Progress for another round is ignored.
        apply(
            &mut r,
            &EventKind::ScoreProgress {
                round: RoundId(9),
                scorer: UserId(1),
                count: 1,
                eligible: 1,
            },
        );
        assert_eq!(r.round.as_ref().unwrap().scored, vec![UserId(2)]);

        let closed = EventKind::RoundClosed {
            round: RoundId(1),
            performer: UserId(1),
            name: "Ada".into(),
            average: Some(87.5),
            count: 1,
            counts: false,
        };
        apply(&mut r, &closed);
        apply(&mut r, &closed);
        assert_eq!(r.phase, Phase::Nominating);
        assert_eq!(r.round, None);
        assert_eq!(r.members[0].score, Some(87.5));
        assert_eq!(
            r.results.len(),
            1,
            "a replayed round_closed is recorded once"
        );
        assert_eq!(r.results[0].name, "Ada");

        apply(
            &mut r,
            &EventKind::Nominated {
                by: UserId(1),
                user: UserId(2),
            },
        );
        assert_eq!(r.nominee, Some(UserId(2)));

        apply(
            &mut r,
            &EventKind::OnAir {
                performer: UserId(2),
            },
        );
        assert_eq!(
            (r.phase, r.performer, r.nominee),
            (Phase::OnAir, Some(UserId(2)), None)
        );
    }

    #[test]
    fn host_changed_and_show_ended() {
        let mut r = snapshot();
        apply(&mut r, &EventKind::HostChanged { host: UserId(2) });
        assert_eq!(r.host, UserId(2));

        r.phase = Phase::OnAir;
        r.performer = Some(UserId(2));
        let results = vec![ActResult {
            round: RoundId(1),
            performer: UserId(1),
            name: "Ada".into(),
            average: None,
            count: 0,
            counts: false,
        }];
        apply(
            &mut r,
            &EventKind::ShowEnded {
                results: results.clone(),
                early: true,
            },
        );
        assert_eq!(r.phase, Phase::Ended);
        assert_eq!(r.performer, None);
        assert_eq!(r.results, results);
    }

    #[test]
    fn signals_pass_through_to_the_video_mesh_and_leave_seq_alone() {
        let mut t = Tracker::default();
        t.ingest(welcome(5));
        let data = serde_json::json!({"kind": "hello"});
        let frame: ServerMsg =
            serde_json::from_value(serde_json::json!({"type": "signal", "from": 1, "data": data}))
                .unwrap();
        assert_eq!(
            t.ingest(frame),
            Ingest::Signal {
                from: UserId(1),
                data
            }
        );
        assert_eq!(t.seq(), Some(5));
    }

    fn welcome(seq: u64) -> ServerMsg {
        ServerMsg::Direct(Direct::Welcome {
            you: UserId(2),
            seq,
            epoch: "e1".into(),
            room: snapshot(),
        })
    }

    fn chat_event(seq: u64, text: &str) -> ServerMsg {
        ServerMsg::Event(Event {
            seq,
            kind: EventKind::Chat {
                line: line(1, text),
            },
        })
    }

    #[test]
    fn events_before_welcome_are_ignored() {
        let mut t = Tracker::default();
        assert_eq!(t.ingest(chat_event(1, "x")), Ingest::NotSynced);
        assert_eq!(t.ingest(welcome(4)), Ingest::Welcomed);
        assert_eq!((t.you(), t.seq()), (Some(UserId(2)), Some(4)));
        // Sent back with every resync, so a new owner's numbering is never confused with this.
        assert_eq!(t.epoch().as_deref(), Some("e1"));
    }

    #[test]
    fn in_order_events_apply_once_and_replays_are_stale() {
        let mut t = Tracker::default();
        t.ingest(welcome(4));
        assert!(matches!(t.ingest(chat_event(5, "a")), Ingest::Applied(_)));
        assert!(matches!(t.ingest(chat_event(6, "b")), Ingest::Applied(_)));
        assert_eq!(t.ingest(chat_event(6, "b")), Ingest::Stale);
        assert_eq!(t.ingest(chat_event(3, "old")), Ingest::Stale);
        assert_eq!(t.seq(), Some(6));
        assert_eq!(t.room().unwrap().chat.len(), 2);
    }

    #[test]
    fn a_gap_asks_for_resync_once_then_the_replay_fills_it() {
        let mut t = Tracker::default();
        t.ingest(welcome(4));
        assert_eq!(t.ingest(chat_event(7, "c")), Ingest::Gap { since: 4 });
        assert_eq!(t.ingest(chat_event(8, "d")), Ingest::AwaitingResync);
        assert_eq!(t.seq(), Some(4), "nothing past the gap is applied");
        // The replay: 5..=8, then live events.
        for (seq, text) in [(5, "a"), (6, "b"), (7, "c"), (8, "d"), (9, "e")] {
            assert!(matches!(
                t.ingest(chat_event(seq, text)),
                Ingest::Applied(_)
            ));
        }
        let texts: Vec<_> = t
            .room()
            .unwrap()
            .chat
            .iter()
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(texts, ["a", "b", "c", "d", "e"]);
        // A later gap asks again.
        assert_eq!(t.ingest(chat_event(12, "x")), Ingest::Gap { since: 9 });
    }

    #[test]
    fn an_unanswered_resync_is_asked_again() {
        let mut t = Tracker::default();
        t.ingest(welcome(0));
        assert_eq!(t.ingest(chat_event(2, "x")), Ingest::Gap { since: 0 });
        for i in 0..RESYNC_RETRY_AFTER {
            assert_eq!(
                t.ingest(chat_event(3 + u64::from(i), "x")),
                Ingest::AwaitingResync
            );
        }
        assert_eq!(t.ingest(chat_event(100, "x")), Ingest::Gap { since: 0 });
    }

    #[test]
    fn a_fresh_welcome_replaces_state_and_clears_a_pending_resync() {
        let mut t = Tracker::default();
        t.ingest(welcome(4));
        t.ingest(chat_event(5, "a"));
        assert_eq!(t.ingest(chat_event(9, "z")), Ingest::Gap { since: 5 });
        assert_eq!(t.ingest(welcome(20)), Ingest::Welcomed);
        assert_eq!(t.seq(), Some(20));
        assert!(t.room().unwrap().chat.is_empty());
        assert!(matches!(t.ingest(chat_event(21, "b")), Ingest::Applied(_)));
        assert_eq!(t.ingest(chat_event(23, "d")), Ingest::Gap { since: 21 });
    }

    #[test]
    fn being_kicked_is_reported() {
        let mut t = Tracker::default();
        t.ingest(welcome(1));
        let kicked = ServerMsg::Event(Event {
            seq: 2,
            kind: EventKind::MemberLeft {
                user: UserId(2),
                reason: LeaveReason::Kicked,
            },
        });
        assert_eq!(t.ingest(kicked), Ingest::Removed(LeaveReason::Kicked));
        let other = ServerMsg::Event(Event {
            seq: 3,
            kind: EventKind::MemberLeft {
                user: UserId(1),
                reason: LeaveReason::Kicked,
            },
        });
        assert!(matches!(t.ingest(other), Ingest::Applied(_)));
    }

    #[test]
    fn wire_frames_decode_into_the_tracker() {
        let mut t = Tracker::default();
        let frame = serde_json::json!({
            "type": "welcome", "you": 2, "seq": 3,
            "room": serde_json::to_value(snapshot()).unwrap(),
        });
        let msg: ServerMsg = serde_json::from_value(frame).unwrap();
        assert_eq!(t.ingest(msg), Ingest::Welcomed);
        let msg: ServerMsg = serde_json::from_str(
            r#"{"seq":4,"type":"chat","line":{"from":1,"name":"Ada","text":"hello","at":1}}"#,
        )
        .unwrap();
        assert!(matches!(
            t.ingest(msg),
            Ingest::Applied(EventKind::Chat { .. })
        ));
        let msg: ServerMsg =
            serde_json::from_str(r#"{"type":"error","code":"not_host","message":"no"}"#).unwrap();
        assert_eq!(
            t.ingest(msg),
            Ingest::Error {
                code: ErrorCode::NotHost,
                message: "no".into()
            }
        );
    }

    #[test]
    fn going_on_air_counts_as_performed() {
        let mut r = snapshot();
        apply(&mut r, &EventKind::ShowStarted { first: UserId(2) });
        apply(
            &mut r,
            &EventKind::OnAir {
                performer: UserId(2),
            },
        );
        assert!(r.members[1].performed);
        assert!(!r.members[0].performed);
        apply(
            &mut r,
            &EventKind::OnAir {
                performer: UserId(1),
            },
        );
        assert!(r.members[0].performed);
    }

    #[test]
    fn a_member_leaving_mid_round_is_no_longer_awaited() {
        let mut r = snapshot();
        r.members.push(member(3, "Cy"));
        r.phase = Phase::Scoring;
        r.performer = Some(UserId(1));
        r.round = Some(RoundView {
            eligible: 2,
            scored: vec![UserId(3)],
            ..round(1, 1)
        });
        // A scorer leaving keeps their place; for one who had not scored the server follows
        // with the round as it now is (only it knows who was awaited: late joiners are not).
        apply(
            &mut r,
            &EventKind::MemberLeft {
                user: UserId(3),
                reason: LeaveReason::Left,
            },
        );
        assert_eq!(r.round.as_ref().unwrap().eligible, 2);
        apply(
            &mut r,
            &EventKind::MemberLeft {
                user: UserId(2),
                reason: LeaveReason::TimedOut,
            },
        );
        let mut updated = r.round.clone().unwrap();
        updated.eligible = 1;
        updated.counts = false;
        apply(&mut r, &EventKind::RoundUpdated { round: updated });
        assert_eq!(r.round.as_ref().unwrap().eligible, 1);
        assert!(!r.round.as_ref().unwrap().counts);
    }

    #[test]
    fn a_performer_who_left_during_scoring_keeps_their_name_on_the_results() {
        let mut r = snapshot();
        r.phase = Phase::Scoring;
        r.performer = Some(UserId(2));
        r.round = Some(round(1, 2));
        apply(
            &mut r,
            &EventKind::MemberLeft {
                user: UserId(2),
                reason: LeaveReason::Left,
            },
        );
        apply(
            &mut r,
            &EventKind::RoundClosed {
                round: RoundId(1),
                performer: UserId(2),
                name: "Bo".into(),
                average: Some(70.0),
                count: 1,
                counts: false,
            },
        );
        assert_eq!(r.results[0].name, "Bo");
    }

    fn scoring_room(members: &[i64], scorers: &[i64], scored: &[i64]) -> RoomSnapshot {
        let mut r = snapshot();
        r.members = members
            .iter()
            .map(|&id| member(id, &format!("m{id}")))
            .collect();
        r.phase = Phase::Scoring;
        r.performer = Some(UserId(1));
        r.round = Some(RoundView {
            eligible: scorers.len() as u32,
            scorers: scorers.iter().map(|&id| UserId(id)).collect(),
            scored: scored.iter().map(|&id| UserId(id)).collect(),
            ..round(1, 1)
        });
        r
    }

    #[test]
    fn the_room_says_when_a_ranked_act_will_not_count() {
        // On air with two others who can score: it counts.
        let mut r = snapshot();
        r.members.push(member(3, "Cy"));
        r.phase = Phase::OnAir;
        r.performer = Some(UserId(1));
        assert_eq!(uncounted_act(&r), None);
        // The performer has reached today's limit.
        r.members[0].ranked_limit_reached = true;
        assert_eq!(uncounted_act(&r), Some(Uncounted::DailyLimit));
        // Only one other member to score.
        r.members[0].ranked_limit_reached = false;
        r.members.pop();
        assert_eq!(uncounted_act(&r), Some(Uncounted::TooFewScorers));
        // Scoring: the round says.
        let mut r = scoring_room(&[1, 2, 3], &[2, 3], &[]);
        assert_eq!(uncounted_act(&r), None);
        r.round.as_mut().unwrap().counts = false;
        assert_eq!(uncounted_act(&r), Some(Uncounted::TooFewScorers));
        // After the round: its result says.
        apply(
            &mut r,
            &EventKind::RoundClosed {
                round: RoundId(1),
                performer: UserId(1),
                name: "Ada".into(),
                average: Some(50.0),
                count: 1,
                counts: false,
            },
        );
        assert_eq!(uncounted_act(&r), Some(Uncounted::TooFewScorers));
        // A normal room never says so.
        r.mode = Mode::Normal;
        assert_eq!(uncounted_act(&r), None);
    }

    #[test]
    fn a_closed_room_is_over() {
        let mut r = scoring_room(&[1, 2, 3], &[2, 3], &[]);
        apply(
            &mut r,
            &EventKind::RoomClosed {
                reason: onair_shared::room::CloseReason::Admin,
            },
        );
        assert_eq!((r.phase, r.round.is_none()), (Phase::Ended, true));
    }

    #[test]
    fn late_joiners_are_the_members_the_round_does_not_list() {
        // Everyone was there.
        assert!(late_joiners(&scoring_room(&[1, 2, 3], &[2, 3], &[])).is_empty());
        // 4 and 5 came after the act ended.
        assert_eq!(
            late_joiners(&scoring_room(&[1, 2, 3, 4, 5], &[2, 3], &[2])),
            [UserId(4), UserId(5)]
        );
        // A scorer who left is no concern of anyone present.
        assert_eq!(
            late_joiners(&scoring_room(&[1, 3, 4], &[2, 3], &[2])),
            [UserId(4)]
        );
        // The performer left: everyone else is judged the same way.
        assert_eq!(
            late_joiners(&scoring_room(&[2, 3, 4], &[2, 3], &[])),
            [UserId(4)]
        );
        // Whatever the order of the member list, the round's list decides (a guess from the
        // count took the last ones).
        assert_eq!(
            late_joiners(&scoring_room(&[1, 4, 2, 3], &[2, 3], &[])),
            [UserId(4)]
        );
        // No open round: nobody is late.
        let mut r = scoring_room(&[1, 2, 3], &[2], &[]);
        r.round = None;
        assert!(late_joiners(&r).is_empty());
    }

    #[test]
    fn score_status_for_each_member() {
        let r = scoring_room(&[1, 2, 3, 4], &[2, 3], &[3]);
        assert_eq!(score_status(&r, UserId(1)), ScoreStatus::OwnAct);
        assert!(matches!(score_status(&r, UserId(2)), ScoreStatus::Open(_)));
        assert!(matches!(
            score_status(&r, UserId(3)),
            ScoreStatus::Scored(_)
        ));
        assert!(matches!(score_status(&r, UserId(4)), ScoreStatus::Late(_)));
        let mut ended = r.clone();
        ended.phase = Phase::Nominating;
        assert_eq!(score_status(&ended, UserId(2)), ScoreStatus::Closed);
    }

    #[test]
    fn countdown_math() {
        assert_eq!(seconds_left(10_000, 0.0), 10);
        assert_eq!(seconds_left(10_000, 1.0), 10, "rounded up");
        assert_eq!(seconds_left(10_000, 9_001.0), 1);
        assert_eq!(seconds_left(10_000, 10_000.0), 0);
        assert_eq!(seconds_left(10_000, 99_999.0), 0, "never negative");
        assert_eq!(seconds_left(10_000, f64::NAN), 0);
        assert_eq!(time_fraction_left(30_000, 15_000.0, 30_000), 0.5);
        assert_eq!(time_fraction_left(30_000, -5_000.0, 30_000), 1.0);
        assert_eq!(time_fraction_left(30_000, 40_000.0, 30_000), 0.0);
        assert_eq!(time_fraction_left(30_000, 0.0, 0), 0.0);
    }

    #[test]
    fn results_board_shares_ranks_for_equal_means() {
        let r = |round: u32, avg: Option<f64>| ActResult {
            round: RoundId(round),
            performer: UserId(i64::from(round)),
            name: format!("p{round}"),
            average: avg,
            count: 1,
            counts: true,
        };
        let board = results_board(&[
            r(1, Some(50.0)),
            r(2, None),
            r(3, Some(90.5)),
            r(4, Some(50.0)),
            r(5, Some(10.0)),
        ]);
        let got: Vec<(u32, Option<u32>)> =
            board.iter().map(|b| (b.result.round.0, b.rank)).collect();
        assert_eq!(
            got,
            [
                (3, Some(1)),
                (1, Some(2)),
                (4, Some(2)),
                (5, Some(4)),
                (2, None)
            ]
        );
        assert!(results_board(&[]).is_empty());
    }
}
