use actix_web::HttpResponse;

/// Liveness: the process is up and serving. It does not touch the database, so an
/// orchestrator does not restart healthy instances while the database is briefly away.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}
