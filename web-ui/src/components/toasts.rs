use crate::context::{use_lang, use_toasts, Toast, ToastAction};
use crate::i18n::Key;
use gloo_timers::callback::Timeout;
use yew::prelude::*;

/// How long an error stays on screen unless dismissed.
const TOAST_MS: u32 = 8_000;

/// The stack of error messages (`.error-toast`), bottom-right on desktop, top on phones.
#[function_component(Toasts)]
pub fn toasts() -> Html {
    let toasts = use_toasts();
    let dismiss = {
        let dispatcher = toasts.dispatcher();
        Callback::from(move |id: u32| dispatcher.dispatch(ToastAction::Dismiss(id)))
    };
    html! {
        <div class="toasts" role="status" aria-live="polite">
            { for toasts.items.iter().map(|t| html! {
                <ToastItem key={t.id} toast={t.clone()} on_dismiss={dismiss.clone()} />
            }) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ToastProps {
    toast: Toast,
    on_dismiss: Callback<u32>,
}

#[function_component(ToastItem)]
fn toast_item(props: &ToastProps) -> Html {
    let lang = use_lang();
    let id = props.toast.id;
    {
        let on_dismiss = props.on_dismiss.clone();
        use_effect_with(id, move |&id| {
            let timer = Timeout::new(TOAST_MS, move || on_dismiss.emit(id));
            move || drop(timer)
        });
    }
    let close = {
        let on_dismiss = props.on_dismiss.clone();
        Callback::from(move |_: MouseEvent| on_dismiss.emit(id))
    };
    html! {
        <div class="error-toast" role="alert">
            // Icon and "×" are drawn by CSS so the toast's text is exactly the message.
            <span class="toast-icon" aria-hidden="true"></span>
            <span class="toast-text">{ props.toast.text.render(lang) }</span>
            <button type="button" class="toast-close" aria-label={lang.t(Key::Dismiss)}
                title={lang.t(Key::Dismiss)} onclick={close}></button>
        </div>
    }
}
