use crate::components::avatar::Avatar;
use crate::components::stage::abilities;
use crate::context::use_lang;
use crate::i18n::Key;
use onair_shared::protocol::{ClientMsg, RoomSnapshot};
use onair_shared::UserId;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct NominateDialogProps {
    pub room: Rc<RoomSnapshot>,
    pub you: UserId,
    pub on_send: Callback<ClientMsg>,
}

/// `#nominate-dialog`: the performer who just finished (or the host, when that performer has
/// left) picks the next performer among the members who have not performed.
#[function_component(NominateDialog)]
pub fn nominate_dialog(props: &NominateDialogProps) -> Html {
    let lang = use_lang();
    let can = abilities(&props.room, Some(props.you));
    if can.nominate.is_empty() {
        return html! {};
    }
    html! {
        <section id="nominate-dialog" class="panel dialog nominate-dialog" role="dialog"
            aria-labelledby="nominate-dialog-title">
            <div class="dialog-head">
                <h2 id="nominate-dialog-title">{ lang.t(Key::NominateTitle) }</h2>
            </div>
            <p class="hint">
                { lang.t(if can.nominate_as_host { Key::NominateHostHint } else { Key::NominatePrompt }) }
            </p>
            <div class="nominate-options">
                { for can.nominate.iter().map(|(id, name)| {
                    let on_send = props.on_send.clone();
                    let user = *id;
                    html! {
                        <button type="button" class="btn nominate-button" data-user-id={id.to_string()}
                            onclick={Callback::from(move |_: MouseEvent| on_send.emit(ClientMsg::Nominate { user }))}>
                            <Avatar name={name.clone()} class="avatar-sm" />
                            <span>{ name.clone() }</span>
                        </button>
                    }
                }) }
            </div>
        </section>
    }
}
