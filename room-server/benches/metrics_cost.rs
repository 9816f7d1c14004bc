//! What the room-server's metrics cost per frame written to a connection, measured apart from
//! the rest of the server (the load generator's figures move with everything else on the
//! machine): `metrics.frame_out(type, accepted)` as a session calls it, counter and fan-out
//! sample, on one thread and on two threads writing at once (both workers of a 2-core server).
//!
//! `cargo bench -p onair-room-server --bench metrics_cost`

use onair_room_server::metrics::Metrics;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

const CALLS: u64 = 20_000_000;

/// Nanoseconds per call of `f` on each of `threads` threads at once.
fn per_call(threads: usize, f: impl Fn(u64) + Sync) -> f64 {
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for i in 0..CALLS {
                    f(black_box(i));
                }
            });
        }
    });
    started.elapsed().as_nanos() as f64 / CALLS as f64
}

fn main() {
    let metrics = Arc::new(Metrics::new());
    // Histogram samples pile up until folded into buckets; do it as the server does.
    let upkeep = {
        let metrics = metrics.clone();
        std::thread::spawn(move || {
            for _ in 0..40 {
                std::thread::sleep(std::time::Duration::from_millis(250));
                metrics.registry().render();
            }
        })
    };
    let accepted = Instant::now();
    for threads in [1, 2] {
        let clock = per_call(threads, |i| {
            black_box(accepted.elapsed());
            black_box(i);
        });
        let counter = per_call(threads, |_| metrics.frame_out("chat", None));
        let full = per_call(threads, |_| metrics.frame_out("chat", Some(accepted)));
        println!(
            "{threads} thread(s): clock read {clock:.1} ns; frame_out counter only {counter:.1} ns; \
             counter + fan-out sample {full:.1} ns per frame written"
        );
    }
    let _ = upkeep.join();
    println!(
        "at 100,000 frames/s (the fan-out benchmark), counter + sample cost about {:.2}% of one core",
        per_call(1, |_| metrics.frame_out("chat", Some(accepted))) * 100_000.0 / 1e9 * 100.0
    );
}
