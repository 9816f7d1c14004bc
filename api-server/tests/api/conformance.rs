//! Schemathesis against the running server and its own OpenAPI document: generated requests to
//! every operation (valid and invalid, then stateful sequences following the document's links),
//! and every answer must be no 5xx, have a documented status and content type, and match its
//! schema. On both databases.
//!
//! `ONAIR_SCHEMATHESIS` names the `st` binary (`cargo xtask test` installs schemathesis from
//! PyPI into `target/schemathesis-venv` and sets it). Without it the test is skipped with a
//! notice, except under `CI=true`. A failure prints schemathesis's report, with the seed to
//! replay it (`st run ... --seed N`).

use crate::backend_test;
use crate::common::TestServer;
use std::path::PathBuf;
use std::process::Command;

/// Test cases per operation and phase: enough to find what the limits and the types allow,
/// few enough for a couple of minutes on two cores for both databases.
const EXAMPLES: &str = "25";

const CHECKS: &str = "not_a_server_error,response_schema_conformance,status_code_conformance,\
                      content_type_conformance";

fn schemathesis() -> Option<PathBuf> {
    match std::env::var_os("ONAIR_SCHEMATHESIS") {
        Some(st) => Some(PathBuf::from(st)),
        None => onair_testkit::skip(
            "ONAIR_SCHEMATHESIS is not set (cargo xtask test installs schemathesis)",
        ),
    }
}

/// One schemathesis run over the operations whose path matches `paths`, as `authorization`.
async fn run(st: &PathBuf, srv: &TestServer, paths: &str, authorization: Option<String>) {
    let mut cmd = Command::new(st);
    cmd.arg("run")
        .arg(srv.url("/api/v1/openapi.json"))
        .args(["--checks", CHECKS])
        .args(["--max-examples", EXAMPLES])
        .args(["--include-path-regex", paths])
        // One worker: hypothesis parses lambdas' source with `ast`, which is not thread-safe
        // on Python 3.11 (a runtime error with two workers).
        .args(["--workers", "1", "--no-color", "--request-timeout", "10"]);
    if let Some(auth) = &authorization {
        cmd.args(["--header", &format!("Authorization: {auth}")]);
    }
    // Hypothesis keeps its example database in the working directory: a scratch one.
    let dir = onair_testkit::TempDir::new("schemathesis");
    cmd.current_dir(dir.path());
    let output = actix_web::rt::task::spawn_blocking(move || cmd.output())
        .await
        .expect("schemathesis ran to the end")
        .expect("schemathesis starts");
    let report = String::from_utf8_lossy(&output.stdout);
    // Its tracebacks can be long; the summary and the failures are at the end.
    let tail = (report.len().saturating_sub(20_000)..report.len())
        .find(|i| report.is_char_boundary(*i))
        .unwrap_or(0);
    let report = &report[tail..];
    assert!(
        output.status.success(),
        "schemathesis found answers that break the document ({paths}, {}):\n{report}\n{}",
        if authorization.is_some() {
            "authorized"
        } else {
            "anonymous"
        },
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("passed"), "{report}");
}

backend_test!(
    every_answer_matches_the_openapi_document,
    config = |c| c.admin_users = vec![onair_api_server::config::Identity {
        provider: "dev".into(),
        provider_id: "admin".into(),
    }],
    |srv| {
        let Some(st) = schemathesis() else { return };
        let admin = srv.login("admin").await;
        let service = srv
            .config
            .service_token
            .as_ref()
            .expect("dev test servers have a service token")
            .expose()
            .to_owned();
        // As an admin (every public, user and admin route), as nobody, and as the room-server.
        run(
            &st,
            &srv,
            "^/(api|healthz|readyz|metrics)",
            Some(format!("Bearer {}", admin.token)),
        )
        .await;
        run(&st, &srv, "^/api/v1/(users|rooms|rankings|me)", None).await;
        run(&st, &srv, "^/internal/", Some(format!("Bearer {service}"))).await;
    }
);
