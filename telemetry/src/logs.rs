//! The process's one `tracing` subscriber.
//!
//! Filtering follows `RUST_LOG` (default `info`). Our own code logs through `tracing`; the
//! `log` records of dependencies (actix, r2d2, reqwest, ...) are bridged into the same
//! subscriber, so every line has one format.

use std::io::IsTerminal;
use std::str::FromStr;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// How log lines are written (to stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// One human-readable line per event, with the fields of its spans.
    #[default]
    Text,
    /// One JSON object per line, for a log collector: `timestamp`, `level`, `target`, the
    /// event's fields and its span's fields (`span.request_id`, ...).
    Json,
}

impl LogFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<LogFormat, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("expected text or json, got {other:?}")),
        }
    }
}

impl std::fmt::Display for LogFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where and how to log: settings of both binaries (flattened into their `--help`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LogSettings {
    /// How log lines are written to stderr: `text` (for people) or `json` (one object per line,
    /// for a log collector). Filter with RUST_LOG (default info).
    #[arg(
        long = "log-format",
        env = "ONAIR_LOG_FORMAT",
        default_value = "text",
        value_name = "text|json"
    )]
    pub format: LogFormat,
    /// Export spans over OTLP/HTTP to this collector, e.g. http://otel-collector:4318. Only in
    /// builds with `--features otlp`; unset: no export.
    #[arg(
        long = "otlp-endpoint",
        env = "ONAIR_OTLP_ENDPOINT",
        value_name = "URL"
    )]
    pub otlp_endpoint: Option<String>,
}

/// Keeps the exporter running; flushes it on drop (at the end of `main`).
#[must_use = "dropping the guard stops the span export"]
pub struct LogGuard {
    #[cfg(feature = "otlp")]
    _otlp: Option<crate::logs::otlp::Exporter>,
}

/// Installs the subscriber for the whole process, writing to stderr. `service` names the
/// binary in exported spans.
///
/// Errors: an OTLP endpoint on a build without the `otlp` feature, or an exporter that cannot be
/// built. A second call in one process (tests) keeps the first subscriber and succeeds.
pub fn init(service: &'static str, settings: &LogSettings) -> Result<LogGuard, String> {
    install(
        service,
        settings,
        std::io::stderr,
        std::io::stderr().is_terminal(),
    )
}

/// [`init`], writing lines to `writer` instead (tests read what a server logged).
pub fn init_with_writer<W>(
    service: &'static str,
    settings: &LogSettings,
    writer: W,
) -> Result<LogGuard, String>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    install(service, settings, writer, false)
}

fn install<W>(
    service: &'static str,
    settings: &LogSettings,
    writer: W,
    ansi: bool,
) -> Result<LogGuard, String>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = match settings.format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_ansi(ansi)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(writer)
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
    };

    #[cfg(not(feature = "otlp"))]
    {
        if let Some(endpoint) = &settings.otlp_endpoint {
            return Err(format!(
                "an OTLP endpoint is set ({endpoint}) but this binary was built without the \
                 `otlp` feature; rebuild with `--features otlp` or unset it"
            ));
        }
        let _ = service;
        let _ = tracing_subscriber::registry()
            .with(fmt.with_filter(filter()))
            .try_init();
        Ok(LogGuard {})
    }

    #[cfg(feature = "otlp")]
    {
        let exporter = match &settings.otlp_endpoint {
            Some(endpoint) => Some(otlp::Exporter::new(service, endpoint)?),
            None => None,
        };
        let layer = exporter.as_ref().map(|e| e.layer().with_filter(filter()));
        let _ = tracing_subscriber::registry()
            .with(fmt.with_filter(filter()))
            .with(layer)
            .try_init();
        Ok(LogGuard { _otlp: exporter })
    }
}

/// For tests: lines go to the test harness's captured output (shown for failing tests),
/// filtered by `RUST_LOG` (default: errors only). Any number of calls.
pub fn init_for_tests() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("error"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

#[cfg(feature = "otlp")]
mod otlp {
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_otlp::WithExportConfig;
    use opentelemetry_sdk::trace::SdkTracerProvider;
    use opentelemetry_sdk::Resource;

    pub struct Exporter {
        provider: SdkTracerProvider,
    }

    impl Exporter {
        pub fn new(service: &'static str, endpoint: &str) -> Result<Exporter, String> {
            let endpoint = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_endpoint(endpoint)
                .build()
                .map_err(|e| format!("cannot build the OTLP exporter: {e}"))?;
            let provider = SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(Resource::builder().with_service_name(service).build())
                .build();
            Ok(Exporter { provider })
        }

        pub fn layer<S>(&self) -> impl tracing_subscriber::Layer<S>
        where
            S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
        {
            tracing_opentelemetry::layer().with_tracer(self.provider.tracer("onair"))
        }
    }

    impl Drop for Exporter {
        fn drop(&mut self) {
            let _ = self.provider.shutdown();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_read_case_insensitively_and_refuse_the_rest() {
        assert_eq!("JSON".parse::<LogFormat>(), Ok(LogFormat::Json));
        assert_eq!(" text ".parse::<LogFormat>(), Ok(LogFormat::Text));
        assert!("yaml"
            .parse::<LogFormat>()
            .unwrap_err()
            .contains("text or json"));
    }

    /// With the feature, spans reach an OTLP/HTTP collector (here a socket that records what
    /// it is sent) by the time the guard is dropped.
    #[cfg(feature = "otlp")]
    #[test]
    fn spans_are_exported_to_the_collector() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let collector = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = stream.read(&mut buf) {
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request);
                if n == 0 || text.contains("show-span") {
                    break;
                }
            }
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
            String::from_utf8_lossy(&request).into_owned()
        });
        let settings = LogSettings {
            format: LogFormat::Text,
            otlp_endpoint: Some(endpoint),
        };
        let guard = init("onair-test", &settings).expect("exporter built");
        tracing::info_span!("show-span").in_scope(|| tracing::info!("inside"));
        drop(guard);
        let request = collector.join().unwrap();
        assert!(request.starts_with("POST /v1/traces"), "{request}");
        assert!(request.contains("show-span") && request.contains("onair-test"));
    }

    #[cfg(not(feature = "otlp"))]
    #[test]
    fn an_otlp_endpoint_without_the_feature_is_a_clear_error() {
        let settings = LogSettings {
            format: LogFormat::Text,
            otlp_endpoint: Some("http://127.0.0.1:4318".into()),
        };
        let err = init("test", &settings).err().expect("refused");
        assert!(err.contains("--features otlp"), "{err}");
    }
}
