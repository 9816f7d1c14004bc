//! The OAuth `state` parameter: a short-lived HS256 token that the callback must get back
//! unchanged, both in the query string and in an HttpOnly cookie set when the login started.
//! The signature proves this server issued it (no forged callbacks); the cookie binds it to
//! the browser that started the login (no login CSRF: an attacker cannot make a victim's
//! browser finish the attacker's login).
//!
//! It is signed with a key derived from the JWT secret under its own label, and it has no
//! `kind`, so it can never pass as a login token or a room ticket, nor they as a state.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// How long a started login may take (consent screen, Kakao's own login page).
pub const STATE_TTL_SECS: i64 = 600;
/// The cookie holding the state between `/auth/kakao` and its callback.
pub const STATE_COOKIE: &str = "onair_oauth_state";
const PURPOSE: &str = "oauth_state";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct StateClaims {
    purpose: String,
    provider: String,
    nonce: String,
    iat: i64,
    exp: i64,
}

#[derive(Clone)]
pub struct StateKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl StateKeys {
    pub fn new(jwt_secret: &[u8]) -> StateKeys {
        let mut key = jwt_secret.to_vec();
        key.extend_from_slice(b"\x00onair-oauth-state-v1");
        StateKeys {
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
        }
    }

    /// A fresh state for a login with `provider`.
    pub fn issue(&self, provider: &str, now: i64) -> Result<String, jsonwebtoken::errors::Error> {
        use rand::RngCore;
        let mut nonce = [0u8; 16];
        rand::rng().fill_bytes(&mut nonce);
        let claims = StateClaims {
            purpose: PURPOSE.to_owned(),
            provider: provider.to_owned(),
            nonce: nonce.iter().map(|b| format!("{b:02x}")).collect(),
            iat: now,
            exp: now + STATE_TTL_SECS,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// Whether `state` is one we issued for `provider` and has not expired.
    pub fn verify(&self, state: &str, provider: &str) -> bool {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = super::jwt::LEEWAY_SECS;
        validation.set_required_spec_claims(&["exp"]);
        jsonwebtoken::decode::<StateClaims>(state, &self.decoding, &validation)
            .is_ok_and(|data| data.claims.purpose == PURPOSE && data.claims.provider == provider)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"unit-test-secret-unit-test-secret-0123";

    #[test]
    fn states_verify_only_for_their_provider_and_until_they_expire() {
        let keys = StateKeys::new(SECRET);
        let now = crate::unix_now();
        let state = keys.issue("kakao", now).unwrap();
        assert!(keys.verify(&state, "kakao"));
        assert!(!keys.verify(&state, "google"));
        assert_ne!(
            keys.issue("kakao", now).unwrap(),
            state,
            "each one is unique"
        );

        let old = keys.issue("kakao", now - STATE_TTL_SECS - 60).unwrap();
        assert!(!keys.verify(&old, "kakao"));
        assert!(!StateKeys::new(b"another-secret-another-secret-another").verify(&state, "kakao"));
        assert!(!keys.verify("", "kakao"));
        assert!(!keys.verify("a.b.c", "kakao"));
    }

    #[test]
    fn a_login_token_is_not_a_state() {
        let jwt = crate::auth::JwtKeys::new(SECRET, 3600);
        let token = jwt
            .sign_access(&jwt.access_claims(
                onair_shared::UserId(1),
                "a",
                onair_shared::auth::Role::User,
                crate::unix_now(),
            ))
            .unwrap();
        assert!(!StateKeys::new(SECRET).verify(&token, "kakao"));
    }
}
