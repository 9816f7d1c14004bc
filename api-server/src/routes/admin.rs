//! Moderation, for accounts with the admin role (`ONAIR_ADMIN_USERS`, applied at login and
//! carried in the login token).

use crate::auth::AdminUser;
use crate::db;
use crate::db::models::{Room, User};
use crate::error::ApiError;
use crate::routes::paging::{parse_id_cursor, parse_limit, split_page};
use crate::routes::rooms::parse_status;
use crate::AppState;
use actix_web::web;
use onair_shared::api::{BanStatus, Page, RoomView};
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

/// `POST /admin/rooms/{id}/close`: the room ends (idempotent).
pub async fn close_room(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<RoomId>,
) -> Result<web::Json<RoomView>, ApiError> {
    let id = path.into_inner();
    let (room, host) = db::run(&state.pool, move |conn| Ok(Room::close(conn, id)?))
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

/// `POST /admin/users/{id}/unban`.
pub async fn unban(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<UserId>,
) -> Result<web::Json<BanStatus>, ApiError> {
    set_banned(state, admin, path.into_inner(), false).await
}

async fn set_banned(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: UserId,
    banned: bool,
) -> Result<web::Json<BanStatus>, ApiError> {
    let user = db::run(&state.pool, move |conn| {
        Ok(User::set_banned(conn, id, banned)?)
    })
    .await?
    .ok_or(ApiError::UserNotFound)?;
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
