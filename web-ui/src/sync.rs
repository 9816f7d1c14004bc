//! Keeping a sing-along track in step with the room (pure; the player in
//! `components/backing_track.rs` feeds it what the browser measures).
//!
//! - [`Clock`]: the offset between this browser's clock and the room-server's, NTP-style from
//!   `time_sync` round trips, keeping the sample with the smallest round trip (the one least
//!   spoiled by queueing on the way).
//! - [`target_ms`]: where the track should be now, from the room's `media_state` at the
//!   server's "now", later by the delay of the performer's voice (so voice and track arrive
//!   together).
//! - [`correct`]: what to do about the difference between the player and the target: seek
//!   beyond [`SEEK_BEYOND_MS`], else nudge the playback rate where the player allows, else seek
//!   beyond [`COARSE_SEEK_MS`].

use onair_shared::media::MediaState;

/// A drift beyond this is corrected by seeking, whatever the player.
pub const SEEK_BEYOND_MS: f64 = 1_000.0;
/// Without a usable playback rate, a drift beyond this is corrected by seeking.
pub const COARSE_SEEK_MS: f64 = 250.0;
/// With fine rates (HTML5 media) a drift below this is left alone.
pub const FINE_DEAD_BAND_MS: f64 = 40.0;
/// With the few rates YouTube offers (steps of 0.25) a drift below this is left alone: one
/// half-second check at 1.25× moves 125 ms, so a narrower band would swing back and forth.
pub const COARSE_DEAD_BAND_MS: f64 = 120.0;
/// A fine nudge catches up over about this long...
pub const FINE_CATCH_UP_MS: f64 = 2_000.0;
/// ...never faster or slower than this (±10 % is not heard as a pitch change on a voice).
pub const FINE_RATE_SPAN: f64 = 0.1;
/// Coarse rates further from 1 than this are never used (2× would be plainly audible).
pub const COARSE_RATE_SPAN: f64 = 0.5;
/// How many `time_sync` samples are kept; the oldest go first.
pub const CLOCK_SAMPLES: usize = 8;
/// Round trips longer than this say nothing useful about the offset and are dropped.
pub const MAX_RTT_MS: f64 = 10_000.0;
/// A round trip up to this long gives an offset good enough for the track (±100 ms); until one
/// does, the clock is measured again soon (`use_room_clock`).
pub const PRECISE_RTT_MS: f64 = 200.0;

/// One `time_sync` round trip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// server clock − client clock, in ms.
    pub offset_ms: f64,
    pub rtt_ms: f64,
}

impl Sample {
    /// `sent_ms` and `received_ms` on the client clock, `server_ms` as the server answered.
    /// The server answered, on average, half-way through the round trip. `None` for a sample
    /// that cannot be right (received before sent, non-finite, a round trip too long).
    pub fn from_round_trip(sent_ms: f64, server_ms: f64, received_ms: f64) -> Option<Sample> {
        let rtt_ms = received_ms - sent_ms;
        if !sent_ms.is_finite()
            || !server_ms.is_finite()
            || !received_ms.is_finite()
            || !(0.0..=MAX_RTT_MS).contains(&rtt_ms)
        {
            return None;
        }
        Some(Sample {
            offset_ms: server_ms - (sent_ms + rtt_ms / 2.0),
            rtt_ms,
        })
    }
}

/// The server's clock as seen from here.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Clock {
    samples: Vec<Sample>,
}

impl Clock {
    /// Keeps the last [`CLOCK_SAMPLES`] samples (so a clock that jumped is forgotten after a
    /// few refreshes).
    pub fn add(&mut self, sample: Sample) {
        self.samples.push(sample);
        if self.samples.len() > CLOCK_SAMPLES {
            let extra = self.samples.len() - CLOCK_SAMPLES;
            self.samples.drain(..extra);
        }
    }

    /// The sample with the smallest round trip.
    pub fn best(&self) -> Option<Sample> {
        self.samples
            .iter()
            .copied()
            .min_by(|a, b| a.rtt_ms.total_cmp(&b.rtt_ms))
    }

    /// Whether the best round trip is short enough to trust the offset to within
    /// [`PRECISE_RTT_MS`] / 2. A sample's offset can be off by up to half its round trip (the
    /// answer's way back may have taken all of it): a page still loading or a busy machine
    /// gives round trips of seconds, which would put the track a second off.
    pub fn is_precise(&self) -> bool {
        self.best().is_some_and(|s| s.rtt_ms <= PRECISE_RTT_MS)
    }

    /// server clock − client clock; 0 before any sample (both clocks are usually NTP-synced,
    /// so this is the best guess until the first answer).
    pub fn offset_ms(&self) -> f64 {
        self.best().map_or(0.0, |s| s.offset_ms)
    }

    pub fn server_now(&self, client_now_ms: f64) -> f64 {
        client_now_ms + self.offset_ms()
    }

    pub fn is_synced(&self) -> bool {
        !self.samples.is_empty()
    }
}

/// Where the track should be (ms) at server time `server_now_ms`, played `delay_ms` late so
/// that it lines up with the performer's voice as this browser hears it. Never before the
/// position the track was played or paused at.
pub fn target_ms(state: &MediaState, server_now_ms: f64, delay_ms: f64) -> f64 {
    let base = state.position_ms as f64;
    if !state.playing {
        return base;
    }
    let since = server_now_ms - delay_ms.max(0.0) - state.at_ms as f64;
    base + since.max(0.0)
}

/// The playback rates a player can take.
#[derive(Debug, Clone, PartialEq)]
pub enum Rates {
    /// Any rate near 1 (HTML5 media).
    Fine,
    /// Only these (YouTube's `getAvailablePlaybackRates()`).
    Listed(Vec<f64>),
}

/// What the player should do now.
#[derive(Debug, Clone, PartialEq)]
pub enum Correction {
    /// Jump to this position (ms).
    Seek(f64),
    /// Play at this rate (1.0 when in step).
    Rate(f64),
}

/// What to do about the player being at `actual_ms` when it should be at `target_ms`.
/// `playing`: whether the room's track is playing (a paused track is only ever seeked).
pub fn correct(actual_ms: f64, target_ms: f64, playing: bool, rates: &Rates) -> Correction {
    // Positive: the player is ahead and must slow down.
    let drift = actual_ms - target_ms;
    if drift.abs() > SEEK_BEYOND_MS {
        return Correction::Seek(target_ms);
    }
    if !playing {
        return if drift.abs() > COARSE_SEEK_MS {
            Correction::Seek(target_ms)
        } else {
            Correction::Rate(1.0)
        };
    }
    match rates {
        Rates::Fine => {
            if drift.abs() <= FINE_DEAD_BAND_MS {
                Correction::Rate(1.0)
            } else {
                let rate = (1.0 - drift / FINE_CATCH_UP_MS)
                    .clamp(1.0 - FINE_RATE_SPAN, 1.0 + FINE_RATE_SPAN);
                Correction::Rate(rate)
            }
        }
        Rates::Listed(list) => {
            if drift.abs() <= COARSE_DEAD_BAND_MS {
                return Correction::Rate(1.0);
            }
            // The listed rate closest to 1 on the side that closes the gap.
            let slower = drift > 0.0;
            let pick = list
                .iter()
                .copied()
                .filter(|r| r.is_finite() && (r - 1.0).abs() <= COARSE_RATE_SPAN)
                .filter(|&r| if slower { r < 1.0 } else { r > 1.0 })
                .min_by(|a, b| (a - 1.0).abs().total_cmp(&(b - 1.0).abs()));
            match pick {
                Some(rate) => Correction::Rate(rate),
                None if drift.abs() > COARSE_SEEK_MS => Correction::Seek(target_ms),
                None => Correction::Rate(1.0),
            }
        }
    }
}

/// The delay of the performer's voice on its way to this browser (ms), from the inbound audio
/// `RTCInboundRtpStreamStats` (`jitterBufferDelay` in seconds summed over
/// `jitterBufferEmittedCount` samples) and the candidate pair's `currentRoundTripTime`
/// (seconds). `None` when the stats do not say (no audio yet).
pub fn voice_delay_ms(
    jitter_buffer_delay_s: f64,
    jitter_buffer_emitted: f64,
    round_trip_s: Option<f64>,
) -> Option<f64> {
    // Written so that NaN counts as "no samples" too.
    if jitter_buffer_emitted.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
        || !jitter_buffer_delay_s.is_finite()
    {
        return None;
    }
    let buffer_ms = jitter_buffer_delay_s / jitter_buffer_emitted * 1000.0;
    let half_rtt_ms = round_trip_s
        .filter(|r| r.is_finite() && *r >= 0.0)
        .map_or(0.0, |r| r * 500.0);
    let delay = buffer_ms + half_rtt_ms;
    // A delay of seconds is a broken measurement, not a path: never hold the track back more.
    (delay.is_finite() && delay >= 0.0).then_some(delay.min(MAX_VOICE_DELAY_MS))
}

/// The most the track is ever held back for the voice.
pub const MAX_VOICE_DELAY_MS: f64 = 1_000.0;

#[cfg(test)]
mod tests {
    use super::*;

    fn playing(position_ms: u64, at_ms: i64) -> MediaState {
        MediaState {
            media: None,
            playing: true,
            position_ms,
            at_ms,
            by: None,
            error: None,
        }
    }

    #[test]
    fn the_offset_comes_from_the_shortest_round_trip() {
        let mut clock = Clock::default();
        assert_eq!(clock.offset_ms(), 0.0);
        // The server is 5 s ahead. A slow trip whose answer waited on the way back...
        clock.add(Sample::from_round_trip(1_000.0, 6_100.0, 1_400.0).unwrap());
        // ...and a quick one, answered mid-way.
        clock.add(Sample::from_round_trip(2_000.0, 7_010.0, 2_020.0).unwrap());
        clock.add(Sample::from_round_trip(3_000.0, 8_300.0, 3_500.0).unwrap());
        assert_eq!(clock.best().unwrap().rtt_ms, 20.0);
        assert_eq!(clock.offset_ms(), 5_000.0);
        assert_eq!(clock.server_now(10_000.0), 15_000.0);
    }

    #[test]
    fn a_clock_measured_only_through_slow_round_trips_is_not_precise() {
        let mut clock = Clock::default();
        assert!(!clock.is_precise());
        // A page loading on a busy machine: every answer took over 2 s to come back, so the
        // offset could be a second off.
        clock.add(Sample::from_round_trip(0.0, 1_100.0, 2_200.0).unwrap());
        clock.add(Sample::from_round_trip(3_000.0, 3_900.0, 5_100.0).unwrap());
        assert!(!clock.is_precise());
        // One quick round trip settles it.
        clock.add(Sample::from_round_trip(9_000.0, 9_020.0, 9_040.0).unwrap());
        assert!(clock.is_precise());
        assert_eq!(clock.offset_ms(), 0.0);
    }

    #[test]
    fn impossible_samples_are_dropped_and_old_ones_forgotten() {
        assert!(Sample::from_round_trip(2_000.0, 1.0, 1_999.0).is_none());
        assert!(Sample::from_round_trip(0.0, f64::NAN, 10.0).is_none());
        assert!(Sample::from_round_trip(0.0, 1.0, MAX_RTT_MS + 1.0).is_none());
        let mut clock = Clock::default();
        clock.add(Sample::from_round_trip(0.0, 100.0, 2.0).unwrap());
        for i in 0..CLOCK_SAMPLES {
            let t = 1_000.0 * (i + 1) as f64;
            clock.add(Sample::from_round_trip(t, t + 50.0 + 300.0, t + 100.0).unwrap());
        }
        // The 2 ms sample has gone with age; the offset follows the newer ones.
        assert_eq!(clock.best().unwrap().rtt_ms, 100.0);
        assert_eq!(clock.offset_ms(), 300.0);
    }

    #[test]
    fn the_target_runs_with_the_server_clock_and_waits_for_the_voice() {
        let s = playing(30_000, 100_000);
        assert_eq!(target_ms(&s, 102_500.0, 0.0), 32_500.0);
        assert_eq!(target_ms(&s, 102_500.0, 200.0), 32_300.0);
        // Just after "play" with a voice delay: held at the play position, not before it.
        assert_eq!(target_ms(&s, 100_100.0, 200.0), 30_000.0);
        let paused = MediaState {
            playing: false,
            ..s
        };
        assert_eq!(target_ms(&paused, 200_000.0, 200.0), 30_000.0);
    }

    #[test]
    fn far_off_seeks_whatever_the_player() {
        assert_eq!(
            correct(10_000.0, 12_000.0, true, &Rates::Fine),
            Correction::Seek(12_000.0)
        );
        assert_eq!(
            correct(
                13_500.0,
                12_000.0,
                true,
                &Rates::Listed(vec![0.75, 1.0, 1.25])
            ),
            Correction::Seek(12_000.0)
        );
    }

    #[test]
    fn fine_rates_nudge_in_the_right_direction_within_bounds() {
        assert_eq!(
            correct(5_020.0, 5_000.0, true, &Rates::Fine),
            Correction::Rate(1.0)
        );
        // 200 ms behind: faster.
        let Correction::Rate(r) = correct(4_800.0, 5_000.0, true, &Rates::Fine) else {
            panic!("a nudge");
        };
        assert!(r > 1.0 && r <= 1.0 + FINE_RATE_SPAN, "{r}");
        // 900 ms ahead: slower, at most 10 %.
        assert_eq!(
            correct(5_900.0, 5_000.0, true, &Rates::Fine),
            Correction::Rate(1.0 - FINE_RATE_SPAN)
        );
    }

    #[test]
    fn youtube_rates_use_the_nearest_listed_step_or_seek() {
        let yt = Rates::Listed(vec![0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0]);
        assert_eq!(correct(5_300.0, 5_000.0, true, &yt), Correction::Rate(0.75));
        assert_eq!(correct(4_700.0, 5_000.0, true, &yt), Correction::Rate(1.25));
        assert_eq!(correct(5_100.0, 5_000.0, true, &yt), Correction::Rate(1.0));
        // A video that only plays at 1×: seek above 250 ms, else leave it.
        let only_one = Rates::Listed(vec![1.0]);
        assert_eq!(
            correct(5_300.0, 5_000.0, true, &only_one),
            Correction::Seek(5_000.0)
        );
        assert_eq!(
            correct(5_200.0, 5_000.0, true, &only_one),
            Correction::Rate(1.0)
        );
    }

    #[test]
    fn a_paused_track_is_only_moved_to_its_place() {
        assert_eq!(
            correct(5_400.0, 5_000.0, false, &Rates::Fine),
            Correction::Seek(5_000.0)
        );
        assert_eq!(
            correct(5_100.0, 5_000.0, false, &Rates::Fine),
            Correction::Rate(1.0)
        );
    }

    #[test]
    fn voice_delay_is_the_jitter_buffer_plus_half_the_round_trip() {
        // 48 000 samples held 0.06 s each on average, 40 ms round trip.
        assert_eq!(voice_delay_ms(2_880.0, 48_000.0, Some(0.04)), Some(80.0));
        assert_eq!(voice_delay_ms(1.0, 0.0, Some(0.04)), None);
        assert_eq!(voice_delay_ms(2_880.0, 48_000.0, None), Some(60.0));
        assert_eq!(
            voice_delay_ms(1e9, 1.0, None),
            Some(MAX_VOICE_DELAY_MS),
            "never held back for seconds"
        );
    }
}
