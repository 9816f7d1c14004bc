//! One file per table: the row struct, its insertable form and every query on that table.

mod room;
mod user;

pub use room::{NewRoom, Room, RoomFilter};
pub use user::{NewUser, Provider, User};
