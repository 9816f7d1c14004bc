use crate::db::models::{LoginCode, NewUser, Provider, User};
use crate::db::{self, DbConn};
use crate::error::ApiError;
use crate::limits::Action;
use crate::metrics::LoginKind;
use crate::{unix_now, AppState};
use actix_web::{web, HttpRequest};
use onair_shared::api::{DevLoginRequest, ExchangeCodeRequest, LoginResponse};
use onair_shared::auth::Role;

/// `POST /auth/dev`: sign in by name alone, for local development. The same name, in any
/// letter case, is the same account.
pub async fn dev_login(
    state: web::Data<AppState>,
    req: HttpRequest,
    // Taken as a Result so that a disabled dev login answers 404 whatever the body is.
    body: Result<web::Json<DevLoginRequest>, actix_web::Error>,
) -> actix_web::Result<web::Json<LoginResponse>> {
    if !state.config.dev_mode {
        return Err(ApiError::DevLoginDisabled.into());
    }
    state.limit_address(Action::Login, &req)?;
    let name = validate_display_name(&body?.name)?;
    let provider_id = name.to_lowercase();
    state.limits.check_account(Action::Login, &provider_id)?;
    let now = unix_now();
    let role = granted_role(&state, Provider::Dev, &provider_id);
    let user = db::run(&state.pool, move |conn| {
        let user =
            User::find_or_create(conn, &NewUser::new(Provider::Dev, &provider_id, &name, now))?;
        login_user(conn, user, role)
    })
    .await?;
    state.metrics.login(LoginKind::Dev);
    Ok(web::Json(login_response(&state, &user, now)?))
}

/// The role `ONAIR_ADMIN_USERS` grants this identity.
pub fn granted_role(state: &AppState, provider: Provider, provider_id: &str) -> Role {
    if state.config.is_admin(provider.as_str(), provider_id) {
        Role::Admin
    } else {
        Role::User
    }
}

/// The checks and updates every login goes through, whatever the provider: a banned account
/// is refused, and the configured role is stored.
pub fn login_user(conn: &mut DbConn, user: User, role: Role) -> Result<User, ApiError> {
    if user.banned {
        return Err(ApiError::Banned);
    }
    Ok(user.sync_role(conn, role)?)
}

pub fn login_response(state: &AppState, user: &User, now: i64) -> Result<LoginResponse, ApiError> {
    let claims = state
        .jwt
        .access_claims(user.user_id(), &user.display_name, user.role(), now);
    Ok(LoginResponse {
        token: state.jwt.sign_access(&claims)?,
        user: user.to_me(),
    })
}

/// `POST /auth/exchange`: the web UI trades the one-time code from
/// `/login/complete?code=...` for a login token. A code works once, for 60 seconds.
pub async fn exchange(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<ExchangeCodeRequest>,
) -> Result<web::Json<LoginResponse>, ApiError> {
    state.limit_address(Action::Login, &req)?;
    let code = body.into_inner().code.trim().to_owned();
    // Ours are 64 hex characters; anything else cannot match, so skip the database.
    if code.is_empty() || code.len() > 128 {
        return Err(ApiError::InvalidLoginCode);
    }
    let now = unix_now();
    let user = db::run(&state.pool, move |conn| {
        let user_id = LoginCode::redeem(conn, &code, now)?.ok_or(ApiError::InvalidLoginCode)?;
        let user = User::find(conn, user_id)?.ok_or(ApiError::InvalidLoginCode)?;
        // Banned between the callback and now.
        if user.banned {
            return Err(ApiError::Banned);
        }
        Ok(user)
    })
    .await?;
    Ok(web::Json(login_response(&state, &user, now)?))
}

/// A display name as the web app's form checks it ([`onair_shared::text`]): control, bidi and
/// zero-width characters removed, trimmed, then 1 to 30 characters.
pub fn validate_display_name(raw: &str) -> Result<String, ApiError> {
    onair_shared::text::validate_display_name(raw)
        .map_err(|e| ApiError::Validation(e.message().into()))
}
