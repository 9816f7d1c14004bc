//! Wire types shared by every OnAir crate: ids, the realtime protocol, REST bodies and the
//! claims inside our tokens. Plain serde only, so it compiles for wasm32 as well as the servers.

pub mod api;
pub mod auth;
pub mod fold;
pub mod ids;
pub mod media;
pub mod protocol;
pub mod room;
#[cfg(feature = "diesel")]
mod sql;
pub mod text;

pub use ids::{RoomId, RoundId, UserId};
