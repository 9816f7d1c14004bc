//! What the room page draws about video: our own devices and preview, and each other
//! member's stream, camera/microphone state and call state. The mesh updates it through
//! [`VideoAction`]s.

use super::media::Device;
use super::plan::LinkState;
use onair_shared::UserId;
use std::collections::BTreeMap;
use std::rc::Rc;
use web_sys::MediaStream;
use yew::Reducible;

/// Another member's side of the call.
#[derive(Debug, Clone, PartialEq)]
pub struct Remote {
    /// Their tracks, once the call has them (a new stream object each time a track arrives,
    /// so the `<video>` element is pointed at it again).
    pub stream: Option<MediaStream>,
    /// The stream has a video track (it may still be waiting for its first frame).
    pub has_video: bool,
    /// What they told us (a camera is assumed on until they say otherwise).
    pub camera: bool,
    pub mic: bool,
    pub link: LinkState,
}

impl Default for Remote {
    fn default() -> Self {
        Remote {
            stream: None,
            has_video: false,
            camera: true,
            mic: true,
            link: LinkState::Waiting,
        }
    }
}

impl Remote {
    /// Their video is worth a `<video>` element (otherwise their picture shows).
    pub fn shows_video(&self) -> bool {
        self.stream.is_some() && self.has_video && self.camera
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct VideoView {
    pub camera: Device,
    pub mic: Device,
    /// Our own camera, for the preview (muted, mirrored).
    pub preview: Option<MediaStream>,
    pub remotes: BTreeMap<UserId, Remote>,
    /// The browser would not play sound without a click: show "turn on sound".
    pub audio_blocked: bool,
    /// Every call goes through TURN (the `?ice=relay` debug switch).
    pub relay_only: bool,
}

impl Default for VideoView {
    fn default() -> Self {
        VideoView {
            camera: Device::Starting,
            mic: Device::Starting,
            preview: None,
            remotes: BTreeMap::new(),
            audio_blocked: false,
            relay_only: false,
        }
    }
}

impl VideoView {
    /// The stream to draw for `user` (our preview for ourselves), when there is video to show.
    pub fn video_of(&self, user: UserId, you: Option<UserId>) -> Option<MediaStream> {
        if Some(user) == you {
            return self.preview.clone().filter(|_| self.camera.is_on());
        }
        self.remotes
            .get(&user)
            .filter(|r| r.shows_video())
            .and_then(|r| r.stream.clone())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum RemoteUpdate {
    /// The call's tracks changed (`None`: the call was closed or replaced).
    Stream {
        stream: Option<MediaStream>,
        has_video: bool,
    },
    State {
        camera: bool,
        mic: bool,
    },
    Link(LinkState),
}

#[derive(Debug, Clone, PartialEq)]
pub enum VideoAction {
    Camera {
        device: Device,
        preview: Option<MediaStream>,
    },
    Mic(Device),
    Remote(UserId, RemoteUpdate),
    /// They left (or went offline): forget their tile.
    Gone(UserId),
    AudioBlocked(bool),
    RelayOnly(bool),
    /// The page left the room.
    Reset,
}

impl Reducible for VideoView {
    type Action = VideoAction;

    fn reduce(self: Rc<Self>, action: VideoAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            VideoAction::Camera { device, preview } => {
                next.camera = device;
                next.preview = preview;
            }
            VideoAction::Mic(device) => next.mic = device,
            VideoAction::Remote(user, update) => {
                let remote = next.remotes.entry(user).or_default();
                match update {
                    RemoteUpdate::Stream { stream, has_video } => {
                        remote.stream = stream;
                        remote.has_video = has_video;
                    }
                    RemoteUpdate::State { camera, mic } => {
                        remote.camera = camera;
                        remote.mic = mic;
                    }
                    RemoteUpdate::Link(link) => remote.link = link,
                }
            }
            VideoAction::Gone(user) => {
                if next.remotes.remove(&user).is_none() {
                    return self;
                }
            }
            VideoAction::AudioBlocked(b) => next.audio_blocked = b,
            VideoAction::RelayOnly(b) => next.relay_only = b,
            VideoAction::Reset => next = VideoView::default(),
        }
        if next == *self {
            return self;
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_state_accumulates_and_gone_members_are_forgotten() {
        let mut v = Rc::new(VideoView::default());
        let bob = UserId(2);
        v = v.reduce(VideoAction::Remote(
            bob,
            RemoteUpdate::State {
                camera: false,
                mic: true,
            },
        ));
        v = v.reduce(VideoAction::Remote(
            bob,
            RemoteUpdate::Link(LinkState::Connected),
        ));
        let r = &v.remotes[&bob];
        assert!(!r.camera && r.mic);
        assert_eq!(r.link, LinkState::Connected);
        assert!(!r.shows_video(), "no stream, camera off");
        assert_eq!(v.video_of(bob, Some(UserId(1))), None);

        let same = v.clone();
        v = v.reduce(VideoAction::Remote(
            bob,
            RemoteUpdate::Link(LinkState::Connected),
        ));
        assert!(Rc::ptr_eq(&v, &same), "no change, no re-render");

        v = v.reduce(VideoAction::Gone(bob));
        assert!(v.remotes.is_empty());
        let same = v.clone();
        assert!(Rc::ptr_eq(&v.reduce(VideoAction::Gone(bob)), &same));
    }

    #[test]
    fn a_camera_is_assumed_on_until_told_otherwise() {
        let r = Remote::default();
        assert!(r.camera && r.mic);
        assert!(
            !r.shows_video(),
            "but there is nothing to show before the call"
        );
        let v = VideoView::default();
        assert_eq!(v.camera, Device::Starting);
        assert_eq!(v.video_of(UserId(1), Some(UserId(1))), None);
    }
}
