//! Talking to the api-server: one request helper ([`request`]) that every call goes through,
//! the typed endpoints ([`api`]) and what the browser remembers ([`storage`]).

pub mod api;
pub mod storage;

use gloo_net::http::{Method, RequestBuilder};
use onair_shared::api::{ApiErrorCode, ErrorBody};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;

/// REST lives on the same origin as the page.
pub const API_BASE: &str = "/api/v1";

/// Any failed API call.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status; `0` when the server could not be reached at all.
    pub status: u16,
    /// The server's `error.code`; `Unknown` for failures on our side (no answer: `status` 0;
    /// an answer that is not an error body) and for codes newer than this build.
    pub code: ApiErrorCode,
    /// The server's `error.message`, fit to show a user.
    pub message: String,
    /// `rate_limited`: seconds before a retry can succeed.
    pub retry_after: Option<u64>,
    /// `room_already_open`: the caller's open room.
    pub room: Option<onair_shared::RoomId>,
}

impl ApiError {
    pub fn network(message: impl Into<String>) -> Self {
        ApiError {
            status: 0,
            code: ApiErrorCode::Unknown,
            message: message.into(),
            retry_after: None,
            room: None,
        }
    }

    pub fn is_network(&self) -> bool {
        self.status == 0
    }

    /// The login is over: expired or invalid (401), or the account was banned (403 `banned`).
    pub fn is_unauthorized(&self) -> bool {
        self.status == 401 || self.is_banned()
    }

    pub fn is_banned(&self) -> bool {
        self.code == ApiErrorCode::Banned
    }

    /// Worth retrying later: the server is unreachable, overloaded or failed.
    pub fn is_transient(&self) -> bool {
        self.status == 0 || self.status == 408 || self.status == 429 || self.status >= 500
    }

    /// Builds the error for a non-2xx response from its status and body text.
    pub fn from_response(status: u16, body: &str) -> Self {
        match serde_json::from_str::<ErrorBody>(body) {
            Ok(ErrorBody { error }) => ApiError {
                status,
                code: error.code,
                message: error.message,
                retry_after: error.retry_after,
                room: error.room,
            },
            Err(_) => ApiError {
                status,
                retry_after: None,
                room: None,
                code: ApiErrorCode::Unknown,
                message: if body.trim().is_empty() || body.len() > 300 {
                    format!("request failed with status {status}")
                } else {
                    body.trim().to_owned()
                },
            },
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The one way to call the api-server: adds `Authorization: Bearer <token>` when signed in,
/// sends `body` as JSON, decodes a 2xx body as `T`, and maps everything else to [`ApiError`].
/// A `401` clears the stored login, so the app falls back to the login page.
pub async fn request<T, B>(method: Method, path: &str, body: Option<&B>) -> Result<T, ApiError>
where
    T: DeserializeOwned,
    B: Serialize + ?Sized,
{
    let mut builder = RequestBuilder::new(&format!("{API_BASE}{path}"))
        .method(method)
        .header("Accept", "application/json");
    if let Some(token) = storage::token() {
        builder = builder.header("Authorization", &format!("Bearer {token}"));
    }
    let req = match body {
        Some(body) => builder.json(body),
        None => builder.build(),
    }
    .map_err(|e| ApiError::network(e.to_string()))?;

    let resp = req
        .send()
        .await
        .map_err(|e| ApiError::network(e.to_string()))?;
    let status = resp.status();
    let text = resp
        .text()
        .await
        .map_err(|e| ApiError::network(e.to_string()))?;
    if (200..300).contains(&status) {
        // An empty 2xx body decodes as `null`, so `T = ()` works for 204s.
        let text = if text.trim().is_empty() {
            "null"
        } else {
            text.as_str()
        };
        return serde_json::from_str(text).map_err(|e| ApiError {
            status,
            retry_after: None,
            room: None,
            code: ApiErrorCode::Unknown,
            message: format!("unexpected response from the server: {e}"),
        });
    }
    let err = ApiError::from_response(status, &text);
    if err.is_unauthorized() {
        storage::clear_session();
    }
    Err(err)
}

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    request::<T, ()>(Method::GET, path, None).await
}

pub async fn post<T: DeserializeOwned, B: Serialize + ?Sized>(
    path: &str,
    body: &B,
) -> Result<T, ApiError> {
    request(Method::POST, path, Some(body)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_decoded() {
        let e = ApiError::from_response(
            400,
            r#"{"error":{"code":"validation_failed","message":"name must not be empty"}}"#,
        );
        assert_eq!(e.status, 400);
        assert_eq!(e.code, ApiErrorCode::ValidationFailed);
        assert_eq!(e.message, "name must not be empty");
        assert!(!e.is_transient());
    }

    #[test]
    fn rate_limits_bans_and_open_rooms_carry_what_the_ui_needs() {
        let e = ApiError::from_response(
            429,
            r#"{"error":{"code":"rate_limited","message":"too many","retry_after":17}}"#,
        );
        assert_eq!((e.retry_after, e.is_transient()), (Some(17), true));
        let e = ApiError::from_response(
            409,
            r#"{"error":{"code":"room_already_open","message":"open","room":5}}"#,
        );
        assert_eq!(e.room, Some(onair_shared::RoomId(5)));
        let e = ApiError::from_response(403, r#"{"error":{"code":"banned","message":"x"}}"#);
        assert!(e.is_banned() && e.is_unauthorized(), "a ban ends the login");
    }

    #[test]
    fn other_bodies_become_readable_errors() {
        let e = ApiError::from_response(502, "");
        assert_eq!(e.message, "request failed with status 502");
        assert!(e.is_transient());
        let e = ApiError::from_response(401, "nope");
        assert!(e.is_unauthorized());
        assert_eq!(e.message, "nope");
        assert!(ApiError::network("x").is_network());
    }
}
