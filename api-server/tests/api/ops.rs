//! OpenAPI document, readiness, metrics.

use crate::backend_test;
use serde_json::Value;

/// Every route the contract (DESIGN.md §6 and the issue) names.
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
    assert_eq!(doc["openapi"], "3.0.3");
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
