//! HTTP hardening shared by every response: security headers (a Content-Security-Policy that
//! allows the wasm bundle and what the app really loads, no framing, no sniffing, no referrer)
//! and a deadline on request bodies; plus the log escaping for text a client controls.
//!
//! actix's `client_request_timeout` cuts off a client that does not finish sending its request
//! head; nothing in actix bounds the body, so [`body_deadline`] wraps every request's payload
//! and fails it when the body has not arrived within [`BODY_TIMEOUT`] of the head (the JSON
//! extractor then answers 408 `request_timeout` and the connection is closed).

use crate::config::ApiConfig;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::web::Bytes;
use actix_web::HttpMessage;
use futures_util::StreamExt;
use std::time::Duration;

/// A client must send its whole request head within this time (actix cuts it off after).
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
/// A request body must have arrived this long after its head. Bodies are small JSON objects
/// (16 KiB at most): a body that takes longer is a client holding a connection open.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the web app loads images from besides itself: Kakao's profile pictures.
const KAKAO_IMAGES: &str = "https://*.kakaocdn.net http://*.kakaocdn.net";

/// Where YouTube's embedded players live.
const YOUTUBE_FRAMES: &str = "https://www.youtube.com https://www.youtube-nocookie.com";

/// The Content-Security-Policy of the UI (and every API response, where it costs nothing):
/// scripts only from this origin, with WebAssembly compilation (`'wasm-unsafe-eval'`); styles
/// from this origin, with inline `style` attributes (Yew sets the few the app uses: avatar hues,
/// bar widths) but no `<style>` elements; connections to this origin and the room-servers'
/// WebSocket origins; video from MediaStreams (`blob:`); no plugins, no `<base>`, no framing.
pub fn content_security_policy(config: &ApiConfig) -> String {
    let mut connect = vec!["'self'".to_owned()];
    for url in &config.room_server_urls {
        let origin = url::Url::parse(url)
            .ok()
            .map(|u| u.origin().ascii_serialization())
            .filter(|o| o != "null");
        if let Some(origin) = origin {
            if !connect.contains(&origin) {
                connect.push(origin);
            }
        }
    }
    // The sing-along: the YouTube IFrame API script (and the scripts it loads from its own
    // origin), YouTube's player frames, and backing-track files from any http(s) site (a
    // member pastes the link; each browser loads it as a media element, without credentials).
    let youtube = url::Url::parse(&config.youtube_api_url)
        .ok()
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o != "null")
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{youtube}; style-src 'self'; \
         style-src-attr 'unsafe-inline'; img-src 'self' data: blob: {KAKAO_IMAGES}; \
         media-src 'self' blob: https: http:; frame-src {YOUTUBE_FRAMES}{youtube}; \
         connect-src {}; font-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        connect.join(" ")
    )
}

/// Headers on every response of the api-server.
pub fn security_headers(config: &ApiConfig) -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Content-Security-Policy", content_security_policy(config)))
        .add(("X-Frame-Options", "DENY"))
        .add(("X-Content-Type-Options", "nosniff"))
        // The login completes at /login/complete?code=...: no page URL ever leaves the site.
        .add(("Referrer-Policy", "no-referrer"))
}

/// Middleware: the request body must arrive within [`BODY_TIMEOUT`].
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let deadline = tokio::time::Instant::now() + BODY_TIMEOUT;
    let payload = req.take_payload();
    let stream = futures_util::stream::unfold(Some(payload), move |payload| async move {
        let mut payload = payload?;
        match tokio::time::timeout_at(deadline, payload.next()).await {
            Ok(Some(chunk)) => Some((chunk, Some(payload))),
            Ok(None) => None,
            Err(_) => Some((
                Err(PayloadError::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the request body did not arrive in time",
                ))),
                None,
            )),
        }
    });
    let boxed: std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<Bytes, PayloadError>>>> =
        Box::pin(stream);
    req.set_payload(Payload::from(boxed));
    next.call(req).await
}

/// Text a client controls (a query parameter, a name, another server's error message), fit
/// for one log line: control characters and quotes escaped (a newline cannot forge a line),
/// at most 200 characters.
pub fn for_log(text: &str) -> String {
    const MAX: usize = 200;
    let mut out: String = text
        .chars()
        .take(MAX)
        .flat_map(char::escape_debug)
        .collect();
    if text.chars().count() > MAX {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_fields_cannot_forge_lines() {
        assert_eq!(for_log("bad\nINFO forged"), "bad\\nINFO forged");
        assert_eq!(for_log("a\"b\r"), "a\\\"b\\r");
        assert_eq!(for_log(&"x".repeat(300)).chars().count(), 201);
        assert_eq!(for_log("노래"), "노래");
    }

    #[test]
    fn the_policy_lets_the_app_reach_its_room_servers_and_nothing_else() {
        let mut config = ApiConfig::dev(crate::config::Database::Sqlite("x.db".into()));
        config.room_server_urls = vec![
            "ws://127.0.0.1:8081".into(),
            "wss://rooms.example.com/base".into(),
        ];
        let csp = content_security_policy(&config);
        assert!(csp.contains("connect-src 'self' ws://127.0.0.1:8081 wss://rooms.example.com;"));
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' https://www.youtube.com;"));
        assert!(csp.contains("frame-src https://www.youtube.com https://www.youtube-nocookie.com"));
        assert!(csp.contains("frame-ancestors 'none'"));
        // A stand-in YouTube script (tests) is allowed where it is, and only there.
        config.youtube_api_url = "http://127.0.0.1:9999/yt/iframe_api.js".into();
        let csp = content_security_policy(&config);
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' http://127.0.0.1:9999;"));
        assert!(!csp.contains("unsafe-eval'") || csp.contains("'wasm-unsafe-eval'"));
        assert!(!csp.contains("script-src 'self' 'unsafe-inline'"));
    }
}
