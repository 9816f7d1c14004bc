//! OnAir's test kit: the set-up the integration tests of every crate share, so it is written
//! once. Dev-only (`publish = false`), used as a dev-dependency (and by xtask for [`in_ci`]).
//!
//! - [`ci`]: the one CI rule ([`in_ci`]) and [`skip_unless!`]/[`skip`]: a test that lacks
//!   something it needs skips with `SKIPPED: <reason>` outside CI and fails in CI.
//! - [`net`]: free loopback ports, waiting for a port to answer.
//! - [`temp`]: temp dirs removed on drop, random suffixes.
//! - [`redis`]: a private `redis-server` on a free port that a test may kill and restart.
//! - `db` (feature `db`): [`db::TestDb`], a fresh SQLite file or MariaDB database per test.
//! - `servers` (feature `servers`): [`servers::Servers`], the api-server and the room-server
//!   started together in-process, wired as in production.

pub mod ci;
#[cfg(feature = "db")]
pub mod db;
pub mod net;
pub mod redis;
#[cfg(feature = "servers")]
pub mod servers;
pub mod temp;

pub use ci::{in_ci, skip};
pub use net::{free_port, wait_for_port};
pub use temp::{random_suffix, TempDir};
