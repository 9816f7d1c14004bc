//! End-to-end harness: the real api-server (SQLite in a temp dir) and room-server on loopback
//! ports, the real web UI bundle, and Debian's Chromium driven through chromedriver.
#![allow(dead_code)]

use fantoccini::{Client, ClientBuilder, Locator};
use onair_api_server::config::{Database, Secret};
use onair_testkit::net::wait_for_port_async;
use onair_testkit::servers::Servers;
use onair_testkit::{free_port, skip_unless, TempDir};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// axe-core's script (`ONAIR_AXE_JS`), read once; `None` (the check skips) when it is not
/// installed, which fails the run in CI.
fn axe_script() -> Option<String> {
    static AXE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    AXE.get_or_init(|| {
        let path = std::env::var("ONAIR_AXE_JS").ok();
        let script = path.as_deref().and_then(|p| std::fs::read_to_string(p).ok());
        if script.is_none() {
            onair_testkit::ci::skip::<()>(format_args!(
                "no axe-core at ONAIR_AXE_JS ({path:?}): accessibility checks skip (cargo xtask test installs it)"
            ));
        }
        script
    })
    .clone()
}

const SECRET: &str = "e2e-secret-e2e-secret-e2e-secret-e2e!";

/// Settings a journey may shorten.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long a scoring round stays open.
    pub score_deadline_ms: i64,
    /// How long a dropped member keeps their seat.
    pub reconnect_grace_ms: i64,
    /// The "up next" countdown before each act (0: none, so journeys go straight on air).
    pub up_next_ms: i64,
    /// Turn Kakao login on, against a fake Kakao served by the test (see [`fake_kakao`]).
    pub kakao: bool,
    /// The STUN servers `GET /config` hands out (`None`: the api-server's default).
    pub stun_urls: Option<Vec<String>>,
    /// A TURN relay for `GET /config` (see [`Turn`]).
    pub turn: Option<onair_api_server::config::TurnConfig>,
    /// Any other change to the api-server's configuration (limits, fair play).
    pub api: Option<fn(&mut onair_api_server::config::ApiConfig)>,
    /// Serve the sing-along stand-ins (see [`fake_media`]) and point `youtube_api_url` at the
    /// stand-in YouTube script.
    pub media: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            score_deadline_ms: 45_000,
            reconnect_grace_ms: 30_000,
            up_next_ms: 0,
            kakao: false,
            stun_urls: None,
            turn: None,
            api: None,
            media: false,
        }
    }
}

/// Both servers and a chromedriver, stopped when dropped.
pub struct Stack {
    pub base_url: String,
    driver: Child,
    driver_url: String,
    chromium: String,
    data: TempDir,
    servers: Servers,
    kakao: Option<actix_web::dev::ServerHandle>,
    /// The sing-along stand-ins' base URL (`Options::media`).
    pub media_url: Option<String>,
    media: Option<actix_web::dev::ServerHandle>,
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
        skip_unless!(
            dist.join("index.html").exists(),
            "no web UI bundle at {} (cargo xtask dist)",
            dist.display()
        );
        let chromium = std::env::var("ONAIR_CHROMIUM").unwrap_or("/usr/bin/chromium".into());
        let chromedriver =
            std::env::var("ONAIR_CHROMEDRIVER").unwrap_or("/usr/bin/chromedriver".into());
        skip_unless!(
            std::path::Path::new(&chromium).exists()
                && std::path::Path::new(&chromedriver).exists(),
            "no Debian chromium and chromium-driver at {chromium} and {chromedriver}"
        );

        let data = TempDir::new(&format!("e2e-{name}"));
        let db = format!("sqlite://{}", data.path().join("onair.db").display());
        let mut kakao = None;
        let media = options
            .media
            .then(|| fake_media(&data.path().join("media")));
        let media_url = media.as_ref().map(|(base, _)| base.clone());
        let servers = Servers::start(
            Database::parse(&db).unwrap(),
            SECRET,
            Secret::generate(),
            |room| {
                room.rules.score_deadline_ms = options.score_deadline_ms;
                room.rules.reconnect_grace_ms = options.reconnect_grace_ms;
                room.rules.up_next_ms = options.up_next_ms;
            },
            |config| {
                config.web_dist = dist;
                if let Some(stun) = &options.stun_urls {
                    config.stun_urls = stun.clone();
                }
                config.turn = options.turn.clone();
                if let Some(base) = &media_url {
                    config.youtube_api_url = format!("{base}/yt/iframe_api.js");
                }
                if let Some(tweak) = options.api {
                    tweak(config);
                }
                if options.kakao {
                    let (base, handle) = fake_kakao();
                    config.kakao = Some(onair_api_server::config::KakaoConfig::at(
                        &base,
                        "e2e-rest-api-key",
                        &format!("http://{}/api/v1/auth/kakao/callback", config.bind),
                    ));
                    kakao = Some(handle);
                }
            },
        )
        .await;
        let base_url = servers.api_url.clone();

        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        wait_for_port_async(port, "chromedriver", Duration::from_secs(20)).await;
        Some(Stack {
            base_url,
            driver,
            driver_url: format!("http://127.0.0.1:{port}"),
            chromium,
            data,
            servers,
            kakao,
            media_url,
            media: media.map(|(_, handle)| handle),
        })
    }

    /// A fresh headless Chromium with its own profile (so its own login). It has no camera
    /// or microphone: the room page goes on without them.
    pub async fn browser(&self) -> Browser {
        self.browser_with(Media::None).await
    }

    /// A fresh headless Chromium with Chromium's fake camera (a moving test pattern) and
    /// microphone (a beep), allowed without a prompt.
    pub async fn video_browser(&self) -> Browser {
        self.browser_with(Media::Fake).await
    }

    pub async fn browser_with(&self, media: Media) -> Browser {
        let profile = self.data.path().join(format!("profile-{}", free_port()));
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
            // WebRTC between browsers on this one machine: host candidates on every
            // interface (loopback too) with their real addresses rather than mDNS names,
            // and sound without a click.
            "--allow-loopback-in-peer-connection",
            "--disable-features=WebRtcHideLocalIpsWithMdns",
            "--autoplay-policy=no-user-gesture-required",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        match media {
            Media::None => {}
            Media::NoAutoplay => args.retain(|a| !a.starts_with("--autoplay-policy")),
            Media::Fake => {
                args.push("--use-fake-device-for-media-stream".into());
                args.push("--use-fake-ui-for-media-stream".into());
            }
            Media::Denied => {
                args.push("--use-fake-device-for-media-stream".into());
                args.push("--deny-permission-prompts".into());
            }
        }
        args.push(format!("--user-data-dir={}", profile.display()));
        let caps = serde_json::json!({
            "goog:chromeOptions": {
                "binary": self.chromium,
                "args": args,
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
        self.servers.stop().await;
        if let Some(kakao) = &self.kakao {
            kakao.stop(false).await;
        }
        if let Some(media) = &self.media {
            media.stop(false).await;
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
        let marker = format!("--user-data-dir={}/", self.data.path().display());
        for pid in processes_with_arg_prefix(&marker) {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        // Killed browsers may still be letting go of their profile files.
        for _ in 0..10 {
            let data = self.data.path();
            if std::fs::remove_dir_all(data).is_ok() || !data.exists() {
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

/// What a browser has for a camera and microphone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// Nothing (a request finds no device).
    None,
    /// No devices, and Chromium's own autoplay rule: a page may start sound only after a
    /// click (the other browsers play sound without one).
    NoAutoplay,
    /// Chromium's fake devices, allowed without a prompt.
    Fake,
    /// Fake devices would be there, but every permission prompt is refused.
    Denied,
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

    /// Saves a PNG under target/e2e-screenshots/ as a test artifact. Every screen worth a
    /// screenshot is also checked for accessibility: no serious or critical axe-core violation.
    pub async fn screenshot(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots");
        let _ = std::fs::create_dir_all(&dir);
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(dir.join(format!("{name}.png")), png);
        }
        let problems = self.accessibility_problems().await;
        assert!(
            problems.is_empty(),
            "screen {name:?} has serious accessibility problems (axe-core):\n{}",
            problems.join("\n")
        );
    }

    /// Logs in as `name` and opens a room called `title`; gives its id.
    pub async fn open_room(&self, name: &str, title: &str) -> i64 {
        self.log_in(name).await;
        self.type_into("#create-room-title", title).await;
        self.click("#create-room-submit").await;
        self.wait_for_text("#room-title", title).await;
        self.room_id().await
    }

    /// Logs in as `name` and goes into room `room` (its page's `query` too, e.g. `""`).
    pub async fn join_room(&self, name: &str, room: i64, query: &str) {
        self.log_in(name).await;
        self.goto(&format!("/rooms/{room}{query}")).await;
        self.wait_for(".room-page .member-list").await;
    }

    /// Presses Tab (shift: backwards) until `css` has the keyboard focus, as someone without a
    /// mouse would; panics after 60 presses.
    pub async fn tab_to(&self, css: &str) {
        let wanted = serde_json::to_string(css).unwrap();
        for _ in 0..60 {
            let here = self
                .js(&format!(
                    "const el = document.querySelector({wanted});
                     return !!el && document.activeElement === el;"
                ))
                .await;
            if here == serde_json::json!(true) {
                return;
            }
            let focused = self
                .client
                .active_element()
                .await
                .expect("a focused element");
            focused.send_keys("\u{E004}").await.expect("Tab");
        }
        panic!("Tab never reached {css}");
    }

    /// Presses a key on whatever has the focus (`"\u{E007}"` Enter, `" "` space).
    pub async fn press(&self, key: &str) {
        let focused = self
            .client
            .active_element()
            .await
            .expect("a focused element");
        focused.send_keys(key).await.expect("key press");
    }

    /// The serious and critical axe-core violations on the page now (WCAG 2.1 A and AA), one
    /// line each with the elements concerned. axe-core comes from `ONAIR_AXE_JS` (`cargo xtask
    /// test` installs it from npm); without it the check is skipped, except in CI.
    pub async fn accessibility_problems(&self) -> Vec<String> {
        let Some(axe) = axe_script() else {
            return Vec::new();
        };
        if self.js("return typeof window.axe;").await != serde_json::json!("object") {
            self.js(&axe).await;
        }
        self.js(
            "window.__axe = null;
             axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                                resultTypes: ['violations']})
               .then(r => { window.__axe = r.violations
                   .filter(v => v.impact === 'serious' || v.impact === 'critical')
                   .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 4)
                       .map(n => n.target.join(' ') + ' ' + (n.failureSummary || '').split('\\n').slice(1, 2).join(''))
                       .join(' | ')); })
               .catch(e => { window.__axe = ['axe-core failed: ' + e]; });",
        )
        .await;
        let start = Instant::now();
        loop {
            let found = self.js("return window.__axe;").await;
            if let Some(list) = found.as_array() {
                return list
                    .iter()
                    .map(|v| v.as_str().unwrap_or_default().to_owned())
                    .collect();
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "axe-core did not finish in 30 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
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

    /// Runs `script` (a function body; `return` a value or a promise) and gives its result.
    /// Cuts the page's network for the room connection: the live WebSocket is closed on its
    /// next send and requests fail until [`Browser::restore_network`] (WebRTC is untouched).
    pub async fn cut_network(&self) {
        self.js(r#"
            window.__offline = true;
            if (!window.__patched) {
                window.__patched = true;
                const fetch0 = window.fetch.bind(window);
                window.fetch = (...args) => window.__offline
                    ? Promise.reject(new TypeError('offline (test)'))
                    : fetch0(...args);
                const send0 = WebSocket.prototype.send;
                WebSocket.prototype.send = function (data) {
                    if (window.__offline) { this.close(); return; }
                    return send0.call(this, data);
                };
            }
            "#)
            .await;
    }

    pub async fn restore_network(&self) {
        self.js("window.__offline = false;").await;
    }

    pub async fn js(&self, script: &str) -> serde_json::Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// The room id of the room page on screen.
    pub async fn room_id(&self) -> i64 {
        self.attr(".room-page[data-room-id]", "data-room-id")
            .await
            .and_then(|v| v.parse().ok())
            .expect("a room page")
    }

    /// `videoWidth` and `currentTime` of the first `<video>` matching `css` (`None` when
    /// there is none).
    pub async fn video_state(&self, css: &str) -> Option<(u64, f64)> {
        let script = format!(
            "const v = document.querySelector({}); \
             return v ? [v.videoWidth, v.currentTime] : null;",
            serde_json::to_string(css).unwrap()
        );
        let v = self.js(&script).await;
        let a = v.as_array()?;
        Some((a.first()?.as_u64()?, a.get(1)?.as_f64()?))
    }

    /// Waits until the `<video>` matching `css` shows frames that move on: a non-zero
    /// `videoWidth`, and a `currentTime` that advances. Gives the width.
    pub async fn wait_for_video(&self, css: &str) -> u64 {
        let start = Instant::now();
        let mut first: Option<f64> = None;
        loop {
            match self.video_state(css).await {
                Some((w, t)) if w > 0 => match first {
                    Some(t0) if t > t0 => return w,
                    Some(_) => {}
                    None => first = Some(t),
                },
                _ => first = None,
            }
            if start.elapsed() > VIDEO_PATIENCE {
                self.screenshot("video-timeout").await;
                let links = self
                    .js("return [...document.querySelectorAll('.member-video')].map(e => e.dataset.userId + ':' + e.dataset.link + ':' + e.dataset.video).join(' ')")
                    .await;
                panic!(
                    "no playing video at `{css}` within {VIDEO_PATIENCE:?} (now {:?}; tiles {links})",
                    self.video_state(css).await
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// `[local, remote]` candidate types of the selected pair of our call with `user`
    /// (`host`, `srflx`, `prflx` or `relay`), from `getStats()`.
    pub async fn selected_candidate_types(&self, user: i64) -> Vec<String> {
        let script = format!(
            "return (async () => {{
               const pc = window.__onairPeers && window.__onairPeers.get({user});
               if (!pc) return [];
               const stats = await pc.getStats();
               let pair = null;
               stats.forEach(r => {{
                 if (r.type === 'transport' && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId);
               }});
               if (!pair) stats.forEach(r => {{
                 if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') pair = r;
               }});
               if (!pair) return [];
               return [stats.get(pair.localCandidateId).candidateType,
                       stats.get(pair.remoteCandidateId).candidateType];
             }})()"
        );
        let v = self.js(&script).await;
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `maxBitrate` of our video sender in the call with `user` (`None`: not set).
    pub async fn video_max_bitrate(&self, user: i64) -> Option<u64> {
        let script = format!(
            "const pc = window.__onairPeers && window.__onairPeers.get({user});
             if (!pc) return null;
             const t = pc.getTransceivers().find(t => t.receiver.track && t.receiver.track.kind === 'video');
             if (!t) return null;
             const e = t.sender.getParameters().encodings || [];
             return e.length ? (e[0].maxBitrate ?? null) : null;"
        );
        self.js(&script).await.as_u64()
    }

    /// Waits until the `maxBitrate` of our video sender to `user` is `bps`.
    pub async fn wait_for_max_bitrate(&self, user: i64, bps: u64) {
        let start = Instant::now();
        loop {
            let now = self.video_max_bitrate(user).await;
            if now == Some(bps) {
                return;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "video maxBitrate to {user} is {now:?}, expected {bps}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Whether this page has a call with `user`.
    pub async fn has_call_with(&self, user: i64) -> bool {
        self.js(&format!(
            "return !!(window.__onairPeers && window.__onairPeers.has({user}));"
        ))
        .await
        .as_bool()
        .unwrap_or(false)
    }
}

/// Video takes longer than a click: two browsers encode and decode on a busy machine.
pub const VIDEO_PATIENCE: Duration = Duration::from_secs(40);

/// A coturn `turnserver` on loopback, for the relay test: REST-API credentials
/// (`use-auth-secret`) like production, no TLS. Stopped when dropped.
pub struct Turn {
    child: Child,
    pub port: u16,
    pub secret: String,
    dir: TempDir,
}

impl Turn {
    /// `None` (skip) outside CI when coturn is not installed; in CI that fails the test.
    /// `ONAIR_TURNSERVER` names the binary (default `/usr/bin/turnserver`).
    pub fn start() -> Option<Turn> {
        let bin = std::env::var("ONAIR_TURNSERVER").unwrap_or("/usr/bin/turnserver".into());
        skip_unless!(
            std::path::Path::new(&bin).exists(),
            "coturn is not installed ({bin})"
        );
        let dir = TempDir::new("e2e-turn");
        let port = free_udp_and_tcp_port();
        // A relay port range of our own, away from the ephemeral ports.
        let min = 20_000 + (std::process::id() % 200) as u16 * 100;
        let secret = format!("turn-secret-{}", std::process::id());
        let log = std::fs::File::create(dir.path().join("turnserver.log")).expect("turn log");
        let child = Command::new(&bin)
            .args([
                "-n".to_string(),
                "--listening-ip=127.0.0.1".into(),
                "--relay-ip=127.0.0.1".into(),
                format!("--listening-port={port}"),
                "--use-auth-secret".into(),
                format!("--static-auth-secret={secret}"),
                "--realm=onair.test".into(),
                "--no-tls".into(),
                "--no-dtls".into(),
                "--allow-loopback-peers".into(),
                "--no-cli".into(),
                "--log-file=stdout".into(),
                "--simple-log".into(),
                format!("--min-port={min}"),
                format!("--max-port={}", min + 99),
                format!("--pidfile={}", dir.path().join("turnserver.pid").display()),
                format!("--userdb={}", dir.path().join("turndb").display()),
            ])
            .stdout(log.try_clone().expect("turn log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("turnserver starts: {e}"));
        let turn = Turn {
            child,
            port,
            secret,
            dir,
        };
        // It listens on TCP as well as UDP: ready once TCP answers.
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "turnserver did not start: {}",
                turn.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(turn)
    }

    /// The api-server's TURN settings for this relay.
    pub fn config(&self) -> onair_api_server::config::TurnConfig {
        onair_api_server::config::TurnConfig {
            urls: vec![format!("turn:127.0.0.1:{}?transport=udp", self.port)],
            secret: Secret::new(&self.secret),
            ttl_secs: 3600,
        }
    }

    /// What it logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("turnserver.log")).unwrap_or_default()
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free for both UDP and TCP on loopback.
fn free_udp_and_tcp_port() -> u16 {
    loop {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
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

/// Seconds of sound in each generated track: longer than any sing-along journey runs, even on
/// a loaded machine (a track that ends stops playing, and then nothing is in step).
pub const TRACK_SECS: u32 = 600;

/// A mono 16-bit PCM WAV of `secs` seconds: a 440 Hz tone whose loudness steps every second
/// (so the file has something to hear, and positions differ).
pub fn tone_wav(secs: u32) -> Vec<u8> {
    // 4 kHz is plenty for a 440 Hz tone and keeps 10 minutes under 5 MB.
    const RATE: u32 = 4_000;
    let samples = RATE * secs;
    let data_len = samples * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&(RATE * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..samples {
        let t = f64::from(i) / f64::from(RATE);
        let loud = 2_000.0 + 1_000.0 * f64::from((i / RATE) % 4);
        let v = (loud * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16;
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// The sing-along stand-ins on a port of their own (another origin, like YouTube and a file
/// host): `/yt/iframe_api.js` (tests/fixtures/youtube-standin.js, the `YT.Player` surface
/// over an HTML5 `<video>`) and `/media/*.wav`, generated into `dir` (with range requests, so
/// the players can seek). `track.wav` is a file URL's track; `toneA_12345.wav` is what the
/// stand-in plays for the YouTube id `toneA_12345`.
fn fake_media(dir: &std::path::Path) -> (String, actix_web::dev::ServerHandle) {
    use actix_web::{web, App, HttpResponse, HttpServer};
    std::fs::create_dir_all(dir).expect("media dir");
    let wav = tone_wav(TRACK_SECS);
    for name in ["track.wav", "toneA_12345.wav"] {
        std::fs::write(dir.join(name), &wav).expect("write a track");
    }
    async fn script() -> HttpResponse {
        HttpResponse::Ok()
            .content_type("text/javascript; charset=utf-8")
            .body(include_str!("../fixtures/youtube-standin.js"))
    }
    let dir = dir.to_path_buf();
    let server = HttpServer::new(move || {
        App::new()
            .route("/yt/iframe_api.js", web::get().to(script))
            .service(actix_files::Files::new("/media", &dir))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .expect("fake media binds");
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_rt::spawn(server);
    (format!("http://{addr}"), handle)
}
