use super::RankingCounts;
use crate::db::schema::{act_scores, acts, rooms, users};
use crate::db::{last_insert_id, retry_deadlocks, DbConn};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use onair_shared::{RoomId, RoundId, UserId};

/// One ranked act: a closed scoring round of a `rank` room, recorded once per
/// `(room_id, round_no)`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = acts)]
pub struct Act {
    pub id: i64,
    pub room_id: RoomId,
    pub round_no: i32,
    pub performer_id: UserId,
    /// Mean score in hundredths; `None` when nobody scored.
    pub average_centi: Option<i32>,
    pub score_count: i32,
    /// Unix milliseconds.
    pub closed_at: i64,
    /// Unix seconds.
    pub recorded_at: i64,
    /// Whether it counts toward the ranking ([`CountRules`]); one that does not is kept (so a
    /// repeat is recognised) but adds nothing.
    pub counted: bool,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = acts)]
pub struct NewAct {
    pub room_id: RoomId,
    pub round_no: i32,
    pub performer_id: UserId,
    pub average_centi: Option<i32>,
    pub score_count: i32,
    pub closed_at: i64,
    pub recorded_at: i64,
    /// Decided by [`Act::record`].
    pub counted: bool,
}

/// When a ranked act counts toward the ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountRules {
    /// At most this many counted acts per performer in any 24 hours.
    pub per_day: u32,
    /// Scores count only from accounts at least this old (seconds).
    pub min_account_age_secs: i64,
    /// Now, unix seconds.
    pub now: i64,
}

impl CountRules {
    /// Counted acts need this many scores from accounts whose scores count.
    pub const MIN_SCORES: usize = 2;
    const DAY_MS: i64 = 24 * 3600 * 1000;

    /// Accounts created at or before this (unix seconds) have scores that count.
    pub fn account_cutoff(&self) -> i64 {
        self.now - self.min_account_age_secs
    }
}

#[derive(Debug, Clone, Copy, Insertable)]
#[diesel(table_name = act_scores)]
pub struct NewActScore {
    pub act_id: i64,
    pub scorer_id: UserId,
    pub value: i32,
}

/// What [`Act::record`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    /// First time: the act, its scores and the performer's cumulative score were written.
    New(Act),
    /// This `(room, round)` was already recorded; nothing changed. Holds the stored act.
    Repeat(Act),
}

/// Where a score history page starts: strictly older than this `(closed_at ms, act id)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryCursor {
    pub closed_at: i64,
    pub id: i64,
}

impl HistoryCursor {
    /// `"<closed_at ms>_<act id>"`; clients treat it as opaque.
    pub fn encode(&self) -> String {
        format!("{}_{}", self.closed_at, self.id)
    }

    pub fn decode(s: &str) -> Option<HistoryCursor> {
        let (at, id) = s.split_once('_')?;
        Some(HistoryCursor {
            closed_at: at.parse().ok()?,
            id: id.parse().ok().filter(|id: &i64| *id > 0)?,
        })
    }
}

/// The mean of scores in hundredths, rounding half up: exactly the room-server's
/// `mean_two_decimals`, so 200/3 is 6667.
pub fn mean_centi(values: &[u8]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let sum: i64 = values.iter().map(|v| i64::from(*v)).sum();
    let count = values.len() as i64;
    Some((sum * 200 + count) / (2 * count))
}

impl Act {
    pub fn round(&self) -> RoundId {
        RoundId(u32::try_from(self.round_no).unwrap_or(0))
    }

    pub fn average(&self) -> Option<f64> {
        self.average_centi
            .map(|c| super::user::centi_to_score(i64::from(c)))
    }

    pub fn find_by_round(conn: &mut DbConn, room: RoomId, round: i32) -> QueryResult<Option<Act>> {
        acts::table
            .filter(acts::room_id.eq(room.0))
            .filter(acts::round_no.eq(round))
            .select(Act::as_select())
            .first(conn)
            .optional()
    }

    /// Counted acts of the performer closed in the last 24 hours (before `now`).
    pub fn counted_today(
        conn: &mut DbConn,
        performer: UserId,
        rules: &CountRules,
    ) -> QueryResult<i64> {
        acts::table
            .filter(acts::performer_id.eq(performer.0))
            .filter(acts::counted.eq(true))
            .filter(acts::closed_at.gt(rules.now * 1000 - CountRules::DAY_MS))
            .count()
            .get_result(conn)
    }

    /// Records a ranked act exactly once. In one transaction: whether it counts (enough
    /// scores from accounts old enough, the performer under the daily limit), then for a
    /// counted act the performer's act count and cumulative score and their place in
    /// `ranking_counts`; the act row (unique by room and round) and its scores always.
    ///
    /// The performer's row is updated (locked) first, so two acts of one performer recorded at
    /// once are decided one after the other against the daily limit. On MySQL that locks it before anything reads it
    /// (and before the foreign key checks of the inserts take shared locks on it, which two
    /// concurrent acts of one performer would each hold while waiting to update it: a
    /// deadlock), so two acts of one performer recorded at once are applied one after the
    /// other and both count. On SQLite the first write takes the database's write lock. A
    /// concurrent duplicate then fails on the unique key and rolls back whole: it is a repeat.
    /// `ranking_counts` comes last, so no other user's row is waited for (a scorer's, by the
    /// foreign key checks) while holding the counts every ranked user shares.
    pub fn record(
        conn: &mut DbConn,
        new: &NewAct,
        scores: &[(UserId, u8)],
        rules: &CountRules,
    ) -> QueryResult<Recorded> {
        let rows: Vec<(i64, i32)> = scores
            .iter()
            .map(|(scorer, value)| (scorer.0, i32::from(*value)))
            .collect();
        let scorer_ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
        let inserted = retry_deadlocks(|| {
            conn.transaction::<Act, DieselError, _>(|conn| {
                let performer = users::table.find(new.performer_id);
                super::User::lock(conn, new.performer_id)?;
                let established: i64 = users::table
                    .filter(users::id.eq_any(&scorer_ids))
                    .filter(users::created_at.le(rules.account_cutoff()))
                    .count()
                    .get_result(conn)?;
                let today = Self::counted_today(conn, new.performer_id, rules)?;
                let counted = established as usize >= CountRules::MIN_SCORES
                    && today < i64::from(rules.per_day);
                let new = NewAct {
                    counted,
                    ..new.clone()
                };
                let mut moved = None;
                if counted {
                    diesel::update(performer)
                        .set(users::acts_count.eq(users::acts_count + 1))
                        .execute(conn)?;
                }
                if let Some(average) = new.average_centi.filter(|_| counted) {
                    let (old, banned): (Option<i64>, bool) = performer
                        .select((users::score_centi, users::banned))
                        .first(conn)?;
                    let score = old.unwrap_or(0) + i64::from(average);
                    diesel::update(performer)
                        .set(users::score_centi.eq(score))
                        .execute(conn)?;
                    if !banned {
                        moved = Some((old, score));
                    }
                }
                diesel::insert_into(acts::table)
                    .values(&new)
                    .execute(conn)?;
                let id = last_insert_id(conn)?;
                for (scorer_id, value) in &rows {
                    diesel::insert_into(act_scores::table)
                        .values(NewActScore {
                            act_id: id,
                            scorer_id: UserId(*scorer_id),
                            value: *value,
                        })
                        .execute(conn)?;
                }
                if let Some((old, score)) = moved {
                    RankingCounts::moved(conn, old, Some(score))?;
                }
                acts::table.find(id).select(Act::as_select()).first(conn)
            })
        });
        match inserted {
            Ok(act) => Ok(Recorded::New(act)),
            Err(err @ DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                // The act row exists (recorded before, or by a concurrent duplicate). If it does
                // not, the clash was elsewhere and the error stands.
                match Self::find_by_round(conn, new.room_id, new.round_no)? {
                    Some(existing) => Ok(Recorded::Repeat(existing)),
                    None => Err(err),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// A performer's acts with their room titles, newest first, starting after `before`.
    pub fn history(
        conn: &mut DbConn,
        performer: UserId,
        before: Option<HistoryCursor>,
        limit: i64,
    ) -> QueryResult<Vec<(Act, String)>> {
        let mut query = acts::table
            .inner_join(rooms::table)
            .filter(acts::performer_id.eq(performer.0))
            .filter(acts::counted.eq(true))
            .select((Act::as_select(), rooms::title))
            .order((acts::closed_at.desc(), acts::id.desc()))
            .limit(limit)
            .into_boxed();
        if let Some(c) = before {
            query = query.filter(
                acts::closed_at
                    .lt(c.closed_at)
                    .or(acts::closed_at.eq(c.closed_at).and(acts::id.lt(c.id))),
            );
        }
        query.load(conn)
    }

    /// The scores of one act, by scorer id.
    pub fn scores(conn: &mut DbConn, act: i64) -> QueryResult<Vec<(i64, i32)>> {
        act_scores::table
            .filter(act_scores::act_id.eq(act))
            .order(act_scores::scorer_id.asc())
            .select((act_scores::scorer_id, act_scores::value))
            .load(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_match_the_room_server() {
        assert_eq!(mean_centi(&[]), None);
        assert_eq!(mean_centi(&[100, 100, 0]), Some(6667));
        assert_eq!(mean_centi(&[1, 2]), Some(150));
        assert_eq!(mean_centi(&[0]), Some(0));
        // Half up: 1/8 = 0.125 -> 0.13.
        assert_eq!(mean_centi(&[1, 0, 0, 0, 0, 0, 0, 0]), Some(13));
        for (sum, values) in [(200i64, vec![100u8, 100, 0]), (7, vec![3, 4])] {
            let count = values.len() as u32;
            let shared = onair_shared::protocol::mean_two_decimals(sum, count).unwrap();
            assert_eq!(
                mean_centi(&values).unwrap(),
                (shared * 100.0).round() as i64
            );
        }
    }

    #[test]
    fn history_cursors() {
        let c = HistoryCursor {
            closed_at: 1_700_000_000_123,
            id: 42,
        };
        assert_eq!(HistoryCursor::decode(&c.encode()), Some(c));
        for bad in ["", "x", "1_", "_1", "1_0", "a_b", "1.5_2", "1_2_3"] {
            assert_eq!(HistoryCursor::decode(bad), None, "{bad}");
        }
    }
}
