//! Installs or starts what OnAir needs on a fresh Debian machine that has only the Rust
//! toolchain: the wasm32 target, Debian packages, and (for tests) MariaDB, Redis, Chromium.
//!
//! Outside CI a missing service is a warning and the tests that need it skip; with `CI=true`
//! it is an error, so nothing is ever skipped silently in CI.

use crate::StatusOk;
use anyhow::{bail, Result};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The tests' own rule (`CI` set to anything but empty, `0` or `false`), so xtask and the
/// tests always agree on whether a missing service is an error.
pub use onair_testkit::in_ci;

fn run(cmd: &mut Command) -> Result<()> {
    cmd.status_ok()
}

fn quiet(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

pub fn ensure_wasm_target() -> Result<()> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    match out {
        Ok(out) if String::from_utf8_lossy(&out.stdout).contains("wasm32-unknown-unknown") => {
            Ok(())
        }
        Ok(_) => {
            eprintln!("xtask: adding the wasm32-unknown-unknown target");
            run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
        }
        // No rustup: trust that the toolchain has the target, the build will say otherwise.
        Err(_) => Ok(()),
    }
}

fn is_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

fn as_root(program: &str) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    if root {
        Command::new(program)
    } else {
        let mut c = Command::new("sudo");
        c.arg(program);
        c
    }
}

/// Installs the Debian packages that are missing, with one `apt-get update` first.
pub fn ensure_packages(packages: &[&str]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !is_installed(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !Path::new("/usr/bin/apt-get").exists() {
        bail!("missing packages {missing:?} and no apt-get here: install them by hand");
    }
    eprintln!("xtask: installing Debian packages {missing:?}");
    run(as_root("apt-get").args(["update", "-qq"]))?;
    run(as_root("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(&missing))
}

fn port_open(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
}

fn wait_for_port(port: u16, what: &str, limit: Duration) -> Result<()> {
    let start = Instant::now();
    while !port_open(port) {
        if start.elapsed() > limit {
            bail!("{what} did not start listening on 127.0.0.1:{port} within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Ok(())
}

/// MariaDB on 127.0.0.1:3306, plus a test user that may create `onair_test_*` databases.
/// Returns the URL tests should use.
pub fn ensure_mariadb() -> Result<String> {
    if let Ok(url) = std::env::var("ONAIR_TEST_MYSQL_URL") {
        return Ok(url);
    }
    if !port_open(3306) {
        ensure_packages(&["mariadb-server", "mariadb-client"])?;
        eprintln!("xtask: starting MariaDB");
        let _ = std::fs::create_dir_all("/run/mysqld");
        let _ = Command::new("chown")
            .args(["mysql:mysql", "/run/mysqld"])
            .status();
        run(as_root("start-stop-daemon").args([
            "--start",
            "--oknodo",
            "--background",
            "--exec",
            "/usr/sbin/mariadbd",
            "--",
            "--user=mysql",
            "--bind-address=127.0.0.1",
        ]))?;
        wait_for_port(3306, "MariaDB", Duration::from_secs(60))?;
    }
    // Debian's root logs in over the socket only; a dedicated user works over TCP everywhere.
    let sql = "CREATE USER IF NOT EXISTS 'onair_test'@'127.0.0.1' IDENTIFIED BY 'onair_test';\
               CREATE USER IF NOT EXISTS 'onair_test'@'localhost' IDENTIFIED BY 'onair_test';\
               GRANT ALL PRIVILEGES ON `onair\\_test\\_%`.* TO 'onair_test'@'127.0.0.1';\
               GRANT ALL PRIVILEGES ON `onair\\_test\\_%`.* TO 'onair_test'@'localhost';";
    let client = if Path::new("/usr/bin/mariadb").exists() {
        "mariadb"
    } else {
        "mysql"
    };
    let made = quiet(as_root(client).args(["-uroot", "-e", sql]))
        || quiet(Command::new(client).args(["-uroot", "-h127.0.0.1", "-e", sql]));
    if !made {
        bail!("could not create the MariaDB test user (tried root over the socket and TCP)");
    }
    Ok("mysql://onair_test:onair_test@127.0.0.1:3306".into())
}

/// Redis on 127.0.0.1:6379. Returns the URL tests should use.
pub fn ensure_redis() -> Result<String> {
    // The cluster tests also start private redis-server processes of their own.
    ensure_packages(&["redis-server"])?;
    if let Ok(url) = std::env::var("ONAIR_TEST_REDIS_URL") {
        return Ok(url);
    }
    if !port_open(6379) {
        eprintln!("xtask: starting Redis");
        let _ = std::fs::create_dir_all("/tmp/onair-redis");
        run(Command::new("redis-server").args([
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            "/tmp/onair-redis",
        ]))?;
        wait_for_port(6379, "Redis", Duration::from_secs(20))?;
    }
    Ok("redis://127.0.0.1:6379".into())
}

/// Debian's Chromium and its driver for the browser tests.
pub fn ensure_chromium() -> Result<(String, String)> {
    // The fonts make Korean and emoji render in the screenshots the browser tests take.
    ensure_packages(&[
        "chromium",
        "chromium-driver",
        "fonts-noto-cjk",
        "fonts-noto-color-emoji",
    ])?;
    Ok(("/usr/bin/chromium".into(), "/usr/bin/chromedriver".into()))
}

/// The schemathesis version the API conformance test runs (from PyPI, into a venv of its own).
pub const SCHEMATHESIS: &str = "schemathesis==4.32.5";

/// Schemathesis in `target/schemathesis-venv` (created and installed on first use), for the
/// api-server's property-based check against its own OpenAPI document. Returns its `st`.
pub fn ensure_schemathesis(root: &Path) -> Result<std::path::PathBuf> {
    let venv = root.join("target/schemathesis-venv");
    let st = venv.join("bin/st");
    let pip = venv.join("bin/pip");
    let installed = Command::new(&pip)
        .args(["show", "--quiet", "schemathesis"])
        .output()
        .is_ok_and(|o| o.status.success())
        && Command::new(&st)
            .arg("--version")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(version(SCHEMATHESIS)));
    if installed {
        return Ok(st);
    }
    if !quiet(Command::new("python3").args(["-m", "venv", "--help"])) {
        // Debian splits venv out of python3.
        ensure_packages(&["python3", "python3-venv"])?;
    }
    eprintln!("xtask: installing {SCHEMATHESIS} into {}", venv.display());
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    run(Command::new(&pip).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        SCHEMATHESIS,
    ]))?;
    Ok(st)
}

/// The axe-core version the browser tests inject to check every screen's accessibility.
pub const AXE_CORE: &str = "4.14.1";

/// axe-core from the npm registry in `target/axe` (installed on first use, with Debian's
/// Node.js and npm when they are missing). Returns the path of its `axe.min.js`.
pub fn ensure_axe(root: &Path) -> Result<std::path::PathBuf> {
    let prefix = root.join("target/axe");
    let package = prefix.join("node_modules/axe-core");
    let script = package.join("axe.min.js");
    let installed = std::fs::read_to_string(package.join("package.json"))
        .is_ok_and(|p| p.contains(&format!("\"version\": \"{AXE_CORE}\"")));
    if installed && script.exists() {
        return Ok(script);
    }
    if !quiet(Command::new("npm").arg("--version")) {
        ensure_packages(&["nodejs", "npm"])?;
    }
    eprintln!(
        "xtask: installing axe-core@{AXE_CORE} into {}",
        prefix.display()
    );
    std::fs::create_dir_all(&prefix)?;
    run(Command::new("npm")
        .args([
            "install",
            "--silent",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--prefix",
        ])
        .arg(&prefix)
        .arg(format!("axe-core@{AXE_CORE}")))?;
    Ok(script)
}

fn version(requirement: &str) -> &str {
    requirement.split("==").nth(1).unwrap_or(requirement)
}

#[cfg(test)]
mod tests {
    use onair_testkit::ci::ci_value_means_ci;

    #[test]
    fn the_ci_rule_accepts_what_ci_systems_set() {
        for value in ["true", "1", "yes", "TRUE", "True", " true "] {
            assert!(ci_value_means_ci(Some(value)), "CI={value:?}");
        }
        for value in [
            None,
            Some(""),
            Some("0"),
            Some("false"),
            Some("FALSE"),
            Some(" "),
        ] {
            assert!(!ci_value_means_ci(value), "CI={value:?}");
        }
    }
}
