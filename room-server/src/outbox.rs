//! A member's outgoing frames, on their way from its room (on any worker) to its socket, without
//! an actor message per frame (issue 18).
//!
//! The room pushes each frame, already encoded as a WebSocket frame (encoded once per event and
//! shared by every member: server frames are not masked, so the bytes are the same for all), and
//! wakes the connection's task only when its queue was empty. The connection's response body
//! ([`OutboxBody`]) hands the queued frames to the HTTP layer before anything the session actor
//! writes itself. So a delivery costs a lock, a push and (sometimes) a wake: no boxed envelope,
//! no mailbox, no handler, no second encoding.
//!
//! The room also keeps the connection's heartbeat (see `Seats::tick`): it queues the pings and
//! notices a client that has gone silent, so no connection needs a timer of its own.

use atomic_waker::AtomicWaker;
use bytes::{BufMut, Bytes, BytesMut};
use futures_core::Stream;
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

/// A frame ready for the socket, with what the metrics need to know of it when it is written.
#[derive(Clone)]
pub struct Wire {
    /// The whole WebSocket frame: header and payload.
    pub bytes: Bytes,
    /// Its `type` (one of `SERVER_MSG_TYPES`), or `"ping"`.
    pub kind: &'static str,
    /// For room events: when the room (or a relay) took the event, to time its fan-out.
    pub accepted: Option<Instant>,
}

impl Wire {
    /// A text frame holding `payload`.
    pub fn text(payload: &[u8], kind: &'static str, accepted: Option<Instant>) -> Wire {
        let mut buf = BytesMut::with_capacity(payload.len() + 10);
        // FIN and the text opcode; no mask (RFC 6455 5.1: a server never masks).
        buf.put_u8(0x81);
        match payload.len() {
            n if n < 126 => buf.put_u8(n as u8),
            n if n <= usize::from(u16::MAX) => {
                buf.put_u8(126);
                buf.put_u16(n as u16);
            }
            n => {
                buf.put_u8(127);
                buf.put_u64(n as u64);
            }
        }
        buf.put_slice(payload);
        Wire {
            bytes: buf.freeze(),
            kind,
            accepted,
        }
    }

    /// An empty ping (FIN, opcode 9, no payload); the client's pong tells the room it is there.
    pub fn ping() -> Wire {
        Wire {
            bytes: Bytes::from_static(&[0x89, 0x00]),
            kind: "ping",
            accepted: None,
        }
    }
}

/// What a reader that stops reading may have waiting for it before the room cuts it off. One
/// member's slow phone must cost the server a bounded amount of memory, not the whole show.
pub const MAX_QUEUED_BYTES: usize = 1024 * 1024;

/// How often the room pings each connection, and the silence (or the stall) after which it is
/// given up (`ONAIR_HEARTBEAT_SECS`, `ONAIR_CLIENT_TIMEOUT_SECS`).
#[derive(Debug, Clone, Copy)]
pub struct Heartbeat {
    pub every: Duration,
    pub timeout: Duration,
}

/// A close frame with status 1000 (normal closure).
const CLOSE_NORMAL: &[u8] = &[0x88, 0x02, 0x03, 0xE8];

#[derive(Default)]
struct Queue {
    frames: VecDeque<Wire>,
    /// Bytes in `frames`.
    bytes: usize,
    /// Unix ms when the room's tick first saw frames waiting that have not moved since (0: none
    /// waiting, or they moved since the last tick).
    owed_since_ms: i64,
    /// The connection's task, when it is waiting for frames.
    waker: Option<Waker>,
    /// The room closed the connection: after the frames queued before, a close frame, then the
    /// end of the response (which stops the session actor).
    closing: bool,
    /// Unix ms when the room last saw the client answer (kept by the room's tick).
    heard_ms: i64,
    /// Unix ms of the last ping queued.
    pinged_ms: i64,
}

/// One connection's outgoing queue, shared by its room (which pushes) and its response body
/// (which takes).
#[derive(Default)]
pub struct Outbox {
    queue: Mutex<Queue>,
    /// Set by the session on every frame from the client; taken by the room's tick.
    heard: AtomicBool,
}

/// What a room's tick found of one connection.
#[derive(Debug, PartialEq, Eq)]
pub enum Health {
    Fine,
    /// Frames have waited, not moving, for longer than the timeout: the client stopped reading
    /// (its socket is full, so the session is not even run to notice).
    Stalled,
    /// Nothing heard from the client for longer than the timeout, not even a pong.
    Silent,
}

impl Outbox {
    pub fn new(now_ms: i64) -> Outbox {
        let outbox = Outbox::default();
        {
            let mut q = outbox.lock();
            q.heard_ms = now_ms;
            q.pinged_ms = now_ms;
        }
        outbox
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panic while holding this lock leaves the queue whole (every change is one step).
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a frame; returns the bytes now waiting (the caller compares them with its limit).
    pub fn push(&self, wire: Wire) -> usize {
        let (waiting, waker) = {
            let mut q = self.lock();
            if q.closing {
                return q.bytes;
            }
            q.bytes += wire.bytes.len();
            q.frames.push_back(wire);
            (q.bytes, q.waker.take())
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        waiting
    }

    /// Bytes waiting for the socket.
    pub fn waiting(&self) -> usize {
        self.lock().bytes
    }

    /// Closes the connection once the frames queued so far are written.
    pub fn close(&self) {
        let waker = {
            let mut q = self.lock();
            q.closing = true;
            q.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Gives up on a reader that stopped reading: what waits for it is dropped at once, so a
    /// connection cut off holds no more than its socket's buffers while its client (or the
    /// kernel's timeouts) ends it. Its task is woken to close it if it can still write.
    pub fn abandon(&self) {
        let waker = {
            let mut q = self.lock();
            q.closing = true;
            q.bytes = 0;
            q.frames = VecDeque::new();
            q.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The session heard from the client.
    pub fn heard(&self) {
        self.heard.store(true, Ordering::Relaxed);
    }

    /// The room's periodic look at the connection: queues a ping when one is due, and says
    /// whether the client still reads and answers.
    pub fn tick(&self, now_ms: i64, ping_every_ms: i64, timeout_ms: i64) -> Health {
        let heard = self.heard.swap(false, Ordering::Relaxed);
        let (health, ping) = {
            let mut q = self.lock();
            if heard {
                q.heard_ms = now_ms;
            }
            if q.frames.is_empty() {
                q.owed_since_ms = 0;
                // An idle connection keeps no queue (4 slots once a frame passed: 256 bytes
                // per connection); a busy one allocates it again at most once a tick.
                if q.frames.capacity() > 0 {
                    q.frames = VecDeque::new();
                }
            } else if q.owed_since_ms == 0 {
                q.owed_since_ms = now_ms;
            }
            let health = if q.owed_since_ms != 0 && now_ms - q.owed_since_ms > timeout_ms {
                Health::Stalled
            } else if now_ms - q.heard_ms > timeout_ms {
                Health::Silent
            } else {
                Health::Fine
            };
            let ping = now_ms - q.pinged_ms >= ping_every_ms;
            if ping {
                q.pinged_ms = now_ms;
            }
            (health, ping)
        };
        if ping && health == Health::Fine {
            self.push(Wire::ping());
        }
        health
    }

    /// The next frame for the socket, or the close; registers the task's waker when there is
    /// nothing.
    fn take(&self, waker: &Waker) -> Taken {
        let mut q = self.lock();
        match q.frames.pop_front() {
            Some(wire) => {
                q.bytes -= wire.bytes.len();
                // The reader is moving: the stall clock starts again at the next tick.
                q.owed_since_ms = 0;
                Taken::Frame(wire)
            }
            None if q.closing => Taken::Close,
            None => {
                if !q.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
                    q.waker = Some(waker.clone());
                }
                Taken::Nothing
            }
        }
    }
}

enum Taken {
    Frame(Wire),
    Close,
    Nothing,
}

/// How many queued frames the body hands over before it lets the session actor run again, so a
/// busy room cannot keep a member's own frames (and its pongs) from being read.
const FRAMES_BEFORE_SESSION: u8 = 16;

/// The waker the session actor is polled with: it notes that the actor has something to do
/// (a frame from the client, a message, a timer) before waking the connection's task. The body
/// is woken for the room's frames far more often than for the actor, and polling an actor with
/// nothing to do (its mailbox, its streams, the request payload) cost as much as writing the
/// frame.
struct SessionWake {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for SessionWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

/// A WebSocket connection's response body: the room's frames from the [`Outbox`], then what the
/// session actor writes itself (its answers, errors, pongs) and its life: when the actor stops,
/// the body ends. `on_written` is told of every room frame handed to the HTTP layer.
pub struct OutboxBody<S, F> {
    session: S,
    outbox: Arc<Outbox>,
    on_written: F,
    session_wake: Arc<SessionWake>,
    session_waker: Waker,
    since_session: u8,
    closed: bool,
}

impl<S, F> OutboxBody<S, F> {
    pub fn new(session: S, outbox: Arc<Outbox>, on_written: F) -> OutboxBody<S, F> {
        let session_wake = Arc::new(SessionWake {
            // The actor has not started yet.
            woken: AtomicBool::new(true),
            task: AtomicWaker::new(),
        });
        OutboxBody {
            session,
            outbox,
            on_written,
            session_waker: Waker::from(session_wake.clone()),
            session_wake,
            since_session: 0,
            closed: false,
        }
    }
}

impl<S, E, F> Stream for OutboxBody<S, F>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    F: Fn(&Wire) + Unpin,
{
    type Item = Result<Bytes, E>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.closed {
            // The close frame went out: ending the body ends the connection, and dropping the
            // session's context stops the actor (which tells the room it is gone).
            return Poll::Ready(None);
        }
        this.session_wake.task.register(cx.waker());
        let session_waiting = this.session_wake.woken.load(Ordering::Acquire);
        let outbox_turn = this.since_session < FRAMES_BEFORE_SESSION || !session_waiting;
        if outbox_turn {
            match this.outbox.take(cx.waker()) {
                Taken::Frame(wire) => {
                    this.since_session = this.since_session.saturating_add(1);
                    (this.on_written)(&wire);
                    return Poll::Ready(Some(Ok(wire.bytes)));
                }
                Taken::Close => {
                    this.closed = true;
                    return Poll::Ready(Some(Ok(Bytes::from_static(CLOSE_NORMAL))));
                }
                Taken::Nothing => {}
            }
        }
        this.since_session = 0;
        if this.session_wake.woken.swap(false, Ordering::AcqRel) {
            let mut session_cx = Context::from_waker(&this.session_waker);
            if let Poll::Ready(item) = Pin::new(&mut this.session).poll_next(&mut session_cx) {
                // It writes one chunk per poll: let it run again next time.
                this.session_wake.woken.store(true, Ordering::Release);
                return Poll::Ready(item);
            }
        }
        if !outbox_turn {
            // The outbox was not looked at this time: come back for what it holds.
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_frame_has_the_header_for_its_length() {
        assert_eq!(&Wire::text(b"hi", "chat", None).bytes[..], b"\x81\x02hi");
        let mid = Wire::text(&[b'a'; 300], "chat", None).bytes;
        assert_eq!(&mid[..4], &[0x81, 126, 0x01, 0x2C]);
        assert_eq!(mid.len(), 304);
        let big = Wire::text(&vec![b'a'; 70_000], "chat", None).bytes;
        assert_eq!(&big[..2], &[0x81, 127]);
        assert_eq!(u64::from_be_bytes(big[2..10].try_into().unwrap()), 70_000);
    }

    #[test]
    fn a_silent_client_and_a_stalled_reader_are_told_apart() {
        let outbox = Outbox::new(0);
        assert_eq!(outbox.tick(500, 10_000, 1_000), Health::Fine);
        outbox.heard();
        assert_eq!(outbox.tick(1_000, 10_000, 1_000), Health::Fine);
        assert_eq!(outbox.tick(2_100, 10_000, 1_000), Health::Silent);
        let outbox = Outbox::new(0);
        outbox.push(Wire::text(b"x", "chat", None));
        assert_eq!(outbox.tick(100, 10_000, 1_000), Health::Fine);
        outbox.heard();
        assert_eq!(outbox.tick(1_200, 10_000, 1_000), Health::Stalled);
    }

    #[test]
    fn a_reader_given_up_holds_nothing_more() {
        let outbox = Outbox::new(0);
        outbox.push(Wire::text(&[b'a'; 1000], "chat", None));
        outbox.abandon();
        assert_eq!(outbox.waiting(), 0);
        assert_eq!(outbox.push(Wire::text(b"late", "chat", None)), 0);
    }

    #[test]
    fn pings_are_queued_when_due_and_frames_count_their_bytes() {
        let outbox = Outbox::new(0);
        assert_eq!(outbox.push(Wire::text(b"abc", "chat", None)), 5);
        outbox.heard();
        outbox.tick(999, 1_000, 5_000);
        assert_eq!(outbox.waiting(), 5);
        outbox.heard();
        outbox.tick(1_000, 1_000, 5_000);
        assert_eq!(outbox.waiting(), 7);
    }
}
