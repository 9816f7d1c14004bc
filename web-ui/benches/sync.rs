//! How far apart the browsers' backing tracks play (issue 17, docs/ARCHITECTURE.md
//! "Sing-along"): a measuring program, not a test. It starts both servers, the local YouTube
//! stand-in and media files (as the browser tests do), opens a room in N headless Chromiums,
//! plays a track and, for the given time, reads every browser's "track position − wall clock"
//! every 200 ms. Browsers that play in step have the same value (they share this machine's
//! clock), so the spread (largest − smallest) at each sample is the sync error between them.
//! It prints the spread's p50/p90/p99/max overall and for each 10 s window.
//!
//! ```sh
//! cargo xtask dist
//! ONAIR_WEB_DIST=$PWD/web-ui/dist flock /tmp/onair-bench.lock \
//!   cargo bench -p onair-web-ui --bench sync -- --secs 60 --browsers 3 --kind youtube
//! ```

#[path = "../tests/common/mod.rs"]
mod common;

use common::{Browser, Options, Stack};
use std::time::{Duration, Instant};

struct Args {
    secs: u64,
    browsers: usize,
    youtube: bool,
}

fn args() -> Args {
    let mut a = Args {
        secs: 60,
        browsers: 3,
        youtube: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--secs" => a.secs = it.next().and_then(|v| v.parse().ok()).unwrap_or(a.secs),
            "--browsers" => {
                a.browsers = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(a.browsers)
                    .clamp(2, 8)
            }
            "--kind" => a.youtube = it.next().as_deref() != Some("file"),
            // cargo bench passes --bench; anything else is ignored.
            _ => {}
        }
    }
    a
}

/// "Track position − wall clock" (ms) in this browser, `None` while its track is not playing.
async fn phase_of(b: &Browser) -> Option<f64> {
    b.js("const v = document.querySelector('#track-host video');
          if (!v || v.paused || v.readyState < 3) return null;
          return v.currentTime * 1000 - Date.now();")
        .await
        .as_f64()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn summary(spreads: &[f64]) -> String {
    let mut s = spreads.to_vec();
    s.sort_by(f64::total_cmp);
    format!(
        "n {:>4}  p50 {:>6.1}  p90 {:>6.1}  p99 {:>6.1}  max {:>6.1} ms",
        s.len(),
        percentile(&s, 0.5),
        percentile(&s, 0.9),
        percentile(&s, 0.99),
        s.last().copied().unwrap_or(f64::NAN)
    )
}

fn main() {
    let args = args();
    actix_rt::System::new().block_on(run(args));
}

async fn run(args: Args) {
    let options = Options {
        media: true,
        ..Options::default()
    };
    let Some(stack) = Stack::start_with("sync-bench", options).await else {
        eprintln!("sync: needs the web UI bundle, Chromium and chromedriver (cargo xtask dist)");
        std::process::exit(2);
    };
    let media = stack.media_url.clone().expect("the media stand-ins");
    let mut browsers = Vec::new();
    for _ in 0..args.browsers {
        browsers.push(stack.browser().await);
    }
    let host = &browsers[0];
    let room = host.open_room("Host", "Sync bench").await;
    for (i, b) in browsers.iter().enumerate().skip(1) {
        b.join_room(&format!("Guest {i}"), room, "").await;
    }
    let url = if args.youtube {
        "https://youtu.be/toneA_12345".to_owned()
    } else {
        format!("{media}/media/track.wav")
    };
    // The host controls the track in the lobby.
    host.type_into("#track-url", &url).await;
    host.click("#track-set").await;
    host.wait_for("#backing-track[data-state=\"paused\"]").await;
    host.click("#track-play").await;
    for b in &browsers {
        b.wait_for("#backing-track[data-state=\"playing\"]").await;
    }
    let started = Instant::now();
    // Time for the players to load and the clocks to sync, as a viewer would see it settle.
    let mut first_in_step = None;
    let mut spreads: Vec<(f64, f64)> = Vec::new();
    let mut missing = 0usize;
    let run_for = Duration::from_secs(args.secs);
    while started.elapsed() < run_for {
        let tick = Instant::now();
        let mut phases = Vec::with_capacity(browsers.len());
        for b in &browsers {
            phases.push(phase_of(b).await);
        }
        if phases.iter().all(Option::is_some) {
            let p: Vec<f64> = phases.into_iter().flatten().collect();
            let spread = p.iter().copied().fold(f64::MIN, f64::max)
                - p.iter().copied().fold(f64::MAX, f64::min);
            let at = started.elapsed().as_secs_f64();
            if first_in_step.is_none() && spread <= 120.0 {
                first_in_step = Some(at);
            }
            spreads.push((at, spread));
        } else {
            missing += 1;
        }
        tokio::time::sleep(Duration::from_millis(200).saturating_sub(tick.elapsed())).await;
    }

    println!(
        "sync: {} browsers, {} track, {} s, a sample every 200 ms ({} samples with a player not playing)",
        args.browsers,
        if args.youtube { "YouTube stand-in" } else { "file (WAV)" },
        args.secs,
        missing
    );
    match first_in_step {
        Some(t) => println!("first within 120 ms after {t:.1} s"),
        None => println!("never within 120 ms"),
    }
    let settled: Vec<f64> = spreads
        .iter()
        .filter(|(at, _)| *at >= 10.0)
        .map(|(_, s)| *s)
        .collect();
    let all: Vec<f64> = spreads.iter().map(|(_, s)| *s).collect();
    println!(
        "spread between browsers, all samples:     {}",
        summary(&all)
    );
    println!(
        "spread between browsers, after the first 10 s: {}",
        summary(&settled)
    );
    let windows = (args.secs as usize).div_ceil(10);
    for w in 0..windows {
        let (from, to) = (w as f64 * 10.0, (w + 1) as f64 * 10.0);
        let window: Vec<f64> = spreads
            .iter()
            .filter(|(at, _)| *at >= from && *at < to)
            .map(|(_, s)| *s)
            .collect();
        println!("  {from:>4.0}–{to:<4.0} s  {}", summary(&window));
    }
    for b in browsers {
        b.close().await;
    }
    stack.stop().await;
}
