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

    let jwt = auth::JwtKeys::new(
        config.jwt_secret.expose().as_bytes(),
        config.access_token_ttl_secs,
    );
    let oauth_state = auth::oauth_state::StateKeys::new(config.jwt_secret.expose().as_bytes());
    let bind = config.bind;
    let state = web::Data::new(AppState {
        config: Arc::new(config),
        pool,
        jwt,
        oauth_state,
        http: auth::kakao::http_client(),
        metrics,
    });

    let server = HttpServer::new(move || {
        let dist = state.config.web_dist.clone();
        App::new()
            .app_data(state.clone())
            .app_data(error::json_config())
            .app_data(error::path_config())
            .app_data(error::query_config())
            .wrap(middleware::from_fn(metrics::track))
            .wrap(middleware::Compress::default())
            // A span per request, with its id; it logs the path without the query string,
            // which may carry one-time login codes.
            .wrap(TracingLogger::<HttpSpan>::new())
            .wrap(middleware::from_fn(onair_telemetry::http::request_id))
            .configure(routes::configure)
            .configure(|cfg| routes::web_ui::configure(cfg, &dist))
            .default_service(web::to(routes::web_ui::fallback))
    })
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
