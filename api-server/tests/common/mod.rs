//! Test harness: starts the real api-server on a real socket, on SQLite or MariaDB/MySQL, and
//! talks to it over HTTP.
//!
//! `backend_test!(name, |srv| { ... })` generates `name::sqlite` and `name::mysql`, so every
//! test runs on both backends (`cargo test -p onair-api-server mysql` runs one side).
//!
//! MySQL: `ONAIR_TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306`) must let us create
//! databases; each test gets a fresh `onair_test_<random>` database, dropped afterwards. When
//! the server is unreachable the test is skipped with a notice, except under `CI=true`, where
//! it fails.

#![allow(dead_code)]

use diesel::connection::SimpleConnection;
use diesel::r2d2::ManageConnection;
use diesel::{Connection, MysqlConnection, SqliteConnection};
use onair_api_server::config::{ApiConfig, Database};
use onair_api_server::db::{DbConn, DbConnManager};
use onair_shared::api::{ErrorBody, LoginResponse, RoomView};
use onair_shared::auth::Role;
use onair_shared::{RoomId, UserId};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub const DEFAULT_TEST_MYSQL_URL: &str = "mysql://root@127.0.0.1:3306";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Mysql,
}

/// Generates one test per backend. Optional `config = |c| ...` adjusts the server's
/// [`ApiConfig`] before it starts.
#[macro_export]
macro_rules! backend_test {
    ($name:ident, |$srv:ident| $body:block) => {
        $crate::backend_test!($name, config = |_config| {}, |$srv| $body);
    };
    ($name:ident, config = $tweak:expr, |$srv:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[actix_web::test]
            async fn sqlite() {
                let Some($srv) =
                    $crate::common::TestServer::start($crate::common::Backend::Sqlite, $tweak)
                        .await
                else {
                    return;
                };
                // Braced: a `block` fragment alone is an opaque group that the test attribute's
                // parser would read as an expression needing a `;`.
                {
                    $body
                }
                $srv.stop().await;
            }

            #[actix_web::test]
            async fn mysql() {
                let Some($srv) =
                    $crate::common::TestServer::start($crate::common::Backend::Mysql, $tweak).await
                else {
                    return;
                };
                {
                    $body
                }
                $srv.stop().await;
            }
        }
    };
}

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("onair-api-{label}-{}", random_suffix()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn random_suffix() -> String {
    use rand::Rng;
    let n: u64 = rand::rng().random();
    format!("{n:016x}")
}

enum TestDb {
    Sqlite { _dir: TempDir, path: PathBuf },
    Mysql(MysqlTestDb),
}

impl TestDb {
    /// An empty database (nothing migrated yet); `None` when MySQL is unreachable outside CI.
    fn create(backend: Backend) -> Option<(TestDb, Database)> {
        Some(match backend {
            Backend::Sqlite => {
                let dir = TempDir::new("db");
                let path = dir.path().join("onair.db");
                (
                    TestDb::Sqlite {
                        _dir: dir,
                        path: path.clone(),
                    },
                    Database::Sqlite(path),
                )
            }
            Backend::Mysql => {
                let mysql = MysqlTestDb::create()?;
                let url = mysql.url();
                (TestDb::Mysql(mysql), Database::Mysql(url))
            }
        })
    }
}

/// A database of its own for a test that runs no server (or runs it later); removed on drop.
pub struct ScratchDb {
    _db: TestDb,
    pub database: Database,
}

impl ScratchDb {
    /// `None` when the backend is MySQL and it is unreachable outside CI.
    pub fn create(backend: Backend) -> Option<ScratchDb> {
        let (db, database) = TestDb::create(backend)?;
        Some(ScratchDb { _db: db, database })
    }

    /// A new connection (no migrations run).
    pub fn conn(&self) -> DbConn {
        DbConnManager::new(self.database.clone())
            .connect()
            .expect("connect to the test database")
    }
}

/// A database created for one test; dropped even when the test panics.
struct MysqlTestDb {
    admin_url: String,
    name: String,
}

impl MysqlTestDb {
    fn create() -> Option<MysqlTestDb> {
        let admin_url = mysql_admin_url();
        let mut conn = match MysqlConnection::establish(&admin_url) {
            Ok(conn) => conn,
            Err(err) => {
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!(
                        "MariaDB/MySQL is required under CI=true but {admin_url} is unreachable: \
                         {err}. Start MariaDB or set ONAIR_TEST_MYSQL_URL."
                    );
                }
                eprintln!(
                    "SKIPPED (mysql backend): {admin_url} is unreachable ({err}); start MariaDB or \
                     set ONAIR_TEST_MYSQL_URL to run the MySQL half of this test"
                );
                return None;
            }
        };
        let name = format!("onair_test_{}", random_suffix());
        conn.batch_execute(&format!(
            "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        ))
        .unwrap_or_else(|e| panic!("cannot create test database {name} on {admin_url}: {e}"));
        Some(MysqlTestDb { admin_url, name })
    }

    fn url(&self) -> String {
        match self.admin_url.split_once('?') {
            Some((base, params)) => format!("{base}/{}?{params}", self.name),
            None => format!("{}/{}", self.admin_url, self.name),
        }
    }
}

impl Drop for MysqlTestDb {
    fn drop(&mut self) {
        let dropped = MysqlConnection::establish(&self.admin_url)
            .map_err(|e| e.to_string())
            .and_then(|mut c| {
                c.batch_execute(&format!("DROP DATABASE IF EXISTS `{}`", self.name))
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = dropped {
            eprintln!("warning: could not drop test database {}: {e}", self.name);
        }
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {} body is not the expected JSON ({e}): {}",
                self.status, self.body
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an error response in the API's shape and returns its message.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> String {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        assert!(
            self.header("content-type")
                .is_some_and(|c| c.starts_with("application/json")),
            "error responses are JSON; headers: {:?}",
            self.headers
        );
        let body: ErrorBody = self.json();
        assert_eq!(
            body.error.code, code,
            "unexpected code; message: {}",
            body.error.message
        );
        assert!(!body.error.message.is_empty());
        body.error.message
    }
}

pub struct TestServer {
    pub base: String,
    /// The configuration the server runs with (its JWT secret signs test tokens).
    pub config: ApiConfig,
    pub http: reqwest::Client,
    pub backend: Backend,
    handle: actix_web::dev::ServerHandle,
    db: TestDb,
}

impl TestServer {
    /// `None` when the backend is MySQL and it is unreachable outside CI.
    pub async fn start(backend: Backend, tweak: impl FnOnce(&mut ApiConfig)) -> Option<TestServer> {
        let _ = env_logger::builder().is_test(true).try_init();
        let (db, database) = TestDb::create(backend)?;
        let mut config = ApiConfig::dev(database);
        // A path that is never there, so tests see the "not built" page unless they set one.
        config.web_dist = PathBuf::from("/nonexistent/onair-web-dist");
        config.db_pool_size = 4;
        // Tests log in dozens of people from one address within seconds; the rate-limit tests
        // set their own limits.
        config.rate_limits = onair_api_server::config::RateLimits::generous();
        tweak(&mut config);
        let running = onair_api_server::start(config.clone()).expect("api-server starts");
        actix_web::rt::spawn(running.server);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        Some(TestServer {
            base: format!("http://{}", running.addr),
            config,
            http,
            backend,
            handle: running.handle,
            db,
        })
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request reaches the server");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.expect("response body");
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.http.get(self.url(path))).await
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> Reply {
        self.send(self.http.get(self.url(path)).bearer_auth(token))
            .await
    }

    pub async fn post_json(&self, path: &str, body: &Value, token: Option<&str>) -> Reply {
        let mut request = self.http.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        self.send(request).await
    }

    pub async fn put_json(&self, path: &str, body: &Value, token: Option<&str>) -> Reply {
        let mut request = self.http.put(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        self.send(request).await
    }

    pub async fn patch_json(&self, path: &str, body: &Value, token: Option<&str>) -> Reply {
        let mut request = self.http.patch(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        self.send(request).await
    }

    pub async fn put_auth(&self, path: &str, token: Option<&str>) -> Reply {
        let mut request = self.http.put(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        self.send(request).await
    }

    pub async fn delete_auth(&self, path: &str, token: Option<&str>) -> Reply {
        let mut request = self.http.delete(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        self.send(request).await
    }

    /// The service token the room-server would send.
    pub fn service_token(&self) -> String {
        self.config
            .service_token
            .as_ref()
            .expect("the test server has a service token")
            .expose()
            .to_owned()
    }

    /// `PUT` on `/internal/v1/...` with the service token, as the room-server sends it.
    pub async fn internal_put(&self, path: &str, body: &Value) -> Reply {
        let token = self.service_token();
        self.put_json(path, body, Some(&token)).await
    }

    /// Reports a closed ranked round with these `(scorer, value)` scores, the average computed
    /// as the room-server does; returns the reply.
    pub async fn report_round(
        &self,
        room: RoomId,
        round: u32,
        performer: UserId,
        scores: &[(UserId, u8)],
        closed_at_ms: i64,
    ) -> Reply {
        let sum: i64 = scores.iter().map(|(_, v)| i64::from(*v)).sum();
        let average = onair_shared::protocol::mean_two_decimals(sum, scores.len() as u32);
        let body = serde_json::json!({
            "performer": performer,
            "scores": scores.iter().map(|(u, v)| serde_json::json!({ "scorer": u, "value": v })).collect::<Vec<_>>(),
            "average": average,
            "closed_at": closed_at_ms,
        });
        self.internal_put(&format!("/internal/v1/rooms/{room}/rounds/{round}"), &body)
            .await
    }

    /// A login token signed with the server's secret, for any claims (admin, expired...).
    pub fn token(&self, user: UserId, name: &str, role: Role, iat: i64, exp: i64) -> String {
        let claims = onair_shared::auth::AccessClaims {
            kind: onair_shared::auth::TokenKind::Access,
            sub: user,
            name: name.to_owned(),
            role,
            iat,
            exp,
        };
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(self.config.jwt_secret.expose().as_bytes()),
        )
        .expect("sign")
    }

    /// Dev login; panics unless it succeeds.
    pub async fn login(&self, name: &str) -> LoginResponse {
        let reply = self
            .post_json(
                "/api/v1/auth/dev",
                &serde_json::json!({ "name": name }),
                None,
            )
            .await;
        assert_eq!(reply.status, 200, "dev login as {name:?}: {}", reply.body);
        reply.json()
    }

    /// Creates a room; panics unless it succeeds.
    pub async fn create_room(&self, token: &str, body: Value) -> RoomView {
        let reply = self.post_json("/api/v1/rooms", &body, Some(token)).await;
        assert_eq!(reply.status, 201, "create room {body}: {}", reply.body);
        reply.json()
    }

    /// A new connection to the server's database, for reading it directly.
    pub fn db(&self) -> DbConn {
        DbConnManager::new(self.config.database.clone())
            .connect()
            .expect("connect to the test database")
    }

    /// Panics unless every counter and sum the server keeps agrees with the rows it counts
    /// (`onair_api_server::seed::verify::check_invariants`).
    pub fn check_invariants(&self) {
        if let Err(e) = onair_api_server::seed::verify::check_invariants(&mut self.db()) {
            panic!("{e:#}");
        }
    }

    /// Runs SQL on the server's database directly, for states the API cannot produce yet
    /// (a banned user, an ended room).
    pub fn sql(&self, statements: &str) {
        let result = match &self.db {
            TestDb::Sqlite { path, .. } => SqliteConnection::establish(&path.to_string_lossy())
                .map_err(|e| e.to_string())
                .and_then(|mut c| {
                    c.batch_execute(&format!("PRAGMA busy_timeout = 5000; {statements}"))
                        .map_err(|e| e.to_string())
                }),
            TestDb::Mysql(db) => MysqlConnection::establish(&db.url())
                .map_err(|e| e.to_string())
                .and_then(|mut c| c.batch_execute(statements).map_err(|e| e.to_string())),
        };
        if let Err(e) = result {
            panic!("test SQL failed ({e}): {statements}");
        }
    }
}

pub fn now() -> i64 {
    onair_api_server::unix_now()
}

/// `token` with one character of its signature changed.
pub fn tamper(token: &str) -> String {
    let mut bytes = token.as_bytes().to_vec();
    let last = bytes.len() - 2;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

/// The MySQL/MariaDB server tests use (`ONAIR_TEST_MYSQL_URL` without a database).
pub fn mysql_admin_url() -> String {
    std::env::var("ONAIR_TEST_MYSQL_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_TEST_MYSQL_URL.to_owned())
        .trim()
        .trim_end_matches('/')
        .to_owned()
}

/// Like [`backend_test!`] for tests that start their own server(s): generates `name::sqlite`
/// and `name::mysql`, each calling `run(Backend)`.
#[macro_export]
macro_rules! backend_test_fn {
    ($name:ident, $run:path) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[actix_web::test]
            async fn sqlite() {
                $run($crate::common::Backend::Sqlite).await;
            }

            #[actix_web::test]
            async fn mysql() {
                $run($crate::common::Backend::Mysql).await;
            }
        }
    };
}
