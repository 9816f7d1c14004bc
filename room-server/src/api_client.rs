//! The room-server's side of the internal link to the api-server (`/internal/v1`, with the
//! service token): reports go out through [`crate::reporter`]; rooms this instance does not
//! know are looked up before they open, and moderation events are polled
//! ([`crate::moderation`]).

use onair_shared::api::{ModerationFeed, RoomView};
use onair_shared::RoomId;
use std::time::Duration;

#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: String,
    token: String,
}

/// How a call to the api-server went.
pub enum Delivery {
    Done,
    /// The api-server refused it for good (a bug on one side, or a rule such as a closed
    /// room): retrying cannot help.
    Rejected(String),
    Retry(String),
}

impl ApiClient {
    pub fn new(url: &str, service_token: &str) -> ApiClient {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        ApiClient {
            http,
            base: url.trim_end_matches('/').to_owned(),
            token: service_token.to_owned(),
        }
    }

    /// `request_id`: the room's (see `TicketClaims::rid`), sent as `X-Request-Id` so the
    /// api-server logs the call under the show's id.
    pub async fn put<T: serde::Serialize>(
        &self,
        path: &str,
        request_id: Option<&str>,
        body: &T,
    ) -> Delivery {
        let mut request = self
            .http
            .put(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body);
        if let Some(id) = request_id {
            request = request.header(onair_telemetry::REQUEST_ID_HEADER, id);
        }
        let sent = request.send().await;
        match sent {
            Ok(r) if r.status().is_success() => Delivery::Done,
            Ok(r) if r.status().is_client_error() && r.status().as_u16() != 429 => {
                Delivery::Rejected(format!(
                    "{}: {}",
                    r.status(),
                    r.text().await.unwrap_or_default()
                ))
            }
            Ok(r) => Delivery::Retry(r.status().to_string()),
            Err(e) => Delivery::Retry(e.to_string()),
        }
    }

    /// The room as the api-server has it; `Ok(None)` when it does not exist.
    pub async fn room(&self, room: RoomId) -> Result<Option<RoomView>, String> {
        let resp = self
            .http
            .get(format!("{}/internal/v1/rooms/{room}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        match resp.status().as_u16() {
            404 => Ok(None),
            s if (200..300).contains(&s) => resp.json().await.map(Some).map_err(|e| e.to_string()),
            s => Err(format!("status {s}")),
        }
    }

    /// Moderation events after `after` (`None`: the last few minutes').
    pub async fn moderation(&self, after: Option<i64>) -> Result<ModerationFeed, String> {
        let mut url = format!("{}/internal/v1/moderation", self.base);
        if let Some(after) = after {
            url.push_str(&format!("?after={after}"));
        }
        let resp = self
            .http
            .get(url)
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !resp.status().is_success() {
            return Err(format!("status {}", resp.status()));
        }
        resp.json().await.map_err(|e| e.to_string())
    }
}
