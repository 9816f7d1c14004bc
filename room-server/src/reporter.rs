//! Sends what the api-server must know to it over internal HTTP, authorised by the service
//! token: ranked rounds (each exactly once, retried until the api-server takes it) and room
//! status with member counts (latest value wins, sent at most once a second per room).
//!
//! Each call carries the room's request id (`X-Request-Id`: the ticket's that opened the room),
//! so the api-server logs it under the same id as the show.

use crate::api_client::{ApiClient, Delivery};
use crate::metrics::Metrics;
use crate::rules::RankedRound;
use onair_shared::api::RoomStatusReport;
use onair_shared::RoomId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

#[derive(Clone)]
pub struct Reporter {
    inner: Option<Inner>,
}

/// The request id a room's reports are sent under.
type RequestId = Option<String>;

type Statuses = Arc<Mutex<HashMap<RoomId, (RequestId, RoomStatusReport)>>>;

#[derive(Clone)]
struct Inner {
    rounds: mpsc::UnboundedSender<(RoomId, RequestId, RankedRound)>,
    statuses: Statuses,
}

impl Reporter {
    /// No api-server configured: nothing is sent (ranked acts are logged and lost).
    pub fn disabled() -> Reporter {
        Reporter { inner: None }
    }

    /// Starts the sending tasks on the current actix/tokio runtime.
    pub fn spawn(api: ApiClient, metrics: Arc<Metrics>) -> Reporter {
        let (tx, rx) = mpsc::unbounded_channel();
        let statuses: Statuses = Arc::default();
        actix::spawn(deliver_rounds(api.clone(), rx, metrics));
        actix::spawn(flush_statuses(api, statuses.clone()));
        Reporter {
            inner: Some(Inner {
                rounds: tx,
                statuses,
            }),
        }
    }

    pub fn record(&self, room: RoomId, request_id: RequestId, round: RankedRound) {
        match &self.inner {
            Some(inner) => {
                let _ = inner.rounds.send((room, request_id, round));
            }
            None => tracing::warn!(
                room = %room,
                request_id = request_id.as_deref().unwrap_or_default(),
                "round {}: ranked act not recorded (no ONAIR_API_INTERNAL_URL)",
                round.round
            ),
        }
    }

    pub fn status(&self, room: RoomId, request_id: RequestId, report: RoomStatusReport) {
        if let Some(inner) = &self.inner {
            inner
                .statuses
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(room, (request_id, report));
        }
    }
}

/// One round at a time, in order; each is retried with backoff until the api-server takes it.
/// The api-server records by `(room, round)`, so a retry after a lost answer is harmless.
async fn deliver_rounds(
    api: ApiClient,
    mut rx: mpsc::UnboundedReceiver<(RoomId, RequestId, RankedRound)>,
    metrics: Arc<Metrics>,
) {
    while let Some((room, request_id, round)) = rx.recv().await {
        let span = tracing::info_span!(
            "report",
            room = %room,
            request_id = request_id.as_deref().unwrap_or_default()
        );
        let path = format!("/internal/v1/rooms/{room}/rounds/{}", round.round);
        let mut backoff = Duration::from_millis(200);
        loop {
            match api.put(&path, request_id.as_deref(), &round.report).await {
                Delivery::Done => {
                    metrics.round_delivered();
                    tracing::info!(parent: &span, "round {} delivered", round.round);
                    break;
                }
                Delivery::Rejected(why) => {
                    metrics.round_rejected();
                    tracing::error!(parent: &span, "api-server refused {path}: {why}");
                    break;
                }
                Delivery::Retry(why) => {
                    metrics.round_retried();
                    tracing::warn!(
                        parent: &span,
                        "api-server unavailable for {path} ({why}); retrying in {backoff:?}"
                    );
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        }
    }
}

async fn flush_statuses(api: ApiClient, statuses: Statuses) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let batch = std::mem::take(&mut *statuses.lock().unwrap_or_else(|e| e.into_inner()));
        for (room, (request_id, report)) in batch {
            let path = format!("/internal/v1/rooms/{room}/status");
            if let Delivery::Retry(why) = api.put(&path, request_id.as_deref(), &report).await {
                tracing::debug!(room = %room, "room status not sent ({why}); will retry");
                // Keep it for the next flush unless a newer status has arrived meanwhile.
                statuses
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(room)
                    .or_insert((request_id, report));
            }
        }
    }
}
