//! The mesh's decisions, as pure functions of the room snapshot and the clock: who to have a
//! call with, who left or came back, when a call is stuck and must start over, how much video
//! bitrate to send, whose picture goes on the big tile, and the relay-only debug switch.

use onair_shared::protocol::{Phase, RoomSnapshot};
use onair_shared::UserId;
use std::collections::BTreeSet;

/// The other members of the room, as far as video goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roster {
    /// Everyone in the room but us, online or not.
    pub known: BTreeSet<UserId>,
    /// Those of them connected now: the only ones we have a call with and send signals to.
    pub online: BTreeSet<UserId>,
}

impl Roster {
    pub fn of(room: &RoomSnapshot, you: UserId) -> Roster {
        let others = room.members.iter().filter(|m| m.id != you);
        Roster {
            known: others.clone().map(|m| m.id).collect(),
            online: others.filter(|m| m.online).map(|m| m.id).collect(),
        }
    }
}

/// How the roster changed between two snapshots.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RosterChange {
    /// Left the room or went offline: close their call.
    pub gone: Vec<UserId>,
    /// Were in the room offline and are back: call them again (their side may still think
    /// the old call is alive, so we start it).
    pub back: Vec<UserId>,
    /// New in the room: they start the call (a newcomer always does), we wait for it.
    pub joined: Vec<UserId>,
}

pub fn roster_change(prev: &Roster, next: &Roster) -> RosterChange {
    let gone = prev.online.difference(&next.online).copied().collect();
    let mut back = Vec::new();
    let mut joined = Vec::new();
    for id in next.online.difference(&prev.online) {
        if prev.known.contains(id) {
            back.push(*id);
        } else {
            joined.push(*id);
        }
    }
    RosterChange { gone, back, joined }
}

/// Where a call with one member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// No call yet: waiting for the other side to start it (their offer, or their `hello`).
    Waiting,
    /// Offer/answer done or under way, ICE checking.
    Connecting,
    Connected,
    /// Lost contact; may come back by itself.
    Disconnected,
    Failed,
}

impl LinkState {
    /// As drawn on the member's tile (`data-link`).
    pub fn code(self) -> &'static str {
        match self {
            LinkState::Waiting => "waiting",
            LinkState::Connecting => "connecting",
            LinkState::Connected => "connected",
            LinkState::Disconnected => "disconnected",
            LinkState::Failed => "failed",
        }
    }

    /// Going well or about to: leave it alone when our room connection comes back.
    pub fn healthy(self) -> bool {
        matches!(self, LinkState::Connecting | LinkState::Connected)
    }
}

/// A call that has not connected after this long starts over (lost signals, a dead relay).
pub const CONNECT_TIMEOUT_MS: f64 = 20_000.0;
/// Waiting for the other side to start a call this long: start it ourselves.
pub const WAIT_TIMEOUT_MS: f64 = 10_000.0;
/// A call that lost contact this long (without coming back) starts over.
pub const DISCONNECTED_GRACE_MS: f64 = 6_000.0;

/// Whether a call in `state` since `since` (ms) must start over at `now` (ms).
pub fn needs_restart(state: LinkState, since: f64, now: f64) -> bool {
    let waited = now - since;
    match state {
        LinkState::Connected => false,
        LinkState::Failed => true,
        LinkState::Waiting => waited >= WAIT_TIMEOUT_MS,
        LinkState::Connecting => waited >= CONNECT_TIMEOUT_MS,
        LinkState::Disconnected => waited >= DISCONNECTED_GRACE_MS,
    }
}

/// Thumbnail video: what everyone sends while not on stage.
pub const THUMBNAIL_BPS: u32 = 300_000;
/// The performer's video, when the uplink allows.
pub const STAGE_BPS: u32 = 1_500_000;
/// What the performer's uplink is asked to carry for video in all, split across the calls
/// (a full mesh sends one copy per member).
pub const UPLINK_BUDGET_BPS: u32 = 6_000_000;

/// The `maxBitrate` for each of our video senders: [`THUMBNAIL_BPS`] normally; on stage,
/// [`STAGE_BPS`] or the uplink budget shared by `peers` calls, never below a thumbnail's.
/// A room of 8: 7 × 300 kbps = 2.1 Mbps for everyone, 7 × 857 kbps = 6 Mbps for the performer.
pub fn video_bitrate(on_stage: bool, peers: usize) -> u32 {
    if !on_stage {
        return THUMBNAIL_BPS;
    }
    let share = UPLINK_BUDGET_BPS / u32::try_from(peers.max(1)).unwrap_or(u32::MAX);
    share.clamp(THUMBNAIL_BPS, STAGE_BPS)
}

/// Whether `you` are performing now (and so send stage-quality video).
pub fn on_stage(room: &RoomSnapshot, you: UserId) -> bool {
    room.phase == Phase::OnAir && room.performer == Some(you)
}

/// Whose picture the big tile shows: the performer, counted down to going on air, on air, and
/// while their act is scored and the next one picked.
pub fn stage_user(room: &RoomSnapshot) -> Option<UserId> {
    match room.phase {
        Phase::UpNext | Phase::OnAir | Phase::Scoring | Phase::Nominating => room.performer,
        Phase::Lobby | Phase::Ended => None,
    }
}

/// The localStorage key of the relay-only switch.
pub const ICE_STORAGE_KEY: &str = "onair.ice";

/// The debug switch that forces every call through TURN (`iceTransportPolicy: "relay"`):
/// `?ice=relay` on the room's URL, or `relay` stored under [`ICE_STORAGE_KEY`]. A query
/// `?ice=all` overrides what is stored.
pub fn relay_forced(search: &str, stored: Option<&str>) -> bool {
    let from_query = search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("ice="));
    match from_query {
        Some(v) => v == "relay",
        None => stored.is_some_and(|s| s.trim() == "relay"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use onair_shared::protocol::MemberView;
    use onair_shared::room::{Category, Mode};
    use onair_shared::RoomId;

    fn room(members: &[(i64, bool)]) -> RoomSnapshot {
        RoomSnapshot {
            id: RoomId(1),
            title: "t".into(),
            mode: Mode::Normal,
            category: Category::Free,
            member_limit: 8,
            host: UserId(1),
            phase: Phase::Lobby,
            performer: None,
            on_air_at: None,
            round: None,
            nominee: None,
            members: members
                .iter()
                .map(|&(id, online)| MemberView {
                    id: UserId(id),
                    name: format!("m{id}"),
                    online,
                    performed: false,
                    score: None,
                    ranked_limit_reached: false,
                })
                .collect(),
            chat: vec![],
            results: vec![],
            media: Default::default(),
        }
    }

    fn ids(v: &[i64]) -> BTreeSet<UserId> {
        v.iter().map(|&i| UserId(i)).collect()
    }

    #[test]
    fn the_roster_is_everyone_else_and_who_of_them_is_online() {
        let r = Roster::of(&room(&[(1, true), (2, false), (3, true)]), UserId(1));
        assert_eq!(r.known, ids(&[2, 3]));
        assert_eq!(r.online, ids(&[3]));
    }

    #[test]
    fn leaving_and_going_offline_close_the_call_coming_back_reopens_it() {
        let you = UserId(1);
        let before = Roster::of(&room(&[(1, true), (2, true), (3, true), (4, false)]), you);
        // 2 went offline, 3 left, 4 came back, 5 joined.
        let after = Roster::of(&room(&[(1, true), (2, false), (4, true), (5, true)]), you);
        let change = roster_change(&before, &after);
        assert_eq!(change.gone, [UserId(2), UserId(3)]);
        assert_eq!(change.back, [UserId(4)]);
        assert_eq!(change.joined, [UserId(5)]);
        assert_eq!(roster_change(&after, &after), RosterChange::default());
    }

    #[test]
    fn stuck_calls_start_over_after_their_timeout() {
        use LinkState::*;
        assert!(!needs_restart(Connected, 0.0, 1e9));
        assert!(needs_restart(Failed, 0.0, 0.0));
        assert!(!needs_restart(Waiting, 0.0, WAIT_TIMEOUT_MS - 1.0));
        assert!(needs_restart(Waiting, 0.0, WAIT_TIMEOUT_MS));
        assert!(!needs_restart(
            Connecting,
            1000.0,
            1000.0 + CONNECT_TIMEOUT_MS - 1.0
        ));
        assert!(needs_restart(
            Connecting,
            1000.0,
            1000.0 + CONNECT_TIMEOUT_MS
        ));
        assert!(!needs_restart(
            Disconnected,
            0.0,
            DISCONNECTED_GRACE_MS - 1.0
        ));
        assert!(needs_restart(Disconnected, 0.0, DISCONNECTED_GRACE_MS));
        assert!(Connecting.healthy() && Connected.healthy());
        assert!(!Waiting.healthy() && !Disconnected.healthy() && !Failed.healthy());
    }

    #[test]
    fn thumbnails_are_capped_and_the_performer_shares_the_uplink_budget() {
        assert_eq!(video_bitrate(false, 1), THUMBNAIL_BPS);
        assert_eq!(video_bitrate(false, 7), THUMBNAIL_BPS);
        assert_eq!(video_bitrate(true, 0), STAGE_BPS);
        assert_eq!(video_bitrate(true, 1), STAGE_BPS);
        assert_eq!(video_bitrate(true, 4), STAGE_BPS);
        assert_eq!(video_bitrate(true, 7), 857_142);
        assert_eq!(video_bitrate(true, 11), 545_454);
        assert_eq!(video_bitrate(true, 100), THUMBNAIL_BPS);
        // A room of 8 fits a home uplink: ≤ 6 Mbps of video for the performer.
        assert!(7 * u64::from(video_bitrate(true, 7)) <= u64::from(UPLINK_BUDGET_BPS));
    }

    #[test]
    fn the_performer_is_on_stage_only_on_air_and_on_the_big_tile_until_the_next_act() {
        let mut r = room(&[(1, true), (2, true)]);
        assert_eq!(stage_user(&r), None);
        r.phase = Phase::OnAir;
        r.performer = Some(UserId(2));
        assert!(on_stage(&r, UserId(2)));
        assert!(!on_stage(&r, UserId(1)));
        assert_eq!(stage_user(&r), Some(UserId(2)));
        for phase in [Phase::Scoring, Phase::Nominating] {
            r.phase = phase;
            assert!(!on_stage(&r, UserId(2)));
            assert_eq!(stage_user(&r), Some(UserId(2)));
        }
        r.phase = Phase::Ended;
        assert_eq!(stage_user(&r), None);
    }

    #[test]
    fn relay_only_is_a_query_parameter_or_a_stored_switch() {
        assert!(relay_forced("?ice=relay", None));
        assert!(relay_forced("?lang=ko&ice=relay", None));
        assert!(!relay_forced("", None));
        assert!(!relay_forced("?ice=all", None));
        assert!(!relay_forced("?nice=relay", None));
        assert!(relay_forced("", Some("relay")));
        assert!(!relay_forced("?ice=all", Some("relay")), "the URL wins");
        assert!(!relay_forced("", Some("all")));
    }
}
