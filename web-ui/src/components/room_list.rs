use crate::app::Route;
use crate::components::avatar::UserLink;
use crate::context::use_lang;
use crate::i18n::Key;
use onair_shared::api::RoomView;
use onair_shared::room::{Mode, RoomStatus};
use yew::prelude::*;
use yew_router::prelude::*;

#[derive(Properties, PartialEq)]
pub struct RoomListProps {
    pub rooms: Vec<RoomView>,
    pub loading: bool,
    /// A filter is on: the empty state says so.
    #[prop_or_default]
    pub filtered: bool,
}

/// The lobby's list of open rooms; each `.room-card` holds an `a.room-link` with the title.
#[function_component(RoomList)]
pub fn room_list(props: &RoomListProps) -> Html {
    let lang = use_lang();
    if props.rooms.is_empty() {
        return html! {
            <div class="room-list-empty">
                <span class="mic" aria-hidden="true">{ "🎤" }</span>
                <p>{ lang.t(if props.loading {
                    Key::Loading
                } else if props.filtered {
                    Key::NoRoomsFiltered
                } else {
                    Key::NoRooms
                }) }</p>
            </div>
        };
    }
    html! {
        <ul class="room-list">
            { for props.rooms.iter().map(|room| html! { <RoomCard key={room.id.0} room={room.clone()} /> }) }
        </ul>
    }
}

#[derive(Properties, PartialEq)]
pub struct RoomCardProps {
    pub room: RoomView,
}

#[function_component(RoomCard)]
pub fn room_card(props: &RoomCardProps) -> Html {
    let lang = use_lang();
    let room = &props.room;
    let full = room.member_count >= u32::from(room.member_limit);
    let status_class = match room.status {
        RoomStatus::Open => "status-open",
        RoomStatus::Live => "status-live",
        RoomStatus::Ended => "status-ended",
    };
    let navigator = use_navigator();
    let id = room.id;
    // The whole card is clickable; the link inside stays the accessible (and tested) target.
    let open = Callback::from(move |e: MouseEvent| {
        // A click on the link itself was already handled by `Link`.
        if e.default_prevented() {
            return;
        }
        if let Some(nav) = &navigator {
            nav.push(&Route::Room { id });
        }
    });
    html! {
        <li class={classes!("room-card", status_class, full.then_some("full"))}
            data-room-id={room.id.to_string()} onclick={open}>
            <div class="room-card-top">
                <span class={classes!("status-pill", status_class)}>
                    if room.status == RoomStatus::Live { <span class="live-dot"></span> }
                    { lang.status(room.status) }
                </span>
                <span class="chip">{ lang.category(room.category) }</span>
                <span class={classes!("chip", if room.mode == Mode::Rank { "chip-rank" } else { "chip-normal" })}>
                    { lang.mode(room.mode) }
                </span>
            </div>
            <h3 class="room-card-title">
                <Link<Route> to={Route::Room { id: room.id }} classes="room-link">{ &room.title }</Link<Route>>
            </h3>
            if !room.description.is_empty() {
                <p class="room-card-desc">{ &room.description }</p>
            }
            <div class="room-card-meta">
                <span class="host" title={lang.t(Key::HostLabel)}>
                    <span aria-hidden="true">{ "👑 " }</span>
                    <UserLink id={room.host.id} name={room.host.name.clone()} />
                </span>
                <span class="members-count" title={lang.t(Key::MembersLabel)}>
                    <span aria-hidden="true">{ "👥 " }</span>
                    { format!("{}/{}", room.member_count, room.member_limit) }
                </span>
            </div>
        </li>
    }
}
