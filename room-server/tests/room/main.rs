//! End-to-end tests of the room-server over real WebSockets: shows, the socket itself, ranked
//! shows recorded by the real api-server, and clusters of room-server processes over Redis.
//! One test binary for all areas: every extra binary is another slow link.

#[path = "../common/mod.rs"]
mod common;

mod cluster;
mod deploy;
mod fair_play;
mod hostile;
mod ranked;
mod show;
mod stack;
mod websocket;
