//! The realtime protocol (v1) between browsers and the room-server.
//!
//! Frames are JSON text objects tagged by `"type"` (snake_case). Room events carry a room-wide
//! `seq` that increases by exactly 1; frames meant for one member (`welcome`, `signal`, `error`)
//! carry none. docs/PROTOCOL.md shows every frame with an example.

use crate::media::MediaState;
use crate::room::{Category, CloseReason, Mode};
use crate::{RoomId, RoundId, UserId};
use serde::{Deserialize, Serialize};

/// Larger text frames are answered with `frame_too_large` and dropped.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// An opaque WebRTC payload (SDP or ICE candidate) may be at most this large.
pub const MAX_SIGNAL_BYTES: usize = 16 * 1024;
pub const CHAT_MAX_CHARS: usize = 500;
pub const SCORE_MIN: i64 = 0;
pub const SCORE_MAX: i64 = 100;

// ---------------------------------------------------------------------------------------------
// Client -> server
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    Chat {
        text: String,
    },
    React {
        kind: ReactionKind,
    },
    /// Host only. `first` defaults to the host.
    Start {
        #[serde(default)]
        first: Option<UserId>,
    },
    /// Host or the performer on air.
    EndPerformance,
    /// The performer who just finished (or the host, if that performer has left).
    Nominate {
        user: UserId,
    },
    /// `value` is taken as any integer so that an out-of-range score gets its own error code
    /// instead of a parse error.
    Score {
        round: RoundId,
        value: i64,
    },
    /// Host only: ends the show early.
    EndShow,
    /// Host only, once the show has ended: a new show in the same room. Members stay; the
    /// results board and who has performed start afresh.
    PlayAgain,
    /// Opaque WebRTC offer/answer/ICE for one other member of the same room.
    Signal {
        to: UserId,
        data: serde_json::Value,
    },
    /// Replay the events after `since`, or send a fresh `welcome` when they are gone, or when
    /// `epoch` (the one of the client's last `welcome`) is not the room's epoch any more.
    Resync {
        since: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        epoch: Option<String>,
    },
    Leave,
    /// Host only: removes a member, who cannot come back into this room.
    Kick {
        user: UserId,
    },
    /// The performer on air, or the host: puts a track on the stage (paused at 0).
    MediaSet {
        url: String,
    },
    /// Plays the track, from `position_ms` if given, else from where it is.
    MediaPlay {
        #[serde(default)]
        position_ms: Option<u64>,
    },
    MediaPause,
    MediaSeek {
        position_ms: u64,
    },
    /// Takes the track off the stage.
    MediaClear,
    /// Any member: their player cannot play the track on the stage (told to the room once per
    /// track, in `media_state.error`).
    MediaError {
        reason: crate::media::MediaFailure,
    },
    /// Anyone: asks for the server's clock (answered with a `time_sync` frame, no `seq`).
    /// `client_ms` is echoed back as given.
    TimeSync {
        client_ms: f64,
    },
}

impl ClientMsg {
    /// The wire name of this frame's type, for logs and rate-limit buckets.
    pub fn type_name(&self) -> &'static str {
        match self {
            ClientMsg::Chat { .. } => "chat",
            ClientMsg::React { .. } => "react",
            ClientMsg::Start { .. } => "start",
            ClientMsg::EndPerformance => "end_performance",
            ClientMsg::Nominate { .. } => "nominate",
            ClientMsg::Score { .. } => "score",
            ClientMsg::EndShow => "end_show",
            ClientMsg::PlayAgain => "play_again",
            ClientMsg::Signal { .. } => "signal",
            ClientMsg::Resync { .. } => "resync",
            ClientMsg::Leave => "leave",
            ClientMsg::Kick { .. } => "kick",
            ClientMsg::MediaSet { .. } => "media_set",
            ClientMsg::MediaPlay { .. } => "media_play",
            ClientMsg::MediaPause => "media_pause",
            ClientMsg::MediaSeek { .. } => "media_seek",
            ClientMsg::MediaClear => "media_clear",
            ClientMsg::MediaError { .. } => "media_error",
            ClientMsg::TimeSync { .. } => "time_sync",
        }
    }
}

/// Every client frame type, so the server can tell "unknown type" from "bad fields".
pub const CLIENT_MSG_TYPES: [&str; 19] = [
    "chat",
    "react",
    "start",
    "end_performance",
    "nominate",
    "score",
    "end_show",
    "play_again",
    "signal",
    "resync",
    "leave",
    "kick",
    "media_set",
    "media_play",
    "media_pause",
    "media_seek",
    "media_clear",
    "media_error",
    "time_sync",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReactionKind {
    Clap,
    Mirrorball,
}

// ---------------------------------------------------------------------------------------------
// Server -> client
// ---------------------------------------------------------------------------------------------

/// Anything the server sends. Decoding tries a room event first, then a direct frame.
// A `welcome` makes `Direct` the big variant; there is one per connection (see `Direct`).
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ServerMsg {
    Event(Event),
    Direct(Direct),
}

/// A room event as sent: its `seq` plus the event's own fields, flattened into one object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u64,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// Something that happened in a room; every member receives it, in `seq` order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    MemberJoined {
        member: MemberView,
    },
    MemberLeft {
        user: UserId,
        reason: LeaveReason,
    },
    /// The member's connection dropped; the seat is kept for the grace period.
    MemberOffline {
        user: UserId,
    },
    MemberOnline {
        user: UserId,
    },
    Chat {
        line: ChatLine,
    },
    Reaction {
        from: UserId,
        kind: ReactionKind,
    },
    /// The show has begun with `first` as its first performer (`up_next` or `on_air` follows).
    ShowStarted {
        first: UserId,
    },
    /// `performer` is named and goes on air at `at` (server unix ms): the 3-2-1 countdown.
    UpNext {
        performer: UserId,
        at: i64,
    },
    OnAir {
        performer: UserId,
    },
    /// The act is over and its scoring round is open until `deadline`.
    PerformanceEnded {
        round: RoundView,
    },
    ScoreProgress {
        round: RoundId,
        scorer: UserId,
        count: u32,
        eligible: u32,
    },
    /// The open round changed for another reason than a score: a member who had not scored
    /// left (one fewer awaited), and with them maybe the act's chance to count.
    RoundUpdated {
        round: RoundView,
    },
    RoundClosed {
        round: RoundId,
        performer: UserId,
        /// The performer's name as the round knew it (they may have left during scoring).
        #[serde(default)]
        name: String,
        /// Mean of the scores received, two decimals; `null` when nobody scored.
        average: Option<f64>,
        count: u32,
        /// Ranked rooms: whether the act counts toward the global ranking (at least 2 scores
        /// that count, and the performer under the daily limit). Always false in normal rooms.
        #[serde(default)]
        counts: bool,
    },
    Nominated {
        by: UserId,
        user: UserId,
    },
    HostChanged {
        host: UserId,
    },
    ShowEnded {
        results: Vec<ActResult>,
        /// True when the host ended the show before everyone had performed.
        early: bool,
    },
    /// The host started a new show in the same room (`play_again`): back to the lobby with
    /// the same members, nobody has performed, the results board is empty.
    ShowReset,
    /// The room is closed for good (by its host, an admin, or for standing idle); the last
    /// event before the server closes every connection.
    RoomClosed {
        reason: CloseReason,
    },
    /// The sing-along track changed: set, played, paused, moved or cleared (all of it, as
    /// it now is).
    MediaState(MediaState),
}

impl EventKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            EventKind::MemberJoined { .. } => "member_joined",
            EventKind::MemberLeft { .. } => "member_left",
            EventKind::MemberOffline { .. } => "member_offline",
            EventKind::MemberOnline { .. } => "member_online",
            EventKind::Chat { .. } => "chat",
            EventKind::Reaction { .. } => "reaction",
            EventKind::ShowStarted { .. } => "show_started",
            EventKind::UpNext { .. } => "up_next",
            EventKind::OnAir { .. } => "on_air",
            EventKind::PerformanceEnded { .. } => "performance_ended",
            EventKind::ScoreProgress { .. } => "score_progress",
            EventKind::RoundUpdated { .. } => "round_updated",
            EventKind::RoundClosed { .. } => "round_closed",
            EventKind::Nominated { .. } => "nominated",
            EventKind::HostChanged { .. } => "host_changed",
            EventKind::ShowEnded { .. } => "show_ended",
            EventKind::ShowReset => "show_reset",
            EventKind::RoomClosed { .. } => "room_closed",
            EventKind::MediaState(_) => "media_state",
        }
    }
}

/// Every server frame type: the room events' ([`EventKind::type_name`]) and the direct frames'.
/// The room-server counts the frames it writes under these names (and nothing else), so a new
/// frame type belongs here too.
pub const SERVER_MSG_TYPES: [&str; 23] = [
    "member_joined",
    "member_left",
    "member_offline",
    "member_online",
    "chat",
    "reaction",
    "show_started",
    "up_next",
    "on_air",
    "performance_ended",
    "score_progress",
    "round_updated",
    "round_closed",
    "nominated",
    "host_changed",
    "show_ended",
    "show_reset",
    "room_closed",
    "media_state",
    "welcome",
    "signal",
    "error",
    "time_sync",
];

impl Direct {
    pub fn type_name(&self) -> &'static str {
        match self {
            Direct::Welcome { .. } => "welcome",
            Direct::Signal { .. } => "signal",
            Direct::Error { .. } => "error",
            Direct::TimeSync { .. } => "time_sync",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    /// The member left on purpose.
    Left,
    /// The member stayed offline past the grace period.
    TimedOut,
    Kicked,
    /// An admin banned the account.
    Banned,
}

/// Frames for one member only; they carry no `seq`.
// A welcome (the whole room) is far bigger than a signal or an error, but there is one per
// connection and it is decoded once; boxing it would only add noise to every match on it.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Direct {
    /// The first frame on every connection (and the answer to a `resync` that cannot be
    /// served from the buffer): the whole room as of `seq`. `seq` numbers are only comparable
    /// within one `epoch`: it changes whenever the room's history may have been lost (a
    /// takeover from the saved state after its owner died).
    Welcome {
        you: UserId,
        seq: u64,
        #[serde(default)]
        epoch: String,
        room: RoomSnapshot,
    },
    Signal {
        from: UserId,
        data: serde_json::Value,
    },
    Error {
        code: ErrorCode,
        message: String,
    },
    /// The answer to `time_sync`: `client_ms` as the client sent it, `server_ms` the server's
    /// unix time in milliseconds (with a fraction) when it answered.
    TimeSync {
        client_ms: f64,
        server_ms: f64,
    },
}

/// The whole state of a room, as a member needs it to draw the screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomSnapshot {
    pub id: RoomId,
    pub title: String,
    pub mode: Mode,
    pub category: Category,
    pub member_limit: u8,
    pub host: UserId,
    pub phase: Phase,
    /// On air (phase `on_air`), about to be (`up_next`), or the one whose act is being scored
    /// or who nominates next.
    pub performer: Option<UserId>,
    /// Phase `up_next`: when the performer goes on air (server unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_air_at: Option<i64>,
    /// The open scoring round, if any.
    pub round: Option<RoundView>,
    /// Who goes on air next, once chosen.
    pub nominee: Option<UserId>,
    /// In the order they joined (the host hand-over order).
    pub members: Vec<MemberView>,
    /// The most recent chat lines, oldest first.
    pub chat: Vec<ChatLine>,
    /// Every act scored so far, in order; the results board once the show has ended.
    pub results: Vec<ActResult>,
    /// The sing-along track and where it is.
    #[serde(default)]
    pub media: MediaState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Before the show: members join and chat.
    Lobby,
    /// The next performer is named and goes on air when the countdown ends (`on_air_at`).
    UpNext,
    /// A performer is on air.
    OnAir,
    /// An act has ended and its scoring round is open.
    Scoring,
    /// The round has closed; waiting for the next performer to be nominated.
    Nominating,
    /// The show is over; `results` is the board.
    Ended,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberView {
    pub id: UserId,
    pub name: String,
    pub online: bool,
    /// Left out while false: a welcome lists every member, and most have not performed yet.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub performed: bool,
    /// The mean score of this member's act, once its round has closed; left out until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Ranked rooms: this member has reached today's limit of ranked acts, so their act will
    /// not count toward the ranking. Left out while false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ranked_limit_reached: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundView {
    pub id: RoundId,
    pub performer: UserId,
    /// Unix milliseconds.
    pub deadline: i64,
    /// Who has scored so far, in ascending id order (never the values, until the round closes).
    pub scored: Vec<UserId>,
    /// How many scores the round awaits in all (`scorers.len()`).
    pub eligible: u32,
    /// Who may score it, in ascending id order: the members present when the act ended, less
    /// those who left without scoring (a member who joins later may not score it).
    #[serde(default)]
    pub scorers: Vec<UserId>,
    /// Ranked rooms: whether the act can still count toward the global ranking (the performer
    /// is under the daily limit and at least 2 of the eligible scorers' scores count). Always
    /// false in normal rooms.
    #[serde(default)]
    pub counts: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatLine {
    pub from: UserId,
    pub name: String,
    pub text: String,
    /// Unix milliseconds.
    pub at: i64,
}

/// One act on the results board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActResult {
    pub round: RoundId,
    pub performer: UserId,
    pub name: String,
    pub average: Option<f64>,
    pub count: u32,
    /// Ranked rooms: the act counted toward the global ranking.
    #[serde(default)]
    pub counts: bool,
}

/// Stable codes for refused frames; clients map them to messages in the user's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // The frame itself.
    BadJson,
    UnknownType,
    InvalidMessage,
    FrameTooLarge,
    RateLimited,
    // Who may do what.
    NotHost,
    NotYourTurn,
    NotAMember,
    // The show.
    NotEnoughMembers,
    AlreadyStarted,
    WrongPhase,
    AlreadyPerformed,
    AlreadyScored,
    RoundClosed,
    ScoreOutOfRange,
    CannotScoreOwnAct,
    NotEligible,
    InvalidChat,
    SignalTooLarge,
    CannotKickSelf,
    /// Nobody can kick the room's creator out of their own room.
    CannotKickCreator,
    // The connection.
    RoomFull,
    Kicked,
    /// An admin banned this account; the connection closes.
    Banned,
    /// The room has closed (its host or an admin closed it, or it stood idle); no seats.
    RoomClosed,
    /// The same user opened the room on another connection; this one is closed.
    Replaced,
    // The sing-along track.
    /// A track control from someone other than the performer on air or the host.
    NotAllowed,
    /// Not a YouTube video or an http(s) file URL, or a position past 12 hours.
    InvalidMedia,
    /// Play, pause or seek with no track on the stage.
    NoMedia,
    /// The room is moving to another server (its owner died or Redis is away) and your last
    /// frame could not be kept until it is back: it was not applied; send it again.
    RoomUnavailable,
    Internal,
}

impl ErrorCode {
    /// Every code, for exhaustive checks (translations, docs).
    pub const ALL: [ErrorCode; 31] = [
        ErrorCode::BadJson,
        ErrorCode::UnknownType,
        ErrorCode::InvalidMessage,
        ErrorCode::FrameTooLarge,
        ErrorCode::RateLimited,
        ErrorCode::NotHost,
        ErrorCode::NotYourTurn,
        ErrorCode::NotAMember,
        ErrorCode::NotEnoughMembers,
        ErrorCode::AlreadyStarted,
        ErrorCode::WrongPhase,
        ErrorCode::AlreadyPerformed,
        ErrorCode::AlreadyScored,
        ErrorCode::RoundClosed,
        ErrorCode::ScoreOutOfRange,
        ErrorCode::CannotScoreOwnAct,
        ErrorCode::NotEligible,
        ErrorCode::InvalidChat,
        ErrorCode::SignalTooLarge,
        ErrorCode::CannotKickSelf,
        ErrorCode::CannotKickCreator,
        ErrorCode::RoomFull,
        ErrorCode::Kicked,
        ErrorCode::Banned,
        ErrorCode::RoomClosed,
        ErrorCode::Replaced,
        ErrorCode::NotAllowed,
        ErrorCode::InvalidMedia,
        ErrorCode::NoMedia,
        ErrorCode::RoomUnavailable,
        ErrorCode::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadJson => "bad_json",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::InvalidMessage => "invalid_message",
            ErrorCode::FrameTooLarge => "frame_too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::NotHost => "not_host",
            ErrorCode::NotYourTurn => "not_your_turn",
            ErrorCode::NotAMember => "not_a_member",
            ErrorCode::NotEnoughMembers => "not_enough_members",
            ErrorCode::AlreadyStarted => "already_started",
            ErrorCode::WrongPhase => "wrong_phase",
            ErrorCode::AlreadyPerformed => "already_performed",
            ErrorCode::AlreadyScored => "already_scored",
            ErrorCode::RoundClosed => "round_closed",
            ErrorCode::ScoreOutOfRange => "score_out_of_range",
            ErrorCode::CannotScoreOwnAct => "cannot_score_own_act",
            ErrorCode::NotEligible => "not_eligible",
            ErrorCode::InvalidChat => "invalid_chat",
            ErrorCode::SignalTooLarge => "signal_too_large",
            ErrorCode::CannotKickSelf => "cannot_kick_self",
            ErrorCode::CannotKickCreator => "cannot_kick_creator",
            ErrorCode::RoomFull => "room_full",
            ErrorCode::Kicked => "kicked",
            ErrorCode::Banned => "banned",
            ErrorCode::RoomClosed => "room_closed",
            ErrorCode::Replaced => "replaced",
            ErrorCode::NotAllowed => "not_allowed",
            ErrorCode::InvalidMedia => "invalid_media",
            ErrorCode::NoMedia => "no_media",
            ErrorCode::RoomUnavailable => "room_unavailable",
            ErrorCode::Internal => "internal",
        }
    }
}

/// Rounds a mean to two decimals the way the results board shows it.
pub fn mean_two_decimals(sum: i64, count: u32) -> Option<f64> {
    if count == 0 {
        return None;
    }
    // Integer arithmetic in hundredths, rounding half up, so 200/3 is exactly 66.67.
    let hundredths = (sum * 200 + i64::from(count)) / (2 * i64::from(count));
    Some(hundredths as f64 / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn a_member_who_has_not_performed_is_sent_without_the_act_fields() {
        let fresh = MemberView {
            id: UserId(7),
            name: "Dan".into(),
            online: true,
            performed: false,
            score: None,
            ranked_limit_reached: false,
        };
        let encoded = serde_json::to_value(&fresh).unwrap();
        assert_eq!(encoded, json!({"id": 7, "name": "Dan", "online": true}));
        assert_eq!(
            serde_json::from_value::<MemberView>(encoded).unwrap(),
            fresh
        );

        let scored = MemberView {
            performed: true,
            score: Some(80.5),
            ..fresh
        };
        let encoded = serde_json::to_value(&scored).unwrap();
        assert_eq!(encoded["performed"], json!(true));
        assert_eq!(encoded["score"], json!(80.5));
        assert_eq!(
            serde_json::from_value::<MemberView>(encoded).unwrap(),
            scored
        );
        // The long form (explicit false / null) still decodes.
        let long =
            json!({"id": 7, "name": "Dan", "online": true, "performed": false, "score": null});
        assert_eq!(
            serde_json::from_value::<MemberView>(long).unwrap().score,
            None
        );
    }

    #[test]
    fn client_frames_use_snake_case_type_tags() {
        let m: ClientMsg = serde_json::from_value(json!({"type":"end_performance"})).unwrap();
        assert_eq!(m, ClientMsg::EndPerformance);
        let m: ClientMsg = serde_json::from_value(json!({"type":"start"})).unwrap();
        assert_eq!(m, ClientMsg::Start { first: None });
        let m: ClientMsg =
            serde_json::from_value(json!({"type":"score","round":3,"value":120})).unwrap();
        assert_eq!(
            m,
            ClientMsg::Score {
                round: RoundId(3),
                value: 120
            }
        );
        for name in CLIENT_MSG_TYPES {
            assert!(serde_json::from_value::<ClientMsg>(json!({ "type": name }))
                .map(|m| m.type_name() == name)
                .unwrap_or(true));
        }
        // Every frame a client may send is listed (the metrics' labels come from the list).
        let every = [
            json!({"type":"chat","text":"a"}),
            json!({"type":"react","kind":"clap"}),
            json!({"type":"start"}),
            json!({"type":"end_performance"}),
            json!({"type":"nominate","user":2}),
            json!({"type":"score","round":1,"value":1}),
            json!({"type":"end_show"}),
            json!({"type":"play_again"}),
            json!({"type":"signal","to":2,"data":{}}),
            json!({"type":"resync","since":0}),
            json!({"type":"leave"}),
            json!({"type":"kick","user":2}),
            json!({"type":"media_set","url":"x"}),
            json!({"type":"media_play"}),
            json!({"type":"media_pause"}),
            json!({"type":"media_seek","position_ms":1}),
            json!({"type":"media_clear"}),
            json!({"type":"media_error","reason":"embed_blocked"}),
            json!({"type":"time_sync","client_ms":1.5}),
        ];
        assert_eq!(every.len(), CLIENT_MSG_TYPES.len());
        for frame in every {
            let m: ClientMsg = serde_json::from_value(frame).unwrap();
            assert!(CLIENT_MSG_TYPES.contains(&m.type_name()));
        }
    }

    #[test]
    fn events_are_flat_objects_with_seq_and_type() {
        let e = Event {
            seq: 7,
            kind: EventKind::Reaction {
                from: UserId(2),
                kind: ReactionKind::Mirrorball,
            },
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v,
            json!({"seq":7,"type":"reaction","from":2,"kind":"mirrorball"})
        );
        let back: ServerMsg = serde_json::from_value(v).unwrap();
        assert_eq!(back, ServerMsg::Event(e));
    }

    #[test]
    fn server_frame_types_are_the_serialised_type_tags() {
        let user = UserId(1);
        let round = RoundView {
            id: RoundId(1),
            performer: user,
            deadline: 0,
            scored: vec![],
            eligible: 1,
            scorers: vec![UserId(2)],
            counts: true,
        };
        let events = [
            EventKind::MemberJoined {
                member: MemberView {
                    id: user,
                    name: "a".into(),
                    online: true,
                    performed: false,
                    score: None,
                    ranked_limit_reached: false,
                },
            },
            EventKind::MemberLeft {
                user,
                reason: LeaveReason::Left,
            },
            EventKind::MemberOffline { user },
            EventKind::MemberOnline { user },
            EventKind::Chat {
                line: ChatLine {
                    from: user,
                    name: "a".into(),
                    text: "hi".into(),
                    at: 0,
                },
            },
            EventKind::Reaction {
                from: user,
                kind: ReactionKind::Clap,
            },
            EventKind::ShowStarted { first: user },
            EventKind::UpNext {
                performer: user,
                at: 1_764_012_345_678,
            },
            EventKind::OnAir { performer: user },
            EventKind::PerformanceEnded { round },
            EventKind::ScoreProgress {
                round: RoundId(1),
                scorer: user,
                count: 1,
                eligible: 1,
            },
            EventKind::RoundUpdated {
                round: RoundView {
                    id: RoundId(1),
                    performer: user,
                    deadline: 0,
                    scored: vec![],
                    eligible: 1,
                    scorers: vec![UserId(2)],
                    counts: false,
                },
            },
            EventKind::RoundClosed {
                round: RoundId(1),
                performer: user,
                name: "a".into(),
                average: None,
                count: 0,
                counts: true,
            },
            EventKind::Nominated { by: user, user },
            EventKind::HostChanged { host: user },
            EventKind::ShowEnded {
                results: vec![],
                early: false,
            },
            EventKind::ShowReset,
            EventKind::RoomClosed {
                reason: crate::room::CloseReason::Host,
            },
            EventKind::MediaState(MediaState {
                media: Some(crate::media::Media {
                    kind: crate::media::MediaKind::Youtube,
                    id_or_url: "dQw4w9WgXcQ".into(),
                    title: None,
                }),
                playing: true,
                position_ms: 1_500,
                at_ms: 1_764_012_345_678,
                by: Some(user),
                error: Some(crate::media::MediaFault {
                    reason: crate::media::MediaFailure::EmbedBlocked,
                    by: user,
                }),
            }),
        ];
        let directs = [
            Direct::Signal {
                from: user,
                data: json!({}),
            },
            Direct::Error {
                code: ErrorCode::NotHost,
                message: String::new(),
            },
            Direct::TimeSync {
                client_ms: 1.5,
                server_ms: 1_764_012_345_678.25,
            },
        ];
        let mut named: Vec<(&str, Value)> = events
            .iter()
            .map(|e| (e.type_name(), serde_json::to_value(e).unwrap()))
            .collect();
        named.extend(
            directs
                .iter()
                .map(|d| (d.type_name(), serde_json::to_value(d).unwrap())),
        );
        named.push(("welcome", json!({"type": "welcome"})));
        for (name, value) in &named {
            assert_eq!(value["type"], json!(name));
            assert!(SERVER_MSG_TYPES.contains(name), "{name} is not listed");
        }
        assert_eq!(
            named.len(),
            SERVER_MSG_TYPES.len(),
            "every listed type is a frame"
        );
    }

    #[test]
    fn direct_frames_decode_as_direct() {
        let v = json!({"type":"error","code":"not_host","message":"only the host can start"});
        let m: ServerMsg = serde_json::from_value(v).unwrap();
        assert!(matches!(
            m,
            ServerMsg::Direct(Direct::Error {
                code: ErrorCode::NotHost,
                ..
            })
        ));
    }

    #[test]
    fn error_code_strings_match_serde() {
        for code in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), json!(code.as_str()));
        }
    }

    #[test]
    fn mean_is_rounded_to_two_decimals() {
        assert_eq!(mean_two_decimals(0, 0), None);
        assert_eq!(mean_two_decimals(200, 3), Some(66.67));
        assert_eq!(mean_two_decimals(100, 3), Some(33.33));
        assert_eq!(mean_two_decimals(181, 2), Some(90.5));
        assert_eq!(mean_two_decimals(0, 4), Some(0.0));
    }
}
