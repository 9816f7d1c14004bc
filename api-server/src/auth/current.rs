//! The signed-in user's current state, read from the database for every authenticated request
//! (through a cache of at most [`FRESH_FOR`]): a ban, an unban or a role change takes effect
//! on the next request, whatever the login token says. The token only proves who is asking.

use crate::db::{self, models::User, DbPool};
use crate::error::ApiError;
use onair_shared::auth::Role;
use onair_shared::UserId;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How stale a user's state may be on an instance that did not make the change (one that did
/// forgets it at once): an api-server behind a load balancer sees another's ban this late.
pub const FRESH_FOR: Duration = Duration::from_secs(2);
/// Entries kept at most; past this, expired ones are dropped (and all, if none is).
const MAX_ENTRIES: usize = 100_000;

/// What every request needs to know about its caller.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentUser {
    pub name: String,
    pub role: Role,
    pub banned: bool,
}

#[derive(Default)]
pub struct UserCache {
    entries: Mutex<HashMap<UserId, (Instant, Option<CurrentUser>)>>,
}

impl UserCache {
    /// The user's state (`None`: the account no longer exists), from the cache or the database.
    pub async fn get(&self, pool: &DbPool, id: UserId) -> Result<Option<CurrentUser>, ApiError> {
        if let Some((at, state)) = self.lock().get(&id) {
            if at.elapsed() < FRESH_FOR {
                return Ok(state.clone());
            }
        }
        let state = db::run(pool, move |conn| Ok(User::find(conn, id)?))
            .await?
            .map(|u| CurrentUser {
                name: u.display_name.clone(),
                role: u.role(),
                banned: u.banned,
            });
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (at, _)| at.elapsed() < FRESH_FOR);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(id, (Instant::now(), state.clone()));
        Ok(state)
    }

    /// This instance changed the user (ban, unban): read them afresh next time.
    pub fn forget(&self, id: UserId) {
        self.lock().remove(&id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, (Instant, Option<CurrentUser>)>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}
