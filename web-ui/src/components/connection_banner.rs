use crate::context::use_lang;
use crate::hooks::ConnStatus;
use crate::i18n::Key;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct BannerProps {
    pub status: ConnStatus,
}

/// `#connection-banner`: present only while the room connection is being re-established.
#[function_component(ConnectionBanner)]
pub fn connection_banner(props: &BannerProps) -> Html {
    let lang = use_lang();
    match &props.status {
        ConnStatus::Reconnecting { attempt } => html! {
            <div id="connection-banner" class="connection-banner" role="status" aria-live="assertive"
                data-attempt={attempt.to_string()}>
                <span class="spinner" aria-hidden="true"></span>
                <span>{ lang.t(Key::Reconnecting) }</span>
            </div>
        },
        _ => html! {},
    }
}
