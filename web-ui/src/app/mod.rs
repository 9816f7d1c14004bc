//! The app shell: contexts, the router and the login guard.

pub mod pages;

use crate::components::header::Header;
use crate::components::toasts::Toasts as ToastStack;
use crate::context::{
    apply_lang, use_session, LangHandle, Session, SessionAction, SessionHandle, ToastHandle, Toasts,
};
use crate::services::api::FollowList;
use crate::services::{api, storage};
use onair_shared::{RoomId, UserId};
use pages::{
    follows::FollowPage, lobby::Lobby, login::Login, login_complete::LoginComplete,
    not_found::NotFound, profile::ProfilePage, rankings::RankingsPage, room::RoomPage,
};
use serde::{Deserialize, Serialize};
use yew::prelude::*;
use yew_router::prelude::*;

#[derive(Debug, Clone, PartialEq, Routable)]
pub enum Route {
    #[at("/")]
    Lobby,
    #[at("/login")]
    Login,
    /// Where a Kakao sign-in ends: `?code=<one-time code>`.
    #[at("/login/complete")]
    LoginComplete,
    #[at("/rooms/:id")]
    Room { id: RoomId },
    #[at("/me")]
    Me,
    #[at("/users/:id")]
    User { id: UserId },
    #[at("/users/:id/followers")]
    Followers { id: UserId },
    #[at("/users/:id/following")]
    Following { id: UserId },
    #[at("/rankings")]
    Rankings,
    #[not_found]
    #[at("/404")]
    NotFound,
}

/// `/login?next=/rooms/3`: where to go back to after signing in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    pub next: Option<String>,
}

/// The route to return to after login: only paths of this app (never another site).
pub fn return_route(next: Option<&str>) -> Route {
    next.filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .and_then(|p| Route::recognize(p.split(['?', '#']).next().unwrap_or(p)))
        .filter(|r| !matches!(r, Route::Login | Route::LoginComplete | Route::NotFound))
        .unwrap_or(Route::Lobby)
}

#[function_component(App)]
pub fn app() -> Html {
    let session = use_reducer(Session::load);
    let lang = use_state(storage::lang);
    let toasts = use_reducer(Toasts::default);

    use_effect_with(*lang, |&lang| apply_lang(lang));

    // A stored token may have expired: check it once per token, refresh the user.
    {
        let dispatcher = session.dispatcher();
        use_effect_with(session.token.clone(), move |token| {
            if token.is_some() {
                wasm_bindgen_futures::spawn_local(async move {
                    match api::me().await {
                        Ok(me) => dispatcher.dispatch(SessionAction::User(me)),
                        Err(e) if e.is_unauthorized() => {
                            dispatcher.dispatch(SessionAction::LoggedOut)
                        }
                        Err(_) => {}
                    }
                });
            }
        });
    }

    html! {
        <ContextProvider<SessionHandle> context={session}>
            <ContextProvider<LangHandle> context={lang}>
                <ContextProvider<ToastHandle> context={toasts}>
                    <BrowserRouter>
                        <div class="app">
                            <Header />
                            <main class="main">
                                <Switch<Route> render={switch} />
                            </main>
                            <ToastStack />
                        </div>
                    </BrowserRouter>
                </ContextProvider<ToastHandle>>
            </ContextProvider<LangHandle>>
        </ContextProvider<SessionHandle>>
    }
}

fn switch(route: Route) -> Html {
    match route {
        Route::Login => html! { <Login /> },
        Route::LoginComplete => html! { <LoginComplete /> },
        Route::Lobby => html! { <RequireLogin><Lobby /></RequireLogin> },
        Route::Room { id } => html! { <RequireLogin><RoomPage key={id.0} {id} /></RequireLogin> },
        Route::Me => html! { <RequireLogin><ProfilePage /></RequireLogin> },
        // Profiles, follow lists and the ranking are public: a link to them works for anyone.
        Route::User { id } => html! { <ProfilePage key={id.0} id={Some(id)} /> },
        Route::Followers { id } => html! {
            <FollowPage key={format!("followers-{id}")} {id} which={FollowList::Followers} />
        },
        Route::Following { id } => html! {
            <FollowPage key={format!("following-{id}")} {id} which={FollowList::Following} />
        },
        Route::Rankings => html! { <RankingsPage /> },
        Route::NotFound => html! { <NotFound /> },
    }
}

#[derive(Properties, PartialEq)]
pub struct RequireLoginProps {
    pub children: Html,
}

/// Shows its children to signed-in users; sends everyone else to `/login?next=<here>`.
#[function_component(RequireLogin)]
pub fn require_login(props: &RequireLoginProps) -> Html {
    let session = use_session();
    let navigator = use_navigator();
    let location = use_location();
    let signed_in = session.signed_in();
    let here = location
        .map(|l| format!("{}{}", l.path(), l.query_str()))
        .unwrap_or_else(|| "/".into());

    use_effect_with(signed_in, move |&signed_in| {
        if !signed_in {
            if let Some(nav) = navigator {
                let next = (here != "/").then_some(here);
                if nav
                    .replace_with_query(&Route::Login, &NextQuery { next })
                    .is_err()
                {
                    nav.replace(&Route::Login);
                }
            }
        }
    });

    if signed_in {
        props.children.clone()
    } else {
        html! {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_parse_and_print() {
        assert_eq!(Route::recognize("/"), Some(Route::Lobby));
        assert_eq!(Route::recognize("/login"), Some(Route::Login));
        assert_eq!(
            Route::recognize("/rooms/42"),
            Some(Route::Room { id: RoomId(42) })
        );
        assert_eq!(Route::Room { id: RoomId(7) }.to_path(), "/rooms/7");
        assert_eq!(Route::recognize("/rooms/abc"), Some(Route::NotFound));
        assert_eq!(Route::recognize("/nope"), Some(Route::NotFound));
        assert_eq!(Route::recognize("/me"), Some(Route::Me));
        assert_eq!(Route::recognize("/rankings"), Some(Route::Rankings));
        assert_eq!(
            Route::recognize("/login/complete"),
            Some(Route::LoginComplete)
        );
        assert_eq!(
            Route::recognize("/users/5"),
            Some(Route::User { id: UserId(5) })
        );
        assert_eq!(
            Route::recognize("/users/5/followers"),
            Some(Route::Followers { id: UserId(5) })
        );
        assert_eq!(
            Route::Following { id: UserId(5) }.to_path(),
            "/users/5/following"
        );
    }

    #[test]
    fn login_returns_only_to_our_own_pages() {
        assert_eq!(
            return_route(Some("/rooms/3")),
            Route::Room { id: RoomId(3) }
        );
        assert_eq!(
            return_route(Some("/rooms/3?x=1")),
            Route::Room { id: RoomId(3) }
        );
        assert_eq!(return_route(None), Route::Lobby);
        assert_eq!(return_route(Some("https://evil.example/")), Route::Lobby);
        assert_eq!(return_route(Some("//evil.example/rooms/3")), Route::Lobby);
        assert_eq!(return_route(Some("/login")), Route::Lobby);
        assert_eq!(return_route(Some("/login/complete?code=x")), Route::Lobby);
        assert_eq!(return_route(Some("/me")), Route::Me);
        assert_eq!(return_route(Some("/what")), Route::Lobby);
    }
}
