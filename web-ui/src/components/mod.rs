//! Reusable pieces of the screens.

pub mod chat;
pub mod connection_banner;
pub mod create_room_form;
pub mod header;
pub mod member_list;
pub mod room_list;
pub mod stage;
pub mod toasts;
