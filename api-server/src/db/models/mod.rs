//! One file per table: the row struct, its insertable form and every query on that table.

mod act;
mod follow;
mod login_code;
pub mod ranking;
mod room;
mod user;

pub use act::{mean_centi, Act, HistoryCursor, NewAct, Recorded};
pub use follow::{Follow, FollowList};
pub use login_code::{LoginCode, LOGIN_CODE_TTL_SECS};
pub use ranking::RankingCounts;
pub use room::{status_order, NewRoom, Room, RoomFilter};
pub use user::{centi_to_score, NewUser, Provider, User};
