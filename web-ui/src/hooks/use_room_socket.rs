//! `use_room_socket`: one live connection to a room on the room-server.
//!
//! The hook owns a task (`spawn_local`) that lives as long as the page shows the room:
//! 1. it asks the api-server for a ticket (`POST /rooms/{id}/ticket`), opens `ws_url`,
//! 2. feeds every frame to a [`Tracker`] (pure, see `state.rs`), which applies room events once
//!    and in order and says when to send `resync { since }`,
//! 3. forwards the page's [`ClientMsg`]s to the socket,
//! 4. on a dropped connection shows "Reconnecting…", waits (exponential backoff with jitter,
//!    0.5 s doubling up to 10 s), fetches a fresh ticket and connects again; the server's fresh
//!    `welcome` then replaces the state,
//! 5. stops for good on `kicked`, `replaced`, `room_full` or `banned`, when the room closes
//!    (`room_closed`: its host, an admin, or idleness closed it) or is gone (a 4xx on the
//!    ticket), on a `401` or a ban (back to login), after `leave`, or when the page goes away.
//!    A `429` on the ticket waits as long as the api-server says before asking again. Every
//!    (re)connection asks for a fresh ticket: tickets are single-use.
//!
//! WebRTC `signal` frames from other members go to whoever registered on
//! [`RoomSocket::signals`] (the video mesh); our own signals are sent like any other
//! message, except that while we are not connected they are dropped without a notice (the
//! mesh starts its calls again after the next `welcome`), and a `not_a_member` error that
//! follows a signal (the member just went away) is not shown.

use crate::context::{use_session, use_toaster, SessionAction, ToastText, Toaster};
use crate::i18n::Key;
use crate::services::api;
use crate::state::{Ingest, Tracker};
use futures_channel::mpsc::{self, TryRecvError, UnboundedReceiver, UnboundedSender};
use futures_util::future::{select, Either};
use futures_util::{pin_mut, SinkExt, StreamExt};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, WebSocketError};
use gloo_timers::future::TimeoutFuture;
use onair_shared::api::ApiErrorCode;
use onair_shared::protocol::{ClientMsg, ErrorCode, EventKind, ReactionKind, RoomSnapshot};
use onair_shared::room::CloseReason;
use onair_shared::{RoomId, UserId};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

/// Where the connection is.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnStatus {
    /// The first connection is being opened.
    Connecting,
    /// Synced with the room.
    Live,
    /// The connection dropped; trying again (attempt counts from 1).
    Reconnecting { attempt: u32 },
    /// Not coming back; the reason is shown to the user.
    Stopped(StopReason),
    /// We sent `leave`.
    Left,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StopReason {
    Kicked,
    Replaced,
    RoomFull,
    /// The show in this room is over (the api-server refuses tickets to ended rooms).
    RoomEnded,
    /// There is no such room.
    RoomNotFound,
    /// The api-server refused a ticket for another reason (banned, ...): its message.
    Refused(String),
    /// The login is no longer valid.
    Unauthorized,
    /// The account was banned.
    Banned,
    /// The room closed for good, for this reason.
    Closed(CloseReason),
}

/// A reaction being animated: `n` numbers them so each burst is its own element.
#[derive(Debug, Clone, PartialEq)]
pub struct ReactionFlash {
    pub n: u32,
    pub from: UserId,
    pub kind: ReactionKind,
}

/// How long a reaction burst stays on screen.
pub const REACTION_MS: u32 = 2_000;
/// At most this many bursts at once; a flood of claps drops the oldest.
pub const MAX_BURSTS: usize = 24;

#[derive(Debug, Clone, PartialEq)]
pub struct SocketView {
    pub status: ConnStatus,
    pub you: Option<UserId>,
    pub room: Option<Rc<RoomSnapshot>>,
    /// Reactions on screen, oldest first.
    pub reactions: Vec<ReactionFlash>,
    /// How many `welcome` frames arrived (each connection starts with one): the video mesh
    /// checks its calls again on each.
    pub welcomes: u32,
}

impl Default for SocketView {
    fn default() -> Self {
        SocketView {
            status: ConnStatus::Connecting,
            you: None,
            room: None,
            reactions: Vec::new(),
            welcomes: 0,
        }
    }
}

/// What receives the `signal` frames of other members: `(from, data)`.
pub type SignalHandler = Rc<dyn Fn(UserId, serde_json::Value)>;

/// The one place a signal handler is registered (the room page's video mesh).
#[derive(Clone, Default)]
pub struct SignalSink(Rc<RefCell<Option<SignalHandler>>>);

impl PartialEq for SignalSink {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl SignalSink {
    pub fn set(&self, handler: Option<SignalHandler>) {
        *self.0.borrow_mut() = handler;
    }

    fn deliver(&self, from: UserId, data: serde_json::Value) {
        // Not borrowed while the handler runs: it may register or unregister.
        let handler = self.0.borrow().clone();
        if let Some(h) = handler {
            h(from, data);
        }
    }
}

pub enum SocketAction {
    Status(ConnStatus),
    Synced {
        you: UserId,
        room: Rc<RoomSnapshot>,
        /// A `welcome` (not an event) brought it.
        welcome: bool,
    },
    /// A `reaction` event: animate it (as burst `n`).
    Reaction(ReactionFlash),
    /// Burst `n` has played; remove it.
    ReactionDone(u32),
}

impl Reducible for SocketView {
    type Action = SocketAction;

    fn reduce(self: Rc<Self>, action: SocketAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            SocketAction::Status(status) => {
                if next.status == status {
                    return self;
                }
                next.status = status;
            }
            SocketAction::Synced { you, room, welcome } => {
                next.you = Some(you);
                next.room = Some(room);
                if welcome {
                    next.welcomes = next.welcomes.wrapping_add(1);
                }
            }
            SocketAction::Reaction(flash) => {
                next.reactions.push(flash);
                if next.reactions.len() > MAX_BURSTS {
                    let extra = next.reactions.len() - MAX_BURSTS;
                    next.reactions.drain(..extra);
                }
            }
            SocketAction::ReactionDone(n) => {
                if !next.reactions.iter().any(|r| r.n == n) {
                    return self;
                }
                next.reactions.retain(|r| r.n != n);
            }
        }
        Rc::new(next)
    }
}

/// What receives the answers to `time_sync`: `(client_ms, server_ms)` as the frame says.
pub type ClockHandler = Rc<dyn Fn(f64, f64)>;

/// The one place a `time_sync` handler is registered (the sing-along clock).
#[derive(Clone, Default)]
pub struct ClockSink(Rc<RefCell<Option<ClockHandler>>>);

impl PartialEq for ClockSink {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl ClockSink {
    pub fn set(&self, handler: Option<ClockHandler>) {
        *self.0.borrow_mut() = handler;
    }

    fn deliver(&self, client_ms: f64, server_ms: f64) {
        let handler = self.0.borrow().clone();
        if let Some(h) = handler {
            h(client_ms, server_ms);
        }
    }
}

/// What the room page gets: the state to draw and a way to send.
#[derive(Clone, PartialEq)]
pub struct RoomSocket {
    pub view: Rc<SocketView>,
    pub send: Callback<ClientMsg>,
    /// Where `signal` frames from other members go.
    pub signals: SignalSink,
    /// Where the answers to `time_sync` go.
    pub clock: ClockSink,
}

impl RoomSocket {
    pub fn is_live(&self) -> bool {
        self.view.status == ConnStatus::Live
    }
}

enum Cmd {
    Send(ClientMsg),
    Shutdown,
}

#[hook]
pub fn use_room_socket(room: RoomId) -> RoomSocket {
    let view = use_reducer(SocketView::default);
    let session = use_session();
    let toaster = use_toaster();
    let outbox = use_mut_ref(|| None::<UnboundedSender<Cmd>>);
    let signals = (*use_state(SignalSink::default)).clone();
    let clock = (*use_state(ClockSink::default)).clone();

    {
        let out = view.dispatcher();
        let session = session.dispatcher();
        let outbox = outbox.clone();
        let signals = signals.clone();
        let clock = clock.clone();
        use_effect_with(room, move |&room| {
            // A new room (or the first render): start from a clean view.
            out.dispatch(SocketAction::Status(ConnStatus::Connecting));
            let (tx, rx) = mpsc::unbounded();
            *outbox.borrow_mut() = Some(tx.clone());
            let task = Task {
                room,
                out,
                toaster,
                session,
                bursts: Cell::new(0),
                signals,
                clock,
                signaled_last: Cell::new(false),
            };
            spawn_local(task.run(rx));
            move || {
                let _ = tx.unbounded_send(Cmd::Shutdown);
                outbox.borrow_mut().take();
            }
        });
    }

    let send = {
        let outbox = outbox.clone();
        Callback::from(move |msg: ClientMsg| {
            if let Some(tx) = outbox.borrow().as_ref() {
                let _ = tx.unbounded_send(Cmd::Send(msg));
            }
        })
    };

    RoomSocket {
        view: Rc::new((*view).clone()),
        send,
        signals,
        clock,
    }
}

/// How a connection ended.
enum Ended {
    /// The page went away or we left: stop quietly.
    Shutdown,
    /// The socket dropped: reconnect.
    Dropped,
    Stop(StopReason),
}

struct Task {
    room: RoomId,
    out: UseReducerDispatcher<SocketView>,
    toaster: Toaster,
    session: UseReducerDispatcher<crate::context::Session>,
    /// Numbers the reaction bursts.
    bursts: Cell<u32>,
    signals: SignalSink,
    clock: ClockSink,
    /// The last message sent that names another member was a `signal`: a `not_a_member`
    /// now is about that signal (the member just went away), not something to show.
    signaled_last: Cell<bool>,
}

impl Task {
    async fn run(self, mut rx: UnboundedReceiver<Cmd>) {
        let mut tracker = Tracker::default();
        // Failed attempts since the last good connection.
        let mut failures: u32 = 0;
        // Connections in a row that never got a welcome: each moves on to the next room-server
        // the ticket offers, so a dead instance is skipped and another one takes the room over.
        let mut misses: u32 = 0;
        loop {
            if failures > 0 {
                self.status(ConnStatus::Reconnecting { attempt: failures });
                if !self.wait(backoff_ms(failures), &mut rx).await {
                    return;
                }
            }

            let ticket = match api::ticket(self.room).await {
                Ok(t) => t,
                Err(e) if e.is_banned() => {
                    self.toaster.api(&e);
                    self.stop(StopReason::Banned);
                    self.session.dispatch(SessionAction::LoggedOut);
                    return;
                }
                Err(e) if e.is_unauthorized() => {
                    self.stop(StopReason::Unauthorized);
                    self.session.dispatch(SessionAction::LoggedOut);
                    return;
                }
                Err(e) if !e.is_transient() => {
                    let reason = match e.code {
                        ApiErrorCode::RoomEnded => StopReason::RoomEnded,
                        ApiErrorCode::RoomNotFound => StopReason::RoomNotFound,
                        _ => {
                            self.toaster.api(&e);
                            StopReason::Refused(e.message)
                        }
                    };
                    self.stop(reason);
                    return;
                }
                Err(e) => {
                    failures += 1;
                    // Asked too often: wait as long as the api-server says (on top of the
                    // backoff that follows).
                    if let Some(secs) = e.retry_after {
                        self.status(ConnStatus::Reconnecting { attempt: failures });
                        let wait = u32::try_from(secs.min(600) * 1000).unwrap_or(600_000);
                        if !self.wait(wait, &mut rx).await {
                            return;
                        }
                    }
                    continue;
                }
            };
            // The page may have gone while the ticket was on its way.
            if !self.drain_while_offline(&mut rx) {
                return;
            }

            let ws = match WebSocket::open(pick_url(&ticket, misses)) {
                Ok(ws) => ws,
                Err(_) => {
                    failures += 1;
                    misses += 1;
                    continue;
                }
            };
            let mut synced = false;
            match self
                .connection(ws, &mut rx, &mut tracker, &mut synced)
                .await
            {
                Ended::Shutdown => return,
                Ended::Stop(reason) => {
                    self.stop(reason);
                    return;
                }
                Ended::Dropped => {
                    failures = if synced { 1 } else { failures + 1 };
                    misses = if synced { 0 } else { misses + 1 };
                }
            }
        }
    }

    /// One WebSocket, from open to close.
    async fn connection(
        &self,
        mut ws: WebSocket,
        rx: &mut UnboundedReceiver<Cmd>,
        tracker: &mut Tracker,
        synced: &mut bool,
    ) -> Ended {
        loop {
            // Bind the outcome first so both borrows of `ws` end before we use it again.
            let next = match select(ws.next(), rx.next()).await {
                Either::Left((frame, _)) => Either::Left(frame),
                Either::Right((cmd, _)) => Either::Right(cmd),
            };
            match next {
                Either::Left(Some(Ok(Message::Text(text)))) => {
                    let Ok(msg) = serde_json::from_str(&text) else {
                        continue;
                    };
                    match tracker.ingest(msg) {
                        Ingest::Welcomed => {
                            *synced = true;
                            self.publish_welcome(tracker, true);
                            self.status(ConnStatus::Live);
                        }
                        Ingest::Applied(kind) => match kind {
                            EventKind::Reaction { from, kind } => self.burst(from, kind),
                            EventKind::RoomClosed { reason } => {
                                self.publish(tracker);
                                let _ = ws.close(Some(1000), None);
                                return Ended::Stop(StopReason::Closed(reason));
                            }
                            _ => self.publish(tracker),
                        },
                        Ingest::Gap { since } => {
                            let epoch = tracker.epoch();
                            if send(&mut ws, &ClientMsg::Resync { since, epoch })
                                .await
                                .is_err()
                            {
                                return Ended::Dropped;
                            }
                        }
                        Ingest::Signal { from, data } => self.signals.deliver(from, data),
                        Ingest::Clock {
                            client_ms,
                            server_ms,
                        } => self.clock.deliver(client_ms, server_ms),
                        Ingest::Stale | Ingest::AwaitingResync | Ingest::NotSynced => {}
                        Ingest::Error {
                            code: ErrorCode::NotAMember,
                            ..
                        } if self.signaled_last.get() => {}
                        Ingest::Error { code, message } => {
                            self.toaster.show(ToastText::Code(code, message));
                            let stop = match code {
                                ErrorCode::Kicked => Some(StopReason::Kicked),
                                ErrorCode::Replaced => Some(StopReason::Replaced),
                                ErrorCode::RoomFull => Some(StopReason::RoomFull),
                                ErrorCode::Banned => {
                                    self.session.dispatch(SessionAction::LoggedOut);
                                    Some(StopReason::Banned)
                                }
                                ErrorCode::RoomClosed => Some(StopReason::RoomEnded),
                                _ => None,
                            };
                            if let Some(reason) = stop {
                                let _ = ws.close(Some(1000), None);
                                return Ended::Stop(reason);
                            }
                        }
                        Ingest::Removed(_) => {
                            self.publish(tracker);
                            let _ = ws.close(Some(1000), None);
                            return Ended::Stop(StopReason::Kicked);
                        }
                    }
                }
                Either::Left(Some(Ok(Message::Bytes(_)))) => {}
                // An error event, a close event or the end of the stream: the socket is gone.
                Either::Left(Some(Err(WebSocketError::ConnectionClose(_))))
                | Either::Left(Some(Err(_)))
                | Either::Left(None) => return Ended::Dropped,
                Either::Right(Some(Cmd::Send(msg))) => {
                    let leaving = matches!(msg, ClientMsg::Leave);
                    if !*synced && !leaving {
                        self.refuse_offline(&msg);
                        continue;
                    }
                    match &msg {
                        ClientMsg::Signal { .. } => self.signaled_last.set(true),
                        ClientMsg::Start { first: Some(_) }
                        | ClientMsg::Nominate { .. }
                        | ClientMsg::Kick { .. } => self.signaled_last.set(false),
                        _ => {}
                    }
                    let sent = send(&mut ws, &msg).await;
                    if leaving {
                        // The browser sends queued frames before the close frame.
                        let _ = ws.close(Some(1000), Some("leave"));
                        self.status(ConnStatus::Left);
                        return Ended::Shutdown;
                    }
                    if sent.is_err() {
                        return Ended::Dropped;
                    }
                }
                Either::Right(Some(Cmd::Shutdown)) | Either::Right(None) => {
                    let _ = ws.close(Some(1000), None);
                    return Ended::Shutdown;
                }
            }
        }
    }

    /// Sleeps `ms` unless the page goes away first (then `false`). Messages the user tries
    /// to send meanwhile get a "not connected" notice.
    async fn wait(&self, ms: u32, rx: &mut UnboundedReceiver<Cmd>) -> bool {
        let sleep = TimeoutFuture::new(ms);
        pin_mut!(sleep);
        loop {
            match select(sleep.as_mut(), rx.next()).await {
                Either::Left(_) => return true,
                Either::Right((Some(Cmd::Send(ClientMsg::Leave)), _)) => {
                    self.status(ConnStatus::Left);
                    return false;
                }
                Either::Right((Some(Cmd::Send(msg)), _)) => self.refuse_offline(&msg),
                Either::Right((Some(Cmd::Shutdown) | None, _)) => return false,
            }
        }
    }

    /// Handles what queued up while no socket was open; `false` when the task should end.
    fn drain_while_offline(&self, rx: &mut UnboundedReceiver<Cmd>) -> bool {
        loop {
            match rx.try_recv() {
                Ok(Cmd::Send(ClientMsg::Leave)) => {
                    self.status(ConnStatus::Left);
                    return false;
                }
                Ok(Cmd::Send(msg)) => self.refuse_offline(&msg),
                Ok(Cmd::Shutdown) | Err(TryRecvError::Closed) => return false,
                Err(TryRecvError::Empty) => return true,
            }
        }
    }

    /// A message the member tried to send while not connected: "not connected". Video
    /// signals are dropped quietly; the calls start again after the next `welcome`. So are the
    /// sing-along player's clock requests (it asks again).
    fn refuse_offline(&self, msg: &ClientMsg) {
        // Clock samples and playback-error reports are the player's, not the member's doing.
        if !matches!(
            msg,
            ClientMsg::Signal { .. } | ClientMsg::TimeSync { .. } | ClientMsg::MediaError { .. }
        ) {
            self.toaster.key(Key::NotConnected);
        }
    }

    fn publish(&self, tracker: &Tracker) {
        self.publish_welcome(tracker, false);
    }

    fn publish_welcome(&self, tracker: &Tracker, welcome: bool) {
        if let Some(s) = tracker.synced.as_ref() {
            self.out.dispatch(SocketAction::Synced {
                you: s.you,
                room: Rc::new(s.room.clone()),
                welcome,
            });
        }
    }

    /// Shows a reaction burst and takes it away after [`REACTION_MS`].
    fn burst(&self, from: UserId, kind: ReactionKind) {
        let n = self.bursts.get().wrapping_add(1);
        self.bursts.set(n);
        self.out
            .dispatch(SocketAction::Reaction(ReactionFlash { n, from, kind }));
        let out = self.out.clone();
        gloo_timers::callback::Timeout::new(REACTION_MS, move || {
            out.dispatch(SocketAction::ReactionDone(n))
        })
        .forget();
    }

    fn status(&self, status: ConnStatus) {
        self.out.dispatch(SocketAction::Status(status));
    }

    fn stop(&self, reason: StopReason) {
        self.status(ConnStatus::Stopped(reason));
    }
}

async fn send(ws: &mut WebSocket, msg: &ClientMsg) -> Result<(), WebSocketError> {
    let text = serde_json::to_string(msg).expect("client messages always serialize");
    ws.send(Message::Text(text)).await
}

/// 0.5 s, 1 s, 2 s, 4 s, 8 s, then 10 s, each with up to 30 % random jitter so a room full of
/// browsers does not reconnect in lockstep after a server restart.
/// The room-server to try after `misses` failed connections in a row: the room's own first,
/// then each fallback in turn, and round again.
pub fn pick_url(ticket: &onair_shared::api::TicketResponse, misses: u32) -> &str {
    let count = 1 + ticket.fallback_ws_urls.len();
    match (misses as usize) % count {
        0 => &ticket.ws_url,
        i => &ticket.fallback_ws_urls[i - 1],
    }
}

pub fn backoff_ms(attempt: u32) -> u32 {
    let base = base_backoff_ms(attempt);
    let jitter = (js_sys::Math::random() * 0.3 * f64::from(base)) as u32;
    base + jitter
}

/// The backoff without jitter.
pub fn base_backoff_ms(attempt: u32) -> u32 {
    let exp = attempt.saturating_sub(1).min(5);
    (500u32 << exp).min(10_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flash(n: u32) -> ReactionFlash {
        ReactionFlash {
            n,
            from: UserId(1),
            kind: ReactionKind::Clap,
        }
    }

    #[test]
    fn reaction_bursts_come_and_go_and_are_bounded() {
        let mut v = Rc::new(SocketView::default());
        v = v.reduce(SocketAction::Reaction(flash(1)));
        v = v.reduce(SocketAction::Reaction(flash(2)));
        assert_eq!(v.reactions.len(), 2);
        v = v.reduce(SocketAction::ReactionDone(1));
        assert_eq!(v.reactions, [flash(2)]);
        let same = v.clone();
        v = v.reduce(SocketAction::ReactionDone(1));
        assert!(
            Rc::ptr_eq(&v, &same),
            "removing a gone burst changes nothing"
        );
        for n in 3..100 {
            v = v.reduce(SocketAction::Reaction(flash(n)));
        }
        assert_eq!(v.reactions.len(), MAX_BURSTS);
        assert_eq!(v.reactions.last().unwrap().n, 99);
    }

    #[test]
    fn failed_connections_rotate_through_the_fallback_room_servers() {
        let ticket = onair_shared::api::TicketResponse {
            ticket: "t".into(),
            ws_url: "ws://a/ws?ticket=t".into(),
            fallback_ws_urls: vec!["ws://b/ws?ticket=t".into(), "ws://c/ws?ticket=t".into()],
            expires_at: 0,
        };
        let tried: Vec<&str> = (0..4).map(|m| pick_url(&ticket, m)).collect();
        assert_eq!(
            tried,
            [
                "ws://a/ws?ticket=t",
                "ws://b/ws?ticket=t",
                "ws://c/ws?ticket=t",
                "ws://a/ws?ticket=t"
            ]
        );
        let single = onair_shared::api::TicketResponse {
            fallback_ws_urls: vec![],
            ..ticket
        };
        assert_eq!(pick_url(&single, 3), "ws://a/ws?ticket=t");
    }

    #[test]
    fn backoff_doubles_up_to_a_cap() {
        let seq: Vec<u32> = (1..=8).map(base_backoff_ms).collect();
        assert_eq!(seq, [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
        assert_eq!(base_backoff_ms(0), 500);
        assert_eq!(base_backoff_ms(u32::MAX), 10_000);
    }
}
