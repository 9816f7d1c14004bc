//! The full mesh: one `RTCPeerConnection` per other online member, signaled through the room.
//!
//! - **Roles.** The member with the lower id is the caller and the only one who makes offers
//!   ([`is_caller`]), so two browsers never offer at once. Each call has an id (`pc`) chosen
//!   by the caller; a new offer with a new id replaces the old call, and answers and
//!   candidates for another id are stale and dropped.
//! - **Who starts.** A newcomer starts its calls: as caller it offers, as callee it sends
//!   `hello` ("call me"). Members already there only wait (and start themselves after
//!   [`WAIT_TIMEOUT_MS`](super::plan::WAIT_TIMEOUT_MS)). The same happens when our room connection comes back (a fresh
//!   `welcome`) for every call that is not connecting or connected, and for a member who
//!   comes back online. A call that fails, or does not connect within
//!   [`CONNECT_TIMEOUT_MS`](super::plan::CONNECT_TIMEOUT_MS), starts over the same way.
//! - **Tracks.** The caller opens one audio and one video transceiver, both `sendrecv`, in
//!   every call; the callee turns the ones the offer created to `sendrecv`. Our camera and
//!   microphone go onto those senders with `replaceTrack`, so turning the camera on later
//!   (or getting one after joining without) needs no new offer. `state` signals say
//!   whether each side's camera and microphone are on.
//! - **Bitrate.** Every video sender is capped with `setParameters` ([`video_bitrate`]): a
//!   thumbnail's 300 kbps, more for the performer while on air.
//!
//! The mesh lives in an `Rc<RefCell<_>>` owned by the `use_video` hook; browser events reach
//! it through closures holding a weak reference. It never updates the Yew view while
//! borrowed: view updates are queued as tasks.

use super::media::Device;
use super::plan::{needs_restart, roster_change, video_bitrate, LinkState, Roster};
use super::signal::{is_caller, Signal};
use super::view::{RemoteUpdate, VideoAction, VideoView};
use onair_shared::api::IceServer;
use onair_shared::protocol::{ClientMsg, RoomSnapshot};
use onair_shared::UserId;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{
    MediaStream, MediaStreamTrack, RtcBundlePolicy, RtcConfiguration, RtcIceCandidateInit,
    RtcIceServer, RtcIceTransportPolicy, RtcPeerConnection, RtcPeerConnectionIceEvent,
    RtcPeerConnectionState, RtcRtpEncodingParameters, RtcRtpTransceiver,
    RtcRtpTransceiverDirection, RtcRtpTransceiverInit, RtcSdpType, RtcSessionDescriptionInit,
    RtcSignalingState, RtcTrackEvent,
};
use yew::prelude::*;

pub type MeshRef = Rc<RefCell<Mesh>>;

/// `/config` is fetched again after this long (for new calls only).
const CONFIG_REFRESH_MS: f64 = 60.0 * 60.0 * 1000.0;

/// Signals from members we cannot place yet are kept this long.
const PENDING_MS: f64 = 15_000.0;
const PENDING_MAX: usize = 256;

/// The `RTCConfiguration` for our calls: the api-server's STUN/TURN servers (TURN with this
/// user's time-limited credentials), one transport for audio and video, and relay-only ICE
/// when forced.
pub fn rtc_configuration(servers: &[IceServer], relay_only: bool) -> RtcConfiguration {
    let list = js_sys::Array::new();
    for s in servers.iter().filter(|s| !s.urls.is_empty()) {
        let server = RtcIceServer::new();
        let urls: js_sys::Array = s.urls.iter().map(|u| JsValue::from_str(u)).collect();
        server.set_urls(&urls);
        if let Some(u) = &s.username {
            server.set_username(u);
        }
        if let Some(c) = &s.credential {
            server.set_credential(c);
        }
        list.push(&server);
    }
    let config = RtcConfiguration::new();
    config.set_ice_servers(&list);
    config.set_bundle_policy(RtcBundlePolicy::MaxBundle);
    if relay_only {
        config.set_ice_transport_policy(RtcIceTransportPolicy::Relay);
    }
    config
}

/// One call with one member.
struct Link {
    state: LinkState,
    /// When `state` began (ms).
    since: f64,
    pc: Option<Pc>,
}

/// One `RTCPeerConnection` and what belongs to it.
struct Pc {
    id: String,
    conn: RtcPeerConnection,
    audio: Option<RtcRtpTransceiver>,
    video: Option<RtcRtpTransceiver>,
    /// The other side's tracks.
    remote: MediaStream,
    /// Their description is set: their candidates can go in.
    remote_set: bool,
    /// Their candidates that came before their description.
    early: Vec<RtcIceCandidateInit>,
    /// Our description went out: our candidates may follow it.
    trickle: bool,
    /// Our candidates gathered before that.
    queued: Vec<Signal>,
    /// The `maxBitrate` last set on our video sender.
    bitrate: Option<u32>,
    _handlers: Handlers,
}

struct Handlers {
    _ice: Closure<dyn FnMut(RtcPeerConnectionIceEvent)>,
    _track: Closure<dyn FnMut(RtcTrackEvent)>,
    _state: Closure<dyn FnMut(web_sys::Event)>,
}

impl Pc {
    fn shut(&self, user: UserId) {
        self.conn.set_onicecandidate(None);
        self.conn.set_ontrack(None);
        self.conn.set_onconnectionstatechange(None);
        self.conn.close();
        debug_registry(|peers| {
            if peers.get(&user_key(user)) == JsValue::from(self.conn.clone()) {
                peers.delete(&user_key(user));
            }
        });
    }
}

struct Pending {
    at: f64,
    from: UserId,
    signal: Signal,
}

pub struct Mesh {
    me: Weak<RefCell<Mesh>>,
    you: Option<UserId>,
    roster: Roster,
    have_roster: bool,
    /// Set once `/config` answered; no call starts before.
    config: Option<RtcConfiguration>,
    /// When `config` came (ms): TURN credentials expire, so it is fetched again now and then.
    config_at: f64,
    /// A new `/config` is on its way.
    refreshing: bool,
    links: BTreeMap<UserId, Link>,
    pending: Vec<Pending>,
    video: Option<MediaStreamTrack>,
    audio: Option<MediaStreamTrack>,
    camera: Device,
    mic: Device,
    /// What the others were last told (`state`).
    camera_on: bool,
    mic_on: bool,
    on_stage: bool,
    bitrate: u32,
    send: Callback<ClientMsg>,
    ui: UseReducerDispatcher<VideoView>,
    closed: bool,
}

impl Mesh {
    pub fn new(send: Callback<ClientMsg>, ui: UseReducerDispatcher<VideoView>) -> MeshRef {
        Rc::new_cyclic(|me| {
            RefCell::new(Mesh {
                me: me.clone(),
                you: None,
                roster: Roster::default(),
                have_roster: false,
                config: None,
                config_at: 0.0,
                refreshing: false,
                links: BTreeMap::new(),
                pending: Vec::new(),
                video: None,
                audio: None,
                camera: Device::Starting,
                mic: Device::Starting,
                camera_on: false,
                mic_on: false,
                on_stage: false,
                bitrate: video_bitrate(false, 0),
                send,
                ui,
                closed: false,
            })
        })
    }

    fn ready(&self) -> bool {
        !self.closed && self.config.is_some() && self.you.is_some() && self.have_roster
    }

    /// `/config` answered: calls may start.
    pub fn set_config(&mut self, config: RtcConfiguration) {
        if self.closed {
            return;
        }
        self.config = Some(config);
        self.config_at = now();
        self.refreshing = false;
        self.replay_pending();
        self.announce();
    }

    /// The room snapshot changed (any event, or a `welcome`).
    pub fn on_room(&mut self, you: UserId, room: &RoomSnapshot) {
        if self.closed {
            return;
        }
        self.you = Some(you);
        let next = Roster::of(room, you);
        if self.have_roster {
            let change = roster_change(&self.roster, &next);
            self.roster = next;
            for user in change.gone {
                self.forget(user);
            }
            if self.ready() {
                for user in change.back {
                    self.initiate(user);
                }
                for user in change.joined {
                    self.wait_for(user);
                }
            }
        } else {
            self.roster = next;
            self.have_roster = true;
        }
        // Members who left while we were away are not in the new roster.
        let stale: Vec<UserId> = self
            .links
            .keys()
            .filter(|u| !self.roster.online.contains(u))
            .copied()
            .collect();
        for user in stale {
            self.forget(user);
        }
        self.on_stage = super::plan::on_stage(room, you);
        self.update_bitrate();
        self.replay_pending();
    }

    /// Our room connection (re)started with a `welcome`: start every call that is not
    /// connecting or connected (the others may have restarted while we were away).
    pub fn on_welcome(&mut self) {
        self.announce();
    }

    fn announce(&mut self) {
        if !self.ready() {
            return;
        }
        let users: Vec<UserId> = self.roster.online.iter().copied().collect();
        for user in users {
            let healthy = self.links.get(&user).is_some_and(|l| l.state.healthy());
            if !healthy {
                self.initiate(user);
            }
        }
    }

    /// A `signal` frame from another member.
    pub fn on_signal(&mut self, from: UserId, data: serde_json::Value) {
        if self.closed {
            return;
        }
        let Some(signal) = Signal::from_value(data) else {
            return;
        };
        if !self.ready() || !self.roster.online.contains(&from) {
            // Not placed yet (no `/config` yet, or their `member_joined` is on its way).
            if self.pending.len() >= PENDING_MAX {
                self.pending.remove(0);
            }
            self.pending.push(Pending {
                at: now(),
                from,
                signal,
            });
            return;
        }
        self.handle(from, signal);
    }

    fn replay_pending(&mut self) {
        if !self.ready() || self.pending.is_empty() {
            return;
        }
        let t = now();
        let pending = std::mem::take(&mut self.pending);
        for p in pending {
            if self.roster.online.contains(&p.from) {
                self.handle(p.from, p.signal);
            } else if t - p.at < PENDING_MS {
                self.pending.push(p);
            }
        }
    }

    fn handle(&mut self, from: UserId, signal: Signal) {
        let Some(you) = self.you else {
            return;
        };
        let caller = is_caller(you, from);
        match signal {
            Signal::Hello => {
                if caller {
                    self.call(from);
                }
            }
            Signal::Offer { pc, sdp } => {
                if !caller {
                    self.take_offer(from, pc, sdp);
                }
            }
            Signal::Answer { pc, sdp } => {
                if caller {
                    self.take_answer(from, &pc, sdp);
                }
            }
            Signal::Candidate {
                pc,
                candidate,
                sdp_mid,
                sdp_m_line_index,
            } => {
                let Some(p) = self.pc_mut(from, &pc) else {
                    return;
                };
                let init = RtcIceCandidateInit::new(&candidate);
                init.set_sdp_mid(sdp_mid.as_deref());
                init.set_sdp_m_line_index(sdp_m_line_index);
                if p.remote_set {
                    add_candidate(&p.conn, &init);
                } else {
                    p.early.push(init);
                }
            }
            Signal::State { camera, mic } => {
                self.ui(VideoAction::Remote(
                    from,
                    RemoteUpdate::State { camera, mic },
                ));
            }
        }
    }

    /// Starts (or restarts) the call with `user` from our side.
    fn initiate(&mut self, user: UserId) {
        let Some(you) = self.you else {
            return;
        };
        if is_caller(you, user) {
            self.call(user);
        } else {
            self.drop_pc(user);
            self.set_link(user, LinkState::Waiting);
            self.signal(user, Signal::Hello);
        }
    }

    /// A new member: they start the call; we wait (and start it after a while if they don't).
    fn wait_for(&mut self, user: UserId) {
        if !self.links.contains_key(&user) {
            self.set_link(user, LinkState::Waiting);
        }
    }

    /// As the caller: a new call with a fresh id, and our offer.
    fn call(&mut self, user: UserId) {
        if !self.ready() || !self.roster.online.contains(&user) {
            return;
        }
        self.drop_pc(user);
        let id = new_call_id();
        let Some(mut pc) = self.open(user, &id) else {
            return;
        };
        for kind in ["audio", "video"] {
            let init = RtcRtpTransceiverInit::new();
            init.set_direction(RtcRtpTransceiverDirection::Sendrecv);
            let t = pc.conn.add_transceiver_with_str_and_init(kind, &init);
            if kind == "audio" {
                pc.audio = Some(t);
            } else {
                pc.video = Some(t);
            }
        }
        self.attach_tracks(&pc);
        let conn = pc.conn.clone();
        self.install(user, pc, LinkState::Connecting);
        spawn_local(make_offer(self.me.clone(), user, id, conn));
    }

    /// As the callee: their offer, on the current call (renegotiation) or a new one.
    fn take_offer(&mut self, user: UserId, id: String, sdp: String) {
        let same_call = self.pc_mut(user, &id).is_some();
        if !same_call {
            self.drop_pc(user);
            let Some(pc) = self.open(user, &id) else {
                return;
            };
            self.install(user, pc, LinkState::Connecting);
        }
        let Some(pc) = self.pc_mut(user, &id) else {
            return;
        };
        // Set their description now, so the candidates that follow queue behind it.
        let init = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
        init.set_sdp(&sdp);
        let srd = pc.conn.set_remote_description(&init);
        let conn = pc.conn.clone();
        spawn_local(make_answer(self.me.clone(), user, id, conn, srd));
    }

    /// As the caller: their answer to our current offer.
    fn take_answer(&mut self, user: UserId, id: &str, sdp: String) {
        let Some(pc) = self.pc_mut(user, id) else {
            return;
        };
        if pc.conn.signaling_state() != RtcSignalingState::HaveLocalOffer {
            return;
        }
        let init = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
        init.set_sdp(&sdp);
        let srd = pc.conn.set_remote_description(&init);
        let weak = self.me.clone();
        let id = id.to_owned();
        spawn_local(async move {
            let ok = JsFuture::from(srd).await;
            with_mesh(&weak, |m| {
                if let Err(e) = ok {
                    warn("setRemoteDescription(answer)", &e);
                    m.set_link(user, LinkState::Failed);
                    return;
                }
                m.remote_description_set(user, &id);
            });
        });
    }

    fn remote_description_set(&mut self, user: UserId, id: &str) {
        let bitrate = self.bitrate;
        if let Some(pc) = self.pc_mut(user, id) {
            pc.remote_set = true;
            for init in pc.early.drain(..) {
                add_candidate(&pc.conn, &init);
            }
            apply_bitrate(pc, bitrate);
        }
    }

    /// Our description went out: send the candidates gathered meanwhile, then our state.
    fn described(&mut self, user: UserId, id: &str, signal: Signal) {
        self.signal(user, signal);
        let queued = match self.pc_mut(user, id) {
            Some(pc) => {
                pc.trickle = true;
                std::mem::take(&mut pc.queued)
            }
            None => return,
        };
        for c in queued {
            self.signal(user, c);
        }
        self.send_state(user);
    }

    /// A new `RTCPeerConnection` for a call with `user`, with its event handlers.
    fn open(&mut self, user: UserId, id: &str) -> Option<Pc> {
        let config = self.config.as_ref()?;
        let conn = match RtcPeerConnection::new_with_configuration(config) {
            Ok(c) => c,
            Err(e) => {
                warn("new RTCPeerConnection", &e);
                return None;
            }
        };
        let remote = MediaStream::new().ok()?;

        let (weak, call) = (self.me.clone(), id.to_owned());
        let ice = Closure::<dyn FnMut(RtcPeerConnectionIceEvent)>::new(
            move |ev: RtcPeerConnectionIceEvent| {
                let Some(c) = ev.candidate() else {
                    return;
                };
                let signal = Signal::Candidate {
                    pc: call.clone(),
                    candidate: c.candidate(),
                    sdp_mid: c.sdp_mid(),
                    sdp_m_line_index: c.sdp_m_line_index(),
                };
                with_mesh(&weak, |m| m.our_candidate(user, &call, signal));
            },
        );
        let (weak, call) = (self.me.clone(), id.to_owned());
        let track = Closure::<dyn FnMut(RtcTrackEvent)>::new(move |ev: RtcTrackEvent| {
            with_mesh(&weak, |m| m.their_track(user, &call, ev.track()));
        });
        let (weak, call, c2) = (self.me.clone(), id.to_owned(), conn.clone());
        let state = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
            let state = c2.connection_state();
            with_mesh(&weak, |m| m.connection_state(user, &call, state));
        });
        conn.set_onicecandidate(Some(ice.as_ref().unchecked_ref()));
        conn.set_ontrack(Some(track.as_ref().unchecked_ref()));
        conn.set_onconnectionstatechange(Some(state.as_ref().unchecked_ref()));
        debug_registry(|peers| {
            peers.set(&user_key(user), &conn);
        });
        Some(Pc {
            id: id.to_owned(),
            conn,
            audio: None,
            video: None,
            remote,
            remote_set: false,
            early: Vec::new(),
            trickle: false,
            queued: Vec::new(),
            bitrate: None,
            _handlers: Handlers {
                _ice: ice,
                _track: track,
                _state: state,
            },
        })
    }

    fn install(&mut self, user: UserId, pc: Pc, state: LinkState) {
        self.links.insert(
            user,
            Link {
                state,
                since: now(),
                pc: Some(pc),
            },
        );
        self.ui(VideoAction::Remote(user, RemoteUpdate::Link(state)));
    }

    fn our_candidate(&mut self, user: UserId, id: &str, signal: Signal) {
        let Some(pc) = self.pc_mut(user, id) else {
            return;
        };
        if pc.trickle {
            self.signal(user, signal);
        } else {
            pc.queued.push(signal);
        }
    }

    fn their_track(&mut self, user: UserId, id: &str, track: MediaStreamTrack) {
        let Some(pc) = self.pc_mut(user, id) else {
            return;
        };
        pc.remote.add_track(&track);
        let stream = MediaStream::new_with_tracks(&pc.remote.get_tracks()).ok();
        let has_video = pc.remote.get_video_tracks().length() > 0;
        self.ui(VideoAction::Remote(
            user,
            RemoteUpdate::Stream { stream, has_video },
        ));
    }

    fn connection_state(&mut self, user: UserId, id: &str, state: RtcPeerConnectionState) {
        if self.pc_mut(user, id).is_none() {
            return;
        }
        let link = match state {
            RtcPeerConnectionState::Connected => LinkState::Connected,
            RtcPeerConnectionState::Disconnected => LinkState::Disconnected,
            RtcPeerConnectionState::Failed => LinkState::Failed,
            RtcPeerConnectionState::Closed => return,
            _ => LinkState::Connecting,
        };
        self.set_link(user, link);
        if link == LinkState::Connected {
            let bitrate = self.bitrate;
            if let Some(pc) = self.pc_mut(user, id) {
                apply_bitrate(pc, bitrate);
            }
        }
    }

    /// Whether to fetch `/config` again (new calls then get fresh TURN credentials; the
    /// api-server's last at least 6 h by default). Says yes once per refresh.
    pub fn wants_config(&mut self) -> bool {
        if self.closed || self.config.is_none() || self.refreshing {
            return false;
        }
        if now() - self.config_at < CONFIG_REFRESH_MS {
            return false;
        }
        self.refreshing = true;
        true
    }

    /// Every 2 s: start over the calls that are stuck, and wait for online members we have
    /// no call with.
    pub fn tick(&mut self) {
        if !self.ready() {
            return;
        }
        let t = now();
        let mut restart = Vec::new();
        for user in self.roster.online.iter() {
            match self.links.get(user) {
                Some(link) if needs_restart(link.state, link.since, t) => restart.push(*user),
                Some(_) => {}
                None => restart.push(*user),
            }
        }
        for user in restart {
            if self.links.contains_key(&user) {
                self.initiate(user);
            } else {
                self.wait_for(user);
            }
        }
        // A cap that did not take (no encodings yet) is tried again.
        let bitrate = self.bitrate;
        for link in self.links.values_mut() {
            if let Some(pc) = link
                .pc
                .as_mut()
                .filter(|_| link.state == LinkState::Connected)
            {
                if pc.bitrate != Some(bitrate) {
                    apply_bitrate(pc, bitrate);
                }
            }
        }
        self.pending.retain(|p| t - p.at < PENDING_MS);
    }

    fn update_bitrate(&mut self) {
        let bitrate = video_bitrate(self.on_stage, self.roster.online.len());
        if bitrate == self.bitrate {
            return;
        }
        self.bitrate = bitrate;
        for pc in self.links.values_mut().filter_map(|l| l.pc.as_mut()) {
            apply_bitrate(pc, bitrate);
        }
    }

    pub fn camera(&self) -> Device {
        self.camera
    }

    pub fn mic(&self) -> Device {
        self.mic
    }

    pub fn has_mic_track(&self) -> bool {
        self.audio.is_some()
    }

    /// Our microphone track, if any (for music mode's constraints).
    pub fn mic_track(&self) -> Option<MediaStreamTrack> {
        self.audio.clone()
    }

    /// The call with `user`, if one is up (for the voice delay's `getStats()`).
    pub fn connection_with(&self, user: UserId) -> Option<RtcPeerConnection> {
        self.links
            .get(&user)
            .and_then(|l| l.pc.as_ref())
            .map(|pc| pc.conn.clone())
    }

    /// The camera is now `device`; `track` is a newly started camera. Anything but `On`
    /// stops the camera (its light goes off) and sends no video.
    pub fn set_camera(&mut self, device: Device, track: Option<MediaStreamTrack>) {
        self.camera = device;
        let keep = if device == Device::On {
            track.or_else(|| self.video.clone())
        } else {
            if let Some(t) = track {
                t.stop();
            }
            None
        };
        if self.video != keep {
            if let Some(old) = self.video.take() {
                old.stop();
            }
            self.video = keep;
            for pc in self.links.values().filter_map(|l| l.pc.as_ref()) {
                replace(pc.video.as_ref(), self.video.as_ref());
            }
        }
        self.tell_devices();
    }

    /// The microphone is now `device`; `track` is a newly started microphone. `Off` mutes
    /// the track (quick to undo); a device that is unavailable lets go of it.
    pub fn set_mic(&mut self, device: Device, track: Option<MediaStreamTrack>) {
        self.mic = device;
        if let Some(t) = track {
            if let Some(old) = self.audio.replace(t) {
                old.stop();
            }
            for pc in self.links.values().filter_map(|l| l.pc.as_ref()) {
                replace(pc.audio.as_ref(), self.audio.as_ref());
            }
        }
        if device.unavailable() {
            if let Some(old) = self.audio.take() {
                old.stop();
                for pc in self.links.values().filter_map(|l| l.pc.as_ref()) {
                    replace(pc.audio.as_ref(), None);
                }
            }
        }
        if let Some(t) = &self.audio {
            t.set_enabled(device == Device::On);
        }
        self.tell_devices();
    }

    /// Tells everyone whether our camera and microphone are on, when that changed.
    fn tell_devices(&mut self) {
        let now_on = (self.camera.is_on(), self.mic.is_on());
        if now_on == (self.camera_on, self.mic_on) {
            return;
        }
        (self.camera_on, self.mic_on) = now_on;
        if !self.ready() {
            return;
        }
        let users: Vec<UserId> = self.roster.online.iter().copied().collect();
        for user in users {
            self.send_state(user);
        }
    }

    fn send_state(&mut self, user: UserId) {
        self.signal(
            user,
            Signal::State {
                camera: self.camera_on,
                mic: self.mic_on,
            },
        );
    }

    fn attach_tracks(&self, pc: &Pc) {
        replace(pc.audio.as_ref(), self.audio.as_ref());
        replace(pc.video.as_ref(), self.video.as_ref());
    }

    /// The page leaves the room (or the connection ended for good): hang up everything and
    /// let go of the camera and microphone.
    pub fn shutdown(&mut self) {
        self.closed = true;
        let users: Vec<UserId> = self.links.keys().copied().collect();
        for user in users {
            self.drop_pc(user);
        }
        self.links.clear();
        self.pending.clear();
        for track in [self.video.take(), self.audio.take()].into_iter().flatten() {
            track.stop();
        }
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Whether `track` is our current camera (`true`) or microphone (`false`) track.
    pub fn is_current_track(&self, track: &MediaStreamTrack, camera: bool) -> bool {
        let current = if camera { &self.video } else { &self.audio };
        current.as_ref() == Some(track)
    }

    /// They left or went offline: hang up and forget their tile.
    fn forget(&mut self, user: UserId) {
        self.drop_pc(user);
        self.links.remove(&user);
        self.ui(VideoAction::Gone(user));
    }

    /// Hangs up the call with `user` (the link stays, for its state).
    fn drop_pc(&mut self, user: UserId) {
        if let Some(pc) = self.links.get_mut(&user).and_then(|l| l.pc.take()) {
            pc.shut(user);
            self.ui(VideoAction::Remote(
                user,
                RemoteUpdate::Stream {
                    stream: None,
                    has_video: false,
                },
            ));
        }
    }

    fn set_link(&mut self, user: UserId, state: LinkState) {
        let link = self.links.entry(user).or_insert(Link {
            state,
            since: now(),
            pc: None,
        });
        if link.state != state {
            link.state = state;
            link.since = now();
        }
        self.ui(VideoAction::Remote(user, RemoteUpdate::Link(state)));
    }

    /// The current call with `user`, if its id is `id`.
    fn pc_mut(&mut self, user: UserId, id: &str) -> Option<&mut Pc> {
        self.links
            .get_mut(&user)?
            .pc
            .as_mut()
            .filter(|pc| pc.id == id)
    }

    /// Sends a signal, only to a member online in the current snapshot.
    fn signal(&self, to: UserId, signal: Signal) {
        if self.closed || !self.roster.online.contains(&to) {
            return;
        }
        if !signal.fits() {
            web_sys::console::warn_1(&"onair: a video signal is too large to send".into());
            return;
        }
        self.send.emit(ClientMsg::Signal {
            to,
            data: signal.to_value(),
        });
    }

    /// Updates the view after the current borrow has ended (a dispatch may render, and a
    /// render may call back into the mesh).
    fn ui(&self, action: VideoAction) {
        let ui = self.ui.clone();
        spawn_local(async move { ui.dispatch(action) });
    }
}

/// Creates our offer or answer, sets it as the local description and returns its SDP.
async fn local_description(conn: &RtcPeerConnection, kind: RtcSdpType) -> Result<String, JsValue> {
    let created = match kind {
        RtcSdpType::Offer => conn.create_offer(),
        _ => conn.create_answer(),
    };
    let description = JsFuture::from(created).await?;
    let sdp = js_sys::Reflect::get(&description, &"sdp".into())?
        .as_string()
        .unwrap_or_default();
    let init = RtcSessionDescriptionInit::new(kind);
    init.set_sdp(&sdp);
    JsFuture::from(conn.set_local_description(&init)).await?;
    Ok(sdp)
}

async fn make_offer(weak: Weak<RefCell<Mesh>>, user: UserId, id: String, conn: RtcPeerConnection) {
    let result = local_description(&conn, RtcSdpType::Offer).await;
    with_mesh(&weak, |m| {
        if m.pc_mut(user, &id).is_none() {
            return;
        }
        match result {
            Ok(sdp) => m.described(
                user,
                &id,
                Signal::Offer {
                    pc: id.clone(),
                    sdp,
                },
            ),
            Err(e) => {
                warn("createOffer", &e);
                m.set_link(user, LinkState::Failed);
            }
        }
    });
}

async fn make_answer(
    weak: Weak<RefCell<Mesh>>,
    user: UserId,
    id: String,
    conn: RtcPeerConnection,
    srd: js_sys::Promise,
) {
    if let Err(e) = JsFuture::from(srd).await {
        warn("setRemoteDescription(offer)", &e);
        with_mesh(&weak, |m| {
            if m.pc_mut(user, &id).is_some() {
                m.set_link(user, LinkState::Failed);
            }
        });
        return;
    }
    // The offer made our transceivers: send on them too, with our tracks.
    let current = with_mesh(&weak, |m| {
        let (audio, video) = (m.audio.clone(), m.video.clone());
        let pc = m.pc_mut(user, &id)?;
        for t in pc.conn.get_transceivers().iter() {
            let t: RtcRtpTransceiver = t.unchecked_into();
            if t.stopped() {
                continue;
            }
            t.set_direction(RtcRtpTransceiverDirection::Sendrecv);
            match t.receiver().track().kind().as_str() {
                "audio" if pc.audio.is_none() => pc.audio = Some(t),
                "video" if pc.video.is_none() => pc.video = Some(t),
                _ => {}
            }
        }
        replace(pc.audio.as_ref(), audio.as_ref());
        replace(pc.video.as_ref(), video.as_ref());
        Some(())
    })
    .flatten();
    if current.is_none() {
        return;
    }
    with_mesh(&weak, |m| m.remote_description_set(user, &id));

    let result = local_description(&conn, RtcSdpType::Answer).await;
    with_mesh(&weak, |m| {
        if m.pc_mut(user, &id).is_none() {
            return;
        }
        match result {
            Ok(sdp) => {
                m.described(
                    user,
                    &id,
                    Signal::Answer {
                        pc: id.clone(),
                        sdp,
                    },
                );
                let bitrate = m.bitrate;
                if let Some(pc) = m.pc_mut(user, &id) {
                    apply_bitrate(pc, bitrate);
                }
            }
            Err(e) => {
                warn("createAnswer", &e);
                m.set_link(user, LinkState::Failed);
            }
        }
    });
}

/// Runs `f` on the mesh if it still exists and is not borrowed (a browser event never
/// arrives while we hold it, but a dropped event is better than a panic).
fn with_mesh<T>(weak: &Weak<RefCell<Mesh>>, f: impl FnOnce(&mut Mesh) -> T) -> Option<T> {
    let mesh = weak.upgrade()?;
    let mut m = mesh.try_borrow_mut().ok()?;
    if m.closed {
        return None;
    }
    Some(f(&mut m))
}

fn add_candidate(conn: &RtcPeerConnection, init: &RtcIceCandidateInit) {
    let p = conn.add_ice_candidate_with_opt_rtc_ice_candidate_init(Some(init));
    spawn_local(async move {
        if let Err(e) = JsFuture::from(p).await {
            warn("addIceCandidate", &e);
        }
    });
}

fn replace(transceiver: Option<&RtcRtpTransceiver>, track: Option<&MediaStreamTrack>) {
    let Some(t) = transceiver else {
        return;
    };
    let sender = t.sender();
    if sender.track().as_ref() == track {
        return;
    }
    let p = sender.replace_track(track);
    spawn_local(async move {
        if let Err(e) = JsFuture::from(p).await {
            warn("replaceTrack", &e);
        }
    });
}

/// Caps our video sender in this call at `bps` (`setParameters`); remembered on success.
fn apply_bitrate(pc: &mut Pc, bps: u32) {
    let Some(t) = pc.video.as_ref() else {
        return;
    };
    let sender = t.sender();
    let params = sender.get_parameters();
    let Some(encodings) = params.get_encodings().filter(|e| e.length() > 0) else {
        // Not negotiated yet: the next tick tries again.
        return;
    };
    for e in encodings.iter() {
        e.unchecked_into::<RtcRtpEncodingParameters>()
            .set_max_bitrate(bps);
    }
    pc.bitrate = Some(bps);
    let p = sender.set_parameters_with_parameters(&params);
    spawn_local(async move {
        if let Err(e) = JsFuture::from(p).await {
            warn("setParameters", &e);
        }
    });
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// A call id: random enough that two calls never share one.
fn new_call_id() -> String {
    let r = (js_sys::Math::random() * 2f64.powi(48)) as u64;
    format!("{:x}-{:x}", now() as u64, r)
}

fn warn(what: &str, e: &JsValue) {
    web_sys::console::warn_2(&format!("onair video: {what} failed").into(), e);
}

fn user_key(user: UserId) -> JsValue {
    JsValue::from_f64(user.0 as f64)
}

/// `window.__onairPeers`: a `Map` from member id to the `RTCPeerConnection` of our call with
/// them, for debugging and for the browser tests (`getStats()`, sender parameters).
fn debug_registry(f: impl FnOnce(&js_sys::Map)) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let key = JsValue::from_str("__onairPeers");
    let existing = js_sys::Reflect::get(&window, &key).ok();
    let map = match existing.filter(|v| v.is_instance_of::<js_sys::Map>()) {
        Some(v) => v.unchecked_into::<js_sys::Map>(),
        None => {
            let m = js_sys::Map::new();
            let _ = js_sys::Reflect::set(&window, &key, &m);
            m
        }
    };
    f(&map);
}
