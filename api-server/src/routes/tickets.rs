use crate::auth::AuthUser;
use crate::db;
use crate::db::models::{Room, User};
use crate::error::ApiError;
use crate::{unix_now, AppState};
use actix_web::web;
use onair_shared::api::TicketResponse;
use onair_shared::auth::{TicketClaims, TokenKind, TICKET_TTL_SECS};
use onair_shared::room::RoomStatus;
use onair_shared::RoomId;

/// `POST /rooms/{id}/ticket`: a 60-second pass into one room, and the WebSocket URL of the
/// room-server that hosts it. The login token never goes into a URL; the ticket does.
pub async fn issue_ticket(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<RoomId>,
) -> Result<web::Json<TicketResponse>, ApiError> {
    let room_id = path.into_inner();
    let (member, room) = db::run(&state.pool, move |conn| {
        let member = User::find(conn, auth.id)?.ok_or(ApiError::Unauthorized(
            "this account no longer exists; sign in again",
        ))?;
        Ok((member, Room::find(conn, room_id)?))
    })
    .await?;
    // The ban is checked against the database, not the token, so it takes effect at once.
    if member.banned {
        return Err(ApiError::Banned);
    }
    let room = room.ok_or(ApiError::RoomNotFound)?;
    if room.status()? == RoomStatus::Ended {
        return Err(ApiError::RoomEnded);
    }

    let now = unix_now();
    let claims = TicketClaims {
        kind: TokenKind::Ticket,
        sub: member.user_id(),
        name: member.display_name.clone(),
        room: room.to_ticket_room()?,
        ranked: None,
        jti: String::new(),
        iat: now,
        exp: now + TICKET_TTL_SECS,
    };
    let ticket = state.jwt.sign_ticket(&claims)?;
    // JWTs are base64url and dots only, so the ticket needs no escaping in a query string.
    let ws_url = format!(
        "{}/ws?ticket={ticket}",
        state.config.room_server_for(room_id)
    );
    let fallback_ws_urls = state
        .config
        .fallback_room_servers_for(room_id)
        .into_iter()
        .map(|base| format!("{base}/ws?ticket={ticket}"))
        .collect();
    Ok(web::Json(TicketResponse {
        ticket,
        ws_url,
        fallback_ws_urls,
        expires_at: claims.exp,
    }))
}
