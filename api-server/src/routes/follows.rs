use crate::auth::AuthUser;
use crate::db;
use crate::db::models::{Follow, FollowList, User};
use crate::error::ApiError;
use crate::routes::paging::{parse_id_cursor, parse_limit, split_page, PageQuery};
use crate::{unix_now, AppState};
use actix_web::web;
use onair_shared::api::{FollowStatus, Page, UserSummary};
use onair_shared::UserId;

/// `PUT /users/{id}/follow`: idempotent, 200 either way.
pub async fn follow(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<UserId>,
) -> Result<web::Json<FollowStatus>, ApiError> {
    set_follow(state, auth, path.into_inner(), true).await
}

/// `DELETE /users/{id}/follow`: idempotent, 200 either way.
pub async fn unfollow(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<UserId>,
) -> Result<web::Json<FollowStatus>, ApiError> {
    set_follow(state, auth, path.into_inner(), false).await
}

async fn set_follow(
    state: web::Data<AppState>,
    auth: AuthUser,
    target: UserId,
    following: bool,
) -> Result<web::Json<FollowStatus>, ApiError> {
    if target == auth.id {
        return Err(ApiError::CannotFollowSelf);
    }
    let now = unix_now();
    let status = db::run(&state.pool, move |conn| {
        User::find(conn, target)?.ok_or(ApiError::UserNotFound)?;
        // The follower row must exist too (a token outliving its account).
        User::find(conn, auth.id)?.ok_or(ApiError::Unauthorized(
            "this account no longer exists; sign in again",
        ))?;
        if following {
            Follow::follow(conn, auth.id, target, now)?;
        } else {
            Follow::unfollow(conn, auth.id, target)?;
        }
        Ok(FollowStatus {
            following,
            follower_count: Follow::follower_count(conn, target)?,
        })
    })
    .await?;
    Ok(web::Json(status))
}

pub async fn followers(
    state: web::Data<AppState>,
    path: web::Path<UserId>,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<UserSummary>>, ApiError> {
    list(
        state,
        path.into_inner(),
        query.into_inner(),
        FollowList::Followers,
    )
    .await
}

pub async fn following(
    state: web::Data<AppState>,
    path: web::Path<UserId>,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<UserSummary>>, ApiError> {
    list(
        state,
        path.into_inner(),
        query.into_inner(),
        FollowList::Following,
    )
    .await
}

/// Newest follow first; the cursor is the last row's follow id.
async fn list(
    state: web::Data<AppState>,
    user: UserId,
    query: PageQuery,
    which: FollowList,
) -> Result<web::Json<Page<UserSummary>>, ApiError> {
    let limit = parse_limit(query.limit.as_deref())?;
    let before = parse_id_cursor(query.cursor.as_deref())?;
    let rows = db::run(&state.pool, move |conn| {
        let rows = Follow::list(conn, user, which, before, limit + 1)?;
        // Rows mean the user exists (foreign key); only an empty page needs to ask.
        if rows.is_empty() {
            User::find(conn, user)?.ok_or(ApiError::UserNotFound)?;
        }
        Ok(rows)
    })
    .await?;
    let (rows, next) = split_page(rows, limit, |(follow_id, _)| *follow_id);
    Ok(web::Json(Page {
        items: rows.iter().map(|(_, u)| u.to_summary()).collect(),
        next_cursor: next.map(|id| id.to_string()),
    }))
}
