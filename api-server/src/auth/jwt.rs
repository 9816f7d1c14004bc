//! HS256 tokens. Access tokens and room tickets share one secret (the room-server verifies
//! tickets with it), so every verification checks `kind` before trusting anything else.

use crate::error::ApiError;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use onair_shared::auth::{AccessClaims, Role, TicketClaims, TokenKind};
use onair_shared::UserId;

/// Room for clock differences between api-server instances, and nothing more: an expired
/// token must stop working promptly.
pub const LEEWAY_SECS: u64 = 5;

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    access_ttl_secs: i64,
}

impl JwtKeys {
    pub fn new(secret: &[u8], access_ttl_secs: i64) -> JwtKeys {
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            access_ttl_secs,
        }
    }

    pub fn access_claims(&self, user: UserId, name: &str, role: Role, now: i64) -> AccessClaims {
        AccessClaims {
            kind: TokenKind::Access,
            sub: user,
            name: name.to_owned(),
            role,
            iat: now,
            exp: now + self.access_ttl_secs,
        }
    }

    pub fn sign_access(&self, claims: &AccessClaims) -> Result<String, ApiError> {
        self.sign(claims)
    }

    pub fn sign_ticket(&self, claims: &TicketClaims) -> Result<String, ApiError> {
        self.sign(claims)
    }

    fn sign<T: serde::Serialize>(&self, claims: &T) -> Result<String, ApiError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("signing a token: {e}")))
    }

    /// Checks signature, expiry and kind; the error message tells the user what to do.
    pub fn verify_access(&self, token: &str) -> Result<AccessClaims, ApiError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        // Not "sub": ours is a number, which jsonwebtoken's check reads as absent. The claims
        // struct requires it anyway.
        validation.set_required_spec_claims(&["exp"]);
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => {
                    ApiError::Unauthorized("your session has expired; sign in again")
                }
                _ => ApiError::Unauthorized("invalid access token; sign in again"),
            })?;
        if data.claims.kind != TokenKind::Access {
            return Err(ApiError::Unauthorized("not an access token; sign in again"));
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use onair_shared::auth::TicketRoom;
    use onair_shared::room::{Category, Mode};
    use onair_shared::RoomId;

    const SECRET: &[u8] = b"unit-test-secret-unit-test-secret-0123";

    fn now() -> i64 {
        crate::unix_now()
    }

    #[test]
    fn access_token_round_trips() {
        let keys = JwtKeys::new(SECRET, 3600);
        let claims = keys.access_claims(UserId(7), "민수", Role::User, now());
        let token = keys.sign_access(&claims).unwrap();
        assert_eq!(keys.verify_access(&token).unwrap(), claims);
    }

    #[test]
    fn expired_tampered_foreign_and_ticket_tokens_are_refused() {
        let keys = JwtKeys::new(SECRET, 3600);
        let mut expired = keys.access_claims(UserId(1), "a", Role::User, now() - 7200);
        expired.exp = now() - 60;
        let err = keys
            .verify_access(&keys.sign_access(&expired).unwrap())
            .unwrap_err();
        assert!(err.to_string().contains("expired"), "{err}");

        let good = keys
            .sign_access(&keys.access_claims(UserId(1), "a", Role::User, now()))
            .unwrap();
        let mut tampered = good.clone().into_bytes();
        let mid = tampered.len() / 2;
        tampered[mid] = if tampered[mid] == b'A' { b'B' } else { b'A' };
        assert!(keys
            .verify_access(&String::from_utf8(tampered).unwrap())
            .is_err());

        let other = JwtKeys::new(b"another-secret-another-secret-another", 3600);
        assert!(other.verify_access(&good).is_err());

        let ticket = keys
            .sign_ticket(&TicketClaims {
                kind: TokenKind::Ticket,
                sub: UserId(1),
                name: "a".into(),
                room: TicketRoom {
                    id: RoomId(1),
                    title: "t".into(),
                    mode: Mode::Normal,
                    category: Category::Free,
                    host: UserId(1),
                    member_limit: 8,
                    created_at: 0,
                },
                ranked: None,
                jti: "t1".into(),
                iat: now(),
                exp: now() + 60,
                rid: None,
            })
            .unwrap();
        assert!(keys.verify_access(&ticket).is_err());
        assert!(keys.verify_access("").is_err());
        assert!(keys.verify_access("a.b.c").is_err());
    }

    #[test]
    fn a_token_claiming_another_kind_with_access_fields_is_refused() {
        let keys = JwtKeys::new(SECRET, 3600);
        let mut claims = keys.access_claims(UserId(1), "a", Role::Admin, now());
        claims.kind = TokenKind::Ticket;
        let token = keys.sign_access(&claims).unwrap();
        let err = keys.verify_access(&token).unwrap_err();
        assert!(err.to_string().contains("not an access token"), "{err}");
    }
}
