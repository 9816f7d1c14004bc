use crate::auth::AuthUser;
use crate::db::{self, models::User};
use crate::error::ApiError;
use crate::AppState;
use actix_web::web;
use onair_shared::api::Me;

pub async fn get_me(state: web::Data<AppState>, auth: AuthUser) -> Result<web::Json<Me>, ApiError> {
    let user = db::run(&state.pool, move |conn| Ok(User::find(conn, auth.id)?)).await?;
    let user = user.ok_or(ApiError::Unauthorized(
        "this account no longer exists; sign in again",
    ))?;
    Ok(web::Json(user.to_me()))
}
