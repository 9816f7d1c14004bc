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
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// All of one connection's limits.
#[derive(Debug, Clone)]
pub struct Budget {
    /// Every frame.
    frames: TokenBucket,
    chat: TokenBucket,
    reactions: TokenBucket,
    /// When the member was last told they are rate-limited (told at most once a second).
    last_told: Option<Instant>,
    /// Frames dropped in the current ten-second window, to tell abuse from enthusiasm.
    dropped: u32,
    window_start: Instant,
}

/// Dropped frames within ten seconds after which the connection is closed.
const ABUSE_DROPS: u32 = 2_000;

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
            chat: TokenBucket::new(2.0, 8.0, now),
            // Clapping along is meant to be fast.
            reactions: TokenBucket::new(10.0, 30.0, now),
            last_told: None,
            dropped: 0,
            window_start: now,
        }
    }

    /// `Ok` to let the frame through; `Err(Some(code))` to drop it and tell the member;
    /// `Err(None)` to drop it quietly (they were told less than a second ago).
    pub fn admit(&mut self, msg: &ClientMsg, now: Instant) -> Result<(), Option<ErrorCode>> {
        let specific = match msg {
            ClientMsg::Chat { .. } => Some(&mut self.chat),
            ClientMsg::React { .. } => Some(&mut self.reactions),
            _ => None,
        };
        let ok = specific.is_none_or(|b| b.take(now)) && self.frames.take(now);
        if ok {
            return Ok(());
        }
        if now.saturating_duration_since(self.window_start) > Duration::from_secs(10) {
            self.window_start = now;
            self.dropped = 0;
        }
        self.dropped += 1;
        match self.last_told {
            Some(t) if now.saturating_duration_since(t) < Duration::from_secs(1) => Err(None),
            _ => {
                self.last_told = Some(now);
                Err(Some(ErrorCode::RateLimited))
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
