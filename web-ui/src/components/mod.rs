//! Reusable pieces of the screens.

pub mod avatar;
pub mod backing_track;
pub mod chat;
pub mod confirm;
pub mod connection_banner;
pub mod create_room_form;
pub mod header;
pub mod live_notice;
pub mod member_list;
pub mod nominate_dialog;
pub mod ranked_notice;
pub mod results_board;
pub mod room_list;
pub mod score_dialog;
pub mod score_trend;
pub mod stage;
pub mod toasts;
pub mod video;
