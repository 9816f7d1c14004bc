use crate::error::ApiError;
use crate::AppState;
use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use onair_shared::auth::Role;
use onair_shared::UserId;
use std::future::{ready, Ready};

/// The signed-in user, from `Authorization: Bearer <access token>`. Taking it as a handler
/// argument makes the route require login; a missing or bad token answers 401 before the
/// handler runs.
///
/// The token proves who is asking; what they may do comes from their current row (through a
/// cache of at most two seconds, [`super::current`]): a banned account is refused with 403
/// `banned` on every route, a demoted admin is a user at once, a deleted account is 401.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthUser {
    pub id: UserId,
    pub name: String,
    pub role: Role,
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<AuthUser, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await })
    }
}

/// The caller when a login token is sent, for routes where signing in is optional (a
/// profile shows `followed_by_me`). No `Authorization` header means anonymous; a header with
/// a bad or expired token is still 401, so a client learns its session is over. A banned
/// account is served as anonymous (no TURN credentials, no `followed_by_me`).
#[derive(Debug, Clone, PartialEq)]
pub struct MaybeAuthUser(pub Option<AuthUser>);

impl FromRequest for MaybeAuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<MaybeAuthUser, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if !req.headers().contains_key(AUTHORIZATION) {
                return Ok(MaybeAuthUser(None));
            }
            match authenticate(&req).await {
                Ok(user) => Ok(MaybeAuthUser(Some(user))),
                Err(ApiError::Banned) => Ok(MaybeAuthUser(None)),
                Err(e) => Err(e),
            }
        })
    }
}

/// A signed-in admin (the `admin` role in the database now, not in the token): 401 without a
/// valid token, 403 `forbidden` for anyone else.
#[derive(Debug, Clone, PartialEq)]
pub struct AdminUser(pub AuthUser);

impl FromRequest for AdminUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<AdminUser, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let user = authenticate(&req).await?;
            match user.role {
                Role::Admin => Ok(AdminUser(user)),
                Role::User => Err(ApiError::Forbidden("this needs an admin account")),
            }
        })
    }
}

/// The room-server, on `/internal/v1`: `Authorization: Bearer <ONAIR_SERVICE_TOKEN>`,
/// compared in constant time. 401 for a missing or wrong token; 503 `internal_disabled` when
/// no token is configured (dev mode only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceCaller;

impl FromRequest for ServiceCaller {
    type Error = ApiError;
    type Future = Ready<Result<ServiceCaller, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(check_service_token(req))
    }
}

fn check_service_token(req: &HttpRequest) -> Result<ServiceCaller, ApiError> {
    let state = app_state(req)?;
    let expected = state
        .config
        .service_token
        .as_ref()
        .ok_or(ApiError::InternalDisabled)?;
    let presented = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(bearer_token)
        .ok_or(ApiError::Unauthorized(
            "expected the header `Authorization: Bearer <service token>`",
        ))?;
    if tokens_equal(presented, expected.expose()) {
        Ok(ServiceCaller)
    } else {
        Err(ApiError::Unauthorized("wrong service token"))
    }
}

/// Constant-time equality that also hides the length: both sides are hashed to 32 bytes
/// first, then compared without early exit.
pub fn tokens_equal(a: &str, b: &str) -> bool {
    use aws_lc_rs::digest::{digest, SHA256};
    let a = digest(&SHA256, a.as_bytes());
    let b = digest(&SHA256, b.as_bytes());
    aws_lc_rs::constant_time::verify_slices_are_equal(a.as_ref(), b.as_ref()).is_ok()
}

fn app_state(req: &HttpRequest) -> Result<&web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("AppState is not registered"))
}

async fn authenticate(req: &HttpRequest) -> Result<AuthUser, ApiError> {
    let claims = verify_token(req)?;
    let state = app_state(req)?;
    let current = state
        .users
        .get(&state.pool, claims.sub)
        .await?
        .ok_or(ApiError::Unauthorized(
            "this account no longer exists; sign in again",
        ))?;
    if current.banned {
        return Err(ApiError::Banned);
    }
    Ok(AuthUser {
        id: claims.sub,
        name: current.name,
        role: current.role,
    })
}

/// The login token's claims: signature, expiry and kind.
fn verify_token(req: &HttpRequest) -> Result<onair_shared::auth::AccessClaims, ApiError> {
    let state = app_state(req)?;
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .ok_or(ApiError::Unauthorized("sign in required"))?;
    let token = header
        .to_str()
        .ok()
        .and_then(bearer_token)
        .ok_or(ApiError::Unauthorized(
            "expected the header `Authorization: Bearer <token>`",
        ))?;
    state.jwt.verify_access(token)
}

/// The token of a `Bearer` credential; the scheme name is case-insensitive (RFC 7235).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::{bearer_token, tokens_equal};

    #[test]
    fn token_comparison() {
        assert!(tokens_equal("abc", "abc"));
        assert!(!tokens_equal("abc", "abd"));
        assert!(!tokens_equal("abc", "abcd"));
        assert!(!tokens_equal("", "a"));
    }

    #[test]
    fn bearer_header_forms() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token(""), None);
    }
}
