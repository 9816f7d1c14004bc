//! The sing-along's two microphone-side pieces:
//! - how late the performer's voice reaches this browser, from `getStats()` on the call with
//!   them (their inbound audio's jitter buffer, plus half the round trip), so the backing
//!   track can wait as long (`sync::voice_delay_ms`);
//! - music mode: the microphone without echo cancellation, noise suppression or automatic
//!   gain, which a call wants and a song does not.

use crate::sync::voice_delay_ms;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{MediaStreamTrack, RtcPeerConnection};

/// Cumulative jitter-buffer figures of one inbound audio stream.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Jitter {
    pub delay_s: f64,
    pub emitted: f64,
}

fn num(obj: &JsValue, key: &str) -> Option<f64> {
    js_sys::Reflect::get(obj, &key.into())
        .ok()?
        .as_f64()
        .filter(|v| v.is_finite())
}

fn text(obj: &JsValue, key: &str) -> Option<String> {
    js_sys::Reflect::get(obj, &key.into()).ok()?.as_string()
}

/// The jitter buffer totals and the round trip (s) of the call, from one `getStats()`.
pub async fn sample(conn: &RtcPeerConnection) -> Option<(Jitter, Option<f64>)> {
    let report = JsFuture::from(conn.get_stats()).await.ok()?;
    let values: js_sys::Function = js_sys::Reflect::get(&report, &"values".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let iter = values.call0(&report).ok()?;
    let stats = js_sys::Array::from(&iter);
    let mut jitter = None;
    let mut rtt = None;
    for s in stats.iter() {
        match text(&s, "type").as_deref() {
            Some("inbound-rtp") if text(&s, "kind").as_deref() == Some("audio") => {
                if let (Some(delay_s), Some(emitted)) = (
                    num(&s, "jitterBufferDelay"),
                    num(&s, "jitterBufferEmittedCount"),
                ) {
                    jitter = Some(Jitter { delay_s, emitted });
                }
            }
            Some("candidate-pair")
                if text(&s, "state").as_deref() == Some("succeeded")
                    && js_sys::Reflect::get(&s, &"nominated".into())
                        .ok()
                        .and_then(|v| v.as_bool())
                        .unwrap_or(false) =>
            {
                rtt = num(&s, "currentRoundTripTime").or(rtt);
            }
            _ => {}
        }
    }
    Some((jitter?, rtt))
}

/// The voice delay (ms) since the previous sample (what the buffer holds now, not its
/// average since the call began); from the totals alone when there is no usable previous.
pub fn delay_between(prev: Option<Jitter>, now: Jitter, rtt_s: Option<f64>) -> Option<f64> {
    match prev {
        Some(p) if now.emitted > p.emitted && now.delay_s >= p.delay_s => {
            voice_delay_ms(now.delay_s - p.delay_s, now.emitted - p.emitted, rtt_s)
        }
        _ => voice_delay_ms(now.delay_s, now.emitted, rtt_s),
    }
}

/// Music mode on or off for `track`: the three call-voice treatments off or back on.
pub async fn set_music_mode(track: &MediaStreamTrack, on: bool) -> Result<(), JsValue> {
    let constraints = js_sys::Object::new();
    for key in ["echoCancellation", "noiseSuppression", "autoGainControl"] {
        js_sys::Reflect::set(&constraints, &key.into(), &JsValue::from_bool(!on))?;
    }
    let apply: js_sys::Function =
        js_sys::Reflect::get(track, &"applyConstraints".into())?.dyn_into()?;
    let promise: js_sys::Promise = apply.call1(track, &constraints)?.dyn_into()?;
    JsFuture::from(promise).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_follows_the_buffer_now_not_since_the_call_began() {
        // 100 s at 150 ms, then the buffer drains to 50 ms over the last 48 000 samples.
        let before = Jitter {
            delay_s: 0.15 * 4_800_000.0,
            emitted: 4_800_000.0,
        };
        let after = Jitter {
            delay_s: before.delay_s + 0.05 * 48_000.0,
            emitted: before.emitted + 48_000.0,
        };
        let d = delay_between(Some(before), after, Some(0.02)).unwrap();
        assert!((d - 60.0).abs() < 1e-6, "{d}");
        // No previous sample (or a new call whose totals started over): the totals.
        let d = delay_between(None, before, None).unwrap();
        assert!((d - 150.0).abs() < 1e-6, "{d}");
        let restarted = Jitter {
            delay_s: 0.5,
            emitted: 10_000.0,
        };
        let d = delay_between(Some(before), restarted, None).unwrap();
        assert!((d - 0.05).abs() < 1e-6, "{d}");
    }
}
