use crate::app::Route;
use crate::components::backing_track::BackingTrack;
use crate::components::chat::Chat;
use crate::components::confirm::Confirm;
use crate::components::connection_banner::ConnectionBanner;
use crate::components::live_notice::LiveNotice;
use crate::components::member_list::MemberList;
use crate::components::nominate_dialog::NominateDialog;
use crate::components::ranked_notice::RankedNotice;
use crate::components::results_board::ResultsBoard;
use crate::components::score_dialog::ScoreDialog;
use crate::components::stage::{phase_code, Stage};
use crate::components::video::{MediaControls, RemoteAudio};
use crate::context::{use_lang, use_toaster};
use crate::hooks::{use_room_clock, use_room_socket, use_video, ConnStatus, StopReason};
use crate::i18n::{Key, Lang};
use crate::services::api;
use onair_shared::api::RoomView;
use onair_shared::protocol::{ClientMsg, Phase};
use onair_shared::room::{CloseReason, Mode, RoomStatus};
use onair_shared::RoomId;
use yew::prelude::*;
use yew_router::prelude::*;

#[derive(Properties, PartialEq)]
pub struct RoomPageProps {
    pub id: RoomId,
}

/// One room: title and phase, the stage with the performer's video, members with their
/// cameras, and chat, kept live over the WebSocket (which also carries the video calls'
/// signals).
#[function_component(RoomPage)]
pub fn room_page(props: &RoomPageProps) -> Html {
    let lang = use_lang();
    let socket = use_room_socket(props.id);
    let video = use_video(props.id, &socket);
    let clock = use_room_clock(&socket);
    // The YouTube IFrame API script for the sing-along player (`GET /config`).
    let youtube_api_url = use_state(|| None::<String>);
    {
        let youtube_api_url = youtube_api_url.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let url = match api::config().await {
                    Ok(c) => c.youtube_api_url,
                    // Without an answer: production's script (the CSP may still refuse it).
                    Err(_) => onair_shared::api::default_youtube_api_url(),
                };
                youtube_api_url.set(Some(url));
            });
        });
    }
    let navigator = use_navigator();
    // The catalogue entry, for the description (the live snapshot has no description).
    let info = use_state(|| None::<RoomView>);
    // Fetched on arrival, and again once the room turns out to have ended: the room-server's
    // last report (with the results board) may reach the api-server a moment after the
    // refusal reached us, so it is asked a few times until it says `ended`.
    let ended = matches!(
        socket.view.status,
        ConnStatus::Stopped(StopReason::RoomEnded)
    );
    {
        let info = info.clone();
        use_effect_with((props.id, ended), move |&(id, ended)| {
            wasm_bindgen_futures::spawn_local(async move {
                let tries = if ended { 5 } else { 1 };
                for attempt in 0..tries {
                    if attempt > 0 {
                        gloo_timers::future::TimeoutFuture::new(1_000).await;
                    }
                    if let Ok(room) = api::room(id).await {
                        let done = room.status == RoomStatus::Ended;
                        info.set(Some(room));
                        if done {
                            break;
                        }
                    }
                }
            });
        });
    }

    let leave_now = {
        let send = socket.send.clone();
        let navigator = navigator.clone();
        Callback::from(move |_: MouseEvent| {
            send.emit(ClientMsg::Leave);
            if let Some(nav) = &navigator {
                nav.push(&Route::Lobby);
            }
        })
    };
    // The host of a show in progress is asked first (the show goes on with another host).
    let confirm_leave = use_state(|| false);
    let hosting_a_show = socket.view.room.as_ref().is_some_and(|r| {
        Some(r.host) == socket.view.you && !matches!(r.phase, Phase::Lobby | Phase::Ended)
    }) && !matches!(socket.view.status, ConnStatus::Stopped(_));
    let leave = {
        let confirm_leave = confirm_leave.clone();
        let leave_now = leave_now.clone();
        Callback::from(move |e: MouseEvent| {
            if hosting_a_show {
                confirm_leave.set(!*confirm_leave);
            } else {
                leave_now.emit(e);
            }
        })
    };
    let stay = {
        let confirm_leave = confirm_leave.clone();
        Callback::from(move |_: MouseEvent| confirm_leave.set(false))
    };
    // The room's creator may close it for everyone (asked twice: it cannot be undone).
    let toaster = use_toaster();
    let confirming = use_state(|| false);
    let is_creator = info
        .as_ref()
        .zip(socket.view.you)
        .is_some_and(|(i, you)| i.host.id == you);
    let ask_close = {
        let confirming = confirming.clone();
        Callback::from(move |_: MouseEvent| confirming.set(!*confirming))
    };
    let close_room = {
        let confirming = confirming.clone();
        let id = props.id;
        Callback::from(move |_: MouseEvent| {
            confirming.set(false);
            let toaster = toaster.clone();
            wasm_bindgen_futures::spawn_local(async move {
                // Success shows as the room's own `room_closed`.
                if let Err(e) = api::close_room(id).await {
                    toaster.api(&e);
                }
            });
        })
    };
    let on_chat = {
        let send = socket.send.clone();
        Callback::from(move |text: String| send.emit(ClientMsg::Chat { text }))
    };

    let view = &socket.view;
    let room = view.room.clone();
    let title = room
        .as_ref()
        .map(|r| r.title.clone())
        .or_else(|| info.as_ref().map(|i| i.title.clone()))
        .unwrap_or_else(|| "…".into());
    let category = room
        .as_ref()
        .map(|r| r.category)
        .or_else(|| info.as_ref().map(|i| i.category));
    let mode = room
        .as_ref()
        .map(|r| r.mode)
        .or_else(|| info.as_ref().map(|i| i.mode));
    let description = info
        .as_ref()
        .map(|i| i.description.clone())
        .unwrap_or_default();
    let connected = socket.is_live();
    let stage_video = room
        .as_ref()
        .and_then(|r| crate::video::plan::stage_user(r))
        .and_then(|user| video.view.video_of(user, view.you));
    let controls = html! {
        <MediaControls camera={video.view.camera} mic={video.view.mic}
            relay_only={video.view.relay_only} audio_blocked={video.view.audio_blocked}
            on_camera={video.toggle_camera.clone()} on_mic={video.toggle_mic.clone()}
            on_enable_audio={video.enable_audio.clone()} />
    };

    // A room that is not there (or whose show is over) before we ever saw it: a page of its
    // own, not an empty room with a "…" title and a Leave button.
    let missing = match &view.status {
        ConnStatus::Stopped(StopReason::RoomNotFound) => {
            Some((Key::RoomNotFoundTitle, Key::RoomNotFoundHint))
        }
        ConnStatus::Stopped(StopReason::RoomEnded) => Some((Key::RoomEndedTitle, Key::RoomEnded)),
        _ => None,
    }
    .filter(|_| room.is_none());
    if let Some((heading, text)) = missing {
        // A finished show's link still shows how it went, when the api-server kept its board.
        let results = info
            .as_ref()
            .and_then(|i| i.results.clone())
            .filter(|r| !r.is_empty());
        return html! {
            <section id="room-missing" class="page page-center room-missing" data-room-id={props.id.to_string()}>
                <div class="panel notice">
                    <span class="big-icon" aria-hidden="true">{ "🎭" }</span>
                    <h1 id="room-missing-title">{ lang.t(heading) }</h1>
                    if results.is_some() {
                        <p class="room-missing-name">{ title.clone() }</p>
                    }
                    <p class="muted">{ lang.t(text) }</p>
                    <Link<Route> to={Route::Lobby} classes="btn btn-primary">{ lang.t(Key::BackToLobby) }</Link<Route>>
                </div>
                if let Some(results) = results {
                    <ResultsBoard {results} />
                }
            </section>
        };
    }

    html! {
        <section class="page room-page" data-room-id={props.id.to_string()}>
            <ConnectionBanner status={view.status.clone()} />
            <div class="room-head">
                <div class="room-head-main">
                    <div class="chips">
                        if let Some(c) = category { <span class="chip">{ lang.category(c) }</span> }
                        if let Some(m) = mode {
                            <span class={classes!("chip", if m == Mode::Rank { "chip-rank" } else { "chip-normal" })}>
                                { lang.mode(m) }
                            </span>
                        }
                        if let Some(r) = &room {
                            <span id="room-phase" class={classes!("phase-pill", phase_class(r.phase))}
                                data-phase={phase_code(r.phase)}>
                                if r.phase == Phase::OnAir { <span class="live-dot"></span> }
                                { lang.phase(r.phase) }
                            </span>
                        }
                    </div>
                    <h1 id="room-title">{ title }</h1>
                    if !description.is_empty() {
                        <p class="room-desc">{ description }</p>
                    }
                </div>
                <button id="leave-room" type="button" class="btn btn-ghost" onclick={leave}>
                    <span aria-hidden="true">{ "← " }</span>{ lang.t(Key::Leave) }
                </button>
                if is_creator && !matches!(view.status, ConnStatus::Stopped(_)) {
                    <button id="close-room" type="button" class="btn btn-ghost" onclick={ask_close}>
                        { lang.t(Key::CloseRoom) }
                    </button>
                }
            </div>
            if *confirm_leave && hosting_a_show {
                <Confirm name="leave" question={Key::LeaveHostConfirm} yes={Key::LeaveYes}
                    no={Key::StayHere} on_yes={leave_now} on_no={stay} />
            }
            if *confirming {
                <div class="panel notice" role="alertdialog">
                    <p>{ lang.t(Key::CloseRoomConfirm) }</p>
                    <button id="close-room-yes" type="button" class="btn btn-primary" onclick={close_room}>
                        { lang.t(Key::CloseRoom) }
                    </button>
                </div>
            }

            <LiveNotice room={room.clone()} you={view.you} />
            if let ConnStatus::Stopped(reason) = &view.status {
                <div class="panel notice stopped" role="alert">
                    <p>{ stop_text(lang, reason) }</p>
                    <Link<Route> to={Route::Lobby} classes="btn btn-primary">{ lang.t(Key::BackToLobby) }</Link<Route>>
                </div>
            }

            if let Some(room) = room {
                <div class="room-grid">
                    <div class="room-main">
                        <RankedNotice room={room.clone()} />
                        <Stage room={room.clone()} you={view.you} on_send={socket.send.clone()}
                            reactions={view.reactions.clone()} video={stage_video}>
                            { controls }
                        </Stage>
                        <BackingTrack room={room.clone()} you={view.you} on_send={socket.send.clone()}
                            clock={clock.clone()} youtube_api_url={(*youtube_api_url).clone()}
                            voice_delay_ms={video.voice_delay_ms} music_mode={video.music_mode}
                            on_music_mode={video.toggle_music_mode.clone()} />
                        if let Some(you) = view.you {
                            <ScoreDialog room={room.clone()} {you} on_send={socket.send.clone()} />
                            <NominateDialog room={room.clone()} {you} on_send={socket.send.clone()} />
                        }
                        if room.phase == Phase::Ended {
                            // The show ends by itself only once everyone has performed.
                            <ResultsBoard results={room.results.clone()}
                                early={room.members.iter().any(|m| !m.performed)} />
                        }
                        <Chat room={room.clone()} you={view.you} {connected} on_send={on_chat} />
                    </div>
                    <aside class="room-side">
                        <MemberList room={room.clone()} you={view.you} video={video.view.clone()} />
                    </aside>
                </div>
                // Everyone's sound (the videos are muted).
                <div id="remote-audio" hidden=true>
                    { for video.view.remotes.iter().filter_map(|(id, r)| r.stream.clone().map(|s| (*id, s))).map(|(id, stream)| html! {
                        <RemoteAudio key={id.0} {stream} user={id} on_blocked={video.audio_blocked.clone()} />
                    }) }
                </div>
            } else if !matches!(view.status, ConnStatus::Stopped(_)) {
                <div class="panel connecting">
                    <span class="spinner" aria-hidden="true"></span>
                    <span>{ lang.t(Key::Connecting) }</span>
                </div>
            }
        </section>
    }
}

fn stop_text(lang: Lang, reason: &StopReason) -> String {
    match reason {
        StopReason::Kicked => lang.t(Key::KickedNotice).into(),
        StopReason::Replaced => lang.t(Key::ReplacedNotice).into(),
        StopReason::RoomFull => lang.t(Key::ErrRoomFull).into(),
        StopReason::RoomEnded => lang.t(Key::RoomEnded).into(),
        StopReason::RoomNotFound => lang.t(Key::RoomNotFound).into(),
        StopReason::Refused(msg) if !msg.is_empty() => msg.clone(),
        StopReason::Refused(_) => lang.t(Key::Disconnected).into(),
        StopReason::Unauthorized => lang.t(Key::SessionExpired).into(),
        StopReason::Banned => lang.t(Key::BannedNotice).into(),
        StopReason::Closed(CloseReason::Host) => lang.t(Key::RoomClosedByHost).into(),
        StopReason::Closed(CloseReason::Admin) => lang.t(Key::RoomClosedByAdmin).into(),
        StopReason::Closed(CloseReason::Idle) => lang.t(Key::RoomClosedIdle).into(),
    }
}

fn phase_class(p: Phase) -> &'static str {
    match p {
        Phase::Lobby => "phase-lobby",
        Phase::UpNext => "phase-upnext",
        Phase::OnAir => "phase-onair",
        Phase::Scoring => "phase-scoring",
        Phase::Nominating => "phase-nominating",
        Phase::Ended => "phase-ended",
    }
}
