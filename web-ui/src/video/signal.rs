//! What two browsers say to each other through the room (`signal {to, data}` out,
//! `signal {from, data}` in): the `data` payloads, tagged by `kind`. The room-server relays
//! them without looking inside; everything here is pure and unit-tested.
//!
//! | kind | sent by | meaning |
//! |---|---|---|
//! | `hello` | the callee | "call me": I (re)started and have no working call with you |
//! | `offer` | the caller | SDP offer for call `pc` (a fresh `pc` replaces any earlier call) |
//! | `answer` | the callee | SDP answer for call `pc` |
//! | `candidate` | both | one trickled ICE candidate for call `pc` |
//! | `state` | both | whether my camera and microphone are on |
//!
//! Roles are fixed by user id so two browsers never offer at the same time (no glare): the
//! member with the lower id is the caller and the only one who makes offers.

use onair_shared::UserId;
use serde::{Deserialize, Serialize};

/// The room-server refuses signal payloads above 16 KiB; stay a little under.
pub const MAX_SIGNAL_BYTES: usize = 16 * 1024 - 512;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Signal {
    /// From the callee: "I have no working call with you; please call me".
    Hello,
    Offer {
        pc: String,
        sdp: String,
    },
    Answer {
        pc: String,
        sdp: String,
    },
    Candidate {
        pc: String,
        candidate: String,
        #[serde(rename = "sdpMid", default, skip_serializing_if = "Option::is_none")]
        sdp_mid: Option<String>,
        #[serde(
            rename = "sdpMLineIndex",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        sdp_m_line_index: Option<u16>,
    },
    /// Whether the sender's camera and microphone are on (a member without a camera sends
    /// `camera: false`, so the others show their picture instead of a dark tile).
    State {
        camera: bool,
        mic: bool,
    },
}

impl Signal {
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("signals always serialize")
    }

    /// `None` for anything that is not one of ours (an unknown kind, a newer client's
    /// payload): it is ignored rather than answered.
    pub fn from_value(value: serde_json::Value) -> Option<Signal> {
        serde_json::from_value(value).ok()
    }

    /// The call this signal belongs to, when it belongs to one.
    pub fn pc(&self) -> Option<&str> {
        match self {
            Signal::Offer { pc, .. } | Signal::Answer { pc, .. } | Signal::Candidate { pc, .. } => {
                Some(pc)
            }
            Signal::Hello | Signal::State { .. } => None,
        }
    }

    /// Whether it fits in one `signal` frame.
    pub fn fits(&self) -> bool {
        serde_json::to_string(self).is_ok_and(|s| s.len() <= MAX_SIGNAL_BYTES)
    }
}

/// The caller of a pair is the member with the lower user id; only the caller makes offers.
pub fn is_caller(you: UserId, peer: UserId) -> bool {
    you < peer
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn payloads_have_a_kind_and_camel_case_candidate_fields() {
        assert_eq!(Signal::Hello.to_value(), json!({"kind": "hello"}));
        assert_eq!(
            Signal::Offer {
                pc: "a1".into(),
                sdp: "v=0".into()
            }
            .to_value(),
            json!({"kind": "offer", "pc": "a1", "sdp": "v=0"})
        );
        assert_eq!(
            Signal::Candidate {
                pc: "a1".into(),
                candidate: "candidate:1 1 udp 2122260223 192.0.2.2 54321 typ host".into(),
                sdp_mid: Some("0".into()),
                sdp_m_line_index: Some(0),
            }
            .to_value(),
            json!({"kind": "candidate", "pc": "a1",
                   "candidate": "candidate:1 1 udp 2122260223 192.0.2.2 54321 typ host",
                   "sdpMid": "0", "sdpMLineIndex": 0})
        );
        assert_eq!(
            Signal::State {
                camera: false,
                mic: true
            }
            .to_value(),
            json!({"kind": "state", "camera": false, "mic": true})
        );
    }

    #[test]
    fn payloads_round_trip() {
        let all = [
            Signal::Hello,
            Signal::Offer {
                pc: "x".into(),
                sdp: "v=0\r\n".into(),
            },
            Signal::Answer {
                pc: "x".into(),
                sdp: "v=0\r\n".into(),
            },
            Signal::Candidate {
                pc: "x".into(),
                candidate: "".into(),
                sdp_mid: None,
                sdp_m_line_index: None,
            },
            Signal::State {
                camera: true,
                mic: false,
            },
        ];
        for s in all {
            assert_eq!(Signal::from_value(s.to_value()), Some(s));
        }
    }

    #[test]
    fn foreign_payloads_are_ignored() {
        assert_eq!(Signal::from_value(json!({"kind": "dance"})), None);
        assert_eq!(
            Signal::from_value(json!({"sdp": "v=0", "type": "offer"})),
            None
        );
        assert_eq!(Signal::from_value(json!({"kind": "offer"})), None, "no sdp");
        assert_eq!(Signal::from_value(json!("hello")), None);
    }

    #[test]
    fn calls_belong_to_a_pc() {
        assert_eq!(Signal::Hello.pc(), None);
        assert_eq!(
            Signal::Answer {
                pc: "p".into(),
                sdp: String::new()
            }
            .pc(),
            Some("p")
        );
    }

    #[test]
    fn oversized_sdp_does_not_fit_in_a_frame() {
        let small = Signal::Offer {
            pc: "p".into(),
            sdp: "a".repeat(8_000),
        };
        let big = Signal::Offer {
            pc: "p".into(),
            sdp: "a".repeat(16_000),
        };
        assert!(small.fits());
        assert!(!big.fits());
    }

    #[test]
    fn exactly_one_of_a_pair_is_the_caller() {
        let (a, b) = (UserId(3), UserId(10));
        assert!(is_caller(a, b));
        assert!(!is_caller(b, a));
        assert!(!is_caller(a, a));
    }
}
