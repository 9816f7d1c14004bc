use crate::auth::AuthUser;
use crate::db::{self, models::User};
use crate::error::ApiError;
use crate::AppState;
use actix_web::web;
use onair_shared::api::{Me, UpdateMeRequest, INTRO_MAX_CHARS};

pub async fn get_me(state: web::Data<AppState>, auth: AuthUser) -> Result<web::Json<Me>, ApiError> {
    let user = db::run(&state.pool, move |conn| Ok(User::find(conn, auth.id)?)).await?;
    let user = user.ok_or(ApiError::Unauthorized(
        "this account no longer exists; sign in again",
    ))?;
    Ok(web::Json(user.to_me()))
}

/// `PATCH /me`: the one-line intro.
pub async fn patch_me(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: web::Json<UpdateMeRequest>,
) -> Result<web::Json<Me>, ApiError> {
    let intro = validate_intro(&body.intro)?;
    let user = db::run(&state.pool, move |conn| {
        Ok(User::update_intro(conn, auth.id, &intro)?)
    })
    .await?
    .ok_or(ApiError::Unauthorized(
        "this account no longer exists; sign in again",
    ))?;
    Ok(web::Json(user.to_me()))
}

/// Trims the intro; at most [`INTRO_MAX_CHARS`] characters, one line, no control characters.
/// Empty clears it.
pub fn validate_intro(raw: &str) -> Result<String, ApiError> {
    let intro = raw.trim();
    let chars = intro.chars().count();
    if chars > INTRO_MAX_CHARS {
        return Err(ApiError::Validation(format!(
            "intro must be at most {INTRO_MAX_CHARS} characters (got {chars})"
        )));
    }
    if intro.chars().any(char::is_control) {
        return Err(ApiError::Validation(
            "intro must be one line without control characters such as line breaks or tabs".into(),
        ));
    }
    Ok(intro.to_owned())
}

#[cfg(test)]
mod tests {
    use super::validate_intro;

    #[test]
    fn intros() {
        assert_eq!(validate_intro("  노래 좋아해요 ").unwrap(), "노래 좋아해요");
        assert_eq!(validate_intro("   ").unwrap(), "");
        assert!(validate_intro(&"가".repeat(150)).is_ok());
        assert!(validate_intro(&format!(" {} ", "가".repeat(150))).is_ok());
        assert!(validate_intro(&"가".repeat(151)).is_err());
        assert!(validate_intro("a\nb").is_err());
        assert!(validate_intro("a\u{7}b").is_err());
        assert!(validate_intro("🎤🎶").is_ok());
    }
}
