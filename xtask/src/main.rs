//! OnAir's build helper: `cargo xtask dist` bundles the web UI into `web-ui/dist/`,
//! `cargo xtask run` runs OnAir locally, `cargo xtask test` runs every test.
//!
//! Keep this file a small dispatcher: each subcommand lives in its own module.

mod dist;
mod run;
mod setup;
mod test;

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  run     run OnAir locally (SQLite, one room-server, dev login) at http://127.0.0.1:8080/
  test    run every test (installs/starts MariaDB, Redis, Chromium as needed); extra
          arguments go to `cargo test --workspace`
  dist    build the web UI (release wasm32 + wasm-bindgen) into web-ui/dist/";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.get(1).map(String::as_str) {
        Some("dist") => dist::run(),
        Some("run") => run::run(),
        Some("test") => test::run(&args[2..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => {
            eprintln!("unknown command `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
        None => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: this crate lives in `<root>/xtask`. `cargo run` tells us where at run
/// time; the compile-time path is only a fallback (a binary shared between two checkouts
/// through one target dir would otherwise build the other checkout).
pub fn workspace_root() -> PathBuf {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

/// The cargo that runs us (so the toolchain matches), started in the workspace root.
pub fn cargo(root: &Path) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    cmd.current_dir(root);
    cmd
}

/// Runs a command to completion and fails unless it succeeded.
pub trait StatusOk {
    fn status_ok(&mut self) -> Result<()>;
}

impl StatusOk for Command {
    fn status_ok(&mut self) -> Result<()> {
        let status = self
            .status()
            .with_context(|| format!("cannot start {self:?}"))?;
        if !status.success() {
            bail!("{self:?} failed ({status})");
        }
        Ok(())
    }
}
