//! HTTP routes, one file per area. Every API route lives under `/api/v1`; anything else under
//! `/api` is a JSON 404, and every other path belongs to the web UI.
//!
//! Routes are registered here, in one table, so the whole surface is visible at a glance.

pub mod auth;
pub mod client_config;
pub mod health;
pub mod me;
pub mod rooms;
pub mod tickets;
pub mod web_ui;

use crate::error::ApiError;
use actix_web::{web, HttpRequest, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/healthz").route(web::get().to(health::healthz)));
    cfg.service(
        web::scope("/api")
            .service(
                web::scope("/v1")
                    .service(resource("/config").route(web::get().to(client_config::get_config)))
                    .service(resource("/auth/dev").route(web::post().to(auth::dev_login)))
                    .service(resource("/me").route(web::get().to(me::get_me)))
                    .service(
                        resource("/rooms")
                            .route(web::get().to(rooms::list_rooms))
                            .route(web::post().to(rooms::create_room)),
                    )
                    .service(resource("/rooms/{id}").route(web::get().to(rooms::get_room)))
                    .service(
                        resource("/rooms/{id}/ticket").route(web::post().to(tickets::issue_ticket)),
                    )
                    .default_service(web::to(api_not_found)),
            )
            .default_service(web::to(api_not_found)),
    );
}

/// A resource whose unsupported methods answer with our JSON 405 instead of an empty body.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn api_not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "no API route for {} {}",
        req.method(),
        req.path()
    )))
}

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}
