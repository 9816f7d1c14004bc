use crate::app::Route;
use crate::components::avatar::{Avatar, UserLink};
use crate::context::{use_lang, use_toaster};
use crate::i18n::Key;
use crate::pagination::{CursorList, FOLLOW_PAGE_SIZE};
use crate::services::api::{self, FollowList};
use onair_shared::api::{UserProfile, UserSummary};
use onair_shared::UserId;
use yew::prelude::*;
use yew_router::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FollowPageProps {
    pub id: UserId,
    pub which: FollowList,
}

/// `/users/:id/followers` and `/users/:id/following`: two tabs, newest first, "more" loads the
/// next page.
#[function_component(FollowPage)]
pub fn follow_page(props: &FollowPageProps) -> Html {
    let lang = use_lang();
    let toaster = use_toaster();
    let list = use_state(CursorList::<UserSummary>::default);
    let busy = use_state(|| false);
    let owner = use_state(|| None::<UserProfile>);
    let (id, which) = (props.id, props.which);

    let load_more = {
        let list = list.clone();
        let busy = busy.clone();
        let toaster = toaster.clone();
        Callback::from(move |cursor: Option<String>| {
            busy.set(true);
            let list = list.clone();
            let busy = busy.clone();
            let toaster = toaster.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match api::follow_list(id, which, FOLLOW_PAGE_SIZE, cursor).await {
                    Ok(page) => {
                        let mut next = (*list).clone();
                        next.push_page(page);
                        list.set(next);
                    }
                    Err(e) => {
                        toaster.api(&e);
                        let mut next = (*list).clone();
                        next.loaded = true;
                        list.set(next);
                    }
                }
                busy.set(false);
            });
        })
    };
    {
        let load_more = load_more.clone();
        let owner = owner.clone();
        use_effect_with((id, which), move |_| {
            load_more.emit(None);
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(p) = api::profile(id).await {
                    owner.set(Some(p));
                }
            });
        });
    }
    let on_more = {
        let cursor = list.next_cursor.clone();
        Callback::from(move |_: MouseEvent| load_more.emit(cursor.clone()))
    };

    let tab = |route: Route, key: Key, active: bool, count: Option<u64>| {
        html! {
            <span class={classes!("tab", active.then_some("active"))} aria-current={active.then_some("page")}>
                <Link<Route> to={route} classes="tab-link">
                    { lang.t(key) }
                    if let Some(n) = count { <span class="tab-count">{ n }</span> }
                </Link<Route>>
            </span>
        }
    };
    let name = owner.as_ref().map(|p| p.name.clone()).unwrap_or_default();

    html! {
        <section class="page follow-page" data-list={which.path()}>
            <div class="section-head">
                <div>
                    <h1 class="follow-owner">
                        <UserLink id={id} name={if name.is_empty() { "…".to_owned() } else { name }} />
                    </h1>
                </div>
                <Link<Route> to={Route::User { id }} classes="btn btn-ghost btn-sm">
                    <span aria-hidden="true">{ "← " }</span>{ lang.t(Key::BackToProfile) }
                </Link<Route>>
            </div>
            <nav class="tabs" id="follow-tabs">
                { tab(Route::Followers { id }, Key::Followers, which == FollowList::Followers,
                    owner.as_ref().map(|p| p.follower_count)) }
                { tab(Route::Following { id }, Key::Following, which == FollowList::Following,
                    owner.as_ref().map(|p| p.following_count)) }
            </nav>
            <div class="panel">
                if !list.loaded {
                    <p class="hint">{ lang.t(Key::Loading) }</p>
                } else if list.items.is_empty() {
                    <p class="empty" id="follow-empty">{ lang.t(Key::FollowListEmpty) }</p>
                } else {
                    <ul class="user-list" id="follow-list">
                        { for list.items.iter().map(|u| html! {
                            <li class="user-row" data-user-id={u.id.to_string()}>
                                <Avatar name={u.name.clone()} url={u.avatar_url.clone().map(AttrValue::from)} />
                                <UserLink id={u.id} name={u.name.clone()} />
                            </li>
                        }) }
                    </ul>
                }
                if list.has_more() {
                    <button id="load-more" type="button" class="btn btn-ghost btn-block" disabled={*busy} onclick={on_more}>
                        { lang.t(if *busy { Key::Loading } else { Key::LoadMore }) }
                    </button>
                }
            </div>
        </section>
    }
}
