//! One module per screen.

pub mod follows;
pub mod lobby;
pub mod login;
pub mod login_complete;
pub mod not_found;
pub mod profile;
pub mod rankings;
pub mod room;
