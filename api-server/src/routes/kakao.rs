//! Kakao login in the browser (OAuth 2.0 authorization code):
//!
//! 1. `GET /auth/kakao` → 302 to Kakao's consent page with `client_id`, `redirect_uri`,
//!    `response_type=code` and a signed, 10-minute `state`, also set as an HttpOnly
//!    `SameSite=Lax` cookie scoped to `/api/v1/auth/kakao`.
//! 2. Kakao → `GET /auth/kakao/callback?code&state` (or `?error=access_denied`). The state must
//!    verify and equal the cookie; the code is exchanged (form POST), the profile read, the
//!    account created or refreshed, and the browser sent to `/login/complete?code=<one-time
//!    code>` (60 s, single use, only its hash stored).
//! 3. The web UI posts that code to `POST /auth/exchange` and gets the login token in a JSON
//!    body. No long-lived token ever goes into a URL, a log line or the browser history.
//!
//! Every failure ends at `/login?error=<code>` with one of the stable codes in [`LoginError`].

use crate::auth::kakao::{self, KakaoError};
use crate::auth::oauth_state::{STATE_COOKIE, STATE_TTL_SECS};
use crate::db;
use crate::db::models::{LoginCode, NewUser, Provider, User};
use crate::error::ApiError;
use crate::http::for_log;
use crate::limits::Action;
use crate::routes::auth::{granted_role, login_user};
use crate::{unix_now, AppState};
use actix_web::http::header::{CACHE_CONTROL, COOKIE, LOCATION, SET_COOKIE};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

const COOKIE_PATH: &str = "/api/v1/auth/kakao";

/// Where a failed login lands: `/login?error=<code>`. The codes are part of the API.
pub use onair_shared::api::LoginErrorCode as LoginError;

/// `GET /auth/kakao`.
pub async fn start(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let Some(config) = &state.config.kakao else {
        return fail(LoginError::KakaoDisabled, false);
    };
    let secure = config.secure_cookie();
    if let Err(e) = state.limit_address(Action::Login, &req) {
        return actix_web::ResponseError::error_response(&e);
    }
    let issued = state.oauth_state.issue("kakao", unix_now());
    let target = issued
        .as_ref()
        .ok()
        .and_then(|st| kakao::authorize_url(config, st).ok());
    let (Ok(st), Some(target)) = (issued.as_ref(), target) else {
        tracing::error!("cannot build the Kakao authorize URL");
        return fail(LoginError::ServerError, secure);
    };
    HttpResponse::Found()
        .insert_header((LOCATION, target))
        .insert_header((SET_COOKIE, state_cookie(st, STATE_TTL_SECS, secure)))
        .insert_header((CACHE_CONTROL, "no-store"))
        .finish()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The authorization code from Kakao.
    pub code: Option<String>,
    /// The state this server sent to Kakao.
    pub state: Option<String>,
    /// Set by Kakao when the user declined.
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// `GET /auth/kakao/callback`.
pub async fn callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<CallbackQuery>,
) -> HttpResponse {
    let secure = state
        .config
        .kakao
        .as_ref()
        .is_some_and(|k| k.secure_cookie());
    match finish(&state, &req, query.into_inner()).await {
        Ok(code) => HttpResponse::Found()
            .insert_header((LOCATION, format!("/login/complete?code={code}")))
            .insert_header((SET_COOKIE, state_cookie("", 0, secure)))
            .insert_header((CACHE_CONTROL, "no-store"))
            .finish(),
        Err(error) => fail(error, secure),
    }
}

async fn finish(
    state: &AppState,
    req: &HttpRequest,
    query: CallbackQuery,
) -> Result<String, LoginError> {
    let config = state
        .config
        .kakao
        .as_ref()
        .ok_or(LoginError::KakaoDisabled)?;
    if let Some(error) = query.error.as_deref() {
        // Both come from the query string: anyone can put a newline in them.
        tracing::info!(
            "Kakao login not completed: {} ({})",
            for_log(error),
            for_log(query.error_description.as_deref().unwrap_or(""))
        );
        return Err(if error == "access_denied" {
            LoginError::AccessDenied
        } else {
            LoginError::KakaoError
        });
    }
    let sent = query.state.as_deref().unwrap_or("");
    let kept = cookie_value(req, STATE_COOKIE).unwrap_or_default();
    if sent.is_empty() || sent != kept || !state.oauth_state.verify(sent, "kakao") {
        tracing::info!(
            "Kakao callback with a bad state (missing, forged, expired or another browser's)"
        );
        return Err(LoginError::InvalidState);
    }
    let code = query
        .code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .ok_or(LoginError::InvalidRequest)?;

    let profile = async {
        let token = kakao::exchange_code(&state.http, config, code).await?;
        kakao::fetch_profile(&state.http, config, &token).await
    }
    .await
    .map_err(|e| match e {
        KakaoError::Rejected(why) => {
            tracing::warn!("Kakao refused the login: {}", for_log(&why));
            LoginError::KakaoRejected
        }
        KakaoError::Unavailable(why) => {
            tracing::warn!("Kakao unavailable during login: {}", for_log(&why));
            LoginError::KakaoUnavailable
        }
    })?;

    let role = granted_role(state, Provider::Kakao, &profile.id);
    let now = unix_now();
    let issued = db::run(&state.pool, move |conn| {
        let user = User::upsert_external(
            conn,
            &NewUser {
                avatar_url: profile.avatar_url.as_deref(),
                ..NewUser::new(Provider::Kakao, &profile.id, &profile.name, now)
            },
        )?;
        let user = login_user(conn, user, role)?;
        Ok(LoginCode::issue(conn, user.id, now)?)
    })
    .await;
    if issued.is_ok() {
        state.metrics.login(crate::metrics::LoginKind::Kakao);
    }
    issued.map_err(|e| match e {
        ApiError::Banned => LoginError::Banned,
        other => {
            tracing::error!("Kakao login failed on our side: {other} ({other:?})");
            LoginError::ServerError
        }
    })
}

fn fail(error: LoginError, secure: bool) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((LOCATION, format!("/login?error={}", error.as_str())))
        .insert_header((SET_COOKIE, state_cookie("", 0, secure)))
        .insert_header((CACHE_CONTROL, "no-store"))
        .finish()
}

/// The state cookie; `max_age` 0 deletes it.
fn state_cookie(value: &str, max_age: i64, secure: bool) -> String {
    format!(
        "{STATE_COOKIE}={value}; Path={COOKIE_PATH}; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    )
}

fn cookie_value(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(COOKIE)
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies() {
        assert_eq!(
            state_cookie("abc", 600, true),
            "onair_oauth_state=abc; Path=/api/v1/auth/kakao; Max-Age=600; HttpOnly; SameSite=Lax; Secure"
        );
        assert!(!state_cookie("", 0, false).contains("Secure"));
        let req = actix_web::test::TestRequest::default()
            .insert_header((COOKIE, "a=1; onair_oauth_state=x.y.z; b=2"))
            .to_http_request();
        assert_eq!(cookie_value(&req, STATE_COOKIE).as_deref(), Some("x.y.z"));
        assert_eq!(cookie_value(&req, "c"), None);
    }
}
