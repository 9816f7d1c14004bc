use crate::app::Route;
use crate::components::create_room_form::CreateRoomForm;
use crate::components::room_list::RoomList;
use crate::context::{use_lang, use_session, use_toaster, SessionAction};
use crate::hooks::use_interval;
use crate::i18n::Key;
use crate::services::api;
use onair_shared::api::RoomView;
use std::rc::Rc;
use yew::prelude::*;
use yew_router::prelude::*;

/// How often the room list refreshes itself.
const REFRESH_MS: u32 = 5_000;

/// Open rooms (refreshed every few seconds) and the form to open a new one.
#[function_component(Lobby)]
pub fn lobby() -> Html {
    let lang = use_lang();
    let rooms = use_state(|| None::<Vec<RoomView>>);
    let in_flight = use_mut_ref(|| false);
    let toaster = use_toaster();
    let session = use_session();
    let navigator = use_navigator();

    let load: Rc<dyn Fn()> = {
        let rooms = rooms.clone();
        let toaster = toaster.clone();
        let session = session.dispatcher();
        Rc::new(move || {
            if *in_flight.borrow() {
                return;
            }
            *in_flight.borrow_mut() = true;
            let rooms = rooms.clone();
            let toaster = toaster.clone();
            let session = session.clone();
            let in_flight = in_flight.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match api::rooms().await {
                    Ok(list) => rooms.set(Some(list.rooms)),
                    Err(err) => {
                        toaster.api(&err);
                        if err.is_unauthorized() {
                            session.dispatch(SessionAction::LoggedOut);
                        }
                        if rooms.is_none() {
                            rooms.set(Some(Vec::new()));
                        }
                    }
                }
                *in_flight.borrow_mut() = false;
            });
        })
    };

    {
        let load = load.clone();
        use_effect_with((), move |_| load());
    }
    {
        let load = load.clone();
        use_interval(move || load(), REFRESH_MS);
    }

    let refresh = {
        let load = load.clone();
        Callback::from(move |_: MouseEvent| load())
    };
    let on_created = Callback::from(move |room: RoomView| {
        if let Some(nav) = &navigator {
            nav.push(&Route::Room { id: room.id });
        }
    });

    let list = (*rooms).clone();
    html! {
        <section class="page lobby-page">
            <div class="lobby-grid">
                <div class="lobby-rooms">
                    <div class="section-head">
                        <div>
                            <h1>{ lang.t(Key::LobbyTitle) }</h1>
                            <p class="subtitle">{ lang.t(Key::LobbySubtitle) }</p>
                        </div>
                        <button id="refresh-rooms" type="button" class="btn btn-ghost btn-sm" onclick={refresh}>
                            <span aria-hidden="true">{ "↻ " }</span>{ lang.t(Key::Refresh) }
                        </button>
                    </div>
                    <RoomList loading={list.is_none()} rooms={list.unwrap_or_default()} />
                </div>
                <aside class="lobby-create">
                    <CreateRoomForm {on_created} />
                </aside>
            </div>
        </section>
    }
}
