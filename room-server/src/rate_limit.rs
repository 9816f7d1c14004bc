//! Per-connection rate limits, so one member's flood costs the room nothing.

use onair_shared::protocol::{ClientMsg, ErrorCode};
use std::time::{Duration, Instant};

/// A classic token bucket: `rate` tokens a second, at most `burst` saved up.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(rate: f64, burst: f64, now: Instant) -> TokenBucket {
        TokenBucket {
            tokens: burst,
            rate,
            burst,
            last: now,
        }
    }

    pub fn take(&mut self, now: Instant) -> bool {
        self.take_n(1.0, now)
    }

    /// Takes `n` tokens at once (e.g. bytes), or none.
    pub fn take_n(&mut self, n: f64, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        if self.tokens >= n {
            self.tokens -= n;
            true
        } else {
            false
        }
    }
}

/// All of one connection's limits.
#[derive(Debug, Clone)]
pub struct Budget {
    /// Every frame the client sends, whatever it is: malformed, oversized, binary, ping.
    frames: TokenBucket,
    /// Frames that were not a valid message: no client of ours sends them, so a connection
    /// that keeps sending them is closed.
    bad: TokenBucket,
    chat: TokenBucket,
    reactions: TokenBucket,
    /// Sing-along track controls: each one is an event for the whole room.
    media: TokenBucket,
    /// Clock-sync questions: a client asks a few in a row, then one every 30 s.
    time_sync: TokenBucket,
    /// When the member was last told they are rate-limited (told at most once a second).
    last_told: Option<Instant>,
    /// Frames dropped in the current ten-second window, to tell abuse from enthusiasm.
    dropped: u32,
    window_start: Instant,
}

/// Dropped frames within ten seconds after which the connection is closed.
const ABUSE_DROPS: u32 = 2_000;
/// Bad frames a connection may send: a buggy client gets its error answers; one that keeps
/// sending garbage is closed.
const BAD_FRAMES_PER_SEC: f64 = 1.0;
const BAD_FRAMES_BURST: f64 = 20.0;

/// What to do with a frame the budget was asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Admit,
    /// Drop it and tell the member (at most once a second).
    Refuse(ErrorCode),
    /// Drop it quietly (told less than a second ago).
    Drop,
    /// Abuse: close the connection.
    Close,
}

impl Default for Budget {
    fn default() -> Self {
        Self::new()
    }
}

impl Budget {
    pub fn new() -> Budget {
        let now = Instant::now();
        Budget {
            // Signalling bursts (ICE candidates) need headroom; 60/s is far above any UI.
            frames: TokenBucket::new(60.0, 200.0, now),
            bad: TokenBucket::new(BAD_FRAMES_PER_SEC, BAD_FRAMES_BURST, now),
            chat: TokenBucket::new(2.0, 8.0, now),
            // Clapping along is meant to be fast.
            reactions: TokenBucket::new(10.0, 30.0, now),
            media: TokenBucket::new(5.0, 10.0, now),
            time_sync: TokenBucket::new(2.0, 10.0, now),
            last_told: None,
            dropped: 0,
            window_start: now,
        }
    }

    /// Every frame from the client, first of all, before it is even read: a flood of any kind
    /// (garbage, oversized, pings) is throttled and then closed like a flood of chat.
    pub fn frame(&mut self, now: Instant) -> Verdict {
        if self.frames.take(now) {
            Verdict::Admit
        } else {
            self.dropped(now)
        }
    }

    /// A frame that was not a valid message (the member is answered with its error code
    /// unless the connection is closed for sending too many).
    pub fn bad_frame(&mut self, now: Instant) -> Verdict {
        if self.bad.take(now) {
            Verdict::Admit
        } else {
            Verdict::Close
        }
    }

    /// A parsed message, against the limits of its kind (chat, reactions).
    pub fn message(&mut self, msg: &ClientMsg, now: Instant) -> Verdict {
        let specific = match msg {
            ClientMsg::Chat { .. } => Some(&mut self.chat),
            ClientMsg::React { .. } => Some(&mut self.reactions),
            ClientMsg::MediaSet { .. }
            | ClientMsg::MediaPlay { .. }
            | ClientMsg::MediaPause
            | ClientMsg::MediaSeek { .. }
            | ClientMsg::MediaClear
            | ClientMsg::MediaError { .. } => Some(&mut self.media),
            ClientMsg::TimeSync { .. } => Some(&mut self.time_sync),
            _ => None,
        };
        if specific.is_none_or(|b| b.take(now)) {
            Verdict::Admit
        } else {
            self.dropped(now)
        }
    }

    /// `Ok` to let the frame through; `Err(Some(code))` to drop it and tell the member;
    /// `Err(None)` to drop it quietly (they were told less than a second ago). Counts the
    /// frame and its kind in one go (tests and the benchmark).
    pub fn admit(&mut self, msg: &ClientMsg, now: Instant) -> Result<(), Option<ErrorCode>> {
        let verdict = match self.frame(now) {
            Verdict::Admit => self.message(msg, now),
            other => other,
        };
        match verdict {
            Verdict::Admit => Ok(()),
            Verdict::Refuse(code) => Err(Some(code)),
            Verdict::Drop | Verdict::Close => Err(None),
        }
    }

    fn dropped(&mut self, now: Instant) -> Verdict {
        if now.saturating_duration_since(self.window_start) > Duration::from_secs(10) {
            self.window_start = now;
            self.dropped = 0;
        }
        self.dropped += 1;
        if self.is_abusive() {
            return Verdict::Close;
        }
        match self.last_told {
            Some(t) if now.saturating_duration_since(t) < Duration::from_secs(1) => Verdict::Drop,
            _ => {
                self.last_told = Some(now);
                Verdict::Refuse(ErrorCode::RateLimited)
            }
        }
    }

    pub fn is_abusive(&self) -> bool {
        self.dropped >= ABUSE_DROPS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use onair_shared::protocol::ReactionKind;

    #[test]
    fn a_chat_burst_is_cut_and_refills_with_time() {
        let t0 = Instant::now();
        let mut b = Budget::new();
        let chat = ClientMsg::Chat { text: "hi".into() };
        let admitted = (0..20).filter(|_| b.admit(&chat, t0).is_ok()).count();
        assert_eq!(admitted, 8);
        assert!(b.admit(&chat, t0 + Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn the_member_is_told_once_a_second_not_per_frame() {
        let t0 = Instant::now();
        let mut b = Budget::new();
        let clap = ClientMsg::React {
            kind: ReactionKind::Clap,
        };
        let told: Vec<_> = (0..100).filter_map(|_| b.admit(&clap, t0).err()).collect();
        assert_eq!(told.iter().filter(|e| e.is_some()).count(), 1);
    }

    #[test]
    fn every_frame_counts_and_bad_frames_run_out_sooner() {
        let t0 = Instant::now();
        let mut b = Budget::new();
        // 200 frames of anything pass at once (the burst), the next is refused.
        assert!((0..200).all(|_| b.frame(t0) == Verdict::Admit));
        assert_eq!(b.frame(t0), Verdict::Refuse(ErrorCode::RateLimited));
        assert_eq!(b.frame(t0), Verdict::Drop);
        // Twenty bad frames are answered; more close the connection.
        let mut b = Budget::new();
        assert!((0..20).all(|_| b.bad_frame(t0) == Verdict::Admit));
        assert_eq!(b.bad_frame(t0), Verdict::Close);
    }

    #[test]
    fn chat_limits_do_not_eat_into_reactions() {
        let t0 = Instant::now();
        let mut b = Budget::new();
        for _ in 0..20 {
            let _ = b.admit(&ClientMsg::Chat { text: "x".into() }, t0);
        }
        assert!(b
            .admit(
                &ClientMsg::React {
                    kind: ReactionKind::Clap
                },
                t0
            )
            .is_ok());
    }
}
