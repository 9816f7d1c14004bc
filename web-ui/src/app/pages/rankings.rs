use crate::app::Route;
use crate::components::avatar::{Avatar, UserLink};
use crate::context::{use_lang, use_session, use_toaster};
use crate::i18n::Key;
use crate::pagination::{parse_page, Pager, RANKING_PAGE_SIZE};
use crate::services::api;
use onair_shared::api::RankingPage;
use serde::{Deserialize, Serialize};
use yew::prelude::*;
use yew_router::prelude::*;

/// `/rankings?page=2`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RankingQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
}

/// `/rankings`: the global ranking by cumulative ranked score, a page at a time. Ranks come
/// from the server (equal scores share a rank).
#[function_component(RankingsPage)]
pub fn rankings_page() -> Html {
    let lang = use_lang();
    let toaster = use_toaster();
    let session = use_session();
    let navigator = use_navigator();
    let location = use_location();
    let page = parse_page(
        location
            .and_then(|l| l.query::<RankingQuery>().ok())
            .and_then(|q| q.page)
            .as_deref(),
    );
    let data = use_state(|| None::<RankingPage>);

    {
        let data = data.clone();
        use_effect_with(page, move |&page| {
            data.set(None);
            let pager = Pager::new(page, RANKING_PAGE_SIZE, 0);
            wasm_bindgen_futures::spawn_local(async move {
                match api::rankings(RANKING_PAGE_SIZE, pager.offset()).await {
                    Ok(p) => data.set(Some(p)),
                    Err(e) => {
                        toaster.api(&e);
                        data.set(Some(RankingPage {
                            items: vec![],
                            total: 0,
                        }));
                    }
                }
            });
        });
    }

    let go = |to: Option<u32>| {
        let navigator = navigator.clone();
        Callback::from(move |_: MouseEvent| {
            if let (Some(nav), Some(p)) = (&navigator, to) {
                let query = RankingQuery {
                    page: (p > 1).then(|| p.to_string()),
                };
                let _ = nav.push_with_query(&Route::Rankings, &query);
            }
        })
    };
    let me = session.user.as_ref().map(|u| u.id);
    let pager = Pager::new(
        page,
        RANKING_PAGE_SIZE,
        data.as_ref().map_or(0, |d| d.total),
    );

    html! {
        <section class="page rankings-page">
            <div class="section-head">
                <div>
                    <h1>{ lang.t(Key::RankingsTitle) }</h1>
                    <p class="subtitle">{ lang.t(Key::RankingsSubtitle) }</p>
                </div>
            </div>
            <div class="panel ranking-panel">
                if let Some(d) = &*data {
                    if d.items.is_empty() {
                        <p class="empty" id="rankings-empty">{ lang.t(Key::RankingsEmpty) }</p>
                    } else {
                        <table class="ranking-table" id="ranking-table">
                            <thead>
                                <tr>
                                    <th scope="col" class="ranking-rank">{ lang.t(Key::RankCol) }</th>
                                    <th scope="col">{ lang.t(Key::NameCol) }</th>
                                    <th scope="col" class="ranking-acts">{ lang.t(Key::ActsCol) }</th>
                                    <th scope="col" class="ranking-score">{ lang.t(Key::ScoreCol) }</th>
                                </tr>
                            </thead>
                            <tbody>
                                { for d.items.iter().map(|e| {
                                    let medal = match e.rank { 1 => "gold", 2 => "silver", 3 => "bronze", _ => "" };
                                    html! {
                                        <tr class={classes!("ranking-row", (!medal.is_empty()).then_some(medal),
                                                (Some(e.user.id) == me).then_some("me"))}
                                            data-user-id={e.user.id.to_string()} data-rank={e.rank.to_string()}>
                                            <td class="ranking-rank">{ e.rank }</td>
                                            <td class="ranking-name">
                                                <Avatar name={e.user.name.clone()} url={e.user.avatar_url.clone().map(AttrValue::from)} class="avatar-sm" />
                                                <UserLink id={e.user.id} name={e.user.name.clone()} />
                                            </td>
                                            <td class="ranking-acts">{ e.acts }</td>
                                            <td class="ranking-score">{ format!("{:.2}", e.cumulative_score) }</td>
                                        </tr>
                                    }
                                }) }
                            </tbody>
                        </table>
                    }
                    <div class="pager">
                        <button id="rankings-prev" type="button" class="btn btn-ghost btn-sm"
                            disabled={!pager.has_prev()} onclick={go(pager.prev())}>
                            <span aria-hidden="true">{ "← " }</span>{ lang.t(Key::Prev) }
                        </button>
                        <span class="pager-pos" id="rankings-page">
                            { format!("{} {} / {}", lang.t(Key::PageLabel), pager.page, pager.pages()) }
                        </span>
                        <button id="rankings-next" type="button" class="btn btn-ghost btn-sm"
                            disabled={!pager.has_next()} onclick={go(pager.next())}>
                            { lang.t(Key::Next) }<span aria-hidden="true">{ " →" }</span>
                        </button>
                    </div>
                } else {
                    <p class="hint">{ lang.t(Key::Loading) }</p>
                }
            </div>
        </section>
    }
}
