use crate::db::schema::users;
use crate::db::DbConn;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use onair_shared::api::{Me, UserSummary};
use onair_shared::auth::Role;
use onair_shared::UserId;

/// Where an account comes from; `(provider, provider_id)` identifies a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// Name-only login for local development (`ONAIR_DEV_MODE`).
    Dev,
    Kakao,
}

impl Provider {
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
    pub id: i64,
    pub provider: String,
    pub provider_id: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub intro: String,
    pub role: String,
    pub banned: bool,
    pub created_at: i64,
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
        UserId(self.id)
    }

    /// An unknown stored role grants nothing.
    pub fn role(&self) -> Role {
        match self.role.as_str() {
            "admin" => Role::Admin,
            _ => Role::User,
        }
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
}
