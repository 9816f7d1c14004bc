//! HTTP hardening (issue 12): security headers on the UI and the API, request bodies that
//! never finish, metric labels a client cannot multiply.

use crate::backend_test;
use crate::common::TempDir;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn dist() -> TempDir {
    let dir = TempDir::new("dist-headers");
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>OnAir</title>",
    )
    .unwrap();
    std::fs::write(dir.path().join("app.js"), "export default 1").unwrap();
    dir
}

mod every_response_carries_the_security_headers {
    use super::*;

    async fn run(backend: crate::common::Backend) {
        let dist = dist();
        let path = dist.path().to_path_buf();
        let Some(srv) = crate::common::TestServer::start(backend, |c| {
            c.web_dist = path;
            c.room_server_urls = vec![
                "ws://127.0.0.1:8081".into(),
                "wss://rooms.example.com".into(),
            ];
        })
        .await
        else {
            return;
        };
        let login = srv.login("Alice").await;
        for reply in [
            srv.get("/").await,
            srv.get("/rooms/3").await,
            srv.get("/app.js").await,
            srv.get("/api/v1/rooms").await,
            srv.get("/api/v1/nothing").await,
            srv.get_auth("/api/v1/me", &login.token).await,
            srv.get("/metrics").await,
        ] {
            assert_eq!(reply.header("x-frame-options"), Some("DENY"));
            assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
            assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
            let csp = reply.header("content-security-policy").expect("a CSP");
            for part in [
                "default-src 'self'",
                "script-src 'self' 'wasm-unsafe-eval'",
                "connect-src 'self' ws://127.0.0.1:8081 wss://rooms.example.com",
                "frame-ancestors 'none'",
                "object-src 'none'",
                "base-uri 'none'",
            ] {
                assert!(csp.contains(part), "{part} missing from {csp}");
            }
            assert!(
                !csp.contains("'unsafe-inline'; ")
                    || csp.contains("style-src-attr 'unsafe-inline'")
            );
            assert!(!csp.contains("script-src 'self' 'unsafe"), "{csp}");
        }
        srv.stop().await;
    }

    #[actix_web::test]
    async fn sqlite() {
        run(crate::common::Backend::Sqlite).await;
    }

    #[actix_web::test]
    async fn mysql() {
        run(crate::common::Backend::Mysql).await;
    }
}

backend_test!(a_body_that_never_finishes_is_cut_off, |srv| {
    let addr = srv.base.trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    // The head says 100 bytes follow; 10 come, then nothing.
    let head = format!(
        "POST /api/v1/auth/dev HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\n\r\n{{\"name\":\"A"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection was held open for 20 s");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "cut off after {:?}",
        started.elapsed()
    );
});

backend_test!(junk_methods_and_paths_add_no_series, |srv| {
    let series = |text: &str| {
        text.lines()
            .filter(|l| l.starts_with("onair_http_requests_total{"))
            .count()
    };
    let junk = |method: String, path: String| {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        srv.send(srv.http.request(method, srv.url(&path)))
    };
    // One of each kind first: the "other" method and "unmatched" route series exist now.
    junk("BREW".into(), "/coffee".into()).await;
    junk("BREW".into(), "/api/v1/coffee".into()).await;
    junk("GET".into(), "/api/v1/users/not-a-number".into()).await;
    junk("GET".into(), "/api/v1/rooms/1/ticket/x".into()).await;
    junk("BREW".into(), "/api/v1/rooms/1/ticket".into()).await;
    srv.get("/metrics").await;
    let before = series(&srv.get("/metrics").await.body);
    for i in 0..50 {
        junk(format!("M{i}{}", "X".repeat(i * 40)), format!("/junk/{i}")).await;
        junk(
            format!("M{i}"),
            format!("/api/v1/junk{i}/{}", "y".repeat(i)),
        )
        .await;
        junk("GET".into(), format!("/api/v1/users/x{i}")).await;
        junk("BREW".into(), format!("/api/v1/rooms/{i}/ticket")).await;
    }
    let text = srv.get("/metrics").await.body;
    assert_eq!(series(&text), before, "{text}");
    assert!(!text.contains("M49"), "no invented method is a label");
    assert!(!text.contains("junk"), "no invented path is a label");
    assert!(text.contains("method=\"other\""));
});
