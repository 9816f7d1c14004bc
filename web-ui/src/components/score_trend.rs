use crate::chart::{md, polyline, trend_points, y_ticks, ymd, TREND_BOX};
use crate::context::use_lang;
use crate::i18n::Key;
use onair_shared::api::ScoreHistoryItem;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ScoreTrendProps {
    /// Ranked acts, newest first (as the API lists them).
    pub history: Vec<ScoreHistoryItem>,
}

/// `#score-trend`: an inline SVG line chart of a user's ranked acts, oldest to newest, one
/// `circle.trend-point` per act with a score, the y axis from 0 to 100.
#[function_component(ScoreTrend)]
pub fn score_trend(props: &ScoreTrendProps) -> Html {
    let lang = use_lang();
    let b = TREND_BOX;
    let points = trend_points(&props.history, &b);
    if points.is_empty() {
        return html! {
            <figure id="score-trend" class="trend trend-empty" data-points="0">
                <span class="trend-empty-icon" aria-hidden="true">{ "📈" }</span>
                <p>{ lang.t(Key::TrendEmpty) }</p>
            </figure>
        };
    }
    let first = points.first().map(|p| p.date).unwrap_or_default();
    let last = points.last().map(|p| p.date).unwrap_or_default();
    let line = polyline(&points);
    // The area under the line, closed along the x axis.
    let area = format!(
        "{} {},{} {},{}",
        line,
        points.last().map(|p| p.x).unwrap_or_default(),
        b.plot_bottom(),
        points.first().map(|p| p.x).unwrap_or_default(),
        b.plot_bottom()
    );
    let title = lang.t(Key::ScoreTrend);
    html! {
        <figure id="score-trend" class="trend" data-points={points.len().to_string()}>
            <svg viewBox={format!("0 0 {} {}", b.width, b.height)} role="img" aria-label={title}
                preserveAspectRatio="xMidYMid meet">
                <title>{ title }</title>
                <defs>
                    <linearGradient id="trend-fill" x1="0" y1="0" x2="0" y2="1">
                        <stop offset="0%" stop-color="#ff3b5c" stop-opacity="0.35" />
                        <stop offset="100%" stop-color="#ff3b5c" stop-opacity="0" />
                    </linearGradient>
                </defs>
                <g class="trend-grid">
                    { for y_ticks(&b).into_iter().map(|(score, y)| html! {
                        <g>
                            <line x1={b.plot_left().to_string()} x2={b.plot_right().to_string()}
                                y1={y.to_string()} y2={y.to_string()} />
                            <text class="trend-tick" x={(b.plot_left() - 8.0).to_string()} y={(y + 4.0).to_string()}
                                text-anchor="end">{ score }</text>
                        </g>
                    }) }
                </g>
                <text class="trend-axis-label trend-axis-y" x="12" y={((b.plot_top() + b.plot_bottom()) / 2.0).to_string()}
                    text-anchor="middle"
                    transform={format!("rotate(-90 12 {})", (b.plot_top() + b.plot_bottom()) / 2.0)}>
                    { lang.t(Key::TrendAxisScore) }
                </text>
                if points.len() == 1 {
                    <text class="trend-tick" x={points[0].x.to_string()} y={(b.plot_bottom() + 18.0).to_string()}
                        text-anchor="middle">{ md(first) }</text>
                } else {
                    <text class="trend-tick" x={b.plot_left().to_string()} y={(b.plot_bottom() + 18.0).to_string()}
                        text-anchor="start">{ md(first) }</text>
                    <text class="trend-tick" x={b.plot_right().to_string()} y={(b.plot_bottom() + 18.0).to_string()}
                        text-anchor="end">{ md(last) }</text>
                }
                <text class="trend-axis-label trend-axis-x" x={((b.plot_left() + b.plot_right()) / 2.0).to_string()}
                    y={(b.height - 4.0).to_string()} text-anchor="middle">
                    { lang.t(Key::TrendAxisActs) }
                </text>
                if points.len() > 1 {
                    <polygon class="trend-area" points={area} fill="url(#trend-fill)" />
                    <polyline class="trend-line" points={line} />
                }
                { for points.iter().map(|p| html! {
                    <circle class="trend-point" cx={p.x.to_string()} cy={p.y.to_string()} r="5"
                        data-average={format!("{:.2}", p.average)}>
                        <title>{ format!("{} · {} · {:.2}", ymd(p.date), p.room_title, p.average) }</title>
                    </circle>
                }) }
            </svg>
        </figure>
    }
}
