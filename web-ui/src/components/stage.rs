use crate::components::avatar::{Avatar, UserLink};
use crate::components::confirm::Confirm;
use crate::components::video::VideoTile;
use crate::context::use_lang;
use crate::hooks::use_interval;
use crate::hooks::use_room_socket::ReactionFlash;
use crate::i18n::Key;
use crate::state::seconds_left;
use onair_shared::protocol::{ClientMsg, Phase, ReactionKind, RoomSnapshot, RoundView};
use onair_shared::UserId;
use std::rc::Rc;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct StageProps {
    pub room: Rc<RoomSnapshot>,
    pub you: Option<UserId>,
    pub on_send: Callback<ClientMsg>,
    /// Reaction bursts on screen now.
    pub reactions: Vec<ReactionFlash>,
    /// The performer's video for the big tile (ours, mirrored, when we perform).
    #[prop_or_default]
    pub video: Option<web_sys::MediaStream>,
    /// The camera and microphone controls, under the big tile.
    #[prop_or_default]
    pub children: Html,
}

/// Who may do what right now, from the snapshot alone (the server has the final word).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Abilities {
    pub start: bool,
    pub end_act: bool,
    pub end_show: bool,
    /// The show is over and this is the host: a new show with everyone here.
    pub play_again: bool,
    /// Members this one may nominate (empty: not the nominator now, or nobody is left).
    pub nominate: Vec<(UserId, String)>,
    /// Nominating as the host because the performer has left.
    pub nominate_as_host: bool,
}

pub fn abilities(room: &RoomSnapshot, you: Option<UserId>) -> Abilities {
    let Some(you) = you else {
        return Abilities::default();
    };
    let is_host = room.host == you;
    let performer_here = room
        .performer
        .is_some_and(|p| room.members.iter().any(|m| m.id == p));
    let mut a = Abilities {
        start: is_host && room.phase == Phase::Lobby,
        end_act: room.phase == Phase::OnAir && (is_host || room.performer == Some(you)),
        end_show: is_host && !matches!(room.phase, Phase::Lobby | Phase::Ended),
        play_again: is_host && room.phase == Phase::Ended,
        ..Abilities::default()
    };
    // Once someone is nominated the choice is shown, not offered again (the server would
    // take a change until the round closes).
    if room.nominee.is_none() && onair_shared::fold::nominator(room) == Some(you) {
        a.nominate = room
            .members
            .iter()
            .filter(|m| !m.performed && Some(m.id) != room.performer)
            .map(|m| (m.id, m.name.clone()))
            .collect();
        a.nominate_as_host = !performer_here;
    }
    a
}

pub fn name_of(room: &RoomSnapshot, user: UserId) -> String {
    room.members
        .iter()
        .find(|m| m.id == user)
        .map(|m| m.name.clone())
        .or_else(|| {
            room.results
                .iter()
                .find(|r| r.performer == user)
                .map(|r| r.name.clone())
        })
        .unwrap_or_else(|| format!("#{user}"))
}

/// The stage: the big tile (the performer's video, or their picture), the ON AIR badge, live
/// reactions, and the controls that fit this moment.
#[function_component(Stage)]
pub fn stage(props: &StageProps) -> Html {
    let lang = use_lang();
    let room = &props.room;
    let can = abilities(room, props.you);
    let send = |msg: ClientMsg| {
        let on_send = props.on_send.clone();
        Callback::from(move |_: MouseEvent| on_send.emit(msg.clone()))
    };
    // A show-moving request in flight (start, end act, end show): its button stays disabled
    // until the moment changes, an error comes back or `IN_FLIGHT_MS` pass, so a double click
    // never sends it twice (which only earned an error).
    let busy = use_state(|| None::<Busy>);
    // The same, readable at once by a second click that comes before the re-render.
    let inflight = use_mut_ref(|| None::<(Busy, f64)>);
    {
        let busy = busy.clone();
        let inflight = inflight.clone();
        use_effect_with((room.phase, room.performer), move |_| {
            inflight.borrow_mut().take();
            busy.set(None);
        });
    }
    let claim = {
        let busy = busy.clone();
        let inflight = inflight.clone();
        Rc::new(move |what: Busy| -> bool {
            let now = js_sys::Date::now();
            if inflight
                .borrow()
                .is_some_and(|(_, at)| now - at < f64::from(IN_FLIGHT_MS))
            {
                return false;
            }
            *inflight.borrow_mut() = Some((what, now));
            busy.set(Some(what));
            let busy = busy.clone();
            let inflight = inflight.clone();
            gloo_timers::callback::Timeout::new(IN_FLIGHT_MS, move || {
                if inflight
                    .borrow()
                    .is_some_and(|(w, at)| w == what && at == now)
                {
                    inflight.borrow_mut().take();
                    busy.set(None);
                }
            })
            .forget();
            true
        })
    };
    let send_once = |what: Busy, msg: ClientMsg| {
        let on_send = props.on_send.clone();
        let claim = claim.clone();
        Callback::from(move |_: MouseEvent| {
            if claim(what) {
                on_send.emit(msg.clone());
            }
        })
    };
    let is_busy = |what: Busy| *busy == Some(what);
    // "End the show" asks first: it ends everyone's evening.
    let confirm_end = use_state(|| false);
    let ask_end = {
        let confirm_end = confirm_end.clone();
        Callback::from(move |_: MouseEvent| confirm_end.set(!*confirm_end))
    };
    let keep_going = {
        let confirm_end = confirm_end.clone();
        Callback::from(move |_: MouseEvent| confirm_end.set(false))
    };
    let end_show = {
        let confirm_end = confirm_end.clone();
        let go = send_once(Busy::EndShow, ClientMsg::EndShow);
        Callback::from(move |e: MouseEvent| {
            confirm_end.set(false);
            go.emit(e);
        })
    };
    let on_start = {
        let on_send = props.on_send.clone();
        let claim = claim.clone();
        Callback::from(move |msg: ClientMsg| {
            if claim(Busy::Start) {
                on_send.emit(msg);
            }
        })
    };
    let performer = room.performer.map(|p| (p, name_of(room, p)));
    let on_air = room.phase == Phase::OnAir;
    // Only between the start and the end of the show.
    let video = props
        .video
        .as_ref()
        .filter(|_| crate::video::plan::stage_user(room).is_some());

    // The big tile. `#stage-video` stays put whatever the phase; `data-user-id` says whose
    // picture belongs there, and their `<video>` fills it when there is one.
    let tile_body = match (room.phase, &performer) {
        (Phase::Lobby, _) => html! {
            <div class="stage-placeholder">
                <span class="stage-icon" aria-hidden="true">{ "🎙️" }</span>
                <p>{ lang.t(if can.start { Key::StageHostHint } else { Key::StageWaiting }) }</p>
            </div>
        },
        (Phase::Ended, _) => html! {
            <div class="stage-placeholder">
                <span class="stage-icon" aria-hidden="true">{ "🏆" }</span>
                <p>{ lang.t(Key::PhaseEnded) }</p>
                <p class="hint">
                    { lang.t(if can.play_again { Key::PlayAgainHint } else { Key::WaitingPlayAgain }) }
                </p>
            </div>
        },
        (Phase::UpNext, Some((id, name))) => html! {
            <div class="stage-performer stage-up-next">
                <Avatar name={name.clone()} class="avatar-stage" />
                <div class="stage-caption">
                    <span class="now-label">
                        { lang.t(if props.you == Some(*id) { Key::YouAreUpNext } else { Key::UpNext }) }
                    </span>
                    <span class="performer-name" id="performer-name" data-user-id={id.to_string()}>
                        <UserLink id={*id} name={name.clone()} new_tab=true />
                    </span>
                </div>
            </div>
        },
        (_, Some((id, name))) => html! {
            <div class="stage-performer">
                <Avatar name={name.clone()} class="avatar-stage" />
                <div class="stage-caption">
                    <span class="now-label">
                        { lang.t(match room.phase {
                            Phase::OnAir => Key::NowPerforming,
                            Phase::Scoring => Key::PhaseScoring,
                            _ => Key::JustPerformed,
                        }) }
                    </span>
                    <span class="performer-name" id="performer-name" data-user-id={id.to_string()}>
                        <UserLink id={*id} name={name.clone()} new_tab=true />
                    </span>
                </div>
            </div>
        },
        (_, None) => html! {
            <div class="stage-placeholder"><p>{ lang.t(Key::StageEmpty) }</p></div>
        },
    };

    let status_line = match room.phase {
        Phase::Scoring => room
            .round
            .as_ref()
            .map(|round| html! { <RoundProgress round={round.clone()} /> })
            .unwrap_or_default(),
        Phase::Nominating => {
            let last = room.results.last();
            html! {
                <p class="round-progress">
                    if let Some(r) = last {
                        { lang.t(Key::ActScored) }{ ": " }
                        <strong>{ r.average.map_or_else(|| lang.t(Key::NoScore).to_owned(), |a| format!("{a:.2}")) }</strong>
                        { " · " }
                    }
                    { lang.t(Key::WaitingNomination) }
                </p>
            }
        }
        _ => html! {},
    };

    html! {
        <section class={classes!("panel", "stage", on_air.then_some("live"))}
            data-phase={phase_code(room.phase)}>
            <div id="stage-video"
                class={classes!("stage-video", on_air.then_some("on-air"), video.is_some().then_some("has-video"))}
                data-user-id={performer.as_ref().map(|(id, _)| id.to_string())}>
                if let (Some(stream), Some((id, _))) = (video, &performer) {
                    <VideoTile key={id.0} stream={Clone::clone(stream)} user={*id} mirror={props.you == Some(*id)} />
                }
                <div class="stage-lights" aria-hidden="true"></div>
                { tile_body }
                if let Some(at) = room.on_air_at.filter(|_| room.phase == Phase::UpNext) {
                    <Countdown {at} />
                }
                if on_air {
                    <span id="on-air-badge" class="badge-onair badge-onair-lg">
                        <span class="live-dot" aria-hidden="true"></span>{ lang.t(Key::OnAirBadge) }
                    </span>
                }
                <ReactionLayer room={props.room.clone()} reactions={props.reactions.clone()} />
            </div>
            { props.children.clone() }
            { status_line }
            if let Some(next) = room.nominee.filter(|_| room.phase != Phase::Ended) {
                <p class="up-next">{ lang.t(Key::UpNext) }{ ": " }<strong>{ name_of(room, next) }</strong></p>
            }
            if on_air {
                <div class="reactions">
                    <button id="react-clap" type="button" class="btn btn-react"
                        onclick={send(ClientMsg::React { kind: ReactionKind::Clap })}>
                        <span aria-hidden="true">{ "👏" }</span>{ lang.t(Key::Clap) }
                    </button>
                    <button id="react-mirrorball" type="button" class="btn btn-react"
                        onclick={send(ClientMsg::React { kind: ReactionKind::Mirrorball })}>
                        <span aria-hidden="true">{ "🪩" }</span>{ lang.t(Key::Mirrorball) }
                    </button>
                </div>
            }
            <div class="stage-controls">
                if can.start {
                    <StartControls room={props.room.clone()} you={props.you} on_send={on_start}
                        busy={is_busy(Busy::Start)} />
                }
                if can.end_act {
                    <button id="end-act" type="button" class="btn btn-primary"
                        disabled={is_busy(Busy::EndAct)} aria-busy={is_busy(Busy::EndAct).to_string()}
                        onclick={send_once(Busy::EndAct, ClientMsg::EndPerformance)}>
                        { lang.t(Key::EndAct) }
                    </button>
                }
                if can.play_again {
                    <button id="play-again" type="button" class="btn btn-primary"
                        disabled={is_busy(Busy::PlayAgain)} aria-busy={is_busy(Busy::PlayAgain).to_string()}
                        onclick={send_once(Busy::PlayAgain, ClientMsg::PlayAgain)}>
                        <span aria-hidden="true">{ "🔁 " }</span>{ lang.t(Key::PlayAgain) }
                    </button>
                }
                if can.end_show {
                    <button id="end-show" type="button" class="btn btn-ghost btn-danger-ghost"
                        disabled={is_busy(Busy::EndShow)} aria-expanded={(*confirm_end).to_string()}
                        onclick={ask_end}>
                        { lang.t(Key::EndShow) }
                    </button>
                }
            </div>
            if can.end_show && *confirm_end {
                <Confirm name="end-show" question={Key::EndShowConfirm} yes={Key::EndShowYes}
                    no={Key::KeepGoing} on_yes={end_show} on_no={keep_going} />
            }
        </section>
    }
}

/// How long a show-moving request keeps its button disabled without an answer.
const IN_FLIGHT_MS: u32 = 5_000;

/// The show-moving requests that must not go twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Busy {
    Start,
    EndAct,
    EndShow,
    PlayAgain,
}

pub fn phase_code(p: Phase) -> &'static str {
    match p {
        Phase::Lobby => "lobby",
        Phase::UpNext => "up_next",
        Phase::OnAir => "on_air",
        Phase::Scoring => "scoring",
        Phase::Nominating => "nominating",
        Phase::Ended => "ended",
    }
}

#[derive(Properties, PartialEq)]
struct StartProps {
    room: Rc<RoomSnapshot>,
    you: Option<UserId>,
    on_send: Callback<ClientMsg>,
    /// The start request is on its way.
    busy: bool,
}

/// The host's start button, with a choice of who goes first (the host by default).
#[function_component(StartControls)]
fn start_controls(props: &StartProps) -> Html {
    let lang = use_lang();
    let first = use_state(|| props.you);
    // The chosen member may have left: fall back to the host.
    let chosen = (*first)
        .filter(|id| props.room.members.iter().any(|m| m.id == *id))
        .or(props.you);
    let on_change = {
        let first = first.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            first.set(v.parse::<i64>().ok().map(UserId));
        })
    };
    let on_start = {
        let on_send = props.on_send.clone();
        let you = props.you;
        Callback::from(move |_: MouseEvent| {
            // `first` is left out when it is the host: that is the server's default anyway.
            let first = chosen.filter(|c| Some(*c) != you);
            on_send.emit(ClientMsg::Start { first });
        })
    };
    let enough = props.room.members.len() >= 2;
    html! {
        <div class="start-controls">
            <label class="field field-inline">
                <span class="label">{ lang.t(Key::FirstPerformer) }</span>
                <select id="first-performer" onchange={on_change}>
                    { for props.room.members.iter().map(|m| html! {
                        <option value={m.id.to_string()} selected={Some(m.id) == chosen}>
                            { &m.name }
                            if Some(m.id) == props.you { { format!(" ({})", lang.t(Key::You)) } }
                        </option>
                    }) }
                </select>
            </label>
            <button id="start-show" type="button" class="btn btn-primary" onclick={on_start}
                disabled={!enough || props.busy} aria-busy={props.busy.to_string()} title={(!enough).then(|| lang.t(Key::ErrNotEnoughMembers))}>
                { lang.t(Key::StartShow) }
            </button>
            if !enough {
                <p class="hint">{ lang.t(Key::ErrNotEnoughMembers) }</p>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct RoundProps {
    round: RoundView,
}

/// "Scoring · 1/2 scored · 12 s left", ticking.
#[function_component(RoundProgress)]
fn round_progress(props: &RoundProps) -> Html {
    let lang = use_lang();
    let tick = use_force_update();
    use_interval(move || tick.force_update(), 500);
    let left = seconds_left(props.round.deadline, js_sys::Date::now());
    html! {
        <p class="round-progress">
            { lang.t(Key::ScoringNow) }{ " · " }
            { format!("{}/{} {}", props.round.scored.len(), props.round.eligible, lang.t(Key::ScoredCount)) }
            { " · " }{ format!("{left}{}", lang.t(Key::SecondsLeft)) }
        </p>
    }
}

#[derive(Properties, PartialEq)]
struct CountdownProps {
    /// When the performer goes on air (server unix ms).
    at: i64,
}

/// `#up-next-countdown`: 3, 2, 1 over the stage until the performer goes on air. Counted on
/// this browser's clock, which a synced clock keeps within a fraction of a second; the server
/// puts the act on air at `at` whatever this shows.
#[function_component(Countdown)]
fn countdown(props: &CountdownProps) -> Html {
    let lang = use_lang();
    let tick = use_force_update();
    use_interval(move || tick.force_update(), 200);
    let left = ((props.at as f64 - js_sys::Date::now()) / 1000.0)
        .ceil()
        .clamp(0.0, 60.0) as i64;
    html! {
        <div id="up-next-countdown" class="countdown" data-seconds={left.to_string()}
            aria-label={format!("{} {left}", lang.t(Key::GoingOnAirIn))}>
            <span key={left} class="countdown-number">{ left.max(1) }</span>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ReactionLayerProps {
    room: Rc<RoomSnapshot>,
    reactions: Vec<ReactionFlash>,
}

/// Live reactions over the stage: a clap floats up, a mirror ball drops in spinning and throws
/// light; each is a `.reaction-burst` that the socket hook removes after two seconds.
#[function_component(ReactionLayer)]
fn reaction_layer(props: &ReactionLayerProps) -> Html {
    html! {
        <div class="reaction-layer" aria-hidden="true">
            { for props.reactions.iter().map(|r| {
                let (emoji, kind) = match r.kind {
                    ReactionKind::Clap => ("👏", "reaction-clap"),
                    ReactionKind::Mirrorball => ("🪩", "reaction-mirrorball"),
                };
                html! {
                    <div key={r.n} class={classes!("reaction-burst", kind, format!("lane-{}", r.n % 5))}
                        data-kind={if r.kind == ReactionKind::Clap { "clap" } else { "mirrorball" }}
                        data-user-id={r.from.to_string()}>
                        if r.kind == ReactionKind::Mirrorball {
                            <span class="mirror-rays"></span>
                        }
                        <span class="reaction-emoji">{ emoji }</span>
                        <span class="reaction-from">{ name_of(&props.room, r.from) }</span>
                    </div>
                }
            }) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use onair_shared::protocol::MemberView;
    use onair_shared::room::{Category, Mode};
    use onair_shared::{RoomId, RoundId};

    fn room(phase: Phase) -> RoomSnapshot {
        let m = |id: i64, performed: bool| MemberView {
            id: UserId(id),
            name: format!("m{id}"),
            online: true,
            performed,
            score: None,
            ranked_limit_reached: false,
        };
        RoomSnapshot {
            id: RoomId(1),
            title: "t".into(),
            mode: Mode::Normal,
            category: Category::Free,
            member_limit: 8,
            host: UserId(1),
            phase,
            performer: None,
            on_air_at: None,
            round: None,
            nominee: None,
            members: vec![m(1, false), m(2, false), m(3, false)],
            chat: vec![],
            results: vec![],
            media: Default::default(),
        }
    }

    #[test]
    fn only_the_host_starts_and_only_in_the_lobby() {
        let r = room(Phase::Lobby);
        assert!(abilities(&r, Some(UserId(1))).start);
        assert!(!abilities(&r, Some(UserId(2))).start);
        assert!(!abilities(&room(Phase::OnAir), Some(UserId(1))).start);
        assert_eq!(abilities(&r, None), Abilities::default());
    }

    #[test]
    fn host_or_performer_ends_the_act() {
        let mut r = room(Phase::OnAir);
        r.performer = Some(UserId(2));
        assert!(abilities(&r, Some(UserId(1))).end_act);
        assert!(abilities(&r, Some(UserId(2))).end_act);
        assert!(!abilities(&r, Some(UserId(3))).end_act);
    }

    #[test]
    fn the_performer_nominates_or_the_host_when_the_performer_left() {
        let mut r = room(Phase::Scoring);
        r.performer = Some(UserId(2));
        r.members[1].performed = true;
        r.round = Some(RoundView {
            id: RoundId(1),
            performer: UserId(2),
            deadline: 0,
            scored: vec![UserId(3)],
            eligible: 2,
            scorers: vec![UserId(1), UserId(3)],
            counts: true,
        });
        let nominees: Vec<_> = abilities(&r, Some(UserId(2)))
            .nominate
            .into_iter()
            .map(|n| n.0)
            .collect();
        assert_eq!(nominees, [UserId(1), UserId(3)]);
        assert!(!abilities(&r, Some(UserId(2))).nominate_as_host);
        assert!(
            abilities(&r, Some(UserId(1))).nominate.is_empty(),
            "the performer picks"
        );

        // The performer left: the host picks.
        r.members.remove(1);
        let host = abilities(&r, Some(UserId(1)));
        assert_eq!(host.nominate.len(), 2);
        assert!(host.nominate_as_host);
        r.nominee = Some(UserId(3));
        assert!(abilities(&r, Some(UserId(1))).nominate.is_empty());

        // After the round closed, still the nominator's turn.
        let mut r = room(Phase::Nominating);
        r.performer = Some(UserId(3));
        r.members[2].performed = true;
        assert_eq!(abilities(&r, Some(UserId(3))).nominate.len(), 2);
    }

    #[test]
    fn names_come_from_members_then_results() {
        let mut r = room(Phase::Ended);
        assert_eq!(name_of(&r, UserId(2)), "m2");
        r.results.push(onair_shared::protocol::ActResult {
            round: RoundId(1),
            performer: UserId(9),
            name: "Gone".into(),
            average: None,
            count: 0,
            counts: false,
        });
        assert_eq!(name_of(&r, UserId(9)), "Gone");
        assert_eq!(name_of(&r, UserId(10)), "#10");
    }
}
