use crate::app::return_route;
use crate::context::{use_lang, use_session, use_toaster, SessionAction, ToastText};
use crate::i18n::{login_error_key, name_error_key, Key};
use crate::services::api;
use onair_shared::api::ClientConfig;
use onair_shared::api::LoginErrorCode;
use serde::Deserialize;
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

/// `/login?next=/rooms/3&error=access_denied`.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default)]
    pub next: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

/// Sign in with Kakao (when the server has it) or a display name (dev login) (dev login); then back to where the user was headed.
#[function_component(Login)]
pub fn login() -> Html {
    let lang = use_lang();
    let session = use_session();
    let toaster = use_toaster();
    let navigator = use_navigator();
    let location = use_location();
    let name = use_state(String::new);
    let busy = use_state(|| false);
    // `None`: no error; an empty text: one the toast already explains (network).
    let error = use_state(|| None::<ToastText>);
    let config = use_state(|| None::<ClientConfig>);
    let input_ref = use_node_ref();

    let query = location
        .as_ref()
        .and_then(|l| l.query::<LoginQuery>().ok())
        .unwrap_or_default();
    let next = query.next.clone();
    // `/login?error=<code>`: a Kakao sign-in that failed, said in words.
    let login_error = query
        .error
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(|c| lang.t(login_error_key(LoginErrorCode::parse(c))));

    // Signed in already (or just now): go on.
    {
        let navigator = navigator.clone();
        let next = next.clone();
        use_effect_with(session.signed_in(), move |&signed_in| {
            if signed_in {
                if let Some(nav) = navigator {
                    nav.replace(&return_route(next.as_deref()));
                }
            }
        });
    }

    {
        let config = config.clone();
        let input_ref = input_ref.clone();
        use_effect_with((), move |_| {
            if let Some(input) = input_ref.cast::<HtmlInputElement>() {
                let _ = input.focus();
            }
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(c) = api::config().await {
                    config.set(Some(c));
                }
            });
        });
    }

    let on_input = {
        let name = name.clone();
        let error = error.clone();
        Callback::from(move |e: InputEvent| {
            name.set(e.target_unchecked_into::<HtmlInputElement>().value());
            error.set(None);
        })
    };

    let on_submit = {
        let name = name.clone();
        let busy = busy.clone();
        let error = error.clone();
        let session = session.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            // The same rules as the server's (control, bidi and zero-width characters removed,
            // then 1 to 30 characters), so the name shown is the name stored.
            let name = match onair_shared::text::validate_display_name(&name) {
                Ok(name) => name,
                Err(e) => {
                    error.set(Some(ToastText::Key(name_error_key(e))));
                    return;
                }
            };
            busy.set(true);
            error.set(None);
            let busy = busy.clone();
            let error = error.clone();
            let session = session.clone();
            let toaster = toaster.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match api::dev_login(&name).await {
                    // The effect above navigates once the session is set.
                    Ok(resp) => {
                        toaster.clear();
                        session.dispatch(SessionAction::LoggedIn(resp));
                    }
                    Err(err) => {
                        toaster.api(&err);
                        error.set(Some(if err.is_network() {
                            ToastText::Plain(String::new())
                        } else {
                            ToastText::from_api(&err)
                        }));
                    }
                }
                busy.set(false);
            });
        })
    };

    let dev_login = config.as_ref().is_none_or(|c| c.dev_login);
    let kakao = config.as_ref().is_some_and(|c| c.kakao_login);

    html! {
        <section class="page page-center login-page">
            <div class="panel login-card">
                <div class="spotlight" aria-hidden="true"></div>
                <span class="badge-onair badge-onair-lg">{ "ON AIR" }</span>
                <h1>{ lang.t(Key::LoginTitle) }</h1>
                <p class="subtitle">{ lang.t(Key::LoginSubtitle) }</p>
                if let Some(msg) = login_error {
                    <p id="login-error" class="form-error" role="alert">{ msg }</p>
                }
                if kakao {
                    <a id="kakao-login" class="btn btn-kakao btn-block" href={api::KAKAO_LOGIN_URL}>
                        <span class="kakao-mark" aria-hidden="true"></span>
                        { lang.t(Key::LoginKakao) }
                    </a>
                    if dev_login {
                        <p class="divider"><span>{ lang.t(Key::LoginOr) }</span></p>
                    }
                }
                if dev_login {
                    <form class="login-form" onsubmit={on_submit}>
                        <label class="field">
                            <span class="label">{ lang.t(Key::LoginNameLabel) }</span>
                            <input id="login-name" ref={input_ref} type="text" autocomplete="nickname"
                                class={classes!(error.as_ref().is_some_and(|e| e != &ToastText::Plain(String::new())).then_some("invalid"))}
                                placeholder={lang.t(Key::LoginNamePlaceholder)}
                                value={(*name).clone()} oninput={on_input} />
                        </label>
                        if let Some(msg) = error.as_ref().map(|m| m.render(lang)).filter(|m| !m.is_empty()) {
                            <p id="login-form-error" class="form-error" role="alert">{ msg }</p>
                        }
                        <button id="login-submit" type="submit" class="btn btn-primary btn-block" disabled={*busy}>
                            { lang.t(if *busy { Key::LoginWorking } else { Key::LoginSubmit }) }
                        </button>
                    </form>
                } else if !kakao {
                    <p class="hint">{ lang.t(Key::DevLoginDisabled) }</p>
                }
            </div>
        </section>
    }
}
