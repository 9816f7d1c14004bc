//! One module per screen.

pub mod lobby;
pub mod login;
pub mod not_found;
pub mod room;
