use std::time::{SystemTime, UNIX_EPOCH};

/// Wall-clock unix milliseconds: deadlines are sent to browsers, so they must be wall time.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Wall-clock unix milliseconds with the fraction (microseconds), for clock sync.
pub fn now_ms_precise() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_micros() as f64 / 1000.0)
}
