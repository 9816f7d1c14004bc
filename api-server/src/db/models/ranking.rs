//! `ranking_counts`: how many ranked users have a score in each bucket, at [`LEVELS`]
//! granularities, so ranks, the ranking's total and deep offsets never count users.
//!
//! At level `l` a score's bucket is `score / 100^l` (level 0 is the exact score in hundredths).
//! The buckets of level `l` that share a level `l + 1` bucket are siblings, at most 99 of them
//! above any one. So the ranked users strictly ahead of a score are, summed over the levels,
//! the counts of the sibling buckets above the score's own bucket (every bucket above it at the
//! top level): a few hundred small rows on one primary key, however many users are ranked.
//!
//! A user is counted while ranked (`banned = false` and `score_centi` not null). Everything
//! that changes either goes through [`RankingCounts::moved`] in the same transaction:
//! recording a scored act ([`super::Act::record`]) and banning or unbanning
//! ([`super::User::set_banned`]). Scores are never negative (act averages are 0-100).

use crate::db::schema::ranking_counts;
use crate::db::DbConn;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use std::collections::BTreeMap;

/// Buckets per parent bucket.
pub const FANOUT: i64 = 100;
/// Levels 0 (exact score) to `LEVELS - 1` (the top, unbounded: scores of 1,000,000 points and
/// more share its bucket 1).
pub const LEVELS: i32 = 5;
const TOP: i32 = LEVELS - 1;

/// The bucket of `score` at `level`.
pub fn bucket(score: i64, level: i32) -> i64 {
    score.div_euclid(FANOUT.pow(level as u32))
}

/// Queries on `ranking_counts`.
pub struct RankingCounts;

impl RankingCounts {
    /// One user's place in the counts changes: out of `from` (their old score, `None` when they
    /// were not ranked), into `to`. Upserts the buckets that change, in key order, in one
    /// statement.
    pub fn moved(conn: &mut DbConn, from: Option<i64>, to: Option<i64>) -> QueryResult<()> {
        let mut deltas: BTreeMap<(i32, i64), i64> = BTreeMap::new();
        for level in 0..LEVELS {
            if let Some(score) = from {
                *deltas.entry((level, bucket(score, level))).or_default() -= 1;
            }
            if let Some(score) = to {
                *deltas.entry((level, bucket(score, level))).or_default() += 1;
            }
        }
        deltas.retain(|_, d| *d != 0);
        if deltas.is_empty() {
            return Ok(());
        }
        // Only integers are formatted into the statement.
        let values = deltas
            .iter()
            .map(|((level, bucket), delta)| format!("({level}, {bucket}, {delta})"))
            .collect::<Vec<_>>()
            .join(", ");
        let upsert = match conn {
            DbConn::Mysql(_) => "ON DUPLICATE KEY UPDATE n = n + VALUES(n)",
            DbConn::Sqlite(_) => "ON CONFLICT (lvl, bucket) DO UPDATE SET n = n + excluded.n",
        };
        diesel::sql_query(format!(
            "INSERT INTO ranking_counts (lvl, bucket, n) VALUES {values} {upsert}"
        ))
        .execute(conn)?;
        Ok(())
    }

    /// Ranked users with a score strictly above `score`.
    pub fn above(conn: &mut DbConn, score: i64) -> QueryResult<u64> {
        use ranking_counts::{lvl, table};
        let b = |l: i32| bucket(score, l);
        // Siblings above at each level below the top: buckets after the score's own, up to the
        // last child of its parent bucket.
        let siblings = |l: i32| {
            lvl.eq(l)
                .and(ranking_counts::bucket.gt(b(l)))
                .and(ranking_counts::bucket.le(b(l + 1) * FANOUT + FANOUT - 1))
        };
        let n_above: i64 = table
            .filter(lvl.eq(TOP).and(ranking_counts::bucket.gt(b(TOP))))
            .or_filter(siblings(3))
            .or_filter(siblings(2))
            .or_filter(siblings(1))
            .or_filter(siblings(0))
            .select(sql::<BigInt>("CAST(COALESCE(SUM(n), 0) AS SIGNED)"))
            .get_result(conn)?;
        Ok(u64::try_from(n_above).unwrap_or(0))
    }

    /// Ranked users in all.
    pub fn total(conn: &mut DbConn) -> QueryResult<u64> {
        let total: i64 = ranking_counts::table
            .filter(ranking_counts::lvl.eq(TOP))
            .select(sql::<BigInt>("CAST(COALESCE(SUM(n), 0) AS SIGNED)"))
            .get_result(conn)?;
        Ok(u64::try_from(total).unwrap_or(0))
    }

    /// The score of the ranked user at 0-based position `offset` of the ranking and how many
    /// users are strictly ahead of that score (so `offset - ahead` is the position inside the
    /// users sharing it); `None` past the end. Walks down from the top level, one query per
    /// level.
    pub fn at_offset(conn: &mut DbConn, offset: u64) -> QueryResult<Option<(i64, u64)>> {
        use ranking_counts::{lvl, n, table};
        let mut remaining = offset;
        let mut ahead = 0u64;
        let mut parent: Option<i64> = None;
        for level in (0..LEVELS).rev() {
            let mut query = table
                .filter(lvl.eq(level))
                .filter(n.gt(0))
                .select((ranking_counts::bucket, n))
                .order(ranking_counts::bucket.desc())
                .into_boxed();
            if let Some(p) = parent {
                query = query
                    .filter(ranking_counts::bucket.between(p * FANOUT, p * FANOUT + FANOUT - 1));
            }
            let rows: Vec<(i64, i64)> = query.load(conn)?;
            let mut found = None;
            for (b, count) in rows {
                let count = u64::try_from(count).unwrap_or(0);
                if remaining < count {
                    found = Some(b);
                    break;
                }
                remaining -= count;
                ahead += count;
            }
            match found {
                Some(b) => parent = Some(b),
                None => return Ok(None),
            }
        }
        Ok(parent.map(|score| (score, ahead)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets() {
        assert_eq!(bucket(123_456_789, 0), 123_456_789);
        assert_eq!(bucket(123_456_789, 1), 1_234_567);
        assert_eq!(bucket(123_456_789, 2), 12_345);
        assert_eq!(bucket(123_456_789, 4), 1);
        assert_eq!(bucket(0, 3), 0);
        assert_eq!(bucket(99, 1), 0);
        assert_eq!(bucket(100, 1), 1);
    }
}
