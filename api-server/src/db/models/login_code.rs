use crate::db::schema::login_codes;
use crate::db::DbConn;
use diesel::prelude::*;
use onair_shared::UserId;

/// How long the code at the end of an OAuth login stays valid.
pub const LOGIN_CODE_TTL_SECS: i64 = 60;

/// A one-time code that ends an OAuth login: the browser lands on
/// `/login/complete?code=...` and trades it once for a login token (`POST /auth/exchange`),
/// so no long-lived token ever goes into a URL. Only a SHA-256 of the code is stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = login_codes)]
pub struct LoginCode {
    pub code_hash: String,
    pub user_id: UserId,
    pub expires_at: i64,
}

pub fn hash_code(code: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, code.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

impl LoginCode {
    /// Creates a code for `user`, valid for [`LOGIN_CODE_TTL_SECS`], and clears expired ones.
    pub fn issue(conn: &mut DbConn, user: UserId, now: i64) -> QueryResult<String> {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let code: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        diesel::delete(login_codes::table.filter(login_codes::expires_at.lt(now))).execute(conn)?;
        diesel::insert_into(login_codes::table)
            .values((
                login_codes::code_hash.eq(hash_code(&code)),
                login_codes::user_id.eq(user),
                login_codes::expires_at.eq(now + LOGIN_CODE_TTL_SECS),
            ))
            .execute(conn)?;
        Ok(code)
    }

    /// Uses a code up: the user id when the code exists and has not expired. The `DELETE`
    /// decides, so of two concurrent redeemers only one gets the user.
    pub fn redeem(conn: &mut DbConn, code: &str, now: i64) -> QueryResult<Option<UserId>> {
        let hash = hash_code(code);
        let Some(found) = login_codes::table
            .find(&hash)
            .select(LoginCode::as_select())
            .first(conn)
            .optional()?
        else {
            return Ok(None);
        };
        let deleted = diesel::delete(login_codes::table.find(&hash)).execute(conn)?;
        Ok((deleted == 1 && found.expires_at >= now).then_some(found.user_id))
    }
}
