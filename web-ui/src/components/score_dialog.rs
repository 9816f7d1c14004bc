use crate::components::stage::name_of;
use crate::context::use_lang;
use crate::hooks::use_interval;
use crate::i18n::Key;
use crate::state::{score_status, seconds_left, time_fraction_left, ScoreStatus};
use onair_shared::protocol::{ClientMsg, RoomSnapshot, RoundView, SCORE_MAX, SCORE_MIN};
use onair_shared::{RoundId, UserId};
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// A sent score not confirmed by the server within this long unlocks the form again (the
/// frame may have been lost with a dropped connection).
const UNCONFIRMED_MS: f64 = 5_000.0;

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
    let status = score_status(&props.room, props.you);
    let round = match &status {
        ScoreStatus::Open(r) | ScoreStatus::Scored(r) | ScoreStatus::Late(r) => r.clone(),
        ScoreStatus::OwnAct => {
            return html! { <BeingScored /> };
        }
        ScoreStatus::Closed => return html! {},
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
    let value = use_state(String::new);
    let invalid = use_state(|| false);
    // (round, when) of the score we sent and the server has not confirmed yet.
    let sent = use_state(|| None::<(RoundId, f64)>);
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
        .is_some_and(|(r, at)| *r == props.round.id && now - at < UNCONFIRMED_MS);
    let scored = matches!(props.status, ScoreStatus::Scored(_));
    let late = matches!(props.status, ScoreStatus::Late(_));
    let locked = scored || late || pending || left == 0;

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
        let sent = sent.clone();
        let on_send = props.on_send.clone();
        let round = props.round.id;
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if locked {
                return;
            }
            match parse_score(&value) {
                Some(v) => {
                    on_send.emit(ClientMsg::Score { round, value: v });
                    sent.set(Some((round, js_sys::Date::now())));
                }
                None => invalid.set(true),
            }
        })
    };
    // Nothing typed yet: the slider waits in the middle.
    let slider_value = parse_score(&value)
        .unwrap_or((SCORE_MIN + SCORE_MAX) / 2)
        .to_string();

    html! {
        <section id="score-dialog" class={classes!("panel", "dialog", "score-dialog", locked.then_some("locked"))}
            role="dialog" aria-labelledby="score-dialog-title"
            data-round={props.round.id.to_string()}
            data-state={if scored { "scored" } else if late { "late" } else if pending { "sending" } else { "open" }}>
            <div class="dialog-head">
                <h2 id="score-dialog-title">
                    { lang.t(Key::ScoreDialogTitle) }{ " · " }<span class="dialog-who">{ &props.performer }</span>
                </h2>
                <span id="score-countdown" class={classes!("countdown", (left <= 5).then_some("urgent"))}
                    data-seconds={left.to_string()} role="timer" aria-live="off">
                    { format!("{left}{}", lang.t(Key::SecondsLeft)) }
                </span>
            </div>
            <div class="time-bar" aria-hidden="true">
                <span style={format!("width: {:.1}%", fraction * 100.0)}></span>
            </div>
            if late {
                <p id="score-late" class="notice-text">{ lang.t(Key::JoinedLate) }</p>
            }
            <form class="score-form" onsubmit={on_submit}>
                <label for="score-input" class="label">{ lang.t(Key::ScoreLabel) }</label>
                <div class="score-row">
                    <input id="score-slider" type="range" min={SCORE_MIN.to_string()} max={SCORE_MAX.to_string()}
                        step="1" value={slider_value} oninput={on_input.clone()} disabled={locked}
                        aria-label={lang.t(Key::ScoreSlider)} />
                    <input id="score-input" type="number" min={SCORE_MIN.to_string()} max={SCORE_MAX.to_string()}
                        inputmode="numeric" placeholder="0–100" class={classes!((*invalid).then_some("invalid"))}
                        value={(*value).clone()} oninput={on_input} disabled={locked} />
                    <button id="score-submit" type="submit" class="btn btn-primary" disabled={locked}>
                        { lang.t(Key::ScoreSubmit) }
                    </button>
                </div>
                if *invalid {
                    <p class="field-error">{ lang.t(Key::ScoreInvalid) }</p>
                }
            </form>
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
