//! What operators read and run holds up: docs/CONFIGURATION.md is what `--help` lists, and the
//! monitoring files in `deploy/`: the alert rules and the Grafana dashboard name
//! only series the servers really export, the Prometheus files pass `promtool` (its rule unit
//! tests included) and every YAML file passes `yamllint`, and the Kubernetes PrometheusRule
//! carries exactly the rules of `deploy/prometheus/alerts.yml`; and the docs and code point only
//! inside the repository; and the room-server's modules form the layers
//! docs/ARCHITECTURE.md draws.
//!
//! `promtool` (Debian package `prometheus`) and `yamllint` are installed by `cargo xtask
//! test`; without them those checks are skipped with a notice, except under `CI=true`.

use crate::common::{metric_names, read_deploy as read};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}

#[test]
fn the_dashboard_is_grafana_json_with_queries_everywhere() {
    let dashboard: serde_json::Value =
        serde_json::from_str(&read("grafana/dashboards/onair.json")).expect("valid JSON");
    assert_eq!(dashboard["uid"], "onair");
    let panels = dashboard["panels"].as_array().expect("panels");
    let mut ids = BTreeSet::new();
    for panel in panels {
        assert!(ids.insert(panel["id"].as_i64().unwrap()), "duplicate id");
        if panel["type"] == "row" {
            continue;
        }
        let targets = panel["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "{}", panel["title"]);
        for t in targets {
            let expr = t["expr"].as_str().unwrap();
            assert!(!metric_names(expr).is_empty(), "{expr}");
        }
    }
    // Both servers are on it.
    let names = metric_names(&read("grafana/dashboards/onair.json"));
    for needed in [
        "onair_ws_connections",
        "onair_fanout_latency_seconds_bucket",
        "onair_http_requests_total",
        "onair_db_pool_connections",
    ] {
        assert!(names.contains(needed), "{needed}");
    }
}

#[test]
fn the_kubernetes_rules_are_the_prometheus_rules() {
    let rules = read("prometheus/alerts.yml");
    let groups = &rules[rules.find("groups:").unwrap()..];
    let k8s = read("k8s/monitoring.yaml");
    let spec = k8s
        .split("kind: PrometheusRule")
        .nth(1)
        .and_then(|rule| rule.split("\nspec:\n").nth(1))
        .expect("a PrometheusRule with a spec");
    let dedented: String = spec
        .lines()
        .map(|l| l.strip_prefix("  ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(dedented.trim_end(), groups.trim_end());
}

/// A tool for the checks below, or `None` (skipped) outside CI.
fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    match found {
        Some(path) => Some(path),
        None => onair_testkit::skip(format_args!("{name} is not installed")),
    }
}

fn run(tool: &Path, args: &[&str]) {
    let out = Command::new(tool)
        .args(args)
        .current_dir(deploy())
        .output()
        .expect("the tool runs");
    assert!(
        out.status.success(),
        "{} {args:?}:\n{}{}",
        tool.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn promtool_accepts_the_config_and_the_rules_and_their_tests_pass() {
    let Some(promtool) = tool("promtool") else {
        return;
    };
    run(&promtool, &["check", "config", "prometheus/prometheus.yml"]);
    run(&promtool, &["check", "rules", "prometheus/alerts.yml"]);
    run(&promtool, &["test", "rules", "prometheus/alerts.test.yml"]);
}

#[test]
fn yamllint_accepts_every_yaml_file() {
    let Some(yamllint) = tool("yamllint") else {
        return;
    };
    run(&yamllint, &["--strict", "-c", ".yamllint", "."]);
}

/// docs/CONFIGURATION.md lists every setting `onair-room-server --help` lists, with the same
/// flag and default, and nothing else.
#[test]
fn the_settings_table_is_what_help_lists() {
    let help = Command::new(env!("CARGO_BIN_EXE_onair-room-server"))
        .arg("--help")
        .output()
        .expect("the binary runs");
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("[env: ONAIR_ROOM_BIND"), "{help}");
    let doc = std::fs::read_to_string(deploy().join("../docs/CONFIGURATION.md")).unwrap();
    if let Err(problems) =
        onair_telemetry::settings::check_documented(&doc, "onair-room-server", &help)
    {
        panic!("docs/CONFIGURATION.md and --help disagree:\n{problems}");
    }
}

/// Everything a newcomer reads is in the repository: no source file or document points at a
/// design file beside it, and every relative link in a Markdown file leads to a file that exists.
#[test]
fn docs_and_code_point_only_inside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    collect(&root, &mut files);
    let outside = ["DESIGN.md", "../shared/", "/work/"];
    let mut problems = Vec::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue; // binary
        };
        for needle in outside {
            if text.contains(needle) && !file.ends_with("deploy.rs") {
                problems.push(format!("{} names {needle}", file.display()));
            }
        }
        if file.extension().is_some_and(|e| e == "md") {
            for link in markdown_links(&text) {
                let path = link.split('#').next().unwrap_or_default();
                if path.is_empty() || link.contains("://") || link.starts_with("mailto:") {
                    continue;
                }
                if !file.parent().unwrap().join(path).exists() {
                    problems.push(format!("{} links to missing {link}", file.display()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The room-server's modules in layers, lowest first, as docs/ARCHITECTURE.md draws them ("The
/// room-server's layers"). A module uses only modules of lower layers, so the actors do not
/// import each other in a circle: what they say to each other is in `actor_messages`, what a
/// room or relay needs of the registry is the `directory` trait. A new module gets a line here.
const LAYERS: &[&[&str]] = &[
    &[
        "api_client",
        "clock",
        "error_text",
        "outbox",
        "rate_limit",
        "rules",
        "ticket",
    ],
    &["actor_messages", "config"],
    &["metrics"],
    &["cluster", "reporter", "seats", "session"],
    &["admission"],
    &["directory"],
    &["room", "relay"],
    &["registry"],
    &["moderation"],
    &["server"],
];

/// The modules a line of Rust names as `crate::module` (outside comments).
fn crate_modules(line: &str) -> Vec<&str> {
    let code = line.split("//").next().unwrap_or_default();
    code.match_indices("crate::")
        .map(|(i, _)| {
            let rest = &code[i + "crate::".len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

#[test]
fn room_server_modules_use_only_the_layers_below_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect(&src, &mut files);
    let layer = |module: &str| LAYERS.iter().position(|l| l.contains(&module));
    let mut problems = Vec::new();
    let mut uses = 0;
    for file in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "rs"))
    {
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let module = first.to_str().unwrap().trim_end_matches(".rs");
        // The crate root and the binary wire everything together: they are above every layer.
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(own) = layer(module) else {
            problems.push(format!("src/{module} is in no layer: add it to LAYERS"));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            for used in crate_modules(line) {
                let at = format!("{}:{}", relative.display(), n + 1);
                if used.is_empty() {
                    problems.push(format!("{at}: name one module per `crate::` path"));
                    continue;
                }
                if used == module {
                    continue;
                }
                uses += 1;
                if layer(used).is_none_or(|l| l >= own) {
                    problems.push(format!("{at}: {module} uses crate::{used}, not below it"));
                }
            }
        }
    }
    // The reading itself works: the room-server's modules do use each other.
    assert!(uses > 30, "only {uses} uses of crate:: modules found");
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Source and documentation files, without build output and tool caches.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !matches!(
                name.as_ref(),
                "target" | ".git" | "node_modules" | "dist" | "data"
            ) {
                collect(&path, out);
            }
        } else if ["rs", "md", "toml", "yaml", "yml"]
            .iter()
            .any(|e| name.ends_with(&format!(".{e}")))
        {
            out.push(path);
        }
    }
}

/// The targets of `[text](target)` links.
fn markdown_links(text: &str) -> Vec<&str> {
    text.match_indices("](")
        .filter_map(|(i, _)| {
            let rest = &text[i + 2..];
            rest.find(')').map(|end| &rest[..end])
        })
        .collect()
}
