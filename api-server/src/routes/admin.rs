//! Moderation, for accounts with the admin role (`ONAIR_ADMIN_USERS`, applied at start-up and
//! at login, read from the database on every request). There is no route to change roles:
//! the configuration is their one source, so no admin can promote anyone, themselves included.
//! A ban or a closing takes effect at once: the banned user's next request is refused, and
//! the room-servers close their sockets or end the room within seconds (moderation events).

use crate::auth::AdminUser;
use crate::db;
use crate::db::models::{Room, User};
use crate::error::ApiError;
use crate::routes::paging::{parse_id_cursor, parse_limit, split_page};
use crate::routes::rooms::parse_status;
use crate::{unix_now, AppState};
use actix_web::web;
use onair_shared::api::{BanStatus, Page, RoomView};
use onair_shared::room::CloseReason;
use onair_shared::{RoomId, UserId};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminRoomQuery {
    /// Only rooms in this status (default: any).
    #[param(value_type = Option<onair_shared::room::RoomStatus>)]
    pub status: Option<String>,
    /// Items per page, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `GET /admin/rooms`: every room in any status, newest first.
pub async fn list_rooms(
    state: web::Data<AppState>,
    _admin: AdminUser,
    query: web::Query<AdminRoomQuery>,
) -> Result<web::Json<Page<RoomView>>, ApiError> {
    let status = parse_status(query.status.as_deref())?;
    let limit = parse_limit(query.limit.as_deref())?;
    let before = parse_id_cursor(query.cursor.as_deref())?;
    let rows = db::run(&state.pool, move |conn| {
        Ok(Room::list_all(conn, status, before, limit + 1)?)
    })
    .await?;
    let (rows, next) = split_page(rows, limit, |(room, _)| room.id);
    Ok(web::Json(Page {
        items: rows
            .iter()
            .map(|(room, host)| room.to_view(host))
            .collect::<Result<_, _>>()?,
        next_cursor: next.map(|id| id.to_string()),
    }))
}

/// `POST /admin/rooms/{id}/close`: the room ends (idempotent); a live show on the room-server
/// ends at once, and ranked acts of the room that end after this are refused.
pub async fn close_room(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<RoomId>,
) -> Result<web::Json<RoomView>, ApiError> {
    let id = path.into_inner();
    let now = unix_now();
    let (room, host) = db::run(&state.pool, move |conn| {
        Ok(Room::close(conn, id, CloseReason::Admin, now)?)
    })
    .await?
    .ok_or(ApiError::RoomNotFound)?;
    tracing::info!("admin {} closed room {id}", admin.0.id);
    Ok(web::Json(room.to_view(&host)?))
}

/// `POST /admin/users/{id}/ban`.
pub async fn ban(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<UserId>,
) -> Result<web::Json<BanStatus>, ApiError> {
    let id = path.into_inner();
    if id == admin.0.id {
        return Err(ApiError::CannotBanSelf);
    }
    set_banned(state, admin, id, true).await
}

/// `POST /admin/users/{id}/unban`. Not on oneself: a banned admin is refused everything
/// anyway, and no admin lifts their own ban.
pub async fn unban(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<UserId>,
) -> Result<web::Json<BanStatus>, ApiError> {
    let id = path.into_inner();
    if id == admin.0.id {
        return Err(ApiError::CannotBanSelf);
    }
    set_banned(state, admin, id, false).await
}

async fn set_banned(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: UserId,
    banned: bool,
) -> Result<web::Json<BanStatus>, ApiError> {
    let now = unix_now();
    let user = db::run(&state.pool, move |conn| {
        Ok(User::set_banned(conn, id, banned, now)?)
    })
    .await?
    .ok_or(ApiError::UserNotFound)?;
    // This instance refuses them from the next request; others within two seconds.
    state.users.forget(id);
    tracing::info!(
        "admin {} {} user {id}",
        admin.0.id,
        if banned { "banned" } else { "unbanned" }
    );
    Ok(web::Json(BanStatus {
        user: user.user_id(),
        banned: user.banned,
    }))
}
