//! Video: WebRTC between the members of a room, signaled through the room's WebSocket.
//!
//! - [`signal`]: the `signal` payloads (`hello`, `offer`, `answer`, `candidate`, `state`) and
//!   who of a pair is the caller; pure.
//! - [`plan`]: the mesh's decisions (roster changes, stuck calls, bitrate caps, the stage,
//!   the relay-only switch); pure.
//! - [`view`]: what the page draws (a Yew reducer).
//! - [`media`]: camera and microphone (`getUserMedia`).
//! - [`mesh`]: the peer connections, one per other online member.
//! - [`voice`]: the performer's voice delay (for the sing-along track) and music mode.
//!
//! The `use_video` hook (`hooks/use_video.rs`) wires them to the room page.

pub mod media;
pub mod mesh;
pub mod plan;
pub mod signal;
pub mod view;
pub mod voice;

pub use media::Device;
pub use view::{Remote, VideoView};
