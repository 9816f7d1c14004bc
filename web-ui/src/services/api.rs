//! The api-server's endpoints, typed with `onair-shared`'s bodies.

use super::{get, post, request, ApiError};
use gloo_net::http::Method;
use onair_shared::api::{
    ClientConfig, CreateRoomRequest, DevLoginRequest, LoginResponse, Me, RoomList, RoomView,
    TicketResponse,
};
use onair_shared::RoomId;

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

pub async fn me() -> Result<Me, ApiError> {
    get("/me").await
}

pub async fn rooms() -> Result<RoomList, ApiError> {
    get("/rooms").await
}

pub async fn room(id: RoomId) -> Result<RoomView, ApiError> {
    get(&format!("/rooms/{id}")).await
}

pub async fn create_room(req: &CreateRoomRequest) -> Result<RoomView, ApiError> {
    post("/rooms", req).await
}

pub async fn ticket(id: RoomId) -> Result<TicketResponse, ApiError> {
    request::<_, ()>(Method::POST, &format!("/rooms/{id}/ticket"), None).await
}

/// Where the Kakao sign-in starts (a full-page navigation, not a fetch).
pub const KAKAO_LOGIN_URL: &str = "/api/v1/auth/kakao";
