//! End-to-end tests of the api-server over HTTP, each on SQLite and on MariaDB/MySQL.
//! One test binary for all areas: every extra binary is another slow link.

#[path = "../common/mod.rs"]
mod common;

mod admin;
mod auth;
mod conformance;
mod counters;
mod fair_play;
mod faults;
mod follows;
mod hardening;
mod internal;
mod kakao;
mod ops;
mod profiles;
mod rankings;
mod rooms;
mod seed;
mod server;
mod tickets;
