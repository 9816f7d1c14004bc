//! The camera and microphone: `getUserMedia`, and what state each device is in.
//!
//! A member without a camera, or who refused it, still takes part: the device is simply
//! `Missing` or `Denied`, their tile shows their picture, and they receive everyone's video.
//! Nothing here retries by itself; only a click on the toggle asks the browser again.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{MediaStream, MediaStreamConstraints, MediaStreamTrack};

/// One device (camera or microphone), as the toggle shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// Asking the browser (a permission prompt may be open).
    Starting,
    On,
    /// Turned off by the member.
    Off,
    /// The member or the browser refused access.
    Denied,
    /// There is no such device (or the page is not a secure context).
    Missing,
    /// The device exists but could not be started (in use by another program, ...).
    Failed,
}

impl Device {
    /// `data-state` of the toggle buttons.
    pub fn code(self) -> &'static str {
        match self {
            Device::Starting => "starting",
            Device::On => "on",
            Device::Off => "off",
            Device::Denied => "denied",
            Device::Missing => "missing",
            Device::Failed => "failed",
        }
    }

    pub fn is_on(self) -> bool {
        self == Device::On
    }

    /// Not usable until the member does something about it.
    pub fn unavailable(self) -> bool {
        matches!(self, Device::Denied | Device::Missing | Device::Failed)
    }
}

/// What a `getUserMedia` failure means for the device, from the `DOMException`'s name.
pub fn classify(error_name: &str) -> Device {
    match error_name {
        "NotAllowedError" | "SecurityError" | "PermissionDeniedError" => Device::Denied,
        "NotFoundError" | "OverconstrainedError" | "DevicesNotFoundError" | "NoDevice" => {
            Device::Missing
        }
        _ => Device::Failed,
    }
}

/// Camera constraints: 720p at most (the encoder scales down to the bitrate cap by itself).
const VIDEO_CONSTRAINTS: &str =
    r#"{"width":{"ideal":1280},"height":{"ideal":720},"frameRate":{"ideal":24,"max":30}}"#;

/// Asks the browser for the camera and/or the microphone.
pub async fn get_user_media(video: bool, audio: bool) -> Result<MediaStream, Device> {
    let devices = web_sys::window()
        .map(|w| w.navigator())
        .and_then(|n| n.media_devices().ok())
        // `navigator.mediaDevices` is undefined outside a secure context.
        .filter(|d| !JsValue::from(d.clone()).is_undefined())
        .ok_or(Device::Missing)?;
    let constraints = MediaStreamConstraints::new();
    if video {
        let c = js_sys::JSON::parse(VIDEO_CONSTRAINTS).unwrap_or(JsValue::TRUE);
        constraints.set_video(&c);
    } else {
        constraints.set_video_bool(false);
    }
    constraints.set_audio_bool(audio);
    let promise = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(|e| classify(&error_name(&e)))?;
    match JsFuture::from(promise).await {
        Ok(stream) => Ok(stream.unchecked_into()),
        Err(e) => Err(classify(&error_name(&e))),
    }
}

fn error_name(e: &JsValue) -> String {
    js_sys::Reflect::get(e, &JsValue::from_str("name"))
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default()
}

fn first(tracks: js_sys::Array) -> Option<MediaStreamTrack> {
    tracks.iter().next().map(|t| t.unchecked_into())
}

/// One camera track.
pub async fn camera() -> Result<MediaStreamTrack, Device> {
    let stream = get_user_media(true, false).await?;
    first(stream.get_video_tracks()).ok_or(Device::Missing)
}

/// One microphone track.
pub async fn microphone() -> Result<MediaStreamTrack, Device> {
    let stream = get_user_media(false, true).await?;
    first(stream.get_audio_tracks()).ok_or(Device::Missing)
}

/// Both devices on entering a room: one prompt for both; when that fails for a reason other
/// than a refusal, each one on its own (a laptop without a camera still has a microphone).
pub async fn start() -> (
    Result<MediaStreamTrack, Device>,
    Result<MediaStreamTrack, Device>,
) {
    match get_user_media(true, true).await {
        Ok(stream) => (
            first(stream.get_video_tracks()).ok_or(Device::Missing),
            first(stream.get_audio_tracks()).ok_or(Device::Missing),
        ),
        Err(Device::Denied) => (Err(Device::Denied), Err(Device::Denied)),
        Err(_) => (camera().await, microphone().await),
    }
}

/// A stream holding just `track`, for a `<video>` or `<audio>` element.
pub fn stream_of(track: &MediaStreamTrack) -> Option<MediaStream> {
    let tracks = js_sys::Array::of1(track);
    MediaStream::new_with_tracks(&tracks).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_missing_devices_and_other_failures_are_told_apart() {
        assert_eq!(classify("NotAllowedError"), Device::Denied);
        assert_eq!(classify("SecurityError"), Device::Denied);
        assert_eq!(classify("NotFoundError"), Device::Missing);
        assert_eq!(classify("OverconstrainedError"), Device::Missing);
        assert_eq!(classify("NotReadableError"), Device::Failed);
        assert_eq!(classify(""), Device::Failed);
        assert!(Device::Denied.unavailable() && Device::Missing.unavailable());
        assert!(!Device::Off.unavailable() && !Device::Starting.unavailable());
        assert!(Device::On.is_on() && !Device::Off.is_on());
    }
}
