//! The one rule for "are we in CI?" and what a test does when something it needs is missing.
//!
//! Outside CI a missing MariaDB, Redis, Chromium... skips the test with a notice, so a
//! newcomer can run `cargo test` on a bare machine; in CI it fails the test, so nothing is
//! ever skipped silently there. `cargo xtask test` starts everything, so nothing skips.

use std::fmt::Display;

/// True when the `CI` variable is set to anything but empty, `0` or `false` (CI systems set
/// `true`, `1` or `yes`).
pub fn in_ci() -> bool {
    ci_value_means_ci(std::env::var("CI").ok().as_deref())
}

/// [`in_ci`]'s rule for a value of `CI` (`None`: not set).
pub fn ci_value_means_ci(value: Option<&str>) -> bool {
    match value.map(str::trim) {
        None | Some("" | "0") => false,
        Some(v) => !v.eq_ignore_ascii_case("false"),
    }
}

/// Something a test needs is missing: in CI this panics with `reason`; elsewhere it prints
/// `SKIPPED: <reason>` and gives `None`, for the caller to return.
#[track_caller]
pub fn skip<T>(reason: impl Display) -> Option<T> {
    if in_ci() {
        let ci = std::env::var("CI").unwrap_or_default();
        panic!(
            "{reason}: required in CI (CI={ci:?}), where no test may skip; \
             `cargo xtask test` installs and starts what the tests need"
        );
    }
    eprintln!("SKIPPED: {reason} (run the tests with `cargo xtask test`)");
    None
}

/// `skip_unless!(condition, "reason {}", args)`: unless `condition` holds, fails the test in
/// CI, or prints `SKIPPED: <reason>` and returns `Default::default()` (`()` or `None`) from
/// the enclosing function.
#[macro_export]
macro_rules! skip_unless {
    ($cond:expr, $($reason:tt)+) => {
        if !$cond {
            $crate::ci::skip::<()>(::std::format_args!($($reason)+));
            return ::std::default::Default::default();
        }
    };
}
