//! A Prometheus registry per server, on the `metrics` crate and its Prometheus exporter.
//!
//! Each server builds its own [`Registry`] instead of installing the process-wide recorder, so
//! two servers in one process (the tests run several) keep their own figures. Handles
//! ([`Counter`], [`Gauge`], [`Histogram`]) are registered once, when the server starts or on a
//! label value's first use, and kept: counting is then an atomic add, with no lock and no
//! lookup on the request path. Label values come from fixed sets ([`Family`]), so no client can
//! grow the number of series.

use actix_web::http::header::ContentType;
use actix_web::HttpResponse;
use metrics::{Key, KeyName, Label, Metadata, Recorder, SharedString};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use std::collections::HashMap;
use std::time::Duration;

pub use metrics::{Counter, Gauge, Histogram};

/// The Prometheus text format's content type.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// How often histogram samples are folded into their buckets when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

pub struct Registry {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
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
        Registry { recorder, handle }
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
    /// `other`. Every series exists (at 0) from the start.
    pub fn family(
        &self,
        name: &'static str,
        help: &'static str,
        label: &'static str,
        values: impl IntoIterator<Item = &'static str>,
        other: &'static str,
    ) -> Family {
        let by_value = values
            .into_iter()
            .map(|value| (value, self.counter(name, help, &[(label, value)])))
            .collect();
        Family {
            by_value,
            other: self.counter(name, help, &[(label, other)]),
        }
    }

    /// The text exposition of every series.
    pub fn render(&self) -> String {
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

/// Counters of one metric by a label whose values are a fixed set of `&'static str`; looking a
/// value up takes no lock (the map is never written after it is built).
pub struct Family {
    by_value: HashMap<&'static str, Counter>,
    other: Counter,
}

impl Family {
    /// The counter of `value`, or of `other` for a value outside the set.
    pub fn get(&self, value: &str) -> &Counter {
        self.by_value.get(value).unwrap_or(&self.other)
    }

    /// The counter of `other`.
    pub fn other(&self) -> &Counter {
        &self.other
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
        frames.get("chat").increment(2);
        frames.get("made_up").increment(1);
        frames.get("another_made_up").increment(1);
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
    }
}
