use crate::components::avatar::{Avatar, UserLink};
use crate::context::use_lang;
use crate::i18n::Key;
use crate::state::results_board;
use onair_shared::protocol::ActResult;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ResultsBoardProps {
    pub results: Vec<ActResult>,
    #[prop_or_default]
    pub early: bool,
}

/// `#results-board`: every act, best mean first; equal means share a place.
#[function_component(ResultsBoard)]
pub fn results_board_view(props: &ResultsBoardProps) -> Html {
    let lang = use_lang();
    let rows = results_board(&props.results);
    html! {
        <section id="results-board" class="panel results-board" aria-labelledby="results-title">
            <h2 id="results-title" class="results-title">
                <span aria-hidden="true">{ "🏆 " }</span>{ lang.t(Key::Results) }
            </h2>
            if props.early {
                <p class="hint">{ lang.t(Key::ShowEndedEarly) }</p>
            }
            <div class="results-head" aria-hidden="true">
                <span>{ lang.t(Key::RankCol) }</span>
                <span>{ lang.t(Key::NameCol) }</span>
                <span>{ lang.t(Key::AverageCol) }</span>
            </div>
            <ol class="results">
                { for rows.iter().map(|row| {
                    let r = &row.result;
                    let medal = match row.rank {
                        Some(1) => "gold",
                        Some(2) => "silver",
                        Some(3) => "bronze",
                        _ => "",
                    };
                    html! {
                        <li class={classes!("result", (!medal.is_empty()).then_some(medal))}
                            data-user-id={r.performer.to_string()} data-rank={row.rank.map(|n| n.to_string())}>
                            <span class="result-rank">{ row.rank.map_or("–".to_owned(), |n| n.to_string()) }</span>
                            <Avatar name={r.name.clone()} class="avatar-sm" />
                            <span class="result-name">
                                <UserLink id={r.performer} name={r.name.clone()} new_tab=true />
                            </span>
                            <span class="result-score" data-average={r.average.map(|a| format!("{a:.2}"))}>
                                { match r.average {
                                    Some(avg) => format!("{avg:.2}"),
                                    None => lang.t(Key::NoScore).to_owned(),
                                } }
                                if r.average.is_some() { <small>{ lang.t(Key::Points) }</small> }
                            </span>
                        </li>
                    }
                }) }
            </ol>
        </section>
    }
}
