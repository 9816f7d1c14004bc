//! Test harness: starts the real api-server on a real socket, on SQLite or MariaDB/MySQL, and
//! talks to it over HTTP.
//!
//! `backend_test!(name, |srv| { ... })` generates `name::sqlite` and `name::mysql`, so every
//! test runs on both backends (`cargo test -p onair-api-server mysql` runs one side).
//!
//! Each test gets a database of its own from the test kit (`onair_testkit::db::TestDb`: a
//! fresh SQLite file, or a fresh `onair_test_<random>` MariaDB database dropped afterwards;
//! when MariaDB is unreachable the MySQL half skips, or fails in CI).

#![allow(dead_code)]

use diesel::r2d2::ManageConnection;
use onair_api_server::config::{ApiConfig, Database};
use onair_api_server::db::{DbConn, DbConnManager};
use onair_shared::api::{ErrorBody, LoginResponse, RoomView};
use onair_shared::auth::Role;
use onair_shared::{RoomId, UserId};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::path::PathBuf;

pub use onair_testkit::db::{mysql_admin_url, Backend, TestDb};
pub use onair_testkit::TempDir;

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

/// A database of its own for a test that runs no server (or runs it later); removed on drop.
pub struct ScratchDb {
    _db: TestDb,
    pub database: Database,
}

impl ScratchDb {
    /// `None` when the backend is MySQL and it is unreachable outside CI.
    pub fn create(backend: Backend) -> Option<ScratchDb> {
        let db = TestDb::create(backend)?;
        let database = database_of(&db);
        Some(ScratchDb { _db: db, database })
    }

    /// A new connection (no migrations run).
    pub fn conn(&self) -> DbConn {
        DbConnManager::new(self.database.clone())
            .connect()
            .expect("connect to the test database")
    }
}

/// The api-server's configuration for a test database.
fn database_of(db: &TestDb) -> Database {
    Database::parse(&db.url()).expect("a test database URL the api-server reads")
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
            body.error.code.as_str(),
            code,
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
        onair_telemetry::logs::init_for_tests();
        let db = TestDb::create(backend)?;
        let mut config = ApiConfig::dev(database_of(&db));
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
        if let Err(e) = self.db.execute(statements) {
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
