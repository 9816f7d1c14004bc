use crate::backend_test;
use crate::common::TempDir;
use onair_api_server::config::{ApiConfig, Database};
use onair_shared::api::ClientConfig;
use serde_json::{json, Value};
use std::path::PathBuf;

backend_test!(healthz_answers_ok, |srv| {
    let reply = srv.get("/healthz").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json::<Value>(), json!({ "status": "ok" }));
});

backend_test!(client_config_lists_stun_and_logins, |srv| {
    let config: ClientConfig = srv.get("/api/v1/config").await.json();
    assert_eq!(config.ice_servers.len(), 1);
    assert_eq!(
        config.ice_servers[0].urls,
        vec!["stun:stun.l.google.com:19302"]
    );
    assert_eq!(config.ice_servers[0].username, None);
    assert!(config.dev_login);
    assert!(!config.kakao_login);
    assert_eq!(config.youtube_api_url, "https://www.youtube.com/iframe_api");
});

backend_test!(
    client_config_follows_the_server_settings,
    config = |c| {
        c.dev_mode = false;
        c.stun_urls = vec![
            "stun:stun.example.org:3478".into(),
            "stun:127.0.0.1:3478".into(),
        ];
        c.youtube_api_url = "http://127.0.0.1:9/yt/iframe_api.js".into();
    },
    |srv| {
        let reply = srv.get("/api/v1/config").await;
        // The page may load the configured YouTube script, from its origin only.
        let csp = reply
            .header("content-security-policy")
            .unwrap_or_default()
            .to_owned();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval' http://127.0.0.1:9;"),
            "{csp}"
        );
        let config: ClientConfig = reply.json();
        assert_eq!(
            config.ice_servers[0].urls,
            vec!["stun:stun.example.org:3478", "stun:127.0.0.1:3478"]
        );
        assert!(!config.dev_login);
        assert_eq!(
            config.youtube_api_url,
            "http://127.0.0.1:9/yt/iframe_api.js"
        );
    }
);

const TURN_SECRET: &str = "turn-secret-turn-secret-turn-secret!";

backend_test!(
    signed_in_users_get_time_limited_turn_credentials,
    config = |c| {
        c.turn = Some(onair_api_server::config::TurnConfig {
            urls: vec!["turn:127.0.0.1:3478?transport=udp".into()],
            secret: onair_api_server::config::Secret::new(TURN_SECRET),
            ttl_secs: 3600,
        });
    },
    |srv| {
        // Anonymous callers learn only the STUN servers.
        let config: ClientConfig = srv.get("/api/v1/config").await.json();
        assert_eq!(config.ice_servers.len(), 1);

        let me = srv.login("Relayed").await;
        let config: ClientConfig = srv.get_auth("/api/v1/config", &me.token).await.json();
        let turn = config.ice_servers.last().unwrap();
        assert_eq!(turn.urls, ["turn:127.0.0.1:3478?transport=udp"]);
        let username = turn.username.clone().unwrap();
        let (expiry, user) = username.split_once(':').unwrap();
        assert_eq!(
            user,
            me.user.id.to_string(),
            "the credential names the user"
        );
        let expiry: i64 = expiry.parse().unwrap();
        let now = onair_api_server::unix_now();
        assert!(
            (now + 3590..=now + 3610).contains(&expiry),
            "expires in an hour"
        );
        let (_, expected) =
            onair_api_server::turn::credentials(TURN_SECRET, me.user.id, expiry - 3600, 3600);
        assert_eq!(turn.credential.as_deref(), Some(expected.as_str()));
    }
);

backend_test!(unknown_api_paths_and_methods_answer_json, |srv| {
    for path in [
        "/api",
        "/api/",
        "/api/v1",
        "/api/v1/nope",
        "/api/v2/rooms",
        "/api/v1/rooms/1/nope",
        "/api/index.html",
    ] {
        let message = srv.get(path).await.assert_error(404, "not_found");
        assert!(message.contains(path), "{path}: {message}");
    }
    let reply = srv.send(srv.http.delete(srv.url("/api/v1/rooms"))).await;
    reply.assert_error(405, "method_not_allowed");
    let reply = srv.send(srv.http.put(srv.url("/api/v1/me"))).await;
    reply.assert_error(405, "method_not_allowed");
    // Path segments are case-exact.
    srv.get("/api/v1/ROOMS")
        .await
        .assert_error(404, "not_found");
});

backend_test!(
    without_a_built_ui_the_root_page_says_how_to_build_it,
    |srv| {
        for path in ["/", "/rooms/5"] {
            let reply = srv.get(path).await;
            assert_eq!(reply.status, 503, "{path}");
            assert!(reply
                .header("content-type")
                .is_some_and(|c| c.starts_with("text/html")));
            assert!(reply.body.contains("not built"), "{}", reply.body);
            assert!(reply.body.contains("cargo xtask dist"), "{}", reply.body);
        }
    }
);

fn dist_dir() -> TempDir {
    let dir = TempDir::new("dist");
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>OnAir</title><div id=app></div>",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("assets")).unwrap();
    std::fs::write(dir.path().join("assets/app.js"), "console.log('onair')").unwrap();
    dir
}

mod spa {
    use super::*;

    async fn check(backend: crate::common::Backend) {
        let dist = dist_dir();
        let dist_path = dist.path().to_path_buf();
        let Some(srv) = crate::common::TestServer::start(backend, |c| c.web_dist = dist_path).await
        else {
            return;
        };
        for path in ["/", "/rooms/5", "/rankings", "/users/3/followers"] {
            let reply = srv.get(path).await;
            assert_eq!(reply.status, 200, "{path}: {}", reply.body);
            assert!(
                reply
                    .header("content-type")
                    .is_some_and(|c| c.starts_with("text/html")),
                "{path}"
            );
            assert!(
                reply.body.contains("<title>OnAir</title>"),
                "{path}: {}",
                reply.body
            );
        }
        let script = srv.get("/assets/app.js").await;
        assert_eq!(script.status, 200);
        assert_eq!(script.body, "console.log('onair')");
        // A missing asset is a 404, not index.html served as JavaScript.
        assert_eq!(srv.get("/assets/missing.js").await.status, 404);
        // API paths never fall back to the UI.
        srv.get("/api/v1/rooms/5/nothing")
            .await
            .assert_error(404, "not_found");
        let reply = srv.get("/api/v1/rooms").await;
        assert_eq!(reply.status, 200);
        assert!(reply.body.starts_with('{'), "{}", reply.body);
        srv.stop().await;
    }

    #[actix_web::test]
    async fn sqlite() {
        check(crate::common::Backend::Sqlite).await;
    }

    #[actix_web::test]
    async fn mysql() {
        check(crate::common::Backend::Mysql).await;
    }
}

#[actix_web::test]
async fn an_unreachable_mysql_fails_start_up_quickly_with_its_own_error() {
    // Port 1 on loopback refuses connections at once.
    let config = ApiConfig::dev(Database::Mysql("mysql://root@127.0.0.1:1/onair".into()));
    let started = std::time::Instant::now();
    let err = match onair_api_server::start(config) {
        Ok(_) => panic!("start-up must fail without a database"),
        Err(err) => format!("{err:#}"),
    };
    assert!(
        started.elapsed().as_secs() < 15,
        "took {:?}",
        started.elapsed()
    );
    assert!(err.contains("mysql"), "{err}");
    assert!(
        err.contains("127.0.0.1") || err.to_lowercase().contains("connect"),
        "{err}"
    );
}

#[actix_web::test]
async fn a_port_in_use_is_a_clear_start_up_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let db = TempDir::new("db");
    let mut config = ApiConfig::dev(Database::Sqlite(db.path().join("x.db")));
    config.bind = taken.local_addr().unwrap();
    let err = match onair_api_server::start(config) {
        Ok(_) => panic!("binding a taken port must fail"),
        Err(err) => format!("{err:#}"),
    };
    assert!(err.contains("ONAIR_API_BIND"), "{err}");
}

#[actix_web::test]
async fn the_sqlite_directory_is_created_and_data_survives_a_restart() {
    let root = TempDir::new("restart");
    let path: PathBuf = root.path().join("nested/dir/onair.db");
    let config = ApiConfig::dev(Database::Sqlite(path.clone()));

    let first = onair_api_server::start(config.clone()).expect("start");
    actix_web::rt::spawn(first.server);
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("http://{}/api/v1/auth/dev", first.addr))
        .json(&json!({ "name": "Keeper" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    first.handle.stop(true).await;
    assert!(path.is_file());

    let second = onair_api_server::start(config).expect("restart on the same file");
    actix_web::rt::spawn(second.server);
    let again: Value = http
        .post(format!("http://{}/api/v1/auth/dev", second.addr))
        .json(&json!({ "name": "keeper" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["user"]["id"], login["user"]["id"]);
    second.handle.stop(true).await;
}
