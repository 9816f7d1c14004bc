use crate::db::{self, models::NewUser, models::Provider, models::User};
use crate::error::ApiError;
use crate::{unix_now, AppState};
use actix_web::web;
use onair_shared::api::{DevLoginRequest, LoginResponse, DISPLAY_NAME_MAX_CHARS};

/// `POST /auth/dev`: sign in by name alone, for local development. The same name, in any
/// letter case, is the same account.
pub async fn dev_login(
    state: web::Data<AppState>,
    // Taken as a Result so that a disabled dev login answers 404 whatever the body is.
    body: Result<web::Json<DevLoginRequest>, actix_web::Error>,
) -> actix_web::Result<web::Json<LoginResponse>> {
    if !state.config.dev_mode {
        return Err(ApiError::DevLoginDisabled.into());
    }
    let name = validate_display_name(&body?.name)?;
    let provider_id = name.to_lowercase();
    let now = unix_now();
    let user = db::run(&state.pool, move |conn| {
        Ok(User::find_or_create(
            conn,
            &NewUser::new(Provider::Dev, &provider_id, &name, now),
        )?)
    })
    .await?;
    if user.banned {
        return Err(ApiError::Banned.into());
    }
    let claims = state
        .jwt
        .access_claims(user.user_id(), &user.display_name, user.role(), now);
    let token = state.jwt.sign_access(&claims)?;
    Ok(web::Json(LoginResponse {
        token,
        user: user.to_me(),
    }))
}

/// Trims a display name and checks it is 1 to 30 characters with no control characters.
pub fn validate_display_name(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    let chars = name.chars().count();
    if chars == 0 {
        return Err(ApiError::Validation("name must not be empty".into()));
    }
    if chars > DISPLAY_NAME_MAX_CHARS {
        return Err(ApiError::Validation(format!(
            "name must be at most {DISPLAY_NAME_MAX_CHARS} characters (got {chars})"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::Validation(
            "name must not contain control characters such as line breaks or tabs".into(),
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::validate_display_name;

    #[test]
    fn display_names() {
        assert_eq!(validate_display_name("  지수 ").unwrap(), "지수");
        assert!(validate_display_name(&"가".repeat(30)).is_ok());
        assert!(validate_display_name(&"가".repeat(31)).is_err());
        assert!(validate_display_name(" \t ").is_err());
        assert!(validate_display_name("a\nb").is_err());
        assert!(validate_display_name("a\u{0}b").is_err());
    }
}
