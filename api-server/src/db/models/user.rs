use super::RankingCounts;
use crate::db::schema::users;
use crate::db::{retry_deadlocks, DbConn};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use onair_shared::api::{Me, UserSummary};
use onair_shared::auth::Role;
use onair_shared::UserId;

/// Scores are stored in hundredths so sums stay exact; this turns them into the 2-decimal
/// numbers the API shows.
pub fn centi_to_score(centi: i64) -> f64 {
    centi as f64 / 100.0
}

/// Where an account comes from; `(provider, provider_id)` identifies a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// Name-only login for local development (`ONAIR_DEV_MODE`).
    Dev,
    Kakao,
}

impl Provider {
    /// The ids `ONAIR_ADMIN_USERS` and the database use.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Dev => "dev",
            Provider::Kakao => "kakao",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub provider: String,
    pub provider_id: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub intro: String,
    pub role: Role,
    pub banned: bool,
    pub created_at: i64,
    /// Sum of ranked act averages in hundredths; `None` until a ranked act was scored.
    pub score_centi: Option<i64>,
    /// Ranked acts recorded, scored or not.
    pub acts_count: i32,
    /// Rows of `follows` with this user as followee, kept with them (see [`super::Follow`]).
    pub follower_count: i64,
    /// Rows of `follows` with this user as follower.
    pub following_count: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub provider: &'a str,
    pub provider_id: &'a str,
    pub display_name: &'a str,
    pub avatar_url: Option<&'a str>,
    pub created_at: i64,
}

impl<'a> NewUser<'a> {
    pub fn new(provider: Provider, provider_id: &'a str, display_name: &'a str, now: i64) -> Self {
        NewUser {
            provider: provider.as_str(),
            provider_id,
            display_name,
            avatar_url: None,
            created_at: now,
        }
    }
}

impl User {
    pub fn user_id(&self) -> UserId {
        self.id
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn to_me(&self) -> Me {
        Me {
            id: self.user_id(),
            name: self.display_name.clone(),
            avatar_url: self.avatar_url.clone(),
            intro: self.intro.clone(),
            role: self.role(),
        }
    }

    pub fn to_summary(&self) -> UserSummary {
        UserSummary {
            id: self.user_id(),
            name: self.display_name.clone(),
            avatar_url: self.avatar_url.clone(),
        }
    }

    pub fn cumulative_score(&self) -> f64 {
        centi_to_score(self.score_centi.unwrap_or(0))
    }

    /// In the ranking: scored at least once and not banned.
    pub fn is_ranked(&self) -> bool {
        self.score_centi.is_some() && !self.banned
    }

    pub fn acts(&self) -> u32 {
        u32::try_from(self.acts_count).unwrap_or(0)
    }

    pub fn followers(&self) -> u64 {
        u64::try_from(self.follower_count).unwrap_or(0)
    }

    pub fn following(&self) -> u64 {
        u64::try_from(self.following_count).unwrap_or(0)
    }

    pub fn find(conn: &mut DbConn, id: UserId) -> QueryResult<Option<User>> {
        users::table
            .find(id.0)
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    pub fn find_by_identity(
        conn: &mut DbConn,
        provider: Provider,
        provider_id: &str,
    ) -> QueryResult<Option<User>> {
        Self::find_identity(conn, provider.as_str(), provider_id)
    }

    fn find_identity(
        conn: &mut DbConn,
        provider: &str,
        provider_id: &str,
    ) -> QueryResult<Option<User>> {
        users::table
            .filter(users::provider.eq(provider))
            .filter(users::provider_id.eq(provider_id))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    /// The account for this identity, created on first login. An existing account keeps its
    /// stored name and avatar: the user may have edited them since.
    pub fn find_or_create(conn: &mut DbConn, new: &NewUser<'_>) -> QueryResult<User> {
        if let Some(user) = Self::find_identity(conn, new.provider, new.provider_id)? {
            return Ok(user);
        }
        match diesel::insert_into(users::table).values(new).execute(conn) {
            Ok(_) => {}
            // Two first logins raced; the other one created the row.
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {}
            Err(e) => return Err(e),
        }
        Self::find_identity(conn, new.provider, new.provider_id)?.ok_or(DieselError::NotFound)
    }

    /// Stores the role the configuration grants (`ONAIR_ADMIN_USERS` is applied at every
    /// login, so removing someone from it demotes them at their next login).
    pub fn sync_role(mut self, conn: &mut DbConn, role: Role) -> QueryResult<User> {
        if self.role != role {
            diesel::update(users::table.find(self.id))
                .set(users::role.eq(role))
                .execute(conn)?;
            self.role = role;
        }
        Ok(self)
    }

    /// A Kakao account: created on first login; name and avatar follow the Kakao profile at
    /// every login (OnAir has no editor for them, only for the intro).
    pub fn upsert_external(conn: &mut DbConn, new: &NewUser<'_>) -> QueryResult<User> {
        let user = Self::find_or_create(conn, new)?;
        if user.display_name == new.display_name && user.avatar_url.as_deref() == new.avatar_url {
            return Ok(user);
        }
        diesel::update(users::table.find(user.id))
            .set((
                users::display_name.eq(new.display_name),
                users::avatar_url.eq(new.avatar_url),
            ))
            .execute(conn)?;
        Self::find(conn, user.user_id())?.ok_or(DieselError::NotFound)
    }

    /// Locks the user's row until the transaction ends (a write that changes nothing: MySQL
    /// locks the row, SQLite takes the database's write lock), so decisions about this user
    /// (one open room, today's ranked acts) are taken one at a time.
    pub fn lock(conn: &mut DbConn, id: UserId) -> QueryResult<()> {
        diesel::update(users::table.find(id.0))
            .set(users::acts_count.eq(users::acts_count))
            .execute(conn)
            .map(|_| ())
    }

    /// Applies `ONAIR_ADMIN_USERS` to every account at start-up: the listed identities are
    /// admins, every other admin is demoted. Roles are read from the database on every
    /// request, so a demotion takes effect at once, not at the next login.
    pub fn sync_admins(conn: &mut DbConn, admins: &[(String, String)]) -> QueryResult<()> {
        conn.transaction(|conn| {
            diesel::update(users::table.filter(users::role.eq("admin")))
                .set(users::role.eq("user"))
                .execute(conn)?;
            for (provider, provider_id) in admins {
                diesel::update(
                    users::table
                        .filter(users::provider.eq(provider))
                        .filter(users::provider_id.eq(provider_id)),
                )
                .set(users::role.eq("admin"))
                .execute(conn)?;
            }
            Ok(())
        })
    }

    pub fn update_intro(conn: &mut DbConn, id: UserId, intro: &str) -> QueryResult<Option<User>> {
        diesel::update(users::table.find(id.0))
            .set(users::intro.eq(intro))
            .execute(conn)?;
        Self::find(conn, id)
    }

    /// Sets the ban flag; `None` when there is no such user. A banned user leaves the ranking
    /// (and an unbanned one returns) in the same transaction, and the room-servers are told
    /// (a moderation event, also in it).
    pub fn set_banned(
        conn: &mut DbConn,
        id: UserId,
        banned: bool,
        now: i64,
    ) -> QueryResult<Option<User>> {
        retry_deadlocks(|| {
            conn.transaction(|conn| {
                // The update comes first: it locks the row (MySQL) or the database (SQLite), so the
                // score read next cannot change before the counts are moved.
                let changed =
                    diesel::update(users::table.find(id.0).filter(users::banned.ne(banned)))
                        .set(users::banned.eq(banned))
                        .execute(conn)?;
                let user = Self::find(conn, id)?;
                if let (1, Some(score)) = (changed, user.as_ref().and_then(|u| u.score_centi)) {
                    if banned {
                        RankingCounts::moved(conn, Some(score), None)?;
                    } else {
                        RankingCounts::moved(conn, None, Some(score))?;
                    }
                }
                if changed == 1 {
                    super::ModerationEvent::banned(conn, id, banned, now)?;
                }
                Ok(user)
            })
        })
    }

    /// Which of these ids exist.
    pub fn existing_ids(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<i64>> {
        users::table
            .filter(users::id.eq_any(ids))
            .select(users::id)
            .load(conn)
    }

    // -----------------------------------------------------------------------------------------
    // The ranking.
    //
    // Ranked users are those with `banned = false AND score_centi IS NOT NULL`, in the order of
    // the index `users_ranking (banned, score_centi DESC, id)`. Ranks are competition ranks,
    // `1 + (ranked users with a higher score)`, so equal scores share a rank and the next one
    // skips (1, 1, 3). That count, the total, and where a deep offset starts come from
    // `ranking_counts` (see `ranking.rs`), never from counting users. Within a page only the
    // first row needs the count: the next row's rank is the previous one's when the score is
    // equal, else its 1-based position (everyone before it in the order has a higher score).
    // Callers read the page and the counts in one transaction, so they agree.
    // -----------------------------------------------------------------------------------------

    /// Competition rank of a score among ranked users.
    pub fn rank_of_score(conn: &mut DbConn, score_centi: i64) -> QueryResult<u64> {
        Ok(RankingCounts::above(conn, score_centi)? + 1)
    }

    /// The user's rank, or `None` when they are not in the ranking.
    pub fn rank(&self, conn: &mut DbConn) -> QueryResult<Option<u64>> {
        match self.score_centi {
            Some(score) if !self.banned => Self::rank_of_score(conn, score).map(Some),
            _ => Ok(None),
        }
    }

    pub fn ranked_total(conn: &mut DbConn) -> QueryResult<u64> {
        RankingCounts::total(conn)
    }

    /// The ids of `limit` ranked users, in ranking order, starting `skip` users into those with
    /// a score of at most `score`: a range scan of `users_ranking` that reads no rows.
    ///
    /// A statement prepared afresh each time, not diesel's cached one: MariaDB 10.11 re-executes
    /// a cached prepared statement of this shape, once the connection has read whole `users`
    /// rows in between (any profile does), as a scan from the top of the index that filters
    /// every entry above `score` (8 ms at offset 100,000 on a million users, growing with the
    /// offset) instead of a range starting at `score`.
    fn ranked_ids_from(
        conn: &mut DbConn,
        score: i64,
        skip: u64,
        limit: i64,
    ) -> QueryResult<Vec<i64>> {
        use diesel::sql_types::BigInt;
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let rows: Vec<Id> = diesel::sql_query(
            "SELECT id FROM users WHERE banned = FALSE AND score_centi IS NOT NULL \
             AND score_centi <= ? ORDER BY score_centi DESC, id ASC LIMIT ? OFFSET ?",
        )
        .bind::<BigInt, _>(score)
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(i64::try_from(skip).unwrap_or(i64::MAX))
        .load(conn)?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    /// One page of the ranking with each row's rank.
    ///
    /// The first page is the top of the index. A later one starts at the score `ranking_counts`
    /// finds at `offset`, skipping only the users who share that score and come before the
    /// offset; their ids are read from the index alone before the page's rows are fetched, so
    /// a large tie costs index entries, not row lookups.
    pub fn ranking_page(
        conn: &mut DbConn,
        limit: i64,
        offset: i64,
    ) -> QueryResult<Vec<(u64, User)>> {
        let offset = u64::try_from(offset).unwrap_or(0);
        let (rows, mut ahead): (Vec<User>, u64) = if offset == 0 {
            let top = users::table
                .filter(users::banned.eq(false))
                .filter(users::score_centi.is_not_null())
                .order((users::score_centi.desc(), users::id.asc()))
                .limit(limit)
                .select(User::as_select())
                .load(conn)?;
            (top, 0)
        } else {
            let Some((score, ahead)) = RankingCounts::at_offset(conn, offset)? else {
                return Ok(Vec::new());
            };
            let ids = Self::ranked_ids_from(conn, score, offset - ahead, limit)?;
            let mut rows: Vec<User> = users::table
                .filter(users::id.eq_any(&ids))
                .select(User::as_select())
                .load(conn)?;
            rows.sort_by_key(|u| ids.iter().position(|id| *id == u.id.0));
            (rows, ahead)
        };
        let mut ranked = Vec::with_capacity(rows.len());
        let mut previous: Option<(i64, u64)> = None;
        for (index, user) in rows.into_iter().enumerate() {
            let score = user.score_centi.unwrap_or(0);
            let rank = match previous {
                Some((prev_score, prev_rank)) if prev_score == score => prev_rank,
                Some(_) => offset + index as u64 + 1,
                // The first row has the score found at the offset (or the top score).
                None => {
                    ahead += 1;
                    ahead
                }
            };
            previous = Some((score, rank));
            ranked.push((rank, user));
        }
        Ok(ranked)
    }
}
