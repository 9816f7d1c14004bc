//! HTTP side of the room-server: the WebSocket endpoint, health checks and metrics.

use crate::admission::{Admission, Refusal};
use crate::api_client::ApiClient;
use crate::cluster::RedisCluster;
use crate::config::RoomServerConfig;
use crate::metrics::Metrics;
use crate::outbox::{Heartbeat, Outbox, OutboxBody, Wire};
use crate::registry::Registry;
use crate::reporter::Reporter;
use crate::session::{Session, SessionSetup};
use crate::ticket::{TicketError, TicketVerifier};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use actix_web_actors::ws;
use onair_shared::api::{ApiErrorCode, ErrorBody, ErrorDetail};
use onair_shared::protocol::MAX_FRAME_BYTES;
use onair_shared::room::{validate_member_limit, MAX_MEMBER_LIMIT, MIN_MEMBER_LIMIT};
use onair_shared::RoomId;
use onair_telemetry::http::{RootSpan, RootSpanBuilder};
use serde::Deserialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// `/readyz` gives Redis this long to answer a PING, so the probe itself answers within a
/// second whatever Redis does (with room to spare on a busy machine).
const REDIS_PING_TIMEOUT: Duration = Duration::from_millis(500);
/// How often `onair_redis_up` is refreshed when nothing probes readiness.
const REDIS_PROBE_EVERY: Duration = Duration::from_secs(5);

pub struct AppState {
    pub config: RoomServerConfig,
    pub tickets: TicketVerifier,
    pub registry: Registry,
    pub metrics: Arc<Metrics>,
    /// Set once shutdown has begun: not ready, and no new connections.
    draining: AtomicBool,
}

impl AppState {
    /// Shutdown has begun: `/readyz` answers 503 from now on and `/ws` refuses new
    /// connections (clients go to another instance); open connections carry on until the
    /// server stops.
    pub fn begin_draining(&self) {
        if !self.draining.swap(true, Ordering::SeqCst) {
            tracing::info!("draining: not ready, taking no new connections");
            self.metrics.set_draining();
        }
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
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
    #[error("this room-server is shutting down; connect to another")]
    Draining,
    /// The ticket asks for more seats than any room may have (`onair_shared::room`'s range,
    /// the one the api-server checks rooms against): a mis-signed or foreign ticket, refused
    /// before it opens a room that would then hold a crowd the rest of the system cannot.
    #[error("the ticket's member_limit {0} is outside {min}..={max}", min = MIN_MEMBER_LIMIT, max = MAX_MEMBER_LIMIT)]
    MemberLimit(u8),
}

impl ResponseError for HttpError {
    fn status_code(&self) -> StatusCode {
        match self {
            HttpError::Ticket(_) | HttpError::WrongRoom { .. } => StatusCode::UNAUTHORIZED,
            HttpError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HttpError::MemberLimit(_) => StatusCode::BAD_REQUEST,
            HttpError::Refused(Refusal::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            HttpError::Refused(Refusal::Used) => StatusCode::UNAUTHORIZED,
            HttpError::Refused(Refusal::Banned) => StatusCode::FORBIDDEN,
            HttpError::Refused(Refusal::Ended) => StatusCode::CONFLICT,
            HttpError::Draining => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let code = match self {
            HttpError::Ticket(TicketError::Expired) => ApiErrorCode::TicketExpired,
            HttpError::Ticket(TicketError::Invalid) => ApiErrorCode::InvalidTicket,
            HttpError::WrongRoom { .. } => ApiErrorCode::WrongRoom,
            HttpError::BadRequest(_) => ApiErrorCode::BadRequest,
            HttpError::MemberLimit(_) => ApiErrorCode::ValidationFailed,
            HttpError::Refused(Refusal::Unavailable(_)) => ApiErrorCode::RoomUnavailable,
            HttpError::Refused(Refusal::Used) => ApiErrorCode::TicketUsed,
            HttpError::Refused(Refusal::Banned) => ApiErrorCode::Banned,
            HttpError::Refused(Refusal::Ended) => ApiErrorCode::RoomEnded,
            HttpError::Draining => ApiErrorCode::Draining,
        };
        HttpResponse::build(self.status_code()).json(ErrorBody {
            error: ErrorDetail::new(code, self.to_string()),
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
///
/// The request's span takes the ticket's request id (see [`WsAwareSpan`]): the browser cannot
/// set headers on a WebSocket, and the ticket's id is the one the show is followed by.
async fn websocket(
    req: HttpRequest,
    stream: web::Payload,
    query: web::Query<WsQuery>,
    state: web::Data<AppState>,
    root_span: RootSpan,
) -> Result<HttpResponse, actix_web::Error> {
    if state.is_draining() {
        return Err(HttpError::Draining.into());
    }
    let claims = state.tickets.verify(&query.ticket);
    let request_id = match &claims {
        Ok(claims) => claims.rid.clone(),
        Err(_) => None,
    }
    .unwrap_or_else(|| onair_telemetry::RequestId::generate().to_string());
    root_span.record("request_id", request_id.as_str());
    let claims = claims.map_err(HttpError::from)?;
    if let Some(asked) = query.room.filter(|&r| r != claims.room.id) {
        return Err(HttpError::WrongRoom {
            ticket: claims.room.id,
            asked,
        }
        .into());
    }
    if validate_member_limit(claims.room.member_limit).is_err() {
        return Err(HttpError::MemberLimit(claims.room.member_limit).into());
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
        .open(&claims.room, claims.rid.as_deref())
        .await
        .map_err(HttpError::from)?;
    tracing::info!(room = %claims.room.id, user = %claims.sub, "member connecting");
    let span = tracing::info_span!(
        "session",
        room = %claims.room.id,
        user = %claims.sub,
        request_id = request_id.as_str(),
    );
    let outbox = Arc::new(Outbox::new(crate::clock::now_ms()));
    let session = Session::new(SessionSetup {
        user: claims.sub,
        name: claims.name,
        standing: claims.ranked,
        room,
        outbox: outbox.clone(),
        metrics: state.metrics.clone(),
        span,
    });
    // Frames up to 4 × 64 KiB are read and answered with `frame_too_large`; past that the
    // codec refuses them and the connection closes (abuse).
    let codec = actix_http::ws::Codec::new().max_size(4 * MAX_FRAME_BYTES);
    let session = ws::WebsocketContext::with_codec(session, stream, codec);
    let metrics = state.metrics.clone();
    let body = OutboxBody::new(session, outbox, move |wire: &Wire| {
        metrics.frame_written(wire)
    });
    Ok(ws::handshake(&req)?.streaming(body))
}

async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "status": "ok",
        "live_rooms": state.registry.live_rooms(),
    }))
}

/// Ready to serve rooms: not while draining for shutdown, and in a cluster only while Redis
/// answers (within [`REDIS_PING_TIMEOUT`], so this answers within a second whatever Redis does).
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.is_draining() {
        return HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "draining"}));
    }
    match state.registry.cluster() {
        Some(cluster) if !redis_answers(cluster, &state.metrics).await => {
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({"status": "unavailable", "redis": "unreachable"}))
        }
        _ => HttpResponse::Ok().json(serde_json::json!({"status": "ready"})),
    }
}

/// A PING within [`REDIS_PING_TIMEOUT`]; the answer also goes to `onair_redis_up`.
async fn redis_answers(cluster: &RedisCluster, metrics: &Metrics) -> bool {
    let up = tokio::time::timeout(REDIS_PING_TIMEOUT, cluster.ping())
        .await
        .unwrap_or(false);
    metrics.set_redis_up(up);
    up
}

async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    state.metrics.registry().response()
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::QueryConfig::default().error_handler(|err, _| {
        HttpError::BadRequest(format!("{err}: open /ws?ticket=<room ticket>")).into()
    }))
    .route("/ws", web::get().to(websocket))
    .route("/healthz", web::get().to(healthz))
    .route("/readyz", web::get().to(readyz))
    .route("/metrics", web::get().to(metrics));
}

/// The request span of the room-server: as every server's, except that `/ws` leaves the
/// request id for the handler, which takes the room ticket's.
pub struct WsAwareSpan;

impl RootSpanBuilder for WsAwareSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        onair_telemetry::http::request_span(request, request.path() != "/ws")
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        onair_telemetry::http::finish_span(span, outcome);
    }
}

/// Call within an actix system: the reporter's tasks and the Redis link start on it.
pub async fn state(config: RoomServerConfig) -> anyhow::Result<Arc<AppState>> {
    let metrics = Arc::new(Metrics::new());
    metrics.registry().keep_up();
    let api = config
        .api
        .as_ref()
        .map(|link| ApiClient::new(&link.url, &link.service_token));
    let reporter = match &api {
        Some(api) => Reporter::spawn(api.clone(), metrics.clone()),
        None => Reporter::disabled(),
    };
    let cluster = match &config.redis_url {
        Some(url) => {
            let cluster = RedisCluster::connect(url, config.instance_id.clone(), metrics.clone())
                .await
                .map_err(|e| anyhow::anyhow!("cannot reach Redis at ONAIR_REDIS_URL: {e}"))?;
            tracing::info!("cluster mode: instance {} via Redis", config.instance_id);
            watch_redis(cluster.clone(), metrics.clone());
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
        metrics.clone(),
        admission,
        Heartbeat {
            every: config.heartbeat_interval,
            timeout: config.client_timeout,
        },
    );
    match api {
        Some(api) => crate::moderation::spawn(api, registry.clone()),
        None => tracing::warn!(
            "no ONAIR_API_INTERNAL_URL: bans and room closings will not reach this room-server"
        ),
    }
    Ok(Arc::new(AppState {
        tickets: TicketVerifier::new(&config.jwt_secret),
        registry,
        metrics,
        draining: AtomicBool::new(false),
        config,
    }))
}

/// Keeps `onair_redis_up` current between readiness probes.
fn watch_redis(cluster: Arc<RedisCluster>, metrics: Arc<Metrics>) {
    let cluster = Arc::downgrade(&cluster);
    actix::spawn(async move {
        let mut tick = tokio::time::interval(REDIS_PROBE_EVERY);
        loop {
            tick.tick().await;
            let Some(cluster) = cluster.upgrade() else {
                return;
            };
            redis_answers(&cluster, &metrics).await;
        }
    });
}
