//! The sing-along backing track on the stage: the player every member plays their own copy in,
//! kept in step with the room (see `sync.rs`), and the controls for whoever may use them (the
//! performer on air, the host otherwise: `onair_shared::media::may_control_media`).

use crate::context::use_lang;
use crate::hooks::ClockRef;
use crate::i18n::{Key, Lang};
use crate::player::{EventHandler, HtmlPlayer, Player, PlayerEvent, YtPlayer};
use crate::sync::{correct, target_ms, Correction};
use onair_shared::media::{
    may_control_media, parse_media, Media, MediaFailure, MediaKind, MediaState,
};
use onair_shared::protocol::{ClientMsg, Phase, RoomSnapshot};
use onair_shared::UserId;
use std::cell::Cell;
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// How often the player is checked against the room.
pub const SYNC_EVERY_MS: u32 = 500;
/// A YouTube player asked to play that still sits unstarted or paused after this many checks
/// (not buffering) was refused by the browser's autoplay rule (YouTube says nothing about it).
const YT_PLAY_PATIENCE: u32 = 6;

#[derive(Properties, PartialEq)]
pub struct BackingTrackProps {
    pub room: Rc<RoomSnapshot>,
    pub you: Option<UserId>,
    pub on_send: Callback<ClientMsg>,
    pub clock: ClockRef,
    /// How late the performer's voice reaches this browser (ms); the track waits as long.
    #[prop_or_default]
    pub voice_delay_ms: f64,
    /// The YouTube IFrame API script (`GET /config`); `None` until known.
    pub youtube_api_url: Option<String>,
    /// Our microphone's music mode, offered to the performer on air.
    #[prop_or_default]
    pub music_mode: bool,
    #[prop_or_default]
    pub on_music_mode: Callback<()>,
}

/// What the sync loop keeps between checks.
#[derive(Default)]
struct Loop {
    /// The rate last set (so the player is not told the same thing twice a second).
    rate: f64,
    /// Checks in a row that a YouTube player was asked to play and stayed unstarted/paused.
    asked_to_play: u32,
}

#[function_component(BackingTrack)]
pub fn backing_track(props: &BackingTrackProps) -> Html {
    let lang = use_lang();
    let room = &props.room;
    let state = room.media.clone();
    let can_control = props
        .you
        .is_some_and(|you| may_control_media(room.phase, room.host, room.performer, you));

    // Read by the loop between renders.
    let latest = use_mut_ref(MediaState::default);
    *latest.borrow_mut() = state.clone();
    let delay = use_mut_ref(|| 0.0);
    *delay.borrow_mut() = props.voice_delay_ms;

    let host = use_node_ref();
    let player = use_mut_ref(|| None::<Player>);
    let tap_needed = use_state(|| false);
    let tap_flag = use_mut_ref(|| false);
    let title = use_state(|| None::<String>);
    let local_failure = use_state(|| None::<MediaFailure>);
    let position_s = use_state(|| 0u64);
    let duration_s = use_state(|| None::<u64>);
    let looping = use_mut_ref(Loop::default);

    // A player per track: made when a track goes on the stage, removed when it goes.
    {
        let host = host.clone();
        let player = player.clone();
        let (tap_needed, tap_flag, title, local_failure) = (
            tap_needed.clone(),
            tap_flag.clone(),
            title.clone(),
            local_failure.clone(),
        );
        let on_send = props.on_send.clone();
        let looping = looping.clone();
        // The script URL matters to YouTube players only: a file's player is not made again
        // when `/config` answers.
        let script = props.youtube_api_url.clone().filter(|_| {
            state
                .media
                .as_ref()
                .is_some_and(|m| m.kind == MediaKind::Youtube)
        });
        use_effect_with((state.media.clone(), script), move |(media, script)| {
            tap_needed.set(false);
            *tap_flag.borrow_mut() = false;
            title.set(None);
            local_failure.set(None);
            *looping.borrow_mut() = Loop {
                rate: 1.0,
                ..Loop::default()
            };
            let reported = Rc::new(Cell::new(false));
            let on_event: EventHandler = {
                let (tap_needed, tap_flag, title, local_failure) = (
                    tap_needed.clone(),
                    tap_flag.clone(),
                    title.clone(),
                    local_failure.clone(),
                );
                Rc::new(move |ev| match ev {
                    PlayerEvent::Failed(reason) => {
                        local_failure.set(Some(reason));
                        // Once per track from this browser; the room keeps the first.
                        if !reported.replace(true) {
                            on_send.emit(ClientMsg::MediaError { reason });
                        }
                    }
                    PlayerEvent::AutoplayRefused => {
                        *tap_flag.borrow_mut() = true;
                        tap_needed.set(true);
                    }
                    PlayerEvent::Title(t) => title.set(Some(t)),
                })
            };
            let made = match (media, host.cast::<web_sys::Element>()) {
                (
                    Some(Media {
                        kind: MediaKind::File,
                        id_or_url,
                        ..
                    }),
                    Some(el),
                ) => HtmlPlayer::new(&el, id_or_url, on_event).map(Player::Html),
                (
                    Some(Media {
                        kind: MediaKind::Youtube,
                        id_or_url,
                        ..
                    }),
                    Some(el),
                ) => script
                    .as_ref()
                    .map(|url| Player::Youtube(YtPlayer::new(&el, url, id_or_url, on_event))),
                _ => None,
            };
            *player.borrow_mut() = made;
            move || {
                if let Some(p) = player.borrow_mut().take() {
                    p.destroy();
                }
                if let Some(el) = host.cast::<web_sys::Element>() {
                    el.set_inner_html("");
                }
            }
        });
    }

    // The loop: where the room says the track is, against where the player is.
    {
        let (player, latest, delay, clock, looping) = (
            player.clone(),
            latest.clone(),
            delay.clone(),
            props.clock.clone(),
            looping.clone(),
        );
        let (tap_flag, tap_needed, position_s, duration_s) = (
            tap_flag.clone(),
            tap_needed.clone(),
            position_s.clone(),
            duration_s.clone(),
        );
        crate::hooks::use_interval(
            move || {
                let player = player.borrow();
                let Some(p) = player.as_ref() else {
                    return;
                };
                let st = latest.borrow().clone();
                let server_now = clock.borrow().server_now(js_sys::Date::now());
                let target = target_ms(&st, server_now, *delay.borrow());
                let length = p.duration_ms();
                if let Some(pos) = p.current_ms() {
                    let s = (pos / 1000.0) as u64;
                    if *position_s != s {
                        position_s.set(s);
                    }
                }
                let len_s = length.map(|l| (l / 1000.0) as u64);
                if *duration_s != len_s {
                    duration_s.set(len_s);
                }
                let mut lp = looping.borrow_mut();
                // Past the end: the track has finished here too.
                if length.is_some_and(|l| target >= l - 250.0) {
                    return;
                }
                if !st.playing {
                    lp.asked_to_play = 0;
                    if p.is_playing() {
                        p.pause();
                    }
                    if let (Some(actual), false) = (p.current_ms(), p.stalled()) {
                        if let Correction::Seek(to) = correct(actual, target, false, &p.rates()) {
                            p.seek(to);
                        }
                    }
                    return;
                }
                if !p.is_playing() {
                    if *tap_flag.borrow() {
                        return;
                    }
                    // Start where the room is, then play.
                    if let Some(actual) = p.current_ms() {
                        if (actual - target).abs() > crate::sync::COARSE_SEEK_MS {
                            p.seek(target);
                        }
                    }
                    if p.looks_refused() {
                        lp.asked_to_play += 1;
                        if lp.asked_to_play > YT_PLAY_PATIENCE {
                            *tap_flag.borrow_mut() = true;
                            tap_needed.set(true);
                            return;
                        }
                    } else {
                        // Still loading (or an HTML5 player, which says so itself).
                        lp.asked_to_play = 0;
                    }
                    p.play();
                    return;
                }
                lp.asked_to_play = 0;
                if *tap_flag.borrow() {
                    *tap_flag.borrow_mut() = false;
                    tap_needed.set(false);
                }
                if p.stalled() {
                    return;
                }
                let Some(actual) = p.current_ms() else {
                    return;
                };
                match correct(actual, target, true, &p.rates()) {
                    Correction::Seek(to) => {
                        p.seek(to);
                        if lp.rate != 1.0 {
                            p.set_rate(1.0);
                            lp.rate = 1.0;
                        }
                    }
                    Correction::Rate(r) => {
                        if (r - lp.rate).abs() > 0.001 {
                            p.set_rate(r);
                            lp.rate = r;
                        }
                    }
                }
            },
            SYNC_EVERY_MS,
        );
    }

    let on_tap = {
        let (player, tap_flag, tap_needed) = (player.clone(), tap_flag.clone(), tap_needed.clone());
        Callback::from(move |_: MouseEvent| {
            // In the click itself: the browser lets a tap start playback.
            *tap_flag.borrow_mut() = false;
            tap_needed.set(false);
            if let Some(p) = player.borrow().as_ref() {
                p.play();
            }
        })
    };

    // Nothing to show: no track, and nothing this member may do about it.
    let ended = room.phase == Phase::Ended;
    if ended || (state.media.is_none() && !can_control) {
        return html! { <div id="track-host" ref={host} hidden=true></div> };
    }

    let failure = state.error.map(|f| f.reason).or(*local_failure);
    let kind = state.media.as_ref().map(|m| m.kind);
    html! {
        <section id="backing-track" class="panel track"
            data-state={if state.media.is_none() { "none" } else if state.playing { "playing" } else { "paused" }}
            data-kind={kind.map(|k| if k == MediaKind::Youtube { "youtube" } else { "file" })}
            data-voice-delay-ms={format!("{:.0}", props.voice_delay_ms)}>
            <div class="track-head">
                <span class="track-label"><span aria-hidden="true">{ "🎵 " }</span>{ lang.t(Key::TrackHeading) }</span>
                if let Some(m) = &state.media {
                    <span id="track-title" class="track-title">{ track_title(lang, m, (*title).as_deref()) }</span>
                    <span class="track-status muted">
                        { lang.t(if state.playing { Key::TrackPlaying } else { Key::TrackPaused }) }
                        { format!(" · {}", clock_text(*position_s)) }
                        if let Some(d) = *duration_s { { format!(" / {}", clock_text(d)) } }
                    </span>
                } else {
                    <span class="track-title muted">{ lang.t(Key::TrackNone) }</span>
                }
            </div>
            <div id="track-host" ref={host} class={classes!("track-host", (kind == Some(MediaKind::Youtube)).then_some("track-host-video"))}></div>
            if *tap_needed && state.playing {
                <button id="track-tap" type="button" class="btn btn-primary track-tap" onclick={on_tap}>
                    <span aria-hidden="true">{ "▶ " }</span>{ lang.t(Key::TrackTapToPlay) }
                </button>
            }
            if let Some(reason) = failure.filter(|_| state.media.is_some()) {
                <p id="track-error" class="track-error" role="alert" data-reason={failure_code(reason)}>
                    { lang.t(failure_key(reason)) }
                    if can_control { { " " }{ lang.t(Key::TrackPickAnother) } }
                </p>
            }
            if room.phase == Phase::OnAir && room.performer.is_some() && room.performer == props.you {
                <label class="music-mode" title={lang.t(Key::MusicModeHint)}>
                    <input id="music-mode" type="checkbox" checked={props.music_mode}
                        onchange={props.on_music_mode.reform(|_: Event| ())} />
                    { lang.t(Key::MusicMode) }
                </label>
            }
            if can_control {
                <TrackControls state={state.clone()} on_send={props.on_send.clone()}
                    position_s={*position_s} duration_s={*duration_s} />
            }
        </section>
    }
}

fn track_title(lang: Lang, media: &Media, known: Option<&str>) -> String {
    if let Some(t) = known.or(media.title.as_deref()) {
        return t.to_owned();
    }
    match media.kind {
        MediaKind::Youtube => format!("{} · {}", lang.t(Key::TrackYoutube), media.id_or_url),
        // The file's name, not the whole link.
        MediaKind::File => media
            .id_or_url
            .split(['?', '#'])
            .next()
            .and_then(|p| p.rsplit('/').find(|s| !s.is_empty()))
            .unwrap_or(lang.t(Key::TrackFile))
            .chars()
            .take(80)
            .collect(),
    }
}

pub fn clock_text(secs: u64) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

fn failure_key(f: MediaFailure) -> Key {
    match f {
        MediaFailure::EmbedBlocked => Key::TrackEmbedBlocked,
        MediaFailure::NotFound => Key::TrackNotFound,
        MediaFailure::Unplayable => Key::TrackUnplayable,
    }
}

fn failure_code(f: MediaFailure) -> &'static str {
    match f {
        MediaFailure::EmbedBlocked => "embed_blocked",
        MediaFailure::NotFound => "not_found",
        MediaFailure::Unplayable => "unplayable",
    }
}

#[derive(Properties, PartialEq)]
struct ControlsProps {
    state: MediaState,
    on_send: Callback<ClientMsg>,
    position_s: u64,
    duration_s: Option<u64>,
}

/// The backing-track field, play/pause, the position slider and "take off".
#[function_component(TrackControls)]
fn track_controls(props: &ControlsProps) -> Html {
    let lang = use_lang();
    let url = use_node_ref();
    let invalid = use_state(|| false);
    let on_set = {
        let (url, invalid, on_send) = (url.clone(), invalid.clone(), props.on_send.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(input) = url.cast::<HtmlInputElement>() else {
                return;
            };
            let value = input.value();
            // The same check as the server's, so a typo is told at once.
            if parse_media(&value).is_err() {
                invalid.set(true);
                return;
            }
            invalid.set(false);
            on_send.emit(ClientMsg::MediaSet {
                url: value.trim().to_owned(),
            });
            input.set_value("");
        })
    };
    let send = |msg: ClientMsg| {
        let on_send = props.on_send.clone();
        Callback::from(move |_: MouseEvent| on_send.emit(msg.clone()))
    };
    let on_seek = {
        let on_send = props.on_send.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(secs) = input.value().parse::<u64>() {
                on_send.emit(ClientMsg::MediaSeek {
                    position_ms: secs.saturating_mul(1000),
                });
            }
        })
    };
    let has_track = props.state.media.is_some();
    html! {
        <div class="track-controls">
            if has_track {
                <div class="track-buttons">
                    if props.state.playing {
                        <button id="track-pause" type="button" class="btn" onclick={send(ClientMsg::MediaPause)}>
                            <span aria-hidden="true">{ "⏸ " }</span>{ lang.t(Key::TrackPause) }
                        </button>
                    } else {
                        <button id="track-play" type="button" class="btn btn-primary" onclick={send(ClientMsg::MediaPlay { position_ms: None })}>
                            <span aria-hidden="true">{ "▶ " }</span>{ lang.t(Key::TrackPlay) }
                        </button>
                    }
                    <input id="track-seek" type="range" class="track-seek" min="0"
                        max={props.duration_s.unwrap_or(600).max(props.position_s).to_string()}
                        value={props.position_s.to_string()}
                        aria-label={lang.t(Key::TrackSeek)} onchange={on_seek} />
                    <button id="track-clear" type="button" class="btn btn-ghost" onclick={send(ClientMsg::MediaClear)}>
                        { lang.t(Key::TrackClear) }
                    </button>
                </div>
            }
            <form id="track-form" class="track-form" onsubmit={on_set}>
                <label for="track-url" class="sr-only">{ lang.t(Key::TrackUrlLabel) }</label>
                <input id="track-url" ref={url} type="text" inputmode="url" spellcheck="false" autocomplete="off"
                    maxlength={onair_shared::media::MEDIA_URL_MAX_CHARS.to_string()}
                    placeholder={lang.t(Key::TrackUrlPlaceholder)} aria-label={lang.t(Key::TrackUrlLabel)}
                    aria-invalid={invalid.to_string()} />
                <button id="track-set" type="submit" class="btn">{ lang.t(Key::TrackSet) }</button>
            </form>
            if *invalid {
                <p id="track-url-error" class="field-error" role="alert">{ lang.t(Key::ErrInvalidMedia) }</p>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_times_read_well() {
        assert_eq!(clock_text(0), "0:00");
        assert_eq!(clock_text(125), "2:05");
        let file = Media {
            kind: MediaKind::File,
            id_or_url: "https://cdn.example.org/tracks/my%20song.mp3?sig=abc".into(),
            title: None,
        };
        assert_eq!(track_title(Lang::En, &file, None), "my%20song.mp3");
        let yt = Media {
            kind: MediaKind::Youtube,
            id_or_url: "dQw4w9WgXcQ".into(),
            title: None,
        };
        assert_eq!(
            track_title(Lang::Ko, &yt, None),
            "유튜브 영상 · dQw4w9WgXcQ"
        );
        assert_eq!(track_title(Lang::En, &yt, Some("Never")), "Never");
    }
}
