//! The seeding tool behind `onair-seed`: fills an empty database with a realistic, consistent
//! data set (users, follows with a few celebrities, ranked rooms, acts and their scores) for
//! benchmarks, fast enough for a million users in minutes.
//!
//! Consistency is the same the server keeps: every user's `score_centi` and `acts_count` are
//! what their acts say, every act's average is the mean of its scores (rounded like the
//! room-server), scorers are other members of the room, and follows are unique, never of
//! oneself. [`verify`] checks all of it with SQL.

pub mod load;
pub mod plan;
pub mod verify;

use crate::config::Database;
use crate::db::models::ranking;
use crate::db::{DbConn, DbConnManager};
use anyhow::{bail, Context};
use diesel::connection::SimpleConnection;
use diesel::r2d2::ManageConnection;
use diesel::{Connection, MysqlConnection, RunQueryDsl};
use load::{quote, Loader};
use plan::{Plan, Shape};
use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub shape: Shape,
    /// Drop and recreate the database first (MySQL: `DROP DATABASE`; SQLite: delete the file).
    pub reset: bool,
    /// Rows per `INSERT` statement (MySQL; SQLite uses at most 500).
    pub batch: usize,
    /// Connections writing at once (MySQL; SQLite always uses one).
    pub jobs: usize,
    /// Check every invariant with SQL afterwards.
    pub verify: bool,
}

impl SeedOptions {
    pub fn new(users: u32) -> SeedOptions {
        SeedOptions {
            shape: Shape::new(users, 1, crate::unix_now()),
            reset: false,
            batch: 5_000,
            jobs: 2,
            verify: false,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct SeedReport {
    pub users: u64,
    pub ranked_users: u64,
    pub follows: u64,
    pub rooms: u64,
    pub acts: u64,
    pub act_scores: u64,
    /// `(user id, followers)` of the celebrities, most followed first.
    pub celebrities: Vec<(i64, u64)>,
    pub seconds: f64,
}

/// The server URL and database name of a `mysql://.../db?params` URL.
fn split_mysql_url(url: &str) -> anyhow::Result<(String, String)> {
    let rest = url.strip_prefix("mysql://").context("not a mysql:// URL")?;
    let (main, params) = match rest.split_once('?') {
        Some((m, p)) => (m, Some(p)),
        None => (rest, None),
    };
    let (server, name) = main.split_once('/').context("the URL names no database")?;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        bail!("database name {name:?}: use letters, digits and _ only");
    }
    let admin = match params {
        Some(p) => format!("mysql://{server}?{p}"),
        None => format!("mysql://{server}"),
    };
    Ok((admin, name.to_owned()))
}

/// Creates the database if needed (dropping it first with `reset`).
fn prepare_database(database: &Database, reset: bool) -> anyhow::Result<()> {
    match database {
        Database::Mysql(url) => {
            let (admin, name) = split_mysql_url(url)?;
            let mut conn = MysqlConnection::establish(&admin)
                .with_context(|| format!("connecting to the MySQL server of {name}"))?;
            if reset {
                tracing::info!("dropping database {name}");
                conn.batch_execute(&format!("DROP DATABASE IF EXISTS `{name}`"))?;
            }
            conn.batch_execute(&format!(
                "CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            ))?;
        }
        Database::Sqlite(path) => {
            if reset {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    match std::fs::remove_file(&p) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => {
                            return Err(e).with_context(|| format!("removing {p:?}"));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// `SELECT COUNT(*) AS n ...` or any query returning one BIGINT column `n`.
pub(crate) fn count(conn: &mut DbConn, sql: &str) -> anyhow::Result<i64> {
    let row: Count = diesel::sql_query(sql)
        .get_result(conn)
        .with_context(|| format!("running {sql}"))?;
    Ok(row.n)
}

/// Seeds `database`: creates and migrates it, refuses if it already holds users or rooms
/// (unless `reset`), writes the data set, and verifies it when asked.
pub fn run(database: &Database, options: &SeedOptions) -> anyhow::Result<SeedReport> {
    let started = Instant::now();
    prepare_database(database, options.reset)?;
    // The server's own pool opening runs the migrations.
    drop(crate::db::open(database, 1, Duration::from_secs(30))?);

    let manager = DbConnManager::new(database.clone());
    let jobs = if matches!(database, Database::Sqlite(_)) {
        1
    } else {
        options.jobs.max(1)
    };
    let mut conns = Vec::with_capacity(jobs);
    for _ in 0..jobs {
        let mut conn = manager.connect().context("connecting")?;
        if let DbConn::Mysql(c) = &mut conn {
            // The data is generated consistent (and `verify` checks it); without the checks the
            // secondary indexes can be dropped while the tables fill.
            c.batch_execute("SET SESSION foreign_key_checks = 0")?;
        }
        conns.push(conn);
    }
    let mut loader = Loader::new(conns, options.batch.max(1));
    for table in [
        "users",
        "rooms",
        "acts",
        "act_scores",
        "follows",
        "ranking_counts",
    ] {
        let n = count(loader.conn(), &format!("SELECT COUNT(*) AS n FROM {table}"))?;
        if n > 0 {
            bail!(
                "the database already holds data ({n} rows in {table}); pass --reset to drop and \
                 recreate it"
            );
        }
    }

    let generated = Instant::now();
    let plan = Plan::generate(options.shape.clone());
    tracing::info!(
        "generated in {:.1} s: {} users ({} ranked), {} follows, {} rooms, {} acts, {} scores",
        generated.elapsed().as_secs_f64(),
        plan.users.len(),
        plan.ranked_users(),
        plan.follows,
        plan.rooms.len(),
        plan.acts.len(),
        plan.scores.len()
    );
    let report = write_plan(&mut loader, &plan)?;
    if options.verify {
        verify::check(loader.conn())?;
    }
    Ok(SeedReport {
        seconds: started.elapsed().as_secs_f64(),
        ..report
    })
}

/// Checks an existing database (migrated first) with [`verify::check`].
pub fn verify_database(database: &Database) -> anyhow::Result<()> {
    drop(crate::db::open(database, 1, Duration::from_secs(30))?);
    let mut conn = DbConnManager::new(database.clone())
        .connect()
        .context("connecting")?;
    verify::check(&mut conn)
}

fn write_plan(loader: &mut Loader, plan: &Plan) -> anyhow::Result<SeedReport> {
    let seed = plan.shape.seed;
    let width = plan.shape.users.to_string().len().max(7);
    let users = loader.load(
        "users",
        "id, provider, provider_id, display_name, avatar_url, intro, role, banned, created_at, \
         score_centi, acts_count, follower_count, following_count",
        plan.users.len() as u64,
        |out| {
            for (i, u) in plan.users.iter().enumerate() {
                let id = i as u32 + 1;
                let score = u
                    .score_centi
                    .map_or_else(|| "NULL".to_owned(), |s| s.to_string());
                out.row(format_args!(
                    "{id},'dev','{}',{},NULL,{},'user',{},{},{score},{},{},{}",
                    plan::provider_id(id, width),
                    quote(&plan::display_name(seed, id)),
                    quote(plan::intro(seed, id)),
                    u8::from(u.banned),
                    u.created_at,
                    u.acts,
                    u.followers,
                    u.following
                ));
            }
        },
    )?;
    let rooms = loader.load(
        "rooms",
        "id, title, description, category, mode, host_id, member_limit, status, member_count, \
         created_at",
        plan.rooms.len() as u64,
        |out| {
            for (i, r) in plan.rooms.iter().enumerate() {
                out.row(format_args!(
                    "{},{},'',{},'rank',{},{},{},{},{}",
                    i + 1,
                    quote(&r.title),
                    quote(r.category.as_str()),
                    r.host,
                    r.member_limit,
                    quote(r.status),
                    r.member_count,
                    r.created_at
                ));
            }
        },
    )?;
    let acts = loader.load(
        "acts",
        "id, room_id, round_no, performer_id, average_centi, score_count, closed_at, recorded_at",
        plan.acts.len() as u64,
        |out| {
            for (i, a) in plan.acts.iter().enumerate() {
                let avg = a
                    .average_centi
                    .map_or_else(|| "NULL".to_owned(), |s| s.to_string());
                out.row(format_args!(
                    "{},{},{},{},{avg},{},{},{}",
                    i + 1,
                    a.room,
                    a.round,
                    a.performer,
                    a.score_count,
                    a.closed_at,
                    a.closed_at / 1000 + 1
                ));
            }
        },
    )?;
    let act_scores = loader.load(
        "act_scores",
        "act_id, scorer_id, value",
        plan.scores.len() as u64,
        |out| {
            for (i, a) in plan.acts.iter().enumerate() {
                let scores = &plan.scores[a.first_score..a.first_score + a.score_count as usize];
                for s in scores {
                    out.row(format_args!("{},{},{}", i + 1, s.scorer, s.value));
                }
            }
        },
    )?;
    let follows = loader.load(
        "follows",
        "id, follower_id, followee_id, created_at",
        plan.follows,
        |out| {
            let mut set = HashSet::new();
            let mut followees = Vec::new();
            let mut id = 0u64;
            for follower in 1..=plan.shape.users {
                plan.follows_of(follower, &mut set, &mut followees);
                for &followee in &followees {
                    id += 1;
                    out.row(format_args!(
                        "{id},{follower},{followee},{}",
                        plan.follow_created_at(id)
                    ));
                }
            }
        },
    )?;
    // The ranked users' score buckets, as `RankingCounts::moved` would have left them.
    let mut buckets: BTreeMap<(i32, i64), u64> = BTreeMap::new();
    for u in plan.users.iter().filter(|u| !u.banned) {
        if let Some(score) = u.score_centi {
            for level in 0..ranking::LEVELS {
                *buckets
                    .entry((level, ranking::bucket(score, level)))
                    .or_default() += 1;
            }
        }
    }
    loader.load(
        "ranking_counts",
        "lvl, bucket, n",
        buckets.len() as u64,
        |out| {
            for ((level, bucket), n) in &buckets {
                out.row(format_args!("{level},{bucket},{n}"));
            }
        },
    )?;
    let mut celebrities: Vec<(i64, u64)> = plan
        .celebrities
        .iter()
        .map(|(id, _)| {
            (
                i64::from(*id),
                u64::from(plan.users[(*id - 1) as usize].followers),
            )
        })
        .collect();
    celebrities.sort_by_key(|c| std::cmp::Reverse(c.1));
    Ok(SeedReport {
        users,
        ranked_users: plan.ranked_users() as u64,
        follows,
        rooms,
        acts,
        act_scores,
        celebrities,
        seconds: 0.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_urls() {
        assert_eq!(
            split_mysql_url("mysql://root@127.0.0.1:3306/onair_bench").unwrap(),
            (
                "mysql://root@127.0.0.1:3306".to_owned(),
                "onair_bench".to_owned()
            )
        );
        assert_eq!(
            split_mysql_url("mysql://u:p@h/db?ssl_mode=disabled").unwrap(),
            (
                "mysql://u:p@h?ssl_mode=disabled".to_owned(),
                "db".to_owned()
            )
        );
        assert!(split_mysql_url("mysql://h/").is_err());
        assert!(split_mysql_url("mysql://h/a;b").is_err());
    }
}
