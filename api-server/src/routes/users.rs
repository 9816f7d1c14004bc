use crate::auth::MaybeAuthUser;
use crate::db;
use crate::db::models::{Act, Follow, HistoryCursor, User};
use crate::error::ApiError;
use crate::routes::paging::{parse_limit, split_page};
use crate::AppState;
use actix_web::web;
use diesel::Connection;
use onair_shared::api::{Page, ScoreHistoryItem, UserProfile};
use onair_shared::UserId;
use serde::Deserialize;

/// `GET /users/{id}`: anyone may look; with a login token, `followed_by_me` is filled in.
pub async fn get_profile(
    state: web::Data<AppState>,
    viewer: MaybeAuthUser,
    path: web::Path<UserId>,
) -> Result<web::Json<UserProfile>, ApiError> {
    let id = path.into_inner();
    let viewer = viewer.0.map(|v| v.id);
    let profile = db::run(&state.pool, move |conn| {
        // One transaction: the rank is counted against the same state the row was read in.
        conn.transaction::<_, ApiError, _>(|conn| {
            let user = User::find(conn, id)?.ok_or(ApiError::UserNotFound)?;
            let followed_by_me = match viewer {
                Some(viewer) if viewer != id => Follow::exists(conn, viewer, id)?,
                _ => false,
            };
            Ok(UserProfile {
                id: user.user_id(),
                name: user.display_name.clone(),
                avatar_url: user.avatar_url.clone(),
                intro: user.intro.clone(),
                follower_count: user.followers(),
                following_count: user.following(),
                cumulative_score: user.cumulative_score(),
                rank: user.rank(conn)?,
                acts: user.acts(),
                followed_by_me,
                created_at: user.created_at,
            })
        })
    })
    .await?;
    Ok(web::Json(profile))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Items per page, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub before: Option<String>,
}

/// `GET /users/{id}/scores?limit=&before=`: ranked acts, newest first.
pub async fn score_history(
    state: web::Data<AppState>,
    path: web::Path<UserId>,
    query: web::Query<HistoryQuery>,
) -> Result<web::Json<Page<ScoreHistoryItem>>, ApiError> {
    let id = path.into_inner();
    let limit = parse_limit(query.limit.as_deref())?;
    let before = match query
        .before
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => Some(HistoryCursor::decode(s).ok_or(ApiError::InvalidCursor)?),
    };
    let rows = db::run(&state.pool, move |conn| {
        User::find(conn, id)?.ok_or(ApiError::UserNotFound)?;
        Ok(Act::history(conn, id, before, limit + 1)?)
    })
    .await?;
    let (rows, next) = split_page(rows, limit, |(act, _)| HistoryCursor {
        closed_at: act.closed_at,
        id: act.id,
    });
    let items = rows
        .into_iter()
        .map(|(act, room_title)| ScoreHistoryItem {
            room: act.room_id,
            room_title,
            round: act.round(),
            date: act.closed_at.div_euclid(1000),
            average: act.average(),
            count: u32::try_from(act.score_count).unwrap_or(0),
        })
        .collect();
    Ok(web::Json(Page {
        items,
        next_cursor: next.map(|c| c.encode()),
    }))
}
