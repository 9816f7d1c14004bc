//! Chaos program for the cluster (issue 13; see BENCHMARKS.md). Not a timed test: it prints
//! figures.
//!
//! `cargo bench -p onair-room-server --bench chaos -- --rounds 9`
//!
//! Two release room-servers (`room-1`, `room-2`) on a private `redis-server`, a real api-server
//! (SQLite in a temp dir) beside them. Each round: six fresh users in a fresh ranked room, the
//! host on the owner instance, the others split across both; an act is performed and its
//! scoring round opened, two scores given; then a fault, in turn:
//! - `kill`: `kill -9` of the room's owner (started again only after the round);
//! - `restart`: `kill -9` of the owner and an immediate restart under the same name;
//! - `redis`: Redis hangs (SIGSTOP) for `--outage` seconds (default 3).
//!
//! 300 ms into the fault every member who has not scored sends a chat line and its score;
//! members whose instance died reconnect to the other one and send theirs after its `welcome`.
//! It prints, over all rounds: how long members took to be back on a fresh view after a kill
//! (p50/max), commands lost (chat lines missing from the room afterwards, scores not counted),
//! `seq` reused (two different events seen under the same epoch and `seq`), and how many
//! times each ranked act was recorded (0/1/2).

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use onair_api_server::config::{ApiConfig, Database, RateLimits, Secret};
use onair_shared::protocol::{Direct, EventKind, ServerMsg};
use onair_testkit::db::{Backend, TestDb};
use onair_testkit::redis::Redis;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const SECRET: &str = "chaos-secret-chaos-secret-chaos-secret!!";
const SERVICE_TOKEN: &str = "chaos-service-token-chaos-service-token!";

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

struct Instance {
    name: String,
    child: Option<Child>,
    addr: SocketAddr,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Instance {
    fn start(name: &str, redis: &Redis, api: &str) -> Instance {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_onair-room-server"))
            .env("ONAIR_DRAIN_SECS", "0")
            .env("ONAIR_UP_NEXT_SECS", "0")
            .env("ONAIR_JWT_SECRET", SECRET)
            .env("ONAIR_ROOM_BIND", format!("127.0.0.1:{port}"))
            .env("ONAIR_REDIS_URL", redis.url())
            .env("ONAIR_INSTANCE_ID", name)
            .env("ONAIR_API_INTERNAL_URL", api)
            .env("ONAIR_SERVICE_TOKEN", SERVICE_TOKEN)
            .env("ONAIR_WORKERS", "1")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .spawn()
            .expect("room-server starts");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let start = Instant::now();
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{name} did not start"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        Instance {
            name: name.to_owned(),
            child: Some(child),
            addr,
        }
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn alive(&self) -> bool {
        self.child.is_some()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    /// POSTs, trying again a few times if the connection fails (a loaded machine).
    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Value {
        for attempt in 0.. {
            let mut req = self.http.post(format!("{}{path}", self.base)).json(&body);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            match req.send().await {
                Ok(resp) => {
                    assert!(resp.status().is_success(), "{path}: {}", resp.status());
                    return resp.json().await.unwrap();
                }
                Err(e) if attempt < 10 => {
                    eprintln!("{path}: {e}; again");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("{path}: {e}"),
            }
        }
        unreachable!()
    }

    async fn login(&self, name: &str) -> (i64, String) {
        let r = self
            .post("/api/v1/auth/dev", None, json!({ "name": name }))
            .await;
        (
            r["user"]["id"].as_i64().unwrap(),
            r["token"].as_str().unwrap().to_owned(),
        )
    }

    async fn ticket(&self, token: &str, room: i64) -> String {
        let t = self
            .post(
                &format!("/api/v1/rooms/{room}/ticket"),
                Some(token),
                json!({}),
            )
            .await;
        t["ticket"].as_str().unwrap().to_owned()
    }

    /// Ranked acts recorded for `user`.
    async fn acts(&self, user: i64) -> u64 {
        let v: Value = self
            .http
            .get(format!("{}/api/v1/rankings", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or_default();
        v["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["user"]["id"].as_i64() == Some(user))
            .and_then(|r| r["acts"].as_u64())
            .unwrap_or(0)
    }
}

/// What a member's reader reports.
enum Seen {
    Text(usize, u64, String, Instant),
    Closed(usize, u64),
}

struct Member {
    user: i64,
    token: String,
    /// Which instance it is connected to.
    on: usize,
    sink: Option<SplitSink<Ws, Message>>,
    /// Bumped on every connection, so reports of an old one are told apart.
    conn: u64,
    /// What it still has to send once welcomed (after a reconnect).
    pending: Vec<Value>,
    scored: bool,
    /// When its current connection opened.
    since: Instant,
    /// First fresh view after the fault.
    back: Option<Duration>,
}

async fn open(api: &Api, on: &Instance, token: &str, room: i64) -> Option<Ws> {
    let ticket = api.ticket(token, room).await;
    let url = format!("ws://{}/ws?ticket={ticket}", on.addr);
    tokio_tungstenite::connect_async(url)
        .await
        .ok()
        .map(|(ws, _)| ws)
}

fn read(idx: usize, conn: u64, mut stream: SplitStream<Ws>, tx: mpsc::UnboundedSender<Seen>) {
    tokio::spawn(async move {
        while let Some(Ok(msg)) = stream.next().await {
            if let Message::Text(t) = msg {
                let _ = tx.send(Seen::Text(idx, conn, t.to_string(), Instant::now()));
            }
        }
        let _ = tx.send(Seen::Closed(idx, conn));
    });
}

async fn send(m: &mut Member, frame: &Value) -> bool {
    match m.sink.as_mut() {
        Some(s) => s.send(Message::text(frame.to_string())).await.is_ok(),
        None => false,
    }
}

#[derive(Default)]
struct Figures {
    back: Vec<f64>,
    chat_sent: u64,
    chat_lost: u64,
    scores_sent: u64,
    scores_lost: u64,
    seq_reused: u64,
    /// Ranked acts recorded 0, 1, 2+ times.
    recorded: [u64; 3],
    rounds_unfinished: u64,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Fault {
    Kill,
    Restart,
    Redis,
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let arg = |k: &str, d: f64| {
        args.iter()
            .position(|a| a == k)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let rounds = arg("--rounds", 9.0) as usize;
    let outage = Duration::from_secs_f64(arg("--outage", 3.0));
    actix_rt::System::new().block_on(run(rounds, outage));
}

async fn run(rounds: usize, outage: Duration) {
    let redis = Redis::start().expect("redis-server (apt-get install redis-server)");
    let db = TestDb::create(Backend::Sqlite).expect("SQLite");
    let mut config = ApiConfig::dev(Database::parse(&db.url()).unwrap());
    config.jwt_secret = Secret::new(SECRET);
    config.service_token = Some(Secret::new(SERVICE_TOKEN));
    config.rate_limits = RateLimits::generous();
    let (api_addr, _handle) = onair_testkit::servers::start_api(config);
    let api = Api {
        base: format!("http://{api_addr}"),
        http: reqwest::Client::new(),
    };
    let mut instances = [
        Instance::start("room-1", &redis, &api.base),
        Instance::start("room-2", &redis, &api.base),
    ];
    let mut figures = Figures::default();
    let mut seen_events: HashMap<(String, u64), String> = HashMap::new();
    let run_id = std::process::id();

    for round in 0..rounds {
        let fault = [Fault::Kill, Fault::Restart, Fault::Redis][round % 3];
        let x = round % 2; // the owner
        let y = 1 - x;
        for i in [x, y] {
            if !instances[i].alive() {
                let name = instances[i].name.clone();
                instances[i] = Instance::start(&name, &redis, &api.base);
            }
        }
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut members = Vec::new();
        for k in 0..6 {
            let (user, token) = api.login(&format!("chaos{run_id}r{round}m{k}")).await;
            members.push(Member {
                user,
                token,
                on: if k == 0 || k % 2 == 0 { x } else { y },
                sink: None,
                conn: 0,
                pending: Vec::new(),
                scored: false,
                since: Instant::now(),
                back: None,
            });
        }
        let room = api
            .post(
                "/api/v1/rooms",
                Some(&members[0].token),
                json!({"title": format!("chaos {round}"), "mode": "rank"}),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        for (idx, m) in members.iter_mut().enumerate() {
            let mut ws = None;
            for _ in 0..100 {
                ws = open(&api, &instances[m.on], &m.token, room).await;
                if ws.is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let ws = ws.expect("member connects");
            let (sink, stream) = ws.split();
            m.sink = Some(sink);
            m.conn += 1;
            read(idx, m.conn, stream, tx.clone());
            // One at a time, so the host's instance owns the room.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let performer = 1; // on y
        let host_user = members[0].user;
        let performer_user = members[performer].user;
        let mut epochs: Vec<String> = vec![String::new(); members.len()];
        let mut chat_seen: HashSet<String> = HashSet::new();
        let mut round_id: Option<i64> = None;
        let mut closed: Option<u32> = None;

        #[allow(clippy::too_many_arguments)]
        /// Folds one report into what we know; returns the member's index if it was a welcome.
        fn take(
            seen: &Seen,
            members: &mut [Member],
            epochs: &mut [String],
            seen_events: &mut HashMap<(String, u64), String>,
            chat_seen: &mut HashSet<String>,
            round_id: &mut Option<i64>,
            closed: &mut Option<u32>,
            figures: &mut Figures,
        ) -> Option<(usize, Instant)> {
            let Seen::Text(idx, conn, text, at) = seen else {
                return None;
            };
            if members[*idx].conn != *conn {
                return None;
            }
            let msg: ServerMsg = serde_json::from_str(text).ok()?;
            match msg {
                ServerMsg::Direct(Direct::Welcome { epoch, room, .. }) => {
                    epochs[*idx] = epoch;
                    for l in &room.chat {
                        chat_seen.insert(l.text.clone());
                    }
                    if let Some(r) = room.round {
                        round_id.get_or_insert(r.id.0 as i64);
                    }
                    Some((*idx, *at))
                }
                ServerMsg::Event(e) => {
                    let key = (epochs[*idx].clone(), e.seq);
                    let body = serde_json::to_string(&e.kind).unwrap_or_default();
                    match seen_events.get(&key) {
                        Some(prev) if *prev != body => figures.seq_reused += 1,
                        Some(_) => {}
                        None => {
                            seen_events.insert(key, body);
                        }
                    }
                    match e.kind {
                        EventKind::Chat { line } => {
                            chat_seen.insert(line.text);
                        }
                        EventKind::PerformanceEnded { round } => {
                            *round_id = Some(round.id.0 as i64);
                        }
                        EventKind::RoundClosed { count, .. } => *closed = Some(count),
                        _ => {}
                    }
                    None
                }
                ServerMsg::Direct(_) => None,
            }
        }

        // Let the joins settle, then the act and its round.
        let settle = |d: u64| tokio::time::sleep(Duration::from_millis(d));
        settle(300).await;
        send(
            &mut members[0],
            &json!({"type":"start","first": performer_user}),
        )
        .await;
        settle(300).await;
        send(&mut members[performer], &json!({"type":"end_performance"})).await;
        let deadline = Instant::now() + Duration::from_secs(5);
        while round_id.is_none() && Instant::now() < deadline {
            if let Ok(Some(s)) = tokio::time::timeout(Duration::from_millis(100), rx.recv()).await {
                take(
                    &s,
                    &mut members,
                    &mut epochs,
                    &mut seen_events,
                    &mut chat_seen,
                    &mut round_id,
                    &mut closed,
                    &mut figures,
                );
            }
        }
        let Some(rid) = round_id else {
            println!("round {round}: the act's round never opened; skipped");
            continue;
        };
        for k in [0, 2] {
            send(
                &mut members[k],
                &json!({"type":"score","round": rid,"value": 80}),
            )
            .await;
            members[k].scored = true;
            figures.scores_sent += 1;
        }
        settle(300).await;

        // The fault.
        let t0 = Instant::now();
        match fault {
            Fault::Kill => instances[x].kill(),
            Fault::Restart => {
                instances[x].kill();
                let name = instances[x].name.clone();
                instances[x] = Instance::start(&name, &redis, &api.base);
            }
            Fault::Redis => redis.pause(),
        }
        let mut resumed = fault != Fault::Redis;
        let mut lines = Vec::new();
        let mut sent_gap = false;
        let deadline = t0 + Duration::from_secs(25);
        while Instant::now() < deadline {
            if !resumed && t0.elapsed() >= outage {
                redis.resume();
                resumed = true;
            }
            if !sent_gap && t0.elapsed() >= Duration::from_millis(300) {
                sent_gap = true;
                for (k, m) in members.iter_mut().enumerate() {
                    if k == performer || m.scored {
                        continue;
                    }
                    let text = format!("gap r{round} m{k}");
                    lines.push(text.clone());
                    figures.chat_sent += 1;
                    figures.scores_sent += 1;
                    m.scored = true;
                    let frames = vec![
                        json!({"type":"chat","text": text}),
                        json!({"type":"score","round": rid,"value": 60}),
                    ];
                    // A member of the dead instance sends once reconnected (as the web app
                    // does: it reconnects, then acts); frames written into a dead socket are
                    // not the server's to lose.
                    let socket_died = fault != Fault::Redis && m.on == x && t0 > m.since;
                    if m.sink.is_some() && !socket_died {
                        for f in &frames {
                            if !send(m, f).await {
                                m.pending.push(f.clone());
                            }
                        }
                    } else {
                        m.pending = frames;
                    }
                }
            }
            let all_back = fault == Fault::Redis || members.iter().all(|m| m.back.is_some());
            if closed.is_some() && resumed && all_back {
                break;
            }
            let Ok(Some(s)) = tokio::time::timeout(Duration::from_millis(50), rx.recv()).await
            else {
                continue;
            };
            if let Seen::Closed(idx, conn) = s {
                if members[idx].conn != conn {
                    continue;
                }
                // Its instance died (or dropped it): reconnect, to the other one if dead.
                members[idx].sink = None;
                let target = if instances[members[idx].on].alive() {
                    members[idx].on
                } else {
                    1 - members[idx].on
                };
                members[idx].on = target;
                let token = members[idx].token.clone();
                let mut ws = None;
                for _ in 0..200 {
                    ws = open(&api, &instances[target], &token, room).await;
                    if ws.is_some() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                if let Some(ws) = ws {
                    let (sink, stream) = ws.split();
                    members[idx].sink = Some(sink);
                    members[idx].conn += 1;
                    members[idx].since = Instant::now();
                    read(idx, members[idx].conn, stream, tx.clone());
                }
                continue;
            }
            if let Some((idx, at)) = take(
                &s,
                &mut members,
                &mut epochs,
                &mut seen_events,
                &mut chat_seen,
                &mut round_id,
                &mut closed,
                &mut figures,
            ) {
                if fault != Fault::Redis && members[idx].back.is_none() {
                    members[idx].back = Some(at.duration_since(t0));
                }
                let pending = std::mem::take(&mut members[idx].pending);
                for f in &pending {
                    send(&mut members[idx], f).await;
                }
            }
        }
        if !resumed {
            redis.resume();
        }
        if fault != Fault::Redis {
            for m in &members {
                if let Some(b) = m.back {
                    figures.back.push(b.as_secs_f64());
                }
            }
        }
        // What the room kept: a fresh look from a new connection of the performer.
        let alive = if instances[y].alive() { y } else { x };
        let mut look = None;
        for _ in 0..30 {
            look = open(&api, &instances[alive], &members[performer].token, room).await;
            if look.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        members[performer].conn += 1; // the old reader's reports no longer count
        let mut looked = false;
        if let Some(mut ws) = look {
            while let Ok(Some(Ok(Message::Text(t)))) =
                tokio::time::timeout(Duration::from_secs(5), ws.next()).await
            {
                if let Ok(ServerMsg::Direct(Direct::Welcome { room, .. })) =
                    serde_json::from_str::<ServerMsg>(&t)
                {
                    for l in &room.chat {
                        chat_seen.insert(l.text.clone());
                    }
                    looked = true;
                    break;
                }
            }
        }
        if closed.is_none() {
            let never: Vec<usize> = (0..members.len())
                .filter(|&k| fault != Fault::Redis && members[k].back.is_none())
                .collect();
            let waiting: Vec<usize> = (0..members.len())
                .filter(|&k| !members[k].pending.is_empty())
                .collect();
            println!(
                "round {round}: no round_closed within 25 s; never back: {never:?}, still to send: {waiting:?}"
            );
        }
        let lost: Vec<&String> = lines.iter().filter(|l| !chat_seen.contains(*l)).collect();
        if !lost.is_empty() {
            println!("round {round}: lines never seen: {lost:?} (final look: {looked})");
        }
        let lost_lines = lost.len() as u64;
        figures.chat_lost += lost_lines;
        let counted = closed.unwrap_or(0) as u64;
        let expected = (members.len() - 1) as u64;
        figures.scores_lost += expected.saturating_sub(counted);
        if closed.is_none() {
            figures.rounds_unfinished += 1;
        }
        // The ranked act: recorded how many times (the api-server counts it once per round).
        tokio::time::sleep(Duration::from_secs(2)).await;
        let acts = api.acts(performer_user).await;
        figures.recorded[(acts as usize).min(2)] += 1;
        println!(
            "round {round} ({fault:?} of {}): round closed with {counted}/{expected} scores, \
             {lost_lines} of {} lines lost, act recorded {acts}x, back: {:?}",
            instances[x].name,
            lines.len(),
            members
                .iter()
                .filter_map(|m| m.back.map(|b| (b.as_secs_f64() * 1000.0).round() as u64))
                .collect::<Vec<_>>()
        );
        let _ = host_user;
        drop(members);
    }

    let mut back = figures.back.clone();
    back.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| {
        if back.is_empty() {
            f64::NAN
        } else {
            back[((back.len() - 1) as f64 * p).round() as usize]
        }
    };
    println!();
    println!("rounds: {rounds} (kill -9, same-name restart, Redis hung {outage:?}, in turn)");
    println!(
        "members back on a fresh view after a kill: p50 {:.2} s, p99 {:.2} s, max {:.2} s ({} members)",
        pct(0.5),
        pct(0.99),
        back.last().copied().unwrap_or(f64::NAN),
        back.len()
    );
    println!(
        "commands lost: {} of {} chat lines, {} of {} scores; rounds never closed: {}",
        figures.chat_lost,
        figures.chat_sent,
        figures.scores_lost,
        figures.scores_sent,
        figures.rounds_unfinished
    );
    println!("seq reused: {}", figures.seq_reused);
    println!(
        "ranked acts recorded 0 / 1 / 2+ times: {} / {} / {}",
        figures.recorded[0], figures.recorded[1], figures.recorded[2]
    );
}
