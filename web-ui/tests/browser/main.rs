//! End-to-end tests in real browsers: both servers in-process, the real web UI bundle, and
//! Debian's headless Chromium driven through chromedriver (one per test).
//! One test binary for all journeys: every extra binary is another slow link.

#[path = "../common/mod.rs"]
mod common;

mod chat;
mod fair_play;
mod profile;
mod reload;
mod screens;
mod show;
mod sing;
mod stage;
mod video;
