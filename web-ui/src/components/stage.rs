use crate::context::use_lang;
use crate::hooks::use_interval;
use crate::hooks::use_room_socket::ReactionFlash;
use crate::i18n::Key;
use onair_shared::protocol::{
    ActResult, ClientMsg, Phase, ReactionKind, RoomSnapshot, RoundView, SCORE_MAX, SCORE_MIN,
};
use onair_shared::UserId;
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct StageProps {
    pub room: Rc<RoomSnapshot>,
    pub you: Option<UserId>,
    pub on_send: Callback<ClientMsg>,
    pub reaction: Option<ReactionFlash>,
}

/// Who may do what right now, from the snapshot alone (the server has the final word).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Abilities {
    pub start: bool,
    pub end_act: bool,
    pub end_show: bool,
    pub score: Option<RoundView>,
    pub nominate: Vec<(UserId, String)>,
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
        ..Abilities::default()
    };
    if let Some(round) = &room.round {
        if room.phase == Phase::Scoring && round.performer != you && !round.scored.contains(&you) {
            a.score = Some(round.clone());
        }
    }
    let nominator = room.performer == Some(you) || (!performer_here && is_host);
    if matches!(room.phase, Phase::Scoring | Phase::Nominating)
        && room.nominee.is_none()
        && nominator
    {
        a.nominate = room
            .members
            .iter()
            .filter(|m| !m.performed && Some(m.id) != room.performer)
            .map(|m| (m.id, m.name.clone()))
            .collect();
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

/// Results best first; acts without a score last.
pub fn ranked(results: &[ActResult]) -> Vec<ActResult> {
    let mut v = results.to_vec();
    v.sort_by(|a, b| {
        b.average
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&a.average.unwrap_or(f64::NEG_INFINITY))
            .then(a.round.cmp(&b.round))
    });
    v
}

/// The stage: what is happening now and the controls that fit this moment.
#[function_component(Stage)]
pub fn stage(props: &StageProps) -> Html {
    let lang = use_lang();
    let room = &props.room;
    let can = abilities(room, props.you);
    let send = |msg: ClientMsg| {
        let on_send = props.on_send.clone();
        Callback::from(move |_: MouseEvent| on_send.emit(msg.clone()))
    };
    let performer = room.performer.map(|p| name_of(room, p));

    let body = match room.phase {
        Phase::Lobby => html! {
            <div class="stage-body stage-lobby">
                <span class="stage-icon" aria-hidden="true">{ "🎙️" }</span>
                <p>{ lang.t(if can.start { Key::StageHostHint } else { Key::StageWaiting }) }</p>
            </div>
        },
        Phase::OnAir => html! {
            <div class="stage-body stage-onair">
                <span class="badge-onair badge-onair-lg">{ lang.t(Key::OnAirBadge) }</span>
                <p class="now-label">{ lang.t(Key::NowPerforming) }</p>
                <p class="performer-name" id="performer-name">{ performer.clone().unwrap_or_default() }</p>
                <div class="reactions">
                    <button id="react-clap" type="button" class="btn btn-react"
                        onclick={send(ClientMsg::React { kind: ReactionKind::Clap })}>
                        <span aria-hidden="true">{ "👏 " }</span>{ lang.t(Key::Clap) }
                    </button>
                    <button id="react-mirrorball" type="button" class="btn btn-react"
                        onclick={send(ClientMsg::React { kind: ReactionKind::Mirrorball })}>
                        <span aria-hidden="true">{ "🪩 " }</span>{ lang.t(Key::Mirrorball) }
                    </button>
                </div>
            </div>
        },
        Phase::Scoring | Phase::Nominating => html! {
            <div class="stage-body stage-scoring">
                if let Some(round) = &room.round {
                    <RoundProgress round={round.clone()} />
                } else {
                    <p>{ lang.t(Key::WaitingNomination) }</p>
                }
                if let Some(name) = &performer {
                    <p class="performer-name">{ name.clone() }</p>
                }
                if let Some(round) = &can.score {
                    <ScoreForm round={round.clone()} on_send={props.on_send.clone()} />
                }
                if let Some(next) = room.nominee {
                    <p class="up-next">{ lang.t(Key::UpNext) }{ ": " }<strong>{ name_of(room, next) }</strong></p>
                } else if !can.nominate.is_empty() {
                    <div class="nominate">
                        <p>{ lang.t(Key::NominatePrompt) }</p>
                        <div class="nominate-options">
                            { for can.nominate.iter().map(|(id, name)| html! {
                                <button type="button" class="btn btn-ghost nominate-button"
                                    data-user-id={id.to_string()}
                                    onclick={send(ClientMsg::Nominate { user: *id })}>
                                    { name.clone() }
                                </button>
                            }) }
                        </div>
                    </div>
                }
            </div>
        },
        Phase::Ended => html! {
            <div class="stage-body stage-ended">
                <h3>{ lang.t(Key::Results) }</h3>
                <ol class="results">
                    { for ranked(&room.results).iter().map(|r| html! {
                        <li class="result" data-user-id={r.performer.to_string()}>
                            <span class="result-name">{ &r.name }</span>
                            <span class="result-score">
                                { match r.average {
                                    Some(avg) => format!("{avg:.2} {}", lang.t(Key::Points)),
                                    None => lang.t(Key::NoScore).to_owned(),
                                } }
                            </span>
                        </li>
                    }) }
                </ol>
            </div>
        },
    };

    let flash = props.reaction.as_ref().map(|r| {
        let emoji = match r.kind {
            ReactionKind::Clap => "👏",
            ReactionKind::Mirrorball => "🪩",
        };
        let from = name_of(room, r.from);
        html! {
            <div key={r.n} class={classes!("reaction-flash", format!("reaction-{}", r.n % 5))}
                aria-hidden="true">
                <span class="reaction-emoji">{ emoji }</span>
                <span class="reaction-from">{ from }</span>
            </div>
        }
    });

    html! {
        <section class={classes!("panel", "stage", (room.phase == Phase::OnAir).then_some("live"))}>
            <div class="stage-lights" aria-hidden="true"></div>
            { body }
            { for flash }
            <div class="stage-controls">
                if can.start {
                    <button id="start-show" type="button" class="btn btn-primary"
                        onclick={send(ClientMsg::Start { first: None })}>
                        { lang.t(Key::StartShow) }
                    </button>
                }
                if can.end_act {
                    <button id="end-act" type="button" class="btn btn-primary"
                        onclick={send(ClientMsg::EndPerformance)}>
                        { lang.t(Key::EndAct) }
                    </button>
                }
                if can.end_show {
                    <button id="end-show" type="button" class="btn btn-ghost"
                        onclick={send(ClientMsg::EndShow)}>
                        { lang.t(Key::EndShow) }
                    </button>
                }
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct RoundProps {
    round: RoundView,
}

/// "3/5 scored · 12 s left", ticking every second.
#[function_component(RoundProgress)]
fn round_progress(props: &RoundProps) -> Html {
    let lang = use_lang();
    let tick = use_force_update();
    use_interval(move || tick.force_update(), 1000);
    let left = ((props.round.deadline as f64 - js_sys::Date::now()) / 1000.0)
        .ceil()
        .max(0.0);
    html! {
        <p class="round-progress">
            { lang.t(Key::ScoringNow) }{ " · " }
            { format!("{}/{} {}", props.round.scored.len(), props.round.eligible, lang.t(Key::ScoredCount)) }
            { " · " }{ format!("{left}{}", lang.t(Key::SecondsLeft)) }
        </p>
    }
}

#[derive(Properties, PartialEq)]
struct ScoreProps {
    round: RoundView,
    on_send: Callback<ClientMsg>,
}

/// Parses a score as typed: a whole number within 0–100.
pub fn parse_score(s: &str) -> Option<i64> {
    s.trim()
        .parse::<i64>()
        .ok()
        .filter(|v| (SCORE_MIN..=SCORE_MAX).contains(v))
}

#[function_component(ScoreForm)]
fn score_form(props: &ScoreProps) -> Html {
    let lang = use_lang();
    let value = use_state(String::new);
    let invalid = use_state(|| false);
    let on_input = {
        let value = value.clone();
        let invalid = invalid.clone();
        Callback::from(move |e: InputEvent| {
            value.set(e.target_unchecked_into::<HtmlInputElement>().value());
            invalid.set(false);
        })
    };
    let on_submit = {
        let value = value.clone();
        let invalid = invalid.clone();
        let on_send = props.on_send.clone();
        let round = props.round.id;
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match parse_score(&value) {
                Some(v) => on_send.emit(ClientMsg::Score { round, value: v }),
                None => invalid.set(true),
            }
        })
    };
    html! {
        <form class="score-form" onsubmit={on_submit}>
            <label for="score-input">{ lang.t(Key::ScoreLabel) }</label>
            <div class="score-row">
                <input id="score-input" type="number" min="0" max="100" inputmode="numeric"
                    value={(*value).clone()} oninput={on_input} />
                <button id="score-submit" type="submit" class="btn btn-primary">{ lang.t(Key::ScoreSubmit) }</button>
            </div>
            if *invalid {
                <p class="field-error">{ lang.t(Key::ScoreInvalid) }</p>
            }
        </form>
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
            round: None,
            nominee: None,
            members: vec![m(1, false), m(2, false), m(3, false)],
            chat: vec![],
            results: vec![],
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
    fn scoring_and_nominating() {
        let mut r = room(Phase::Scoring);
        r.performer = Some(UserId(2));
        r.members[1].performed = true;
        r.round = Some(RoundView {
            id: RoundId(1),
            performer: UserId(2),
            deadline: 0,
            scored: vec![UserId(3)],
            eligible: 2,
        });
        assert!(abilities(&r, Some(UserId(1))).score.is_some());
        assert!(
            abilities(&r, Some(UserId(2))).score.is_none(),
            "not your own act"
        );
        assert!(
            abilities(&r, Some(UserId(3))).score.is_none(),
            "already scored"
        );

        let nominees: Vec<_> = abilities(&r, Some(UserId(2)))
            .nominate
            .into_iter()
            .map(|n| n.0)
            .collect();
        assert_eq!(nominees, [UserId(1), UserId(3)]);
        assert!(
            abilities(&r, Some(UserId(1))).nominate.is_empty(),
            "the performer picks"
        );

        // The performer left: the host picks.
        r.members.remove(1);
        assert_eq!(abilities(&r, Some(UserId(1))).nominate.len(), 2);
        r.nominee = Some(UserId(3));
        assert!(abilities(&r, Some(UserId(1))).nominate.is_empty());
    }

    #[test]
    fn scores_parse_within_range() {
        assert_eq!(parse_score(" 87 "), Some(87));
        assert_eq!(parse_score("0"), Some(0));
        assert_eq!(parse_score("100"), Some(100));
        assert_eq!(parse_score("101"), None);
        assert_eq!(parse_score("-1"), None);
        assert_eq!(parse_score("7.5"), None);
        assert_eq!(parse_score(""), None);
    }

    #[test]
    fn results_are_ranked_best_first() {
        let r = |round: u32, avg: Option<f64>| ActResult {
            round: RoundId(round),
            performer: UserId(i64::from(round)),
            name: String::new(),
            average: avg,
            count: 1,
        };
        let order: Vec<u32> = ranked(&[
            r(1, Some(50.0)),
            r(2, None),
            r(3, Some(90.5)),
            r(4, Some(50.0)),
        ])
        .iter()
        .map(|a| a.round.0)
        .collect();
        assert_eq!(order, [3, 1, 4, 2]);
    }
}
