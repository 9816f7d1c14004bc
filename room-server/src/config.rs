//! The room-server's one configuration struct, read from the environment.

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
    /// A configuration for tests and embedding: loopback on a free port, default rules.
    pub fn local(jwt_secret: impl Into<String>) -> RoomServerConfig {
        RoomServerConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            jwt_secret: jwt_secret.into(),
            rules: Settings::default(),
            heartbeat_interval: Duration::from_secs(10),
            client_timeout: Duration::from_secs(30),
            event_buffer: 512,
            api: None,
            redis_url: None,
            instance_id: format!("room-{:08x}", rand::random::<u32>()),
            workers: None,
            drain: Duration::from_secs(5),
        }
    }

    pub fn from_env() -> Result<RoomServerConfig, String> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads the settings through `get`, so tests need not touch the process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<RoomServerConfig, String> {
        // An empty variable (`FOO=` in a compose file) means unset.
        let get = |key: &str| get(key).filter(|v| !v.trim().is_empty());
        let jwt_secret = get("ONAIR_JWT_SECRET").unwrap_or_default();
        if jwt_secret.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "ONAIR_JWT_SECRET must be set to the api-server's secret (at least {MIN_SECRET_BYTES} bytes); \
                 `cargo xtask run` generates one for a local run"
            ));
        }
        let mut config = RoomServerConfig::local(jwt_secret);
        config.bind = parse(&get, "ONAIR_ROOM_BIND", "127.0.0.1:8081")?;
        config.rules.score_deadline_ms = secs(&get, "ONAIR_SCORE_DEADLINE_SECS", 30)? * 1000;
        config.rules.reconnect_grace_ms = secs(&get, "ONAIR_RECONNECT_GRACE_SECS", 30)? * 1000;
        config.rules.idle_ms = secs(&get, "ONAIR_ROOM_IDLE_SECS", 600)? * 1000;
        config.heartbeat_interval =
            Duration::from_secs(secs(&get, "ONAIR_HEARTBEAT_SECS", 10)? as u64);
        config.client_timeout =
            Duration::from_secs(secs(&get, "ONAIR_CLIENT_TIMEOUT_SECS", 30)? as u64);
        config.event_buffer = parse(&get, "ONAIR_EVENT_BUFFER", "512")?;
        config.api = match (get("ONAIR_API_INTERNAL_URL"), get("ONAIR_SERVICE_TOKEN")) {
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
        config.redis_url = get("ONAIR_REDIS_URL").filter(|u| !u.trim().is_empty());
        if let Some(url) = &config.redis_url {
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                return Err(format!("ONAIR_REDIS_URL: not a redis:// URL: {url:?}"));
            }
        }
        if let Some(id) = get("ONAIR_INSTANCE_ID").filter(|i| !i.trim().is_empty()) {
            config.instance_id = id.trim().to_owned();
        }
        if get("ONAIR_WORKERS").is_some() {
            let workers: usize = parse(&get, "ONAIR_WORKERS", "1")?;
            if !(1..=256).contains(&workers) {
                return Err(format!("ONAIR_WORKERS must be 1 to 256, not {workers}"));
            }
            config.workers = Some(workers);
        }
        let drain: u64 = parse(&get, "ONAIR_DRAIN_SECS", "5")?;
        if drain > 300 {
            return Err(format!("ONAIR_DRAIN_SECS must be 0 to 300, not {drain}"));
        }
        config.drain = Duration::from_secs(drain);
        if config.client_timeout <= config.heartbeat_interval {
            return Err(
                "ONAIR_CLIENT_TIMEOUT_SECS must be longer than ONAIR_HEARTBEAT_SECS".into(),
            );
        }
        Ok(config)
    }
}

fn parse<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    key: &str,
    default: &str,
) -> Result<T, String> {
    let raw = get(key).unwrap_or_else(|| default.to_owned());
    raw.trim()
        .parse()
        .map_err(|_| format!("{key}: cannot read {raw:?}"))
}

fn secs(get: &impl Fn(&str) -> Option<String>, key: &str, default: i64) -> Result<i64, String> {
    let v: i64 = parse(get, key, &default.to_string())?;
    if (1..=86_400).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "{key}: must be between 1 and 86400 seconds, got {v}"
        ))
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
    }
}
