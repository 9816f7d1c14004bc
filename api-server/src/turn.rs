//! Time-limited TURN credentials in coturn's REST-API scheme: the relay and the api-server share
//! a secret, so the relay checks a credential without asking anyone.
//!
//! `username = "<expiry unix seconds>:<user id>"`, `credential = base64(HMAC-SHA1(secret, username))`.
//! SHA-1 is what the scheme specifies; here it only authenticates a short-lived username.

use aws_lc_rs::hmac;
use base64::Engine;
use onair_shared::api::IceServer;
use onair_shared::UserId;

pub fn credentials(secret: &str, user: UserId, now: i64, ttl_secs: i64) -> (String, String) {
    let username = format!("{}:{}", now + ttl_secs, user.0);
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret.as_bytes());
    let tag = hmac::sign(&key, username.as_bytes());
    (
        username,
        base64::engine::general_purpose::STANDARD.encode(tag.as_ref()),
    )
}

pub fn ice_server(
    urls: &[String],
    secret: &str,
    user: UserId,
    now: i64,
    ttl_secs: i64,
) -> IceServer {
    let (username, credential) = credentials(secret, user, now, ttl_secs);
    IceServer {
        urls: urls.to_vec(),
        username: Some(username),
        credential: Some(credential),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_coturns_rest_api_scheme() {
        // Computed independently: base64(HMAC-SHA1(key, "1700000000:42")).
        let (user, cred) = credentials(
            "turn-secret-turn-secret-turn-secret!",
            UserId(42),
            1_699_996_400,
            3600,
        );
        assert_eq!(user, "1700000000:42");
        assert_eq!(cred, "vL5keBxAVyqgKt2hBCOJaOJ2GjA=");
    }
}
