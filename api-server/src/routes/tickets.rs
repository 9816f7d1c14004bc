use crate::auth::AuthUser;
use crate::db;
use crate::db::models::{Act, CountRules, Room, User};
use crate::error::ApiError;
use crate::limits::Action;
use crate::{unix_now, AppState};
use actix_web::{web, HttpRequest};
use onair_shared::api::TicketResponse;
use onair_shared::auth::{RankedStanding, TicketClaims, TokenKind, TICKET_TTL_SECS};
use onair_shared::room::{Mode, RoomStatus};
use onair_shared::RoomId;
use onair_telemetry::RequestId;

/// `POST /rooms/{id}/ticket`: a 60-second, single-use pass into one room, and the WebSocket
/// URL of the room-server that hosts it. The login token never goes into a URL; the ticket
/// does. In a ranked room it says where the member stands (their act would count today, their
/// scores count), so the room can tell in advance when an act will not count.
pub async fn issue_ticket(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    path: web::Path<RoomId>,
    request_id: RequestId,
) -> Result<web::Json<TicketResponse>, ApiError> {
    state.limit_address(Action::Ticket, &req)?;
    state.limits.check_user(Action::Ticket, auth.id)?;
    let room_id = path.into_inner();
    let now = unix_now();
    let rules = CountRules {
        per_day: state.config.fair_play.ranked_acts_per_day,
        min_account_age_secs: state.config.fair_play.ranked_min_account_age_secs,
        now,
    };
    let (member, room, ranked) = db::run(&state.pool, move |conn| {
        let member = User::find(conn, auth.id)?.ok_or(ApiError::Unauthorized(
            "this account no longer exists; sign in again",
        ))?;
        let room = Room::find(conn, room_id)?;
        let ranked = match &room {
            Some(r) if r.mode == Mode::Rank => Some(RankedStanding {
                act_counts: Act::counted_today(conn, member.user_id(), &rules)?
                    < i64::from(rules.per_day),
                scores_count: member.created_at <= rules.account_cutoff(),
            }),
            _ => None,
        };
        Ok((member, room, ranked))
    })
    .await?;
    // The ban is checked against the database, not the token, so it takes effect at once.
    if member.banned {
        return Err(ApiError::Banned);
    }
    let room = room.ok_or(ApiError::RoomNotFound)?;
    if room.status == RoomStatus::Ended {
        return Err(ApiError::RoomEnded);
    }

    let claims = TicketClaims {
        kind: TokenKind::Ticket,
        sub: member.user_id(),
        name: member.display_name.clone(),
        room: room.to_ticket_room()?,
        ranked,
        jti: new_jti(),
        iat: now,
        exp: now + TICKET_TTL_SECS,
        rid: Some(request_id.to_string()),
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
    state.metrics.ticket_issued();
    tracing::info!(room = %room_id, user = %member.id, "ticket issued");
    Ok(web::Json(TicketResponse {
        ticket,
        ws_url,
        fallback_ws_urls,
        expires_at: claims.exp,
    }))
}

/// 128 random bits, hex: a ticket's single-use id.
fn new_jti() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
