//! Kakao login through the real reqwest code path, against a fake Kakao (token and user-info
//! endpoints) served on 127.0.0.1 by the test.

use crate::backend_test;
use crate::backend_test_fn;
use crate::common::{Backend, Reply, TestServer};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use onair_api_server::config::{Identity, KakaoConfig};
use onair_shared::api::{ClientConfig, LoginResponse, Me};
use onair_shared::auth::Role;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CLIENT_ID: &str = "test-rest-api-key";
const CLIENT_SECRET: &str = "test-client-secret";
const REDIRECT_URI: &str = "http://127.0.0.1:9/api/v1/auth/kakao/callback";

/// What the fake saw: token-endpoint forms and user-info Authorization headers.
#[derive(Default)]
struct Seen {
    token_forms: Vec<HashMap<String, String>>,
    userinfo_auth: Vec<String>,
}

struct FakeKakao {
    base: String,
    seen: Arc<Mutex<Seen>>,
    handle: actix_web::dev::ServerHandle,
}

/// Codes the fake accepts, with the profile each one yields.
fn profile_for(code: &str) -> Option<serde_json::Value> {
    match code {
        "alice-code" | "alice-code-2" => Some(json!({
            "id": 1001,
            "connected_at": "2025-01-01T00:00:00Z",
            "kakao_account": { "profile": {
                "nickname": "라이언",
                "profile_image_url": "https://k.kakaocdn.net/dn/ryan.jpg",
                "thumbnail_image_url": "https://k.kakaocdn.net/dn/ryan_110.jpg"
            } }
        })),
        "alice-renamed" => Some(json!({
            "id": 1001,
            "kakao_account": { "profile": { "nickname": "라이언2" } }
        })),
        "quiet-code" => Some(json!({ "id": 2002, "kakao_account": {} })),
        _ => None,
    }
}

async fn token(
    seen: web::Data<Arc<Mutex<Seen>>>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let form = form.into_inner();
    seen.lock().unwrap().token_forms.push(form.clone());
    let code = form.get("code").cloned().unwrap_or_default();
    if code == "kakao-breaks" {
        return HttpResponse::InternalServerError().body("upstream failure");
    }
    if profile_for(&code).is_none() {
        return HttpResponse::BadRequest().json(json!({
            "error": "invalid_grant",
            "error_description": format!("authorization code not found for code={code}"),
            "error_code": "KOE320"
        }));
    }
    HttpResponse::Ok().json(json!({
        "token_type": "bearer",
        "access_token": format!("at-{code}"),
        "expires_in": 21599,
        "refresh_token": "rt",
        "refresh_token_expires_in": 5183999
    }))
}

async fn me(seen: web::Data<Arc<Mutex<Seen>>>, req: HttpRequest) -> HttpResponse {
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    seen.lock().unwrap().userinfo_auth.push(auth.clone());
    match auth.strip_prefix("Bearer at-").and_then(profile_for) {
        Some(profile) => HttpResponse::Ok().json(profile),
        None => HttpResponse::Unauthorized()
            .json(json!({ "msg": "this access token does not exist", "code": -401 })),
    }
}

async fn fake_kakao() -> FakeKakao {
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let data = web::Data::new(seen.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/oauth/token", web::post().to(token))
            .route("/v2/user/me", web::get().to(me))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .expect("fake Kakao binds");
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    FakeKakao {
        base: format!("http://{addr}"),
        seen,
        handle,
    }
}

fn kakao_config(base: &str) -> KakaoConfig {
    let mut config = KakaoConfig::at(base, CLIENT_ID, REDIRECT_URI);
    config.client_secret = Some(onair_api_server::config::Secret::new(CLIENT_SECRET));
    config
}

/// Starts a login: returns the state (from Kakao's URL) and the cookie that carries it.
async fn start(srv: &TestServer) -> (String, String, Reply) {
    let reply = srv.get("/api/v1/auth/kakao").await;
    assert_eq!(reply.status, 302, "{}", reply.body);
    let location = url::Url::parse(reply.header("location").expect("Location")).unwrap();
    let query: HashMap<String, String> = location.query_pairs().into_owned().collect();
    let state = query["state"].clone();
    let cookie = reply
        .header("set-cookie")
        .expect("state cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    (state, cookie, reply)
}

async fn callback(srv: &TestServer, query: &str, cookie: Option<&str>) -> Reply {
    let mut request = srv
        .http
        .get(srv.url(&format!("/api/v1/auth/kakao/callback?{query}")));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    srv.send(request).await
}

/// The whole browser journey for `code`; returns where the callback redirected.
async fn login_with(srv: &TestServer, code: &str) -> String {
    let (state, cookie, _) = start(srv).await;
    let reply = callback(srv, &format!("code={code}&state={state}"), Some(&cookie)).await;
    assert_eq!(reply.status, 302, "{}", reply.body);
    reply.header("location").unwrap().to_owned()
}

async fn exchange(srv: &TestServer, location: &str) -> Reply {
    let code = location
        .strip_prefix("/login/complete?code=")
        .unwrap_or_else(|| panic!("not a completed login: {location}"));
    srv.post_json("/api/v1/auth/exchange", &json!({ "code": code }), None)
        .await
}

async fn happy_path(backend: Backend) {
    let fake = fake_kakao().await;
    let config = kakao_config(&fake.base);
    let Some(srv) = TestServer::start(backend, move |c| {
        c.kakao = Some(config);
        c.admin_users = vec![Identity {
            provider: "kakao".into(),
            provider_id: "2002".into(),
        }];
    })
    .await
    else {
        return;
    };
    let client: ClientConfig = srv.get("/api/v1/config").await.json();
    assert!(client.kakao_login);

    // Step 1: to Kakao, with the app, the callback and a state also kept in a cookie.
    let (state, cookie, reply) = start(&srv).await;
    let location = url::Url::parse(reply.header("location").unwrap()).unwrap();
    assert_eq!(
        location.as_str().split('?').next().unwrap(),
        format!("{}/oauth/authorize", fake.base)
    );
    let query: HashMap<String, String> = location.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], CLIENT_ID);
    assert_eq!(query["redirect_uri"], REDIRECT_URI);
    assert_eq!(query["response_type"], "code");
    let set_cookie = reply.header("set-cookie").unwrap();
    assert_eq!(cookie, format!("onair_oauth_state={state}"));
    for attribute in [
        "HttpOnly",
        "SameSite=Lax",
        "Path=/api/v1/auth/kakao",
        "Max-Age=600",
    ] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(
        !set_cookie.contains("Secure"),
        "http callback: no Secure flag"
    );

    // Step 2: Kakao sends the browser back; we exchange the code and read the profile.
    let reply = callback(
        &srv,
        &format!("code=alice-code&state={state}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(reply.status, 302, "{}", reply.body);
    let done = reply.header("location").unwrap().to_owned();
    assert!(done.starts_with("/login/complete?code="), "{done}");
    assert!(!done.contains('.'), "no JWT in the URL: {done}");
    assert!(
        reply.header("set-cookie").unwrap().contains("Max-Age=0"),
        "state cookie cleared"
    );
    {
        let seen = fake.seen.lock().unwrap();
        let form = &seen.token_forms[0];
        assert_eq!(form["grant_type"], "authorization_code");
        assert_eq!(form["client_id"], CLIENT_ID);
        assert_eq!(form["client_secret"], CLIENT_SECRET);
        assert_eq!(form["redirect_uri"], REDIRECT_URI);
        assert_eq!(form["code"], "alice-code");
        assert_eq!(seen.userinfo_auth, vec!["Bearer at-alice-code".to_owned()]);
    }

    // Step 3: the web UI trades the one-time code for a login token, once.
    let reply = exchange(&srv, &done).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let login: LoginResponse = reply.json();
    assert_eq!(login.user.name, "라이언");
    assert_eq!(
        login.user.avatar_url.as_deref(),
        Some("https://k.kakaocdn.net/dn/ryan.jpg")
    );
    assert_eq!(login.user.role, Role::User);
    let me: Me = srv.get_auth("/api/v1/me", &login.token).await.json();
    assert_eq!(me, login.user);
    exchange(&srv, &done)
        .await
        .assert_error(400, "invalid_login_code");

    // Logging in again is the same account; the name follows Kakao.
    let again: LoginResponse = exchange(&srv, &login_with(&srv, "alice-code-2").await)
        .await
        .json();
    assert_eq!(again.user.id, login.user.id);
    let renamed: LoginResponse = exchange(&srv, &login_with(&srv, "alice-renamed").await)
        .await
        .json();
    assert_eq!(renamed.user.id, login.user.id);
    assert_eq!(renamed.user.name, "라이언2");
    assert_eq!(renamed.user.avatar_url, None);

    // Without a nickname: a fallback name. Listed in ONAIR_ADMIN_USERS: admin.
    let quiet: LoginResponse = exchange(&srv, &login_with(&srv, "quiet-code").await)
        .await
        .json();
    assert_eq!(quiet.user.name, "카카오 사용자");
    assert_eq!(quiet.user.role, Role::Admin);
    assert_ne!(quiet.user.id, login.user.id);
    // A dev account with the same id is another person.
    assert_ne!(srv.login("1001").await.user.id, login.user.id);

    srv.stop().await;
    fake.handle.stop(false).await;
}
backend_test_fn!(kakao_login_end_to_end, happy_path);

async fn failures(backend: Backend) {
    let fake = fake_kakao().await;
    let config = kakao_config(&fake.base);
    let Some(srv) = TestServer::start(backend, move |c| c.kakao = Some(config)).await else {
        return;
    };
    let expect = |reply: &Reply, error: &str| {
        assert_eq!(reply.status, 302, "{}", reply.body);
        assert_eq!(
            reply.header("location"),
            Some(format!("/login?error={error}").as_str()),
            "{}",
            reply.body
        );
    };

    // The user declines on Kakao's consent page.
    let (state, cookie, _) = start(&srv).await;
    let reply = callback(
        &srv,
        &format!("error=access_denied&error_description=User%20denied%20access&state={state}"),
        Some(&cookie),
    )
    .await;
    expect(&reply, "access_denied");
    let reply = callback(
        &srv,
        &format!("error=server_error&state={state}"),
        Some(&cookie),
    )
    .await;
    expect(&reply, "kakao_error");

    // A bad or used code: Kakao's token endpoint answers 400.
    let reply = callback(
        &srv,
        &format!("code=not-a-code&state={state}"),
        Some(&cookie),
    )
    .await;
    expect(&reply, "kakao_rejected");
    // Kakao fails: 500.
    let reply = callback(
        &srv,
        &format!("code=kakao-breaks&state={state}"),
        Some(&cookie),
    )
    .await;
    expect(&reply, "kakao_unavailable");
    // No code.
    let reply = callback(&srv, &format!("state={state}"), Some(&cookie)).await;
    expect(&reply, "invalid_request");

    // State problems: none of these reach Kakao.
    let calls_before = fake.seen.lock().unwrap().token_forms.len();
    let mut tampered = state.clone().into_bytes();
    let at = tampered.len() - 3;
    tampered[at] = if tampered[at] == b'x' { b'y' } else { b'x' };
    let tampered = String::from_utf8(tampered).unwrap();
    let (other_state, _other_cookie, _) = start(&srv).await;
    for (query, cookie) in [
        (format!("code=alice-code&state={state}"), None),
        ("code=alice-code".to_owned(), Some(cookie.clone())),
        (
            format!("code=alice-code&state={tampered}"),
            Some(format!("onair_oauth_state={tampered}")),
        ),
        // Another browser's state (login CSRF): the cookie does not match.
        (
            format!("code=alice-code&state={other_state}"),
            Some(cookie.clone()),
        ),
        (
            "code=alice-code&state=".to_owned(),
            Some("onair_oauth_state=".to_owned()),
        ),
    ] {
        let reply = callback(&srv, &query, cookie.as_deref()).await;
        expect(&reply, "invalid_state");
    }
    // An expired state, signed correctly.
    let old = onair_api_server::auth::oauth_state::StateKeys::new(
        srv.config.jwt_secret.expose().as_bytes(),
    )
    .issue("kakao", crate::common::now() - 3600)
    .unwrap();
    let reply = callback(
        &srv,
        &format!("code=alice-code&state={old}"),
        Some(&format!("onair_oauth_state={old}")),
    )
    .await;
    expect(&reply, "invalid_state");
    assert_eq!(fake.seen.lock().unwrap().token_forms.len(), calls_before);

    // Banned: refused at the callback, and at the exchange if banned in between.
    let done = login_with(&srv, "alice-code").await;
    let alice: LoginResponse = exchange(&srv, &done).await.json();
    srv.sql(&format!(
        "UPDATE users SET banned = TRUE WHERE id = {}",
        alice.user.id
    ));
    let (state, cookie, _) = start(&srv).await;
    let reply = callback(
        &srv,
        &format!("code=alice-code&state={state}"),
        Some(&cookie),
    )
    .await;
    expect(&reply, "banned");
    srv.sql(&format!(
        "UPDATE users SET banned = FALSE WHERE id = {}",
        alice.user.id
    ));
    let done = login_with(&srv, "alice-code").await;
    srv.sql(&format!(
        "UPDATE users SET banned = TRUE WHERE id = {}",
        alice.user.id
    ));
    exchange(&srv, &done).await.assert_error(403, "banned");

    // One-time codes: unknown, empty and expired ones.
    for code in ["nope", "", &"f".repeat(64), &"x".repeat(500)] {
        srv.post_json("/api/v1/auth/exchange", &json!({ "code": code }), None)
            .await
            .assert_error(400, "invalid_login_code");
    }
    srv.sql(&format!(
        "UPDATE users SET banned = FALSE WHERE id = {}",
        alice.user.id
    ));
    let done = login_with(&srv, "alice-code").await;
    srv.sql("UPDATE login_codes SET expires_at = expires_at - 61");
    exchange(&srv, &done)
        .await
        .assert_error(400, "invalid_login_code");
    srv.post_json("/api/v1/auth/exchange", &json!({}), None)
        .await
        .assert_error(400, "bad_request");

    srv.stop().await;
    fake.handle.stop(false).await;
}
backend_test_fn!(kakao_login_failures, failures);

async fn kakao_down(backend: Backend) {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = kakao_config(&format!("http://127.0.0.1:{port}"));
    let Some(srv) = TestServer::start(backend, move |c| c.kakao = Some(config)).await else {
        return;
    };
    let (state, cookie, _) = start(&srv).await;
    let started = Instant::now();
    let reply = callback(
        &srv,
        &format!("code=alice-code&state={state}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(reply.status, 302);
    assert_eq!(
        reply.header("location"),
        Some("/login?error=kakao_unavailable")
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    srv.stop().await;
}
backend_test_fn!(kakao_down_is_a_clear_error, kakao_down);

backend_test!(without_configuration_kakao_login_is_off, |srv| {
    let client: ClientConfig = srv.get("/api/v1/config").await.json();
    assert!(!client.kakao_login);
    for path in [
        "/api/v1/auth/kakao",
        "/api/v1/auth/kakao/callback?code=x&state=y",
    ] {
        let reply = srv.get(path).await;
        assert_eq!(reply.status, 302, "{path}");
        assert_eq!(
            reply.header("location"),
            Some("/login?error=kakao_disabled")
        );
    }
});
