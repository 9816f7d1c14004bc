//! Database access: one connection type over MySQL/MariaDB and SQLite, an r2d2 pool, and the
//! embedded migrations. Queries live with their table in [`models`].

pub mod models;
pub mod schema;

use crate::config::Database;
use crate::error::ApiError;
use actix_web::web;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::{Connection, MysqlConnection, QueryResult, RunQueryDsl, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

/// A connection to whichever backend is configured. Queries are written once against this
/// type; the few backend-specific statements match on the variant.
///
/// MySQL comes first: the derived `establish` tries variants in order, and SQLite accepts any
/// string as a file name, so it must be the last resort.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Mysql(MysqlConnection),
    Sqlite(SqliteConnection),
}

pub type DbPool = r2d2::Pool<DbConnManager>;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
pub const MYSQL_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/mysql");

/// How long a request waits for a pooled connection by default (`ONAIR_DB_TIMEOUT_MS`). Short,
/// so a dead database answers 503 quickly instead of piling up requests.
pub const CONNECTION_TIMEOUT: Duration =
    Duration::from_millis(crate::config::DEFAULT_DB_TIMEOUT_MS);

/// Applied to every SQLite connection: the pragmas are per connection, not per file.
/// `busy_timeout` first, so the WAL switch waits for other connections instead of failing.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";

/// Opens connections for one configured backend.
///
/// Used instead of diesel's `ConnectionManager<DbConn>` because that one goes through the
/// derived `DbConn::establish`, which on a MySQL failure falls through to SQLite and reports
/// only "Invalid connection url for multiconnection"; an operator whose MySQL is down should
/// read MySQL's own error in the log.
#[derive(Debug, Clone)]
pub struct DbConnManager {
    database: Database,
}

impl DbConnManager {
    pub fn new(database: Database) -> DbConnManager {
        DbConnManager { database }
    }
}

impl ManageConnection for DbConnManager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        match &self.database {
            Database::Mysql(url) => MysqlConnection::establish(url)
                .map(DbConn::Mysql)
                .map_err(r2d2::Error::ConnectionError),
            Database::Sqlite(path) => {
                let path = path.to_string_lossy();
                let mut conn =
                    SqliteConnection::establish(&path).map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// Opens the pool (failing within `timeout` if the database is unreachable) and brings the
/// schema up to date.
///
/// The pool never holds more than `pool_size` connections; a request that finds none free
/// waits at most `timeout`, then fails with 503. Every checkout pings the connection, so
/// connections broken while the database was away are dropped and replaced, and the service
/// recovers by itself when the database returns.
pub fn open(database: &Database, pool_size: u32, timeout: Duration) -> anyhow::Result<DbPool> {
    open_observed(
        database,
        pool_size,
        timeout,
        Box::new(r2d2::NopEventHandler),
    )
}

/// [`open`], telling `events` what the pool does (the server counts checkout timeouts).
pub fn open_observed(
    database: &Database,
    pool_size: u32,
    timeout: Duration,
    events: Box<dyn r2d2::HandleEvent>,
) -> anyhow::Result<DbPool> {
    use anyhow::Context;
    if let Database::Sqlite(path) = database {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating the database directory {}", parent.display()))?;
        }
    }
    let pool = r2d2::Pool::builder()
        .max_size(pool_size)
        // Connections are opened on demand; only one is required to start.
        .min_idle(Some(1))
        .connection_timeout(timeout)
        .test_on_check_out(true)
        .event_handler(events)
        .build(DbConnManager::new(database.clone()))
        .with_context(|| format!("connecting to the {} database", database.backend_name()))?;
    let mut conn = pool.get().context("getting a connection for migrations")?;
    let applied = match &mut *conn {
        DbConn::Mysql(c) => c.run_pending_migrations(MYSQL_MIGRATIONS).map(|v| v.len()),
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
    }
    .map_err(|e| anyhow::anyhow!("running database migrations: {e}"))?;
    if applied > 0 {
        tracing::info!("applied {applied} database migration(s)");
    }
    drop(conn);
    Ok(pool)
}

/// Runs blocking diesel work on actix's blocking thread pool with a pooled connection.
pub async fn run<T, F>(pool: &DbPool, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    web::block(move || {
        let mut conn = pool.get().map_err(|e| {
            tracing::warn!("no database connection: {e}");
            ApiError::DatabaseUnavailable
        })?;
        f(&mut conn)
    })
    .await
    .map_err(|e| ApiError::internal(format!("database task failed: {e}")))?
}

/// Runs a write transaction again when the database chose it as a deadlock victim (InnoDB
/// rolls the whole transaction back and says so; diesel calls it `SerializationFailure`), at
/// most three times in all. The lock order of every write keeps deadlocks rare (see the models),
/// but gap locks of concurrent inserts into one index can still cross.
pub fn retry_deadlocks<T>(mut transaction: impl FnMut() -> QueryResult<T>) -> QueryResult<T> {
    use diesel::result::{DatabaseErrorKind, Error};
    let mut attempt = 1;
    loop {
        match transaction() {
            Err(Error::DatabaseError(DatabaseErrorKind::SerializationFailure, info))
                if attempt < 3 =>
            {
                tracing::warn!("deadlock, retrying the transaction: {}", info.message());
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// A trivial query: is the database answering?
pub fn ping(conn: &mut DbConn) -> QueryResult<()> {
    diesel::sql_query("SELECT 1").execute(conn).map(|_| ())
}

/// The id the last `INSERT` on this connection generated. Call it inside the same
/// transaction as the insert; MySQL has no `RETURNING`, so diesel cannot hand it back.
pub fn last_insert_id(conn: &mut DbConn) -> QueryResult<i64> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    match conn {
        // LAST_INSERT_ID() is unsigned; the cast keeps it a plain BIGINT.
        DbConn::Mysql(c) => {
            diesel::select(sql::<BigInt>("CAST(LAST_INSERT_ID() AS SIGNED)")).get_result(c)
        }
        DbConn::Sqlite(c) => diesel::select(sql::<BigInt>("last_insert_rowid()")).get_result(c),
    }
}
