use crate::app::Route;
use crate::components::avatar::Avatar;
use crate::context::{apply_lang, use_lang_handle, use_session, SessionAction};
use crate::i18n::Key;
use yew::prelude::*;
use yew_router::prelude::*;

/// The top bar: brand, the main navigation (lobby, rankings, my page), who is signed in, the
/// language switch and log out.
#[function_component(Header)]
pub fn header() -> Html {
    let lang_handle = use_lang_handle();
    let lang = *lang_handle;
    let session = use_session();
    let navigator = use_navigator();
    let route = use_route::<Route>();
    let section = route.as_ref().map(nav_section);

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
            <nav class="nav" aria-label={lang.t(Key::MainNav)}>
                { nav_link("nav-lobby", Route::Lobby, lang.t(Key::NavLobby), section == Some(NavSection::Lobby)) }
                { nav_link("nav-rankings", Route::Rankings, lang.t(Key::NavRankings), section == Some(NavSection::Rankings)) }
                { nav_link("nav-me", Route::Me, lang.t(Key::NavMyPage), section == Some(NavSection::Me)) }
            </nav>
            <div class="topbar-actions">
                if let Some(user) = session.user.as_ref().filter(|_| session.signed_in()) {
                    <Link<Route> to={Route::Me} classes="me-chip">
                        <Avatar name={user.name.clone()} url={user.avatar_url.clone().map(AttrValue::from)} class="avatar-sm" />
                        <span class="me-name">{ &user.name }</span>
                    </Link<Route>>
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

/// Which header link a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NavSection {
    Lobby,
    Rankings,
    Me,
    Other,
}

pub fn nav_section(route: &Route) -> NavSection {
    match route {
        // Inside a room no tab is lit: the room is not the lobby (Leave goes back there).
        Route::Lobby => NavSection::Lobby,
        Route::Rankings => NavSection::Rankings,
        Route::Me => NavSection::Me,
        _ => NavSection::Other,
    }
}

fn nav_link(id: &'static str, to: Route, text: &'static str, active: bool) -> Html {
    html! {
        <span id={id} class={classes!("nav-item", active.then_some("active"))}
            aria-current={active.then_some("page")}>
            <Link<Route> {to} classes="nav-link">{ text }</Link<Route>>
        </span>
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
    fn pages_light_up_their_nav_item() {
        use super::{nav_section, NavSection};
        use crate::app::Route;
        use onair_shared::{RoomId, UserId};
        assert_eq!(
            nav_section(&Route::Room { id: RoomId(1) }),
            NavSection::Other
        );
        assert_eq!(nav_section(&Route::Lobby), NavSection::Lobby);
        assert_eq!(nav_section(&Route::Rankings), NavSection::Rankings);
        assert_eq!(nav_section(&Route::Me), NavSection::Me);
        assert_eq!(
            nav_section(&Route::User { id: UserId(1) }),
            NavSection::Other
        );
    }

    #[test]
    fn initials() {
        assert_eq!(super::initial("  ada"), "A");
        assert_eq!(super::initial("노래왕"), "노");
        assert_eq!(super::initial(""), "?");
    }
}
