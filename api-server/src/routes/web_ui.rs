//! Serves the built web UI (`ONAIR_WEB_DIST`). The UI routes on the client, so a deep link
//! such as `/rooms/5` must return `index.html`; `/api/...` never gets here.

use crate::error::ApiError;
use crate::AppState;
use actix_files::{Files, NamedFile};
use actix_web::http::header::{ContentType, HeaderValue, CACHE_CONTROL};
use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use std::path::Path;

/// Registers the static files when the UI is built; otherwise the app's default service
/// ([`fallback`]) explains how to build it.
pub fn configure(cfg: &mut web::ServiceConfig, dist: &Path) {
    if dist.is_dir() {
        cfg.service(
            Files::new("/", dist)
                .index_file("index.html")
                .default_handler(web::to(fallback)),
        );
    }
}

/// Any path that is neither an API route nor a file of the UI.
pub async fn fallback(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return actix_web::ResponseError::error_response(&ApiError::MethodNotAllowed);
    }
    // A missing asset (`/app-3f2a.wasm`) must stay a 404: answering it with index.html would
    // make the browser fail later with a confusing parse error.
    let last_segment = req.path().rsplit('/').next().unwrap_or_default();
    if last_segment.contains('.') {
        return HttpResponse::NotFound()
            .content_type(ContentType::plaintext())
            .body("not found");
    }
    let index = state.config.web_dist.join("index.html");
    match NamedFile::open_async(&index).await {
        Ok(file) => {
            let mut response = file.into_response(&req);
            // Each deployment changes which hashed bundles index.html points at.
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        Err(_) => not_built(&state.config.web_dist),
    }
}

fn not_built(dist: &Path) -> HttpResponse {
    let dist = html_escape(&dist.display().to_string());
    HttpResponse::build(StatusCode::SERVICE_UNAVAILABLE)
        .content_type(ContentType::html())
        .body(format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>OnAir: web UI not built</title></head>\n<body>\
             <h1>The OnAir web UI is not built</h1>\n\
             <p>The API is running, but there is no <code>index.html</code> in \
             <code>{dist}</code>.</p>\n\
             <p>Build it with <code>cargo xtask dist</code>, or point \
             <code>ONAIR_WEB_DIST</code> at the built UI, then reload this page.</p>\n\
             </body></html>\n"
        ))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
