//! Custom hooks.

pub mod use_interval;
pub mod use_room_clock;
pub mod use_room_socket;
pub mod use_video;

pub use use_interval::use_interval;
pub use use_room_clock::{use_room_clock, ClockRef};
pub use use_room_socket::{use_room_socket, ConnStatus, RoomSocket, StopReason};
pub use use_video::{use_video, Video};
