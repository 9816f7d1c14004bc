use super::{ModerationEvent, User};
use crate::db::schema::{rooms, users};
use crate::db::{last_insert_id, retry_deadlocks, DbConn};
use crate::error::ApiError;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::prelude::*;
use diesel::sql_types::Text;
use onair_shared::api::RoomView;
use onair_shared::auth::TicketRoom;
use onair_shared::protocol::ActResult;
use onair_shared::room::{Category, CloseReason, Mode, RoomStatus};
use onair_shared::{RoomId, UserId};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Associations)]
#[diesel(table_name = rooms)]
#[diesel(belongs_to(User, foreign_key = host_id))]
pub struct Room {
    pub id: RoomId,
    pub title: String,
    pub description: String,
    pub category: Category,
    pub mode: Mode,
    pub host_id: UserId,
    pub member_limit: i32,
    pub status: RoomStatus,
    pub member_count: i32,
    pub created_at: i64,
    /// Unix seconds; set when the room ends.
    pub ended_at: Option<i64>,
    /// Why it was closed; `None` when its show ended by itself.
    pub end_reason: Option<CloseReason>,
    /// The last status report from the room-server, or the creation (unix seconds).
    pub last_active_at: i64,
    /// The results board the room-server reported when the room ended.
    pub results: Option<StoredResults>,
}

/// Most acts a results board holds: far more than one show of 12 members.
pub const MAX_RESULTS: usize = 64;

/// A results board as stored: the JSON of its `ActResult`s. Only ever written by
/// [`Room::apply_status_report`]; a row that does not parse is an error, never an empty board.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResults(pub Vec<ActResult>);

impl<DB: Backend> FromSql<Text, DB> for StoredResults
where
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let json = String::from_sql(bytes)?;
        Ok(StoredResults(serde_json::from_str(&json)?))
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = rooms)]
pub struct NewRoom<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub category: Category,
    pub mode: Mode,
    pub host_id: UserId,
    pub member_limit: i32,
    pub status: RoomStatus,
    pub created_at: i64,
    pub last_active_at: i64,
}

/// What [`Room::create_for`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    New(Room),
    /// The host already has this room open (open or live): one at a time.
    AlreadyOpen(RoomId),
}

/// Catalogue filters; `None` means any (for `status`: any joinable one, open or live).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoomFilter {
    pub category: Option<Category>,
    pub mode: Option<Mode>,
    pub status: Option<RoomStatus>,
}

/// An empty room is not shown among the joinable ones once it is older than this (a new
/// room is, while its creator arrives); it closes itself after the idle time.
pub const EMPTY_ROOM_LISTED_SECS: i64 = 180;

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Rooms only move forward: open, then live, then ended.
pub fn status_order(status: RoomStatus) -> u8 {
    match status {
        RoomStatus::Open => 0,
        RoomStatus::Live => 1,
        RoomStatus::Ended => 2,
    }
}

const ALL_STATUSES: [RoomStatus; 3] = [RoomStatus::Open, RoomStatus::Live, RoomStatus::Ended];

impl Room {
    pub fn room_id(&self) -> RoomId {
        self.id
    }

    pub fn member_limit(&self) -> Result<u8, ApiError> {
        u8::try_from(self.member_limit).map_err(|_| {
            ApiError::internal(format!(
                "room {} has member limit {}",
                self.id, self.member_limit
            ))
        })
    }

    pub fn to_view(&self, host: &User) -> Result<RoomView, ApiError> {
        Ok(RoomView {
            id: self.room_id(),
            title: self.title.clone(),
            description: self.description.clone(),
            category: self.category,
            mode: self.mode,
            host: host.to_summary(),
            member_limit: self.member_limit()?,
            member_count: u32::try_from(self.member_count).unwrap_or(0),
            status: self.status,
            created_at: self.created_at,
            results: self
                .results
                .as_ref()
                .filter(|_| self.status == RoomStatus::Ended)
                .map(|r| r.0.clone()),
        })
    }

    pub fn to_ticket_room(&self) -> Result<TicketRoom, ApiError> {
        Ok(TicketRoom {
            id: self.room_id(),
            title: self.title.clone(),
            mode: self.mode,
            category: self.category,
            host: self.host_id,
            member_limit: self.member_limit()?,
            created_at: self.created_at,
        })
    }

    /// Why the room was closed, if it was.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.end_reason
    }

    pub fn create(conn: &mut DbConn, new: &NewRoom<'_>) -> QueryResult<Room> {
        conn.transaction(|conn| {
            diesel::insert_into(rooms::table)
                .values(new)
                .execute(conn)?;
            let id = last_insert_id(conn)?;
            rooms::table.find(id).select(Room::as_select()).first(conn)
        })
    }

    /// The host's room that is still open or live, if any.
    pub fn open_room_of(conn: &mut DbConn, host: UserId) -> QueryResult<Option<RoomId>> {
        rooms::table
            .filter(rooms::host_id.eq(host.0))
            .filter(rooms::status.eq_any([RoomStatus::Open.as_str(), RoomStatus::Live.as_str()]))
            .select(rooms::id)
            .first::<i64>(conn)
            .optional()
            .map(|id| id.map(RoomId))
    }

    /// Creates the room unless its host already has one open. The host's row is locked first
    /// (a write on MySQL and SQLite alike), so two concurrent creations by one host are checked
    /// one after the other.
    pub fn create_for(conn: &mut DbConn, new: &NewRoom<'_>) -> QueryResult<Created> {
        retry_deadlocks(|| {
            conn.transaction(|conn| {
                User::lock(conn, new.host_id)?;
                if let Some(open) = Self::open_room_of(conn, new.host_id)? {
                    return Ok(Created::AlreadyOpen(open));
                }
                diesel::insert_into(rooms::table)
                    .values(new)
                    .execute(conn)?;
                let id = last_insert_id(conn)?;
                rooms::table
                    .find(id)
                    .select(Room::as_select())
                    .first(conn)
                    .map(Created::New)
            })
        })
    }

    pub fn find(conn: &mut DbConn, id: RoomId) -> QueryResult<Option<Room>> {
        rooms::table
            .find(id.0)
            .select(Room::as_select())
            .first(conn)
            .optional()
    }

    pub fn find_with_host(conn: &mut DbConn, id: RoomId) -> QueryResult<Option<(Room, User)>> {
        rooms::table
            .inner_join(users::table)
            .filter(rooms::id.eq(id.0))
            .select((Room::as_select(), User::as_select()))
            .first(conn)
            .optional()
    }

    /// The catalogue, newest first (by id), keyset-paginated: rooms with an id below
    /// `before`. By default the rooms people can still join: open or live, with someone in
    /// them (or created less than [`EMPTY_ROOM_LISTED_SECS`] ago); `filter.status` asks for
    /// one status instead. `title` keeps rooms whose title contains it (case-insensitive for
    /// Latin letters on both databases).
    pub fn list_joinable(
        conn: &mut DbConn,
        filter: RoomFilter,
        title: Option<&str>,
        before: Option<RoomId>,
        limit: i64,
        now: i64,
    ) -> QueryResult<Vec<(Room, User)>> {
        let statuses: Vec<&str> = match filter.status {
            Some(status) => vec![status.as_str()],
            None => vec![RoomStatus::Open.as_str(), RoomStatus::Live.as_str()],
        };
        let mut query = rooms::table
            .inner_join(users::table)
            .filter(rooms::status.eq_any(statuses))
            .select((Room::as_select(), User::as_select()))
            .order(rooms::id.desc())
            .limit(limit)
            .into_boxed();
        if filter.status.is_none() {
            query = query.filter(
                rooms::member_count
                    .gt(0)
                    .or(rooms::created_at.ge(now - EMPTY_ROOM_LISTED_SECS)),
            );
        }
        if let Some(title) = title {
            query = query.filter(rooms::title.like(like_escaped(title)).escape('\\'));
        }
        if let Some(before) = before {
            query = query.filter(rooms::id.lt(before));
        }
        if let Some(category) = filter.category {
            query = query.filter(rooms::category.eq(category.as_str()));
        }
        if let Some(mode) = filter.mode {
            query = query.filter(rooms::mode.eq(mode.as_str()));
        }
        query.load(conn)
    }

    /// Every room in any status (admin), newest first by id, keyset-paginated: rooms with an
    /// id below `before`.
    pub fn list_all(
        conn: &mut DbConn,
        status: Option<RoomStatus>,
        before: Option<i64>,
        limit: i64,
    ) -> QueryResult<Vec<(Room, User)>> {
        let mut query = rooms::table
            .inner_join(users::table)
            .select((Room::as_select(), User::as_select()))
            .order(rooms::id.desc())
            .limit(limit)
            .into_boxed();
        if let Some(status) = status {
            query = query.filter(rooms::status.eq(status.as_str()));
        }
        if let Some(before) = before {
            query = query.filter(rooms::id.lt(before));
        }
        query.load(conn)
    }

    /// A status report from the room-server: the member count is taken as is, the status only
    /// if it moves the room forward (a late `live` after `ended` changes nothing). Both are
    /// single conditional `UPDATE`s, so a report racing an admin close cannot reopen the room.
    /// An ended room's `results` board is kept (whoever ended it: the show, or a close).
    /// `None` when the room does not exist.
    pub fn apply_status_report(
        conn: &mut DbConn,
        id: RoomId,
        status: RoomStatus,
        member_count: i32,
        results: Option<&[ActResult]>,
        now: i64,
    ) -> QueryResult<Option<Room>> {
        let found = diesel::update(rooms::table.find(id.0))
            .set((
                rooms::member_count.eq(member_count),
                rooms::last_active_at.eq(now),
            ))
            .execute(conn)?;
        if found == 0 {
            // MySQL counts changed rows, not matched ones: an identical count reports 0.
            if Self::find(conn, id)?.is_none() {
                return Ok(None);
            }
        }
        let behind: Vec<&str> = ALL_STATUSES
            .into_iter()
            .filter(|s| status_order(*s) < status_order(status))
            .map(RoomStatus::as_str)
            .collect();
        if !behind.is_empty() {
            let ended_at = (status == RoomStatus::Ended).then_some(now);
            diesel::update(rooms::table.find(id.0))
                .filter(rooms::status.eq_any(behind))
                .set((
                    rooms::status.eq(status.as_str()),
                    rooms::ended_at.eq(ended_at),
                ))
                .execute(conn)?;
        }
        if let Some(results) = results {
            let json = serde_json::to_string(results)
                .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
            diesel::update(rooms::table.find(id.0))
                .set(rooms::results.eq(Some(json)))
                .execute(conn)?;
        }
        Self::find(conn, id)
    }

    /// Closes a room (its host, an admin, or the idle sweeper): tickets are refused from now
    /// on, and the room-servers are told through a moderation event written in the same
    /// transaction, so they end a live show. Closing an ended room changes nothing. `None`
    /// when there is no such room.
    pub fn close(
        conn: &mut DbConn,
        id: RoomId,
        reason: CloseReason,
        now: i64,
    ) -> QueryResult<Option<(Room, User)>> {
        conn.transaction(|conn| {
            let changed = diesel::update(rooms::table.find(id.0))
                .filter(rooms::status.ne(RoomStatus::Ended.as_str()))
                .set((
                    rooms::status.eq(RoomStatus::Ended.as_str()),
                    rooms::ended_at.eq(now),
                    rooms::end_reason.eq(reason.as_str()),
                ))
                .execute(conn)?;
            if changed > 0 {
                ModerationEvent::room_closed(conn, id, reason, now)?;
            }
            Self::find_with_host(conn, id)
        })
    }

    /// Closes every room that has had nobody in it for `idle_secs` (including rooms never
    /// opened on a room-server, whose creator never came); returns them.
    pub fn sweep_idle(conn: &mut DbConn, now: i64, idle_secs: i64) -> QueryResult<Vec<RoomId>> {
        let idle: Vec<i64> = rooms::table
            .filter(rooms::status.eq_any([RoomStatus::Open.as_str(), RoomStatus::Live.as_str()]))
            .filter(rooms::member_count.eq(0))
            .filter(rooms::last_active_at.lt(now - idle_secs))
            .select(rooms::id)
            .limit(1000)
            .load(conn)?;
        let mut closed = Vec::new();
        for id in idle {
            let done = conn.transaction(|conn| {
                // Still idle (a report may have come in meanwhile).
                let changed = diesel::update(rooms::table.find(id))
                    .filter(rooms::status.ne(RoomStatus::Ended.as_str()))
                    .filter(rooms::member_count.eq(0))
                    .filter(rooms::last_active_at.lt(now - idle_secs))
                    .set((
                        rooms::status.eq(RoomStatus::Ended.as_str()),
                        rooms::ended_at.eq(now),
                        rooms::end_reason.eq(CloseReason::Idle.as_str()),
                    ))
                    .execute(conn)?;
                if changed > 0 {
                    ModerationEvent::room_closed(conn, RoomId(id), CloseReason::Idle, now)?;
                }
                QueryResult::Ok(changed > 0)
            })?;
            if done {
                closed.push(RoomId(id));
            }
        }
        Ok(closed)
    }
}
