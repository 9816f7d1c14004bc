//! Reading a binary's settings: declared once with clap (derive), each one a command-line flag
//! and an environment variable with its default, all listed by `--help`.
//!
//! [`parse`] adds what plain clap does differently from the servers' long-standing rules:
//! - An environment variable set to an empty value (`FOO=` in a compose file) counts as unset,
//!   except for the variables named in `keep_empty` (where empty means "none").
//! - Variables are read through a lookup function, so tests can check every rule without the
//!   process environment (shared by parallel tests).
//! - A bad value is reported under its environment variable's name (how the servers are
//!   configured in practice), with the flag beside it.

use clap::error::{ContextKind, ContextValue, ErrorKind};
use std::ffi::OsString;

/// Why settings could not be read.
#[derive(Debug)]
pub enum SettingsError {
    /// `--help` or `--version`: print it (`err.exit()`), nothing is wrong.
    Exit(clap::Error),
    /// A bad or missing value: `var` is its environment variable.
    Invalid { var: String, message: String },
}

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SettingsError::Exit(err) => write!(f, "{err}"),
            SettingsError::Invalid { var, message } => write!(f, "{var}: {message}"),
        }
    }
}

/// Parses `T` from `args` (the program name first) and the environment variables `lookup`
/// finds. A flag on the command line wins over its variable.
pub fn parse<T: clap::Parser>(
    args: impl IntoIterator<Item = OsString>,
    lookup: impl Fn(&str) -> Option<String>,
    keep_empty: &[&str],
) -> Result<T, SettingsError> {
    let full = T::command();
    let mut argv: Vec<OsString> = args.into_iter().collect();
    // `--help` and `--version` come from the full declaration, which shows every variable.
    let asks_for_help = argv
        .iter()
        .skip(1)
        .any(|a| matches!(a.to_str(), Some("-h" | "--help" | "-V" | "--version")));
    if asks_for_help {
        return match full.try_get_matches_from(argv) {
            Err(err) => Err(SettingsError::Exit(err)),
            Ok(_) => unreachable!("--help always ends parsing"),
        };
    }

    // Variables become flags, unless the flag is given; then clap parses without reading the
    // process environment itself.
    let mut vars = Vec::new();
    for arg in full.get_arguments() {
        let (Some(var), Some(long)) = (arg.get_env(), arg.get_long()) else {
            continue;
        };
        let var = var.to_string_lossy().into_owned();
        vars.push((long.to_owned(), var.clone()));
        let given = argv.iter().skip(1).any(|a| {
            a.to_str().is_some_and(|a| {
                a.strip_prefix("--")
                    .is_some_and(|rest| rest == long || rest.starts_with(&format!("{long}=")))
            })
        });
        if given {
            continue;
        }
        if let Some(value) = lookup(&var) {
            if value.trim().is_empty() && !keep_empty.contains(&var.as_str()) {
                continue;
            }
            argv.push(format!("--{long}={value}").into());
        }
    }
    let parser = full.mut_args(|arg| arg.env(None::<&'static str>));
    let matches = parser
        .try_get_matches_from(argv)
        .map_err(|err| invalid(err, &vars))?;
    T::from_arg_matches(&matches).map_err(|err| invalid(err, &vars))
}

/// clap's error, under the variable of the flag it is about.
fn invalid(err: clap::Error, vars: &[(String, String)]) -> SettingsError {
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        return SettingsError::Exit(err);
    }
    let flag = match err.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => arg.clone(),
        _ => String::new(),
    };
    let long = flag
        .trim_start_matches('-')
        .split([' ', '='])
        .next()
        .unwrap_or_default()
        .to_owned();
    let var = vars
        .iter()
        .find(|(l, _)| *l == long)
        .map(|(_, var)| var.clone())
        .unwrap_or_else(|| flag.clone());
    // The first line of clap's rendering, without its "error: " and the hint after it.
    let rendered = err.render().to_string();
    let message = rendered
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_owned();
    SettingsError::Invalid { var, message }
}

/// One setting as `--help` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub var: String,
    pub flag: String,
    pub default: Option<String>,
}

/// The settings a binary's `--help` lists: its `--flag`, `[env: VAR]` and `[default: X]`.
pub fn listed_in_help(help: &str) -> Vec<Listed> {
    let mut listed = Vec::new();
    let mut current: Option<Listed> = None;
    for line in help.lines() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("--") {
            listed.extend(current.take());
            let flag = rest.split([' ', '=']).next().unwrap_or_default();
            current = Some(Listed {
                var: String::new(),
                flag: format!("--{flag}"),
                default: None,
            });
        } else if let Some(setting) = current.as_mut() {
            if let Some(env) = trimmed.strip_prefix("[env: ") {
                setting.var = env.split(['=', ']']).next().unwrap_or_default().to_owned();
            } else if let Some(default) = trimmed.strip_prefix("[default: ") {
                setting.default = default.strip_suffix(']').map(str::to_owned);
            }
        }
    }
    listed.extend(current);
    listed.retain(|s| !s.var.is_empty());
    listed
}

/// Holds the table under `## {binary}` in a settings document (rows `| `VAR` | `--flag` |
/// default | meaning |`) to what the binary's `--help` lists: the same settings, the same
/// flags, and each default as `--help` shows it (a setting without one has no `code` default
/// in the table). Every difference is listed in the error.
pub fn check_documented(markdown: &str, binary: &str, help: &str) -> Result<(), String> {
    let heading = format!("## {binary}");
    let start = markdown
        .find(&format!("\n{heading}\n"))
        .ok_or_else(|| format!("no section {heading:?}"))?;
    let rest = &markdown[start + heading.len() + 2..];
    let section = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    let cell = |c: &str| c.trim().trim_matches('`').to_owned();
    let rows: Vec<(String, String, String)> = section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').collect();
            (
                cell(cells.get(1).unwrap_or(&"")),
                cell(cells.get(2).unwrap_or(&"")),
                cells.get(3).unwrap_or(&"").trim().to_owned(),
            )
        })
        .collect();
    let listed = listed_in_help(help);
    let mut problems = Vec::new();
    for setting in &listed {
        match rows.iter().find(|(var, _, _)| *var == setting.var) {
            None => problems.push(format!(
                "{} ({}) is not in the table",
                setting.var, setting.flag
            )),
            Some((_, flag, default)) => {
                if *flag != setting.flag {
                    problems.push(format!(
                        "{}: the flag is {}, not {flag}",
                        setting.var, setting.flag
                    ));
                }
                match &setting.default {
                    Some(d) if *default != format!("`{d}`") => problems.push(format!(
                        "{}: the default is `{d}`, the table says {default}",
                        setting.var
                    )),
                    None if default.starts_with('`') => problems.push(format!(
                        "{}: --help shows no default, the table says {default}",
                        setting.var
                    )),
                    _ => {}
                }
            }
        }
    }
    for (var, _, _) in &rows {
        if !listed.iter().any(|s| s.var == *var) {
            problems.push(format!("{var} is in the table but not in --help"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[derive(Debug, clap::Parser)]
    #[command(name = "demo", version)]
    struct Demo {
        /// How many.
        #[arg(long = "count", env = "DEMO_COUNT", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=10))]
        count: u32,
        /// Where.
        #[arg(long = "place", env = "DEMO_PLACE")]
        place: Option<String>,
        /// Which, empty for none.
        #[arg(long = "list", env = "DEMO_LIST", default_value = "a,b")]
        list: String,
    }

    fn demo(args: &[&str], vars: &[(&str, &str)]) -> Result<Demo, SettingsError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let args = std::iter::once("demo")
            .chain(args.iter().copied())
            .map(OsString::from);
        parse(args, |k| vars.get(k).cloned(), &["DEMO_LIST"])
    }

    #[test]
    fn variables_flags_defaults_and_empty_values() {
        let d = demo(&[], &[]).unwrap();
        assert_eq!((d.count, d.place, d.list.as_str()), (3, None, "a,b"));
        let d = demo(&[], &[("DEMO_COUNT", "7"), ("DEMO_PLACE", "here")]).unwrap();
        assert_eq!((d.count, d.place.as_deref()), (7, Some("here")));
        let d = demo(&["--count", "9"], &[("DEMO_COUNT", "7")]).unwrap();
        assert_eq!(d.count, 9, "the flag wins");
        let d = demo(&[], &[("DEMO_COUNT", " "), ("DEMO_LIST", "")]).unwrap();
        assert_eq!(
            (d.count, d.list.as_str()),
            (3, ""),
            "empty: unset, unless kept"
        );
    }

    #[test]
    fn the_table_is_checked_against_help() {
        use clap::CommandFactory;
        let help = Demo::command().render_long_help().to_string();
        let listed = listed_in_help(&help);
        assert_eq!(
            listed[0],
            Listed {
                var: "DEMO_COUNT".into(),
                flag: "--count".into(),
                default: Some("3".into())
            }
        );
        let good = "# x\n\n## demo\n\n| variable | flag | default | meaning |\n|---|---|---|---|\n\
                    | `DEMO_COUNT` | `--count` | `3` | how many |\n\
                    | `DEMO_PLACE` | `--place` | unset | where |\n\
                    | `DEMO_LIST` | `--list` | `a,b` | which |\n\n## other\n\n| `X` | `--x` | `1` | y |\n";
        assert_eq!(check_documented(good, "demo", &help), Ok(()));
        let bad = good
            .replace("| `3` |", "| `4` |")
            .replace("`--place`", "`--where`")
            .replace(
                "| `DEMO_LIST` | `--list` | `a,b` | which |\n",
                "| `DEMO_GONE` | `--gone` | unset | no |\n",
            );
        let problems = check_documented(&bad, "demo", &help).unwrap_err();
        for needle in [
            "DEMO_COUNT: the default",
            "DEMO_PLACE: the flag",
            "DEMO_LIST (--list) is not",
            "DEMO_GONE is in the table",
        ] {
            assert!(problems.contains(needle), "{needle}: {problems}");
        }
    }

    #[test]
    fn a_bad_value_is_reported_under_its_variable() {
        let SettingsError::Invalid { var, message } =
            demo(&[], &[("DEMO_COUNT", "11")]).unwrap_err()
        else {
            panic!("not an invalid value")
        };
        assert_eq!(var, "DEMO_COUNT");
        assert!(
            message.contains("'11'") && message.contains("--count"),
            "{message}"
        );
        assert!(matches!(
            demo(&["--help"], &[]),
            Err(SettingsError::Exit(_))
        ));
        assert!(matches!(
            demo(&["--nope"], &[]),
            Err(SettingsError::Invalid { .. })
        ));
    }
}
