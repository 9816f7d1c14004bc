//! End-to-end harness: the real api-server (SQLite in a temp dir) and room-server on loopback
//! ports, the real web UI bundle, and Debian's Chromium driven through chromedriver.
#![allow(dead_code)]

use fantoccini::{Client, ClientBuilder, Locator};
use onair_api_server::config::{ApiConfig, Database, Secret};
use onair_room_server::config::ApiLink;
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

/// Settings a journey may shorten.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// How long a scoring round stays open.
    pub score_deadline_ms: i64,
    /// How long a dropped member keeps their seat.
    pub reconnect_grace_ms: i64,
    /// Turn Kakao login on, against a fake Kakao served by the test (see [`fake_kakao`]).
    pub kakao: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            score_deadline_ms: 45_000,
            reconnect_grace_ms: 30_000,
            kakao: false,
        }
    }
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
    kakao: Option<actix_web::dev::ServerHandle>,
}

impl Stack {
    /// Call from an `#[actix_rt::test]`.
    pub async fn start(name: &str) -> Option<Stack> {
        Self::start_with(name, Options::default()).await
    }

    /// The room-server reports room status and ranked rounds to the api-server over its
    /// internal API, with a service token generated for the run (as in production).
    pub async fn start_with(name: &str, options: Options) -> Option<Stack> {
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

        // The api-server's address must be known before the room-server starts (it reports
        // there) and the room-server's before the api-server starts (tickets point to it):
        // reserve the api-server's port first.
        let api_port = free_port();
        let service_token = Secret::generate();
        let mut room_config = onair_room_server::RoomServerConfig::local(SECRET);
        room_config.rules.score_deadline_ms = options.score_deadline_ms;
        room_config.rules.reconnect_grace_ms = options.reconnect_grace_ms;
        room_config.api = Some(ApiLink {
            url: format!("http://127.0.0.1:{api_port}"),
            service_token: service_token.expose().to_owned(),
        });
        let room = onair_room_server::start(room_config)
            .await
            .expect("room-server starts");
        let room_handle = room.handle.clone();
        actix_rt::spawn(room.server);

        let data = scratch_dir(name);
        let db = format!("sqlite://{}", data.join("onair.db").display());
        let mut config = ApiConfig::dev(Database::parse(&db).unwrap());
        config.bind = SocketAddr::from(([127, 0, 0, 1], api_port));
        config.jwt_secret = Secret::new(SECRET);
        config.service_token = Some(service_token);
        config.room_server_urls = vec![format!("ws://{}", room.addr)];
        config.web_dist = dist;
        let kakao = if options.kakao {
            let (base, handle) = fake_kakao();
            config.kakao = Some(onair_api_server::config::KakaoConfig::at(
                &base,
                "e2e-rest-api-key",
                &format!("http://127.0.0.1:{api_port}/api/v1/auth/kakao/callback"),
            ));
            Some(handle)
        } else {
            None
        };
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
            kakao,
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

    pub async fn stop(self) {
        self.api.stop(false).await;
        self.room.stop(false).await;
        if let Some(kakao) = &self.kakao {
            kakao.stop(false).await;
        }
        // Drop ends chromedriver and its browsers.
    }
}

impl Drop for Stack {
    /// Also on a panic: ends chromedriver and the Chromium processes it started for this
    /// stack (found by their profile directory, which is under this stack's own scratch
    /// directory), and removes the scratch directory.
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let marker = format!("--user-data-dir={}/", self.data.display());
        for pid in processes_with_arg_prefix(&marker) {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        // Killed browsers may still be letting go of their profile files.
        for _ in 0..10 {
            if std::fs::remove_dir_all(&self.data).is_ok() || !self.data.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Pids of processes with a command-line argument starting with `prefix` (Linux `/proc`).
fn processes_with_arg_prefix(prefix: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let me = std::process::id();
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid > 1 && pid != me)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|raw| {
                raw.split(|&b| b == 0)
                    .any(|arg| arg.starts_with(prefix.as_bytes()))
            })
        })
        .collect()
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

    /// Replaces an input's text. WebDriver's clear fires no `input` event, so an app
    /// re-rendering at that moment can put the old value back before the keys arrive: check
    /// the result and type again if so.
    pub async fn type_into(&self, css: &str, text: &str) {
        for _ in 0..3 {
            let input = self.wait_for(css).await;
            input.clear().await.expect("clear");
            input.send_keys(text).await.expect("type");
            let value = input.prop("value").await.ok().flatten().unwrap_or_default();
            if value == text {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("could not type {text:?} into `{css}`");
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

    /// The text of the first element matching `css` (waits for it).
    pub async fn text(&self, css: &str) -> String {
        self.wait_for(css).await.text().await.unwrap_or_default()
    }

    /// Waits until the first element matching `css` has exactly `text` (trimmed).
    pub async fn wait_for_exact_text(&self, css: &str, text: &str) {
        let start = Instant::now();
        loop {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                if el.text().await.is_ok_and(|t| t.trim() == text) {
                    return;
                }
            }
            if start.elapsed() > PATIENCE {
                self.screenshot("timeout").await;
                let now = self.client.find(Locator::Css(css)).await;
                let got = match now {
                    Ok(el) => el.text().await.unwrap_or_default(),
                    Err(_) => "<missing>".into(),
                };
                panic!("`{css}` did not become {text:?} within {PATIENCE:?} (is {got:?})");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Waits until exactly `n` elements match `css`.
    pub async fn wait_for_count(&self, css: &str, n: usize) {
        let start = Instant::now();
        loop {
            let got = self.count(css).await;
            if got == n {
                return;
            }
            if start.elapsed() > PATIENCE {
                self.screenshot("timeout").await;
                panic!("expected {n} `{css}`, found {got} after {PATIENCE:?}");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Waits until nothing matches `css`.
    pub async fn wait_gone(&self, css: &str) {
        self.wait_for_count(css, 0).await;
    }

    /// Chooses the `<option value=...>` of a `<select>`.
    pub async fn select(&self, css: &str, value: &str) {
        self.wait_for(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("select {value:?} in `{css}`: {e}"));
    }

    /// An attribute of the first element matching `css`.
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.wait_for(css).await.attr(name).await.ok().flatten()
    }

    /// The value of an input.
    pub async fn value(&self, css: &str) -> String {
        self.wait_for(css)
            .await
            .prop("value")
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    pub async fn reload(&self) {
        self.client.refresh().await.expect("reload");
    }

    /// Resizes the window (e.g. 375 wide for a phone).
    pub async fn resize(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("resize");
    }

    /// The signed-in user's id, from what the app keeps in localStorage.
    pub async fn user_id(&self) -> i64 {
        let v = self
            .client
            .execute(
                "return JSON.parse(localStorage.getItem('onair.user')).id",
                vec![],
            )
            .await
            .expect("read the user from localStorage");
        v.as_i64().expect("a numeric user id")
    }

    /// Logs out through the header.
    pub async fn log_out(&self) {
        self.click("#logout").await;
        self.wait_for("#login-name").await;
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

/// The Kakao account the fake signs everyone in as.
pub const KAKAO_NICKNAME: &str = "카카오친구";

/// A stand-in for Kakao's three endpoints: the consent page agrees at once (straight back to
/// `redirect_uri` with a code and the state it was given), the token endpoint takes that code,
/// and the user-info endpoint answers for its token.
fn fake_kakao() -> (String, actix_web::dev::ServerHandle) {
    use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
    use std::collections::HashMap;

    async fn authorize(q: web::Query<HashMap<String, String>>) -> HttpResponse {
        let redirect = q.get("redirect_uri").cloned().unwrap_or_default();
        let state = q.get("state").cloned().unwrap_or_default();
        let state: String = state
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        HttpResponse::Found()
            .insert_header((
                "location",
                format!("{redirect}?code=e2e-code&state={state}"),
            ))
            .finish()
    }
    async fn token(form: web::Form<HashMap<String, String>>) -> HttpResponse {
        if form.get("code").map(String::as_str) != Some("e2e-code") {
            return HttpResponse::BadRequest().json(serde_json::json!({"error": "invalid_grant"}));
        }
        HttpResponse::Ok().json(serde_json::json!({
            "token_type": "bearer", "access_token": "e2e-token", "expires_in": 21599
        }))
    }
    async fn me(req: HttpRequest) -> HttpResponse {
        let auth = req
            .headers()
            .get("authorization")
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        if auth != "Bearer e2e-token" {
            return HttpResponse::Unauthorized().finish();
        }
        HttpResponse::Ok().json(serde_json::json!({
            "id": 4242,
            "kakao_account": { "profile": { "nickname": KAKAO_NICKNAME } }
        }))
    }

    let server = HttpServer::new(|| {
        App::new()
            .route("/oauth/authorize", web::get().to(authorize))
            .route("/oauth/token", web::post().to(token))
            .route("/v2/user/me", web::get().to(me))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .expect("fake Kakao binds");
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_rt::spawn(server);
    (format!("http://{addr}"), handle)
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
