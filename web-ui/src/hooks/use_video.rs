//! `use_video`: the room page's camera, microphone and calls.
//!
//! On entering a room it asks for the camera and microphone and fetches `GET /config` (with
//! the login token, so a TURN relay comes with this user's credentials), then runs the
//! [`Mesh`]: it hears the room snapshot, each `welcome`, and the `signal` frames through
//! [`RoomSocket`], and checks on stuck calls every two seconds. Leaving the page (or the
//! room connection ending for good) hangs up and lets go of the devices.

use crate::context::use_toaster;
use crate::hooks::use_interval;
use crate::hooks::use_room_socket::{ConnStatus, RoomSocket};
use crate::i18n::Key;
use crate::services::api;
use crate::video::media::{self, Device};
use crate::video::mesh::{rtc_configuration, Mesh, MeshRef};
use crate::video::plan::{relay_forced, ICE_STORAGE_KEY};
use crate::video::view::{VideoAction, VideoView};
use gloo_storage::{LocalStorage, Storage};
use onair_shared::RoomId;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::MediaStreamTrack;
use yew::prelude::*;

/// What the room page gets.
#[derive(Clone, PartialEq)]
pub struct Video {
    pub view: Rc<VideoView>,
    pub toggle_camera: Callback<()>,
    pub toggle_mic: Callback<()>,
    /// A remote `<audio>` could not start without a click.
    pub audio_blocked: Callback<()>,
    /// The member clicked "turn on sound".
    pub enable_audio: Callback<()>,
    /// How late the stage performer's voice reaches us (ms, 0 when we perform or there is no
    /// call): the sing-along track waits as long.
    pub voice_delay_ms: f64,
    /// Our microphone is in music mode (no echo cancellation, noise suppression, auto gain).
    pub music_mode: bool,
    pub toggle_music_mode: Callback<()>,
}

/// How often the performer's voice delay is measured.
const VOICE_STATS_MS: u32 = 2_000;
/// A change of the voice delay smaller than this is not worth a re-render (the player's own
/// dead band is wider).
const VOICE_DELAY_STEP_MS: f64 = 15.0;

/// How often stuck calls are looked at.
const TICK_MS: u32 = 2_000;

#[hook]
pub fn use_video(room: RoomId, socket: &RoomSocket) -> Video {
    let view = use_reducer(VideoView::default);
    let slot = use_mut_ref(|| None::<MeshRef>);
    let toaster = use_toaster();

    // One mesh per room page.
    {
        let ui = view.dispatcher();
        let send = socket.send.clone();
        let sink = socket.signals.clone();
        let slot = slot.clone();
        use_effect_with(room, move |_| {
            ui.dispatch(VideoAction::Reset);
            let mesh = Mesh::new(send, ui.clone());
            *slot.borrow_mut() = Some(mesh.clone());
            let weak = Rc::downgrade(&mesh);
            {
                let weak = weak.clone();
                sink.set(Some(Rc::new(move |from, data| {
                    with(&weak, |m| m.on_signal(from, data));
                })));
            }
            let relay = relay_switch();
            ui.dispatch(VideoAction::RelayOnly(relay));
            spawn_local(fetch_config(weak.clone(), relay));
            spawn_local(start_devices(weak, ui));
            move || {
                sink.set(None);
                if let Ok(mut m) = mesh.try_borrow_mut() {
                    m.shutdown();
                }
                slot.borrow_mut().take();
            }
        });
    }

    // The room as the socket knows it.
    {
        let slot = slot.clone();
        let you = socket.view.you;
        let room = socket.view.room.clone();
        use_effect_with((you, room), move |(you, room)| {
            if let (Some(you), Some(room), Some(mesh)) = (you, room, current(&slot)) {
                if let Ok(mut m) = mesh.try_borrow_mut() {
                    m.on_room(*you, room);
                }
            }
        });
    }
    {
        let slot = slot.clone();
        use_effect_with(socket.view.welcomes, move |_| {
            if let Some(mesh) = current(&slot) {
                if let Ok(mut m) = mesh.try_borrow_mut() {
                    m.on_welcome();
                }
            }
        });
    }
    // Kicked, replaced, the room ended, or we left: hang up for good.
    {
        let slot = slot.clone();
        let ui = view.dispatcher();
        let over = matches!(
            socket.view.status,
            ConnStatus::Stopped(_) | ConnStatus::Left
        );
        use_effect_with(over, move |&over| {
            if over {
                if let Some(mesh) = current(&slot) {
                    if let Ok(mut m) = mesh.try_borrow_mut() {
                        m.shutdown();
                    }
                }
                ui.dispatch(VideoAction::Reset);
            }
        });
    }
    {
        let slot = slot.clone();
        let relay = view.relay_only;
        use_interval(
            move || {
                let Some(mesh) = current(&slot) else {
                    return;
                };
                let refresh = match mesh.try_borrow_mut() {
                    Ok(mut m) => {
                        m.tick();
                        m.wants_config()
                    }
                    Err(_) => false,
                };
                if refresh {
                    spawn_local(fetch_config(Rc::downgrade(&mesh), relay));
                }
            },
            TICK_MS,
        );
    }

    let toggle_camera = {
        let slot = slot.clone();
        let ui = view.dispatcher();
        let toaster = toaster.clone();
        Callback::from(move |()| {
            let Some(mesh) = current(&slot) else {
                return;
            };
            let state = mesh.borrow().camera();
            match state {
                Device::Starting => {}
                Device::On => {
                    mesh.borrow_mut().set_camera(Device::Off, None);
                    ui.dispatch(VideoAction::Camera {
                        device: Device::Off,
                        preview: None,
                    });
                }
                _ => {
                    mesh.borrow_mut().set_camera(Device::Starting, None);
                    ui.dispatch(VideoAction::Camera {
                        device: Device::Starting,
                        preview: None,
                    });
                    let (weak, ui, toaster) = (Rc::downgrade(&mesh), ui.clone(), toaster.clone());
                    spawn_local(async move {
                        let result = media::camera().await;
                        let (device, preview) = match &result {
                            Ok(track) => (Device::On, media::stream_of(track)),
                            Err(d) => (*d, None),
                        };
                        let track = result.ok();
                        if let Some(t) = &track {
                            on_ended(t, true, weak.clone(), ui.clone());
                        }
                        let taken = with(&weak, |m| m.set_camera(device, track.clone()));
                        if taken.is_none() {
                            // The page went away meanwhile.
                            if let Some(t) = track {
                                t.stop();
                            }
                            return;
                        }
                        ui.dispatch(VideoAction::Camera { device, preview });
                        if let Some(key) = help(device, true) {
                            toaster.key(key);
                        }
                    });
                }
            }
        })
    };

    let toggle_mic = {
        let slot = slot.clone();
        let ui = view.dispatcher();
        Callback::from(move |()| {
            let Some(mesh) = current(&slot) else {
                return;
            };
            let (state, has_track) = {
                let m = mesh.borrow();
                (m.mic(), m.has_mic_track())
            };
            match state {
                Device::Starting => {}
                Device::On => {
                    mesh.borrow_mut().set_mic(Device::Off, None);
                    ui.dispatch(VideoAction::Mic(Device::Off));
                }
                Device::Off if has_track => {
                    mesh.borrow_mut().set_mic(Device::On, None);
                    ui.dispatch(VideoAction::Mic(Device::On));
                }
                _ => {
                    mesh.borrow_mut().set_mic(Device::Starting, None);
                    ui.dispatch(VideoAction::Mic(Device::Starting));
                    let (weak, ui, toaster) = (Rc::downgrade(&mesh), ui.clone(), toaster.clone());
                    spawn_local(async move {
                        let result = media::microphone().await;
                        let device = result.as_ref().map_or_else(|d| *d, |_| Device::On);
                        let track = result.ok();
                        if let Some(t) = &track {
                            on_ended(t, false, weak.clone(), ui.clone());
                        }
                        let taken = with(&weak, |m| m.set_mic(device, track.clone()));
                        if taken.is_none() {
                            if let Some(t) = track {
                                t.stop();
                            }
                            return;
                        }
                        ui.dispatch(VideoAction::Mic(device));
                        if let Some(key) = help(device, false) {
                            toaster.key(key);
                        }
                    });
                }
            }
        })
    };

    // The stage performer's voice delay, from the call with them.
    let voice_delay = use_state(|| 0.0f64);
    {
        let slot = slot.clone();
        let voice_delay = voice_delay.clone();
        let stage = socket
            .view
            .room
            .as_ref()
            .and_then(|r| crate::video::plan::stage_user(r))
            .filter(|u| Some(*u) != socket.view.you);
        let last = use_mut_ref(|| None::<(onair_shared::UserId, crate::video::voice::Jitter)>);
        use_interval(
            move || {
                let conn = stage.and_then(|user| {
                    current(&slot)?
                        .try_borrow()
                        .ok()?
                        .connection_with(user)
                        .map(|c| (user, c))
                });
                let Some((user, conn)) = conn else {
                    if *voice_delay != 0.0 {
                        voice_delay.set(0.0);
                    }
                    return;
                };
                let (voice_delay, last) = (voice_delay.clone(), last.clone());
                spawn_local(async move {
                    let Some((jitter, rtt)) = crate::video::voice::sample(&conn).await else {
                        return;
                    };
                    let prev = last.borrow().filter(|(u, _)| *u == user).map(|(_, j)| j);
                    *last.borrow_mut() = Some((user, jitter));
                    if let Some(d) = crate::video::voice::delay_between(prev, jitter, rtt) {
                        if (d - *voice_delay).abs() >= VOICE_DELAY_STEP_MS {
                            voice_delay.set(d);
                        }
                    }
                });
            },
            VOICE_STATS_MS,
        );
    }

    let music_mode = use_state(|| false);
    let toggle_music_mode = {
        let slot = slot.clone();
        let music_mode = music_mode.clone();
        Callback::from(move |()| {
            let on = !*music_mode;
            let Some(track) = current(&slot).and_then(|m| m.try_borrow().ok()?.mic_track()) else {
                return;
            };
            let music_mode = music_mode.clone();
            spawn_local(async move {
                match crate::video::voice::set_music_mode(&track, on).await {
                    Ok(()) => music_mode.set(on),
                    Err(e) => web_sys::console::warn_2(&"onair: music mode".into(), &e),
                }
            });
        })
    };

    let audio_blocked = {
        let ui = view.dispatcher();
        Callback::from(move |()| ui.dispatch(VideoAction::AudioBlocked(true)))
    };
    let enable_audio = {
        let ui = view.dispatcher();
        Callback::from(move |()| {
            play_all_remote_audio();
            ui.dispatch(VideoAction::AudioBlocked(false));
        })
    };

    Video {
        view: Rc::new((*view).clone()),
        toggle_camera,
        toggle_mic,
        audio_blocked,
        enable_audio,
        voice_delay_ms: *voice_delay,
        music_mode: *music_mode,
        toggle_music_mode,
    }
}

fn current(slot: &Rc<RefCell<Option<MeshRef>>>) -> Option<MeshRef> {
    slot.borrow().clone()
}

fn with<T>(weak: &Weak<RefCell<Mesh>>, f: impl FnOnce(&mut Mesh) -> T) -> Option<T> {
    let mesh = weak.upgrade()?;
    let mut m = mesh.try_borrow_mut().ok()?;
    if m.is_closed() {
        return None;
    }
    Some(f(&mut m))
}

/// The sentence for a device that could not be started on a click.
fn help(device: Device, camera: bool) -> Option<Key> {
    Some(match (device, camera) {
        (Device::Denied, true) => Key::CameraDeniedHelp,
        (Device::Missing, true) => Key::CameraMissingHelp,
        (Device::Failed, true) => Key::CameraFailedHelp,
        (Device::Denied, false) => Key::MicDeniedHelp,
        (Device::Missing, false) => Key::MicMissingHelp,
        (Device::Failed, false) => Key::MicFailedHelp,
        _ => return None,
    })
}

/// `?ice=relay` on the page's URL, or `relay` under `onair.ice` in localStorage.
fn relay_switch() -> bool {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let stored = LocalStorage::get::<String>(ICE_STORAGE_KEY)
        .ok()
        .or_else(|| {
            // Also a plain (not JSON-quoted) value set by hand in the console.
            web_sys::window()
                .and_then(|w| w.local_storage().ok().flatten())
                .and_then(|s| s.get_item(ICE_STORAGE_KEY).ok().flatten())
        });
    relay_forced(&search, stored.as_deref())
}

/// `GET /config` (a few tries), then the mesh may start its calls. Without an answer the
/// calls still start, with no STUN/TURN (enough on one network).
async fn fetch_config(weak: Weak<RefCell<Mesh>>, relay: bool) {
    let mut servers = Vec::new();
    for attempt in 0..3u32 {
        match api::config().await {
            Ok(c) => {
                servers = c.ice_servers;
                break;
            }
            Err(e) if e.is_transient() && attempt < 2 => {
                gloo_timers::future::TimeoutFuture::new(1_000 << attempt).await;
            }
            Err(_) => break,
        }
    }
    if relay
        && !servers
            .iter()
            .any(|s| s.urls.iter().any(|u| u.starts_with("turn")))
    {
        web_sys::console::warn_1(
            &"onair video: relay-only ICE is on but the server offers no TURN relay".into(),
        );
    }
    let config = rtc_configuration(&servers, relay);
    with(&weak, |m| m.set_config(config));
}

/// The camera and microphone on entering the room.
async fn start_devices(weak: Weak<RefCell<Mesh>>, ui: UseReducerDispatcher<VideoView>) {
    let (camera, mic) = media::start().await;
    let camera_device = camera.as_ref().map_or_else(|d| *d, |_| Device::On);
    let mic_device = mic.as_ref().map_or_else(|d| *d, |_| Device::On);
    let preview = camera.as_ref().ok().and_then(media::stream_of);
    let (camera, mic) = (camera.ok(), mic.ok());
    if let Some(t) = &camera {
        on_ended(t, true, weak.clone(), ui.clone());
    }
    if let Some(t) = &mic {
        on_ended(t, false, weak.clone(), ui.clone());
    }
    let taken = with(&weak, |m| {
        m.set_camera(camera_device, camera.clone());
        m.set_mic(mic_device, mic.clone());
    });
    if taken.is_none() {
        for t in [camera, mic].into_iter().flatten() {
            t.stop();
        }
        return;
    }
    ui.dispatch(VideoAction::Camera {
        device: camera_device,
        preview,
    });
    ui.dispatch(VideoAction::Mic(mic_device));
}

/// A device that goes away by itself (unplugged, taken by the system) shows as unavailable.
fn on_ended(
    track: &MediaStreamTrack,
    camera: bool,
    weak: Weak<RefCell<Mesh>>,
    ui: UseReducerDispatcher<VideoView>,
) {
    let t = track.clone();
    let handler = Closure::once_into_js(move || {
        let current = with(&weak, |m| {
            if !m.is_current_track(&t, camera) {
                return false;
            }
            if camera {
                m.set_camera(Device::Failed, None);
            } else {
                m.set_mic(Device::Failed, None);
            }
            true
        });
        if current == Some(true) {
            ui.dispatch(if camera {
                VideoAction::Camera {
                    device: Device::Failed,
                    preview: None,
                }
            } else {
                VideoAction::Mic(Device::Failed)
            });
        }
    });
    track.set_onended(Some(handler.unchecked_ref()));
}

/// "Turn on sound": a click lets every remote `<audio>` play.
fn play_all_remote_audio() {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(list) = doc.query_selector_all("#remote-audio audio") else {
        return;
    };
    for i in 0..list.length() {
        if let Some(el) = list
            .item(i)
            .and_then(|n| n.dyn_into::<web_sys::HtmlMediaElement>().ok())
        {
            if let Ok(p) = el.play() {
                spawn_local(async move {
                    let _ = JsFuture::from(p).await;
                });
            }
        }
    }
}
