use crate::components::stage::name_of;
use crate::context::use_lang;
use crate::hooks::use_interval;
use crate::i18n::Key;
use crate::state::{score_status, seconds_left, time_fraction_left, ScoreStatus};
use onair_shared::protocol::{ClientMsg, Phase, RoomSnapshot, RoundView, SCORE_MAX, SCORE_MIN};
use onair_shared::{RoundId, UserId};
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// A sent score not confirmed by the server within this long unlocks the form again (the
/// frame may have been lost with a dropped connection).
const UNCONFIRMED_MS: f64 = 5_000.0;

/// The quick picks under the slider.
pub const QUICK_PICKS: [i64; 5] = [60, 70, 80, 90, 100];

/// What the number box shows after a keystroke: a number beyond 0–100 is brought back to the
/// nearest end (true: it was), anything else stays as typed (checked on submit).
pub fn clamp_typed(s: &str) -> (String, bool) {
    match s.trim().parse::<f64>() {
        Ok(v) if v > SCORE_MAX as f64 => (SCORE_MAX.to_string(), true),
        Ok(v) if v < SCORE_MIN as f64 => (SCORE_MIN.to_string(), true),
        _ => (s.to_owned(), false),
    }
}

/// Parses a score as typed: a whole number within 0–100.
pub fn parse_score(s: &str) -> Option<i64> {
    s.trim()
        .parse::<i64>()
        .ok()
        .filter(|v| (SCORE_MIN..=SCORE_MAX).contains(v))
}

#[derive(Properties, PartialEq)]
pub struct ScoreDialogProps {
    pub room: Rc<RoomSnapshot>,
    pub you: UserId,
    pub on_send: Callback<ClientMsg>,
}

/// `#score-dialog`: shown to everyone but the performer while a round is open. A number box
/// and a slider (kept in step), a live countdown to the deadline, locked once the score is
/// in; a member who arrived after the act ended is told why they cannot score.
#[function_component(ScoreDialog)]
pub fn score_dialog(props: &ScoreDialogProps) -> Html {
    let lang = use_lang();
    let status = score_status(&props.room, props.you);
    // The last round we could score, and whether our score was in; a round that closes while
    // it was not leaves `#score-missed` until the next act starts or it is dismissed.
    let last_open = use_mut_ref(|| None::<(RoundId, bool)>);
    let dismissed = use_state(|| None::<RoundId>);
    match &status {
        ScoreStatus::Open(r) => *last_open.borrow_mut() = Some((r.id, false)),
        ScoreStatus::Scored(r) | ScoreStatus::Late(r) => {
            *last_open.borrow_mut() = Some((r.id, true))
        }
        _ => {}
    }
    let round = match &status {
        ScoreStatus::Open(r) | ScoreStatus::Scored(r) | ScoreStatus::Late(r) => r.clone(),
        ScoreStatus::OwnAct => {
            return html! { <BeingScored /> };
        }
        ScoreStatus::Closed => {
            let missed = match *last_open.borrow() {
                Some((id, false)) => Some(id),
                _ => None,
            }
            .filter(|id| *dismissed != Some(*id))
            .filter(|id| props.room.results.last().is_some_and(|r| r.round == *id))
            .filter(|_| !matches!(props.room.phase, Phase::OnAir | Phase::Lobby));
            return match missed {
                Some(id) => {
                    let dismiss = Callback::from(move |_: MouseEvent| dismissed.set(Some(id)));
                    html! {
                        <section id="score-missed" class="panel notice score-missed" role="status">
                            <p>{ lang.t(Key::ScoreMissed) }</p>
                            <button id="score-missed-ok" type="button" class="btn btn-ghost" onclick={dismiss}>
                                { lang.t(Key::ScoreMissedOk) }
                            </button>
                        </section>
                    }
                }
                None => html! {},
            };
        }
    };
    let performer = name_of(&props.room, round.performer);
    let key = round.id.to_string();
    html! {
        <ScoreForm {key} {round} {status} {performer} on_send={props.on_send.clone()} />
    }
}

#[function_component(BeingScored)]
fn being_scored() -> Html {
    let lang = use_lang();
    html! { <p class="panel being-scored">{ lang.t(Key::BeingScored) }</p> }
}

#[derive(Properties, PartialEq)]
struct ScoreFormProps {
    round: RoundView,
    status: ScoreStatus,
    performer: String,
    on_send: Callback<ClientMsg>,
}

#[function_component(ScoreForm)]
fn score_form(props: &ScoreFormProps) -> Html {
    let lang = use_lang();
    // Empty until the member picks: the slider shows no thumb position of its own until then.
    let value = use_state(String::new);
    let problem = use_state(|| None::<Key>);
    // (round, when, value) of the score we sent; unconfirmed for at most `UNCONFIRMED_MS`.
    let sent = use_state(|| None::<(RoundId, f64, i64)>);
    // The round's full length, measured when this form first saw it, for the time bar.
    let total_ms = use_memo(props.round.id, |_| {
        (props.round.deadline as f64 - js_sys::Date::now()).max(1.0) as i64
    });
    let tick = use_force_update();
    use_interval(move || tick.force_update(), 250);

    let now = js_sys::Date::now();
    let left = seconds_left(props.round.deadline, now);
    let fraction = time_fraction_left(props.round.deadline, now, *total_ms);
    let pending = sent
        .as_ref()
        .is_some_and(|(r, at, _)| *r == props.round.id && now - at < UNCONFIRMED_MS);
    let gave = sent
        .as_ref()
        .filter(|(r, _, _)| *r == props.round.id)
        .map(|(_, _, v)| *v);
    let scored = matches!(props.status, ScoreStatus::Scored(_));
    let late = matches!(props.status, ScoreStatus::Late(_));
    let locked = scored || late || pending || left == 0;

    // Typing: kept as typed, but never beyond 0–100 (said under the field).
    let on_type = {
        let value = value.clone();
        let problem = problem.clone();
        Callback::from(move |e: InputEvent| {
            let (v, clamped) = clamp_typed(&e.target_unchecked_into::<HtmlInputElement>().value());
            value.set(v);
            problem.set(clamped.then_some(Key::ScoreClamped));
        })
    };
    // The slider: a drag, or a click on it even where it already stands.
    let on_slide = {
        let value = value.clone();
        let problem = problem.clone();
        Callback::from(move |e: Event| {
            value.set(e.target_unchecked_into::<HtmlInputElement>().value());
            problem.set(None);
        })
    };
    let on_slide_input = {
        let on_slide = on_slide.clone();
        Callback::from(move |e: InputEvent| on_slide.emit(e.into()))
    };
    let on_slide_click = {
        let on_slide = on_slide.clone();
        Callback::from(move |e: MouseEvent| on_slide.emit(e.into()))
    };
    let pick = |v: i64| {
        let value = value.clone();
        let problem = problem.clone();
        Callback::from(move |_: MouseEvent| {
            value.set(v.to_string());
            problem.set(None);
        })
    };
    let on_submit = {
        let value = value.clone();
        let problem = problem.clone();
        let sent = sent.clone();
        let on_send = props.on_send.clone();
        let round = props.round.id;
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if locked {
                return;
            }
            if value.trim().is_empty() {
                problem.set(Some(Key::ScorePickFirst));
                return;
            }
            match parse_score(&value) {
                Some(v) => {
                    on_send.emit(ClientMsg::Score { round, value: v });
                    sent.set(Some((round, js_sys::Date::now(), v)));
                    problem.set(None);
                }
                None => problem.set(Some(Key::ScoreInvalid)),
            }
        })
    };
    // Nothing picked yet: the slider waits in the middle, drawn as untouched.
    let picked = parse_score(&value);
    let slider_value = picked.unwrap_or((SCORE_MIN + SCORE_MAX) / 2).to_string();
    let hurry = !locked && (1..=10).contains(&left);
    let invalid = matches!(*problem, Some(Key::ScoreInvalid | Key::ScorePickFirst));

    html! {
        <section id="score-dialog" class={classes!("panel", "dialog", "score-dialog", locked.then_some("locked"))}
            role="dialog" aria-labelledby="score-dialog-title"
            data-round={props.round.id.to_string()}
            data-state={if scored { "scored" } else if late { "late" } else if pending { "sending" } else { "open" }}>
            <div class="dialog-head">
                <h2 id="score-dialog-title">
                    { lang.t(Key::ScoreDialogTitle) }{ " · " }<span class="dialog-who">{ &props.performer }</span>
                </h2>
                <span id="score-countdown" class={classes!("countdown", (left <= 10).then_some("urgent"))}
                    data-seconds={left.to_string()} role="timer" aria-live="off">
                    { format!("{left}{}", lang.t(Key::SecondsLeft)) }
                </span>
            </div>
            <div class="time-bar" aria-hidden="true">
                <span style={format!("width: {:.1}%", fraction * 100.0)}></span>
            </div>
            if hurry {
                <p id="score-hurry" class="hurry-text" role="status">{ lang.t(Key::ScoreHurry) }</p>
            }
            if late {
                <p id="score-late" class="notice-text">{ lang.t(Key::JoinedLate) }</p>
            }
            <form class="score-form" onsubmit={on_submit}>
                <label for="score-input" class="label">{ lang.t(Key::ScoreLabel) }</label>
                <div class="score-row">
                    <input id="score-slider" type="range" min={SCORE_MIN.to_string()} max={SCORE_MAX.to_string()}
                        step="1" value={slider_value} oninput={on_slide_input} onclick={on_slide_click}
                        class={classes!(picked.is_none().then_some("untouched"))}
                        disabled={locked} aria-label={lang.t(Key::ScoreSlider)} />
                    <input id="score-input" type="number" min={SCORE_MIN.to_string()} max={SCORE_MAX.to_string()}
                        step="1" inputmode="numeric" placeholder="0–100"
                        class={classes!(invalid.then_some("invalid"))}
                        aria-invalid={invalid.to_string()} aria-describedby="score-problem"
                        value={(*value).clone()} oninput={on_type} disabled={locked} />
                    <button id="score-submit" type="submit" class="btn btn-primary" disabled={locked}>
                        { lang.t(Key::ScoreSubmit) }
                    </button>
                </div>
                <div class="score-picks" role="group" aria-label={lang.t(Key::ScoreQuickPicks)}>
                    { for QUICK_PICKS.iter().map(|&v| html! {
                        <button type="button" class={classes!("btn", "btn-chip", "score-pick", (picked == Some(v)).then_some("picked"))}
                            data-value={v.to_string()} disabled={locked} onclick={pick(v)}>
                            { v }
                        </button>
                    }) }
                </div>
                <p id="score-problem" class={classes!(if invalid { "field-error" } else { "hint" })} aria-live="polite">
                    if let Some(k) = *problem { { lang.t(k) } }
                </p>
            </form>
            if let Some(v) = gave.filter(|_| scored || pending) {
                <p id="score-given" class="ok-text" data-value={v.to_string()}>
                    { lang.t(Key::YouGave) }{ ": " }<strong>{ v }</strong>
                </p>
            }
            if scored {
                <p id="score-thanks" class="ok-text">{ lang.t(Key::YouScored) }</p>
            }
            <p class="hint">
                { format!("{}/{} {}", props.round.scored.len(), props.round.eligible, lang.t(Key::ScoredCount)) }
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_scores_beyond_the_range_come_back_to_its_ends() {
        assert_eq!(clamp_typed("150"), ("100".into(), true));
        assert_eq!(clamp_typed("-3"), ("0".into(), true));
        assert_eq!(clamp_typed("85"), ("85".into(), false));
        assert_eq!(clamp_typed(""), ("".into(), false));
        assert_eq!(clamp_typed("7.5"), ("7.5".into(), false));
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
}
