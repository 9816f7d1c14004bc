//! Sends what the api-server must know to it over internal HTTP, authorised by the service
//! token: ranked rounds (each exactly once, retried until the api-server takes it) and room
//! status with member counts (latest value wins, sent at most once a second per room).

use crate::api_client::{ApiClient, Delivery};
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

#[derive(Clone)]
struct Inner {
    rounds: mpsc::UnboundedSender<(RoomId, RankedRound)>,
    statuses: Arc<Mutex<HashMap<RoomId, RoomStatusReport>>>,
}

impl Reporter {
    /// No api-server configured: nothing is sent (ranked acts are logged and lost).
    pub fn disabled() -> Reporter {
        Reporter { inner: None }
    }

    /// Starts the sending tasks on the current actix/tokio runtime.
    pub fn spawn(api: ApiClient) -> Reporter {
        let (tx, rx) = mpsc::unbounded_channel();
        let statuses: Arc<Mutex<HashMap<RoomId, RoomStatusReport>>> = Arc::default();
        actix::spawn(deliver_rounds(api.clone(), rx));
        actix::spawn(flush_statuses(api, statuses.clone()));
        Reporter {
            inner: Some(Inner {
                rounds: tx,
                statuses,
            }),
        }
    }

    pub fn record(&self, room: RoomId, round: RankedRound) {
        match &self.inner {
            Some(inner) => {
                let _ = inner.rounds.send((room, round));
            }
            None => log::warn!(
                "room {room} round {}: ranked act not recorded (no ONAIR_API_INTERNAL_URL)",
                round.round
            ),
        }
    }

    pub fn status(&self, room: RoomId, report: RoomStatusReport) {
        if let Some(inner) = &self.inner {
            inner
                .statuses
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(room, report);
        }
    }
}

/// One round at a time, in order; each is retried with backoff until the api-server takes it.
/// The api-server records by `(room, round)`, so a retry after a lost answer is harmless.
async fn deliver_rounds(api: ApiClient, mut rx: mpsc::UnboundedReceiver<(RoomId, RankedRound)>) {
    while let Some((room, round)) = rx.recv().await {
        let path = format!("/internal/v1/rooms/{room}/rounds/{}", round.round);
        let mut backoff = Duration::from_millis(200);
        loop {
            match api.put(&path, &round.report).await {
                Delivery::Done => break,
                Delivery::Rejected(why) => {
                    log::error!("api-server refused {path}: {why}");
                    break;
                }
                Delivery::Retry(why) => {
                    log::warn!(
                        "api-server unavailable for {path} ({why}); retrying in {backoff:?}"
                    );
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        }
    }
}

async fn flush_statuses(api: ApiClient, statuses: Arc<Mutex<HashMap<RoomId, RoomStatusReport>>>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let batch = std::mem::take(&mut *statuses.lock().unwrap_or_else(|e| e.into_inner()));
        for (room, report) in batch {
            let path = format!("/internal/v1/rooms/{room}/status");
            if let Delivery::Retry(why) = api.put(&path, &report).await {
                log::debug!("room status for {room} not sent ({why}); will retry");
                // Keep it for the next flush unless a newer status has arrived meanwhile.
                statuses
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(room)
                    .or_insert(report);
            }
        }
    }
}
