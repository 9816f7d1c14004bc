//! OnAir's room-server: one `Room` actor per live room (the single authority over its show),
//! one `Session` actor per WebSocket.
//!
//! - `rules`: the rules of the show, pure and directly tested.
//! - `room`: the actor wrapping the rules: membership, `seq`, fan-out, timers.
//! - `session`: one WebSocket's frames from the client: frame limits, parsing, rate limits.
//! - `outbox`: one WebSocket's frames to the client, pushed by its room straight to the socket
//!   (no actor message per frame), and its heartbeat, kept by the room.
//! - `actor_messages`: what the actors say to each other (and `RoomHandle`, what a session
//!   talks to); `directory`: what a room or relay needs of the registry; `seats`: a room's or
//!   relay's members' connections (sending, cutting off slow or stalled readers, closing).
//! - `registry`: which actor holds which room.
//! - `cluster`, `relay`: many instances over Redis (one owner per room, relays elsewhere).
//! - `reporter`: ranked results and room status, sent to the api-server.
//! - `admission`, `moderation`: single-use tickets, bans and ended rooms; the api-server's
//!   moderation feed.
//! - `server`: the HTTP endpoints (`/ws`, `/healthz`, `/readyz`, `/metrics`).
//! - `metrics`: every figure `/metrics` shows, behind one named method per event.
//! - `error_text`: the English text of each error code.
//!
//! The modules form layers: each uses only modules below it (docs/ARCHITECTURE.md, "The
//! room-server's layers"; a test in `tests/room/deploy.rs` holds it).

pub mod actor_messages;
pub mod admission;
pub mod api_client;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod directory;
pub mod error_text;
pub mod metrics;
pub mod moderation;
pub mod outbox;
pub mod rate_limit;
pub mod registry;
pub mod relay;
pub mod reporter;
pub mod room;
pub mod rules;
pub mod seats;
pub mod server;
pub mod session;
pub mod ticket;

use actix_web::{middleware, web, App, HttpServer};
use onair_telemetry::http::TracingLogger;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// A client must send its request head (the WebSocket upgrade) within this time.
pub const REQUEST_HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// Headers on every HTTP response of the room-server (its JSON errors and health checks; the
/// WebSocket itself is not a document): nothing here may be framed, sniffed or referred from.
pub fn security_headers() -> middleware::DefaultHeaders {
    middleware::DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'none'; frame-ancestors 'none'",
        ))
        .add(("X-Frame-Options", "DENY"))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
}

pub use config::RoomServerConfig;

/// A bound, not yet awaited server: await or spawn `server`; `handle` stops it.
pub struct Running {
    pub addr: SocketAddr,
    pub handle: actix_web::dev::ServerHandle,
    pub server: actix_web::dev::Server,
    pub state: Arc<server::AppState>,
}

impl Running {
    /// A graceful shutdown: not ready (so load balancers stop sending new connections) for
    /// `drain`, then stop; open connections get the server's shutdown timeout to close.
    pub async fn shut_down(
        state: Arc<server::AppState>,
        handle: actix_web::dev::ServerHandle,
        drain: std::time::Duration,
    ) {
        state.begin_draining();
        if !drain.is_zero() {
            tracing::info!("stopping in {drain:?}");
            tokio::time::sleep(drain).await;
        }
        // In a cluster, rooms owned here move to other instances now, not once leases lapse.
        state.registry.hand_over_all().await;
        handle.stop(true).await;
    }
}

/// Connects to Redis (if configured), binds and builds the room-server. Call from within an
/// actix system (`#[actix_web::main]`, `#[actix_rt::test]`).
pub async fn start(config: RoomServerConfig) -> anyhow::Result<Running> {
    let (bind, workers) = (config.bind, config.workers);
    let tcp_user_timeout = 2 * config.client_timeout;
    let shared = server::state(config).await?;
    let state = web::Data::from(shared.clone());
    let mut http = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(security_headers())
            .configure(server::routes)
            .wrap(TracingLogger::<server::WsAwareSpan>::new())
            .wrap(middleware::from_fn(onair_telemetry::http::request_id))
    })
    // The binary handles SIGTERM itself: it drains first (see `Running::shut_down`).
    .disable_signals()
    // Room events are small frames that must leave at once. With Nagle's algorithm on
    // (actix-http leaves it on), a frame sent while the previous one is unacknowledged
    // waits for the client's delayed ACK, up to 40 ms.
    .tcp_nodelay(true)
    // A client that stops reading fills its window; the room cuts it off after the client
    // timeout and writes nothing more, but the HTTP layer still waits to flush what it holds
    // (it has no write timeout), so the connection would stay open as long as the client
    // kept it. The kernel gives up on it instead: data unacknowledged, or a zero window, for
    // twice the client timeout resets the connection (and ends its session).
    .on_connect(move |conn, _| {
        if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
            if let Err(e) = socket2::SockRef::from(tcp).set_tcp_user_timeout(Some(tcp_user_timeout))
            {
                tracing::warn!("cannot set TCP_USER_TIMEOUT: {e}");
            }
        }
    })
    .client_request_timeout(REQUEST_HEAD_TIMEOUT);
    if let Some(workers) = workers {
        http = http.workers(workers);
    }
    let http = http
        .bind(bind)
        .map_err(|e| anyhow::anyhow!("cannot listen on {bind}: {e}"))?;
    let addr = http.addrs().first().copied().unwrap_or(bind);
    let server = http.shutdown_timeout(5).run();
    Ok(Running {
        addr,
        handle: server.handle(),
        server,
        state: shared,
    })
}
