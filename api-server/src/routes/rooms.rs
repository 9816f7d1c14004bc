use crate::auth::AuthUser;
use crate::db;
use crate::db::models::{Created, NewRoom, Room, RoomFilter, User};
use crate::error::ApiError;
use crate::limits::Action;
use crate::{unix_now, AppState};
use actix_web::http::header::LOCATION;
use actix_web::{web, HttpRequest, HttpResponse};
use onair_shared::api::{CreateRoomRequest, RoomList, RoomView};
use onair_shared::room::{
    validate_description, validate_member_limit, validate_title, Category, CloseReason, Mode,
    RoomStatus, DEFAULT_MEMBER_LIMIT,
};
use onair_shared::RoomId;
use serde::Deserialize;

/// Rooms on one page of the catalogue when `?limit=` is not given (the lobby asks for more
/// with `?cursor=`).
pub const ROOM_LIST_LIMIT: i64 = 100;

/// `GET /rooms?category=&mode=&status=`. Taken as strings so an empty value means "any" and
/// an unknown one gets a message listing the valid values.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoomQuery {
    /// Only rooms of this category.
    #[param(value_type = Option<onair_shared::room::Category>)]
    pub category: Option<String>,
    /// Only rooms of this mode.
    #[param(value_type = Option<onair_shared::room::Mode>)]
    pub mode: Option<String>,
    /// Only rooms in this status (default: open and live, with someone in them).
    #[param(value_type = Option<onair_shared::room::RoomStatus>)]
    pub status: Option<String>,
    /// Only rooms whose title contains this (at most 60 characters).
    pub q: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Rooms per page, 1–100 (default 100).
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
}

/// `?status=`: `None` when absent or empty.
pub fn parse_status(raw: Option<&str>) -> Result<Option<RoomStatus>, ApiError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => RoomStatus::parse(s).map(Some).ok_or_else(|| {
            ApiError::Validation(format!(
                "unknown status {s:?}; expected one of open, live, ended"
            ))
        }),
    }
}

impl RoomQuery {
    fn filter(&self) -> Result<RoomFilter, ApiError> {
        let category = match self
            .category
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => Some(Category::parse(s).ok_or_else(|| {
                ApiError::Validation(format!(
                    "unknown category {s:?}; expected one of {}",
                    Category::ALL.map(Category::as_str).join(", ")
                ))
            })?),
        };
        let mode = match self
            .mode
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => Some(Mode::parse(s).ok_or_else(|| {
                ApiError::Validation(format!(
                    "unknown mode {s:?}; expected one of {}",
                    Mode::ALL.map(Mode::as_str).join(", ")
                ))
            })?),
        };
        let status = parse_status(self.status.as_deref())?;
        Ok(RoomFilter {
            category,
            mode,
            status,
        })
    }
}

/// `GET /rooms`: rooms people can join (open or live, and not standing empty), newest first,
/// with the member counts the room-server last reported; `?status=` narrows to one status
/// (`ended`: past shows), `?q=` searches titles, `?cursor=` pages on.
pub async fn list_rooms(
    state: web::Data<AppState>,
    query: web::Query<RoomQuery>,
) -> Result<web::Json<RoomList>, ApiError> {
    let filter = query.filter()?;
    let limit = match query.limit.as_deref().map(str::trim) {
        None | Some("") => ROOM_LIST_LIMIT,
        raw => crate::routes::paging::parse_limit(raw)?,
    };
    let before = crate::routes::paging::parse_id_cursor(query.cursor.as_deref())?.map(RoomId);
    // The same normalisation as titles get (control, bidi and zero-width characters out).
    let title = query
        .q
        .as_deref()
        .map(onair_shared::text::normalize_line)
        .filter(|q| !q.is_empty());
    if title
        .as_ref()
        .is_some_and(|q| q.chars().count() > onair_shared::room::TITLE_MAX_CHARS)
    {
        return Err(ApiError::Validation(format!(
            "q must be at most {} characters",
            onair_shared::room::TITLE_MAX_CHARS
        )));
    }
    let now = unix_now();
    let rows = db::run(&state.pool, move |conn| {
        Ok(Room::list_joinable(
            conn,
            filter,
            title.as_deref(),
            before,
            limit + 1,
            now,
        )?)
    })
    .await?;
    let (rows, next) = crate::routes::paging::split_page(rows, limit, |(room, _)| room.id);
    let rooms = rows
        .iter()
        .map(|(room, host)| room.to_view(host))
        .collect::<Result<_, _>>()?;
    Ok(web::Json(RoomList {
        rooms,
        next_cursor: next.map(|id| id.0.to_string()),
    }))
}

/// `POST /rooms`: the signed-in user opens a room and becomes its host. One open room per
/// host at a time, and a bounded rate per user and per client address, so nobody floods the
/// lobby.
pub async fn create_room(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    state.limit_address(Action::CreateRoom, &req)?;
    state.limits.check_user(Action::CreateRoom, auth.id)?;
    let request = parse_create_room(body.into_inner())?;
    // Control, bidi and zero-width characters are removed (as from names and chat).
    let title = validate_title(&request.title).map_err(|m| ApiError::Validation(m.into()))?;
    let description =
        validate_description(&request.description).map_err(|m| ApiError::Validation(m.into()))?;
    if description
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ApiError::Validation(
            "description must not contain control characters".into(),
        ));
    }
    let member_limit = validate_member_limit(request.member_limit.unwrap_or(DEFAULT_MEMBER_LIMIT))
        .map_err(|m| ApiError::Validation(m.into()))?;
    let now = unix_now();

    let (room, host) = db::run(&state.pool, move |conn| {
        let host = User::find(conn, auth.id)?.ok_or(ApiError::Unauthorized(
            "this account no longer exists; sign in again",
        ))?;
        if host.banned {
            return Err(ApiError::Banned);
        }
        let created = Room::create_for(
            conn,
            &NewRoom {
                title: &title,
                description: &description,
                category: request.category,
                mode: request.mode,
                host_id: host.id,
                member_limit: i32::from(member_limit),
                status: RoomStatus::Open,
                created_at: now,
                last_active_at: now,
            },
        )?;
        match created {
            Created::New(room) => Ok((room, host)),
            Created::AlreadyOpen(open) => Err(ApiError::RoomAlreadyOpen(open)),
        }
    })
    .await?;
    let view = room.to_view(&host)?;
    tracing::info!(
        "user {} opened room {} ({:?})",
        host.id,
        view.id,
        view.title
    );
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/rooms/{}", view.id)))
        .json(view))
}

/// `POST /rooms/{id}/close`: the room's creator closes it for good (an admin uses the admin
/// route). The room-servers end a live show and tell its members why; tickets are refused.
/// Closing a room that has ended already changes nothing.
pub async fn close_room(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<RoomId>,
) -> Result<web::Json<RoomView>, ApiError> {
    let id = path.into_inner();
    let now = unix_now();
    let (room, host) = db::run(&state.pool, move |conn| {
        let room = Room::find(conn, id)?.ok_or(ApiError::RoomNotFound)?;
        if room.host_id != auth.id {
            return Err(ApiError::NotRoomHost);
        }
        Room::close(conn, id, CloseReason::Host, now)?.ok_or(ApiError::RoomNotFound)
    })
    .await?;
    tracing::info!("user {} closed their room {id}", host.id);
    Ok(web::Json(room.to_view(&host)?))
}

/// Reads the body of `POST /rooms`. A member limit such as 300 or -1 does not fit the wire
/// type's `u8`; to the user it is just an out-of-range limit, so it gets the same message as 13.
fn parse_create_room(body: serde_json::Value) -> Result<CreateRoomRequest, ApiError> {
    // serde would also accept a struct written as an array, which nobody means.
    if !body.is_object() {
        return Err(ApiError::BadRequest(
            "invalid JSON body: expected an object".into(),
        ));
    }
    let limit = body.get("member_limit").and_then(serde_json::Value::as_f64);
    if let Some(limit) = limit.filter(|n| !(0.0..=f64::from(u8::MAX)).contains(n)) {
        let message = validate_member_limit(0)
            .err()
            .unwrap_or("member limit is out of range");
        return Err(ApiError::Validation(format!("{message} (got {limit})")));
    }
    serde_json::from_value(body)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))
}

/// `GET /rooms/{id}`: any room, including ended ones (links to a finished show still work).
pub async fn get_room(
    state: web::Data<AppState>,
    path: web::Path<RoomId>,
) -> Result<web::Json<RoomView>, ApiError> {
    let id = path.into_inner();
    let (room, host) = db::run(&state.pool, move |conn| Ok(Room::find_with_host(conn, id)?))
        .await?
        .ok_or(ApiError::RoomNotFound)?;
    Ok(web::Json(room.to_view(&host)?))
}
