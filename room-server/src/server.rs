//! HTTP side of the room-server: the WebSocket endpoint and health checks.

use crate::admission::{Admission, Refusal};
use crate::api_client::ApiClient;
use crate::cluster::RedisCluster;
use crate::config::RoomServerConfig;
use crate::registry::Registry;
use crate::reporter::Reporter;
use crate::session::Session;
use crate::ticket::{TicketError, TicketVerifier};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use actix_web_actors::ws;
use onair_shared::api::{ErrorBody, ErrorDetail};
use onair_shared::protocol::MAX_FRAME_BYTES;
use onair_shared::RoomId;
use serde::Deserialize;
use std::sync::Arc;

pub struct AppState {
    pub config: RoomServerConfig,
    pub tickets: TicketVerifier,
    pub registry: Registry,
}

/// Errors before the WebSocket is open, as JSON like the api-server's.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{0}")]
    Ticket(#[from] TicketError),
    #[error("the ticket is for room {ticket}, not room {asked}")]
    WrongRoom { ticket: RoomId, asked: RoomId },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Refused(#[from] Refusal),
}

impl ResponseError for HttpError {
    fn status_code(&self) -> StatusCode {
        match self {
            HttpError::Ticket(_) | HttpError::WrongRoom { .. } => StatusCode::UNAUTHORIZED,
            HttpError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HttpError::Refused(Refusal::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            HttpError::Refused(Refusal::Used) => StatusCode::UNAUTHORIZED,
            HttpError::Refused(Refusal::Banned) => StatusCode::FORBIDDEN,
            HttpError::Refused(Refusal::Ended) => StatusCode::CONFLICT,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let code = match self {
            HttpError::Ticket(TicketError::Expired) => "ticket_expired",
            HttpError::Ticket(TicketError::Invalid) => "invalid_ticket",
            HttpError::WrongRoom { .. } => "wrong_room",
            HttpError::BadRequest(_) => "bad_request",
            HttpError::Refused(Refusal::Unavailable(_)) => "room_unavailable",
            HttpError::Refused(Refusal::Used) => "ticket_used",
            HttpError::Refused(Refusal::Banned) => "banned",
            HttpError::Refused(Refusal::Ended) => "room_ended",
        };
        HttpResponse::build(self.status_code()).json(ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message: self.to_string(),
                ..ErrorDetail::default()
            },
        })
    }
}

#[derive(Deserialize)]
pub struct WsQuery {
    ticket: String,
    /// Optional: when given, it must be the ticket's room.
    room: Option<RoomId>,
}

/// `GET /ws?ticket=...`: verify the ticket, then hand the socket to a session actor.
async fn websocket(
    req: HttpRequest,
    stream: web::Payload,
    query: web::Query<WsQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    let claims = state
        .tickets
        .verify(&query.ticket)
        .map_err(HttpError::from)?;
    if let Some(asked) = query.room.filter(|&r| r != claims.room.id) {
        return Err(HttpError::WrongRoom {
            ticket: claims.room.id,
            asked,
        }
        .into());
    }
    // Only a real WebSocket upgrade spends the ticket.
    ws::handshake(&req)?;
    // Single use, not banned, not an ended room: checked before anything opens.
    let known = state.registry.is_live(claims.room.id);
    state
        .registry
        .admission()
        .admit(&claims, known)
        .await
        .map_err(HttpError::from)?;
    let room = state
        .registry
        .open(&claims.room)
        .await
        .map_err(HttpError::from)?;
    let session = Session::new(
        claims.sub,
        claims.name,
        claims.ranked,
        room,
        state.config.heartbeat_interval,
        state.config.client_timeout,
    );
    // Frames up to 4 × 64 KiB are read and answered with `frame_too_large`; past that the
    // codec refuses them and the connection closes (abuse).
    ws::WsResponseBuilder::new(session, &req, stream)
        .frame_size(4 * MAX_FRAME_BYTES)
        .start()
}

async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "status": "ok",
        "live_rooms": state.registry.live_rooms(),
    }))
}

/// Ready to serve rooms: in a cluster, only while Redis answers.
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.registry.cluster() {
        Some(cluster) if !cluster.ping().await => HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({"status": "unavailable", "redis": "unreachable"})),
        _ => HttpResponse::Ok().json(serde_json::json!({"status": "ready"})),
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::QueryConfig::default().error_handler(|err, _| {
        HttpError::BadRequest(format!("{err}: open /ws?ticket=<room ticket>")).into()
    }))
    .route("/ws", web::get().to(websocket))
    .route("/healthz", web::get().to(healthz))
    .route("/readyz", web::get().to(readyz));
}

/// Call within an actix system: the reporter's tasks and the Redis link start on it.
pub async fn state(config: RoomServerConfig) -> anyhow::Result<Arc<AppState>> {
    let api = config
        .api
        .as_ref()
        .map(|link| ApiClient::new(&link.url, &link.service_token));
    let reporter = match &api {
        Some(api) => Reporter::spawn(api.clone()),
        None => Reporter::disabled(),
    };
    let cluster = match &config.redis_url {
        Some(url) => {
            let cluster = RedisCluster::connect(url, config.instance_id.clone())
                .await
                .map_err(|e| anyhow::anyhow!("cannot reach Redis at ONAIR_REDIS_URL: {e}"))?;
            log::info!("cluster mode: instance {} via Redis", config.instance_id);
            Some(cluster)
        }
        None => None,
    };
    let admission = Arc::new(Admission::new(cluster.clone(), api.clone()));
    let registry = Registry::new(
        config.rules.clone(),
        config.event_buffer,
        reporter,
        cluster,
        admission,
    );
    match api {
        Some(api) => crate::moderation::spawn(api, registry.clone()),
        None => log::warn!(
            "no ONAIR_API_INTERNAL_URL: bans and room closings will not reach this room-server"
        ),
    }
    Ok(Arc::new(AppState {
        tickets: TicketVerifier::new(&config.jwt_secret),
        registry,
        config,
    }))
}
