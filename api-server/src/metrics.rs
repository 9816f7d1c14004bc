//! Prometheus metrics (`GET /metrics`, text format 0.0.4), kept by hand: request counts and
//! time by route pattern, method and status, plus the database pool's state.
//!
//! Labels use the route *pattern* (`/api/v1/users/{id}`), never the raw path, and a fixed set
//! of methods (anything else is `method="other"`), so the number of series stays bounded
//! whatever clients request; anything that matched no API route is `route="unmatched"` (web
//! UI files, unknown paths).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    method: &'static str,
    route: String,
    status: u16,
}

/// The method as a label: one of the methods HTTP defines, or `other` (a client may send any
/// token as a method, thousands of characters long).
pub fn method_label(method: &Method) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
    ];
    KNOWN
        .into_iter()
        .find(|m| *m == method.as_str())
        .unwrap_or("other")
}

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    count: u64,
    seconds: f64,
}

#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<Key, Tally>>,
}

/// The pool's numbers at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSnapshot {
    pub max: u32,
    pub open: u32,
    pub idle: u32,
}

impl Metrics {
    pub fn observe(&self, method: &Method, route: &str, status: u16, seconds: f64) {
        let key = Key {
            method: method_label(method),
            route: route.to_owned(),
            status,
        };
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        let tally = requests.entry(key).or_default();
        tally.count += 1;
        tally.seconds += seconds;
    }

    pub fn render(&self, pool: PoolSnapshot) -> String {
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut out = String::new();
        out.push_str("# HELP onair_http_requests_total HTTP requests answered, by route pattern, method and status.\n");
        out.push_str("# TYPE onair_http_requests_total counter\n");
        for (key, tally) in &requests {
            let _ = writeln!(
                out,
                "onair_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}",
                escape(key.method),
                escape(&key.route),
                key.status,
                tally.count
            );
        }
        out.push_str("# HELP onair_http_request_duration_seconds_sum Time spent answering, by route pattern, method and status.\n");
        out.push_str("# TYPE onair_http_request_duration_seconds_sum counter\n");
        for (key, tally) in &requests {
            let _ = writeln!(
                out,
                "onair_http_request_duration_seconds_sum{{method=\"{}\",route=\"{}\",status=\"{}\"}} {:.6}",
                escape(key.method),
                escape(&key.route),
                key.status,
                tally.seconds
            );
        }
        out.push_str(
            "# HELP onair_db_pool_connections Database connections held by the pool, by state.\n",
        );
        out.push_str("# TYPE onair_db_pool_connections gauge\n");
        let _ = writeln!(
            out,
            "onair_db_pool_connections{{state=\"idle\"}} {}",
            pool.idle
        );
        let _ = writeln!(
            out,
            "onair_db_pool_connections{{state=\"in_use\"}} {}",
            pool.open.saturating_sub(pool.idle)
        );
        out.push_str(
            "# HELP onair_db_pool_max_connections The pool's size (ONAIR_DB_POOL_SIZE).\n",
        );
        out.push_str("# TYPE onair_db_pool_max_connections gauge\n");
        let _ = writeln!(out, "onair_db_pool_max_connections {}", pool.max);
        out
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware: counts every response under its route pattern.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req
        .app_data::<web::Data<crate::AppState>>()
        .map(|s| s.metrics.clone());
    let method = req.method().clone();
    let route = req
        .match_pattern()
        .filter(|p| p.starts_with("/api/v1/") || p.starts_with("/internal/v1/") || is_ops(p))
        .unwrap_or_else(|| "unmatched".to_owned());
    let result = next.call(req).await;
    if let Some(metrics) = metrics {
        let status = match &result {
            Ok(response) => response.status().as_u16(),
            Err(err) => err.as_response_error().status_code().as_u16(),
        };
        metrics.observe(&method, &route, status, started.elapsed().as_secs_f64());
    }
    result
}

fn is_ops(pattern: &str) -> bool {
    matches!(pattern, "/healthz" | "/readyz" | "/metrics")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_pool_state() {
        let m = Metrics::default();
        m.observe(&Method::GET, "/api/v1/rooms", 200, 0.01);
        m.observe(&Method::GET, "/api/v1/rooms", 200, 0.02);
        m.observe(&Method::POST, "/api/v1/rooms", 401, 0.001);
        let junk = Method::from_bytes(b"BREW").unwrap();
        m.observe(&junk, "unmatched", 405, 0.001);
        m.observe(
            &Method::from_bytes(b"XYZZY").unwrap(),
            "unmatched",
            405,
            0.001,
        );
        let text = m.render(PoolSnapshot {
            max: 10,
            open: 3,
            idle: 2,
        });
        assert!(text.contains(
            "onair_http_requests_total{method=\"GET\",route=\"/api/v1/rooms\",status=\"200\"} 2\n"
        ));
        assert!(text.contains(
            "onair_http_requests_total{method=\"POST\",route=\"/api/v1/rooms\",status=\"401\"} 1\n"
        ));
        assert!(text.contains(
            "onair_http_requests_total{method=\"other\",route=\"unmatched\",status=\"405\"} 2\n"
        ));
        assert!(!text.contains("BREW"));
        assert!(text.contains("onair_db_pool_connections{state=\"idle\"} 2\n"));
        assert!(text.contains("onair_db_pool_connections{state=\"in_use\"} 1\n"));
        assert!(text.contains("onair_db_pool_max_connections 10\n"));
        assert_eq!(escape("a\"b\\c"), "a\\\"b\\\\c");
    }
}
