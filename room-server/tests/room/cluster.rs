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
        let port = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_onair-room-server"));
        if let Some(api) = api {
            cmd.env("ONAIR_API_INTERNAL_URL", &api.base)
                .env("ONAIR_SERVICE_TOKEN", SERVICE_TOKEN);
        }
        let child = cmd
            .env("ONAIR_JWT_SECRET", SECRET)
            .env("ONAIR_ROOM_BIND", format!("127.0.0.1:{port}"))
            .env("ONAIR_REDIS_URL", redis.url())
            .env("ONAIR_INSTANCE_ID", name)
            .env(
                "RUST_LOG",
                std::env::var("ONAIR_TEST_INSTANCE_LOG").unwrap_or("warn".into()),
            )
            .stdout(Stdio::null())
            .spawn()
            .expect("room-server process starts");
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
            average: Some(50.0),
            count: 2,
            counts: true
        },
        "the score given before the crash still counts, once"
    );

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
