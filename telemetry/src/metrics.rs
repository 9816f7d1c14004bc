//! A Prometheus registry per server, on the `metrics` crate and its Prometheus exporter.
//!
//! Each server builds its own [`Registry`] instead of installing the process-wide recorder, so
//! two servers in one process (the tests run several) keep their own figures. Handles
//! ([`Counter`], [`Gauge`], [`Histogram`]) are registered once, when the server starts or on a
//! label value's first use, and kept: counting is then an atomic add, with no lock and no
//! lookup on the request path. Label values come from fixed sets ([`Family`]), so no client can
//! grow the number of series.
//!
//! What is counted for every frame a server writes ([`Family`], [`ShardedHistogram`]) is kept
//! per thread: two threads adding to one atomic pass its cache line back and forth on every
//! add, which measured several times the cost of the add itself (`benches/metrics_cost.rs` in
//! the room-server).

use actix_web::http::header::ContentType;
use actix_web::HttpResponse;
use metrics::{Key, KeyName, Label, Metadata, Recorder, SharedString};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

pub use metrics::{Counter, Gauge, Histogram};

/// The Prometheus text format's content type.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// How often histogram samples are folded into their buckets. Until then each waits in a
/// queue (8 bytes): at the room-server's 100,000 frames a second that is 800 KB a second.
const UPKEEP_EVERY: Duration = Duration::from_secs(1);

pub struct Registry {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
    /// Per-thread counts, added up into their counters as the text is rendered.
    families: Mutex<Vec<Arc<FamilyCounts>>>,
}

/// Threads are spread over this many slots; each thread adds to its own.
const SHARDS: usize = 16;

/// This thread's slot, from 0 to `SHARDS - 1`.
fn shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local!(static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS);
    SHARD.with(|s| *s)
}

static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

impl Registry {
    /// `histograms`: the bucket bounds of each histogram by name (a histogram without them is
    /// rendered as a summary, which cannot be aggregated across instances).
    pub fn new(histograms: &[(&str, &[f64])]) -> Registry {
        let mut builder = PrometheusBuilder::new();
        for (name, buckets) in histograms {
            builder = builder
                .set_buckets_for_metric(Matcher::Full((*name).to_owned()), buckets)
                .expect("bucket bounds are given for every histogram");
        }
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        Registry {
            recorder: Arc::new(recorder),
            handle,
            families: Mutex::default(),
        }
    }

    pub fn counter(
        &self,
        name: &'static str,
        help: &'static str,
        labels: &[(&'static str, &'static str)],
    ) -> Counter {
        self.recorder.describe_counter(
            KeyName::from_const_str(name),
            None,
            SharedString::const_str(help),
        );
        self.recorder
            .register_counter(&key(name, labels), &METADATA)
    }

    pub fn gauge(
        &self,
        name: &'static str,
        help: &'static str,
        labels: &[(&'static str, &'static str)],
    ) -> Gauge {
        self.recorder.describe_gauge(
            KeyName::from_const_str(name),
            None,
            SharedString::const_str(help),
        );
        self.recorder.register_gauge(&key(name, labels), &METADATA)
    }

    pub fn histogram(
        &self,
        name: &'static str,
        help: &'static str,
        labels: &[(&'static str, &'static str)],
    ) -> Histogram {
        self.recorder.describe_histogram(
            KeyName::from_const_str(name),
            None,
            SharedString::const_str(help),
        );
        self.recorder
            .register_histogram(&key(name, labels), &METADATA)
    }

    /// A counter per value of one label, for a fixed set of values; anything else counts under
    /// `other`. Every series exists (at 0) from the start. Counted per thread, added up when
    /// the text is rendered: for what happens on every frame.
    pub fn family(
        &self,
        name: &'static str,
        help: &'static str,
        label: &'static str,
        values: impl IntoIterator<Item = &'static str>,
        other: &'static str,
    ) -> Family {
        let mut index = HashMap::new();
        let mut counters = Vec::new();
        for value in values {
            index.insert(value, counters.len());
            counters.push(self.counter(name, help, &[(label, value)]));
        }
        counters.push(self.counter(name, help, &[(label, other)]));
        let counts = Arc::new(FamilyCounts {
            shards: (0..SHARDS)
                .map(|_| Shard((0..counters.len()).map(|_| AtomicU64::new(0)).collect()))
                .collect(),
            counters,
        });
        self.families
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(counts.clone());
        Family { index, counts }
    }

    /// A histogram recorded per thread (a series per thread slot, label `shard`), for what is
    /// timed on every frame; add the slots up in queries (`sum by (le)`).
    pub fn sharded_histogram(&self, name: &'static str, help: &'static str) -> ShardedHistogram {
        self.recorder.describe_histogram(
            KeyName::from_const_str(name),
            None,
            SharedString::const_str(help),
        );
        ShardedHistogram {
            recorder: self.recorder.clone(),
            name,
            shards: (0..SHARDS).map(|_| OnceLock::new()).collect(),
        }
    }

    /// The text exposition of every series.
    pub fn render(&self) -> String {
        for family in self
            .families
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            family.publish();
        }
        self.handle.render()
    }

    /// `GET /metrics`.
    pub fn response(&self) -> HttpResponse {
        HttpResponse::Ok()
            .content_type(ContentType(
                CONTENT_TYPE.parse().expect("a valid content type"),
            ))
            .body(self.render())
    }

    /// Folds histogram samples into buckets every few seconds on the current runtime, so they do
    /// not pile up between scrapes (or when nothing scrapes). Ends with the runtime.
    pub fn keep_up(&self) {
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(UPKEEP_EVERY);
            loop {
                tick.tick().await;
                handle.run_upkeep();
            }
        });
    }
}

fn key(name: &'static str, labels: &[(&'static str, &'static str)]) -> Key {
    let labels: Vec<Label> = labels
        .iter()
        .map(|(k, v)| Label::from_static_parts(k, v))
        .collect();
    Key::from_parts(name, labels)
}

/// Counters of one metric by a label whose values are a fixed set of `&'static str`. Looking a
/// value up takes no lock (the map is never written after it is built); each thread adds to
/// counts of its own, which [`Registry::render`] adds up into the counters.
pub struct Family {
    index: HashMap<&'static str, usize>,
    counts: Arc<FamilyCounts>,
}

struct FamilyCounts {
    /// The counter of each value, `other` last.
    counters: Vec<Counter>,
    shards: Vec<Shard>,
}

/// One thread slot's counts, on cache lines of its own.
#[repr(align(128))]
struct Shard(Box<[AtomicU64]>);

impl Family {
    /// Counts one `value` (`other` for a value outside the set).
    pub fn increment(&self, value: &str) {
        let slot = self
            .index
            .get(value)
            .copied()
            .unwrap_or(self.counts.counters.len() - 1);
        self.counts.add(slot);
    }

    /// Counts one `other`.
    pub fn increment_other(&self) {
        self.counts.add(self.counts.counters.len() - 1);
    }
}

impl FamilyCounts {
    fn add(&self, slot: usize) {
        self.shards[shard()].0[slot].fetch_add(1, Ordering::Relaxed);
    }

    fn publish(&self) {
        for (slot, counter) in self.counters.iter().enumerate() {
            let total = self
                .shards
                .iter()
                .map(|s| s.0[slot].load(Ordering::Relaxed))
                .sum();
            counter.absolute(total);
        }
    }
}

/// A histogram with a series per thread slot (see [`Registry::sharded_histogram`]); a slot's
/// series appears once a thread of that slot records into it.
pub struct ShardedHistogram {
    recorder: Arc<PrometheusRecorder>,
    name: &'static str,
    shards: Vec<OnceLock<Histogram>>,
}

impl ShardedHistogram {
    pub fn record(&self, value: f64) {
        let slot = shard();
        self.shards[slot]
            .get_or_init(|| {
                const NAMES: [&str; SHARDS] = [
                    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14",
                    "15",
                ];
                self.recorder
                    .register_histogram(&key(self.name, &[("shard", NAMES[slot])]), &METADATA)
            })
            .record(value);
    }
}

/// Bucket bounds for latencies in seconds, from 0.5 ms to 10 s.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries_are_separate_and_families_bounded() {
        let a = Registry::new(&[("t_latency_seconds", LATENCY_BUCKETS)]);
        let b = Registry::new(&[]);
        let frames = a.family(
            "t_frames_total",
            "Frames.",
            "type",
            ["chat", "react"],
            "other",
        );
        frames.increment("chat");
        // Another thread's counts add up with this one's.
        std::thread::scope(|s| {
            s.spawn(|| frames.increment("chat"));
        });
        frames.increment("made_up");
        frames.increment_other();
        a.histogram("t_latency_seconds", "Latency.", &[])
            .record(0.003);
        b.counter("t_frames_total", "Frames.", &[("type", "chat")])
            .increment(7);

        let text = a.render();
        assert!(text.contains("# HELP t_frames_total Frames."), "{text}");
        assert!(text.contains("t_frames_total{type=\"chat\"} 2\n"), "{text}");
        assert!(
            text.contains("t_frames_total{type=\"react\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("t_frames_total{type=\"other\"} 2\n"),
            "{text}"
        );
        assert!(!text.contains("made_up"), "{text}");
        assert!(
            text.contains("t_latency_seconds_bucket{le=\"0.005\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("t_latency_seconds_count 1\n"), "{text}");
        assert!(b.render().contains("t_frames_total{type=\"chat\"} 7\n"));

        let sharded = b.sharded_histogram("t_fanout_seconds", "Fan-out.");
        sharded.record(0.001);
        std::thread::scope(|s| {
            s.spawn(|| sharded.record(0.002));
        });
        let text = b.render();
        let count: f64 = text
            .lines()
            .filter(|l| l.starts_with("t_fanout_seconds_count"))
            .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
            .sum();
        assert_eq!(count, 2.0, "{text}");
    }
}
