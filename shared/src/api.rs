//! REST request and response bodies of the api-server (`/api/v1`).

use crate::auth::Role;
use crate::protocol::ActResult;
use crate::room::{Category, CloseReason, Mode, RoomStatus};
use crate::{RoomId, RoundId, UserId};
use serde::{Deserialize, Serialize};

pub const DISPLAY_NAME_MAX_CHARS: usize = 30;
/// The one-line profile intro (`PATCH /me`).
pub const INTRO_MAX_CHARS: usize = 150;
/// Paginated lists take `?limit=` from 1 to this; the default is [`DEFAULT_PAGE_LIMIT`].
pub const MAX_PAGE_LIMIT: u32 = 100;
pub const DEFAULT_PAGE_LIMIT: u32 = 20;

/// Declares an enum of wire codes: each variant with its string, once; plus `Unknown` for a
/// code this build does not know (a newer server), `ALL` (what a server sends), `as_str` and
/// `parse`.
macro_rules! wire_codes {
    ($(#[$meta:meta])* $name:ident { $($(#[$doc:meta])* $variant:ident = $code:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$doc])* #[serde(rename = $code)] $variant,)*
            /// A code this build does not know (a newer server): treat it as a generic error.
            #[serde(other, rename = "unknown")]
            Unknown,
        }

        impl $name {
            /// Every code a server sends (not `Unknown`).
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)*
                    $name::Unknown => "unknown",
                }
            }

            /// The code for a wire string; `Unknown` for anything else.
            pub fn parse(s: &str) -> $name {
                match s {
                    $($code => $name::$variant,)*
                    _ => $name::Unknown,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        // Written by hand: utoipa's derive does not see the `serde(rename)` of variants made by
        // a macro, and would document the Rust names instead of the wire strings.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($code,)* "unknown"]))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

wire_codes! {
    /// Every `code` an HTTP error body can carry, from the api-server or the room-server's
    /// HTTP side. Clients match on it (exhaustively); `message` is for people.
    ApiErrorCode {
    /// The request could not be read: malformed JSON, wrong types, bad path or query.
    BadRequest = "bad_request",
    /// A value breaks a rule; the message names the field.
    ValidationFailed = "validation_failed",
    Unauthorized = "unauthorized",
    Banned = "banned",
    Forbidden = "forbidden",
    NotFound = "not_found",
    DevLoginDisabled = "dev_login_disabled",
    RoomNotFound = "room_not_found",
    RoomEnded = "room_ended",
    Conflict = "conflict",
    UserNotFound = "user_not_found",
    InvalidCursor = "invalid_cursor",
    CannotFollowSelf = "cannot_follow_self",
    CannotBanSelf = "cannot_ban_self",
    /// 429, with `retry_after`.
    RateLimited = "rate_limited",
    /// 409, with `room`: the caller's room that is still open.
    RoomAlreadyOpen = "room_already_open",
    NotRoomHost = "not_room_host",
    RoomClosed = "room_closed",
    RequestTimeout = "request_timeout",
    NotRanked = "not_ranked",
    RoundConflict = "round_conflict",
    InvalidLoginCode = "invalid_login_code",
    InternalDisabled = "internal_disabled",
    MethodNotAllowed = "method_not_allowed",
    PayloadTooLarge = "payload_too_large",
    DatabaseUnavailable = "database_unavailable",
    Internal = "internal",
    // The room-server's HTTP side (`GET /ws` before the upgrade).
    TicketExpired = "ticket_expired",
    InvalidTicket = "invalid_ticket",
    TicketUsed = "ticket_used",
    WrongRoom = "wrong_room",
    RoomUnavailable = "room_unavailable",
    /// The room-server is shutting down: connect again (to another instance).
    Draining = "draining",
}}

wire_codes! {
    /// Why a Kakao sign-in failed: the api-server redirects to `/login?error=<code>`.
    LoginErrorCode {
    /// The user declined on Kakao's consent page.
    AccessDenied = "access_denied",
    /// Kakao sent another `error=` value.
    KakaoError = "kakao_error",
    /// The state is missing, forged, expired, or not this browser's.
    InvalidState = "invalid_state",
    /// No code in the callback.
    InvalidRequest = "invalid_request",
    /// Kakao refused the code (bad, used or expired) or our app credentials.
    KakaoRejected = "kakao_rejected",
    /// Kakao did not answer (down, timeout, 5xx, garbage).
    KakaoUnavailable = "kakao_unavailable",
    Banned = "banned",
    /// Our side failed (database down).
    ServerError = "server_error",
    /// Kakao login is not configured on this server.
    KakaoDisabled = "kakao_disabled",
}}

/// Every error response: `{"error":{"code":"snake_case","message":"..."}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub code: ApiErrorCode,
    pub message: String,
    /// `rate_limited` (429): seconds until a retry can succeed (also in `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// `room_already_open` (409): the caller's room that is still open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomId>,
}

impl ErrorDetail {
    pub fn new(code: ApiErrorCode, message: impl Into<String>) -> ErrorDetail {
        ErrorDetail {
            code,
            message: message.into(),
            retry_after: None,
            room: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DevLoginRequest {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 30))]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    pub token: String,
    pub user: Me,
}

/// The signed-in user, as `GET /me` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub id: UserId,
    pub name: String,
    pub avatar_url: Option<String>,
    pub intro: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserSummary {
    pub id: UserId,
    pub name: String,
    pub avatar_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateRoomRequest {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 60))]
    pub title: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub description: String,
    #[serde(default)]
    pub category: Category,
    #[serde(default)]
    pub mode: Mode,
    /// Defaults to [`crate::room::DEFAULT_MEMBER_LIMIT`].
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 2, maximum = 12))]
    pub member_limit: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomView {
    pub id: RoomId,
    pub title: String,
    pub description: String,
    pub category: Category,
    pub mode: Mode,
    pub host: UserSummary,
    pub member_limit: u8,
    /// Members connected right now, as last reported by the room-server.
    pub member_count: u32,
    pub status: RoomStatus,
    /// Unix seconds.
    pub created_at: i64,
    /// An ended room's results board (its last show's acts, in show order), so its link still
    /// shows how it went; absent while the room is open or live, or when nothing was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<Vec<ActResult>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomList {
    pub rooms: Vec<RoomView>,
    /// Pass as `?cursor=` for the next (older) rooms; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketResponse {
    pub ticket: String,
    /// Full WebSocket URL including `?ticket=`; open it within `expires_at`. The room-server
    /// is chosen by room (affinity), so members of one room usually share an instance.
    pub ws_url: String,
    /// The same ticket on the other room-server instances, to try in order when `ws_url`
    /// cannot be reached (that instance is down; another takes the room over).
    #[serde(default)]
    pub fallback_ws_urls: Vec<String>,
    /// Unix seconds.
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// `GET /config`: what the browser needs before anything else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientConfig {
    pub ice_servers: Vec<IceServer>,
    pub dev_login: bool,
    pub kakao_login: bool,
    /// The YouTube IFrame Player API script the sing-along player loads.
    #[serde(default = "default_youtube_api_url")]
    pub youtube_api_url: String,
}

/// Production's YouTube IFrame Player API script (an older api-server does not send one).
pub fn default_youtube_api_url() -> String {
    "https://www.youtube.com/iframe_api".to_owned()
}

/// `POST /auth/exchange`: trades the one-time code from `/login/complete?code=...` (the end of
/// the Kakao login redirect) for a login token. A code works once, within 60 seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExchangeCodeRequest {
    pub code: String,
}

/// `PATCH /me`: the fields a user edits. The intro is one line, at most [`INTRO_MAX_CHARS`]
/// characters after trimming; an empty string clears it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateMeRequest {
    #[cfg_attr(feature = "openapi", schema(max_length = 150))]
    pub intro: String,
}

/// One page of a keyset-paginated list (`followers`, `following`, score history, admin
/// rooms). Pass `next_cursor` back as `?cursor=` (score history: `?before=`) for the next
/// page; `None` means this was the last page. Cursors are opaque.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// `GET /users/{id}`: a public profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserProfile {
    pub id: UserId,
    pub name: String,
    pub avatar_url: Option<String>,
    pub intro: String,
    pub follower_count: u64,
    pub following_count: u64,
    /// Sum of the averages of the user's ranked acts, two decimals.
    pub cumulative_score: f64,
    /// Place in the global ranking (ties share a place); `None` until a ranked act was scored.
    pub rank: Option<u64>,
    /// Ranked acts recorded, including acts nobody scored.
    pub acts: u32,
    /// Whether the caller follows this user; `false` without a login token.
    pub followed_by_me: bool,
    /// Unix seconds.
    pub created_at: i64,
}

/// `PUT|DELETE /users/{id}/follow`: the state after the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowStatus {
    pub following: bool,
    pub follower_count: u64,
}

/// One ranked act in `GET /users/{id}/scores` (newest first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScoreHistoryItem {
    pub room: RoomId,
    pub room_title: String,
    pub round: RoundId,
    /// When the scoring round closed, unix seconds.
    pub date: i64,
    /// The act's mean score, two decimals; `None` when nobody scored it.
    pub average: Option<f64>,
    /// How many members scored it.
    pub count: u32,
}

/// One row of `GET /rankings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RankingEntry {
    /// Competition ranking: equal scores share a rank and the next rank skips (1, 1, 3).
    pub rank: u64,
    pub user: UserSummary,
    pub cumulative_score: f64,
    pub acts: u32,
}

/// `GET /rankings?limit=&offset=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RankingPage {
    pub items: Vec<RankingEntry>,
    /// Ranked users in total (users with at least one scored ranked act).
    pub total: u64,
}

/// Admin actions on a user (`POST /admin/users/{id}/ban|unban`): the state after the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BanStatus {
    pub user: UserId,
    pub banned: bool,
}

// ---------------------------------------------------------------------------------------------
// Internal: room-server -> api-server, authorised by the service token
// ---------------------------------------------------------------------------------------------

/// One scorer's score of a ranked act.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScoreEntry {
    pub scorer: UserId,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100))]
    pub value: u8,
}

/// `PUT /internal/v1/rooms/{room}/rounds/{round}`: a closed round of a ranked room. Idempotent
/// by `(room, round)`: sending it again (a retry, a failover) records nothing twice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RankedRoundReport {
    pub performer: UserId,
    pub scores: Vec<ScoreEntry>,
    /// Mean to two decimals; `None` when nobody scored (the act is recorded, scoring nothing).
    pub average: Option<f64>,
    /// Unix milliseconds when the round closed.
    pub closed_at: i64,
}

/// `PUT /internal/v1/rooms/{room}/status`: where a room is and how many are in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomStatusReport {
    pub status: RoomStatus,
    pub member_count: u32,
    /// With `status: ended` only: the room's last results board, kept for its link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_items = 64))]
    pub results: Option<Vec<ActResult>>,
}

/// Answer to [`RankedRoundReport`]: 201 with `recorded: true` the first time, 200 with
/// `recorded: false` for a repeat (nothing changed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoundRecorded {
    pub room: RoomId,
    pub round: RoundId,
    pub recorded: bool,
    /// Whether the act counts toward the ranking (at least 2 scores from accounts whose scores
    /// count, and the performer under the daily limit); an act that does not count is kept,
    /// so a repeat is still recognised, but adds nothing.
    #[serde(default)]
    pub counted: bool,
}

/// Something the room-servers must act on at once, from `GET /internal/v1/moderation`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ModerationKind {
    /// Close the user's open sockets and refuse new ones.
    Banned {
        user: UserId,
    },
    Unbanned {
        user: UserId,
    },
    /// End the live show, tell the members why, close the room for good.
    RoomClosed {
        room: RoomId,
        reason: CloseReason,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModerationEvent {
    /// Increases with every event; pass the last one seen as `?after=`.
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    #[serde(flatten)]
    pub kind: ModerationKind,
}

/// `GET /internal/v1/moderation?after=<id>`: the events after `after`, oldest first (at most
/// a page; ask again with `next`). Without `after`: the events of the last few minutes, which
/// is what a room-server needs when it starts (room tickets live 60 seconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModerationFeed {
    pub events: Vec<ModerationEvent>,
    /// The `after` for the next call.
    pub next: i64,
}

/// Answer to [`RoomStatusReport`]: the room's state after the report. Status only moves
/// forward (open, live, ended), so it may differ from the one reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomStatusAck {
    pub room: RoomId,
    pub status: RoomStatus,
    pub member_count: u32,
}

#[cfg(test)]
mod code_tests {
    use super::*;

    #[test]
    fn each_code_has_one_wire_string_both_ways() {
        for &code in ApiErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ApiErrorCode>(&json).unwrap(), code);
            assert_eq!(ApiErrorCode::parse(code.as_str()), code);
        }
        for &code in LoginErrorCode::ALL {
            assert_eq!(LoginErrorCode::parse(code.as_str()), code);
        }
    }

    #[test]
    fn a_code_from_a_newer_server_is_unknown_not_an_error() {
        let body: ErrorBody =
            serde_json::from_str(r#"{"error":{"code":"brand_new","message":"m"}}"#).unwrap();
        assert_eq!(body.error.code, ApiErrorCode::Unknown);
        assert_eq!(LoginErrorCode::parse("brand_new"), LoginErrorCode::Unknown);
    }
}
