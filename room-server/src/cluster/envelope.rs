//! What crosses Redis between a room's owner and its relays.
//!
//! A message is a one-line JSON header, a newline, then (for frames) the frame's bytes exactly
//! as the owner serialised them once for all sessions, so relays forward them untouched.

use crate::actor_messages::ConnId;
use onair_shared::auth::RankedStanding;
use onair_shared::protocol::{ClientMsg, ErrorCode};
use onair_shared::UserId;
use serde::{Deserialize, Serialize};

/// Relay -> owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum ToOwner {
    Join {
        user: UserId,
        name: String,
        #[serde(default)]
        standing: Option<RankedStanding>,
        conn: ConnId,
    },
    Frame {
        user: UserId,
        conn: ConnId,
        /// Numbers this connection's frames (from 1), so a frame sent again after a failover
        /// is applied once; 0: unnumbered.
        #[serde(default)]
        n: u64,
        msg: ClientMsg,
    },
    Gone {
        user: UserId,
        conn: ConnId,
    },
}

/// Owner -> relays. The frame bytes travel after the header; `kind` is the frame's `type`, so
/// relays count what they write without reading the frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum FromOwner {
    /// A room event for every member.
    Broadcast {
        #[serde(default)]
        kind: String,
    },
    /// A frame for one connection (its `welcome`, an `error`, a `signal`, a replayed event).
    To {
        user: UserId,
        conn: ConnId,
        #[serde(default)]
        kind: String,
    },
    /// A WebRTC signal for one connection: dropped when that reader is already far behind, so
    /// it never makes the reader one to cut off.
    Signal { user: UserId, conn: ConnId },
    /// Close that connection (left, kicked, replaced).
    Close { user: UserId, conn: ConnId },
    /// A frame came for a connection the owner does not seat (it took the room over and the
    /// relay has not re-joined its members yet): re-join it and send its frames from `n` again.
    Unknown { user: UserId, conn: ConnId, n: u64 },
    /// The owner is stopping and has given the lease up: take the room over now.
    Leaving,
    /// The owner refused the seat.
    Refused {
        user: UserId,
        conn: ConnId,
        code: ErrorCode,
    },
}

pub fn encode<H: Serialize>(header: &H, body: &[u8]) -> Vec<u8> {
    // Our headers always serialise; compact JSON never contains a raw newline.
    let mut out = serde_json::to_vec(header).unwrap_or_default();
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

pub fn decode<H: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Option<(H, &[u8])> {
    let split = bytes.iter().position(|&b| b == b'\n')?;
    let header = serde_json::from_slice(&bytes[..split]).ok()?;
    Some((header, &bytes[split + 1..]))
}

/// An owner's message to its relays: the owner's incarnation on the first line, then the
/// message (see `RedisCluster::publish_down`).
pub fn split_sender(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let split = bytes.iter().position(|&b| b == b'\n')?;
    Some((&bytes[..split], &bytes[split + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_travel_byte_for_byte_after_the_header() {
        let frame = br#"{"seq":3,"type":"chat","line":{"text":"a\nb"}}"#;
        let header = FromOwner::To {
            user: UserId(4),
            conn: 9,
            kind: "chat".into(),
        };
        let bytes = encode(&header, frame);
        let (decoded, body) = decode::<FromOwner>(&bytes).unwrap();
        assert_eq!(decoded, header);
        assert_eq!(body, frame);
        assert!(decode::<FromOwner>(b"garbage").is_none());
    }
}
