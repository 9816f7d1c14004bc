use crate::db;
use crate::db::models::User;
use crate::error::ApiError;
use crate::routes::paging::parse_limit;
use crate::AppState;
use actix_web::web;
use diesel::Connection;
use onair_shared::api::{RankingEntry, RankingPage};
use serde::Deserialize;

/// Deep offsets walk the index that far; past this, the ranking is not browsable by page.
pub const MAX_RANKING_OFFSET: i64 = 100_000;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankingQuery {
    /// Rows per page, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// Rows to skip (default 0, at most 100000).
    #[param(value_type = Option<u32>, maximum = 100000)]
    pub offset: Option<String>,
}

/// `GET /rankings?limit=&offset=`: by cumulative ranked score, highest first; equal scores
/// share a rank and are listed oldest account first. How ranks are computed without scanning
/// the table: see the ranking section of `db::models::user`.
pub async fn rankings(
    state: web::Data<AppState>,
    query: web::Query<RankingQuery>,
) -> Result<web::Json<RankingPage>, ApiError> {
    let limit = parse_limit(query.limit.as_deref())?;
    let offset = match query
        .offset
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => 0,
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=MAX_RANKING_OFFSET).contains(n))
            .ok_or_else(|| {
                ApiError::Validation(format!(
                    "offset must be a number from 0 to {MAX_RANKING_OFFSET} (got {raw:?})"
                ))
            })?,
    };
    // One transaction, so the ranks, the rows and the total describe the same moment.
    let (rows, total) = db::run(&state.pool, move |conn| {
        Ok(conn.transaction::<_, diesel::result::Error, _>(|conn| {
            Ok((
                User::ranking_page(conn, limit, offset)?,
                User::ranked_total(conn)?,
            ))
        })?)
    })
    .await?;
    let items = rows
        .into_iter()
        .map(|(rank, user)| RankingEntry {
            rank,
            cumulative_score: user.cumulative_score(),
            acts: user.acts(),
            user: user.to_summary(),
        })
        .collect();
    Ok(web::Json(RankingPage { items, total }))
}
