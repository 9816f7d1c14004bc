//! `#live-notice`: one line per moment of the show (who is on air, up next, scores in, host
//! changes, members leaving and coming back), a polite ARIA live region so screen readers say
//! it too. Each line goes after [`LINE_MS`]; at most [`MAX_LINES`] at once.

use crate::context::use_lang;
use crate::i18n::Key;
use crate::moments::{moments, Moment};
use onair_shared::protocol::RoomSnapshot;
use onair_shared::UserId;
use std::rc::Rc;
use yew::prelude::*;

const LINE_MS: u32 = 10_000;
const MAX_LINES: usize = 3;

#[derive(Properties, PartialEq)]
pub struct LiveNoticeProps {
    pub room: Option<Rc<RoomSnapshot>>,
    pub you: Option<UserId>,
}

enum Lines {
    /// New moments, at this time (ms).
    Add(Vec<Moment>, f64),
    /// Lines older than `LINE_MS` at this time go.
    Expire(f64),
}

#[derive(Default, PartialEq)]
struct LineList {
    next: u32,
    /// (number, when, moment), oldest first.
    items: Vec<(u32, f64, Moment)>,
}

impl Reducible for LineList {
    type Action = Lines;
    fn reduce(self: Rc<Self>, action: Lines) -> Rc<Self> {
        let mut items = self.items.clone();
        let mut next = self.next;
        match action {
            Lines::Add(ms, at) => {
                for m in ms {
                    next += 1;
                    items.push((next, at, m));
                }
                let extra = items.len().saturating_sub(MAX_LINES);
                items.drain(..extra);
            }
            Lines::Expire(now) => {
                let before = items.len();
                items.retain(|(_, at, _)| now - at < f64::from(LINE_MS) - 50.0);
                if items.len() == before {
                    return self;
                }
            }
        }
        Rc::new(LineList { next, items })
    }
}

#[function_component(LiveNotice)]
pub fn live_notice(props: &LiveNoticeProps) -> Html {
    let lang = use_lang();
    let lines = use_reducer(LineList::default);
    let prev = use_mut_ref(|| None::<Rc<RoomSnapshot>>);
    {
        let lines = lines.dispatcher();
        let you = props.you;
        use_effect_with(props.room.clone(), move |room| {
            let Some(room) = room.clone() else {
                return;
            };
            let before = prev.borrow_mut().replace(room.clone());
            let Some(before) = before else {
                return;
            };
            let found = moments(&before, &room, you, js_sys::Date::now());
            if found.is_empty() {
                return;
            }
            lines.dispatch(Lines::Add(found, js_sys::Date::now()));
            let lines = lines.clone();
            gloo_timers::callback::Timeout::new(LINE_MS, move || {
                lines.dispatch(Lines::Expire(js_sys::Date::now()))
            })
            .forget();
        });
    }
    html! {
        <div id="live-notice" class="live-notice" role="status" aria-live="polite"
            aria-label={lang.t(Key::LiveNotice)}>
            { for lines.items.iter().map(|(n, _, m)| html! {
                <p key={*n} class="live-line" data-kind={m.code()}>
                    <span class="live-line-dot" aria-hidden="true"></span>{ m.text(lang) }
                </p>
            }) }
        </div>
    }
}
