//! Video on the page: a `<video>` for a stream, the hidden `<audio>` that plays a member's
//! sound, and the camera/microphone toggles.

use crate::context::use_lang;
use crate::i18n::Key;
use crate::video::Device;
use onair_shared::UserId;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{HtmlMediaElement, MediaStream};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct VideoTileProps {
    pub stream: MediaStream,
    /// Whose picture it is (`data-user-id`).
    pub user: UserId,
    /// Our own preview shows as in a mirror.
    #[prop_or_default]
    pub mirror: bool,
}

/// A muted, autoplaying `<video>` showing `stream` (sound plays through [`RemoteAudio`], so
/// the same member can be on the big tile and in the list without an echo).
///
/// The element's media is set here, in an effect, and only when the tracks change: pointing
/// the element at another stream makes it go black and load again (the stage "blink", issue
/// 15). Beware `stream.clone()` on a `MediaStream`: web-sys's inherent `clone` is the JS
/// `MediaStream.clone()` (new tracks, a new stream), not `Clone::clone` (the same object). That
/// was the blink: every re-render of the stage handed this tile a fresh copy of the camera.
#[function_component(VideoTile)]
pub fn video_tile(props: &VideoTileProps) -> Html {
    let node = use_node_ref();
    {
        let node = node.clone();
        use_effect_with(Clone::clone(&props.stream), move |stream| {
            if let Some(el) = node.cast::<HtmlMediaElement>() {
                el.set_muted(true);
                if attach(&el, stream) {
                    play(&el, None);
                }
            }
        });
    }
    html! {
        <video ref={node} data-user-id={props.user.to_string()}
            class={classes!("video", props.mirror.then_some("mirror"))}
            autoplay=true playsinline=true muted=true />
    }
}

#[derive(Properties, PartialEq)]
pub struct RemoteAudioProps {
    pub stream: MediaStream,
    pub user: UserId,
    /// The browser wants a click before playing sound.
    pub on_blocked: Callback<()>,
}

/// Plays another member's sound.
#[function_component(RemoteAudio)]
pub fn remote_audio(props: &RemoteAudioProps) -> Html {
    let node = use_node_ref();
    {
        let node = node.clone();
        let on_blocked = props.on_blocked.clone();
        use_effect_with(Clone::clone(&props.stream), move |stream| {
            if let Some(el) = node.cast::<HtmlMediaElement>() {
                if attach(&el, stream) {
                    play(&el, Some(on_blocked));
                }
            }
        });
    }
    html! { <audio ref={node} data-user-id={props.user.to_string()} autoplay=true /> }
}

/// Points `el` at `stream` unless it already plays exactly these tracks; true when it did.
fn attach(el: &HtmlMediaElement, stream: &MediaStream) -> bool {
    if el.src_object().is_some_and(|now| same_tracks(&now, stream)) {
        return false;
    }
    el.set_src_object(Some(stream));
    true
}

fn track_ids(stream: &MediaStream) -> Vec<String> {
    let mut ids: Vec<String> = stream
        .get_tracks()
        .iter()
        .filter_map(|t| {
            js_sys::Reflect::get(&t, &"id".into())
                .ok()
                .and_then(|id| id.as_string())
        })
        .collect();
    ids.sort();
    ids
}

fn same_tracks(a: &MediaStream, b: &MediaStream) -> bool {
    a == b || track_ids(a) == track_ids(b)
}

/// Starts playback; a refusal (autoplay policy) goes to `on_blocked`.
fn play(el: &HtmlMediaElement, on_blocked: Option<Callback<()>>) {
    let Ok(promise) = el.play() else {
        return;
    };
    spawn_local(async move {
        if let Err(e) = JsFuture::from(promise).await {
            let name = js_sys::Reflect::get(&e, &"name".into())
                .ok()
                .and_then(|n| n.as_string());
            if name.as_deref() == Some("NotAllowedError") {
                if let Some(cb) = on_blocked {
                    cb.emit(());
                }
            }
        }
    });
}

#[derive(Properties, PartialEq)]
pub struct MediaControlsProps {
    pub camera: Device,
    pub mic: Device,
    pub relay_only: bool,
    pub audio_blocked: bool,
    pub on_camera: Callback<()>,
    pub on_mic: Callback<()>,
    pub on_enable_audio: Callback<()>,
}

/// The state a toggle shows, and what clicking it would do.
pub fn camera_text(d: Device) -> (Key, Key) {
    let label = match d {
        Device::On => Key::CameraOn,
        Device::Off => Key::CameraOff,
        Device::Starting => Key::CameraStarting,
        Device::Denied => Key::CameraDenied,
        Device::Missing => Key::CameraMissing,
        Device::Failed => Key::CameraFailed,
    };
    let action = if d.is_on() {
        Key::TurnCameraOff
    } else {
        Key::TurnCameraOn
    };
    (label, action)
}

pub fn mic_text(d: Device) -> (Key, Key) {
    let label = match d {
        Device::On => Key::MicOn,
        Device::Off => Key::MicOff,
        Device::Starting => Key::MicStarting,
        Device::Denied => Key::MicDenied,
        Device::Missing => Key::MicMissing,
        Device::Failed => Key::MicFailed,
    };
    let action = if d.is_on() {
        Key::TurnMicOff
    } else {
        Key::TurnMicOn
    };
    (label, action)
}

/// `#toggle-camera` and `#toggle-mic` (`data-state` = on, off, starting, denied, missing,
/// failed), "turn on sound" when the browser held it back, and the relay-only chip.
#[function_component(MediaControls)]
pub fn media_controls(props: &MediaControlsProps) -> Html {
    let lang = use_lang();
    let (cam_label, cam_action) = camera_text(props.camera);
    let (mic_label, mic_action) = mic_text(props.mic);
    let click = |cb: &Callback<()>| {
        let cb = cb.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    let state_class = |d: Device| {
        if d.is_on() {
            "is-on"
        } else if d.unavailable() {
            "is-unavailable"
        } else {
            "is-off"
        }
    };
    html! {
        <div class="media-controls" role="group" aria-label={lang.t(Key::MediaControls)}>
            <button id="toggle-camera" type="button"
                class={classes!("btn", "btn-media", state_class(props.camera))}
                data-state={props.camera.code()} aria-pressed={props.camera.is_on().to_string()}
                title={lang.t(cam_action)} disabled={props.camera == Device::Starting}
                onclick={click(&props.on_camera)}>
                <span class="media-icon media-icon-camera" aria-hidden="true">{ "📷" }</span>
                <span class="media-label">{ lang.t(cam_label) }</span>
            </button>
            <button id="toggle-mic" type="button"
                class={classes!("btn", "btn-media", state_class(props.mic))}
                data-state={props.mic.code()} aria-pressed={props.mic.is_on().to_string()}
                title={lang.t(mic_action)} disabled={props.mic == Device::Starting}
                onclick={click(&props.on_mic)}>
                <span class="media-icon media-icon-mic" aria-hidden="true">{ "🎙️" }</span>
                <span class="media-label">{ lang.t(mic_label) }</span>
            </button>
            if props.audio_blocked {
                <button id="enable-audio" type="button" class="btn btn-primary btn-media"
                    onclick={click(&props.on_enable_audio)}>
                    <span aria-hidden="true">{ "🔊" }</span>{ lang.t(Key::EnableSound) }
                </button>
            }
            if props.relay_only {
                <span id="ice-relay" class="chip chip-relay" title={lang.t(Key::RelayOnlyHint)}>
                    { lang.t(Key::RelayOnly) }
                </span>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn every_device_state_has_its_own_text_in_both_languages() {
        let all = [
            Device::On,
            Device::Off,
            Device::Starting,
            Device::Denied,
            Device::Missing,
            Device::Failed,
        ];
        let cams: std::collections::HashSet<Key> = all.iter().map(|&d| camera_text(d).0).collect();
        let mics: std::collections::HashSet<Key> = all.iter().map(|&d| mic_text(d).0).collect();
        assert_eq!(cams.len(), all.len());
        assert_eq!(mics.len(), all.len());
        assert_eq!(Lang::Ko.t(camera_text(Device::On).0), "카메라 켜짐");
        assert_eq!(Lang::En.t(mic_text(Device::Off).0), "Mic off");
        assert_eq!(camera_text(Device::On).1, Key::TurnCameraOff);
        assert_eq!(camera_text(Device::Missing).1, Key::TurnCameraOn);
    }
}
