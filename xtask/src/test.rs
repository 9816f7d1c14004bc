//! `cargo xtask test`: every test of the workspace against real MariaDB, Redis and Chromium,
//! which it installs or starts first.

use crate::{dist, setup, workspace_root, StatusOk};
use anyhow::Result;

pub fn run(extra: &[String]) -> Result<()> {
    let root = workspace_root();
    let ci = setup::in_ci();
    setup::ensure_packages(&["libmariadb-dev", "pkg-config"])?;
    setup::ensure_wasm_target()?;

    let mut cmd = crate::cargo(&root);
    cmd.args(["test", "--workspace"]);
    // Each service: in CI its absence fails the run; elsewhere the tests needing it skip.
    match setup::ensure_mariadb() {
        Ok(url) => {
            cmd.env("ONAIR_TEST_MYSQL_URL", url);
        }
        Err(e) if !ci => eprintln!("xtask: warning: MariaDB unavailable ({e:#}); its tests skip"),
        Err(e) => return Err(e.context("MariaDB is required in CI")),
    }
    match setup::ensure_redis() {
        Ok(url) => {
            cmd.env("ONAIR_TEST_REDIS_URL", url)
                .env("ONAIR_REDIS_SERVER", "/usr/bin/redis-server");
        }
        Err(e) if !ci => eprintln!("xtask: warning: Redis unavailable ({e:#}); its tests skip"),
        Err(e) => return Err(e.context("Redis is required in CI")),
    }
    match setup::ensure_chromium() {
        Ok((chromium, driver)) => {
            cmd.env("ONAIR_CHROMIUM", chromium)
                .env("ONAIR_CHROMEDRIVER", driver);
        }
        Err(e) if !ci => {
            eprintln!("xtask: warning: Chromium unavailable ({e:#}); browser tests skip")
        }
        Err(e) => return Err(e.context("Chromium is required in CI")),
    }
    // The video tests relay a call through a real TURN server they start themselves.
    match setup::ensure_packages(&["coturn"]) {
        Ok(()) => {
            cmd.env("ONAIR_TURNSERVER", "/usr/bin/turnserver");
        }
        Err(e) if !ci => eprintln!("xtask: warning: coturn unavailable ({e:#}); its test skips"),
        Err(e) => return Err(e.context("coturn is required in CI")),
    }
    // The deploy/ checks run promtool (Debian's `prometheus` package) and yamllint.
    match setup::ensure_packages(&["prometheus", "yamllint"]) {
        Ok(()) => {}
        Err(e) if !ci => {
            eprintln!("xtask: warning: promtool/yamllint unavailable ({e:#}); their checks skip")
        }
        Err(e) => return Err(e.context("promtool and yamllint are required in CI")),
    }
    // The api-server's property-based check against its own OpenAPI document.
    match setup::ensure_schemathesis(&root) {
        Ok(st) => {
            cmd.env("ONAIR_SCHEMATHESIS", st);
        }
        Err(e) if !ci => {
            eprintln!("xtask: warning: schemathesis unavailable ({e:#}); its test skips")
        }
        Err(e) => return Err(e.context("schemathesis is required in CI")),
    }
    // The browser tests check every screen with axe-core (accessibility).
    match setup::ensure_axe(&root) {
        Ok(axe) => {
            cmd.env("ONAIR_AXE_JS", axe);
        }
        Err(e) if !ci => eprintln!("xtask: warning: axe-core unavailable ({e:#}); its checks skip"),
        Err(e) => return Err(e.context("axe-core is required in CI")),
    }
    // The browser tests load the real bundle.
    let dist = dist::build()?;
    cmd.env("ONAIR_WEB_DIST", dist);
    cmd.args(extra);
    cmd.status_ok()?;
    // The optional OTLP export is not in the default build; build and test it here so it
    // cannot rot (a whole run only, not one filtered by arguments).
    if extra.is_empty() {
        crate::cargo(&root)
            .args(["test", "-p", "onair-telemetry", "--features", "otlp"])
            .status_ok()?;
    }
    Ok(())
}
