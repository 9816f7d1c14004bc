//! A database of its own for each test: a fresh SQLite file, or a fresh `onair_test_<random>`
//! database on MariaDB/MySQL, dropped afterwards (also when the test panics).
//!
//! MySQL: `ONAIR_TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306`, no database) must let
//! us create databases. When it is unreachable the test skips (fails in CI: see [`crate::ci`]).

use crate::temp::{random_suffix, TempDir};
use diesel::connection::SimpleConnection;
use diesel::{Connection, MysqlConnection, SqliteConnection};
use std::path::{Path, PathBuf};

pub const DEFAULT_TEST_MYSQL_URL: &str = "mysql://root@127.0.0.1:3306";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Mysql,
}

/// An empty database (nothing migrated); removed on drop.
pub struct TestDb {
    inner: Inner,
}

enum Inner {
    Sqlite { _dir: TempDir, path: PathBuf },
    Mysql { admin_url: String, name: String },
}

impl TestDb {
    /// `None` (skipped) when the backend is MySQL and it is unreachable outside CI.
    pub fn create(backend: Backend) -> Option<TestDb> {
        let inner = match backend {
            Backend::Sqlite => {
                let dir = TempDir::new("db");
                let path = dir.path().join("onair.db");
                Inner::Sqlite { _dir: dir, path }
            }
            Backend::Mysql => {
                let admin_url = mysql_admin_url();
                let mut conn = match MysqlConnection::establish(&admin_url) {
                    Ok(conn) => conn,
                    Err(err) => {
                        return crate::skip(format_args!(
                            "MariaDB/MySQL at {admin_url} is unreachable ({err}); start MariaDB \
                             or set ONAIR_TEST_MYSQL_URL"
                        ))
                    }
                };
                let name = format!("onair_test_{}", random_suffix());
                conn.batch_execute(&format!(
                    "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                ))
                .unwrap_or_else(|e| {
                    panic!("cannot create test database {name} on {admin_url}: {e}")
                });
                Inner::Mysql { admin_url, name }
            }
        };
        Some(TestDb { inner })
    }

    pub fn backend(&self) -> Backend {
        match self.inner {
            Inner::Sqlite { .. } => Backend::Sqlite,
            Inner::Mysql { .. } => Backend::Mysql,
        }
    }

    /// `sqlite://<path>` or `mysql://.../<database>`, as the servers' configuration reads it.
    pub fn url(&self) -> String {
        match &self.inner {
            Inner::Sqlite { path, .. } => format!("sqlite://{}", path.display()),
            Inner::Mysql { admin_url, name } => match admin_url.split_once('?') {
                Some((base, params)) => format!("{base}/{name}?{params}"),
                None => format!("{admin_url}/{name}"),
            },
        }
    }

    /// The SQLite file (`None` on MySQL).
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.inner {
            Inner::Sqlite { path, .. } => Some(path),
            Inner::Mysql { .. } => None,
        }
    }

    /// Runs SQL statements on a new connection, for states a test cannot reach through the
    /// API (waiting for SQLite's lock rather than failing when a server holds it).
    pub fn execute(&self, statements: &str) -> Result<(), String> {
        match &self.inner {
            Inner::Sqlite { path, .. } => SqliteConnection::establish(&path.to_string_lossy())
                .map_err(|e| e.to_string())
                .and_then(|mut c| {
                    c.batch_execute(&format!("PRAGMA busy_timeout = 5000; {statements}"))
                        .map_err(|e| e.to_string())
                }),
            Inner::Mysql { .. } => MysqlConnection::establish(&self.url())
                .map_err(|e| e.to_string())
                .and_then(|mut c| c.batch_execute(statements).map_err(|e| e.to_string())),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Inner::Mysql { admin_url, name } = &self.inner else {
            return; // the TempDir goes with it
        };
        let dropped = MysqlConnection::establish(admin_url)
            .map_err(|e| e.to_string())
            .and_then(|mut c| {
                c.batch_execute(&format!("DROP DATABASE IF EXISTS `{name}`"))
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = dropped {
            eprintln!("warning: could not drop test database {name}: {e}");
        }
    }
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
