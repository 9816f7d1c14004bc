//! The rules of the show (docs/ARCHITECTURE.md, "The rules of the show") as a plain state machine: no actors, no I/O, and the
//! time is always passed in. The `Room` actor feeds it joins, commands, disconnects and clock
//! ticks, and fans out the events it returns; every rule is tested here directly.

mod show;

pub use show::{RankedRound, Settings, Show};

#[cfg(test)]
mod tests;

#[cfg(test)]
mod proptests;
