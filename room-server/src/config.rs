//! The room-server's settings: declared once in [`RoomServerArgs`] (clap: a flag and an
//! environment variable each, defaults and ranges shown by `--help`), checked into the one
//! configuration struct the server runs on, [`RoomServerConfig`].

use crate::rules::Settings;
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct RoomServerConfig {
    /// `ONAIR_ROOM_BIND`, default `127.0.0.1:8081`.
    pub bind: SocketAddr,
    /// `ONAIR_JWT_SECRET`: the api-server's signing secret, needed to verify room tickets.
    pub jwt_secret: String,
    /// `ONAIR_SCORE_DEADLINE_SECS` (30), `ONAIR_RECONNECT_GRACE_SECS` (30) and
    /// `ONAIR_ROOM_IDLE_SECS` (600: how long a room stands empty, or waits for its creator,
    /// before it closes; the api-server's setting of the same name closes rooms never opened).
    pub rules: Settings,
    /// `ONAIR_HEARTBEAT_SECS` (10): how often the server pings each client.
    pub heartbeat_interval: Duration,
    /// `ONAIR_CLIENT_TIMEOUT_SECS` (30): a client silent this long (no pong, no frame) is dropped.
    pub client_timeout: Duration,
    /// `ONAIR_EVENT_BUFFER` (512): events kept per room to answer `resync` without a snapshot.
    pub event_buffer: usize,
    /// `ONAIR_API_INTERNAL_URL` and `ONAIR_SERVICE_TOKEN`: where ranked results and room status
    /// go. Without them nothing is reported (fine for a quick local run, logged as a warning).
    pub api: Option<ApiLink>,
    /// `ONAIR_REDIS_URL`: run as one of many instances, bridged by Redis. Unset: one instance.
    pub redis_url: Option<String>,
    /// `ONAIR_INSTANCE_ID`: this instance's name in the cluster (default: random).
    pub instance_id: String,
    /// `ONAIR_WORKERS`: threads serving connections (default: one per CPU core). Set it when
    /// several instances share a machine, so their threads do not outnumber the cores.
    pub workers: Option<usize>,
    /// `ONAIR_DRAIN_SECS` (5): after SIGTERM, how long the instance stays up answering 503 to
    /// `/readyz` and refusing new connections before it stops.
    pub drain: Duration,
}

#[derive(Debug, Clone)]
pub struct ApiLink {
    pub url: String,
    pub service_token: String,
}

pub const MIN_SECRET_BYTES: usize = 32;

impl RoomServerConfig {
    /// A configuration for tests and embedding: loopback on a free port, default rules but
    /// no "up next" countdown (a test that wants one sets `rules.up_next_ms`), so a show's
    /// acts follow each other without waiting.
    pub fn local(jwt_secret: impl Into<String>) -> RoomServerConfig {
        RoomServerConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            jwt_secret: jwt_secret.into(),
            rules: Settings {
                up_next_ms: 0,
                ..Settings::default()
            },
            heartbeat_interval: Duration::from_secs(10),
            client_timeout: Duration::from_secs(30),
            event_buffer: 512,
            api: None,
            redis_url: None,
            instance_id: random_instance_id(),
            workers: None,
            drain: Duration::from_secs(5),
        }
    }

    /// Reads the settings through `get` alone (no command line, not the process environment),
    /// so tests can check every rule.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<RoomServerConfig, String> {
        let args = onair_telemetry::settings::parse::<RoomServerArgs>(
            [std::ffi::OsString::from("onair-room-server")],
            get,
            &[],
        )
        .map_err(|e| e.to_string())?;
        args.validate()
    }
}

fn random_instance_id() -> String {
    format!("room-{:08x}", rand::random::<u32>())
}

/// Every setting of `onair-room-server`: a flag, an environment variable, and its default,
/// as `--help` lists them (docs/CONFIGURATION.md is checked against it).
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "onair-room-server",
    version,
    about = "OnAir's realtime room server: one actor per live room, one per WebSocket.",
    long_about = "OnAir's realtime room server: one actor per live room, one per WebSocket.\n\n\
                  Every setting is a flag or an environment variable (the flag wins); an empty \
                  variable counts as unset. Settings: docs/CONFIGURATION.md."
)]
pub struct RoomServerArgs {
    /// Listen address (IP and port).
    #[arg(
        long,
        env = "ONAIR_ROOM_BIND",
        default_value = "127.0.0.1:8081",
        value_name = "ADDR"
    )]
    pub bind: SocketAddr,
    /// The api-server's signing secret (at least 32 bytes), to verify room tickets. Required.
    #[arg(
        long,
        env = "ONAIR_JWT_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub jwt_secret: Option<String>,
    /// The api-server as this server reaches it, for ranked results and room status
    /// (/internal/v1). Set together with the service token, or neither.
    #[arg(long, env = "ONAIR_API_INTERNAL_URL", value_name = "URL")]
    pub api_internal_url: Option<String>,
    /// The api-server's service token (at least 32 bytes), sent on its internal endpoints.
    #[arg(
        long,
        env = "ONAIR_SERVICE_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub service_token: Option<String>,
    /// Run as one of many instances bridged by Redis (redis:// or rediss://). Unset: one
    /// instance with an in-process bus.
    #[arg(long, env = "ONAIR_REDIS_URL", value_name = "URL")]
    pub redis_url: Option<String>,
    /// This instance's name in the cluster (use the pod name). Default: random.
    #[arg(long, env = "ONAIR_INSTANCE_ID", value_name = "NAME")]
    pub instance_id: Option<String>,
    /// How long a scoring round stays open, 1 to 86400 seconds.
    #[arg(long, env = "ONAIR_SCORE_DEADLINE_SECS", default_value_t = 30, value_name = "SECS",
          value_parser = clap::value_parser!(i64).range(1..=86_400))]
    pub score_deadline_secs: i64,
    /// The "up next" countdown before each act goes on air, 0 (none) to 60 seconds.
    #[arg(long, env = "ONAIR_UP_NEXT_SECS", default_value_t = 3, value_name = "SECS",
          value_parser = clap::value_parser!(i64).range(0..=60))]
    pub up_next_secs: i64,
    /// How long a dropped member keeps their seat, 1 to 86400 seconds.
    #[arg(long, env = "ONAIR_RECONNECT_GRACE_SECS", default_value_t = 30, value_name = "SECS",
          value_parser = clap::value_parser!(i64).range(1..=86_400))]
    pub reconnect_grace_secs: i64,
    /// A room that stands empty, or whose creator has not come, this long closes; 1 to 86400
    /// seconds (give the api-server the same value).
    #[arg(long, env = "ONAIR_ROOM_IDLE_SECS", default_value_t = 600, value_name = "SECS",
          value_parser = clap::value_parser!(i64).range(1..=86_400))]
    pub room_idle_secs: i64,
    /// How often each client is pinged, 1 to 86400 seconds.
    #[arg(long, env = "ONAIR_HEARTBEAT_SECS", default_value_t = 10, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub heartbeat_secs: u64,
    /// Silence after which a client is dropped, 1 to 86400 seconds, longer than the heartbeat.
    #[arg(long, env = "ONAIR_CLIENT_TIMEOUT_SECS", default_value_t = 30, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub client_timeout_secs: u64,
    /// Events kept per room to answer resync without a fresh welcome, 1 to 100000.
    #[arg(long, env = "ONAIR_EVENT_BUFFER", default_value_t = 512, value_name = "EVENTS",
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub event_buffer: u64,
    /// Threads serving connections, 1 to 256. Default: one per CPU core; set it when several
    /// instances share a machine.
    #[arg(long, env = "ONAIR_WORKERS", value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=256))]
    pub workers: Option<u64>,
    /// After SIGTERM: not ready and no new connections for this long, then stop (0 to 300 s).
    #[arg(long, env = "ONAIR_DRAIN_SECS", default_value_t = 5, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(0..=300))]
    pub drain_secs: u64,
    #[command(flatten)]
    pub log: onair_telemetry::logs::LogSettings,
}

impl RoomServerArgs {
    /// The command line and the process environment; `--help` and `--version` print and exit.
    pub fn from_env() -> Result<RoomServerArgs, String> {
        match onair_telemetry::settings::parse::<RoomServerArgs>(
            std::env::args_os(),
            |key| std::env::var(key).ok(),
            &[],
        ) {
            Ok(args) => Ok(args),
            Err(onair_telemetry::settings::SettingsError::Exit(help)) => help.exit(),
            Err(e) => Err(e.to_string()),
        }
    }

    /// The rules that span settings (secrets, pairs that go together, URLs).
    pub fn validate(self) -> Result<RoomServerConfig, String> {
        let jwt_secret = self.jwt_secret.unwrap_or_default();
        if jwt_secret.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "ONAIR_JWT_SECRET must be set to the api-server's secret (at least {MIN_SECRET_BYTES} bytes); \
                 `cargo xtask run` generates one for a local run"
            ));
        }
        let api = match (self.api_internal_url, self.service_token) {
            (None, None) => None,
            (Some(url), Some(token)) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(format!(
                        "ONAIR_API_INTERNAL_URL: not an http(s) URL: {url:?}"
                    ));
                }
                if token.len() < MIN_SECRET_BYTES {
                    return Err(format!(
                        "ONAIR_SERVICE_TOKEN must be at least {MIN_SECRET_BYTES} bytes"
                    ));
                }
                Some(ApiLink {
                    url,
                    service_token: token,
                })
            }
            _ => return Err(
                "ONAIR_API_INTERNAL_URL and ONAIR_SERVICE_TOKEN go together: set both or neither"
                    .into(),
            ),
        };
        if let Some(url) = &self.redis_url {
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                return Err(format!("ONAIR_REDIS_URL: not a redis:// URL: {url:?}"));
            }
        }
        if self.client_timeout_secs <= self.heartbeat_secs {
            return Err(
                "ONAIR_CLIENT_TIMEOUT_SECS must be longer than ONAIR_HEARTBEAT_SECS".into(),
            );
        }
        let rules = Settings {
            score_deadline_ms: self.score_deadline_secs * 1000,
            reconnect_grace_ms: self.reconnect_grace_secs * 1000,
            idle_ms: self.room_idle_secs * 1000,
            up_next_ms: self.up_next_secs * 1000,
            ..Settings::default()
        };
        Ok(RoomServerConfig {
            bind: self.bind,
            jwt_secret,
            rules,
            heartbeat_interval: Duration::from_secs(self.heartbeat_secs),
            client_timeout: Duration::from_secs(self.client_timeout_secs),
            event_buffer: self.event_buffer as usize,
            api,
            redis_url: self.redis_url,
            instance_id: self
                .instance_id
                .map(|id| id.trim().to_owned())
                .filter(|id| !id.is_empty())
                .unwrap_or_else(random_instance_id),
            workers: self.workers.map(|w| w as usize),
            drain: Duration::from_secs(self.drain_secs),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> Result<RoomServerConfig, String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        RoomServerConfig::from_lookup(|k| map.get(k).cloned())
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn a_missing_or_short_secret_is_an_error() {
        assert!(from(&[]).unwrap_err().contains("ONAIR_JWT_SECRET"));
        assert!(from(&[("ONAIR_JWT_SECRET", "short")]).is_err());
        assert!(from(&[("ONAIR_JWT_SECRET", SECRET)]).is_ok());
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = from(&[("ONAIR_JWT_SECRET", SECRET), ("ONAIR_ROOM_BIND", "nowhere")]).unwrap_err();
        assert!(e.contains("ONAIR_ROOM_BIND"), "{e}");
        let e = from(&[
            ("ONAIR_JWT_SECRET", SECRET),
            ("ONAIR_SCORE_DEADLINE_SECS", "0"),
        ])
        .unwrap_err();
        assert!(e.contains("ONAIR_SCORE_DEADLINE_SECS"), "{e}");
        for workers in ["0", "many", "1000"] {
            let e = from(&[("ONAIR_JWT_SECRET", SECRET), ("ONAIR_WORKERS", workers)]).unwrap_err();
            assert!(e.contains("ONAIR_WORKERS"), "{e}");
        }
        let c = from(&[("ONAIR_JWT_SECRET", SECRET), ("ONAIR_WORKERS", "1")]).unwrap();
        assert_eq!(c.workers, Some(1));
    }

    #[test]
    fn defaults_are_the_rules_of_the_show() {
        let c = from(&[("ONAIR_JWT_SECRET", SECRET)]).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:8081");
        assert_eq!(
            (c.rules.score_deadline_ms, c.rules.reconnect_grace_ms),
            (30_000, 30_000)
        );
        assert_eq!(c.rules.idle_ms, 600_000);
        assert_eq!(c.rules.up_next_ms, 3_000);
        assert_eq!(c.rules, Settings::default());
    }
}
