//! The api-server's Prometheus metrics (`GET /metrics`): requests by route pattern, method and
//! status, their duration, the database pool, logins, tickets and ranked rounds.
//!
//! Built on the `metrics` crate with a registry of this server's own (see
//! `onair_telemetry::metrics`). Labels stay bounded whatever clients send: `route` is the
//! pattern of a route in the table (`/api/v1/users/{id}`), never the raw path, and anything
//! that matched no route is `unmatched` (web UI files, unknown paths); `method` is one of the
//! HTTP methods the server knows, any other is `other`; `status` is one of the statuses HTTP
//! defines. Each series is registered on its first use and its handle kept in a slot of its
//! own, so counting a request takes no lock.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use diesel::r2d2;
use onair_telemetry::metrics::{Counter, Gauge, Histogram, Registry, LATENCY_BUCKETS};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

const REQUESTS: &str = "onair_http_requests_total";
const DURATION: &str = "onair_http_request_duration_seconds";
const UNMATCHED: &str = "unmatched";

/// Methods with a label of their own; every other method is counted as `other`.
const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const OTHER: &str = "other";

/// Every status code HTTP defines has a label of its own (a fixed set); anything else is
/// `other`.
macro_rules! statuses {
    ($($code:literal)*) => { &[$(($code, stringify!($code))),*] };
}
const STATUSES: &[(u16, &str)] = statuses!(
    100 101 102 103
    200 201 202 203 204 205 206 207 208 226
    300 301 302 303 304 305 307 308
    400 401 402 403 404 405 406 407 408 409 410 411 412 413 414 415 416 417 418 421 422 423
    424 425 426 428 429 431 451
    500 501 502 503 504 505 506 507 508 510 511
);

/// The database pool's numbers at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSnapshot {
    pub max: u32,
    pub open: u32,
    pub idle: u32,
}

pub struct Metrics {
    registry: Registry,
    /// Route pattern -> its slot in `routes`; the last slot is `unmatched`.
    route_index: HashMap<&'static str, usize>,
    routes: Vec<RouteSeries>,
    pool_idle: Gauge,
    pool_in_use: Gauge,
    pool_max: Gauge,
    pool_timeouts: Counter,
    logins_dev: Counter,
    logins_kakao: Counter,
    tickets: Counter,
    rounds_recorded: Counter,
    rounds_repeated: Counter,
}

struct RouteSeries {
    route: &'static str,
    /// One per [`METHODS`], then `other`.
    methods: Vec<MethodSeries>,
}

struct MethodSeries {
    duration: OnceLock<Histogram>,
    /// One per [`STATUSES`], then `other`.
    statuses: Vec<OnceLock<Counter>>,
}

impl MethodSeries {
    fn new() -> MethodSeries {
        MethodSeries {
            duration: OnceLock::new(),
            statuses: (0..=STATUSES.len()).map(|_| OnceLock::new()).collect(),
        }
    }
}

/// How a user signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginKind {
    Dev,
    Kakao,
}

impl Metrics {
    /// `routes`: every route pattern of the table.
    pub fn new(routes: impl IntoIterator<Item = &'static str>) -> Metrics {
        let r = Registry::new(&[(DURATION, LATENCY_BUCKETS)]);
        let mut patterns: Vec<&'static str> = Vec::new();
        for route in routes {
            if !patterns.contains(&route) {
                patterns.push(route);
            }
        }
        patterns.push(UNMATCHED);
        let route_index = patterns.iter().enumerate().map(|(i, p)| (*p, i)).collect();
        let routes = patterns
            .into_iter()
            .map(|route| RouteSeries {
                route,
                methods: (0..=METHODS.len()).map(|_| MethodSeries::new()).collect(),
            })
            .collect();
        Metrics {
            route_index,
            routes,
            pool_idle: r.gauge(
                "onair_db_pool_connections",
                "Database connections held by the pool, by state.",
                &[("state", "idle")],
            ),
            pool_in_use: r.gauge("onair_db_pool_connections", "", &[("state", "in_use")]),
            pool_max: r.gauge(
                "onair_db_pool_max_connections",
                "The pool's size (ONAIR_DB_POOL_SIZE).",
                &[],
            ),
            pool_timeouts: r.counter(
                "onair_db_pool_timeouts_total",
                "Requests that waited ONAIR_DB_TIMEOUT_MS for a database connection and got none (answered 503).",
                &[],
            ),
            logins_dev: r.counter(
                "onair_logins_total",
                "Successful sign-ins, by provider.",
                &[("provider", "dev")],
            ),
            logins_kakao: r.counter("onair_logins_total", "", &[("provider", "kakao")]),
            tickets: r.counter(
                "onair_tickets_issued_total",
                "Room tickets issued.",
                &[],
            ),
            rounds_recorded: r.counter(
                "onair_ranked_rounds_total",
                "Ranked rounds reported by room-servers, by result: recorded, or repeat (already recorded).",
                &[("result", "recorded")],
            ),
            rounds_repeated: r.counter("onair_ranked_rounds_total", "", &[("result", "repeat")]),
            registry: r,
        }
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Counts one answered request.
    pub fn observe(&self, pattern: Option<&str>, method: &str, status: u16, seconds: f64) {
        let route_slot = pattern
            .and_then(|p| self.route_index.get(p))
            .copied()
            .unwrap_or(self.routes.len() - 1);
        let route = &self.routes[route_slot];
        let method_slot = METHODS
            .iter()
            .position(|m| *m == method)
            .unwrap_or(METHODS.len());
        let method = METHODS.get(method_slot).copied().unwrap_or(OTHER);
        let series = &route.methods[method_slot];
        let status_slot = STATUSES
            .iter()
            .position(|(code, _)| *code == status)
            .unwrap_or(STATUSES.len());
        let status = STATUSES.get(status_slot).map_or(OTHER, |(_, s)| *s);
        series.statuses[status_slot]
            .get_or_init(|| {
                self.registry.counter(
                    REQUESTS,
                    "HTTP requests answered, by route pattern, method and status.",
                    &[
                        ("method", method),
                        ("route", route.route),
                        ("status", status),
                    ],
                )
            })
            .increment(1);
        series
            .duration
            .get_or_init(|| {
                self.registry.histogram(
                    DURATION,
                    "Time to answer HTTP requests, by route pattern and method.",
                    &[("method", method), ("route", route.route)],
                )
            })
            .record(seconds);
    }

    pub fn set_pool(&self, pool: PoolSnapshot) {
        self.pool_idle.set(pool.idle);
        self.pool_in_use.set(pool.open.saturating_sub(pool.idle));
        self.pool_max.set(pool.max);
    }

    pub fn login(&self, kind: LoginKind) {
        match kind {
            LoginKind::Dev => &self.logins_dev,
            LoginKind::Kakao => &self.logins_kakao,
        }
        .increment(1);
    }

    pub fn ticket_issued(&self) {
        self.tickets.increment(1);
    }

    /// A room-server reported a ranked round: `first` when it was recorded now, not before.
    pub fn ranked_round(&self, first: bool) {
        if first {
            &self.rounds_recorded
        } else {
            &self.rounds_repeated
        }
        .increment(1);
    }

    /// An r2d2 event handler counting waits for a connection that timed out.
    pub fn pool_events(&self) -> PoolEvents {
        PoolEvents {
            timeouts: self.pool_timeouts.clone(),
        }
    }
}

/// Counts the pool's checkout timeouts (every `503 database_unavailable` for want of a
/// connection), as r2d2 reports them.
#[derive(Debug)]
pub struct PoolEvents {
    timeouts: Counter,
}

impl r2d2::HandleEvent for PoolEvents {
    fn handle_timeout(&self, _event: r2d2::event::TimeoutEvent) {
        self.timeouts.increment(1);
    }
}

/// Middleware: counts every response under its route pattern.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics: Option<Arc<Metrics>> = req
        .app_data::<web::Data<crate::AppState>>()
        .map(|s| s.metrics.clone());
    let pattern = req.match_pattern();
    let method = req.method().clone();
    let result = next.call(req).await;
    if let Some(metrics) = metrics {
        let status = match &result {
            Ok(response) => response.status().as_u16(),
            Err(err) => err.as_response_error().status_code().as_u16(),
        };
        metrics.observe(
            pattern.as_deref(),
            method.as_str(),
            status,
            started.elapsed().as_secs_f64(),
        );
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_pattern_and_bounds_every_label() {
        let m = Metrics::new(["/api/v1/rooms", "/api/v1/users/{id}"]);
        m.observe(Some("/api/v1/rooms"), "GET", 200, 0.01);
        m.observe(Some("/api/v1/rooms"), "GET", 200, 0.02);
        m.observe(Some("/api/v1/rooms"), "POST", 401, 0.001);
        m.observe(Some("/no/such/{pattern}"), "GET", 404, 0.001);
        m.observe(None, "BREW", 404, 0.001);
        m.observe(None, "PROPFIND", 404, 0.001);
        m.observe(Some("/api/v1/rooms"), "GET", 999, 0.001);
        m.set_pool(PoolSnapshot {
            max: 10,
            open: 3,
            idle: 2,
        });
        let text = m.registry().render();
        for line in [
            "onair_http_requests_total{method=\"GET\",route=\"/api/v1/rooms\",status=\"200\"} 2",
            "onair_http_requests_total{method=\"POST\",route=\"/api/v1/rooms\",status=\"401\"} 1",
            "onair_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1",
            "onair_http_requests_total{method=\"other\",route=\"unmatched\",status=\"404\"} 2",
            "onair_http_requests_total{method=\"GET\",route=\"/api/v1/rooms\",status=\"other\"} 1",
            "onair_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/rooms\"} 3",
            "onair_db_pool_connections{state=\"idle\"} 2",
            "onair_db_pool_connections{state=\"in_use\"} 1",
            "onair_db_pool_max_connections 10",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
        assert!(!text.contains("BREW") && !text.contains("PROPFIND") && !text.contains("999"));
    }

    #[test]
    fn every_status_has_a_distinct_label() {
        for (code, label) in STATUSES {
            assert_eq!(code.to_string(), *label);
        }
        let mut codes: Vec<_> = STATUSES.iter().map(|(c, _)| c).collect();
        codes.dedup();
        assert_eq!(codes.len(), STATUSES.len());
    }
}
