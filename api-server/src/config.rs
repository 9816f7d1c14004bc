//! Everything the api-server reads from its environment, parsed once at start-up.
//!
//! Parsing goes through [`ApiConfig::from_vars`] with a lookup function, so tests can check
//! every rule without touching the process environment (which is shared by parallel tests).

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// HS256 with a shorter key is brute-forceable offline from any token a user holds.
pub const MIN_JWT_SECRET_BYTES: usize = 32;
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/onair.db";
pub const DEFAULT_DEV_ROOM_SERVER_URL: &str = "ws://127.0.0.1:8081";
pub const DEFAULT_WEB_DIST: &str = "web-ui/dist";
pub const DEFAULT_DB_POOL_SIZE: u32 = 10;
pub const DEFAULT_ACCESS_TOKEN_TTL_SECS: i64 = 7 * 24 * 60 * 60;
pub const DEFAULT_TURN_TTL_SECS: i64 = 6 * 3600;
pub const DEFAULT_STUN_URLS: &str = "stun:stun.l.google.com:19302";
/// The YouTube IFrame Player API script the sing-along player loads.
pub const DEFAULT_YOUTUBE_API_URL: &str = "https://www.youtube.com/iframe_api";
pub const DEFAULT_DB_TIMEOUT_MS: u64 = 3000;
pub const DEFAULT_KAKAO_AUTHORIZE_URL: &str = "https://kauth.kakao.com/oauth/authorize";
pub const DEFAULT_KAKAO_TOKEN_URL: &str = "https://kauth.kakao.com/oauth/token";
pub const DEFAULT_KAKAO_USERINFO_URL: &str = "https://kapi.kakao.com/v2/user/me";
pub const DEFAULT_ROOM_IDLE_SECS: i64 = 600;
pub const DEFAULT_RANKED_ACTS_PER_DAY: u32 = 5;
pub const DEFAULT_RANKED_MIN_ACCOUNT_AGE_SECS: i64 = 3600;
pub const DEFAULT_ROOMS_PER_HOUR: u32 = 10;
pub const DEFAULT_TICKETS_PER_MINUTE: u32 = 30;
pub const DEFAULT_LOGINS_PER_MINUTE: u32 = 10;

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
    /// `ONAIR_YOUTUBE_API_URL`: the YouTube IFrame Player API script browsers load for the
    /// sing-along (tests point it at a local stand-in); its origin is allowed by the CSP.
    pub youtube_api_url: String,
    /// `ONAIR_TURN_URLS` + `ONAIR_TURN_SECRET` (+ `ONAIR_TURN_TTL_SECS`, default 6 h): a TURN
    /// relay with time-limited credentials in coturn's REST-API scheme (`use-auth-secret`).
    pub turn: Option<TurnConfig>,
    /// `ONAIR_SERVICE_TOKEN`: the bearer token the room-server presents on `/internal/v1`.
    /// Required outside dev mode; in dev mode, when unset, the internal endpoints answer 503
    /// `internal_disabled` (a generated token could not reach the room-server anyway).
    pub service_token: Option<Secret>,
    /// `ONAIR_KAKAO_*`: Kakao login, on when the client id and redirect URI are set.
    pub kakao: Option<KakaoConfig>,
    /// `ONAIR_ADMIN_USERS`: `provider:provider_id` identities that get the admin role at login.
    pub admin_users: Vec<Identity>,
    /// `ONAIR_DB_TIMEOUT_MS`: how long a request waits for a database connection before it
    /// fails with 503 `database_unavailable`.
    pub db_timeout: Duration,
    /// Room life and ranked play (see docs/SECURITY.md).
    pub fair_play: FairPlay,
    /// Rate limits per user and per client address (429 `rate_limited` with `Retry-After`).
    pub rate_limits: RateLimits,
    /// `ONAIR_TRUSTED_PROXIES`: comma-separated addresses or CIDR ranges of the reverse proxies
    /// in front of this server. Only a request from one of them has its client address taken
    /// from `X-Forwarded-For` (the rightmost address that is not a trusted proxy); by default
    /// nobody is trusted and the client address is the connection's.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// Room life and ranked play.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FairPlay {
    /// `ONAIR_ROOM_IDLE_SECS` (600): a room with nobody in it for this long, including one
    /// never opened on a room-server, is closed (give the room-servers the same value).
    pub room_idle_secs: i64,
    /// `ONAIR_RANKED_ACTS_PER_DAY` (5): a performer's ranked acts count toward the ranking at
    /// most this many times in any 24 hours.
    pub ranked_acts_per_day: u32,
    /// `ONAIR_RANKED_MIN_ACCOUNT_AGE_SECS` (3600; 0 in dev mode): scores from accounts younger
    /// than this do not count toward a ranked act (a farm of fresh accounts scores nothing).
    pub ranked_min_account_age_secs: i64,
}

impl FairPlay {
    pub fn defaults(dev_mode: bool) -> FairPlay {
        FairPlay {
            room_idle_secs: DEFAULT_ROOM_IDLE_SECS,
            ranked_acts_per_day: DEFAULT_RANKED_ACTS_PER_DAY,
            ranked_min_account_age_secs: if dev_mode {
                0
            } else {
                DEFAULT_RANKED_MIN_ACCOUNT_AGE_SECS
            },
        }
    }
}

/// Requests allowed per user; a client address gets [`RateLimits::PER_ADDRESS`] times as many
/// (people behind one NAT share it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// `ONAIR_ROOMS_PER_HOUR` (10): room creations.
    pub rooms_per_hour: u32,
    /// `ONAIR_TICKETS_PER_MINUTE` (30): room tickets (the web app asks one per (re)connect).
    pub tickets_per_minute: u32,
    /// `ONAIR_LOGINS_PER_MINUTE` (10): logins (dev, Kakao, code exchange) per account name
    /// and, five times as many, per client address.
    pub logins_per_minute: u32,
}

impl RateLimits {
    pub const PER_ADDRESS: u32 = 5;

    /// Limits no test or benchmark on one machine reaches.
    pub fn generous() -> RateLimits {
        RateLimits {
            rooms_per_hour: 100_000,
            tickets_per_minute: 100_000,
            logins_per_minute: 100_000,
        }
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            rooms_per_hour: DEFAULT_ROOMS_PER_HOUR,
            tickets_per_minute: DEFAULT_TICKETS_PER_MINUTE,
            logins_per_minute: DEFAULT_LOGINS_PER_MINUTE,
        }
    }
}

/// Kakao OAuth 2.0 (authorization code) settings. The three endpoint URLs are configurable so
/// tests can run the real HTTP code path against a local fake.
#[derive(Debug, Clone)]
pub struct KakaoConfig {
    /// `ONAIR_KAKAO_CLIENT_ID` (the app's REST API key).
    pub client_id: String,
    /// `ONAIR_KAKAO_CLIENT_SECRET`: only when the Kakao app has "client secret" switched on.
    pub client_secret: Option<Secret>,
    /// `ONAIR_KAKAO_REDIRECT_URI`: must be registered with Kakao and end at
    /// `/api/v1/auth/kakao/callback` on this server.
    pub redirect_uri: String,
    /// `ONAIR_KAKAO_AUTHORIZE_URL`.
    pub authorize_url: String,
    /// `ONAIR_KAKAO_TOKEN_URL`.
    pub token_url: String,
    /// `ONAIR_KAKAO_USERINFO_URL`.
    pub userinfo_url: String,
}

impl KakaoConfig {
    /// Settings for a Kakao-compatible server at `base` (e.g. a test fake), using Kakao's paths.
    pub fn at(base: &str, client_id: &str, redirect_uri: &str) -> KakaoConfig {
        let base = base.trim_end_matches('/');
        KakaoConfig {
            client_id: client_id.to_owned(),
            client_secret: None,
            redirect_uri: redirect_uri.to_owned(),
            authorize_url: format!("{base}/oauth/authorize"),
            token_url: format!("{base}/oauth/token"),
            userinfo_url: format!("{base}/v2/user/me"),
        }
    }

    /// The cookie carrying the login state is marked `Secure` when the callback is https.
    pub fn secure_cookie(&self) -> bool {
        self.redirect_uri.starts_with("https://")
    }
}

/// A login identity, `(provider, provider_id)`, as written in `ONAIR_ADMIN_USERS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub provider: String,
    pub provider_id: String,
}

impl ApiConfig {
    /// Whether this identity is listed in `ONAIR_ADMIN_USERS`.
    pub fn is_admin(&self, provider: &str, provider_id: &str) -> bool {
        self.admin_users
            .iter()
            .any(|i| i.provider == provider && i.provider_id == provider_id)
    }
}

/// A setting that stops the server at start-up; `var` is its environment variable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: String,
    pub message: String,
}

fn invalid(var: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        var: var.to_owned(),
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
            youtube_api_url: DEFAULT_YOUTUBE_API_URL.to_owned(),
            service_token: Some(Secret::generate()),
            kakao: None,
            admin_users: Vec::new(),
            db_timeout: Duration::from_millis(DEFAULT_DB_TIMEOUT_MS),
            turn: None,
            fair_play: FairPlay::defaults(true),
            rate_limits: RateLimits::default(),
            trusted_proxies: Vec::new(),
        }
    }

    /// Reads the settings through `lookup` alone (no command line, not the process
    /// environment), so tests can check every rule. An empty value counts as unset, except for
    /// `ONAIR_STUN_URLS`, where it means "no STUN server".
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<ApiConfig, ConfigError> {
        ApiArgs::parse_from_vars([std::ffi::OsString::from("onair-api-server")], lookup)?.validate()
    }
}

/// Every setting of `onair-api-server`: a flag, an environment variable, and its default, as
/// `--help` lists them (docs/CONFIGURATION.md is checked against it). Rules that span several
/// settings (secrets outside dev mode, pairs that go together) are in [`ApiArgs::validate`].
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "onair-api-server",
    version,
    about = "OnAir's REST service: login, profiles, rooms, tickets; serves the web UI.",
    long_about = "OnAir's REST service: login, profiles, rooms, tickets; serves the web UI.\n\n\
                  Every setting is a flag or an environment variable (the flag wins); an empty \
                  variable counts as unset (except ONAIR_STUN_URLS). Outside dev mode a missing \
                  or weak secret stops the server. Settings: docs/CONFIGURATION.md."
)]
pub struct ApiArgs {
    /// Dev mode: name-only dev login, and missing secrets are generated (local runs only, never
    /// on a public server). 1/true/yes/on or 0/false/no/off.
    #[arg(long, env = "ONAIR_DEV_MODE", default_value = "false", value_name = "BOOL",
          num_args = 0..=1, default_missing_value = "true", value_parser = parse_bool_arg)]
    pub dev_mode: bool,
    /// Listen address (IP and port; port 0 picks a free one).
    #[arg(long, env = "ONAIR_API_BIND", default_value = DEFAULT_BIND, value_name = "ADDR")]
    pub bind: SocketAddr,
    /// sqlite://PATH (or a bare path) or mysql://user:pass@host:port/db (MySQL or MariaDB).
    #[arg(long, env = "ONAIR_DATABASE_URL", default_value = DEFAULT_DATABASE_URL,
          value_name = "URL", value_parser = Database::parse, hide_env_values = true)]
    pub database_url: Database,
    /// Signs login tokens and room tickets (at least 32 bytes, not a placeholder); the same
    /// value on every api-server and room-server. Required outside dev mode.
    #[arg(
        long,
        env = "ONAIR_JWT_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub jwt_secret: Option<String>,
    /// The room-servers' bearer token on /internal/v1 (at least 32 bytes). Required outside
    /// dev mode; in dev mode without it the internal endpoints answer 503.
    #[arg(
        long,
        env = "ONAIR_SERVICE_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub service_token: Option<String>,
    /// Comma-separated public WebSocket base URLs of the room-servers (ws:// or wss://); one is
    /// picked per room, the others are fallbacks. Required outside dev mode (dev:
    /// ws://127.0.0.1:8081).
    #[arg(long, env = "ONAIR_ROOM_SERVER_URLS", value_name = "URLS")]
    pub room_server_urls: Option<String>,
    /// The built web UI (`cargo xtask dist`).
    #[arg(long, env = "ONAIR_WEB_DIST", default_value = DEFAULT_WEB_DIST, value_name = "DIR")]
    pub web_dist: PathBuf,
    /// Database connections at most, 1 to 1000.
    #[arg(long, env = "ONAIR_DB_POOL_SIZE", default_value_t = DEFAULT_DB_POOL_SIZE,
          value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub db_pool_size: u32,
    /// How long a request waits for a database connection before a 503, 100 to 60000 ms.
    #[arg(long, env = "ONAIR_DB_TIMEOUT_MS", default_value_t = DEFAULT_DB_TIMEOUT_MS,
          value_name = "MS", value_parser = clap::value_parser!(u64).range(100..=60_000))]
    pub db_timeout_ms: u64,
    /// Login token lifetime, 60 seconds to 366 days.
    #[arg(long, env = "ONAIR_ACCESS_TOKEN_TTL_SECS", default_value_t = DEFAULT_ACCESS_TOKEN_TTL_SECS,
          value_name = "SECS", value_parser = clap::value_parser!(i64).range(60..=366 * 24 * 60 * 60))]
    pub access_token_ttl_secs: i64,
    /// Comma-separated STUN URLs (stun: or stuns:) handed to browsers; empty: none.
    #[arg(long, env = "ONAIR_STUN_URLS", default_value = DEFAULT_STUN_URLS, value_name = "URLS")]
    pub stun_urls: String,
    /// The YouTube IFrame Player API script (an http(s) URL) the sing-along player loads.
    #[arg(long, env = "ONAIR_YOUTUBE_API_URL", default_value = DEFAULT_YOUTUBE_API_URL, value_name = "URL")]
    pub youtube_api_url: String,
    /// Comma-separated TURN URLs (turn: or turns:) of a relay sharing ONAIR_TURN_SECRET (coturn
    /// use-auth-secret); set both or neither.
    #[arg(long, env = "ONAIR_TURN_URLS", value_name = "URLS")]
    pub turn_urls: Option<String>,
    /// The TURN relay's shared secret (at least 32 bytes); signed-in users get time-limited
    /// credentials.
    #[arg(
        long,
        env = "ONAIR_TURN_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub turn_secret: Option<String>,
    /// Lifetime of TURN credentials, 60 to 86400 seconds.
    #[arg(long, env = "ONAIR_TURN_TTL_SECS", default_value_t = DEFAULT_TURN_TTL_SECS,
          value_name = "SECS", value_parser = clap::value_parser!(i64).range(60..=86_400))]
    pub turn_ttl_secs: i64,
    /// The Kakao app's REST API key; Kakao login is on when this and the redirect URI are set.
    #[arg(long, env = "ONAIR_KAKAO_CLIENT_ID", value_name = "KEY")]
    pub kakao_client_id: Option<String>,
    /// Only when the Kakao app has "client secret" switched on.
    #[arg(
        long,
        env = "ONAIR_KAKAO_CLIENT_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub kakao_client_secret: Option<String>,
    /// This server's callback registered with Kakao: https://HOST/api/v1/auth/kakao/callback.
    #[arg(long, env = "ONAIR_KAKAO_REDIRECT_URI", value_name = "URL")]
    pub kakao_redirect_uri: Option<String>,
    /// Kakao's authorize endpoint (tests point it at a local fake). Default:
    /// https://kauth.kakao.com/oauth/authorize.
    #[arg(long, env = "ONAIR_KAKAO_AUTHORIZE_URL", value_name = "URL")]
    pub kakao_authorize_url: Option<String>,
    /// Kakao's token endpoint. Default: https://kauth.kakao.com/oauth/token.
    #[arg(long, env = "ONAIR_KAKAO_TOKEN_URL", value_name = "URL")]
    pub kakao_token_url: Option<String>,
    /// Kakao's user-info endpoint. Default: https://kapi.kakao.com/v2/user/me.
    #[arg(long, env = "ONAIR_KAKAO_USERINFO_URL", value_name = "URL")]
    pub kakao_userinfo_url: Option<String>,
    /// Comma-separated provider:id identities that get the admin role at login, e.g.
    /// dev:alice,kakao:1234567890.
    #[arg(long, env = "ONAIR_ADMIN_USERS", value_name = "LIST")]
    pub admin_users: Option<String>,
    /// A room that stands empty, or whose creator never came, this long is closed; 10 to 86400
    /// seconds (give the room-servers the same value).
    #[arg(long, env = "ONAIR_ROOM_IDLE_SECS", default_value_t = DEFAULT_ROOM_IDLE_SECS,
          value_name = "SECS", value_parser = clap::value_parser!(i64).range(10..=86_400))]
    pub room_idle_secs: i64,
    /// A performer's ranked acts count toward the ranking at most this many times in any 24
    /// hours, 1 to 1000.
    #[arg(long, env = "ONAIR_RANKED_ACTS_PER_DAY", default_value_t = DEFAULT_RANKED_ACTS_PER_DAY,
          value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub ranked_acts_per_day: u32,
    /// Scores from accounts younger than this do not count toward a ranked act, 0 to 2592000
    /// seconds. Default: 3600 (0 in dev mode).
    #[arg(long, env = "ONAIR_RANKED_MIN_ACCOUNT_AGE_SECS", value_name = "SECS",
          value_parser = clap::value_parser!(i64).range(0..=30 * 86_400))]
    pub ranked_min_account_age_secs: Option<i64>,
    /// Room creations per user per hour (a client address gets 5 times as many), 1 to 100000.
    #[arg(long, env = "ONAIR_ROOMS_PER_HOUR", default_value_t = DEFAULT_ROOMS_PER_HOUR,
          value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub rooms_per_hour: u32,
    /// Room tickets per user per minute (the web app asks one per (re)connect), 1 to 100000.
    #[arg(long, env = "ONAIR_TICKETS_PER_MINUTE", default_value_t = DEFAULT_TICKETS_PER_MINUTE,
          value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub tickets_per_minute: u32,
    /// Logins per account name per minute (a client address gets 5 times as many), 1 to 100000.
    #[arg(long, env = "ONAIR_LOGINS_PER_MINUTE", default_value_t = DEFAULT_LOGINS_PER_MINUTE,
          value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub logins_per_minute: u32,
    /// Comma-separated addresses or CIDR ranges of the reverse proxies in front of this server:
    /// only their X-Forwarded-For is believed. Default: nobody.
    #[arg(long, env = "ONAIR_TRUSTED_PROXIES", value_name = "LIST")]
    pub trusted_proxies: Option<String>,
    #[command(flatten)]
    pub log: onair_telemetry::logs::LogSettings,
}

fn parse_bool_arg(v: &str) -> Result<bool, String> {
    parse_bool(v.trim()).ok_or_else(|| format!("expected 1/true or 0/false, got {v:?}"))
}

impl From<onair_telemetry::settings::SettingsError> for ConfigError {
    fn from(e: onair_telemetry::settings::SettingsError) -> ConfigError {
        match e {
            onair_telemetry::settings::SettingsError::Invalid { var, message } => {
                ConfigError { var, message }
            }
            other => invalid("--help", other.to_string()),
        }
    }
}

impl ApiArgs {
    /// The command line and the process environment; `--help` and `--version` print and exit.
    pub fn from_env() -> Result<ApiArgs, ConfigError> {
        match onair_telemetry::settings::parse::<ApiArgs>(
            std::env::args_os(),
            |name| std::env::var(name).ok(),
            &["ONAIR_STUN_URLS"],
        ) {
            Ok(args) => Ok(args),
            Err(onair_telemetry::settings::SettingsError::Exit(help)) => help.exit(),
            Err(e) => Err(e.into()),
        }
    }

    fn parse_from_vars(
        args: impl IntoIterator<Item = std::ffi::OsString>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<ApiArgs, ConfigError> {
        Ok(onair_telemetry::settings::parse::<ApiArgs>(
            args,
            lookup,
            &["ONAIR_STUN_URLS"],
        )?)
    }

    /// The rules that span settings, and the values the server runs on. Warnings (generated
    /// secrets in dev mode) are logged, so call it once logging is set up.
    pub fn validate(self) -> Result<ApiConfig, ConfigError> {
        let dev_mode = self.dev_mode;
        let bind = self.bind;
        let database = self.database_url;
        let given = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let jwt_secret = match given(self.jwt_secret) {
            Some(secret) => {
                check_secret(&secret).map_err(|m| invalid("ONAIR_JWT_SECRET", m))?;
                Secret::new(secret)
            }
            None if dev_mode => {
                tracing::warn!(
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

        let room_server_urls = match given(self.room_server_urls) {
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

        let web_dist = self.web_dist;
        let db_pool_size = self.db_pool_size;
        let access_token_ttl_secs = self.access_token_ttl_secs;
        let stun_urls =
            parse_stun_urls(&self.stun_urls).map_err(|m| invalid("ONAIR_STUN_URLS", m))?;
        let youtube_api_url = parse_script_url(&self.youtube_api_url)
            .map_err(|m| invalid("ONAIR_YOUTUBE_API_URL", m))?;

        let service_token = match given(self.service_token) {
            Some(token) => {
                check_secret(&token).map_err(|m| invalid("ONAIR_SERVICE_TOKEN", m))?;
                Some(Secret::new(token))
            }
            None if dev_mode => {
                tracing::warn!(
                    "ONAIR_SERVICE_TOKEN is not set: the internal endpoints for the room-server \
                     answer 503 internal_disabled, so ranked acts and room status are not recorded"
                );
                None
            }
            None => {
                return Err(invalid(
                    "ONAIR_SERVICE_TOKEN",
                    format!(
                    "required outside dev mode: the room-server's bearer token for /internal/v1, \
                         a random string of at least {MIN_JWT_SECRET_BYTES} bytes (give the \
                         room-server the same value)"
                ),
                ))
            }
        };

        let kakao_vars = [
            ("ONAIR_KAKAO_CLIENT_ID", given(self.kakao_client_id)),
            ("ONAIR_KAKAO_CLIENT_SECRET", given(self.kakao_client_secret)),
            ("ONAIR_KAKAO_REDIRECT_URI", given(self.kakao_redirect_uri)),
            ("ONAIR_KAKAO_AUTHORIZE_URL", given(self.kakao_authorize_url)),
            ("ONAIR_KAKAO_TOKEN_URL", given(self.kakao_token_url)),
            ("ONAIR_KAKAO_USERINFO_URL", given(self.kakao_userinfo_url)),
        ];
        let kakao = parse_kakao(&|name: &str| {
            kakao_vars
                .iter()
                .find(|(var, _)| *var == name)
                .and_then(|(_, value)| value.clone())
        })?;

        let admin_users = match given(self.admin_users) {
            None => Vec::new(),
            Some(list) => parse_admin_users(&list).map_err(|m| invalid("ONAIR_ADMIN_USERS", m))?,
        };

        let db_timeout = Duration::from_millis(self.db_timeout_ms);

        let turn = match (given(self.turn_urls), given(self.turn_secret)) {
            (None, None) => None,
            (Some(urls), Some(secret)) => {
                let urls = parse_turn_urls(&urls).map_err(|m| invalid("ONAIR_TURN_URLS", m))?;
                check_secret(&secret).map_err(|m| invalid("ONAIR_TURN_SECRET", m))?;
                let ttl_secs = self.turn_ttl_secs;
                Some(TurnConfig {
                    urls,
                    secret: Secret::new(secret),
                    ttl_secs,
                })
            }
            (Some(_), None) => {
                return Err(invalid(
                    "ONAIR_TURN_SECRET",
                    "ONAIR_TURN_URLS is set, so the TURN secret must be too",
                ))
            }
            (None, Some(_)) => {
                return Err(invalid(
                    "ONAIR_TURN_URLS",
                    "ONAIR_TURN_SECRET is set, so the TURN URLs must be too",
                ))
            }
        };

        let defaults = FairPlay::defaults(dev_mode);
        let fair_play = FairPlay {
            room_idle_secs: self.room_idle_secs,
            ranked_acts_per_day: self.ranked_acts_per_day,
            ranked_min_account_age_secs: self
                .ranked_min_account_age_secs
                .unwrap_or(defaults.ranked_min_account_age_secs),
        };
        let rate_limits = RateLimits {
            rooms_per_hour: self.rooms_per_hour,
            tickets_per_minute: self.tickets_per_minute,
            logins_per_minute: self.logins_per_minute,
        };
        let trusted_proxies = match given(self.trusted_proxies) {
            None => Vec::new(),
            Some(list) => {
                parse_trusted_proxies(&list).map_err(|m| invalid("ONAIR_TRUSTED_PROXIES", m))?
            }
        };

        Ok(ApiConfig {
            fair_play,
            rate_limits,
            trusted_proxies,
            turn,
            bind,
            database,
            dev_mode,
            jwt_secret,
            room_server_urls,
            web_dist,
            db_pool_size,
            access_token_ttl_secs,
            stun_urls,
            youtube_api_url,
            service_token,
            kakao,
            admin_users,
            db_timeout,
        })
    }
}

impl ApiConfig {
    /// The room-server that hosts `room`. Always the same one for a room, so every member of a
    /// room lands on the instance that owns it (without Redis there is no cross-instance relay).
    /// The other room-servers, in a fixed order starting after the room's own, for clients
    /// to fall back on when it is down.
    pub fn fallback_room_servers_for(&self, room: onair_shared::RoomId) -> Vec<&str> {
        let count = self.room_server_urls.len();
        let first = room.0.rem_euclid(count.max(1) as i64) as usize;
        (1..count)
            .map(|step| self.room_server_urls[(first + step) % count].as_str())
            .collect()
    }

    pub fn room_server_for(&self, room: onair_shared::RoomId) -> &str {
        let count = self.room_server_urls.len().max(1) as i64;
        let index = room.0.rem_euclid(count) as usize;
        self.room_server_urls
            .get(index)
            .map(String::as_str)
            .unwrap_or(DEFAULT_DEV_ROOM_SERVER_URL)
    }
}

/// `10.0.0.0/8, 127.0.0.1, ::1`: addresses or CIDR ranges.
fn parse_trusted_proxies(list: &str) -> Result<Vec<ipnet::IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| {
            e.parse::<ipnet::IpNet>()
                .or_else(|_| e.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("{e:?} is not an IP address or CIDR range (e.g. 10.0.0.0/8)"))
        })
        .collect()
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

/// A comma-separated list of ICE server URLs, each starting with one of `schemes`.
fn parse_ice_urls(list: &str, schemes: [&str; 2], what: &str) -> Result<Vec<String>, String> {
    let urls: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect();
    for url in &urls {
        if !schemes.iter().any(|s| url.starts_with(s)) {
            return Err(format!(
                "{url:?} is not a {what} URL; expected {}host:port",
                schemes[0]
            ));
        }
    }
    Ok(urls)
}

fn parse_turn_urls(list: &str) -> Result<Vec<String>, String> {
    let urls = parse_ice_urls(list, ["turn:", "turns:"], "TURN")?;
    if urls.is_empty() {
        return Err("expected at least one turn:host:port URL".into());
    }
    Ok(urls)
}

/// An http(s) URL with a host: it goes into the page's CSP as an origin.
fn parse_script_url(value: &str) -> Result<String, String> {
    let value = value.trim();
    match url::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
            Ok(value.to_owned())
        }
        _ => Err(format!("{value:?} is not an http(s) URL")),
    }
}

fn parse_stun_urls(list: &str) -> Result<Vec<String>, String> {
    parse_ice_urls(list, ["stun:", "stuns:"], "STUN")
}

fn parse_http_url(var: &str, value: &str) -> Result<String, ConfigError> {
    let ok = url::Url::parse(value)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    match ok {
        Some(_) => Ok(value.to_owned()),
        None => Err(invalid(
            var,
            format!("expected an http(s) URL, got {value:?}"),
        )),
    }
}

fn parse_kakao(get: &impl Fn(&str) -> Option<String>) -> Result<Option<KakaoConfig>, ConfigError> {
    let client_id = get("ONAIR_KAKAO_CLIENT_ID");
    let redirect_uri = get("ONAIR_KAKAO_REDIRECT_URI");
    let (client_id, redirect_uri) = match (client_id, redirect_uri) {
        (None, None) => {
            for var in [
                "ONAIR_KAKAO_CLIENT_SECRET",
                "ONAIR_KAKAO_AUTHORIZE_URL",
                "ONAIR_KAKAO_TOKEN_URL",
                "ONAIR_KAKAO_USERINFO_URL",
            ] {
                if get(var).is_some() {
                    return Err(invalid(
                        var,
                        "set, but Kakao login is off: also set ONAIR_KAKAO_CLIENT_ID and \
                         ONAIR_KAKAO_REDIRECT_URI",
                    ));
                }
            }
            return Ok(None);
        }
        (Some(_), None) => {
            return Err(invalid(
                "ONAIR_KAKAO_REDIRECT_URI",
                "required with ONAIR_KAKAO_CLIENT_ID: this server's callback URL, e.g. \
                 https://onair.example.com/api/v1/auth/kakao/callback",
            ))
        }
        (None, Some(_)) => {
            return Err(invalid(
                "ONAIR_KAKAO_CLIENT_ID",
                "required with ONAIR_KAKAO_REDIRECT_URI: the Kakao app's REST API key",
            ))
        }
        (Some(id), Some(uri)) => (id, uri),
    };
    let redirect_uri = parse_http_url("ONAIR_KAKAO_REDIRECT_URI", &redirect_uri)?;
    let url = |var: &'static str, default: &str| {
        parse_http_url(var, &get(var).unwrap_or_else(|| default.to_owned()))
    };
    Ok(Some(KakaoConfig {
        client_id,
        client_secret: get("ONAIR_KAKAO_CLIENT_SECRET").map(Secret::new),
        redirect_uri,
        authorize_url: url("ONAIR_KAKAO_AUTHORIZE_URL", DEFAULT_KAKAO_AUTHORIZE_URL)?,
        token_url: url("ONAIR_KAKAO_TOKEN_URL", DEFAULT_KAKAO_TOKEN_URL)?,
        userinfo_url: url("ONAIR_KAKAO_USERINFO_URL", DEFAULT_KAKAO_USERINFO_URL)?,
    }))
}

/// `dev:alice, kakao:12345`. Dev ids are lower-cased, as dev login stores them.
fn parse_admin_users(list: &str) -> Result<Vec<Identity>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let (provider, id) = entry
                .split_once(':')
                .map(|(p, i)| (p.trim(), i.trim()))
                .filter(|(_, i)| !i.is_empty())
                .ok_or_else(|| {
                    format!("{entry:?} is not provider:id, e.g. dev:alice or kakao:1234567890")
                })?;
            let provider_id = match provider {
                "dev" => id.to_lowercase(),
                "kakao" if id.bytes().all(|b| b.is_ascii_digit()) => id.to_owned(),
                "kakao" => return Err(format!("{entry:?}: a Kakao id is a number")),
                other => {
                    return Err(format!(
                        "{entry:?}: unknown provider {other:?}; expected dev or kakao"
                    ))
                }
            };
            Ok(Identity {
                provider: provider.to_owned(),
                provider_id,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const GOOD_SECRET: &str = "0123456789abcdef0123456789abcdef-test";
    const SERVICE_TOKEN: &str = "service-0123456789abcdef0123456789abcdef";

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
            ("ONAIR_SERVICE_TOKEN", SERVICE_TOKEN),
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
        assert_eq!(
            cfg.fallback_room_servers_for(RoomId(4)),
            ["ws://c:3", "ws://a:1"]
        );
    }

    #[test]
    fn turn_needs_urls_and_a_secret_together() {
        let secret = "turn-secret-turn-secret-turn-secret!";
        let err = production(&[("ONAIR_TURN_URLS", "turn:127.0.0.1:3478")]).unwrap_err();
        assert_eq!(err.var, "ONAIR_TURN_SECRET");
        let err = production(&[("ONAIR_TURN_SECRET", secret)]).unwrap_err();
        assert_eq!(err.var, "ONAIR_TURN_URLS");
        let err = production(&[
            ("ONAIR_TURN_URLS", "stun:x:1"),
            ("ONAIR_TURN_SECRET", secret),
        ])
        .unwrap_err();
        assert_eq!(err.var, "ONAIR_TURN_URLS");
        let cfg = production(&[
            ("ONAIR_TURN_URLS", "turn:a:3478, turns:b:5349"),
            ("ONAIR_TURN_SECRET", secret),
        ])
        .unwrap();
        let turn = cfg.turn.unwrap();
        assert_eq!(turn.urls, ["turn:a:3478", "turns:b:5349"]);
        assert_eq!(turn.ttl_secs, DEFAULT_TURN_TTL_SECS);
    }

    #[test]
    fn the_youtube_script_url_must_be_http() {
        assert_eq!(
            parse_script_url(" https://www.youtube.com/iframe_api "),
            Ok("https://www.youtube.com/iframe_api".into())
        );
        assert!(parse_script_url("javascript:alert(1)").is_err());
        assert!(parse_script_url("/yt.js").is_err());
    }

    #[test]
    fn stun_urls_can_be_overridden_or_emptied() {
        let cfg = production(&[("ONAIR_STUN_URLS", "stun:a:1, stun:b:2")]).unwrap();
        assert_eq!(cfg.stun_urls, vec!["stun:a:1", "stun:b:2"]);
        let cfg = production(&[("ONAIR_STUN_URLS", "")]).unwrap();
        assert!(cfg.stun_urls.is_empty());
    }

    #[test]
    fn service_token_is_required_outside_dev_mode_and_optional_in_it() {
        let err = parse(&[
            ("ONAIR_JWT_SECRET", GOOD_SECRET),
            ("ONAIR_ROOM_SERVER_URLS", "ws://a:1"),
        ])
        .unwrap_err();
        assert_eq!(err.var, "ONAIR_SERVICE_TOKEN");
        assert!(err.message.contains("required outside dev mode"), "{err}");
        let err = production(&[("ONAIR_SERVICE_TOKEN", "short")]).unwrap_err();
        assert_eq!(err.var, "ONAIR_SERVICE_TOKEN");
        assert_eq!(
            production(&[]).unwrap().service_token.unwrap().expose(),
            SERVICE_TOKEN
        );
        let dev = parse(&[("ONAIR_DEV_MODE", "1")]).unwrap();
        assert!(dev.service_token.is_none(), "dev mode leaves it off");
        assert!(!format!("{:?}", production(&[]).unwrap()).contains(SERVICE_TOKEN));
    }

    #[test]
    fn kakao_is_on_with_client_id_and_redirect_uri() {
        let cfg = production(&[]).unwrap();
        assert!(cfg.kakao.is_none());
        let cfg = production(&[
            ("ONAIR_KAKAO_CLIENT_ID", "rest-key"),
            (
                "ONAIR_KAKAO_REDIRECT_URI",
                "https://onair.example.com/api/v1/auth/kakao/callback",
            ),
        ])
        .unwrap();
        let kakao = cfg.kakao.unwrap();
        assert_eq!(kakao.client_id, "rest-key");
        assert!(kakao.client_secret.is_none());
        assert_eq!(kakao.authorize_url, DEFAULT_KAKAO_AUTHORIZE_URL);
        assert_eq!(kakao.token_url, DEFAULT_KAKAO_TOKEN_URL);
        assert_eq!(kakao.userinfo_url, DEFAULT_KAKAO_USERINFO_URL);
        assert!(kakao.secure_cookie());

        let cfg = production(&[
            ("ONAIR_KAKAO_CLIENT_ID", "k"),
            ("ONAIR_KAKAO_CLIENT_SECRET", "s3cret"),
            ("ONAIR_KAKAO_REDIRECT_URI", "http://127.0.0.1:8080/cb"),
            ("ONAIR_KAKAO_TOKEN_URL", "http://127.0.0.1:9/token"),
        ])
        .unwrap();
        let kakao = cfg.kakao.unwrap();
        assert_eq!(kakao.client_secret.as_ref().unwrap().expose(), "s3cret");
        assert_eq!(kakao.token_url, "http://127.0.0.1:9/token");
        assert!(!kakao.secure_cookie());

        for (vars, var) in [
            (
                vec![("ONAIR_KAKAO_CLIENT_ID", "k")],
                "ONAIR_KAKAO_REDIRECT_URI",
            ),
            (
                vec![("ONAIR_KAKAO_REDIRECT_URI", "https://x/cb")],
                "ONAIR_KAKAO_CLIENT_ID",
            ),
            (
                vec![
                    ("ONAIR_KAKAO_CLIENT_ID", "k"),
                    ("ONAIR_KAKAO_REDIRECT_URI", "/relative"),
                ],
                "ONAIR_KAKAO_REDIRECT_URI",
            ),
            (
                vec![
                    ("ONAIR_KAKAO_CLIENT_ID", "k"),
                    ("ONAIR_KAKAO_REDIRECT_URI", "https://x/cb"),
                    ("ONAIR_KAKAO_USERINFO_URL", "ftp://x/me"),
                ],
                "ONAIR_KAKAO_USERINFO_URL",
            ),
            (
                vec![("ONAIR_KAKAO_CLIENT_SECRET", "s")],
                "ONAIR_KAKAO_CLIENT_SECRET",
            ),
        ] {
            let err = production(&vars).unwrap_err();
            assert_eq!(err.var, var, "{vars:?}: {err}");
        }
    }

    #[test]
    fn fair_play_rate_limits_and_trusted_proxies() {
        let cfg = production(&[]).unwrap();
        assert_eq!(cfg.fair_play, FairPlay::defaults(false));
        assert_eq!(cfg.fair_play.room_idle_secs, 600);
        assert_eq!(cfg.fair_play.ranked_acts_per_day, 5);
        assert_eq!(cfg.fair_play.ranked_min_account_age_secs, 3600);
        assert_eq!(cfg.rate_limits, RateLimits::default());
        assert!(
            cfg.trusted_proxies.is_empty(),
            "nobody is trusted by default"
        );
        let dev = parse(&[("ONAIR_DEV_MODE", "1")]).unwrap();
        assert_eq!(dev.fair_play.ranked_min_account_age_secs, 0);

        let cfg = production(&[
            ("ONAIR_ROOM_IDLE_SECS", "60"),
            ("ONAIR_RANKED_ACTS_PER_DAY", "3"),
            ("ONAIR_RANKED_MIN_ACCOUNT_AGE_SECS", "0"),
            ("ONAIR_TICKETS_PER_MINUTE", "7"),
            ("ONAIR_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1,::1"),
        ])
        .unwrap();
        assert_eq!(cfg.fair_play.room_idle_secs, 60);
        assert_eq!(cfg.fair_play.ranked_acts_per_day, 3);
        assert_eq!(cfg.rate_limits.tickets_per_minute, 7);
        assert_eq!(cfg.trusted_proxies.len(), 3);
        for (var, value) in [
            ("ONAIR_ROOM_IDLE_SECS", "0"),
            ("ONAIR_RANKED_ACTS_PER_DAY", "0"),
            ("ONAIR_LOGINS_PER_MINUTE", "lots"),
            ("ONAIR_TRUSTED_PROXIES", "proxy.example"),
        ] {
            let err = production(&[(var, value)]).unwrap_err();
            assert_eq!(err.var, var, "{var}={value} gave {err}");
        }
    }

    #[test]
    fn admin_users_and_db_timeout() {
        let cfg = production(&[("ONAIR_ADMIN_USERS", " dev:Alice , kakao:12345,")]).unwrap();
        assert!(cfg.is_admin("dev", "alice"));
        assert!(cfg.is_admin("kakao", "12345"));
        assert!(!cfg.is_admin("kakao", "alice"));
        assert!(!cfg.is_admin("dev", "12345"));
        for bad in ["alice", "github:x", "kakao:abc", "dev:"] {
            let err = production(&[("ONAIR_ADMIN_USERS", bad)]).unwrap_err();
            assert_eq!(err.var, "ONAIR_ADMIN_USERS", "{bad}");
        }
        assert_eq!(production(&[]).unwrap().db_timeout, Duration::from_secs(3));
        let cfg = production(&[("ONAIR_DB_TIMEOUT_MS", "500")]).unwrap();
        assert_eq!(cfg.db_timeout, Duration::from_millis(500));
        let err = production(&[("ONAIR_DB_TIMEOUT_MS", "5")]).unwrap_err();
        assert_eq!(err.var, "ONAIR_DB_TIMEOUT_MS");
    }
}

/// A TURN relay sharing a secret with us (coturn `use-auth-secret` / `static-auth-secret`).
#[derive(Debug, Clone)]
pub struct TurnConfig {
    pub urls: Vec<String>,
    pub secret: Secret,
    pub ttl_secs: i64,
}
