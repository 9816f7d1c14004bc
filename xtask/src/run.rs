//! `cargo xtask run`: OnAir on this machine, embedded default: SQLite under ./data, one
//! room-server, dev login, a JWT secret generated for this run, UI at http://127.0.0.1:8080/.

use crate::{dist, setup, workspace_root, StatusOk};
use anyhow::{bail, Context, Result};
use rand::RngCore;
use std::net::TcpStream;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const API_ADDR: &str = "127.0.0.1:8080";
const ROOM_ADDR: &str = "127.0.0.1:8081";

pub fn run() -> Result<()> {
    let root = workspace_root();
    setup::ensure_packages(&["libmariadb-dev", "pkg-config"])?;
    setup::ensure_wasm_target()?;
    let dist = dist::build()?;
    crate::cargo(&root)
        .args(["build", "--workspace", "--bins"])
        .status_ok()?;

    for addr in [API_ADDR, ROOM_ADDR] {
        if TcpStream::connect(addr).is_ok() {
            bail!("{addr} is already in use: is OnAir (or something else) already running?");
        }
    }
    // Fresh secrets for this run: nothing outside dev mode ever falls back to a default.
    let secret = random_hex();
    let service_token = random_hex();
    std::fs::create_dir_all(root.join("data")).context("cannot create ./data")?;

    let bin = root.join("target/debug");
    let room = Command::new(bin.join("onair-room-server"))
        .current_dir(&root)
        .env("ONAIR_JWT_SECRET", &secret)
        .env("ONAIR_ROOM_BIND", ROOM_ADDR)
        .env("ONAIR_API_INTERNAL_URL", format!("http://{API_ADDR}"))
        .env("ONAIR_SERVICE_TOKEN", &service_token)
        .spawn()
        .context("cannot start onair-room-server")?;
    let api = Command::new(bin.join("onair-api-server"))
        .current_dir(&root)
        .env("ONAIR_DEV_MODE", "1")
        .env("ONAIR_JWT_SECRET", &secret)
        .env("ONAIR_SERVICE_TOKEN", &service_token)
        .env("ONAIR_API_BIND", API_ADDR)
        .env("ONAIR_DATABASE_URL", "sqlite://data/onair.db")
        .env("ONAIR_ROOM_SERVER_URLS", format!("ws://{ROOM_ADDR}"))
        .env("ONAIR_WEB_DIST", &dist)
        .spawn()
        .context("cannot start onair-api-server")?;
    let children = Arc::new(Mutex::new(vec![room, api]));

    // Ctrl-C reaches the children too (same process group); this also covers a plain `kill`.
    let on_signal = children.clone();
    ctrlc::set_handler(move || {
        stop_all(&on_signal);
        std::process::exit(0);
    })
    .context("cannot install the Ctrl-C handler")?;

    let ready = wait_until_up(&[API_ADDR, ROOM_ADDR], Duration::from_secs(30));
    if ready {
        println!("\nOnAir is running: http://{API_ADDR}/   (Ctrl-C stops it)\n");
    }
    // Whichever server stops first takes the other down with it.
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let mut list = children.lock().unwrap_or_else(|e| e.into_inner());
        if list
            .iter_mut()
            .any(|c| c.try_wait().ok().flatten().is_some())
        {
            drop(list);
            stop_all(&children);
            bail!("a server stopped; see its output above");
        }
    }
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn wait_until_up(addrs: &[&str], limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if addrs.iter().all(|a| TcpStream::connect(a).is_ok()) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

fn stop_all(children: &Mutex<Vec<Child>>) {
    let mut list = children.lock().unwrap_or_else(|e| e.into_inner());
    for child in list.iter_mut() {
        let _ = child.kill();
        let _ = child.wait();
    }
}
