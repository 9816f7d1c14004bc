//! End-to-end harness: the real api-server (SQLite in a temp dir) and room-server on loopback
//! ports, the real web UI bundle, and Debian's Chromium driven through chromedriver.
#![allow(dead_code)]

use fantoccini::{Client, ClientBuilder, Locator};
use onair_api_server::config::{ApiConfig, Database, Secret};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "e2e-secret-e2e-secret-e2e-secret-e2e!";

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Skips (outside CI) or fails (in CI) when something the test needs is missing.
fn missing(what: &str) -> Option<Stack> {
    if in_ci() {
        panic!("{what} is required in CI");
    }
    eprintln!("SKIPPED: {what} (run the tests with `cargo xtask test`)");
    None
}

pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "onair-e2e-{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Both servers and a chromedriver, stopped when dropped.
pub struct Stack {
    pub base_url: String,
    driver: Child,
    driver_url: String,
    chromium: String,
    data: PathBuf,
    api: actix_web::dev::ServerHandle,
    room: actix_web::dev::ServerHandle,
}

impl Stack {
    /// Call from an `#[actix_rt::test]`.
    pub async fn start(name: &str) -> Option<Stack> {
        let dist = std::env::var("ONAIR_WEB_DIST")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("dist"));
        if !dist.join("index.html").exists() {
            return missing("the web UI bundle (cargo xtask dist)");
        }
        let chromium = std::env::var("ONAIR_CHROMIUM").unwrap_or("/usr/bin/chromium".into());
        let chromedriver =
            std::env::var("ONAIR_CHROMEDRIVER").unwrap_or("/usr/bin/chromedriver".into());
        if !std::path::Path::new(&chromium).exists()
            || !std::path::Path::new(&chromedriver).exists()
        {
            return missing("Debian's chromium and chromium-driver");
        }

        let room = onair_room_server::start(onair_room_server::RoomServerConfig::local(SECRET))
            .await
            .expect("room-server starts");
        let room_handle = room.handle.clone();
        actix_rt::spawn(room.server);

        let data = scratch_dir(name);
        let db = format!("sqlite://{}", data.join("onair.db").display());
        let mut config = ApiConfig::dev(Database::parse(&db).unwrap());
        config.bind = SocketAddr::from(([127, 0, 0, 1], 0));
        config.jwt_secret = Secret::new(SECRET);
        config.room_server_urls = vec![format!("ws://{}", room.addr)];
        config.web_dist = dist;
        let api = onair_api_server::start(config).expect("api-server starts");
        let api_handle = api.handle.clone();
        let base_url = format!("http://{}", api.addr);
        actix_rt::spawn(api.server);

        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        wait_for_port(port).await;
        Some(Stack {
            base_url,
            driver,
            driver_url: format!("http://127.0.0.1:{port}"),
            chromium,
            data,
            api: api_handle,
            room: room_handle,
        })
    }

    /// A fresh headless Chromium with its own profile (so its own login).
    pub async fn browser(&self) -> Browser {
        let profile = self.data.join(format!("profile-{}", free_port()));
        let caps = serde_json::json!({
            "goog:chromeOptions": {
                "binary": self.chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        });
        let caps = caps.as_object().unwrap().clone().into_iter().collect();
        let client = ClientBuilder::rustls()
            .expect("rustls client")
            .capabilities(caps)
            .connect(&self.driver_url)
            .await
            .expect("chromium session starts");
        Browser {
            client,
            base_url: self.base_url.clone(),
        }
    }

    pub async fn stop(mut self) {
        self.api.stop(false).await;
        self.room.stop(false).await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

pub struct Browser {
    pub client: Client,
    pub base_url: String,
}

/// Browser steps take long on a busy 2-core machine; this is a ceiling, not a wait.
pub const PATIENCE: Duration = Duration::from_secs(30);

impl Browser {
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base_url))
            .await
            .expect("page loads");
    }

    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("waited for `{css}`: {e}"))
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let input = self.wait_for(css).await;
        input.clear().await.expect("clear");
        input.send_keys(text).await.expect("type");
    }

    pub async fn click(&self, css: &str) {
        self.wait_for(css).await.click().await.expect("click");
    }

    /// Waits until some element matching `css` has `text` in it.
    pub async fn wait_for_text(&self, css: &str, text: &str) {
        let start = Instant::now();
        loop {
            let els = self
                .client
                .find_all(Locator::Css(css))
                .await
                .unwrap_or_default();
            for el in els {
                if el.text().await.is_ok_and(|t| t.contains(text)) {
                    return;
                }
            }
            if start.elapsed() > PATIENCE {
                self.screenshot("timeout").await;
                panic!("no `{css}` showed {text:?} within {PATIENCE:?}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .map_or(0, |v| v.len())
    }

    /// Saves a PNG under target/e2e-screenshots/ as a test artifact.
    pub async fn screenshot(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots");
        let _ = std::fs::create_dir_all(&dir);
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(dir.join(format!("{name}.png")), png);
        }
    }

    /// Dev login through the real login screen.
    pub async fn log_in(&self, name: &str) {
        self.goto("/login").await;
        self.type_into("#login-name", name).await;
        self.click("#login-submit").await;
        self.wait_for("#create-room-title").await;
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_for_port(port: u16) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
