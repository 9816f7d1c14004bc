//! OnAir api-server: login, profiles, the room catalogue and room tickets over REST, on SQLite
//! or MySQL/MariaDB; it also serves the built web UI.
//!
//! Where things are:
//! - [`config`]: every environment variable, parsed once into [`config::ApiConfig`].
//! - [`error`]: [`error::ApiError`], the one error type, and how it becomes a JSON response.
//! - [`db`]: the connection pool, migrations, and per-table models with their queries.
//! - [`auth`]: JWT signing/verification and the [`auth::AuthUser`] extractor.
//! - [`routes`]: one file per area; the full route table is in [`routes::configure`].
//! - [`seed`]: the `onair-seed` tool (bulk data sets for benchmarks) and its SQL checks of
//!   every counter the server keeps.

pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod http;
pub mod limits;
pub mod metrics;
pub mod routes;
pub mod seed;
pub mod turn;

use actix_web::{middleware, web, App, HttpServer};
use anyhow::Context;
use onair_telemetry::http::{HttpSpan, TracingLogger};
use std::sync::Arc;

/// Shared by every request (as `web::Data<AppState>`).
pub struct AppState {
    pub config: Arc<config::ApiConfig>,
    pub pool: db::DbPool,
    pub jwt: auth::JwtKeys,
    /// Signs the OAuth `state` (a key derived from the JWT secret).
    pub oauth_state: auth::oauth_state::StateKeys,
    /// Outgoing HTTP (Kakao), with short timeouts.
    pub http: reqwest::Client,
    pub metrics: Arc<metrics::Metrics>,
    /// Every signed-in user's current state (ban, role), fresh to two seconds.
    pub users: auth::current::UserCache,
    /// Rate limits on room creation, tickets and logins.
    pub limits: limits::Limiters,
}

impl AppState {
    /// The client's address (behind trusted proxies, the one they forwarded).
    pub fn client_addr(&self, req: &actix_web::HttpRequest) -> Option<std::net::IpAddr> {
        limits::client_addr(req, &self.config.trusted_proxies)
    }

    /// Counts a request against the limits of its client address.
    pub fn limit_address(
        &self,
        action: limits::Action,
        req: &actix_web::HttpRequest,
    ) -> Result<(), error::ApiError> {
        match self.client_addr(req) {
            Some(addr) => self.limits.check_address(action, addr),
            None => Ok(()),
        }
    }
}

impl AppState {
    pub fn pool_snapshot(&self) -> metrics::PoolSnapshot {
        let state = self.pool.state();
        metrics::PoolSnapshot {
            max: self.pool.max_size(),
            open: state.connections,
            idle: state.idle_connections,
        }
    }
}

/// A server that is bound and ready; it serves once `server` is awaited or spawned.
pub struct Running {
    /// The address actually bound (the real port when the configured one was 0).
    pub addr: std::net::SocketAddr,
    pub handle: actix_web::dev::ServerHandle,
    pub server: actix_web::dev::Server,
}

/// Opens the database, applies migrations, binds the listener and builds the app.
///
/// Needs to be called inside an actix or tokio runtime (`#[actix_web::main]`,
/// `#[actix_web::test]`); connections queue on the socket until `server` is polled.
pub fn start(config: config::ApiConfig) -> anyhow::Result<Running> {
    let metrics = Arc::new(metrics::Metrics::new(
        routes::table().into_iter().map(|route| route.path),
    ));
    metrics.registry().keep_up();
    let pool = db::open_observed(
        &config.database,
        config.db_pool_size,
        config.db_timeout,
        Box::new(metrics.pool_events()),
    )?;
    tracing::info!(
        "database: {} ({})",
        config.database.backend_name(),
        describe_db(&config.database)
    );
    if !config.web_dist.join("index.html").is_file() {
        tracing::warn!(
            "web UI not found in {}: `/` will say it is not built (run `cargo xtask dist`)",
            config.web_dist.display()
        );
    }
    if config.dev_mode {
        tracing::warn!("dev mode: anyone can sign in by name alone (POST /api/v1/auth/dev)");
    }
    if let Some(kakao) = &config.kakao {
        tracing::info!("Kakao login on (callback {})", kakao.redirect_uri);
    }
    // ONAIR_ADMIN_USERS is the one source of admin roles: applied to every account now, so
    // someone taken off the list is no admin from this start on, whatever their token says.
    let admins: Vec<(String, String)> = config
        .admin_users
        .iter()
        .map(|i| (i.provider.clone(), i.provider_id.clone()))
        .collect();
    pool.get()
        .context("getting a connection to apply ONAIR_ADMIN_USERS")
        .and_then(|mut conn| {
            db::models::User::sync_admins(&mut conn, &admins).context("applying ONAIR_ADMIN_USERS")
        })?;

    let jwt = auth::JwtKeys::new(
        config.jwt_secret.expose().as_bytes(),
        config.access_token_ttl_secs,
    );
    let oauth_state = auth::oauth_state::StateKeys::new(config.jwt_secret.expose().as_bytes());
    let bind = config.bind;
    let state = web::Data::new(AppState {
        limits: limits::Limiters::new(&config.rate_limits),
        config: Arc::new(config),
        pool,
        jwt,
        oauth_state,
        http: auth::kakao::http_client(),
        metrics,
        users: auth::current::UserCache::default(),
    });
    spawn_housekeeping(state.clone());

    let server = HttpServer::new(move || {
        let dist = state.config.web_dist.clone();
        App::new()
            .app_data(state.clone())
            .app_data(error::json_config())
            .app_data(error::path_config())
            .app_data(error::query_config())
            .wrap(middleware::from_fn(http::body_deadline))
            .wrap(middleware::from_fn(metrics::track))
            .wrap(http::security_headers(&state.config))
            .wrap(middleware::Compress::default())
            // A span per request, with its id; it logs the path without the query string,
            // which may carry one-time login codes.
            .wrap(TracingLogger::<HttpSpan>::new())
            .wrap(middleware::from_fn(onair_telemetry::http::request_id))
            .configure(routes::configure)
            .configure(|cfg| routes::web_ui::configure(cfg, &dist))
            .default_service(web::to(routes::web_ui::fallback))
    })
    .client_request_timeout(http::HEAD_TIMEOUT)
    .shutdown_timeout(10)
    .bind(bind)
    .with_context(|| format!("cannot listen on {bind} (ONAIR_API_BIND)"))?;
    let addr = server
        .addrs()
        .first()
        .copied()
        .context("the server bound no address")?;
    let server = server.run();
    tracing::info!("api-server listening on http://{addr}");
    Ok(Running {
        addr,
        handle: server.handle(),
        server,
    })
}

/// Background work of every api-server: closing rooms that stood idle (including those never
/// opened on a room-server), forgetting old moderation events, and pruning rate-limit state.
fn spawn_housekeeping(state: web::Data<AppState>) {
    let every = std::time::Duration::from_secs(
        (state.config.fair_play.room_idle_secs / 10).clamp(1, 30) as u64,
    );
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(every);
        loop {
            tick.tick().await;
            let idle = state.config.fair_play.room_idle_secs;
            let swept = db::run(&state.pool, move |conn| {
                let now = unix_now();
                let closed = db::models::Room::sweep_idle(conn, now, idle)?;
                db::models::ModerationEvent::prune(conn, now)?;
                Ok(closed)
            })
            .await;
            match swept {
                Ok(closed) if !closed.is_empty() => {
                    tracing::info!(
                        "closed {} room(s) idle for {idle} s: {closed:?}",
                        closed.len()
                    )
                }
                Ok(_) => {}
                Err(e) => tracing::warn!("room sweep failed: {e}"),
            }
            state.limits.prune();
        }
    });
}

fn describe_db(database: &config::Database) -> String {
    match database {
        // The URL may carry a password; show only where it points.
        config::Database::Mysql(url) => {
            let after_scheme = url.trim_start_matches("mysql://");
            let host_and_db = after_scheme
                .rsplit_once('@')
                .map_or(after_scheme, |(_, rest)| rest);
            host_and_db.split('?').next().unwrap_or_default().to_owned()
        }
        config::Database::Sqlite(path) => path.display().to_string(),
    }
}

/// Seconds since the Unix epoch; every stored and signed time uses this.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
