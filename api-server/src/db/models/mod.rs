//! One file per table: the row struct, its insertable form and every query on that table.

mod act;
mod follow;
mod login_code;
mod moderation;
pub mod ranking;
mod room;
mod user;

pub use act::{mean_centi, Act, CountRules, HistoryCursor, NewAct, Recorded};
pub use follow::{Follow, FollowList};
pub use login_code::{LoginCode, LOGIN_CODE_TTL_SECS};
pub use moderation::{ModerationEvent, MODERATION_EVENTS_KEPT_SECS};
pub use ranking::RankingCounts;
pub use room::{status_order, Created, NewRoom, Room, RoomFilter, StoredResults, MAX_RESULTS};
pub use user::{centi_to_score, NewUser, Provider, User};
