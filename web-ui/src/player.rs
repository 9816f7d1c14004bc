//! The sing-along players, behind one small surface the sync loop drives: an HTML5 `<video>`
//! for file URLs (it plays audio files too), and YouTube's IFrame Player for videos.
//!
//! The YouTube adapter loads the IFrame API script from the URL `GET /config` gives
//! (`youtube_api_url`: YouTube's own in production, a local stand-in with the same `YT.Player`
//! surface in the tests) and only uses `loadVideoById`-era methods every version has:
//! `playVideo`, `pauseVideo`, `seekTo`, `getCurrentTime`, `getPlayerState`,
//! `setPlaybackRate`, `getAvailablePlaybackRates`, `getVideoData`, and the `onReady`,
//! `onStateChange` and `onError` events.

use crate::sync::Rates;
use onair_shared::media::MediaFailure;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlMediaElement};

/// What a player tells the page, besides its position.
#[derive(Debug, Clone, PartialEq)]
pub enum PlayerEvent {
    /// The player cannot play the track.
    Failed(MediaFailure),
    /// The browser refused to start playback without a tap.
    AutoplayRefused,
    /// The track's title, when the player knows it (YouTube).
    Title(String),
}

pub type EventHandler = Rc<dyn Fn(PlayerEvent)>;

/// One player on the page.
pub enum Player {
    Html(HtmlPlayer),
    Youtube(YtPlayer),
}

impl Player {
    /// The position in ms, once the player can tell.
    pub fn current_ms(&self) -> Option<f64> {
        match self {
            Player::Html(p) => p.ready().then(|| p.el.current_time() * 1000.0),
            Player::Youtube(p) => p.call_f64("getCurrentTime").map(|s| s * 1000.0),
        }
    }

    /// Whether the position is not advancing for a reason of its own (loading, seeking): no
    /// correction is worth making then.
    pub fn stalled(&self) -> bool {
        match self {
            // HAVE_FUTURE_DATA (3) or better: it can play on.
            Player::Html(p) => p.el.seeking() || p.el.ready_state() < 3,
            // 3: buffering; -1: unstarted (before its first play it has nothing loaded).
            Player::Youtube(p) => !p.is_ready() || p.call_f64("getPlayerState") == Some(3.0),
        }
    }

    pub fn is_playing(&self) -> bool {
        match self {
            Player::Html(p) => !p.el.paused(),
            Player::Youtube(p) => {
                matches!(p.call_f64("getPlayerState"), Some(s) if s == 1.0 || s == 3.0)
            }
        }
    }

    /// A YouTube player asked to play that sits unstarted (-1) or paused (2) is being held
    /// back by the browser's autoplay rule (YouTube says nothing else about it); loading shows
    /// as buffering (3) instead. Always `false` for HTML5 media, whose `play()` says so itself.
    pub fn looks_refused(&self) -> bool {
        match self {
            Player::Html(_) => false,
            Player::Youtube(p) => {
                matches!(p.call_f64("getPlayerState"), Some(s) if s == -1.0 || s == 2.0)
            }
        }
    }

    pub fn play(&self) {
        match self {
            Player::Html(p) => p.play(),
            Player::Youtube(p) => p.call0("playVideo"),
        }
    }

    pub fn pause(&self) {
        match self {
            Player::Html(p) => {
                let _ = p.el.pause();
            }
            Player::Youtube(p) => p.call0("pauseVideo"),
        }
    }

    pub fn seek(&self, ms: f64) {
        let secs = (ms / 1000.0).max(0.0);
        match self {
            Player::Html(p) => p.el.set_current_time(secs),
            Player::Youtube(p) => {
                p.call(
                    "seekTo",
                    &js_sys::Array::of2(&JsValue::from_f64(secs), &JsValue::TRUE),
                );
            }
        }
    }

    pub fn set_rate(&self, rate: f64) {
        match self {
            Player::Html(p) => p.el.set_playback_rate(rate),
            Player::Youtube(p) => {
                p.call(
                    "setPlaybackRate",
                    &js_sys::Array::of1(&JsValue::from_f64(rate)),
                );
            }
        }
    }

    pub fn rates(&self) -> Rates {
        match self {
            Player::Html(_) => Rates::Fine,
            Player::Youtube(p) => {
                let list = p
                    .call("getAvailablePlaybackRates", &js_sys::Array::new())
                    .filter(|v| v.is_object())
                    .map(|v| {
                        js_sys::Array::from(&v)
                            .iter()
                            .filter_map(|r| r.as_f64())
                            .take(32)
                            .collect()
                    })
                    .unwrap_or_default();
                Rates::Listed(list)
            }
        }
    }

    /// The track's length in ms, when known.
    pub fn duration_ms(&self) -> Option<f64> {
        let secs = match self {
            Player::Html(p) => Some(p.el.duration()),
            Player::Youtube(p) => p.call_f64("getDuration"),
        }?;
        (secs.is_finite() && secs > 0.0).then_some(secs * 1000.0)
    }

    /// Takes the player off the page.
    pub fn destroy(&self) {
        match self {
            Player::Html(p) => {
                // No more events: the handler goes with this player.
                p.el.set_onerror(None);
                let _ = p.el.remove_event_listener_with_callback(
                    "loadedmetadata",
                    p.metadata.as_ref().unchecked_ref(),
                );
                let _ = p.el.pause();
                let _ = p.el.remove_attribute("src");
                p.el.remove();
            }
            Player::Youtube(p) => p.call0("destroy"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// HTML5
// ---------------------------------------------------------------------------------------------

pub struct HtmlPlayer {
    pub el: HtmlMediaElement,
    on_event: EventHandler,
    _error: Closure<dyn FnMut(web_sys::Event)>,
    metadata: Closure<dyn FnMut(web_sys::Event)>,
}

impl HtmlPlayer {
    /// A `<video id="track-player">` in `host`, loading `url`. No credentials are sent
    /// (no `crossorigin` attribute: the file is played, never read by the page).
    pub fn new(host: &Element, url: &str, on_event: EventHandler) -> Option<HtmlPlayer> {
        let doc = web_sys::window()?.document()?;
        let el: HtmlMediaElement = doc.create_element("video").ok()?.dyn_into().ok()?;
        el.set_id("track-player");
        let _ = el.set_attribute("playsinline", "");
        el.set_preload("auto");
        let handler = on_event.clone();
        let target = el.clone();
        let error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            // MediaError codes: 2 network, 3 decode, 4 source not supported.
            let code = js_sys::Reflect::get(&target, &"error".into())
                .ok()
                .and_then(|e| js_sys::Reflect::get(&e, &"code".into()).ok())
                .and_then(|c| c.as_f64());
            handler(PlayerEvent::Failed(match code {
                Some(2.0) => MediaFailure::NotFound,
                _ => MediaFailure::Unplayable,
            }));
        });
        el.set_onerror(Some(error.as_ref().unchecked_ref()));
        // A video file (a lyrics video, say) shows its picture; an audio file takes no room.
        let target = el.clone();
        let metadata = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            let width = js_sys::Reflect::get(&target, &"videoWidth".into())
                .ok()
                .and_then(|w| w.as_f64())
                .unwrap_or(0.0);
            if width > 0.0 {
                let _ = target.set_attribute("data-picture", "");
            } else {
                let _ = target.remove_attribute("data-picture");
            }
        });
        let _ = el
            .add_event_listener_with_callback("loadedmetadata", metadata.as_ref().unchecked_ref());
        el.set_src(url);
        host.append_child(&el).ok()?;
        Some(HtmlPlayer {
            el,
            on_event,
            _error: error,
            metadata,
        })
    }

    fn ready(&self) -> bool {
        // HAVE_METADATA: the position means something.
        self.el.ready_state() >= 1
    }

    /// `play()`, telling the page when the browser wants a tap first.
    fn play(&self) {
        let Ok(promise) = self.el.play() else {
            return;
        };
        let on_event = self.on_event.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = wasm_bindgen_futures::JsFuture::from(promise).await {
                let name = js_sys::Reflect::get(&e, &"name".into())
                    .ok()
                    .and_then(|n| n.as_string())
                    .unwrap_or_default();
                // AbortError: a pause or a new source came first, which is no refusal.
                if name == "NotAllowedError" {
                    on_event(PlayerEvent::AutoplayRefused);
                }
            }
        });
    }
}

// ---------------------------------------------------------------------------------------------
// YouTube
// ---------------------------------------------------------------------------------------------

/// The YouTube player's event callbacks, alive as long as the player.
type Callbacks = Rc<RefCell<Vec<Closure<dyn FnMut(JsValue)>>>>;

pub struct YtPlayer {
    /// The `YT.Player`, once created (the script may still be loading).
    player: Rc<RefCell<Option<JsValue>>>,
    ready: Rc<RefCell<bool>>,
    /// Alive as long as the player: the event callbacks and the script poll.
    _keep: Callbacks,
    poll: Rc<RefCell<Option<gloo_timers::callback::Interval>>>,
}

/// How long the IFrame API script may take to load before the track counts as unplayable.
const SCRIPT_PATIENCE_MS: u32 = 20_000;
const SCRIPT_POLL_MS: u32 = 100;

impl YtPlayer {
    /// Loads the IFrame API (once per page) from `script_url`, then creates a player for
    /// `video_id` in a fresh element inside `host`.
    pub fn new(
        host: &Element,
        script_url: &str,
        video_id: &str,
        on_event: EventHandler,
    ) -> YtPlayer {
        let yt = YtPlayer {
            player: Rc::new(RefCell::new(None)),
            ready: Rc::new(RefCell::new(false)),
            _keep: Rc::new(RefCell::new(Vec::new())),
            poll: Rc::new(RefCell::new(None)),
        };
        load_script(script_url);
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return yt;
        };
        let Ok(slot) = doc.create_element("div") else {
            return yt;
        };
        slot.set_id("track-youtube");
        let _ = host.append_child(&slot);
        let mut waited = 0u32;
        let (player, ready, keep, poll) = (
            yt.player.clone(),
            yt.ready.clone(),
            yt._keep.clone(),
            yt.poll.clone(),
        );
        let video_id = video_id.to_owned();
        let interval = gloo_timers::callback::Interval::new(SCRIPT_POLL_MS, move || {
            waited += SCRIPT_POLL_MS;
            if let Some(ctor) = player_constructor() {
                poll.borrow_mut().take();
                let created = create(&ctor, &slot, &video_id, &ready, &on_event, &keep);
                *player.borrow_mut() = created;
            } else if waited >= SCRIPT_PATIENCE_MS {
                poll.borrow_mut().take();
                on_event(PlayerEvent::Failed(MediaFailure::Unplayable));
            }
        });
        *yt.poll.borrow_mut() = Some(interval);
        yt
    }

    fn is_ready(&self) -> bool {
        *self.ready.borrow()
    }

    fn call(&self, method: &str, args: &js_sys::Array) -> Option<JsValue> {
        if !self.is_ready() {
            return None;
        }
        let player = self.player.borrow().clone()?;
        let f: js_sys::Function = js_sys::Reflect::get(&player, &method.into())
            .ok()?
            .dyn_into()
            .ok()?;
        f.apply(&player, args).ok()
    }

    fn call0(&self, method: &str) {
        self.call(method, &js_sys::Array::new());
    }

    fn call_f64(&self, method: &str) -> Option<f64> {
        self.call(method, &js_sys::Array::new())?
            .as_f64()
            .filter(|v| v.is_finite())
    }
}

impl Drop for YtPlayer {
    fn drop(&mut self) {
        self.poll.borrow_mut().take();
    }
}

/// Adds the IFrame API `<script>` once per page.
fn load_script(url: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if doc.get_element_by_id("youtube-iframe-api").is_some() {
        return;
    }
    if let Ok(script) = doc.create_element("script") {
        script.set_id("youtube-iframe-api");
        let _ = script.set_attribute("src", url);
        let _ = script.set_attribute("async", "");
        if let Some(head) = doc.head() {
            let _ = head.append_child(&script);
        }
    }
}

/// `YT.Player`, once the API has finished loading (`YT.loaded` is 0 while the real script
/// is still fetching the player code).
fn player_constructor() -> Option<js_sys::Function> {
    let window = web_sys::window()?;
    let yt = js_sys::Reflect::get(&window, &"YT".into()).ok()?;
    if !yt.is_object() {
        return None;
    }
    let loaded = js_sys::Reflect::get(&yt, &"loaded".into()).ok()?;
    if loaded.as_f64() == Some(0.0) {
        return None;
    }
    js_sys::Reflect::get(&yt, &"Player".into())
        .ok()?
        .dyn_into()
        .ok()
}

/// What a YouTube `onError` code means for the room.
pub fn youtube_failure(code: f64) -> MediaFailure {
    match code as i64 {
        101 | 150 => MediaFailure::EmbedBlocked,
        100 => MediaFailure::NotFound,
        _ => MediaFailure::Unplayable,
    }
}

fn create(
    ctor: &js_sys::Function,
    slot: &Element,
    video_id: &str,
    ready: &Rc<RefCell<bool>>,
    on_event: &EventHandler,
    keep: &Callbacks,
) -> Option<JsValue> {
    let options = js_sys::Object::new();
    let set = |o: &js_sys::Object, k: &str, v: &JsValue| {
        let _ = js_sys::Reflect::set(o, &k.into(), v);
    };
    set(&options, "videoId", &video_id.into());
    set(&options, "width", &"100%".into());
    set(&options, "height", &"100%".into());
    let vars = js_sys::Object::new();
    for (k, v) in [
        ("playsinline", 1.0),
        ("controls", 0.0),
        ("disablekb", 1.0),
        ("rel", 0.0),
    ] {
        set(&vars, k, &JsValue::from_f64(v));
    }
    set(&options, "playerVars", &vars);
    let events = js_sys::Object::new();
    let on_ready = {
        let ready = ready.clone();
        let on_event = on_event.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
            *ready.borrow_mut() = true;
            // The title, from the player (`getVideoData().title`).
            let title = js_sys::Reflect::get(&ev, &"target".into())
                .ok()
                .and_then(|t| {
                    let f: js_sys::Function = js_sys::Reflect::get(&t, &"getVideoData".into())
                        .ok()?
                        .dyn_into()
                        .ok()?;
                    f.call0(&t).ok()
                })
                .and_then(|d| js_sys::Reflect::get(&d, &"title".into()).ok())
                .and_then(|t| t.as_string())
                .filter(|t| !t.is_empty());
            if let Some(title) = title {
                on_event(PlayerEvent::Title(title.chars().take(200).collect()));
            }
        })
    };
    let on_error = {
        let on_event = on_event.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
            let code = js_sys::Reflect::get(&ev, &"data".into())
                .ok()
                .and_then(|d| d.as_f64())
                .unwrap_or(0.0);
            on_event(PlayerEvent::Failed(youtube_failure(code)));
        })
    };
    set(&events, "onReady", on_ready.as_ref());
    set(&events, "onError", on_error.as_ref());
    set(&options, "events", &events);
    keep.borrow_mut().extend([on_ready, on_error]);
    js_sys::Reflect::construct(ctor, &js_sys::Array::of2(slot, &options)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn youtube_error_codes_say_what_went_wrong() {
        assert_eq!(youtube_failure(150.0), MediaFailure::EmbedBlocked);
        assert_eq!(youtube_failure(101.0), MediaFailure::EmbedBlocked);
        assert_eq!(youtube_failure(100.0), MediaFailure::NotFound);
        assert_eq!(youtube_failure(2.0), MediaFailure::Unplayable);
        assert_eq!(youtube_failure(5.0), MediaFailure::Unplayable);
    }
}
