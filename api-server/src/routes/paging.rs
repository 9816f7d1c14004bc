//! Query parameters shared by paginated lists.

use crate::error::ApiError;
use onair_shared::api::{DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT};
use serde::Deserialize;

/// `?limit=&cursor=`: keyset pagination. Taken as strings so a bad value gets our message.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `limit` from 1 to [`MAX_PAGE_LIMIT`], default [`DEFAULT_PAGE_LIMIT`].
pub fn parse_limit(raw: Option<&str>) -> Result<i64, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(i64::from(DEFAULT_PAGE_LIMIT));
    };
    raw.parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_PAGE_LIMIT).contains(n))
        .map(i64::from)
        .ok_or_else(|| {
            ApiError::Validation(format!(
                "limit must be a number from 1 to {MAX_PAGE_LIMIT} (got {raw:?})"
            ))
        })
}

/// A cursor that is a positive row id; an empty value means the first page.
pub fn parse_id_cursor(raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or(ApiError::InvalidCursor),
    }
}

/// Fetch one row more than the page holds: if it comes back, there is a next page, and the
/// cursor is the key of the page's last row.
pub fn split_page<T, K>(
    mut rows: Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> K,
) -> (Vec<T>, Option<K>) {
    let limit = usize::try_from(limit).unwrap_or(0);
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(key);
        (rows, next)
    } else {
        (rows, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_cursors() {
        assert_eq!(parse_limit(None).unwrap(), 20);
        assert_eq!(parse_limit(Some("")).unwrap(), 20);
        assert_eq!(parse_limit(Some("1")).unwrap(), 1);
        assert_eq!(parse_limit(Some("100")).unwrap(), 100);
        for bad in ["0", "101", "-1", "ten", "1.5"] {
            assert_eq!(
                parse_limit(Some(bad)).unwrap_err().code(),
                onair_shared::api::ApiErrorCode::ValidationFailed
            );
        }
        assert_eq!(parse_id_cursor(None).unwrap(), None);
        assert_eq!(parse_id_cursor(Some("17")).unwrap(), Some(17));
        for bad in ["0", "-3", "abc", "1_2"] {
            assert_eq!(
                parse_id_cursor(Some(bad)).unwrap_err().code(),
                onair_shared::api::ApiErrorCode::InvalidCursor
            );
        }
        assert_eq!(split_page(vec![1, 2, 3], 3, |n| *n), (vec![1, 2, 3], None));
        assert_eq!(
            split_page(vec![1, 2, 3, 4], 3, |n| *n),
            (vec![1, 2, 3], Some(3))
        );
        assert_eq!(split_page(Vec::<i32>::new(), 3, |n| *n), (vec![], None));
    }
}
