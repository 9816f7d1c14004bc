//! Bans and room closings reach the room-servers within seconds: each instance polls the
//! api-server's moderation feed (`GET /internal/v1/moderation?after=<id>`) every
//! [`POLL_EVERY`]. Polling works the same in every run mode (one instance without Redis, or
//! many), and a missed poll loses nothing: the next one asks from the same cursor. On start an
//! instance reads the last few minutes, so bans issued while it was down still refuse the
//! tickets that are still valid.

use crate::api_client::ApiClient;
use crate::registry::Registry;
use std::time::Duration;

pub const POLL_EVERY: Duration = Duration::from_secs(1);

/// Starts polling on the current actix runtime.
pub fn spawn(api: ApiClient, registry: Registry) {
    actix::spawn(async move {
        let mut after: Option<i64> = None;
        let mut tick = tokio::time::interval(POLL_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match api.moderation(after).await {
                Ok(feed) => {
                    for event in feed.events {
                        tracing::info!("moderation event {}: {:?}", event.id, event.kind);
                        registry.moderate(event.kind);
                    }
                    after = Some(feed.next);
                }
                Err(e) => tracing::debug!("moderation feed unavailable: {e}"),
            }
        }
    });
}
