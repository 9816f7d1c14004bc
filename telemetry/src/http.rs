//! Request ids and one span per HTTP request.
//!
//! Wrap an actix-web `App` with both, [`request_id`] outermost:
//!
//! ```ignore
//! App::new()
//!     .wrap(TracingLogger::<HttpSpan>::new())
//!     .wrap(actix_web::middleware::from_fn(onair_telemetry::http::request_id))
//! ```
//!
//! Every line logged while a request is handled then carries its `request_id`, the response
//! carries it back in `X-Request-Id`, and one line per request says how it was answered.

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest};
use std::future::{ready, Ready};
use std::sync::Arc;
use std::time::Instant;
use tracing::Span;
pub use tracing_actix_web::{RootSpan, RootSpanBuilder, TracingLogger};

/// The header that carries a request's id, both ways.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// A caller's id longer than this (or with other characters than letters, digits and `-_.:`)
/// is replaced by one of ours: it goes into every log line of the request.
pub const MAX_REQUEST_ID_LEN: usize = 64;

/// One request's id: the caller's `X-Request-Id` when it is sane, else 32 random hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestId(Arc<str>);

impl RequestId {
    pub fn generate() -> RequestId {
        RequestId(format!("{:032x}", rand::random::<u128>()).into())
    }

    /// `None` for an empty, oversized or oddly spelled id (it would go into logs verbatim).
    pub fn parse(value: &str) -> Option<RequestId> {
        let ok = !value.is_empty()
            && value.len() <= MAX_REQUEST_ID_LEN
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        ok.then(|| RequestId(value.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The current request's id; a fresh one when the [`request_id`] middleware is not installed.
impl FromRequest for RequestId {
    type Error = std::convert::Infallible;
    type Future = Ready<Result<RequestId, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let id = req.extensions().get::<RequestId>().cloned();
        ready(Ok(id.unwrap_or_else(RequestId::generate)))
    }
}

/// When the request arrived, for the line that ends it.
#[derive(Clone, Copy)]
struct Started(Instant);

/// Middleware: settles the request's id (the caller's, or a new one), keeps it in the request's
/// extensions for the span and the handlers, and echoes it in the response.
pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(RequestId::parse)
        .unwrap_or_else(RequestId::generate);
    req.extensions_mut().insert(id.clone());
    req.extensions_mut().insert(Started(Instant::now()));
    // (The request cannot be kept to answer an error here: routing needs it unshared. Handler
    // errors are responses by now; only a failing middleware gets past without the header.)
    let mut response = next.call(req).await?;
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    Ok(response)
}

/// The span of one request: `http{method path request_id}`. With `with_id` false the id is left
/// empty for the handler to record (the room-server's `/ws` takes it from the room ticket).
pub fn request_span(req: &ServiceRequest, with_id: bool) -> Span {
    let span = tracing::info_span!(
        "http",
        method = %req.method(),
        path = %req.path(),
        request_id = tracing::field::Empty,
    );
    if with_id {
        if let Some(id) = req.extensions().get::<RequestId>() {
            span.record("request_id", id.as_str());
        }
    }
    span
}

/// One line per answered request: status and time taken. Probes and scrapes are logged at
/// `debug` (they come every few seconds; `warn` when not ready); server errors at `error`.
pub fn finish_span<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
    let (status, started, path) = match outcome {
        Ok(response) => {
            let req = response.request();
            let started = req.extensions().get::<Started>().copied();
            (response.status(), started, Some(req.path().to_owned()))
        }
        Err(err) => (err.as_response_error().status_code(), None, None),
    };
    let status = status.as_u16();
    let elapsed_ms = started.map_or(0.0, |s| s.0.elapsed().as_secs_f64() * 1000.0);
    // Two decimals are enough for people; the duration histogram has the exact figures.
    let elapsed = (elapsed_ms * 100.0).round() / 100.0;
    let probe = path.as_deref().is_some_and(is_probe);
    if probe && status >= 500 {
        // Not ready: the cause (database, Redis, draining) is logged where it is found.
        tracing::warn!(parent: &span, status, elapsed_ms = elapsed, "answered");
    } else if status >= 500 {
        tracing::error!(parent: &span, status, elapsed_ms = elapsed, "answered");
    } else if probe {
        tracing::debug!(parent: &span, status, elapsed_ms = elapsed, "answered");
    } else {
        tracing::info!(parent: &span, status, elapsed_ms = elapsed, "answered");
    }
}

fn is_probe(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// The span builder for [`TracingLogger`]: [`request_span`] with the request's id.
pub struct HttpSpan;

impl RootSpanBuilder for HttpSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        request_span(request, true)
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        finish_span(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::{call_service, init_service, read_body, TestRequest};
    use actix_web::{web, App, HttpResponse};

    #[test]
    fn sane_ids_are_kept_and_the_rest_replaced() {
        assert_eq!(
            RequestId::parse("abc-123_x.y:z").unwrap().as_str(),
            "abc-123_x.y:z"
        );
        for bad in ["", "a b", "line\nbreak", "é", &"x".repeat(65)] {
            assert!(RequestId::parse(bad).is_none(), "{bad:?}");
        }
        let a = RequestId::generate();
        assert_eq!(a.as_str().len(), 32);
        assert_ne!(a, RequestId::generate());
        assert!(RequestId::parse(a.as_str()).is_some());
    }

    #[actix_rt::test]
    async fn the_id_is_echoed_generated_and_seen_by_handlers() {
        let app = init_service(
            App::new()
                .wrap(TracingLogger::<HttpSpan>::new())
                .wrap(actix_web::middleware::from_fn(request_id))
                .route(
                    "/",
                    web::get()
                        .to(|id: RequestId| async move { HttpResponse::Ok().body(id.to_string()) }),
                ),
        )
        .await;
        let req = TestRequest::get()
            .uri("/")
            .insert_header((REQUEST_ID_HEADER, "show-42"))
            .to_request();
        let res = call_service(&app, req).await;
        assert_eq!(res.headers().get(REQUEST_ID_HEADER).unwrap(), "show-42");
        assert_eq!(read_body(res).await, "show-42");

        let req = TestRequest::get()
            .uri("/")
            .insert_header((REQUEST_ID_HEADER, "not ok; x=1"))
            .to_request();
        let res = call_service(&app, req).await;
        let echoed = res
            .headers()
            .get(REQUEST_ID_HEADER)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(echoed.len(), 32, "a made-up id replaces an unusable one");
        assert_eq!(read_body(res).await, echoed.as_str());

        let res = call_service(&app, TestRequest::get().uri("/nowhere").to_request()).await;
        assert_eq!(res.status(), 404);
        assert!(
            res.headers().contains_key(REQUEST_ID_HEADER),
            "errors carry it too"
        );
    }
}
