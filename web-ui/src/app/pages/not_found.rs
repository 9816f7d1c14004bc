use crate::app::Route;
use crate::context::use_lang;
use crate::i18n::Key;
use yew::prelude::*;
use yew_router::prelude::*;

#[function_component(NotFound)]
pub fn not_found() -> Html {
    let lang = use_lang();
    html! {
        <section class="page page-center not-found">
            <div class="panel notice">
                <span class="big-icon" aria-hidden="true">{ "🎭" }</span>
                <h1>{ lang.t(Key::NotFoundTitle) }</h1>
                <p>{ lang.t(Key::NotFoundText) }</p>
                <Link<Route> to={Route::Lobby} classes="btn btn-primary">{ lang.t(Key::BackToLobby) }</Link<Route>>
            </div>
        </section>
    }
}
