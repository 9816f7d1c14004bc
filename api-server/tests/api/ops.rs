//! OpenAPI document, readiness, metrics.

use crate::backend_test;
use serde_json::Value;

/// Every route the REST contract names (docs/ARCHITECTURE.md and the route table).
const EXPECTED: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/config"),
    ("post", "/api/v1/auth/dev"),
    ("get", "/api/v1/auth/kakao"),
    ("get", "/api/v1/auth/kakao/callback"),
    ("post", "/api/v1/auth/exchange"),
    ("get", "/api/v1/me"),
    ("patch", "/api/v1/me"),
    ("get", "/api/v1/users/{id}"),
    ("get", "/api/v1/users/{id}/scores"),
    ("get", "/api/v1/users/{id}/followers"),
    ("get", "/api/v1/users/{id}/following"),
    ("put", "/api/v1/users/{id}/follow"),
    ("delete", "/api/v1/users/{id}/follow"),
    ("get", "/api/v1/rankings"),
    ("get", "/api/v1/rooms"),
    ("post", "/api/v1/rooms"),
    ("get", "/api/v1/rooms/{id}"),
    ("post", "/api/v1/rooms/{id}/ticket"),
    ("get", "/api/v1/admin/rooms"),
    ("post", "/api/v1/admin/rooms/{id}/close"),
    ("post", "/api/v1/admin/users/{id}/ban"),
    ("post", "/api/v1/admin/users/{id}/unban"),
    ("get", "/internal/v1/rooms/{room}"),
    ("put", "/internal/v1/rooms/{room}/status"),
    ("put", "/internal/v1/rooms/{room}/rounds/{round}"),
];

backend_test!(the_openapi_document_lists_every_route, |srv| {
    let reply = srv.get("/api/v1/openapi.json").await;
    assert_eq!(reply.status, 200);
    let doc: Value = reply.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");

    let table = onair_api_server::routes::table();
    for route in &table {
        let method = route.method.as_str().to_ascii_lowercase();
        let op = &paths
            .get(route.path)
            .unwrap_or_else(|| panic!("{} missing from the document", route.path))[&method];
        assert!(op.is_object(), "{method} {} missing", route.path);
        assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()));
        // Path parameters are declared.
        for seg in route.path.split('/').filter(|s| s.starts_with('{')) {
            let name = seg.trim_matches(['{', '}']);
            assert!(
                op["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p["name"] == name),
                "{method} {}: parameter {name}",
                route.path
            );
        }
    }
    for (method, path) in EXPECTED {
        assert!(
            table
                .iter()
                .any(|r| r.path == *path && r.method.as_str().eq_ignore_ascii_case(method)),
            "{method} {path} is not a registered route"
        );
    }
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        documented,
        table.len(),
        "the document has nothing but the routes"
    );

    // Nothing is served that the document leaves out: on a documented path every other
    // method answers 405, and any other path under /api or /internal answers 404.
    for (path, item) in paths {
        let concrete = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "1" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            if item.get(method.to_ascii_lowercase().as_str()).is_some() {
                continue;
            }
            let reply = srv
                .send(srv.http.request(
                    reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                    srv.url(&concrete),
                ))
                .await;
            assert_eq!(
                reply.status, 405,
                "{method} {path} is served but not documented"
            );
        }
    }
    for path in [
        "/api/v1/undocumented",
        "/api/v2/rooms",
        "/internal/v1/rooms",
        "/api/v1/rooms/1/x",
    ] {
        let reply = srv.get(path).await;
        assert_eq!(reply.status, 404, "{path}: {}", reply.body);
    }

    // Every route in the table is really served: none answers the "no such route" 404 or
    // the 405 of a path without that method.
    for route in &table {
        let path = route
            .path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "1" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let reply = srv
            .send(srv.http.request(
                reqwest::Method::from_bytes(route.method.as_str().as_bytes()).unwrap(),
                srv.url(&path),
            ))
            .await;
        let unrouted =
            reply.status == 405 || (reply.status == 404 && reply.body.contains("no API route"));
        assert!(
            !unrouted,
            "{} {path}: {} {}",
            route.method, reply.status, reply.body
        );
    }
});

backend_test!(readiness_checks_the_database, |srv| {
    let reply = srv.get("/readyz").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json::<Value>()["status"], "ready");
});

backend_test!(metrics_count_requests_by_route_and_status, |srv| {
    let alice = srv.login("Alice").await;
    for _ in 0..3 {
        srv.get(&format!("/api/v1/users/{}", alice.user.id)).await;
    }
    srv.get("/api/v1/users/999999").await;
    srv.get("/api/v1/users/12345678").await;
    srv.get("/api/v1/nope").await;

    let reply = srv.get("/metrics").await;
    assert_eq!(reply.status, 200);
    assert!(reply
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/plain; version=0.0.4")));
    let text = reply.body;
    for line in [
        "onair_http_requests_total{method=\"POST\",route=\"/api/v1/auth/dev\",status=\"200\"} 1",
        "onair_http_requests_total{method=\"GET\",route=\"/api/v1/users/{id}\",status=\"200\"} 3",
        // The pattern, not the raw path: two unknown ids are one series.
        "onair_http_requests_total{method=\"GET\",route=\"/api/v1/users/{id}\",status=\"404\"} 2",
        "onair_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1",
        "onair_db_pool_max_connections 4",
        "# TYPE onair_db_pool_connections gauge",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    let in_use: u32 = text
        .lines()
        .find_map(|l| l.strip_prefix("onair_db_pool_connections{state=\"in_use\"} "))
        .unwrap()
        .parse()
        .unwrap();
    let idle: u32 = text
        .lines()
        .find_map(|l| l.strip_prefix("onair_db_pool_connections{state=\"idle\"} "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(in_use + idle <= 4, "{in_use} + {idle}");
    assert!(idle >= 1);
});

/// The lines of one metric in a Prometheus text exposition.
fn series<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .collect()
}

backend_test!(junk_methods_and_paths_add_no_series, |srv| {
    let junk = |round: u32| {
        let mut requests = Vec::new();
        for (i, method) in ["BREW", "PROPFIND", "get", "DELETE", "M-SEARCH"]
            .iter()
            .enumerate()
        {
            for path in [
                format!("/api/v1/made-up-{round}-{i}"),
                format!("/anything/{round}/{i}?q={round}"),
                format!("/internal/v1/x{round}{i}"),
                format!("/api/v1/users/{round}{i}/nope"),
            ] {
                let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
                requests.push(srv.http.request(method, srv.url(&path)));
            }
        }
        requests
    };
    srv.get("/metrics").await; // its own series, before counting
    for request in junk(1) {
        srv.send(request).await;
    }
    let first = srv.get("/metrics").await.body;
    for round in 2..5 {
        for request in junk(round) {
            srv.send(request).await;
        }
    }
    let later = srv.get("/metrics").await.body;
    for name in [
        "onair_http_requests_total",
        "onair_http_request_duration_seconds_count",
    ] {
        assert_eq!(
            series(&first, name).len(),
            series(&later, name).len(),
            "{name}:\n{}",
            series(&later, name).join("\n")
        );
    }
    for made_up in [
        "BREW", "PROPFIND", "M-SEARCH", "made-up", "anything", "nope",
    ] {
        assert!(!later.contains(made_up), "{made_up} became a label");
    }
    assert!(later.lines().any(|l| l.starts_with(
        r#"onair_http_requests_total{method="other",route="unmatched",status="404"}"#
    )));
});

backend_test!(every_answer_carries_a_request_id, |srv| {
    let reply = srv
        .send(
            srv.http
                .get(srv.url("/api/v1/rooms"))
                .header("X-Request-Id", "trace-me-1"),
        )
        .await;
    assert_eq!(reply.header("x-request-id"), Some("trace-me-1"));
    let reply = srv.get("/api/v1/nope").await;
    let made_up = reply.header("x-request-id").expect("one is made up");
    assert_eq!(made_up.len(), 32);
    assert_ne!(
        srv.get("/healthz").await.header("x-request-id"),
        Some(made_up)
    );
    // An id that could forge log lines is replaced, not echoed.
    let reply = srv
        .send(
            srv.http
                .get(srv.url("/healthz"))
                .header("X-Request-Id", "a b\",\"level\":\"ERROR"),
        )
        .await;
    assert_eq!(reply.header("x-request-id").map(str::len), Some(32));
});

/// docs/CONFIGURATION.md lists every setting `onair-api-server --help` lists, with the same
/// flag and default, and nothing else.
#[test]
fn the_settings_table_is_what_help_lists() {
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_onair-api-server"))
        .arg("--help")
        .output()
        .expect("the binary runs");
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("[env: ONAIR_API_BIND"), "{help}");
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/CONFIGURATION.md"),
    )
    .unwrap();
    if let Err(problems) =
        onair_telemetry::settings::check_documented(&doc, "onair-api-server", &help)
    {
        panic!("docs/CONFIGURATION.md and --help disagree:\n{problems}");
    }
}

// The route table's `Access` column is what the server does: every route that is not public,
// called with no token, with a user's login token, with an admin's and with the service token,
// refuses exactly the callers its access excludes (401 `unauthorized` without the right kind of
// token, 403 `forbidden` for a user on an admin route) and lets the others through to the
// handler (which may still refuse on its own terms, e.g. `room_not_found` for room 999999).
backend_test!(
    every_route_lets_in_exactly_the_callers_its_access_names,
    config = |c| c.admin_users = vec![onair_api_server::config::Identity {
        provider: "dev".into(),
        provider_id: "boss".into(),
    }],
    |srv| {
        use onair_api_server::routes::Access;
        let user = srv.login("Walker").await.token;
        let admin = srv.login("Boss").await.token;
        let service = srv.service_token();
        let table = onair_api_server::routes::table();
        let mut checked = 0;
        for route in table.iter().filter(|r| r.access != Access::Public) {
            // Ids nobody has, so that a call that gets through changes nothing.
            let path = route
                .path
                .replace("{id}", "999999")
                .replace("{room}", "999999")
                .replace("{round}", "1");
            let callers: [(&str, Option<&str>); 4] = [
                ("nobody", None),
                ("a user", Some(&user)),
                ("an admin", Some(&admin)),
                ("the room-server", Some(&service)),
            ];
            for (who, token) in callers {
                let method = reqwest::Method::from_bytes(route.method.as_str().as_bytes()).unwrap();
                let mut request = srv.http.request(method, srv.url(&path));
                if matches!(route.method.as_str(), "POST" | "PUT" | "PATCH") {
                    request = request.json(&serde_json::json!({}));
                }
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                let reply = srv.send(request).await;
                let code = serde_json::from_str::<Value>(&reply.body)
                    .ok()
                    .and_then(|b| b["error"]["code"].as_str().map(str::to_owned));
                let expected = match (route.access, who) {
                    (Access::OptionalUser, "the room-server") => Some("unauthorized"),
                    (Access::OptionalUser, _) => None,
                    (Access::User, "a user" | "an admin") => None,
                    (Access::Admin, "an admin") => None,
                    (Access::Admin, "a user") => Some("forbidden"),
                    (Access::Service, "the room-server") => None,
                    _ => Some("unauthorized"),
                };
                match expected {
                    Some(refusal) => assert_eq!(
                        code.as_deref(),
                        Some(refusal),
                        "{} {} by {who}: {} {}",
                        route.method,
                        route.path,
                        reply.status,
                        reply.body
                    ),
                    None => assert!(
                        !matches!(code.as_deref(), Some("unauthorized" | "forbidden")),
                        "{} {} by {who} was refused: {} {}",
                        route.method,
                        route.path,
                        reply.status,
                        reply.body
                    ),
                }
                checked += 1;
            }
        }
        assert!(checked >= 4 * 15, "only {checked} calls checked");
    }
);

// The document names the error codes as they go over the wire, every one of them.
backend_test!(
    the_document_lists_every_error_code_by_its_wire_name,
    |srv| {
        let doc: Value = srv.get("/api/v1/openapi.json").await.json();
        let listed: Vec<&str> = doc["components"]["schemas"]["ApiErrorCode"]["enum"]
            .as_array()
            .expect("ApiErrorCode is a string enum")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for code in onair_shared::api::ApiErrorCode::ALL {
            assert!(
                listed.contains(&code.as_str()),
                "{code} missing: {listed:?}"
            );
        }
    }
);
