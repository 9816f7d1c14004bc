//! Checks, with SQL over the whole database, the invariants the server keeps: users' scores
//! and act counts against their acts, acts' averages against their scores, follower and
//! following counts against the follows, `ranking_counts` against the ranked users, and
//! references (the seed writes MySQL with foreign key checks off).

use super::count;
use crate::db::models::ranking::{FANOUT, LEVELS};
use crate::db::DbConn;
use anyhow::bail;
use std::time::Instant;

/// Each query counts the rows that break one rule; all must be 0. `references` adds the checks
/// standing in for the foreign keys of a seeded database (which also expect the ids 1..N the
/// seed writes).
fn checks(conn: &DbConn, references: bool) -> Vec<(String, String)> {
    // Integer division: the mean in hundredths, half up, as `mean_centi` computes it.
    let div = match conn {
        DbConn::Mysql(_) => "DIV",
        DbConn::Sqlite(_) => "/",
    };
    let mut checks: Vec<(&str, String)> = vec![
        (
            "users' score_centi and acts_count are the sums of their acts",
            "SELECT COUNT(*) AS n FROM users u LEFT JOIN \
             (SELECT performer_id, COUNT(*) AS c, SUM(average_centi) AS s FROM acts WHERE counted GROUP BY performer_id) a \
             ON a.performer_id = u.id \
             WHERE u.acts_count <> COALESCE(a.c, 0) OR COALESCE(u.score_centi, -1) <> COALESCE(a.s, -1)"
                .to_owned(),
        ),
        (
            "acts' score_count and average_centi match their scores",
            format!(
                "SELECT COUNT(*) AS n FROM acts x LEFT JOIN \
                 (SELECT act_id, COUNT(*) AS c, SUM(value) AS s FROM act_scores GROUP BY act_id) v \
                 ON v.act_id = x.id \
                 WHERE x.score_count <> COALESCE(v.c, 0) \
                 OR COALESCE(x.average_centi, -1) <> COALESCE((v.s * 200 + v.c) {div} (2 * v.c), -1)"
            ),
        ),
        (
            "nobody scores their own act",
            "SELECT COUNT(*) AS n FROM act_scores s JOIN acts x ON x.id = s.act_id \
             WHERE s.scorer_id = x.performer_id"
                .to_owned(),
        ),
        (
            "users' follower_count is their rows in follows",
            "SELECT COUNT(*) AS n FROM users u LEFT JOIN \
             (SELECT followee_id, COUNT(*) AS c FROM follows GROUP BY followee_id) f \
             ON f.followee_id = u.id WHERE u.follower_count <> COALESCE(f.c, 0)"
                .to_owned(),
        ),
        (
            "users' following_count is their rows in follows",
            "SELECT COUNT(*) AS n FROM users u LEFT JOIN \
             (SELECT follower_id, COUNT(*) AS c FROM follows GROUP BY follower_id) f \
             ON f.follower_id = u.id WHERE u.following_count <> COALESCE(f.c, 0)"
                .to_owned(),
        ),
        (
            "no ranking count is negative",
            "SELECT COUNT(*) AS n FROM ranking_counts WHERE n < 0".to_owned(),
        ),
    ];
    if references {
        checks.extend(vec![
        (
            "user ids are 1..N without gaps",
            "SELECT COUNT(*) - COALESCE(MAX(id), 0) AS n FROM users".to_owned(),
        ),
        (
            "follows, acts, scores and rooms refer to existing users, rooms and acts",
            "SELECT \
             (SELECT COUNT(*) FROM follows WHERE follower_id NOT BETWEEN 1 AND (SELECT MAX(id) FROM users) \
                OR followee_id NOT BETWEEN 1 AND (SELECT MAX(id) FROM users)) + \
             (SELECT COUNT(*) FROM act_scores WHERE scorer_id NOT BETWEEN 1 AND (SELECT MAX(id) FROM users) \
                OR act_id NOT BETWEEN 1 AND (SELECT MAX(id) FROM acts)) + \
             (SELECT COUNT(*) FROM acts WHERE performer_id NOT BETWEEN 1 AND (SELECT MAX(id) FROM users) \
                OR room_id NOT BETWEEN 1 AND (SELECT MAX(id) FROM rooms)) + \
             (SELECT COUNT(*) FROM rooms WHERE host_id NOT BETWEEN 1 AND (SELECT MAX(id) FROM users)) + \
             (SELECT COUNT(*) FROM rooms) - (SELECT COALESCE(MAX(id), 0) FROM rooms) + \
             (SELECT COUNT(*) FROM acts) - (SELECT COALESCE(MAX(id), 0) FROM acts) AS n"
                .to_owned(),
        ),
        ]);
    }
    let mut checks: Vec<(String, String)> = checks
        .into_iter()
        .map(|(rule, sql)| (rule.to_owned(), sql))
        .collect();
    // Every level counts every ranked user once, in the bucket of their score: each group of
    // ranked users has its count, and (no count being negative) the level adds up to no more.
    let ranked = "FROM users WHERE banned = FALSE AND score_centi IS NOT NULL";
    for level in 0..LEVELS {
        let divisor = FANOUT.pow(level as u32);
        checks.push((
            format!("ranking_counts at level {level} match the ranked users' scores"),
            format!(
                "SELECT COUNT(*) AS n FROM \
                 (SELECT score_centi {div} {divisor} AS b, COUNT(*) AS c {ranked} GROUP BY score_centi {div} {divisor}) g \
                 LEFT JOIN ranking_counts r ON r.lvl = {level} AND r.bucket = g.b \
                 WHERE r.n IS NULL OR r.n <> g.c"
            ),
        ));
        checks.push((
            format!("ranking_counts at level {level} add up to the ranked users"),
            format!(
                "SELECT CAST((SELECT COALESCE(SUM(n), 0) FROM ranking_counts WHERE lvl = {level}) \
                 - (SELECT COUNT(*) {ranked}) AS SIGNED) AS n"
            ),
        ));
    }
    checks
}

/// Checks a seeded database: every invariant the server keeps, and references.
pub fn check(conn: &mut DbConn) -> anyhow::Result<()> {
    run(conn, true)
}

/// Checks the invariants the server keeps (sums, counters, `ranking_counts`) on any database.
pub fn check_invariants(conn: &mut DbConn) -> anyhow::Result<()> {
    run(conn, false)
}

/// Runs the checks; fails naming the broken ones.
fn run(conn: &mut DbConn, references: bool) -> anyhow::Result<()> {
    let mut broken = Vec::new();
    for (rule, sql) in checks(conn, references) {
        let started = Instant::now();
        let n = count(conn, &sql)?;
        tracing::info!(
            "verify: {rule}: {} ({:.1} s)",
            if n == 0 {
                "ok".to_owned()
            } else {
                format!("{n} rows break it")
            },
            started.elapsed().as_secs_f64()
        );
        if n != 0 {
            broken.push(format!("{rule} ({n} rows)"));
        }
    }
    if !broken.is_empty() {
        bail!("the data breaks: {}", broken.join("; "));
    }
    Ok(())
}
