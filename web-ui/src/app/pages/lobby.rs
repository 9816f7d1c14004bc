use crate::app::Route;
use crate::components::create_room_form::CreateRoomForm;
use crate::components::room_list::RoomList;
use crate::context::{use_lang, use_session, use_toaster, SessionAction};
use crate::hooks::use_interval;
use crate::i18n::Key;
use crate::services::api::{self, RoomFilter};
use onair_shared::api::RoomView;
use onair_shared::room::{Category, Mode};
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;
use yew_router::prelude::*;

/// How often the room list refreshes itself.
const REFRESH_MS: u32 = 5_000;

/// Open rooms (refreshed every few seconds, filtered by category and mode) and the form to
/// open a new one.
#[function_component(Lobby)]
pub fn lobby() -> Html {
    let lang = use_lang();
    let rooms = use_state(|| None::<Vec<RoomView>>);
    // Older pages fetched with "More rooms" (kept across the first page's refreshes), and
    // where the next one starts (`None`: there is none).
    let more = use_state(Vec::<RoomView>::new);
    let next_cursor = use_state(|| None::<String>);
    let more_in_flight = use_state(|| false);
    // Whether older pages are shown (read by timers and effects, so not a state handle that
    // could be a render behind).
    let paged = use_mut_ref(|| false);
    let in_flight = use_mut_ref(|| false);
    let toaster = use_toaster();
    let session = use_session();
    let navigator = use_navigator();
    let filter = use_state(RoomFilter::default);
    // The filter the timer's next load uses (the timer closure outlives renders).
    let current_filter = use_mut_ref(RoomFilter::default);
    *current_filter.borrow_mut() = (*filter).clone();

    let load: Rc<dyn Fn()> = {
        let rooms = rooms.clone();
        let paged = paged.clone();
        let next_cursor = next_cursor.clone();
        let toaster = toaster.clone();
        let session = session.dispatcher();
        Rc::new(move || {
            if *in_flight.borrow() {
                return;
            }
            *in_flight.borrow_mut() = true;
            let rooms = rooms.clone();
            let paged = paged.clone();
            let next_cursor = next_cursor.clone();
            let toaster = toaster.clone();
            let session = session.clone();
            let in_flight = in_flight.clone();
            let current_filter = current_filter.clone();
            wasm_bindgen_futures::spawn_local(async move {
                loop {
                    let wanted = current_filter.borrow().clone();
                    let result = api::rooms(&wanted, None).await;
                    // The filter changed while the list was on its way: fetch again.
                    if *current_filter.borrow() != wanted {
                        continue;
                    }
                    match result {
                        Ok(list) => {
                            // Until more was asked for, the first page says where the next starts.
                            if !*paged.borrow() {
                                next_cursor.set(list.next_cursor);
                            }
                            rooms.set(Some(list.rooms));
                        }
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
                    break;
                }
                *in_flight.borrow_mut() = false;
            });
        })
    };

    {
        let load = load.clone();
        let rooms = rooms.clone();
        let more = more.clone();
        let paged = paged.clone();
        let next_cursor = next_cursor.clone();
        use_effect_with((*filter).clone(), move |_| {
            rooms.set(None);
            more.set(Vec::new());
            *paged.borrow_mut() = false;
            next_cursor.set(None);
            load();
        });
    }
    {
        let load = load.clone();
        use_interval(move || load(), REFRESH_MS);
    }

    let refresh = {
        let load = load.clone();
        Callback::from(move |_: MouseEvent| load())
    };
    let on_category = {
        let filter = filter.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            filter.set(RoomFilter {
                category: Category::parse(&v),
                ..(*filter).clone()
            });
        })
    };
    let on_mode = {
        let filter = filter.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            filter.set(RoomFilter {
                mode: Mode::parse(&v),
                ..(*filter).clone()
            });
        })
    };
    let on_search = {
        let filter = filter.clone();
        Callback::from(move |e: InputEvent| {
            let v = e.target_unchecked_into::<HtmlInputElement>().value();
            // The server takes at most a title's length.
            let search: String = v
                .chars()
                .take(onair_shared::room::TITLE_MAX_CHARS)
                .collect();
            filter.set(RoomFilter {
                search,
                ..(*filter).clone()
            });
        })
    };
    let filtered = *filter != RoomFilter::default();
    let load_more = {
        let more = more.clone();
        let next_cursor = next_cursor.clone();
        let more_in_flight = more_in_flight.clone();
        let filter = filter.clone();
        let paged = paged.clone();
        let toaster = toaster.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(cursor) = (*next_cursor).clone() else {
                return;
            };
            if *more_in_flight {
                return;
            }
            more_in_flight.set(true);
            let more = more.clone();
            let next_cursor = next_cursor.clone();
            let more_in_flight = more_in_flight.clone();
            let wanted = (*filter).clone();
            let paged = paged.clone();
            let toaster = toaster.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match api::rooms(&wanted, Some(&cursor)).await {
                    Ok(list) => {
                        *paged.borrow_mut() = true;
                        let mut all = (*more).clone();
                        all.extend(list.rooms);
                        more.set(all);
                        next_cursor.set(list.next_cursor);
                    }
                    Err(err) => toaster.api(&err),
                }
                more_in_flight.set(false);
            });
        })
    };

    let on_created = Callback::from(move |room: RoomView| {
        if let Some(nav) = &navigator {
            nav.push(&Route::Room { id: room.id });
        }
    });

    // The first page (refreshed) and the older ones, each room once.
    let list = (*rooms).clone().map(|mut first| {
        for room in more.iter() {
            if !first.iter().any(|r| r.id == room.id) {
                first.push(room.clone());
            }
        }
        first
    });
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
                    <div class="filters" role="group">
                        <label class="filter filter-search">
                            <span class="label">{ lang.t(Key::SearchRooms) }</span>
                            <input id="room-search" type="search" maxlength="60"
                                placeholder={lang.t(Key::SearchRoomsHint)}
                                value={filter.search.clone()} oninput={on_search} />
                        </label>
                        <label class="filter">
                            <span class="label">{ lang.t(Key::FilterCategory) }</span>
                            <select id="filter-category" onchange={on_category}>
                                <option value="" selected={filter.category.is_none()}>{ lang.t(Key::FilterAll) }</option>
                                { for Category::ALL.into_iter().map(|c| html! {
                                    <option value={c.as_str()} selected={filter.category == Some(c)}>{ lang.category(c) }</option>
                                }) }
                            </select>
                        </label>
                        <label class="filter">
                            <span class="label">{ lang.t(Key::FilterMode) }</span>
                            <select id="filter-mode" onchange={on_mode}>
                                <option value="" selected={filter.mode.is_none()}>{ lang.t(Key::FilterAll) }</option>
                                { for Mode::ALL.into_iter().map(|m| html! {
                                    <option value={m.as_str()} selected={filter.mode == Some(m)}>{ lang.mode(m) }</option>
                                }) }
                            </select>
                        </label>
                    </div>
                    <RoomList loading={list.is_none()} {filtered} rooms={list.unwrap_or_default()} />
                    if next_cursor.is_some() {
                        <button id="more-rooms" type="button" class="btn btn-ghost more-rooms"
                            disabled={*more_in_flight} aria-busy={more_in_flight.to_string()}
                            onclick={load_more}>
                            { lang.t(Key::MoreRooms) }
                        </button>
                    }
                </div>
                <aside class="lobby-create">
                    <CreateRoomForm {on_created} />
                </aside>
            </div>
        </section>
    }
}
