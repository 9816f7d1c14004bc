//! Everything the api-server reads from its environment, parsed once at start-up.
//!
//! Parsing goes through [`ApiConfig::from_vars`] with a lookup function, so tests can check
//! every rule without touching the process environment (which is shared by parallel tests).

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// HS256 with a shorter key is brute-forceable offline from any token a user holds.
pub const MIN_JWT_SECRET_BYTES: usize = 32;
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/onair.db";
pub const DEFAULT_DEV_ROOM_SERVER_URL: &str = "ws://127.0.0.1:8081";
pub const DEFAULT_WEB_DIST: &str = "web-ui/dist";
pub const DEFAULT_DB_POOL_SIZE: u32 = 10;
pub const DEFAULT_ACCESS_TOKEN_TTL_SECS: i64 = 7 * 24 * 60 * 60;
pub const DEFAULT_STUN_URLS: &str = "stun:stun.l.google.com:19302";

/// Which database to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A full `mysql://user:pass@host:port/dbname` URL (MySQL or MariaDB).
    Mysql(String),
    /// A file path; its parent directory is created on open.
    Sqlite(PathBuf),
}

impl Database {
    /// Reads `mysql://...`, `sqlite://PATH` or a bare path.
    pub fn parse(value: &str) -> Result<Database, String> {
        let value = value.trim();
        if let Some(rest) = value.strip_prefix("mysql://") {
            let without_query = rest.split('?').next().unwrap_or_default();
            let db_name = without_query
                .split_once('/')
                .map(|(_, name)| name)
                .unwrap_or("");
            if db_name.is_empty() {
                return Err(
                    "a MySQL URL must name its database, e.g. mysql://user:pass@host:3306/onair"
                        .into(),
                );
            }
            return Ok(Database::Mysql(value.to_owned()));
        }
        let path = match value.strip_prefix("sqlite://") {
            Some(path) => path,
            None if value.contains("://") => {
                return Err(format!(
                    "unsupported database URL scheme in {value:?}; use mysql://... or sqlite://PATH"
                ))
            }
            None => value,
        };
        if path.is_empty() {
            return Err("the SQLite path is empty".into());
        }
        if path == ":memory:" || path.contains("mode=memory") {
            // Every pooled connection would get its own empty database.
            return Err(
                "in-memory SQLite cannot be shared by a connection pool; use a file path".into(),
            );
        }
        Ok(Database::Sqlite(PathBuf::from(path)))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Database::Mysql(_) => "mysql",
            Database::Sqlite(_) => "sqlite",
        }
    }
}

/// A secret that never shows up in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// 32 random bytes, hex-encoded.
    pub fn generate() -> Secret {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Secret(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// `ONAIR_API_BIND`; port 0 picks a free port ([`crate::Running::addr`] has the real one).
    pub bind: SocketAddr,
    /// `ONAIR_DATABASE_URL`.
    pub database: Database,
    /// `ONAIR_DEV_MODE`: enables dev login and relaxes the secret/room-server requirements.
    pub dev_mode: bool,
    /// `ONAIR_JWT_SECRET`: signs access tokens and room tickets (shared with the room-server).
    pub jwt_secret: Secret,
    /// `ONAIR_ROOM_SERVER_URLS`: public WebSocket base URLs, without trailing slash.
    pub room_server_urls: Vec<String>,
    /// `ONAIR_WEB_DIST`: the built web UI.
    pub web_dist: PathBuf,
    /// `ONAIR_DB_POOL_SIZE`.
    pub db_pool_size: u32,
    /// `ONAIR_ACCESS_TOKEN_TTL_SECS`.
    pub access_token_ttl_secs: i64,
    /// `ONAIR_STUN_URLS`: handed to browsers by `GET /config`; may be empty.
    pub stun_urls: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

fn invalid(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        message: message.into(),
    }
}

impl ApiConfig {
    /// A dev-mode configuration for tests and tools: the given database, an ephemeral port on
    /// loopback, a fresh random secret and every other setting at its default.
    pub fn dev(database: Database) -> ApiConfig {
        ApiConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database,
            dev_mode: true,
            jwt_secret: Secret::generate(),
            room_server_urls: vec![DEFAULT_DEV_ROOM_SERVER_URL.to_owned()],
            web_dist: PathBuf::from(DEFAULT_WEB_DIST),
            db_pool_size: DEFAULT_DB_POOL_SIZE,
            access_token_ttl_secs: DEFAULT_ACCESS_TOKEN_TTL_SECS,
            stun_urls: vec![DEFAULT_STUN_URLS.to_owned()],
        }
    }

    pub fn from_env() -> Result<ApiConfig, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Parses the configuration from any variable source; an empty value counts as unset.
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<ApiConfig, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let dev_mode = match get("ONAIR_DEV_MODE") {
            None => false,
            Some(v) => parse_bool(&v).ok_or_else(|| {
                invalid(
                    "ONAIR_DEV_MODE",
                    format!("expected 1/true or 0/false, got {v:?}"),
                )
            })?,
        };

        let bind_text = get("ONAIR_API_BIND").unwrap_or_else(|| DEFAULT_BIND.to_owned());
        let bind = bind_text.parse::<SocketAddr>().map_err(|_| {
            invalid(
                "ONAIR_API_BIND",
                format!("expected an IP address and port like 127.0.0.1:8080, got {bind_text:?}"),
            )
        })?;

        let database = Database::parse(
            &get("ONAIR_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
        )
        .map_err(|m| invalid("ONAIR_DATABASE_URL", m))?;

        let jwt_secret = match get("ONAIR_JWT_SECRET") {
            Some(secret) => {
                check_secret(&secret).map_err(|m| invalid("ONAIR_JWT_SECRET", m))?;
                Secret::new(secret)
            }
            None if dev_mode => {
                log::warn!(
                    "ONAIR_JWT_SECRET is not set: generated a random one for this run (dev mode). \
                     Logins will not survive a restart, and the room-server must be given the same secret."
                );
                Secret::generate()
            }
            None => {
                return Err(invalid(
                    "ONAIR_JWT_SECRET",
                    format!(
                        "required outside dev mode: set it to a random string of at least \
                         {MIN_JWT_SECRET_BYTES} bytes (or set ONAIR_DEV_MODE=1 for local development)"
                    ),
                ))
            }
        };

        let room_server_urls = match get("ONAIR_ROOM_SERVER_URLS") {
            Some(list) => {
                parse_room_server_urls(&list).map_err(|m| invalid("ONAIR_ROOM_SERVER_URLS", m))?
            }
            None if dev_mode => vec![DEFAULT_DEV_ROOM_SERVER_URL.to_owned()],
            None => {
                return Err(invalid(
                    "ONAIR_ROOM_SERVER_URLS",
                    "required outside dev mode: comma-separated public WebSocket base URLs, \
                     e.g. wss://rooms.example.com",
                ))
            }
        };

        let web_dist =
            PathBuf::from(get("ONAIR_WEB_DIST").unwrap_or_else(|| DEFAULT_WEB_DIST.to_owned()));

        let db_pool_size = match get("ONAIR_DB_POOL_SIZE") {
            None => DEFAULT_DB_POOL_SIZE,
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| {
                    invalid(
                        "ONAIR_DB_POOL_SIZE",
                        format!("expected a number from 1 to 1000, got {v:?}"),
                    )
                })?,
        };

        let access_token_ttl_secs = match get("ONAIR_ACCESS_TOKEN_TTL_SECS") {
            None => DEFAULT_ACCESS_TOKEN_TTL_SECS,
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (60..=366 * 24 * 60 * 60).contains(n))
                .ok_or_else(|| {
                    invalid(
                        "ONAIR_ACCESS_TOKEN_TTL_SECS",
                        format!("expected seconds from 60 to 31622400 (366 days), got {v:?}"),
                    )
                })?,
        };

        // Unlike the others, an explicitly empty value means "no STUN server" (e.g. on a LAN).
        let stun_urls = match lookup("ONAIR_STUN_URLS") {
            None => vec![DEFAULT_STUN_URLS.to_owned()],
            Some(list) => parse_stun_urls(&list).map_err(|m| invalid("ONAIR_STUN_URLS", m))?,
        };

        Ok(ApiConfig {
            bind,
            database,
            dev_mode,
            jwt_secret,
            room_server_urls,
            web_dist,
            db_pool_size,
            access_token_ttl_secs,
            stun_urls,
        })
    }

    /// The room-server that hosts `room`. Always the same one for a room, so every member of a
    /// room lands on the instance that owns it (without Redis there is no cross-instance relay).
    pub fn room_server_for(&self, room: onair_shared::RoomId) -> &str {
        let count = self.room_server_urls.len().max(1) as i64;
        let index = room.0.rem_euclid(count) as usize;
        self.room_server_urls
            .get(index)
            .map(String::as_str)
            .unwrap_or(DEFAULT_DEV_ROOM_SERVER_URL)
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn check_secret(secret: &str) -> Result<(), String> {
    if secret.len() < MIN_JWT_SECRET_BYTES {
        return Err(format!(
            "must be at least {MIN_JWT_SECRET_BYTES} bytes long (got {}); generate one with e.g. \
             `openssl rand -hex 32`",
            secret.len()
        ));
    }
    let lower = secret.to_ascii_lowercase();
    let placeholder = [
        "changeme",
        "change-me",
        "change_me",
        "replace-me",
        "replaceme",
    ]
    .iter()
    .any(|p| lower.contains(p));
    let one_repeated_byte = secret.bytes().all(|b| b == secret.as_bytes()[0]);
    if placeholder || one_repeated_byte {
        return Err("looks like a placeholder; set a real random secret".into());
    }
    Ok(())
}

fn parse_room_server_urls(list: &str) -> Result<Vec<String>, String> {
    let urls: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| u.trim_end_matches('/').to_owned())
        .collect();
    if urls.is_empty() {
        return Err("no URL given".into());
    }
    for url in &urls {
        let rest = url
            .strip_prefix("ws://")
            .or_else(|| url.strip_prefix("wss://"));
        match rest {
            Some(host) if !host.is_empty() && !url.contains('?') => {}
            _ => {
                return Err(format!(
                    "{url:?} is not a WebSocket base URL; expected ws://host:port or wss://host"
                ))
            }
        }
    }
    Ok(urls)
}

fn parse_stun_urls(list: &str) -> Result<Vec<String>, String> {
    let urls: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect();
    for url in &urls {
        if !(url.starts_with("stun:") || url.starts_with("stuns:")) {
            return Err(format!(
                "{url:?} is not a STUN URL; expected stun:host:port"
            ));
        }
    }
    Ok(urls)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const GOOD_SECRET: &str = "0123456789abcdef0123456789abcdef-test";

    fn parse(vars: &[(&str, &str)]) -> Result<ApiConfig, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ApiConfig::from_vars(|k| map.get(k).cloned())
    }

    fn production(extra: &[(&str, &str)]) -> Result<ApiConfig, ConfigError> {
        let mut vars = vec![
            ("ONAIR_JWT_SECRET", GOOD_SECRET),
            ("ONAIR_ROOM_SERVER_URLS", "wss://rooms.example.com"),
        ];
        vars.extend_from_slice(extra);
        parse(&vars)
    }

    #[test]
    fn production_mode_without_a_secret_is_an_error_naming_the_variable() {
        let err = parse(&[("ONAIR_ROOM_SERVER_URLS", "ws://a:1")]).unwrap_err();
        assert_eq!(err.var, "ONAIR_JWT_SECRET");
        assert!(
            err.to_string()
                .starts_with("ONAIR_JWT_SECRET: required outside dev mode"),
            "{err}"
        );
    }

    #[test]
    fn short_or_placeholder_secrets_are_refused_even_in_dev_mode() {
        let err = parse(&[("ONAIR_DEV_MODE", "1"), ("ONAIR_JWT_SECRET", "short")]).unwrap_err();
        assert_eq!(err.var, "ONAIR_JWT_SECRET");
        assert!(err.message.contains("at least 32 bytes"), "{err}");
        let err =
            production(&[("ONAIR_JWT_SECRET", "changeme-changeme-changeme-changeme")]).unwrap_err();
        assert!(err.message.contains("placeholder"), "{err}");
        let repeated = "x".repeat(40);
        let err = production(&[("ONAIR_JWT_SECRET", repeated.as_str())]).unwrap_err();
        assert!(err.message.contains("placeholder"), "{err}");
    }

    #[test]
    fn dev_mode_fills_in_a_random_secret_and_the_local_room_server() {
        let a = parse(&[("ONAIR_DEV_MODE", "true")]).unwrap();
        let b = parse(&[("ONAIR_DEV_MODE", "1")]).unwrap();
        assert!(a.dev_mode);
        assert!(a.jwt_secret.expose().len() >= MIN_JWT_SECRET_BYTES);
        assert_ne!(a.jwt_secret, b.jwt_secret, "each run gets its own secret");
        assert_eq!(a.room_server_urls, vec!["ws://127.0.0.1:8081"]);
        assert_eq!(a.bind, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(a.database, Database::Sqlite("data/onair.db".into()));
        assert_eq!(a.web_dist, PathBuf::from("web-ui/dist"));
        assert_eq!(a.db_pool_size, 10);
        assert_eq!(a.access_token_ttl_secs, 604_800);
        assert_eq!(a.stun_urls, vec!["stun:stun.l.google.com:19302"]);
    }

    #[test]
    fn production_mode_needs_room_server_urls() {
        let err = parse(&[("ONAIR_JWT_SECRET", GOOD_SECRET)]).unwrap_err();
        assert_eq!(err.var, "ONAIR_ROOM_SERVER_URLS");
        let ok = production(&[]).unwrap();
        assert!(!ok.dev_mode);
    }

    #[test]
    fn secret_does_not_leak_through_debug() {
        let cfg = production(&[]).unwrap();
        let shown = format!("{cfg:?}");
        assert!(!shown.contains(GOOD_SECRET));
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn database_urls() {
        assert_eq!(
            Database::parse("mysql://root@127.0.0.1:3306/onair").unwrap(),
            Database::Mysql("mysql://root@127.0.0.1:3306/onair".into())
        );
        assert!(Database::parse("mysql://root@127.0.0.1:3306")
            .unwrap_err()
            .contains("database"));
        assert!(Database::parse("mysql://root@127.0.0.1:3306/").is_err());
        assert_eq!(
            Database::parse("sqlite:///tmp/x.db").unwrap(),
            Database::Sqlite("/tmp/x.db".into())
        );
        assert_eq!(
            Database::parse("data/x.db").unwrap(),
            Database::Sqlite("data/x.db".into())
        );
        assert!(Database::parse("postgres://localhost/db")
            .unwrap_err()
            .contains("scheme"));
        assert!(Database::parse("sqlite://").is_err());
        assert!(Database::parse(":memory:").is_err());
        let err = production(&[("ONAIR_DATABASE_URL", "postgres://x/y")]).unwrap_err();
        assert_eq!(err.var, "ONAIR_DATABASE_URL");
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            ("ONAIR_API_BIND", "localhost"),
            ("ONAIR_DEV_MODE", "maybe"),
            ("ONAIR_DB_POOL_SIZE", "0"),
            ("ONAIR_DB_POOL_SIZE", "ten"),
            ("ONAIR_ACCESS_TOKEN_TTL_SECS", "-5"),
            ("ONAIR_ROOM_SERVER_URLS", "http://rooms.example.com"),
            ("ONAIR_ROOM_SERVER_URLS", " , "),
            ("ONAIR_STUN_URLS", "turn:x:3478"),
        ] {
            let err = production(&[(var, value)]).unwrap_err();
            assert_eq!(err.var, var, "{var}={value} gave {err}");
        }
    }

    #[test]
    fn room_servers_are_picked_per_room_and_stably() {
        let cfg =
            production(&[("ONAIR_ROOM_SERVER_URLS", "ws://a:1/, ws://b:2,ws://c:3")]).unwrap();
        assert_eq!(
            cfg.room_server_urls,
            vec!["ws://a:1", "ws://b:2", "ws://c:3"]
        );
        use onair_shared::RoomId;
        assert_eq!(cfg.room_server_for(RoomId(3)), "ws://a:1");
        assert_eq!(cfg.room_server_for(RoomId(4)), "ws://b:2");
        assert_eq!(cfg.room_server_for(RoomId(4)), "ws://b:2");
        assert_eq!(cfg.room_server_for(RoomId(-1)), "ws://c:3");
    }

    #[test]
    fn stun_urls_can_be_overridden_or_emptied() {
        let cfg = production(&[("ONAIR_STUN_URLS", "stun:a:1, stun:b:2")]).unwrap();
        assert_eq!(cfg.stun_urls, vec!["stun:a:1", "stun:b:2"]);
        let cfg = production(&[("ONAIR_STUN_URLS", "")]).unwrap();
        assert!(cfg.stun_urls.is_empty());
    }
}
