use crate::app::Route;
use crate::context::{apply_lang, use_lang_handle, use_session, SessionAction};
use crate::i18n::Key;
use yew::prelude::*;
use yew_router::prelude::*;

/// The top bar: brand, who is signed in, the language switch and log out.
#[function_component(Header)]
pub fn header() -> Html {
    let lang_handle = use_lang_handle();
    let lang = *lang_handle;
    let session = use_session();
    let navigator = use_navigator();

    let switch_lang = {
        let lang_handle = lang_handle.clone();
        Callback::from(move |_: MouseEvent| {
            let next = lang_handle.other();
            apply_lang(next);
            lang_handle.set(next);
        })
    };
    let logout = {
        let session = session.clone();
        Callback::from(move |_: MouseEvent| {
            session.dispatch(SessionAction::LoggedOut);
            if let Some(nav) = &navigator {
                nav.push(&Route::Login);
            }
        })
    };

    html! {
        <header class="topbar">
            <Link<Route> to={Route::Lobby} classes="brand">
                <span class="brand-light" aria-hidden="true"></span>
                <span class="brand-name">{ "OnAir" }</span>
            </Link<Route>>
            <span class="tagline">{ lang.t(Key::Tagline) }</span>
            <div class="topbar-actions">
                if let Some(user) = session.user.as_ref().filter(|_| session.signed_in()) {
                    <span class="me-chip" title={user.name.clone()}>
                        <span class="avatar avatar-sm" aria-hidden="true">{ initial(&user.name) }</span>
                        <span class="me-name">{ &user.name }</span>
                    </span>
                }
                <button id="lang-switch" type="button" class="btn btn-ghost btn-sm"
                    title={lang.t(Key::SwitchLanguage)} lang={lang.other().code()}
                    onclick={switch_lang}>
                    { lang.other().native_name() }
                </button>
                if session.signed_in() {
                    <button id="logout" type="button" class="btn btn-ghost btn-sm" onclick={logout}>
                        { lang.t(Key::Logout) }
                    </button>
                }
            </div>
        </header>
    }
}

/// The first letter of a name, for round avatars.
pub fn initial(name: &str) -> String {
    name.trim()
        .chars()
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_else(|| "?".into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn initials() {
        assert_eq!(super::initial("  ada"), "A");
        assert_eq!(super::initial("노래왕"), "노");
        assert_eq!(super::initial(""), "?");
    }
}
