use crate::db;
use crate::error::ApiError;
use crate::AppState;
use actix_web::{web, HttpResponse};

/// What `/healthz` and `/readyz` answer.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Status {
    /// `ok` (alive) or `ready`.
    pub status: String,
}

/// Liveness: the process is up and serving. It does not touch the database, so an
/// orchestrator does not restart healthy instances while the database is briefly away.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Status {
        status: "ok".into(),
    })
}

/// How long readiness waits for the database: probes time out after a second or so, and an
/// answer that comes later says nothing good either.
const READY_WITHIN: std::time::Duration = std::time::Duration::from_secs(1);

/// Readiness: the database answers `SELECT 1` within a second, so a load balancer stops
/// sending traffic to an instance that cannot serve it. 503 `database_unavailable` otherwise.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let ping = db::run(&state.pool, |conn| Ok(db::ping(conn)?));
    actix_web::rt::time::timeout(READY_WITHIN, ping)
        .await
        .map_err(|_| ApiError::DatabaseUnavailable)??;
    Ok(HttpResponse::Ok().json(Status {
        status: "ready".into(),
    }))
}

/// Prometheus text exposition (the pool's gauges are read as the scrape comes).
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    state.metrics.set_pool(state.pool_snapshot());
    state.metrics.registry().response()
}
