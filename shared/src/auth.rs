//! Claims inside the tokens the api-server signs (HS256, one shared secret).
//!
//! Every token carries a `kind`, so a room ticket can never be used as a login token or the
//! other way round, even though both are signed with the same secret.

use crate::room::{Category, Mode};
use crate::{RoomId, UserId};
use serde::{Deserialize, Serialize};

/// How long a room ticket is valid: long enough to open a WebSocket, short enough that a ticket
/// seen in a URL (proxy logs, history) is useless soon after.
pub const TICKET_TTL_SECS: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)
)]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
pub enum Role {
    #[default]
    User,
    Admin,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::User, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// The login token the browser keeps and sends as `Authorization: Bearer`.
    Access,
    /// A 60-second pass into one room on the room-server.
    Ticket,
}

/// The login token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub kind: TokenKind,
    pub sub: UserId,
    pub name: String,
    pub role: Role,
    pub iat: i64,
    pub exp: i64,
}

/// The room as the api-server knew it when it issued a ticket. The ticket is signed, so the
/// room-server can open the room from it without a round trip to the api-server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketRoom {
    pub id: RoomId,
    pub title: String,
    pub mode: Mode,
    pub category: Category,
    /// The room's creator: its host from the start, whether or not present, and never
    /// kickable from their own room.
    pub host: UserId,
    pub member_limit: u8,
    /// When the room was created (unix seconds): a room whose creator has not come within the
    /// idle time closes.
    pub created_at: i64,
}

/// Where a member stands toward the global ranking when the ticket is issued (ranked rooms
/// only). The room uses it to say in advance when an act will not count; the api-server
/// decides again when it records the act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankedStanding {
    /// The member's own act would count: they have not reached today's limit of ranked acts.
    pub act_counts: bool,
    /// The member's scores count toward others' acts (their account is old enough).
    pub scores_count: bool,
}

/// A room ticket: who may join which room, until `exp`, once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketClaims {
    pub kind: TokenKind,
    pub sub: UserId,
    pub name: String,
    pub room: TicketRoom,
    /// `None` in normal rooms.
    #[serde(default)]
    pub ranked: Option<RankedStanding>,
    /// Random and unique: the room-server remembers it until `exp` and refuses a ticket it has
    /// seen (in a cluster, in Redis, so every instance refuses it).
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    /// The `X-Request-Id` of the REST request that issued the ticket. The room-server logs the
    /// member's connection (and the room it opens) under it and sends it back on its internal
    /// calls, so one show can be followed across both servers' logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rid: Option<String>,
}
