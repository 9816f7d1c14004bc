//! REST request and response bodies of the api-server (`/api/v1`).

use crate::auth::Role;
use crate::room::{Category, Mode, RoomStatus};
use crate::{RoomId, UserId};
use serde::{Deserialize, Serialize};

pub const DISPLAY_NAME_MAX_CHARS: usize = 30;

/// Every error response: `{"error":{"code":"snake_case","message":"..."}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DevLoginRequest {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginResponse {
    pub token: String,
    pub user: Me,
}

/// The signed-in user, as `GET /me` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub id: UserId,
    pub name: String,
    pub avatar_url: Option<String>,
    pub intro: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: UserId,
    pub name: String,
    pub avatar_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateRoomRequest {
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub category: Category,
    #[serde(default)]
    pub mode: Mode,
    /// Defaults to [`crate::room::DEFAULT_MEMBER_LIMIT`].
    #[serde(default)]
    pub member_limit: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomList {
    pub rooms: Vec<RoomView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketResponse {
    pub ticket: String,
    /// Full WebSocket URL including `?ticket=`; open it within `expires_at`.
    pub ws_url: String,
    /// Unix seconds.
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// `GET /config`: what the browser needs before anything else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientConfig {
    pub ice_servers: Vec<IceServer>,
    pub dev_login: bool,
    pub kakao_login: bool,
}

// ---------------------------------------------------------------------------------------------
// Internal: room-server -> api-server, authorised by the service token
// ---------------------------------------------------------------------------------------------

/// One scorer's score of a ranked act.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreEntry {
    pub scorer: UserId,
    pub value: u8,
}

/// `PUT /internal/v1/rooms/{room}/rounds/{round}`: a closed round of a ranked room. Idempotent
/// by `(room, round)`: sending it again (a retry, a failover) records nothing twice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
pub struct RoomStatusReport {
    pub status: RoomStatus,
    pub member_count: u32,
}
