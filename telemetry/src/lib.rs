//! What both OnAir servers share for being operated (docs/OPERATIONS.md):
//!
//! - [`logs`]: one `tracing` subscriber per process, human-readable lines by default or JSON
//!   lines (`ONAIR_LOG_FORMAT=json`), `log` records of dependencies bridged in, and an optional
//!   OpenTelemetry export (cargo feature `otlp`).
//! - [`http`]: the `X-Request-Id` of every HTTP request (taken from the caller when it sends a
//!   sane one, made up otherwise, echoed in the response) and one span per request carrying it,
//!   so one show can be followed across the api-server and the room-server.
//! - [`metrics`]: a Prometheus registry per server built on the `metrics` crate, with handles
//!   registered once so that counting on a hot path is an atomic add.

pub mod http;
pub mod logs;
pub mod metrics;
pub mod settings;

pub use http::{RequestId, REQUEST_ID_HEADER};
pub use logs::LogFormat;
