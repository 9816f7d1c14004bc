//! "Are you sure?" for an action that cannot be undone: a question, a red yes and a way back.
//! Its element ids derive from `name` (`{name}-confirm`, `-question`, `-yes`, `-no`), which the
//! browser tests use.

use crate::context::use_lang;
use crate::i18n::Key;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ConfirmProps {
    pub name: AttrValue,
    pub question: Key,
    pub yes: Key,
    pub no: Key,
    pub on_yes: Callback<MouseEvent>,
    pub on_no: Callback<MouseEvent>,
}

#[function_component(Confirm)]
pub fn confirm(props: &ConfirmProps) -> Html {
    let lang = use_lang();
    let id = |part: &str| format!("{}-{part}", props.name);
    html! {
        <div id={id("confirm")} class="panel notice confirm" role="alertdialog"
            aria-labelledby={id("question")}>
            <p id={id("question")}>{ lang.t(props.question) }</p>
            <div class="confirm-buttons">
                <button id={id("yes")} type="button" class="btn btn-danger"
                    onclick={props.on_yes.clone()}>
                    { lang.t(props.yes) }
                </button>
                <button id={id("no")} type="button" class="btn btn-ghost"
                    onclick={props.on_no.clone()}>
                    { lang.t(props.no) }
                </button>
            </div>
        </div>
    }
}
