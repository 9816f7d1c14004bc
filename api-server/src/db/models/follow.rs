use super::User;
use crate::db::schema::{follows, users};
use crate::db::{retry_deadlocks, DbConn};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use onair_shared::UserId;

/// `follower` follows `followee`. Unique per pair in the database; the id orders lists
/// (newest first) and is the keyset cursor.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = follows)]
pub struct Follow {
    pub id: i64,
    pub follower_id: UserId,
    pub followee_id: UserId,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, Insertable)]
#[diesel(table_name = follows)]
struct NewFollow {
    follower_id: UserId,
    followee_id: UserId,
    created_at: i64,
}

/// Which side of the relation a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowList {
    /// People who follow the user.
    Followers,
    /// People the user follows.
    Following,
}

impl Follow {
    /// Idempotent: `true` when a new follow was written, `false` when it already existed
    /// (including a concurrent duplicate, caught by the unique key). The two users' counters
    /// move in the same transaction.
    pub fn follow(
        conn: &mut DbConn,
        follower: UserId,
        followee: UserId,
        now: i64,
    ) -> QueryResult<bool> {
        if Self::exists(conn, follower, followee)? {
            return Ok(false);
        }
        let inserted = retry_deadlocks(|| {
            conn.transaction::<_, DieselError, _>(|conn| {
                // Counters first: see `count`.
                Self::count(conn, follower, followee, 1)?;
                diesel::insert_into(follows::table)
                    .values(NewFollow {
                        follower_id: follower,
                        followee_id: followee,
                        created_at: now,
                    })
                    .execute(conn)
            })
        });
        match inserted {
            Ok(_) => Ok(true),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Idempotent: `true` when a follow was removed; the counters move with it.
    pub fn unfollow(conn: &mut DbConn, follower: UserId, followee: UserId) -> QueryResult<bool> {
        if !Self::exists(conn, follower, followee)? {
            return Ok(false);
        }
        let removed = retry_deadlocks(|| {
            conn.transaction::<_, DieselError, _>(|conn| {
                Self::count(conn, follower, followee, -1)?;
                let removed = diesel::delete(
                    follows::table
                        .filter(follows::follower_id.eq(follower.0))
                        .filter(follows::followee_id.eq(followee.0)),
                )
                .execute(conn)?;
                if removed == 0 {
                    // A concurrent unfollow got there first: undo the counters.
                    return Err(DieselError::RollbackTransaction);
                }
                Ok(())
            })
        });
        match removed {
            Ok(()) => Ok(true),
            Err(DieselError::RollbackTransaction) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Adds `delta` to the follower's `following_count` and the followee's `follower_count`.
    ///
    /// One statement for both rows, run before the follow row is written or deleted: InnoDB
    /// locks the two rows in primary key order, so opposite follows (a→b and b→a) at once
    /// cannot deadlock, and the foreign key checks of the follow insert then find the rows
    /// already locked by this transaction (taking their shared locks first and upgrading
    /// would deadlock two users following the same person at once). On SQLite this first
    /// write takes the database's write lock.
    fn count(conn: &mut DbConn, follower: UserId, followee: UserId, delta: i64) -> QueryResult<()> {
        use diesel::sql_types::BigInt;
        let updated = diesel::sql_query(
            "UPDATE users SET \
             follower_count = follower_count + CASE WHEN id = ? THEN ? ELSE 0 END, \
             following_count = following_count + CASE WHEN id = ? THEN ? ELSE 0 END \
             WHERE id IN (?, ?)",
        )
        .bind::<BigInt, _>(followee.0)
        .bind::<BigInt, _>(delta)
        .bind::<BigInt, _>(follower.0)
        .bind::<BigInt, _>(delta)
        .bind::<BigInt, _>(follower.0)
        .bind::<BigInt, _>(followee.0)
        .execute(conn)?;
        if updated == 2 {
            Ok(())
        } else {
            // One of the users is gone; the insert's foreign key would fail anyway.
            Err(DieselError::NotFound)
        }
    }

    pub fn exists(conn: &mut DbConn, follower: UserId, followee: UserId) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            follows::table
                .filter(follows::follower_id.eq(follower.0))
                .filter(follows::followee_id.eq(followee.0)),
        ))
        .get_result(conn)
    }

    /// The user's follower count (kept in `users.follower_count`).
    pub fn follower_count(conn: &mut DbConn, user: UserId) -> QueryResult<u64> {
        let n: i64 = users::table
            .find(user.0)
            .select(users::follower_count)
            .first(conn)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// One page of a user's followers or followees, newest follow first, with each row's
    /// follow id (the cursor). Served by `follows_followee`/`follows_follower (…, id)`.
    pub fn list(
        conn: &mut DbConn,
        user: UserId,
        which: FollowList,
        before: Option<i64>,
        limit: i64,
    ) -> QueryResult<Vec<(i64, User)>> {
        // Keyset: ids below the cursor; `i64::MAX` when starting at the top.
        let before = before.unwrap_or(i64::MAX);
        match which {
            FollowList::Followers => follows::table
                .inner_join(users::table.on(users::id.eq(follows::follower_id)))
                .filter(follows::followee_id.eq(user.0))
                .filter(follows::id.lt(before))
                .select((follows::id, User::as_select()))
                .order(follows::id.desc())
                .limit(limit)
                .load(conn),
            FollowList::Following => follows::table
                .inner_join(users::table.on(users::id.eq(follows::followee_id)))
                .filter(follows::follower_id.eq(user.0))
                .filter(follows::id.lt(before))
                .select((follows::id, User::as_select()))
                .order(follows::id.desc())
                .limit(limit)
                .load(conn),
        }
    }
}
