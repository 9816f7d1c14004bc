use crate::app::Route;
use crate::context::{use_lang, use_session, SessionAction};
use crate::i18n::Key;
use crate::services::api;
use serde::Deserialize;
use yew::prelude::*;
use yew_router::prelude::*;

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
struct CompleteQuery {
    #[serde(default)]
    code: Option<String>,
}

/// `/login/complete?code=<one-time code>`: where the Kakao sign-in lands. The code is traded
/// for a login token (`POST /auth/exchange`) once, then the lobby opens.
#[function_component(LoginComplete)]
pub fn login_complete() -> Html {
    let lang = use_lang();
    let session = use_session();
    let navigator = use_navigator();
    let location = use_location();
    let failed = use_state(|| None::<String>);
    let code = location
        .and_then(|l| l.query::<CompleteQuery>().ok())
        .and_then(|q| q.code)
        .filter(|c| !c.trim().is_empty());

    {
        let failed = failed.clone();
        let session = session.dispatcher();
        let navigator = navigator.clone();
        use_effect_with(code, move |code| match code.clone() {
            None => failed.set(Some(String::new())),
            Some(code) => wasm_bindgen_futures::spawn_local(async move {
                match api::exchange_code(&code).await {
                    Ok(resp) => {
                        session.dispatch(SessionAction::LoggedIn(resp));
                        if let Some(nav) = navigator {
                            nav.replace(&Route::Lobby);
                        }
                    }
                    Err(err) => failed.set(Some(if err.is_network() {
                        String::new()
                    } else {
                        err.message
                    })),
                }
            }),
        });
    }

    html! {
        <section class="page page-center login-page">
            <div class="panel login-card" id="login-complete">
                <span class="badge-onair badge-onair-lg">{ "ON AIR" }</span>
                if let Some(detail) = (*failed).clone() {
                    <p id="login-error" class="form-error" role="alert">
                        { lang.t(Key::LoginCompleteFailed) }
                        if !detail.is_empty() { <br /><small>{ detail }</small> }
                    </p>
                    <Link<Route> to={Route::Login} classes="btn btn-primary btn-block">
                        { lang.t(Key::BackToLogin) }
                    </Link<Route>>
                } else {
                    <p class="connecting">
                        <span class="spinner" aria-hidden="true"></span>
                        <span>{ lang.t(Key::LoginCompleting) }</span>
                    </p>
                }
            </div>
        </section>
    }
}
