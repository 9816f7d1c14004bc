//! Several room-server processes bridged by a real Redis: members on different instances share
//! one show, the owner can be killed (`kill -9`) mid-act, and Redis can restart mid-show.
//!
//! Each test runs its own `redis-server` on a free loopback port, so restarting it disturbs
//! nothing else.

use crate::common::*;
use onair_shared::auth::TicketRoom;
use onair_shared::protocol::{Direct, EventKind, Phase, ReactionKind, ServerMsg};
use onair_shared::UserId;
use onair_testkit::db::{Backend, TestDb};
use onair_testkit::redis::Redis;
use onair_testkit::{free_port, wait_for_port};
use serde_json::json;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One room-server process.
struct Instance {
    server: Server,
    child: Child,
}

impl Instance {
    fn start(name: &str, redis: &Redis) -> Instance {
        Instance::start_reporting(name, redis, None)
    }

    fn start_reporting(name: &str, redis: &Redis, api: Option<&Api>) -> Instance {
        Instance::start_with(name, redis, api, |_| {})
    }

    /// `tweak` adds to the process's environment (or redirects its output).
    fn start_with(
        name: &str,
        redis: &Redis,
        api: Option<&Api>,
        tweak: impl FnOnce(&mut Command),
    ) -> Instance {
        let port = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_onair-room-server"));
        // Tests stop instances at once unless they test draining; acts go on air without the
        // "up next" countdown.
        cmd.env("ONAIR_DRAIN_SECS", "0")
            .env("ONAIR_UP_NEXT_SECS", "0");
        if let Some(api) = api {
            cmd.env("ONAIR_API_INTERNAL_URL", &api.base)
                .env("ONAIR_SERVICE_TOKEN", SERVICE_TOKEN);
        }
        cmd.env("ONAIR_JWT_SECRET", SECRET)
            .env("ONAIR_ROOM_BIND", format!("127.0.0.1:{port}"))
            .env("ONAIR_REDIS_URL", redis.url())
            .env("ONAIR_INSTANCE_ID", name)
            .env(
                "RUST_LOG",
                std::env::var("ONAIR_TEST_INSTANCE_LOG").unwrap_or("warn".into()),
            )
            .stdout(Stdio::null());
        tweak(&mut cmd);
        let child = cmd.spawn().expect("room-server process starts");
        wait_for_port(port, name, Duration::from_secs(15));
        Instance {
            server: Server {
                addr: SocketAddr::from(([127, 0, 0, 1], port)),
            },
            child,
        }
    }

    /// A graceful stop (what an orchestrator sends first).
    fn terminate(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }

    /// `kill -9`: no goodbye, no lease release.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

const SERVICE_TOKEN: &str = "cluster-service-token-cluster-service!";

/// A real api-server (SQLite in a temp dir), to hand out tickets and record ranked acts.
struct Api {
    base: String,
    http: reqwest::Client,
    _db: TestDb,
}

impl Api {
    async fn start() -> Api {
        use onair_api_server::config::{ApiConfig, Database, Secret};
        let db = TestDb::create(Backend::Sqlite).expect("SQLite needs no server");
        let mut config = ApiConfig::dev(Database::parse(&db.url()).unwrap());
        config.jwt_secret = Secret::new(SECRET);
        config.service_token = Some(Secret::new(SERVICE_TOKEN));
        config.admin_users = vec![onair_api_server::config::Identity {
            provider: "dev".into(),
            provider_id: "boss".into(),
        }];
        let (addr, _) = onair_testkit::servers::start_api(config);
        let base = format!("http://{addr}");
        Api {
            base,
            http: reqwest::Client::new(),
            _db: db,
        }
    }

    async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: serde_json::Value,
    ) -> serde_json::Value {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        resp.json().await.unwrap()
    }

    /// Logs in, returning (user id, token).
    async fn login(&self, name: &str) -> (i64, String) {
        let r = self
            .post("/api/v1/auth/dev", None, json!({ "name": name }))
            .await;
        (
            r["user"]["id"].as_i64().unwrap(),
            r["token"].as_str().unwrap().to_owned(),
        )
    }

    /// A real ticket from the api-server, used on the given instance.
    async fn enter(&self, token: &str, room: i64, on: &Instance) -> Client {
        self.enter_with_snapshot(token, room, on).await.0
    }

    async fn enter_with_snapshot(
        &self,
        token: &str,
        room: i64,
        on: &Instance,
    ) -> (Client, onair_shared::protocol::RoomSnapshot) {
        let t = self
            .post(
                &format!("/api/v1/rooms/{room}/ticket"),
                Some(token),
                json!({}),
            )
            .await;
        let ticket = t["ticket"].as_str().unwrap();
        let url = format!("ws://{}/ws?ticket={ticket}", on.server.addr);
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket opens");
        let mut c = Client {
            ws,
            user: UserId(0),
            last_seq: 0,
        };
        match c.recv_within(Duration::from_secs(12)).await {
            ServerMsg::Direct(Direct::Welcome { you, room, .. }) => {
                c.user = you;
                (c, room)
            }
            other => panic!("expected welcome, got {other:?}"),
        }
    }

    async fn ranking(&self) -> Vec<(i64, f64, u64)> {
        let v: serde_json::Value = self
            .http
            .get(format!("{}/api/v1/rankings", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["user"]["id"].as_i64().unwrap(),
                    r["cumulative_score"].as_f64().unwrap(),
                    r["acts"].as_u64().unwrap(),
                )
            })
            .collect()
    }
}

fn fresh_room(host: i64) -> TicketRoom {
    let id = (std::process::id() as i64) * 1000 + (now() % 1000) + host;
    room(id, host)
}

/// Reads until the next event or welcome, returning events only.
async fn next_event(c: &mut Client) -> EventKind {
    loop {
        match c.recv().await {
            ServerMsg::Event(e) => return e.kind,
            ServerMsg::Direct(Direct::Welcome { .. }) => continue,
            other => panic!("user {}: unexpected {other:?}", c.user),
        }
    }
}

async fn all_get(clients: &mut [&mut Client]) -> EventKind {
    let first = next_event(clients[0]).await;
    for c in clients.iter_mut().skip(1) {
        assert_eq!(
            next_event(c).await,
            first,
            "user {} saw a different stream",
            c.user
        );
    }
    first
}

#[actix_rt::test]
async fn members_on_two_instances_share_one_show() {
    let Some(redis) = Redis::start() else { return };
    let a = Instance::start("a", &redis);
    let b = Instance::start("b", &redis);
    let r = fresh_room(1);

    let (mut host, _) = Client::join(&a.server, 1, &r).await; // a owns the room
    let (mut two, snap) = Client::join(&b.server, 2, &r).await; // through b's relay
    assert_eq!(
        snap.members.len(),
        2,
        "the relay's member gets the owner's snapshot"
    );
    assert!(matches!(host.event().await, EventKind::MemberJoined { .. }));
    let (mut three, _) = Client::join(&b.server, 3, &r).await;
    all_get(&mut [&mut host, &mut two]).await; // three joined

    host.send(json!({"type":"start"})).await;
    assert_eq!(
        all_get(&mut [&mut host, &mut two, &mut three]).await,
        EventKind::ShowStarted { first: UserId(1) }
    );
    all_get(&mut [&mut host, &mut two, &mut three]).await; // on_air
    three
        .send(json!({"type":"react","kind":"mirrorball"}))
        .await;
    assert_eq!(
        all_get(&mut [&mut host, &mut two, &mut three]).await,
        EventKind::Reaction {
            from: UserId(3),
            kind: ReactionKind::Mirrorball
        }
    );
    host.send(json!({"type":"end_performance"})).await;
    let EventKind::PerformanceEnded { round } =
        all_get(&mut [&mut host, &mut two, &mut three]).await
    else {
        panic!()
    };
    two.send(json!({"type":"score","round":round.id,"value":88}))
        .await;
    three
        .send(json!({"type":"score","round":round.id,"value":77}))
        .await;
    all_get(&mut [&mut host, &mut two, &mut three]).await;
    all_get(&mut [&mut host, &mut two, &mut three]).await;
    assert_eq!(
        all_get(&mut [&mut host, &mut two, &mut three]).await,
        EventKind::RoundClosed {
            round: round.id,
            performer: UserId(1),
            name: "user1".into(),
            average: Some(82.5),
            count: 2,
            counts: false
        }
    );
    assert_eq!(host.last_seq, two.last_seq);
    assert_eq!(two.last_seq, three.last_seq);
    // Errors come back to the right member across instances.
    three.send(json!({"type":"end_show"})).await;
    assert_eq!(
        three.error().await,
        onair_shared::protocol::ErrorCode::NotHost
    );
    // WebRTC signals cross instances both ways, to that one member only.
    three
        .send(json!({"type":"signal","to":1,"data":{"sdp":"offer from 3"}}))
        .await;
    match host.recv().await {
        ServerMsg::Direct(Direct::Signal { from, data }) => {
            assert_eq!(
                (from, data["sdp"].as_str()),
                (UserId(3), Some("offer from 3"))
            );
        }
        other => panic!("expected a signal, got {other:?}"),
    }
    host.send(json!({"type":"signal","to":3,"data":{"sdp":"answer from 1"}}))
        .await;
    match three.recv().await {
        ServerMsg::Direct(Direct::Signal { from, data }) => {
            assert_eq!(
                (from, data["sdp"].as_str()),
                (UserId(1), Some("answer from 1"))
            );
        }
        other => panic!("expected a signal, got {other:?}"),
    }
    // Two, on the same instance as three, saw neither: its next frame is its own chat.
    two.send(json!({"type":"chat","text":"quiet here"})).await;
    assert!(matches!(two.event().await, EventKind::Chat { .. }));

    // Each instance counts what it did: a runs the show, b relays it to its two members.
    let (ma, mb) = (a.server.metrics().await, b.server.metrics().await);
    for (text, owned, relayed) in [(&ma, 1.0, 0.0), (&mb, 0.0, 1.0)] {
        assert_eq!(metric(text, r#"onair_rooms{role="owned"}"#), owned);
        assert_eq!(metric(text, r#"onair_rooms{role="relayed"}"#), relayed);
        assert!(metric(text, "onair_redis_publishes_total") > 0.0);
        assert!(metric(text, "onair_redis_receives_total") > 0.0);
        assert_eq!(metric(text, "onair_redis_up"), 1.0);
        assert_eq!(metric(text, r#"onair_frames_out_total{type="other"}"#), 0.0);
    }
    assert!(metric(&ma, "onair_snapshot_saves_total") > 0.0);
    assert_eq!(metric(&mb, "onair_snapshot_saves_total"), 0.0);
    assert_eq!(
        metric(&ma, "onair_room_members"),
        3.0,
        "members of owned rooms"
    );
    assert_eq!(metric(&mb, "onair_room_members"), 0.0);
    // The mirror ball reached one member on a and two on b; one signal went each way.
    assert_eq!(
        metric(&ma, r#"onair_frames_out_total{type="reaction"}"#),
        1.0
    );
    assert_eq!(
        metric(&mb, r#"onair_frames_out_total{type="reaction"}"#),
        2.0
    );
    assert_eq!(metric(&ma, r#"onair_frames_out_total{type="signal"}"#), 1.0);
    assert_eq!(metric(&mb, r#"onair_frames_out_total{type="signal"}"#), 1.0);
    // The owner decided the error; the relay wrote it.
    assert_eq!(
        metric(&ma, r#"onair_error_frames_total{code="not_host"}"#),
        1.0
    );
    assert_eq!(metric(&mb, r#"onair_frames_out_total{type="error"}"#), 1.0);
    assert_eq!(metric(&ma, r#"onair_frames_out_total{type="error"}"#), 0.0);
    assert!(metric_sum(&mb, "onair_fanout_latency_seconds_count") >= 10.0);
}

#[actix_rt::test]
async fn killing_the_owner_mid_act_moves_the_show_to_the_other_instance() {
    let Some(redis) = Redis::start() else { return };
    let api = Api::start().await;
    let mut a = Instance::start_reporting("a", &redis, Some(&api));
    let b = Instance::start_reporting("b", &redis, Some(&api));
    let (h, host_token) = api.login("Host").await;
    let (u2, two_token) = api.login("Two").await;
    let (u3, three_token) = api.login("Three").await;
    let room = api
        .post(
            "/api/v1/rooms",
            Some(&host_token),
            json!({"title":"Failover","mode":"rank"}),
        )
        .await;
    let room_id = room["id"].as_i64().unwrap();

    let mut host = api.enter(&host_token, room_id, &a).await; // a owns the room
    let mut two = api.enter(&two_token, room_id, &b).await;
    host.event().await;
    let mut three = api.enter(&three_token, room_id, &b).await;
    all_get(&mut [&mut host, &mut two]).await;

    // Act 1 is scored and recorded before the crash.
    host.send(json!({"type":"start"})).await;
    all_get(&mut [&mut host, &mut two, &mut three]).await;
    all_get(&mut [&mut host, &mut two, &mut three]).await;
    host.send(json!({"type":"end_performance"})).await;
    let EventKind::PerformanceEnded { round: r1 } =
        all_get(&mut [&mut host, &mut two, &mut three]).await
    else {
        panic!()
    };
    two.send(json!({"type":"score","round":r1.id,"value":90}))
        .await;
    three
        .send(json!({"type":"score","round":r1.id,"value":70}))
        .await;
    for _ in 0..3 {
        all_get(&mut [&mut host, &mut two, &mut three]).await; // progress, progress, closed
    }
    host.send(json!({"type":"nominate","user":u2})).await;
    all_get(&mut [&mut host, &mut two, &mut three]).await; // nominated
    all_get(&mut [&mut host, &mut two, &mut three]).await; // two on air

    // Act 2 is on air, then ended, and half scored, when the owner dies.
    two.send(json!({"type":"end_performance"})).await;
    let EventKind::PerformanceEnded { round: r2 } =
        all_get(&mut [&mut host, &mut two, &mut three]).await
    else {
        panic!()
    };
    three
        .send(json!({"type":"score","round":r2.id,"value":40}))
        .await;
    all_get(&mut [&mut host, &mut two, &mut three]).await;
    a.kill();
    let killed = Instant::now();
    drop(host);

    // The host reconnects to the surviving instance and gets the room exactly as it was.
    let (mut host, snap) = api.enter_with_snapshot(&host_token, room_id, &b).await;
    assert!(
        killed.elapsed() < Duration::from_secs(10),
        "took {:?}",
        killed.elapsed()
    );
    assert_eq!(snap.phase, Phase::Scoring);
    assert_eq!(snap.performer, Some(UserId(u2)));
    let open = snap.round.expect("the open round survived");
    assert_eq!(
        (open.id, open.scored.clone(), open.eligible),
        (r2.id, vec![UserId(u3)], 2)
    );
    assert_eq!(snap.results.len(), 1, "act 1's result survived");

    // The members who were on b all along were moved to the new owner and play on.
    host.send(json!({"type":"score","round":r2.id,"value":60}))
        .await;
    let closed = loop {
        match next_event(&mut three).await {
            e @ EventKind::RoundClosed { .. } => break e,
            _ => continue,
        }
    };
    assert_eq!(
        closed,
        EventKind::RoundClosed {
            round: r2.id,
            performer: UserId(u2),
            name: "Two".into(),
            average: Some(50.0),
            count: 2,
            counts: true
        },
        "the score given before the crash still counts, once"
    );

    let took_over = metric(&b.server.metrics().await, "onair_lease_takeovers_total");
    assert_eq!(took_over, 1.0);

    // Act 1 was reported by the dead owner and again by the new one; it counts once.
    let start = Instant::now();
    loop {
        let ranking = api.ranking().await;
        if ranking.len() == 2 {
            assert_eq!(ranking, [(h, 80.0, 1), (u2, 50.0, 1)]);
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "ranking: {ranking:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[actix_rt::test]
async fn a_redis_restart_mid_show_keeps_everyone_connected() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let a = Instance::start("a", &redis);
    let b = Instance::start("b", &redis);
    let r = fresh_room(1);
    let (mut host, _) = Client::join(&a.server, 1, &r).await;
    let (mut two, _) = Client::join(&b.server, 2, &r).await;
    host.event().await;
    host.send(json!({"type":"start"})).await;
    all_get(&mut [&mut host, &mut two]).await;
    all_get(&mut [&mut host, &mut two]).await;

    redis.kill();
    tokio::time::sleep(Duration::from_secs(2)).await;
    redis.restart();
    // Give the bridge time to reconnect and resubscribe, and the owner to retake its lease.
    tokio::time::sleep(Duration::from_secs(3)).await;

    two.send(json!({"type":"chat","text":"still here?"})).await;
    for c in [&mut host, &mut two] {
        let e = loop {
            match next_event(c).await {
                e @ EventKind::Chat { .. } => break e,
                EventKind::MemberOffline { .. } | EventKind::MemberOnline { .. } => continue,
                other => panic!("user {}: {other:?}", c.user),
            }
        };
        assert!(matches!(e, EventKind::Chat { line } if line.text == "still here?"));
    }
    // The show itself is untouched: the host is still on air.
    host.send(json!({"type":"end_performance"})).await;
    assert!(matches!(
        all_get(&mut [&mut host, &mut two]).await,
        EventKind::PerformanceEnded { .. }
    ));
}

#[actix_rt::test]
async fn a_graceful_shutdown_of_the_owner_hands_the_show_over_too() {
    let Some(redis) = Redis::start() else { return };
    let mut a = Instance::start("a", &redis);
    let b = Instance::start("b", &redis);
    let r = fresh_room(1);
    let (mut host, _) = Client::join(&a.server, 1, &r).await;
    let (mut two, _) = Client::join(&b.server, 2, &r).await;
    host.event().await;
    host.send(json!({"type":"chat","text":"before the restart"}))
        .await;
    all_get(&mut [&mut host, &mut two]).await;
    host.send(json!({"type":"start","first":2})).await;
    all_get(&mut [&mut host, &mut two]).await;
    all_get(&mut [&mut host, &mut two]).await;

    a.terminate();
    drop(host);
    let url = format!("ws://{}/ws?ticket={}", b.server.addr, ticket(1, &r));
    let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut host = Client {
        ws,
        user: UserId(1),
        last_seq: 0,
    };
    let snap = loop {
        match host.recv_within(Duration::from_secs(12)).await {
            ServerMsg::Direct(Direct::Welcome { room, .. }) => break room,
            _ => continue,
        }
    };
    assert_eq!(snap.phase, Phase::OnAir);
    assert_eq!(snap.performer, Some(UserId(2)));
    assert_eq!(
        snap.chat.last().map(|l| l.text.as_str()),
        Some("before the restart")
    );
}

/// `GET` on an instance: status and JSON body.
async fn get_json(addr: SocketAddr, path: &str) -> (u16, serde_json::Value) {
    let reply = reqwest::Client::new()
        .get(format!("http://{addr}{path}"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("the instance answers");
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap_or_default())
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill {sig} {pid}");
}

#[actix_rt::test]
async fn readiness_answers_within_a_second_whatever_redis_does() {
    let Some(redis) = Redis::start() else { return };
    let a = Instance::start("a", &redis);
    assert_eq!(get_json(a.server.addr, "/readyz").await.0, 200);

    // A Redis that hangs (stopped, not gone: connections stay open, nothing answers).
    redis.pause();
    let asked = Instant::now();
    let (status, body) = get_json(a.server.addr, "/readyz").await;
    let took = asked.elapsed();
    redis.resume();
    assert_eq!((status, body["redis"].as_str()), (503, Some("unreachable")));
    assert!(took < Duration::from_secs(1), "readiness took {took:?}");
    assert_eq!(
        get_json(a.server.addr, "/healthz").await.0,
        200,
        "alive all along"
    );
    let start = Instant::now();
    while get_json(a.server.addr, "/readyz").await.0 != 200 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "never ready again"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(metric(&a.server.metrics().await, "onair_redis_up"), 1.0);
}

#[actix_rt::test]
async fn sigterm_drains_before_stopping() {
    let Some(redis) = Redis::start() else { return };
    let mut a = Instance::start_with("a", &redis, None, |cmd| {
        cmd.env("ONAIR_DRAIN_SECS", "2");
    });
    let r = fresh_room(1);
    let (mut member, _) = Client::join(&a.server, 1, &r).await;

    signal(a.child.id(), "-TERM");
    let start = Instant::now();
    loop {
        let (status, body) = get_json(a.server.addr, "/readyz").await;
        if status == 503 {
            assert_eq!(body["status"], "draining");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "still ready after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(get_json(a.server.addr, "/healthz").await.0, 200);
    let (status, body) = get_json(a.server.addr, &format!("/ws?ticket={}", ticket(2, &r))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("draining"))
    );
    // The open connection carries on while draining...
    member.send(json!({"type":"chat","text":"last call"})).await;
    assert!(matches!(member.event().await, EventKind::Chat { .. }));
    // ...and the process stops once the drain is over.
    let status = loop {
        if let Some(status) = a.child.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "never stopped");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "{status:?}");
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "stopped before the drain was over"
    );
    member.closed().await;
}

/// What this test process logs (its in-process api-servers), as JSON lines.
static CAPTURED: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct Capture;

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURED.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The JSON log lines in `text` whose span or fields carry `request_id`.
fn lines_with(text: &str, request_id: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["span"]["request_id"] == request_id || l["request_id"] == request_id)
        .collect()
}

#[actix_rt::test]
async fn one_show_is_followed_across_both_servers_by_its_request_id() {
    let Some(redis) = Redis::start() else { return };
    let settings = onair_telemetry::logs::LogSettings {
        format: onair_telemetry::LogFormat::Json,
        otlp_endpoint: None,
    };
    let _logs = onair_telemetry::logs::init_with_writer("test", &settings, || Capture);
    let api = Api::start().await;
    let log_path =
        std::env::temp_dir().join(format!("onair-rs-log-{}-{}", std::process::id(), now()));
    let log_file = std::fs::File::create(&log_path).unwrap();
    let a = Instance::start_with("a", &redis, Some(&api), |cmd| {
        cmd.env("ONAIR_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .stderr(Stdio::from(log_file));
    });
    let (_, host_token) = api.login("Host").await;
    let (_, two_token) = api.login("Two").await;
    let (_, three_token) = api.login("Three").await;
    let room = api
        .post(
            "/api/v1/rooms",
            Some(&host_token),
            json!({"title":"Followed","mode":"rank"}),
        )
        .await;
    let room_id = room["id"].as_i64().unwrap();

    // The host's browser names its ticket request; the others' get ids made up by the server.
    let show = format!("show-{}-{}", std::process::id(), now());
    let reply = api
        .http
        .post(format!("{}/api/v1/rooms/{room_id}/ticket", api.base))
        .bearer_auth(&host_token)
        .header("X-Request-Id", &show)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.headers()["x-request-id"], show.as_str(), "echoed");
    let ticket: serde_json::Value = reply.json().await.unwrap();
    let url = format!(
        "ws://{}/ws?ticket={}",
        a.server.addr,
        ticket["ticket"].as_str().unwrap()
    );
    let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut host = Client {
        ws,
        user: UserId(0),
        last_seq: 0,
    };
    host.recv().await; // welcome
    let mut two = api.enter(&two_token, room_id, &a).await;
    let mut three = api.enter(&three_token, room_id, &a).await;
    host.send(json!({"type":"start"})).await;
    host.send(json!({"type":"end_performance"})).await;
    let round = loop {
        if let EventKind::PerformanceEnded { round } = next_event(&mut two).await {
            break round;
        }
    };
    for c in [&mut two, &mut three] {
        c.send(json!({"type":"score","round":round.id,"value":80}))
            .await;
    }
    loop {
        if let EventKind::RoundClosed { .. } = next_event(&mut host).await {
            break;
        }
    }

    // The room-server delivers the round under the show's id, and logs that it did.
    let start = Instant::now();
    let room_lines = loop {
        let text = std::fs::read_to_string(&log_path).unwrap();
        let lines = lines_with(&text, &show);
        if lines.iter().any(|l| l["message"] == "round 1 delivered") {
            break lines;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "room-server log:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let _ = std::fs::remove_file(&log_path);
    let messages: Vec<&str> = room_lines
        .iter()
        .filter_map(|l| l["message"].as_str())
        .collect();
    for expected in ["member connecting", "room opened", "round 1 delivered"] {
        assert!(
            messages.contains(&expected),
            "{expected:?} not in {messages:?}"
        );
    }
    let room_label = room_id.to_string();
    assert!(
        room_lines
            .iter()
            .all(|l| l["span"]["room"] == room_label.as_str()
                || l["span"]["path"] == "/ws"
                || l["span"]["name"] == "report"),
        "{room_lines:?}"
    );

    // The api-server logged the ticket and the room-server's report under the same id.
    let text = String::from_utf8(CAPTURED.lock().unwrap().clone()).unwrap();
    let api_lines = lines_with(&text, &show);
    let answered: Vec<&str> = api_lines
        .iter()
        .filter(|l| l["message"] == "answered")
        .filter_map(|l| l["span"]["path"].as_str())
        .collect();
    for path in [
        format!("/api/v1/rooms/{room_id}/ticket"),
        format!("/internal/v1/rooms/{room_id}/rounds/1"),
    ] {
        assert!(
            answered.contains(&path.as_str()),
            "{path} not in {answered:?}"
        );
    }
    assert!(api_lines.iter().any(|l| l["message"] == "ticket issued"));
}

/// Opens a socket with this ticket on `on`; `Err` with the HTTP status and error code when
/// refused.
async fn try_open(on: &Instance, ticket: &str) -> Result<Client, (u16, String)> {
    let url = format!("ws://{}/ws?ticket={ticket}", on.server.addr);
    match tokio_tungstenite::connect_async(url).await {
        Ok((ws, _)) => {
            let mut c = Client {
                ws,
                user: UserId(0),
                last_seq: 0,
            };
            match c.recv_within(Duration::from_secs(12)).await {
                ServerMsg::Direct(Direct::Welcome { you, .. }) => c.user = you,
                other => panic!("expected welcome, got {other:?}"),
            }
            Ok(c)
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            let body: serde_json::Value = resp
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or_default();
            Err((
                resp.status().as_u16(),
                body["error"]["code"].as_str().unwrap_or("").to_owned(),
            ))
        }
        Err(e) => panic!("websocket: {e}"),
    }
}

#[actix_rt::test]
async fn a_ticket_used_on_one_instance_is_refused_by_the_other() {
    let Some(redis) = Redis::start() else { return };
    let a = Instance::start("a", &redis);
    let b = Instance::start("b", &redis);
    let r = fresh_room(1);
    let t = ticket(1, &r);
    let _host = try_open(&a, &t).await.expect("the first use opens");
    assert_eq!(
        try_open(&b, &t).await.err(),
        Some((401, "ticket_used".into()))
    );
    assert_eq!(
        try_open(&a, &t).await.err(),
        Some((401, "ticket_used".into()))
    );
}

#[actix_rt::test]
async fn a_room_that_ended_on_one_instance_stays_ended_on_the_other() {
    let Some(redis) = Redis::start() else { return };
    // No api-server here: only what the instances keep in Redis stops the ghost.
    let a = Instance::start("a", &redis);
    let b = Instance::start("b", &redis);
    let r = fresh_room(1);
    let (mut host, _) = Client::join(&a.server, 1, &r).await;
    let (mut two, _) = Client::join(&b.server, 2, &r).await;
    host.event().await;
    // Tickets issued before the end, kept for later.
    let kept_a = ticket(2, &r);
    let kept_b = ticket(3, &r);
    host.send(json!({"type":"start"})).await;
    host.send(json!({"type":"end_show"})).await;
    loop {
        if matches!(next_event(&mut two).await, EventKind::ShowEnded { .. }) {
            break;
        }
    }
    two.send(json!({"type":"leave"})).await;
    host.send(json!({"type":"leave"})).await;
    two.closed().await;
    host.closed().await;
    let start = Instant::now();
    loop {
        match try_open(&b, &kept_b).await {
            Err((409, code)) if code == "room_ended" => break,
            Err(other) if start.elapsed() < Duration::from_secs(5) => {
                let _ = other;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => panic!("the ended room reopened on b: {:?}", other.map(|c| c.user)),
        }
    }
    assert_eq!(
        try_open(&a, &kept_a).await.err(),
        Some((409, "room_ended".into()))
    );
}

#[actix_rt::test]
async fn a_ban_closes_the_users_sockets_on_every_instance() {
    let Some(redis) = Redis::start() else { return };
    let api = Api::start().await;
    let a = Instance::start_reporting("a", &redis, Some(&api));
    let b = Instance::start_reporting("b", &redis, Some(&api));
    let (_, boss) = api.login("Boss").await;
    let (_, host_token) = api.login("Host").await;
    let (mallory, mallory_token) = api.login("Mallory").await;
    let room = api
        .post(
            "/api/v1/rooms",
            Some(&host_token),
            json!({"title":"Two instances"}),
        )
        .await;
    let room_id = room["id"].as_i64().unwrap();
    let mut host = api.enter(&host_token, room_id, &a).await; // a owns the room
    let mut m = api.enter(&mallory_token, room_id, &b).await; // through b's relay
    host.event().await;
    let banned_at = Instant::now();
    api.post(
        &format!("/api/v1/admin/users/{mallory}/ban"),
        Some(&boss),
        json!({}),
    )
    .await;
    // Mallory, on the relaying instance, is told and cut off; the owner takes the seat.
    let mut told = false;
    loop {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        match tokio::time::timeout(Duration::from_secs(8), m.ws.next()).await {
            Err(_) => panic!("mallory's socket stayed open"),
            Ok(Some(Ok(Message::Text(t)))) => {
                told |= t.contains("\"banned\"");
            }
            Ok(Some(Ok(_))) => {}
            Ok(_) => break,
        }
    }
    assert!(told, "mallory was told why");
    loop {
        match next_event(&mut host).await {
            EventKind::MemberLeft { user, reason } => {
                assert_eq!(
                    (user, reason),
                    (UserId(mallory), onair_shared::protocol::LeaveReason::Banned)
                );
                break;
            }
            _ => continue,
        }
    }
    assert!(
        banned_at.elapsed() < Duration::from_secs(6),
        "{:?}",
        banned_at.elapsed()
    );
}

/// Connects and waits (up to `patience`, through a failover) for the `welcome`.
async fn connect_within(
    on: &Instance,
    user: i64,
    r: &TicketRoom,
    patience: Duration,
) -> (Client, onair_shared::protocol::RoomSnapshot) {
    let url = format!("ws://{}/ws?ticket={}", on.server.addr, ticket(user, r));
    let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut c = Client {
        ws,
        user: UserId(user),
        last_seq: 0,
    };
    let room = until_welcome(&mut c, patience).await;
    (c, room)
}

/// Reads until a fresh `welcome` (skipping events), within `patience`.
async fn until_welcome(c: &mut Client, patience: Duration) -> onair_shared::protocol::RoomSnapshot {
    until_welcome_full(c, patience).await.2
}

/// [`until_welcome`], with the welcome's `seq` and `epoch`.
async fn until_welcome_full(
    c: &mut Client,
    patience: Duration,
) -> (u64, String, onair_shared::protocol::RoomSnapshot) {
    let deadline = Instant::now() + patience;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match c.try_recv(left).await {
            Some(ServerMsg::Direct(Direct::Welcome {
                seq, epoch, room, ..
            })) => return (seq, epoch, room),
            Some(_) => continue,
            None => panic!("user {}: no welcome within {patience:?}", c.user),
        }
    }
}

/// Reads frames until `done` says the awaited one came, within `patience`; panics with `what`
/// if it never does, and on an error frame when `errors_fail`.
async fn read_until(
    c: &mut Client,
    patience: Duration,
    errors_fail: bool,
    what: &str,
    done: impl Fn(&ServerMsg) -> bool,
) {
    let deadline = Instant::now() + patience;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match c.try_recv(left).await {
            Some(ServerMsg::Direct(Direct::Error { code, .. })) if errors_fail => {
                panic!("user {}: error {code:?}", c.user)
            }
            Some(msg) if done(&msg) => return,
            Some(_) => continue,
            None => panic!("user {}: {what} never came", c.user),
        }
    }
}

fn is_chat(msg: &ServerMsg, text: &str) -> bool {
    matches!(msg, ServerMsg::Event(e) if matches!(&e.kind, EventKind::Chat { line } if line.text == text))
}

/// Reads until the chat line `text` arrives (skipping anything else), within `patience`.
async fn until_chat(c: &mut Client, text: &str, patience: Duration) {
    read_until(c, patience, false, &format!("{text:?}"), |m| {
        is_chat(m, text)
    })
    .await
}

/// Finding 1 of issue 13: the owner is killed and started again at once under the same
/// `ONAIR_INSTANCE_ID` (compose's `restart: unless-stopped`). It is a new incarnation: it must
/// not resume the room as if its old sessions still existed, and the members on the other
/// instance must be re-joined to whoever owns the room now, and keep playing.
#[actix_rt::test]
async fn an_owner_restarted_under_its_own_name_does_not_freeze_the_other_members() {
    let Some(redis) = Redis::start() else { return };
    let mut a = Instance::start("room-1", &redis);
    let b = Instance::start("room-2", &redis);
    let r = fresh_room(1);
    let (mut host, _) = Client::join(&a.server, 1, &r).await; // room-1 owns the room
    let (mut two, _) = Client::join(&b.server, 2, &r).await;
    host.event().await;
    host.send(json!({"type":"start","first":2})).await;
    all_get(&mut [&mut host, &mut two]).await;
    all_get(&mut [&mut host, &mut two]).await;

    a.kill();
    drop(host);
    let a = Instance::start("room-1", &redis);
    let (mut host, snap) = connect_within(&a, 1, &r, Duration::from_secs(15)).await;
    assert_eq!(snap.performer, Some(UserId(2)), "the show carried on");

    // The member on room-2 was moved to the room's owner now, and is heard.
    until_welcome(&mut two, Duration::from_secs(15)).await;
    two.send(json!({"type":"chat","text":"still on air"})).await;
    until_chat(&mut host, "still on air", Duration::from_secs(5)).await;
    until_chat(&mut two, "still on air", Duration::from_secs(5)).await;
    two.send(json!({"type":"end_performance"})).await;
    for c in [&mut host, &mut two] {
        loop {
            match next_event(c).await {
                EventKind::PerformanceEnded { .. } => break,
                _ => continue,
            }
        }
    }
}

/// Finding 3 of issue 13: a chat line sent just before the owner's `kill -9` was lost (chat was
/// saved at most once a second) and the new owner gave its `seq` to another event. Chat is
/// written through now, and a takeover starts a new epoch: a client resyncing with the old
/// epoch gets a fresh welcome, never another event under a `seq` it has seen.
#[actix_rt::test]
async fn a_chat_line_just_before_the_owner_dies_is_kept_and_its_seq_is_not_reused() {
    let Some(redis) = Redis::start() else { return };
    let mut a = Instance::start("a", &redis);
    let b = Instance::start("b", &redis);
    let r = fresh_room(1);
    let (mut host, _) = Client::join(&a.server, 1, &r).await; // a owns the room
    let url = format!("ws://{}/ws?ticket={}", b.server.addr, ticket(2, &r));
    let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut two = Client {
        ws,
        user: UserId(2),
        last_seq: 0,
    };
    let (_, first_epoch, _) = until_welcome_full(&mut two, Duration::from_secs(5)).await;
    host.event().await;

    host.send(json!({"type":"chat","text":"last words"})).await;
    until_chat(&mut two, "last words", Duration::from_secs(5)).await;
    let seen = two.last_seq;
    a.kill();

    // b takes the room over and moves two onto it: a fresh view, in a new epoch, with the line.
    let (seq, epoch, room) = until_welcome_full(&mut two, Duration::from_secs(15)).await;
    assert_ne!(epoch, first_epoch, "a takeover starts a new epoch");
    assert!(
        room.chat.iter().any(|l| l.text == "last words"),
        "the line sent just before the kill survived: {:?}",
        room.chat
    );
    assert!(seq >= seen, "the saved state has every event two saw");

    // A resync from the old numbering is answered with a welcome, not with events that may
    // carry a number two has already seen.
    two.send(json!({"type":"resync","since": seen - 1, "epoch": first_epoch}))
        .await;
    let (_, again, room) = until_welcome_full(&mut two, Duration::from_secs(5)).await;
    assert_eq!(again, epoch);
    assert!(room.chat.iter().any(|l| l.text == "last words"));
}

/// The saved state of room `r` in `redis`, as JSON.
async fn saved_state(redis: &Redis, r: &TicketRoom) -> serde_json::Value {
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let bytes: Vec<u8> = redis::cmd("GET")
        .arg(format!("onair:room:{}:state", r.id))
        .query_async(&mut conn)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Replaces room `r`'s saved state and frees its lease (as if its owner died long ago).
async fn replace_state(redis: &Redis, r: &TicketRoom, state: &serde_json::Value) {
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("SET")
        .arg(format!("onair:room:{}:state", r.id))
        .arg(state.to_string())
        .query_async(&mut conn)
        .await
        .unwrap();
    let _: () = redis::cmd("DEL")
        .arg(format!("onair:room:{}:owner", r.id))
        .query_async(&mut conn)
        .await
        .unwrap();
}

/// A show in room `r` owned by a room-server that is then killed: host on air, one chat line.
/// Returns the saved state it left.
async fn a_show_left_behind(redis: &Redis, r: &TicketRoom) -> serde_json::Value {
    let mut a = Instance::start("old", redis);
    let (mut host, _) = Client::join(&a.server, 1, r).await;
    let (mut two, _) = Client::join(&a.server, 2, r).await;
    host.event().await;
    host.send(json!({"type":"chat","text":"kept across versions"}))
        .await;
    all_get(&mut [&mut host, &mut two]).await;
    host.send(json!({"type":"start","first":2})).await;
    all_get(&mut [&mut host, &mut two]).await;
    all_get(&mut [&mut host, &mut two]).await;
    // The state goes to Redis a moment after the events go out: kill only once it is there
    // (on a loaded machine the kill could otherwise come first).
    let deadline = Instant::now() + Duration::from_secs(5);
    while saved_state(redis, r).await["show"]["stage"]["OnAir"].is_null() {
        assert!(
            Instant::now() < deadline,
            "the started show was never saved"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    a.kill();
    saved_state(redis, r).await
}

/// Finding 5 of issue 13: the snapshot in Redis is versioned. One written before the version
/// existed (the same fields, no `version`) still loads; one from a newer build is not taken
/// for garbage (which started the show afresh): the room is left to a build that can read it
/// and members are told to try again.
#[actix_rt::test]
async fn a_snapshot_of_the_previous_format_loads_and_a_newer_one_is_not_dropped() {
    let Some(redis) = Redis::start() else { return };
    let r = fresh_room(1);
    let mut state = a_show_left_behind(&redis, &r).await;
    assert_eq!(state["version"], 1, "this build writes version 1");

    // Previous format: no version field.
    state.as_object_mut().unwrap().remove("version");
    replace_state(&redis, &r, &state).await;
    let b = Instance::start("new", &redis);
    let (mut two, snap) = connect_within(&b, 2, &r, Duration::from_secs(5)).await;
    assert_eq!(snap.performer, Some(UserId(2)));
    assert!(snap.chat.iter().any(|l| l.text == "kept across versions"));
    two.send(json!({"type":"leave"})).await;
    drop(two);
    drop(b);

    // A newer build's snapshot, with a field this build does not know in place of one it does.
    let r2 = room(r.id.0 + 500, 1);
    let mut state = a_show_left_behind(&redis, &r2).await;
    let show = state.as_object_mut().unwrap().remove("show").unwrap();
    state["stage"] = show;
    state["version"] = json!(2);
    replace_state(&redis, &r2, &state).await;
    let c = Instance::start("older", &redis);
    let refused = try_open(&c, &ticket(2, &r2)).await.err();
    assert_eq!(
        refused,
        Some((503, "room_unavailable".to_owned())),
        "the show is not started afresh"
    );
    assert_eq!(
        saved_state(&redis, &r2).await,
        state,
        "the newer snapshot is left as it was"
    );
}

/// Finding 4 of issue 13: takeover took about 5 s (the 4 s lease had to lapse). With a 1 s
/// lease renewed every 250 ms, members on the surviving instance are on a fresh view within
/// 2 s of the owner's `kill -9`; after a clean stop (SIGTERM: the owner gives its leases up and
/// says so) within a second.
#[actix_rt::test]
async fn members_are_back_on_a_fresh_view_within_two_seconds_of_a_kill() {
    let Some(redis) = Redis::start() else { return };
    let mut a = Instance::start("a", &redis);
    let b = Instance::start("b", &redis);
    let r = fresh_room(1);
    let (mut host, _) = Client::join(&a.server, 1, &r).await; // a owns the room
    let (mut two, _) = Client::join(&b.server, 2, &r).await;
    host.event().await;
    host.send(json!({"type":"start","first":2})).await;
    all_get(&mut [&mut host, &mut two]).await;
    all_get(&mut [&mut host, &mut two]).await;
    // Let a few renewals pass, so the lease is as fresh as it gets in a running show.
    tokio::time::sleep(Duration::from_millis(600)).await;

    a.kill();
    let killed = Instant::now();
    let snap = until_welcome(&mut two, Duration::from_secs(10)).await;
    let took = killed.elapsed();
    // The target is 2 s (about 1.4 s on a quiet machine; the chaos program measures it); the
    // test leaves room for a machine busy with the rest of the suite, and still fails the old
    // 4 s lease (5 s and more).
    assert!(took < Duration::from_millis(3000), "back after {took:?}");
    assert_eq!(snap.performer, Some(UserId(2)));

    // A clean stop of the new owner b hands the room to a new instance c at once.
    let c = Instance::start("c", &redis);
    drop(host);
    let (mut host, _) = Client::join(&c.server, 1, &r).await; // through c's relay
    all_get(&mut [&mut two]).await; // host online again
    let mut b = b;
    let stopping = Instant::now();
    signal(b.child.id(), "-TERM");
    let snap = until_welcome(&mut host, Duration::from_secs(10)).await;
    let took = stopping.elapsed();
    // Under a second (about 0.1 s on a quiet machine), with the same room for a busy one.
    assert!(took < Duration::from_millis(1500), "back after {took:?}");
    assert_eq!(snap.performer, Some(UserId(2)));
    b.terminate();
}

/// Reads until `user`'s score in the open round shows (its progress event, or a welcome whose
/// round lists them), within `patience`.
async fn until_scored(c: &mut Client, user: i64, patience: Duration) {
    let user = UserId(user);
    read_until(c, patience, true, &format!("{user}'s score"), |m| match m {
        ServerMsg::Event(e) => {
            matches!(e.kind, EventKind::ScoreProgress { scorer, .. } if scorer == user)
        }
        ServerMsg::Direct(Direct::Welcome { room, .. }) => room
            .round
            .as_ref()
            .is_some_and(|r| r.scored.contains(&user)),
        _ => false,
    })
    .await
}

/// Reads until the chat line `text` shows (as an event, or in a welcome's chat).
async fn until_chat_shows(c: &mut Client, text: &str, patience: Duration) {
    read_until(c, patience, true, &format!("{text:?}"), |m| match m {
        ServerMsg::Direct(Direct::Welcome { room, .. }) => room.chat.iter().any(|l| l.text == text),
        other => is_chat(other, text),
    })
    .await
}

/// Finding 2 of issue 13: a chat line and a score sent just after the owner's `kill -9` by a
/// member on the surviving instance vanished. The relay sees that no owner received them,
/// holds them in order and hands them to the room's next owner (here: its own instance).
#[actix_rt::test]
async fn commands_sent_while_the_room_has_no_owner_are_applied_when_it_has_one() {
    let Some(redis) = Redis::start() else { return };
    let mut a = Instance::start("a", &redis);
    let b = Instance::start("b", &redis);
    let r = fresh_room(1);
    let (mut host, _) = Client::join(&a.server, 1, &r).await; // a owns the room
    let (mut two, _) = Client::join(&b.server, 2, &r).await;
    host.event().await;
    let (mut three, _) = Client::join(&b.server, 3, &r).await;
    all_get(&mut [&mut host, &mut two]).await;
    host.send(json!({"type":"start","first":2})).await;
    all_get(&mut [&mut host, &mut two, &mut three]).await;
    all_get(&mut [&mut host, &mut two, &mut three]).await;
    two.send(json!({"type":"end_performance"})).await;
    let EventKind::PerformanceEnded { round } =
        all_get(&mut [&mut host, &mut two, &mut three]).await
    else {
        panic!("no round")
    };

    a.kill();
    // Well inside the dead owner's lease: nobody owns the room for a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    three.send(json!({"type":"chat","text":"in the gap"})).await;
    three
        .send(json!({"type":"score","round":round.id,"value":70}))
        .await;

    until_chat_shows(&mut two, "in the gap", Duration::from_secs(10)).await;
    until_scored(&mut two, 3, Duration::from_secs(5)).await;
    until_chat_shows(&mut three, "in the gap", Duration::from_secs(5)).await;
    drop(host);
    let (_host, snap) = connect_within(&b, 1, &r, Duration::from_secs(5)).await;
    let open = snap.round.expect("the round is still open");
    assert_eq!(open.scored, vec![UserId(3)], "the score counts, once");
    assert_eq!(
        snap.chat.iter().filter(|l| l.text == "in the gap").count(),
        1,
        "the line shows once"
    );
}

/// Finding 2 of issue 13, during a Redis outage: a member on a non-owner instance chats while
/// Redis is down. Its relay holds the line and sends it once Redis (and the owner) answer.
#[actix_rt::test]
async fn a_chat_line_sent_while_redis_is_down_arrives_when_it_is_back() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let a = Instance::start("a", &redis);
    let b = Instance::start("b", &redis);
    let r = fresh_room(1);
    let (mut host, _) = Client::join(&a.server, 1, &r).await; // a owns the room
    let (mut two, _) = Client::join(&b.server, 2, &r).await;
    host.event().await;

    redis.kill();
    tokio::time::sleep(Duration::from_millis(300)).await;
    two.send(json!({"type":"chat","text":"while redis was down"}))
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    redis.restart();

    until_chat_shows(&mut two, "while redis was down", Duration::from_secs(10)).await;
    // The room has it (whoever owns it now: on a busy machine b may have taken the room over
    // while Redis was away, and then a closed the host's socket).
    drop(host);
    let (_three, snap) = connect_within(&b, 3, &r, Duration::from_secs(10)).await;
    assert_eq!(
        snap.chat
            .iter()
            .filter(|l| l.text == "while redis was down")
            .count(),
        1
    );
}

/// A rolling deploy: both instances are replaced one after the other (SIGTERM, then a new
/// process under the same name) during a live show with an open scoring round. Members
/// reconnect where they can; nothing the show had is lost and every score counts once.
#[actix_rt::test]
async fn a_rolling_restart_of_both_instances_loses_nothing() {
    let Some(redis) = Redis::start() else { return };
    let mut a = Instance::start("room-1", &redis);
    let mut b = Instance::start("room-2", &redis);
    let r = fresh_room(1);
    let (mut host, _) = Client::join(&a.server, 1, &r).await; // room-1 owns the room
    let (mut two, _) = Client::join(&b.server, 2, &r).await;
    host.event().await;
    let (mut three, _) = Client::join(&b.server, 3, &r).await;
    all_get(&mut [&mut host, &mut two]).await;
    host.send(json!({"type":"chat","text":"before the deploy"}))
        .await;
    all_get(&mut [&mut host, &mut two, &mut three]).await;
    host.send(json!({"type":"start","first":2})).await;
    all_get(&mut [&mut host, &mut two, &mut three]).await;
    all_get(&mut [&mut host, &mut two, &mut three]).await;
    two.send(json!({"type":"end_performance"})).await;
    let EventKind::PerformanceEnded { round } =
        all_get(&mut [&mut host, &mut two, &mut three]).await
    else {
        panic!("no round")
    };
    three
        .send(json!({"type":"score","round":round.id,"value":70}))
        .await;
    all_get(&mut [&mut host, &mut two, &mut three]).await;

    // room-1 is replaced; its member comes back through room-2.
    a.terminate();
    drop(host);
    let a = Instance::start("room-1", &redis);
    let (mut host, snap) = connect_within(&b, 1, &r, Duration::from_secs(5)).await;
    assert_eq!(
        snap.round.as_ref().map(|o| o.scored.clone()),
        Some(vec![UserId(3)])
    );
    host.send(json!({"type":"chat","text":"between the two"}))
        .await;
    until_chat_shows(&mut two, "between the two", Duration::from_secs(5)).await;

    // room-2 is replaced; everyone comes back through the new room-1.
    b.terminate();
    drop((host, two, three));
    let _b = Instance::start("room-2", &redis);
    let (mut host, snap) = connect_within(&a, 1, &r, Duration::from_secs(5)).await;
    let chat: Vec<&str> = snap.chat.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(chat, ["before the deploy", "between the two"]);
    assert_eq!(snap.performer, Some(UserId(2)));
    let open = snap.round.expect("the round is still open");
    assert_eq!(open.scored, vec![UserId(3)], "the score counts, once");
    host.send(json!({"type":"score","round":round.id,"value":90}))
        .await;
    until_scored(&mut host, 1, Duration::from_secs(5)).await;
}

/// No silent loss across a whole failover with three instances: members on the two surviving
/// instances chat every 400 ms (within their rate limit) from the owner's `kill -9` on. Whichever instance takes the room
/// over, the other's relay learns of it a moment later, and lines that reach the new owner
/// before its member was re-joined are sent again; every line ends up in the room once, in
/// order.
#[actix_rt::test]
async fn chat_through_a_failover_across_three_instances_arrives_once_and_in_order() {
    let Some(redis) = Redis::start() else { return };
    let mut a = Instance::start("a", &redis);
    let b = Instance::start("b", &redis);
    let c = Instance::start("c", &redis);
    let r = fresh_room(1);
    let (mut host, _) = Client::join(&a.server, 1, &r).await; // a owns the room
    let (mut two, _) = Client::join(&b.server, 2, &r).await;
    host.event().await;
    let (mut three, _) = Client::join(&c.server, 3, &r).await;
    all_get(&mut [&mut host, &mut two]).await;

    a.kill();
    drop(host);
    for i in 0..8 {
        two.send(json!({"type":"chat","text":format!("b{i}")}))
            .await;
        three
            .send(json!({"type":"chat","text":format!("c{i}")}))
            .await;
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    until_chat_shows(&mut two, "c7", Duration::from_secs(10)).await;
    until_chat_shows(&mut three, "b7", Duration::from_secs(5)).await;

    let (_host, snap) = connect_within(&b, 1, &r, Duration::from_secs(5)).await;
    for who in ["b", "c"] {
        let lines: Vec<&str> = snap
            .chat
            .iter()
            .map(|l| l.text.as_str())
            .filter(|t| t.starts_with(who))
            .collect();
        let expected: Vec<String> = (0..8).map(|i| format!("{who}{i}")).collect();
        assert_eq!(lines, expected, "{who}'s lines, once each, in order");
    }
}

/// The media state in a frame, if it is a `media_state` event.
fn media_state_in(msg: &ServerMsg) -> Option<onair_shared::media::MediaState> {
    match msg {
        ServerMsg::Event(e) => match &e.kind {
            EventKind::MediaState(s) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    }
}

#[actix_rt::test]
async fn a_track_playing_when_the_owner_dies_plays_on_from_where_it_was() {
    let Some(redis) = Redis::start() else { return };
    let mut a = Instance::start("a", &redis);
    let b = Instance::start("b", &redis);
    let r = fresh_room(1);
    let (mut host, _) = Client::join(&a.server, 1, &r).await; // a owns the room
    let url = format!("ws://{}/ws?ticket={}", b.server.addr, ticket(2, &r));
    let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut two = Client {
        ws,
        user: UserId(2),
        last_seq: 0,
    };
    until_welcome(&mut two, Duration::from_secs(5)).await;
    host.event().await;

    // The host plays a track from 30 s; two, on the other instance, hears of it.
    host.send(json!({"type":"media_set","url":"https://cdn.example.org/backing.mp3"}))
        .await;
    host.send(json!({"type":"media_play","position_ms":30000}))
        .await;
    let playing = std::cell::RefCell::new(None);
    read_until(
        &mut two,
        Duration::from_secs(5),
        true,
        "the track playing",
        |m| {
            let s = media_state_in(m).filter(|s| s.playing);
            let found = s.is_some();
            *playing.borrow_mut() = s;
            found
        },
    )
    .await;
    let playing = playing.into_inner().unwrap();
    let played_at = Instant::now();
    a.kill();

    // b takes the room over: the same track, still playing, anchored at the same server time,
    // so every browser computes the same position as before (no restart from 0 or 30 s).
    let room = until_welcome(&mut two, Duration::from_secs(15)).await;
    assert_eq!(
        room.media, playing,
        "the playback state survived the takeover"
    );
    assert!(room.media.playing);

    // The host comes back through b and pauses: the position has run on meanwhile.
    let (mut host, snap) = Client::join(&b.server, 1, &r).await;
    assert_eq!(snap.media, playing);
    host.send(json!({"type":"media_pause"})).await;
    let paused = std::cell::RefCell::new(None);
    read_until(&mut two, Duration::from_secs(5), true, "the pause", |m| {
        let s = media_state_in(m).filter(|s| !s.playing);
        let found = s.is_some();
        *paused.borrow_mut() = s;
        found
    })
    .await;
    let paused = paused.into_inner().unwrap();
    let ran = played_at.elapsed().as_millis() as u64;
    assert!(
        paused.position_ms >= 30_000 + ran.saturating_sub(1_000)
            && paused.position_ms <= 30_000 + ran + 1_000,
        "paused at {} ms after about {ran} ms of play from 30000",
        paused.position_ms
    );
}
