use crate::context::use_lang;
use crate::i18n::Key;
use crate::state::{uncounted_act, Uncounted};
use onair_shared::protocol::RoomSnapshot;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct RankedNoticeProps {
    pub room: Rc<RoomSnapshot>,
}

/// In a ranked room, says when the act on stage (or just scored) does not count toward the
/// ranking, and why; nothing otherwise.
#[function_component(RankedNotice)]
pub fn ranked_notice(props: &RankedNoticeProps) -> Html {
    let lang = use_lang();
    match uncounted_act(&props.room) {
        Some(why) => html! {
            <p id="ranked-notice" class="hint ranked-notice" role="status">
                { lang.t(match why {
                    Uncounted::DailyLimit => Key::ActNotCountedLimit,
                    Uncounted::TooFewScorers => Key::ActNotCountedScorers,
                }) }
            </p>
        },
        None => html! {},
    }
}
