//! The score-trend chart's geometry, pure so it is unit-tested on the host: where each ranked
//! act's point goes in the SVG, the axis ticks and the date labels.

use onair_shared::api::ScoreHistoryItem;
use onair_shared::protocol::{SCORE_MAX, SCORE_MIN};

/// The SVG's coordinate box (`viewBox="0 0 width height"`) and the plot's margins inside it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChartBox {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

/// The profile chart: wide and short; scales down with the page (the SVG keeps its ratio).
pub const TREND_BOX: ChartBox = ChartBox {
    width: 640.0,
    height: 240.0,
    left: 48.0,
    right: 20.0,
    top: 16.0,
    bottom: 40.0,
};

impl ChartBox {
    pub fn plot_left(&self) -> f64 {
        self.left
    }
    pub fn plot_right(&self) -> f64 {
        self.width - self.right
    }
    pub fn plot_top(&self) -> f64 {
        self.top
    }
    pub fn plot_bottom(&self) -> f64 {
        self.height - self.bottom
    }

    /// The y of a score (0 at the bottom, 100 at the top); out-of-range values are clamped.
    pub fn y_of(&self, score: f64) -> f64 {
        let (lo, hi) = (SCORE_MIN as f64, SCORE_MAX as f64);
        let s = score.clamp(lo, hi);
        self.plot_bottom() - (s - lo) / (hi - lo) * (self.plot_bottom() - self.plot_top())
    }

    /// The x of the `i`-th of `n` evenly spaced points; a lone point sits in the middle.
    pub fn x_of(&self, i: usize, n: usize) -> f64 {
        if n <= 1 {
            return (self.plot_left() + self.plot_right()) / 2.0;
        }
        self.plot_left() + i as f64 * (self.plot_right() - self.plot_left()) / (n - 1) as f64
    }
}

/// One ranked act on the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    pub x: f64,
    pub y: f64,
    pub average: f64,
    /// Unix seconds.
    pub date: i64,
    pub room_title: String,
}

/// The acts with a score, oldest first, placed in `b`. The API lists history newest first;
/// acts nobody scored (`average: null`) have no point.
pub fn trend_points(history_newest_first: &[ScoreHistoryItem], b: &ChartBox) -> Vec<TrendPoint> {
    let scored: Vec<&ScoreHistoryItem> = history_newest_first
        .iter()
        .rev()
        .filter(|item| item.average.is_some())
        .collect();
    let n = scored.len();
    scored
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let average = item.average.unwrap_or_default();
            TrendPoint {
                x: round2(b.x_of(i, n)),
                y: round2(b.y_of(average)),
                average,
                date: item.date,
                room_title: item.room_title.clone(),
            }
        })
        .collect()
}

/// `points` for an SVG `<polyline>`.
pub fn polyline(points: &[TrendPoint]) -> String {
    points
        .iter()
        .map(|p| format!("{},{}", p.x, p.y))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The y-axis ticks: (score, y).
pub fn y_ticks(b: &ChartBox) -> Vec<(i64, f64)> {
    (0..=4)
        .map(|i| {
            let score = SCORE_MIN + i * (SCORE_MAX - SCORE_MIN) / 4;
            (score, round2(b.y_of(score as f64)))
        })
        .collect()
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// `YYYY-MM-DD` (UTC) of a unix time in seconds.
pub fn ymd(unix_secs: i64) -> String {
    let (y, m, d) = civil_from_days(unix_secs.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `MM-DD` (UTC), for the chart's x-axis where room is short.
pub fn md(unix_secs: i64) -> String {
    let (_, m, d) = civil_from_days(unix_secs.div_euclid(86_400));
    format!("{m:02}-{d:02}")
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use onair_shared::{RoomId, RoundId};

    fn act(round: u32, date: i64, average: Option<f64>) -> ScoreHistoryItem {
        ScoreHistoryItem {
            room: RoomId(1),
            room_title: format!("room {round}"),
            round: RoundId(round),
            date,
            average,
            count: u32::from(average.is_some()),
        }
    }

    #[test]
    fn no_acts_no_points() {
        assert!(trend_points(&[], &TREND_BOX).is_empty());
        assert!(trend_points(&[act(1, 0, None)], &TREND_BOX).is_empty());
        assert_eq!(polyline(&[]), "");
    }

    #[test]
    fn one_act_sits_in_the_middle() {
        let pts = trend_points(&[act(1, 100, Some(50.0))], &TREND_BOX);
        assert_eq!(pts.len(), 1);
        let mid_x = (TREND_BOX.plot_left() + TREND_BOX.plot_right()) / 2.0;
        let mid_y = (TREND_BOX.plot_top() + TREND_BOX.plot_bottom()) / 2.0;
        assert_eq!((pts[0].x, pts[0].y), (mid_x, mid_y));
    }

    #[test]
    fn points_run_oldest_to_newest_and_skip_unscored_acts() {
        // Newest first, as the API sends them.
        let history = [
            act(4, 400, Some(100.0)),
            act(3, 300, None),
            act(2, 200, Some(0.0)),
            act(1, 100, Some(75.5)),
        ];
        let pts = trend_points(&history, &TREND_BOX);
        assert_eq!(pts.len(), 3, "the act nobody scored has no point");
        let dates: Vec<i64> = pts.iter().map(|p| p.date).collect();
        assert_eq!(dates, [100, 200, 400]);
        assert_eq!(pts[0].x, TREND_BOX.plot_left());
        assert_eq!(pts[2].x, TREND_BOX.plot_right());
        assert_eq!(
            pts[1].x,
            (TREND_BOX.plot_left() + TREND_BOX.plot_right()) / 2.0
        );
        assert_eq!(pts[1].y, TREND_BOX.plot_bottom(), "0 is at the bottom");
        assert_eq!(pts[2].y, TREND_BOX.plot_top(), "100 is at the top");
        assert!(pts[0].y > TREND_BOX.plot_top() && pts[0].y < TREND_BOX.plot_bottom());
        assert_eq!(pts[0].average, 75.5);
        assert_eq!(
            polyline(&pts),
            format!(
                "{},{} {},{} {},{}",
                pts[0].x, pts[0].y, pts[1].x, pts[1].y, pts[2].x, pts[2].y
            )
        );
    }

    #[test]
    fn points_for_n_acts_are_evenly_spaced() {
        for n in 2..=12usize {
            let history: Vec<_> = (0..n)
                .rev()
                .map(|i| act(i as u32, i as i64, Some(i as f64 * 8.0)))
                .collect();
            let pts = trend_points(&history, &TREND_BOX);
            assert_eq!(pts.len(), n);
            let step = (TREND_BOX.plot_right() - TREND_BOX.plot_left()) / (n - 1) as f64;
            for w in pts.windows(2) {
                assert!((w[1].x - w[0].x - step).abs() < 0.02, "n={n}");
                assert!(w[1].y <= w[0].y, "higher scores are higher up");
            }
        }
    }

    #[test]
    fn scores_are_clamped_and_ticks_cover_the_range() {
        assert_eq!(TREND_BOX.y_of(150.0), TREND_BOX.plot_top());
        assert_eq!(TREND_BOX.y_of(-5.0), TREND_BOX.plot_bottom());
        let ticks = y_ticks(&TREND_BOX);
        let scores: Vec<i64> = ticks.iter().map(|t| t.0).collect();
        assert_eq!(scores, [0, 25, 50, 75, 100]);
        assert_eq!(ticks[0].1, TREND_BOX.plot_bottom());
        assert_eq!(ticks[4].1, TREND_BOX.plot_top());
    }

    #[test]
    fn dates() {
        assert_eq!(ymd(0), "1970-01-01");
        assert_eq!(ymd(1_764_012_345), "2025-11-24");
        assert_eq!(ymd(951_782_400), "2000-02-29");
        assert_eq!(md(1_764_012_345), "11-24");
        assert_eq!(ymd(-86_400), "1969-12-31");
    }
}
