use crate::db::schema::moderation_events;
use crate::db::DbConn;
use diesel::prelude::*;
use onair_shared::api::{ModerationEvent as WireEvent, ModerationKind};
use onair_shared::room::CloseReason;
use onair_shared::{RoomId, UserId};

/// Something every room-server must act on at once (a ban, an unban, a room closing), in the
/// order it happened. Room-servers poll them (`GET /internal/v1/moderation`); they are kept a
/// day, then swept.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = moderation_events)]
pub struct ModerationEvent {
    pub id: i64,
    /// Kept as text and read leniently (see [`ModerationEvent::to_wire`]): during a rolling
    /// deploy an older api-server may read a kind a newer one wrote.
    pub kind: String,
    pub user_id: Option<UserId>,
    pub room_id: Option<RoomId>,
    pub reason: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = moderation_events)]
struct NewEvent<'a> {
    kind: &'a str,
    user_id: Option<UserId>,
    room_id: Option<RoomId>,
    reason: Option<&'a str>,
    created_at: i64,
}

/// How long events are kept: far longer than any room-server needs to catch up.
pub const MODERATION_EVENTS_KEPT_SECS: i64 = 24 * 3600;

impl ModerationEvent {
    pub fn banned(conn: &mut DbConn, user: UserId, banned: bool, now: i64) -> QueryResult<()> {
        Self::insert(
            conn,
            NewEvent {
                kind: if banned { "banned" } else { "unbanned" },
                user_id: Some(user),
                room_id: None,
                reason: None,
                created_at: now,
            },
        )
    }

    pub fn room_closed(
        conn: &mut DbConn,
        room: RoomId,
        reason: CloseReason,
        now: i64,
    ) -> QueryResult<()> {
        Self::insert(
            conn,
            NewEvent {
                kind: "room_closed",
                user_id: None,
                room_id: Some(room),
                reason: Some(reason.as_str()),
                created_at: now,
            },
        )
    }

    fn insert(conn: &mut DbConn, event: NewEvent<'_>) -> QueryResult<()> {
        diesel::insert_into(moderation_events::table)
            .values(event)
            .execute(conn)
            .map(|_| ())
    }

    /// Events after `after` (by id), oldest first.
    pub fn after(conn: &mut DbConn, after: i64, limit: i64) -> QueryResult<Vec<ModerationEvent>> {
        moderation_events::table
            .filter(moderation_events::id.gt(after))
            .order(moderation_events::id.asc())
            .limit(limit)
            .select(ModerationEvent::as_select())
            .load(conn)
    }

    /// Events since `since` (unix seconds), oldest first.
    pub fn since(conn: &mut DbConn, since: i64, limit: i64) -> QueryResult<Vec<ModerationEvent>> {
        moderation_events::table
            .filter(moderation_events::created_at.ge(since))
            .order(moderation_events::id.asc())
            .limit(limit)
            .select(ModerationEvent::as_select())
            .load(conn)
    }

    /// The newest id, 0 when there is none.
    pub fn last_id(conn: &mut DbConn) -> QueryResult<i64> {
        moderation_events::table
            .select(diesel::dsl::max(moderation_events::id))
            .first::<Option<i64>>(conn)
            .map(|id| id.unwrap_or(0))
    }

    pub fn prune(conn: &mut DbConn, now: i64) -> QueryResult<usize> {
        diesel::delete(
            moderation_events::table
                .filter(moderation_events::created_at.lt(now - MODERATION_EVENTS_KEPT_SECS)),
        )
        .execute(conn)
    }

    /// As the room-servers read it; `None` for a row this version does not know.
    pub fn to_wire(&self) -> Option<WireEvent> {
        let kind = match self.kind.as_str() {
            "banned" => ModerationKind::Banned {
                user: self.user_id?,
            },
            "unbanned" => ModerationKind::Unbanned {
                user: self.user_id?,
            },
            "room_closed" => ModerationKind::RoomClosed {
                room: self.room_id?,
                reason: CloseReason::parse(self.reason.as_deref()?)?,
            },
            _ => return None,
        };
        Some(WireEvent {
            id: self.id,
            at: self.created_at,
            kind,
        })
    }
}
