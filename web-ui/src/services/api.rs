//! The api-server's endpoints, typed with `onair-shared`'s bodies.

use super::{get, post, request, ApiError};
use crate::pagination::query;
use gloo_net::http::Method;
use onair_shared::api::{
    ClientConfig, CreateRoomRequest, DevLoginRequest, ExchangeCodeRequest, FollowStatus,
    LoginResponse, Me, Page, RankingPage, RoomList, RoomView, ScoreHistoryItem, TicketResponse,
    UpdateMeRequest, UserProfile, UserSummary,
};
use onair_shared::room::{Category, Mode};
use onair_shared::{RoomId, UserId};

pub async fn config() -> Result<ClientConfig, ApiError> {
    get("/config").await
}

pub async fn dev_login(name: &str) -> Result<LoginResponse, ApiError> {
    post(
        "/auth/dev",
        &DevLoginRequest {
            name: name.to_owned(),
        },
    )
    .await
}

/// Trades the one-time code that ends the Kakao login (`/login/complete?code=...`).
pub async fn exchange_code(code: &str) -> Result<LoginResponse, ApiError> {
    post(
        "/auth/exchange",
        &ExchangeCodeRequest {
            code: code.to_owned(),
        },
    )
    .await
}

pub async fn me() -> Result<Me, ApiError> {
    get("/me").await
}

pub async fn update_me(req: &UpdateMeRequest) -> Result<Me, ApiError> {
    request(Method::PATCH, "/me", Some(req)).await
}

/// The lobby's filters; `None` (or an empty search) means any.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoomFilter {
    pub category: Option<Category>,
    pub mode: Option<Mode>,
    /// Words in the title.
    pub search: String,
}

impl RoomFilter {
    /// The query parameters (an absent one: any).
    pub fn params(&self) -> Vec<(&'static str, Option<String>)> {
        let search = self.search.trim();
        vec![
            ("category", self.category.map(|c| c.as_str().to_owned())),
            ("mode", self.mode.map(|m| m.as_str().to_owned())),
            ("q", (!search.is_empty()).then(|| search.to_owned())),
        ]
    }

    pub fn query(&self) -> String {
        query(&self.params())
    }
}

/// Rooms on one page of the lobby; "More rooms" fetches the next.
pub const LOBBY_PAGE: u32 = 24;

/// One page of the lobby, newest first: the first (`cursor: None`) or the one after `cursor`.
pub async fn rooms(filter: &RoomFilter, cursor: Option<&str>) -> Result<RoomList, ApiError> {
    let mut params = filter.params();
    params.push(("limit", Some(LOBBY_PAGE.to_string())));
    params.push(("cursor", cursor.map(str::to_owned)));
    get(&format!("/rooms{}", query(&params))).await
}

pub async fn room(id: RoomId) -> Result<RoomView, ApiError> {
    get(&format!("/rooms/{id}")).await
}

pub async fn create_room(req: &CreateRoomRequest) -> Result<RoomView, ApiError> {
    post("/rooms", req).await
}

/// The room's host closes it for good (the room-server tells everyone in it).
pub async fn close_room(id: RoomId) -> Result<RoomView, ApiError> {
    request::<_, ()>(Method::POST, &format!("/rooms/{id}/close"), None).await
}

pub async fn ticket(id: RoomId) -> Result<TicketResponse, ApiError> {
    request::<_, ()>(Method::POST, &format!("/rooms/{id}/ticket"), None).await
}

pub async fn profile(id: UserId) -> Result<UserProfile, ApiError> {
    get(&format!("/users/{id}")).await
}

/// Ranked acts, newest first.
pub async fn score_history(
    id: UserId,
    limit: u32,
    before: Option<String>,
) -> Result<Page<ScoreHistoryItem>, ApiError> {
    let q = query(&[("limit", Some(limit.to_string())), ("before", before)]);
    get(&format!("/users/{id}/scores{q}")).await
}

/// Which follow list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowList {
    Followers,
    Following,
}

impl FollowList {
    pub fn path(self) -> &'static str {
        match self {
            FollowList::Followers => "followers",
            FollowList::Following => "following",
        }
    }
}

pub async fn follow_list(
    id: UserId,
    which: FollowList,
    limit: u32,
    cursor: Option<String>,
) -> Result<Page<UserSummary>, ApiError> {
    let q = query(&[("limit", Some(limit.to_string())), ("cursor", cursor)]);
    get(&format!("/users/{id}/{}{q}", which.path())).await
}

/// Follows (`true`) or unfollows; idempotent either way.
pub async fn set_follow(id: UserId, follow: bool) -> Result<FollowStatus, ApiError> {
    let method = if follow { Method::PUT } else { Method::DELETE };
    request::<_, ()>(method, &format!("/users/{id}/follow"), None).await
}

pub async fn rankings(limit: u32, offset: u64) -> Result<RankingPage, ApiError> {
    let q = query(&[
        ("limit", Some(limit.to_string())),
        ("offset", Some(offset.to_string())),
    ]);
    get(&format!("/rankings{q}")).await
}

/// Where the Kakao sign-in starts (a full-page navigation, not a fetch).
pub const KAKAO_LOGIN_URL: &str = "/api/v1/auth/kakao";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_filters_become_query_strings() {
        assert_eq!(RoomFilter::default().query(), "");
        assert_eq!(
            RoomFilter {
                category: Some(Category::Singing),
                ..RoomFilter::default()
            }
            .query(),
            "?category=singing"
        );
        assert_eq!(
            RoomFilter {
                category: Some(Category::Magic),
                mode: Some(Mode::Rank),
                search: "  ".into(),
            }
            .query(),
            "?category=magic&mode=rank"
        );
        assert_eq!(
            RoomFilter {
                search: " 100% fun ".into(),
                ..RoomFilter::default()
            }
            .query(),
            "?q=100%25%20fun"
        );
    }
}
